#include <hcl/ops/run.hpp>

#include <hcl/files.hpp>
#include <hcl/swarm/labels.hpp>
#include <hcl/swarm/networks.hpp>
#include <hcl/swarm/restart.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

namespace hcl::ops {
namespace {

// As large as a compose file may be.
constexpr std::size_t kMaxEnvFileBytes = 4 * 1024 * 1024;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::optional<int> port_number(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 1 || v > 65535) return std::nullopt;
  return v;
}

std::string random_suffix() {
  std::random_device rd;
  return fmt::format("{:06x}", rd() & 0xffffff);
}

bool interrupted(const RunIo& io) { return io.interrupted != nullptr && io.interrupted->load(); }

std::map<std::string, std::string> node_names(docker::Client& api) {
  std::map<std::string, std::string> out;
  if (auto nodes = api.nodes())
    for (const auto& n : *nodes) out[n.id] = n.hostname;
  return out;
}

// Why a task did not run, in words: its error, its state and its node.
Error task_failure(docker::Client& api, const docker::Task& t, const std::string& service) {
  auto names = node_names(api);
  std::string node = t.node_id.empty() ? "no node" : "node " + (names.count(t.node_id) ? names[t.node_id] : t.node_id);
  std::string why = t.error.empty() ? t.message : t.error;
  return Error{ErrorKind::Failed, fmt::format("service {}", service), fmt::format("task {} on {}: {}", t.state, node, why)};
}

// Polls the service's tasks until `done` says so, the start timeout passes for tasks that never
// started, or the user interrupts. Returns the last tasks seen.
template <class Done>
Result<std::vector<docker::Task>> watch_tasks(docker::Client& api, const std::string& id, const RunIo& io, Done done) {
  auto started = Clock::now();
  bool running_seen = false;
  // A task read costs about a millisecond on the manager: poll often, so that the end of a short
  // run is seen within 100 ms.
  for (auto delay = 25ms;; delay = std::min(delay * 2, std::chrono::milliseconds(100))) {
    auto tasks = api.tasks(id);
    if (!tasks) return tasks.error();
    for (const auto& t : *tasks) running_seen = running_seen || t.state == "running" || docker::is_terminal(t.state);
    if (done(*tasks)) return tasks;
    if (!running_seen && Clock::now() - started > io.start_timeout) {
      std::string why = tasks->empty() ? "no task was created" : fmt::format("task is {}: {}", tasks->front().state,
                                                                              tasks->front().error.empty() ? tasks->front().message : tasks->front().error);
      return Error{ErrorKind::Failed, fmt::format("service {}", id),
                   fmt::format("did not start within {}; {}", http::describe(io.start_timeout), why)};
    }
    if (interrupted(io)) return Error{ErrorKind::Interrupted, "waiting for the task", "interrupted"};
    std::this_thread::sleep_for(delay);
  }
}

// The container's environment: the env files' lines, then the -e entries (a bare KEY takes its
// value from hcl's environment, as with docker run; classic constraint:/affinity: entries are
// kept for split_classic_env).
Result<std::vector<std::string>> run_environment(const RunRequest& r) {
  std::vector<std::string> env;
  for (const auto& f : r.env_files) {
    auto lines = read_docker_env_file(f);
    if (!lines) return lines.error();
    env.insert(env.end(), lines->begin(), lines->end());
  }
  for (const auto& e : r.env) {
    bool classic_entry = e.starts_with("constraint:") || e.starts_with("affinity:");
    std::string key = e.substr(0, e.find('='));
    // The engine would take "=x" and refuse it only when the task starts; say so before anything is sent.
    if (!classic_entry && (key.empty() || key.find_first_of(" \t") != std::string::npos))
      return Error{ErrorKind::Usage, fmt::format("--env={}", e), "expected KEY=VALUE, or a bare KEY to pass on hcl's own"};
    if (e.find('=') == std::string::npos && !classic_entry) {
      if (const char* v = std::getenv(e.c_str())) env.push_back(e + "=" + v);
      continue;
    }
    env.push_back(e);
  }
  return env;
}

// The environment without its classic constraint: entries, and every constraint (those entries'
// and --constraint's) in the plan and its spec.
Status run_placement(const RunRequest& r, std::vector<std::string> env, RunPlan& plan) {
  auto classic = swarm::split_classic_env(env, "--env");
  if (!classic) return classic.error();
  plan.spec.env = classic->env;
  plan.constraints = classic->constraints;
  for (const auto& c : r.constraints) {
    auto parsed = swarm::parse_constraint(c, "--constraint");
    if (!parsed) return parsed.error();
    plan.constraints.push_back(*parsed);
  }
  for (const auto& c : plan.constraints) plan.spec.constraints.push_back(c.expression());
  return ok();
}

Status run_ports_and_labels(const RunRequest& r, docker::ServiceSpec& s) {
  for (const auto& p : r.publish) {
    auto port = parse_publish(p, "--publish");
    if (!port) return port.error();
    s.ports.push_back(*port);
  }
  for (const auto& l : r.labels) {
    auto kv = swarm::parse_label(l, "--label");
    if (!kv) return kv.error();
    s.labels[kv->first] = kv->second;
  }
  return ok();
}

// Replicas and the restart policy, both for detached runs only (a one-shot run starts one
// container and never restarts it). The restart policy takes the user's forms and the engine's
// own names (none, any).
Status run_replicas_and_restart(const RunRequest& r, docker::ServiceSpec& s) {
  if (r.replicas && !r.detach) return Error{ErrorKind::Usage, "--replicas", "only with -d: a one-shot run starts one container"};
  std::uint64_t replicas = r.replicas.value_or(1);
  if (replicas < 1) return Error{ErrorKind::Usage, fmt::format("--replicas={}", replicas), "must be at least 1"};
  s.replicas = replicas;
  swarm::RestartPolicy policy{docker::RestartCondition::OnFailure, std::nullopt};
  if (r.restart) {
    if (auto user = swarm::parse_restart_policy(*r.restart)) policy = *user;
    else if (auto engine = docker::parse_restart_condition(*r.restart)) policy.condition = *engine;
    else return Error{ErrorKind::Usage, fmt::format("--restart={}", *r.restart), "expected no, on-failure or always"};
    if (!r.detach) return Error{ErrorKind::Usage, "--restart", "only with -d: a one-shot run never restarts"};
  }
  docker::RestartPolicy engine_policy;
  engine_policy.condition = policy.condition;
  if (policy.max_attempts != std::uint64_t{0}) engine_policy.max_attempts = policy.max_attempts;
  s.restart = engine_policy;
  return ok();
}

// How much of the container's stdout and stderr the log stream has written.
struct Written {
  std::size_t out = 0, err = 0;
};

// Writes to `sink` and counts what it wrote.
docker::LogSink counting(const docker::LogSink& sink, Written& written) {
  return {[&sink, &written](std::string_view d) {
            written.out += d.size();
            if (sink.out) sink.out(d);
          },
          [&sink, &written](std::string_view d) {
            written.err += d.size();
            if (sink.err) sink.err(d);
          }};
}

// Writes to `sink` what comes after the `written` bytes already written.
docker::LogSink skipping(const docker::LogSink& sink, Written& written) {
  auto rest = [](std::size_t& seen, const std::function<void(std::string_view)>& to) {
    return [&seen, &to](std::string_view d) {
      std::size_t skip = std::min(seen, d.size());
      seen -= skip;
      if (d.size() > skip && to) to(d.substr(skip));
    };
  };
  return {rest(written.out, sink.out), rest(written.err, sink.err)};
}

// Streams the one-shot service's logs while its task runs, and returns the container's exit
// status once it ended, or why it never ran. The stream runs on its own transport and thread; it
// ends when the task has ended or the user interrupts. Whatever the stream had not delivered by
// then is read again from the whole logs, less what was already written.
Result<int> follow_to_the_end(docker::Client& api, http::Transport& logs, const std::string& id,
                              const std::string& name, const RunIo& io) {
  std::atomic<bool> stop_logs{false};
  logs.set_cancel(&stop_logs);
  docker::Client log_api(logs);
  // Known since create_service answered: no request here.
  if (auto version = api.api_version()) log_api.set_api_version(*version);
  Written written;
  std::thread streamer([&] {
    docker::LogOptions follow;
    follow.follow = true;
    (void)log_api.service_logs(id, follow, counting(io.sink, written));
  });
  auto tasks = watch_tasks(api, id, io, [](const std::vector<docker::Task>& ts) {
    return !ts.empty() && std::all_of(ts.begin(), ts.end(), [](const auto& t) { return docker::is_terminal(t.state); });
  });
  stop_logs = true;
  streamer.join();
  if (!tasks) return tasks.error();
  // The task that ran (the newest, if the engine made more than one).
  const docker::Task& t = tasks->back();
  if (!t.exit_code || t.container_id.empty()) return task_failure(api, t, name);  // it never ran: rejected, no image, ...
  logs.set_cancel(io.interrupted);
  (void)log_api.service_logs(id, {}, skipping(io.sink, written));
  return *t.exit_code;
}

}  // namespace

Result<docker::PortSpec> parse_publish(std::string_view text, const std::string& flag) {
  docker::PortSpec p;
  std::string_view t = text;
  auto bad = [&](std::string why) { return Error{ErrorKind::Usage, fmt::format("{}={}", flag, text), std::move(why)}; };
  if (auto slash = t.find('/'); slash != std::string_view::npos) {
    p.protocol = std::string(t.substr(slash + 1));
    if (p.protocol != "tcp" && p.protocol != "udp" && p.protocol != "sctp") return bad("the protocol is tcp, udp or sctp");
    t = t.substr(0, slash);
  }
  auto colon = t.find(':');
  auto target = port_number(colon == std::string_view::npos ? t : t.substr(colon + 1));
  if (!target) return bad("expected PUBLISHED:TARGET[/PROTOCOL] with ports 1-65535, like 8080:80");
  p.target = *target;
  if (colon != std::string_view::npos) {
    auto published = port_number(t.substr(0, colon));
    if (!published) return bad("expected PUBLISHED:TARGET[/PROTOCOL] with ports 1-65535, like 8080:80");
    p.published = *published;
  }
  p.mode = docker::PublishMode::Host;  // the routing mesh needs IPVS, which small clusters often lack
  return p;
}

Result<std::vector<std::string>> read_docker_env_file(const std::string& path) {
  // Pipes too (`--env-file <(decrypt secrets.env)`), up to the size of a compose file's.
  auto content = files::read_bounded(path, {"the file", "env files", kMaxEnvFileBytes, true});
  if (!content) return Error{ErrorKind::Usage, fmt::format("--env-file={}", path), content.error().why};
  std::vector<std::string> out;
  int n = 0;
  for (std::size_t at = 0; at < content->size();) {
    std::string line(text::next_line(*content, at));
    ++n;
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line = line.substr(start);
    auto eq = line.find('=');
    std::string key = line.substr(0, eq);
    // An excerpt only: the line may be a secret, or not an env file's at all.
    if (key.empty() || key.find_first_of(" \t") != std::string::npos)
      return Error{ErrorKind::Usage, fmt::format("{}:{}", path, n), fmt::format("'{}' is not KEY=VALUE", text::excerpt(line))};
    if (eq == std::string::npos) {
      if (const char* v = std::getenv(key.c_str())) out.push_back(key + "=" + v);
      continue;
    }
    out.push_back(line);
  }
  return out;
}

Result<RunPlan> plan_run(const RunRequest& r) {
  RunPlan plan;
  auto& s = plan.spec;
  s.image = r.image;
  s.args = r.args;
  s.name = r.name;
  for (const auto& n : r.networks) s.networks.push_back({n, {}, {}});
  s.workdir = r.workdir;
  s.user = r.user;
  s.hostname = r.hostname;
  if (!r.entrypoint.empty()) s.command = {r.entrypoint};
  auto env = run_environment(r);
  if (!env) return env.error();
  if (auto st = run_placement(r, std::move(*env), plan); !st) return st.error();
  if (auto st = run_ports_and_labels(r, s); !st) return st.error();
  if (auto st = run_replicas_and_restart(r, s); !st) return st.error();
  // Names resolve through the engine's DNS to the task addresses: no IPVS needed.
  s.endpoint_mode = docker::EndpointMode::Dnsrr;
  return plan;
}

Status validate_run(docker::Client& api, const RunPlan& plan) {
  auto nodes = api.nodes();
  if (!nodes) return nodes.error();
  if (auto s = swarm::check_placeable(*nodes, plan.constraints); !s) return s;
  for (const auto& attachment : plan.spec.networks) {
    const std::string& net = attachment.target;
    auto n = api.network(net);
    if (!n) {
      if (n.error().kind == ErrorKind::NotFound) return Error{ErrorKind::Usage, fmt::format("--net={}", net), "no such network"};
      return n.error();
    }
    if (n->scope != "swarm")
      return Error{ErrorKind::Usage, fmt::format("--net={}", net),
                   fmt::format("a {} network with scope {}; services need a swarm-scope (overlay) network", n->driver, n->scope)};
  }
  return ok();
}

Result<int> run_once(http::Transport& control, http::Transport& logs, RunPlan plan, const RunIo& io) {
  docker::Client api(control);
  control.set_cancel(io.interrupted);
  if (auto s = validate_run(api, plan); !s) return s.error();

  if (plan.spec.name.empty()) plan.spec.name = "hcl-run-" + random_suffix();
  plan.spec.labels[kRunLabel] = "once";
  plan.spec.restart = docker::RestartPolicy{docker::RestartCondition::None};
  plan.spec.replicas = 1;
  auto id = api.create_service(plan.spec);
  if (!id) return wrap(id.error(), fmt::format("creating service {}", plan.spec.name));
  if (io.progress) io.progress(fmt::format("started {} ({})", plan.spec.name, id->substr(0, 12)));

  Result<int> result = follow_to_the_end(api, logs, *id, plan.spec.name, io);

  // Clean up also after Ctrl-C: the control transport is no longer cancelled for this.
  control.set_cancel(nullptr);
  if (auto rm = api.remove_service(*id); !rm && result)
    return wrap(rm.error(), fmt::format("removing service {}", plan.spec.name));
  if (interrupted(io)) return Error{ErrorKind::Interrupted, fmt::format("hcl run {}", plan.spec.name), "interrupted; the service was removed"};
  return result;
}

Result<std::string> run_detached(http::Transport& control, RunPlan plan, const RunIo& io) {
  docker::Client api(control);
  control.set_cancel(io.interrupted);
  if (auto s = validate_run(api, plan); !s) return s.error();
  if (plan.spec.name.empty()) plan.spec.name = "hcl-run-" + random_suffix();
  plan.spec.labels[kRunLabel] = "detached";
  auto id = api.create_service(plan.spec);
  if (!id) return wrap(id.error(), fmt::format("creating service {}", plan.spec.name));

  std::optional<Error> failure;
  auto tasks = watch_tasks(api, *id, io, [&](const std::vector<docker::Task>& ts) {
    size_t running = 0;
    for (const auto& t : ts) {
      if (t.state == "running" && t.desired_state == "running") ++running;
      if ((t.state == "rejected" && !swarm::transient_rejection(t)) || t.state == "failed") {
        failure = task_failure(api, t, plan.spec.name);
        return true;
      }
    }
    return running >= plan.spec.replicas;
  });
  // A detached run's service stays when its task fails or does not start (the swarm keeps
  // trying, as for any service): say so, and how to remove it.
  auto stays = [&](Error e) {
    e.why += fmt::format("; the service {} stays and the swarm keeps trying (remove it with: hcl rm {})",
                         plan.spec.name, plan.spec.name);
    return e;
  };
  if (!tasks) return stays(tasks.error());
  if (failure) return stays(*failure);
  return *id;
}

}  // namespace hcl::ops
