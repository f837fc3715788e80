// The Consul test server's state: the catalog (nodes, services, checks) and the KV store, with
// Consul's index bookkeeping. No HTTP and no JSON here, and no locking: the caller holds the
// server's one mutex around every call and around every use of a returned pointer.
//
// Indexes work as in Consul's state store: one raft-like counter advances on every write
// (advance()), and each table remembers the last index that changed it. A write that changes
// nothing (re-registering an identical node) leaves the table indexes alone, so blocking
// queries on that table do not wake. Each object carries CreateIndex/ModifyIndex.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hcl::testing::cts {

using StringMap = std::map<std::string, std::string>;

// An error the HTTP layer answers with as is: Consul's status code and its plain-text message.
struct ApiError {
  int status = 500;
  std::string message;
};

struct Node {
  std::string id;  // a UUID, or empty for nodes registered without one
  std::string name;
  std::string address;
  std::string datacenter;
  std::optional<StringMap> tagged_addresses;  // nullopt is JSON null, as in Consul
  std::optional<StringMap> meta;
  std::uint64_t create_index = 0;
  std::uint64_t modify_index = 0;
};

struct Weights {
  int passing = 1;
  int warning = 1;
  bool operator==(const Weights&) const = default;
};

struct Service {
  std::string id;
  std::string name;  // "Service" in Consul's JSON
  std::vector<std::string> tags;
  std::string address;  // empty: use the node's address
  int port = 0;
  StringMap meta;
  bool enable_tag_override = false;
  std::string kind;  // "" for a typical service
  Weights weights;
  std::uint64_t create_index = 0;
  std::uint64_t modify_index = 0;
};

// How an agent runs a check. The catalog only stores it; the check runner (if enabled) acts on
// it for checks on the agent's own node.
struct CheckDefinition {
  std::string http;
  std::string method;
  std::map<std::string, std::vector<std::string>> header;
  bool tls_skip_verify = false;
  std::string tcp;
  std::chrono::nanoseconds interval{0};
  std::chrono::nanoseconds timeout{0};
  std::chrono::nanoseconds ttl{0};
  std::chrono::nanoseconds deregister_critical_service_after{0};
  bool operator==(const CheckDefinition&) const = default;
};

struct Check {
  std::string node;
  std::string check_id;
  std::string name;
  std::string status;  // "passing", "warning" or "critical"
  std::string notes;
  std::string output;
  std::string service_id;  // empty for node-level checks such as serfHealth
  std::string service_name;
  std::vector<std::string> service_tags;
  std::string type;      // "http", "tcp", "ttl", ... or "" for catalog-registered checks
  std::string interval;  // as shown in the JSON ("10s", or "")
  std::string timeout;
  CheckDefinition definition;
  std::uint64_t create_index = 0;
  std::uint64_t modify_index = 0;
};

struct KvEntry {
  std::string key;
  std::string value;  // bytes; empty is JSON null, as in Consul
  std::uint64_t flags = 0;
  std::uint64_t lock_index = 0;
  std::uint64_t create_index = 0;
  std::uint64_t modify_index = 0;
};

// One catalog registration: PUT /v1/catalog/register, or the agent registering a service.
// Defaults (Datacenter, service ID, check Node and CheckID) are filled in by apply().
struct Registration {
  std::string id;
  std::string node;
  std::string address;
  std::string datacenter;
  std::optional<StringMap> tagged_addresses;
  std::optional<StringMap> node_meta;
  bool skip_node_update = false;
  std::optional<Service> service;
  std::vector<Check> checks;
};

enum class Table { nodes, services, checks, kvs };

bool valid_check_status(std::string_view status);
// ASCII lower case: Consul compares node names, check statuses and tags case-insensitively.
std::string lower(std::string_view s);

class Store {
 public:
  // --- indexes ---
  std::uint64_t raft_index() const { return raft_index_; }
  // Takes the next raft index for one write.
  std::uint64_t advance() { return ++raft_index_; }
  // The last index that changed the table; 0 if it never changed.
  std::uint64_t table_index(Table t) const { return tables_[static_cast<std::size_t>(t)]; }
  // The index of what a service query reads: the last change to an instance of the service, to
  // its node or to a check that covers it; for a missing service the last time any service lost
  // its last instance, else the catalog's tables (Consul's maxIndexForService).
  std::uint64_t service_index(std::string_view name) const;

  // --- catalog writes ---
  // Validates the whole registration first (errors carry Consul's messages, status 500 as
  // Consul's RPC errors have), then applies it at idx. A check without Status is "critical".
  std::optional<ApiError> apply(Registration reg, std::uint64_t idx);
  // Removes the node with its services and checks; a missing node is not an error.
  void deregister_node(std::string_view node, std::uint64_t idx);
  // Removes the service and the checks bound to it; a missing service is not an error.
  void deregister_service(std::string_view node, std::string_view service_id, std::uint64_t idx);
  void deregister_check(std::string_view node, std::string_view check_id, std::uint64_t idx);
  // Sets a check's status and output; false if there is no such check.
  bool update_check(std::string_view node, std::string_view check_id, std::string_view status,
                    std::string_view output, std::uint64_t idx);

  // --- catalog reads (sorted as Consul lists them) ---
  const Node* node(std::string_view name) const;  // names compare case-insensitively
  std::vector<const Node*> nodes() const;         // by name
  const Service* service(std::string_view node, std::string_view service_id) const;
  std::vector<const Service*> services_on(std::string_view node) const;  // by ID
  struct Instance {
    const Node* node;
    const Service* service;
  };
  std::vector<Instance> instances(std::string_view service_name) const;  // by node, then ID
  std::map<std::string, std::vector<std::string>> service_tags() const;  // name -> unique tags
  const Check* check(std::string_view node, std::string_view check_id) const;
  std::vector<const Check*> checks_on(std::string_view node) const;  // by CheckID
  std::vector<const Check*> all_checks() const;                      // by node, then CheckID

  // --- KV ---
  const KvEntry* kv_get(std::string_view key) const;
  std::vector<const KvEntry*> kv_list(std::string_view prefix) const;  // by key
  // The index of a single-key read: the entry's ModifyIndex, else the KV table's.
  std::uint64_t kv_key_index(std::string_view key) const;
  // The index of a prefix read: the newest entry or deletion under the prefix, else the table's.
  std::uint64_t kv_prefix_index(std::string_view prefix) const;
  // cas: nullopt sets unconditionally; 0 sets only if absent; N only if ModifyIndex is N.
  bool kv_set(std::string_view key, std::string value, std::uint64_t flags,
              std::optional<std::uint64_t> cas, std::uint64_t idx);
  // cas as for kv_set, except that deleting a missing key always succeeds.
  bool kv_delete(std::string_view key, std::optional<std::uint64_t> cas, std::uint64_t idx);
  void kv_delete_tree(std::string_view prefix, std::uint64_t idx);

 private:
  void touch(Table t, std::uint64_t idx) { tables_[static_cast<std::size_t>(t)] = idx; }
  void touch_service(const std::string& name, std::uint64_t idx) { service_indexes_[name] = idx; }
  void touch_services_on(const std::string& node_key, std::uint64_t idx);
  void note_if_extinct(const std::string& service_name, std::uint64_t idx);
  bool service_exists(std::string_view name) const;
  std::optional<ApiError> validate(Registration& reg) const;

  std::uint64_t raft_index_ = 0;
  std::array<std::uint64_t, 4> tables_{};
  std::map<std::string, std::uint64_t, std::less<>> service_indexes_;
  std::uint64_t service_extinction_index_ = 0;

  // Keyed by the lower-cased node name, then by service ID / CheckID.
  std::map<std::string, Node, std::less<>> nodes_;
  std::map<std::string, std::map<std::string, Service, std::less<>>, std::less<>> services_;
  std::map<std::string, std::map<std::string, Check, std::less<>>, std::less<>> checks_;

  std::map<std::string, KvEntry, std::less<>> kv_;
  std::map<std::string, std::uint64_t, std::less<>> kv_tombstones_;  // key -> deletion index
};

}  // namespace hcl::testing::cts
