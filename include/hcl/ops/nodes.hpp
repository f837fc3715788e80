// The cluster's nodes as one list: the Swarm view (roles, state, engine) merged with the Consul
// view (catalog membership and health checks, serfHealth included).
#pragma once

#include <hcl/consul.hpp>
#include <hcl/docker.hpp>
#include <hcl/error.hpp>

#include <optional>
#include <string>
#include <vector>

namespace hcl::ops {

struct ConsulView {
  std::string node;     // the Consul node name
  std::string address;
  consul::CheckStatus serf_health = consul::CheckStatus::Unknown;  // Unknown: no serfHealth check
  std::vector<consul::HealthCheck> checks;  // node-level checks (no ServiceID), serfHealth first
};

// Overall health of a node, judged from both views.
enum class NodeHealth {
  Healthy,   // swarm ready + active (or consul-only and passing), Consul passing
  Degraded,  // reachable but something is off: drained/paused, a warning check, missing on one side
  Down,      // swarm down/disconnected or serfHealth critical
};

struct ClusterNode {
  std::string name;
  std::optional<docker::SwarmNode> swarm;  // absent: known to Consul only
  std::optional<ConsulView> consul;        // absent: known to Swarm only, or Consul not asked/reachable
  NodeHealth health = NodeHealth::Down;
};

struct NodesReport {
  std::vector<ClusterNode> nodes;      // sorted: managers first, then by name
  std::optional<Error> consul_error;   // set when Consul could not be read: the answer is partial
  // Set when the swarm has no leader to list its nodes (too few managers up) but Consul answered:
  // the nodes are Consul's alone, and the answer is partial.
  std::optional<Error> swarm_error;
};

// Merges the two views. Nodes match by name (Swarm hostname == Consul node name), and, for the
// rest, by address. `consul_data` is nullopt when Consul could not be read.
std::vector<ClusterNode> merge_nodes(const std::vector<docker::SwarmNode>& swarm,
                                     const std::optional<consul::NodesAndChecks>& consul_data);

// Reads both sides at once (Swarm and Consul requests run concurrently) and merges them. Fails
// only when the Swarm side fails; a Consul failure yields a partial report.
Result<NodesReport> list_nodes(docker::Client& docker, consul::Client* consul);

std::string to_string(NodeHealth health);

}  // namespace hcl::ops
