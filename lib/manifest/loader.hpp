// What the files of lib/manifest share: the loading context, the declared networks and
// volumes, and the readers of each part of a manifest. Internal to lib/manifest.
#pragma once

#include "tree.hpp"
#include "values.hpp"

#include <hcl/config.hpp>
#include <hcl/manifest.hpp>
#include <hcl/swarm/labels.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace hcl::manifest::detail {

// Which compose format the file declares; it decides a few keys (scale, mem_limit, cpus).
enum class Format { V2, V3, Spec };

// --- interpolate.cpp --------------------------------------------------------------------
// interpolate() that also returns the names of unset variables it replaced with "".
Result<std::string> interpolate_text(std::string_view text, const config::Env& lookup, const Location& where,
                                     std::vector<std::string>& unset);
// Interpolates every scalar value (not keys) in place; top-level x-* blocks are left alone.
// Warns once per unset variable, as compose does.
void interpolate_tree(Node& root, const config::Env& lookup, Diagnostics& diag);

struct EnvLine {
  std::string key;
  std::optional<std::string> value;  // nullopt for a bare KEY
  Location where;
};
// A file of KEY=VALUE lines (the .env file, env_file): # comments, blank lines, `export K=V`,
// '...' and "..." quoting. Bad lines are reported as FILE:LINE:COL. nullopt when unreadable.
std::optional<std::vector<EnvLine>> read_env_file(const std::string& path, Diagnostics& diag);

// --- the loading context ------------------------------------------------------------------
struct Context {
  std::string file;               // the manifest's path as given: locations name it
  std::filesystem::path dir;      // its directory as given, for env_file paths in messages
  std::filesystem::path abs_dir;  // the same, absolute: bind mounts are made absolute with it
  std::string project;
  Format format = Format::Spec;
  config::Env env;                // LoadOptions::env: bare environment entries, ~ in paths
  Diagnostics diag;

  std::optional<std::string> getenv(const std::string& name) const { return env ? env(name) : std::nullopt; }
};

// --- definitions.cpp: top-level networks and volumes --------------------------------------
class Declared {
 public:
  void read_networks(const Node* node, Context& ctx);
  void read_volumes(const Node* node, Context& ctx);
  // The network or volume a service names, marked as used; nullptr when not declared. The
  // `default` network needs no declaration.
  const NetworkDef* use_network(const std::string& key, const Context& ctx, const Location& where);
  const VolumeDef* use_volume(const std::string& key);
  std::vector<std::string_view> network_keys() const;
  std::vector<std::string_view> volume_keys() const;
  // The networks and volumes some service uses, in file order; warns about the others.
  std::vector<NetworkDef> used_networks(Diagnostics& diag) const;
  std::vector<VolumeDef> used_volumes(Diagnostics& diag) const;

 private:
  std::vector<NetworkDef> networks_;
  std::vector<bool> network_used_;
  std::vector<VolumeDef> volumes_;
  std::vector<bool> volume_used_;
};

// --- service.cpp, environment.cpp, deploy.cpp, ports_mounts.cpp: one service -----------------------------
struct ParsedService {
  ServiceDef def;
  std::vector<Location> depends_at;  // parallel to def.depends_on
  std::vector<Location> ports_at;    // parallel to def.spec.ports
};

ParsedService read_service(const Entry& entry, Context& ctx, Declared& declared);

// env_file, then environment (a later value of a key replaces an earlier one); classic Swarm
// constraint: entries leave the environment and are returned as engine expressions.
void read_env(const Node& service, Context& ctx, docker::ServiceSpec& spec, std::vector<std::string>& constraints);

// deploy:, and the older keys that say the same (scale, restart, mem_limit, mem_reservation,
// cpus). Placement constraints are returned as engine expressions.
void read_deploy(const Node& service, Context& ctx, docker::ServiceSpec& spec, std::vector<std::string>& constraints);
void read_healthcheck(const Node& node, Context& ctx, docker::ServiceSpec& spec);
// ports: (short and long syntax).
void read_ports(const Node& node, Context& ctx, ParsedService& out);
// volumes: (short and long syntax) and tmpfs:.
void read_mounts(const Node& service, Context& ctx, Declared& declared, docker::ServiceSpec& spec);

}  // namespace hcl::manifest::detail
