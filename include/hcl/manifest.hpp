// Compose manifests (format 2.x, 3.x and the compose specification) read into a validated
// project: every service already turned into the docker::ServiceSpec hcl will deploy. Errors and
// warnings carry FILE:LINE:COL. Nothing here talks to a cluster.
#pragma once

#include <hcl/config.hpp>
#include <hcl/docker.hpp>
#include <hcl/error.hpp>

#include <optional>
#include <string>
#include <vector>

namespace hcl::manifest {

struct Location {
  std::string file;
  int line = 0;  // 1-based
  int col = 0;   // 1-based
  std::string str() const;  // "FILE:LINE:COL"
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
  std::string driver;  // "" or "local"
  docker::Labels labels;
  Location where;
};

struct ServiceDef {
  std::string key;  // the service's name in the manifest ("demo-hostname")
  Location where;
  std::vector<std::string> depends_on;  // keys of other services, validated to exist, no cycles
  // The spec to deploy: name "<project>_<key>"; labels include swarm::kProjectLabel=<project> and
  // swarm::kServiceLabel=<key> (plus deploy.labels); container_labels from `labels:`; env without the
  // classic constraint: entries, which are in `constraints` as swarm-mode expressions (with
  // deploy.placement.constraints); networks as engine names (a service with no `networks:` joins
  // the project's `default` network, which is then created as "<project>_default"); network
  // aliases; replicas from deploy.replicas or `scale:` (default 1); endpoint_mode from
  // deploy.endpoint_mode (default: dnsrr, as vip needs IPVS); restart from deploy.restart_policy
  // or the v2 `restart:` key (no -> none, on-failure, always/unless-stopped -> any; default any);
  // ports (short and long syntax; published ports in host mode unless `mode: ingress`);
  // resources, update_config, healthcheck, working_dir, user, hostname, mounts (bind sources
  // made absolute relative to the manifest's directory; named volumes as "<project>_<key>").
  docker::ServiceSpec spec;
};

struct Project {
  std::string name;        // from -p, else the manifest's `name:`, else its directory's name
  std::string file;        // the manifest's path as given
  std::vector<ServiceDef> services;  // in a dependency order: every service after those it depends on
  std::vector<NetworkDef> networks;  // only the networks some service uses, plus external ones named
  std::vector<VolumeDef> volumes;
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
