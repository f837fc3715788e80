// The Consul client against the project's Consul test server, in-process, over real HTTP through
// both transports.
#include <hcl/consul.hpp>
#include <hcl/http.hpp>
#include <hcl/kv.hpp>
#include <hcl/text.hpp>

#include "consul_test_server.hpp"
#include "local_endpoint.hpp"
#include "transports.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

using namespace hcl;
using hcl::testing::ConsulTestServer;
using hcl::testing::endpoint_of;
using hcl::testing::ConsulTestServerOptions;

namespace {


// Registers a node with a serfHealth check the way the lab (and a Consul agent) does.
void register_node(const ConsulTestServer& s, const std::string& node, const std::string& addr,
                   const std::string& status, const std::string& token = {}) {
  httplib::Client c("127.0.0.1", s.port());
  httplib::Headers h;
  if (!token.empty()) h.emplace("X-Consul-Token", token);
  std::string body = "{\"Node\":\"" + node + "\",\"Address\":\"" + addr +
                     "\",\"Check\":{\"CheckID\":\"serfHealth\",\"Name\":\"Serf Health Status\",\"Status\":\"" + status + "\"}}";
  auto r = c.Put("/v1/catalog/register", h, body, "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

}  // namespace

TEST_CASE_TEMPLATE("catalog nodes and their checks, read at once", Over, HCL_TRANSPORTS) {
  ConsulTestServer server;
  server.start();
  register_node(server, "node1", "10.9.0.11", "passing");
  register_node(server, "node2", "10.9.0.12", "critical");
  auto transport = Over::make(endpoint_of(server), {});
  consul::Client client(*transport);

  auto both = client.nodes_and_checks();
  REQUIRE(both.ok());
  std::vector<std::string> names;
  for (const auto& n : both->nodes) names.push_back(n.name);
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"master", "node1", "node2"});  // the agent's own node too
  auto serf_of = [&](const std::string& node) {
    for (const auto& c : both->checks)
      if (c.node == node && c.check_id == "serfHealth") return c.status;
    return consul::CheckStatus::Unknown;
  };
  CHECK(serf_of("node1") == consul::CheckStatus::Passing);
  CHECK(serf_of("node2") == consul::CheckStatus::Critical);

  auto node2 = client.node_health("node2");
  REQUIRE(node2.ok());
  REQUIRE(node2->size() == 1);
  CHECK(node2->front().status == consul::CheckStatus::Critical);

  auto critical = client.checks_in_state("critical");
  REQUIRE(critical.ok());
  CHECK(std::all_of(critical->begin(), critical->end(),
                    [](const auto& c) { return c.status == consul::CheckStatus::Critical; }));
  CHECK(std::any_of(critical->begin(), critical->end(), [](const auto& c) { return c.node == "node2"; }));
}

TEST_CASE_TEMPLATE("agent self and leader", Over, HCL_TRANSPORTS) {
  ConsulTestServerOptions opts;
  opts.node_name = "master";
  opts.advertise = "10.9.0.10";
  ConsulTestServer server(opts);
  server.start();
  auto transport = Over::make(endpoint_of(server), {});
  consul::Client client(*transport);
  auto self = client.agent_self();
  REQUIRE(self.ok());
  CHECK(self->node_name == "master");
  CHECK(self->datacenter == "dc1");
  CHECK_FALSE(self->version.empty());
  auto leader = client.leader();
  REQUIRE(leader.ok());
  CHECK(*leader == "10.9.0.10:8300");
  server.set_leader(false);
  auto none = client.leader();
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE_TEMPLATE("ACL token: sent as X-Consul-Token; a missing or wrong token is refused with 403", Over, HCL_TRANSPORTS) {
  ConsulTestServerOptions opts;
  opts.token = "t0ken-for-tests";
  ConsulTestServer server(opts);
  server.start();
  auto transport = Over::make(endpoint_of(server), {});

  consul::Client without(*transport);
  auto denied = without.catalog_nodes();
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.error().kind == ErrorKind::Tls);
  CHECK(denied.error().why.find("403") != std::string::npos);
  CHECK(denied.error().why.find("Permission denied") != std::string::npos);

  consul::Client wrong(*transport, "not-the-token");
  CHECK_FALSE(wrong.catalog_nodes().ok());

  consul::Client with(*transport, "t0ken-for-tests");
  auto nodes = with.catalog_nodes();
  REQUIRE(nodes.ok());
  CHECK_FALSE(nodes->empty());
  // The token is in no part of an error message.
  CHECK(denied.error().message().find("t0ken") == std::string::npos);
}

TEST_CASE_TEMPLATE("a check state that matches nothing is an empty list, as in Consul", Over, HCL_TRANSPORTS) {
  ConsulTestServer server;
  server.start();
  auto transport = Over::make(endpoint_of(server), {});
  consul::Client client(*transport);
  auto r = client.checks_in_state("warning");
  REQUIRE(r.ok());
  CHECK(r->empty());
}

TEST_CASE_TEMPLATE("Consul unreachable is an Unreachable error naming the endpoint", Over, HCL_TRANSPORTS) {
  int port = 0;
  {
    ConsulTestServer server;
    server.start();
    port = server.port();
  }
  http::Endpoint e;
  e.host = "127.0.0.1";
  e.port = port;
  auto transport = Over::make(e, {});
  consul::Client client(*transport);
  auto r = client.nodes_and_checks();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Unreachable);
  CHECK(r.error().what.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
}

namespace {

// A hostile server (or a proxy) on loopback that echoes every request's headers back: as an
// error body, and as the output of a health check.
struct EchoingServer {
  httplib::Server srv;
  int port = 0;
  std::thread thread;
  static std::string headers_of(const httplib::Request& req) {
    std::string out;
    for (const auto& [name, value] : req.headers) out += name + ": " + value + "\n";
    return out;
  }
  EchoingServer() {
    srv.Get("/v1/catalog/nodes", [](const httplib::Request& req, httplib::Response& res) {
      res.status = 500;
      res.set_content("cannot serve this request:\n" + headers_of(req), "text/plain");
    });
    srv.Get("/v1/health/state/any", [](const httplib::Request& req, httplib::Response& res) {
      nlohmann::json check = {{"Node", "n1"}, {"CheckID", "echo"}, {"Name", "echo"}, {"Status", "critical"},
                              {"Output", headers_of(req)}};
      res.set_content(nlohmann::json::array({check}).dump(), "application/json");
    });
    srv.Get("/v1/kv/k", [](const httplib::Request& req, httplib::Response& res) {
      res.status = 403;
      res.set_content("ACL not found for " + req.get_header_value("X-Consul-Token"), "text/plain");
    });
    port = srv.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { srv.listen_after_bind(); });
    while (!srv.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~EchoingServer() {
    srv.stop();
    thread.join();
  }
};

}  // namespace

TEST_CASE_TEMPLATE("a token a server echoes back reaches no error and no check output", Over, HCL_TRANSPORTS) {
  EchoingServer server;
  const std::string token = "8f2b7c1e-secret-token-4d1a";
  auto transport = Over::make(hcl::testing::local_endpoint(server.port), {});
  consul::Client client(*transport, token);

  auto nodes = client.catalog_nodes();
  REQUIRE_FALSE(nodes.ok());
  CHECK(nodes.error().message().find("[redacted]") != std::string::npos);  // the echo came, scrubbed
  CHECK(nodes.error().message().find(token) == std::string::npos);

  auto checks = client.checks_in_state("any");
  REQUIRE(checks.ok());
  REQUIRE(checks->size() == 1);
  CHECK(checks->front().output.find("X-Consul-Token: [redacted]") != std::string::npos);
  CHECK(checks->front().output.find(token) == std::string::npos);

  consul::Kv kv(*transport, token);
  auto value = kv.get("k");
  REQUIRE_FALSE(value.ok());
  CHECK(value.error().message().find(token) == std::string::npos);
}

TEST_CASE("redact replaces every occurrence of the secret, and nothing when there is none") {
  CHECK(text::redact("a tok b tok", "tok") == "a [redacted] b [redacted]");
  CHECK(text::redact("tokentok", "tok") == "[redacted]en[redacted]");
  CHECK(text::redact("nothing here", "") == "nothing here");
  CHECK(text::redact("red red", "red") == "[redacted] [redacted]");  // the mark, which holds "red", is not searched
}
