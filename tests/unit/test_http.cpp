// The libcurl transport against a real in-process HTTP server.
#include <hcl/http.hpp>

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

using namespace hcl;
using namespace std::chrono_literals;

namespace {

struct Server {
  httplib::Server srv;
  int port = 0;
  std::thread thread;
  std::atomic<int> in_flight{0}, max_in_flight{0};
  std::mutex mu;
  std::vector<int> remote_ports;

  Server() {
    srv.Get("/hello", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu);
        remote_ports.push_back(req.remote_port);
      }
      res.set_header("X-Test", "yes");
      res.set_content("hello " + req.get_header_value("X-Token"), "text/plain");
    });
    srv.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      int now = ++in_flight;
      for (int m = max_in_flight; now > m && !max_in_flight.compare_exchange_weak(m, now);) {}
      std::this_thread::sleep_for(300ms);
      --in_flight;
      res.set_content("done", "text/plain");
    });
    srv.Get("/stall", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(1500ms);
      res.set_content("late", "text/plain");
    });
    srv.Get("/missing", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content("{\"message\":\"no such thing\"}", "application/json");
    });
    srv.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      // 200 pieces of 1000 bytes, chunked, as the engine sends a large list.
      res.set_chunked_content_provider("application/json", [](size_t offset, httplib::DataSink& sink) {
        if (offset >= 200000) {
          sink.done();
          return true;
        }
        std::string piece(1000, static_cast<char>('a' + offset / 1000 % 26));
        return sink.write(piece.data(), piece.size());
      });
    });
    srv.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.method + ":" + req.body, "text/plain");
    });
    port = srv.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { srv.listen_after_bind(); });
    // stop() before the loop runs would be lost, and the destructor would wait forever.
    while (!srv.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~Server() {
    srv.stop();
    thread.join();
  }
  http::Endpoint endpoint() const {
    http::Endpoint e;
    e.host = "127.0.0.1";
    e.port = port;
    return e;
  }
};

}  // namespace

TEST_CASE("send returns status, headers and body; error statuses are responses") {
  Server s;
  auto t = http::make_curl_transport(s.endpoint(), {});
  auto r = t->send({"GET", "/hello", {{"X-Token", "abc"}}});
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body == "hello abc");
  CHECK(r->header("x-test") == "yes");

  auto m = t->send({"GET", "/missing"});
  REQUIRE(m.ok());
  CHECK(m->status == 404);
  CHECK(m->body.find("no such thing") != std::string::npos);

  auto p = t->send({"POST", "/echo", {}, "{\"a\":1}"});
  REQUIRE(p.ok());
  CHECK(p->body == "POST:{\"a\":1}");
}

TEST_CASE("connections are kept alive between requests") {
  Server s;
  auto t = http::make_curl_transport(s.endpoint(), {});
  for (int i = 0; i < 3; ++i) REQUIRE(t->send({"GET", "/hello"}).ok());
  std::lock_guard lock(s.mu);
  REQUIRE(s.remote_ports.size() == 3);
  CHECK(std::set<int>(s.remote_ports.begin(), s.remote_ports.end()).size() == 1);
}

TEST_CASE("send_all runs requests at once and keeps their order") {
  Server s;
  auto t = http::make_curl_transport(s.endpoint(), {});
  std::vector<http::Request> reqs{{"GET", "/slow"}, {"GET", "/slow"}, {"GET", "/slow"}, {"GET", "/missing"}};
  auto rs = t->send_all(reqs);
  REQUIRE(rs.size() == 4);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(rs[i].ok());
    CHECK(rs[i]->body == "done");
  }
  REQUIRE(rs[3].ok());
  CHECK(rs[3]->status == 404);
  CHECK(s.max_in_flight.load() >= 2);
}

TEST_CASE("stream_all hands each body to its sink as it arrives; error bodies stay in the response") {
  Server s;
  auto t = http::make_curl_transport(s.endpoint(), {});
  std::string big, hello;
  int big_pieces = 0;
  std::vector<http::BodySink> sinks{[&](std::string_view d) { big += d; ++big_pieces; return true; },
                                    [&](std::string_view) { FAIL("an error body reached the sink"); return true; },
                                    {},
                                    [&](std::string_view d) { hello += d; return true; }};
  auto rs = t->stream_all({{"GET", "/big"}, {"GET", "/missing"}, {"GET", "/hello"}, {"GET", "/hello"}}, sinks);
  REQUIRE(rs.size() == 4);
  REQUIRE(rs[0].ok());
  CHECK(rs[0]->status == 200);
  CHECK(rs[0]->body.empty());
  REQUIRE(big.size() == 200000);
  CHECK(big.substr(0, 3) == "aaa");
  CHECK(big.substr(199997) == "rrr");
  CHECK(big_pieces > 1);
  REQUIRE(rs[1].ok());
  CHECK(rs[1]->status == 404);
  CHECK(rs[1]->body.find("no such thing") != std::string::npos);
  REQUIRE(rs[2].ok());
  CHECK(rs[2]->body == "hello ");  // no sink: kept
  REQUIRE(rs[3].ok());
  CHECK(rs[3]->body.empty());
  CHECK(hello == "hello ");

  // A sink that says stop ends its request early, without an error; the transport goes on.
  std::size_t got = 0;
  auto stopped = t->stream_all({{"GET", "/big"}}, {[&](std::string_view d) { got += d.size(); return false; }});
  REQUIRE(stopped.front().ok());
  CHECK(got < 200000);
  CHECK(t->send({"GET", "/hello"}).ok());
}

TEST_CASE("a request that gets no answer in time ends with an error naming the timeout") {
  Server s;
  auto t = http::make_curl_transport(s.endpoint(), {http::Millis(1000), http::Millis(200)});
  auto r = t->send({"GET", "/stall"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Unreachable);
  CHECK(r.error().what == "GET http://127.0.0.1:" + std::to_string(s.port) + "/stall");
  CHECK(r.error().why == "no complete answer within the request timeout of 200 ms");
}

TEST_CASE("a refused connection is Unreachable and names the endpoint") {
  int port = 0;
  {
    Server s;  // take a free port, then close it
    port = s.port;
  }
  http::Endpoint e;
  e.host = "127.0.0.1";
  e.port = port;
  auto t = http::make_curl_transport(e, {});
  auto r = t->send({"GET", "/_ping"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Unreachable);
  CHECK(r.error().message().find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
}

TEST_CASE("a missing unix socket is Unreachable and names the socket") {
  http::Endpoint e;
  e.kind = http::Endpoint::Kind::Unix;
  e.socket_path = "/nonexistent/docker.sock";
  auto t = http::make_curl_transport(e, {});
  auto r = t->send({"GET", "/_ping"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Unreachable);
  CHECK(r.error().why.find("/nonexistent/docker.sock") != std::string::npos);
}

TEST_CASE("the request log has method, URL and status, never headers, and redacts token parameters") {
  Server s;
  std::vector<http::RequestLog> logs;
  auto t = http::make_curl_transport(s.endpoint(), {}, [&](const http::RequestLog& l) { logs.push_back(l); });
  REQUIRE(t->send({"GET", "/hello?token=s3cr3t&x=1", {{"X-Consul-Token", "s3cr3t"}}}).ok());
  REQUIRE(logs.size() == 1);
  CHECK(logs[0].method == "GET");
  CHECK(logs[0].status == 200);
  CHECK(logs[0].url == "http://127.0.0.1:" + std::to_string(s.port) + "/hello?token=REDACTED&x=1");
  CHECK(logs[0].url.find("s3cr3t") == std::string::npos);
}

TEST_CASE("encoding and targets") {
  CHECK(http::encode("a b/c") == "a%20b%2Fc");
  CHECK(http::encode("node-1_x.y~") == "node-1_x.y~");
  CHECK(http::target("/v1/kv/a", {{"recurse", std::nullopt}, {"index", "12"}}) == "/v1/kv/a?recurse&index=12");
  CHECK(http::describe(http::Millis(3000)) == "3 s");
  CHECK(http::describe(http::Millis(1500)) == "1.5 s");
}
