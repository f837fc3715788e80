// Planning a deploy: the project compared with what the cluster runs.
#include <hcl/ops/plan.hpp>

#include <hcl/swarm/labels.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace hcl::ops {

bool Plan::has_changes() const {
  auto changed = [](const auto& c) { return c.change != Change::Unchanged; };
  return std::any_of(networks.begin(), networks.end(), changed) || std::any_of(files.begin(), files.end(), changed) ||
         std::any_of(services.begin(), services.end(), changed);
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
  diff(a.groups != b.groups, "group_add");
  diff(a.hostname != b.hostname, "hostname");
  diff(a.privileges != b.privileges, "security_opt");
  diff(a.init != b.init, "init");
  diff(a.tty != b.tty, "tty");
  diff(a.open_stdin != b.open_stdin, "stdin_open");
  diff(a.read_only != b.read_only, "read_only");
  diff(a.mounts != b.mounts, "volumes");
  diff(a.stop_signal != b.stop_signal, "stop_signal");
  diff(a.stop_grace_period != b.stop_grace_period, "stop_grace_period");
  diff(a.healthcheck != b.healthcheck, "healthcheck");
  diff(a.hosts != b.hosts, "extra_hosts");
  diff(a.dns != b.dns, "dns");
  diff(a.secrets != b.secrets, "secrets");
  diff(a.configs != b.configs, "configs");
  diff(a.isolation != b.isolation, "isolation");
  diff(a.sysctls != b.sysctls, "sysctls");
  diff(a.capability_add != b.capability_add || a.capability_drop != b.capability_drop, "cap_add/cap_drop");
  diff(a.ulimits != b.ulimits, "ulimits");
  diff(a.oom_score_adj != b.oom_score_adj, "oom_score_adj");
  diff(a.resources != b.resources, "resources");
  diff(a.restart != b.restart, "restart_policy");
  diff(a.constraints != b.constraints || a.spread != b.spread || a.max_replicas_per_node != b.max_replicas_per_node,
       "placement");
  diff(a.networks != b.networks, "networks");
  diff(a.log_driver != b.log_driver, "logging");
  diff(a.mode != b.mode, "mode");
  diff(a.replicas != b.replicas || a.max_concurrent != b.max_concurrent, "replicas");
  diff(a.update != b.update, "update_config");
  diff(a.rollback != b.rollback, "rollback_config");
  diff(a.endpoint_mode != b.endpoint_mode, "endpoint_mode");
  diff(a.ports != b.ports, "ports");
  return d;
}

namespace {

// Every use of a feature the engine's API version lacks, as one error listing each at its key.
Status check_features(const docker::Client& api, const std::string& version, const manifest::Project& project) {
  std::vector<std::pair<manifest::Location, std::string>> problems;
  for (const auto& def : project.services) {
    for (docker::Feature f : docker::features_used(def.spec)) {
      auto info = docker::feature_info(f);
      if (docker::compare_api_versions(version, info.api) >= 0) continue;
      auto use = std::find_if(def.features.begin(), def.features.end(), [&](const auto& u) { return u.feature == f; });
      std::string key = use != def.features.end() ? use->key : info.field;
      problems.emplace_back(use != def.features.end() ? use->where : def.where,
                            fmt::format("{} needs Docker Engine API {} (Docker {}); the engine at {} speaks API {}", key,
                                        info.api, info.release, api.endpoint(), version));
    }
  }
  if (problems.empty()) return ok();
  Error e{ErrorKind::Usage, problems.front().first.str(), problems.front().second};
  for (std::size_t i = 1; i < problems.size(); ++i)
    e.why += fmt::format("\n{}: {}", problems[i].first.str(), problems[i].second);
  return e;
}

std::string content_digest(const manifest::FileObjectDef& def) {
  return text::sha256_hex(def.driver.empty() ? def.data : "driver:" + def.driver);
}

// The object for a secret's or config's content: the one hcl made for the same digest, or (for a
// config, whose data the engine gives back) one of the same name and data; else a new one.
struct FileObjects {
  std::vector<docker::FileObject> existing;

  const docker::FileObject* same_content(const manifest::FileObjectDef& def, const std::string& digest) const {
    for (const auto& o : existing) {
      if (o.labels.count(kDigestLabel) && o.labels.at(kDigestLabel) == digest &&
          swarm::label(o.labels, kFileKeyLabel) == def.key && (o.name == def.name || o.name.starts_with(def.name + "_")))
        return &o;
      if (def.kind == docker::FileObjectKind::Config && o.name == def.name && o.data == def.data && def.driver.empty())
        return &o;
    }
    return nullptr;
  }
  bool taken(const std::string& name) const {
    return std::any_of(existing.begin(), existing.end(), [&](const auto& o) { return o.name == name; });
  }
};

// What a secret or config needs: the existing object (external, or the same content), or a new
// one; then the project's older versions of it, to remove once the services have moved.
Status plan_file_objects(docker::FileObjectKind kind, const std::vector<manifest::FileObjectDef>& defs,
                         std::vector<docker::FileObject> listed, const std::string& project, Plan& plan) {
  FileObjects objects{std::move(listed)};
  for (const auto& def : defs) {
    FileObjectChange c;
    c.kind = kind;
    c.key = def.key;
    if (def.external) {
      auto it = std::find_if(objects.existing.begin(), objects.existing.end(), [&](const auto& o) { return o.name == def.name; });
      if (it == objects.existing.end())
        return Error{ErrorKind::Usage, def.where.str(),
                     fmt::format("external {} {} does not exist", docker::to_string(kind), def.name)};
      c.name = it->name;
      c.id = it->id;
      plan.files.push_back(std::move(c));
      continue;
    }
    std::string digest = content_digest(def);
    c.digest = digest;
    if (const auto* same = objects.same_content(def, digest)) {
      c.name = same->name;
      c.id = same->id;
    } else {
      c.change = Change::Create;
      c.name = objects.taken(def.name) ? fmt::format("{}_{}", def.name, digest.substr(0, 12)) : def.name;
      docker::FileObjectSpec spec{c.name, def.labels, def.data, def.driver, def.driver_options, def.template_driver};
      spec.labels[kFileKeyLabel] = def.key;
      spec.labels[kDigestLabel] = digest;
      c.spec = std::move(spec);
    }
    for (const auto& o : objects.existing)
      if (o.name != c.name && swarm::belongs_to(o.labels, project) && swarm::label(o.labels, kFileKeyLabel) == def.key &&
          o.labels.count(kDigestLabel))
        plan.files.push_back({Change::Remove, kind, def.key, o.name, o.id, std::nullopt});
    plan.files.push_back(std::move(c));
  }
  return ok();
}

// References to secrets or configs in the order hcl sends them.
void sort_by_name(std::vector<docker::FileReference>& refs) {
  std::stable_sort(refs.begin(), refs.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
}

// The service's references to secrets and configs, by the names and IDs the plan chose.
void resolve_references(docker::ServiceSpec& spec, const manifest::Project& project, const Plan& plan) {
  auto resolve = [&](std::vector<docker::FileReference>& refs, docker::FileObjectKind kind,
                     const std::vector<manifest::FileObjectDef>& defs) {
    for (auto& r : refs) {
      auto def = std::find_if(defs.begin(), defs.end(), [&](const auto& d) { return d.name == r.name; });
      if (def == defs.end()) continue;
      for (const auto& c : plan.files)
        if (c.kind == kind && c.key == def->key && c.change != Change::Remove) r.name = c.name, r.id = c.id;
    }
    sort_by_name(refs);
  };
  resolve(spec.secrets, docker::FileObjectKind::Secret, project.secrets);
  resolve(spec.configs, docker::FileObjectKind::Config, project.configs);
}

void plan_networks(const manifest::Project& project, const std::vector<docker::Network>& networks, Plan& plan,
                   std::set<std::string>& wanted) {
  std::map<std::string, std::string> ids;
  for (const auto& n : networks) ids.emplace(n.name, n.id);
  for (const auto& n : project.networks) {
    wanted.insert(n.name);
    auto id = ids.find(n.name);
    plan.network_ids.push_back({n.name, id != ids.end() ? id->second : ""});
    if (!n.external) plan.networks.push_back({id != ids.end() ? Change::Unchanged : Change::Create, n.name, n.spec});
  }
}

Status check_external_networks(const manifest::Project& project, const std::vector<docker::Network>& networks) {
  for (const auto& n : project.networks) {
    bool found = n.name == "host" ||
                 std::any_of(networks.begin(), networks.end(), [&](const auto& x) { return x.name == n.name; });
    if (n.external && !found)
      return Error{ErrorKind::Usage, n.where.str(), fmt::format("external network {} does not exist", n.name)};
  }
  return ok();
}

// The refs label is not compared: the current one stands until the spec is sent again (apply
// writes a new one).
void keep_refs_label(const docker::ServiceSpec& current, docker::ServiceSpec& desired) {
  if (auto l = current.labels.find(kRefsLabel); l != current.labels.end()) desired.labels[kRefsLabel] = l->second;
  else desired.labels.erase(kRefsLabel);
}

// The checks every plan makes before it compares services.
Status check_service(const manifest::ServiceDef& def, const manifest::Project& project, const docker::Service& cur) {
  if (!swarm::belongs_to(cur.spec.labels, project.name))
    return Error{ErrorKind::Conflict, def.where.str(),
                 fmt::format("a service named {} exists and does not belong to project {}", def.spec.name, project.name)};
  if (cur.spec.mode != def.spec.mode)
    return Error{ErrorKind::Conflict, def.where.str(),
                 fmt::format("service {} runs in {} mode and the manifest asks for {}: the swarm cannot change a "
                             "service's mode; remove it first (hcl rm {}) and deploy again",
                             def.spec.name, docker::to_string(cur.spec.mode), docker::to_string(def.spec.mode), def.spec.name)};
  return ok();
}

// One service of the manifest against the cluster's service of the same name, if any.
Result<ServiceChange> plan_service(const manifest::ServiceDef& def, const manifest::Project& project, const Plan& plan,
                                   const std::map<std::string, const docker::Service*>& existing,
                                   const std::map<std::string, std::string>& net_name_by_id) {
  ServiceChange c;
  c.key = def.key;
  c.name = def.spec.name;
  c.spec = def.spec;
  resolve_references(*c.spec, project, plan);
  auto it = existing.find(def.spec.name);
  if (it == existing.end()) {
    c.change = Change::Create;
    return c;
  }
  const docker::Service& cur = *it->second;
  if (auto s = check_service(def, project, cur); !s) return s.error();
  // The engine keeps network IDs where the spec named networks.
  docker::ServiceSpec current = cur.spec;
  for (auto& n : current.networks)
    if (auto name = net_name_by_id.find(n.target); name != net_name_by_id.end()) n.target = name->second;
  std::stable_sort(current.networks.begin(), current.networks.end(), [](const auto& a, const auto& b) { return a.target < b.target; });
  c.spec->force_update = current.force_update;  // as docker stack deploy: kept, never reset
  keep_refs_label(cur.spec, *c.spec);
  c.fields = spec_differences(current, *c.spec);
  c.change = c.fields.empty() ? Change::Unchanged : Change::Update;
  c.id = cur.id;
  c.version = cur.version;
  c.update_started_at = cur.update_started_at;
  return c;
}

void plan_prune(const manifest::Project& project, const docker::StackObjects& cluster,
                const std::set<std::string>& wanted_networks, Plan& plan) {
  std::set<std::string> wanted;
  for (const auto& def : project.services) wanted.insert(def.spec.name);
  for (const auto& s : cluster.services) {
    if (!swarm::belongs_to(s.spec.labels, project.name) || wanted.count(s.spec.name)) continue;
    ServiceChange c;
    c.change = Change::Remove;
    c.key = swarm::label(s.spec.labels, swarm::kServiceLabel);
    if (c.key.empty()) c.key = s.spec.name;
    c.name = s.spec.name;
    c.id = s.id;
    plan.services.push_back(std::move(c));
  }
  for (const auto& n : cluster.networks) {
    if (!swarm::belongs_to(n.labels, project.name) || wanted_networks.count(n.name)) continue;
    plan.networks.push_back({Change::Remove, n.name, std::nullopt});
  }
}

// Each service's dependency depth: 0 first, then 1, ...
std::vector<int> levels(const manifest::Project& project) {
  std::map<std::string, int> level;
  std::vector<int> out;
  for (const auto& def : project.services) {
    int l = 0;
    for (const auto& dep : def.depends_on) l = std::max(l, level[dep] + 1);
    level[def.key] = l;
    out.push_back(l);
  }
  return out;
}

// --- the plan of an unchanged project, from its services alone (kRefsLabel) ---------------------

// What the services showed of the project's networks, secrets and configs.
struct Seen {
  std::map<std::string, std::string> network_ids;  // name -> ID
  std::map<std::pair<docker::FileObjectKind, std::string>, std::pair<std::string, std::string>> files;  // key -> name, ID
  std::map<const manifest::FileObjectDef*, std::string> digests;  // each definition's content digest, once

  const std::string& digest(const manifest::FileObjectDef& def) {
    auto [it, fresh] = digests.try_emplace(&def);
    if (fresh) it->second = content_digest(def);
    return it->second;
  }
};

// The desired references to secrets or configs (named as the manifest's definitions) paired with
// the current service's: the one of the definition's name, or of a newer version's (NAME_DIGEST),
// for the same file. Each gets the current name and ID, and its ID and content digest go to
// `refs`, in the order the spec is sent (resolve_references). False when a pairing is not clear.
bool pair_files(docker::FileObjectKind kind, std::vector<docker::FileReference>& want,
                const std::vector<docker::FileReference>& have, const std::vector<manifest::FileObjectDef>& defs,
                std::vector<std::pair<std::string, std::string>>& refs, Seen& seen) {
  if (want.size() != have.size()) return false;
  std::vector<bool> taken(have.size());
  std::map<std::string, std::string> digest_of;  // current name -> the definition's content digest
  for (auto& r : want) {
    auto def = std::find_if(defs.begin(), defs.end(), [&](const auto& d) { return d.name == r.name; });
    if (def == defs.end()) return false;
    std::optional<std::size_t> match;
    for (std::size_t i = 0; i < have.size(); ++i) {
      const auto& h = have[i];
      bool named = h.name == def->name || (!def->external && h.name.starts_with(def->name + "_"));
      if (taken[i] || !named || h.target != r.target) continue;
      if (match) return false;
      match = i;
    }
    if (!match) return false;
    taken[*match] = true;
    r.name = have[*match].name;
    r.id = have[*match].id;
    digest_of[r.name] = def->external ? "" : seen.digest(*def);
    auto [it, fresh] = seen.files.try_emplace({kind, def->key}, r.name, r.id);
    if (!fresh && it->second != std::pair{r.name, r.id}) return false;  // two services, two versions
  }
  sort_by_name(want);
  for (const auto& r : want) refs.emplace_back(r.id, digest_of[r.name]);
  return true;
}

// The service unchanged, when the current one's IDs, paired with what the manifest names, give
// the digest its refs label holds and the specs are otherwise the same. nullopt otherwise.
std::optional<ServiceChange> unchanged_service(const manifest::ServiceDef& def, const manifest::Project& project,
                                               const docker::Service& cur, Seen& seen) {
  auto label = cur.spec.labels.find(kRefsLabel);
  if (label == cur.spec.labels.end()) return std::nullopt;
  docker::ServiceSpec want = def.spec;
  SpecRefs refs;
  // Networks: sent in the manifest's order, kept in it by the engine, with IDs for names.
  if (want.networks.size() != cur.spec.networks.size()) return std::nullopt;
  for (std::size_t i = 0; i < want.networks.size(); ++i) {
    const std::string& id = cur.spec.networks[i].target;
    refs.networks.emplace_back(id, want.networks[i].target);
    auto [it, fresh] = seen.network_ids.try_emplace(want.networks[i].target, id);
    if (!fresh && it->second != id) return std::nullopt;
    want.networks[i].target = id;
  }
  if (!pair_files(docker::FileObjectKind::Secret, want.secrets, cur.spec.secrets, project.secrets, refs.secrets, seen) ||
      !pair_files(docker::FileObjectKind::Config, want.configs, cur.spec.configs, project.configs, refs.configs, seen))
    return std::nullopt;
  if (refs_digest(refs) != label->second) return std::nullopt;
  want.force_update = cur.spec.force_update;
  keep_refs_label(cur.spec, want);
  if (!spec_differences(cur.spec, want).empty()) return std::nullopt;
  ServiceChange c;
  c.key = def.key;
  c.name = def.spec.name;
  // The spec as the slow plan has it: networks by name, references by current name and ID.
  want.networks = def.spec.networks;
  c.spec = std::move(want);
  c.id = cur.id;
  c.version = cur.version;
  c.update_started_at = cur.update_started_at;
  return c;
}

// The plan of a project none of whose services changed, from the services alone; nullopt when
// that cannot be shown (a service to create or update, one without the refs label, a network,
// secret or config that no service refers to): then the full plan decides. Unlike it, this
// does not look for older versions of secrets and configs that a deploy failed to remove.
std::optional<Plan> plan_unchanged(const manifest::Project& project, const std::vector<docker::Service>& services) {
  std::map<std::string, const docker::Service*> existing;
  for (const auto& s : services) existing[s.spec.name] = &s;
  Plan plan;
  plan.project = project.name;
  Seen seen;
  auto level = levels(project);
  for (std::size_t i = 0; i < project.services.size(); ++i) {
    const auto& def = project.services[i];
    auto it = existing.find(def.spec.name);
    // A service to create, or one that fails the checks (the full plan says why).
    if (it == existing.end() || !check_service(def, project, *it->second)) return std::nullopt;
    auto c = unchanged_service(def, project, *it->second, seen);
    if (!c) return std::nullopt;
    c->level = level[i];
    plan.services.push_back(std::move(*c));
  }
  for (const auto& n : project.networks) {
    auto id = seen.network_ids.find(n.name);
    if (id == seen.network_ids.end()) {
      if (n.name == "host" && n.external) continue;
      return std::nullopt;
    }
    plan.network_ids.push_back({n.name, id->second});
    if (!n.external) plan.networks.push_back({Change::Unchanged, n.name, n.spec});
  }
  for (auto [kind, defs] : {std::pair{docker::FileObjectKind::Secret, &project.secrets},
                            std::pair{docker::FileObjectKind::Config, &project.configs}})
    for (const auto& def : *defs) {
      auto f = seen.files.find({kind, def.key});
      if (f == seen.files.end()) return std::nullopt;
      FileObjectChange c;
      c.kind = kind;
      c.key = def.key;
      c.name = f->second.first;
      c.id = f->second.second;
      if (!def.external) c.digest = seen.digest(def);
      plan.files.push_back(std::move(c));
    }
  return plan;
}

}  // namespace

std::string refs_digest(const SpecRefs& refs) {
  std::string text;
  for (const auto& [id, name] : refs.networks) text += fmt::format("network {} {}\n", id, name);
  for (const auto& [id, digest] : refs.secrets) text += fmt::format("secret {} {}\n", id, digest);
  for (const auto& [id, digest] : refs.configs) text += fmt::format("config {} {}\n", id, digest);
  return text::sha256_hex(text);
}

void begin_plan(docker::Client& api, const std::string& project, bool prune) {
  if (!prune) api.prefetch_services_named(project + "_");
}

Result<Plan> plan_deploy(docker::Client& api, const manifest::Project& project, bool prune) {
  // First the project's services alone (one request): when they show that nothing changed, that
  // is the plan. Every service of the project is named PROJECT_KEY, so the others are not asked for.
  if (!prune && !project.services.empty()) {
    auto services = api.services_named(project.name + "_");
    if (!services) return services.error();
    auto version = api.api_version();  // known from that answer: no request
    if (!version) return version.error();
    if (auto s = check_features(api, *version, project); !s) return s.error();
    if (auto plan = plan_unchanged(project, *services)) return std::move(*plan);
  }
  // Else all at once, one round trip; to prune, every service (the project's label decides).
  auto cluster = api.stack_objects(!project.secrets.empty(), !project.configs.empty(), prune ? "" : project.name + "_");
  if (!cluster) return cluster.error();
  auto version = api.api_version();
  if (!version) return version.error();
  if (auto s = check_features(api, *version, project); !s) return s.error();
  if (auto s = check_external_networks(project, cluster->networks); !s) return s.error();

  Plan plan;
  plan.project = project.name;
  std::set<std::string> wanted_networks;
  plan_networks(project, cluster->networks, plan, wanted_networks);
  for (auto [kind, defs, listed] : {std::tuple{docker::FileObjectKind::Secret, &project.secrets, &cluster->secrets},
                                    std::tuple{docker::FileObjectKind::Config, &project.configs, &cluster->configs}})
    if (auto s = plan_file_objects(kind, *defs, std::move(*listed), project.name, plan); !s) return s.error();

  std::map<std::string, std::string> net_name_by_id;
  for (const auto& n : cluster->networks) net_name_by_id[n.id] = n.name;
  std::map<std::string, const docker::Service*> existing;
  for (const auto& s : cluster->services) existing[s.spec.name] = &s;
  auto level = levels(project);
  for (std::size_t i = 0; i < project.services.size(); ++i) {
    auto c = plan_service(project.services[i], project, plan, existing, net_name_by_id);
    if (!c) return c.error();
    c->level = level[i];
    plan.services.push_back(std::move(*c));
  }
  if (prune) plan_prune(project, *cluster, wanted_networks, plan);
  return plan;
}

}  // namespace hcl::ops
