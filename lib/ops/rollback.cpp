// Rolling services back to their previous spec.
#include <hcl/ops/project.hpp>

#include <fmt/format.h>

namespace hcl::ops {

Result<std::vector<WaitTarget>> rollback_services(docker::Client& api, const std::vector<std::string>& names,
                                                  const std::optional<std::string>& project) {
  auto resolved = resolve_services(api, names, project);
  if (!resolved) return resolved.error();
  // Checked first: a service without a previous spec stops the command before any rollback.
  std::vector<docker::Service> before;
  for (const auto& r : *resolved) {
    auto svc = api.service(r.id);
    if (!svc) return svc.error();
    if (!svc->has_previous_spec)
      return Error{ErrorKind::Usage, fmt::format("service {}", r.name), "it has no previous spec (it was never updated)"};
    before.push_back(std::move(*svc));
  }
  std::vector<WaitTarget> targets;
  for (const auto& svc : before) {
    if (auto s = api.rollback_service(svc.id); !s) return s.error();
    auto after = api.service(svc.id);  // the spec it returned to says how many tasks to wait for
    if (!after) return after.error();
    targets.push_back({svc.spec.name, after->spec.mode, after->spec.replicas, svc.update_started_at, true});
  }
  return targets;
}

}  // namespace hcl::ops
