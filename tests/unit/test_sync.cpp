// hcl sync: the plan (pure) from hand-made clusters, and the Consul client's catalog writes,
// reads and blocking wait against the Consul test server in-process.
#include <hcl/consul.hpp>
#include <hcl/manifest.hpp>
#include <hcl/swarm/labels.hpp>
#include <hcl/ops/run.hpp>
#include <hcl/ops/sync.hpp>

#include "consul_test_server.hpp"
#include "local_endpoint.hpp"
#include "transports.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <future>
#include <thread>

using namespace hcl;

namespace {

docker::SwarmNode node(std::string id, std::string host, std::string addr) {
  docker::SwarmNode n;
  n.id = std::move(id);
  n.hostname = std::move(host);
  n.address = std::move(addr);
  n.state = docker::NodeState::Ready;
  return n;
}

docker::Service service(std::string id, std::string name, std::string project, docker::Labels extra = {}) {
  docker::Service s;
  s.id = std::move(id);
  s.spec.name = std::move(name);
  s.spec.labels = std::move(extra);
  if (!project.empty()) s.spec.labels[swarm::kProjectLabel] = project;
  return s;
}

docker::Task task(std::string id, std::string service, std::string node, int slot, std::string state,
                  std::vector<std::pair<std::string, std::string>> addrs = {{"demo_apps", "10.0.1.5/24"}}) {
  docker::Task t;
  t.id = std::move(id);
  t.service_id = std::move(service);
  t.node_id = std::move(node);
  t.slot = slot;
  t.desired_state = state == "shutdown" ? "shutdown" : "running";
  t.state = std::move(state);
  t.timestamp = "2026-11-22T08:00:00.5Z";
  for (auto& [net, a] : addrs) {
    t.address_networks.push_back(net);
    t.addresses.push_back(a);
  }
  return t;
}

docker::ClusterState demo() {
  docker::ClusterState c;
  c.nodes = {node("n0", "master", "10.9.0.10"), node("n1", "node1", "10.9.0.11")};
  c.services = {service("s-web", "demo_web", "demo", {{ops::kConsulPortLabel, "80"}, {ops::kConsulTagsLabel, "web, demo,web"}}),
                service("s-lb", "demo_lb", "demo")};
  c.services[1].spec.ports = {{8080, 80}};
  c.tasks = {task("t1", "s-web", "n1", 1, "running", {{"ingress", "10.255.0.9/16"}, {"demo_apps", "10.0.1.5/24"}}),
             task("t2", "s-web", "n1", 2, "starting"),
             task("t3", "s-web", "n1", 3, "shutdown"),
             task("t4", "s-lb", "n0", 1, "running", {{"demo_apps", "10.0.1.9/24"}})};
  return c;
}

}  // namespace

TEST_CASE("sync plan: running tasks become instances on external nodes, at overlay addresses") {
  auto plan = ops::plan_sync(demo(), {}, {});
  REQUIRE(plan.add.size() == 2);
  CHECK(plan.remove.empty());
  CHECK(plan.skipped.empty());
  const auto& lb = plan.add[0];  // sorted by name: demo_lb, demo_web
  const auto& web = plan.add[1];
  CHECK(web.id == "hcl-task-t1");
  CHECK(web.name == "demo_web");
  CHECK(web.node == "swarm-node1");
  CHECK(web.node_address == "10.9.0.11");
  CHECK(web.node_meta.at("external-node") == "true");
  CHECK(web.address == "10.0.1.5");  // not the ingress network's
  CHECK(web.port == 80);
  CHECK(web.tags == std::vector<std::string>{"web", "demo"});
  CHECK(web.meta.at("hcl-project") == "demo");
  CHECK(web.meta.at("hcl-node") == "node1");
  CHECK(web.check_status == consul::CheckStatus::Passing);
  CHECK(web.check_tcp == "10.0.1.5:80");
  CHECK(plan.task_since.at("t1") == "2026-11-22T08:00:00.5Z");
  CHECK(lb.port == 8080);  // the first target port
  CHECK(lb.node == "swarm-master");
}

TEST_CASE("sync plan: unchanged instances stay, gone tasks go, others' instances are not touched") {
  auto first = ops::plan_sync(demo(), {}, {});
  auto registered = first.add;
  auto again = ops::plan_sync(demo(), registered, {});
  CHECK(again.add.empty());
  CHECK(again.remove.empty());
  CHECK(again.unchanged == 2);

  auto cluster = demo();
  cluster.tasks[0].state = "shutdown";
  cluster.tasks[0].desired_state = "shutdown";
  cluster.tasks[0].timestamp = "2026-11-22T08:01:00Z";
  auto after = ops::plan_sync(cluster, registered, {});
  REQUIRE(after.remove.size() == 1);
  CHECK(after.remove[0].id == "hcl-task-t1");
  CHECK(after.task_since.at("t1") == "2026-11-22T08:01:00Z");
  CHECK(after.unchanged == 1);

  // A changed label re-registers the same instance (same ID: replaced, not doubled).
  cluster = demo();
  cluster.services[0].spec.labels[ops::kConsulTagsLabel] = "v2";
  auto changed = ops::plan_sync(cluster, registered, {});
  REQUIRE(changed.add.size() == 1);
  CHECK(changed.add[0].id == "hcl-task-t1");
  CHECK(changed.add[0].tags == std::vector<std::string>{"v2"});
  CHECK(changed.remove.empty());
}

TEST_CASE("sync plan: scope, opt-out, one-shot runs, services without a port") {
  auto cluster = demo();
  cluster.services.push_back(service("s-x", "other_x", "other", {{ops::kConsulPortLabel, "9000"}}));
  cluster.tasks.push_back(task("t9", "s-x", "n0", 1, "running"));
  ops::SyncScope demo_only;
  demo_only.project = "demo";
  CHECK(ops::plan_sync(cluster, {}, demo_only).add.size() == 2);
  ops::SyncScope web_only;
  web_only.services = {"demo_web"};
  auto w = ops::plan_sync(cluster, {}, web_only);
  REQUIRE(w.add.size() == 1);
  CHECK(w.add[0].name == "demo_web");

  auto registered = ops::plan_sync(cluster, {}, {}).add;
  REQUIRE(registered.size() == 3);
  // Taking one project down removes only its instances.
  ops::SyncScope down;
  down.project = "other";
  down.remove_all = true;
  auto d = ops::plan_sync(cluster, registered, down);
  REQUIRE(d.remove.size() == 1);
  CHECK(d.remove[0].id == "hcl-task-t9");
  CHECK(d.add.empty());

  cluster.services[2].spec.labels[ops::kConsulLabel] = "false";
  auto opted = ops::plan_sync(cluster, registered, {});
  REQUIRE(opted.remove.size() == 1);
  CHECK(opted.remove[0].id == "hcl-task-t9");

  cluster = demo();
  cluster.services[1].spec.ports.clear();
  cluster.services[0].spec.labels[ops::kConsulPortLabel] = "http";
  auto noport = ops::plan_sync(cluster, {}, {});
  CHECK(noport.add.empty());
  REQUIRE(noport.skipped.size() == 2);
  CHECK(noport.skipped[0].find("demo_web") == 0);
  CHECK(noport.skipped[0].find("not a port number") != std::string::npos);
  CHECK(noport.skipped[1].find("no port to register") != std::string::npos);

  cluster = demo();
  cluster.services[0].spec.labels[ops::kRunLabel] = "once";
  CHECK(ops::plan_sync(cluster, {}, {}).add.size() == 1);
}

TEST_CASE("sync plan: the network label picks the address; a task without one is skipped") {
  auto cluster = demo();
  cluster.services[0].spec.labels[ops::kConsulNetworkLabel] = "ingress";
  auto p = ops::plan_sync(cluster, {}, {});
  REQUIRE(p.add.size() == 2);
  CHECK(p.add[1].address == "10.255.0.9");
  cluster.services[0].spec.labels[ops::kConsulNetworkLabel] = "backend";
  p = ops::plan_sync(cluster, {}, {});
  CHECK(p.add.size() == 1);
  REQUIRE(p.skipped.size() == 1);
  CHECK(p.skipped[0] == "demo_web.1: the task has no address on network backend");
}

TEST_CASE_TEMPLATE("Consul client: register, read back, deregister instances and their external node", Over, HCL_TRANSPORTS) {
  hcl::testing::ConsulTestServer server;
  server.start();
  auto t = Over::make(hcl::testing::local_endpoint(server.port()));
  consul::Client c(*t);
  auto plan = ops::plan_sync(demo(), {}, {});
  for (const auto& s : c.register_instances(plan.add)) CHECK(s.ok());

  auto back = ops::registered_instances(c);
  REQUIRE(back.ok());
  REQUIRE(back->size() == 2);
  CHECK(ops::plan_sync(demo(), *back, {}).unchanged == 2);  // read back exactly as written
  auto nodes = c.catalog_nodes();
  REQUIRE(nodes.ok());
  CHECK(std::count_if(nodes->begin(), nodes->end(), [](const auto& n) { return consul::is_external(n); }) == 2);

  // Blocking query: wakes when a write changes the checks, long before its wait runs out.
  auto idx = c.wait_checks(0, http::Millis{0});
  REQUIRE(idx.ok());
  constexpr http::Millis kLongWait{60000};
  auto waiter = std::async(std::launch::async, [&] {
    auto t2 = Over::make(hcl::testing::local_endpoint(server.port()));
    consul::Client c2(*t2);
    auto t0 = std::chrono::steady_clock::now();
    auto index = c2.wait_checks(*idx, kLongWait);
    return std::pair{index, std::chrono::steady_clock::now() - t0};
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (const auto& s : c.deregister_instances(plan.add)) CHECK(s.ok());
  auto woke = waiter.get();
  REQUIRE(woke.first.ok());
  CHECK(*woke.first > *idx);
  CHECK(woke.second < kLongWait);  // woken by the write, not by the end of the wait
  back = ops::registered_instances(c);
  REQUIRE(back.ok());
  CHECK(back->empty());
  auto count = c.node_service_count("swarm-node1");
  REQUIRE(count.ok());
  CHECK(*count == 0);
  CHECK(c.deregister_node("swarm-node1").ok());
  CHECK(*c.node_service_count("swarm-node1") == 0);  // Consul answers null for an unknown node
  nodes = c.catalog_nodes();
  CHECK(std::none_of(nodes->begin(), nodes->end(), [](const auto& n) { return n.name == "swarm-node1"; }));
}
