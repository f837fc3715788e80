// Consul HTTP API client. JSON stays in this file: callers get typed structs.
#include <hcl/consul.hpp>

#include "wire.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace hcl::consul {
namespace {

using namespace wire;

CatalogNode decode_node(const json& j) {
  return {get<std::string>(j, "ID"), get<std::string>(j, "Node"), get<std::string>(j, "Address"),
          get<std::string>(j, "Datacenter"), get<Meta>(j, "Meta")};
}

HealthCheck decode_check(const json& j) {
  return {get<std::string>(j, "Node"),      get<std::string>(j, "CheckID"),
          get<std::string>(j, "Name"),      check_status(get<std::string>(j, "Status")),
          get<std::string>(j, "Output"),    get<std::string>(j, "ServiceID"),
          get<std::string>(j, "ServiceName")};
}

template <class T>
std::vector<T> decode_list(const json& j, T (*fn)(const json&)) {
  std::vector<T> out;
  for (const json& e : j.get_ref<const json::array_t&>()) out.push_back(fn(e));
  return out;
}

}  // namespace

Client::Client(http::Transport& transport, std::string token)
    : transport_(transport), token_(std::move(token)) {}

http::Request Client::request(std::string method, std::string target) const {
  http::Request r{std::move(method), std::move(target)};
  if (!token_.empty()) r.headers.push_back({"X-Consul-Token", token_});
  return r;
}

Result<http::Response> Client::check(Result<http::Response> r, const http::Request& req) const {
  if (!r) return r.error();
  if (r->status >= 400)
    return Error{http::error_kind(r->status), fmt::format("{} {}{}", req.method, transport_.describe(), req.target),
                 server_message(*r)};
  return r;
}

Result<std::vector<CatalogNode>> Client::catalog_nodes() {
  auto req = request("GET", "/v1/catalog/nodes");
  auto r = check(transport_.send(req), req);
  if (!r) return r.error();
  return decode(*r, transport_.describe() + req.target, [](const json& j) { return decode_list(j, decode_node); });
}

Result<std::vector<HealthCheck>> Client::checks_in_state(const std::string& state) {
  auto req = request("GET", "/v1/health/state/" + http::encode(state));
  auto r = check(transport_.send(req), req);
  if (!r) return r.error();
  return decode(*r, transport_.describe() + req.target, [](const json& j) { return decode_list(j, decode_check); });
}

Result<std::vector<HealthCheck>> Client::node_health(const std::string& node) {
  auto req = request("GET", "/v1/health/node/" + http::encode(node));
  auto r = check(transport_.send(req), req);
  if (!r) return r.error();
  return decode(*r, transport_.describe() + req.target, [](const json& j) { return decode_list(j, decode_check); });
}

Result<NodesAndChecks> Client::nodes_and_checks() {
  std::vector<http::Request> reqs{request("GET", "/v1/catalog/nodes"), request("GET", "/v1/health/state/any")};
  auto rs = transport_.send_all(reqs);
  auto nodes = check(std::move(rs[0]), reqs[0]);
  if (!nodes) return nodes.error();
  auto checks = check(std::move(rs[1]), reqs[1]);
  if (!checks) return checks.error();
  auto n = decode(*nodes, transport_.describe() + reqs[0].target, [](const json& j) { return decode_list(j, decode_node); });
  if (!n) return n.error();
  auto c = decode(*checks, transport_.describe() + reqs[1].target, [](const json& j) { return decode_list(j, decode_check); });
  if (!c) return c.error();
  return NodesAndChecks{std::move(*n), std::move(*c)};
}

Result<AgentSelf> Client::agent_self() {
  auto req = request("GET", "/v1/agent/self");
  auto r = check(transport_.send(req), req);
  if (!r) return r.error();
  return decode(*r, transport_.describe() + req.target, [](const json& j) {
    const json& cfg = j.at("Config");
    return AgentSelf{get<std::string>(cfg, "NodeName"), get<std::string>(cfg, "Datacenter"),
                     get<std::string>(cfg, "Version"), get<bool>(cfg, "Server")};
  });
}

Result<std::string> Client::leader() {
  auto req = request("GET", "/v1/status/leader");
  auto r = check(transport_.send(req), req);
  if (!r) return r.error();
  return decode(*r, transport_.describe() + req.target, [](const json& j) { return j.get<std::string>(); });
}

std::string to_string(CheckStatus status) {
  switch (status) {
    case CheckStatus::Passing: return "passing";
    case CheckStatus::Warning: return "warning";
    case CheckStatus::Critical: return "critical";
    case CheckStatus::Unknown: return "unknown";
  }
  return "unknown";
}

CheckStatus check_status(const std::string& text) {
  if (text == "passing") return CheckStatus::Passing;
  if (text == "warning") return CheckStatus::Warning;
  if (text == "critical") return CheckStatus::Critical;
  return CheckStatus::Unknown;
}

}  // namespace hcl::consul
