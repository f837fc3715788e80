// hcl logs: a service's output, stdout and stderr kept apart.
#include "commands.hpp"

#include <cstdio>

namespace hcl::cli {
namespace {

struct LogsOptions {
  std::string name;
  bool follow = false;
  bool timestamps = false;
  std::optional<std::uint64_t> tail;
};

Status run_logs(Context& ctx, const LogsOptions& o) {
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  // Asking for the service first turns a wrong name into "no service named X", not an empty stream.
  if (auto s = (*docker)->service(o.name); !s) return s.error();
  docker::LogOptions opts{o.follow, o.timestamps, o.tail};
  docker::LogSink sink{[](std::string_view d) { std::fwrite(d.data(), 1, d.size(), stdout), std::fflush(stdout); },
                       [](std::string_view d) { std::fwrite(d.data(), 1, d.size(), stderr); }};
  auto r = (*docker)->service_logs(o.name, opts, sink);
  // Ctrl-C is how a follow ends: not an error.
  if (!r && r.error().kind == ErrorKind::Interrupted && o.follow) return ok();
  if (!r) return r.error();
  return ok();
}

}  // namespace

void setup_logs(CLI::App* sub, Context& ctx) {
  auto o = std::make_shared<LogsOptions>();
  sub->add_option("SERVICE", o->name, "Service name or ID")->required();
  sub->add_flag("-f,--follow", o->follow, "Keep following new output until Ctrl-C");
  sub->add_flag("-t,--timestamps", o->timestamps, "Prefix lines with their timestamps");
  sub->add_option("-n,--tail", o->tail, "Only the last N lines");
  sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_logs(ctx, *o); }; });
}

}  // namespace hcl::cli
