// Applying a deploy plan: networks first, then services in dependency order (independent ones at
// once), removals last.
#pragma once

#include <hcl/docker.hpp>
#include <hcl/error.hpp>
#include <hcl/ops/plan.hpp>
#include <hcl/ops/wait.hpp>

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

// What `--wait` waits for after the plan was applied: every service it keeps, with the update
// status each had before (so that the wait can tell this deploy's update from an earlier one).
std::vector<WaitTarget> wait_targets(const Plan& plan);

}  // namespace hcl::ops
