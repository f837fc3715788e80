// Waiting for the cluster to change, for the --watch modes: the engine's event stream and
// Consul's blocking queries are followed on threads of their own (each on its own transport) and
// wake the waiting loop. A stream that breaks is reopened with a growing pause (0.5 s to 5 s), and
// the loop is woken then too, so that it re-reads everything it might have missed.
#pragma once

#include <hcl/error.hpp>
#include <hcl/http.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hcl::ops {

class ChangeWaiter {
 public:
  ChangeWaiter() = default;
  ChangeWaiter(const ChangeWaiter&) = delete;
  ChangeWaiter& operator=(const ChangeWaiter&) = delete;
  ~ChangeWaiter();  // stops the followers and waits for them (at most ~100 ms)

  // Follows the engine's events of these types ("service", "node", ...).
  void follow_engine(std::unique_ptr<http::Transport> transport, std::vector<std::string> types);
  // Follows Consul's health checks (blocking queries on /v1/health/state/any).
  void follow_consul_checks(std::unique_ptr<http::Transport> transport, std::string token);

  // Waits until a change was seen since the last call, `timeout` passed, or `cancel` became
  // true (checked every 100 ms). True when woken by a change.
  bool wait(http::Millis timeout, const std::atomic<bool>& cancel);
  // Problems the followers met since the last call ("engine events: ..."), for warnings.
  std::vector<std::string> take_problems();

 private:
  void notify();
  void problem(std::string text);
  // Sleeps up to `d`, returning early (false) when stopping.
  bool pause(http::Millis d);

  std::mutex mu_;
  std::condition_variable cv_;
  bool changed_ = false;
  std::vector<std::string> problems_;
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<http::Transport>> transports_;
  std::vector<std::thread> threads_;
};

// How often a watch looks: every `interval` when nothing happens, every `busy_interval` for
// `busy_for` after a look saw a change or a follower woke the loop (tasks move in waves after a
// change), and after a failed look every `retry`, doubling up to `max_retry`.
struct WatchPace {
  http::Millis interval{1000};
  http::Millis busy_interval{1000};
  http::Millis busy_for{0};     // 0: never busy
  bool busy_at_start = false;   // the first looks come at busy_interval
  http::Millis retry{1000};
  http::Millis max_retry{1000};
  bool report_follower_problems = true;  // false: a broken stream only leaves the next look to the interval
};

// The loop of the --watch modes (hcl health, sync and viz): looks, then waits for a change the
// waiter's followers see or for the pace's interval, until `cancel`. `look` shows what it found
// and says whether anything changed. A look that fails is told through `warn` ("...; retrying",
// each new message once) and tried again, except for a TLS, authentication or usage error,
// which does not fix itself: that ends the watch with the error. Ctrl-C ends it with ok().
Status watch_loop(ChangeWaiter& waiter, const WatchPace& pace, const std::atomic<bool>& cancel,
                  const std::function<Result<bool>()>& look, const std::function<void(const std::string&)>& warn);

}  // namespace hcl::ops
