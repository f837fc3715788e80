// A node's day-to-day life in the swarm: drain, pause or activate it, label it, promote or demote
// it, remove it. Every change is checked against the whole list first (names, and quorum for a
// manager that would leave) and only then sent, one update per node.
#pragma once

#include <hcl/docker.hpp>
#include <hcl/error.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace hcl::ops {

// The nodes named by hostname, ID or unique ID prefix, in the order named, each once. An unknown
// or ambiguous name is an error naming it (NotFound with the known hostnames; Usage when
// ambiguous), before anything is changed.
Result<std::vector<docker::SwarmNode>> pick_nodes(const std::vector<docker::SwarmNode>& all,
                                                  const std::vector<std::string>& names);

// Why the swarm would lose its quorum if the managers among `leaving` (IDs) stopped being
// managers: the managers that stay and are reachable must be more than half of those that stay.
// Empty when it would not, or when no manager leaves.
std::string quorum_loss(const std::vector<docker::SwarmNode>& all, const std::vector<std::string>& leaving);

// What to change on each node picked.
struct NodeChange {
  std::optional<docker::NodeAvailability> availability;
  std::optional<docker::NodeRole> role;
  std::map<std::string, std::string> add_labels;
  std::vector<std::string> remove_labels;
  bool force = false;  // demote (or remove) even when the quorum would be lost
};

// One line per node for the user: "node2: active -> drain", "node2: unchanged".
struct NodeOutcome {
  std::string node;     // its hostname
  std::string id;
  std::string change;   // empty: nothing to change
  std::optional<Error> error;
};

// Applies the change to each named node: all are checked first (names; a label to remove that a
// node lacks; quorum for demotions unless forced), then each changed node is updated once. A
// failure on one node does not stop the others; each is reported.
//
// A node's version moves not only when someone changes it: the swarm writes its own bookkeeping
// into the node too (its status; for seconds after a promotion or demotion, the role it has taken
// up and its new certificate). An update the swarm refuses as based on an old version ("update out
// of sequence") is therefore looked at again: if the node's spec (role, availability, labels, name)
// is still the one read, the change is made on the node as it is now and sent again, up to 5 times;
// if someone else changed the spec, it is a Conflict. Nothing was applied by the refused update, so
// none is ever sent twice.
//
// A manager that answers a write with Raft's DeadlineExceeded did not get it committed in time
// (a manager slow or missing): it may still be applied, later, or never. The node is then looked
// at until its version moves (applied: success; changed otherwise: a Conflict) for up to
// `unknown_patience`; if it has not moved, the update is sent once more at the same version, which
// the swarm refuses should the first be applied meanwhile: the change never lands on a newer spec.
// A version that moved with the spec as read means the update was not applied: it is made again
// on the node as it is now, as above.
Result<std::vector<NodeOutcome>> change_nodes(docker::Client& docker, const std::vector<std::string>& names,
                                              const NodeChange& change,
                                              std::chrono::milliseconds unknown_patience = std::chrono::seconds(10));

// Removes nodes: checked first (a manager must be demoted first; a node that is not down needs
// force, as the swarm says), then removed one by one.
Result<std::vector<NodeOutcome>> remove_nodes(docker::Client& docker, const std::vector<std::string>& names, bool force);

// Waits until no task on the node is running or about to (after a drain): polls the node's tasks.
// `progress` is told how many are left after each look. Fails (Failed) at the deadline.
Status wait_node_empty(docker::Client& docker, const NodeOutcome& node, std::chrono::milliseconds timeout,
                       const std::function<void(std::size_t left)>& progress = {});

// Waits until the node has taken up `role` (after a promotion or demotion): its spec says so at
// once, but it is a manager only once it is a reachable member of the managers' Raft, and a worker
// once it is a member no more. Polls the node list; `progress` is told the node's manager
// reachability after each look that finds it not there yet ("" while it is no member). Fails
// (Failed) at the deadline; a Conflict when someone set its role back meanwhile (it would never
// come); NotFound when it left.
Status wait_node_role(docker::Client& docker, const NodeOutcome& node, docker::NodeRole role,
                      std::chrono::milliseconds timeout,
                      const std::function<void(const std::string& reachability)>& progress = {});

}  // namespace hcl::ops
