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

// A network's engine name and, when the cluster has it, its ID.
struct NetworkId {
  std::string name;
  std::string id;
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
  std::string update_started_at;     // for Update: the service's UpdateStatus.StartedAt before it
};

// A secret or a config. The swarm cannot change one's data, so a changed file makes a new one
// (named "<project>_<key>", or with a digest when that name is taken by an older version), the
// services move to it, and older versions are removed once no service uses them.
struct FileObjectChange {
  Change change = Change::Unchanged;  // Create; Unchanged (the object for this content exists); Remove
  docker::FileObjectKind kind = docker::FileObjectKind::Secret;
  std::string key;   // the manifest's name
  std::string name;  // the engine's name
  std::string id;    // for Unchanged and Remove
  std::optional<docker::FileObjectSpec> spec;  // for Create
  std::string digest;  // SHA-256 of the content (kDigestLabel); empty for an external one
};

struct Plan {
  std::string project;
  std::vector<NetworkChange> networks;
  std::vector<FileObjectChange> files;  // secrets and configs
  std::vector<ServiceChange> services;
  std::vector<NetworkId> network_ids;   // the networks the project's services join, as the cluster has them
  bool has_changes() const;
};

// Labels hcl puts on the secrets and configs it makes, to know them again: the manifest's key
// and the SHA-256 digest of the content (the swarm never gives a secret's data back).
inline constexpr const char* kFileKeyLabel = "com.hcl.key";
inline constexpr const char* kDigestLabel = "com.hcl.digest";

// The label hcl puts on each service it creates or updates: the SHA-256 digest of what the spec
// refers to by ID, as hcl resolved it when it sent the spec (refs_digest). The engine keeps IDs
// where the manifest has names (networks) or contents (secrets and configs), and it can neither
// rename a network nor change a secret's or config's data, nor remove one a service uses. So when
// a service's IDs, paired with the names and contents the manifest has now, give the digest its
// label holds, they still stand for them, and an unchanged deploy needs nothing but the services
// (one request instead of four). Not compared: a service hcl deployed before it had the label
// keeps none until it changes.
inline constexpr const char* kRefsLabel = "com.hcl.refs";

// What a spec refers to by ID: each network's ID and name, in the spec's order; each secret's
// and config's ID and content digest (empty for an external one), in the spec's order.
struct SpecRefs {
  std::vector<std::pair<std::string, std::string>> networks, secrets, configs;
};
std::string refs_digest(const SpecRefs& refs);

// Compares the project with what the cluster runs (services and networks labelled with the
// project) and lists the changes: from the services alone when they show that nothing changed
// (kRefsLabel), else from the services, networks, secrets and configs; with `prune`, services of the project that the manifest no
// longer has are removed. External networks, secrets and configs must exist. Fails, before
// anything changes, when a service asks for what the engine's API version does not have (naming
// the manifest's key and both versions) or for a change of mode, which the swarm refuses. Reads
// only.
Result<Plan> plan_deploy(docker::Client& api, const manifest::Project& project, bool prune);

// Sends plan_deploy's first request (a read) for the project named PROJECT now, so that the
// engine answers while the caller reads the manifest; plan_deploy then takes the answer.
void begin_plan(docker::Client& api, const std::string& project, bool prune);

// Names of the fields in which two specs differ, as users know them.
std::vector<std::string> spec_differences(const docker::ServiceSpec& current, const docker::ServiceSpec& desired);

std::string to_string(Change change);

}  // namespace hcl::ops
