// A Consul HTTP API client: typed requests and results over a Transport. The ACL token is sent as
// X-Consul-Token on every request and is never part of a URL, a log line or an error message.
#pragma once

#include <hcl/error.hpp>
#include <hcl/http.hpp>

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

  std::string endpoint() const { return transport_.describe(); }

 private:
  http::Request request(std::string method, std::string target) const;
  Result<http::Response> check(Result<http::Response> r, const http::Request& req) const;

  http::Transport& transport_;
  std::string token_;
};

std::string to_string(CheckStatus status);
CheckStatus check_status(const std::string& text);

}  // namespace hcl::consul
