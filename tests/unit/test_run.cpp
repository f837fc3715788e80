// Parsing what `hcl run` takes: published ports and env files.
#include <hcl/ops/run.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

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
  std::string path = "/tmp/hcl-unit-env-file";
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
  std::remove(path.c_str());
}
