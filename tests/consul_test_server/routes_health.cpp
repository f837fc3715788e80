// /v1/health/*: checks by node, by service and by state, and service instances with their checks.
#include "server_core.hpp"

namespace hcl::testing::cts {
namespace {

ojson encode_checks(const std::vector<const Check*>& checks) {
  ojson out = ojson::array();
  for (const Check* c : checks) out.push_back(encode_check(*c));
  return out;
}

// Go's strconv.ParseBool, which Consul uses for ?passing=<value>.
std::optional<bool> parse_go_bool(const std::string& v) {
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False") return false;
  return std::nullopt;
}

void node_checks(Core& core, Call& call) {
  if (call.rest.empty()) return call.fail({400, "Missing node name"});
  core.read(call, [&](const Store& s) {
    return ReadResult::of(s.table_index(Table::checks), encode_checks(s.checks_on(call.rest)));
  });
}

void service_checks(Core& core, Call& call) {
  if (call.rest.empty()) return call.fail({400, "Missing service name"});
  auto filters = node_meta_filters(call.req);
  core.read(call, [&](const Store& s) {
    std::vector<const Check*> checks;
    for (const Check* c : s.all_checks()) {
      if (c->service_name != call.rest) continue;
      const Node* n = s.node(c->node);
      if (n != nullptr && matches(*n, filters)) checks.push_back(c);
    }
    return ReadResult::of(s.table_index(Table::checks), encode_checks(checks));
  });
}

void checks_in_state(Core& core, Call& call) {
  if (call.rest.empty()) return call.fail({400, "Missing check state"});
  auto filters = node_meta_filters(call.req);
  core.read(call, [&](const Store& s) {
    // Like Consul, a state other than any/passing/warning/critical matches no check.
    std::vector<const Check*> checks;
    for (const Check* c : s.all_checks()) {
      if (call.rest != "any" && c->status != call.rest) continue;
      const Node* n = s.node(c->node);
      if (n != nullptr && matches(*n, filters)) checks.push_back(c);
    }
    return ReadResult::of(s.table_index(Table::checks), encode_checks(checks));
  });
}

void service_health(Core& core, Call& call) {
  if (call.rest.empty()) return call.fail({400, "Missing service name"});
  bool passing_only = false;
  if (call.has("passing")) {
    auto v = call.param("passing");
    auto parsed = v.empty() ? std::optional<bool>(true) : parse_go_bool(v);
    if (!parsed) return call.fail({400, "Invalid value for ?passing"});
    passing_only = *parsed;
  }
  auto filters = node_meta_filters(call.req);
  auto tags = param_values(call.req, "tag");
  core.read(call, [&](const Store& s) {
    ojson out = ojson::array();
    for (const auto& [node, service] : s.instances(call.rest)) {
      if (!matches(*node, filters) || !has_tags(*service, tags)) continue;
      // The node's own checks (serfHealth) and the instance's checks.
      std::vector<const Check*> checks;
      bool all_passing = true;
      for (const Check* c : s.checks_on(node->name)) {
        if (!c->service_id.empty() && c->service_id != service->id) continue;
        checks.push_back(c);
        all_passing = all_passing && c->status == "passing";
      }
      if (passing_only && !all_passing) continue;
      out.push_back(ojson{{"Node", encode_node(*node)},
                          {"Service", encode_node_service(*service)},
                          {"Checks", encode_checks(checks)}});
    }
    return ReadResult::of(s.service_index(call.rest), out);
  });
}

}  // namespace

void add_health_routes(Router& router, Core& core) {
  router.add({"/v1/health/node/", {"GET"}, [&core](Call& c) { node_checks(core, c); }});
  router.add({"/v1/health/checks/", {"GET"}, [&core](Call& c) { service_checks(core, c); }});
  router.add({"/v1/health/state/", {"GET"}, [&core](Call& c) { checks_in_state(core, c); }});
  router.add({"/v1/health/service/", {"GET"}, [&core](Call& c) { service_health(core, c); }});
}

}  // namespace hcl::testing::cts
