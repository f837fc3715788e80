// hcl ps: what runs where, one row per task.
#include "commands.hpp"
#include "table.hpp"

#include <hcl/output.hpp>
#include <hcl/text.hpp>
#include <hcl/ops/tasks.hpp>

#include <fmt/format.h>

namespace hcl::cli {
namespace {

struct PsOptions {
  Listing list;
  bool all = false;
  std::string node;
  std::vector<std::string> services;
  std::string project;
};

int task_state_color(const std::string& s) {
  if (s == "running" || s == "complete") return 32;
  if (s == "failed" || s == "rejected" || s == "orphaned") return 31;
  return 33;
}

Status run_ps(Context& ctx, PsOptions& o) {
  if (auto s = o.list.check(output::tasks_json({ops::TaskRow{}})); !s) return s;
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  // Without --all only tasks meant to run are shown: the engine leaves out the others (it keeps
  // up to five ended ones per slot).
  auto state = (*docker)->cluster_state(o.all ? docker::TaskSelection::All : docker::TaskSelection::DesiredRunning);
  if (!state) return state.error();
  ops::TaskFilter filter{o.all, o.node.empty() ? std::nullopt : std::optional(o.node), o.services,
                         o.project.empty() ? std::nullopt : std::optional(o.project)};
  if (o.list.quiet || o.list.format != Format::Table) {
    auto rows = ops::task_rows(*state, filter);
    *state = docker::ClusterState{};  // let go of it before encoding: at 10,000 tasks it is some 10 MB
    if (o.list.quiet) {
      std::string s;
      for (const auto& r : rows) s += safe_text(r.name) + "\n";
      ctx.out(s);
    } else if (o.list.format == Format::Json) {
      ctx.out(output::tasks_json(rows));
    } else {
      ctx.out(o.list.render(output::tasks_json(rows)));
    }
    return ok();
  }
  // Each row is made as the table is written: at 10,000 tasks, holding them all (or their
  // cells) beside the cluster's state would be a quarter more memory.
  ops::TaskRows rows(*state, filter);
  auto row = [&](std::size_t i) {
    ops::TaskRow r = rows[i];
    std::string ports = text::join(r.ports, ",");
    int color = task_state_color(r.state);
    return std::vector<Cell>{std::move(r.name), std::move(r.image), std::move(r.node), std::move(r.desired_state),
                             Cell(std::move(r.state), color), ports.empty() ? "-" : ports,
                             r.exit_code ? std::to_string(*r.exit_code) : "-", o.list.cut(r.message, 60)};
  };
  write_rows(ctx, {"NAME", "IMAGE", "NODE", "DESIRED", "STATE", "PORTS", "EXIT", "MESSAGE"}, rows.size(), row);
  return ok();
}

}  // namespace

void setup_ps(CLI::App* sub, Context& ctx) {
  auto o = std::make_shared<PsOptions>();
  sub->add_option("SERVICE", o->services, "Only these services (engine names or manifest names)");
  sub->add_flag("-a,--all", o->all, "Also tasks that ended or are being shut down");
  sub->add_option("--node", o->node, "Only tasks on this node")->type_name("NODE");
  sub->add_option("-p,--project", o->project, "Only services of this project")->type_name("PROJECT");
  add_listing_flags(sub, o->list);
  sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_ps(ctx, *o); }; });
}

}  // namespace hcl::cli
