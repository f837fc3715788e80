// Planning a deploy: what to create, update (with the fields that differ), leave or prune, compared
// with what the cluster runs. Reads only.
#pragma once

#include <hcl/docker.hpp>
#include <hcl/error.hpp>
#include <hcl/manifest.hpp>

#include <optional>
#include <string>
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

std::string to_string(Change change);

}  // namespace hcl::ops
