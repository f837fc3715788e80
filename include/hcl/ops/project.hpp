// Projects on the cluster: finding services by name, scaling, listing and taking projects down.
#pragma once

#include <hcl/docker.hpp>
#include <hcl/error.hpp>
#include <hcl/ops/wait.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hcl::ops {

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

// Returns each service to its previous spec (what it ran before its last update), as `docker
// service rollback`; every name is resolved before anything changes. The targets are what a
// --wait then waits for: the rollbacks to complete.
Result<std::vector<WaitTarget>> rollback_services(docker::Client& api, const std::vector<std::string>& names,
                                                  const std::optional<std::string>& project);

// What a scale of several services did: every service is tried, whatever the others did.
struct ScaleReport {
  std::vector<WaitTarget> scaled;                      // applied, in the order given
  std::vector<std::pair<std::string, Error>> failed;  // the service's engine name and why
  std::size_t tried = 0;
  // ok() when every service was scaled; one failure as it is; several in one error that names
  // each, with the first one's kind (and so its exit status).
  Status status() const;
};

// Scales services[i] to requests[i].replicas, each service in turn; a failure does not keep the
// others from being scaled.
ScaleReport scale_services(docker::Client& api, const std::vector<ResolvedService>& services,
                           const std::vector<ScaleRequest>& requests);

struct ProjectSummary {
  std::string name;
  std::size_t services = 0;
  std::uint64_t running = 0;
  std::uint64_t desired = 0;
  std::size_t networks = 0;
};
Result<std::vector<ProjectSummary>> list_projects(docker::Client& api);

// Removes the project's services, then (once their tasks are gone) its networks, then its
// secrets and configs.
struct DownReport {
  std::vector<std::string> services;
  std::vector<std::string> networks;
  std::vector<std::string> secrets;
  std::vector<std::string> configs;
};
Result<DownReport> down_project(docker::Client& api, const std::string& project, const WaitOptions& options);

// Removes networks, retrying while the engine says they are in use (tasks of removed services
// still detaching), for at most `patience`. Returns each name with "" or the last error.
std::vector<std::pair<std::string, std::string>> remove_networks(docker::Client& api, const std::vector<std::string>& names,
                                                              std::chrono::milliseconds patience);

}  // namespace hcl::ops
