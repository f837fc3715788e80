// Compose manifests (formats 1, 2.x, 3.x and the compose specification) read into a validated
// project: every service already turned into the docker::ServiceSpec hcl will deploy, the same
// spec `docker stack deploy` makes of the same file (the README lists where hcl differs, and why).
// Errors and warnings carry FILE:LINE:COL. Nothing here talks to a cluster.
#pragma once

#include <hcl/config.hpp>
#include <hcl/docker.hpp>
#include <hcl/error.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hcl::manifest {

struct Location {
  std::string file;
  int line = 0;  // 1-based
  int col = 0;   // 1-based
  // For a value an alias (`web: *defaults`) brought from its anchor: where the alias is used
  // ("FILE:LINE:COL"), so that a message names the use as well as the anchor's line.
  std::string via;
  std::string str() const;  // "FILE:LINE:COL", and " (through the alias at FILE:LINE:COL)"
};

struct Warning {
  Location where;
  std::string message;  // "key 'logging' is not supported and is ignored"
};

struct NetworkDef {
  std::string key;   // the name in the manifest ("apps")
  std::string name;  // the engine's name: "<project>_<key>", the `name:` given, or the external name
  bool external = false;
  docker::NetworkSpec spec;  // name, driver (default overlay), attachable, internal, subnet, gateway,
                             // labels (including swarm::kProjectLabel=<project>) — unused when external
  Location where;
};

struct VolumeDef {
  std::string key;
  std::string name;  // "<project>_<key>", the `name:` given, or the external name
  bool external = false;
  std::optional<std::string> driver;  // set when `driver:` or `driver_opts:` is
  std::map<std::string, std::string> driver_options;
  docker::Labels labels;  // including swarm::kProjectLabel=<project>; unused when external
  Location where;
};

// A top-level secret or config. The swarm keeps each version of its content as an object of its
// own (their data cannot change); ops picks or makes the object for this content.
struct FileObjectDef {
  docker::FileObjectKind kind = docker::FileObjectKind::Secret;
  std::string key;   // the name in the manifest
  std::string name;  // "<project>_<key>", the `name:` given, or the external name
  bool external = false;
  std::string data;  // from `file:`, `content:` or `environment:` (empty with a driver or external)
  std::string driver;  // secrets in an external store
  std::map<std::string, std::string> driver_options;
  std::string template_driver;
  docker::Labels labels;  // including swarm::kProjectLabel=<project>
  Location where;
};

struct ServiceDef {
  std::string key;  // the service's name in the manifest ("demo-hostname")
  Location where;
  std::vector<std::string> depends_on;  // keys of other services, validated to exist, no cycles
  // The spec to deploy, as docker stack deploy would make it: name "<project>_<key>"; labels
  // include swarm::kProjectLabel=<project>, swarm::kServiceLabel=<key> and the image as written
  // (plus deploy.labels); container labels from `labels:` plus the project label; the image with
  // ":latest" when it has no tag; env sorted, without the classic `constraint:` entries, which
  // are in `constraints` as swarm-mode expressions; networks sorted by name, each with the
  // service's key as an alias (a service with no `networks:` joins "<project>_default"); ports
  // sorted by published port, in ingress mode unless `mode: host`; secrets and configs with
  // their base names ("<project>_<key>") and no IDs yet (ops picks the object and fills both in).
  docker::ServiceSpec spec;
  // Where the manifest asks for each feature that only some engines have (the key's position and
  // its name as written: "healthcheck.start_interval"), for errors that point at the file.
  struct FeatureUse {
    docker::Feature feature;
    Location where;
    std::string key;
  };
  std::vector<FeatureUse> features;
};

struct Project {
  std::string name;        // from -p, else the manifest's `name:`, else its directory's name
  std::string file;        // the manifest's path as given
  std::vector<ServiceDef> services;  // in a dependency order: every service after those it depends on
  std::vector<NetworkDef> networks;  // only the networks some service uses, plus external ones named
  std::vector<VolumeDef> volumes;
  std::vector<FileObjectDef> secrets;  // only those some service uses
  std::vector<FileObjectDef> configs;
  std::vector<Warning> warnings;     // ignored keys, with their locations
};

struct LoadOptions {
  std::optional<std::string> project;   // -p
  std::optional<std::string> env_file;  // --env-file; default: ".env" beside the manifest, if present
  config::Env env = config::process_environment();  // for ${VAR} interpolation
};

// Reads, interpolates and validates the whole manifest. On failure: Error{Usage,
// "FILE:LINE:COL", message}; when there are several problems, `why` lists the first and the
// others follow on their own lines as "FILE:LINE:COL: message".
Result<Project> load(const std::string& path, const LoadOptions& options = {});

// ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, $VAR and $$ (a literal $).
// `lookup` returns nullopt for unset variables. Errors name `where`.
Result<std::string> interpolate(std::string_view text, const config::Env& lookup, const Location& where);

}  // namespace hcl::manifest
