// A controlled environment for the code that reads variables: only the given ones are set, and
// nothing leaks in from the process running the tests.
#pragma once

#include <hcl/config.hpp>

#include <map>
#include <optional>
#include <string>

namespace hcl::testing {

inline config::Env env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace hcl::testing
