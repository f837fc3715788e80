// hcl scale SERVICE=N...: the argument form of `docker-compose scale`.
#include "commands.hpp"

#include <hcl/ops/project.hpp>
#include <hcl/ops/wait.hpp>

#include <fmt/format.h>

#include <cstdio>

namespace hcl::cli {
namespace {

struct ScaleOptions {
  std::vector<std::string> specs;
  std::string project;
  WaitFlags wait;
  std::string stable_for = "0s";
};

// Every argument is checked, and every service found, before anything is scaled; then each
// service is scaled even if another fails, and every failure is named (exit status: the first
// failure's). With failures, there is no wait: the command is to be run again.
Status run_scale(Context& ctx, const ScaleOptions& o) {
  std::vector<ops::ScaleRequest> requests;
  for (const auto& s : o.specs) {
    auto r = ops::parse_scale(s);
    if (!r) return r.error();
    requests.push_back(*r);
  }
  auto wo = wait_options(ctx, o.wait);
  if (!wo) return wo.error();
  if (o.stable_for != "0s" && o.stable_for != "0") {
    auto d = config::parse_duration(o.stable_for, "--stable-for");
    if (!d) return d.error();
    wo->stable_for = *d;
  }
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  std::vector<std::string> names;
  for (const auto& r : requests) names.push_back(r.service);
  auto resolved = ops::resolve_services(**docker, names, o.project.empty() ? std::nullopt : std::optional(o.project));
  if (!resolved) return resolved.error();

  auto report = ops::scale_services(**docker, *resolved, requests);
  for (const auto& t : report.scaled) ctx.out(fmt::format("{} scaled to {}\n", t.name, t.replicas));
  if (auto s = report.status(); !s) return s;
  if (!o.wait.waiting()) return ok();
  if (auto s = ops::wait_converged(**docker, report.scaled, *wo); !s) return s;
  if (!o.wait.register_consul) return ok();
  ops::SyncScope scope;
  for (const auto& t : report.scaled) scope.services.push_back(t.name);
  return consul_sync(ctx, scope, Format::Table, SyncPrint::Changes);
}

}  // namespace

void setup_scale(CLI::App* sub, Context& ctx) {
  auto o = std::make_shared<ScaleOptions>();
  sub->add_option("SERVICE=N", o->specs, "Service (manifest or engine name) and replicas")->required();
  sub->add_option("-p,--project", o->project, "The project the services belong to")->type_name("PROJECT");
  add_wait_flags(sub, o->wait, "Wait until the replicas run",
                 "Then bring the services' Consul registrations in step, as `hcl sync SERVICE` (implies --wait)");
  sub->add_option("--stable-for", o->stable_for, "With --wait: stay converged this long before returning");
  sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_scale(ctx, *o); }; });
}

}  // namespace hcl::cli
