// Following the engine's events and Consul's checks for the --watch modes (include/hcl/ops/watch.hpp).
#include <hcl/consul.hpp>
#include <hcl/docker.hpp>
#include <hcl/ops/watch.hpp>

#include <algorithm>
#include <chrono>
#include <utility>

namespace hcl::ops {
namespace {

constexpr http::Millis kFirstRetry{500}, kLastRetry{5000};
// Consul's blocking queries wait at most this long before answering with no change.
constexpr http::Millis kConsulWait{60 * 1000};

}  // namespace

ChangeWaiter::~ChangeWaiter() {
  stop_ = true;
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ChangeWaiter::notify() {
  {
    std::lock_guard lock(mu_);
    changed_ = true;
  }
  cv_.notify_all();
}

void ChangeWaiter::problem(std::string text) {
  std::lock_guard lock(mu_);
  problems_.push_back(std::move(text));
}

bool ChangeWaiter::pause(http::Millis d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stop_.load(); });
}

void ChangeWaiter::follow_engine(std::unique_ptr<http::Transport> transport, std::vector<std::string> types) {
  transport->set_cancel(&stop_);
  auto* t = transport.get();
  transports_.push_back(std::move(transport));
  threads_.emplace_back([this, t, types = std::move(types)] {
    docker::Client engine(*t);
    auto retry = kFirstRetry;
    while (!stop_) {
      bool got_event = false;
      auto s = engine.events(types, [&](const docker::Event&) {
        got_event = true;
        notify();
        return !stop_.load();
      });
      if (stop_) break;
      if (got_event) retry = kFirstRetry;
      problem(s ? "the engine ended its event stream; reopening it"
                : "engine events: " + s.error().what + ": " + s.error().why + "; retrying");
      if (!pause(retry)) break;
      retry = std::min(retry * 2, kLastRetry);
      notify();  // whatever happened while the stream was down is read again
    }
  });
}

void ChangeWaiter::follow_consul_checks(std::unique_ptr<http::Transport> transport, std::string token) {
  transport->set_cancel(&stop_);
  auto* t = transport.get();
  transports_.push_back(std::move(transport));
  threads_.emplace_back([this, t, token = std::move(token)] {
    consul::Client consul(*t, token);
    std::uint64_t index = 0;
    auto retry = kFirstRetry;
    while (!stop_) {
      auto next = consul.wait_checks(index, kConsulWait);
      if (stop_) break;
      if (!next) {
        problem("Consul checks: " + next.error().what + ": " + next.error().why + "; retrying");
        if (!pause(retry)) break;
        retry = std::min(retry * 2, kLastRetry);
        index = 0;
        notify();
        continue;
      }
      retry = kFirstRetry;
      // Consul's rule: an index that went backwards starts over.
      if (index != 0 && *next != index) notify();
      index = *next < index ? 0 : *next;
    }
  });
}

bool ChangeWaiter::wait(http::Millis timeout, const std::atomic<bool>& cancel) {
  auto until = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mu_);
  while (!changed_ && !cancel) {
    auto now = std::chrono::steady_clock::now();
    if (now >= until) break;
    cv_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(until - now, http::Millis{100}));
  }
  bool was = changed_;
  changed_ = false;
  return was;
}

std::vector<std::string> ChangeWaiter::take_problems() {
  std::lock_guard lock(mu_);
  return std::exchange(problems_, {});
}

Status watch_loop(ChangeWaiter& waiter, const WatchPace& pace, const std::atomic<bool>& cancel,
                  const std::function<Result<bool>()>& look, const std::function<void(const std::string&)>& warn) {
  using Clock = std::chrono::steady_clock;
  auto busy_until = Clock::now() + (pace.busy_at_start ? pace.busy_for : http::Millis{0});
  auto retry = pace.retry;
  std::string problem;  // the last failed look's, told once
  while (!cancel) {
    auto changed = look();
    if (!changed) {
      const Error& e = changed.error();
      if (e.kind == ErrorKind::Tls || e.kind == ErrorKind::Usage) return e;
      if (cancel) break;
      if (e.message() != problem) warn(e.message() + "; retrying");
      problem = e.message();
      waiter.wait(retry, cancel);
      retry = std::min(retry * 2, pace.max_retry);
      continue;
    }
    problem.clear();
    retry = pace.retry;
    for (const auto& p : waiter.take_problems())
      if (pace.report_follower_problems) warn(p);
    auto now = Clock::now();
    if (*changed) busy_until = now + pace.busy_for;
    if (waiter.wait(now < busy_until ? pace.busy_interval : pace.interval, cancel)) busy_until = Clock::now() + pace.busy_for;
  }
  return ok();
}

}  // namespace hcl::ops
