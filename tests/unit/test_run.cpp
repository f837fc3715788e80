// What `hcl run` takes: published ports, env files, and the whole request turned into a plan.
#include <hcl/ops/run.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>

#include <unistd.h>

using namespace hcl;

TEST_CASE("--publish forms") {
  auto p = ops::parse_publish("8080:80", "--publish");
  REQUIRE(p.ok());
  CHECK(p->published == 8080);
  CHECK(p->target == 80);
  CHECK(p->protocol == "tcp");
  CHECK(p->mode == docker::PublishMode::Host);
  auto u = ops::parse_publish("53:53/udp", "--publish");
  REQUIRE(u.ok());
  CHECK(u->protocol == "udp");
  auto t = ops::parse_publish("80", "--publish");
  REQUIRE(t.ok());
  CHECK(t->published == 0);
  for (const char* bad : {"", "80:http", "0:80", "80:70000", "a:b", "80:80/icmp", ":80", "80:"}) {
    CAPTURE(bad);
    auto r = ops::parse_publish(bad, "--publish");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().what == std::string("--publish=") + bad);
  }
}

TEST_CASE("env files: comments, blanks, bare keys from the environment, errors with FILE:LINE") {
  // A directory of this run's own, so that runs at once (or another user's file) cannot collide.
  char dir[] = "/tmp/hcl-unit-env-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  std::string path = std::string(dir) + "/env";
  std::ofstream(path) << "# a comment\n\nA=1\n  B=two words\nHCL_UNIT_FROM_ENV\nHCL_UNIT_UNSET\nC=\r\n";
  setenv("HCL_UNIT_FROM_ENV", "yes", 1);
  unsetenv("HCL_UNIT_UNSET");
  auto r = ops::read_docker_env_file(path);
  REQUIRE(r.ok());
  CHECK(*r == std::vector<std::string>{"A=1", "B=two words", "HCL_UNIT_FROM_ENV=yes", "C="});
  std::ofstream(path) << "A=1\nnot a pair\n";
  auto bad = ops::read_docker_env_file(path);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().what == path + ":2");
  auto missing = ops::read_docker_env_file("/nonexistent/env");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().what == "--env-file=/nonexistent/env");
  // A line of a file that is not an env file is quoted short and escaped, never whole.
  std::ofstream(path) << "root password is hunter2 and\x1b[2J more secret words\n";
  auto secret = ops::read_docker_env_file(path);
  REQUIRE_FALSE(secret.ok());
  CHECK(secret.error().why == "'root password is hunter2 and\\x1b[2J...' is not KEY=VALUE");
  // Endless devices and directories are refused before anything is read.
  for (std::string not_a_file : {std::string("/dev/zero"), std::string(dir)}) {
    auto r2 = ops::read_docker_env_file(not_a_file);
    REQUIRE_FALSE(r2.ok());
    CHECK(r2.error().what == "--env-file=" + not_a_file);
    CHECK(r2.error().why.starts_with("cannot read the file: it is a "));
  }
  std::remove(path.c_str());
  ::rmdir(dir);
}

TEST_CASE("plan_run: hcl run's request checked and turned into a plan") {
  ops::RunRequest r;
  r.image = "hcl-lab/busybox";
  r.args = {"sh", "-c", "exit 7"};
  r.env = {"A=1", "constraint:node==master", "HCL_UNIT_BARE", "HCL_UNIT_UNSET_BARE"};
  setenv("HCL_UNIT_BARE", "from-hcl", 1);
  unsetenv("HCL_UNIT_UNSET_BARE");
  r.constraints = {"node.role!=manager"};
  r.publish = {"8080:80"};
  r.labels = {"team=lab"};
  auto p = ops::plan_run(r);
  REQUIRE(p.ok());
  CHECK(p->spec.image == "hcl-lab/busybox");
  CHECK(p->spec.args == std::vector<std::string>{"sh", "-c", "exit 7"});
  CHECK(p->spec.env == std::vector<std::string>{"A=1", "HCL_UNIT_BARE=from-hcl"});
  CHECK(p->spec.constraints == std::vector<std::string>{"node.hostname==master", "node.role!=manager"});
  CHECK(p->constraints.size() == 2);
  REQUIRE(p->spec.ports.size() == 1);
  CHECK(p->spec.ports[0].published == 8080);
  CHECK(p->spec.labels.at("team") == "lab");
  CHECK(p->spec.replicas == 1);
  CHECK(p->spec.restart == docker::RestartPolicy{docker::RestartCondition::OnFailure});  // a detached run's default
  CHECK(p->spec.endpoint_mode == docker::EndpointMode::Dnsrr);

  // Replicas and restart only with -d; the restart policy in the user's words or the engine's.
  r = ops::RunRequest{};
  r.image = "x";
  r.replicas = 3;
  auto once = ops::plan_run(r);
  REQUIRE_FALSE(once.ok());
  CHECK(once.error().message() == "--replicas: only with -d: a one-shot run starts one container");
  r.detach = true;
  CHECK(ops::plan_run(r)->spec.replicas == 3);
  r.replicas = 0;
  CHECK(ops::plan_run(r).error().message() == "--replicas=0: must be at least 1");
  r.replicas.reset();
  struct Case {
    const char* text;
    docker::RestartCondition condition;
    std::optional<std::uint64_t> max_attempts;
  };
  for (const Case& c : {Case{"no", docker::RestartCondition::None, {}}, Case{"none", docker::RestartCondition::None, {}},
                        Case{"on-failure", docker::RestartCondition::OnFailure, {}},
                        Case{"on-failure:3", docker::RestartCondition::OnFailure, 3},
                        Case{"always", docker::RestartCondition::Any, {}}, Case{"any", docker::RestartCondition::Any, {}},
                        Case{"unless-stopped", docker::RestartCondition::Any, {}}}) {
    CAPTURE(c.text);
    r.restart = c.text;
    auto d = ops::plan_run(r);
    REQUIRE(d.ok());
    REQUIRE(d->spec.restart);
    CHECK(d->spec.restart->condition == c.condition);
    CHECK(d->spec.restart->max_attempts == c.max_attempts);
  }
  r.restart = "sometimes";
  CHECK(ops::plan_run(r).error().message() == "--restart=sometimes: expected no, on-failure or always");
  r.restart = "always";
  r.detach = false;
  CHECK(ops::plan_run(r).error().message() == "--restart: only with -d: a one-shot run never restarts");
  r.restart.reset();
  r.env = {"=x"};
  CHECK(ops::plan_run(r).error().what == "--env==x");
}
