// Planning a deploy: the project compared with what the cluster runs.
#include <hcl/ops/plan.hpp>
#include <hcl/text.hpp>

#include <hcl/swarm/labels.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

namespace hcl::ops {
bool Plan::has_changes() const {
  auto changed = [](const auto& c) { return c.change != Change::Unchanged; };
  return std::any_of(networks.begin(), networks.end(), changed) || std::any_of(services.begin(), services.end(), changed);
}

std::string to_string(Change c) {
  switch (c) {
    case Change::Create: return "create";
    case Change::Update: return "update";
    case Change::Remove: return "remove";
    case Change::Unchanged: return "unchanged";
  }
  return "unchanged";
}

std::vector<std::string> spec_differences(const docker::ServiceSpec& a, const docker::ServiceSpec& b) {
  std::vector<std::string> d;
  auto diff = [&](bool differs, const char* name) {
    if (differs) d.emplace_back(name);
  };
  diff(a.image != b.image, "image");
  diff(a.command != b.command, "entrypoint");
  diff(a.args != b.args, "command");
  diff(a.env != b.env, "environment");
  diff(a.labels != b.labels, "labels");
  diff(a.container_labels != b.container_labels, "container labels");
  diff(a.workdir != b.workdir, "working_dir");
  diff(a.user != b.user, "user");
  diff(a.hostname != b.hostname, "hostname");
  diff(a.constraints != b.constraints, "placement");
  diff(a.networks != b.networks || a.network_aliases != b.network_aliases, "networks");
  diff(a.restart != b.restart || a.max_attempts != b.max_attempts || a.restart_delay != b.restart_delay ||
           a.restart_window != b.restart_window,
       "restart_policy");
  diff(a.replicas != b.replicas, "replicas");
  diff(a.endpoint_mode != b.endpoint_mode, "endpoint_mode");
  diff(a.ports != b.ports, "ports");
  diff(a.resources != b.resources, "resources");
  diff(a.update != b.update, "update_config");
  diff(a.healthcheck != b.healthcheck, "healthcheck");
  diff(a.mounts != b.mounts, "volumes");
  return d;
}

Result<Plan> plan_deploy(docker::Client& api, const manifest::Project& project, bool prune) {
  auto cluster = api.networks_and_services();  // at once: an unchanged deploy is these two answers
  if (!cluster) return cluster.error();
  const auto* networks = &cluster->networks;
  const auto* services = &cluster->services;

  Plan plan;
  plan.project = project.name;
  std::map<std::string, std::string> net_name_by_id;
  std::set<std::string> net_names;
  for (const auto& n : *networks) {
    net_name_by_id[n.id] = n.name;
    net_names.insert(n.name);
  }

  std::set<std::string> wanted_networks;
  for (const auto& n : project.networks) {
    wanted_networks.insert(n.name);
    if (n.external) {
      if (!net_names.count(n.name))
        return Error{ErrorKind::Usage, n.where.str(), fmt::format("external network {} does not exist", n.name)};
      continue;
    }
    plan.networks.push_back({net_names.count(n.name) ? Change::Unchanged : Change::Create, n.name, n.spec});
  }

  std::map<std::string, const docker::Service*> existing;
  for (const auto& s : *services) existing[s.spec.name] = &s;

  std::map<std::string, int> level;
  for (const auto& def : project.services) {
    int l = 0;
    for (const auto& dep : def.depends_on) l = std::max(l, level[dep] + 1);
    level[def.key] = l;

    ServiceChange c;
    c.key = def.key;
    c.name = def.spec.name;
    c.spec = def.spec;
    c.level = l;
    // As with `docker stack deploy`, a service answers to its manifest name on its networks
    // (with dnsrr, that name resolves to every replica).
    auto& aliases = c.spec->network_aliases;
    if (!c.spec->networks.empty() && std::find(aliases.begin(), aliases.end(), def.key) == aliases.end())
      aliases.insert(aliases.begin(), def.key);
    auto it = existing.find(def.spec.name);
    if (it == existing.end()) {
      c.change = Change::Create;
    } else {
      const docker::Service& cur = *it->second;
      if (!swarm::belongs_to(cur.spec.labels, project.name))
        return Error{ErrorKind::Conflict, def.where.str(),
                     fmt::format("a service named {} exists and does not belong to project {}", def.spec.name, project.name)};
      // The engine keeps network IDs where the spec named networks.
      docker::ServiceSpec current = cur.spec;
      for (auto& n : current.networks)
        if (auto name = net_name_by_id.find(n); name != net_name_by_id.end()) n = name->second;
      c.fields = spec_differences(current, *c.spec);
      c.change = c.fields.empty() ? Change::Unchanged : Change::Update;
      c.id = cur.id;
      c.version = cur.version;
    }
    plan.services.push_back(std::move(c));
  }

  if (prune) {
    std::set<std::string> wanted;
    for (const auto& def : project.services) wanted.insert(def.spec.name);
    for (const auto& s : *services) {
      if (!swarm::belongs_to(s.spec.labels, project.name) || wanted.count(s.spec.name)) continue;
      ServiceChange c;
      c.change = Change::Remove;
      c.key = swarm::label(s.spec.labels, swarm::kServiceLabel);
      if (c.key.empty()) c.key = s.spec.name;
      c.name = s.spec.name;
      c.id = s.id;
      plan.services.push_back(std::move(c));
    }
    for (const auto& n : *networks) {
      if (!swarm::belongs_to(n.labels, project.name) || wanted_networks.count(n.name)) continue;
      plan.networks.push_back({Change::Remove, n.name, std::nullopt});
    }
  }
  return plan;
}

}  // namespace hcl::ops
