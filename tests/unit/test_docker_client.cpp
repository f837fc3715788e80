// The Docker client against responses recorded from the lab's real engines (tests/data/docker).
#include <hcl/docker.hpp>

#include "recorded_transport.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

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
    ping(t, "1.55");
    docker::Client c(t);
    CHECK(c.api_version().value() == docker::kMaxApiVersion);
  }
  SUBCASE("too old an engine is refused with both windows named (its oldest from /version)") {
    RecordedTransport t;
    ping(t, "1.24");
    t.on("GET", "/version", 200, R"({"Version":"1.12.6","ApiVersion":"1.24","MinAPIVersion":"1.12"})");
    docker::Client c(t);
    auto v = c.api_version();
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().kind == ErrorKind::Server);
    CHECK(v.error().message() ==
          fmt::format("the engine at http://recorded:2378 accepts API 1.12–1.24; hcl speaks {}–{}: upgrade the engine",
                      docker::kMinApiVersion, docker::kMaxApiVersion));
  }
  CHECK(docker::compare_api_versions("1.41", "1.9") > 0);
  CHECK(docker::compare_api_versions("1.41", "1.41") == 0);
}

namespace {

// hcl's first versioned request for `path`, before it knows the engine's version.
std::string first(const std::string& path) { return fmt::format("/v{}{}", docker::kMaxApiVersion, path); }

// The headers the lab's engine (API 1.41) sends with every answer (tests/data/docker/ping-headers.txt).
std::vector<http::Header> engine_headers(const std::string& api = "1.41") {
  return {{"Api-Version", api}, {"Content-Type", "application/json"}, {"Ostype", "linux"},
          {"Server", "Docker/20.10.24+dfsg1 (linux)"}};
}

// How an engine whose newest API is `engine_api` refuses a request at `asked`: the lab's recorded
// refusal of /v1.42/nodes (tests/data/docker/nodes-too-new.txt) with the two versions replaced.
http::Response too_new(const std::string& asked, const std::string& engine_api) {
  http::Response r = hcl::testing::read_raw_response("docker/nodes-too-new.txt");
  REQUIRE(r.status == 400);
  REQUIRE(r.header("Api-Version") == "1.41");
  REQUIRE(r.body.find("client version 1.42 is too new. Maximum supported API version is 1.41") != std::string::npos);
  r.body = fmt::format("{{\"message\":\"client version {} is too new. Maximum supported API version is {}\"}}\n", asked,
                       engine_api);
  for (auto& h : r.headers)
    if (h.name == "Api-Version") h.value = engine_api;
  return r;
}

}  // namespace

TEST_CASE("the first versioned call needs no /_ping: the answer's Api-Version header settles it") {
  SUBCASE("an engine at hcl's version: one request") {
    RecordedTransport t;
    t.on("GET", first("/nodes"), 200, read_data("docker/nodes.json"), engine_headers(docker::kMaxApiVersion));
    docker::Client c(t);
    REQUIRE(c.nodes().ok());
    CHECK(t.targets() == std::vector<std::string>{first("/nodes")});
    CHECK(c.api_version().value() == docker::kMaxApiVersion);  // learnt, not asked
    CHECK(t.requests.size() == 1);
  }
  SUBCASE("a newer engine accepts hcl's version") {
    RecordedTransport t;
    t.on("GET", first("/nodes"), 200, read_data("docker/nodes.json"), engine_headers("1.55"));
    docker::Client c(t);
    REQUIRE(c.nodes().ok());
    CHECK(c.api_version().value() == docker::kMaxApiVersion);
    CHECK(t.requests.size() == 1);
  }
  SUBCASE("an older engine refuses, names its version, and the call is sent again at it, once") {
    RecordedTransport t;
    t.on("GET", first("/nodes"), too_new(docker::kMaxApiVersion, "1.41"));
    t.on("GET", "/v1.41/nodes", 200, read_data("docker/nodes.json"), engine_headers("1.41"));
    t.on("GET", "/v1.41/networks", 200, read_data("docker/networks.json"), engine_headers("1.41"));
    docker::Client c(t);
    auto nodes = c.nodes();
    REQUIRE(nodes.ok());
    CHECK(nodes->size() == 3);
    REQUIRE(c.networks().ok());
    CHECK(t.targets() == std::vector<std::string>{first("/nodes"), "/v1.41/nodes", "/v1.41/networks"});
  }
  SUBCASE("a refusal without the header: the version its message names") {
    RecordedTransport t;
    http::Response refused = too_new(docker::kMaxApiVersion, "1.39");
    refused.headers.clear();
    t.on("GET", first("/nodes"), refused);
    t.on("GET", "/v1.39/nodes", 200, read_data("docker/nodes.json"));
    docker::Client c(t);
    REQUIRE(c.nodes().ok());
    CHECK(t.targets() == std::vector<std::string>{first("/nodes"), "/v1.39/nodes"});
  }
  SUBCASE("a refusal that names no version falls back to /_ping") {
    RecordedTransport t;
    t.on("GET", first("/nodes"), 400, fmt::format("{{\"message\":\"client version {} is too new\"}}", docker::kMaxApiVersion));
    ping(t, "1.39");
    t.on("GET", "/v1.39/nodes", 200, read_data("docker/nodes.json"));
    docker::Client c(t);
    REQUIRE(c.nodes().ok());
    CHECK(t.targets() == std::vector<std::string>{first("/nodes"), "/_ping", "/v1.39/nodes"});
  }
  SUBCASE("engines before Docker 17.x word the refusal differently") {
    RecordedTransport t;
    t.on("GET", first("/nodes"), 400,
         fmt::format("{{\"message\":\"client is newer than server (client API version: {}, server API version: 1.35)\"}}",
                     docker::kMaxApiVersion));
    t.on("GET", "/v1.35/nodes", 200, read_data("docker/nodes.json"));
    docker::Client c(t);
    REQUIRE(c.nodes().ok());
    CHECK(t.targets() == std::vector<std::string>{first("/nodes"), "/v1.35/nodes"});
  }
  SUBCASE("too old an engine: both windows named, without sending again, a server error (exit 4)") {
    RecordedTransport t;
    t.on("GET", first("/nodes"), too_new(docker::kMaxApiVersion, "1.24"));
    t.on("GET", "/version", 200, R"({"Version":"1.12.6","ApiVersion":"1.24","MinAPIVersion":"1.12"})");
    docker::Client c(t);
    auto nodes = c.nodes();
    REQUIRE_FALSE(nodes.ok());
    CHECK(nodes.error().kind == ErrorKind::Server);
    CHECK(exit_status(nodes.error().kind) == 4);
    CHECK(nodes.error().message() ==
          fmt::format("the engine at http://recorded:2378 accepts API 1.12–1.24; hcl speaks {}–{}: upgrade the engine",
                      docker::kMinApiVersion, docker::kMaxApiVersion));
    CHECK(t.targets() == std::vector<std::string>{first("/nodes"), "/version"});  // /version only for the words
  }
  SUBCASE("a 400 that names another version than the one asked is not a refusal of hcl's") {
    RecordedTransport t;
    t.on("GET", first("/nodes"), 400, R"({"message":"client version 1.99 is too new. Maximum supported API version is 1.41"})");
    docker::Client c(t);
    auto nodes = c.nodes();
    REQUIRE_FALSE(nodes.ok());
    CHECK(t.requests.size() == 1);
  }
  SUBCASE("a request the engine refuses for another reason is not sent again") {
    RecordedTransport t;
    t.on("GET", first("/networks/nosuch"), read_response("docker/network-notfound.txt"));
    docker::Client c(t);
    auto n = c.network("nosuch");
    REQUIRE_FALSE(n.ok());
    CHECK(n.error().kind == ErrorKind::NotFound);
    CHECK(t.requests.size() == 1);
  }
  SUBCASE("requests sent at once are all sent again after a refusal") {
    RecordedTransport t;
    for (const char* p : {"/nodes", "/services", "/tasks"}) t.on("GET", first(p), too_new(docker::kMaxApiVersion, "1.40"));
    t.on("GET", "/v1.40/nodes", 200, read_data("docker/cluster-nodes.json"), engine_headers("1.40"));
    t.on("GET", "/v1.40/services", 200, read_data("docker/services.json"), engine_headers("1.40"));
    t.on("GET", "/v1.40/tasks", 200, read_data("docker/tasks.json"), engine_headers("1.40"));
    docker::Client c(t);
    auto state = c.cluster_state();
    REQUIRE(state.ok());
    CHECK_FALSE(state->tasks.empty());
    CHECK(t.requests.size() == 6);
    CHECK(t.requests.back().target.starts_with("/v1.40/"));
  }
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

TEST_CASE("a manager's 500 for a lost race is a conflict (exit 8), other 500s stay server errors") {
  RecordedTransport t;
  ping(t);
  t.on("POST", "/v1.41/networks/create", read_response("docker/network-create-race.txt"));
  t.on("POST", "/v1.41/services/svc1/update?version=41", read_response("docker/service-update-out-of-sequence.txt"));
  t.on("POST", "/v1.41/services/svc2/update?version=7", 500, "{\"message\":\"rpc error: code = Unknown desc = disk full\"}");
  docker::Client c(t);
  docker::NetworkSpec net;
  net.name = "demo_default";
  auto created = c.create_network(net);
  REQUIRE_FALSE(created.ok());
  CHECK(created.error().kind == ErrorKind::Conflict);
  CHECK(created.error().why.find("name conflicts") != std::string::npos);

  docker::ServiceSpec spec;
  spec.name = "demo_web";
  spec.image = "hcl-lab/busybox";
  auto rs = c.write_services({{"svc1", 41, spec}, {"svc2", 7, spec}});
  REQUIRE(rs.size() == 2);
  REQUIRE_FALSE(rs[0].ok());
  CHECK(rs[0].error().kind == ErrorKind::Conflict);
  CHECK(rs[0].error().what == "updating service demo_web");
  CHECK(rs[0].error().why.find("update out of sequence") != std::string::npos);
  REQUIRE_FALSE(rs[1].ok());
  CHECK(rs[1].error().kind == ErrorKind::Server);
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
    // Named at the version the request went out (it was "GET http://recorded:2378/nodes").
    CHECK(nodes.error().what == "GET http://recorded:2378/v1.41/nodes");
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

TEST_CASE("node and engine labels decode from GET /nodes") {
  // The lab's nodes carry no labels: the recorded body with labels put into its first node.
  std::string body = read_data("docker/nodes.json");
  auto spec = body.find("\"Labels\": {}");
  REQUIRE(spec != std::string::npos);
  body.replace(spec, 12, R"("Labels": {"zone": "a", "disk": "ssd"})");
  RecordedTransport t;
  ping(t);
  t.on("GET", "/v1.41/nodes", 200, body, {{"Api-Version", "1.41"}});
  docker::Client c(t);
  auto nodes = c.nodes();
  REQUIRE(nodes.ok());
  size_t labelled = 0;
  for (const auto& n : *nodes) {
    if (n.labels.empty()) continue;
    ++labelled;
    CHECK(n.labels == docker::Labels{{"disk", "ssd"}, {"zone", "a"}});
    CHECK(n.engine_labels.empty());
  }
  CHECK(labelled == 1);
}
