// A Consul HTTP API client: typed requests and results over a Transport. The ACL token is sent as
// X-Consul-Token on every request and is never part of a URL, a log line or an error message.
#pragma once

#include <hcl/error.hpp>
#include <hcl/http.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hcl::consul {

using Meta = std::map<std::string, std::string>;

struct CatalogNode {
  std::string id;
  std::string name;  // "Node"
  std::string address;
  std::string datacenter;
  Meta meta;
};

enum class CheckStatus { Passing, Warning, Critical, Unknown };

struct HealthCheck {
  std::string node;
  std::string check_id;
  std::string name;
  CheckStatus status = CheckStatus::Unknown;
  std::string output;
  std::string service_id;  // empty for node-level checks such as serfHealth
  std::string service_name;
};

struct AgentSelf {
  std::string node_name;
  std::string datacenter;
  std::string version;
  bool server = false;
};

// A service instance in the catalog as registered through /v1/catalog/register, with one check
// whose status the registrar sets (Consul agents do not run catalog-registered checks; the TCP
// definition is for Consul ESM and for people reading the catalog).
struct ServiceInstance {
  std::string node;          // the catalog node it is registered on
  std::string node_address;
  Meta node_meta;            // NodeMeta, written with the node
  std::string id;            // ServiceID, unique on the node
  std::string name;          // Service
  std::string address;       // ServiceAddress
  int port = 0;
  std::vector<std::string> tags;
  Meta meta;                 // ServiceMeta
  std::string check_id;
  std::string check_name;
  CheckStatus check_status = CheckStatus::Passing;
  std::string check_output;
  std::string check_tcp;     // Definition.TCP, "host:port"; empty: none
  bool operator==(const ServiceInstance&) const = default;
};

// Consul's convention for nodes that run no Consul agent (services registered from elsewhere,
// probed by Consul ESM): NodeMeta "external-node" is "true". They are not cluster machines.
inline bool is_external(const CatalogNode& node) {
  auto it = node.meta.find("external-node");
  return it != node.meta.end() && it->second == "true";
}

// Catalog nodes and all health checks, read together (two requests at once).
struct NodesAndChecks {
  std::vector<CatalogNode> nodes;
  std::vector<HealthCheck> checks;
};

class Client {
 public:
  // The client does not own the transport. An empty token sends none.
  Client(http::Transport& transport, std::string token = {});

  Result<std::vector<CatalogNode>> catalog_nodes();
  // Checks in a state ("any" for all); node-level and service checks alike.
  Result<std::vector<HealthCheck>> checks_in_state(const std::string& state = "any");
  Result<std::vector<HealthCheck>> node_health(const std::string& node);
  Result<NodesAndChecks> nodes_and_checks();
  Result<AgentSelf> agent_self();
  // The leader's address ("10.1.10.12:8300"); empty when the cluster has none.
  Result<std::string> leader();

  // The instances of the named services (GET /v1/catalog/service/NAME for each, at once), with
  // their checks' status from the health checks given (check_* fields stay empty otherwise).
  Result<std::vector<ServiceInstance>> service_instances(const std::vector<std::string>& names);
  // Registers instances with their nodes (PUT /v1/catalog/register, one request each, at once).
  // Results in order.
  std::vector<Status> register_instances(const std::vector<ServiceInstance>& instances);
  // Removes instances with their checks (PUT /v1/catalog/deregister, node + service ID).
  std::vector<Status> deregister_instances(const std::vector<ServiceInstance>& instances);
  // The number of services registered on a node (GET /v1/catalog/node/NODE); 0 for no such node.
  Result<std::size_t> node_service_count(const std::string& node);
  // Removes a node with everything on it (PUT /v1/catalog/deregister, node only).
  Status deregister_node(const std::string& node);
  // Waits (a blocking query on GET /v1/health/state/any) until the checks change after `index`
  // or `wait` passed; returns the new index. index 0 returns at once with the current one.
  Result<std::uint64_t> wait_checks(std::uint64_t index, http::Millis wait);

  std::string endpoint() const { return transport_.describe(); }

 private:
  http::Request request(std::string method, std::string target) const;
  Result<http::Response> check(Result<http::Response> r, const http::Request& req) const;
  std::vector<Status> write_all(const std::vector<http::Request>& reqs);

  http::Transport& transport_;
  std::string token_;
};

std::string to_string(CheckStatus status);
CheckStatus check_status(const std::string& text);

}  // namespace hcl::consul
