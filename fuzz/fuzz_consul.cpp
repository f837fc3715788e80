// Decoding every Consul HTTP API answer hcl reads (catalog, health, agent, status, KV). The first
// byte picks the call, the second the HTTP status; the rest is the body. For the KV reads that
// need it, the body's first line is the X-Consul-Index header.
#include "fuzz_common.hpp"

#include <hcl/consul.hpp>
#include <hcl/kv.hpp>
#include <hcl/ops/nodes.hpp>
#include <hcl/output.hpp>

using namespace hcl;

namespace {

constexpr int kStatuses[] = {200, 200, 200, 400, 403, 404, 409, 500};

template <class T>
void check(const Result<T>& r) {
  if (!r) FUZZ_CHECK(!r.error().what.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int call = data[0] % 14;
  const int status = kStatuses[data[1] % std::size(kStatuses)];
  std::string_view rest = fuzz::as_text(data + 2, size - 2);
  std::string index = "7";
  if (call >= 11) {
    auto nl = rest.find('\n');
    index = std::string(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  fuzz::FuzzTransport t({status, {{"X-Consul-Index", index}}, std::string(rest)});
  consul::Client api(t, "token");
  consul::Kv kv(t, "token");

  switch (call) {
    case 0: check(api.catalog_nodes()); break;
    case 1: check(api.checks_in_state("any")); break;
    case 2: check(api.node_health("node1")); break;
    case 3: {
      auto both = api.nodes_and_checks();
      check(both);
      if (both) (void)output::nodes_json(ops::merge_nodes({}, *both));
      break;
    }
    case 4: check(api.agent_self()); break;
    case 5: check(api.leader()); break;
    case 6: {
      auto e = kv.get("app/config");
      check(e);
      if (e && *e) (void)output::kv_entry_json(**e);
      break;
    }
    case 7: {
      auto l = kv.list("app/");
      check(l);
      if (l)
        for (const auto& e : *l) (void)output::kv_entry_json(e);
      break;
    }
    case 8: {
      auto k = kv.keys("app/", std::string("/"));
      check(k);
      if (k) (void)output::kv_keys_json(*k);
      break;
    }
    case 9: check(kv.put("app/config", "value", 3, 0)); break;
    case 10: check(kv.remove("app/", true)); break;
    case 11:
    case 12: {
      auto w = kv.wait("app/config", call == 11 ? 0 : 5, std::chrono::milliseconds(1000));
      check(w);
      if (w) {
        FUZZ_CHECK(w->second >= 1);
        (void)output::kv_event_json("app/config", w->first, w->second);
      }
      break;
    }
    case 13: {
      auto e = kv.get("app/config");
      check(e);
      break;
    }
  }
  return 0;
}
