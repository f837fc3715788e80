// Tests of the hcl Consul test server over HTTP, against an in-process server on a free port:
// the endpoints hcl uses, Consul's errors, ACL tokens and blocking queries.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "check_runner.hpp"
#include "consul_test_server.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using hcl::testing::ConsulTestServer;
using hcl::testing::ConsulTestServerOptions;
using json = nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// A started server and a client for it.
class Running {
 public:
  explicit Running(ConsulTestServerOptions opts = {}) : server(std::move(opts)) {
    server.start();
    client = make_client();
  }

  std::unique_ptr<httplib::Client> make_client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server.port());
    c->set_read_timeout(90s);  // above every wait asked for here
    return c;
  }

  httplib::Result get(const std::string& path, const httplib::Headers& headers = {}) {
    return client->Get(path.c_str(), headers);
  }
  httplib::Result put(const std::string& path, const std::string& body = "",
                      const httplib::Headers& headers = {}) {
    return client->Put(path.c_str(), headers, body, "application/json");
  }
  httplib::Result del(const std::string& path) { return client->Delete(path.c_str()); }

  json get_json(const std::string& path) {
    auto res = get(path);
    REQUIRE(res);
    REQUIRE_MESSAGE(res->status == 200, path, " answered ", res->status, ": ", res->body);
    return json::parse(res->body);
  }

  std::uint64_t index_of(const httplib::Result& res) {
    REQUIRE(res);
    REQUIRE(res->has_header("X-Consul-Index"));
    return std::stoull(res->get_header_value("X-Consul-Index"));
  }

  void register_json(const json& body) {
    auto res = put("/v1/catalog/register", body.dump());
    REQUIRE(res);
    REQUIRE_MESSAGE(res->status == 200, res->body);
    REQUIRE(res->body == "true");
  }

  ConsulTestServer server;
  std::unique_ptr<httplib::Client> client;
};

json agent_node(const std::string& name, const std::string& address, const std::string& serf) {
  return {{"Node", name},
          {"Address", address},
          {"TaggedAddresses", {{"lan", address}, {"wan", address}}},
          {"Check", {{"CheckID", "serfHealth"}, {"Name", "Serf Health Status"}, {"Status", serf}}}};
}

json web_instance(const std::string& node, const std::string& address, const std::string& id,
                  const std::string& status, const std::vector<std::string>& tags) {
  return {{"Node", node},
          {"Address", address},
          {"Service", {{"ID", id}, {"Service", "web"}, {"Port", 80}, {"Tags", tags}}},
          {"Check",
           {{"CheckID", "service:" + id}, {"Name", "web alive"}, {"ServiceID", id},
            {"Status", status}}}};
}

std::vector<std::string> names(const json& list, const char* field) {
  std::vector<std::string> out;
  for (const auto& item : list) out.push_back(item[field].get<std::string>());
  return out;
}

template <class F>
bool eventually(F&& condition, std::chrono::milliseconds limit = 60s) {  // a cap against hangs, not a bound
  auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

}  // namespace

TEST_CASE("starts with its own node, serfHealth and the consul service") {
  Running s;
  CHECK(s.server.port() > 0);
  CHECK(s.server.address() == "http://127.0.0.1:" + std::to_string(s.server.port()));

  auto leader = s.get("/v1/status/leader");
  REQUIRE(leader);
  CHECK(leader->status == 200);
  CHECK(json::parse(leader->body) == "127.0.0.1:8300");
  CHECK(s.get_json("/v1/status/peers") == json::array({"127.0.0.1:8300"}));

  auto nodes = s.get_json("/v1/catalog/nodes");
  REQUIRE(nodes.size() == 1);
  CHECK(nodes[0]["Node"] == "master");
  CHECK(nodes[0]["Address"] == "127.0.0.1");
  CHECK(nodes[0]["Datacenter"] == "dc1");
  CHECK(nodes[0]["TaggedAddresses"]["lan"] == "127.0.0.1");
  CHECK(nodes[0]["ID"].get<std::string>().size() == 36);

  CHECK(s.get_json("/v1/catalog/services") == json{{"consul", json::array()}});
  auto checks = s.get_json("/v1/health/node/master");
  REQUIRE(checks.size() == 1);
  CHECK(checks[0]["CheckID"] == "serfHealth");
  CHECK(checks[0]["Status"] == "passing");
  CHECK(checks[0]["ServiceTags"] == json::array());

  auto self = s.get_json("/v1/agent/self");
  CHECK(self["Config"]["NodeName"] == "master");
  CHECK(self["Config"]["Datacenter"] == "dc1");
  CHECK(self["Config"]["Server"] == true);
  CHECK(self["Config"]["Version"].get<std::string>().find("hcl-test") != std::string::npos);
  CHECK(self["Config"]["NodeID"] == nodes[0]["ID"]);
  CHECK(self["Member"]["Status"] == 1);
}

TEST_CASE("options name the agent") {
  ConsulTestServerOptions o;
  o.datacenter = "lab";
  o.node_name = "pi-master";
  o.advertise = "10.1.10.12";
  Running s(o);
  CHECK(json::parse(s.get("/v1/status/leader")->body) == "10.1.10.12:8300");
  auto nodes = s.get_json("/v1/catalog/nodes");
  REQUIRE(nodes.size() == 1);
  CHECK(nodes[0]["Node"] == "pi-master");
  CHECK(nodes[0]["Address"] == "10.1.10.12");
  CHECK(s.get_json("/v1/agent/self")["Config"]["Datacenter"] == "lab");
  CHECK(s.get_json("/v1/catalog/nodes?dc=lab").size() == 1);
  auto other_dc = s.get("/v1/catalog/nodes?dc=dc1");
  REQUIRE(other_dc);
  CHECK(other_dc->status == 500);
  CHECK(other_dc->body == "No path to datacenter");
}

TEST_CASE("catalog register, list and deregister") {
  Running s;
  s.register_json(agent_node("pi1", "10.1.10.11", "passing"));
  s.register_json(web_instance("pi1", "10.1.10.11", "web-1", "passing", {"v1", "blue"}));
  s.register_json(agent_node("pi2", "10.1.10.12", "passing"));
  s.register_json(web_instance("pi2", "10.1.10.12", "web-2", "critical", {"v1"}));

  CHECK(names(s.get_json("/v1/catalog/nodes"), "Node") ==
        std::vector<std::string>{"master", "pi1", "pi2"});
  auto services = s.get_json("/v1/catalog/services");
  CHECK(services["web"] == json::array({"blue", "v1"}));

  auto web = s.get_json("/v1/catalog/service/web");
  REQUIRE(web.size() == 2);
  CHECK(web[0]["Node"] == "pi1");
  CHECK(web[0]["Address"] == "10.1.10.11");
  CHECK(web[0]["ServiceID"] == "web-1");
  CHECK(web[0]["ServicePort"] == 80);
  CHECK(web[0]["ServiceAddress"] == "");
  CHECK(web[0]["ServiceTags"] == json::array({"v1", "blue"}));
  CHECK(names(s.get_json("/v1/catalog/service/web?tag=blue"), "ServiceID") ==
        std::vector<std::string>{"web-1"});
  CHECK(names(s.get_json("/v1/catalog/service/web?tag=V1"), "ServiceID").size() == 2);
  CHECK(s.get_json("/v1/catalog/service/nothing").empty());

  auto node = s.get_json("/v1/catalog/node/pi2");
  CHECK(node["Node"]["Address"] == "10.1.10.12");
  CHECK(node["Services"]["web-2"]["Service"] == "web");
  CHECK(s.get_json("/v1/catalog/node/nobody").is_null());

  // Deregister a service: its checks go with it; the node stays.
  auto res = s.put("/v1/catalog/deregister", R"({"Node": "pi2", "ServiceID": "web-2"})");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "true");
  CHECK(names(s.get_json("/v1/catalog/service/web"), "Node") == std::vector<std::string>{"pi1"});
  CHECK(names(s.get_json("/v1/health/node/pi2"), "CheckID") ==
        std::vector<std::string>{"serfHealth"});

  // Deregister a check.
  CHECK(s.put("/v1/catalog/deregister", R"({"Node": "pi1", "CheckID": "service:web-1"})")->status ==
        200);
  CHECK(names(s.get_json("/v1/health/node/pi1"), "CheckID") ==
        std::vector<std::string>{"serfHealth"});

  // Deregister a node: its services and checks go too. A missing node is no error.
  CHECK(s.put("/v1/catalog/deregister", R"({"Node": "pi1"})")->body == "true");
  CHECK(names(s.get_json("/v1/catalog/nodes"), "Node") ==
        std::vector<std::string>{"master", "pi2"});
  CHECK(s.get_json("/v1/catalog/service/web").empty());
  CHECK(s.get_json("/v1/health/node/pi1").empty());
  CHECK_FALSE(s.get_json("/v1/catalog/services").contains("web"));
  CHECK(s.put("/v1/catalog/deregister", R"({"Node": "pi1"})")->status == 200);
}

TEST_CASE("catalog register: Consul's defaults and refusals") {
  Running s;
  s.register_json({{"Node", "ext"},
                   {"Address", "192.0.2.1"},
                   {"Service", {{"Service", "db"}, {"Port", 5432}}},
                   {"Check", {{"Name", "db up"}, {"ServiceID", "db"}}}});
  auto checks = s.get_json("/v1/health/checks/db");
  REQUIRE(checks.size() == 1);
  CHECK(checks[0]["CheckID"] == "db up");          // CheckID defaults to the Name
  CHECK(checks[0]["Status"] == "critical");        // Status defaults to critical
  CHECK(checks[0]["ServiceName"] == "db");         // filled in from the service
  auto node = s.get_json("/v1/catalog/nodes")[0];  // "ext" sorts before "master"
  CHECK(node["Node"] == "ext");
  CHECK(node["TaggedAddresses"].is_null());
  CHECK(node["Meta"].is_null());

  auto missing_service = s.put("/v1/catalog/register", json{{"Node", "ext"},
                                                             {"Address", "192.0.2.1"},
                                                             {"Check",
                                                              {{"CheckID", "x"},
                                                               {"ServiceID", "nope"}}}}
                                                           .dump());
  REQUIRE(missing_service);
  CHECK(missing_service->status == 500);
  CHECK(missing_service->body ==
        "failed inserting check on node \"ext\": Missing service registration");
  CHECK(s.get_json("/v1/health/node/ext").size() == 1);

  auto no_node = s.put("/v1/catalog/register", R"({"Address": "192.0.2.1"})");
  CHECK(no_node->status == 500);
  CHECK(no_node->body == "Must provide node");
  auto no_address = s.put("/v1/catalog/register", R"({"Node": "x"})");
  CHECK(no_address->status == 500);
  CHECK(no_address->body == "Must provide address if SkipNodeUpdate is not set");
  auto bad_json = s.put("/v1/catalog/register", R"({"Node": )");
  CHECK(bad_json->status == 400);
  CHECK(bad_json->body.rfind("Request decode failed: ", 0) == 0);
  auto empty = s.put("/v1/catalog/register", "");
  CHECK(empty->status == 400);
  CHECK(empty->body == "Request decode failed: EOF");
  auto wrong_type = s.put("/v1/catalog/register", R"({"Node": 7, "Address": "a"})");
  CHECK(wrong_type->status == 400);
  CHECK(wrong_type->body ==
        "Request decode failed: json: cannot unmarshal number into Go struct field "
        "RegisterRequest.Node of type string");
  auto other_dc = s.put("/v1/catalog/register", R"({"Node": "x", "Address": "a", "Datacenter": "dc9"})");
  CHECK(other_dc->status == 500);
  CHECK(other_dc->body == "No path to datacenter");
}

TEST_CASE("health: service instances with checks, ?passing and ?tag") {
  Running s;
  s.register_json(agent_node("pi1", "10.1.10.11", "passing"));
  s.register_json(web_instance("pi1", "10.1.10.11", "web-1", "passing", {"v1"}));
  s.register_json(agent_node("pi2", "10.1.10.12", "passing"));
  s.register_json(web_instance("pi2", "10.1.10.12", "web-2", "warning", {"v2"}));
  s.register_json(agent_node("pi3", "10.1.10.13", "critical"));
  s.register_json(web_instance("pi3", "10.1.10.13", "web-3", "passing", {"v2"}));

  auto all = s.get_json("/v1/health/service/web");
  REQUIRE(all.size() == 3);
  CHECK(all[0]["Node"]["Node"] == "pi1");
  CHECK(all[0]["Node"]["Address"] == "10.1.10.11");
  CHECK(all[0]["Service"]["ID"] == "web-1");
  CHECK(all[0]["Service"]["Port"] == 80);
  // The node's serfHealth is among each instance's checks.
  CHECK(names(all[0]["Checks"], "CheckID") ==
        std::vector<std::string>{"serfHealth", "service:web-1"});

  // ?passing drops instances with any check not passing: warning and a failed node alike.
  auto passing = s.get_json("/v1/health/service/web?passing");
  CHECK(passing.size() == 1);
  CHECK(passing[0]["Service"]["ID"] == "web-1");
  CHECK(s.get_json("/v1/health/service/web?passing=true").size() == 1);
  CHECK(s.get_json("/v1/health/service/web?passing=false").size() == 3);
  auto bad = s.get("/v1/health/service/web?passing=maybe");
  CHECK(bad->status == 400);
  CHECK(bad->body == "Invalid value for ?passing");

  CHECK(s.get_json("/v1/health/service/web?tag=v2").size() == 2);
  CHECK(s.get_json("/v1/health/service/web?tag=v2&passing").empty());
  CHECK(s.get_json("/v1/health/service/nothing").empty());

  CHECK(names(s.get_json("/v1/health/state/critical"), "Node") == std::vector<std::string>{"pi3"});
  CHECK(s.get_json("/v1/health/state/warning").size() == 1);
  CHECK(s.get_json("/v1/health/state/passing").size() == 5);  // master's serfHealth too
  CHECK(s.get_json("/v1/health/state/any").size() == 7);
  CHECK(s.get_json("/v1/health/state/bogus").empty());  // as Consul: matches nothing
  auto no_state = s.get("/v1/health/state/");
  CHECK(no_state->status == 400);
  CHECK(no_state->body == "Missing check state");
  CHECK(s.get_json("/v1/health/checks/web").size() == 3);

  auto members = s.get_json("/v1/agent/members");
  CHECK(names(members, "Name") == std::vector<std::string>{"master", "pi1", "pi2", "pi3"});
  CHECK(members[0]["Tags"]["role"] == "consul");
  CHECK(members[1]["Tags"]["role"] == "node");
  CHECK(members[1]["Addr"] == "10.1.10.11");
  CHECK(members[1]["Port"] == 8301);
  CHECK(members[1]["Status"] == 1);
  CHECK(members[3]["Status"] == 4);  // serfHealth critical: failed
  auto wan = s.get_json("/v1/agent/members?wan");
  REQUIRE(wan.size() == 1);
  CHECK(wan[0]["Name"] == "master.dc1");
}

TEST_CASE("agent service registration on the agent's node") {
  Running s;
  auto res = s.put("/v1/agent/service/register", R"({"Port": 80})");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(res->body == "Missing service name");

  res = s.put("/v1/agent/service/register",
              R"({"Name": "web", "Check": {"HTTP": "http://127.0.0.1:1/"}})");
  CHECK(res->status == 400);
  CHECK(res->body ==
        "Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks");
  res = s.put("/v1/agent/service/register",
              R"({"Name": "web", "Check": {"TTL": "10s", "Status": "great"}})");
  CHECK(res->status == 400);
  CHECK(res->body == "Status for checks must 'passing', 'warning', 'critical'");

  res = s.put("/v1/agent/service/register",
              R"({"Name": "web", "Tags": ["v1"], "Port": 8080, "Check": {"TTL": "10s"}})");
  CHECK(res->status == 200);
  CHECK(res->body.empty());
  auto checks = s.get_json("/v1/health/checks/web");
  REQUIRE(checks.size() == 1);
  CHECK(checks[0]["CheckID"] == "service:web");  // ID defaults to the Name
  CHECK(checks[0]["Name"] == "Service 'web' check");
  CHECK(checks[0]["Status"] == "critical");  // critical until the TTL is fed
  CHECK(checks[0]["Type"] == "ttl");
  CHECK(checks[0]["Node"] == "master");
  CHECK(s.get_json("/v1/agent/services")["web"]["Port"] == 8080);

  CHECK(s.put("/v1/agent/check/pass/service:web?note=fine")->status == 200);
  auto entry = s.get_json("/v1/health/service/web?passing");
  REQUIRE(entry.size() == 1);
  CHECK(entry[0]["Checks"][1]["Output"] == "fine");
  auto unknown = s.put("/v1/agent/check/pass/nope");
  CHECK(unknown->status == 404);
  CHECK(unknown->body.find("Unknown check ID \"nope\"") == 0);
  auto not_ttl = s.put("/v1/agent/check/fail/serfHealth");
  CHECK(not_ttl->status == 500);
  CHECK(not_ttl->body == "CheckID \"serfHealth\" does not have associated TTL");

  // Re-registering keeps the state of the checks, as the agent does.
  CHECK(s.put("/v1/agent/service/register",
              R"({"Name": "web", "Port": 8081, "Check": {"TTL": "10s"}})")->status == 200);
  CHECK(s.get_json("/v1/health/checks/web")[0]["Status"] == "passing");

  // Two checks: service:web:1 and service:web:2; ?replace-existing-checks drops service:web.
  CHECK(s.put("/v1/agent/service/register?replace-existing-checks",
              R"({"Name": "web", "Checks": [{"TTL": "5s"}, {"TTL": "6s", "Status": "passing"}]})")
            ->status == 200);
  CHECK(names(s.get_json("/v1/health/checks/web"), "CheckID") ==
        std::vector<std::string>{"service:web:1", "service:web:2"});

  auto gone = s.put("/v1/agent/service/deregister/nope");
  CHECK(gone->status == 404);
  CHECK(gone->body ==
        "Unknown service ID \"nope\". Ensure that the service ID is passed, not the service name.");
  CHECK(s.put("/v1/agent/service/deregister/web")->status == 200);
  CHECK(s.get_json("/v1/health/checks/web").empty());
  CHECK(s.get_json("/v1/agent/services").size() == 1);  // consul
}

TEST_CASE("kv: put, get, raw, flags, recurse, keys") {
  Running s;
  auto put = s.put("/v1/kv/hcl/config?flags=42", "hello");
  REQUIRE(put);
  CHECK(put->status == 200);
  CHECK(put->body == "true");
  auto got = s.get_json("/v1/kv/hcl/config");
  REQUIRE(got.size() == 1);
  CHECK(got[0]["Key"] == "hcl/config");
  CHECK(got[0]["Value"] == "aGVsbG8=");
  CHECK(got[0]["Flags"] == 42);
  CHECK(got[0]["LockIndex"] == 0);
  CHECK(got[0]["CreateIndex"] == got[0]["ModifyIndex"]);

  auto raw = s.get("/v1/kv/hcl/config?raw");
  CHECK(raw->status == 200);
  CHECK(raw->body == "hello");
  std::string binary("\x00\x01\xfe\xff", 4);
  CHECK(s.put("/v1/kv/bin", binary)->status == 200);
  CHECK(s.get("/v1/kv/bin?raw")->body == binary);
  CHECK(s.get_json("/v1/kv/bin")[0]["Value"] == "AAH+/w==");

  CHECK(s.put("/v1/kv/hcl/empty", "")->status == 200);
  CHECK(s.get_json("/v1/kv/hcl/empty")[0]["Value"].is_null());

  CHECK(s.put("/v1/kv/hcl/nodes/pi1", "a")->status == 200);
  CHECK(s.put("/v1/kv/hcl/nodes/pi2", "b")->status == 200);
  CHECK(names(s.get_json("/v1/kv/hcl/?recurse"), "Key") ==
        std::vector<std::string>{"hcl/config", "hcl/empty", "hcl/nodes/pi1", "hcl/nodes/pi2"});
  CHECK(s.get_json("/v1/kv/hcl/?keys") ==
        json::array({"hcl/config", "hcl/empty", "hcl/nodes/pi1", "hcl/nodes/pi2"}));
  CHECK(s.get_json("/v1/kv/hcl/?keys&separator=/") ==
        json::array({"hcl/config", "hcl/empty", "hcl/nodes/"}));
  CHECK(s.get_json("/v1/kv/?keys&separator=/") == json::array({"bin", "hcl/"}));

  auto missing = s.get("/v1/kv/nothing/here");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(missing->body.empty());
  CHECK(s.index_of(missing) > 0);
  CHECK(s.get("/v1/kv/nothing/?recurse")->status == 404);
  CHECK(s.get("/v1/kv/nothing/?keys")->status == 404);

  auto no_key = s.get("/v1/kv/");
  CHECK(no_key->status == 400);
  CHECK(no_key->body == "Missing key name");
  CHECK(s.put("/v1/kv/", "x")->status == 400);

  auto too_big = s.put("/v1/kv/big", std::string(512 * 1024 + 1, 'x'));
  CHECK(too_big->status == 413);
  CHECK(too_big->body.find("too large") != std::string::npos);
  CHECK(s.put("/v1/kv/big", std::string(512 * 1024, 'x'))->status == 200);

  auto bad_flags = s.put("/v1/kv/x?flags=abc", "x");
  CHECK(bad_flags->status == 500);
  CHECK(bad_flags->body == "strconv.ParseUint: parsing \"abc\": invalid syntax");
}

TEST_CASE("kv: parameters come from the URL only, never from a form-encoded body") {
  // Found from outside: DELETE /v1/kv/x/ with the body "recurse" sent as a form deleted the whole
  // prefix, as httplib merges form fields into the parameters; Consul reads the URL alone.
  Running s;
  REQUIRE(s.put("/v1/kv/x/a", "1")->status == 200);
  REQUIRE(s.put("/v1/kv/x/b", "2")->status == 200);
  auto del = s.client->Delete("/v1/kv/x/", "recurse", "application/x-www-form-urlencoded");
  REQUIRE(del);
  CHECK(del->body == "true");
  CHECK(s.get("/v1/kv/x/a")->status == 200);
  CHECK(s.get("/v1/kv/x/b")->status == 200);
  // A form-encoded PUT stores its body as the value, as Consul does, and ?flags still counts.
  auto put = s.client->Put("/v1/kv/form?flags=7", "a=b&cas=0", "application/x-www-form-urlencoded");
  REQUIRE(put);
  CHECK(put->body == "true");
  CHECK(s.get("/v1/kv/form?raw")->body == "a=b&cas=0");
  CHECK(s.get_json("/v1/kv/form")[0]["Flags"] == 7);
}

TEST_CASE("kv: check-and-set and delete") {
  Running s;
  CHECK(s.put("/v1/kv/lock?cas=0", "first")->body == "true");
  CHECK(s.put("/v1/kv/lock?cas=0", "second")->body == "false");  // exists already
  auto index = s.get_json("/v1/kv/lock")[0]["ModifyIndex"].get<std::uint64_t>();
  CHECK(s.put("/v1/kv/lock?cas=" + std::to_string(index + 100), "x")->body == "false");
  CHECK(s.put("/v1/kv/lock?cas=" + std::to_string(index), "third")->body == "true");
  CHECK(s.get("/v1/kv/lock?raw")->body == "third");
  auto newer = s.get_json("/v1/kv/lock")[0];
  CHECK(newer["ModifyIndex"].get<std::uint64_t>() > index);
  CHECK(newer["CreateIndex"].get<std::uint64_t>() == index);

  CHECK(s.del("/v1/kv/lock?cas=" + std::to_string(index))->body == "false");
  CHECK(s.get("/v1/kv/lock")->status == 200);
  CHECK(s.del("/v1/kv/lock?cas=" + newer["ModifyIndex"].dump())->body == "true");
  CHECK(s.get("/v1/kv/lock")->status == 404);
  CHECK(s.del("/v1/kv/lock")->body == "true");  // already gone: still true

  CHECK(s.put("/v1/kv/tree/a", "1")->status == 200);
  CHECK(s.put("/v1/kv/tree/b/c", "2")->status == 200);
  CHECK(s.put("/v1/kv/treehouse", "3")->status == 200);
  CHECK(s.del("/v1/kv/tree/?recurse")->body == "true");
  CHECK(s.get("/v1/kv/tree/?recurse")->status == 404);
  CHECK(s.get("/v1/kv/treehouse")->status == 200);

  auto conflict = s.del("/v1/kv/tree?recurse&cas=1");
  CHECK(conflict->status == 400);
  CHECK(conflict->body.rfind("Conflicting flags: ", 0) == 0);
  CHECK(s.put("/v1/kv/x?cas=0&acquire=abc", "x")->status == 400);
  auto session = s.put("/v1/kv/x?acquire=abc", "x");
  CHECK(session->status == 500);
  CHECK(session->body == "Invalid session \"abc\"");
  CHECK(s.del("/v1/kv/")->status == 400);
}

TEST_CASE("errors: unknown paths, wrong methods, bad query options") {
  Running s;
  auto unknown = s.get("/v1/nothing");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(unknown->body.empty());
  CHECK(s.get("/v1/kv")->status == 404);  // the KV route is /v1/kv/

  auto method = s.get("/v1/catalog/register");
  CHECK(method->status == 405);
  CHECK(method->get_header_value("Allow") == "OPTIONS,PUT");
  CHECK(method->body == "method GET not allowed");
  auto post = s.client->Post("/v1/kv/x", "x", "text/plain");
  CHECK(post->status == 405);
  CHECK(post->get_header_value("Allow") == "OPTIONS,GET,PUT,DELETE");
  CHECK(s.del("/v1/catalog/nodes")->status == 405);

  auto wait = s.get("/v1/catalog/nodes?index=1&wait=10");
  CHECK(wait->status == 400);
  CHECK(wait->body == "Invalid wait time");
  auto index = s.get("/v1/catalog/nodes?index=-1");
  CHECK(index->status == 400);
  CHECK(index->body == "Invalid index");
  CHECK(s.get("/v1/catalog/nodes?index=abc")->status == 400);
  auto both = s.get("/v1/catalog/nodes?stale&consistent");
  CHECK(both->status == 400);
  CHECK(both->body == "Cannot specify ?stale with ?consistent, conflicting semantics.");
  CHECK(s.get("/v1/catalog/nodes?stale")->get_header_value("X-Consul-Effective-Consistency") ==
        "stale");
  CHECK(s.get("/v1/catalog/service/")->body == "Missing service name");
  CHECK(s.get("/v1/health/node/")->status == 400);
}

TEST_CASE("ACL token: required everywhere but status") {
  Running s(ConsulTestServerOptions{.token = "s3cret"});
  auto none = s.get("/v1/catalog/nodes");
  REQUIRE(none);
  CHECK(none->status == 403);
  CHECK(none->body == "Permission denied");
  auto wrong = s.get("/v1/catalog/nodes", {{"X-Consul-Token", "guess"}});
  CHECK(wrong->status == 403);
  CHECK(wrong->body == "ACL not found");
  CHECK(s.put("/v1/kv/x", "v")->status == 403);
  CHECK(s.get("/v1/agent/self")->status == 403);

  CHECK(s.get("/v1/catalog/nodes", {{"X-Consul-Token", "s3cret"}})->status == 200);
  CHECK(s.get("/v1/catalog/nodes", {{"Authorization", "Bearer s3cret"}})->status == 200);
  CHECK(s.put("/v1/kv/x", "v", {{"X-Consul-Token", "s3cret"}})->body == "true");
  auto nodes = s.get("/v1/catalog/nodes", {{"X-Consul-Token", "s3cret"}});
  CHECK(nodes->get_header_value("X-Consul-Default-ACL-Policy") == "deny");

  CHECK(s.get("/v1/status/leader")->status == 200);  // Consul needs no token here
  CHECK(s.get("/v1/nothing")->status == 404);         // unknown paths stay 404
}

TEST_CASE("no leader: reads and writes refuse, ?stale reads") {
  Running s;
  auto before = s.server.index();
  s.server.set_leader(false);
  CHECK(s.server.index() > before);
  CHECK(json::parse(s.get("/v1/status/leader")->body) == "");
  auto read = s.get("/v1/catalog/nodes");
  CHECK(read->status == 500);
  CHECK(read->body == "No cluster leader");
  CHECK(s.put("/v1/kv/x", "v")->status == 500);
  auto stale = s.get("/v1/catalog/nodes?stale");
  CHECK(stale->status == 200);
  CHECK(stale->get_header_value("X-Consul-KnownLeader") == "false");
  CHECK(s.get_json("/v1/agent/self")["Config"]["NodeName"] == "master");  // the agent still answers
  s.server.set_leader(true);
  auto back = s.get("/v1/catalog/nodes");
  CHECK(back->status == 200);
  CHECK(back->get_header_value("X-Consul-KnownLeader") == "true");
}

TEST_CASE("indexes grow with writes and only for what changed") {
  Running s;
  auto nodes_index = s.index_of(s.get("/v1/catalog/nodes"));
  auto raft_before = s.server.index();
  CHECK(s.put("/v1/kv/a", "1")->status == 200);
  CHECK(s.server.index() > raft_before);
  CHECK(s.index_of(s.get("/v1/catalog/nodes")) == nodes_index);  // a KV write is not a node write
  auto kv_index = s.index_of(s.get("/v1/kv/a"));
  CHECK(kv_index > nodes_index);

  s.register_json(agent_node("pi1", "10.1.10.11", "passing"));
  auto after = s.index_of(s.get("/v1/catalog/nodes"));
  CHECK(after > kv_index);
  s.register_json(agent_node("pi1", "10.1.10.11", "passing"));  // nothing changes
  CHECK(s.index_of(s.get("/v1/catalog/nodes")) == after);
  s.register_json(agent_node("pi1", "10.1.10.99", "passing"));
  CHECK(s.index_of(s.get("/v1/catalog/nodes")) > after);
}

TEST_CASE("blocking queries") {
  Running s;
  auto index = s.index_of(s.get("/v1/catalog/nodes"));

  SUBCASE("time out with the same index when nothing changes") {
    auto start = Clock::now();
    auto res = s.get("/v1/catalog/nodes?index=" + std::to_string(index) + "&wait=300ms");
    auto took = Clock::now() - start;
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(s.index_of(res) == index);
    CHECK(took >= 290ms);  // a lower bound: a busy machine only makes it longer
  }

  SUBCASE("return early on a write from another thread") {
    auto writer = std::async(std::launch::async, [&] {
      std::this_thread::sleep_for(100ms);
      auto c = s.make_client();
      c->Put("/v1/catalog/register", agent_node("pi1", "10.1.10.11", "passing").dump(),
             "application/json");
    });
    auto start = Clock::now();
    auto res = s.get("/v1/catalog/nodes?index=" + std::to_string(index) + "&wait=60s");
    auto took = Clock::now() - start;
    writer.get();
    REQUIRE(res);
    CHECK(s.index_of(res) > index);
    CHECK(json::parse(res->body).size() == 2);
    CHECK(took >= 90ms);
    CHECK(took < 60s);  // before its wait ran out: woken by the write
  }

  SUBCASE("an unrelated write does not end a query on another table") {
    auto writer = std::async(std::launch::async, [&] {
      std::this_thread::sleep_for(100ms);
      s.make_client()->Put("/v1/kv/unrelated", "x", "text/plain");
    });
    auto start = Clock::now();
    auto res = s.get("/v1/catalog/nodes?index=" + std::to_string(index) + "&wait=500ms");
    writer.get();
    CHECK(Clock::now() - start >= 490ms);
    CHECK(s.index_of(res) == index);
  }

  SUBCASE("a missing key wakes when it is written") {
    auto missing = s.get("/v1/kv/later");
    REQUIRE(missing->status == 404);
    auto key_index = s.index_of(missing);
    auto writer = std::async(std::launch::async, [&] {
      std::this_thread::sleep_for(100ms);
      s.make_client()->Put("/v1/kv/later", "now", "text/plain");
    });
    auto res = s.get("/v1/kv/later?index=" + std::to_string(key_index) + "&wait=10s");
    writer.get();
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(s.index_of(res) > key_index);
  }

  SUBCASE("many blocked queries at once all wake") {
    constexpr int kWatchers = 24;
    std::vector<std::future<std::uint64_t>> watchers;
    for (int i = 0; i < kWatchers; ++i) {
      watchers.push_back(std::async(std::launch::async, [&]() -> std::uint64_t {
        auto c = s.make_client();
        auto res = c->Get(("/v1/health/service/web?index=" + std::to_string(index) + "&wait=60s")
                              .c_str());
        return res && res->status == 200 ? std::stoull(res->get_header_value("X-Consul-Index"))
                                         : 0;
      }));
    }
    std::this_thread::sleep_for(300ms);
    auto start = Clock::now();
    s.register_json(web_instance("master", "127.0.0.1", "web-1", "passing", {}));
    for (auto& w : watchers) CHECK(w.get() > index);
    CHECK(Clock::now() - start < 60s);  // before their wait ran out: woken by the write
  }

  SUBCASE("index 0 does not block") {
    auto start = Clock::now();
    CHECK(s.get("/v1/catalog/nodes?index=0&wait=60s")->status == 200);
    CHECK(Clock::now() - start < 60s);  // a blocking query would have used its whole wait
  }
}

TEST_CASE("stop ends blocked queries and frees the port") {
  auto s = std::make_unique<Running>();
  auto port = s->server.port();
  auto index = s->index_of(s->get("/v1/catalog/nodes"));
  auto blocked = std::async(std::launch::async, [&] {
    return s->make_client()->Get(
        ("/v1/catalog/nodes?index=" + std::to_string(index) + "&wait=60s").c_str());
  });
  std::this_thread::sleep_for(200ms);
  auto start = Clock::now();
  s->server.stop();
  auto res = blocked.get();
  CHECK(Clock::now() - start < 60s);  // before its wait ran out: ended by the stop
  if (res) CHECK(res->status == 200);
  s->server.stop();  // idempotent

  ConsulTestServerOptions same_port;
  same_port.port = port;
  ConsulTestServer again(same_port);
  CHECK_NOTHROW(again.start());
  ConsulTestServer clash(same_port);
  CHECK_THROWS_AS(clash.start(), std::runtime_error);  // the port is in use
}

TEST_CASE("check probes and the check runner") {
  Running target;
  hcl::testing::cts::CheckDefinition http;
  http.http = target.server.address() + "/v1/status/leader";
  auto ok = hcl::testing::cts::probe_http(http);
  CHECK(ok.status == "passing");
  CHECK(ok.output.find("200") != std::string::npos);
  http.http = target.server.address() + "/v1/nothing";
  CHECK(hcl::testing::cts::probe_http(http).status == "critical");

  hcl::testing::cts::CheckDefinition tcp;
  tcp.tcp = "127.0.0.1:" + std::to_string(target.server.port());
  CHECK(hcl::testing::cts::probe_tcp(tcp).status == "passing");
  tcp.tcp = "127.0.0.1:1";
  tcp.timeout = 1s;
  auto refused = hcl::testing::cts::probe_tcp(tcp);
  CHECK(refused.status == "critical");
  CHECK(refused.output.find("dial tcp 127.0.0.1:1") == 0);

  ConsulTestServerOptions o;
  o.run_checks = true;
  Running s(o);
  auto body = json{{"Name", "web"},
                   {"Checks",
                    {{{"HTTP", s.server.address() + "/v1/status/leader"}, {"Interval", "100ms"}},
                     {{"TTL", "300ms"}, {"Status", "passing"}}}}};
  REQUIRE(s.put("/v1/agent/service/register", body.dump())->status == 200);
  auto status_of = [&](const std::string& id) {
    for (const auto& c : s.get_json("/v1/health/checks/web")) {
      if (c["CheckID"] == id) return c["Status"].get<std::string>();
    }
    return std::string("absent");
  };
  CHECK(eventually([&] { return status_of("service:web:1") == "passing"; }));
  CHECK(eventually([&] { return status_of("service:web:2") == "critical"; }));  // TTL ran out
  CHECK(s.put("/v1/agent/check/pass/service:web:2")->status == 200);
  CHECK(status_of("service:web:2") == "passing");
}
