// Forming the swarm (ops/membership.hpp): each engine asked for its own state first, so that a
// second run changes nothing, and no join token in any message.
#include <hcl/ops/membership.hpp>

#include "recorded_transport.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

using namespace hcl;
using hcl::testing::RecordedTransport;

namespace {

// GET /info as an engine of that membership answers it (the fields hcl reads).
std::string info(const char* state, bool manager, const char* addr, const char* cluster = "",
                 const char* remote = "") {
  return fmt::format(R"({{"Name":"n","Swarm":{{"LocalNodeState":"{}","NodeID":"{}","NodeAddr":"{}","ControlAvailable":{},
    "Managers":{},"Error":"","Cluster":{},"RemoteManagers":{}}}}})",
                     state, *state == 'i' ? "" : "nodeid0123456789", addr, manager ? "true" : "false", manager ? 3 : 0,
                     *cluster ? fmt::format(R"({{"ID":"{}"}})", cluster) : "null",
                     *remote ? fmt::format(R"([{{"NodeID":"m","Addr":"{}"}}])", remote) : "null");
}

struct InfoEngine {
  RecordedTransport t;
  docker::Client c{t};
  explicit InfoEngine(const std::string& info_body) {
    t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.41"}});
    t.on("GET", "/v1.41/info", 200, info_body);
  }
  std::size_t posts() const {
    return t.count("POST");
  }
  const http::Request* post(const std::string& target) const {
    for (const auto& r : t.requests)
      if (r.method == "POST" && r.target == target) return &r;
    return nullptr;
  }
};

const char* const kTokens = R"({"ID":"swarmid0123456789","JoinTokens":{"Worker":"SWMTKN-1-secret-worker","Manager":"SWMTKN-1-secret-manager"}})";

}  // namespace

TEST_CASE("swarm init: an engine in no swarm becomes its first manager, advertising the address given") {
  InfoEngine e(info("inactive", false, ""));
  e.t.on_each("GET", "/v1.41/info", 200, {info("inactive", false, ""), info("active", true, "10.0.0.10", "swarmid0123456789")});
  e.t.on("POST", "/v1.41/swarm/init", 200, "\"nodeid0123456789\"");
  auto out = ops::init_swarm({"master", &e.c, "10.0.0.10"});
  REQUIRE_FALSE(out.error.has_value());
  CHECK(out.said == "swarm swarmid01234 made, nodeid012345 its first manager, advertising 10.0.0.10");
  auto* req = e.post("/v1.41/swarm/init");
  REQUIRE(req != nullptr);
  CHECK(req->body.find(R"("AdvertiseAddr":"10.0.0.10")") != std::string::npos);
  CHECK(req->body.find(R"("ListenAddr":"0.0.0.0:2377")") != std::string::npos);
}

TEST_CASE("swarm init again: a manager is left as it is; a worker of another swarm is a conflict; nothing sent") {
  InfoEngine manager(info("active", true, "10.0.0.10", "swarmid0123456789"));
  auto again = ops::init_swarm({"master", &manager.c, ""});
  REQUIRE_FALSE(again.error.has_value());
  CHECK(again.said.find("already a manager of swarm swarmid01234") != std::string::npos);
  CHECK(manager.posts() == 0);

  InfoEngine worker(info("active", false, "10.0.0.11", "", "10.0.0.99:2377"));
  auto refused = ops::init_swarm({"node1", &worker.c, ""});
  REQUIRE(refused.error.has_value());
  CHECK(refused.error->kind == ErrorKind::Conflict);
  CHECK(refused.error->why.find("a worker in a swarm") != std::string::npos);
  CHECK(refused.error->why.find("10.0.0.99:2377") != std::string::npos);
  CHECK(worker.posts() == 0);
}

TEST_CASE("swarm join: the new engine joins through the manager's address with the worker token; the others are judged") {
  InfoEngine manager(info("active", true, "10.0.0.10", "swarmid0123456789"));
  manager.t.on("GET", "/v1.41/swarm", 200, kTokens);
  InfoEngine fresh(info("inactive", false, ""));
  fresh.t.on("POST", "/v1.41/swarm/join", 200, "");
  InfoEngine member(info("active", false, "10.0.0.12", "", "10.0.0.10:2377"));
  InfoEngine stranger(info("active", false, "10.0.0.13", "", "10.9.9.9:2377"));
  auto out = ops::join_swarm(manager.c,
                             {{"node1", &fresh.c, "10.0.0.11"}, {"node2", &member.c, "10.0.0.12"}, {"node3", &stranger.c, ""}},
                             false);
  REQUIRE(out.ok());
  REQUIRE(out->size() == 3);
  CHECK((*out)[0].said == "joined swarm swarmid01234 as a worker through 10.0.0.10:2377, advertising 10.0.0.11");
  auto* req = fresh.post("/v1.41/swarm/join");
  REQUIRE(req != nullptr);
  CHECK(req->body.find(R"("RemoteAddrs":["10.0.0.10:2377"])") != std::string::npos);
  CHECK(req->body.find("SWMTKN-1-secret-worker") != std::string::npos);
  CHECK((*out)[1].said.find("already in this swarm as a worker") != std::string::npos);
  REQUIRE((*out)[2].error.has_value());
  CHECK((*out)[2].error->kind == ErrorKind::Conflict);
  CHECK((*out)[2].error->why.find("another swarm (managers at 10.9.9.9:2377)") != std::string::npos);
  CHECK(member.posts() == 0);
  CHECK(stranger.posts() == 0);
  CHECK(manager.posts() == 0);
}

TEST_CASE("swarm join --manager uses the manager token, which no error ever shows; a non-manager cannot be joined to") {
  InfoEngine manager(info("active", true, "10.0.0.10", "swarmid0123456789"));
  manager.t.on("GET", "/v1.41/swarm", 200, kTokens);
  InfoEngine fresh(info("inactive", false, ""));
  fresh.t.on("POST", "/v1.41/swarm/join", 400,
             R"({"message":"invalid join token SWMTKN-1-secret-manager for 10.0.0.10:2377"})");
  auto out = ops::join_swarm(manager.c, {{"node1", &fresh.c, ""}}, true);
  REQUIRE(out.ok());
  REQUIRE((*out)[0].error.has_value());
  CHECK((*out)[0].error->message().find("SWMTKN") == std::string::npos);
  CHECK((*out)[0].error->message().find("<join token>") != std::string::npos);
  auto* req = fresh.post("/v1.41/swarm/join");
  REQUIRE(req != nullptr);
  CHECK(req->body.find("SWMTKN-1-secret-manager") != std::string::npos);

  InfoEngine worker(info("active", false, "10.0.0.11", "", "10.0.0.10:2377"));
  auto refused = ops::join_swarm(worker.c, {{"node1", &fresh.c, ""}}, false);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().why.find("no swarm manager") != std::string::npos);
}

TEST_CASE("swarm leave: a worker leaves, a manager only with --force, an engine in no swarm is left as it is") {
  InfoEngine worker(info("active", false, "10.0.0.11", "", "10.0.0.10:2377"));
  worker.t.on("POST", "/v1.41/swarm/leave?force=false", 200, "");
  InfoEngine manager(info("active", true, "10.0.0.12", "swarmid0123456789"));
  InfoEngine idle(info("inactive", false, ""));
  auto out = ops::leave_swarm({{"node1", &worker.c, ""}, {"node2", &manager.c, ""}, {"node3", &idle.c, ""}}, false);
  REQUIRE(out.size() == 3);
  CHECK(out[0].said.find("left the swarm") != std::string::npos);
  CHECK(worker.posts() == 1);
  REQUIRE(out[1].error.has_value());
  CHECK(out[1].error->kind == ErrorKind::Conflict);
  CHECK(manager.posts() == 0);
  CHECK(out[2].said == "in no swarm, left as it is");
  CHECK(idle.posts() == 0);
}

TEST_CASE("swarm leave: the only manager is told that leaving ends the swarm, and with --force the swarm is gone") {
  auto only = info("active", true, "10.0.0.10", "swarmid0123456789");
  only.replace(only.find(R"("Managers":3)"), 12, R"("Managers":1)");
  InfoEngine master(only);
  auto refused = ops::leave_swarm({{"master", &master.c, ""}}, false);
  REQUIRE(refused[0].error.has_value());
  CHECK(refused[0].error->why.find("the swarm's only manager: leaving ends the swarm") != std::string::npos);
  CHECK(master.posts() == 0);
  master.t.on("POST", "/v1.41/swarm/leave?force=true", 200, "");
  auto forced = ops::leave_swarm({{"master", &master.c, ""}}, true);
  CHECK(forced[0].said == "left the swarm, its only manager: the swarm is gone");
  CHECK(master.posts() == 1);
}
