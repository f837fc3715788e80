// hcl health: one line per check, PASS/WARN/FAIL with the reason; exit 0 when nothing fails.
#include "commands.hpp"

#include <hcl/health.hpp>
#include <hcl/output.hpp>

#include <fmt/format.h>

namespace hcl::cli {
namespace {

struct HealthOptions {
  Format format = Format::Table;
  bool services = false;
};

int color(ops::Verdict v) { return v == ops::Verdict::Pass ? 32 : v == ops::Verdict::Warn ? 33 : 31; }

Status run_health(Context& ctx, const HealthOptions& o) {
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  auto consul = ctx.consul();
  if (!consul) return consul.error();
  auto results = ops::check_health(**docker, **consul, o.services);
  if (o.format == Format::Json) {
    ctx.out(output::health_json(results));
  } else {
    std::string s;
    for (const auto& r : results)
      s += fmt::format("{}  {:<13} {}\n", ctx.paint(ops::to_string(r.verdict), color(r.verdict)), r.id, r.reason);
    ctx.out(s);
  }
  if (ops::healthy(results)) return ok();
  std::vector<std::string> failed;
  for (const auto& r : results)
    if (r.verdict == ops::Verdict::Fail) failed.push_back(r.id);
  std::string list;
  for (const auto& f : failed) list += (list.empty() ? "" : ", ") + f;
  return Error{ErrorKind::Failed, "the cluster is not healthy", "failing checks: " + list};
}

}  // namespace

void setup_health(CLI::App* sub, Context& ctx) {
  auto o = std::make_shared<HealthOptions>();
  sub->add_flag("--services", o->services, "Also check that every service runs its replicas and passes its Consul checks");
  add_format_flags(sub, o->format, nullptr);
  sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_health(ctx, *o); }; });
}

}  // namespace hcl::cli
