// Network specs checked the way the engine would, before it is asked.
#pragma once

#include <hcl/docker.hpp>
#include <hcl/error.hpp>

namespace hcl::swarm {

// Checks a network spec the way the engine would, so bad input is refused before any call:
// the name, the subnet (CIDR), the gateway (an address inside the subnet) and label keys.
// Errors name the flag ("--subnet=10.0.0.0/33").
Status validate_network_spec(const docker::NetworkSpec& spec);

}  // namespace hcl::swarm
