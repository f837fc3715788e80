// A Docker Engine API client: typed requests and results over a Transport. The API version is
// negotiated with the engine (GET /_ping) before the first versioned call and never exceeds what
// the engine supports nor what this client was written against (kMaxApiVersion).
#pragma once

#include <hcl/error.hpp>
#include <hcl/http.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hcl::docker {

// The newest API version this client speaks (Docker Engine API reference v1.41).
inline constexpr const char* kMaxApiVersion = "1.41";
// The oldest it accepts: swarm mode, overlay networks and node inspection as used here.
inline constexpr const char* kMinApiVersion = "1.30";

using Labels = std::map<std::string, std::string>;

struct EngineVersion {
  std::string version;          // "20.10.24"
  std::string api_version;      // the engine's newest API version, "1.41"
  std::string min_api_version;  // "1.12"
  std::string os;
  std::string arch;
  std::string kernel_version;
  std::string git_commit;
};

enum class NodeRole { Worker, Manager };
enum class NodeAvailability { Active, Pause, Drain };
// Swarm's node states: unknown, down, ready, disconnected.
enum class NodeState { Unknown, Down, Ready, Disconnected };

struct SwarmNode {
  std::string id;
  std::uint64_t version = 0;  // Version.Index, for updates
  std::string hostname;       // Description.Hostname
  NodeRole role = NodeRole::Worker;
  NodeAvailability availability = NodeAvailability::Active;
  NodeState state = NodeState::Unknown;
  std::string message;        // Status.Message
  std::string address;        // Status.Addr
  std::string engine_version;
  std::string os;
  std::string architecture;
  Labels labels;              // Spec.Labels (node labels, for node.labels.K constraints)
  Labels engine_labels;       // Description.Engine.Labels (engine.labels.K)
  bool leader = false;                  // ManagerStatus.Leader
  std::string manager_reachability;     // ManagerStatus.Reachability, "" for workers
  std::string manager_address;          // ManagerStatus.Addr
};

struct IpamConfig {
  std::string subnet;
  std::string gateway;
  std::string ip_range;
};

struct Network {
  std::string id;
  std::string name;
  std::string driver;
  std::string scope;  // local, swarm, global
  bool attachable = false;
  bool internal = false;
  bool ingress = false;
  bool ipv6 = false;
  std::string created;
  std::vector<IpamConfig> ipam;
  Labels labels;
  std::map<std::string, std::string> options;
  std::size_t containers = 0;  // containers attached on the node that answered
};

struct NetworkSpec {
  std::string name;
  std::string driver = "overlay";
  bool attachable = true;
  bool internal = false;
  std::optional<std::string> subnet;
  std::optional<std::string> gateway;
  Labels labels;
};

// What POST /networks/create returned.
struct NetworkCreated {
  std::string id;
  std::string warning;
};

class Client {
 public:
  // The client does not own the transport.
  explicit Client(http::Transport& transport);

  // The API version used for versioned paths; negotiates on first use.
  Result<std::string> api_version();
  // Uses a version already known (e.g. from a cache or `hcl version`) and skips negotiation.
  void set_api_version(std::string version);

  Result<EngineVersion> version();
  Result<std::vector<SwarmNode>> nodes();
  Result<std::vector<Network>> networks();
  Result<Network> network(const std::string& id_or_name);
  Result<NetworkCreated> create_network(const NetworkSpec& spec);
  Status remove_network(const std::string& id_or_name);

  std::string endpoint() const { return transport_.describe(); }

 private:
  Result<http::Response> call(const std::string& method, const std::string& path,
                              const std::string& body = {});

  http::Transport& transport_;
  std::optional<std::string> api_version_;
};

// "1.41" vs "1.40": negative, zero or positive like strcmp. Non-numeric parts compare as 0.
int compare_api_versions(const std::string& a, const std::string& b);

// Names for the enums, as the engine spells them.
std::string to_string(NodeRole role);
std::string to_string(NodeAvailability availability);
std::string to_string(NodeState state);

}  // namespace hcl::docker
