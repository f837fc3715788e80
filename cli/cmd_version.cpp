// hcl version: hcl's version and the servers'.
#include "commands.hpp"
#include "table.hpp"

#include <hcl/output.hpp>
#include <hcl/ops/version.hpp>

#include <fmt/format.h>

namespace hcl::cli {
namespace {

struct VersionOptions {
  Format format = Format::Table;
};

Status run_version(Context& ctx, const VersionOptions& o) {
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  auto consul = ctx.consul();
  if (!consul) return consul.error();
  auto r = ops::collect_versions(**docker, **consul);
  if (o.format == Format::Json) {
    ctx.out(output::version_json(r));
  } else {
    // Each side's API window (oldest–newest) and the version hcl's requests to the engine use.
    std::string s = fmt::format("hcl:     {} (API {}–{})\n", r.hcl, docker::kMinApiVersion, docker::kMaxApiVersion);
    if (r.engine)
      s += fmt::format("engine:  {} (API {}–{}, hcl uses {}; {}/{}) at {}\n", r.engine->version,
                       r.engine->min_api_version, r.engine->api_version,
                       r.api_version.empty() ? "none" : r.api_version, r.engine->os, r.engine->arch,
                       r.engine_endpoint);
    else
      s += fmt::format("engine:  unavailable at {}\n", r.engine_endpoint);
    if (r.consul)
      s += fmt::format("consul:  {} (node {}, datacenter {}) at {}\n", r.consul->version, r.consul->node_name,
                       r.consul->datacenter, r.consul_endpoint);
    else
      s += fmt::format("consul:  unavailable at {}\n", r.consul_endpoint);
    ctx.out(safe_text(s, true));  // versions and names as the servers gave them
  }
  // hcl's own version is always printed; an unreachable server makes the answer partial. An
  // engine hcl cannot speak to is the error every other command would meet.
  if (r.api_error) return *r.api_error;
  if (r.engine_error && r.consul_error) return *r.engine_error;
  if (r.engine_error) return Error{ErrorKind::Partial, "engine version", r.engine_error->message()};
  if (r.consul_error) return Error{ErrorKind::Partial, "Consul version", r.consul_error->message()};
  return ok();
}

}  // namespace

void setup_version(CLI::App* sub, Context& ctx) {
  auto o = std::make_shared<VersionOptions>();
  add_format_flags(sub, o->format, nullptr);
  sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_version(ctx, *o); }; });
}

}  // namespace hcl::cli
