// The --watch machinery: an engine whose event stream ends after each event is reopened, each
// reopening wakes the waiting loop, and the problem is reported for a warning.
#include <hcl/http.hpp>
#include <hcl/ops/watch.hpp>

#include "local_endpoint.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace hcl;
using namespace std::chrono_literals;

TEST_CASE("ChangeWaiter: a broken event stream is reopened and wakes the loop") {
  httplib::Server srv;
  std::atomic<int> streams{0};
  srv.Get("/_ping", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Api-Version", "1.41");
    res.set_content("OK", "text/plain");
  });
  srv.Get(R"(/v1\.[0-9]+/events)", [&](const httplib::Request& req, httplib::Response& res) {
    CHECK(req.get_param_value("filters") == R"({"type":["node"]})");
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
    waiter.follow_engine(http::make_curl_transport(testing::local_endpoint(port), {}), {"node"});
    CHECK(waiter.wait(3s, cancel));   // the event
    CHECK(waiter.wait(3s, cancel));   // the reopening
    // The second stream opens after that (changes may coalesce: look at the server's side).
    for (auto until = std::chrono::steady_clock::now() + 3s; streams < 2 && std::chrono::steady_clock::now() < until;)
      waiter.wait(100ms, cancel);
    auto problems = waiter.take_problems();
    REQUIRE_FALSE(problems.empty());
    CHECK(problems[0] == "the engine ended its event stream; reopening it");
    CHECK(streams >= 2);
    // Nothing else happens: a wait with cancel set returns at once, without a change.
    auto t0 = std::chrono::steady_clock::now();
    cancel = true;
    waiter.wait(5s, cancel);
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  }  // stops the follower
  srv.stop();
  server.join();
}

TEST_CASE("ChangeWaiter: an engine that does not answer is a problem, retried, and wait times out") {
  std::atomic<bool> cancel{false};
  ops::ChangeWaiter waiter;
  http::Timeouts t;
  t.connect = 200ms;
  waiter.follow_engine(http::make_curl_transport(testing::local_endpoint(1), t), {"node"});
  auto t0 = std::chrono::steady_clock::now();
  waiter.wait(300ms, cancel);  // woken by the retry or timed out; either way within bounds
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  std::this_thread::sleep_for(300ms);
  auto problems = waiter.take_problems();
  REQUIRE_FALSE(problems.empty());
  CHECK(problems[0].find("engine events: ") == 0);
  CHECK(problems[0].find("127.0.0.1:1") != std::string::npos);
}
