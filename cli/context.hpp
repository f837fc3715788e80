// What every command gets: the global flags, the effective configuration, clients built on
// demand, and how to write output.
#pragma once

#include <hcl/config.hpp>
#include <hcl/consul.hpp>
#include <hcl/docker.hpp>
#include <hcl/error.hpp>
#include <hcl/http.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace hcl::cli {

enum class Format { Table, Json, Template };

class Context {
 public:
  config::Flags flags;
  bool verbose = false;
  bool color = false;  // colours on: stdout is a terminal and NO_COLOR is unset

  // The command to run once parsing succeeded; set by the chosen subcommand.
  std::function<Status()> action;
  // The exit status of a successful action: 0, or what the command passes through (the
  // container's status for `hcl run`).
  int exit_code = 0;

  // Resolves the configuration on first use (so `hcl --help` never reads files or env).
  Result<const config::Config*> config();
  // Clients over their own transports; built on first use. Their requests end with
  // ErrorKind::Interrupted once Ctrl-C was pressed.
  Result<docker::Client*> docker();
  Result<consul::Client*> consul();
  // Before a command's own slow local work (reading a manifest): builds the engine's client and
  // starts looking up its host meanwhile. Asks the engine nothing; an error waits for docker().
  void prepare_docker();
  // The transport under docker(), and a further one to the same engine (for a log stream that
  // runs beside other requests).
  Result<http::Transport*> docker_transport();
  Result<std::unique_ptr<http::Transport>> new_docker_transport();
  // A client of one engine endpoint, on a transport of its own (hcl swarm's engines, hcl health
  // asking each manager), with the same timeouts, log and cancellation.
  struct EngineClient {
    std::unique_ptr<http::Transport> transport;
    docker::Client client;
    explicit EngineClient(std::unique_ptr<http::Transport> t) : transport(std::move(t)), client(*transport) {}
  };
  std::unique_ptr<EngineClient> engine_client(const http::Endpoint& endpoint);
  // The transport under consul() (the KV store, blocking queries), and a further one (for a
  // watch that runs beside other requests).
  Result<http::Transport*> consul_transport();
  Result<std::unique_ptr<http::Transport>> new_consul_transport();

  // Keeps what is worth knowing next time: the engine's API version (config::remember_api_version),
  // the swarm's managers and which of them answered (config::remember_managers).
  void remember();

  // An endpoint of the engine, in the order tried: the configured one (for kPreferSeconds after it
  // did not answer, the manager that answered instead goes first), those listed with it, then the
  // managers hcl has seen in the swarm.
  struct EngineEndpoint {
    std::string name;  // the manager's hostname when hcl learned it; "" for one configured
    http::Endpoint endpoint;
  };
  Result<const std::vector<EngineEndpoint>*> docker_endpoints();
  static constexpr int kPreferSeconds = 60;

  // Set by SIGINT/SIGTERM (see app.cpp).
  static std::atomic<bool> interrupted;

  // Writes to stdout; output is for data only, never diagnostics.
  void out(std::string_view text) const;
  // A warning on stderr: "hcl: warning: ...".
  void warn(std::string_view text) const;
  // Wraps text in an ANSI colour when colours are on. code: 31 red, 32 green, 33 yellow.
  std::string paint(std::string_view text, int code) const;

 private:
  http::Logger logger();

  std::optional<config::Config> config_;
  std::unique_ptr<http::Transport> docker_transport_, consul_transport_;
  std::unique_ptr<docker::Client> docker_;
  std::unique_ptr<consul::Client> consul_;
  std::optional<std::string> remembered_api_version_;  // what docker() started from
  std::optional<std::vector<EngineEndpoint>> docker_endpoints_;
  config::KnownManagers known_managers_;  // as the state file had them
  bool preferred_first_ = false;          // docker_endpoints_ begins with known_managers_.preferred
  http::FailoverTransport* failover_ = nullptr;  // docker_transport_ when it is one
  std::unique_ptr<http::Transport> make_docker_transport(bool main);
  void learn_managers();
};

}  // namespace hcl::cli
