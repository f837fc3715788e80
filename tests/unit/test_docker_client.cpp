// The Docker client against responses recorded from the lab's real engines (tests/data/docker).
#include <hcl/docker.hpp>

#include "recorded_transport.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace hcl;
using hcl::testing::read_data;
using hcl::testing::read_response;
using hcl::testing::RecordedTransport;

namespace {

// The lab's engines answer /_ping with this API version (see tests/data/docker/ping-headers.txt).
void ping(RecordedTransport& t, const std::string& api = "1.41") {
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", api}, {"Ostype", "linux"}});
}

const docker::SwarmNode* find(const std::vector<docker::SwarmNode>& nodes, const std::string& name) {
  auto it = std::find_if(nodes.begin(), nodes.end(), [&](const auto& n) { return n.hostname == name; });
  return it == nodes.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("the API version is negotiated once and never above the engine's or the client's") {
  SUBCASE("engine at 1.41") {
    RecordedTransport t;
    ping(t, "1.41");
    docker::Client c(t);
    CHECK(c.api_version().value() == "1.41");
    CHECK(c.api_version().value() == "1.41");
    CHECK(t.requests.size() == 1);
  }
  SUBCASE("older engine: its version is used") {
    RecordedTransport t;
    ping(t, "1.38");
    docker::Client c(t);
    CHECK(c.api_version().value() == "1.38");
  }
  SUBCASE("newer engine: the client's newest is used") {
    RecordedTransport t;
    ping(t, "1.47");
    docker::Client c(t);
    CHECK(c.api_version().value() == docker::kMaxApiVersion);
  }
  SUBCASE("too old an engine is refused with both versions named") {
    RecordedTransport t;
    ping(t, "1.24");
    docker::Client c(t);
    auto v = c.api_version();
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().why.find("1.24") != std::string::npos);
    CHECK(v.error().why.find(docker::kMinApiVersion) != std::string::npos);
  }
  CHECK(docker::compare_api_versions("1.41", "1.9") > 0);
  CHECK(docker::compare_api_versions("1.41", "1.41") == 0);
}

TEST_CASE("nodes decode from the lab's GET /nodes") {
  RecordedTransport t;
  ping(t);
  t.on("GET", "/v1.41/nodes", 200, read_data("docker/nodes.json"));
  docker::Client c(t);
  auto nodes = c.nodes();
  REQUIRE(nodes.ok());
  REQUIRE(nodes->size() == 3);
  const auto* master = find(*nodes, "master");
  REQUIRE(master != nullptr);
  CHECK(master->role == docker::NodeRole::Manager);
  CHECK(master->leader);
  CHECK(master->manager_reachability == "reachable");
  CHECK(master->state == docker::NodeState::Ready);
  CHECK(master->availability == docker::NodeAvailability::Active);
  CHECK(master->engine_version.starts_with("20.10.24"));  // Debian's "20.10.24+dfsg1"
  CHECK(master->os == "linux");
  CHECK_FALSE(master->architecture.empty());
  CHECK_FALSE(master->id.empty());
  CHECK(master->version > 0);
  for (const char* worker : {"node1", "node2"}) {
    const auto* w = find(*nodes, worker);
    REQUIRE(w != nullptr);
    CHECK(w->role == docker::NodeRole::Worker);
    CHECK_FALSE(w->leader);
    CHECK(w->state == docker::NodeState::Ready);
    CHECK_FALSE(w->address.empty());
  }
  CHECK(t.requests.back().target == "/v1.41/nodes");
}

TEST_CASE("a stopped node decodes as down") {
  RecordedTransport t;
  ping(t);
  t.on("GET", "/v1.41/nodes", 200, read_data("docker/nodes-node2-down.json"));
  docker::Client c(t);
  auto nodes = c.nodes();
  REQUIRE(nodes.ok());
  const auto* node2 = find(*nodes, "node2");
  REQUIRE(node2 != nullptr);
  CHECK(node2->state == docker::NodeState::Down);
  CHECK(find(*nodes, "node1")->state == docker::NodeState::Ready);
}

TEST_CASE("networks decode from the lab's GET /networks and /networks/demo") {
  RecordedTransport t;
  ping(t);
  t.on("GET", "/v1.41/networks", 200, read_data("docker/networks.json"));
  t.on("GET", "/v1.41/networks/demo", 200, read_data("docker/network-demo.json"));
  docker::Client c(t);
  auto nets = c.networks();
  REQUIRE(nets.ok());
  auto demo = std::find_if(nets->begin(), nets->end(), [](const auto& n) { return n.name == "demo"; });
  REQUIRE(demo != nets->end());
  CHECK(demo->driver == "overlay");
  CHECK(demo->scope == "swarm");
  CHECK(demo->attachable);
  auto ingress = std::find_if(nets->begin(), nets->end(), [](const auto& n) { return n.ingress; });
  CHECK(ingress != nets->end());

  auto one = c.network("demo");
  REQUIRE(one.ok());
  CHECK(one->name == "demo");
  CHECK(one->attachable);
  REQUIRE_FALSE(one->ipam.empty());
  CHECK_FALSE(one->ipam.front().subnet.empty());
}

TEST_CASE("creating a network sends the spec and decodes the answer") {
  RecordedTransport t;
  ping(t);
  t.on("POST", "/v1.41/networks/create", 201, read_data("docker/network-create.json"));
  docker::Client c(t);
  docker::NetworkSpec spec;
  spec.name = "demo";
  spec.subnet = "10.10.0.0/24";
  spec.labels["team"] = "lab";
  auto r = c.create_network(spec);
  REQUIRE(r.ok());
  CHECK(r->id.size() >= 12);
  const std::string& body = t.requests.back().body;
  CHECK(body.find("\"Name\":\"demo\"") != std::string::npos);
  CHECK(body.find("\"Driver\":\"overlay\"") != std::string::npos);
  CHECK(body.find("\"Attachable\":true") != std::string::npos);
  CHECK(body.find("\"CheckDuplicate\":true") != std::string::npos);
  CHECK(body.find("\"Subnet\":\"10.10.0.0/24\"") != std::string::npos);
  CHECK(body.find("\"team\":\"lab\"") != std::string::npos);
}

TEST_CASE("engine errors become typed errors with the engine's message") {
  RecordedTransport t;
  ping(t);
  t.on("POST", "/v1.41/networks/create", read_response("docker/network-create-conflict.txt"));
  t.on("GET", "/v1.41/networks/nosuch", read_response("docker/network-notfound.txt"));
  t.on("DELETE", "/v1.41/networks/nosuch", read_response("docker/network-notfound.txt"));
  docker::Client c(t);
  docker::NetworkSpec spec;
  spec.name = "demo";
  auto conflict = c.create_network(spec);
  REQUIRE_FALSE(conflict.ok());
  CHECK(conflict.error().kind == ErrorKind::Conflict);
  CHECK(conflict.error().why.find("already exists") != std::string::npos);

  auto missing = c.network("nosuch");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::NotFound);
  CHECK(missing.error().why == "no network named nosuch");

  auto rm = c.remove_network("nosuch");
  REQUIRE_FALSE(rm.ok());
  CHECK(rm.error().kind == ErrorKind::NotFound);
}

TEST_CASE("an answer that is not the expected JSON is an error naming the endpoint, not a crash") {
  for (const char* body : {"<html>proxy error</html>", "{\"not\":\"a list\"}", "[{\"ID\": 42}]", "", "[1,2"}) {
    CAPTURE(body);
    RecordedTransport t;
    ping(t);
    t.on("GET", "/v1.41/nodes", 200, body);
    docker::Client c(t);
    auto nodes = c.nodes();
    REQUIRE_FALSE(nodes.ok());
    CHECK(nodes.error().kind == ErrorKind::Server);
    CHECK(nodes.error().what == "GET http://recorded:2378/nodes");
    CHECK(nodes.error().why.find("unexpected answer") == 0);
  }
}

TEST_CASE("a non-manager engine's 503 is reported with its message") {
  RecordedTransport t;
  ping(t);
  t.on("GET", "/v1.41/nodes", 503,
       "{\"message\":\"This node is not a swarm manager. Use \\\"docker swarm init\\\" or \\\"docker swarm join\\\" to connect this node to swarm and try again.\"}");
  docker::Client c(t);
  auto nodes = c.nodes();
  REQUIRE_FALSE(nodes.ok());
  CHECK(nodes.error().kind == ErrorKind::Server);
  CHECK(nodes.error().why.find("not a swarm manager") != std::string::npos);
}

TEST_CASE("engine version from the lab's GET /version") {
  RecordedTransport t;
  t.on("GET", "/version", 200, read_data("docker/version.json"));
  docker::Client c(t);
  auto v = c.version();
  REQUIRE(v.ok());
  CHECK(v->version.starts_with("20.10.24"));
  CHECK(v->api_version == "1.41");
  CHECK_FALSE(v->min_api_version.empty());
  CHECK(v->os == "linux");
}
