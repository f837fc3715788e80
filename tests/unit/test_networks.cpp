// Validating network specs before the engine is asked.
#include <hcl/swarm/labels.hpp>
#include <hcl/swarm/networks.hpp>

#include <doctest/doctest.h>

using namespace hcl;

namespace {
docker::NetworkSpec spec(std::string name, std::optional<std::string> subnet = {}, std::optional<std::string> gw = {}) {
  docker::NetworkSpec s;
  s.name = std::move(name);
  s.subnet = std::move(subnet);
  s.gateway = std::move(gw);
  return s;
}
}  // namespace

TEST_CASE("good specs pass") {
  CHECK(swarm::validate_network_spec(spec("demo")).ok());
  CHECK(swarm::validate_network_spec(spec("apps_1.x-y", "10.10.0.0/24", "10.10.0.1")).ok());
  CHECK(swarm::validate_network_spec(spec("v6", "fd00:1::/64", "fd00:1::1")).ok());
}

TEST_CASE("bad specs name the flag and the value") {
  struct Case {
    docker::NetworkSpec s;
    std::string what;
  };
  for (const auto& c : std::vector<Case>{
           {spec(""), "network name"},
           {spec("-x"), "network name '-x'"},
           {spec("a b"), "network name 'a b'"},
           {spec("demo", "10.0.0.0"), "--subnet=10.0.0.0"},
           {spec("demo", "10.0.0.0/33"), "--subnet=10.0.0.0/33"},
           {spec("demo", "10.0.0.300/24"), "--subnet=10.0.0.300/24"},
           {spec("demo", "10.0.0.0/x"), "--subnet=10.0.0.0/x"},
           {spec("demo", std::nullopt, "10.0.0.1"), "--gateway=10.0.0.1"},
           {spec("demo", "10.0.0.0/24", "10.0.1.1"), "--gateway=10.0.1.1"},
           {spec("demo", "10.0.0.0/24", "gateway"), "--gateway=gateway"},
       }) {
    CAPTURE(c.what);
    auto r = swarm::validate_network_spec(c.s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::Usage);
    CHECK(r.error().what == c.what);
  }
}

TEST_CASE("labels") {
  CHECK(swarm::parse_label("a=b", "--label").value() == std::pair<std::string, std::string>{"a", "b"});
  CHECK(swarm::parse_label("a=b=c", "--label").value().second == "b=c");
  CHECK(swarm::parse_label("flag", "--label").value().second.empty());
  CHECK_FALSE(swarm::parse_label("=x", "--label").ok());
}

TEST_CASE("rejections the swarm gets over by itself are transient; others are not") {
  auto task = [](std::string state, std::string error) {
    docker::Task t;
    t.state = std::move(state);
    t.error = std::move(error);
    return t;
  };
  CHECK(swarm::transient_rejection(task("rejected", "Pool overlaps with other one on this address space")));
  // A 20.10 node still letting go of the project's previous network of the same name (seen in the
  // sanitized e2e pass: `down`, then two deploys of the project at once).
  CHECK(swarm::transient_rejection(
      task("rejected", "error while removing network: unknown network hcl-e2e-faults_default id q96fcvt98rbhk9g4h4u27sgd5")));
  CHECK_FALSE(swarm::transient_rejection(task("rejected", "No such image: hcl-lab/nosuch:latest")));
  CHECK_FALSE(swarm::transient_rejection(task("failed", "Pool overlaps with other one on this address space")));
}
