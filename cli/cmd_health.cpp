// hcl health: one line per check, PASS/WARN/FAIL with the reason; exit 0 when nothing fails.
// With --watch: checks again on every change and prints only what changed.
#include "commands.hpp"
#include "table.hpp"

#include <hcl/ops/health.hpp>
#include <hcl/output.hpp>
#include <hcl/ops/watch.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <map>
#include <set>

namespace hcl::cli {
namespace {

struct HealthOptions {
  Listing list;
  bool services = false;
  bool watch = false;
  std::string interval = "5s";
};

int color(ops::Verdict v) { return v == ops::Verdict::Pass ? 32 : v == ops::Verdict::Warn ? 33 : 31; }

// Reasons are the diagnosis (endpoints, errors): never cut, --no-trunc or not.
std::string line(Context& ctx, const ops::HealthCheckResult& r) {
  return fmt::format("{}  {:<13} {}\n", ctx.paint(ops::to_string(r.verdict), color(r.verdict)), safe_text(r.id),
                     safe_text(r.reason));
}

// The managers hcl knows endpoints of (the configured ones, and those learnt from the swarm), each
// with clients of its own, for the quorum check to ask from here; none when hcl knows only the
// configured endpoint (nothing to go on through).
struct ManagerProbes {
  std::vector<std::unique_ptr<Context::EngineClient>> clients;
  std::vector<ops::ManagerEndpoints> managers;
};

Result<std::unique_ptr<ManagerProbes>> manager_probes(Context& ctx) {
  auto eps = ctx.docker_endpoints();
  if (!eps) return eps.error();
  auto out = std::make_unique<ManagerProbes>();
  if ((*eps)->size() < 2) return out;
  for (const auto& e : **eps) {
    std::string name = !e.name.empty() ? e.name : e.endpoint.host.empty() ? e.endpoint.display() : e.endpoint.host;
    auto it = std::find_if(out->managers.begin(), out->managers.end(), [&](const auto& m) { return m.name == name; });
    if (it == out->managers.end()) it = out->managers.insert(out->managers.end(), ops::ManagerEndpoints{name, {}});
    out->clients.push_back(ctx.engine_client(e.endpoint));
    it->endpoints.emplace_back(e.endpoint.display(), &out->clients.back()->client);
  }
  return out;
}

// Re-checks whenever the engine reports a node or service event or Consul's checks change (a
// blocking query), and at least every interval; prints the checks whose verdict or reason
// changed, all of them the first time.
Status watch_health(Context& ctx, docker::Client& docker, consul::Client& consul, const HealthOptions& o,
                    const std::vector<ops::ManagerEndpoints>& managers, http::Millis interval) {
  ops::ChangeWaiter waiter;
  auto engine = ctx.new_docker_transport();
  if (!engine) return engine.error();
  auto checks = ctx.new_consul_transport();
  if (!checks) return checks.error();
  waiter.follow_engine(std::move(*engine), {"node", "service"});
  waiter.follow_consul_checks(std::move(*checks), (*ctx.config())->consul_token);
  std::map<std::string, std::pair<ops::Verdict, std::string>> shown;
  auto look = [&]() -> Result<bool> {
    auto results = ops::check_health(docker, consul, o.services, managers);
    if (Context::interrupted) return false;
    bool healthy = ops::healthy(results);
    std::string time = now_rfc3339(), s;
    std::set<std::string> present;
    for (const auto& r : results) {
      present.insert(r.id);
      auto& seen = shown[r.id];
      if (seen.second == r.reason && seen.first == r.verdict && !seen.second.empty()) continue;
      seen = {r.verdict, r.reason};
      s += o.list.format == Format::Json ? output::health_change_json(time, r, healthy) : time + " " + line(ctx, r);
    }
    std::erase_if(shown, [&](const auto& e) { return !present.count(e.first); });
    ctx.out(s);
    std::fflush(stdout);
    return !s.empty();
  };
  ops::WatchPace pace;
  pace.interval = pace.busy_interval = interval;
  pace.report_follower_problems = false;  // a broken stream only makes the next check come from the interval
  return ops::watch_loop(waiter, pace, Context::interrupted, look, [&ctx](const std::string& w) { ctx.warn(w); });
}

Status run_health(Context& ctx, HealthOptions& o) {
  if (auto s = o.list.check(output::health_json({ops::HealthCheckResult{}}), "checks"); !s) return s;
  auto interval = config::parse_duration(o.interval, "--interval");
  if (!interval) return interval.error();
  if (*interval < http::Millis{100}) return Error{ErrorKind::Usage, "--interval", "at least 100ms"};
  if (o.watch && (o.list.quiet || o.list.format == Format::Template))
    return Error{ErrorKind::Usage, "--watch", "prints changes as table lines or JSON; not with -q or a template"};
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  auto consul = ctx.consul();
  if (!consul) return consul.error();
  auto probes = manager_probes(ctx);
  if (!probes) return probes.error();
  if (o.watch) return watch_health(ctx, **docker, **consul, o, (*probes)->managers, *interval);
  auto results = ops::check_health(**docker, **consul, o.services, (*probes)->managers);
  if (o.list.quiet) {
    std::string s;
    for (const auto& r : results)
      if (r.verdict != ops::Verdict::Pass) s += safe_text(r.id) + "\n";
    ctx.out(s);
  } else if (o.list.format == Format::Json) {
    ctx.out(output::health_json(results));
  } else if (o.list.format == Format::Template) {
    ctx.out(o.list.render(output::health_json(results), "checks"));
  } else {
    std::string s;
    for (const auto& r : results) s += line(ctx, r);
    ctx.out(s);
  }
  if (ops::healthy(results)) return ok();
  std::vector<std::string> failed;
  for (const auto& r : results)
    if (r.verdict == ops::Verdict::Fail) failed.push_back(r.id);
  return Error{ErrorKind::Failed, "the cluster is not healthy", "failing checks: " + text::join(failed)};
}

}  // namespace

void setup_health(CLI::App* sub, Context& ctx) {
  auto o = std::make_shared<HealthOptions>();
  sub->add_flag("--services", o->services, "Also check that every service runs its replicas and passes its Consul checks");
  sub->add_flag("-w,--watch", o->watch, "Keep checking (on engine events, Consul changes and every --interval); print changes only");
  sub->add_option("--interval", o->interval, "With --watch: check at least this often")->capture_default_str();
  add_listing_flags(sub, o->list, "Print only the ids of the checks that did not pass, one per line");
  sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_health(ctx, *o); }; });
}

}  // namespace hcl::cli
