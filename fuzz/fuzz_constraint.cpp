// Placement constraints: swarm-mode expressions and their short forms, the classic Swarm
// `constraint:` entries of an environment list, and matching them against nodes. A parsed
// constraint must parse again, unchanged, from the expression the engine is given.
#include "fuzz_common.hpp"

#include <hcl/swarm/placement.hpp>

using namespace hcl;

namespace {

std::vector<docker::SwarmNode> nodes() {
  docker::SwarmNode master, worker, drained;
  master.id = "n1", master.hostname = "master", master.role = docker::NodeRole::Manager;
  master.os = "linux", master.architecture = "armv7l", master.labels = {{"zone", "attic"}};
  worker.id = "n2", worker.hostname = "Node1", worker.engine_labels = {{"storage", "ssd"}, {"", "empty"}};
  drained.id = "n3", drained.hostname = "node2", drained.availability = docker::NodeAvailability::Drain;
  return {master, worker, drained};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  static const auto cluster = nodes();

  auto c = swarm::parse_constraint(text, "--constraint");
  if (c) {
    auto again = swarm::parse_constraint(c->expression(), "--constraint");
    FUZZ_CHECK(again);
    FUZZ_CHECK(again->key == c->key && again->value == c->value && again->equal == c->equal);
    for (const auto& n : cluster) (void)swarm::satisfies(n, *c);
    (void)swarm::check_placeable(cluster, {*c});
  } else {
    FUZZ_CHECK(c.error().kind == ErrorKind::Usage);
  }

  // The same bytes as an environment list, one entry per line.
  std::vector<std::string> env;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    env.emplace_back(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  auto classic = swarm::split_classic_env(env, "environment");
  if (classic) {
    FUZZ_CHECK(classic->env.size() + classic->constraints.size() == env.size());
    for (const auto& e : classic->env) FUZZ_CHECK(!e.starts_with("constraint:"));
    (void)swarm::check_placeable(cluster, classic->constraints);
  }
  return 0;
}
