// hcl node ls|inspect|drain|activate|pause|promote|demote|label|rm: a node's life in the swarm.
#include "commands.hpp"
#include "table.hpp"

#include <hcl/config.hpp>
#include <hcl/ops/node.hpp>
#include <hcl/ops/nodes.hpp>
#include <hcl/output.hpp>
#include <hcl/swarm/labels.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

namespace hcl::cli {
namespace {

struct ChangeOptions {
  std::vector<std::string> names;
  ops::NodeChange change;
  std::vector<std::string> labels;  // label K=V...
  bool wait = false;                // drain: until its tasks have left; promote/demote: the role taken up
  std::string timeout = "2m";
};

struct RemoveOptions {
  std::vector<std::string> names;
  bool force = false;
};

struct InspectOptions {
  std::vector<std::string> names;
  Format format = Format::Table;
};

// Prints "NODE: what changed" (or "NODE: unchanged") per node; the failures make one error.
Status report_nodes(Context& ctx, const std::vector<ops::NodeOutcome>& outcomes, const char* doing) {
  std::vector<std::pair<std::string, Error>> failed;
  for (const auto& o : outcomes) {
    if (o.error) failed.emplace_back(o.node, *o.error);
    else ctx.out(safe_text(fmt::format("{}: {}", o.node, o.change.empty() ? "unchanged" : o.change)) + "\n");
  }
  if (failed.empty()) return ok();
  if (failed.size() == 1) return wrap(failed.front().second, fmt::format("{} {}", doing, failed.front().first));
  return batch_error(failed, outcomes.size(), doing, "nodes");
}

Status run_change(Context& ctx, ChangeOptions& o, const char* doing) {
  for (const auto& l : o.labels) {
    auto kv = swarm::parse_label(l, "label");
    if (!kv) return kv.error();
    o.change.add_labels[kv->first] = kv->second;
  }
  std::optional<http::Millis> timeout;
  if (o.wait) {
    auto t = config::parse_duration(o.timeout, "--timeout");
    if (!t) return t.error();
    timeout = *t;
  }
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  auto outcomes = ops::change_nodes(**docker, o.names, o.change);
  if (!outcomes) return outcomes.error();
  if (auto s = report_nodes(ctx, *outcomes, doing); !s) return s;
  if (!timeout) return ok();
  // The nodes change_nodes read and changed: no second read of the list.
  for (const auto& n : *outcomes) {
    if (o.change.role) {
      bool manager = *o.change.role == docker::NodeRole::Manager;
      std::optional<std::string> last;
      auto s = ops::wait_node_role(**docker, n, *o.change.role, *timeout, [&](const std::string& reach) {
        if (reach != last)
          ctx.warn(fmt::format("{}: {}", n.node,
                               reach.empty() ? "not yet a member of the managers"
                               : manager     ? "a member of the managers, reachability " + reach + " so far"
                                             : "still a member of the managers (" + reach + ")"));
        last = reach;
      });
      if (!s) return s;
      ctx.out(safe_text(n.node) + (manager ? ": a reachable manager\n" : ": no longer a manager\n"));
      continue;
    }
    std::size_t last = SIZE_MAX;
    auto s = ops::wait_node_empty(**docker, n, *timeout, [&](std::size_t left) {
      if (left != last && left > 0) ctx.warn(fmt::format("{}: {} task{} still on it", n.node, left, left == 1 ? "" : "s"));
      last = left;
    });
    if (!s) return s;
    ctx.out(safe_text(n.node) + ": no tasks left\n");
  }
  return ok();
}

Status run_remove(Context& ctx, const RemoveOptions& o) {
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  auto outcomes = ops::remove_nodes(**docker, o.names, o.force);
  if (!outcomes) return outcomes.error();
  return report_nodes(ctx, *outcomes, "removing");
}

Status run_inspect(Context& ctx, const InspectOptions& o) {
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  auto consul = ctx.consul();
  auto nodes = ops::list_nodes(**docker, consul ? *consul : nullptr);
  if (!nodes) return nodes.error();
  std::vector<docker::SwarmNode> swarm;
  for (const auto& n : nodes->nodes)
    if (n.swarm) swarm.push_back(*n.swarm);
  auto picked = ops::pick_nodes(swarm, o.names);
  if (!picked) return picked.error();
  std::vector<ops::ClusterNode> shown;
  for (const auto& p : *picked)
    for (const auto& n : nodes->nodes)
      if (n.swarm && n.swarm->id == p.id) shown.push_back(n);
  if (o.format == Format::Json) {
    ctx.out(output::nodes_json(shown));
  } else {
    std::string s;
    for (const auto& n : shown) {
      const auto& w = *n.swarm;
      s += fmt::format("Name:          {}\nID:            {}\nRole:          {}{}\nState:         {}{}\n"
                       "Availability:  {}\nAddress:       {}\nEngine:        {} ({}/{})\nHealth:        {}\n",
                       w.hostname, w.id, docker::to_string(w.role), w.leader ? " (leader)" : "", docker::to_string(w.state),
                       w.message.empty() ? "" : " (" + w.message + ")", docker::to_string(w.availability), w.address,
                       w.engine_version, w.os, w.architecture, ops::to_string(n.health));
      if (w.role == docker::NodeRole::Manager)
        s += fmt::format("Manager:       {} at {}\n", w.manager_reachability, w.manager_address);
      for (const auto& [k, v] : w.labels) s += fmt::format("Label:         {}={}\n", k, v);
      if (n.consul) s += fmt::format("Consul:        {} ({})\n", consul::to_string(n.consul->serf_health), n.consul->node);
      s += "\n";
    }
    if (!s.empty()) s.pop_back();
    ctx.out(safe_text(s, true));  // every field is the engine's or Consul's
  }
  if (nodes->consul_error) {
    ctx.warn(fmt::format("Consul not read: {}", nodes->consul_error->message()));
    return Error{ErrorKind::Partial, "hcl node inspect", "Consul's view is missing"};
  }
  return ok();
}

// One subcommand that changes nodes: NODE... and its action, on options `o`.
CLI::App* change_command(CLI::App* node, Context& ctx, const char* name, const char* help, const char* doing,
                         std::shared_ptr<ChangeOptions> o) {
  auto* sub = node->add_subcommand(name, help);
  sub->add_option("NODE", o->names, "Node hostnames or IDs")->required();
  sub->callback([&ctx, o, doing] { ctx.action = [&ctx, o, doing] { return run_change(ctx, *o, doing); }; });
  return sub;
}

// --wait (what it waits for: `help`) and its --timeout, which means nothing without it.
void add_wait_flags(CLI::App* sub, ChangeOptions& o, const char* help) {
  auto* wait = sub->add_flag("--wait", o.wait, help);
  sub->add_option("--timeout", o.timeout, "How long --wait may take")->capture_default_str()->needs(wait);
}

std::shared_ptr<ChangeOptions> availability(docker::NodeAvailability a) {
  auto o = std::make_shared<ChangeOptions>();
  o->change.availability = a;
  return o;
}

std::shared_ptr<ChangeOptions> role(docker::NodeRole r) {
  auto o = std::make_shared<ChangeOptions>();
  o->change.role = r;
  return o;
}

}  // namespace

void setup_node(CLI::App* node, Context& ctx) {
  node->require_subcommand(1);
  auto* ls = node->add_subcommand("ls", "List the nodes (the same as hcl nodes)");
  ls->alias("list");
  setup_nodes(ls, ctx);

  auto i = std::make_shared<InspectOptions>();
  auto* inspect = node->add_subcommand("inspect", "Show nodes in detail: Swarm and Consul");
  inspect->add_option("NODE", i->names, "Node hostnames or IDs")->required();
  add_format_flags(inspect, i->format, nullptr);
  inspect->callback([&ctx, i] { ctx.action = [&ctx, i] { return run_inspect(ctx, *i); }; });

  using docker::NodeAvailability;
  using docker::NodeRole;
  auto d = availability(NodeAvailability::Drain);
  auto* drain = change_command(node, ctx, "drain", "Move every task off the nodes and schedule none there (maintenance)",
                               "draining", d);
  add_wait_flags(drain, *d, "Wait until no task runs on the nodes any more");
  change_command(node, ctx, "activate", "Let the nodes take tasks again (running tasks do not move back by themselves)",
                 "activating", availability(NodeAvailability::Active));
  change_command(node, ctx, "pause", "Schedule no new tasks on the nodes; their running tasks stay", "pausing",
                 availability(NodeAvailability::Pause));
  auto m = role(NodeRole::Manager);
  auto* promote = change_command(node, ctx, "promote", "Make the nodes managers", "promoting", m);
  add_wait_flags(promote, *m, "Wait until each is a reachable manager (has joined the managers' Raft)");
  auto w = role(NodeRole::Worker);
  auto* demote = change_command(node, ctx, "demote", "Make managers workers (refused when the swarm would lose its quorum)",
                                "demoting", w);
  demote->add_flag("--force", w->change.force, "Demote even when the remaining managers would be too few");
  add_wait_flags(demote, *w, "Wait until each has left the managers' Raft");

  auto l = std::make_shared<ChangeOptions>();
  auto* label = node->add_subcommand("label", "Set or remove node labels (for node.labels.K constraints)");
  l->names.resize(1);
  label->add_option("NODE", l->names[0], "Node hostname or ID")->required();
  label->add_option("LABEL", l->labels, "KEY=VALUE to set");
  label->add_option("--rm", l->change.remove_labels, "KEY to remove (repeatable)");
  label->callback([&ctx, l] {
    ctx.action = [&ctx, l]() -> Status {
      if (l->labels.empty() && l->change.remove_labels.empty())
        return Error{ErrorKind::Usage, "hcl node label", "give KEY=VALUE labels to set or --rm KEY"};
      return run_change(ctx, *l, "labelling");
    };
  });

  auto r = std::make_shared<RemoveOptions>();
  auto* rm = node->add_subcommand("rm", "Remove nodes from the swarm (down ones; --force for the others)");
  rm->alias("remove");
  rm->add_option("NODE", r->names, "Node hostnames or IDs")->required();
  rm->add_flag("--force", r->force, "Also remove a node that is not down (its tasks move elsewhere)");
  rm->callback([&ctx, r] { ctx.action = [&ctx, r] { return run_remove(ctx, *r); }; });
}

}  // namespace hcl::cli
