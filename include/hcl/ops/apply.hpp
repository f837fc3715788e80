// Applying a deploy plan: networks first, then services in dependency order (independent ones at
// once), removals last.
#pragma once

#include <hcl/docker.hpp>
#include <hcl/error.hpp>
#include <hcl/ops/plan.hpp>

#include <functional>
#include <string>

namespace hcl::ops {

struct ApplyProgress {
  std::function<void(const std::string&)> line;  // "created service loadbalancing_web" (may be empty)
};

// Applies a plan: networks first, then services level by level (a level's writes at once),
// removals last. On the first level that fails, stops and returns an error that lists what was
// applied and what was not; a re-run converges.
Status apply_plan(docker::Client& api, const Plan& plan, const ApplyProgress& progress);

}  // namespace hcl::ops
