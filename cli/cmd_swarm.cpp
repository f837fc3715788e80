// hcl swarm init|join|leave: forming the swarm from one place, over each engine's own API.
#include "commands.hpp"
#include "table.hpp"

#include <hcl/config.hpp>
#include <hcl/ops/membership.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

#include <memory>

namespace hcl::cli {
namespace {

struct SwarmOptions {
  std::vector<std::string> engines;
  std::string advertise;  // --advertise-addr: one engine only
  bool manager = false;   // join --manager
  bool force = false;     // leave --force
  // init: the overlay networks' address pools, each one's prefix length, the heartbeat period.
  std::vector<std::string> pools;
  std::uint32_t pool_mask = 0;
  std::string heartbeat;
};

// The address an engine advertises to the swarm: its host's own address as this machine resolves
// it (an IPv4 one first), so that every node reaches it the way hcl does; "" for a local socket or
// a loopback name, where the engine picks.
std::string advertise_address(const http::Endpoint& e) {
  if (e.kind == http::Endpoint::Kind::Unix) return "";
  auto all = http::numeric_addresses(e.host);
  std::string v6;
  for (const auto& a : all) {
    if (a.starts_with("127.") || a == "::1") return "";
    if (a.find(':') == std::string::npos) return a;
    if (v6.empty()) v6 = a;
  }
  return v6;
}

// The engines named (ENGINE as DOCKER_HOST takes it: "node1" is tcp://node1:2375), each with the
// configured engine's TLS files or ssh settings, a client and the address it will advertise.
struct Engines {
  std::vector<std::unique_ptr<Context::EngineClient>> clients;
  std::vector<ops::MemberEngine> members;
};

Result<std::unique_ptr<Engines>> engines_of(Context& ctx, const SwarmOptions& o) {
  auto c = ctx.config();
  if (!c) return c.error();
  if (!o.advertise.empty() && o.engines.size() > 1)
    return Error{ErrorKind::Usage, "--advertise-addr", "give it with one engine only: each engine has its own address"};
  auto out = std::make_unique<Engines>();
  const http::Endpoint& configured = (*c)->docker.value;
  std::vector<http::Endpoint> endpoints;
  if (o.engines.empty()) endpoints.push_back(configured);
  for (const auto& name : o.engines) {
    // A bare host that is the configured engine's: that endpoint (master's engine listens on
    // 2378 in a Hypriot cluster, not on 2375).
    if (configured.kind == http::Endpoint::Kind::Tcp && name == configured.host) {
      endpoints.push_back(configured);
      continue;
    }
    auto ep = config::parse_docker_host(name, "ENGINE");
    if (!ep) return ep.error();
    endpoints.push_back(config::with_settings_of(configured, std::move(*ep)));
  }
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    out->clients.push_back(ctx.engine_client(endpoints[i]));
    std::string name = o.engines.empty() ? endpoints[i].display() : o.engines[i];
    out->members.push_back({name, &out->clients.back()->client, o.advertise.empty() ? advertise_address(endpoints[i]) : o.advertise});
  }
  return out;
}

// "ENGINE: what happened" per engine; the failures make one error.
Status report_members(Context& ctx, const std::vector<ops::MemberOutcome>& outcomes, const char* doing) {
  std::vector<std::pair<std::string, Error>> failed;
  for (const auto& o : outcomes) {
    if (o.error) failed.emplace_back(o.engine, *o.error);
    else ctx.out(safe_text(fmt::format("{}: {}", o.engine, o.said)) + "\n");
  }
  if (failed.empty()) return ok();
  if (failed.size() == 1) return wrap(failed.front().second, fmt::format("{} {}", doing, failed.front().first));
  return batch_error(failed, outcomes.size(), doing, "engines");
}

Status run_init(Context& ctx, const SwarmOptions& o) {
  docker::SwarmInit init;
  init.address_pools = o.pools;
  init.subnet_size = o.pool_mask;
  if (!o.heartbeat.empty()) {
    auto d = config::parse_duration(o.heartbeat, "--dispatcher-heartbeat");
    if (!d) return d.error();
    init.heartbeat_ns = static_cast<std::int64_t>(d->count()) * 1000000;
  }
  auto e = engines_of(ctx, o);
  if (!e) return e.error();
  return report_members(ctx, {ops::init_swarm((*e)->members.front(), init)}, "making a swarm on");
}

Status run_join(Context& ctx, const SwarmOptions& o) {
  auto e = engines_of(ctx, o);
  if (!e) return e.error();
  auto manager = ctx.docker();
  if (!manager) return manager.error();
  auto outcomes = ops::join_swarm(**manager, (*e)->members, o.manager);
  if (!outcomes) return outcomes.error();
  return report_members(ctx, *outcomes, "joining");
}

Status run_leave(Context& ctx, const SwarmOptions& o) {
  auto e = engines_of(ctx, o);
  if (!e) return e.error();
  return report_members(ctx, ops::leave_swarm((*e)->members, o.force), "leaving the swarm on");
}

}  // namespace

void setup_swarm(CLI::App* swarm, Context& ctx) {
  swarm->require_subcommand(1);
  auto i = std::make_shared<SwarmOptions>();
  auto* init = swarm->add_subcommand("init", "Make ENGINE (default: the configured one) the first manager of a new swarm");
  init->add_option("ENGINE", i->engines, "The engine: tcp://HOST:PORT, ssh://[USER@]HOST or HOST (port 2375; the configured engine's host: its endpoint)")->expected(0, 1);
  init->add_option("--advertise-addr", i->advertise, "The address the swarm reaches it at (default: its host's, as resolved here)");
  init->add_option("--default-addr-pool", i->pools, "A CIDR the overlay networks' subnets come from (repeatable; default the engine's, 10.0.0.0/8)")
      ->check([](const std::string& v) {
        auto slash = v.find('/');
        return slash != std::string::npos && slash > 0 && slash + 1 < v.size() ? std::string() : "expected a CIDR such as 10.20.0.0/16";
      });
  init->add_option("--default-addr-pool-mask-length", i->pool_mask, "The prefix length of each overlay subnet (default 24)")
      ->check(CLI::Range(8, 30));
  init->add_option("--dispatcher-heartbeat", i->heartbeat, "How often nodes report to the managers (default 5s)");
  init->callback([&ctx, i] { ctx.action = [&ctx, i] { return run_init(ctx, *i); }; });

  auto j = std::make_shared<SwarmOptions>();
  auto* join = swarm->add_subcommand("join", "Join engines to the swarm of the configured manager");
  join->add_option("ENGINE", j->engines, "The engines: tcp://HOST:PORT, ssh://[USER@]HOST or HOST (port 2375; the configured engine's host: its endpoint)")->required();
  join->add_flag("--manager", j->manager, "Join as managers (default: workers)");
  join->add_option("--advertise-addr", j->advertise, "The address the swarm reaches the engine at (one engine only)");
  join->callback([&ctx, j] { ctx.action = [&ctx, j] { return run_join(ctx, *j); }; });

  auto l = std::make_shared<SwarmOptions>();
  auto* leave = swarm->add_subcommand("leave", "Make engines leave their swarm");
  leave->add_option("ENGINE", l->engines, "The engines: tcp://HOST:PORT, ssh://[USER@]HOST or HOST (port 2375; the configured engine's host: its endpoint)")->required();
  leave->add_flag("--force", l->force, "Also a manager (the swarm then misses it among its managers)");
  leave->callback([&ctx, l] { ctx.action = [&ctx, l] { return run_leave(ctx, *l); }; });
}

}  // namespace hcl::cli
