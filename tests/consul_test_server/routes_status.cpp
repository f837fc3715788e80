// /v1/status/*: the raft leader and peers. Consul requires no ACL token for these.
#include "server_core.hpp"

namespace hcl::testing::cts {
namespace {

std::string raft_address(const Core& core) { return core.options().advertise + ":8300"; }

}  // namespace

void add_status_routes(Router& router, Core& core) {
  router.add({"/v1/status/leader", {"GET"},
              [&core](Call& c) { c.json(core.leader() ? raft_address(core) : std::string{}); },
              /*query_options=*/true, /*acl=*/false});
  // A single-server cluster: the server is its only peer, with or without a leader.
  router.add({"/v1/status/peers", {"GET"},
              [&core](Call& c) { c.json(ojson::array({raft_address(core)})); },
              /*query_options=*/true, /*acl=*/false});
}

}  // namespace hcl::testing::cts
