#include <hcl/swarm/restart.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace hcl::swarm {
namespace {

std::optional<std::uint64_t> parse_count(std::string_view text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<RestartPolicy> parse_restart_policy(std::string_view text) {
  using docker::RestartCondition;
  if (text == "no") return RestartPolicy{RestartCondition::None, std::nullopt};
  if (text == "always" || text == "unless-stopped") return RestartPolicy{RestartCondition::Any, std::nullopt};
  if (text == "on-failure") return RestartPolicy{RestartCondition::OnFailure, std::nullopt};
  constexpr std::string_view kOnFailureN = "on-failure:";
  if (text.starts_with(kOnFailureN))
    if (auto n = parse_count(text.substr(kOnFailureN.size()))) return RestartPolicy{RestartCondition::OnFailure, n};
  return std::nullopt;
}

std::string format_restart_policy(const RestartPolicy& policy) {
  switch (policy.condition) {
    case docker::RestartCondition::None: return "no";
    case docker::RestartCondition::Any: return "always";
    case docker::RestartCondition::OnFailure:
      return policy.max_attempts ? "on-failure:" + std::to_string(*policy.max_attempts) : "on-failure";
  }
  return "always";
}

}  // namespace hcl::swarm
