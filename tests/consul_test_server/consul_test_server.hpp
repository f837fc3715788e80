// The hcl Consul test server: a stand-in for a single Consul server agent, faithful to Consul's
// documented HTTP API (v1) for the endpoints hcl uses: catalog, health, agent, kv, status, with
// X-Consul-Index and blocking queries, ACL tokens, and Consul's error statuses and messages.
// It is not Consul: there is no raft, no serf, no DNS, no sessions; see README.md beside this
// file for what it implements and where it departs. Real clusters use real Consul.
//
// Used in-process by unit tests (port 0 picks a free port) and as the `consul-test-server`
// program by the lab.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace hcl::testing {

struct ConsulTestServerOptions {
  std::string bind = "127.0.0.1";
  int port = 0;                        // 0: pick a free port
  std::optional<std::string> token;    // when set, ACLs are on: every request needs it
  std::string datacenter = "dc1";
  std::string node_name = "master";    // the agent's own node name (agent/self)
  std::string advertise = "127.0.0.1"; // the agent's address; the leader is "<advertise>:8300"
  // Run the HTTP, TCP and TTL checks of services registered through /v1/agent/service/register,
  // as a real agent does. Off by default so that in-process tests stay deterministic.
  bool run_checks = false;
  // Worker threads; each blocking query holds one while it waits, and so does each open
  // keep-alive connection.
  int threads = 64;
};

class ConsulTestServer {
 public:
  explicit ConsulTestServer(ConsulTestServerOptions opts = {});
  ~ConsulTestServer();  // stops
  ConsulTestServer(const ConsulTestServer&) = delete;
  ConsulTestServer& operator=(const ConsulTestServer&) = delete;

  // Binds, then listens and serves on a background thread. Throws std::runtime_error when it
  // cannot bind, or when called twice.
  void start();
  // Stops serving: blocked queries answer at once, open connections close. Idempotent.
  void stop();
  // Blocks until the server has stopped (for the standalone program).
  void wait();

  int port() const;             // the bound port (after start)
  std::string address() const;  // "http://127.0.0.1:<port>" (the bind address, or 127.0.0.1 for 0.0.0.0)

  // Test helpers that act like the cluster changing: they advance the index and wake blocking
  // queries. Without a leader, status/leader answers "" and reads that need a leader (and
  // writes) answer 500 "No cluster leader".
  void set_leader(bool known);
  // The current raft index (grows with every write).
  std::uint64_t index() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hcl::testing
