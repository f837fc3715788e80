// Planning and applying a deploy.
#include <hcl/deploy.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

namespace hcl::ops {
namespace {

std::string join(const std::vector<std::string>& parts, const char* sep = ", ") {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

}  // namespace

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
      auto owner = cur.spec.labels.find(manifest::kProjectLabel);
      if (owner == cur.spec.labels.end() || owner->second != project.name)
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
      auto owner = s.spec.labels.find(manifest::kProjectLabel);
      if (owner == s.spec.labels.end() || owner->second != project.name || wanted.count(s.spec.name)) continue;
      ServiceChange c;
      c.change = Change::Remove;
      auto key = s.spec.labels.find(manifest::kServiceLabel);
      c.key = key != s.spec.labels.end() ? key->second : s.spec.name;
      c.name = s.spec.name;
      c.id = s.id;
      plan.services.push_back(std::move(c));
    }
    for (const auto& n : *networks) {
      auto owner = n.labels.find(manifest::kProjectLabel);
      if (owner == n.labels.end() || owner->second != project.name || wanted_networks.count(n.name)) continue;
      plan.networks.push_back({Change::Remove, n.name, std::nullopt});
    }
  }
  return plan;
}

Status apply_plan(docker::Client& api, const Plan& plan, const ApplyProgress& progress) {
  std::vector<std::string> applied, failed, pending;
  auto say = [&](const std::string& s) {
    if (progress.line) progress.line(s);
  };
  auto stop = [&](const Error& first) -> Status {
    std::string why = first.message();
    if (!applied.empty()) why += "; applied: " + join(applied);
    if (!failed.empty()) why += "; failed: " + join(failed);
    if (!pending.empty()) why += "; not attempted: " + join(pending);
    why += ". Run the deploy again once the cause is fixed: it picks up from here.";
    return Error{first.kind, fmt::format("deploying project {}", plan.project), why};
  };

  for (const auto& n : plan.networks) {
    if (n.change != Change::Create) continue;
    auto r = api.create_network(*n.spec);
    if (!r && r.error().kind != ErrorKind::Conflict) {
      failed.push_back("network " + n.name);
      for (const auto& s : plan.services)
        if (s.change != Change::Unchanged) pending.push_back("service " + s.name);
      return stop(r.error());
    }
    applied.push_back("network " + n.name);
    say(fmt::format("created network {}", n.name));
  }

  int max_level = 0;
  for (const auto& s : plan.services) max_level = std::max(max_level, s.level);
  for (int l = 0; l <= max_level; ++l) {
    std::vector<const ServiceChange*> batch;
    std::vector<docker::ServiceWrite> writes;
    for (const auto& s : plan.services) {
      if (s.level != l || (s.change != Change::Create && s.change != Change::Update)) continue;
      batch.push_back(&s);
      writes.push_back({s.change == Change::Update ? s.id : "", s.version, *s.spec});
    }
    if (writes.empty()) continue;
    auto results = api.write_services(writes);
    std::optional<Error> first;
    for (size_t i = 0; i < results.size(); ++i) {
      const auto& s = *batch[i];
      std::string what = fmt::format("{} service {}", s.change == Change::Create ? "created" : "updated", s.name);
      if (results[i]) {
        applied.push_back(fmt::format("service {} ({})", s.name, to_string(s.change)));
        say(s.change == Change::Update ? fmt::format("{} ({})", what, join(s.fields)) : what);
      } else {
        failed.push_back(fmt::format("service {} ({})", s.name, results[i].error().why));
        if (!first) first = results[i].error();
      }
    }
    if (first) {
      for (const auto& s : plan.services)
        if (s.level > l && s.change != Change::Unchanged) pending.push_back("service " + s.name);
      return stop(*first);
    }
  }

  for (const auto& s : plan.services) {
    if (s.change != Change::Remove) continue;
    if (auto r = api.remove_service(s.id); !r && r.error().kind != ErrorKind::NotFound) {
      failed.push_back("removing service " + s.name);
      return stop(r.error());
    }
    applied.push_back("removed service " + s.name);
    say(fmt::format("removed service {}", s.name));
  }
  std::vector<std::string> nets;
  for (const auto& n : plan.networks)
    if (n.change == Change::Remove) nets.push_back(n.name);
  for (const auto& [name, error] : remove_networks(api, nets, std::chrono::seconds(20))) {
    // Still in use by another stack's tasks, say: not a failure of this deploy; said, and left
    // for the next run.
    if (error.empty()) say(fmt::format("removed network {}", name));
    else say(fmt::format("network {} not removed: {}", name, error));
  }
  return ok();
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
