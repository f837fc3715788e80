#include <hcl/swarm/labels.hpp>

#include <fmt/format.h>

namespace hcl::swarm {

std::string label(const docker::Labels& labels, std::string_view key) {
  auto it = labels.find(std::string(key));
  return it == labels.end() ? std::string() : it->second;
}

Result<std::pair<std::string, std::string>> parse_label(std::string_view text, const std::string& flag) {
  auto eq = text.find('=');
  std::string key(text.substr(0, eq));
  std::string value = eq == std::string_view::npos ? "" : std::string(text.substr(eq + 1));
  if (key.empty()) return Error{ErrorKind::Usage, fmt::format("{}={}", flag, text), "expected KEY=VALUE"};
  return std::pair{key, value};
}

}  // namespace hcl::swarm
