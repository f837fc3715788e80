// hcl run: a container on the swarm, placed by constraints; once (output streamed, exit status
// passed through, nothing left behind) or detached (-d).
#include "commands.hpp"

#include <hcl/swarm/labels.hpp>
#include <hcl/swarm/placement.hpp>
#include <hcl/ops/run.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

namespace hcl::cli {
namespace {

struct RunOptions {
  std::string name;
  std::vector<std::string> networks, env, env_files, publish, constraints, labels;
  std::uint64_t replicas = 1;
  std::string workdir, user, entrypoint, restart, hostname;
  bool detach = false;
  bool quiet = false;
  std::string start_timeout = "60s";
  std::string image;
  std::vector<std::string> image_and_args;  // IMAGE [COMMAND [ARG...]]
  std::optional<std::size_t> words_before_image;  // words CLI11 did not know, seen before IMAGE
  std::string unknown_flag;                 // the first of them
};

void write_out(std::string_view d) { std::fwrite(d.data(), 1, d.size(), stdout), std::fflush(stdout); }
void write_err(std::string_view d) { std::fwrite(d.data(), 1, d.size(), stderr); }

// Everything hcl can check without the cluster, turned into a plan.
Result<ops::RunPlan> plan_from(const RunOptions& o, const CLI::App& sub) {
  ops::RunPlan plan;
  auto& s = plan.spec;
  if (o.image_and_args.empty()) return Error{ErrorKind::Usage, "hcl run", "an IMAGE is required"};
  s.image = o.image_and_args.front();
  if (!o.unknown_flag.empty())
    return Error{ErrorKind::Usage, fmt::format("unknown flag '{}'", o.unknown_flag),
                 "hcl run's flags come before IMAGE (see hcl run --help)"};
  s.args.assign(o.image_and_args.begin() + 1, o.image_and_args.end());
  s.name = o.name;
  for (const auto& n : o.networks) s.networks.push_back({n, {}, {}});
  s.workdir = o.workdir;
  s.user = o.user;
  s.hostname = o.hostname;
  if (!o.entrypoint.empty()) s.command = {o.entrypoint};

  std::vector<std::string> env;
  for (const auto& f : o.env_files) {
    auto lines = ops::read_docker_env_file(f);
    if (!lines) return lines.error();
    env.insert(env.end(), lines->begin(), lines->end());
  }
  for (const auto& e : o.env) {
    bool classic_entry = e.starts_with("constraint:") || e.starts_with("affinity:");
    std::string key = e.substr(0, e.find('='));
    // The engine would take "=x" and refuse it only when the task starts; say so before anything is sent.
    if (!classic_entry && (key.empty() || key.find_first_of(" \t") != std::string::npos))
      return Error{ErrorKind::Usage, fmt::format("--env={}", e), "expected KEY=VALUE, or a bare KEY to pass on hcl's own"};
    if (e.find('=') == std::string::npos && !classic_entry) {
      // A bare KEY takes its value from hcl's environment, as with docker run.
      if (const char* v = std::getenv(e.c_str())) env.push_back(e + "=" + v);
      continue;
    }
    env.push_back(e);
  }
  auto classic = swarm::split_classic_env(env, "--env");
  if (!classic) return classic.error();
  s.env = classic->env;
  plan.constraints = classic->constraints;
  for (const auto& c : o.constraints) {
    auto parsed = swarm::parse_constraint(c, "--constraint");
    if (!parsed) return parsed.error();
    plan.constraints.push_back(*parsed);
  }
  for (const auto& c : plan.constraints) s.constraints.push_back(c.expression());

  for (const auto& p : o.publish) {
    auto port = ops::parse_publish(p, "--publish");
    if (!port) return port.error();
    s.ports.push_back(*port);
  }
  for (const auto& l : o.labels) {
    auto kv = swarm::parse_label(l, "--label");
    if (!kv) return kv.error();
    s.labels[kv->first] = kv->second;
  }
  if (sub.count("--replicas") && !o.detach)
    return Error{ErrorKind::Usage, "--replicas", "only with -d: a one-shot run starts one container"};
  if (o.replicas < 1) return Error{ErrorKind::Usage, fmt::format("--replicas={}", o.replicas), "must be at least 1"};
  s.replicas = o.replicas;
  if (o.restart.empty() || o.restart == "on-failure") {
    s.restart = docker::RestartPolicy{docker::RestartCondition::OnFailure};
  } else if (o.restart == "no" || o.restart == "none") {
    s.restart = docker::RestartPolicy{docker::RestartCondition::None};
  } else if (o.restart == "always" || o.restart == "any" || o.restart == "unless-stopped") {
    s.restart = docker::RestartPolicy{docker::RestartCondition::Any};
  } else {
    return Error{ErrorKind::Usage, fmt::format("--restart={}", o.restart), "expected no, on-failure or always"};
  }
  if (!o.restart.empty() && !o.detach)
    return Error{ErrorKind::Usage, "--restart", "only with -d: a one-shot run never restarts"};
  // Names resolve through the engine's DNS to the task addresses: no IPVS needed.
  s.endpoint_mode = docker::EndpointMode::Dnsrr;
  return plan;
}

Status run_run(Context& ctx, const RunOptions& o, const CLI::App& sub) {
  auto plan = plan_from(o, sub);
  if (!plan) return plan.error();
  auto timeout = config::parse_duration(o.start_timeout, "--start-timeout");
  if (!timeout) return timeout.error();
  auto control = ctx.docker_transport();
  if (!control) return control.error();

  ops::RunIo io;
  io.sink = {write_out, write_err};
  io.interrupted = &Context::interrupted;
  io.start_timeout = *timeout;
  if (o.detach) {
    auto id = ops::run_detached(**control, std::move(*plan), io);
    if (!id) return id.error();
    ctx.out((o.quiet ? (o.name.empty() ? *id : o.name) : *id) + "\n");
    return ok();
  }
  auto logs = ctx.new_docker_transport();
  if (!logs) return logs.error();
  auto status = ops::run_once(**control, **logs, std::move(*plan), io);
  if (!status) return status.error();
  ctx.exit_code = *status;  // the container's own exit status is hcl's
  return ok();
}

}  // namespace

void setup_run(CLI::App* sub, Context& ctx) {
  auto o = std::make_shared<RunOptions>();
  sub->add_option("--name", o->name, "Service name; other services on its networks reach it by this name");
  sub->add_option("--net,--network", o->networks, "Overlay network to join (repeatable)")->type_name("NETWORK")->allow_extra_args(false);
  sub->add_option("-e,--env", o->env, "Environment KEY=VALUE (repeatable); constraint:node==X places it")->type_name("KEY=VALUE")->allow_extra_args(false);
  sub->add_option("--env-file", o->env_files, "File of KEY=VALUE lines (repeatable)")->type_name("FILE")->allow_extra_args(false);
  sub->add_option("-p,--publish", o->publish, "Publish PUBLISHED:TARGET[/PROTOCOL] on the node (host mode)")->allow_extra_args(false);
  sub->add_option("--constraint", o->constraints, "Placement: node.hostname==master, node!=master, node.labels.K==V, ...")->type_name("CONSTRAINT")
      ->allow_extra_args(false);
  sub->add_option("-l,--label", o->labels, "Service label KEY=VALUE (repeatable)")->allow_extra_args(false);
  sub->add_option("--replicas", o->replicas, "Number of containers (with -d)");
  sub->add_option("-w,--workdir", o->workdir, "Working directory in the container");
  sub->add_option("-u,--user", o->user, "User in the container");
  sub->add_option("--hostname", o->hostname, "Container hostname; swarm templates work: '{{.Node.Hostname}}'");
  sub->add_option("--entrypoint", o->entrypoint, "Override the image's entrypoint");
  sub->add_option("--restart", o->restart, "With -d: no, on-failure (default) or always")->type_name("no|on-failure|always");
  sub->add_flag("-d,--detach", o->detach, "Keep it running and print its ID");
  sub->add_flag("-q,--quiet", o->quiet, "With -d: print the name instead of the ID");
  sub->add_option("--start-timeout", o->start_timeout, "How long a container may take to be scheduled and start")
      ->capture_default_str();
  // CLI11 keeps unknown words before IMAGE and the container's words after it in the same
  // remaining() list. A validator that runs while IMAGE is being parsed (validate_positionals)
  // counts the ones before: those are a mistyped flag of hcl run, not the container's.
  sub->add_option("IMAGE", o->image, "Image, then the COMMAND and ARGs for the container")
      ->required()
      ->check(CLI::Validator(
          [o, sub](std::string&) {
            if (!o->words_before_image) o->words_before_image = sub->remaining().size();
            return std::string();
          },
          ""));
  sub->validate_positionals();
  // Everything after IMAGE belongs to the container, flags included: `hcl run img sh -c 'exit 7'`.
  sub->prefix_command();
  sub->fallthrough(false);
  sub->callback([&ctx, o, sub] {
    o->image_and_args = {o->image};
    auto rest = sub->remaining();
    std::size_t before = o->words_before_image.value_or(0);
    if (before > 0) o->unknown_flag = rest.front();
    for (std::size_t i = before; i < rest.size(); ++i) o->image_and_args.push_back(rest[i]);
    ctx.action = [&ctx, o, sub] { return run_run(ctx, *o, *sub); };
  });
}

}  // namespace hcl::cli
