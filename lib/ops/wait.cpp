// Waiting until services run their replicas.
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
#include <hcl/ops/wait.hpp>

#include <hcl/swarm/placement.hpp>

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>
#include <thread>

namespace hcl::ops {
namespace {

using Clock = std::chrono::steady_clock;

struct ServiceProgress {
  std::uint64_t running = 0;
  std::set<std::string> failed_tasks;  // IDs of tasks that failed since the wait began
  std::string last_error;
  bool rejected = false;
  std::uint64_t waiting = 0;   // tasks to run that are not running yet (pending, assigned, ...)
  std::string waiting_reason;  // what the swarm says about one of them ("no suitable node ...")
  std::optional<Clock::time_point> surplus_since;  // more running than replicas, no update running
  bool nudged = false;
  std::uint64_t stale = 0;  // pending tasks the swarm says wait for a node that is not available
  std::optional<Clock::time_point> stale_since;
  bool replaced = false;
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

}  // namespace

Status wait_converged(docker::Client& api, const std::vector<WaitTarget>& targets, const WaitOptions& options) {
  if (targets.empty()) return ok();
  auto start = Clock::now();
  bool converged = false;
  Clock::time_point converged_at{};
  std::map<std::string, ServiceProgress> seen;
  std::set<std::string> failed_before;  // failures that predate the wait are not this wait's
  bool first_round = true;
  auto delay = std::chrono::milliseconds(100);

  for (;;) {
    auto services = api.services();
    if (!services) return services.error();
    std::map<std::string, const docker::Service*> by_name;
    for (const auto& s : *services) by_name[s.spec.name] = &s;
    // The targets' services, in order; and only their tasks: on a large cluster the others
    // would be most of each look.
    std::vector<const docker::Service*> target_services;
    std::vector<std::string> ids;
    for (const auto& t : targets) {
      auto it = by_name.find(t.name);
      if (it == by_name.end()) return Error{ErrorKind::NotFound, fmt::format("service {}", t.name), "it no longer exists"};
      target_services.push_back(it->second);
      ids.push_back(it->second->id);
    }
    auto tasks = api.tasks(ids);
    if (!tasks) return tasks.error();

    bool all = true;
    std::vector<std::string> broken;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      const WaitTarget& t = targets[i];
      const docker::Service& svc = *target_services[i];
      ServiceProgress& s = seen[t.name];
      std::uint64_t running = 0;
      s.waiting = 0;
      s.stale = 0;
      s.waiting_reason.clear();
      for (const auto& task : *tasks) {
        if (task.service_id != svc.id) continue;
        if (task.desired_state == "running" && task.state == "running") ++running;
        if (task.desired_state == "running" && task.state != "running" && !docker::is_terminal(task.state)) {
          ++s.waiting;
          if (task.state == "pending" && (task.error.find("not available for new tasks") != std::string::npos ||
                                          task.message.find("not available for new tasks") != std::string::npos))
            ++s.stale;
          if (!task.error.empty() || !task.message.empty())
            s.waiting_reason = fmt::format("{} ({})", task.state, task.error.empty() ? task.message : task.error);
        }
        if (task.state == "failed" || task.state == "rejected") {
          if (first_round) failed_before.insert(task.id);
          else if (!failed_before.count(task.id)) {
            s.failed_tasks.insert(task.id);
            s.last_error = task.error.empty() ? task.message : task.error;
            s.rejected = s.rejected || task.state == "rejected";
          }
        }
      }
      if (running != s.running && options.on_progress) options.on_progress(t.name, running, t.replicas);
      s.running = running;
      bool updating = svc.update_state == "updating" || svc.update_state == "rollback_started";
      if (running != t.replicas || updating) all = false;
      // The repairs below, once each, when the swarm has been left so for the patience, with no
      // update under way and the spec still at the wait's count (no one else scaled it).
      bool settled = !updating && svc.spec.replicas == t.replicas;
      auto now = Clock::now();
      auto surplus_for = held_for(running > t.replicas && settled, s.surplus_since, now);
      if (surplus_for && !s.nudged && *surplus_for >= options.surplus_patience) {
        s.nudged = true;
        if (options.on_note)
          options.on_note(fmt::format("{}: {} tasks run for {} replicas and the swarm has left them so for {}; "
                                      "asking it to reconcile (the same spec, submitted again)",
                                      t.name, running, t.replicas, http::describe(*surplus_for)));
        if (auto r = api.scale_service(svc.id, t.replicas); !r) return r;
      }
      auto stale_for = held_for(s.stale > 0 && s.stale <= t.replicas && settled, s.stale_since, now);
      if (stale_for && !s.replaced && *stale_for >= options.surplus_patience && all_nodes_ready(api)) {
        s.replaced = true;
        if (options.on_note)
          options.on_note(fmt::format("{}: {} task{} pending for {} waiting for a node although every node is ready "
                                      "and active; replacing {} (scale to {}, then back to {})",
                                      t.name, s.stale, s.stale == 1 ? " has been" : "s have been",
                                      http::describe(*stale_for), s.stale == 1 ? "it" : "them", t.replicas - s.stale,
                                      t.replicas));
        if (auto r = replace_stale(api, svc, t.replicas, s.stale); !r) return r;
      }
      if (s.failed_tasks.size() >= 3 || s.rejected)
        broken.push_back(fmt::format("{} ({}/{} running; {} failed tasks, last: {})", t.name, running, t.replicas,
                                     s.failed_tasks.size(), s.last_error));
      if (svc.update_state == "paused" || svc.update_state == "rollback_completed")
        broken.push_back(fmt::format("{} (update {}: {})", t.name, svc.update_state, svc.update_message));
    }
    first_round = false;

    if (!broken.empty()) {
      std::string why;
      for (const auto& b : broken) why += (why.empty() ? "" : "; ") + b;
      return Error{ErrorKind::Failed, "services do not converge", why};
    }
    auto now = Clock::now();
    if (all) {
      if (!converged) converged = true, converged_at = now;
      if (now - converged_at >= options.stable_for) return ok();
    } else {
      converged = false;
    }
    if (now - start > options.timeout) {
      std::string why;
      for (const auto& t : targets) {
        const ServiceProgress& s = seen[t.name];
        if (s.running == t.replicas) continue;
        why += (why.empty() ? "" : "; ") + fmt::format("{}: {}/{} running", t.name, s.running, t.replicas);
        if (s.waiting > 0)
          why += fmt::format(", {} task{} not started{}", s.waiting, s.waiting == 1 ? "" : "s",
                             s.waiting_reason.empty() ? "" : ": " + s.waiting_reason);
        if (!s.last_error.empty()) why += ", last task error: " + s.last_error;
      }
      if (why.empty()) why = "an update did not complete";
      // Nodes that are not ready are the usual reason: name them.
      if (auto nodes = api.nodes(); nodes) {
        std::vector<std::string> down;
        for (const auto& n : *nodes)
          if (!swarm::ready_and_active(n))
            down.push_back(fmt::format("{} ({}, {})", n.hostname, docker::to_string(n.state), docker::to_string(n.availability)));
        if (!down.empty()) {
          why += "; nodes not ready or not active: ";
          for (std::size_t k = 0; k < down.size(); ++k) why += (k ? ", " : "") + down[k];
        }
      }
      return Error{ErrorKind::Failed, fmt::format("not converged within {}", http::describe(options.timeout)), why};
    }
    if (options.interrupted && options.interrupted->load())
      return Error{ErrorKind::Interrupted, "waiting for services", "interrupted; what was applied stays"};
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 3 / 2, std::chrono::milliseconds(500));
  }
}

}  // namespace hcl::ops
