// Projects on the cluster: scaling their services by name, listing them, taking them down.
#include <hcl/deploy.hpp>

#include <fmt/format.h>

#include <charconv>
#include <map>
#include <set>
#include <thread>

namespace hcl::ops {
namespace {

std::string label(const docker::Labels& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

}  // namespace

Result<ScaleRequest> parse_scale(std::string_view text) {
  auto bad = [&](std::string why) { return Error{ErrorKind::Usage, fmt::format("'{}'", text), std::move(why)}; };
  auto eq = text.find('=');
  if (eq == std::string_view::npos) return bad("expected SERVICE=REPLICAS, like demo-hostname=10");
  ScaleRequest r;
  r.service = std::string(text.substr(0, eq));
  std::string_view n = text.substr(eq + 1);
  if (r.service.empty()) return bad("no service name before '='");
  if (n.empty()) return bad("no number of replicas after '='");
  auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), r.replicas);
  if (ec != std::errc() || p != n.data() + n.size() || n.front() == '-' || n.front() == '+')
    return bad(fmt::format("'{}' is not a number of replicas (0 or more)", n));
  if (r.replicas > 10000) return bad("at most 10000 replicas");
  return r;
}

Result<std::vector<ResolvedService>> resolve_services(docker::Client& api, const std::vector<std::string>& names,
                                                      const std::optional<std::string>& project) {
  auto services = api.services();
  if (!services) return services.error();
  std::vector<ResolvedService> out;
  std::vector<std::string> unknown;
  for (const auto& name : names) {
    std::vector<const docker::Service*> matches;
    for (const auto& s : *services) {
      std::string proj = label(s.spec.labels, manifest::kProjectLabel);
      if (project && proj != *project) continue;
      if (s.spec.name == name || label(s.spec.labels, manifest::kServiceLabel) == name ||
          (!proj.empty() && s.spec.name == proj + "_" + name))
        matches.push_back(&s);
    }
    // An exact engine name wins over manifest keys of other projects.
    auto exact = std::find_if(matches.begin(), matches.end(), [&](const auto* s) { return s->spec.name == name; });
    if (exact != matches.end()) matches = {*exact};
    if (matches.empty()) {
      unknown.push_back(name);
    } else if (matches.size() > 1) {
      std::string which;
      for (const auto* s : matches) which += (which.empty() ? "" : ", ") + s->spec.name;
      return Error{ErrorKind::Usage, fmt::format("service {}", name), fmt::format("ambiguous: {}; name one or use -p", which)};
    } else {
      out.push_back({matches.front()->spec.name, matches.front()->id});
    }
  }
  if (!unknown.empty()) {
    std::string list;
    for (const auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
    return Error{ErrorKind::Usage, fmt::format("service {}", list),
                 project ? fmt::format("no such service in project {}", *project) : "no such service"};
  }
  return out;
}

Result<std::vector<ProjectSummary>> list_projects(docker::Client& api) {
  auto state = api.cluster_state();
  if (!state) return state.error();
  auto networks = api.networks();
  if (!networks) return networks.error();
  std::map<std::string, ProjectSummary> by_name;
  std::map<std::string, std::string> project_of_service;
  for (const auto& s : state->services) {
    std::string p = label(s.spec.labels, manifest::kProjectLabel);
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
    if (auto p = label(n.labels, manifest::kProjectLabel); !p.empty()) {
      by_name[p].name = p;
      ++by_name[p].networks;
    }
  std::vector<ProjectSummary> out;
  for (auto& [_, s] : by_name) out.push_back(s);
  return out;
}

Result<DownReport> down_project(docker::Client& api, const std::string& project, const WaitOptions& options) {
  auto cluster = api.networks_and_services();
  if (!cluster) return cluster.error();
  const auto* services = &cluster->services;
  const auto* networks = &cluster->networks;
  DownReport report;
  for (const auto& s : *services) {
    if (label(s.spec.labels, manifest::kProjectLabel) != project) continue;
    if (auto r = api.remove_service(s.id); !r && r.error().kind != ErrorKind::NotFound)
      return wrap(r.error(), fmt::format("removing service {}", s.spec.name));
    report.services.push_back(s.spec.name);
  }
  std::vector<std::string> nets;
  for (const auto& n : *networks)
    if (label(n.labels, manifest::kProjectLabel) == project) nets.push_back(n.name);
  for (const auto& [name, error] : remove_networks(api, nets, options.timeout)) {
    if (!error.empty())
      return Error{ErrorKind::Failed, fmt::format("removing network {}", name),
                   fmt::format("{} (the services were removed: run hcl down again)", error)};
    report.networks.push_back(name);
  }
  return report;
}

}  // namespace hcl::ops
