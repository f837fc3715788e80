// Forming the swarm from one place: an engine becomes its first manager (init), others join it
// (as workers or managers) or leave it. Each engine is asked for its own state first, so that
// running a command again changes nothing: an engine already in this swarm is fine, one in another
// swarm is an error that says so.
#pragma once

#include <hcl/docker.hpp>
#include <hcl/error.hpp>

#include <optional>
#include <string>
#include <vector>

namespace hcl::ops {

// One engine named on the command line, with its client and the address it advertises to the
// swarm ("" lets the engine pick).
struct MemberEngine {
  std::string name;  // as given: "node1", "tcp://node1:2375", "ssh://pi@node1"
  docker::Client* client = nullptr;
  std::string advertise;
};

// What happened to one engine, for the user: "node1: joined swarm 3x7k... as a worker, advertising
// 10.0.0.11"; or the error.
struct MemberOutcome {
  std::string engine;
  std::string said;
  std::optional<Error> error;
};

// Makes the engine the first manager of a new swarm; an engine that already manages a swarm is
// left as it is (said so); one that is a worker of a swarm is a Conflict.
// `init` says what else the swarm is made with (its advertise address is the engine's).
MemberOutcome init_swarm(const MemberEngine& engine, docker::SwarmInit init = {});

// Joins each engine to the swarm `manager` manages, as a worker or a manager. The manager's join
// token and address are read first (it must be a manager). Each engine: already in this swarm,
// said so; in another swarm or half-way (pending, error), a Conflict naming it; else joined.
Result<std::vector<MemberOutcome>> join_swarm(docker::Client& manager, const std::vector<MemberEngine>& engines,
                                              bool as_manager);

// Makes each engine leave its swarm (force: a manager too, which the swarm then misses as one of
// its managers); an engine in no swarm is said so.
std::vector<MemberOutcome> leave_swarm(const std::vector<MemberEngine>& engines, bool force);

}  // namespace hcl::ops
