// Waiting until services run their replicas.
//
// The manager's event stream (API 1.41) carries service and node events but no task events:
// tasks start on workers, whose container events only their own engines see. So the wait reads
// services and tasks (two requests a round), 100 ms apart at first and at most 500 ms apart,
// which sees the last replica start within a fraction of a second.
#include <hcl/deploy.hpp>

#include <fmt/format.h>

#include <map>
#include <set>
#include <thread>

namespace hcl::ops {
namespace {

using Clock = std::chrono::steady_clock;

struct Seen {
  std::uint64_t running = 0;
  std::set<std::string> failed_tasks;  // IDs of tasks that failed since the wait began
  std::string last_error;
  bool rejected = false;
  std::uint64_t waiting = 0;   // tasks to run that are not running yet (pending, assigned, ...)
  std::string waiting_reason;  // what the swarm says about one of them ("no suitable node ...")
};

}  // namespace

Status wait_converged(docker::Client& api, const std::vector<WaitTarget>& targets, const WaitOptions& options) {
  if (targets.empty()) return ok();
  auto start = Clock::now();
  bool converged = false;
  Clock::time_point converged_at{};
  std::map<std::string, Seen> seen;
  std::set<std::string> failed_before;  // failures that predate the wait are not this wait's
  bool first_round = true;
  auto delay = std::chrono::milliseconds(100);

  for (;;) {
    auto services = api.services();
    if (!services) return services.error();
    auto tasks = api.tasks();
    if (!tasks) return tasks.error();
    std::map<std::string, const docker::Service*> by_name;
    for (const auto& s : *services) by_name[s.spec.name] = &s;

    bool all = true;
    std::vector<std::string> broken;
    for (const auto& t : targets) {
      auto it = by_name.find(t.name);
      if (it == by_name.end()) return Error{ErrorKind::NotFound, fmt::format("service {}", t.name), "it no longer exists"};
      const docker::Service& svc = *it->second;
      Seen& s = seen[t.name];
      std::uint64_t running = 0;
      s.waiting = 0;
      s.waiting_reason.clear();
      for (const auto& task : *tasks) {
        if (task.service_id != svc.id) continue;
        if (task.desired_state == "running" && task.state == "running") ++running;
        if (task.desired_state == "running" && task.state != "running" && !docker::is_terminal(task.state)) {
          ++s.waiting;
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
        const Seen& s = seen[t.name];
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
          if (n.state != docker::NodeState::Ready || n.availability != docker::NodeAvailability::Active)
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
