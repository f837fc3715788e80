// What every endpoint of the Consul test server shares: the locked state with its condition
// variable (Core), one request in flight with its parsed query options (Call), and the path
// table that answers 404/405/400/403 the way Consul does before a handler runs (Router).
#pragma once

#include "api_json.hpp"
#include "consul_test_server.hpp"
#include "state.hpp"

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace hcl::testing::cts {

// Consul's common query parameters: ?index ?wait ?stale ?consistent ?pretty.
struct QueryOptions {
  std::uint64_t min_index = 0;           // 0: not a blocking query
  std::chrono::nanoseconds wait{0};      // 0: Consul's default (5m)
  bool stale = false;
  bool consistent = false;
  bool pretty = false;
};

// One request being answered.
class Call {
 public:
  Call(const httplib::Request& req, httplib::Response& res, std::string rest)
      : req(req), res(res), rest(std::move(rest)) {}

  const httplib::Request& req;
  httplib::Response& res;
  std::string rest;  // the path after a subtree route: "web" for /v1/health/service/web
  QueryOptions query;

  // A query parameter is set when present at all: "?recurse" and "?recurse=" alike.
  bool has(const std::string& name) const { return req.has_param(name.c_str()); }
  std::string param(const std::string& name) const { return req.get_param_value(name.c_str()); }

  // Consul's answers: an error as plain text with its status; JSON with status 200; an empty
  // body with a status (404 for a missing key).
  void fail(const ApiError& e);
  void json(const ojson& body);
  void empty(int status);
};

// What a read found: the index it read at and the answer.
struct ReadResult {
  std::uint64_t index = 0;
  int status = 200;                // without a body: 404 with an empty body
  std::optional<ojson> body;       // the JSON answer
  std::optional<std::string> raw;  // or raw bytes (GET /v1/kv/:key?raw)

  static ReadResult of(std::uint64_t index, ojson body) {
    ReadResult r;
    r.index = index;
    r.body = std::move(body);
    return r;
  }
};

enum class NeedsLeader { yes, no };

// The state and its lock. Reads that block wait on the condition variable, which every write
// and every change of the test helpers notifies.
class Core {
 public:
  explicit Core(ConsulTestServerOptions options);

  const ConsulTestServerOptions& options() const { return options_; }
  const std::string& node_id() const { return node_id_; }

  // Answers a read: runs `read` under the lock; for a blocking query (?index=N, N > 0) runs it
  // again after each write until the index it reports passes N or the wait (default 5m, at most
  // 10m, plus up to 1/16 jitter) ends. Sets X-Consul-Index, -KnownLeader, -LastContact.
  // Without a leader it answers 500 "No cluster leader", unless ?stale.
  void read(Call& call, const std::function<ReadResult(const Store&)>& read);

  // Runs `write(store, index)` under the lock with the next raft index, then wakes blocking
  // queries. Refuses with 500 "No cluster leader" when one is needed and there is none.
  std::optional<ApiError> write(NeedsLeader needs_leader,
                                const std::function<void(Store&, std::uint64_t)>& write);

  // Runs `look` under the lock without touching indexes (agent endpoints, status).
  void inspect(const std::function<void(const Store&)>& look) const;

  bool leader() const;
  void set_leader(bool known);
  std::uint64_t raft_index() const;

  // When each TTL check on the agent's node last heard pass/warn/fail, for the check runner.
  void note_ttl_update(const std::string& check_id);
  std::optional<std::chrono::steady_clock::time_point> ttl_update(const std::string& check_id) const;
  // Makes blocked reads answer now, and every later read answer without blocking.
  void shut_down();

 private:
  ConsulTestServerOptions options_;
  std::string node_id_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Store store_;
  bool leader_ = true;
  bool shutting_down_ = false;
  std::map<std::string, std::chrono::steady_clock::time_point> ttl_updates_;
};

// A path the server knows. A pattern ending in '/' matches the whole subtree below it, like
// Go's ServeMux that Consul uses; the longest matching pattern wins.
struct Route {
  std::string pattern;
  std::vector<std::string> methods;   // anything else is 405 with an Allow header
  std::function<void(Call&)> handler;
  bool query_options = true;          // parses ?dc ?stale ?consistent ?index ?wait
  bool acl = true;                    // needs the token when ACLs are on
};

class Router {
 public:
  explicit Router(const Core& core) : core_(core) {}
  void add(Route route) { routes_.push_back(std::move(route)); }
  // Answers one request: 404 (empty) for an unknown path, 405 for a wrong method, 400 for bad
  // query options, 500 for another datacenter, 403 without the token, else the handler.
  void dispatch(const httplib::Request& req, httplib::Response& res) const;

 private:
  const Route* match(const std::string& path) const;
  const Core& core_;
  std::vector<Route> routes_;
};

// ?node-meta=key:value filters (all must match), as catalog and health reads take them.
using MetaFilters = std::vector<std::pair<std::string, std::string>>;
MetaFilters node_meta_filters(const httplib::Request& req);
bool matches(const Node& node, const MetaFilters& filters);
// ?tag= filters: the service has every tag, compared case-insensitively as Consul does.
bool has_tags(const Service& service, const std::vector<std::string>& tags);
std::vector<std::string> param_values(const httplib::Request& req, const std::string& name);

// Endpoint groups, each in its own file.
void add_catalog_routes(Router& router, Core& core);
void add_health_routes(Router& router, Core& core);
void add_agent_routes(Router& router, Core& core);
void add_kv_routes(Router& router, Core& core);
void add_status_routes(Router& router, Core& core);

// The serfHealth check and agent identity shared by the agent's own registration and members.
inline constexpr const char* kSerfCheckId = "serfHealth";
inline constexpr const char* kVersion = "1.15.0-hcl-test";
inline constexpr const char* kRevision = "hcl-test";

}  // namespace hcl::testing::cts
