// Unit tests of the Consul test server's parts below HTTP: Go durations, the state store's index
// rules, and the JSON shapes in and out.
#include "api_json.hpp"
#include "go_duration.hpp"
#include "state.hpp"

#include <doctest/doctest.h>

using namespace hcl::testing::cts;
using namespace std::chrono_literals;

TEST_CASE("Go durations parse as time.ParseDuration does") {
  CHECK(parse_go_duration("10s") == std::chrono::nanoseconds(10s));
  CHECK(parse_go_duration("500ms") == std::chrono::nanoseconds(500ms));
  CHECK(parse_go_duration("1m") == std::chrono::nanoseconds(1min));
  CHECK(parse_go_duration("1.5h") == std::chrono::nanoseconds(90min));
  CHECK(parse_go_duration("2h45m30.5s") ==
        std::chrono::nanoseconds(2h + 45min + 30s + 500ms));
  CHECK(parse_go_duration("300us") == std::chrono::nanoseconds(300us));
  CHECK(parse_go_duration("300\xC2\xB5s") == std::chrono::nanoseconds(300us));
  CHECK(parse_go_duration("-1.5s") == std::chrono::nanoseconds(-1500ms));
  CHECK(parse_go_duration("0") == std::chrono::nanoseconds(0));
  CHECK(parse_go_duration(".5s") == std::chrono::nanoseconds(500ms));
  for (const char* bad : {"", "10", "s", "5 s", "1d", "1.s.", "-", "ms", "1e3s",
                          "99999999999999999999h", "3000000h"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_go_duration(bad).has_value());
  }
}

TEST_CASE("Go durations format as Duration.String does") {
  CHECK(format_go_duration(0s) == "0s");
  CHECK(format_go_duration(10s) == "10s");
  CHECK(format_go_duration(90s) == "1m30s");
  CHECK(format_go_duration(1h) == "1h0m0s");
  CHECK(format_go_duration(1500ms) == "1.5s");
  CHECK(format_go_duration(500ms) == "500ms");
  CHECK(format_go_duration(1500us) == "1.5ms");
  CHECK(format_go_duration(42ns) == "42ns");
  CHECK(format_go_duration(-2s) == "-2s");
}

TEST_CASE("base64 follows RFC 4648") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode(std::string("\xff\x00\x10", 3)) == "/wAQ");
}

namespace {

Registration node_reg(const std::string& name, const std::string& address) {
  Registration r;
  r.node = name;
  r.address = address;
  r.datacenter = "dc1";
  return r;
}

}  // namespace

TEST_CASE("store: an identical re-registration does not bump indexes") {
  Store s;
  REQUIRE_FALSE(s.apply(node_reg("n1", "10.0.0.1"), s.advance()));
  auto first = s.table_index(Table::nodes);
  CHECK(first == 1);
  REQUIRE_FALSE(s.apply(node_reg("n1", "10.0.0.1"), s.advance()));
  CHECK(s.table_index(Table::nodes) == first);
  CHECK(s.node("n1")->modify_index == first);
  CHECK(s.raft_index() == 2);  // the raft index still moved

  REQUIRE_FALSE(s.apply(node_reg("N1", "10.0.0.2"), s.advance()));  // names ignore case
  CHECK(s.nodes().size() == 1);
  CHECK(s.node("n1")->address == "10.0.0.2");
  CHECK(s.node("n1")->create_index == first);
  CHECK(s.node("n1")->modify_index == 3);
  CHECK(s.table_index(Table::nodes) == 3);
}

TEST_CASE("store: registration errors leave the catalog unchanged") {
  Store s;
  auto err = s.apply(node_reg("", "10.0.0.1"), s.advance());
  REQUIRE(err);
  CHECK(err->message == "Must provide node");

  Registration r = node_reg("n1", "10.0.0.1");
  Check c;
  c.check_id = "web-alive";
  c.service_id = "web";
  r.checks.push_back(c);
  err = s.apply(r, s.advance());
  REQUIRE(err);
  CHECK(err->status == 500);
  CHECK(err->message == "failed inserting check on node \"n1\": Missing service registration");
  CHECK(s.node("n1") == nullptr);
  CHECK(s.table_index(Table::nodes) == 0);

  r.checks.clear();
  r.id = "not-a-uuid";
  err = s.apply(r, s.advance());
  REQUIRE(err);
  CHECK(err->message == "Bad node ID: uuid string is wrong length");
}

TEST_CASE("store: service indexes follow the service, its node and its checks") {
  Store s;
  Registration r = node_reg("n1", "10.0.0.1");
  Service web;
  web.name = "web";
  r.service = web;
  REQUIRE_FALSE(s.apply(r, s.advance()));
  CHECK(s.service("n1", "web") != nullptr);  // ID defaults to the name
  auto web_index = s.service_index("web");
  CHECK(web_index == 1);

  // Another service does not move web's index.
  Registration other = node_reg("n2", "10.0.0.2");
  Service db;
  db.name = "db";
  other.service = db;
  REQUIRE_FALSE(s.apply(other, s.advance()));
  CHECK(s.service_index("web") == web_index);

  // A node-level check on web's node does.
  Registration check = node_reg("n1", "10.0.0.1");
  Check serf;
  serf.check_id = "serfHealth";
  serf.status = "passing";
  check.checks.push_back(serf);
  REQUIRE_FALSE(s.apply(check, s.advance()));
  CHECK(s.service_index("web") == 3);

  // A missing service reads at the index of the last service to disappear.
  s.deregister_service("n1", "web", s.advance());
  CHECK(s.instances("web").empty());
  CHECK(s.service_index("web") == 4);
  CHECK(s.service_index("never") == 4);
}

TEST_CASE("store: checks default to critical and follow their service") {
  Store s;
  Registration r = node_reg("n1", "10.0.0.1");
  Service web;
  web.id = "web-1";
  web.name = "web";
  web.tags = {"v1"};
  r.service = web;
  Check c;
  c.name = "web alive";  // CheckID defaults to the name
  c.service_id = "web-1";
  r.checks.push_back(c);
  REQUIRE_FALSE(s.apply(r, s.advance()));
  const Check* stored = s.check("n1", "web alive");
  REQUIRE(stored != nullptr);
  CHECK(stored->status == "critical");
  CHECK(stored->service_name == "web");
  CHECK(stored->service_tags == std::vector<std::string>{"v1"});

  s.deregister_service("n1", "web-1", s.advance());
  CHECK(s.check("n1", "web alive") == nullptr);
  CHECK(s.table_index(Table::checks) == 2);
}

TEST_CASE("store: KV indexes, CAS and tombstones") {
  Store s;
  CHECK(s.kv_set("a/1", "x", 0, std::nullopt, s.advance()));
  CHECK(s.kv_set("a/2", "y", 0, std::nullopt, s.advance()));
  CHECK(s.kv_set("b", "z", 0, std::nullopt, s.advance()));
  CHECK(s.kv_key_index("a/1") == 1);
  CHECK(s.kv_prefix_index("a/") == 2);
  CHECK(s.kv_prefix_index("") == 3);
  CHECK(s.kv_key_index("missing") == 3);

  CHECK_FALSE(s.kv_set("a/1", "new", 0, 0, s.advance()));  // cas=0: only if absent
  CHECK_FALSE(s.kv_set("a/1", "new", 0, 99, s.advance()));
  CHECK(s.kv_set("a/1", "new", 7, 1, s.advance()));
  CHECK(s.kv_get("a/1")->value == "new");
  CHECK(s.kv_get("a/1")->flags == 7);
  CHECK(s.kv_get("a/1")->create_index == 1);
  CHECK(s.kv_get("a/1")->modify_index == 6);

  CHECK_FALSE(s.kv_delete("a/2", 1, s.advance()));
  CHECK(s.kv_delete("a/2", 2, s.advance()));
  CHECK(s.kv_delete("never", 5, s.advance()));  // deleting what is not there succeeds
  CHECK(s.kv_prefix_index("a/") == 8);            // the deletion counts for the prefix
  s.kv_delete_tree("a/", s.advance());
  CHECK(s.kv_list("a/").empty());
  CHECK(s.kv_prefix_index("a/") == 10);
  CHECK(s.kv_list("").size() == 1);
}

TEST_CASE("JSON: catalog registrations decode like Go's encoding/json") {
  auto r = decode_registration(nlohmann::json::parse(R"({
    "node": "n1", "Address": "10.0.0.1", "NodeMeta": {"rack": "r1"},
    "Service": {"Service": "web", "Port": 80, "Tags": ["a"], "Weights": {"Passing": 3, "Warning": 1}},
    "Check": {"CheckID": "serfHealth", "Status": "passing"},
    "Checks": [{"Name": "web", "ServiceID": "web", "Definition": {"HTTP": "http://x/", "Interval": "10s"}}]
  })"));
  CHECK(r.node == "n1");  // field names match case-insensitively
  CHECK(r.node_meta == StringMap{{"rack", "r1"}});
  CHECK_FALSE(r.tagged_addresses.has_value());
  REQUIRE(r.service);
  CHECK(r.service->port == 80);
  CHECK(r.service->weights.passing == 3);
  REQUIRE(r.checks.size() == 2);
  CHECK(r.checks[0].check_id == "serfHealth");
  CHECK(r.checks[1].definition.interval == std::chrono::nanoseconds(10s));
  CHECK(r.checks[1].type == "http");

  auto wrong_type = [] {
    decode_registration(nlohmann::json::parse(R"({"Node": "n1", "Service": {"Port": "80"}})"));
  };
  CHECK_THROWS_WITH_AS(wrong_type(),
                       "json: cannot unmarshal string into Go struct field "
                       "RegisterRequest.Service.Port of type int",
                       DecodeError);
  CHECK_THROWS_WITH_AS(decode_registration(nlohmann::json::array()),
                       "json: cannot unmarshal array into Go value of type structs.RegisterRequest",
                       DecodeError);
  CHECK_THROWS_WITH_AS(parse_body(""), "EOF", DecodeError);
  CHECK_THROWS_AS(parse_body("{\"Node\": "), DecodeError);
}

TEST_CASE("JSON: agent checks validate as Consul's CheckType does") {
  auto def = decode_agent_service(nlohmann::json::parse(R"({
    "Name": "web",
    "Check": {"HTTP": "http://127.0.0.1/health"},
    "Checks": [{"TTL": "15s"}, {"TCP": "127.0.0.1:80", "Interval": "5s"}, {"TTL": "1s", "Interval": "1s"}]
  })"));
  REQUIRE(def.checks.size() == 4);
  CHECK(def.checks[0].invalid() ==
        "Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks");
  CHECK_FALSE(def.checks[1].invalid());
  CHECK(def.checks[1].type() == "ttl");
  CHECK_FALSE(def.checks[2].invalid());
  CHECK(def.checks[2].type() == "tcp");
  CHECK(def.checks[3].invalid() == "Interval and TTL cannot both be specified");

  auto empty = decode_agent_service(nlohmann::json::parse(R"({"Name": "web", "Check": {}})"));
  CHECK(empty.checks.empty());  // an empty Check registers nothing
  auto no_kind = decode_agent_service(nlohmann::json::parse(R"({"Name": "web", "Check": {"Notes": "x"}})"));
  REQUIRE(no_kind.checks.size() == 1);
  CHECK(no_kind.checks[0].invalid() == "TTL must be > 0 for TTL checks");
}

TEST_CASE("JSON: objects out carry Consul's names, nulls and base64") {
  Node n;
  n.name = "n1";
  n.address = "10.0.0.1";
  auto node = encode_node(n);
  CHECK(node["TaggedAddresses"].is_null());
  CHECK(node["Meta"].is_null());
  CHECK(node.begin().key() == "ID");

  KvEntry e;
  e.key = "k";
  CHECK(encode_kv(e)["Value"].is_null());  // an empty value is null
  e.value = "hello";
  CHECK(encode_kv(e)["Value"] == "aGVsbG8=");

  Service svc;
  svc.id = "web";
  svc.name = "web";
  auto out = encode_node_service(svc);
  CHECK_FALSE(out.contains("Kind"));  // omitempty in Consul
  CHECK(out["Tags"].is_array());
  CHECK(out["Weights"]["Passing"] == 1);
}
