// --format templates over the listings' JSON rows.
#include <hcl/output.hpp>

#include <doctest/doctest.h>

using namespace hcl;

namespace {

std::vector<ops::TaskRow> two_tasks() {
  ops::TaskRow a;
  a.name = "web.1";
  a.node = "node1";
  a.desired_state = "running";
  a.ports = {"8080->80/tcp"};
  ops::TaskRow b;
  b.name = "web.2";
  b.node = "node2";
  b.exit_code = 3;
  return {a, b};
}

std::string sample() { return output::tasks_json({ops::TaskRow{}}); }

}  // namespace

TEST_CASE("template: fields by CamelCase or JSON name, one line per row") {
  auto t = output::parse_template("{{.Name}} {{ .Node }} {{.desired_state}}|{{.DesiredState}}", sample());
  REQUIRE(t);
  CHECK(output::render_template(*t, output::tasks_json(two_tasks())) == "web.1 node1 running|running\nweb.2 node2 |\n");
}

TEST_CASE("template: null prints nothing, numbers and lists as JSON, json . the whole row") {
  auto t = output::parse_template("{{.ExitCode}};{{.Ports}};{{json .Name}}", sample());
  REQUIRE(t);
  CHECK(output::render_template(*t, output::tasks_json(two_tasks())) == ";[\"8080->80/tcp\"];\"web.1\"\n3;[];\"web.2\"\n");
  auto whole = output::parse_template("{{json .}}", sample());
  REQUIRE(whole);
  std::string line = output::render_template(*whole, output::tasks_json({two_tasks()[0]}));
  CHECK(line.starts_with("{\"name\":\"web.1\","));
  CHECK(line.ends_with("}\n"));
}

TEST_CASE("template: \\t and \\n in the text") {
  auto t = output::parse_template("{{.Name}}\\t{{.Node}}", sample());
  REQUIRE(t);
  CHECK(output::render_template(*t, output::tasks_json({two_tasks()[0]})) == "web.1\tnode1\n");
}

TEST_CASE("template: nested fields") {
  ops::ClusterNode n;
  n.name = "master";
  n.swarm = docker::SwarmNode{};
  n.swarm->role = docker::NodeRole::Manager;
  auto t = output::parse_template("{{.Name}}={{.Swarm.Role}}{{.Consul.Node}}", output::nodes_json({ops::ClusterNode{}}));
  REQUIRE(t);
  CHECK(output::render_template(*t, output::nodes_json({n})) == "master=manager\n");
}

TEST_CASE("template: an unknown field is a usage error naming it and the valid fields") {
  auto t = output::parse_template("{{.Name}} {{.Nope}}", sample());
  REQUIRE_FALSE(t);
  CHECK(t.error().kind == ErrorKind::Usage);
  CHECK(t.error().why.find("unknown field .Nope") != std::string::npos);
  CHECK(t.error().why.find(".Name, .Service, .TaskId, .Image, .Node, .DesiredState") != std::string::npos);
}

TEST_CASE("template: malformed placeholders are usage errors") {
  for (const char* bad : {"{{.Name", "{{range .}}", "{{.Name..Node}}", "{{}}", "yaml", "jsn", ""}) {
    CAPTURE(bad);
    auto t = output::parse_template(bad, sample());
    REQUIRE_FALSE(t);
    CHECK(t.error().kind == ErrorKind::Usage);
    CHECK(t.error().what.find("--format") != std::string::npos);
  }
}

TEST_CASE("template: rows under a key (health) and kv keys") {
  std::vector<ops::HealthCheckResult> r{{"docker", ops::Verdict::Pass, "engine answers", {}},
                                        {"quorum", ops::Verdict::Fail, "1 of 3", {"master"}}};
  auto t = output::parse_template("{{.Id}}:{{.Status}}", output::health_json({ops::HealthCheckResult{}}), "checks");
  REQUIRE(t);
  CHECK(output::render_template(*t, output::health_json(r), "checks") == "docker:PASS\nquorum:FAIL\n");
  auto k = output::parse_template("<{{.Key}}>", output::kv_key_rows_json({""}));
  REQUIRE(k);
  CHECK(output::render_template(*k, output::kv_key_rows_json({"a", "b/c"})) == "<a>\n<b/c>\n");
}
