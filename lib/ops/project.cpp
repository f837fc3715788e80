// Projects on the cluster: listing them, taking them down.
#include <hcl/ops/project.hpp>

#include <hcl/swarm/labels.hpp>

#include <fmt/format.h>

#include <charconv>
#include <map>
#include <set>
#include <thread>

namespace hcl::ops {
Result<std::vector<ProjectSummary>> list_projects(docker::Client& api) {
  auto state = api.cluster_state();
  if (!state) return state.error();
  auto networks = api.networks();
  if (!networks) return networks.error();
  std::map<std::string, ProjectSummary> by_name;
  std::map<std::string, std::string> project_of_service;
  for (const auto& s : state->services) {
    std::string p = swarm::project_of(s.spec.labels);
    if (p.empty()) continue;
    auto& sum = by_name[p];
    sum.name = p;
    ++sum.services;
    sum.desired += s.spec.replicas;
    project_of_service[s.id] = p;
  }
  for (const auto& t : state->tasks)
    if (auto it = project_of_service.find(t.service_id); it != project_of_service.end() && t.state == "running" &&
                                                          t.desired_state == "running")
      ++by_name[it->second].running;
  for (const auto& n : *networks)
    if (auto p = swarm::project_of(n.labels); !p.empty()) {
      by_name[p].name = p;
      ++by_name[p].networks;
    }
  std::vector<ProjectSummary> out;
  for (auto& [_, s] : by_name) out.push_back(s);
  return out;
}

Result<DownReport> down_project(docker::Client& api, const std::string& project, const WaitOptions& options) {
  auto cluster = api.stack_objects();
  if (!cluster) return cluster.error();
  const auto* services = &cluster->services;
  const auto* networks = &cluster->networks;
  DownReport report;
  for (const auto& s : *services) {
    if (!swarm::belongs_to(s.spec.labels, project)) continue;
    if (auto r = api.remove_service(s.id); !r && r.error().kind != ErrorKind::NotFound)
      return wrap(r.error(), fmt::format("removing service {}", s.spec.name));
    report.services.push_back(s.spec.name);
  }
  std::vector<std::string> nets;
  for (const auto& n : *networks)
    if (swarm::belongs_to(n.labels, project)) nets.push_back(n.name);
  for (const auto& [name, error] : remove_networks(api, nets, options.timeout)) {
    if (!error.empty())
      return Error{ErrorKind::Failed, fmt::format("removing network {}", name),
                   fmt::format("{} (the services were removed: run hcl down again)", error)};
    report.networks.push_back(name);
  }
  // As `docker stack rm`: the project's secrets and configs go too, once no service uses them.
  for (auto kind : {docker::FileObjectKind::Secret, docker::FileObjectKind::Config}) {
    auto objects = api.file_objects(kind);
    if (!objects) return objects.error();
    for (const auto& o : *objects) {
      if (!swarm::belongs_to(o.labels, project)) continue;
      if (auto r = api.remove_file_object(kind, o.id); !r && r.error().kind != ErrorKind::NotFound)
        return wrap(r.error(), fmt::format("removing {} {}", docker::to_string(kind), o.name));
      (kind == docker::FileObjectKind::Secret ? report.secrets : report.configs).push_back(o.name);
    }
  }
  return report;
}

std::vector<std::pair<std::string, std::string>> remove_networks(docker::Client& api, const std::vector<std::string>& names,
                                                              std::chrono::milliseconds patience) {
  std::vector<std::pair<std::string, std::string>> out;
  auto deadline = std::chrono::steady_clock::now() + patience;
  for (const auto& name : names) {
    for (;;) {
      auto r = api.remove_network(name);
      if (r || r.error().kind == ErrorKind::NotFound) {
        // The swarm has let go of it, but the manager's own copy stays listed (and a deploy
        // would take it for existing) until its local endpoints are gone: wait for that too.
        bool listed = true;
        while ((listed = api.network(name).ok()) && std::chrono::steady_clock::now() < deadline)
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
        out.emplace_back(name, listed ? "the engine still lists it" : "");
        break;
      }
      // The engine refuses while tasks of removed services still detach from the network.
      if (std::chrono::steady_clock::now() > deadline) {
        out.emplace_back(name, r.error().why);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  return out;
}

}  // namespace hcl::ops
