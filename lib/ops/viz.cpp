#include <hcl/ops/viz.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace hcl::ops {
namespace {

// "node2" before "node10": runs of digits compare as numbers.
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      size_t i0 = i, j0 = j;
      while (i < a.size() && digit(a[i])) ++i;
      while (j < b.size() && digit(b[j])) ++j;
      auto x = a.substr(i0, i - i0), y = b.substr(j0, j - j0);
      x.erase(0, std::min(x.find_first_not_of('0'), x.size()));
      y.erase(0, std::min(y.find_first_not_of('0'), y.size()));
      if (x.size() != y.size()) return x.size() < y.size();
      if (x != y) return x < y;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i, ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

}  // namespace

std::string VizTask::label() const { return slot > 0 ? fmt::format("{}.{}", service, slot) : service; }

Picture build_picture(const docker::ClusterState& state) {
  Picture p;
  std::vector<const docker::SwarmNode*> nodes;
  for (const auto& n : state.nodes) nodes.push_back(&n);
  std::sort(nodes.begin(), nodes.end(), [](const auto* a, const auto* b) {
    if (a->role != b->role) return a->role == docker::NodeRole::Manager;
    return natural_less(a->hostname, b->hostname);
  });
  std::map<std::string, size_t> node_at;
  for (const auto* n : nodes) {
    VizNode v;
    v.name = n->hostname;
    v.role = docker::to_string(n->role);
    v.state = docker::to_string(n->state);
    if (n->availability != docker::NodeAvailability::Active) v.state += ", " + docker::to_string(n->availability);
    v.architecture = n->architecture;
    v.leader = n->leader;
    node_at[n->id] = p.nodes.size();
    p.nodes.push_back(std::move(v));
  }

  std::vector<const docker::Service*> services;
  for (const auto& s : state.services) services.push_back(&s);
  std::sort(services.begin(), services.end(), [](const auto* a, const auto* b) { return a->spec.name < b->spec.name; });
  std::map<std::string, size_t> service_at;
  for (const auto* s : services) {
    service_at[s->id] = p.services.size();
    p.services.push_back({s->spec.name, p.services.size() % kVizColors, 0, 0});
  }

  for (const auto& t : state.tasks) {
    if (t.desired_state != "running") continue;
    auto s = service_at.find(t.service_id);
    if (s == service_at.end()) continue;  // a task of a service being removed
    VizService& svc = p.services[s->second];
    ++svc.tasks;
    if (t.state == "running") ++svc.running;
    VizTask task{svc.name, t.slot, t.state, svc.color};
    auto n = node_at.find(t.node_id);
    (n == node_at.end() ? p.unplaced : p.nodes[n->second].tasks).push_back(std::move(task));
  }
  auto by_label = [](const VizTask& a, const VizTask& b) {
    return a.service != b.service ? a.service < b.service : a.slot < b.slot;
  };
  for (auto& n : p.nodes) std::sort(n.tasks.begin(), n.tasks.end(), by_label);
  std::sort(p.unplaced.begin(), p.unplaced.end(), by_label);
  return p;
}

}  // namespace hcl::ops
