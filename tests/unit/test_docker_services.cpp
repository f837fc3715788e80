// Services, tasks and logs against responses recorded from the lab's engines.
#include <hcl/docker.hpp>
#include <hcl/ops/tasks.hpp>

#include "recorded_transport.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace hcl;
using hcl::testing::read_data;
using hcl::testing::RecordedTransport;

namespace {
void recorded_cluster(RecordedTransport& t) {
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.41"}});
  t.on("GET", "/v1.41/nodes", 200, read_data("docker/cluster-nodes.json"));  // recorded with the services
  t.on("GET", "/v1.41/services", 200, read_data("docker/services.json"));
  t.on("GET", "/v1.41/tasks", 200, read_data("docker/tasks.json"));
}
}  // namespace

TEST_CASE("services decode with their spec") {
  RecordedTransport t;
  recorded_cluster(t);
  docker::Client c(t);
  auto services = c.services();
  REQUIRE(services.ok());
  auto web = std::find_if(services->begin(), services->end(), [](const auto& s) { return s.spec.name == "rec-web"; });
  REQUIRE(web != services->end());
  CHECK(web->spec.image.starts_with("hcl-lab/hostname-web"));
  CHECK(web->spec.replicas == 2);
  CHECK(web->spec.endpoint_mode == docker::EndpointMode::Dnsrr);
  CHECK(web->spec.constraints == std::vector<std::string>{"node.role==worker"});
  CHECK(web->spec.labels.at("team") == "lab");
  REQUIRE(web->spec.ports.size() == 1);
  CHECK(web->spec.ports[0].published == 8081);
  CHECK(web->spec.ports[0].target == 80);
  CHECK(web->spec.ports[0].mode == docker::PublishMode::Host);
  CHECK(web->version > 0);
}

TEST_CASE("cluster state and task rows: what runs where") {
  RecordedTransport t;
  recorded_cluster(t);
  docker::Client c(t);
  auto state = c.cluster_state();
  REQUIRE(state.ok());
  CHECK(state->nodes.size() == 3);
  auto rows = ops::task_rows(*state, {});
  // Only tasks meant to run: two web replicas on workers, the web server on master.
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].name == "rec-web.1");
  CHECK(rows[1].name == "rec-web.2");
  for (int i = 0; i < 2; ++i) {
    CHECK(rows[i].node != "master");
    CHECK(rows[i].state == "running");
    CHECK_FALSE(rows[i].exit_code.has_value());
    CHECK(rows[i].ports == std::vector<std::string>{"8081->80/tcp"});
    CHECK(rows[i].image.find('@') == std::string::npos);
  }
  CHECK(rows[2].service == "webserver");
  CHECK(rows[2].node == "master");

  auto all = ops::task_rows(*state, {true, std::nullopt, {"rec-echo"}});
  REQUIRE(all.size() == 1);
  CHECK(all[0].state == "failed");
  CHECK(all[0].exit_code == 3);
  CHECK(all[0].desired_state == "shutdown");

  auto on_master = ops::task_rows(*state, {false, std::string("master"), {}});
  REQUIRE(on_master.size() == 1);
  CHECK(on_master[0].service == "webserver");
}

TEST_CASE("cluster state of the tasks meant to run: the engine is asked to filter them") {
  RecordedTransport t;
  recorded_cluster(t);
  // {"desired-state":{"running":true}}: the filters' map form, which every engine reads.
  const std::string filtered = "/v1.41/tasks?filters=%7B%22desired-state%22%3A%7B%22running%22%3Atrue%7D%7D";
  t.on("GET", filtered, 200, read_data("docker/tasks.json"));  // recorded unfiltered: the rows filter too
  docker::Client c(t);
  auto state = c.cluster_state(docker::TaskSelection::DesiredRunning);
  REQUIRE(state.ok());
  CHECK(std::any_of(t.requests.begin(), t.requests.end(), [&](const auto& r) { return r.target == filtered; }));
  CHECK(ops::task_rows(*state, {}).size() == 3);
}

TEST_CASE("service logs: the multiplexed stream splits back into stdout and stderr") {
  RecordedTransport t;
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.41"}});
  t.on("GET", "/v1.41/services/rec-echo/logs?stdout=1&stderr=1", 200, read_data("docker/service-logs-rec-echo.bin"));
  docker::Client c(t);
  std::string out, err;
  auto r = c.service_logs("rec-echo", {}, {[&](std::string_view d) { out += d; }, [&](std::string_view d) { err += d; }});
  REQUIRE(r.ok());
  CHECK(out == "hello-out\n");
  CHECK(err == "hello-err\n");
  CHECK(r->first == out.size());
  CHECK(r->second == err.size());
}

TEST_CASE("a service spec is sent as the engine expects it") {
  RecordedTransport t;
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.41"}});
  t.on("POST", "/v1.41/services/create", 201, "{\"ID\":\"abc123\"}");
  docker::Client c(t);
  docker::ServiceSpec s;
  s.name = "web";
  s.image = "hcl-lab/hostname-web";
  s.args = {"sh", "-c", "exit 7"};
  s.env = {"A=1"};
  s.constraints = {"node.hostname==master"};
  s.networks = {{"demo", {}, {}}};
  s.restart = docker::RestartPolicy{docker::RestartCondition::None};
  s.endpoint_mode = docker::EndpointMode::Dnsrr;
  s.ports = {{80, 8080, "tcp", docker::PublishMode::Host}};
  auto id = c.create_service(s);
  REQUIRE(id.ok());
  CHECK(*id == "abc123");
  const std::string& b = t.requests.back().body;
  for (const char* part : {"\"Name\":\"web\"", "\"Args\":[\"sh\",\"-c\",\"exit 7\"]", "\"Constraints\":[\"node.hostname==master\"]",
                           "\"Networks\":[{\"Target\":\"demo\"}]", "\"Condition\":\"none\"", "\"Mode\":\"dnsrr\"",
                           "\"PublishMode\":\"host\"", "\"PublishedPort\":8080", "\"Replicas\":1"}) {
    CAPTURE(part);
    CHECK(b.find(part) != std::string::npos);
  }
}

// Hands the body over in small pieces, as a stream arrives: lines are split across chunks.
class ChunkedTransport : public RecordedTransport {
 public:
  Result<http::Response> stream(const http::Request& request,
                                const std::function<bool(std::string_view)>& on_data) override {
    auto r = send(request);
    if (!r || r->status >= 400) return r;
    for (std::size_t i = 0; i < r->body.size(); i += 7)
      if (!on_data(std::string_view(r->body).substr(i, 7))) break;
    r->body.clear();
    return r;
  }
};

TEST_CASE("engine events: one per line, whatever the chunks; malformed lines are errors naming /events") {
  ChunkedTransport t;
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.41"}});
  const std::string target = "/v1.41/events?filters=%7B%22type%22%3A%7B%22node%22%3Atrue%2C%22service%22%3Atrue%7D%7D";
  t.on("GET", target, 200, read_data("docker/events-node-service.jsonl"));
  docker::Client c(t);
  std::vector<docker::Event> seen;
  auto s = c.events({"service", "node"}, [&](const docker::Event& e) {
    seen.push_back(e);
    return true;
  });
  REQUIRE(s.ok());
  REQUIRE(seen.size() == 12);
  CHECK(seen[0].type == "node");
  CHECK(seen[0].action == "update");
  CHECK(seen[0].attributes.at("name") == "master");
  CHECK(seen[0].attributes.at("state.new") == "ready");
  CHECK(seen[0].time_nano > 0);

  int n = 0;
  CHECK(c.events({"service", "node"}, [&](const docker::Event&) { return ++n < 3; }).ok());
  CHECK(n == 3);  // stops when asked

  t.on("GET", target, 200, "{\"Type\":\"node\"}\n{\"Type\": 5}\n");
  n = 0;
  s = c.events({"service", "node"}, [&](const docker::Event&) { return ++n > 0; });
  REQUIRE_FALSE(s.ok());
  CHECK(n == 1);
  CHECK(s.error().kind == ErrorKind::Server);
  CHECK(s.error().what.find("/events") != std::string::npos);
}

// Found by fuzz/fuzz_docker (UBSan): numbers that do not fit their field were cast unchecked.
TEST_CASE("numbers out of range in the engine's answer are an error naming the endpoint") {
  RecordedTransport t;
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.41"}});
  t.on("GET", "/v1.41/services", 200, R"([{"ID":"x","Version":{"Index":1e300},"Spec":{"Name":"a"}}])");
  t.on("GET", "/v1.41/tasks", 200, R"([{"ID":"t","Slot":4294967296}])");
  docker::Client api(t);
  auto services = api.services();
  REQUIRE_FALSE(services);
  CHECK(services.error().kind == ErrorKind::Server);
  CHECK(services.error().why.find("Index is out of range") != std::string::npos);
  auto tasks = api.tasks();
  REQUIRE_FALSE(tasks);
  CHECK(tasks.error().why.find("Slot has a value of the wrong type or out of range") != std::string::npos);
}

// Found by fuzz/fuzz_manifest: encoding a spec with a non-UTF-8 byte threw json type_error.
TEST_CASE("a spec or filter with text that is not UTF-8 is sent with U+FFFD, not thrown on") {
  RecordedTransport t;
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.41"}});
  t.on("POST", "/v1.41/services/create", 201, R"({"ID":"s1"})");
  docker::Client api(t);
  docker::ServiceSpec spec;
  spec.name = "web";
  spec.image = "b\x94sybox";
  auto id = api.create_service(spec);
  REQUIRE(id);
  CHECK(t.requests.back().body.find("b\xEF\xBF\xBDsybox") != std::string::npos);
  auto tasks = api.tasks(std::string("w\xff"));  // unanswered: the recorded transport says so
  CHECK_FALSE(tasks);
}

TEST_CASE("the task list decodes field by field without a JSON document (lib/docker/lists.cpp)") {
  RecordedTransport t;
  recorded_cluster(t);
  docker::Client c(t);
  auto tasks = c.tasks(std::nullopt);
  REQUIRE(tasks.ok());
  auto web = std::find_if(tasks->begin(), tasks->end(), [](const auto& x) { return x.id == "pnjmskpfqt6wbeapxgw14uefw"; });
  REQUIRE(web != tasks->end());  // the first task of tests/data/docker/tasks.json
  CHECK(web->service_id == "epd3pvnc72rmpxk0z4w7ep277");
  CHECK(web->node_id == "54iovsxdco1k5581p16ynxlwe");
  CHECK(web->slot == 1);
  CHECK(web->desired_state == "running");
  CHECK(web->state == "running");
  CHECK(web->message == "started");
  CHECK(web->error.empty());
  CHECK(web->timestamp == "2026-11-22T06:13:23.3739674Z");
  CHECK(web->container_id == "1d8c90690848fe7390e858820c4f80048034349b162e3e7c9c653c26fbb1c90f");
  CHECK(web->exit_code == 0);
  CHECK(web->image == "hcl-lab/hostname-web");
  CHECK(web->addresses == std::vector<std::string>{"198.19.1.12/24"});  // not the network's subnet
  CHECK(web->address_networks == std::vector<std::string>{"demo"});
  CHECK_FALSE(web->updated_at.empty());
  for (const auto& x : *tasks) {
    CHECK(x.id.size() == 25);
    CHECK_FALSE(x.service_id.empty());
  }
}

TEST_CASE("a task list that is not one is an error naming the endpoint") {
  for (const char* body : {"{\"message\":\"x\"}", "[{\"ID\":\"a\"", "[1]", "nonsense"}) {
    CAPTURE(body);
    RecordedTransport t;
    t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.41"}});
    t.on("GET", "/v1.41/tasks", 200, body, {{"Api-Version", "1.41"}});
    docker::Client c(t);
    auto tasks = c.tasks(std::nullopt);
    REQUIRE_FALSE(tasks.ok());
    CHECK(tasks.error().kind == ErrorKind::Server);
    CHECK(tasks.error().what.find("/tasks") != std::string::npos);
  }
  RecordedTransport t;
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.41"}});
  t.on("GET", "/v1.41/tasks", 200, "[]", {{"Api-Version", "1.41"}});
  docker::Client c(t);
  auto none = c.tasks(std::nullopt);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

namespace {

// Hands successful bodies to the sinks in pieces of `piece` bytes, as a network would.
class PiecewiseTransport : public RecordedTransport {
 public:
  explicit PiecewiseTransport(std::size_t piece) : piece_(piece) {}
  std::vector<Result<http::Response>> stream_all(const std::vector<http::Request>& requests,
                                                 const std::vector<http::BodySink>& sinks) override {
    auto out = send_all(requests);
    for (std::size_t i = 0; i < out.size(); ++i) {
      auto& r = out[i];
      if (!r.ok() || r->status >= 400 || !sinks[i]) continue;
      std::string_view body = r->body;
      for (std::size_t at = 0; at < body.size(); at += piece_)
        if (!sinks[i](body.substr(at, piece_))) break;
      r->body.clear();
    }
    return out;
  }

 private:
  std::size_t piece_;
};

// Every field the decoders fill, one line per node and task.
std::string describe(const docker::ClusterState& s) {
  std::string out;
  for (const auto& n : s.nodes) {
    out += fmt::format("node {} {} {} {} {} {} {} {} {} {} {} {} {} {}", n.id, n.version, n.hostname, docker::to_string(n.role),
                       docker::to_string(n.availability), docker::to_string(n.state), n.message, n.address,
                       n.engine_version, n.os, n.architecture, n.leader, n.manager_reachability, n.manager_address);
    for (const auto& [k, v] : n.labels) out += " label " + k + "=" + v;
    for (const auto& [k, v] : n.engine_labels) out += " engine-label " + k + "=" + v;
    out += "\n";
  }
  for (const auto& t : s.tasks) {
    out += fmt::format("task {} {} {} {} {} {} {} {} {} {} {} {} {}", t.id, t.service_id, t.node_id, t.slot,
                       t.desired_state, t.state, t.message, t.error, t.exit_code ? *t.exit_code : -999,
                       t.container_id, t.timestamp, t.updated_at, t.image);
    for (std::size_t i = 0; i < t.addresses.size(); ++i) out += " " + t.address_networks.at(i) + ":" + t.addresses[i];
    out += "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("nodes and tasks decode the same whatever pieces their bodies arrive in") {
  RecordedTransport whole;
  recorded_cluster(whole);
  docker::Client reference(whole);
  auto want = reference.cluster_state();
  REQUIRE(want.ok());
  REQUIRE_FALSE(want->tasks.empty());
  REQUIRE_FALSE(want->tasks.front().addresses.empty());
  for (std::size_t piece : {1, 7, 4096}) {
    CAPTURE(piece);
    PiecewiseTransport t(piece);
    recorded_cluster(t);
    docker::Client c(t);
    auto got = c.cluster_state();
    REQUIRE(got.ok());
    CHECK(describe(*got) == describe(*want));
    CHECK(got->services.size() == want->services.size());
    auto nodes = c.nodes();
    REQUIRE(nodes.ok());
    CHECK(nodes->size() == want->nodes.size());
  }
}

namespace {
// The error of cluster_state() when the engine answers GET /tasks with `body`, in pieces of `piece`
// bytes; fails the test when there is none.
Error tasks_error(const std::string& body, std::size_t piece) {
  PiecewiseTransport t(piece);
  recorded_cluster(t);
  t.on("GET", "/v1.41/tasks", 200, body);
  docker::Client c(t);
  auto state = c.cluster_state();
  REQUIRE_FALSE(state.ok());
  CHECK(state.error().kind == ErrorKind::Server);
  CHECK(state.error().what == "GET http://recorded:2378/v1.41/tasks");
  return state.error();
}
}  // namespace

TEST_CASE("a malformed or cut-off list body is an error naming the endpoint, whatever the pieces") {
  std::string tasks = read_data("docker/tasks.json");
  const std::vector<std::string> bodies = {tasks.substr(0, tasks.size() / 2), tasks.substr(0, tasks.size() - 3),
                                           "<html>proxy error</html>", "{\"not\":\"a list\"}", "[{\"ID\": 42}]", "",
                                           "[1,2", tasks + "]", "[[\"ID\"]]", "[[{\"ID\": \"x\"}]]"};
  for (const auto& body : bodies) {
    CAPTURE(body.substr(0, 40));
    for (std::size_t piece : {1, 7, 1 << 20}) {
      CAPTURE(piece);
      CHECK(tasks_error(body, piece).why.starts_with("unexpected answer from the engine: "));
    }
  }
  PiecewiseTransport t(7);
  recorded_cluster(t);
  t.on("GET", "/v1.41/tasks", 200, tasks.substr(0, 100));
  docker::Client c(t);
  CHECK(c.cluster_state().error().why == "unexpected answer from the engine: unexpected end of input at byte 101");
  t.on("GET", "/v1.41/tasks", 200, R"([{"ID": 42}])");
  CHECK(c.cluster_state().error().why == "unexpected answer from the engine: /ID has a value of the wrong type or out of range");
}

TEST_CASE("a hostile list stops at its limits: elements, nesting, bytes; with an error naming them") {
  // Found from outside: 1 M nodes took `hcl nodes` to 1.4 GB. `{}` costs a few bytes of JSON
  // and a whole struct in memory, so the elements are counted, not only the bytes.
  std::string many = "[";
  for (std::size_t i = 0; i <= docker::kMaxListItems; ++i) many += i ? ",{}" : "{}";
  many += "]";
  const std::string deep = "[{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}]";
  // Not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
  for (const auto& c : {std::pair{many, std::string("more than 20000 elements")},
                        std::pair{deep, std::string("nested deeper than 32 levels")}}) {
    CAPTURE(c.second);
    CHECK(tasks_error(c.first, 4096).why.find(c.second) != std::string::npos);
  }
}
