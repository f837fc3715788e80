// Waiting until services run their replicas on their current spec, for `--wait`: replicated
// services run their replicas, global ones a task on every node that may run one, jobs complete;
// an update this command started completes (its pause or rollback fails the wait).
#pragma once

#include <hcl/docker.hpp>
#include <hcl/error.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hcl::ops {

struct WaitTarget {
  std::string name;  // the engine's service name
  docker::ServiceMode mode = docker::ServiceMode::Replicated;
  std::uint64_t replicas = 0;  // replicated: replicas; replicated-job: completions; global modes: unused
  // The service's UpdateStatus.StartedAt before this command wrote to it ("" for a new service):
  // an update that started since is this command's, and its pause or rollback fails the wait.
  std::string update_started_before;
  bool rollback = false;  // the command asked for a rollback: its completion is the success
};

struct WaitOptions {
  std::chrono::milliseconds timeout{120000};
  std::chrono::milliseconds stable_for{0};  // after converging, stay converged this long
  const std::atomic<bool>* interrupted = nullptr;
  // Called whenever a service's count changes: name, running, desired.
  std::function<void(const std::string&, std::uint64_t, std::uint64_t)> on_progress;
  // More running tasks than replicas for this long, with no update under way: the swarm has
  // missed a change, and the wait asks it to reconcile (see wait.cpp).
  std::chrono::milliseconds surplus_patience{3000};
  // Called with a sentence when the wait itself changes something.
  std::function<void(const std::string&)> on_note;
};

// Waits until every target has exactly its replicas running on the current spec (a global service:
// one task on each ready, active node its constraints allow; a job: its completions) and any
// update completed. Fails, naming the services and the tasks' errors, on timeout, when tasks keep
// failing (three failures of one service since the wait began, or a task the engine rejected), or
// when an update this command started pauses or rolls back.
Status wait_converged(docker::Client& api, const std::vector<WaitTarget>& targets, const WaitOptions& options);

}  // namespace hcl::ops
