// Judging cluster health from both views.
#include <hcl/ops/health.hpp>

#include "recorded_transport.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace hcl;
using ops::Verdict;

namespace {

docker::SwarmNode swarm_node(std::string name, docker::NodeRole role, docker::NodeState state = docker::NodeState::Ready) {
  docker::SwarmNode n;
  n.hostname = std::move(name);
  n.role = role;
  n.state = state;
  if (role == docker::NodeRole::Manager) n.manager_reachability = "reachable";
  return n;
}

ops::HealthInput healthy_lab() {
  ops::HealthInput in;
  in.nodes = std::vector<docker::SwarmNode>{swarm_node("master", docker::NodeRole::Manager),
                                            swarm_node("node1", docker::NodeRole::Worker),
                                            swarm_node("node2", docker::NodeRole::Worker)};
  in.leader = std::string("10.0.0.10:8300");
  consul::NodesAndChecks c;
  for (const char* n : {"master", "node1", "node2"}) {
    c.nodes.push_back({"", n, "", "dc1", {}});
    c.checks.push_back({n, "serfHealth", "Serf Health Status", consul::CheckStatus::Passing, "", "", ""});
  }
  in.consul = c;
  return in;
}

const ops::HealthCheckResult& find(const std::vector<ops::HealthCheckResult>& r, const std::string& id) {
  auto it = std::find_if(r.begin(), r.end(), [&](const auto& x) { return x.id == id; });
  REQUIRE(it != r.end());
  return *it;
}

}  // namespace

TEST_CASE("a healthy lab passes every check") {
  auto r = ops::judge_health(healthy_lab(), false);
  CHECK(ops::healthy(r));
  for (const char* id : {"docker", "consul-leader", "swarm-nodes", "quorum", "serf-health", "node-sets"})
    CHECK(find(r, id).verdict == Verdict::Pass);
}

TEST_CASE("a stopped node fails in both the Swarm and the Consul checks, named") {
  auto in = healthy_lab();
  in.nodes->at(2).state = docker::NodeState::Down;
  in.consul->checks[2].status = consul::CheckStatus::Critical;
  auto r = ops::judge_health(in, false);
  CHECK_FALSE(ops::healthy(r));
  CHECK(find(r, "swarm-nodes").verdict == Verdict::Fail);
  CHECK(find(r, "swarm-nodes").names == std::vector<std::string>{"node2 (down, active)"});
  CHECK(find(r, "serf-health").verdict == Verdict::Fail);
  CHECK(find(r, "serf-health").reason.find("node2") != std::string::npos);
  CHECK(find(r, "node-sets").verdict == Verdict::Pass);
}

TEST_CASE("node sets that differ are named; no leader and no quorum fail") {
  auto in = healthy_lab();
  in.consul->nodes.pop_back();
  in.consul->checks.pop_back();
  in.consul->nodes.push_back({"", "pi-zero", "", "dc1", {}});
  in.consul->checks.push_back({"pi-zero", "serfHealth", "", consul::CheckStatus::Passing, "", "", ""});
  in.leader = std::string();
  auto managers = std::vector<docker::SwarmNode>{swarm_node("m1", docker::NodeRole::Manager),
                                                 swarm_node("m2", docker::NodeRole::Manager),
                                                 swarm_node("m3", docker::NodeRole::Manager)};
  managers[1].manager_reachability = "unreachable";
  managers[2].manager_reachability = "unreachable";
  auto r = ops::judge_health(in, false);
  CHECK(find(r, "node-sets").verdict == Verdict::Fail);
  CHECK(find(r, "node-sets").reason == "only in the swarm: node2; only in Consul: pi-zero");
  CHECK(find(r, "consul-leader").verdict == Verdict::Fail);
  in.nodes = managers;
  auto q = ops::judge_health(in, false);
  CHECK(find(q, "quorum").verdict == Verdict::Fail);
  CHECK(find(q, "quorum").reason.find("1/3") != std::string::npos);
}

TEST_CASE("an unreachable side is a failing check with the endpoint's error, not a crash") {
  auto in = healthy_lab();
  in.consul = Error{ErrorKind::Unreachable, "GET http://master:8500/v1/catalog/nodes", "connection refused"};
  in.leader = Error{ErrorKind::Unreachable, "GET http://master:8500/v1/status/leader", "connection refused"};
  auto r = ops::judge_health(in, false);
  CHECK(find(r, "serf-health").verdict == Verdict::Fail);
  CHECK(find(r, "consul-leader").reason.find("master:8500") != std::string::npos);
  CHECK(find(r, "swarm-nodes").verdict == Verdict::Pass);
}

TEST_CASE("quorum says which managers answer from here; one that does not is a warning naming it") {
  auto in = healthy_lab();
  in.nodes->at(1).role = in.nodes->at(2).role = docker::NodeRole::Manager;
  in.nodes->at(1).manager_reachability = in.nodes->at(2).manager_reachability = "reachable";
  in.from_here = {{"master", "http://master:2378", ""}, {"node1", "http://10.0.0.11:2378", ""}};
  auto all = find(ops::judge_health(in, false), "quorum");
  CHECK(all.verdict == Verdict::Pass);
  CHECK(all.reason == "3/3 managers reachable; from here master, node1 answer");
  in.from_here.push_back({"node2", "http://10.0.0.12:2375", "cannot connect to 10.0.0.12:2375: Connection refused"});
  auto some = find(ops::judge_health(in, false), "quorum");
  CHECK(some.verdict == Verdict::Warn);
  CHECK(some.reason ==
        "3/3 managers reachable; from here master, node1 answer, not node2 (http://10.0.0.12:2375: cannot connect to "
        "10.0.0.12:2375: Connection refused): hcl cannot go on through it");
  CHECK(some.names == std::vector<std::string>{"node2"});
  in.from_here.clear();  // hcl knows only the configured endpoint: nothing asked, nothing said
  CHECK(find(ops::judge_health(in, false), "quorum").reason == "3/3 managers reachable");
}

TEST_CASE("probe_managers: a manager answers when one of its endpoints does; else the first one's error") {
  hcl::testing::RecordedTransport up, down, other;
  up.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.45"}});
  docker::Client up_c(up), down_c(down), other_c(other);
  auto reach = ops::probe_managers({{"node1", {{"http://10.0.0.11:2375", &down_c}, {"http://10.0.0.11:2378", &up_c}}},
                                    {"node2", {{"http://10.0.0.12:2375", &other_c}}},
                                    {"node3", {}}});
  REQUIRE(reach.size() == 3);
  CHECK(reach[0].error.empty());
  CHECK(reach[0].endpoint == "http://10.0.0.11:2378");
  CHECK(reach[1].endpoint == "http://10.0.0.12:2375");
  CHECK_FALSE(reach[1].error.empty());
  CHECK(reach[2].error == "no endpoint known");
}
