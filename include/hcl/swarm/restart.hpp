// Restart policies as people write them (`docker run --restart`, compose's `restart:` key,
// `hcl run --restart`), and what the engine makes of them. The engine's own names (none,
// on-failure, any) are docker::to_string / docker::parse_restart_condition.
#pragma once

#include <hcl/docker.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hcl::swarm {

struct RestartPolicy {
  docker::RestartCondition condition = docker::RestartCondition::Any;
  std::optional<std::uint64_t> max_attempts;  // on-failure:N
  bool operator==(const RestartPolicy&) const = default;
};

// no, on-failure, on-failure:N, always, unless-stopped (a swarm restarts a stopped task either
// way, so unless-stopped is always). nullopt for anything else.
std::optional<RestartPolicy> parse_restart_policy(std::string_view text);

// The user-facing form of a policy: no, on-failure, on-failure:N or always.
std::string format_restart_policy(const RestartPolicy& policy);

}  // namespace hcl::swarm
