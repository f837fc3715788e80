// The Docker client against each engine version hcl is tested with, on answers recorded from the
// real engines (tests/data/docker/<engine>/, see the README there): Docker 20.10 (API 1.41),
// 26.1 (1.45) and 28.5 (1.51, its minimum raised to 1.44 as Docker 29.0-29.2 have it).
#include <hcl/docker.hpp>

#include "docker/codec.hpp"
#include "recorded_transport.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

using namespace hcl;
using hcl::testing::read_data;
using hcl::testing::read_raw_response;
using hcl::testing::RecordedTransport;
using json = nlohmann::json;

namespace {

struct RecordedEngine {
  std::string dir;      // tests/data/docker/<dir>/
  std::string version;  // /version's Version
  std::string api;      // its newest API version: the one hcl speaks with it
  std::string min_api;  // its oldest, as it was started
  std::map<std::string, std::string> nodes;  // the lab's engine per node when it was recorded
};

const std::vector<RecordedEngine>& engines() {
  static const std::vector<RecordedEngine> all = {
      {"20.10", "20.10.24+dfsg1", "1.41", "1.12",
       {{"master", "20.10.24+dfsg1"}, {"node1", "20.10.24+dfsg1"}, {"node2", "20.10.24+dfsg1"}}},
      {"26.1", "26.1.5+dfsg1", "1.45", "1.24",
       {{"master", "26.1.5+dfsg1"}, {"node1", "26.1.5+dfsg1"}, {"node2", "20.10.24+dfsg1"}}},
      {"28.5", "28.5.2+dfsg4", "1.51", "1.44",
       {{"master", "28.5.2+dfsg4"}, {"node1", "26.1.5+dfsg1"}, {"node2", "20.10.24+dfsg1"}}},
  };
  return all;
}

std::string data(const RecordedEngine& e, const std::string& file) { return read_data("docker/" + e.dir + "/" + file); }
http::Response raw(const RecordedEngine& e, const std::string& file) { return read_raw_response("docker/" + e.dir + "/" + file); }

// What the engine sends with every answer (from its recorded /_ping).
std::vector<http::Header> headers(const RecordedEngine& e) {
  http::Response ping = raw(e, "ping-headers.txt");
  return {{"Api-Version", ping.header("Api-Version")}, {"Content-Type", "application/json"},
          {"Server", ping.header("Server")}};
}

std::string at(const RecordedEngine& e, const std::string& path) { return "/v" + e.api + path; }

// A transport that answers as the recorded engine: hcl's first request, /v1.52/nodes, with the
// engine's own answer to it, and the rest at the engine's version.
RecordedTransport engine_transport(const RecordedEngine& e) {
  RecordedTransport t;
  t.on("GET", fmt::format("/v{}/nodes", docker::kMaxApiVersion), raw(e, "nodes-at-1.52.raw"));
  t.on("GET", at(e, "/nodes"), 200, data(e, "nodes.json"), headers(e));
  t.on("GET", at(e, "/networks"), 200, data(e, "networks-in-use.json"), headers(e));
  t.on("GET", at(e, "/networks/rec-net"), 200, data(e, "network-in-use.json"), headers(e));
  t.on("GET", at(e, "/services"), 200, data(e, "services.json"), headers(e));
  t.on("GET", at(e, "/tasks"), 200, data(e, "tasks.json"), headers(e));
  t.on("GET", "/version", 200, data(e, "version.json"), headers(e));
  return t;
}

}  // namespace

TEST_CASE("each engine refuses hcl's first request for its version and answers it again at its own") {
  for (const auto& e : engines()) {
    CAPTURE(e.dir);
    // The engine's own words, recorded: 400, its newest version in the header and the message.
    http::Response first = raw(e, "nodes-at-1.52.raw");
    CHECK(first.status == 400);
    CHECK(first.header("Api-Version") == e.api);
    CHECK(docker::codec::server_message(first) ==
          fmt::format("client version {} is too new. Maximum supported API version is {}", docker::kMaxApiVersion, e.api));

    RecordedTransport t = engine_transport(e);
    docker::Client c(t);
    auto nodes = c.nodes();
    REQUIRE(nodes.ok());
    CHECK(nodes->size() == 3);
    CHECK(c.api_version().value() == e.api);  // learnt from the refusal, no /_ping
    REQUIRE(c.networks().ok());
    CHECK(t.targets() == std::vector<std::string>{fmt::format("/v{}/nodes", docker::kMaxApiVersion), at(e, "/nodes"),
                                                  at(e, "/networks")});
  }
}

TEST_CASE("each engine's /version and /_ping give its window, and hcl chooses its newest") {
  for (const auto& e : engines()) {
    CAPTURE(e.dir);
    RecordedTransport t = engine_transport(e);
    docker::Client c(t);
    auto v = c.version();
    REQUIRE(v.ok());
    CHECK(v->version == e.version);
    CHECK(v->api_version == e.api);
    CHECK(v->min_api_version == e.min_api);
    CHECK(v->os == "linux");
    CHECK(docker::choose_api_version({v->min_api_version, v->api_version}, c.endpoint()).value() == e.api);

    http::Response ping = raw(e, "ping-headers.txt");
    CHECK(ping.status == 200);
    CHECK(ping.header("Api-Version") == e.api);
    CHECK(ping.header("Server").starts_with("Docker/" + e.version));
    RecordedTransport p;
    p.on("GET", "/_ping", ping);
    docker::Client pc(p);
    CHECK(pc.api_version().value() == e.api);
    CHECK(p.requests.size() == 1);
  }
}

TEST_CASE("28.5 started with a minimum of 1.44 (as Docker 29.0-29.2): a version below it is refused, then its newest is used") {
  const RecordedEngine& e = engines().back();
  REQUIRE(e.min_api == "1.44");
  http::Response old = raw(e, "nodes-too-old.txt");
  CHECK(old.status == 400);
  CHECK(docker::codec::server_message(old) ==
        "client version 1.43 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer "
        "version");
  RecordedTransport t = engine_transport(e);
  t.on("GET", "/v1.43/nodes", old);
  docker::Client c(t);
  c.set_api_version("1.43");  // e.g. a version given from elsewhere that the engine has since dropped
  auto nodes = c.nodes();
  REQUIRE(nodes.ok());
  CHECK(t.targets() == std::vector<std::string>{"/v1.43/nodes", at(e, "/nodes")});
  CHECK(c.api_version().value() == "1.51");

  // Its refusal of one above its newest has the same shape as 20.10's.
  http::Response too_new = raw(e, "nodes-too-new.txt");
  CHECK(too_new.status == 400);
  CHECK(docker::codec::server_message(too_new) == "client version 1.52 is too new. Maximum supported API version is 1.51");
}

TEST_CASE("each engine's nodes decode, with each node's own engine version") {
  for (const auto& e : engines()) {
    CAPTURE(e.dir);
    RecordedTransport t = engine_transport(e);
    docker::Client c(t);
    auto nodes = c.nodes();
    REQUIRE(nodes.ok());
    REQUIRE(nodes->size() == 3);
    for (const auto& n : *nodes) {
      CAPTURE(n.hostname);
      CHECK(n.engine_version == e.nodes.at(n.hostname));
      CHECK(n.state == docker::NodeState::Ready);
      CHECK(n.availability == docker::NodeAvailability::Active);
      CHECK(n.role == (n.hostname == "master" ? docker::NodeRole::Manager : docker::NodeRole::Worker));
      CHECK(n.leader == (n.hostname == "master"));
      CHECK(n.os == "linux");
      CHECK_FALSE(n.address.empty());
      CHECK(n.version > 0);
    }
    t.on("GET", at(e, "/nodes"), 200, data(e, "nodes-node2-down.json"), headers(e));
    auto down = c.nodes();
    REQUIRE(down.ok());
    for (const auto& n : *down) CHECK(n.state == (n.hostname == "node2" ? docker::NodeState::Down : docker::NodeState::Ready));
  }
}

TEST_CASE("each engine's services and tasks decode") {
  for (const auto& e : engines()) {
    CAPTURE(e.dir);
    RecordedTransport t = engine_transport(e);
    docker::Client c(t);
    REQUIRE(c.nodes().ok());  // learns the version
    auto state = c.cluster_state();
    REQUIRE(state.ok());
    std::map<std::string, const docker::Service*> by_name;
    for (const auto& s : state->services) by_name[s.spec.name] = &s;
    REQUIRE(by_name.size() == 4);
    std::string net_id = json::parse(data(e, "network-in-use.json"))["Id"];

    const docker::ServiceSpec& web = by_name.at("rec-web")->spec;
    CHECK(web.image == "hcl-lab/hostname-web:latest");
    CHECK(web.replicas == 2);
    CHECK(web.labels == docker::Labels{{"team", "lab"}});
    CHECK(web.endpoint_mode == docker::EndpointMode::Dnsrr);
    CHECK(web.constraints == std::vector<std::string>{"node.role==worker"});
    // The engine keeps the network's ID, whatever the name sent.
    CHECK(web.networks == std::vector<docker::NetworkAttachment>{{net_id, {"web"}, {}}});
    REQUIRE(web.ports.size() == 1);
    CHECK(web.ports[0] == docker::PortSpec{80, 8081, "tcp", docker::PublishMode::Host});
    const docker::ServiceSpec& echo = by_name.at("rec-echo")->spec;
    REQUIRE(echo.restart);
    CHECK(echo.restart->condition == docker::RestartCondition::None);
    CHECK(echo.command == std::vector<std::string>{"sh", "-c", "echo hello-out; echo hello-err >&2; exit 3"});

    std::map<std::string, std::string> service_of;
    for (const auto& s : state->services) service_of[s.id] = s.spec.name;
    std::map<std::string, std::string> node_of;
    for (const auto& n : state->nodes) node_of[n.id] = n.hostname;
    REQUIRE(state->tasks.size() == 4);
    for (const auto& task : state->tasks) {
      const std::string& name = service_of.at(task.service_id);
      CAPTURE(name);
      if (name == "rec-echo") {
        CHECK(task.state == "failed");
        CHECK(task.desired_state == "shutdown");
        CHECK(task.exit_code == 3);
        CHECK(task.addresses.empty());
        continue;
      }
      CHECK(task.state == "running");
      CHECK(task.desired_state == "running");
      CHECK(task.image.starts_with("hcl-lab/hostname-web:latest"));
      CHECK_FALSE(task.container_id.empty());
      CHECK((name == "rec-master") == (node_of.at(task.node_id) == "master"));
      REQUIRE(task.addresses.size() == 1);
      CHECK(task.addresses[0].starts_with("198.19.101."));
      CHECK(task.addresses[0].ends_with("/24"));
      CHECK(task.address_networks == std::vector<std::string>{"rec-net"});
    }
  }
}

TEST_CASE("each engine applies filters sent in the map form") {
  for (const auto& e : engines()) {
    CAPTURE(e.dir);
    // Recorded with filters={"desired-state":{"running":true}} and {"service":{"rec-web":true}}:
    // the engine left out the ended task, and every other service's.
    json all = json::parse(data(e, "tasks.json"));
    json running = json::parse(data(e, "tasks-desired-running.json"));
    json web = json::parse(data(e, "tasks-rec-web.json"));
    std::string web_id;
    for (const auto& s : json::parse(data(e, "services.json")))
      if (s["Spec"]["Name"] == "rec-web") web_id = s["ID"];
    CHECK(all.size() == 4);
    CHECK(running.size() == 3);
    for (const auto& task : running) CHECK(task["DesiredState"] == "running");
    CHECK(web.size() == 2);
    for (const auto& task : web) CHECK(task["ServiceID"] == web_id);

    // hcl asks in that form.
    RecordedTransport t = engine_transport(e);
    const std::string filtered =
        http::target(at(e, "/tasks"), {{"filters", docker::codec::filters({{"desired-state", {"running"}}})}});
    t.on("GET", filtered, 200, data(e, "tasks-desired-running.json"), headers(e));
    docker::Client c(t);
    REQUIRE(c.nodes().ok());
    auto state = c.cluster_state(docker::TaskSelection::DesiredRunning);
    REQUIRE(state.ok());
    CHECK(state->tasks.size() == 3);
    CHECK(t.requests.back().target == filtered);
  }
}

TEST_CASE("each engine's network list counts no containers; inspect does") {
  for (const auto& e : engines()) {
    CAPTURE(e.dir);
    // rec-net has tasks attached, yet the list's Containers is null (swarm scope) or {} (local).
    for (const auto& n : json::parse(data(e, "networks-in-use.json")))
      CHECK((n["Containers"].is_null() || n["Containers"].empty()));
    RecordedTransport t = engine_transport(e);
    docker::Client c(t);
    REQUIRE(c.nodes().ok());  // learns the version
    auto nets = c.networks();
    REQUIRE(nets.ok());
    CHECK(std::none_of(nets->begin(), nets->end(), [](const auto& n) { return n.containers.has_value(); }));
    auto rec = c.network("rec-net");
    REQUIRE(rec.ok());
    CHECK(rec->containers == 2u);  // rec-master's task and the network's load balancer endpoint, on master
    CHECK(rec->attachable);
    CHECK(rec->labels == docker::Labels{{"team", "lab"}});
  }
}

TEST_CASE("each engine keeps a service's top-level Networks where old tools put them, and hcl reads them") {
  // Engines up to 28.x return the deprecated top-level Networks as sent, and leave
  // TaskTemplate.Networks out; the decoder falls back to them.
  for (const auto& e : engines()) {
    CAPTURE(e.dir);
    json svc = json::parse(data(e, "service-legacy-networks.json"));
    std::string net_id = json::parse(data(e, "network-in-use.json"))["Id"];
    CHECK(svc["Spec"]["Networks"] == json::parse(fmt::format(R"([{{"Target":"{}"}}])", net_id)));
    CHECK_FALSE(svc["Spec"]["TaskTemplate"].contains("Networks"));
    CHECK(docker::decode_service(svc).spec.networks == std::vector<docker::NetworkAttachment>{{net_id, {}, {}}});
  }
}

TEST_CASE("each engine's event stream decodes, whatever its Content-Type") {
  for (const auto& e : engines()) {
    CAPTURE(e.dir);
    http::Response r = raw(e, "events.raw");
    CHECK(r.status == 200);
    CHECK(r.header("Content-Type") == "application/json");  // up to 28.x; x-ndjson or jsonl from 29.0
    docker::EventLines lines("GET http://recorded:2378/events");
    std::vector<docker::Event> seen;
    std::string_view body = r.body;
    for (std::size_t i = 0; i < body.size(); i += 13)
      REQUIRE(lines.feed(body.substr(i, 13), [&](const docker::Event& ev) {
        seen.push_back(ev);
        return true;
      }));
    REQUIRE_FALSE(lines.error());
    std::set<std::string> created;
    for (const auto& ev : seen) {
      CHECK(ev.time_nano > 0);
      CHECK_FALSE(ev.actor_id.empty());
      if (ev.action == "create") created.insert(ev.type + " " + ev.attributes.at("name"));
    }
    for (const char* what : {"network rec-net", "service rec-web", "service rec-echo", "service rec-master", "service rec-legacy"})
      CHECK(created.count(what) == 1);
  }
}

TEST_CASE("each engine's service logs split back into stdout and stderr") {
  for (const auto& e : engines()) {
    CAPTURE(e.dir);
    http::Response logs = raw(e, "service-logs-rec-echo.raw");
    // 20.10 names no type; 23.0+ says multiplexed at API 1.42 and up (the stream is framed on all).
    CHECK(logs.header("Content-Type") == (e.dir == "20.10" ? "" : "application/vnd.docker.multiplexed-stream"));
    RecordedTransport t = engine_transport(e);
    t.on("GET", at(e, "/services/rec-echo/logs?stdout=1&stderr=1"), logs);
    docker::Client c(t);
    REQUIRE(c.nodes().ok());
    std::string out, err;
    auto r = c.service_logs("rec-echo", {}, {[&](std::string_view d) { out += d; }, [&](std::string_view d) { err += d; }});
    REQUIRE(r.ok());
    CHECK(out == "hello-out\n");
    CHECK(err == "hello-err\n");
  }
}
