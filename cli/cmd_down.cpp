// hcl down: remove a project's services and the networks, secrets and configs it created.
#include "commands.hpp"
#include "table.hpp"

#include <hcl/ops/project.hpp>
#include <hcl/manifest.hpp>

#include <fmt/format.h>

namespace hcl::cli {
namespace {

struct DownOptions {
  std::string project;
  std::string file;
  std::string timeout = "30s";
  bool keep_consul = false;
};

Status run_down(Context& ctx, const DownOptions& o) {
  std::string project = o.project;
  if (project.empty()) {
    if (o.file.empty()) return Error{ErrorKind::Usage, "hcl down", "name the project with -p PROJECT or give its manifest"};
    auto p = manifest::load(o.file);
    if (!p) return p.error();
    project = p->name;
  }
  auto timeout = config::parse_duration(o.timeout, "--timeout");
  if (!timeout) return timeout.error();
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  ops::WaitOptions wo;
  wo.timeout = *timeout;
  auto report = ops::down_project(**docker, project, wo);
  if (!report) return report.error();
  std::string s;
  for (const auto& n : report->services) s += "removed service " + n + "\n";
  for (const auto& n : report->networks) s += "removed network " + n + "\n";
  for (const auto& n : report->secrets) s += "removed secret " + n + "\n";
  for (const auto& n : report->configs) s += "removed config " + n + "\n";
  if (s.empty()) s = fmt::format("project {}: nothing to remove\n", project);
  ctx.out(safe_text(s, true));  // the names are the engine's
  if (o.keep_consul) return ok();
  // The project's Consul registrations (`hcl sync`, `deploy --register`) go with it.
  ops::SyncScope scope;
  scope.project = project;
  scope.remove_all = true;
  if (auto c = consul_sync(ctx, scope, Format::Table, SyncPrint::Changes); !c)
    ctx.warn(fmt::format("the project's Consul registrations may remain: {}; run `hcl sync -p {}` once Consul answers",
                         c.error().message(), project));
  return ok();
}

}  // namespace

void setup_down(CLI::App* sub, Context& ctx) {
  auto o = std::make_shared<DownOptions>();
  sub->add_option("-p,--project", o->project, "Project name")->type_name("PROJECT");
  sub->add_option("FILE", o->file, "The project's manifest (for its name)");
  sub->add_option("--timeout", o->timeout, "How long to wait for networks to be free")->capture_default_str();
  sub->add_flag("--keep-consul", o->keep_consul, "Leave the project's Consul registrations (made by hcl sync) alone");
  sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_down(ctx, *o); }; });
}

}  // namespace hcl::cli
