// Keeping Consul's catalog in step with the swarm: every running task of a service becomes a
// Consul service instance (named after the service, at the task's overlay address and port, on
// the node the task runs on), and instances whose tasks are gone are removed. This replaces the
// registration sidecar (registrator) of the original cluster lab.
//
// The instances are registered through the catalog API on one external node per swarm node
// ("swarm-node1", NodeMeta external-node=true, the swarm node's address), the convention Consul
// has for services that no local Consul agent manages: a real agent's anti-entropy would remove
// catalog registrations made on its own node. Their check carries a TCP definition that Consul
// ESM can probe; its status is the task's, set by hcl.
//
// Instances hcl registers are recognised by their ID ("hcl-task-<task ID>") and ServiceMeta
// ("hcl-task", "hcl-service", "hcl-project", "hcl-node"); hcl never touches instances registered
// by others. An external node hcl made is removed once no service is left on it.
// Registration is idempotent: the same task always gives the same instance, so running a pass
// twice, or restarting `hcl sync --watch`, registers nothing twice.
#pragma once

#include <hcl/consul.hpp>
#include <hcl/docker.hpp>
#include <hcl/error.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hcl::ops {

// Labels on a swarm service that steer its registration.
inline constexpr const char* kConsulLabel = "com.hcl.consul";              // "false": never registered
inline constexpr const char* kConsulNameLabel = "com.hcl.consul.name";     // Consul name (default: the service's)
inline constexpr const char* kConsulPortLabel = "com.hcl.consul.port";     // default: first target port
inline constexpr const char* kConsulTagsLabel = "com.hcl.consul.tags";     // comma-separated
inline constexpr const char* kConsulNetworkLabel = "com.hcl.consul.network";  // whose address (default: first non-ingress)

inline constexpr const char* kInstancePrefix = "hcl-task-";
inline constexpr const char* kNodePrefix = "swarm-";  // + the swarm node's hostname

struct SyncScope {
  std::optional<std::string> project;  // only this project's services
  std::vector<std::string> services;   // only these swarm services (engine names); empty: all
  bool remove_all = false;             // take every instance in scope out (hcl down)
};

struct SyncPlan {
  std::vector<consul::ServiceInstance> add;     // new, or changed since registered
  std::vector<consul::ServiceInstance> remove;  // registered by hcl, its task no longer running
  std::size_t unchanged = 0;
  std::vector<std::string> skipped;             // "SERVICE: reason" for services left out
  // Task ID -> when the task reached its current state (the engine's Status.Timestamp), for the
  // tasks behind `add` and those of `remove` the engine still lists.
  std::map<std::string, std::string> task_since;
};

// What the catalog should hold for the cluster, against what hcl registered; pure, for tests.
SyncPlan plan_sync(const docker::ClusterState& cluster, const std::vector<consul::ServiceInstance>& registered,
                   const SyncScope& scope);

struct SyncFailure {
  consul::ServiceInstance instance;
  bool removing = false;
  Error error;
};

struct SyncResult {
  SyncPlan plan;
  std::vector<SyncFailure> failed;  // writes Consul refused or that did not reach it
  std::vector<std::string> nodes_removed;  // external nodes left empty and removed
};

// The instances hcl registered (read from Consul's checks and catalog), with their check state.
Result<std::vector<consul::ServiceInstance>> registered_instances(consul::Client& consul);

// One pass: reads the swarm and Consul (at once), plans and applies. Reading either side failing
// fails the pass with nothing written; failed writes are reported in the result.
Result<SyncResult> sync_once(docker::Client& docker, consul::Client& consul, const SyncScope& scope);

}  // namespace hcl::ops
