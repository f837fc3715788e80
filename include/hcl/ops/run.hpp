// Running a container on the swarm as a service: once (stream its output, pass its exit status
// through, remove it) or detached (keep it running, restarting on failure).
#pragma once

#include <hcl/docker.hpp>
#include <hcl/error.hpp>
#include <hcl/http.hpp>
#include <hcl/swarm/placement.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hcl::ops {

// The label hcl puts on what `hcl run` creates ("once" or "detached").
inline constexpr const char* kRunLabel = "com.hcl.run";

// "8080:80", "8080:80/udp", "80" (target only): host-mode publishing. Errors name `flag`.
Result<docker::PortSpec> parse_publish(std::string_view text, const std::string& flag);
// The docker CLI's --env-file grammar (not compose's env_file one: no quotes, no interpolation):
// reads KEY=VALUE lines (blank lines and # comments skipped; a bare KEY takes its value from the
// environment, as docker does). Errors name FILE:LINE.
Result<std::vector<std::string>> read_docker_env_file(const std::string& path);

struct RunPlan {
  docker::ServiceSpec spec;
  std::vector<swarm::Constraint> constraints;  // already also in spec.constraints, as expressions
};

// What `hcl run` was asked for, as written on its command line; errors name the flags.
struct RunRequest {
  std::string image;
  std::vector<std::string> args;  // COMMAND [ARG...]
  std::string name, workdir, user, hostname, entrypoint;
  std::vector<std::string> networks;
  std::vector<std::string> env;        // KEY=VALUE, a bare KEY (its value from hcl's environment), constraint:...
  std::vector<std::string> env_files;  // read_docker_env_file's grammar, before `env`
  std::vector<std::string> publish;      // parse_publish's forms
  std::vector<std::string> constraints;  // swarm::parse_constraint's forms
  std::vector<std::string> labels;       // K=V
  bool detach = false;
  std::optional<std::uint64_t> replicas;  // only with detach
  std::optional<std::string> restart;     // only with detach: swarm::parse_restart_policy's forms, or none/any
};

// Everything that can be checked without the cluster, turned into a plan (the names resolve
// through the engine's DNS to the task addresses: endpoint mode dnsrr, no IPVS needed).
Result<RunPlan> plan_run(const RunRequest& request);

// Checks what only the cluster can tell before anything is created: that some node satisfies
// the constraints and that the networks exist. Nothing is changed.
Status validate_run(docker::Client& api, const RunPlan& plan);

struct RunIo {
  docker::LogSink sink;                             // the container's stdout and stderr
  std::function<void(std::string_view)> progress;   // status lines for people (may be empty)
  const std::atomic<bool>* interrupted = nullptr;   // set by Ctrl-C
  std::chrono::milliseconds start_timeout{60000};   // for a task to be scheduled and started
};

// Runs the plan's container once and returns its exit status. The service is removed at the
// end, also on errors and when interrupted. `control` and `logs` are two transports to the same
// engine (the log stream holds one while the other watches the task).
Result<int> run_once(http::Transport& control, http::Transport& logs, RunPlan plan, const RunIo& io);

// Creates the service (restarting on failure) and waits until its tasks run; returns its ID.
// A task that fails to start is reported with its error and node.
Result<std::string> run_detached(http::Transport& control, RunPlan plan, const RunIo& io);

}  // namespace hcl::ops
