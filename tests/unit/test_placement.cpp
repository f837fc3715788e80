// Placement constraints: parsing, the classic Swarm form, and checking them against nodes.
#include <hcl/swarm/placement.hpp>

#include <doctest/doctest.h>

using namespace hcl;
using namespace hcl::swarm;

namespace {
docker::SwarmNode labelled_node(std::string name, docker::NodeRole role, docker::Labels labels = {}, docker::Labels engine = {}) {
  docker::SwarmNode n;
  n.id = "id-" + name;
  n.hostname = std::move(name);
  n.role = role;
  n.labels = std::move(labels);
  n.engine_labels = std::move(engine);
  n.os = "linux";
  n.architecture = "armv7l";
  return n;
}
const std::vector<docker::SwarmNode> lab{labelled_node("master", docker::NodeRole::Manager, {{"zone", "desk"}}),
                                         labelled_node("node1", docker::NodeRole::Worker, {}, {{"storage", "ssd"}}),
                                         labelled_node("node2", docker::NodeRole::Worker)};
}  // namespace

TEST_CASE("swarm-mode expressions and the short form") {
  auto c = parse_constraint("node.hostname==master", "--constraint");
  REQUIRE(c.ok());
  CHECK(c->key == "node.hostname");
  CHECK(c->equal);
  CHECK(c->value == "master");
  CHECK(c->expression() == "node.hostname==master");
  auto s = parse_constraint("node!=master", "--constraint");
  REQUIRE(s.ok());
  CHECK(s->expression() == "node.hostname!=master");
  CHECK(parse_constraint(" node.labels.zone == desk ", "x")->expression() == "node.labels.zone==desk");
  CHECK(parse_constraint("engine.labels.storage==ssd", "x").ok());
  CHECK(parse_constraint("node.role==manager", "x").ok());
  CHECK(parse_constraint("node.platform.arch==armv7l", "x").ok());
}

TEST_CASE("malformed constraints name the source and the text") {
  for (const char* bad : {"node.hostname=master", "node.colour==blue", "==master", "node.role==boss",
                          "node.hostname==mast*", "node.hostname==", "node.labels.==x", "node.hostname==/m/"}) {
    CAPTURE(bad);
    auto r = parse_constraint(bad, "--constraint");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::Usage);
    CHECK(r.error().what == std::string("--constraint '") + bad + "'");
  }
}

TEST_CASE("a constraint hcl accepts reads back the same from the expression the engine is given") {
  // Found by fuzz_constraint: a key holding '=' ("node.labels.x.=\t\t==v") was accepted, and its
  // expression "node.labels.x.===v" read back as another constraint. Keys are what swarmkit
  // takes (letters, digits, - _ .); values printable ASCII without operators.
  for (std::string bad : {std::string("node.labels.x.=\t\t==v"), std::string("node.labels.a!b==v"),
                          std::string("node.labels.z\xc3\xa9==v"), std::string("node.labels.zone==a\x01b"),
                          std::string("node.labels.zone==caf\xc3\xa9"), std::string("node.labels.zone==<3"),
                          std::string("node.labels.zone==a\0b", 21)}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_constraint(bad, "--constraint").ok());
  }
  for (const char* good : {"node.labels.rack-1_a.b==r:1", "engine.labels.os==debian(12)", "node.id==abc+d"}) {
    CAPTURE(good);
    auto c = parse_constraint(good, "--constraint");
    REQUIRE(c.ok());
    auto again = parse_constraint(c->expression(), "--constraint");
    REQUIRE(again.ok());
    CHECK(again->key == c->key);
    CHECK(again->value == c->value);
  }
}

TEST_CASE("classic constraint: entries leave the environment and become constraints") {
  auto r = split_classic_env({"A=1", "constraint:node==master", "B=2", "constraint:storage!=hdd"}, "environment");
  REQUIRE(r.ok());
  CHECK(r->env == std::vector<std::string>{"A=1", "B=2"});
  REQUIRE(r->constraints.size() == 2);
  CHECK(r->constraints[0].expression() == "node.hostname==master");
  CHECK(r->constraints[1].expression() == "engine.labels.storage!=hdd");
}

TEST_CASE("classic forms the engine cannot express are refused, never passed on") {
  for (const char* bad : {"constraint:node==~master", "constraint:node==/node[12]/", "constraint:node==node*",
                          "affinity:container==web", "constraint:foo~=bar", "constraint:node", "constraint:==x"}) {
    CAPTURE(bad);
    auto r = split_classic_env({bad}, "environment");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::Usage);
    CHECK(r.error().what.find(bad) != std::string::npos);
  }
}

TEST_CASE("constraints against nodes") {
  auto eq = [](const char* text) { return parse_constraint(text, "x").value(); };
  CHECK(satisfies(lab[0], eq("node.hostname==MASTER")));  // hostnames ignore case, as in swarmkit
  CHECK_FALSE(satisfies(lab[1], eq("node==master")));
  CHECK(satisfies(lab[1], eq("node!=master")));
  CHECK(satisfies(lab[0], eq("node.labels.zone==desk")));
  CHECK_FALSE(satisfies(lab[1], eq("node.labels.zone==desk")));
  CHECK(satisfies(lab[1], eq("node.labels.zone!=desk")));  // a missing label differs from any value
  CHECK(satisfies(lab[1], eq("engine.labels.storage==ssd")));
  CHECK(satisfies(lab[2], eq("node.role==worker")));
  CHECK(satisfies(lab[2], eq("node.platform.arch==armv7l")));
  CHECK(satisfies(lab[2], eq("node.id==id-node2")));

  CHECK(check_placeable(lab, {eq("node!=master")}).ok());
  CHECK(check_placeable(lab, {}).ok());
  auto none = check_placeable(lab, {eq("node.role==worker"), eq("node.labels.zone==desk")});
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().kind == ErrorKind::Usage);
  CHECK(none.error().what == "constraint node.labels.zone==desk");
  CHECK(none.error().why.find("tried master, node1, node2") != std::string::npos);

  auto drained = lab;
  for (auto& n : drained) n.availability = docker::NodeAvailability::Drain;
  CHECK_FALSE(check_placeable(drained, {}).ok());
}
