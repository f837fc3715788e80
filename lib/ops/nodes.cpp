#include <hcl/ops/nodes.hpp>

#include <algorithm>
#include <future>
#include <map>
#include <string_view>
#include <unordered_map>

namespace hcl::ops {
namespace {

// The node checks of each node, in Consul's order (service checks left out).
using ChecksByNode = std::unordered_map<std::string_view, std::vector<const consul::HealthCheck*>>;

ConsulView consul_view(const consul::CatalogNode& node, const ChecksByNode& checks) {
  ConsulView v{node.name, node.address, consul::CheckStatus::Unknown, {}};
  auto it = checks.find(node.name);
  if (it == checks.end()) return v;
  for (const auto* c : it->second) {
    if (c->check_id == "serfHealth") {
      v.serf_health = c->status;
      v.checks.insert(v.checks.begin(), *c);
    } else {
      v.checks.push_back(*c);
    }
  }
  return v;
}

NodeHealth judge(const ClusterNode& n, bool consul_known) {
  bool down = false, degraded = false;
  if (n.swarm) {
    if (n.swarm->state != docker::NodeState::Ready) down = true;
    if (n.swarm->availability != docker::NodeAvailability::Active) degraded = true;
  } else {
    degraded = true;  // in Consul but not in the swarm
  }
  if (n.consul) {
    if (n.consul->serf_health == consul::CheckStatus::Critical) down = true;
    if (n.consul->serf_health != consul::CheckStatus::Passing) degraded = true;
    for (const auto& c : n.consul->checks)
      if (c.status != consul::CheckStatus::Passing) degraded = true;
  } else if (consul_known) {
    degraded = true;  // in the swarm but Consul does not know it
  }
  return down ? NodeHealth::Down : degraded ? NodeHealth::Degraded : NodeHealth::Healthy;
}

}  // namespace

std::vector<ClusterNode> merge_nodes(const std::vector<docker::SwarmNode>& swarm,
                                     const std::optional<consul::NodesAndChecks>& consul_data) {
  std::vector<ClusterNode> out;
  for (const auto& s : swarm) out.push_back({s.hostname, s, std::nullopt, NodeHealth::Down});

  if (consul_data) {
    // Indexes instead of searches: at 1,000 nodes, matching each Consul node and its checks by
    // scanning the lists was a million comparisons.
    ChecksByNode checks;
    for (const auto& c : consul_data->checks)
      if (c.service_id.empty()) checks[c.node].push_back(&c);
    std::unordered_map<std::string_view, size_t> by_name, by_address;
    for (size_t i = 0; i < out.size(); ++i) {
      by_name.emplace(out[i].name, i);  // the first of equal names, as the scan found
      if (!out[i].swarm->address.empty()) by_address.emplace(out[i].swarm->address, i);
    }
    std::vector<bool> matched(out.size(), false);
    std::vector<const consul::CatalogNode*> rest;
    for (const auto& c : consul_data->nodes) {
      if (consul::is_external(c)) continue;  // services' stand-in nodes (hcl sync), not machines
      auto it = by_name.find(c.name);
      if (it != by_name.end() && !matched[it->second]) {
        out[it->second].consul = consul_view(c, checks);
        matched[it->second] = true;
      } else {
        rest.push_back(&c);
      }
    }
    // A Consul node registered under another name than the engine's hostname still matches by
    // its address.
    std::vector<ClusterNode> consul_only;
    for (const auto* c : rest) {
      auto it = c->address.empty() ? by_address.end() : by_address.find(c->address);
      if (it != by_address.end() && !matched[it->second]) {
        out[it->second].consul = consul_view(*c, checks);
        matched[it->second] = true;
      } else {
        consul_only.push_back({c->name, std::nullopt, consul_view(*c, checks), NodeHealth::Down});
      }
    }
    for (auto& n : consul_only) out.push_back(std::move(n));
  }
  for (auto& n : out) n.health = judge(n, consul_data.has_value());

  std::stable_sort(out.begin(), out.end(), [](const ClusterNode& a, const ClusterNode& b) {
    auto rank = [](const ClusterNode& n) {
      if (!n.swarm) return 2;
      return n.swarm->role == docker::NodeRole::Manager ? 0 : 1;
    };
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    return a.name < b.name;
  });
  return out;
}

Result<NodesReport> list_nodes(docker::Client& docker, consul::Client* consul) {
  // Each client has its own transport, so the two sides can run on two threads at once.
  std::future<Result<consul::NodesAndChecks>> consul_side;
  if (consul) consul_side = std::async(std::launch::async, [consul] { return consul->nodes_and_checks(); });
  auto swarm = docker.nodes();

  NodesReport report;
  std::optional<consul::NodesAndChecks> consul_data;
  if (consul) {
    auto c = consul_side.get();
    if (c) {
      consul_data = std::move(*c);
    } else {
      report.consul_error = c.error();
    }
  }
  if (!swarm) {
    if (!consul_data || swarm.error().why.find("does not have a leader") == std::string::npos) return swarm.error();
    report.swarm_error = swarm.error();
    report.nodes = merge_nodes({}, consul_data);
    return report;
  }
  report.nodes = merge_nodes(*swarm, consul_data);
  return report;
}

std::string to_string(NodeHealth health) {
  switch (health) {
    case NodeHealth::Healthy: return "healthy";
    case NodeHealth::Degraded: return "degraded";
    case NodeHealth::Down: return "down";
  }
  return "down";
}

}  // namespace hcl::ops
