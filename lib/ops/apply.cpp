// Applying a deploy plan.
#include <hcl/ops/apply.hpp>
#include <hcl/text.hpp>

#include <hcl/ops/project.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace hcl::ops {
Status apply_plan(docker::Client& api, const Plan& plan, const ApplyProgress& progress) {
  std::vector<std::string> applied, failed, pending;
  auto say = [&](const std::string& s) {
    if (progress.line) progress.line(s);
  };
  auto stop = [&](const Error& first) -> Status {
    std::string why = first.message();
    if (!applied.empty()) why += "; applied: " + text::join(applied);
    if (!failed.empty()) why += "; failed: " + text::join(failed);
    if (!pending.empty()) why += "; not attempted: " + text::join(pending);
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
        say(s.change == Change::Update ? fmt::format("{} ({})", what, text::join(s.fields)) : what);
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

}  // namespace hcl::ops
