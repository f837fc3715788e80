// Merging the Swarm and Consul views of the nodes.
#include <hcl/ops/nodes.hpp>

#include <doctest/doctest.h>

using namespace hcl;

namespace {

docker::SwarmNode swarm_node(std::string name, docker::NodeRole role, docker::NodeState state, std::string addr) {
  docker::SwarmNode n;
  n.hostname = std::move(name);
  n.role = role;
  n.state = state;
  n.address = std::move(addr);
  return n;
}

consul::HealthCheck serf(std::string node, consul::CheckStatus status) {
  return {std::move(node), "serfHealth", "Serf Health Status", status, "", "", ""};
}

const ops::ClusterNode& by_name(const std::vector<ops::ClusterNode>& nodes, const std::string& name) {
  for (const auto& n : nodes)
    if (n.name == name) return n;
  FAIL("no node " << name);
  throw;
}

}  // namespace

TEST_CASE("nodes known to both sides merge by name; health comes from both") {
  std::vector<docker::SwarmNode> swarm{
      swarm_node("node2", docker::NodeRole::Worker, docker::NodeState::Down, "10.0.0.12"),
      swarm_node("master", docker::NodeRole::Manager, docker::NodeState::Ready, "10.0.0.10"),
      swarm_node("node1", docker::NodeRole::Worker, docker::NodeState::Ready, "10.0.0.11"),
  };
  consul::NodesAndChecks c;
  c.nodes = {{"", "master", "10.0.0.10", "dc1", {}}, {"", "node1", "10.0.0.11", "dc1", {}}, {"", "node2", "10.0.0.12", "dc1", {}}};
  c.checks = {serf("master", consul::CheckStatus::Passing), serf("node1", consul::CheckStatus::Passing),
              serf("node2", consul::CheckStatus::Critical),
              {"node1", "mem", "Memory", consul::CheckStatus::Warning, "85%", "", ""},
              {"node1", "service:web", "web", consul::CheckStatus::Critical, "", "web", "web"}};
  auto nodes = ops::merge_nodes(swarm, c);
  REQUIRE(nodes.size() == 3);
  CHECK(nodes[0].name == "master");  // managers first, then by name
  CHECK(nodes[1].name == "node1");
  CHECK(nodes[2].name == "node2");

  CHECK(by_name(nodes, "master").health == ops::NodeHealth::Healthy);
  const auto& n1 = by_name(nodes, "node1");
  REQUIRE(n1.consul.has_value());
  CHECK(n1.consul->serf_health == consul::CheckStatus::Passing);
  REQUIRE(n1.consul->checks.size() == 2);  // node-level checks only, serfHealth first
  CHECK(n1.consul->checks[0].check_id == "serfHealth");
  CHECK(n1.consul->checks[1].check_id == "mem");
  CHECK(n1.health == ops::NodeHealth::Degraded);
  const auto& n2 = by_name(nodes, "node2");
  CHECK(n2.consul->serf_health == consul::CheckStatus::Critical);
  CHECK(n2.health == ops::NodeHealth::Down);
}

TEST_CASE("a node known to one side only is listed and marked") {
  std::vector<docker::SwarmNode> swarm{
      swarm_node("master", docker::NodeRole::Manager, docker::NodeState::Ready, "10.0.0.10"),
      swarm_node("node3", docker::NodeRole::Worker, docker::NodeState::Ready, "10.0.0.13"),
  };
  consul::NodesAndChecks c;
  c.nodes = {{"", "master", "10.0.0.10", "dc1", {}}, {"", "pi-zero", "10.0.0.20", "dc1", {}}};
  c.checks = {serf("master", consul::CheckStatus::Passing), serf("pi-zero", consul::CheckStatus::Passing)};
  auto nodes = ops::merge_nodes(swarm, c);
  REQUIRE(nodes.size() == 3);
  const auto& swarm_only = by_name(nodes, "node3");
  CHECK(swarm_only.swarm.has_value());
  CHECK_FALSE(swarm_only.consul.has_value());
  CHECK(swarm_only.health == ops::NodeHealth::Degraded);
  const auto& consul_only = by_name(nodes, "pi-zero");
  CHECK_FALSE(consul_only.swarm.has_value());
  CHECK(consul_only.consul.has_value());
  CHECK(consul_only.health == ops::NodeHealth::Degraded);
  CHECK(nodes.back().name == "pi-zero");  // nodes outside the swarm come last
}

TEST_CASE("a Consul node under another name matches by address") {
  std::vector<docker::SwarmNode> swarm{swarm_node("black-pearl", docker::NodeRole::Manager, docker::NodeState::Ready, "10.0.0.10")};
  consul::NodesAndChecks c;
  c.nodes = {{"", "black-pearl.local", "10.0.0.10", "dc1", {}}};
  c.checks = {serf("black-pearl.local", consul::CheckStatus::Passing)};
  auto nodes = ops::merge_nodes(swarm, c);
  REQUIRE(nodes.size() == 1);
  REQUIRE(nodes[0].consul.has_value());
  CHECK(nodes[0].consul->node == "black-pearl.local");
  CHECK(nodes[0].health == ops::NodeHealth::Healthy);
}

TEST_CASE("without Consul data the Swarm view stands alone") {
  std::vector<docker::SwarmNode> swarm{swarm_node("master", docker::NodeRole::Manager, docker::NodeState::Ready, "10.0.0.10")};
  auto nodes = ops::merge_nodes(swarm, std::nullopt);
  REQUIRE(nodes.size() == 1);
  CHECK_FALSE(nodes[0].consul.has_value());
  CHECK(nodes[0].health == ops::NodeHealth::Healthy);
}

// --- node lifecycle (ops/node.hpp) ---------------------------------------------------------

#include <hcl/ops/node.hpp>

namespace {

docker::SwarmNode manager(std::string id, std::string name, std::string reachability) {
  auto n = swarm_node(std::move(name), docker::NodeRole::Manager, docker::NodeState::Ready, "");
  n.id = std::move(id);
  n.manager_reachability = std::move(reachability);
  return n;
}

docker::SwarmNode worker(std::string id, std::string name) {
  auto n = swarm_node(std::move(name), docker::NodeRole::Worker, docker::NodeState::Ready, "");
  n.id = std::move(id);
  return n;
}

}  // namespace

TEST_CASE("nodes are named by hostname, ID or a unique ID prefix; each once; unknown ones listed") {
  std::vector<docker::SwarmNode> all{manager("abc123", "master", "reachable"), worker("abd456", "node1"),
                                     worker("xyz789", "node2")};
  auto picked = ops::pick_nodes(all, {"node2", "abc", "xyz789", "master"});
  REQUIRE(picked.ok());
  REQUIRE(picked->size() == 2);
  CHECK((*picked)[0].hostname == "node2");
  CHECK((*picked)[1].hostname == "master");

  auto ambiguous = ops::pick_nodes(all, {"ab"});
  REQUIRE_FALSE(ambiguous.ok());
  CHECK(ambiguous.error().kind == ErrorKind::Usage);

  auto unknown = ops::pick_nodes(all, {"node1", "node9"});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().kind == ErrorKind::NotFound);
  CHECK(unknown.error().why == "no node 'node9' in the swarm (nodes: master, node1, node2)");
}

TEST_CASE("a demotion that leaves too few reachable managers is named; one that keeps a majority is not") {
  std::vector<docker::SwarmNode> three{manager("m1", "master", "reachable"), manager("m2", "node1", "reachable"),
                                       manager("m3", "node2", "reachable"), worker("w1", "node3")};
  CHECK(ops::quorum_loss(three, {"m2"}).empty());          // 2 of 2 stay reachable
  CHECK(ops::quorum_loss(three, {"w1"}).empty());          // no manager leaves
  CHECK_FALSE(ops::quorum_loss(three, {"m1", "m2", "m3"}).empty());  // none would be left
  three[2].manager_reachability = "unreachable";
  auto why = ops::quorum_loss(three, {"m2"});              // master alone reachable of master + node2
  CHECK(why.find("1 reachable") != std::string::npos);
  CHECK(why.find("unreachable: node2") != std::string::npos);
  std::vector<docker::SwarmNode> one{manager("m1", "master", "reachable"), worker("w1", "node1")};
  CHECK(ops::quorum_loss(one, {"m1"}) == "it would leave the swarm without a manager");
}
