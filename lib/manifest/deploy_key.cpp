// deploy: and the older keys that say the same things (scale, restart, mem_limit,
// mem_reservation, cpus), and healthcheck:.
#include "loader.hpp"

#include <hcl/swarm/placement.hpp>
#include <hcl/swarm/restart.hpp>

#include <fmt/format.h>

namespace hcl::manifest::detail {
namespace {

constexpr KeyRule kDeployKeys[] = {
    {"mode", Rule::Use, ""},
    {"replicas", Rule::Use, ""},
    {"placement", Rule::Use, ""},
    {"endpoint_mode", Rule::Use, ""},
    {"restart_policy", Rule::Use, ""},
    {"resources", Rule::Use, ""},
    {"update_config", Rule::Use, ""},
    {"labels", Rule::Use, ""},
    {"rollback_config", Rule::Ignore, "rollbacks use the engine's defaults"},
};
constexpr KeyRule kPlacementKeys[] = {
    {"constraints", Rule::Use, ""},
    {"preferences", Rule::Ignore, "tasks are spread by the scheduler's defaults"},
    {"max_replicas_per_node", Rule::Ignore, ""},
};
constexpr KeyRule kRestartKeys[] = {
    {"condition", Rule::Use, ""}, {"delay", Rule::Use, ""}, {"max_attempts", Rule::Use, ""}, {"window", Rule::Use, ""}};
constexpr KeyRule kResourcesKeys[] = {{"limits", Rule::Use, ""}, {"reservations", Rule::Use, ""}};
constexpr KeyRule kLimitsKeys[] = {{"cpus", Rule::Use, ""}, {"memory", Rule::Use, ""}, {"pids", Rule::Ignore, ""}};
constexpr KeyRule kReservationsKeys[] = {
    {"cpus", Rule::Use, ""},
    {"memory", Rule::Use, ""},
    {"generic_resources", Rule::Refuse, "hcl cannot reserve generic resources"},
    {"devices", Rule::Refuse, "swarm services cannot reserve devices"},
};
constexpr KeyRule kUpdateKeys[] = {
    {"parallelism", Rule::Use, ""},       {"delay", Rule::Use, ""}, {"failure_action", Rule::Use, ""},
    {"monitor", Rule::Use, ""},           {"order", Rule::Use, ""}, {"max_failure_ratio", Rule::Use, ""},
};
constexpr KeyRule kHealthKeys[] = {
    {"test", Rule::Use, ""},         {"interval", Rule::Use, ""}, {"timeout", Rule::Use, ""},
    {"start_period", Rule::Use, ""}, {"retries", Rule::Use, ""},  {"disable", Rule::Use, ""},
    {"start_interval", Rule::Ignore, ""},
};

// A string that must be one of `choices`; reports "PATH must be a, b or c, not 'x'".
std::optional<std::string> one_of(const Node& node, const std::string& path, std::initializer_list<std::string_view> choices,
                                  Diagnostics& diag) {
  auto s = as_string(node, path, diag);
  if (!s) return std::nullopt;
  for (auto c : choices)
    if (*s == c) return s;
  std::string list;
  std::size_t i = 0;
  for (auto c : choices) list += (i++ == 0 ? "" : i == choices.size() ? " or " : ", ") + std::string(c);
  diag.error(node.where, fmt::format("{} must be {}, not '{}'", path, list, *s));
  return std::nullopt;
}

void read_mode(const Node& node, Diagnostics& diag) {
  auto mode = as_string(node, "deploy.mode", diag);
  if (!mode || *mode == "replicated") return;
  if (*mode == "global" || *mode == "global-job" || *mode == "replicated-job")
    diag.error(node.where, fmt::format("deploy.mode '{}' is not supported: hcl deploys replicated services; use "
                                       "deploy.replicas and placement constraints",
                                       *mode));
  else
    diag.error(node.where, fmt::format("deploy.mode must be replicated, not '{}'", *mode));
}

void read_placement(const Node& node, Diagnostics& diag, std::vector<std::string>& constraints) {
  if (!expect_map(node, "deploy.placement", diag)) return;
  check_keys(node, kPlacementKeys, "deploy.placement.", diag);
  const Node* list = node.get("constraints");
  if (!list) return;
  const auto* items = as_list(*list, "deploy.placement.constraints", diag);
  if (!items) return;
  for (const auto& item : *items) {
    auto text = as_string(item, "each placement constraint", diag);
    if (!text) continue;
    auto c = swarm::parse_constraint(*text, item.where.str());
    if (!c)
      diag.error(item.where, fmt::format("constraint '{}': {}", *text, c.error().why));
    else
      constraints.push_back(c->expression());
  }
}

void read_restart_policy(const Node& node, Diagnostics& diag, docker::ServiceSpec& spec) {
  if (!expect_map(node, "deploy.restart_policy", diag)) return;
  check_keys(node, kRestartKeys, "deploy.restart_policy.", diag);
  spec.restart = docker::RestartCondition::Any;
  if (const Node* c = node.get("condition")) {
    auto cond = one_of(*c, "deploy.restart_policy.condition", {"none", "on-failure", "any"}, diag);
    if (cond) spec.restart = docker::parse_restart_condition(*cond).value_or(docker::RestartCondition::Any);
  }
  if (const Node* d = node.get("delay")) spec.restart_delay = as_duration(*d, "deploy.restart_policy.delay", diag);
  if (const Node* m = node.get("max_attempts"))
    spec.max_attempts = as_count(*m, "deploy.restart_policy.max_attempts", diag);
  if (const Node* w = node.get("window")) spec.restart_window = as_duration(*w, "deploy.restart_policy.window", diag);
}

// The v2 `restart:` key: no, always, unless-stopped, on-failure[:N].
void read_restart(const Node& node, Diagnostics& diag, docker::ServiceSpec& spec) {
  auto r = as_string(node, "restart", diag);
  if (!r) return;
  if (auto policy = swarm::parse_restart_policy(*r)) {
    spec.restart = policy->condition;
    if (policy->max_attempts) spec.max_attempts = policy->max_attempts;
  } else {
    diag.error(node.where, fmt::format("restart must be no, always, unless-stopped or on-failure[:N], not '{}'", *r));
  }
}

void read_resources(const Node& node, Diagnostics& diag, docker::Resources& res) {
  if (!expect_map(node, "deploy.resources", diag)) return;
  check_keys(node, kResourcesKeys, "deploy.resources.", diag);
  if (const Node* l = node.get("limits"); l && expect_map(*l, "deploy.resources.limits", diag)) {
    check_keys(*l, kLimitsKeys, "deploy.resources.limits.", diag);
    if (const Node* c = l->get("cpus")) res.cpu_limit_nano = as_nanocpus(*c, "deploy.resources.limits.cpus", diag);
    if (const Node* m = l->get("memory")) res.memory_limit_bytes = as_bytes(*m, "deploy.resources.limits.memory", diag);
  }
  if (const Node* r = node.get("reservations"); r && expect_map(*r, "deploy.resources.reservations", diag)) {
    check_keys(*r, kReservationsKeys, "deploy.resources.reservations.", diag);
    if (const Node* c = r->get("cpus")) res.cpu_reservation_nano = as_nanocpus(*c, "deploy.resources.reservations.cpus", diag);
    if (const Node* m = r->get("memory"))
      res.memory_reservation_bytes = as_bytes(*m, "deploy.resources.reservations.memory", diag);
  }
}

void read_update(const Node& node, Diagnostics& diag, docker::ServiceSpec& spec) {
  if (!expect_map(node, "deploy.update_config", diag)) return;
  check_keys(node, kUpdateKeys, "deploy.update_config.", diag);
  docker::UpdateConfig u;
  const std::string p = "deploy.update_config.";
  if (const Node* n = node.get("parallelism")) u.parallelism = as_count(*n, p + "parallelism", diag);
  if (const Node* n = node.get("delay")) u.delay = as_duration(*n, p + "delay", diag);
  if (const Node* n = node.get("failure_action"))
    u.failure_action = one_of(*n, p + "failure_action", {"continue", "rollback", "pause"}, diag).value_or("");
  if (const Node* n = node.get("monitor")) u.monitor = as_duration(*n, p + "monitor", diag);
  if (const Node* n = node.get("max_failure_ratio")) u.max_failure_ratio = as_ratio(*n, p + "max_failure_ratio", diag);
  if (const Node* n = node.get("order")) u.order = one_of(*n, p + "order", {"stop-first", "start-first"}, diag).value_or("");
  spec.update = u;
}

// One of the older keys (scale, mem_limit, ...): not part of format 3, and not to be given
// together with the deploy: key that says the same.
const Entry* older_key(const Node& s, std::string_view key, std::string_view instead, bool deploy_set, Context& ctx) {
  const Entry* e = s.entry(key);
  if (!e) return nullptr;
  if (ctx.format == Format::V3) {
    ctx.diag.error(e->where, fmt::format("key '{}' is not part of compose format 3; use {}", key, instead));
    return nullptr;
  }
  if (deploy_set) {
    ctx.diag.error(e->where, fmt::format("{} and {} are both set; keep one", key, instead));
    return nullptr;
  }
  return e;
}

}  // namespace

void read_deploy(const Node& s, Context& ctx, docker::ServiceSpec& spec, std::vector<std::string>& constraints) {
  Diagnostics& diag = ctx.diag;
  const Node* d = s.get("deploy");
  if (d && !expect_map(*d, "deploy", diag)) d = nullptr;
  static const Node kEmpty;
  const Node& deploy = d ? *d : kEmpty;
  if (d) check_keys(deploy, kDeployKeys, "deploy.", diag);

  if (const Node* m = deploy.get("mode")) read_mode(*m, diag);
  if (const Node* r = deploy.get("replicas")) spec.replicas = as_count(*r, "deploy.replicas", diag).value_or(1);
  if (const Node* p = deploy.get("placement")) read_placement(*p, diag, constraints);
  if (const Node* m = deploy.get("endpoint_mode"))
    spec.endpoint_mode = one_of(*m, "deploy.endpoint_mode", {"vip", "dnsrr"}, diag) == "vip" ? docker::EndpointMode::Vip
                                                                                           : docker::EndpointMode::Dnsrr;
  if (const Node* r = deploy.get("restart_policy")) read_restart_policy(*r, diag, spec);
  if (const Node* u = deploy.get("update_config")) read_update(*u, diag, spec);
  if (const Node* l = deploy.get("labels")) spec.labels = as_labels(*l, "deploy.labels", diag).value_or(docker::Labels{});
  docker::Resources res;
  if (const Node* r = deploy.get("resources")) read_resources(*r, diag, res);

  if (const Entry* e = older_key(s, "scale", "deploy.replicas", deploy.get("replicas"), ctx))
    spec.replicas = as_count(e->value, "scale", diag).value_or(1);
  if (const Entry* e = older_key(s, "mem_limit", "deploy.resources.limits.memory", res.memory_limit_bytes.has_value(), ctx))
    res.memory_limit_bytes = as_bytes(e->value, "mem_limit", diag);
  if (const Entry* e = older_key(s, "mem_reservation", "deploy.resources.reservations.memory",
                                 res.memory_reservation_bytes.has_value(), ctx))
    res.memory_reservation_bytes = as_bytes(e->value, "mem_reservation", diag);
  if (const Entry* e = older_key(s, "cpus", "deploy.resources.limits.cpus", res.cpu_limit_nano.has_value(), ctx))
    res.cpu_limit_nano = as_nanocpus(e->value, "cpus", diag);
  if (res != docker::Resources{}) spec.resources = res;

  if (const Entry* r = s.entry("restart")) {
    if (deploy.get("restart_policy"))
      diag.warn(r->where, "key 'restart' is ignored: deploy.restart_policy says how to restart");
    else
      read_restart(r->value, diag, spec);
  }
}

void read_healthcheck(const Node& s, Context& ctx, docker::ServiceSpec& spec) {
  Diagnostics& diag = ctx.diag;
  const Node* h = s.get("healthcheck");
  if (!h || !expect_map(*h, "healthcheck", diag)) return;
  check_keys(*h, kHealthKeys, "healthcheck.", diag);
  docker::Healthcheck hc;
  if (const Node* d = h->get("disable"); d && as_bool(*d, "healthcheck.disable", diag).value_or(false)) {
    hc.test = {"NONE"};
    spec.healthcheck = hc;
    return;
  }
  if (const Node* t = h->get("test")) {
    if (t->is_scalar()) {
      hc.test = {"CMD-SHELL", t->text};
    } else if (auto words = as_words(*t, "healthcheck.test", diag)) {
      if (words->empty() || ((*words)[0] != "CMD" && (*words)[0] != "CMD-SHELL" && (*words)[0] != "NONE"))
        diag.error(t->where, fmt::format("healthcheck.test must start with CMD, CMD-SHELL or NONE, not {}",
                                         words->empty() ? "nothing" : "'" + (*words)[0] + "'"));
      else
        hc.test = std::move(*words);
    }
  }
  if (const Node* n = h->get("interval")) hc.interval = as_duration(*n, "healthcheck.interval", diag);
  if (const Node* n = h->get("timeout")) hc.timeout = as_duration(*n, "healthcheck.timeout", diag);
  if (const Node* n = h->get("start_period")) hc.start_period = as_duration(*n, "healthcheck.start_period", diag);
  if (const Node* n = h->get("retries")) {
    auto r = as_count(*n, "healthcheck.retries", diag);
    if (r && *r > 1000000)
      diag.error(n->where, "healthcheck.retries is too large");
    else if (r)
      hc.retries = static_cast<int>(*r);
  }
  spec.healthcheck = hc;
}

}  // namespace hcl::manifest::detail
