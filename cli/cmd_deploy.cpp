// hcl deploy: a compose manifest onto the swarm, as a plan shown, applied, and waited for.
#include "commands.hpp"

#include <hcl/ops/apply.hpp>
#include <hcl/ops/plan.hpp>
#include <hcl/ops/wait.hpp>
#include <hcl/manifest.hpp>
#include <hcl/output.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

#include <cstdio>

namespace hcl::cli {
namespace {

struct DeployOptions {
  std::string file;
  std::string project;
  std::string env_file;
  bool dry_run = false;
  bool prune = false;
  WaitFlags wait;
  Format format = Format::Table;
};

std::string render_plan(const ops::Plan& plan) {
  std::string s;
  for (const auto& n : plan.networks)
    s += fmt::format("network {}: {}\n", n.name, ops::to_string(n.change));
  for (const auto& f : plan.files)
    s += fmt::format("{} {}: {}{}\n", docker::to_string(f.kind), f.name, ops::to_string(f.change),
                     f.change == ops::Change::Remove ? " (an older version, once no service uses it)" : "");
  for (const auto& c : plan.services) {
    s += fmt::format("service {}: {}", c.name, ops::to_string(c.change));
    if (c.change == ops::Change::Create && c.spec->mode == docker::ServiceMode::Replicated)
      s += fmt::format(" ({} replica{})", c.spec->replicas, c.spec->replicas == 1 ? "" : "s");
    else if (c.change == ops::Change::Create)
      s += fmt::format(" ({})", docker::to_string(c.spec->mode));
    if (c.change == ops::Change::Update) {
      s += " (" + text::join(c.fields) + ")";
    }
    s += "\n";
  }
  return s;
}

void progress_line(const std::string& line) { fmt::print(stderr, "hcl: {}\n", line); }

Status run_deploy(Context& ctx, const DeployOptions& o) {
  manifest::LoadOptions lo;
  if (!o.project.empty()) lo.project = o.project;
  if (!o.env_file.empty()) lo.env_file = o.env_file;
  auto wo = wait_options(ctx, o.wait);
  if (!wo) return wo.error();
  // The whole manifest is read and checked before anything on the cluster changes. Meanwhile the
  // engine's host name is looked up, and with the project named on the command line the plan's
  // first read is already under way.
  ctx.prepare_docker();
  if (!o.project.empty())
    if (auto docker = ctx.docker()) ops::begin_plan(**docker, o.project, o.prune);
  auto project = manifest::load(o.file, lo);
  if (!project) return project.error();
  for (const auto& w : project->warnings) ctx.warn(fmt::format("{}: {}", w.where.str(), w.message));

  auto docker = ctx.docker();
  if (!docker) return docker.error();
  auto plan = ops::plan_deploy(**docker, *project, o.prune);
  if (!plan) return plan.error();

  if (o.format == Format::Json) ctx.out(output::plan_json(*plan));
  else ctx.out(render_plan(*plan));
  std::fflush(stdout);  // the plan first, then the progress lines on stderr
  if (o.dry_run) {
    // Like `kubectl diff`: 0 no changes, 1 changes.
    ctx.exit_code = plan->has_changes() ? 1 : 0;
    return ok();
  }
  if (!plan->has_changes()) {
    if (o.format == Format::Table) ctx.out(fmt::format("project {}: no changes\n", plan->project));
  } else {
    if (auto s = ops::apply_plan(**docker, *plan, {progress_line}); !s) return s;
  }
  if (!o.wait.waiting()) return ok();

  auto targets = ops::wait_targets(*plan);
  if (auto s = ops::wait_converged(**docker, targets, *wo); !s) return s;
  if (o.format == Format::Table) ctx.out(fmt::format("project {}: every service runs its replicas\n", plan->project));
  if (!o.wait.register_consul) return ok();
  ops::SyncScope scope;
  scope.project = plan->project;
  return consul_sync(ctx, scope, o.format, o.format == Format::Json ? SyncPrint::Nothing : SyncPrint::Changes);
}

}  // namespace

void setup_deploy(CLI::App* sub, Context& ctx) {
  auto o = std::make_shared<DeployOptions>();
  sub->add_option("FILE", o->file, "The manifest")->required();
  sub->add_option("-p,--project", o->project, "Project name (default: the manifest's name: or its directory)")->type_name("PROJECT");
  sub->add_option("--env-file", o->env_file, "Variables for ${VAR} (default: .env beside the manifest)")->type_name("FILE");
  sub->add_flag("--dry-run", o->dry_run, "Print the plan and change nothing; exit 0 if no changes, 1 if changes");
  sub->add_flag("--prune", o->prune, "Remove the project's services (and networks) that the manifest no longer has");
  add_wait_flags(sub, o->wait, "Wait until every service runs its replicas",
                 "Then register the project's running tasks with Consul, as `hcl sync -p PROJECT` (implies --wait)");
  add_format_flags(sub, o->format, nullptr);
  sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_deploy(ctx, *o); }; });
}

}  // namespace hcl::cli
