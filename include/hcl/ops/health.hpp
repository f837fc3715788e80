// Cluster health, judged as the cluster lab's `health` script did and more: the engine is a
// swarm manager, Consul has a leader, every node is ready/active in the swarm and alive in
// Consul, both sides know the same nodes, managers have quorum; optionally every service runs
// its replicas and passes its Consul checks.
#pragma once

#include <hcl/consul.hpp>
#include <hcl/docker.hpp>
#include <hcl/error.hpp>

#include <optional>
#include <string>
#include <vector>

namespace hcl::ops {

enum class Verdict { Pass, Warn, Fail };

struct HealthCheckResult {
  std::string id;      // stable: "docker", "consul-leader", "swarm-nodes", "serf-health", "node-sets", "quorum", "services"
  Verdict verdict = Verdict::Pass;
  std::string reason;  // one line for people
  std::vector<std::string> names;  // the nodes or services the reason is about
};

// A manager of the swarm as seen from this machine: whether an engine endpoint of it that hcl
// knows answers, that is whether hcl could go on through it when the configured engine does not.
struct ManagerReach {
  std::string name;      // the manager's host name (as hcl's state file has it), or the configured endpoint
  std::string endpoint;  // the endpoint that answered, else the first that did not
  std::string error;     // why none answered; empty when one did
};

// The endpoints hcl knows for one manager, each with a client of its own.
struct ManagerEndpoints {
  std::string name;
  std::vector<std::pair<std::string, docker::Client*>> endpoints;  // (display, client)
};

// Asks every endpoint at once (GET /_ping); a manager answers when one of its endpoints does.
std::vector<ManagerReach> probe_managers(const std::vector<ManagerEndpoints>& managers);

// What the checks are judged from; a side that could not be read carries its error.
struct HealthInput {
  Result<std::vector<docker::SwarmNode>> nodes = std::vector<docker::SwarmNode>{};
  std::optional<docker::ClusterState> state;  // with services and tasks, for --services
  Result<std::string> leader = std::string();
  Result<consul::NodesAndChecks> consul = consul::NodesAndChecks{};
  std::string docker_endpoint, consul_endpoint;
  std::vector<ManagerReach> from_here;  // the managers hcl knows endpoints of (none: not asked)
};

// Judges the input; pure, so tests can feed it any cluster.
std::vector<HealthCheckResult> judge_health(const HealthInput& in, bool services);

// Reads both sides (at once) and judges them; with `managers`, also asks each of them (quorum
// then says which answer from here).
std::vector<HealthCheckResult> check_health(docker::Client& docker, consul::Client& consul, bool services,
                                            const std::vector<ManagerEndpoints>& managers = {});

bool healthy(const std::vector<HealthCheckResult>& results);  // no Fail
std::string to_string(Verdict v);

}  // namespace hcl::ops
