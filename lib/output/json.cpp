#include <hcl/output.hpp>

#include <nlohmann/json.hpp>

namespace hcl::output {
namespace {

using json = nlohmann::ordered_json;

json check_json(const consul::HealthCheck& c) {
  return {{"id", c.check_id}, {"name", c.name}, {"status", consul::to_string(c.status)}, {"output", c.output}};
}

json node_json(const ops::ClusterNode& n) {
  json j = {{"name", n.name}, {"health", ops::to_string(n.health)}};
  json sources = json::array();
  if (n.swarm) sources.push_back("swarm");
  if (n.consul) sources.push_back("consul");
  j["sources"] = sources;
  if (n.swarm) {
    const auto& s = *n.swarm;
    j["swarm"] = {{"id", s.id},
                  {"role", docker::to_string(s.role)},
                  {"leader", s.leader},
                  {"manager_reachability", s.manager_reachability.empty() ? json(nullptr) : json(s.manager_reachability)},
                  {"availability", docker::to_string(s.availability)},
                  {"state", docker::to_string(s.state)},
                  {"message", s.message},
                  {"address", s.address},
                  {"engine_version", s.engine_version},
                  {"os", s.os},
                  {"architecture", s.architecture},
                  {"labels", s.labels},
                  {"engine_labels", s.engine_labels}};
  } else {
    j["swarm"] = nullptr;
  }
  if (n.consul) {
    json checks = json::array();
    for (const auto& c : n.consul->checks) checks.push_back(check_json(c));
    j["consul"] = {{"node", n.consul->node},
                   {"address", n.consul->address},
                   {"serf_health", n.consul->serf_health == consul::CheckStatus::Unknown
                                       ? json(nullptr)
                                       : json(consul::to_string(n.consul->serf_health))},
                   {"checks", checks}};
  } else {
    j["consul"] = nullptr;
  }
  return j;
}

json net_json(const docker::Network& n) {
  json ipam = json::array();
  for (const auto& c : n.ipam) ipam.push_back({{"subnet", c.subnet}, {"gateway", c.gateway}, {"ip_range", c.ip_range}});
  return {{"id", n.id},         {"name", n.name},         {"driver", n.driver},      {"scope", n.scope},
          {"attachable", n.attachable}, {"internal", n.internal}, {"ingress", n.ingress}, {"ipv6", n.ipv6},
          {"created", n.created}, {"ipam", ipam},          {"labels", n.labels},     {"options", n.options},
          {"containers", n.containers ? json(*n.containers) : json(nullptr)}};
}

json origin_json(const config::Origin& o) { return {{"level", config::to_string(o.level)}, {"name", o.name}}; }

json tls_json(const http::Endpoint& e) {
  if (!e.tls) return nullptr;
  auto path = [](const std::string& p) { return p.empty() ? json(nullptr) : json(p); };
  return {{"verify", e.tls->verify}, {"ca", path(e.tls->ca_file)}, {"cert", path(e.tls->cert_file)},
          {"key", path(e.tls->key_file)}};
}

// Paths, names and messages come from users and servers and need not be UTF-8 (a socket path
// in DOCKER_HOST, say); dump() would throw on them and end hcl. Invalid bytes become U+FFFD.
std::string dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n"; }

}  // namespace

std::string nodes_json(const std::vector<ops::ClusterNode>& nodes) {
  json out = json::array();
  for (const auto& n : nodes) out.push_back(node_json(n));
  return dump(out);
}

std::string networks_json(const std::vector<docker::Network>& networks) {
  json out = json::array();
  for (const auto& n : networks) out.push_back(net_json(n));
  return dump(out);
}

std::string network_json(const docker::Network& network) { return dump(net_json(network)); }

std::string tasks_json(const std::vector<ops::TaskRow>& rows) {
  json out = json::array();
  for (const auto& r : rows)
    out.push_back({{"name", r.name},
                   {"service", r.service},
                   {"task_id", r.task_id},
                   {"image", r.image},
                   {"node", r.node},
                   {"desired_state", r.desired_state},
                   {"state", r.state},
                   {"message", r.message},
                   {"since", r.since},
                   {"ports", r.ports},
                   {"exit_code", r.exit_code ? json(*r.exit_code) : json(nullptr)}});
  return dump(out);
}

std::string plan_json(const ops::Plan& plan) {
  json nets = json::array(), files = json::array(), services = json::array();
  for (const auto& n : plan.networks) nets.push_back({{"name", n.name}, {"change", ops::to_string(n.change)}});
  for (const auto& f : plan.files)
    files.push_back({{"kind", docker::to_string(f.kind)}, {"key", f.key}, {"name", f.name}, {"change", ops::to_string(f.change)}});
  for (const auto& s : plan.services) {
    bool replicated = s.spec && s.spec->mode == docker::ServiceMode::Replicated;
    services.push_back({{"service", s.key},
                        {"name", s.name},
                        {"change", ops::to_string(s.change)},
                        {"fields", s.fields},
                        {"mode", s.spec ? json(docker::to_string(s.spec->mode)) : json(nullptr)},
                        {"replicas", replicated ? json(s.spec->replicas) : json(nullptr)}});
  }
  return dump({{"project", plan.project}, {"changes", plan.has_changes()}, {"networks", nets}, {"files", files},
               {"services", services}});
}

std::string projects_json(const std::vector<ops::ProjectSummary>& projects) {
  json out = json::array();
  for (const auto& p : projects)
    out.push_back({{"name", p.name}, {"services", p.services}, {"running", p.running}, {"desired", p.desired},
                   {"networks", p.networks}});
  return dump(out);
}

namespace {

json health_check_json(const ops::HealthCheckResult& r) {
  return {{"id", r.id}, {"status", ops::to_string(r.verdict)}, {"reason", r.reason}, {"names", r.names}};
}

}  // namespace

std::string health_json(const std::vector<ops::HealthCheckResult>& results) {
  json checks = json::array();
  for (const auto& r : results) checks.push_back(health_check_json(r));
  return dump({{"healthy", ops::healthy(results)}, {"checks", checks}});
}

std::string health_change_json(std::string_view time, const ops::HealthCheckResult& result, bool healthy) {
  json j = health_check_json(result);
  j["time"] = time;
  j["healthy"] = healthy;
  return j.dump() + "\n";
}

std::string config_json(const config::Config& c) {
  json j;
  j["docker"] = {{"endpoint", c.docker.value.display()}, {"origin", origin_json(c.docker.origin)}, {"tls", tls_json(c.docker.value)},
                 {"context", c.docker_context ? json{{"name", c.docker_context->value},
                                                     {"origin", origin_json(c.docker_context->origin)}}
                                              : json(nullptr)}};
  json more = json::array();
  for (const auto& m : c.docker_more) more.push_back(m.display());
  j["docker"]["more"] = std::move(more);
  // The token itself is never output: only whether one is set and where it came from.
  j["consul"] = {{"endpoint", c.consul.value.display()},
                 {"origin", origin_json(c.consul.origin)},
                 {"tls", tls_json(c.consul.value)},
                 {"token", c.consul_token_origin ? json{{"set", true}, {"origin", origin_json(*c.consul_token_origin)}}
                                                 : json{{"set", false}, {"origin", nullptr}}}};
  j["timeouts"] = {{"connect_ms", c.connect_timeout.value.count()}, {"connect_origin", origin_json(c.connect_timeout.origin)},
                   {"request_ms", c.request_timeout.value.count()}, {"request_origin", origin_json(c.request_timeout.origin)}};
  j["config_file"] = {{"path", c.config_file.empty() ? json(nullptr) : json(c.config_file)}, {"loaded", c.config_file_loaded}};
  return dump(j);
}

std::string contexts_json(const std::vector<config::DockerContext>& contexts, const std::string& current,
                          const std::string& default_endpoint) {
  json list = json::array();
  list.push_back({{"name", config::kDefaultContext},
                  {"description", "hcl's own settings"},
                  {"endpoint", default_endpoint.empty() ? json(nullptr) : json(default_endpoint)},
                  {"tls", nullptr},
                  {"current", current == config::kDefaultContext}});
  for (const auto& c : contexts) {
    json tls = nullptr;
    if (!c.tls_ca.empty() || !c.tls_cert.empty() || !c.tls_key.empty())
      tls = {{"verify", !c.skip_tls_verify}, {"ca", !c.tls_ca.empty()}, {"client_certificate", !c.tls_cert.empty()}};
    list.push_back({{"name", c.name}, {"description", c.description}, {"endpoint", c.host}, {"tls", tls},
                    {"current", c.name == current}});
  }
  return dump({{"current", current.empty() ? json(nullptr) : json(current)}, {"contexts", list}});
}

std::string version_json(const ops::VersionReport& r) {
  json j;
  j["hcl"] = {{"version", r.hcl}, {"api_version", docker::kMaxApiVersion}, {"min_api_version", docker::kMinApiVersion}};
  if (r.engine) {
    j["engine"] = {{"endpoint", r.engine_endpoint},
                   {"version", r.engine->version},
                   {"api_version", r.engine->api_version},
                   {"api_version_used", r.api_version.empty() ? json(nullptr) : json(r.api_version)},
                   {"min_api_version", r.engine->min_api_version}, {"os", r.engine->os},
                   {"arch", r.engine->arch},
                   {"error", r.api_error ? json(r.api_error->message()) : json(nullptr)}};
  } else {
    j["engine"] = {{"endpoint", r.engine_endpoint}, {"error", r.engine_error ? r.engine_error->message() : ""}};
  }
  if (r.consul) {
    j["consul"] = {{"endpoint", r.consul_endpoint}, {"version", r.consul->version}, {"node", r.consul->node_name},
                   {"datacenter", r.consul->datacenter}, {"error", nullptr}};
  } else {
    j["consul"] = {{"endpoint", r.consul_endpoint}, {"error", r.consul_error ? r.consul_error->message() : ""}};
  }
  return dump(j);
}

namespace {

json instance_json(const consul::ServiceInstance& i) {
  auto meta = [&](const char* k) { return i.meta.count(k) ? json(i.meta.at(k)) : json(nullptr); };
  return {{"id", i.id},          {"name", i.name},         {"node", i.node},        {"address", i.address},
          {"port", i.port},      {"tags", i.tags},         {"task", meta("hcl-task")}, {"service", meta("hcl-service")},
          {"project", meta("hcl-project")}, {"check_status", consul::to_string(i.check_status)}};
}

}  // namespace

std::string sync_json(const ops::SyncResult& r) {
  json added = json::array(), removed = json::array(), failed = json::array();
  for (const auto& i : r.plan.add) added.push_back(instance_json(i));
  for (const auto& i : r.plan.remove) removed.push_back(instance_json(i));
  for (const auto& f : r.failed)
    failed.push_back({{"action", f.removing ? "deregister" : "register"}, {"instance", instance_json(f.instance)},
                      {"error", f.error.message()}});
  return dump(json{{"registered", added}, {"deregistered", removed}, {"unchanged", r.plan.unchanged},
                   {"skipped", r.plan.skipped}, {"failed", failed}});
}

std::string sync_event_json(std::string_view time, bool registered, const consul::ServiceInstance& instance,
                            const std::string& task_since) {
  json j = {{"time", time}, {"action", registered ? "register" : "deregister"}, {"instance", instance_json(instance)},
            {"task_since", task_since.empty() ? json(nullptr) : json(task_since)}};
  return j.dump() + "\n";
}

}  // namespace hcl::output
