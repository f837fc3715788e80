// Applying a deploy plan: networks, then new secrets and configs, then services level by level (a
// level's writes at once), then removals. The first step that fails stops the rest, and the
// error lists what was applied and what was not: a re-run picks up from there.
#include <hcl/ops/apply.hpp>

#include <hcl/ops/project.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

namespace hcl::ops {
namespace {

class Applier {
 public:
  Applier(docker::Client& api, const Plan& plan, const ApplyProgress& progress) : api_(api), plan_(plan), progress_(progress) {
    for (const auto& n : plan.network_ids)
      if (!n.id.empty()) network_ids_[n.name] = n.id;
    for (const auto& f : plan.files)
      if (f.change != Change::Remove) file_digests_[{f.kind, f.name}] = f.digest;
  }

  Status run() {
    if (auto s = create_networks(); !s) return s;
    if (auto s = create_file_objects(); !s) return s;
    int max_level = 0;
    for (const auto& s : plan_.services) max_level = std::max(max_level, s.level);
    for (int l = 0; l <= max_level; ++l)
      if (auto s = write_level(l); !s) return s;
    if (auto s = remove_services(); !s) return s;
    remove_file_objects();
    remove_networks_left();
    return ok();
  }

 private:
  void say(const std::string& s) {
    if (progress_.line) progress_.line(s);
  }

  Status stop(const Error& first) {
    std::string why = first.message();
    if (!applied_.empty()) why += "; applied: " + text::join(applied_);
    if (!failed_.empty()) why += "; failed: " + text::join(failed_);
    if (!pending_.empty()) why += "; not attempted: " + text::join(pending_);
    why += ". Run the deploy again once the cause is fixed: it picks up from here.";
    return Error{first.kind, fmt::format("deploying project {}", plan_.project), why};
  }

  void all_services_pending(int from_level) {
    for (const auto& s : plan_.services)
      if (s.level >= from_level && s.change != Change::Unchanged) pending_.push_back("service " + s.name);
  }

  Status create_network(const NetworkChange& n) {
    auto r = api_.create_network(*n.spec);
    if (!r && r.error().kind != ErrorKind::Conflict) return r.error();
    if (r) network_ids_[n.name] = r->id;
    else network_ids_.erase(n.name);  // made by someone else meanwhile: its ID unknown
    applied_.push_back("network " + n.name);
    say(fmt::format("created network {}", n.name));
    return ok();
  }

  Status create_networks() {
    for (const auto& n : plan_.networks) {
      if (n.change != Change::Create) continue;
      if (auto s = create_network(n); !s) {
        failed_.push_back("network " + n.name);
        all_services_pending(0);
        return stop(s.error());
      }
    }
    return ok();
  }

  Status create_file_objects() {
    for (const auto& f : plan_.files) {
      if (f.change != Change::Create) continue;
      auto id = api_.create_file_object(f.kind, *f.spec);
      std::string what = fmt::format("{} {}", docker::to_string(f.kind), f.name);
      if (!id) {
        failed_.push_back(what);
        all_services_pending(0);
        return stop(id.error());
      }
      created_ids_[{f.kind, f.name}] = *id;
      applied_.push_back(what);
      say(fmt::format("created {}", what));
    }
    return ok();
  }

  // The spec to send: references to secrets and configs made just now get their IDs, and the
  // spec its refs label (kRefsLabel), when every ID it refers to is known.
  docker::ServiceSpec with_ids(docker::ServiceSpec spec) const {
    SpecRefs refs;
    bool known = true;
    auto fill = [&](std::vector<docker::FileReference>& list, docker::FileObjectKind kind,
                    std::vector<std::pair<std::string, std::string>>& out) {
      for (auto& r : list) {
        if (auto it = created_ids_.find({kind, r.name}); r.id.empty() && it != created_ids_.end()) r.id = it->second;
        auto digest = file_digests_.find({kind, r.name});
        known = known && !r.id.empty() && digest != file_digests_.end();
        if (known) out.emplace_back(r.id, digest->second);
      }
    };
    for (const auto& n : spec.networks) {
      auto id = network_ids_.find(n.target);
      known = known && id != network_ids_.end();
      if (known) refs.networks.emplace_back(id->second, n.target);
    }
    fill(spec.secrets, docker::FileObjectKind::Secret, refs.secrets);
    fill(spec.configs, docker::FileObjectKind::Config, refs.configs);
    if (known) spec.labels[kRefsLabel] = refs_digest(refs);
    else spec.labels.erase(kRefsLabel);
    return spec;
  }

  // A network the plan saw can be gone by the time a service joins it (another tool removed the
  // project a moment ago and the manager still listed it): the engine refuses the service, having
  // done nothing, and names the network. Such a network is made and the write sent once more.
  const NetworkChange* vanished_network(const Error& e) const {
    if (e.why.find("not found") == std::string::npos) return nullptr;
    for (const auto& n : plan_.networks)
      if (n.change != Change::Remove && n.spec && e.why.find("network " + n.name + " not found") != std::string::npos)
        return &n;
    return nullptr;
  }

  Status write_level(int level) {
    std::vector<const ServiceChange*> batch;
    std::vector<docker::ServiceWrite> writes;
    for (const auto& s : plan_.services) {
      if (s.level != level || (s.change != Change::Create && s.change != Change::Update)) continue;
      batch.push_back(&s);
      writes.push_back({s.change == Change::Update ? s.id : "", s.version, with_ids(*s.spec)});
    }
    if (writes.empty()) return ok();
    auto results = api_.write_services(writes);
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i]) continue;
      const NetworkChange* gone = vanished_network(results[i].error());
      if (gone && create_network(*gone)) {
        writes[i].spec = with_ids(*batch[i]->spec);  // the new network's ID in its refs label
        results[i] = api_.write_services({writes[i]}).front();
      }
    }
    std::optional<Error> first;
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& s = *batch[i];
      std::string what = fmt::format("{} service {}", s.change == Change::Create ? "created" : "updated", s.name);
      if (results[i]) {
        applied_.push_back(fmt::format("service {} ({})", s.name, to_string(s.change)));
        say(s.change == Change::Update ? fmt::format("{} ({})", what, text::join(s.fields)) : what);
      } else {
        failed_.push_back(fmt::format("service {} ({})", s.name, results[i].error().why));
        if (!first) first = results[i].error();
      }
    }
    if (!first) return ok();
    all_services_pending(level + 1);
    return stop(*first);
  }

  Status remove_services() {
    for (const auto& s : plan_.services) {
      if (s.change != Change::Remove) continue;
      if (auto r = api_.remove_service(s.id); !r && r.error().kind != ErrorKind::NotFound) {
        failed_.push_back("removing service " + s.name);
        return stop(r.error());
      }
      applied_.push_back("removed service " + s.name);
      say(fmt::format("removed service {}", s.name));
    }
    return ok();
  }

  // Older versions of secrets and configs, now that no service of the project uses them. One
  // still in use (by another project, say) stays, and is said to.
  void remove_file_objects() {
    for (const auto& f : plan_.files) {
      if (f.change != Change::Remove) continue;
      auto r = api_.remove_file_object(f.kind, f.id);
      if (r || r.error().kind == ErrorKind::NotFound)
        say(fmt::format("removed {} {} (an older version)", docker::to_string(f.kind), f.name));
      else
        say(fmt::format("{} {} not removed: {}", docker::to_string(f.kind), f.name, r.error().why));
    }
  }

  void remove_networks_left() {
    std::vector<std::string> nets;
    for (const auto& n : plan_.networks)
      if (n.change == Change::Remove) nets.push_back(n.name);
    for (const auto& [name, error] : remove_networks(api_, nets, std::chrono::seconds(20))) {
      // Still in use by another stack's tasks, say: not a failure of this deploy; said, and left
      // for the next run.
      if (error.empty()) say(fmt::format("removed network {}", name));
      else say(fmt::format("network {} not removed: {}", name, error));
    }
  }

  docker::Client& api_;
  const Plan& plan_;
  const ApplyProgress& progress_;
  std::vector<std::string> applied_, failed_, pending_;
  std::map<std::pair<docker::FileObjectKind, std::string>, std::string> created_ids_;
  std::map<std::string, std::string> network_ids_;                                      // name -> ID
  std::map<std::pair<docker::FileObjectKind, std::string>, std::string> file_digests_;  // name -> digest
};

}  // namespace

Status apply_plan(docker::Client& api, const Plan& plan, const ApplyProgress& progress) {
  return Applier(api, plan, progress).run();
}

std::vector<WaitTarget> wait_targets(const Plan& plan) {
  std::vector<WaitTarget> targets;
  for (const auto& c : plan.services)
    if (c.change != Change::Remove)
      targets.push_back({c.name, c.spec->mode, c.spec->replicas, c.update_started_at, false});
  return targets;
}

}  // namespace hcl::ops
