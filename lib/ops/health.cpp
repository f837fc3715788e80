#include <hcl/ops/health.hpp>
#include <hcl/text.hpp>

#include <hcl/swarm/placement.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <map>
#include <set>

namespace hcl::ops {
namespace {


HealthCheckResult result(std::string id, Verdict v, std::string reason, std::vector<std::string> names = {}) {
  return {std::move(id), v, std::move(reason), std::move(names)};
}

}  // namespace

std::vector<HealthCheckResult> judge_health(const HealthInput& in, bool services) {
  std::vector<HealthCheckResult> out;
  bool have_nodes = in.nodes.ok();
  if (have_nodes)
    out.push_back(result("docker", Verdict::Pass, fmt::format("{} answers and is a swarm manager", in.docker_endpoint)));
  else
    out.push_back(result("docker", Verdict::Fail, in.nodes.error().message()));

  if (!in.leader.ok())
    out.push_back(result("consul-leader", Verdict::Fail, in.leader.error().message()));
  else if (in.leader->empty())
    out.push_back(result("consul-leader", Verdict::Fail, fmt::format("{} knows no leader", in.consul_endpoint)));
  else
    out.push_back(result("consul-leader", Verdict::Pass, fmt::format("leader {}", *in.leader)));

  if (have_nodes) {
    std::vector<std::string> bad;
    for (const auto& n : *in.nodes)
      if (!swarm::ready_and_active(n))
        bad.push_back(fmt::format("{} ({}, {})", n.hostname, docker::to_string(n.state), docker::to_string(n.availability)));
    if (bad.empty())
      out.push_back(result("swarm-nodes", Verdict::Pass, fmt::format("all {} nodes ready and active", in.nodes->size())));
    else
      out.push_back(result("swarm-nodes", Verdict::Fail, "not ready or not active: " + text::join(bad), bad));

    // Quorum: more than half of the managers reachable.
    std::size_t managers = 0, reachable = 0;
    for (const auto& n : *in.nodes) {
      if (n.role != docker::NodeRole::Manager) continue;
      ++managers;
      if (n.manager_reachability == "reachable") ++reachable;
    }
    if (managers == 0)
      out.push_back(result("quorum", Verdict::Fail, "no managers"));
    else if (reachable * 2 > managers)
      out.push_back(result("quorum", managers % 2 == 0 ? Verdict::Warn : Verdict::Pass,
                           fmt::format("{}/{} managers reachable{}", reachable, managers,
                                       managers % 2 == 0 ? " (an even number of managers tolerates no more failures than one less)" : "")));
    else
      out.push_back(result("quorum", Verdict::Fail, fmt::format("only {}/{} managers reachable: the swarm cannot change", reachable, managers)));
  }

  if (!in.consul.ok()) {
    out.push_back(result("serf-health", Verdict::Fail, in.consul.error().message()));
  } else {
    std::vector<std::string> failing, missing_check;
    std::set<std::string> consul_nodes;
    for (const auto& n : in.consul->nodes) {
      if (consul::is_external(n)) continue;  // services' stand-in nodes (hcl sync), not machines
      consul_nodes.insert(n.name);
      auto it = std::find_if(in.consul->checks.begin(), in.consul->checks.end(),
                             [&](const auto& c) { return c.node == n.name && c.check_id == "serfHealth"; });
      if (it == in.consul->checks.end()) missing_check.push_back(n.name);
      else if (it->status != consul::CheckStatus::Passing)
        failing.push_back(fmt::format("{} ({})", n.name, consul::to_string(it->status)));
    }
    if (!failing.empty())
      out.push_back(result("serf-health", Verdict::Fail, "serfHealth not passing: " + text::join(failing), failing));
    else if (!missing_check.empty())
      out.push_back(result("serf-health", Verdict::Warn, "no serfHealth check: " + text::join(missing_check), missing_check));
    else
      out.push_back(result("serf-health", Verdict::Pass, fmt::format("all {} Consul nodes alive", consul_nodes.size())));

    if (have_nodes) {
      // The lab's rule: the Swarm node count equals the alive Consul members, by name.
      std::set<std::string> swarm_nodes;
      for (const auto& n : *in.nodes) swarm_nodes.insert(n.hostname);
      std::vector<std::string> only_swarm, only_consul;
      for (const auto& n : swarm_nodes)
        if (!consul_nodes.count(n)) only_swarm.push_back(n);
      for (const auto& n : consul_nodes)
        if (!swarm_nodes.count(n)) only_consul.push_back(n);
      if (only_swarm.empty() && only_consul.empty()) {
        out.push_back(result("node-sets", Verdict::Pass, fmt::format("Swarm and Consul know the same {} nodes", swarm_nodes.size())));
      } else {
        std::string why;
        if (!only_swarm.empty()) why += "only in the swarm: " + text::join(only_swarm);
        if (!only_consul.empty()) why += std::string(why.empty() ? "" : "; ") + "only in Consul: " + text::join(only_consul);
        auto names = only_swarm;
        names.insert(names.end(), only_consul.begin(), only_consul.end());
        out.push_back(result("node-sets", Verdict::Fail, why, names));
      }
    }
  }

  if (services && in.state) {
    std::map<std::string, std::uint64_t> running;
    for (const auto& t : in.state->tasks)
      if (t.state == "running" && t.desired_state == "running") ++running[t.service_id];
    std::vector<std::string> short_of, failing_checks;
    for (const auto& s : in.state->services)
      if (running[s.id] != s.spec.replicas)
        short_of.push_back(fmt::format("{} ({}/{})", s.spec.name, running[s.id], s.spec.replicas));
    if (in.consul.ok())
      for (const auto& c : in.consul->checks)
        if (!c.service_name.empty() && c.status != consul::CheckStatus::Passing)
          failing_checks.push_back(fmt::format("{} on {} ({})", c.service_name, c.node, consul::to_string(c.status)));
    if (short_of.empty() && failing_checks.empty()) {
      out.push_back(result("services", Verdict::Pass,
                           fmt::format("all {} services run their replicas; their Consul checks pass", in.state->services.size())));
    } else {
      std::string why;
      if (!short_of.empty()) why += "replicas missing: " + text::join(short_of);
      if (!failing_checks.empty()) why += std::string(why.empty() ? "" : "; ") + "Consul checks failing: " + text::join(failing_checks);
      auto names = short_of;
      names.insert(names.end(), failing_checks.begin(), failing_checks.end());
      out.push_back(result("services", Verdict::Fail, why, names));
    }
  }
  return out;
}

std::vector<HealthCheckResult> check_health(docker::Client& docker, consul::Client& consul, bool services) {
  HealthInput in;
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
