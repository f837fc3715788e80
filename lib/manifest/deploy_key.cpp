// deploy: and the older keys that say the same things (scale, restart, mem_limit,
// mem_reservation, cpus, pids_limit).
#include "loader.hpp"

#include <hcl/swarm/placement.hpp>
#include <hcl/swarm/restart.hpp>

#include <fmt/format.h>

namespace hcl::manifest::detail {
namespace {

constexpr KeyRule kDeployKeys[] = {
    {"mode", Rule::Use, ""},          {"replicas", Rule::Use, ""},       {"placement", Rule::Use, ""},
    {"endpoint_mode", Rule::Use, ""}, {"restart_policy", Rule::Use, ""}, {"resources", Rule::Use, ""},
    {"update_config", Rule::Use, ""}, {"rollback_config", Rule::Use, ""}, {"labels", Rule::Use, ""},
};
constexpr KeyRule kPlacementKeys[] = {
    {"constraints", Rule::Use, ""}, {"preferences", Rule::Use, ""}, {"max_replicas_per_node", Rule::Use, ""}};
constexpr KeyRule kPreferenceKeys[] = {{"spread", Rule::Use, ""}};
constexpr KeyRule kRestartKeys[] = {
    {"condition", Rule::Use, ""}, {"delay", Rule::Use, ""}, {"max_attempts", Rule::Use, ""}, {"window", Rule::Use, ""}};
constexpr KeyRule kResourcesKeys[] = {{"limits", Rule::Use, ""}, {"reservations", Rule::Use, ""}};
constexpr KeyRule kLimitsKeys[] = {{"cpus", Rule::Use, ""}, {"memory", Rule::Use, ""}, {"pids", Rule::Use, ""}};
constexpr KeyRule kReservationsKeys[] = {
    {"cpus", Rule::Use, ""},
    {"memory", Rule::Use, ""},
    {"generic_resources", Rule::Use, ""},
    {"devices", Rule::Refuse, "swarm services cannot reserve devices"},
};
constexpr KeyRule kGenericResourceKeys[] = {{"discrete_resource_spec", Rule::Use, ""}};
constexpr KeyRule kDiscreteKeys[] = {{"kind", Rule::Use, ""}, {"value", Rule::Use, ""}};
constexpr KeyRule kUpdateKeys[] = {
    {"parallelism", Rule::Use, ""},       {"delay", Rule::Use, ""}, {"failure_action", Rule::Use, ""},
    {"monitor", Rule::Use, ""},           {"order", Rule::Use, ""}, {"max_failure_ratio", Rule::Use, ""},
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

void read_mode(const Node& node, Diagnostics& diag, ParsedService& out) {
  auto mode = one_of(node, "deploy.mode", {"replicated", "global", "replicated-job", "global-job"}, diag);
  if (!mode) return;
  auto& spec = out.def.spec;
  if (*mode == "global") spec.mode = docker::ServiceMode::Global;
  if (*mode == "replicated-job") spec.mode = docker::ServiceMode::ReplicatedJob;
  if (*mode == "global-job") spec.mode = docker::ServiceMode::GlobalJob;
  if (mode->ends_with("-job")) out.feature(docker::Feature::Jobs, node.where, "deploy.mode: " + *mode);
}

void read_placement(const Node& node, Diagnostics& diag, ParsedService& out) {
  if (!expect_map(node, "deploy.placement", diag)) return;
  check_keys(node, kPlacementKeys, "deploy.placement.", diag);
  if (const Node* list = node.get("constraints")) {
    if (const auto* items = as_list(*list, "deploy.placement.constraints", diag)) {
      for (const auto& item : *items) {
        auto text = as_string(item, "each placement constraint", diag);
        if (!text) continue;
        auto c = swarm::parse_constraint(*text, item.where.str());
        if (!c)
          diag.error(item.where, fmt::format("constraint '{}': {}", *text, c.error().why));
        else
          out.constraints.push_back(c->expression());
      }
    }
  }
  if (const Node* list = node.get("preferences")) {
    if (const auto* items = as_list(*list, "deploy.placement.preferences", diag)) {
      for (const auto& item : *items) {
        if (!expect_map(item, "deploy.placement.preferences", diag, false)) continue;
        check_keys(item, kPreferenceKeys, "deploy.placement.preferences.", diag);
        if (const Node* spread = item.get("spread"))
          if (auto d = as_string(*spread, "deploy.placement.preferences.spread", diag)) out.def.spec.spread.push_back(*d);
      }
    }
  }
  if (const Node* m = node.get("max_replicas_per_node")) {
    out.def.spec.max_replicas_per_node = as_count(*m, "deploy.placement.max_replicas_per_node", diag);
    out.feature(docker::Feature::MaxReplicas, m->where, "deploy.placement.max_replicas_per_node");
  }
}

void read_restart_policy(const Node& node, Diagnostics& diag, docker::ServiceSpec& spec) {
  if (!expect_map(node, "deploy.restart_policy", diag)) return;
  check_keys(node, kRestartKeys, "deploy.restart_policy.", diag);
  docker::RestartPolicy r;
  if (const Node* c = node.get("condition")) {
    auto cond = one_of(*c, "deploy.restart_policy.condition", {"none", "on-failure", "any"}, diag);
    if (cond) r.condition = docker::parse_restart_condition(*cond).value_or(docker::RestartCondition::Any);
  }
  if (const Node* d = node.get("delay")) r.delay = as_duration(*d, "deploy.restart_policy.delay", diag);
  if (const Node* m = node.get("max_attempts")) r.max_attempts = as_count(*m, "deploy.restart_policy.max_attempts", diag);
  if (const Node* w = node.get("window")) r.window = as_duration(*w, "deploy.restart_policy.window", diag);
  spec.restart = r;
}

// The v2 `restart:` key: no, always, unless-stopped, on-failure[:N]. docker stack deploy reads
// it too when there is no deploy.restart_policy, but takes "no" for the engine's default (restart
// on any exit); hcl takes it at its word (README: differences).
void read_restart(const Node& node, Diagnostics& diag, docker::ServiceSpec& spec) {
  auto r = as_string(node, "restart", diag);
  if (!r) return;
  auto policy = swarm::parse_restart_policy(*r);
  if (!policy) {
    diag.error(node.where, fmt::format("restart must be no, always, unless-stopped or on-failure[:N], not '{}'", *r));
    return;
  }
  docker::RestartPolicy p;
  p.condition = policy->condition;
  if (policy->max_attempts != std::uint64_t{0}) p.max_attempts = policy->max_attempts;  // 0: no limit, left out
  spec.restart = p;
}

void read_generic_resources(const Node& node, Diagnostics& diag, docker::Resources& res) {
  const std::string path = "deploy.resources.reservations.generic_resources";
  const auto* items = as_list(node, path, diag);
  if (!items) return;
  for (const auto& item : *items) {
    if (!expect_map(item, path, diag, false)) continue;
    check_keys(item, kGenericResourceKeys, path + ".", diag);
    const Node* d = item.get("discrete_resource_spec");
    if (!d || !expect_map(*d, path + ".discrete_resource_spec", diag, false)) continue;
    check_keys(*d, kDiscreteKeys, path + ".discrete_resource_spec.", diag);
    docker::GenericResource g;
    if (const Node* k = d->get("kind")) g.kind = as_string(*k, path + ".discrete_resource_spec.kind", diag).value_or("");
    if (const Node* v = d->get("value")) g.discrete = as_int(*v, path + ".discrete_resource_spec.value", diag);
    if (g.kind.empty() || !g.discrete)
      diag.error(d->where, fmt::format("{}.discrete_resource_spec needs a kind and a value", path));
    else
      res.generic.push_back(std::move(g));
  }
}

void read_resources(const Node& node, Diagnostics& diag, docker::Resources& res, ParsedService& out) {
  if (!expect_map(node, "deploy.resources", diag)) return;
  check_keys(node, kResourcesKeys, "deploy.resources.", diag);
  if (const Node* l = node.get("limits"); l && expect_map(*l, "deploy.resources.limits", diag)) {
    check_keys(*l, kLimitsKeys, "deploy.resources.limits.", diag);
    if (const Node* c = l->get("cpus")) res.cpu_limit_nano = as_nanocpus(*c, "deploy.resources.limits.cpus", diag);
    if (const Node* m = l->get("memory")) res.memory_limit_bytes = as_bytes(*m, "deploy.resources.limits.memory", diag);
    if (const Node* p = l->get("pids")) {
      res.pids_limit = as_int(*p, "deploy.resources.limits.pids", diag);
      out.feature(docker::Feature::PidsLimit, p->where, "deploy.resources.limits.pids");
    }
  }
  if (const Node* r = node.get("reservations"); r && expect_map(*r, "deploy.resources.reservations", diag)) {
    check_keys(*r, kReservationsKeys, "deploy.resources.reservations.", diag);
    if (const Node* c = r->get("cpus")) res.cpu_reservation_nano = as_nanocpus(*c, "deploy.resources.reservations.cpus", diag);
    if (const Node* m = r->get("memory"))
      res.memory_reservation_bytes = as_bytes(*m, "deploy.resources.reservations.memory", diag);
    if (const Node* g = r->get("generic_resources")) read_generic_resources(*g, diag, res);
  }
}

// update_config and rollback_config, with what the engine fills in for a key left out.
std::optional<docker::UpdateConfig> read_update(const Node& node, const std::string& key, Diagnostics& diag) {
  const std::string p = "deploy." + key + ".";
  if (!expect_map(node, "deploy." + key, diag)) return std::nullopt;
  check_keys(node, kUpdateKeys, p, diag);
  docker::UpdateConfig u;
  if (const Node* n = node.get("parallelism")) u.parallelism = as_count(*n, p + "parallelism", diag).value_or(1);
  if (const Node* n = node.get("delay")) u.delay = as_duration(*n, p + "delay", diag).value_or(docker::Duration(0));
  if (const Node* n = node.get("failure_action")) {
    auto action = key == "rollback_config" ? one_of(*n, p + "failure_action", {"continue", "pause"}, diag)
                                           : one_of(*n, p + "failure_action", {"continue", "rollback", "pause"}, diag);
    u.failure_action = action.value_or("pause");
  }
  if (const Node* n = node.get("monitor")) u.monitor = as_duration(*n, p + "monitor", diag).value_or(docker::Duration(0));
  if (const Node* n = node.get("max_failure_ratio")) u.max_failure_ratio = as_ratio(*n, p + "max_failure_ratio", diag).value_or(0);
  if (const Node* n = node.get("order"))
    u.order = one_of(*n, p + "order", {"stop-first", "start-first"}, diag).value_or("stop-first");
  return u;
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

void read_deploy(const Node& s, Context& ctx, ParsedService& out) {
  Diagnostics& diag = ctx.diag;
  docker::ServiceSpec& spec = out.def.spec;
  const Node* d = s.get("deploy");
  if (d && !expect_map(*d, "deploy", diag)) d = nullptr;
  static const Node kEmpty;
  const Node& deploy = d ? *d : kEmpty;
  if (d) check_keys(deploy, kDeployKeys, "deploy.", diag);

  if (const Node* m = deploy.get("mode")) read_mode(*m, diag, out);
  if (const Node* r = deploy.get("replicas")) {
    spec.replicas = as_count(*r, "deploy.replicas", diag).value_or(1);
    if (spec.mode == docker::ServiceMode::Global || spec.mode == docker::ServiceMode::GlobalJob)
      diag.error(r->where, "deploy.replicas can only be used with replicated or replicated-job mode");
  }
  if (spec.mode == docker::ServiceMode::Global || spec.mode == docker::ServiceMode::GlobalJob) spec.replicas = 0;
  if (const Node* p = deploy.get("placement")) read_placement(*p, diag, out);
  if (const Node* m = deploy.get("endpoint_mode"))
    spec.endpoint_mode = one_of(*m, "deploy.endpoint_mode", {"vip", "dnsrr"}, diag) == "dnsrr" ? docker::EndpointMode::Dnsrr
                                                                                             : docker::EndpointMode::Vip;
  if (const Node* r = deploy.get("restart_policy")) read_restart_policy(*r, diag, spec);
  if (const Node* u = deploy.get("update_config")) spec.update = read_update(*u, "update_config", diag);
  if (const Node* u = deploy.get("rollback_config")) spec.rollback = read_update(*u, "rollback_config", diag);
  if (const Node* l = deploy.get("labels")) spec.labels = as_labels(*l, "deploy.labels", diag).value_or(docker::Labels{});
  docker::Resources res;
  if (const Node* r = deploy.get("resources")) read_resources(*r, diag, res, out);

  if (const Entry* e = older_key(s, "scale", "deploy.replicas", deploy.get("replicas"), ctx))
    spec.replicas = as_count(e->value, "scale", diag).value_or(1);
  if (const Entry* e = older_key(s, "mem_limit", "deploy.resources.limits.memory", res.memory_limit_bytes.has_value(), ctx))
    res.memory_limit_bytes = as_bytes(e->value, "mem_limit", diag);
  if (const Entry* e = older_key(s, "mem_reservation", "deploy.resources.reservations.memory",
                                 res.memory_reservation_bytes.has_value(), ctx))
    res.memory_reservation_bytes = as_bytes(e->value, "mem_reservation", diag);
  if (const Entry* e = older_key(s, "cpus", "deploy.resources.limits.cpus", res.cpu_limit_nano.has_value(), ctx))
    res.cpu_limit_nano = as_nanocpus(e->value, "cpus", diag);
  if (const Entry* e = older_key(s, "pids_limit", "deploy.resources.limits.pids", res.pids_limit.has_value(), ctx)) {
    res.pids_limit = as_int(e->value, "pids_limit", diag);
    out.feature(docker::Feature::PidsLimit, e->where, "pids_limit");
  }
  if (res != docker::Resources{}) spec.resources = res;

  if (const Entry* r = s.entry("restart")) {
    if (deploy.get("restart_policy"))
      diag.warn(r->where, "key 'restart' is ignored: deploy.restart_policy says how to restart");
    else
      read_restart(r->value, diag, spec);
  }
}

}  // namespace hcl::manifest::detail
