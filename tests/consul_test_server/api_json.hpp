// Consul's JSON shapes: state objects out (field names and order as Consul writes them), and
// request bodies in. Decoding follows Go's encoding/json where clients can tell: field names
// match case-insensitively, null means "absent", and a wrong type is an error whose text reads
// like Go's ("json: cannot unmarshal number into Go struct field ... of type string").
#pragma once

#include "state.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hcl::testing::cts {

using ojson = nlohmann::ordered_json;

// --- encoding ---
std::string base64_encode(std::string_view bytes);

ojson encode_node(const Node& n);                                  // catalog/nodes, health Node
ojson encode_service_node(const Node& n, const Service& s);        // catalog/service/:name entry
ojson encode_node_service(const Service& s);                       // health/service "Service"
ojson encode_agent_service(const Service& s, const std::string& datacenter);  // agent/services
ojson encode_check(const Check& c);
ojson encode_kv(const KvEntry& e);

// --- decoding ---
// A request body the server refuses; the HTTP layer answers 400 "Request decode failed: <what>".
struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses a body; an empty body is "EOF" and bad JSON says where, as Go's decoder would.
nlohmann::json parse_body(const std::string& body);

// PUT /v1/catalog/register. Fills only what the body says; defaults come later (Store::apply).
Registration decode_registration(const nlohmann::json& body);

struct Deregistration {
  std::string node;
  std::string datacenter;
  std::string service_id;
  std::string check_id;
};
Deregistration decode_deregistration(const nlohmann::json& body);

// One check of PUT /v1/agent/service/register, before the agent fills in IDs and names.
struct AgentCheck {
  std::string check_id;
  std::string name;
  std::string notes;
  std::string status;
  CheckDefinition definition;
  // The kinds the test server does not run, kept to validate and to name the check's Type.
  std::string grpc;
  std::string udp;
  std::string h2ping;
  std::string docker_container_id;
  std::string alias_service;
  std::string os_service;
  std::vector<std::string> args;
  bool empty = true;  // "Check": {} registers nothing, as in Consul

  std::string type() const;  // Consul's CheckType.Type(): "http", "tcp", "ttl", ... or ""
  // Consul's CheckType.Validate(); the message without the "Invalid check: " prefix.
  std::optional<std::string> invalid() const;
};

struct AgentServiceDefinition {
  Service service;           // weights default to 1/1 unless given
  bool weights_given = false;
  std::vector<AgentCheck> checks;  // "Check" first, then "Checks"
};
AgentServiceDefinition decode_agent_service(const nlohmann::json& body);

}  // namespace hcl::testing::cts
