// Placement constraints: the swarm-mode expressions (`node.hostname==master`,
// `node.labels.zone!=attic`), their short forms (`node==master`), and the classic Swarm form
// hidden in a container's environment (`constraint:node==master`), checked against the nodes
// before anything is created.
#pragma once

#include <hcl/docker.hpp>
#include <hcl/error.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace hcl::swarm {

struct Constraint {
  std::string key;    // node.id, node.hostname, node.role, node.platform.os, node.platform.arch,
                      // node.labels.K or engine.labels.K
  bool equal = true;  // == or !=
  std::string value;

  // The swarm-mode expression the engine is given: "node.hostname==master".
  std::string expression() const;
};

// Parses a swarm-mode expression or a short form (`node==X` means node.hostname). `source`
// names the flag or file position for messages.
Result<Constraint> parse_constraint(std::string_view text, const std::string& source);

// Takes classic Swarm entries (`constraint:KEY==VALUE`, `constraint:KEY!=VALUE`) out of an
// environment list and turns them into constraints: `node` is the node's hostname, any other key
// an engine label. Forms the engine cannot express (soft `==~`, regular expressions, globs,
// `affinity:`) are refused, never passed on. Other entries stay in `env`.
struct ClassicEnv {
  std::vector<std::string> env;
  std::vector<Constraint> constraints;
};
Result<ClassicEnv> split_classic_env(const std::vector<std::string>& env, const std::string& source);

bool satisfies(const docker::SwarmNode& node, const Constraint& c);

// A node the swarm can give new tasks to: ready and active (not paused or drained).
inline bool ready_and_active(const docker::SwarmNode& node) {
  return node.state == docker::NodeState::Ready && node.availability == docker::NodeAvailability::Active;
}

// Fails (ErrorKind::Usage) when no node satisfies all constraints together, naming the first
// constraint that rules out the last candidates and the nodes that were tried.
Status check_placeable(const std::vector<docker::SwarmNode>& nodes, const std::vector<Constraint>& constraints);

}  // namespace hcl::swarm
