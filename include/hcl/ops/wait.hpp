// Waiting until services run their replicas on their current spec, for `--wait`.
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
  std::uint64_t replicas = 0;
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

// Waits until every target has exactly its replicas running on the current spec (and any update
// completed). Fails, naming the services and the tasks' errors, on timeout or when tasks keep
// failing (three failures of one service since the wait began, or a task the engine rejected).
Status wait_converged(docker::Client& api, const std::vector<WaitTarget>& targets, const WaitOptions& options);

}  // namespace hcl::ops
