// Consul's KV store through hcl::consul::Kv, against the in-process Consul test server over real
// HTTP through both transports (and, for what that server cannot do, a recorded transport).
#include <hcl/http.hpp>
#include <hcl/kv.hpp>
#include <hcl/output.hpp>

#include "consul_test_server.hpp"
#include "local_endpoint.hpp"
#include "transports.hpp"
#include "recorded_transport.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <thread>

using namespace hcl;
using namespace std::chrono_literals;
using namespace std::string_literals;
using hcl::testing::ConsulTestServer;
using hcl::testing::endpoint_of;
using hcl::testing::ConsulTestServerOptions;

namespace {


std::string all_bytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
  return s;
}

// A server and a Kv client over its own transport, of the kind Over makes.
template <class Over>
struct Fixture {
  ConsulTestServer server;
  std::unique_ptr<http::Transport> transport;
  consul::Kv kv;

  explicit Fixture(ConsulTestServerOptions opts = {}, std::string token = {})
      : server(std::move(opts)), transport(start(server)), kv(*transport, std::move(token)) {}

  static std::unique_ptr<http::Transport> start(ConsulTestServer& s) {
    s.start();
    return Over::make(endpoint_of(s));
  }
};

}  // namespace

TEST_CASE_TEMPLATE("kv: values are bytes, stored and read back unchanged", Over, HCL_TRANSPORTS) {
  Fixture<Over> f;
  std::string bytes = all_bytes() + all_bytes();
  auto put = f.kv.put("bin/all", bytes);
  REQUIRE(put.ok());
  CHECK(*put);
  auto got = f.kv.get("bin/all");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->key == "bin/all");
  CHECK((*got)->value == bytes);
  CHECK((*got)->value.size() == 512);
  CHECK((*got)->flags == 0);
  CHECK((*got)->create_index > 0);
  CHECK((*got)->modify_index == (*got)->create_index);

  // Consul sends null for an empty value; it reads back as empty.
  REQUIRE(f.kv.put("bin/empty", "").ok());
  auto empty = f.kv.get("bin/empty");
  REQUIRE(empty.ok());
  REQUIRE(empty->has_value());
  CHECK((*empty)->value.empty());

  // Lengths 1 and 2 mod 3 exercise base64 padding.
  for (std::string v : {"a"s, "ab"s, "abc"s, "abcd"s, "\xff"s, "\x00\xff"s}) {
    REQUIRE(f.kv.put("bin/pad", v).ok());
    auto r = f.kv.get("bin/pad");
    REQUIRE(r.ok());
    CHECK((*r)->value == v);
  }

  // Bigger than a form body may be, and shaped like one: still stored as it is.
  std::string big;
  for (int i = 0; i < 300 * 1024; ++i) big += static_cast<char>((i * 7919) & 0xFF);
  REQUIRE(f.kv.put("bin/big", big).ok());
  CHECK((*f.kv.get("bin/big"))->value == big);
  REQUIRE(f.kv.put("bin/form", "cas=0&flags=5&recurse").ok());
  auto form = f.kv.get("bin/form");
  REQUIRE(form.ok());
  CHECK((*form)->value == "cas=0&flags=5&recurse");
  CHECK((*form)->flags == 0);

  // What was written is the raw bytes, not base64: ?raw hands them back as they are.
  httplib::Client c("127.0.0.1", f.server.port());
  auto raw = c.Get("/v1/kv/bin/all?raw");
  REQUIRE(raw);
  CHECK(raw->body == bytes);
}

TEST_CASE_TEMPLATE("kv: a missing key is nullopt, not an error", Over, HCL_TRANSPORTS) {
  Fixture<Over> f;
  auto got = f.kv.get("no/such/key");
  REQUIRE(got.ok());
  CHECK_FALSE(got->has_value());
}

TEST_CASE_TEMPLATE("kv: flags are stored with the value", Over, HCL_TRANSPORTS) {
  Fixture<Over> f;
  REQUIRE(f.kv.put("flagged", "v", 42).ok());
  auto got = f.kv.get("flagged");
  REQUIRE(got.ok());
  CHECK((*got)->flags == 42);
  REQUIRE(f.kv.put("flagged", "v", 18446744073709551615ull).ok());
  CHECK((*f.kv.get("flagged"))->flags == 18446744073709551615ull);
  // Without flags, Consul stores 0 again.
  REQUIRE(f.kv.put("flagged", "w").ok());
  CHECK((*f.kv.get("flagged"))->flags == 0);
}

TEST_CASE_TEMPLATE("kv: check-and-set", Over, HCL_TRANSPORTS) {
  Fixture<Over> f;
  // 0: only if absent.
  auto created = f.kv.put("cas/k", "one", std::nullopt, 0);
  REQUIRE(created.ok());
  CHECK(*created);
  auto again = f.kv.put("cas/k", "two", std::nullopt, 0);
  REQUIRE(again.ok());
  CHECK_FALSE(*again);
  CHECK((*f.kv.get("cas/k"))->value == "one");

  auto index = (*f.kv.get("cas/k"))->modify_index;
  auto ok = f.kv.put("cas/k", "two", std::nullopt, index);
  REQUIRE(ok.ok());
  CHECK(*ok);
  auto after = *f.kv.get("cas/k");
  CHECK(after->value == "two");
  CHECK(after->modify_index > index);
  CHECK(after->create_index == index);

  // The old index no longer matches: nothing is written.
  auto stale = f.kv.put("cas/k", "three", std::nullopt, index);
  REQUIRE(stale.ok());
  CHECK_FALSE(*stale);
  CHECK((*f.kv.get("cas/k"))->value == "two");

  // Deletes too.
  auto del_stale = f.kv.remove("cas/k", false, index);
  REQUIRE(del_stale.ok());
  CHECK_FALSE(*del_stale);
  CHECK(f.kv.get("cas/k")->has_value());
  auto del = f.kv.remove("cas/k", false, after->modify_index);
  REQUIRE(del.ok());
  CHECK(*del);
  CHECK_FALSE(f.kv.get("cas/k")->has_value());
}

TEST_CASE_TEMPLATE("kv: list (recurse) and keys (with a separator)", Over, HCL_TRANSPORTS) {
  Fixture<Over> f;
  for (const char* k : {"app/a", "app/b", "app/sub/c", "app/sub/deeper/d", "apple", "other/x"})
    REQUIRE(f.kv.put(k, std::string("value of ") + k).ok());

  auto listed = f.kv.list("app/");
  REQUIRE(listed.ok());
  std::vector<std::string> keys;
  for (const auto& e : *listed) keys.push_back(e.key);
  CHECK(keys == std::vector<std::string>{"app/a", "app/b", "app/sub/c", "app/sub/deeper/d"});
  CHECK(listed->front().value == "value of app/a");

  auto none = f.kv.list("nothing/");
  REQUIRE(none.ok());
  CHECK(none->empty());

  auto all = f.kv.keys("");
  REQUIRE(all.ok());
  CHECK(all->size() == 6);

  auto rolled = f.kv.keys("app/", "/");
  REQUIRE(rolled.ok());
  CHECK(*rolled == std::vector<std::string>{"app/a", "app/b", "app/sub/"});

  auto top = f.kv.keys("", "/");
  REQUIRE(top.ok());
  CHECK(*top == std::vector<std::string>{"app/", "apple", "other/"});

  auto prefix = f.kv.keys("app");
  REQUIRE(prefix.ok());
  CHECK(prefix->size() == 5);  // "apple" too: a prefix, not a folder

  auto empty = f.kv.keys("nothing/", "/");
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE_TEMPLATE("kv: delete, recursive delete, and deleting what is not there", Over, HCL_TRANSPORTS) {
  Fixture<Over> f;
  for (const char* k : {"tree/a", "tree/b/c", "treetop", "keep"}) REQUIRE(f.kv.put(k, "v").ok());

  auto one = f.kv.remove("keep");
  REQUIRE(one.ok());
  CHECK(*one);
  CHECK_FALSE(f.kv.get("keep")->has_value());

  auto missing = f.kv.remove("keep");  // as in Consul: succeeds
  REQUIRE(missing.ok());
  CHECK(*missing);

  auto tree = f.kv.remove("tree/", true);
  REQUIRE(tree.ok());
  CHECK(*tree);
  CHECK(f.kv.list("tree/")->empty());
  CHECK(f.kv.get("treetop")->has_value());  // the folder only

  auto both = f.kv.remove("treetop", true, 1);
  REQUIRE_FALSE(both.ok());
  CHECK(both.error().kind == ErrorKind::Usage);
}

TEST_CASE_TEMPLATE("kv: keys are encoded per segment; a leading slash is dropped", Over, HCL_TRANSPORTS) {
  CHECK(consul::kv_path("a/b c/d?e#f%g") == "/v1/kv/a/b%20c/d%3Fe%23f%25g");
  CHECK(consul::kv_path("/lead") == "/v1/kv/lead");
  CHECK(consul::kv_path("//lead/") == "/v1/kv/lead/");
  CHECK(consul::kv_path("") == "/v1/kv/");
  CHECK(consul::kv_path("k\xc3\xa9y+=&") == "/v1/kv/k%C3%A9y%2B%3D%26");

  Fixture<Over> f;
  std::string odd = "odd keys/with space?and#hash&amp=eq+plus%pct/k\xc3\xa9y";
  REQUIRE(f.kv.put(odd, "v").ok());
  auto got = f.kv.get(odd);
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->key == odd);
  auto keys = f.kv.keys("odd keys/");
  REQUIRE(keys.ok());
  CHECK(*keys == std::vector<std::string>{odd});

  REQUIRE(f.kv.put("/slashed", "v").ok());
  CHECK((*f.kv.get("slashed"))->value == "v");
  CHECK((*f.kv.get("/slashed"))->key == "slashed");
}

TEST_CASE("kv: an empty key is a usage error, before any request") {
  testing::RecordedTransport t;
  consul::Kv kv(t);
  for (const char* k : {"", "/", "//"}) {
    CAPTURE(k);
    auto g = kv.get(k);
    REQUIRE_FALSE(g.ok());
    CHECK(g.error().kind == ErrorKind::Usage);
    auto p = kv.put(k, "v");
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().kind == ErrorKind::Usage);
    auto r = kv.remove(k, true);  // never "delete everything"
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::Usage);
    auto w = kv.wait(k, 0, 1s);
    REQUIRE_FALSE(w.ok());
    CHECK(w.error().kind == ErrorKind::Usage);
  }
  CHECK(t.requests.empty());
}

TEST_CASE_TEMPLATE("kv: a value over Consul's 512 KiB limit is refused by the server", Over, HCL_TRANSPORTS) {
  Fixture<Over> f;
  auto r = f.kv.put("big", std::string(512 * 1024 + 1, 'x'));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().why.find("413") != std::string::npos);
  auto at_limit = f.kv.put("big", std::string(512 * 1024, 'x'));
  CHECK_MESSAGE(at_limit.ok(), (at_limit.ok() ? "" : at_limit.error().message()));
  CHECK((*f.kv.get("big"))->value.size() == 512 * 1024);
}

TEST_CASE_TEMPLATE("kv: wait returns at once for index 0, early on a change, and the same index on timeout", Over, HCL_TRANSPORTS) {
  Fixture<Over> f;
  REQUIRE(f.kv.put("watched", "first").ok());

  auto start = f.kv.wait("watched", 0, 5s);
  REQUIRE(start.ok());
  REQUIRE(start->first.has_value());
  CHECK(start->first->value == "first");
  std::uint64_t index = start->second;
  CHECK(index >= start->first->modify_index);

  // No change: the query blocks for the whole wait and returns the same index.
  auto t0 = std::chrono::steady_clock::now();
  auto idle = f.kv.wait("watched", index, 300ms);
  auto idle_took = std::chrono::steady_clock::now() - t0;
  REQUIRE(idle.ok());
  CHECK(idle->second == index);
  CHECK(idle->first->value == "first");
  CHECK(idle_took >= 300ms);  // a lower bound: a busy machine only makes it longer

  // Another thread writes while the query blocks: it returns early with the new value.
  std::thread writer([&] {
    std::this_thread::sleep_for(200ms);
    auto t = Over::make(endpoint_of(f.server));
    consul::Kv other(*t);
    CHECK(other.put("watched", "second").ok());
  });
  // A wait far longer than any machine's delay: returning before it ran out is the write's doing.
  constexpr auto kLongWait = 60s;
  t0 = std::chrono::steady_clock::now();
  auto changed = f.kv.wait("watched", index, kLongWait);
  auto changed_took = std::chrono::steady_clock::now() - t0;
  writer.join();
  REQUIRE(changed.ok());
  REQUIRE(changed->first.has_value());
  CHECK(changed->first->value == "second");
  CHECK(changed->second > index);
  CHECK(changed_took < kLongWait);
  index = changed->second;

  // A deletion wakes it too, with no entry.
  std::thread deleter([&] {
    std::this_thread::sleep_for(200ms);
    auto t = Over::make(endpoint_of(f.server));
    consul::Kv other(*t);
    CHECK(other.remove("watched").ok());
  });
  t0 = std::chrono::steady_clock::now();
  auto deleted = f.kv.wait("watched", index, kLongWait);
  CHECK(std::chrono::steady_clock::now() - t0 < kLongWait);
  deleter.join();
  REQUIRE(deleted.ok());
  CHECK_FALSE(deleted->first.has_value());
  CHECK(deleted->second > index);

  // Waiting on a key that does not exist yet: it appears.
  auto absent = f.kv.wait("later", 0, 1s);
  REQUIRE(absent.ok());
  CHECK_FALSE(absent->first.has_value());
  CHECK(absent->second >= 1);
  std::thread creator([&] {
    std::this_thread::sleep_for(200ms);
    auto t = Over::make(endpoint_of(f.server));
    consul::Kv other(*t);
    CHECK(other.put("later", "here").ok());
  });
  t0 = std::chrono::steady_clock::now();
  auto appeared = f.kv.wait("later", absent->second, kLongWait);
  CHECK(std::chrono::steady_clock::now() - t0 < kLongWait);
  creator.join();
  REQUIRE(appeared.ok());
  REQUIRE(appeared->first.has_value());
  CHECK(appeared->first->value == "here");
}

TEST_CASE("kv: a blocking query asks ?index&wait, with a request timeout above the wait and its jitter") {
  testing::RecordedTransport t;
  std::string entry = R"([{"Key":"k","Value":"aGk=","Flags":0,"CreateIndex":40,"ModifyIndex":41,"LockIndex":0}])";
  t.on("GET", "/v1/kv/k?index=41&wait=2s", 200, entry, {{"X-Consul-Index", "41"}});
  t.on("GET", "/v1/kv/k?index=41&wait=1500ms", 200, entry, {{"X-Consul-Index", "41"}});
  t.on("GET", "/v1/kv/k?index=41&wait=600s", 200, entry, {{"X-Consul-Index", "41"}});
  consul::Kv kv(t, "secret-token");

  auto r = kv.wait("k", 41, 2s);
  REQUIRE(r.ok());
  CHECK(r->first->value == "hi");
  CHECK(r->second == 41);
  REQUIRE(t.requests.size() == 1);
  REQUIRE(t.requests[0].timeout.has_value());
  CHECK(*t.requests[0].timeout >= 2s + 2s / 16);
  CHECK(t.requests[0].target.find("secret") == std::string::npos);
  REQUIRE(t.requests[0].headers.size() == 1);
  CHECK(t.requests[0].headers[0].name == "X-Consul-Token");
  CHECK(t.requests[0].headers[0].value == "secret-token");

  REQUIRE(kv.wait("k", 41, 1500ms).ok());
  // Consul's maximum is 10 minutes; longer waits are shortened.
  REQUIRE(kv.wait("k", 41, std::chrono::hours(1)).ok());
  CHECK(t.requests.back().target == "/v1/kv/k?index=41&wait=600s");

  // A read for index 0 is an ordinary read with the ordinary timeout.
  t.on("GET", "/v1/kv/k", 200, entry, {{"X-Consul-Index", "41"}});
  REQUIRE(kv.wait("k", 0, 2s).ok());
  CHECK_FALSE(t.requests.back().timeout.has_value());
}

TEST_CASE("kv: when the index goes backwards, the watch starts over from 0") {
  testing::RecordedTransport t;
  std::string entry = R"([{"Key":"k","Value":"bmV3","Flags":0,"CreateIndex":3,"ModifyIndex":3,"LockIndex":0}])";
  // A restored snapshot: the server's index is now below ours, so the blocking query times out
  // with the lower index; hcl then reads afresh.
  t.on("GET", "/v1/kv/k?index=500&wait=1s", 200, entry, {{"X-Consul-Index", "3"}});
  t.on("GET", "/v1/kv/k", 200, entry, {{"X-Consul-Index", "3"}});
  consul::Kv kv(t);
  auto r = kv.wait("k", 500, 1s);
  REQUIRE(r.ok());
  CHECK(r->second == 3);
  CHECK(r->first->value == "new");
  REQUIRE(t.requests.size() == 2);
  CHECK(t.requests[1].target == "/v1/kv/k");

  // An index of 0 from a server is taken as 1, so the next query blocks.
  t.on("GET", "/v1/kv/z", 404, "", {{"X-Consul-Index", "0"}});
  auto z = kv.wait("z", 0, 1s);
  REQUIRE(z.ok());
  CHECK(z->second == 1);
  CHECK_FALSE(z->first.has_value());
}

TEST_CASE("kv: a reply that is not Consul's is a Server error") {
  testing::RecordedTransport t;
  t.on("GET", "/v1/kv/bad", 200, R"([{"Key":"bad","Value":"not base64!"}])", {{"X-Consul-Index", "9"}});
  t.on("GET", "/v1/kv/noindex", 200, R"([{"Key":"noindex","Value":null}])");
  consul::Kv kv(t);
  auto bad = kv.get("bad");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::Server);
  CHECK(bad.error().why.find("not base64") != std::string::npos);
  auto plain = kv.get("noindex");  // a plain read does not need the index
  REQUIRE(plain.ok());
  CHECK((*plain)->key == "noindex");
  auto noindex = kv.wait("noindex", 0, 1s);
  REQUIRE_FALSE(noindex.ok());
  CHECK(noindex.error().kind == ErrorKind::Server);
}

TEST_CASE_TEMPLATE("kv: with ACLs on, a missing or wrong token is refused (403) and the token never shows", Over, HCL_TRANSPORTS) {
  ConsulTestServerOptions opts;
  opts.token = "kv-t0ken-for-tests";
  Fixture<Over> without(opts);
  auto denied = without.kv.put("secret/k", "v");
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.error().kind == ErrorKind::Tls);
  CHECK(denied.error().why.find("403") != std::string::npos);
  CHECK(denied.error().why.find("Permission denied") != std::string::npos);
  auto denied_get = without.kv.get("secret/k");
  REQUIRE_FALSE(denied_get.ok());
  CHECK(denied_get.error().kind == ErrorKind::Tls);

  consul::Kv wrong(*without.transport, "not-the-token");
  CHECK_FALSE(wrong.keys("").ok());

  consul::Kv with(*without.transport, "kv-t0ken-for-tests");
  REQUIRE(with.put("secret/k", "v").ok());
  CHECK((*with.get("secret/k"))->value == "v");
  CHECK(denied.error().message().find("t0ken") == std::string::npos);
  CHECK(denied_get.error().message().find("t0ken") == std::string::npos);
}

TEST_CASE("kv: hcl's JSON shows UTF-8 values as text and others as base64") {
  consul::KvEntry text{"app/greeting", "h\xc3\xa9llo\n", 7, 10, 12, 0, ""};
  CHECK(output::kv_entry_json(text) ==
        "{\n  \"key\": \"app/greeting\",\n  \"value\": \"h\xc3\xa9llo\\n\",\n  \"flags\": 7,\n"
        "  \"create_index\": 10,\n  \"modify_index\": 12\n}\n");
  consul::KvEntry binary{"bin", std::string("\xff\x00\x01", 3), 0, 1, 2, 0, ""};
  CHECK(output::kv_entry_json(binary).find("\"value_base64\": \"/wAB\"") != std::string::npos);
  CHECK(output::kv_entry_json(binary).find("\"value\"") == std::string::npos);
  // Overlong forms and surrogates are not UTF-8.
  for (std::string bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    consul::KvEntry e{"k", bad, 0, 1, 1, 0, ""};
    CHECK(output::kv_entry_json(e).find("value_base64") != std::string::npos);
  }

  CHECK(output::kv_event_json("app/greeting", text, 12) ==
        "{\"key\":\"app/greeting\",\"value\":\"h\xc3\xa9llo\\n\",\"flags\":7,\"create_index\":10,\"modify_index\":12}\n");
  CHECK(output::kv_event_json("/gone", std::nullopt, 15) == "{\"key\":\"gone\",\"deleted\":true,\"index\":15}\n");
  CHECK(output::kv_keys_json({"a", "b/"}) == "[\n  \"a\",\n  \"b/\"\n]\n");
  CHECK(output::kv_keys_json({}) == "[]\n");
}
