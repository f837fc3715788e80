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

// --- a write whose outcome is unknown (Raft's DeadlineExceeded) --------------------------------

#include "recorded_transport.hpp"

#include <fmt/format.h>

namespace {

using hcl::testing::RecordedTransport;

// GET /nodes with node1 (ID n1) at a version, role and labels, and `status` as its ManagerStatus
// member (empty: none, not a member of the managers); master the leader.
std::string nodes_body(int version, const char* role, const char* labels = "{}",
                       const char* status = R"({"Reachability":"reachable"})") {
  return fmt::format(R"([{{"ID":"m1","Version":{{"Index":10}},"Spec":{{"Role":"manager","Availability":"active"}},
    "Description":{{"Hostname":"master"}},"Status":{{"State":"ready"}},
    "ManagerStatus":{{"Leader":true,"Reachability":"reachable"}}}},
   {{"ID":"n1","Version":{{"Index":{}}},"Spec":{{"Role":"{}","Availability":"active","Labels":{}}},
    "Description":{{"Hostname":"node1"}},"Status":{{"State":"ready"}}{}}}])",
                     version, role, labels, *status ? fmt::format(R"(,"ManagerStatus":{})", status) : "");
}

const http::Response kDeadline{500, {}, R"({"message":"rpc error: code = DeadlineExceeded desc = context deadline exceeded"})"};
const char* const kUpdate = "/v1.41/nodes/n1/update?version=20";

// node1 demoted through `t`, an engine speaking API 1.41 that answers what the test set up.
ops::NodeOutcome demote_node1(RecordedTransport& t, std::chrono::milliseconds patience) {
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.41"}});
  docker::Client c(t);
  ops::NodeChange demote;
  demote.role = docker::NodeRole::Worker;
  auto out = ops::change_nodes(c, {"node1"}, demote, patience);
  REQUIRE(out.ok());
  REQUIRE(out->size() == 1);
  return out->front();
}

}  // namespace

TEST_CASE("a demotion the managers did not commit in time but applied: success, sent once") {
  RecordedTransport t;
  t.on_each("GET", "/v1.41/nodes", 200, {nodes_body(20, "manager"), nodes_body(20, "manager"), nodes_body(21, "worker")});
  t.on("POST", kUpdate, kDeadline);
  auto out = demote_node1(t, std::chrono::seconds(5));
  CHECK_FALSE(out.error.has_value());
  CHECK(out.change == "manager -> worker");
  CHECK(t.count("POST") == 1);
}

TEST_CASE("a demotion not applied within the patience is sent once more, at the same version") {
  RecordedTransport t;
  t.on("GET", "/v1.41/nodes", 200, nodes_body(20, "manager"));
  t.on_each("POST", kUpdate, {kDeadline, http::Response{200, {}, ""}});
  auto out = demote_node1(t, std::chrono::milliseconds(20));
  CHECK_FALSE(out.error.has_value());
  CHECK(t.count("POST") == 2);
}

TEST_CASE("a node changed otherwise while the managers decided is a conflict, not sent again") {
  RecordedTransport t;
  t.on_each("GET", "/v1.41/nodes", 200, {nodes_body(20, "manager"), nodes_body(21, "manager", R"({"zone":"b"})")});
  t.on("POST", kUpdate, kDeadline);
  auto out = demote_node1(t, std::chrono::seconds(5));
  REQUIRE(out.error.has_value());
  CHECK(out.error->kind == ErrorKind::Conflict);
  CHECK(t.count("POST") == 1);
}

TEST_CASE("a demotion the managers commit neither time says it may still apply") {
  RecordedTransport t;
  t.on("GET", "/v1.41/nodes", 200, nodes_body(20, "manager"));
  t.on("POST", kUpdate, kDeadline);
  auto out = demote_node1(t, std::chrono::milliseconds(20));
  REQUIRE(out.error.has_value());
  CHECK(out.error->kind == ErrorKind::Server);
  CHECK(out.error->why.find("may still be applied later") != std::string::npos);
  CHECK(t.count("POST") == 2);
}

TEST_CASE("any other refusal of a node update is final: sent once") {
  RecordedTransport t;
  t.on("GET", "/v1.41/nodes", 200, nodes_body(20, "manager"));
  t.on("POST", kUpdate, 400, R"({"message":"rpc error: code = InvalidArgument desc = node spec is invalid"})");
  auto out = demote_node1(t, std::chrono::seconds(5));
  REQUIRE(out.error.has_value());
  CHECK(out.error->kind == ErrorKind::Usage);
  CHECK(t.count("POST") == 1);
}

// --- a write refused as based on an old version ("update out of sequence") -------------------

namespace {

const http::Response kOutOfSequence{500, {}, R"({"message":"rpc error: code = Unknown desc = update out of sequence"})"};

// The version= of each POST sent, in order.
std::vector<std::string> posted_versions(const RecordedTransport& t) {
  std::vector<std::string> out;
  for (const auto& r : t.requests)
    if (r.method == "POST") out.push_back(r.target.substr(r.target.find("version=") + 8));
  return out;
}

}  // namespace

TEST_CASE("a node whose version the swarm moved, its spec as read, gets the change on the new version") {
  // The e2e run saw it: right after a demotion, the swarm writes the role taken up and a new
  // certificate into the node; a label change read before that is refused.
  RecordedTransport t;
  t.on_each("GET", "/v1.41/nodes", 200, {nodes_body(20, "manager"), nodes_body(23, "manager")});
  t.on("POST", kUpdate, kOutOfSequence);
  t.on("POST", "/v1.41/nodes/n1/update?version=23", 200, "");
  auto out = demote_node1(t, std::chrono::seconds(5));
  CHECK_FALSE(out.error.has_value());
  CHECK(out.change == "manager -> worker");
  CHECK(posted_versions(t) == std::vector<std::string>{"20", "23"});
  CHECK(t.requests.back().body.find(R"("Role":"worker")") != std::string::npos);
}

TEST_CASE("a node whose spec someone else changed is a conflict, not sent again") {
  RecordedTransport t;
  t.on_each("GET", "/v1.41/nodes", 200, {nodes_body(20, "manager"), nodes_body(21, "manager", R"({"zone":"b"})")});
  t.on("POST", kUpdate, kOutOfSequence);
  auto out = demote_node1(t, std::chrono::seconds(5));
  REQUIRE(out.error.has_value());
  CHECK(out.error->kind == ErrorKind::Conflict);
  CHECK(out.error->why.find("changed by someone else") != std::string::npos);
  CHECK(t.count("POST") == 1);
}

TEST_CASE("a node someone else made as wanted meanwhile: success, sent once") {
  RecordedTransport t;
  t.on_each("GET", "/v1.41/nodes", 200, {nodes_body(20, "manager"), nodes_body(21, "worker")});
  t.on("POST", kUpdate, kOutOfSequence);
  auto out = demote_node1(t, std::chrono::seconds(5));
  CHECK_FALSE(out.error.has_value());
  CHECK(t.count("POST") == 1);
}

TEST_CASE("a refusal for an old version while the node reads unchanged is final: sent once") {
  RecordedTransport t;
  t.on("GET", "/v1.41/nodes", 200, nodes_body(20, "manager"));
  t.on("POST", kUpdate, kOutOfSequence);
  auto out = demote_node1(t, std::chrono::seconds(5));
  REQUIRE(out.error.has_value());
  CHECK(out.error->kind == ErrorKind::Conflict);
  CHECK(t.count("POST") == 1);
}

TEST_CASE("a node the swarm keeps moving under the change: given up after 6 updates, each on a newer version") {
  RecordedTransport t;
  std::vector<std::string> reads;
  for (int v = 20; v <= 26; ++v) reads.push_back(nodes_body(v, "manager"));
  t.on_each("GET", "/v1.41/nodes", 200, reads);
  for (int v = 20; v <= 26; ++v) t.on("POST", fmt::format("/v1.41/nodes/n1/update?version={}", v), kOutOfSequence);
  auto out = demote_node1(t, std::chrono::seconds(5));
  REQUIRE(out.error.has_value());
  CHECK(out.error->kind == ErrorKind::Conflict);
  CHECK(out.error->why.find("kept changing it (6 times)") != std::string::npos);
  CHECK(posted_versions(t) == std::vector<std::string>{"20", "21", "22", "23", "24", "25"});
}

TEST_CASE("a write of unknown outcome whose node moved with its spec as read is made on the new version") {
  RecordedTransport t;
  t.on_each("GET", "/v1.41/nodes", 200, {nodes_body(20, "manager"), nodes_body(22, "manager")});
  t.on("POST", kUpdate, kDeadline);
  t.on("POST", "/v1.41/nodes/n1/update?version=22", 200, "");
  auto out = demote_node1(t, std::chrono::seconds(5));
  CHECK_FALSE(out.error.has_value());
  CHECK(posted_versions(t) == std::vector<std::string>{"20", "22"});
}

TEST_CASE("a demotion while the promotion is still under way says so: a conflict, not a missing node") {
  // Seen on the lab: swarmkit answers 404 for a node whose spec says manager before it has
  // joined the managers' Raft.
  RecordedTransport t;
  t.on("GET", "/v1.41/nodes", 200, nodes_body(20, "manager"));
  t.on("POST", kUpdate, 404, R"({"message":"rpc error: code = NotFound desc = can't find manager in raft memberlist"})");
  auto out = demote_node1(t, std::chrono::seconds(5));
  REQUIRE(out.error.has_value());
  CHECK(out.error->kind == ErrorKind::Conflict);
  CHECK(out.error->why.find("node1 has not joined the managers yet") != std::string::npos);
  CHECK(t.count("POST") == 1);
}

// --- waiting for the role a node has taken up (promote/demote --wait) ---------------------------

namespace {

// node1 at version 30, its spec saying `role`, `status` its ManagerStatus (empty: none).
std::string node1_member(const char* role, const char* status) { return nodes_body(30, role, "{}", status); }

Status wait_role(RecordedTransport& t, docker::NodeRole role, std::chrono::milliseconds timeout,
                 std::vector<std::string>* seen = nullptr) {
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.41"}});
  docker::Client c(t);
  ops::NodeOutcome node1{"node1", "n1", "worker -> manager", std::nullopt};
  return ops::wait_node_role(c, node1, role, timeout, [&](const std::string& r) {
    if (seen) seen->push_back(r);
  });
}

}  // namespace

TEST_CASE("promote --wait returns once the node is a reachable member of the managers") {
  RecordedTransport t;
  t.on_each("GET", "/v1.41/nodes", 200,
            {node1_member("manager", ""), node1_member("manager", R"({"Reachability":"unknown"})"),
             node1_member("manager", R"({"Reachability":"reachable"})")});
  std::vector<std::string> seen;
  auto s = wait_role(t, docker::NodeRole::Manager, std::chrono::seconds(10), &seen);
  CHECK(s.ok());
  CHECK(seen == std::vector<std::string>{"", "unknown"});  // each look before the one that ends the wait
  CHECK(t.count("POST") == 0);  // waiting changes nothing
}

TEST_CASE("demote --wait returns once the node has left the managers") {
  RecordedTransport t;
  t.on_each("GET", "/v1.41/nodes", 200,
            {node1_member("worker", R"({"Reachability":"reachable"})"), node1_member("worker", "")});
  std::vector<std::string> seen;
  CHECK(wait_role(t, docker::NodeRole::Worker, std::chrono::seconds(10), &seen).ok());
  CHECK(seen == std::vector<std::string>{"reachable"});
}

TEST_CASE("a promotion that does not complete in time fails, saying how far it got") {
  RecordedTransport t;
  t.on("GET", "/v1.41/nodes", 200, node1_member("manager", R"({"Reachability":"unreachable"})"));
  auto s = wait_role(t, docker::NodeRole::Manager, std::chrono::milliseconds(0));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().kind == ErrorKind::Failed);
  CHECK(s.error().why.find("not a reachable manager after the timeout (reachability unreachable; node state ready)") !=
        std::string::npos);
}

TEST_CASE("a node whose role someone set back while hcl waits is a conflict, not a wait to the timeout") {
  RecordedTransport t;
  t.on("GET", "/v1.41/nodes", 200, node1_member("worker", ""));
  auto s = wait_role(t, docker::NodeRole::Manager, std::chrono::seconds(60));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().kind == ErrorKind::Conflict);
  CHECK(s.error().why.find("set back to worker") != std::string::npos);
}

TEST_CASE("a node that leaves the swarm while hcl waits for its role: not found") {
  RecordedTransport t;
  t.on("GET", "/v1.41/nodes", 200, R"([{"ID":"m1","Version":{"Index":10},"Spec":{"Role":"manager"},"Description":{"Hostname":"master"},"Status":{"State":"ready"}}])");
  auto s = wait_role(t, docker::NodeRole::Worker, std::chrono::seconds(60));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().kind == ErrorKind::NotFound);
}
