#include <hcl/ops/health.hpp>
#include <hcl/text.hpp>

#include <hcl/swarm/placement.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <iterator>
#include <map>
#include <set>

namespace hcl::ops {
namespace {

HealthCheckResult result(std::string id, Verdict v, std::string reason, std::vector<std::string> names = {}) {
  return {std::move(id), v, std::move(reason), std::move(names)};
}

// A failure with two kinds of culprits: "A: x, y; B: z", every culprit named.
HealthCheckResult fail_with_two_lists(std::string id, std::string_view first_label, const std::vector<std::string>& first,
                                      std::string_view second_label, const std::vector<std::string>& second) {
  std::string why;
  if (!first.empty()) why += fmt::format("{}: {}", first_label, text::join(first));
  if (!second.empty()) why += fmt::format("{}{}: {}", why.empty() ? "" : "; ", second_label, text::join(second));
  auto names = first;
  names.insert(names.end(), second.begin(), second.end());
  return result(std::move(id), Verdict::Fail, std::move(why), std::move(names));
}

HealthCheckResult check_docker(const HealthInput& in) {
  if (!in.nodes.ok()) return result("docker", Verdict::Fail, in.nodes.error().message());
  return result("docker", Verdict::Pass, fmt::format("{} answers and is a swarm manager", in.docker_endpoint));
}

HealthCheckResult check_consul_leader(const HealthInput& in) {
  if (!in.leader.ok()) return result("consul-leader", Verdict::Fail, in.leader.error().message());
  if (in.leader->empty()) return result("consul-leader", Verdict::Fail, fmt::format("{} knows no leader", in.consul_endpoint));
  return result("consul-leader", Verdict::Pass, fmt::format("leader {}", *in.leader));
}

HealthCheckResult check_swarm_nodes(const std::vector<docker::SwarmNode>& nodes) {
  std::vector<std::string> bad;
  for (const auto& n : nodes)
    if (!swarm::ready_and_active(n))
      bad.push_back(fmt::format("{} ({}, {})", n.hostname, docker::to_string(n.state), docker::to_string(n.availability)));
  if (bad.empty()) return result("swarm-nodes", Verdict::Pass, fmt::format("all {} nodes ready and active", nodes.size()));
  return result("swarm-nodes", Verdict::Fail, "not ready or not active: " + text::join(bad), bad);
}

// Quorum: more than half of the managers reachable. With the managers asked from here, which
// answer: one that does not is a warning, as hcl could not go on through it.
HealthCheckResult with_reach(HealthCheckResult r, const std::vector<ManagerReach>& from_here) {
  if (from_here.empty()) return r;
  std::vector<std::string> answer, silent;
  for (const auto& m : from_here) {
    if (m.error.empty()) {
      answer.push_back(m.name);
    } else {
      silent.push_back(fmt::format("{} ({}: {})", m.name, m.endpoint, m.error));
      r.names.push_back(m.name);
    }
  }
  r.reason += "; from here " + (answer.empty() ? std::string("no manager answers") : text::join(answer) + " answer");
  if (!silent.empty()) {
    r.reason += fmt::format(", not {}: hcl cannot go on through {}", text::join(silent, ", "), silent.size() == 1 ? "it" : "them");
    if (r.verdict == Verdict::Pass) r.verdict = Verdict::Warn;
  }
  return r;
}

HealthCheckResult check_quorum(const std::vector<docker::SwarmNode>& nodes) {
  std::size_t managers = 0, reachable = 0;
  for (const auto& n : nodes) {
    if (n.role != docker::NodeRole::Manager) continue;
    ++managers;
    if (n.manager_reachability == "reachable") ++reachable;
  }
  if (managers == 0) return result("quorum", Verdict::Fail, "no managers");
  if (reachable * 2 <= managers)
    return result("quorum", Verdict::Fail, fmt::format("only {}/{} managers reachable: the swarm cannot change", reachable, managers));
  bool even = managers % 2 == 0;
  return result("quorum", even ? Verdict::Warn : Verdict::Pass,
                fmt::format("{}/{} managers reachable{}", reachable, managers,
                            even ? " (an even number of managers tolerates no more failures than one less)" : ""));
}

// The machines Consul knows: its nodes without the services' stand-in nodes of hcl sync.
std::set<std::string> consul_machines(const consul::NodesAndChecks& consul) {
  std::set<std::string> names;
  for (const auto& n : consul.nodes)
    if (!consul::is_external(n)) names.insert(n.name);
  return names;
}

HealthCheckResult check_serf_health(const consul::NodesAndChecks& consul, const std::set<std::string>& machines) {
  std::vector<std::string> failing, missing_check;
  for (const auto& n : consul.nodes) {
    if (consul::is_external(n)) continue;
    const auto& name = n.name;
    auto it = std::find_if(consul.checks.begin(), consul.checks.end(),
                           [&](const auto& c) { return c.node == name && c.check_id == "serfHealth"; });
    if (it == consul.checks.end()) missing_check.push_back(name);
    else if (it->status != consul::CheckStatus::Passing)
      failing.push_back(fmt::format("{} ({})", name, consul::to_string(it->status)));
  }
  if (!failing.empty()) return result("serf-health", Verdict::Fail, "serfHealth not passing: " + text::join(failing), failing);
  if (!missing_check.empty())
    return result("serf-health", Verdict::Warn, "no serfHealth check: " + text::join(missing_check), missing_check);
  return result("serf-health", Verdict::Pass, fmt::format("all {} Consul nodes alive", machines.size()));
}

// The lab's rule: the Swarm node count equals the alive Consul members, by name.
HealthCheckResult check_node_sets(const std::vector<docker::SwarmNode>& nodes, const std::set<std::string>& consul_nodes) {
  std::set<std::string> swarm_nodes;
  for (const auto& n : nodes) swarm_nodes.insert(n.hostname);
  std::vector<std::string> only_swarm, only_consul;
  std::set_difference(swarm_nodes.begin(), swarm_nodes.end(), consul_nodes.begin(), consul_nodes.end(), std::back_inserter(only_swarm));
  std::set_difference(consul_nodes.begin(), consul_nodes.end(), swarm_nodes.begin(), swarm_nodes.end(), std::back_inserter(only_consul));
  if (only_swarm.empty() && only_consul.empty())
    return result("node-sets", Verdict::Pass, fmt::format("Swarm and Consul know the same {} nodes", swarm_nodes.size()));
  return fail_with_two_lists("node-sets", "only in the swarm", only_swarm, "only in Consul", only_consul);
}

HealthCheckResult check_services(const docker::ClusterState& state, const Result<consul::NodesAndChecks>& consul) {
  std::map<std::string, std::uint64_t> running;
  for (const auto& t : state.tasks)
    if (t.state == "running" && t.desired_state == "running") ++running[t.service_id];
  std::vector<std::string> short_of, failing_checks;
  for (const auto& s : state.services)
    if (running[s.id] != s.spec.replicas)
      short_of.push_back(fmt::format("{} ({}/{})", s.spec.name, running[s.id], s.spec.replicas));
  if (consul.ok())
    for (const auto& c : consul->checks)
      if (!c.service_name.empty() && c.status != consul::CheckStatus::Passing)
        failing_checks.push_back(fmt::format("{} on {} ({})", c.service_name, c.node, consul::to_string(c.status)));
  if (short_of.empty() && failing_checks.empty())
    return result("services", Verdict::Pass,
                  fmt::format("all {} services run their replicas; their Consul checks pass", state.services.size()));
  return fail_with_two_lists("services", "replicas missing", short_of, "Consul checks failing", failing_checks);
}

}  // namespace

// The checks in the order they are printed; a side that could not be read fails its own check
// and leaves out those that need it.
std::vector<HealthCheckResult> judge_health(const HealthInput& in, bool services) {
  std::vector<HealthCheckResult> out;
  out.push_back(check_docker(in));
  out.push_back(check_consul_leader(in));
  if (in.nodes.ok()) {
    out.push_back(check_swarm_nodes(*in.nodes));
    out.push_back(with_reach(check_quorum(*in.nodes), in.from_here));
  }
  if (!in.consul.ok()) {
    out.push_back(result("serf-health", Verdict::Fail, in.consul.error().message()));
  } else {
    auto machines = consul_machines(*in.consul);
    out.push_back(check_serf_health(*in.consul, machines));
    if (in.nodes.ok()) out.push_back(check_node_sets(*in.nodes, machines));
  }
  if (services && in.state) out.push_back(check_services(*in.state, in.consul));
  return out;
}

std::vector<ManagerReach> probe_managers(const std::vector<ManagerEndpoints>& managers) {
  std::vector<std::vector<std::future<Result<std::string>>>> asked;
  for (const auto& m : managers) {
    auto& each = asked.emplace_back();
    for (const auto& [display, client] : m.endpoints)
      each.push_back(std::async(std::launch::async, [c = client] { return c->api_version(); }));
  }
  std::vector<ManagerReach> out;
  for (std::size_t i = 0; i < managers.size(); ++i) {
    ManagerReach r{managers[i].name, "", "no endpoint known"};
    for (std::size_t j = 0; j < asked[i].size(); ++j) {
      auto v = asked[i][j].get();
      if (v && !r.error.empty()) r = {managers[i].name, managers[i].endpoints[j].first, ""};
      else if (!v && r.endpoint.empty()) r = {managers[i].name, managers[i].endpoints[j].first, v.error().why};
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<HealthCheckResult> check_health(docker::Client& docker, consul::Client& consul, bool services,
                                            const std::vector<ManagerEndpoints>& managers) {
  HealthInput in;
  std::future<std::vector<ManagerReach>> reach;
  if (!managers.empty()) reach = std::async(std::launch::async, [&managers] { return probe_managers(managers); });
  in.docker_endpoint = docker.endpoint();
  in.consul_endpoint = consul.endpoint();
  auto consul_side = std::async(std::launch::async, [&consul] {
    return std::pair{consul.leader(), consul.nodes_and_checks()};
  });
  if (services) {
    auto state = docker.cluster_state();
    if (state) {
      in.nodes = state->nodes;
      in.state = std::move(*state);
    } else {
      in.nodes = state.error();
    }
  } else {
    in.nodes = docker.nodes();
  }
  auto [leader, nodes] = consul_side.get();
  in.leader = std::move(leader);
  in.consul = std::move(nodes);
  if (reach.valid()) in.from_here = reach.get();
  return judge_health(in, services);
}

bool healthy(const std::vector<HealthCheckResult>& results) {
  return std::none_of(results.begin(), results.end(), [](const auto& r) { return r.verdict == Verdict::Fail; });
}

std::string to_string(Verdict v) {
  switch (v) {
    case Verdict::Pass: return "PASS";
    case Verdict::Warn: return "WARN";
    case Verdict::Fail: return "FAIL";
  }
  return "FAIL";
}

}  // namespace hcl::ops
