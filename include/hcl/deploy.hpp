// Deploying a manifest: the plan (what to create, update with which fields, leave, or prune),
// applying it in dependency order with independent services written at once, and waiting for
// the services to converge. Also what `hcl scale`, `hcl down` and `hcl ls` need.
#pragma once

#include <hcl/docker.hpp>
#include <hcl/error.hpp>
#include <hcl/manifest.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hcl::ops {

enum class Change { Create, Update, Remove, Unchanged };

struct NetworkChange {
  Change change = Change::Unchanged;
  std::string name;                   // the engine's name
  std::optional<docker::NetworkSpec> spec;  // for Create
};

struct ServiceChange {
  Change change = Change::Unchanged;
  std::string key;   // the manifest's name ("demo-hostname"); for Remove, from the label
  std::string name;  // the engine's name ("loadbalancing_demo-hostname")
  std::vector<std::string> fields;  // for Update: the fields that differ ("replicas", "env", ...)
  std::optional<docker::ServiceSpec> spec;  // desired, for Create and Update
  std::string id;                    // for Update and Remove
  std::uint64_t version = 0;         // for Update
  int level = 0;                     // dependency depth: 0 first, then 1, ...
};

struct Plan {
  std::string project;
  std::vector<NetworkChange> networks;
  std::vector<ServiceChange> services;
  bool has_changes() const;
};

// Compares the project with what the cluster runs (services and networks labelled with the
// project) and lists the changes; with `prune`, services of the project that the manifest no
// longer has are removed. External networks must exist. Reads only.
Result<Plan> plan_deploy(docker::Client& api, const manifest::Project& project, bool prune);

// Names of the fields in which two specs differ, as users know them.
std::vector<std::string> spec_differences(const docker::ServiceSpec& current, const docker::ServiceSpec& desired);

struct ApplyProgress {
  std::function<void(const std::string&)> line;  // "created service loadbalancing_web" (may be empty)
};

// Applies a plan: networks first, then services level by level (a level's writes at once),
// removals last. On the first level that fails, stops and returns an error that lists what was
// applied and what was not; a re-run converges.
Status apply_plan(docker::Client& api, const Plan& plan, const ApplyProgress& progress);

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
  // missed a change, and the wait asks it to reconcile (see converge.cpp).
  std::chrono::milliseconds surplus_patience{3000};
  // Called with a sentence when the wait itself changes something.
  std::function<void(const std::string&)> on_note;
};

// Waits until every target has exactly its replicas running on the current spec (and any update
// completed). Fails, naming the services and the tasks' errors, on timeout or when tasks keep
// failing (three failures of one service since the wait began, or a task the engine rejected).
Status wait_converged(docker::Client& api, const std::vector<WaitTarget>& targets, const WaitOptions& options);

// --- scale, down, ls --------------------------------------------------------------------

struct ScaleRequest {
  std::string service;  // as the user wrote it: "demo-hostname" or "loadbalancing_demo-hostname"
  std::uint64_t replicas = 0;
};

// "SERVICE=N". Errors name the argument.
Result<ScaleRequest> parse_scale(std::string_view text);

struct ResolvedService {
  std::string name;  // the engine's name
  std::string id;
};

// Finds the services the user means: by the engine's name, or by the manifest key (the
// com.hcl.service label) within `project` (or, without one, the only project that has it).
Result<std::vector<ResolvedService>> resolve_services(docker::Client& api, const std::vector<std::string>& names,
                                                      const std::optional<std::string>& project);

struct ProjectSummary {
  std::string name;
  std::size_t services = 0;
  std::uint64_t running = 0;
  std::uint64_t desired = 0;
  std::size_t networks = 0;
};
Result<std::vector<ProjectSummary>> list_projects(docker::Client& api);

// Removes the project's services, then (once their tasks are gone) its networks.
struct DownReport {
  std::vector<std::string> services;
  std::vector<std::string> networks;
};
Result<DownReport> down_project(docker::Client& api, const std::string& project, const WaitOptions& options);

// Removes networks, retrying while the engine says they are in use (tasks of removed services
// still detaching), for at most `patience`. Returns each name with "" or the last error.
std::vector<std::pair<std::string, std::string>> remove_networks(docker::Client& api, const std::vector<std::string>& names,
                                                              std::chrono::milliseconds patience);

std::string to_string(Change change);

}  // namespace hcl::ops
