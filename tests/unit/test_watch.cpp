// The --watch machinery: an engine whose event stream ends after each event is reopened, each
// reopening wakes the waiting loop, and the problem is reported for a warning; over both
// transports. No check here bounds a time: the waits are for events, with caps far above any
// machine's delay that only keep a broken build from hanging.
#include <hcl/http.hpp>
#include <hcl/ops/watch.hpp>

#include "local_endpoint.hpp"
#include "transports.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace hcl;
using namespace std::chrono_literals;

TEST_CASE_TEMPLATE("ChangeWaiter: a broken event stream is reopened and wakes the loop", Over, HCL_TRANSPORTS) {
  httplib::Server srv;
  std::atomic<int> streams{0};
  srv.Get("/_ping", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Api-Version", "1.41");
    res.set_content("OK", "text/plain");
  });
  srv.Get(R"(/v1\.[0-9]+/events)", [&](const httplib::Request& req, httplib::Response& res) {
    CHECK(req.get_param_value("filters") == R"({"type":{"node":true}})");
    ++streams;
    // One event, then the engine goes away (the stream ends).
    res.set_content(R"({"Type":"node","Action":"update","Actor":{"ID":"n1","Attributes":{"name":"node1"}},"timeNano":1})"
                    "\n",
                    "application/json");
  });
  int port = srv.bind_to_any_port("127.0.0.1");
  std::thread server([&] { srv.listen_after_bind(); });
  std::atomic<bool> cancel{false};
  {
    ops::ChangeWaiter waiter;
    waiter.follow_engine(Over::make(testing::local_endpoint(port)), {"node"});
    CHECK(waiter.wait(60s, cancel));  // the event
    CHECK(waiter.wait(60s, cancel));  // the reopening
    // The second stream opens after that (changes may coalesce: look at the server's side).
    for (auto until = std::chrono::steady_clock::now() + 60s; streams < 2 && std::chrono::steady_clock::now() < until;)
      waiter.wait(100ms, cancel);
    auto problems = waiter.take_problems();
    REQUIRE_FALSE(problems.empty());
    CHECK(problems[0] == "the engine ended its event stream; reopening it");
    CHECK(streams >= 2);
  }  // stops the follower
  srv.stop();
  server.join();
}

TEST_CASE("ChangeWaiter: a wait with cancel set returns at once, without a change") {
  // No follower could wake it: were cancel ignored, this wait would last its hour (and the
  // test would fail on ctest's timeout).
  ops::ChangeWaiter waiter;
  std::atomic<bool> cancel{true};
  CHECK_FALSE(waiter.wait(std::chrono::hours(1), cancel));
}

TEST_CASE_TEMPLATE("ChangeWaiter: an engine that does not answer is a problem, retried, and wait times out", Over, HCL_TRANSPORTS) {
  std::atomic<bool> cancel{false};
  ops::ChangeWaiter waiter;
  http::Timeouts t;
  t.connect = 200ms;
  waiter.follow_engine(Over::make(testing::local_endpoint(1), t), {"node"});
  waiter.wait(300ms, cancel);  // woken by the retry, or timed out
  std::vector<std::string> problems;
  for (auto until = std::chrono::steady_clock::now() + 60s; problems.empty() && std::chrono::steady_clock::now() < until;) {
    waiter.wait(100ms, cancel);
    problems = waiter.take_problems();
  }
  REQUIRE_FALSE(problems.empty());
  CHECK(problems[0].find("engine events: ") == 0);
  CHECK(problems[0].find("127.0.0.1:1") != std::string::npos);
}
