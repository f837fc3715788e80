// Network operations shared by commands: validating a spec before the engine sees it.
#pragma once

#include <hcl/docker.hpp>
#include <hcl/error.hpp>

#include <string>
#include <string_view>

namespace hcl::ops {

// Checks a network spec the way the engine would, so bad input is refused before any call:
// the name, the subnet (CIDR), the gateway (an address inside the subnet) and label keys.
// Errors name the flag ("--subnet=10.0.0.0/33").
Status validate_network_spec(const docker::NetworkSpec& spec);

// Parses "K=V" into key and value; "K" alone means an empty value. Errors name `flag`.
Result<std::pair<std::string, std::string>> parse_label(std::string_view text, const std::string& flag);

}  // namespace hcl::ops
