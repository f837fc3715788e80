// Network specs checked the way the engine would, before it is asked.
#pragma once

#include <hcl/docker.hpp>
#include <hcl/error.hpp>

namespace hcl::swarm {

// Checks a network spec the way the engine would, so bad input is refused before any call:
// the name, the subnet (CIDR), the gateway (an address inside the subnet) and label keys.
// Errors name the flag ("--subnet=10.0.0.0/33").
Status validate_network_spec(const docker::NetworkSpec& spec);

// A rejected task the swarm gets over by itself, which no wait counts as a failure: a 28.x
// manager gives a new overlay network the subnet of one removed moments before, and the nodes
// refuse tasks on it ("Pool overlaps with other one on this address space") until they have
// let go of the old one, some 10 s; the swarm retries them and they run. Likewise a 20.10 node
// still cleaning up a project's network removed moments before, when the project is deployed
// again with a new one of the same name ("error while removing network: unknown network NAME
// id ID", seen in the sanitized e2e pass after `down` and two deploys at once).
bool transient_rejection(const docker::Task& task);

}  // namespace hcl::swarm
