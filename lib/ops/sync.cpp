// Registering the swarm's running tasks with Consul's catalog (see include/hcl/sync.hpp).
#include <hcl/swarm/labels.hpp>
#include <hcl/ops/run.hpp>
#include <hcl/ops/sync.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <future>
#include <map>
#include <set>
#include <tuple>

namespace hcl::ops {
namespace {

std::vector<std::string> split_tags(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string t = text.substr(start, end - start);
    t.erase(0, t.find_first_not_of(" \t"));
    t.erase(t.find_last_not_of(" \t") + 1);
    if (!t.empty() && std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
    start = end + 1;
  }
  return out;
}

bool in_scope(const SyncScope& scope, const std::string& project, const std::string& service) {
  if (scope.project && project != *scope.project) return false;
  return scope.services.empty() ||
         std::find(scope.services.begin(), scope.services.end(), service) != scope.services.end();
}

// What identifies a registration's content; node_address and the check definition are left out
// because Consul answers them from elsewhere (the node's own address, the check listing).
bool same_registration(const consul::ServiceInstance& a, const consul::ServiceInstance& b) {
  return a.node == b.node && a.id == b.id && a.name == b.name && a.address == b.address && a.port == b.port &&
         a.tags == b.tags && a.meta == b.meta && a.check_status == b.check_status && a.check_output == b.check_output;
}

// How a service is registered, or why it is not.
struct Registration {
  std::string name;
  int port = 0;
  std::vector<std::string> tags;
  std::string network;  // empty: the first address that is not on the ingress network
};

Result<Registration> registration_of(const docker::Service& s) {
  const auto& labels = s.spec.labels;
  Registration r;
  r.name = swarm::label(labels, kConsulNameLabel);
  if (r.name.empty()) r.name = s.spec.name;
  r.tags = split_tags(swarm::label(labels, kConsulTagsLabel));
  r.network = swarm::label(labels, kConsulNetworkLabel);
  std::string port = swarm::label(labels, kConsulPortLabel);
  if (!port.empty()) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), r.port);
    if (ec != std::errc{} || end != port.data() + port.size() || r.port < 1 || r.port > 65535)
      return Error{ErrorKind::Usage, fmt::format("label {}={} of service {}", kConsulPortLabel, port, s.spec.name),
                   "not a port number (1-65535)"};
  } else if (!s.spec.ports.empty()) {
    r.port = s.spec.ports.front().target;
  } else {
    return Error{ErrorKind::Usage, fmt::format("service {}", s.spec.name),
                 fmt::format("no port to register: it declares none; set the label {}", kConsulPortLabel)};
  }
  return r;
}

std::string address_of(const docker::Task& t, const std::string& network) {
  for (std::size_t k = 0; k < t.addresses.size(); ++k) {
    const std::string& net = k < t.address_networks.size() ? t.address_networks[k] : std::string();
    if (network.empty() ? net != "ingress" : net == network) return t.addresses[k].substr(0, t.addresses[k].find('/'));
  }
  return {};
}

// The registration of one running task, on the external node that stands for its swarm node.
consul::ServiceInstance instance_of(const docker::Service& s, const docker::Task& t, const docker::SwarmNode& node,
                                    const Registration& reg, const std::string& project, const std::string& address) {
  consul::ServiceInstance i;
  i.node = kNodePrefix + node.hostname;
  i.node_address = node.address;
  i.node_meta = {{"external-node", "true"}, {"external-probe", "false"}, {"hcl-swarm-node", node.hostname}};
  i.id = kInstancePrefix + t.id;
  i.name = reg.name;
  i.address = address;
  i.port = reg.port;
  i.tags = reg.tags;
  i.meta = {{"hcl-task", t.id}, {"hcl-service", s.spec.name}, {"hcl-project", project}, {"hcl-node", node.hostname}};
  i.check_id = "service:" + i.id;
  i.check_name = "swarm task running";
  i.check_status = consul::CheckStatus::Passing;
  i.check_output = fmt::format("task {}.{} ({}) is running on {}", s.spec.name, t.slot, t.id.substr(0, 12), node.hostname);
  i.check_tcp = fmt::format("{}:{}", address, reg.port);
  return i;
}

// The cluster's tasks, looked up by service and by ID.
struct TaskIndex {
  std::map<std::string, const docker::SwarmNode*> node_by_id;
  std::map<std::string, std::vector<const docker::Task*>> tasks_of_service;
  std::map<std::string, const docker::Task*> task_by_id;

  explicit TaskIndex(const docker::ClusterState& cluster) {
    for (const auto& n : cluster.nodes) node_by_id[n.id] = &n;
    for (const auto& t : cluster.tasks) {
      tasks_of_service[t.service_id].push_back(&t);
      task_by_id[t.id] = &t;
    }
  }
};

// The registrations the scope's running tasks should have, by instance ID; services and tasks
// that cannot be registered go to plan.skipped, with the reason.
std::map<std::string, consul::ServiceInstance> wanted_instances(const docker::ClusterState& cluster, const TaskIndex& index,
                                                                const SyncScope& scope, SyncPlan& plan) {
  std::map<std::string, consul::ServiceInstance> wanted;
  if (scope.remove_all) return wanted;
  for (const auto& s : cluster.services) {
    const std::string project = swarm::project_of(s.spec.labels);
    if (!in_scope(scope, project, s.spec.name)) continue;
    if (swarm::label(s.spec.labels, kConsulLabel) == "false" || swarm::label(s.spec.labels, kRunLabel) == "once") continue;
    auto reg = registration_of(s);
    if (!reg) {
      plan.skipped.push_back(fmt::format("{}: {}", s.spec.name, reg.error().why));
      continue;
    }
    auto tasks = index.tasks_of_service.find(s.id);
    if (tasks == index.tasks_of_service.end()) continue;
    for (const docker::Task* t : tasks->second) {
      if (t->state != "running" || t->desired_state != "running") continue;
      auto node = index.node_by_id.find(t->node_id);
      if (node == index.node_by_id.end()) continue;  // a node being removed: its task goes too
      std::string address = address_of(*t, reg->network);
      if (address.empty()) {
        plan.skipped.push_back(fmt::format("{}.{}: the task has no address{}", s.spec.name, t->slot,
                                           reg->network.empty() ? "" : " on network " + reg->network));
        continue;
      }
      auto i = instance_of(s, *t, *node->second, *reg, project, address);
      plan.task_since[t->id] = t->timestamp;
      wanted.emplace(i.id, std::move(i));
    }
  }
  return wanted;
}

// When a task's registration became stale: since it stopped, or since the swarm decided to stop
// it (UpdatedAt), whichever came first (both RFC 3339 in UTC from the same engine, so they
// compare as text).
std::string gone_since(const docker::Task& task) {
  bool stopping = task.state == "running" || task.updated_at.empty();
  return stopping && !task.updated_at.empty() ? task.updated_at : task.timestamp;
}

}  // namespace

SyncPlan plan_sync(const docker::ClusterState& cluster, const std::vector<consul::ServiceInstance>& registered,
                   const SyncScope& scope) {
  SyncPlan plan;
  TaskIndex index(cluster);
  auto wanted = wanted_instances(cluster, index, scope, plan);
  // What is registered already: unchanged (no longer wanted as an addition), or to remove.
  std::set<std::string> seen;
  for (const auto& r : registered) {
    auto meta = [&](const char* k) { return r.meta.count(k) ? r.meta.at(k) : std::string(); };
    if (!in_scope(scope, meta("hcl-project"), meta("hcl-service"))) continue;
    auto w = wanted.find(r.id);
    if (w == wanted.end() || w->second.node != r.node) {
      plan.remove.push_back(r);
      if (auto t = index.task_by_id.find(meta("hcl-task")); t != index.task_by_id.end())
        plan.task_since[t->first] = gone_since(*t->second);
    } else if (seen.insert(r.id).second && same_registration(w->second, r)) {
      ++plan.unchanged;
      wanted.erase(w);
    }
  }
  for (auto& [id, i] : wanted) plan.add.push_back(std::move(i));
  auto by_place = [](const consul::ServiceInstance& a, const consul::ServiceInstance& b) {
    return std::tie(a.name, a.node, a.address, a.id) < std::tie(b.name, b.node, b.address, b.id);
  };
  std::sort(plan.add.begin(), plan.add.end(), by_place);
  std::sort(plan.remove.begin(), plan.remove.end(), by_place);
  return plan;
}

Result<std::vector<consul::ServiceInstance>> registered_instances(consul::Client& consul) {
  auto checks = consul.checks_in_state("any");
  if (!checks) return checks.error();
  std::set<std::string> names;
  std::map<std::pair<std::string, std::string>, const consul::HealthCheck*> check_of;
  for (const auto& c : *checks) {
    if (c.service_id.rfind(kInstancePrefix, 0) != 0) continue;
    names.insert(c.service_name);
    check_of[{c.node, c.service_id}] = &c;
  }
  if (names.empty()) return std::vector<consul::ServiceInstance>{};
  auto all = consul.service_instances({names.begin(), names.end()});
  if (!all) return all.error();
  std::vector<consul::ServiceInstance> out;
  for (auto& i : *all) {
    if (i.id.rfind(kInstancePrefix, 0) != 0 || !i.meta.count("hcl-task")) continue;
    if (auto c = check_of.find({i.node, i.id}); c != check_of.end()) {
      i.check_id = c->second->check_id;
      i.check_name = c->second->name;
      i.check_status = c->second->status;
      i.check_output = c->second->output;
    }
    out.push_back(std::move(i));
  }
  return out;
}

Result<SyncResult> sync_once(docker::Client& docker, consul::Client& consul, const SyncScope& scope) {
  auto consul_side = std::async(std::launch::async, [&consul] { return registered_instances(consul); });
  auto cluster = docker.cluster_state();
  auto registered = consul_side.get();
  if (!cluster) return cluster.error();
  if (!registered) return registered.error();
  SyncResult result{plan_sync(*cluster, *registered, scope), {}};
  auto& plan = result.plan;
  if (!plan.add.empty()) {
    auto written = consul.register_instances(plan.add);
    for (std::size_t k = 0; k < written.size(); ++k)
      if (!written[k]) result.failed.push_back({plan.add[k], false, written[k].error()});
  }
  if (!plan.remove.empty()) {
    auto written = consul.deregister_instances(plan.remove);
    for (std::size_t k = 0; k < written.size(); ++k)
      if (!written[k]) result.failed.push_back({plan.remove[k], true, written[k].error()});
    // External nodes hcl made that nothing is registered on any more go too.
    std::set<std::string> emptied;
    for (const auto& r : plan.remove)
      if (r.node.rfind(kNodePrefix, 0) == 0 && r.node_meta.count("hcl-swarm-node")) emptied.insert(r.node);
    for (const auto& n : emptied) {
      auto count = consul.node_service_count(n);
      if (count && *count == 0 && consul.deregister_node(n)) result.nodes_removed.push_back(n);
    }
  }
  return result;
}

}  // namespace hcl::ops
