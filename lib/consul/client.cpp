// Consul HTTP API client. JSON stays in this file: callers get typed structs.
#include <hcl/consul.hpp>
#include <hcl/text.hpp>

#include "codec.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace hcl::consul {
namespace {

using namespace codec;

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

ServiceInstance decode_instance(const json& j) {
  ServiceInstance i;
  i.node = get<std::string>(j, "Node");
  i.node_address = get<std::string>(j, "Address");
  i.node_meta = get<Meta>(j, "NodeMeta");
  i.id = get<std::string>(j, "ServiceID");
  i.name = get<std::string>(j, "ServiceName");
  i.address = get<std::string>(j, "ServiceAddress");
  i.port = get<int>(j, "ServicePort");
  i.tags = get<std::vector<std::string>>(j, "ServiceTags");
  i.meta = get<Meta>(j, "ServiceMeta");
  return i;
}

json encode_registration(const ServiceInstance& i) {
  json check = {{"Node", i.node},
                {"CheckID", i.check_id},
                {"Name", i.check_name},
                {"Status", to_string(i.check_status)},
                {"Output", i.check_output},
                {"ServiceID", i.id}};
  if (!i.check_tcp.empty()) check["Definition"] = {{"TCP", i.check_tcp}, {"Interval", "10s"}, {"Timeout", "2s"}};
  json service = {{"ID", i.id}, {"Service", i.name}, {"Address", i.address}, {"Port", i.port},
                  {"Tags", i.tags}, {"Meta", i.meta}};
  json body = {{"Node", i.node}, {"Address", i.node_address}, {"Service", service}};
  if (i.node_meta.empty()) body["SkipNodeUpdate"] = true;  // a node we do not describe keeps its own
  else body["NodeMeta"] = i.node_meta;
  if (!i.check_id.empty()) body["Check"] = check;
  return body;
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
  // A server or a proxy may echo the request's headers back (in an error, a check's output):
  // the token goes no further than the request.
  r->body = text::redact(std::move(r->body), token_);
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

Result<std::vector<ServiceInstance>> Client::service_instances(const std::vector<std::string>& names) {
  std::vector<http::Request> reqs;
  for (const auto& n : names) reqs.push_back(request("GET", "/v1/catalog/service/" + http::encode(n)));
  auto rs = transport_.send_all(reqs);
  std::vector<ServiceInstance> out;
  for (std::size_t k = 0; k < rs.size(); ++k) {
    auto r = check(std::move(rs[k]), reqs[k]);
    if (!r) return r.error();
    auto list = decode(*r, transport_.describe() + reqs[k].target,
                       [](const json& j) { return decode_list(j, decode_instance); });
    if (!list) return list.error();
    for (auto& i : *list) out.push_back(std::move(i));
  }
  return out;
}

std::vector<Status> Client::write_all(const std::vector<http::Request>& reqs) {
  auto rs = transport_.send_all(reqs);
  std::vector<Status> out;
  for (std::size_t k = 0; k < rs.size(); ++k) {
    auto r = check(std::move(rs[k]), reqs[k]);
    if (!r) {
      out.push_back(r.error());
    } else if (r->body.find("true") == std::string::npos) {  // Consul answers true, or false when not applied
      out.push_back(Error{ErrorKind::Server, fmt::format("{} {}{}", reqs[k].method, transport_.describe(), reqs[k].target),
                          "Consul did not apply the write: " + r->body.substr(0, 200)});
    } else {
      out.push_back(ok());
    }
  }
  return out;
}

std::vector<Status> Client::register_instances(const std::vector<ServiceInstance>& instances) {
  std::vector<http::Request> reqs;
  for (const auto& i : instances) {
    auto req = request("PUT", "/v1/catalog/register");
    req.body = encode_registration(i).dump();
    reqs.push_back(std::move(req));
  }
  return write_all(reqs);
}

std::vector<Status> Client::deregister_instances(const std::vector<ServiceInstance>& instances) {
  std::vector<http::Request> reqs;
  for (const auto& i : instances) {
    auto req = request("PUT", "/v1/catalog/deregister");
    req.body = json{{"Node", i.node}, {"ServiceID", i.id}}.dump();
    reqs.push_back(std::move(req));
  }
  return write_all(reqs);
}

Result<std::size_t> Client::node_service_count(const std::string& node) {
  auto req = request("GET", "/v1/catalog/node/" + http::encode(node));
  auto r = check(transport_.send(req), req);
  if (!r) return r.error();
  return decode(*r, transport_.describe() + req.target, [](const json& j) -> std::size_t {
    if (j.is_null()) return 0;  // Consul answers null for an unknown node
    return child(j, "Services").size();
  });
}

Status Client::deregister_node(const std::string& node) {
  auto req = request("PUT", "/v1/catalog/deregister");
  req.body = json{{"Node", node}}.dump();
  return write_all({req}).front();
}

Result<std::uint64_t> Client::wait_checks(std::uint64_t index, http::Millis wait) {
  std::vector<std::pair<std::string, std::optional<std::string>>> query;
  if (index > 0) {
    query.emplace_back("index", std::to_string(index));
    query.emplace_back("wait", go_duration(wait));
  }
  auto req = request("GET", http::target("/v1/health/state/any", query));
  // Consul answers after `wait` plus up to wait/16 of jitter; the request may take that long.
  if (index > 0) req.timeout = wait + wait / 16 + http::Millis{5000};
  auto r = check(transport_.send(req), req);
  if (!r) return r.error();
  auto idx = parse_index(r->header("X-Consul-Index"));
  if (!idx)
    return Error{ErrorKind::Server, transport_.describe() + req.target,
                 "unexpected answer from Consul: no X-Consul-Index header"};
  // Consul's rules: an index below 1 would return at once forever; one that went back resets.
  return std::max<std::uint64_t>(*idx, 1);
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
