// hcl nodes: the cluster's nodes, merging the Swarm view with Consul's.
#include "commands.hpp"
#include "table.hpp"

#include <hcl/ops/nodes.hpp>
#include <hcl/output.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

namespace hcl::cli {
namespace {

struct NodesOptions {
  Listing list;
  bool no_consul = false;
};

int node_state_color(docker::NodeState s) { return s == docker::NodeState::Ready ? 32 : 31; }

int check_color(consul::CheckStatus s) {
  switch (s) {
    case consul::CheckStatus::Passing: return 32;
    case consul::CheckStatus::Warning: return 33;
    default: return 31;
  }
}

int health_color(ops::NodeHealth h) {
  return h == ops::NodeHealth::Healthy ? 32 : h == ops::NodeHealth::Degraded ? 33 : 31;
}

std::string render_table(const Context& ctx, const ops::NodesReport& report, const Listing& list) {
  Table t({"NAME", "ROLE", "STATE", "AVAILABILITY", "CONSUL", "ENGINE", "PLATFORM", "ADDRESS", "HEALTH", "NOTES"});
  for (const auto& n : report.nodes) {
    std::vector<Cell> row{n.name};
    std::vector<std::string> notes;
    if (n.swarm) {
      const auto& s = *n.swarm;
      row.emplace_back(s.leader ? "leader" : docker::to_string(s.role));
      row.emplace_back(docker::to_string(s.state), node_state_color(s.state));
      row.emplace_back(docker::to_string(s.availability));
      if (!s.message.empty() && s.state != docker::NodeState::Ready) notes.push_back(s.message);
    } else if (report.swarm_error) {
      row.insert(row.end(), {"?", "?", "?"});
    } else {
      row.insert(row.end(), {"-", "-", "-"});
      notes.emplace_back("not in the swarm");
    }
    if (n.consul) {
      auto serf = n.consul->serf_health;
      row.emplace_back(serf == consul::CheckStatus::Unknown ? "no serfHealth" : consul::to_string(serf), check_color(serf));
      for (const auto& c : n.consul->checks)
        if (c.status != consul::CheckStatus::Passing && c.check_id != "serfHealth")
          notes.push_back(fmt::format("check {} {}", c.check_id, consul::to_string(c.status)));
    } else if (report.consul_error) {
      row.emplace_back("?");
    } else {
      row.emplace_back("-");
      notes.emplace_back("not in Consul");
    }
    if (n.swarm) {
      row.emplace_back(n.swarm->engine_version);
      row.emplace_back(fmt::format("{}/{}", n.swarm->os, n.swarm->architecture));
      row.emplace_back(n.swarm->address);
    } else {
      row.insert(row.end(), {"-", "-", Cell(n.consul->address)});
    }
    row.emplace_back(ops::to_string(n.health), health_color(n.health));
    row.emplace_back(list.cut(text::join(notes, "; "), 80));
    t.add(std::move(row));
  }
  return t.render(ctx);
}

Status run_nodes(Context& ctx, NodesOptions& opts) {
  if (auto s = opts.list.check(output::nodes_json({ops::ClusterNode{}})); !s) return s;
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  consul::Client* consul = nullptr;
  if (!opts.no_consul) {
    auto c = ctx.consul();
    if (!c) return c.error();
    consul = *c;
  }
  auto report = ops::list_nodes(**docker, consul);
  if (!report) return report.error();

  if (opts.list.quiet) {
    std::string names;
    for (const auto& n : report->nodes) names += safe_text(n.name) + "\n";
    ctx.out(names);
  } else if (opts.list.format == Format::Json) {
    ctx.out(output::nodes_json(report->nodes));
  } else if (opts.list.format == Format::Template) {
    ctx.out(opts.list.render(output::nodes_json(report->nodes)));
  } else {
    ctx.out(render_table(ctx, *report, opts.list));
  }
  if (report->swarm_error)
    return Error{ErrorKind::Partial, "the swarm has no leader to list its nodes, Consul's view is shown alone",
                 report->swarm_error->message()};
  if (report->consul_error)
    return Error{ErrorKind::Partial, "Consul could not be read, the Swarm view is shown alone",
                 report->consul_error->message()};
  return ok();
}

}  // namespace

void setup_nodes(CLI::App* sub, Context& ctx) {
  auto opts = std::make_shared<NodesOptions>();
  add_listing_flags(sub, opts->list);
  sub->add_flag("--no-consul", opts->no_consul, "Show the Swarm view only, without asking Consul");
  sub->callback([&ctx, opts] { ctx.action = [&ctx, opts] { return run_nodes(ctx, *opts); }; });
}

}  // namespace hcl::cli
