// hcl rollback SERVICE...: back to the spec before the last update, as `docker service rollback`,
// but with --wait telling whether the rollback itself completed.
#include "commands.hpp"

#include <hcl/ops/project.hpp>
#include <hcl/ops/wait.hpp>

#include <fmt/format.h>


namespace hcl::cli {
namespace {

struct RollbackOptions {
  std::vector<std::string> services;
  std::string project;
  WaitFlags wait;
};

Status run_rollback(Context& ctx, const RollbackOptions& o) {
  auto wo = wait_options(ctx, o.wait);
  if (!wo) return wo.error();
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  auto targets = ops::rollback_services(**docker, o.services, o.project.empty() ? std::nullopt : std::optional(o.project));
  if (!targets) return targets.error();
  for (const auto& t : *targets) ctx.out(fmt::format("{} rolling back to its previous spec\n", t.name));
  if (!o.wait.waiting()) return ok();
  if (auto s = ops::wait_converged(**docker, *targets, *wo); !s) return s;
  for (const auto& t : *targets) ctx.out(fmt::format("{} rolled back\n", t.name));
  return ok();
}

}  // namespace

void setup_rollback(CLI::App* sub, Context& ctx) {
  auto o = std::make_shared<RollbackOptions>();
  sub->add_option("SERVICE", o->services, "Service (manifest or engine name)")->required();
  sub->add_option("-p,--project", o->project, "The project the services belong to")->type_name("PROJECT");
  sub->add_flag("--wait", o->wait.wait, "Wait until the rollback has completed and the replicas run");
  sub->add_option("--timeout", o->wait.timeout, "How long --wait may take")->capture_default_str();
  sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_rollback(ctx, *o); }; });
}

}  // namespace hcl::cli
