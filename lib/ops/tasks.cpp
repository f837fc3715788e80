#include <hcl/tasks.hpp>

#include <hcl/manifest.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace hcl::ops {

std::vector<TaskRow> task_rows(const docker::ClusterState& state, const TaskFilter& filter) {
  std::map<std::string, const docker::SwarmNode*> nodes;
  for (const auto& n : state.nodes) nodes[n.id] = &n;
  std::map<std::string, const docker::Service*> services;
  for (const auto& s : state.services) services[s.id] = &s;

  struct Keyed {
    TaskRow row;
    int slot;
  };
  std::vector<Keyed> rows;
  for (const auto& t : state.tasks) {
    auto svc = services.find(t.service_id);
    if (svc == services.end()) continue;  // a task of a service being removed
    const docker::Service& s = *svc->second;
    if (!filter.all && t.desired_state != "running") continue;
    if (filter.project) {
      auto p = s.spec.labels.find(manifest::kProjectLabel);
      if (p == s.spec.labels.end() || p->second != *filter.project) continue;
    }
    auto key = s.spec.labels.find(manifest::kServiceLabel);
    auto named = [&](const std::string& n) { return n == s.spec.name || (key != s.spec.labels.end() && n == key->second); };
    if (!filter.services.empty() && std::none_of(filter.services.begin(), filter.services.end(), named)) continue;
    auto node = nodes.find(t.node_id);
    std::string node_name = node != nodes.end() ? node->second->hostname : t.node_id;
    if (filter.node && node_name != *filter.node) continue;
    TaskRow r;
    r.name = fmt::format("{}.{}", s.spec.name, t.slot);
    r.service = s.spec.name;
    r.task_id = t.id;
    r.image = t.image.substr(0, t.image.find('@'));  // without the digest the engine pins
    r.node = node_name;
    r.desired_state = t.desired_state;
    r.state = t.state;
    r.message = t.error.empty() ? t.message : t.error;
    r.since = t.timestamp;
    for (const auto& p : s.spec.ports)
      r.ports.push_back(p.published ? fmt::format("{}->{}/{}", p.published, p.target, p.protocol)
                                    : fmt::format("{}/{}", p.target, p.protocol));
    if (docker::is_terminal(t.state)) r.exit_code = t.exit_code;  // a running task's 0 means nothing yet
    rows.push_back({std::move(r), t.slot});
  }
  std::sort(rows.begin(), rows.end(), [](const Keyed& a, const Keyed& b) {
    if (a.row.service != b.row.service) return a.row.service < b.row.service;
    if (a.slot != b.slot) return a.slot < b.slot;
    return a.row.since > b.row.since;
  });
  std::vector<TaskRow> out;
  out.reserve(rows.size());
  for (auto& k : rows) out.push_back(std::move(k.row));
  return out;
}

}  // namespace hcl::ops
