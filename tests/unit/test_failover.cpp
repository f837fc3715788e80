// FailoverTransport over real sockets: several engines of one swarm, the first that answers used
// for the whole command, a write never sent to two.
#include <hcl/http.hpp>

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace hcl;
using namespace std::chrono_literals;

namespace {

// An engine stand-in that counts what it was asked ("GET /_ping", "POST /w", ...) and answers
// every request with `status`.
struct CountingEngine {
  httplib::Server srv;
  int port = 0;
  std::thread thread;
  std::mutex mu;
  std::map<std::string, int> asked;

  explicit CountingEngine(int status, std::string body = "ok") {
    auto handle = [this, status, body](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu);
        ++asked[req.method + " " + req.path];
      }
      res.status = status;
      res.set_content(body, "application/json");
    };
    srv.Get(".*", handle);
    srv.Post(".*", handle);
    port = srv.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { srv.listen_after_bind(); });
    while (!srv.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~CountingEngine() {
    srv.stop();
    thread.join();
  }
  int count(const std::string& what) {
    std::lock_guard lock(mu);
    return asked[what];
  }
};

http::Endpoint at(int port) {
  http::Endpoint e;
  e.host = "127.0.0.1";
  e.port = port;
  return e;
}

// A port nothing listens on: bound, then closed (a stopped engine's port; connects are refused).
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

struct Told {
  std::optional<std::size_t> chosen;
  std::vector<http::FailoverTransport::PassedOver> passed_over;
  int times = 0;
};

http::FailoverTransport failover(std::vector<http::Endpoint> eps, Told& told) {
  std::vector<std::unique_ptr<http::Transport>> ts;
  for (auto& e : eps) ts.push_back(http::make_transport(e, {std::chrono::milliseconds(500), 2s}));
  return http::FailoverTransport(std::move(ts), [&told](std::size_t i, const auto& passed_over) {
    told.chosen = i;
    told.passed_over = passed_over;
    ++told.times;
  });
}

}  // namespace

TEST_CASE("a manager that refuses connections is passed over; the command stays with the one that answered") {
  CountingEngine node1(200);
  int dead = closed_port();
  Told told;
  auto t = failover({at(dead), at(node1.port)}, told);
  auto r = t.send({"GET", "/v1.51/nodes"});
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(told.chosen == 1u);
  CHECK(told.times == 1);
  REQUIRE(told.passed_over.size() == 1);
  CHECK(told.passed_over[0].endpoint == at(dead).display());
  CHECK(told.passed_over[0].why.find("refused") != std::string::npos);
  CHECK(t.describe() == at(node1.port).display());
  // The rest of the command: that manager only, writes included, nothing tried again.
  auto w = t.send({"POST", "/v1.51/services/create", {}, "{}"});
  REQUIRE(w.ok());
  CHECK(node1.count("POST /v1.51/services/create") == 1);
  auto all = t.send_all({{"GET", "/a"}, {"GET", "/b"}});
  CHECK(all[0].ok());
  CHECK(all[1].ok());
  CHECK(told.times == 1);
}

TEST_CASE("prepare() goes to the endpoint tried first, after an answer to the one that answered") {
  // An endpoint that counts prepare() calls and answers like the transport under it.
  struct Counted : http::Transport {
    std::unique_ptr<http::Transport> inner;
    int* prepared;
    Counted(http::Endpoint e, int* n) : inner(http::make_transport(std::move(e), {})), prepared(n) {}
    Result<http::Response> send(const http::Request& r) override { return inner->send(r); }
    std::string describe() const override { return inner->describe(); }
    void prepare() override { ++*prepared; }
  };
  CountingEngine node1(200);
  int first = 0, second = 0;
  std::vector<std::unique_ptr<http::Transport>> all;
  all.push_back(std::make_unique<Counted>(at(closed_port()), &first));
  all.push_back(std::make_unique<Counted>(at(node1.port), &second));
  http::FailoverTransport t(std::move(all));
  t.prepare();
  CHECK(first == 1);
  CHECK(second == 0);
  CHECK(node1.count("GET /_ping") == 0);
  REQUIRE(t.send({"GET", "/v1.51/nodes"}).ok());
  t.prepare();
  CHECK(first == 1);
  CHECK(second == 1);
}

TEST_CASE("the first manager answering: used, nothing else tried, told with index 0") {
  CountingEngine master(200), node1(200);
  Told told;
  auto t = failover({at(master.port), at(node1.port)}, told);
  REQUIRE(t.send({"GET", "/v1.51/nodes"}).ok());
  CHECK(told.chosen == 0u);
  CHECK(told.passed_over.empty());
  CHECK(node1.count("GET /v1.51/nodes") == 0);
}

TEST_CASE("a command that begins with a write asks /_ping first: the write goes to one engine, once") {
  CountingEngine not_manager(503, R"({"message":"This node is not a swarm manager."})"), node1(200);
  Told told;
  auto t = failover({at(not_manager.port), at(node1.port)}, told);
  auto w = t.send({"POST", "/v1.51/networks/create", {}, "{}"});
  REQUIRE(w.ok());
  CHECK(w->status == 200);
  CHECK(not_manager.count("GET /_ping") == 1);
  CHECK(not_manager.count("POST /v1.51/networks/create") == 0);
  CHECK(node1.count("POST /v1.51/networks/create") == 1);
  REQUIRE(told.passed_over.size() == 1);
  CHECK(told.passed_over[0].why.find("503") != std::string::npos);
}

TEST_CASE("a 503 from the last engine is its answer to decode; none reachable is one error naming each") {
  CountingEngine a(503, R"({"message":"no leader"})"), b(503, R"({"message":"no leader"})");
  Told told;
  auto t = failover({at(a.port), at(b.port)}, told);
  auto r = t.send({"GET", "/v1.51/nodes"});
  REQUIRE(r.ok());
  CHECK(r->status == 503);
  CHECK(b.count("GET /v1.51/nodes") == 1);

  int d1 = closed_port(), d2 = closed_port();
  Told none;
  auto dead = failover({at(d1), at(d2)}, none);
  auto e = dead.send({"GET", "/v1.51/nodes"});
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().kind == ErrorKind::Unreachable);
  CHECK(e.error().why.find(at(d1).display()) != std::string::npos);
  CHECK(e.error().why.find(at(d2).display()) != std::string::npos);
  CHECK(none.times == 0);
}

TEST_CASE("stream_all passes over an engine only while no sink has had any of its answer") {
  CountingEngine not_manager(503), node1(200, "[1,2,3]");
  Told told;
  auto t = failover({at(not_manager.port), at(node1.port)}, told);
  std::string got;
  auto rs = t.stream_all({{"GET", "/v1.51/nodes"}, {"GET", "/v1.51/tasks"}},
                         {[&](std::string_view p) { got += p; return true; }, {}});
  REQUIRE(rs[0].ok());
  CHECK(got == "[1,2,3]");  // node1's answer, whole, once
  CHECK(told.chosen == 1u);
}
