// /v1/agent/*: the agent's identity, its view of cluster members, and the services and checks
// registered on the agent's own node. Agent endpoints do not block and work without a leader
// (a real agent keeps local state and syncs it later; here it goes straight to the catalog).
#include "server_core.hpp"

#include "go_duration.hpp"

#include <set>

namespace hcl::testing::cts {
namespace {

// Serf's member status codes (hashicorp/serf MemberStatus).
constexpr int kMemberAlive = 1;
constexpr int kMemberFailed = 4;

ojson member(const Core& core, const Store& s, const Node& n, bool wan) {
  const auto& opts = core.options();
  bool server = n.name == opts.node_name;
  const Check* serf = s.check(n.name, kSerfCheckId);
  int status = serf != nullptr && serf->status == "critical" ? kMemberFailed : kMemberAlive;
  ojson tags = ojson::object();
  if (server) {
    tags = ojson{{"acls", opts.token ? "1" : "0"},
                 {"bootstrap", "1"},
                 {"build", std::string(kVersion) + ":" + kRevision},
                 {"dc", opts.datacenter},
                 {"ft_fs", "1"},
                 {"ft_si", "1"},
                 {"id", core.node_id()},
                 {"port", "8300"},
                 {"raft_vsn", "3"},
                 {"role", "consul"},
                 {"segment", ""},
                 {"vsn", "2"},
                 {"vsn_max", "3"},
                 {"vsn_min", "2"},
                 {"wan_join_port", "8302"}};
  } else {
    tags = ojson{{"build", std::string(kVersion) + ":" + kRevision},
                 {"dc", n.datacenter},
                 {"role", "node"},
                 {"segment", ""},
                 {"vsn", "2"},
                 {"vsn_max", "3"},
                 {"vsn_min", "2"}};
    if (!n.id.empty()) tags["id"] = n.id;
  }
  return ojson{{"Name", wan ? n.name + "." + n.datacenter : n.name},
               {"Addr", n.address},
               {"Port", wan ? 8302 : 8301},
               {"Tags", tags},
               {"Status", status},
               {"ProtocolMin", 1},
               {"ProtocolMax", 5},
               {"ProtocolCur", 2},
               {"DelegateMin", 2},
               {"DelegateMax", 5},
               {"DelegateCur", 4}};
}

void self(Core& core, Call& call) {
  const auto& opts = core.options();
  ojson out;
  core.inspect([&](const Store& s) {
    const Node* n = s.node(opts.node_name);
    out = ojson{{"Config",
                 {{"Datacenter", opts.datacenter},
                  {"PrimaryDatacenter", opts.datacenter},
                  {"NodeName", opts.node_name},
                  {"NodeID", core.node_id()},
                  {"Revision", kRevision},
                  {"Server", true},
                  {"Version", kVersion}}},
                {"Member", n != nullptr ? member(core, s, *n, false) : ojson(nullptr)},
                {"Meta", n != nullptr && n->meta ? ojson(*n->meta) : ojson::object()}};
  });
  call.json(out);
}

// One member per catalog node that has a serfHealth check, as serf would know it: the agents.
// Nodes registered without one (external services) are not members, as in Consul.
void members(Core& core, Call& call) {
  bool wan = call.has("wan");
  ojson out = ojson::array();
  core.inspect([&](const Store& s) {
    for (const Node* n : s.nodes()) {
      bool server = n->name == core.options().node_name;
      if (wan && !server) continue;  // only servers are in the WAN pool
      if (s.check(n->name, kSerfCheckId) == nullptr) continue;
      out.push_back(member(core, s, *n, wan));
    }
  });
  call.json(out);
}

void services(Core& core, Call& call) {
  ojson out = ojson::object();
  core.inspect([&](const Store& s) {
    for (const Service* svc : s.services_on(core.options().node_name)) {
      out[svc->id] = encode_agent_service(*svc, core.options().datacenter);
    }
  });
  call.json(out);
}

void checks(Core& core, Call& call) {
  ojson out = ojson::object();
  core.inspect([&](const Store& s) {
    for (const Check* c : s.checks_on(core.options().node_name)) {
      out[c->check_id] = encode_check(*c);
    }
  });
  call.json(out);
}

// Turns the agent's check definitions into catalog checks the way Consul's agent names them:
// "service:<id>" (with ":<n>" when there are several) and "Service '<name>' check".
std::vector<Check> agent_checks(const AgentServiceDefinition& def) {
  std::vector<Check> out;
  const Service& svc = def.service;
  for (std::size_t i = 0; i < def.checks.size(); ++i) {
    const AgentCheck& a = def.checks[i];
    Check c;
    c.check_id = a.check_id;
    if (c.check_id.empty()) {
      c.check_id = "service:" + svc.id;
      if (def.checks.size() > 1) c.check_id.append(":").append(std::to_string(i + 1));
    }
    c.name = a.name.empty() ? "Service '" + svc.name + "' check" : a.name;
    c.status = a.status.empty() ? "critical" : a.status;
    c.notes = a.notes;
    c.service_id = svc.id;
    c.type = a.type();
    c.definition = a.definition;
    if (a.definition.interval.count() > 0) c.interval = format_go_duration(a.definition.interval);
    if (a.definition.timeout.count() > 0) c.timeout = format_go_duration(a.definition.timeout);
    out.push_back(std::move(c));
  }
  return out;
}

void register_service(Core& core, Call& call) {
  AgentServiceDefinition def = decode_agent_service(parse_body(call.req.body));
  Service& svc = def.service;
  if (svc.name.empty()) return call.fail({400, "Missing service name"});
  if (svc.id.empty()) svc.id = svc.name;
  if (def.weights_given && svc.weights.passing <= 0) {
    return call.fail({400, "Invalid Weights: Passing must be greater than 0"});
  }
  if (svc.address == "0.0.0.0" || svc.address == "::" || svc.address == "[::]") {
    return call.fail({400, "Invalid service address"});
  }
  for (const AgentCheck& c : def.checks) {
    if (auto why = c.invalid()) return call.fail({400, "Invalid check: " + *why});
    if (!c.status.empty() && !valid_check_status(c.status)) {
      return call.fail({400, "Status for checks must 'passing', 'warning', 'critical'"});
    }
  }
  const bool replace_checks = call.has("replace-existing-checks");
  const auto& opts = core.options();

  std::optional<ApiError> refused;
  core.write(NeedsLeader::no, [&](Store& s, std::uint64_t idx) {
    Registration reg;
    reg.node = opts.node_name;
    reg.skip_node_update = true;
    reg.service = svc;
    reg.checks = agent_checks(def);
    std::set<std::string> ids;
    for (Check& c : reg.checks) {
      ids.insert(c.check_id);
      // A re-registered service keeps the state its checks had, as the agent's snapshot does.
      if (const Check* old = s.check(opts.node_name, c.check_id)) {
        c.status = old->status;
        c.output = old->output;
      }
    }
    if (replace_checks) {
      std::vector<std::string> stale;
      for (const Check* c : s.checks_on(opts.node_name)) {
        if (c->service_id == svc.id && !ids.count(c->check_id)) stale.push_back(c->check_id);
      }
      for (const auto& id : stale) s.deregister_check(opts.node_name, id, idx);
    }
    refused = s.apply(std::move(reg), idx);
  });
  if (refused) return call.fail(*refused);
  call.empty(200);
}

void deregister_service(Core& core, Call& call) {
  const auto& node = core.options().node_name;
  bool found = false;
  core.write(NeedsLeader::no, [&](Store& s, std::uint64_t idx) {
    found = s.service(node, call.rest) != nullptr;
    if (found) s.deregister_service(node, call.rest, idx);
  });
  if (!found) {
    return call.fail({404, "Unknown service ID \"" + call.rest +
                               "\". Ensure that the service ID is passed, not the service name."});
  }
  call.empty(200);
}

// PUT /v1/agent/check/{pass,warn,fail}/:check_id?note=...: TTL checks only, as in Consul.
void update_ttl_check(Core& core, Call& call, const std::string& status) {
  const auto& node = core.options().node_name;
  std::optional<ApiError> refused;
  std::string note = call.param("note");
  core.write(NeedsLeader::no, [&](Store& s, std::uint64_t idx) {
    const Check* c = s.check(node, call.rest);
    if (c == nullptr) {
      refused = ApiError{404, "Unknown check ID \"" + call.rest +
                                  "\". Ensure that the check ID is passed, not the check name."};
    } else if (c->type != "ttl") {
      refused = ApiError{500, "CheckID \"" + call.rest + "\" does not have associated TTL"};
    } else {
      s.update_check(node, call.rest, status, note, idx);
    }
  });
  if (refused) return call.fail(*refused);
  core.note_ttl_update(call.rest);
  call.empty(200);
}

}  // namespace

void add_agent_routes(Router& router, Core& core) {
  auto agent_route = [&router](std::string pattern, std::string method,
                               std::function<void(Call&)> fn) {
    router.add({std::move(pattern), {std::move(method)}, std::move(fn), /*query_options=*/false});
  };
  agent_route("/v1/agent/self", "GET", [&core](Call& c) { self(core, c); });
  agent_route("/v1/agent/members", "GET", [&core](Call& c) { members(core, c); });
  agent_route("/v1/agent/services", "GET", [&core](Call& c) { services(core, c); });
  agent_route("/v1/agent/checks", "GET", [&core](Call& c) { checks(core, c); });
  agent_route("/v1/agent/service/register", "PUT", [&core](Call& c) { register_service(core, c); });
  agent_route("/v1/agent/service/deregister/", "PUT",
              [&core](Call& c) { deregister_service(core, c); });
  agent_route("/v1/agent/check/pass/", "PUT",
              [&core](Call& c) { update_ttl_check(core, c, "passing"); });
  agent_route("/v1/agent/check/warn/", "PUT",
              [&core](Call& c) { update_ttl_check(core, c, "warning"); });
  agent_route("/v1/agent/check/fail/", "PUT",
              [&core](Call& c) { update_ttl_check(core, c, "critical"); });
}

}  // namespace hcl::testing::cts
