// hcl run: a container on the swarm, placed by constraints; once (output streamed, exit status
// passed through, nothing left behind) or detached (-d).
#include "commands.hpp"

#include <hcl/ops/run.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <optional>

namespace hcl::cli {
namespace {

// The flags bind to the library's request directly; the rest is what only the command line knows.
struct RunOptions {
  ops::RunRequest request;
  std::uint64_t replicas = 1;  // request.replicas when --replicas is given
  std::string restart;         // request.restart when not empty
  bool quiet = false;
  std::string start_timeout = "60s";
  std::string image;
  std::vector<std::string> image_and_args;  // IMAGE [COMMAND [ARG...]]
  std::optional<std::size_t> words_before_image;  // words CLI11 did not know, seen before IMAGE
  std::string unknown_flag;                 // the first of them
};

void write_out(std::string_view d) { std::fwrite(d.data(), 1, d.size(), stdout), std::fflush(stdout); }
void write_err(std::string_view d) { std::fwrite(d.data(), 1, d.size(), stderr); }

// The command line as the library's request; what only the command line knows (IMAGE given,
// words before it that were no flag of hcl run, flags given or not) is checked here.
Result<ops::RunRequest> request_from(const RunOptions& o, const CLI::App& sub) {
  if (o.image_and_args.empty()) return Error{ErrorKind::Usage, "hcl run", "an IMAGE is required"};
  if (!o.unknown_flag.empty())
    return Error{ErrorKind::Usage, fmt::format("unknown flag '{}'", o.unknown_flag),
                 "hcl run's flags come before IMAGE (see hcl run --help)"};
  ops::RunRequest r = o.request;
  r.image = o.image_and_args.front();
  r.args.assign(o.image_and_args.begin() + 1, o.image_and_args.end());
  if (sub.count("--replicas")) r.replicas = o.replicas;
  if (!o.restart.empty()) r.restart = o.restart;
  return r;
}

Status run_run(Context& ctx, const RunOptions& o, const CLI::App& sub) {
  auto request = request_from(o, sub);
  if (!request) return request.error();
  auto plan = ops::plan_run(*request);
  if (!plan) return plan.error();
  auto timeout = config::parse_duration(o.start_timeout, "--start-timeout");
  if (!timeout) return timeout.error();
  auto control = ctx.docker_transport();
  if (!control) return control.error();

  ops::RunIo io;
  io.sink = {write_out, write_err};
  io.interrupted = &Context::interrupted;
  io.start_timeout = *timeout;
  if (o.request.detach) {
    auto id = ops::run_detached(**control, std::move(*plan), io);
    if (!id) return id.error();
    ctx.out((o.quiet ? (o.request.name.empty() ? *id : o.request.name) : *id) + "\n");
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
  sub->add_option("--name", o->request.name, "Service name; other services on its networks reach it by this name");
  sub->add_option("--net,--network", o->request.networks, "Overlay network to join (repeatable)")->type_name("NETWORK")->allow_extra_args(false);
  sub->add_option("-e,--env", o->request.env, "Environment KEY=VALUE (repeatable); constraint:node==X places it")->type_name("KEY=VALUE")->allow_extra_args(false);
  sub->add_option("--env-file", o->request.env_files, "File of KEY=VALUE lines (repeatable)")->type_name("FILE")->allow_extra_args(false);
  sub->add_option("-p,--publish", o->request.publish, "Publish PUBLISHED:TARGET[/PROTOCOL] on the node (host mode)")->allow_extra_args(false);
  sub->add_option("--constraint", o->request.constraints, "Placement: node.hostname==master, node!=master, node.labels.K==V, ...")->type_name("CONSTRAINT")
      ->allow_extra_args(false);
  sub->add_option("-l,--label", o->request.labels, "Service label KEY=VALUE (repeatable)")->allow_extra_args(false);
  sub->add_option("--replicas", o->replicas, "Number of containers (with -d)");
  sub->add_option("-w,--workdir", o->request.workdir, "Working directory in the container");
  sub->add_option("-u,--user", o->request.user, "User in the container");
  sub->add_option("--hostname", o->request.hostname, "Container hostname; swarm templates work: '{{.Node.Hostname}}'");
  sub->add_option("--entrypoint", o->request.entrypoint, "Override the image's entrypoint");
  sub->add_option("--restart", o->restart, "With -d: no, on-failure[:N] (default: on-failure) or always")->type_name("no|on-failure|always");
  sub->add_flag("-d,--detach", o->request.detach, "Keep it running and print its ID");
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
