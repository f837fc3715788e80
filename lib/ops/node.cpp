// Node lifecycle: see include/hcl/ops/node.hpp.
#include <hcl/ops/node.hpp>

#include <hcl/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <thread>

namespace hcl::ops {
namespace {

using docker::NodeAvailability;
using docker::NodeRole;
using docker::SwarmNode;

std::string known_names(const std::vector<SwarmNode>& all) {
  std::vector<std::string> names;
  for (const auto& n : all) names.push_back(n.hostname);
  std::sort(names.begin(), names.end());
  return text::join(names);
}

// What would change on a node, in words ("active -> drain, +label zone=a"), and the node as it
// would be; empty words: nothing.
std::string apply(SwarmNode& n, const NodeChange& c) {
  std::vector<std::string> words;
  if (c.availability && *c.availability != n.availability) {
    words.push_back(fmt::format("{} -> {}", docker::to_string(n.availability), docker::to_string(*c.availability)));
    n.availability = *c.availability;
  }
  if (c.role && *c.role != n.role) {
    words.push_back(fmt::format("{} -> {}", docker::to_string(n.role), docker::to_string(*c.role)));
    n.role = *c.role;
  }
  for (const auto& [k, v] : c.add_labels) {
    auto it = n.labels.find(k);
    if (it != n.labels.end() && it->second == v) continue;
    words.push_back(fmt::format("label {}={}", k, v));
    n.labels[k] = v;
  }
  for (const auto& k : c.remove_labels)
    if (n.labels.erase(k) > 0) words.push_back(fmt::format("label {} removed", k));
  return text::join(words, ", ");
}

// "rpc error: code = DeadlineExceeded ...": Raft did not commit the write before the manager's
// deadline; its outcome is unknown.
bool raft_deadline(const Error& e) {
  return e.kind == ErrorKind::Server && e.why.find("code = DeadlineExceeded") != std::string::npos;
}

bool same_spec(const SwarmNode& a, const SwarmNode& b) {
  return a.role == b.role && a.availability == b.availability && a.labels == b.labels && a.spec_name == b.spec_name;
}

// The node as the swarm has it now; nullopt when it is no longer in the swarm.
Result<std::optional<SwarmNode>> look(docker::Client& docker, const std::string& id) {
  auto all = docker.nodes();
  if (!all) return all.error();
  for (auto& n : *all)
    if (n.id == id) return std::optional<SwarmNode>(std::move(n));
  return std::optional<SwarmNode>();
}

// What became of an update sent at `wanted.version`, `base` with the change applied, the node
// having moved past that version: `done` when it has the change (ok) or someone else changed
// its spec meanwhile (a Conflict); otherwise the spec is still `base`'s and the update was not
// applied: the version moved for the swarm's own bookkeeping, which a demotion or promotion keeps
// doing for seconds (the role taken up, a new certificate), and `now` is what to send it on.
struct Sent {
  std::optional<Status> done;
  SwarmNode now;
};

Sent moved(SwarmNode now, const SwarmNode& base, const SwarmNode& wanted) {
  if (same_spec(now, wanted)) return {ok(), {}};
  if (same_spec(now, base)) return {std::nullopt, std::move(now)};
  return {Error{ErrorKind::Conflict, wanted.hostname,
                "changed by someone else while this change was on its way: look at it (hcl node inspect) and try "
                "again"},
          {}};
}

// The node looked at again: what became of the update (moved()) when its version moved past
// `wanted`'s; nullopt when it has not moved or cannot be read (the caller looks again).
std::optional<Sent> if_moved(docker::Client& docker, const SwarmNode& base, const SwarmNode& wanted) {
  auto now = look(docker, wanted.id);
  if (!now || !*now || (*now)->version == wanted.version) return std::nullopt;
  return moved(std::move(**now), base, wanted);
}

// One update at `wanted.version`, and when its outcome is unknown (see change_nodes), finding it out.
Sent send(docker::Client& docker, const SwarmNode& base, const SwarmNode& wanted, std::chrono::milliseconds patience) {
  auto first = docker.update_node(wanted);
  if (first) return {ok(), {}};
  if (docker::out_of_sequence(first.error())) {
    if (auto m = if_moved(docker, base, wanted)) return std::move(*m);
    return {first, {}};
  }
  if (!raft_deadline(first.error())) return {first, {}};
  auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    if (auto m = if_moved(docker, base, wanted)) return std::move(*m);
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= decltype(left)::zero()) break;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(500), left));
  }
  auto again = docker.update_node(wanted);  // same version: never applied on top of a newer spec
  if (again) return {ok(), {}};
  if (auto m = if_moved(docker, base, wanted)) return std::move(*m);
  Error e = again.error();
  if (raft_deadline(e))
    e.why += fmt::format("; sent twice {} s apart, the managers committed it neither time, so it may still be "
                         "applied later: look with hcl node ls; a manager down or slow? (hcl health)",
                         std::chrono::duration_cast<std::chrono::seconds>(patience).count());
  return {e, {}};
}

// How many times a change is based on a node whose version moved under it before hcl gives up.
constexpr int kRebases = 5;

// The change made on `base`, the node as read; made again on the node as it is now while only the
// swarm's own bookkeeping moves its version (see moved()), up to kRebases times.
Status update_settled(docker::Client& docker, SwarmNode base, const NodeChange& change, std::chrono::milliseconds patience) {
  for (int rebased = 0;; ++rebased) {
    SwarmNode wanted = base;
    if (apply(wanted, change).empty()) return ok();  // there already
    auto sent = send(docker, base, wanted, patience);
    if (sent.done) return *sent.done;
    if (rebased == kRebases)
      return Error{ErrorKind::Conflict, base.hostname,
                   fmt::format("the swarm kept changing it ({} times) while this change was on its way: try again "
                               "in a few seconds",
                               kRebases + 1)};
    base = std::move(sent.now);
  }
}

}  // namespace

Result<std::vector<SwarmNode>> pick_nodes(const std::vector<SwarmNode>& all, const std::vector<std::string>& names) {
  std::vector<SwarmNode> out;
  std::set<std::string> seen;
  for (const auto& name : names) {
    const SwarmNode* found = nullptr;
    for (const auto& n : all)
      if (n.hostname == name || n.id == name) found = &n;
    if (found == nullptr) {
      std::vector<const SwarmNode*> prefixed;
      for (const auto& n : all)
        if (!name.empty() && n.id.starts_with(name)) prefixed.push_back(&n);
      if (prefixed.size() > 1)
        return Error{ErrorKind::Usage, name, fmt::format("the ID prefix '{}' names {} nodes: give more of it", name, prefixed.size())};
      if (prefixed.size() == 1) found = prefixed.front();
    }
    if (found == nullptr)
      return Error{ErrorKind::NotFound, name, fmt::format("no node '{}' in the swarm (nodes: {})", text::escape_controls(name), known_names(all))};
    if (seen.insert(found->id).second) out.push_back(*found);
  }
  return out;
}

std::string quorum_loss(const std::vector<SwarmNode>& all, const std::vector<std::string>& leaving) {
  std::size_t managers = 0, reachable = 0, leaving_managers = 0;
  std::vector<std::string> down;
  for (const auto& n : all) {
    if (n.role != NodeRole::Manager) continue;
    if (std::find(leaving.begin(), leaving.end(), n.id) != leaving.end()) {
      ++leaving_managers;
      continue;
    }
    ++managers;
    if (n.manager_reachability == "reachable") ++reachable;
    else down.push_back(n.hostname);
  }
  if (leaving_managers == 0) return {};
  if (managers == 0) return "it would leave the swarm without a manager";
  if (reachable * 2 > managers) return {};
  return fmt::format("it would leave {} manager{} of which {} reachable{}: fewer than a majority, so the swarm could "
                     "not decide anything any more",
                     managers, managers == 1 ? "" : "s", reachable,
                     down.empty() ? "" : " (unreachable: " + text::join(down) + ")");
}

Result<std::vector<NodeOutcome>> change_nodes(docker::Client& docker, const std::vector<std::string>& names,
                                              const NodeChange& change, std::chrono::milliseconds unknown_patience) {
  auto all = docker.nodes();
  if (!all) return all.error();
  auto picked = pick_nodes(*all, names);
  if (!picked) return picked.error();
  for (const auto& k : change.remove_labels)
    for (const auto& n : *picked)
      if (!n.labels.contains(k) && !change.add_labels.contains(k))
        return Error{ErrorKind::Usage, n.hostname, fmt::format("has no label '{}' to remove", k)};
  if (change.role == NodeRole::Worker && !change.force) {
    std::vector<std::string> leaving;
    for (const auto& n : *picked) leaving.push_back(n.id);
    if (auto why = quorum_loss(*all, leaving); !why.empty())
      return Error{ErrorKind::Conflict, "demoting " + text::join(names),
                   why + "; promote another node first, or give --force if that is what you want"};
  }
  std::vector<NodeOutcome> out;
  for (const auto& n : *picked) {
    auto wanted = n;
    NodeOutcome o{n.hostname, n.id, apply(wanted, change), std::nullopt};
    if (!o.change.empty())
      if (auto s = update_settled(docker, n, change, unknown_patience); !s) o.error = s.error();
    out.push_back(std::move(o));
  }
  return out;
}

Result<std::vector<NodeOutcome>> remove_nodes(docker::Client& docker, const std::vector<std::string>& names, bool force) {
  auto all = docker.nodes();
  if (!all) return all.error();
  auto picked = pick_nodes(*all, names);
  if (!picked) return picked.error();
  for (const auto& n : *picked) {
    if (n.role == NodeRole::Manager)
      return Error{ErrorKind::Conflict, n.hostname,
                   "is a manager: demote it first (hcl node demote), so that the swarm keeps its quorum"};
    if (!force && n.state != docker::NodeState::Down)
      return Error{ErrorKind::Conflict, n.hostname,
                   fmt::format("is {}, not down: stop its engine or make it leave the swarm first, or give --force "
                               "(its tasks are then rescheduled elsewhere)",
                               docker::to_string(n.state))};
  }
  std::vector<NodeOutcome> out;
  for (const auto& n : *picked) {
    NodeOutcome o{n.hostname, n.id, "removed", std::nullopt};
    if (auto s = docker.remove_node(n.id, force); !s) o.error = s.error();
    out.push_back(std::move(o));
  }
  return out;
}

Status wait_node_empty(docker::Client& docker, const NodeOutcome& node, std::chrono::milliseconds timeout,
                       const std::function<void(std::size_t left)>& progress) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto tasks = docker.node_tasks(node.id);
    if (!tasks) return tasks.error();
    std::size_t left = 0;
    for (const auto& t : *tasks)
      if (!docker::is_terminal(t.state) || t.desired_state == "running") ++left;
    if (progress) progress(left);
    if (left == 0) return ok();
    if (std::chrono::steady_clock::now() >= deadline)
      return Error{ErrorKind::Failed, node.node,
                   fmt::format("{} task{} still on it after the timeout", left, left == 1 ? "" : "s")};
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

Status wait_node_role(docker::Client& docker, const NodeOutcome& node, NodeRole role, std::chrono::milliseconds timeout,
                      const std::function<void(const std::string& reachability)>& progress) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto now = look(docker, node.id);
    if (!now) return now.error();
    if (!*now) return Error{ErrorKind::NotFound, node.node, "it left the swarm while hcl waited"};
    const SwarmNode& n = **now;
    const std::string& reach = n.manager_reachability;  // "" while not a member of the managers
    if (role == NodeRole::Manager ? reach == "reachable" : reach.empty()) return ok();
    if (progress) progress(reach);
    if (n.role != role)
      return Error{ErrorKind::Conflict, node.node,
                   fmt::format("its role was set back to {} meanwhile (by someone else)", docker::to_string(n.role))};
    if (std::chrono::steady_clock::now() >= deadline) {
      if (role == NodeRole::Worker)
        return Error{ErrorKind::Failed, node.node, "still a member of the managers after the timeout"};
      return Error{ErrorKind::Failed, node.node,
                   fmt::format("not a reachable manager after the timeout ({}; node state {})",
                               reach.empty() ? "not yet a member of the managers" : "reachability " + reach,
                               docker::to_string(n.state))};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace hcl::ops
