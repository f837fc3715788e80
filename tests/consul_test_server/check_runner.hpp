// Runs the checks of the agent's own node as a Consul agent would: HTTP and TCP checks every
// Interval (with Timeout, default 10s), and TTL checks that turn critical ("TTL expired") when
// no pass/warn/fail arrives within their TTL. Results go to the catalog like any write.
// Checks on other nodes are never run: in Consul, their own agents would run them.
#pragma once

#include "server_core.hpp"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace hcl::testing::cts {

class CheckRunner {
 public:
  explicit CheckRunner(Core& core) : core_(core) {}
  ~CheckRunner() { stop(); }
  CheckRunner(const CheckRunner&) = delete;
  CheckRunner& operator=(const CheckRunner&) = delete;

  void start();
  void stop();  // waits for checks under way (each bounded by its timeout)

 private:
  using Clock = std::chrono::steady_clock;
  void loop();
  void round(Clock::time_point now);

  Core& core_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, Clock::time_point> next_run_;    // HTTP/TCP check ID -> when due
  std::map<std::string, Clock::time_point> first_seen_;  // TTL check ID -> first seen
};

// One probe, exposed for tests: the status ("passing", "warning", "critical") and output.
struct ProbeResult {
  std::string status;
  std::string output;
};
ProbeResult probe_http(const CheckDefinition& d);
ProbeResult probe_tcp(const CheckDefinition& d);

}  // namespace hcl::testing::cts
