// Restart policies, written once: the user's forms (swarm::parse_restart_policy and its format)
// and the engine's names (docker::to_string / parse_restart_condition).
#include <hcl/docker.hpp>
#include <hcl/swarm/restart.hpp>

#include <doctest/doctest.h>

using namespace hcl;
using docker::RestartCondition;

TEST_CASE("restart policies: the user's forms read and written back") {
  struct Case {
    const char* text;
    RestartCondition condition;
    std::optional<std::uint64_t> max_attempts;
    const char* written;  // format_restart_policy of what was read
  };
  for (const Case& c : {Case{"no", RestartCondition::None, {}, "no"}, Case{"always", RestartCondition::Any, {}, "always"},
                        Case{"unless-stopped", RestartCondition::Any, {}, "always"},
                        Case{"on-failure", RestartCondition::OnFailure, {}, "on-failure"},
                        Case{"on-failure:5", RestartCondition::OnFailure, 5, "on-failure:5"},
                        Case{"on-failure:0", RestartCondition::OnFailure, 0, "on-failure:0"}}) {
    CAPTURE(c.text);
    auto p = swarm::parse_restart_policy(c.text);
    REQUIRE(p.has_value());
    CHECK(p->condition == c.condition);
    CHECK(p->max_attempts == c.max_attempts);
    CHECK(swarm::format_restart_policy(*p) == c.written);
  }
  for (const char* bad : {"", "none", "any", "On-failure", "on-failure:", "on-failure:x", "on-failure:-1", "always "}) {
    CAPTURE(bad);
    CHECK_FALSE(swarm::parse_restart_policy(bad).has_value());
  }
}

TEST_CASE("restart conditions: the engine's names both ways") {
  for (auto c : {RestartCondition::None, RestartCondition::OnFailure, RestartCondition::Any}) {
    auto name = docker::to_string(c);
    CAPTURE(name);
    CHECK(docker::parse_restart_condition(name) == c);
  }
  CHECK(docker::to_string(RestartCondition::None) == "none");
  CHECK(docker::to_string(RestartCondition::OnFailure) == "on-failure");
  CHECK(docker::to_string(RestartCondition::Any) == "any");
  CHECK_FALSE(docker::parse_restart_condition("always").has_value());
  CHECK_FALSE(docker::parse_restart_condition("").has_value());
}
