// Forming the swarm: see include/hcl/ops/membership.hpp.
#include <hcl/ops/membership.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace hcl::ops {
namespace {

std::string short_id(const std::string& id) { return id.substr(0, 12); }

std::string advertising(const std::string& addr) { return addr.empty() ? "" : ", advertising " + addr; }

MemberOutcome failed(const MemberEngine& e, Error error) { return {e.name, "", std::move(error)}; }

// Each engine's outcome: its membership read first (an error if it cannot be), then `step`.
template <class Step>
std::vector<MemberOutcome> each_engine(const std::vector<MemberEngine>& engines, Step step) {
  std::vector<MemberOutcome> out;
  for (const auto& e : engines) {
    auto m = e.client->membership();
    out.push_back(m ? step(e, *m) : failed(e, m.error()));
  }
  return out;
}

}  // namespace

MemberOutcome init_swarm(const MemberEngine& engine, docker::SwarmInit init) {
  auto m = engine.client->membership();
  if (!m) return failed(engine, m.error());
  if (m->state == "active" && m->manager)
    return {engine.name, fmt::format("already a manager of swarm {} ({}), left as it is", short_id(m->cluster_id), m->node_addr), {}};
  if (m->state != "inactive")
    return failed(engine, Error{ErrorKind::Conflict, engine.name,
                                fmt::format("is {} in a swarm{} (managers at {}): make it leave first (hcl swarm leave {})",
                                            m->state == "active" ? "a worker" : m->state,
                                            m->error.empty() ? "" : " (" + m->error + ")",
                                            m->remote_managers.empty() ? "?" : m->remote_managers.front(), engine.name)});
  init.advertise = engine.advertise;
  auto id = engine.client->init_swarm(init);
  if (!id) return failed(engine, id.error());
  auto after = engine.client->membership();
  std::string addr = after ? after->node_addr : engine.advertise;
  std::string cluster = after ? short_id(after->cluster_id) : "";
  return {engine.name, fmt::format("swarm {} made, {} its first manager{}", cluster, short_id(*id), advertising(addr)), {}};
}

Result<std::vector<MemberOutcome>> join_swarm(docker::Client& manager, const std::vector<MemberEngine>& engines,
                                              bool as_manager) {
  auto own = manager.membership();
  if (!own) return own.error();
  if (own->state != "active" || !own->manager)
    return Error{ErrorKind::Conflict, "the configured engine",
                 fmt::format("is no swarm manager (its state: {}): make one with hcl swarm init", own->state)};
  auto tokens = manager.join_tokens();
  if (!tokens) return tokens.error();
  // The manager's swarm address as the swarm knows it (NodeAddr), on the swarm's port.
  std::string remote = own->node_addr.find(':') == std::string::npos ? own->node_addr + ":2377" : "[" + own->node_addr + "]:2377";
  const std::string& token = as_manager ? tokens->manager : tokens->worker;
  const char* role = as_manager ? "a manager" : "a worker";
  return each_engine(engines, [&](const MemberEngine& e, const docker::SwarmMembership& m) -> MemberOutcome {
    if (m.state == "active") {
      // A worker knows no cluster ID: it is in this swarm when one of its managers is ours.
      bool ours = m.manager ? m.cluster_id == tokens->cluster_id
                            : std::find(m.remote_managers.begin(), m.remote_managers.end(), remote) != m.remote_managers.end();
      if (ours)
        return {e.name,
                fmt::format("already in this swarm as {} ({}), left as it is", m.manager ? "a manager" : "a worker", m.node_addr),
                {}};
      return failed(e, Error{ErrorKind::Conflict, e.name,
                             fmt::format("is in another swarm (managers at {}): make it leave first (hcl swarm leave {})",
                                         m.remote_managers.empty() ? "?" : m.remote_managers.front(), e.name)});
    }
    if (m.state != "inactive")
      return failed(e, Error{ErrorKind::Conflict, e.name,
                             fmt::format("is {} in a swarm{}: make it leave first (hcl swarm leave {} --force)", m.state,
                                         m.error.empty() ? "" : " (" + m.error + ")", e.name)});
    if (auto s = e.client->join_swarm(e.advertise, remote, token); !s) return failed(e, s.error());
    return {e.name,
            fmt::format("joined swarm {} as {} through {}{}", short_id(tokens->cluster_id), role, remote, advertising(e.advertise)),
            {}};
  });
}

std::vector<MemberOutcome> leave_swarm(const std::vector<MemberEngine>& engines, bool force) {
  return each_engine(engines, [&](const MemberEngine& e, const docker::SwarmMembership& m) -> MemberOutcome {
    if (m.state == "inactive") return {e.name, "in no swarm, left as it is", {}};
    bool last = m.manager && m.managers <= 1;
    if (m.manager && !force)
      return failed(e, Error{ErrorKind::Conflict, e.name,
                             last ? "is the swarm's only manager: leaving ends the swarm, its services and networks with it; "
                                    "give --force to do that"
                                  : "is a manager: demote it first (hcl node demote), so that the swarm keeps its quorum, or "
                                    "give --force"});
    if (auto s = e.client->leave_swarm(force); !s) return failed(e, s.error());
    if (last) return {e.name, "left the swarm, its only manager: the swarm is gone", {}};
    return {e.name,
            fmt::format("left the swarm (its entry stays in the node list as down until hcl node rm {})", short_id(m.node_id)),
            {}};
  });
}

}  // namespace hcl::ops
