#include <hcl/swarm/networks.hpp>

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <optional>

namespace hcl::swarm {
namespace {

struct Address {
  int family = 0;  // AF_INET or AF_INET6
  std::array<unsigned char, 16> bytes{};
};

std::optional<Address> parse_address(const std::string& text) {
  Address a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

bool in_prefix(const Address& net, int bits, const Address& ip) {
  if (net.family != ip.family) return false;
  for (int i = 0; i < bits; ++i) {
    int byte = i / 8, bit = 7 - i % 8;
    if (((net.bytes[byte] >> bit) & 1) != ((ip.bytes[byte] >> bit) & 1)) return false;
  }
  return true;
}

Error bad_flag(const std::string& flag, std::string_view value, std::string why) {
  return Error{ErrorKind::Usage, fmt::format("{}={}", flag, value), std::move(why)};
}

}  // namespace

Status validate_network_spec(const docker::NetworkSpec& spec) {
  const std::string& n = spec.name;
  if (n.empty()) return Error{ErrorKind::Usage, "network name", "must not be empty"};
  auto name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; };
  if (!std::isalnum(static_cast<unsigned char>(n[0])) || !std::all_of(n.begin(), n.end(), name_char))
    return Error{ErrorKind::Usage, fmt::format("network name '{}'", n),
                 "must start with a letter or digit and contain only letters, digits, '_', '.' and '-'"};
  if (spec.driver.empty()) return bad_flag("--driver", spec.driver, "must not be empty");

  std::optional<Address> net;
  int bits = 0;
  if (spec.subnet) {
    const std::string& s = *spec.subnet;
    auto slash = s.find('/');
    if (slash == std::string::npos) return bad_flag("--subnet", s, "expected CIDR notation, like 10.10.0.0/24");
    net = parse_address(s.substr(0, slash));
    if (!net) return bad_flag("--subnet", s, fmt::format("'{}' is not an IP address", s.substr(0, slash)));
    std::string_view b(s.data() + slash + 1, s.size() - slash - 1);
    int max = net->family == AF_INET ? 32 : 128;
    auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (ec != std::errc() || p != b.data() + b.size() || bits < 0 || bits > max)
      return bad_flag("--subnet", s, fmt::format("the prefix length must be 0-{}", max));
  }
  if (spec.gateway) {
    if (!spec.subnet) return bad_flag("--gateway", *spec.gateway, "a gateway needs --subnet");
    auto gw = parse_address(*spec.gateway);
    if (!gw) return bad_flag("--gateway", *spec.gateway, "not an IP address");
    if (!in_prefix(*net, bits, *gw))
      return bad_flag("--gateway", *spec.gateway, fmt::format("not inside the subnet {}", *spec.subnet));
  }
  for (const auto& [k, v] : spec.labels)
    if (k.empty()) return bad_flag("--label", "=" + v, "a label needs a key");
  return ok();
}

bool transient_rejection(const docker::Task& task) {
  return task.state == "rejected" && (task.error.find("Pool overlaps with other one") != std::string::npos ||
                                      task.error.find("error while removing network: unknown network") != std::string::npos);
}

}  // namespace hcl::swarm
