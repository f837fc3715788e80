// Effective configuration: which Docker engine and Consul agent to talk to, with which TLS
// material, token and timeouts, and where each setting came from. Precedence, per setting:
// command-line flag, then environment, then the config file, then the default.
#pragma once

#include <hcl/error.hpp>
#include <hcl/http.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace hcl::config {

inline constexpr int kDockerPort = 2378;  // the cluster lab's swarm manager port
inline constexpr int kConsulPort = 8500;
inline constexpr const char* kDefaultMaster = "master";

// Where a setting came from: "--host", "DOCKER_HOST", "/root/.config/hcl/config.yaml:3", "default".
struct Origin {
  enum class Level { Flag, Environment, File, Default };
  Level level = Level::Default;
  std::string name = "default";
};

template <class T>
struct Setting {
  T value;
  Origin origin;
};

// What the command line said; nullopt means the flag was not given. Durations and booleans are
// kept as text so that errors can name the flag with the value it had.
struct Flags {
  std::optional<std::string> host;         // -H/--host
  std::optional<std::string> context;      // --context (a docker context's name)
  std::optional<std::string> consul;       // --consul
  std::optional<std::string> config_file;  // --config
  bool tls = false;                        // --tls
  bool tlsverify = false;                  // --tlsverify
  std::optional<std::string> tlscacert, tlscert, tlskey;
  std::optional<std::string> connect_timeout;  // --connect-timeout
  std::optional<std::string> timeout;          // --request-timeout
};

// Looks up an environment variable; tests pass their own.
using Env = std::function<std::optional<std::string>(const std::string& name)>;
Env process_environment();

struct Config {
  Setting<http::Endpoint> docker;
  // Further endpoints of the same swarm given with it (-H, DOCKER_HOST or docker.host as a
  // comma-separated list, the first being `docker`): its other managers, tried in turn when the
  // first does not answer. Same scheme and TLS settings as `docker`.
  std::vector<http::Endpoint> docker_more;
  // The docker context the engine's endpoint came from, and where its name came from.
  std::optional<Setting<std::string>> docker_context;
  Setting<http::Endpoint> consul;
  // The Consul ACL token. Never print it: describe it with token_origin only.
  std::string consul_token;
  std::optional<Origin> consul_token_origin;
  Setting<http::Millis> connect_timeout;
  Setting<http::Millis> request_timeout;
  std::string config_file;     // the file looked at (may not exist)
  bool config_file_loaded = false;

  http::Timeouts timeouts() const { return {connect_timeout.value, request_timeout.value}; }
};

// The engine's endpoint, by the docker CLI's precedence: -H, else --context (not both), else
// DOCKER_HOST, else DOCKER_CONTEXT, else the config file's docker.host, else the docker CLI's
// currentContext, else the master at kDockerPort. A context is the docker CLI's: its endpoint and
// TLS files (see DockerContext); the context "default" means none.
Result<Config> resolve(const Flags& flags, const Env& env);

// Another endpoint of the same swarm with `model`'s TLS files (tcp) or ssh options: the list's
// further entries, and the managers hcl learns of.
http::Endpoint with_settings_of(const http::Endpoint& model, http::Endpoint other);

// A docker context as `docker context create` stores it.
inline constexpr const char* kDefaultContext = "default";
struct DockerContext {
  std::string name, description;
  std::string host;  // the docker endpoint's Host, as written ("ssh://pi@master", "tcp://...")
  bool skip_tls_verify = false;
  std::string tls_ca, tls_cert, tls_key;  // the context's TLS files that exist
  std::string meta_file;
};
// DOCKER_CONFIG, else ~/.docker ("" without either).
std::string docker_config_dir(const Env& env);
// Every context there, by name; none when there is no contexts directory.
Result<std::vector<DockerContext>> docker_contexts(const Env& env);
// The context NAME (nullopt for "default"); an unknown name is a usage error naming `source`
// (the flag or variable) and the known contexts.
Result<std::optional<DockerContext>> docker_context(const Env& env, const std::string& name, const std::string& source);
// The docker CLI's currentContext (config.json), if it names one.
Result<std::optional<Setting<std::string>>> current_docker_context(const Env& env);

// DOCKER_HOST syntax: tcp://HOST[:PORT], unix:///PATH, and http(s)://HOST[:PORT]. `source`
// names where the text came from, for messages ("DOCKER_HOST").
Result<http::Endpoint> parse_docker_host(std::string_view text, const std::string& source);
// CONSUL_HTTP_ADDR syntax: [http://|https://]HOST[:PORT] or unix:///PATH.
Result<http::Endpoint> parse_consul_addr(std::string_view text, const std::string& source);
// "3s", "250ms", "1m30s", "2" (seconds). Positive, at most one day.
Result<http::Millis> parse_duration(std::string_view text, const std::string& source);
// Go's strconv.ParseBool, as the consul CLI reads booleans: 1 t T TRUE true True, 0 f F FALSE...
std::optional<bool> parse_bool(std::string_view text);

std::string to_string(Origin::Level level);

// What hcl remembers between commands, per engine endpoint: the API version it last spoke with
// it, so that the next command's first request needs no refusal and resend. In
// $XDG_STATE_HOME/hcl/engines, else ~/.local/state/hcl/engines: "ENDPOINT VERSION" lines. Best
// effort: a missing, unreadable or unwritable file is no error (the version is negotiated again).
std::optional<std::string> remembered_api_version(const Env& env, const std::string& endpoint);
void remember_api_version(const Env& env, const std::string& endpoint, const std::string& version);

// The swarm managers hcl has seen behind an engine endpoint, to try when that endpoint does not
// answer; and the one that last answered in its place. In $XDG_STATE_HOME/hcl/managers (else
// ~/.local/state/hcl/managers), one line per endpoint. Best effort, like the API versions.
struct KnownManager {
  std::string name;      // the node's hostname, for messages
  std::string endpoint;  // as Endpoint::display() writes it ("http://10.0.0.3:2375", "ssh://pi@10.0.0.3")
  bool operator==(const KnownManager&) const = default;
};
struct KnownManagers {
  std::vector<KnownManager> managers;  // the endpoint itself not among them
  std::string preferred;               // the endpoint that answered when this one did not; "" none
  std::int64_t preferred_at = 0;       // when (seconds since the epoch)
  bool operator==(const KnownManagers&) const = default;
};
KnownManagers known_managers(const Env& env, const std::string& endpoint);
void remember_managers(const Env& env, const std::string& endpoint, const KnownManagers& known);

}  // namespace hcl::config
