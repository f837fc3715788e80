// hcl ls: the projects deployed on the cluster.
#include "commands.hpp"
#include "table.hpp"

#include <hcl/ops/project.hpp>
#include <hcl/output.hpp>

#include <fmt/format.h>

namespace hcl::cli {
namespace {

struct LsOptions {
  Listing list;
};

Status run_ls(Context& ctx, LsOptions& o) {
  if (auto s = o.list.check(output::projects_json({ops::ProjectSummary{}})); !s) return s;
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  auto projects = ops::list_projects(**docker);
  if (!projects) return projects.error();
  if (o.list.quiet) {
    std::string s;
    for (const auto& p : *projects) s += safe_text(p.name) + "\n";
    ctx.out(s);
  } else if (o.list.format == Format::Json) {
    ctx.out(output::projects_json(*projects));
  } else if (o.list.format == Format::Template) {
    ctx.out(o.list.render(output::projects_json(*projects)));
  } else {
    Table t({"PROJECT", "SERVICES", "RUNNING", "NETWORKS"});
    for (const auto& p : *projects)
      t.add({p.name, std::to_string(p.services), Cell(fmt::format("{}/{}", p.running, p.desired), p.running == p.desired ? 32 : 33),
             std::to_string(p.networks)});
    ctx.out(t.render(ctx));
  }
  return ok();
}

}  // namespace

void setup_ls(CLI::App* sub, Context& ctx) {
  auto o = std::make_shared<LsOptions>();
  add_listing_flags(sub, o->list);
  sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_ls(ctx, *o); }; });
}

}  // namespace hcl::cli
