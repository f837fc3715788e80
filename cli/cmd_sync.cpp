// hcl sync [-p PROJECT] [SERVICE...] [--watch]: registers the swarm's running tasks with Consul and
// removes the instances whose tasks are gone; with --watch, keeps doing so until interrupted.
#include "commands.hpp"
#include "table.hpp"

#include <hcl/output.hpp>
#include <hcl/ops/sync.hpp>
#include <hcl/ops/watch.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

namespace hcl::cli {
namespace {

struct SyncOptions {
  std::string project;
  std::vector<std::string> services;
  bool watch = false;
  std::string interval = "1s";
  Format format = Format::Table;
};

std::string instance_line(const consul::ServiceInstance& i) {
  auto task = i.meta.count("hcl-task") ? i.meta.at("hcl-task").substr(0, 12) : std::string("?");
  // Consul's text, shown escaped: the line also holds colours of hcl's own.
  return safe_text(fmt::format("{}  {}:{}  on {}  (task {})", i.name, i.address, i.port, i.node, task));
}

std::string task_of(const consul::ServiceInstance& i) { return i.meta.count("hcl-task") ? i.meta.at("hcl-task") : ""; }

// Prints the changes of one pass: as a summary (one pass) or as timestamped lines (watch).
void print_pass(Context& ctx, const ops::SyncResult& r, Format format, bool watching, bool summary) {
  if (format == Format::Json && !watching) return ctx.out(output::sync_json(r));
  std::string time = watching ? now_rfc3339() : "";
  std::string s;
  auto since = [&](const consul::ServiceInstance& i) {
    auto it = r.plan.task_since.find(task_of(i));
    return it == r.plan.task_since.end() ? std::string() : it->second;
  };
  for (const auto& i : r.plan.add)
    s += format == Format::Json ? output::sync_event_json(time, true, i, since(i))
                                : fmt::format("{}{} {}\n", watching ? time + " " : "", ctx.paint("+", 32), instance_line(i));
  for (const auto& i : r.plan.remove)
    s += format == Format::Json ? output::sync_event_json(time, false, i, since(i))
                                : fmt::format("{}{} {}\n", watching ? time + " " : "", ctx.paint("-", 31), instance_line(i));
  if (summary) {
    auto failed = [&](bool removing) {
      return std::count_if(r.failed.begin(), r.failed.end(), [&](const auto& f) { return f.removing == removing; });
    };
    s += fmt::format("registered {}, deregistered {}, unchanged {}\n", r.plan.add.size() - failed(false),
                     r.plan.remove.size() - failed(true), r.plan.unchanged);
  }
  ctx.out(s);
}

Status failures(const ops::SyncResult& r) {
  if (r.failed.empty()) return ok();
  std::vector<std::string> each;
  for (const auto& f : r.failed)
    each.push_back(fmt::format("{} {} on {}: {}", f.removing ? "deregistering" : "registering", f.instance.id,
                               f.instance.node, f.error.message()));
  return Error{ErrorKind::Partial, "Consul catalog", text::join(each, "; ")};
}

Status watch_sync(Context& ctx, docker::Client& docker, consul::Client& consul, const ops::SyncScope& scope,
                  const SyncOptions& o, http::Millis interval) {
  ops::ChangeWaiter waiter;
  auto engine = ctx.new_docker_transport();
  if (!engine) return engine.error();
  waiter.follow_engine(std::move(*engine), {"service", "node", "container"});
  bool failing = false;
  std::set<std::string> skipped_told;
  auto look = [&]() -> Result<bool> {
    auto r = ops::sync_once(docker, consul, scope);
    if (!r) {
      failing = true;
      return r.error();
    }
    if (failing) ctx.warn("in step again");
    failing = false;
    print_pass(ctx, *r, o.format, true, false);
    std::fflush(stdout);
    for (const auto& f : r->failed) ctx.warn(f.error.message() + "; retrying");
    for (const auto& s : r->plan.skipped)
      if (skipped_told.insert(s).second) ctx.warn("not registered with Consul: " + s);
    return !r->plan.add.empty() || !r->plan.remove.empty() || !r->failed.empty();
  };
  // After a change, tasks keep starting and stopping for a while: look more often then.
  ops::WatchPace pace;
  pace.interval = interval;
  pace.busy_interval = http::Millis{200};
  pace.busy_for = http::Millis{10000};
  pace.busy_at_start = true;
  pace.retry = http::Millis{500};
  pace.max_retry = http::Millis{10000};
  return ops::watch_loop(waiter, pace, Context::interrupted, look, [&ctx](const std::string& w) { ctx.warn(w); });
}

Status run_sync(Context& ctx, const SyncOptions& o) {
  auto interval = config::parse_duration(o.interval, "--interval");
  if (!interval) return interval.error();
  if (*interval < http::Millis{100}) return Error{ErrorKind::Usage, "--interval", "at least 100ms"};
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  auto consul = ctx.consul();
  if (!consul) return consul.error();
  ops::SyncScope scope;
  if (!o.project.empty()) scope.project = o.project;
  if (!o.services.empty()) {
    auto resolved = ops::resolve_services(**docker, o.services, scope.project);
    if (!resolved) return resolved.error();
    for (const auto& s : *resolved) scope.services.push_back(s.name);
  }
  if (o.watch) return watch_sync(ctx, **docker, **consul, scope, o, *interval);
  return consul_sync(ctx, scope, o.format, SyncPrint::Summary);
}

}  // namespace

Status consul_sync(Context& ctx, const ops::SyncScope& scope, Format format, SyncPrint print) {
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  auto consul = ctx.consul();
  if (!consul) return consul.error();
  auto r = ops::sync_once(**docker, **consul, scope);
  if (!r) return r.error();
  for (const auto& s : r->plan.skipped) ctx.warn("not registered with Consul: " + s);
  if (print != SyncPrint::Nothing) print_pass(ctx, *r, format, false, print == SyncPrint::Summary);
  return failures(*r);
}

void setup_sync(CLI::App* sub, Context& ctx) {
  auto o = std::make_shared<SyncOptions>();
  sub->add_option("SERVICE", o->services, "Only these services (manifest or engine names)");
  sub->add_option("-p,--project", o->project, "Only this project's services");
  sub->add_flag("-w,--watch", o->watch, "Keep Consul in step until interrupted (Ctrl-C)");
  sub->add_option("--interval", o->interval, "With --watch: how often to look when nothing happens")->capture_default_str();
  add_format_flags(sub, o->format, nullptr);
  sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_sync(ctx, *o); }; });
}

}  // namespace hcl::cli
