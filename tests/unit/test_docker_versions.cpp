// The Docker client across Engine API versions: negotiation with engines older and newer than
// hcl, hcl version's report of both windows, and the changes of the API that touch what hcl reads
// (events as json-seq, the filters' map form, networks' Containers).
#include <hcl/docker.hpp>
#include <hcl/ops/version.hpp>
#include <hcl/output.hpp>

#include "docker/codec.hpp"
#include "recorded_transport.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

using namespace hcl;
using hcl::testing::read_data;
using hcl::testing::RecordedTransport;

namespace {

std::string at_max(const std::string& path) { return fmt::format("/v{}{}", docker::kMaxApiVersion, path); }

std::string hcl_window() { return fmt::format("{}–{}", docker::kMinApiVersion, docker::kMaxApiVersion); }

}  // namespace

TEST_CASE("hcl speaks API 1.52 at most and 1.30 at least") {
  CHECK(std::string(docker::kMaxApiVersion) == "1.52");
  CHECK(std::string(docker::kMinApiVersion) == "1.30");
}

TEST_CASE("choose_api_version: the engine's newest, hcl's newest when older, an error when the windows miss") {
  const std::string at = "unix:///var/run/docker.sock";
  CHECK(docker::choose_api_version({"1.12", "1.41"}, at).value() == "1.41");
  CHECK(docker::choose_api_version({"1.24", "1.51"}, at).value() == "1.51");
  CHECK(docker::choose_api_version({"1.44", "1.52"}, at).value() == "1.52");
  CHECK(docker::choose_api_version({"1.40", "1.55"}, at).value() == "1.52");
  CHECK(docker::choose_api_version({"", ""}, at).value() == docker::kMaxApiVersion);
  CHECK(docker::choose_api_version({"1.30", "1.30"}, at).value() == "1.30");

  auto too_new = docker::choose_api_version({"1.53", "1.60"}, at);
  REQUIRE_FALSE(too_new.ok());
  CHECK(too_new.error().kind == ErrorKind::Server);
  CHECK(exit_status(too_new.error().kind) == 4);
  CHECK(too_new.error().message() ==
        fmt::format("the engine at {} accepts API 1.53–1.60; hcl speaks {}: upgrade hcl", at, hcl_window()));
  CHECK(docker::choose_api_version({"1.53", ""}, at).error().why.find("accepts API 1.53 and newer;") !=
        std::string::npos);

  auto too_old = docker::choose_api_version({"", "1.29"}, at);
  REQUIRE_FALSE(too_old.ok());
  CHECK(too_old.error().kind == ErrorKind::Server);
  CHECK(too_old.error().message() ==
        fmt::format("the engine at {} accepts API up to 1.29; hcl speaks {}: upgrade the engine", at, hcl_window()));
}

TEST_CASE("an engine whose oldest API is above hcl's newest: one request, one error naming both windows") {
  RecordedTransport t;
  // The words of Docker's version check, from an engine of a later day whose oldest API version
  // is above hcl's newest.
  t.on("GET", at_max("/nodes"), 400,
       fmt::format("{{\"message\":\"client version {} is too old. Minimum supported API version is 1.53, please "
                   "upgrade your client to a newer version\"}}\n",
                   docker::kMaxApiVersion),
       {{"Api-Version", "1.60"}, {"Content-Type", "application/json"}});
  docker::Client c(t);
  for (int i = 0; i < 2; ++i) {
    auto nodes = c.nodes();
    REQUIRE_FALSE(nodes.ok());
    CHECK(nodes.error().kind == ErrorKind::Server);
    CHECK(nodes.error().message() ==
          fmt::format("the engine at http://recorded:2378 accepts API 1.53–1.60; hcl speaks {}: upgrade hcl", hcl_window()));
  }
  CHECK(t.targets() == std::vector<std::string>{at_max("/nodes"), at_max("/nodes")});  // never a resend
}

TEST_CASE("a POST refused for its version is sent again as it was, once") {
  RecordedTransport t;
  t.on("POST", at_max("/networks/create"), 400,
       fmt::format("{{\"message\":\"client version {} is too new. Maximum supported API version is 1.45\"}}\n",
                   docker::kMaxApiVersion),
       {{"Api-Version", "1.45"}});
  t.on("POST", "/v1.45/networks/create", 201, read_data("docker/network-create.json"), {{"Api-Version", "1.45"}});
  docker::Client c(t);
  docker::NetworkSpec spec;
  spec.name = "demo";
  REQUIRE(c.create_network(spec).ok());
  REQUIRE(t.requests.size() == 2);
  CHECK(t.requests[0].body == t.requests[1].body);
  CHECK(t.requests[1].target == "/v1.45/networks/create");
}

TEST_CASE("an engine that refuses the version it named itself is not asked a third time") {
  RecordedTransport t;
  t.on("GET", at_max("/nodes"), 400,
       fmt::format("{{\"message\":\"client version {} is too new. Maximum supported API version is 1.45\"}}",
                   docker::kMaxApiVersion),
       {{"Api-Version", "1.45"}});
  t.on("GET", "/v1.45/nodes", 400, R"({"message":"client version 1.45 is too old. Minimum supported API version is 1.46"})",
       {{"Api-Version", "1.45"}});
  docker::Client c(t);
  auto nodes = c.nodes();
  REQUIRE_FALSE(nodes.ok());
  CHECK(nodes.error().kind == ErrorKind::Server);
  CHECK(t.requests.size() == 2);
}

TEST_CASE("hcl version: both windows and the version used, from /version alone") {
  auto report = [](const std::string& version_body) {
    RecordedTransport d, k;
    d.on("GET", "/version", 200, version_body);
    k.on("GET", "/v1/agent/self", 200, R"({"Config":{"NodeName":"master","Datacenter":"dc1","Version":"1.17.0","Server":true}})");
    docker::Client docker(d);
    consul::Client consul(k);
    auto r = ops::collect_versions(docker, consul);
    CHECK(d.requests.size() == 1);
    CHECK(k.requests.size() == 1);
    return std::pair{r, docker.api_version()};
  };
  SUBCASE("an engine older than hcl: its own version") {
    auto [r, used] = report(R"({"Version":"26.1.5+dfsg1","ApiVersion":"1.45","MinAPIVersion":"1.24","Os":"linux","Arch":"amd64"})");
    CHECK(r.api_version == "1.45");
    CHECK(used.value() == "1.45");
    CHECK_FALSE(r.api_error);
    auto j = nlohmann::json::parse(output::version_json(r));
    CHECK(j["hcl"]["api_version"] == docker::kMaxApiVersion);
    CHECK(j["hcl"]["min_api_version"] == docker::kMinApiVersion);
    CHECK(j["engine"]["api_version"] == "1.45");
    CHECK(j["engine"]["min_api_version"] == "1.24");
    CHECK(j["engine"]["api_version_used"] == "1.45");
    CHECK(j["engine"]["error"].is_null());
  }
  SUBCASE("a newer engine: hcl's newest") {
    auto [r, used] = report(R"({"Version":"29.3.0","ApiVersion":"1.54","MinAPIVersion":"1.40","Os":"linux","Arch":"arm64"})");
    CHECK(r.api_version == docker::kMaxApiVersion);
    CHECK(used.value() == docker::kMaxApiVersion);
  }
  SUBCASE("an engine hcl cannot speak to: reported, with the error every command would give") {
    auto [r, used] = report(R"({"Version":"31.0.0","ApiVersion":"1.60","MinAPIVersion":"1.53","Os":"linux","Arch":"amd64"})");
    CHECK(r.api_version.empty());
    REQUIRE(r.api_error);
    CHECK(r.api_error->kind == ErrorKind::Server);
    CHECK(r.api_error->why.find("accepts API 1.53–1.60") != std::string::npos);
    auto j = nlohmann::json::parse(output::version_json(r));
    CHECK(j["engine"]["api_version_used"].is_null());
    CHECK(j["engine"]["version"] == "31.0.0");
    CHECK(j["engine"]["error"].get<std::string>().find("upgrade hcl") != std::string::npos);
  }
}

TEST_CASE("filters go in the map form every engine reads") {
  CHECK(docker::codec::filters({{"desired-state", {"running"}}}) == R"({"desired-state":{"running":true}})");
  CHECK(docker::codec::filters({{"type", {"service", "node"}}}) == R"({"type":{"node":true,"service":true}})");
  CHECK(docker::codec::filters({{"service", {}}}) == R"({"service":{}})");
}

namespace {

std::vector<docker::Event> events_of(const std::string& stream, std::size_t piece) {
  docker::EventLines lines("GET http://recorded:2378/events");
  std::vector<docker::Event> out;
  for (std::size_t at = 0; at < stream.size(); at += piece)
    if (!lines.feed(std::string_view(stream).substr(at, piece), [&](const docker::Event& e) {
          out.push_back(e);
          return true;
        }))
      break;
  REQUIRE_FALSE(lines.error());
  return out;
}

}  // namespace

TEST_CASE("events: one per line, led by json-seq's 0x1E or not, without status/id/from") {
  // Two events as API 1.52 writes them (no status, id or from).
  const std::string a = R"({"Type":"service","Action":"create","Actor":{"ID":"s1","Attributes":{"name":"web"}},"scope":"swarm","time":1,"timeNano":1000000001})";
  const std::string b = R"({"Type":"node","Action":"update","Actor":{"ID":"n1","Attributes":{"name":"node1","state.new":"down"}},"scope":"swarm","time":2,"timeNano":2000000002})";
  for (std::size_t piece : {1, 5, 4096}) {
    CAPTURE(piece);
    for (const std::string& stream : {a + "\n" + b + "\n",                    // application/json, x-ndjson, jsonl
                                      "\x1e" + a + "\n\x1e" + b + "\n",       // application/json-seq
                                      a + "\r\n\n" + b + "\r\n"}) {
      auto seen = events_of(stream, piece);
      REQUIRE(seen.size() == 2);
      CHECK(seen[0].type == "service");
      CHECK(seen[0].action == "create");
      CHECK(seen[0].actor_id == "s1");
      CHECK(seen[0].attributes.at("name") == "web");
      CHECK(seen[0].time_nano == 1000000001);
      CHECK(seen[1].attributes.at("state.new") == "down");
    }
  }
  docker::EventLines lines("GET http://recorded:2378/events");
  CHECK_FALSE(lines.feed("\x1e{\"Type\": 5}\n", [](const docker::Event&) { return true; }));
  REQUIRE(lines.error());
  CHECK(lines.error()->kind == ErrorKind::Server);
  CHECK(lines.error()->what == "GET http://recorded:2378/events");
}

TEST_CASE("networks: the list's Containers are not counted, inspect's are") {
  RecordedTransport t;
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.41"}});
  t.on("GET", "/v1.41/networks", 200, read_data("docker/networks.json"));
  t.on("GET", "/v1.41/networks/demo", 200, read_data("docker/network-demo.json"));
  docker::Client c(t);
  auto nets = c.networks();
  REQUIRE(nets.ok());
  for (const auto& n : *nets) CHECK_FALSE(n.containers.has_value());
  auto list = nlohmann::json::parse(output::networks_json(*nets));
  for (const auto& n : list) CHECK(n["containers"].is_null());
  auto demo = c.network("demo");
  REQUIRE(demo.ok());
  REQUIRE(demo->containers.has_value());
  CHECK(nlohmann::json::parse(output::network_json(*demo))["containers"] == *demo->containers);
}

TEST_CASE("a remembered version: the first request goes out at it, no refusal and resend") {
  RecordedTransport t;
  t.on("GET", "/v1.45/nodes", 200, "[]", {{"Api-Version", "1.45"}});
  docker::Client c(t);
  c.hint_api_version("1.45");
  CHECK_FALSE(c.known_api_version().has_value());  // a guess until an answer confirms it
  REQUIRE(c.nodes().ok());
  CHECK(t.targets() == std::vector<std::string>{"/v1.45/nodes"});
  CHECK(c.known_api_version() == "1.45");
}

TEST_CASE("a remembered version older than a since-upgraded engine moves up after the first answer") {
  RecordedTransport t;
  t.on("GET", "/v1.41/nodes", 200, "[]", {{"Api-Version", "1.51"}});
  t.on("GET", "/v1.51/services", 200, "[]", {{"Api-Version", "1.51"}});
  docker::Client c(t);
  c.hint_api_version("1.41");
  REQUIRE(c.nodes().ok());
  REQUIRE(c.services().ok());
  CHECK(t.targets() == std::vector<std::string>{"/v1.41/nodes", "/v1.51/services"});
  CHECK(c.known_api_version() == "1.51");
}

TEST_CASE("a remembered version a since-changed engine refuses is negotiated again") {
  RecordedTransport t;
  t.on("GET", "/v1.41/nodes", 400,
       R"({"message":"client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version"})",
       {{"Api-Version", "1.51"}});
  t.on("GET", "/v1.51/nodes", 200, "[]", {{"Api-Version", "1.51"}});
  docker::Client c(t);
  c.hint_api_version("1.41");
  REQUIRE(c.nodes().ok());
  CHECK(t.targets() == std::vector<std::string>{"/v1.41/nodes", "/v1.51/nodes"});
  CHECK(c.known_api_version() == "1.51");
}

TEST_CASE("an event stream line that never ends stops the stream at 1 MiB with an error") {
  docker::EventLines lines("GET http://recorded:2378/events");
  std::string piece(64 * 1024, 'x');
  bool going = true;
  std::size_t fed = 0;
  while (going && fed < (4u << 20)) {
    going = lines.feed(piece, [](const docker::Event&) { return true; });
    fed += piece.size();
  }
  CHECK_FALSE(going);
  CHECK(fed <= docker::EventLines::kMaxEventBytes + piece.size());
  REQUIRE(lines.error());
  CHECK(lines.error()->why.find("longer than 1 MiB") != std::string::npos);
}
