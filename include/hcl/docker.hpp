// A Docker Engine API client: typed requests and results over a Transport. The API version is the
// engine's own when that is older than kMaxApiVersion, else kMaxApiVersion. It is learnt from the
// first versioned call itself, without a GET /_ping first: that call goes out at kMaxApiVersion,
// and every answer, refusals included, carries the engine's newest version (Api-Version header).
// An engine older than kMaxApiVersion refuses that call before acting on it ("client version 1.52
// is too new. Maximum supported API version is 1.51"), which costs one more send at its version;
// an engine whose window does not overlap hcl's (its minimum above kMaxApiVersion, or its newest
// below kMinApiVersion) gets one error of kind Server naming both windows.
#pragma once

#include <hcl/error.hpp>
#include <hcl/http.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hcl::docker {

// The newest API version this client speaks: the Engine API's changes were reviewed up to 1.55,
// and none after 1.52 (Docker 29.0) touches what hcl sends or reads. Speaking the engine's own
// version matters for writes: an engine clears the fields newer than the request's version, and
// scale_service sends back a spec read from the engine.
inline constexpr const char* kMaxApiVersion = "1.52";
// The oldest it accepts: swarm mode, overlay networks and node inspection as used here (Docker
// 17.06). Engines before 20.10 (API 1.41) are not tested.
inline constexpr const char* kMinApiVersion = "1.30";

// The most of a node or task list hcl reads, decoded as it arrives: 16 MiB of JSON and 20,000
// elements (the benchmark's simulated cluster: 10,000 tasks in 13 MB; a cluster of Raspberry
// Pis has hundreds). Beyond either, the command stops with an error naming the limit, in
// bounded memory; answers read whole stop at http::kMaxAnswerBytes.
inline constexpr std::uint64_t kMaxListBytes = 16u << 20;
inline constexpr std::size_t kMaxListItems = 20000;

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
  std::string spec_name;      // Spec.Name (rarely set; kept by node updates)
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
  // Containers attached on the engine that answered: from GET /networks/{id} only. The lists of
  // GET /networks never fill them (an empty object up to 28.x, no key from 29.0), so networks()
  // leaves this unset rather than report 0.
  std::optional<std::size_t> containers;
};

struct NetworkSpec {
  std::string name;
  std::string driver = "overlay";
  bool attachable = true;
  bool internal = false;
  bool ipv6 = false;
  std::optional<std::string> subnet;
  std::optional<std::string> gateway;
  std::optional<std::string> ip_range;
  std::map<std::string, std::string> aux_addresses;  // IPAM.Config[0].AuxiliaryAddresses
  std::map<std::string, std::string> options;        // the driver's options
  Labels labels;
};

// What POST /networks/create returned.
struct NetworkCreated {
  std::string id;
  std::string warning;
};

// --- services and tasks -------------------------------------------------------------------
//
// A service's spec as the engine stores it (what `GET /services/ID` gives back), with the same
// fields and defaults: what hcl sends is meant to be stored exactly like what `docker stack
// deploy` sends for the same compose file, and what is decoded compares equal to what was sent.
// Durations are nanoseconds, as in the API. Fields that exist only from some API version on are
// listed by features_used(); the client refuses to send them to an older engine.

using Duration = std::chrono::nanoseconds;

enum class RestartCondition { None, OnFailure, Any };
enum class EndpointMode { Vip, Dnsrr };
enum class PublishMode { Ingress, Host };
enum class ServiceMode { Replicated, Global, ReplicatedJob, GlobalJob };

struct PortSpec {
  int target = 0;
  int published = 0;  // 0: none (ingress: the engine picks one)
  std::string protocol = "tcp";
  PublishMode mode = PublishMode::Ingress;
  bool operator==(const PortSpec&) const = default;
};

struct GenericResource {  // Reservations.GenericResources[].DiscreteResourceSpec / NamedResourceSpec
  std::string kind;
  std::optional<std::int64_t> discrete;  // a count, or
  std::string named;                     // a named resource ("GPU-fef8089b")
  bool operator==(const GenericResource&) const = default;
};

struct Resources {
  std::optional<std::int64_t> cpu_limit_nano;        // NanoCPUs: 0.5 CPU = 500000000
  std::optional<std::int64_t> memory_limit_bytes;
  std::optional<std::int64_t> pids_limit;            // Limits.Pids (API 1.41)
  std::optional<std::int64_t> cpu_reservation_nano;
  std::optional<std::int64_t> memory_reservation_bytes;
  std::vector<GenericResource> generic;              // Reservations.GenericResources
  bool operator==(const Resources&) const = default;
};

// UpdateConfig and RollbackConfig. The engine stores an unset failure action as "pause" and an
// unset order as "stop-first"; the decoder reads them back so.
struct UpdateConfig {
  std::uint64_t parallelism = 1;
  Duration delay{0};
  std::string failure_action = "pause";  // pause, continue, rollback (rollback_config: pause, continue)
  Duration monitor{0};
  double max_failure_ratio = 0;
  std::string order = "stop-first";      // stop-first, start-first
  bool operator==(const UpdateConfig&) const = default;
};

struct RestartPolicy {
  RestartCondition condition = RestartCondition::Any;
  std::optional<Duration> delay;
  std::optional<std::uint64_t> max_attempts;
  std::optional<Duration> window;
  bool operator==(const RestartPolicy&) const = default;
};

struct Healthcheck {
  std::vector<std::string> test;  // ["CMD", ...], ["CMD-SHELL", "..."], ["NONE"] to disable; empty: the image's
  std::optional<Duration> interval, timeout, start_period, start_interval;  // start_interval: API 1.44
  std::optional<int> retries;
  bool operator==(const Healthcheck&) const = default;
};

struct Mount {
  std::string type = "volume";  // bind, volume, tmpfs (or npipe, cluster)
  std::string source;           // host path (bind) or volume name; empty: anonymous volume
  std::string target;
  bool read_only = false;
  std::string consistency;      // as given; the engine ignores it on Linux
  // bind
  std::string propagation;      // BindOptions.Propagation: rprivate, shared, ...
  // volume
  bool no_copy = false;                          // VolumeOptions.NoCopy
  std::string subpath;                           // VolumeOptions.Subpath (API 1.45, engine 26.1)
  std::map<std::string, std::string> volume_labels;  // VolumeOptions.Labels
  std::optional<std::string> volume_driver;      // VolumeOptions.DriverConfig.Name (set when a driver or options are)
  std::map<std::string, std::string> volume_driver_options;
  // tmpfs
  std::optional<std::int64_t> tmpfs_size;        // TmpfsOptions.SizeBytes
  std::optional<std::uint32_t> tmpfs_mode;       // TmpfsOptions.Mode
  std::vector<std::vector<std::string>> tmpfs_options;  // TmpfsOptions.Options (API 1.46)
  bool operator==(const Mount&) const = default;
};

// A secret or a config given to a service's containers as a file.
struct FileReference {
  std::string name;    // the secret's or config's name on the engine (SecretName / ConfigName)
  std::string id;      // its ID (SecretID / ConfigID): filled in when the plan is made
  std::string target;  // File.Name: a relative name lands in /run/secrets/ (secrets) or / (configs)
  std::string uid = "0";
  std::string gid = "0";
  std::uint32_t mode = 0444;
  bool operator==(const FileReference&) const = default;
};

struct Ulimit {
  std::string name;
  std::int64_t soft = 0;
  std::int64_t hard = 0;
  bool operator==(const Ulimit&) const = default;
};

struct DnsConfig {
  std::vector<std::string> nameservers, search, options;
  bool operator==(const DnsConfig&) const = default;
};

struct Privileges {
  bool no_new_privileges = false;  // API 1.44
  std::string seccomp_mode;        // "", default, unconfined, custom (API 1.44)
  std::string seccomp_profile;     // the profile's JSON, for custom
  std::string apparmor_mode;       // "", default, disabled (API 1.44)
  std::string credential_spec_file, credential_spec_registry;  // Windows
  bool operator==(const Privileges&) const = default;
};

struct LogDriver {
  std::string name;
  std::map<std::string, std::string> options;
  bool operator==(const LogDriver&) const = default;
};

struct NetworkAttachment {
  std::string target;                   // the network's name (the engine answers with its ID)
  std::vector<std::string> aliases;
  std::map<std::string, std::string> driver_options;
  bool operator==(const NetworkAttachment&) const = default;
};

struct ServiceSpec {
  std::string name;
  Labels labels;                      // the service's labels
  // --- TaskTemplate.ContainerSpec
  std::string image;
  Labels container_labels;
  std::vector<std::string> command;   // ContainerSpec.Command: the entrypoint
  std::vector<std::string> args;      // ContainerSpec.Args
  std::string hostname;
  std::vector<std::string> env;       // "K=V" (or "K": unset in the container)
  std::string workdir;
  std::string user;
  std::vector<std::string> groups;
  Privileges privileges;
  std::optional<bool> init;
  bool tty = false;
  bool open_stdin = false;
  bool read_only = false;
  std::vector<Mount> mounts;
  std::string stop_signal;
  std::optional<Duration> stop_grace_period;
  std::optional<Healthcheck> healthcheck;
  std::vector<std::string> hosts;     // "IP host..." lines for /etc/hosts
  std::optional<DnsConfig> dns;
  std::vector<FileReference> secrets;
  std::vector<FileReference> configs;
  std::string isolation;
  std::map<std::string, std::string> sysctls;
  std::vector<std::string> capability_add, capability_drop;
  std::vector<Ulimit> ulimits;
  std::optional<std::int64_t> oom_score_adj;  // API 1.46
  // --- TaskTemplate
  std::optional<Resources> resources;
  std::optional<RestartPolicy> restart;  // none: the engine's default (any, 5 s delay)
  std::vector<std::string> constraints;  // Placement.Constraints: swarm-mode expressions
  std::vector<std::string> spread;       // Placement.Preferences: Spread descriptors, in order
  std::optional<std::uint64_t> max_replicas_per_node;  // Placement.MaxReplicas
  std::vector<NetworkAttachment> networks;
  std::optional<LogDriver> log_driver;
  std::uint64_t force_update = 0;        // TaskTemplate.ForceUpdate: kept as the engine has it
  // --- the rest
  ServiceMode mode = ServiceMode::Replicated;
  std::uint64_t replicas = 1;            // Replicated: replicas; ReplicatedJob: TotalCompletions
  std::optional<std::uint64_t> max_concurrent;  // ReplicatedJob: MaxConcurrent (default: replicas)
  std::optional<UpdateConfig> update;
  std::optional<UpdateConfig> rollback;
  EndpointMode endpoint_mode = EndpointMode::Vip;
  std::vector<PortSpec> ports;

  bool operator==(const ServiceSpec&) const = default;
};

// What a spec uses that only some API versions have. The client refuses to send a spec that
// uses a feature the engine's API version does not have (older engines ignore unknown fields
// without a word, and newer ones clear them when spoken to at an older version).
enum class Feature {
  Configs,            // 1.30
  Init,               // 1.37
  SecretTemplating,   // 1.37 (not used by hcl yet)
  Sysctls,            // 1.40
  MaxReplicas,        // 1.40
  CapabilityAddDrop,  // 1.41
  Ulimits,            // 1.41
  PidsLimit,          // 1.41
  Jobs,               // 1.41
  NoNewPrivileges,    // 1.44
  Seccomp,            // 1.44
  AppArmor,           // 1.44
  HealthStartInterval,  // 1.44
  VolumeSubpath,      // 1.45 (honoured from engine 26.1)
  OomScoreAdj,        // 1.46
  TmpfsOptions,       // 1.46
};
struct FeatureInfo {
  const char* api;      // the first API version that has it
  const char* release;  // the first Docker release that has it ("27.0")
  const char* field;    // the API's name for it ("ContainerSpec.OomScoreAdj")
};
FeatureInfo feature_info(Feature f);
std::vector<Feature> features_used(const ServiceSpec& spec);

struct Service {
  std::string id;
  std::uint64_t version = 0;
  std::string created;
  std::string updated;
  ServiceSpec spec;          // decoded back from the engine's spec
  std::string update_state;  // UpdateStatus.State: "", updating, paused, completed, rollback_*
  std::string update_message;
  std::string update_started_at;   // UpdateStatus.StartedAt: tells one update from the next
  bool has_previous_spec = false;  // PreviousSpec: what a rollback returns to
};

// --- secrets and configs ------------------------------------------------------------------

enum class FileObjectKind { Secret, Config };
std::string to_string(FileObjectKind kind);  // "secret", "config"

// A swarm secret or config as the engine lists it. A secret's data is never given back.
struct FileObject {
  std::string id;
  std::uint64_t version = 0;
  std::string name;
  Labels labels;
  std::string data;    // configs only: the content
  std::string driver;  // secrets only: the external store's driver, "" for data kept by the swarm
};

struct FileObjectSpec {
  std::string name;
  Labels labels;
  std::string data;    // the bytes (sent base64-encoded); empty with a driver
  std::string driver;  // secrets only
  std::map<std::string, std::string> driver_options;
  std::string template_driver;  // Templating.Name (API 1.37)
};

// One write of a batch: an update when `id` is set, else a create.
struct ServiceWrite {
  std::string id;
  std::uint64_t version = 0;
  ServiceSpec spec;
};

struct Task {
  std::string id;
  std::string service_id;
  std::string node_id;
  int slot = 0;
  std::string desired_state;  // running, shutdown, ...
  std::string state;          // new ... running, complete, failed, rejected, shutdown, orphaned
  std::string message;
  std::string error;          // Status.Err
  std::optional<int> exit_code;
  std::string container_id;
  std::string timestamp;      // Status.Timestamp: when it reached its state
  std::string updated_at;     // UpdatedAt: also moves when the desired state changes
  std::string image;
  std::vector<std::string> addresses;  // overlay addresses, "10.0.1.5/24"
  std::vector<std::string> address_networks;  // the network of each address, by name ("ingress", "demo_apps")
};

// True for task states from which a task never moves on.
bool is_terminal(const std::string& task_state);

// Whether the engine refused a write because the object's version moved since it was read
// (swarmkit's "update out of sequence", a Conflict): nothing was applied.
bool out_of_sequence(const Error& e);

struct LogOptions {
  bool follow = false;
  bool timestamps = false;
  std::optional<std::uint64_t> tail;
};

// Where log output goes: the engine's multiplexed stream is split back into stdout and stderr.
struct LogSink {
  std::function<void(std::string_view)> out;
  std::function<void(std::string_view)> err;
};

// Nodes, services and tasks read together (three requests at once), for views such as `hcl ps`.
// The objects a stack is made of, asked for at once: what a deploy is planned against (and what
// `hcl down` removes). Secrets and configs only when asked for: most stacks have none.
struct StackObjects {
  std::vector<Network> networks;
  std::vector<Service> services;
  std::vector<FileObject> secrets;
  std::vector<FileObject> configs;
};

// Which tasks cluster_state() asks for.
enum class TaskSelection {
  All,             // also those that ended or are being shut down (the engine keeps 5 per slot)
  DesiredRunning,  // only those meant to run: the engine leaves out the rest (desired-state=running)
};

struct ClusterState {
  std::vector<SwarmNode> nodes;
  std::vector<Service> services;
  std::vector<Task> tasks;
};

// One message of the engine's event stream (GET /events).
struct Event {
  std::string type;    // service, node, network, container, ...
  std::string action;  // create, update, remove, ...
  std::string actor_id;
  std::map<std::string, std::string> attributes;  // Actor.Attributes ("name", ...)
  std::int64_t time_nano = 0;
};

// An engine's own view of its swarm membership (GET /info's Swarm), on any engine, manager or not.
struct SwarmMembership {
  std::string hostname;    // Name: the engine's host
  std::string state;       // LocalNodeState: inactive, pending, active, error, locked
  std::string node_id;     // NodeID
  std::string node_addr;   // NodeAddr: the address it advertises to the swarm
  bool manager = false;    // ControlAvailable
  std::int64_t managers = 0;  // Managers: how many the swarm has (as a manager knows it)
  std::string cluster_id;  // Cluster.ID (on managers only)
  std::string error;       // Error
  std::vector<std::string> remote_managers;  // RemoteManagers[].Addr ("10.0.0.2:2377")
};

// What a new swarm is made with (POST /swarm/init); empty or zero: the engine's default.
struct SwarmInit {
  std::string advertise;                 // AdvertiseAddr ("" lets the engine pick)
  std::vector<std::string> address_pools;  // DefaultAddrPool: CIDRs the overlay networks' subnets come from
  std::uint32_t subnet_size = 0;         // SubnetSize: the prefix length of each
  std::int64_t heartbeat_ns = 0;         // Spec.Dispatcher.HeartbeatPeriod
};

// A swarm's join tokens (GET /swarm, on a manager) and its ID.
struct JoinTokens {
  std::string cluster_id;
  std::string worker;
  std::string manager;
};

// An engine's API window as the engine told it: its newest version (the Api-Version header,
// /version's ApiVersion, a "too new" refusal) and its oldest (/version's MinAPIVersion, a "too old"
// refusal); "" where not known.
struct ApiWindow {
  std::string min;
  std::string max;
};

// The version hcl speaks with an engine of that window: its newest, or kMaxApiVersion when that is
// older. When the windows do not overlap, an error of kind Server (exit 4) that names both, e.g.
// "the engine at ENDPOINT accepts API 1.53–1.60; hcl speaks 1.30–1.52: upgrade hcl".
Result<std::string> choose_api_version(const ApiWindow& engine, const std::string& endpoint);

class Client {
 public:
  // The client does not own the transport.
  explicit Client(http::Transport& transport);

  // The API version used for versioned paths; when not yet known, negotiates it with GET /_ping
  // (and GET /version for an engine that sends no Api-Version header). The versioned calls below
  // do not need this: they learn it from their first answer.
  Result<std::string> api_version();
  // Uses a version already known (e.g. from a cache or `hcl version`) and skips negotiation.
  void set_api_version(std::string version);
  // Starts at a version remembered from an earlier command instead of kMaxApiVersion: the first
  // request goes out at it, so an engine older than hcl's newest costs no refusal and resend. A
  // refusal still negotiates; an answer saying the engine speaks newer moves up to that.
  void hint_api_version(std::string version);
  // The version negotiated so far (no request): what to remember for the next command.
  std::optional<std::string> known_api_version() const { return hinted_ ? std::nullopt : api_version_; }

  Result<EngineVersion> version();
  // The engine's swarm membership (GET /info), its join tokens as a manager (GET /swarm); making
  // it a swarm's first manager (POST /swarm/init, listening on 0.0.0.0:2377: returns its node ID),
  // joining a swarm through a manager's address with a token (POST /swarm/join; the token is
  // never in an error), leaving (POST /swarm/leave).
  Result<SwarmMembership> membership();
  Result<JoinTokens> join_tokens();
  Result<std::string> init_swarm(const SwarmInit& init);
  Status join_swarm(const std::string& advertise, const std::string& manager_addr, const std::string& token);
  Status leave_swarm(bool force);
  Result<std::vector<SwarmNode>> nodes();
  // The swarm's managers as the last list of nodes read (nodes(), cluster_state()) showed them:
  // each one's hostname and the host of its manager address (ManagerStatus.Addr without the
  // Raft port). Empty while no list was read: what hcl remembers to try when this engine is down.
  const std::vector<std::pair<std::string, std::string>>& managers_seen() const { return managers_seen_; }
  // A node's spec as `docker node update` sets it (Spec.Name, Labels, Role, Availability, the
  // whole of a NodeSpec), at the node's version (a node changed since is a Conflict).
  Status update_node(const SwarmNode& node);
  // Removes a node from the swarm; force: also one that is not down.
  Status remove_node(const std::string& id, bool force);
  Result<std::vector<Network>> networks();
  Result<Network> network(const std::string& id_or_name);
  Result<NetworkCreated> create_network(const NetworkSpec& spec);
  Status remove_network(const std::string& id_or_name);

  // Networks and services, and secrets and/or configs when asked: one round trip, however many.
  // services_named: only the services whose names begin with it (the engine's name filter), so
  // that a cluster's other stacks are neither sent nor decoded; empty: every service.
  Result<StackObjects> stack_objects(bool secrets = false, bool configs = false, const std::string& services_named = {});
  // Only the services whose names begin with `prefix` (one request): what an unchanged deploy
  // needs (ops::plan_deploy).
  Result<std::vector<Service>> services_named(const std::string& prefix);
  // Sends services_named(prefix)'s request now (http::Transport::prefetch), for the call that
  // follows the caller's own work.
  void prefetch_services_named(const std::string& prefix);
  // Nodes, services and tasks, asked for at once.
  Result<ClusterState> cluster_state(TaskSelection tasks = TaskSelection::All);
  Result<std::string> create_service(const ServiceSpec& spec);  // returns the service ID
  // Creates and updates services at once (one request each, concurrently); results in order,
  // the service ID for each.
  std::vector<Result<std::string>> write_services(const std::vector<ServiceWrite>& writes);
  // Sets a service's replicas, keeping every other field of its spec as the engine has it (also
  // fields hcl does not model, for services made by other tools). Refused as based on an old
  // version while the spec reads as before (the swarm writes an update's progress into the
  // service), it is sent again on the new version, at most 5 more times.
  Status scale_service(const std::string& id_or_name, std::uint64_t replicas);
  Result<std::vector<Service>> services();
  // Returns a service to its previous spec (the one before its last update), as `docker service
  // rollback` does. Fails when the service has none.
  Status rollback_service(const std::string& id_or_name);
  // Secrets and configs: listed, created (returns the ID), removed.
  Result<std::vector<FileObject>> file_objects(FileObjectKind kind);
  Result<std::string> create_file_object(FileObjectKind kind, const FileObjectSpec& spec);
  Status remove_file_object(FileObjectKind kind, const std::string& id_or_name);
  Result<Service> service(const std::string& id_or_name);
  Status remove_service(const std::string& id_or_name);
  // Tasks, all or of one service (by ID or name).
  Result<std::vector<Task>> tasks(const std::optional<std::string>& service = std::nullopt);
  // Tasks of these services (IDs or names; the engine filters, so a large cluster's other tasks
  // are neither sent nor decoded). An empty list asks for every task.
  Result<std::vector<Task>> tasks(const std::vector<std::string>& services);
  // The tasks on one node (filters={"node":[ID]}).
  Result<std::vector<Task>> node_tasks(const std::string& node_id);
  // Only those of their tasks that match their service's current spec (the engine's "_up-to-date"
  // filter, which `docker service update` follows too): right after an update, before the swarm
  // has begun it, the old spec's tasks still run and must not count as the new spec's.
  Result<std::vector<Task>> current_tasks(const std::vector<std::string>& services);
  // Streams a service's logs to the sink until the stream ends (or, with follow, until the
  // transport is cancelled). Returns the number of bytes written per stream {out, err}.
  Result<std::pair<std::size_t, std::size_t>> service_logs(const std::string& id_or_name, const LogOptions& opts,
                                                           const LogSink& sink);

  // Follows the engine's event stream (GET /events, filtered to these types; all when empty),
  // calling on_event for each event until it returns false, the transport is cancelled or the
  // engine ends the stream (returns ok then; the caller reconnects).
  Status events(const std::vector<std::string>& types, const std::function<bool(const Event&)>& on_event);

  std::string endpoint() const { return transport_.describe(); }

 private:
  using StreamHandler = const std::function<bool(std::string_view)>*;
  // Makes the body sinks of one send of the requests (fresh ones for each send, as an older
  // engine's refusal sends them again).
  using SinkFactory = std::function<std::vector<http::BodySink>()>;
  // Sends the requests `build` makes for an API version (at once when several), under the
  // negotiated version, or before negotiation at kMaxApiVersion, learning the engine's version
  // from the answer's Api-Version header. Sends again, once, only when the engine refused the
  // version itself (which it checks before any handler runs, so nothing was done) and named a
  // version of its window that hcl speaks; a window hcl cannot meet is an error for every
  // request. With on_data: one request, streamed. With sinks: successful bodies go to the sinks
  // as they arrive (Transport::stream_all).
  std::vector<Result<http::Response>> send_versioned(
      const std::function<std::vector<http::Request>(const std::string&)>& build, StreamHandler on_data = nullptr,
      const SinkFactory* sinks = nullptr);
  Result<http::Response> call(const std::string& method, const std::string& path,
                              const std::string& body = {}, const SinkFactory* sinks = nullptr);
  // Fails, sending nothing, when the spec uses a feature the engine's API version lacks.
  Status check_features(const ServiceSpec& spec, const std::string& what);
  Result<http::Response> call_stream(const std::string& path, const std::function<bool(std::string_view)>& on_data);
  // GETs of these paths at once (send_versioned; with sinks, their bodies decoded as they
  // arrive); the first failure, or an error status named by its request, else every answer.
  Result<std::vector<http::Response>> get_all(const std::vector<std::string>& paths, const SinkFactory* sinks = nullptr);
  // How errors name a request: "GET http://master:2378/v1.51/nodes", at the version it went out.
  std::string what(std::string_view method, std::string_view path) const;
  // GET of a task list (path with its filters), decoded as it streams in.
  Result<std::vector<Task>> list_tasks(const std::string& path);
  // choose_api_version(); when the windows do not overlap and one bound of the engine's is not
  // known, /version is asked for it first, so that the error names the whole window.
  Result<std::string> choose(ApiWindow engine);
  void note_managers(const std::vector<SwarmNode>& nodes);

  http::Transport& transport_;
  std::optional<std::string> api_version_;
  bool hinted_ = false;  // api_version_ is a remembered guess no answer has confirmed yet
  std::vector<std::pair<std::string, std::string>> managers_seen_;
};

// "1.41" vs "1.40": negative, zero or positive like strcmp. Non-numeric parts compare as 0.
int compare_api_versions(const std::string& a, const std::string& b);

// Names for the enums, as the engine spells them.
std::string to_string(NodeRole role);
std::string to_string(NodeAvailability availability);
std::string to_string(NodeState state);
std::string to_string(RestartCondition condition);
// The engine's name (none, on-failure, any) back to the condition; nullopt for another word.
std::optional<RestartCondition> parse_restart_condition(std::string_view name);
std::string to_string(EndpointMode mode);
std::string to_string(ServiceMode mode);

}  // namespace hcl::docker
