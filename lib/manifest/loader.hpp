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
#include <string_view>
#include <string>
#include <vector>

namespace hcl::manifest::detail {

// Which compose format the file is; it decides a few keys (scale, mem_limit, cpus, net, log_driver).
// V1 is docker-compose 1.x's: no version and no services key, each top-level key a service.
enum class Format { V1, V2, V3, Spec };

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
// '...' and "..." quoting (with `raw`: each value as written after the '='). Bad lines are reported
// as FILE:LINE:COL, quoting at most a short excerpt of the line. An error (naming the path) when
// it cannot be read, is a directory or a device, or is larger than kMaxManifestBytes.
Result<std::vector<EnvLine>> read_env_file(const std::string& path, Diagnostics& diag, bool raw = false);

// --- the loading context ------------------------------------------------------------------
struct Context {
  std::string file;               // the manifest's path as given: locations name it
  std::filesystem::path dir;      // its directory as given, for env_file paths in messages
  std::filesystem::path abs_dir;  // the same, absolute: bind mounts are made absolute with it
  std::string project;
  Format format = Format::Spec;
  config::Env env;                // LoadOptions::env: bare environment entries, ~ in paths
  config::Env vars;               // what ${VAR} reads: env, then the .env file (secrets' environment: too)
  Diagnostics diag;
  int files_read = 0;             // files read besides the manifest, for include and extends
  std::size_t nodes_made = 0;     // nodes of those files and of merged services (kMaxOtherNodes)

  std::optional<std::string> getenv(const std::string& name) const { return env ? env(name) : std::nullopt; }
};

// --- definitions.cpp: what the top level declares --------------------------
class Declared {
 public:
  void read_networks(const Node* node, Context& ctx);
  void read_volumes(const Node* node, Context& ctx);
  void read_file_objects(docker::FileObjectKind kind, const Node* node, Context& ctx);  // secrets:, configs:
  // The network, volume, secret or config a service names, marked as used; nullptr when not
  // declared. The `default` network needs no declaration.
  const NetworkDef* use_network(const std::string& key, const Context& ctx, const Location& where);
  const VolumeDef* use_volume(const std::string& key);
  const FileObjectDef* use_file_object(docker::FileObjectKind kind, const std::string& key);
  std::vector<std::string_view> network_keys() const;
  std::vector<std::string_view> volume_keys() const;
  std::vector<std::string_view> file_object_keys(docker::FileObjectKind kind) const;
  // What some service uses, in file order; warns about the rest.
  std::vector<NetworkDef> used_networks(Diagnostics& diag) const;
  std::vector<VolumeDef> used_volumes(Diagnostics& diag) const;
  std::vector<FileObjectDef> used_file_objects(docker::FileObjectKind kind, Diagnostics& diag) const;

 private:
  template <class Def>
  struct Table {
    std::vector<Def> defs;
    std::vector<bool> used;
    Def* use(const std::string& key) {
      for (std::size_t i = 0; i < defs.size(); ++i)
        if (defs[i].key == key) return used[i] = true, &defs[i];
      return nullptr;
    }
    void add(Def d) {
      defs.push_back(std::move(d));
      used.push_back(false);
    }
    std::vector<std::string_view> keys() const {
      std::vector<std::string_view> out;
      for (const auto& d : defs) out.push_back(d.key);
      return out;
    }
  };
  Table<NetworkDef> networks_;
  Table<VolumeDef> volumes_;
  Table<FileObjectDef> secrets_, configs_;
  Table<FileObjectDef>& files(docker::FileObjectKind kind) {
    return kind == docker::FileObjectKind::Secret ? secrets_ : configs_;
  }
  const Table<FileObjectDef>& files(docker::FileObjectKind kind) const {
    return kind == docker::FileObjectKind::Secret ? secrets_ : configs_;
  }
};

// --- load.cpp: the files a manifest names -------------------------------------------------------
// The most a compose file may have; and how many files include and extends may read in all.
constexpr std::uintmax_t kMaxManifestBytes = 4 * 1024 * 1024;
constexpr int kMaxOtherFiles = 64;
// The most services of one project (a large stack has some dozens).
constexpr std::size_t kMaxServices = 2000;
// The most nodes the other files may bring, and the most extends may make by copying: a few
// small files cannot be made to take gigabytes.
constexpr std::size_t kMaxOtherNodes = 150000;
// A compose file's text, refused when larger than kMaxManifestBytes.
Result<std::string> read_manifest_text(const std::string& path);
// The system's reason when `why` is files::read_bounded's "cannot read NOUN: REASON" ("no such
// file or directory"), for a message of the caller's own; nullopt for another error (a
// directory, a device, a size), whose message stands as it is.
inline std::optional<std::string_view> unreadable_because(std::string_view why, std::string_view noun) {
  std::string prefix = "cannot read " + std::string(noun) + ": ";
  if (!why.starts_with(prefix) || why.substr(prefix.size()).starts_with("it is ")) return std::nullopt;
  return why.substr(prefix.size());
}
// Another compose file (included, or extended from), parsed and interpolated with `vars` (the
// manifest's when not given); its problems are reported at `asked_at`, where `what` names it.
std::optional<Node> read_other_manifest(const std::string& path, const Location& asked_at, std::string_view what,
                                        Context& ctx, const config::Env& vars = nullptr);
// The top level's keys against the table of the formats with `services:`.
void check_top_keys(const Node& top, Diagnostics& diag);

// --- extends.cpp ----------------------------------------------------------------------------------
// Replaces each service of `services` (a mapping, from `file`) that extends another with the two
// merged as the compose specification merges them (!reset and !override included); unused
// !reset keys are dropped. Errors at the extends key.
void resolve_extends(Node& services, const std::string& file, Context& ctx);
// Makes a service's relative paths (env_file, bind mounts, build, seccomp profiles) absolute
// against `dir`: for services that come from another file.
void rebase_service_paths(Node& service, const std::filesystem::path& dir);

// --- include.cpp ----------------------------------------------------------------------------------
// Adds what the files under `include:` of `top` (the top level of `file`) define to `top`'s
// services, networks, volumes, secrets and configs. `chain` holds the files including this one.
void apply_includes(Node& top, const std::string& file, Context& ctx, int depth, std::vector<std::string>& chain);

// --- format1.cpp: docker-compose 1.x's files --------------------------------------------------
// True for a mapping with neither `version` nor `services` that has a top-level key other than
// the compose specification's (name, networks, volumes, ...) and x-*: each such key is a service.
bool is_format1(const Node& top);
// The services of a format 1 file (its top-level entries but x-*); reports what cannot be part of
// one: the specification's top-level keys and values that are not mappings.
std::vector<const Entry*> format1_services(const Node& top, Context& ctx);
// Keys of one format only: in format 1, those docker-compose 1.x did not know; elsewhere, format 1's
// own (net, log_driver, log_opt, dockerfile).
void check_format_keys(const Node& service, Context& ctx);

// --- one service: service.cpp reads the keys with the others' help ---------------------------
struct ParsedService {
  ServiceDef def;
  std::vector<Location> depends_at;  // parallel to def.depends_on
  std::vector<bool> depends_required;  // parallel to def.depends_on: false for `required: false`
  struct Link {
    std::string service;  // the linked service's key
    std::string alias;    // the name it is reached by there ("" when only its own)
    Location where;
  };
  std::vector<Link> links;  // links:, applied to the linked services by apply_links
  std::vector<Location> ports_at;    // parallel to def.spec.ports
  std::vector<std::string> constraints;  // placement, as engine expressions (classic env ones too)

  // Records that the manifest asks for `f` at `where`, with `key` as written.
  void feature(docker::Feature f, const Location& where, std::string key) {
    def.features.push_back({f, where, std::move(key)});
  }
};

ParsedService read_service(const Entry& entry, Context& ctx, Declared& declared);

// links: each linked service answers to the link's alias on every network it shares with the
// linking one (docker-compose's links, as network aliases). Links to undefined services are errors.
void apply_links(std::vector<ParsedService>& parsed, Diagnostics& diag);

// environment.cpp: env_file, then environment (a later value of a key replaces an earlier one);
// classic Swarm constraint: entries leave the environment and become placement constraints.
void read_env(const Node& service, Context& ctx, ParsedService& out);

// deploy_key.cpp: deploy:, and the older keys that say the same (scale, restart, mem_limit,
// mem_reservation, memswap_limit, cpus).
void read_deploy(const Node& service, Context& ctx, ParsedService& out);

// container_keys.cpp: the keys of the container a task runs (hostname, user, init, tty,
// stop_grace_period, cap_add, sysctls, ulimits, extra_hosts, dns, security_opt, logging,
// healthcheck, ...).
void read_container_keys(const Node& service, Context& ctx, ParsedService& out);

// ports.cpp: ports: (short and long syntax, ranges expanded).
void read_ports(const Node& node, Context& ctx, ParsedService& out);

// mounts.cpp: volumes: (short and long syntax) and tmpfs:.
void read_mounts(const Node& service, Context& ctx, Declared& declared, ParsedService& out);

// references.cpp: a service's secrets: and configs: (short and long syntax).
void read_file_references(const Node& service, Context& ctx, Declared& declared, ParsedService& out);

}  // namespace hcl::manifest::detail
