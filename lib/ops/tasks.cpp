#include <hcl/ops/tasks.hpp>

#include <hcl/swarm/labels.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string_view>

namespace hcl::ops {

TaskRows::TaskRows(const docker::ClusterState& state, const TaskFilter& filter) {
  std::map<std::string_view, const docker::SwarmNode*> nodes;
  for (const auto& n : state.nodes) nodes[n.id] = &n;
  std::map<std::string_view, const docker::Service*> services;
  for (const auto& s : state.services) services[s.id] = &s;

  for (const auto& t : state.tasks) {
    auto svc = services.find(t.service_id);
    if (svc == services.end()) continue;  // a task of a service being removed
    const docker::Service& s = *svc->second;
    if (!filter.all && t.desired_state != "running") continue;
    if (filter.project) {
      if (!swarm::belongs_to(s.spec.labels, *filter.project)) continue;
    }
    std::string key = swarm::label(s.spec.labels, swarm::kServiceLabel);
    auto named = [&](const std::string& n) { return n == s.spec.name || (!key.empty() && n == key); };
    if (!filter.services.empty() && std::none_of(filter.services.begin(), filter.services.end(), named)) continue;
    auto node = nodes.find(t.node_id);
    const std::string& node_name = node != nodes.end() ? node->second->hostname : t.node_id;
    if (filter.node && node_name != *filter.node) continue;
    picks_.push_back({&t, &s, &node_name});
  }
  std::sort(picks_.begin(), picks_.end(), [](const Pick& a, const Pick& b) {
    if (a.service->spec.name != b.service->spec.name) return a.service->spec.name < b.service->spec.name;
    if (a.task->slot != b.task->slot) return a.task->slot < b.task->slot;
    return a.task->timestamp > b.task->timestamp;
  });
}

TaskRow TaskRows::operator[](std::size_t i) const {
  const docker::Task& t = *picks_[i].task;
  const docker::Service& s = *picks_[i].service;
  TaskRow r;
  r.name = fmt::format("{}.{}", s.spec.name, t.slot);
  r.service = s.spec.name;
  r.task_id = t.id;
  r.image = t.image.substr(0, t.image.find('@'));  // without the digest the engine pins
  r.node = *picks_[i].node;
  r.desired_state = t.desired_state;
  r.state = t.state;
  r.message = t.error.empty() ? t.message : t.error;
  r.since = t.timestamp;
  for (const auto& port : s.spec.ports)
    r.ports.push_back(port.published ? fmt::format("{}->{}/{}", port.published, port.target, port.protocol)
                                     : fmt::format("{}/{}", port.target, port.protocol));
  if (docker::is_terminal(t.state)) r.exit_code = t.exit_code;  // a running task's 0 means nothing yet
  return r;
}

std::vector<TaskRow> task_rows(const docker::ClusterState& state, const TaskFilter& filter) {
  TaskRows rows(state, filter);
  std::vector<TaskRow> out;
  out.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) out.push_back(rows[i]);
  return out;
}

}  // namespace hcl::ops
