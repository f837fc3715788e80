// Waiting until services run their replicas (global services: a task on each node they may run
// on; jobs: their completions) and the updates this command started complete.
//
// The manager's event stream (API 1.41) carries service and node events but no task events:
// tasks start on workers, whose container events only their own engines see. So the wait reads
// services and tasks (two requests a round), 100 ms apart at first and at most 500 ms apart,
// which sees the last replica start within a fraction of a second.
//
// The swarm can leave a service with more running tasks than replicas: when a service is created
// and scaled down within milliseconds (two deploys of one project at once), swarmkit's orchestrator
// may miss the update and keep both slots for good (seen on the lab, engine 20.10). Nothing moves
// until the service changes again, so a wait that sees the same surplus for surplus_patience
// (3 s) asks the swarm to reconcile by re-submitting the service's spec unchanged (a scale to the
// same count), once per service, and says so.
//
// Likewise a task can stay pending after the node it waits for has come back ("1 node not
// available for new tasks", with every node ready and active): swarmkit's scheduler does not look
// at it again. Re-submitting the spec does not help there; replacing the task does. So after the
// same patience, with every node ready and active, the wait scales the service down by the stale
// tasks (the swarm removes tasks that do not run first), waits until they are gone, and scales it
// back, once per service, and says so. Running tasks are not touched.
//
// Only tasks of the service's current spec count (the engine's "_up-to-date" filter): right
// after an update is sent the swarm may not have begun it yet (its status is still empty), and
// the old spec's tasks, still running, would look like a finished update.
//
// An update follows the service's UpdateStatus: "updating" (or "rollback_started") is not done
// yet; "paused", "rollback_paused" and "rollback_completed" of an update that started after this
// command wrote (its StartedAt differs from the one read before) fail the wait, naming the
// service and the task error that caused it; for `hcl rollback`, "rollback_completed" is the
// success. (`docker service update` exits 0 after a rollback; a script cannot tell.)
#include <hcl/ops/wait.hpp>

#include <hcl/swarm/networks.hpp>
#include <hcl/swarm/placement.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <thread>

namespace hcl::ops {
namespace {

using Clock = std::chrono::steady_clock;

struct ServiceProgress {
  std::uint64_t running = 0;   // running tasks (jobs: completed ones)
  std::uint64_t desired = 0;   // what the service should reach
  std::set<std::string> failed_tasks;  // IDs of tasks that failed since the wait began
  std::string last_error;
  bool rejected = false;  // a task the engine refused (other than for a transient reason)
  std::uint64_t waiting = 0;   // tasks to run that are not running yet (pending, assigned, ...)
  std::string waiting_reason;  // what the swarm says about one of them ("no suitable node ...")
  std::optional<Clock::time_point> surplus_since;  // more running than replicas, no update running
  bool nudged = false;
  std::uint64_t stale = 0;  // pending tasks the swarm says wait for a node that is not available
  std::optional<Clock::time_point> stale_since;
  bool replaced = false;
  std::string update_cause;       // the status message that named the task an update failed on
  std::string update_task_error;  // and that task's error
};

// How long `condition` has held without a break (`since` keeps when it began), or nullopt while
// it does not hold.
std::optional<std::chrono::milliseconds> held_for(bool condition, std::optional<Clock::time_point>& since,
                                                  Clock::time_point now) {
  if (!condition) {
    since.reset();
    return std::nullopt;
  }
  if (!since) since = now;
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - *since);
}

bool all_nodes_ready(docker::Client& api) {
  auto nodes = api.nodes();
  if (!nodes) return false;
  for (const auto& n : *nodes)
    if (!swarm::ready_and_active(n)) return false;
  return true;
}

// Scales the service down by `stale` and, once its stale pending tasks are gone (at most 5 s),
// back to `replicas`. The second step runs even when the first did not finish in time.
Status replace_stale(docker::Client& api, const docker::Service& svc, std::uint64_t replicas, std::uint64_t stale) {
  if (auto r = api.scale_service(svc.id, replicas - stale); !r) return r;
  auto until = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto tasks = api.tasks(svc.id);
    if (!tasks) break;
    std::uint64_t left = 0;
    for (const auto& task : *tasks)
      if (task.desired_state == "running" && task.state == "pending") ++left;
    if (left == 0) break;
  }
  return api.scale_service(svc.id, replicas);
}


bool is_global(docker::ServiceMode m) { return m == docker::ServiceMode::Global || m == docker::ServiceMode::GlobalJob; }
bool is_job(docker::ServiceMode m) { return m == docker::ServiceMode::ReplicatedJob || m == docker::ServiceMode::GlobalJob; }

// The nodes a global service puts a task on: ready, active, and allowed by its constraints.
std::uint64_t eligible_nodes(const std::vector<docker::SwarmNode>& nodes, const docker::ServiceSpec& spec) {
  std::vector<swarm::Constraint> constraints;
  for (const auto& text : spec.constraints)
    if (auto c = swarm::parse_constraint(text, "constraint")) constraints.push_back(*c);
  std::uint64_t n = 0;
  for (const auto& node : nodes)
    if (swarm::ready_and_active(node) &&
        std::all_of(constraints.begin(), constraints.end(), [&](const auto& c) { return swarm::satisfies(node, c); }))
      ++n;
  return n;
}

class Waiter {
 public:
  Waiter(docker::Client& api, const std::vector<WaitTarget>& targets, const WaitOptions& options)
      : api_(api), targets_(targets), options_(options), start_(Clock::now()) {}

  Status run() {
    auto delay = std::chrono::milliseconds(100);
    for (;;) {
      auto state = look();
      if (!state) return state.error();
      if (auto s = judge(*state); !s) return s;
      first_round_ = false;
      auto now = Clock::now();
      if (all_done_) {
        if (!converged_at_) converged_at_ = now;
        if (now - *converged_at_ >= options_.stable_for) return ok();
      } else {
        converged_at_.reset();
      }
      if (now - start_ > options_.timeout) return timed_out();
      if (options_.interrupted && options_.interrupted->load())
        return Error{ErrorKind::Interrupted, "waiting for services", "interrupted; what was applied stays"};
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 3 / 2, std::chrono::milliseconds(500));
    }
  }

 private:
  struct Look {
    std::vector<docker::Service> services;
    std::vector<const docker::Service*> target_services;  // parallel to targets_
    std::vector<docker::Task> tasks;
    std::vector<docker::SwarmNode> nodes;  // only when a target is global
  };

  // One look at the targets' services and only their tasks: on a large cluster the others would
  // be most of each look.
  Result<Look> look() {
    Look l;
    auto services = api_.services();
    if (!services) return services.error();
    l.services = std::move(*services);
    std::vector<std::string> ids;
    for (const auto& t : targets_) {
      auto it = std::find_if(l.services.begin(), l.services.end(), [&](const auto& s) { return s.spec.name == t.name; });
      if (it == l.services.end()) return Error{ErrorKind::NotFound, fmt::format("service {}", t.name), "it no longer exists"};
      l.target_services.push_back(&*it);
      ids.push_back(it->id);
    }
    auto tasks = api_.current_tasks(ids);
    if (!tasks) return tasks.error();
    l.tasks = std::move(*tasks);
    if (std::any_of(targets_.begin(), targets_.end(), [](const auto& t) { return is_global(t.mode); })) {
      auto nodes = api_.nodes();
      if (!nodes) return nodes.error();
      l.nodes = std::move(*nodes);
    }
    return l;
  }

  // Counts a service's tasks into its progress; failures since the wait began are remembered.
  void count(const WaitTarget& t, const docker::Service& svc, const Look& l, ServiceProgress& s) {
    std::uint64_t running = 0;
    s.waiting = 0;
    s.stale = 0;
    s.waiting_reason.clear();
    for (const auto& task : l.tasks) {
      if (task.service_id != svc.id) continue;
      bool counts = is_job(t.mode) ? task.state == "complete" : task.desired_state == "running" && task.state == "running";
      if (counts) ++running;
      if (task.desired_state == "running" && task.state != "running" && !docker::is_terminal(task.state)) {
        ++s.waiting;
        if (task.state == "pending" && (task.error.find("not available for new tasks") != std::string::npos ||
                                        task.message.find("not available for new tasks") != std::string::npos))
          ++s.stale;
        if (!task.error.empty() || !task.message.empty())
          s.waiting_reason = fmt::format("{} ({})", task.state, task.error.empty() ? task.message : task.error);
      }
      if (task.state == "failed" || task.state == "rejected") {
        if (first_round_) {
          failed_before_.insert(task.id);
        } else if (!failed_before_.count(task.id) && !swarm::transient_rejection(task)) {
          s.failed_tasks.insert(task.id);
          s.last_error = task.error.empty() ? task.message : task.error;
          s.rejected = s.rejected || task.state == "rejected";
        }
      }
    }
    s.desired = is_global(t.mode) ? eligible_nodes(l.nodes, svc.spec) : t.replicas;
    if (running != s.running && options_.on_progress)
      options_.on_progress(t.name, running, s.desired, is_job(t.mode) ? "completed" : "running");
    s.running = running;
  }

  // The two swarmkit slips the header describes, repaired once each per service.
  Status repair(const WaitTarget& t, const docker::Service& svc, ServiceProgress& s, bool updating) {
    if (t.mode != docker::ServiceMode::Replicated) return ok();
    bool settled = !updating && svc.spec.replicas == t.replicas;  // no update; no one else scaled it
    auto now = Clock::now();
    auto surplus_for = held_for(s.running > t.replicas && settled, s.surplus_since, now);
    if (surplus_for && !s.nudged && *surplus_for >= options_.surplus_patience) {
      s.nudged = true;
      note(fmt::format("{}: {} tasks run for {} replicas and the swarm has left them so for {}; asking it to reconcile "
                       "(the same spec, submitted again)",
                       t.name, s.running, t.replicas, http::describe(*surplus_for)));
      if (auto r = api_.scale_service(svc.id, t.replicas); !r) return r;
    }
    auto stale_for = held_for(s.stale > 0 && s.stale <= t.replicas && settled, s.stale_since, now);
    if (stale_for && !s.replaced && *stale_for >= options_.surplus_patience && all_nodes_ready(api_)) {
      s.replaced = true;
      note(fmt::format("{}: {} task{} pending for {} waiting for a node although every node is ready and active; "
                       "replacing {} (scale to {}, then back to {})",
                       t.name, s.stale, s.stale == 1 ? " has been" : "s have been", http::describe(*stale_for),
                       s.stale == 1 ? "it" : "them", t.replicas - s.stale, t.replicas));
      if (auto r = replace_stale(api_, svc, t.replicas, s.stale); !r) return r;
    }
    return ok();
  }

  // The task an update's status names ("... failure or early termination of task ID"), and its
  // error: what made the update pause or roll back.
  static std::string task_error(const docker::Service& svc, const Look& l) {
    auto at = svc.update_message.rfind("task ");
    if (at == std::string::npos) return "";
    std::string id = svc.update_message.substr(at + 5);
    id = id.substr(0, id.find_first_of(" ,;"));
    for (const auto& t : l.tasks)
      if (t.id == id) return t.error.empty() ? t.message : t.error;
    return "";
  }

  // The update this command started, if the service's status is about it: "" while it goes on or
  // is done, else why the wait fails. A rollback is waited for until it ends, so that the
  // service is left as the swarm settled it.
  static std::string update_problem(const WaitTarget& t, const docker::Service& svc, const Look& l, ServiceProgress& s) {
    bool ours = svc.update_started_at != t.update_started_before;
    if (!ours) return "";
    const std::string& st = svc.update_state;
    // While it rolls back the status names the task that failed; once rolled back, it does not.
    if (st == "paused" || st == "rollback_started" || st == "rollback_paused") {
      if (svc.update_message.find("task ") != std::string::npos) s.update_cause = svc.update_message;
      if (auto error = task_error(svc, l); !error.empty()) s.update_task_error = error;
    }
    std::string why = s.update_cause.empty() ? svc.update_message : s.update_cause;
    std::string cause = s.update_task_error.empty() ? "" : fmt::format("; the task's error: {}", s.update_task_error);
    if (t.rollback) {
      if (st == "rollback_paused") return fmt::format("{}: the rollback paused: {}{}", t.name, why, cause);
      return "";
    }
    if (st == "paused") return fmt::format("{}: the update paused: {}{}", t.name, why, cause);
    if (st == "rollback_paused" || st == "rollback_completed")
      return fmt::format("{}: the update failed and {}: {}{}", t.name,
                         st == "rollback_completed" ? "was rolled back" : "its rollback paused", why, cause);
    return "";
  }

  Status judge(const Look& l) {
    all_done_ = true;
    std::vector<std::string> broken;
    for (std::size_t i = 0; i < targets_.size(); ++i) {
      const WaitTarget& t = targets_[i];
      const docker::Service& svc = *l.target_services[i];
      ServiceProgress& s = seen_[t.name];
      count(t, svc, l, s);
      bool updating = svc.update_state == "updating" || svc.update_state == "rollback_started";
      bool rolling_back = t.rollback && svc.update_state != "rollback_completed";
      if (auto r = repair(t, svc, s, updating); !r) return r;
      bool reached = is_job(t.mode) ? s.running >= s.desired : s.running == s.desired;
      if (!reached || updating || rolling_back) all_done_ = false;
      if (s.failed_tasks.size() >= 3 || s.rejected)
        broken.push_back(fmt::format("{} ({}/{} {}; {} failed tasks, last: {})", t.name, s.running, s.desired,
                                     is_job(t.mode) ? "completed" : "running", s.failed_tasks.size(), s.last_error));
      if (auto p = update_problem(t, svc, l, s); !p.empty()) broken.push_back(p);
    }
    if (broken.empty()) return ok();
    std::string why;
    for (const auto& b : broken) why += (why.empty() ? "" : "; ") + b;
    return Error{ErrorKind::Failed, "services do not converge", why};
  }

  Status timed_out() {
    std::string why;
    for (const auto& t : targets_) {
      const ServiceProgress& s = seen_[t.name];
      if (s.running == s.desired) continue;
      why += (why.empty() ? "" : "; ") +
             fmt::format("{}: {}/{} {}", t.name, s.running, s.desired, is_job(t.mode) ? "completed" : "running");
      if (s.waiting > 0)
        why += fmt::format(", {} task{} not started{}", s.waiting, s.waiting == 1 ? "" : "s",
                           s.waiting_reason.empty() ? "" : ": " + s.waiting_reason);
      if (!s.last_error.empty()) why += ", last task error: " + s.last_error;
    }
    if (why.empty()) why = "an update did not complete";
    // Nodes that are not ready are the usual reason: name them.
    if (auto nodes = api_.nodes(); nodes) {
      std::vector<std::string> down;
      for (const auto& n : *nodes)
        if (!swarm::ready_and_active(n))
          down.push_back(fmt::format("{} ({}, {})", n.hostname, docker::to_string(n.state), docker::to_string(n.availability)));
      if (!down.empty()) {
        why += "; nodes not ready or not active: ";
        for (std::size_t k = 0; k < down.size(); ++k) why += (k ? ", " : "") + down[k];
      }
    }
    return Error{ErrorKind::Failed, fmt::format("not converged within {}", http::describe(options_.timeout)), why};
  }

  void note(const std::string& text) {
    if (options_.on_note) options_.on_note(text);
  }

  docker::Client& api_;
  const std::vector<WaitTarget>& targets_;
  const WaitOptions& options_;
  Clock::time_point start_;
  std::map<std::string, ServiceProgress> seen_;
  std::set<std::string> failed_before_;  // failures that predate the wait are not this wait's
  bool first_round_ = true;
  bool all_done_ = false;
  std::optional<Clock::time_point> converged_at_;
};

}  // namespace

Status wait_converged(docker::Client& api, const std::vector<WaitTarget>& targets, const WaitOptions& options) {
  if (targets.empty()) return ok();
  return Waiter(api, targets, options).run();
}

}  // namespace hcl::ops
