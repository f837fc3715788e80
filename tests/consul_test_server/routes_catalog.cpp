// /v1/catalog/*: register and deregister entities, list nodes and services.
#include "server_core.hpp"

#include <algorithm>

namespace hcl::testing::cts {
namespace {

void register_entity(Core& core, Call& call) {
  Registration reg = decode_registration(parse_body(call.req.body));
  const std::string& dc = core.options().datacenter;
  if (reg.datacenter.empty()) reg.datacenter = dc;
  if (reg.datacenter != dc) return call.fail({500, "No path to datacenter"});
  std::optional<ApiError> refused;
  auto err = core.write(NeedsLeader::yes, [&](Store& s, std::uint64_t idx) {
    refused = s.apply(std::move(reg), idx);
  });
  if (err || refused) return call.fail(err ? *err : *refused);
  call.json(true);
}

void deregister_entity(Core& core, Call& call) {
  Deregistration d = decode_deregistration(parse_body(call.req.body));
  if (d.node.empty()) return call.fail({500, "Must provide node"});
  if (!d.datacenter.empty() && d.datacenter != core.options().datacenter) {
    return call.fail({500, "No path to datacenter"});
  }
  // As Consul's FSM: a ServiceID wins over a CheckID; neither removes the whole node.
  auto err = core.write(NeedsLeader::yes, [&](Store& s, std::uint64_t idx) {
    if (!d.service_id.empty()) {
      s.deregister_service(d.node, d.service_id, idx);
    } else if (!d.check_id.empty()) {
      s.deregister_check(d.node, d.check_id, idx);
    } else {
      s.deregister_node(d.node, idx);
    }
  });
  if (err) return call.fail(*err);
  call.json(true);
}

void list_nodes(Core& core, Call& call) {
  auto filters = node_meta_filters(call.req);
  core.read(call, [&](const Store& s) {
    ojson out = ojson::array();
    for (const Node* n : s.nodes()) {
      if (matches(*n, filters)) out.push_back(encode_node(*n));
    }
    return ReadResult::of(s.table_index(Table::nodes), out);
  });
}

void list_services(Core& core, Call& call) {
  auto filters = node_meta_filters(call.req);
  core.read(call, [&](const Store& s) {
    ojson out = ojson::object();
    if (filters.empty()) {
      for (const auto& [name, tags] : s.service_tags()) out[name] = tags;
    } else {
      std::map<std::string, std::vector<std::string>> tags_by_name;
      for (const Node* n : s.nodes()) {
        if (!matches(*n, filters)) continue;
        for (const Service* svc : s.services_on(n->name)) {
          auto& tags = tags_by_name[svc->name];
          for (const auto& t : svc->tags) {
            if (std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(t);
          }
        }
      }
      for (auto& [name, tags] : tags_by_name) {
        std::sort(tags.begin(), tags.end());
        out[name] = tags;
      }
    }
    return ReadResult::of(s.table_index(Table::services), out);
  });
}

void service_nodes(Core& core, Call& call) {
  if (call.rest.empty()) return call.fail({400, "Missing service name"});
  auto filters = node_meta_filters(call.req);
  auto tags = param_values(call.req, "tag");
  core.read(call, [&](const Store& s) {
    ojson out = ojson::array();
    for (const auto& [node, service] : s.instances(call.rest)) {
      if (matches(*node, filters) && has_tags(*service, tags)) {
        out.push_back(encode_service_node(*node, *service));
      }
    }
    return ReadResult::of(s.service_index(call.rest), out);
  });
}

void node_services(Core& core, Call& call) {
  if (call.rest.empty()) return call.fail({400, "Missing node name"});
  core.read(call, [&](const Store& s) {
    std::uint64_t index =
        std::max(s.table_index(Table::nodes), s.table_index(Table::services));
    const Node* n = s.node(call.rest);
    if (n == nullptr) return ReadResult::of(index, ojson(nullptr));  // Consul answers null
    ojson services = ojson::object();
    for (const Service* svc : s.services_on(n->name)) services[svc->id] = encode_node_service(*svc);
    return ReadResult::of(index, ojson{{"Node", encode_node(*n)}, {"Services", services}});
  });
}

}  // namespace

void add_catalog_routes(Router& router, Core& core) {
  router.add({"/v1/catalog/register", {"PUT"}, [&core](Call& c) { register_entity(core, c); }});
  router.add({"/v1/catalog/deregister", {"PUT"}, [&core](Call& c) { deregister_entity(core, c); }});
  router.add({"/v1/catalog/datacenters", {"GET"},
              [&core](Call& c) { c.json(ojson::array({core.options().datacenter})); },
              /*query_options=*/false, /*acl=*/false});
  router.add({"/v1/catalog/nodes", {"GET"}, [&core](Call& c) { list_nodes(core, c); }});
  router.add({"/v1/catalog/services", {"GET"}, [&core](Call& c) { list_services(core, c); }});
  router.add({"/v1/catalog/service/", {"GET"}, [&core](Call& c) { service_nodes(core, c); }});
  router.add({"/v1/catalog/node/", {"GET"}, [&core](Call& c) { node_services(core, c); }});
}

}  // namespace hcl::testing::cts
