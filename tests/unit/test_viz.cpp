// hcl viz: the picture built from hand-made cluster states, the text renderer at several widths,
// and the SVG renderer's escaping.
#include <hcl/output.hpp>
#include <hcl/ops/viz.hpp>

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

using namespace hcl;

namespace {

docker::SwarmNode viz_node(std::string id, std::string host, docker::NodeRole role = docker::NodeRole::Worker) {
  docker::SwarmNode n;
  n.id = std::move(id);
  n.hostname = std::move(host);
  n.role = role;
  n.state = docker::NodeState::Ready;
  n.architecture = "x86_64";
  return n;
}

docker::Service service(std::string id, std::string name) {
  docker::Service s;
  s.id = std::move(id);
  s.spec.name = std::move(name);
  return s;
}

docker::Task viz_task(std::string id, std::string service, std::string node, int slot, std::string state = "running",
                  std::string desired = "running") {
  docker::Task t;
  t.id = std::move(id);
  t.service_id = std::move(service);
  t.node_id = std::move(node);
  t.slot = slot;
  t.state = std::move(state);
  t.desired_state = std::move(desired);
  return t;
}

// The lab's demo: HAProxy on master, three web servers on the workers.
docker::ClusterState demo_cluster() {
  docker::ClusterState s;
  s.nodes = {viz_node("n2", "node2"), viz_node("n0", "master", docker::NodeRole::Manager), viz_node("n1", "node1")};
  s.nodes[1].leader = true;
  s.services = {service("sw", "lb_demo-hostname"), service("sh", "lb_haproxy")};
  s.tasks = {viz_task("t1", "sw", "n1", 1),     viz_task("t2", "sw", "n2", 2),
             viz_task("t3", "sw", "n1", 3, "starting"), viz_task("t4", "sh", "n0", 1),
             viz_task("t5", "sw", "n2", 4, "shutdown", "shutdown"), viz_task("t6", "gone", "n1", 1),
             viz_task("t7", "sw", "", 5, "pending")};
  return s;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The text without its colour sequences.
std::string strip(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b') {
      while (i < text.size() && text[i] != 'm') ++i;
      continue;
    }
    out += text[i];
  }
  return out;
}

// Many nodes with long names, each with tasks of several services.
ops::Picture many_nodes() {
  docker::ClusterState s;
  for (int i = 0; i < 12; ++i)
    s.nodes.push_back(viz_node(fmt::format("n{}", i), fmt::format("raspberrypi-rack{}-node{:02}", i / 4, i)));
  s.nodes[0].role = docker::NodeRole::Manager;
  for (int k = 0; k < 5; ++k) s.services.push_back(service(fmt::format("s{}", k), fmt::format("project_service-number-{}", k)));
  int id = 0;
  for (int i = 0; i < 12; ++i)
    for (int k = 0; k <= i % 5; ++k)
      s.tasks.push_back(viz_task(fmt::format("t{}", id++), fmt::format("s{}", k), fmt::format("n{}", i), i + 1));
  return ops::build_picture(s);
}

}  // namespace

TEST_CASE("viz: the picture places the tasks meant to run on their nodes, managers first") {
  auto p = ops::build_picture(demo_cluster());
  REQUIRE(p.nodes.size() == 3);
  CHECK(p.nodes[0].name == "master");
  CHECK(p.nodes[0].role == "manager");
  CHECK(p.nodes[0].leader);
  CHECK(p.nodes[0].state == "ready");
  CHECK(p.nodes[0].architecture == "x86_64");
  CHECK(p.nodes[1].name == "node1");
  CHECK(p.nodes[2].name == "node2");
  REQUIRE(p.nodes[0].tasks.size() == 1);
  CHECK(p.nodes[0].tasks[0].label() == "lb_haproxy.1");
  REQUIRE(p.nodes[1].tasks.size() == 2);
  CHECK(p.nodes[1].tasks[0].label() == "lb_demo-hostname.1");
  CHECK(p.nodes[1].tasks[1].label() == "lb_demo-hostname.3");
  CHECK(p.nodes[1].tasks[1].state == "starting");
  REQUIRE(p.nodes[2].tasks.size() == 1);  // the task being shut down is not shown
  CHECK(p.nodes[2].tasks[0].label() == "lb_demo-hostname.2");
  REQUIRE(p.unplaced.size() == 1);
  CHECK(p.unplaced[0].label() == "lb_demo-hostname.5");

  REQUIRE(p.services.size() == 2);
  CHECK(p.services[0].name == "lb_demo-hostname");
  CHECK(p.services[0].running == 2);
  CHECK(p.services[0].tasks == 4);
  CHECK(p.services[1].name == "lb_haproxy");
  CHECK(p.services[0].color != p.services[1].color);
  CHECK(p.nodes[0].tasks[0].color == p.services[1].color);
}

TEST_CASE("viz: nodes in natural order: node2 before node10") {
  docker::ClusterState s;
  s.nodes = {viz_node("a", "node10"), viz_node("b", "node2"), viz_node("c", "node1"), viz_node("d", "alpha")};
  auto p = ops::build_picture(s);
  REQUIRE(p.nodes.size() == 4);
  CHECK(p.nodes[0].name == "alpha");
  CHECK(p.nodes[1].name == "node1");
  CHECK(p.nodes[2].name == "node2");
  CHECK(p.nodes[3].name == "node10");
}

TEST_CASE("viz: a cut task keeps its slot in sight; its state goes first") {
  auto text = ops::render_text(ops::build_picture(demo_cluster()), {40, false, ""});
  CHECK(text.find("lb_ha…oxy.1") != std::string::npos);
  auto wide = ops::render_text(ops::build_picture(demo_cluster()), {60, false, ""});
  CHECK(wide.find("lb_demo-hostname.3 …") != std::string::npos);
}

TEST_CASE("viz: a global service's task is labelled by its service alone; a drained node says so") {
  docker::ClusterState s;
  s.nodes = {viz_node("n1", "node1")};
  s.nodes[0].availability = docker::NodeAvailability::Drain;
  s.services = {service("g", "agent")};
  s.tasks = {viz_task("t", "g", "n1", 0)};
  auto p = ops::build_picture(s);
  CHECK(p.nodes[0].tasks.at(0).label() == "agent");
  CHECK(p.nodes[0].state == "ready, drain");
}

TEST_CASE("viz: text puts each task in its node's column") {
  auto text = ops::render_text(ops::build_picture(demo_cluster()), {120, false, ""});
  auto lines = lines_of(text);
  REQUIRE(lines.size() > 6);
  CHECK(lines[0].find("master") == 0);
  size_t at_node1 = lines[0].find("node1"), at_node2 = lines[0].find("node2");
  REQUIRE(at_node1 != std::string::npos);
  REQUIRE(at_node2 != std::string::npos);
  // Row 6 holds each node's first task, row 7 the second.
  CHECK(lines[5].find("lb_haproxy.1") == 0);
  CHECK(lines[5].find("lb_demo-hostname.1") == at_node1);
  CHECK(lines[5].find("lb_demo-hostname.2") == at_node2);
  CHECK(lines[6].find("lb_demo-hostname.3 (starting)") == at_node1);
  CHECK(text.find("not placed yet:") != std::string::npos);
  CHECK(text.find("lb_demo-hostname 2/4") != std::string::npos);
  CHECK(text.find("\x1b[") == std::string::npos);  // no colours unless asked
}

TEST_CASE("viz: colours only when asked, and they take no width") {
  auto p = ops::build_picture(demo_cluster());
  auto plain = ops::render_text(p, {60, false, "title"});
  auto coloured = ops::render_text(p, {60, true, "title"});
  CHECK(coloured.find("\x1b[") != std::string::npos);
  for (const auto& l : lines_of(coloured)) CHECK(ops::display_width(l) <= 60);
  CHECK(lines_of(plain).size() == lines_of(coloured).size());
}

TEST_CASE("viz: at any width no line is wider, and every node is named or begun") {
  auto p = many_nodes();
  for (size_t width : {20, 40, 80, 200}) {
    for (bool color : {false, true}) {
      CAPTURE(width);
      CAPTURE(color);
      auto text = ops::render_text(p, {width, color, "hcl viz 12:00:00 (Ctrl-C ends)"});
      auto lines = lines_of(text);
      text = strip(text);
      for (const auto& l : lines) {
        CAPTURE(l);
        CHECK(ops::display_width(l) <= width);
      }
      for (const auto& n : p.nodes) {
        // The name whole, or cut: at least its first few characters followed by the ellipsis.
        bool whole = text.find(n.name) != std::string::npos;
        bool begun = false;
        for (size_t k = 3; k < n.name.size() && !begun; ++k) begun = text.find(n.name.substr(0, k) + "…") != std::string::npos;
        CAPTURE(n.name);
        CHECK((whole || begun));
      }
    }
  }
  // Wide enough: whole names side by side on the first line.
  auto wide = lines_of(ops::render_text(p, {1000, false, ""}));
  CHECK(wide[0].find(p.nodes[11].name) != std::string::npos);
  // 200 columns: still side by side, the names cut.
  auto mid = lines_of(ops::render_text(p, {200, false, ""}));
  CHECK(mid[0].find("│") != std::string::npos);
  CHECK(mid[0].find("…") != std::string::npos);
  // 40 columns: one node under the other, each named at the start of a line.
  auto narrow = "\n" + ops::render_text(p, {40, false, ""});
  CHECK(narrow.find("│") == std::string::npos);
  for (const auto& n : p.nodes) CHECK(narrow.find("\n" + n.name) != std::string::npos);
}

TEST_CASE("viz: widths down to one column never overflow") {
  auto p = ops::build_picture(demo_cluster());
  for (size_t width = 1; width < 30; ++width)
    for (const auto& l : lines_of(ops::render_text(p, {width, true, "a long title"}))) CHECK(ops::display_width(l) <= width);
  CHECK(ops::render_text(ops::Picture{}, {80, false, ""}) == "no nodes\n");
}

TEST_CASE("viz: display width counts code points and skips colour sequences") {
  CHECK(ops::display_width("abc") == 3);
  CHECK(ops::display_width("a…") == 2);
  CHECK(ops::display_width("\x1b[32mab\x1b[0m") == 2);
  CHECK(ops::display_width("─┼─") == 3);
}

TEST_CASE("viz: SVG names every node and service, escaped") {
  auto s = demo_cluster();
  s.nodes[0].hostname = "node<&>\"'1";
  s.services[0].spec.name = "a&b<c>";
  s.nodes[2].hostname = std::string("bad\x01utf\xff") + "8";
  auto svg = output::picture_svg(ops::build_picture(s));
  CHECK(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(svg.find("node&lt;&amp;&gt;&quot;&apos;1") != std::string::npos);
  CHECK(svg.find("a&amp;b&lt;c&gt;.1") != std::string::npos);
  CHECK(svg.find("lb_haproxy.1") != std::string::npos);
  CHECK(svg.find("master") != std::string::npos);
  CHECK(svg.find("bad\xEF\xBF\xBDutf\xEF\xBF\xBD" "8") != std::string::npos);
  CHECK(svg.find("a&b") == std::string::npos);
  CHECK(svg.find('\x01') == std::string::npos);
  CHECK(svg.find("not placed yet") != std::string::npos);
  CHECK(svg.substr(svg.size() - 7) == "</svg>\n");
}

TEST_CASE("viz: xml_escape keeps valid UTF-8 and replaces what XML forbids") {
  CHECK(output::xml_escape("plain") == "plain");
  CHECK(output::xml_escape("<a href='x'>&</a>") == "&lt;a href=&apos;x&apos;&gt;&amp;&lt;/a&gt;");
  CHECK(output::xml_escape("é…") == "é…");
  CHECK(output::xml_escape("tab\tnl\n") == "tab\tnl\n");
  CHECK(output::xml_escape(std::string("nul\0x", 5)) == "nul\xEF\xBF\xBDx");
  CHECK(output::xml_escape("\xC0\xAF") == "\xEF\xBF\xBD");          // an overlong '/'
  CHECK(output::xml_escape("\xED\xA0\x80") == "\xEF\xBF\xBD");          // a surrogate
  CHECK(output::xml_escape("cut\xE2\x80") == "cut\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("viz: names from the engine are shown with their control characters escaped") {
  ops::Picture p;
  ops::VizNode n;
  n.name = "evil\x1b[2Jnode";
  n.role = "manager";
  n.state = "ready";
  n.architecture = "x86_64\r";
  ops::VizTask t;
  t.service = "web\x07";
  t.slot = 1;
  t.state = "running";
  n.tasks.push_back(t);
  p.nodes.push_back(n);
  p.services.push_back({"web\x07", 0, 1, 1});
  for (bool color : {false, true}) {
    auto text = ops::render_text(p, {200, color, ""});
    CHECK(text.find("evil\\x1b[2Jnode") != std::string::npos);
    CHECK(text.find("x86_64\\x0d") != std::string::npos);
    CHECK(text.find("web\\x07") != std::string::npos);
    CHECK(text.find('\a') == std::string::npos);
    CHECK(text.find('\r') == std::string::npos);
    CHECK(text.find("\x1b[2J") == std::string::npos);
  }
}
