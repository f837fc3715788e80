// Compose manifests read into projects: the two load-balancing examples, .env and env_file,
// project names, warnings, and the corpus of broken manifests with their exact errors.
#include <hcl/manifest.hpp>
#include <hcl/swarm/labels.hpp>

#include "fake_env.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace hcl;
using namespace hcl::manifest;
namespace fs = std::filesystem;

namespace {

const std::string kData = fs::path(HCL_TEST_DATA).lexically_normal().string();
const std::string kGood = kData + "/manifests/good";
const std::string kBad = kData + "/manifests/bad";

using hcl::testing::env_of;

LoadOptions options(std::map<std::string, std::string> vars = {}) {
  LoadOptions o;
  o.env = env_of(std::move(vars));
  return o;
}

const ServiceDef& service(const Project& p, const std::string& key) {
  for (const auto& s : p.services)
    if (s.key == key) return s;
  FAIL("no service " << key);
  throw std::logic_error("unreachable");
}

std::vector<std::string> keys(const Project& p) {
  std::vector<std::string> out;
  for (const auto& s : p.services) out.push_back(s.key);
  return out;
}

}  // namespace

TEST_CASE("manifest: the Hypriot lab's version 2 load-balancing file") {
  auto r = load(kGood + "/loadbalancing/docker-compose.yml", options());
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  const Project& p = *r;
  CHECK(p.name == "loadbalancing");
  CHECK(p.warnings.empty());
  // demo-hostname first: haproxy depends on it.
  CHECK(keys(p) == std::vector<std::string>{"demo-hostname", "haproxy"});

  // The image with its tag, both label sets with the project, the service's key as an alias on
  // each network, as docker stack deploy makes them; and as docker-compose ran a format 2 file:
  // ports published on the container's own node (host mode), names resolving to the containers
  // (dnsrr).
  docker::ServiceSpec haproxy;
  haproxy.name = "loadbalancing_haproxy";
  haproxy.labels = {{swarm::kProjectLabel, "loadbalancing"}, {swarm::kServiceLabel, "haproxy"},
                    {swarm::kImageLabel, "hcl-lab/haproxy"}};
  haproxy.container_labels = {{swarm::kProjectLabel, "loadbalancing"}};
  haproxy.image = "hcl-lab/haproxy:latest";
  haproxy.constraints = {"node.hostname==master"};
  haproxy.networks = {{"loadbalancing_apps", {"haproxy"}, {}}};
  haproxy.ports = {{80, 80, "tcp", docker::PublishMode::Host}};
  haproxy.endpoint_mode = docker::EndpointMode::Dnsrr;
  docker::Mount cfg;
  cfg.type = "bind";
  cfg.source = kGood + "/loadbalancing/haproxy.cfg";
  cfg.target = "/usr/local/etc/haproxy/haproxy.cfg";
  cfg.read_only = true;
  haproxy.mounts = {cfg};
  CHECK(service(p, "haproxy").spec == haproxy);
  CHECK(service(p, "haproxy").depends_on == std::vector<std::string>{"demo-hostname"});

  docker::ServiceSpec web;
  web.name = "loadbalancing_demo-hostname";
  web.labels = {{swarm::kProjectLabel, "loadbalancing"}, {swarm::kServiceLabel, "demo-hostname"},
                {swarm::kImageLabel, "hcl-lab/hostname-web"}};
  web.container_labels = {{swarm::kProjectLabel, "loadbalancing"}};
  web.image = "hcl-lab/hostname-web:latest";
  web.constraints = {"node.hostname!=master"};
  web.networks = {{"loadbalancing_apps", {"demo-hostname"}, {}}};
  web.endpoint_mode = docker::EndpointMode::Dnsrr;
  CHECK(service(p, "demo-hostname").spec == web);
  CHECK(service(p, "demo-hostname").spec.env.empty());  // the constraint: entries left the environment
  CHECK(service(p, "demo-hostname").spec.replicas == 1);
  CHECK(service(p, "demo-hostname").spec.endpoint_mode == docker::EndpointMode::Dnsrr);
  CHECK_FALSE(service(p, "demo-hostname").spec.restart.has_value());  // the engine's default

  REQUIRE(p.networks.size() == 1);
  const NetworkDef& apps = p.networks[0];
  CHECK(apps.key == "apps");
  CHECK(apps.name == "loadbalancing_apps");
  CHECK_FALSE(apps.external);
  CHECK(apps.spec.name == "loadbalancing_apps");
  CHECK(apps.spec.driver == "overlay");
  CHECK(apps.spec.attachable);
  CHECK_FALSE(apps.spec.internal);
  CHECK(apps.spec.labels == docker::Labels{{swarm::kProjectLabel, "loadbalancing"}});
  CHECK(apps.where.str() == kGood + "/loadbalancing/docker-compose.yml:17:3");
  CHECK(p.volumes.empty());
}

TEST_CASE("manifest: the load-balancing demo in today's format") {
  auto r = load(kGood + "/modern/compose.yml", options({{"FROM_SHELL", "shell-value"}}));
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  const Project& p = *r;
  CHECK(p.name == "lb-demo");  // from name:
  CHECK(p.file == kGood + "/modern/compose.yml");
  CHECK(keys(p) == std::vector<std::string>{"demo-hostname", "haproxy"});
  CHECK(p.warnings.empty());

  using namespace std::chrono_literals;
  docker::ServiceSpec haproxy;
  haproxy.name = "lb-demo_haproxy";
  haproxy.labels = {{swarm::kProjectLabel, "lb-demo"}, {swarm::kServiceLabel, "haproxy"},
                    {swarm::kImageLabel, "hcl-lab/haproxy:2.6"}};
  haproxy.container_labels = {{swarm::kProjectLabel, "lb-demo"}};
  haproxy.image = "hcl-lab/haproxy:2.6";
  haproxy.constraints = {"node.role == manager"};  // as written, once checked
  haproxy.networks = {{"lb-demo_apps", {"lb", "haproxy"}, {}}};
  haproxy.ports = {{80, 80, "tcp", docker::PublishMode::Host}, {8404, 8404, "tcp", docker::PublishMode::Ingress}};
  docker::Mount cfg;
  cfg.type = "bind";
  cfg.source = kGood + "/modern/haproxy.cfg";
  cfg.target = "/usr/local/etc/haproxy/haproxy.cfg";
  cfg.read_only = true;
  haproxy.mounts = {cfg};
  haproxy.restart = docker::RestartPolicy{docker::RestartCondition::OnFailure, 5s, 3, 1min};
  haproxy.healthcheck = docker::Healthcheck{{"CMD", "haproxy", "-c", "-f", "/usr/local/etc/haproxy/haproxy.cfg"},
                                            30s, 5s, 90s, std::nullopt, 3};
  CHECK(service(p, "haproxy").spec == haproxy);

  docker::ServiceSpec web;
  web.name = "lb-demo_demo-hostname";
  web.labels = {{swarm::kProjectLabel, "lb-demo"}, {swarm::kServiceLabel, "demo-hostname"}, {"com.example.tier", "frontend"},
                {swarm::kImageLabel, "hcl-lab/hostname-web:latest"}};
  web.image = "hcl-lab/hostname-web:latest";                 // ${REGISTRY:-hcl-lab}, ${WEB_TAG:-latest}
  web.args = {"httpd", "-f", "-p", "80", "-h", "/var/www/html"};  // command: split like a shell
  // env_file first, then environment, which replaces GREETING; the bare FROM_SHELL comes from
  // hcl's environment; NOT_SET_ANYWHERE stays bare (unset in the container); sorted, as docker
  // stack deploy sends them.
  web.env = {"FROM_SHELL=shell-value", "GREETING=hello from the lab", "LISTEN=0.0.0.0:80", "MODE=demo", "NOT_SET_ANYWHERE",
             "PRICE=$5"};
  web.container_labels = {{"com.example.role", "web"}, {swarm::kProjectLabel, "lb-demo"}};
  web.constraints = {"node.hostname != master"};
  web.networks = {{"lb-demo_apps", {"demo-hostname"}, {}}};  // from the x-web-defaults merge key
  web.replicas = 3;
  web.endpoint_mode = docker::EndpointMode::Dnsrr;
  docker::Resources res;
  res.cpu_limit_nano = 500000000;
  res.memory_limit_bytes = 64 << 20;
  res.cpu_reservation_nano = 250000000;
  res.memory_reservation_bytes = 32 << 20;
  web.resources = res;
  web.update = docker::UpdateConfig{1, 10s, "rollback", 30s, 0.3, "start-first"};
  web.healthcheck = docker::Healthcheck{{"CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"}, {}, {}, {}, {}, {}};
  docker::Mount data;
  data.source = "lb-demo_web-data";
  data.target = "/var/www/html";
  data.read_only = true;
  data.volume_labels = {{"com.example.keep", "yes"}, {swarm::kProjectLabel, "lb-demo"}};
  web.mounts = {data};
  CHECK(service(p, "demo-hostname").spec == web);

  REQUIRE(p.networks.size() == 1);
  CHECK(p.networks[0].spec.subnet == "10.20.0.0/24");
  CHECK(p.networks[0].spec.gateway == "10.20.0.1");
  CHECK(p.networks[0].spec.labels == docker::Labels{{"com.example.lab", "yes"}, {swarm::kProjectLabel, "lb-demo"}});
  REQUIRE(p.volumes.size() == 1);
  CHECK(p.volumes[0].key == "web-data");
  CHECK(p.volumes[0].name == "lb-demo_web-data");
  CHECK(p.volumes[0].labels == docker::Labels{{"com.example.keep", "yes"}, {swarm::kProjectLabel, "lb-demo"}});
}

TEST_CASE("manifest: variables come from hcl's environment before the .env file") {
  auto defaults = load(kGood + "/modern/compose.yml", options({{"LAB_NAME", "room 4"}, {"WEB_TAG", "v2"}}));
  REQUIRE(defaults.ok());
  CHECK(service(*defaults, "demo-hostname").spec.image == "hcl-lab/hostname-web:v2");
  const auto& env = service(*defaults, "demo-hostname").spec.env;
  CHECK(std::find(env.begin(), env.end(), "GREETING=hello from room 4") != env.end());

  auto dot = load(kGood + "/dotenv/compose.yml", options());
  REQUIRE_MESSAGE(dot.ok(), dot.error().message());
  CHECK(dot->services[0].spec.image == "busybox:from-dotenv");
  CHECK(dot->services[0].spec.env == std::vector<std::string>{"TAG=from dotenv", "WHO=dotenv"});

  auto shell = load(kGood + "/dotenv/compose.yml", options({{"WHO", "shell"}, {"TAG", ""}}));
  REQUIRE(shell.ok());
  CHECK(shell->services[0].spec.env == std::vector<std::string>{"TAG=", "WHO=shell"});

  auto other = options();
  other.env_file = kGood + "/dotenv/other.env";  // replaces .env: TAG is then unset
  auto o = load(kGood + "/dotenv/compose.yml", other);
  REQUIRE(o.ok());
  CHECK(o->services[0].spec.image == "busybox:from-other");
  CHECK(o->services[0].spec.env == std::vector<std::string>{"TAG=", "WHO=nobody"});
  REQUIRE(o->warnings.size() == 1);
  CHECK(o->warnings[0].message == "variable TAG is not set; using an empty string");
  CHECK(o->warnings[0].where.str() == kGood + "/dotenv/compose.yml:5:9");

  auto missing = options();
  missing.env_file = kGood + "/dotenv/nowhere.env";
  auto m = load(kGood + "/dotenv/compose.yml", missing);
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().kind == ErrorKind::Usage);
  CHECK(m.error().what == kGood + "/dotenv/nowhere.env");
  CHECK(m.error().why == "cannot read the env file: no such file or directory");
}

TEST_CASE("manifest: ignored keys are warnings with their positions") {
  auto r = load(kGood + "/warnings/compose.yml", options());
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  std::vector<std::string> got;
  for (const auto& w : r->warnings) got.push_back(w.where.str().substr(kGood.size() + 1) + ": " + w.message);
  CHECK(got == std::vector<std::string>{
                   "warnings/compose.yml:5:5: key 'container_name' is ignored in swarm mode: the engine names each "
                   "task's container",
                   "warnings/compose.yml:6:5: key 'privileged' is not supported by hcl and is ignored: swarm services "
                   "cannot run privileged containers (docker stack deploy ignores it too)",
                   "warnings/compose.yml:7:5: key 'expose' is not supported by hcl and is ignored: every port of a "
                   "service is reachable on its networks",
                   "warnings/compose.yml:8:5: key 'build' is ignored: hcl deploys the image and does not build it",
                   "warnings/compose.yml:11:9: volume './site:/www:z': option 'z' is ignored: swarm services cannot "
                   "relabel a bind source",
                   "warnings/compose.yml:14:20: depends_on condition 'service_healthy' is ignored: hcl creates "
                   "services in dependency order but does not wait for them",
                   "warnings/compose.yml:17:5: key 'restart' is ignored: deploy.restart_policy says how to restart",
                   "warnings/compose.yml:22:3: secret 'token' is not used by any service and is not created",
                   "warnings/compose.yml:26:3: network 'spare' is not used by any service and is not created",
               });
  // Only the networks services use are created; `default` for services without networks:.
  REQUIRE(r->networks.size() == 1);
  CHECK(r->networks[0].key == "default");
  CHECK(r->networks[0].name == "warnings_default");
  CHECK(r->networks[0].spec.labels == docker::Labels{{swarm::kProjectLabel, "warnings"}});
  CHECK(service(*r, "web").spec.networks == std::vector<docker::NetworkAttachment>{{"warnings_default", {"web"}, {}}});
}

TEST_CASE("manifest: the project name comes from -p, name: or the directory") {
  auto o = options();
  o.project = "Lab-1";
  auto r = load(kGood + "/modern/compose.yml", o);
  REQUIRE(r.ok());
  CHECK(r->name == "lab-1");  // lowered, as compose does
  CHECK(r->services[0].spec.name == "lab-1_demo-hostname");
  CHECK(r->networks[0].name == "lab-1_apps");

  o.project = "my lab";
  auto bad = load(kGood + "/modern/compose.yml", o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().what == "-p 'my lab'");
  CHECK(bad.error().why == "a project name takes lowercase letters, digits, '_' and '-', and starts with a letter or digit");

  o.project = "_lab";
  CHECK_FALSE(load(kGood + "/modern/compose.yml", o).ok());

  // The directory's name is cleaned up rather than refused: "Hypriot Lab.1" -> "hypriotlab1".
  fs::path scratch = fs::temp_directory_path() / ("hcl-manifest-name-" + std::to_string(getpid()));
  fs::path dir = scratch / "Hypriot Lab.1";
  fs::create_directories(dir);
  std::ofstream(dir / "compose.yml") << "services:\n  web:\n    image: busybox\n";
  auto d = load((dir / "compose.yml").string(), options());
  REQUIRE(d.ok());
  CHECK(d->name == "hypriotlab1");

  fs::path none = scratch / "__";
  fs::create_directories(none);
  std::ofstream(none / "compose.yml") << "services:\n  web:\n    image: busybox\n";
  auto n = load((none / "compose.yml").string(), options());
  REQUIRE_FALSE(n.ok());
  CHECK(n.error().what == (none / "compose.yml").string());
  CHECK(n.error().why.starts_with("the directory name '__' gives no project name"));
  fs::remove_all(scratch);
}

TEST_CASE("manifest: a missing file") {
  auto r = load(kData + "/manifests/nowhere.yml", options());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Usage);
  CHECK(r.error().what == kData + "/manifests/nowhere.yml");
  CHECK(r.error().why == "cannot read the manifest: no such file or directory");
}

// tests/data/manifests/bad: one broken manifest per file, and expected.txt with, per file, the
// position and the first line of the message ("FILE<TAB>WHAT<TAB>WHY"); WHAT is relative to the
// directory.
TEST_CASE("manifest: every broken manifest is refused with its position and reason") {
  std::ifstream in(kBad + "/expected.txt");
  REQUIRE(in);
  std::map<std::string, std::pair<std::string, std::string>> expected;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto t1 = line.find('\t');
    auto t2 = line.find('\t', t1 + 1);
    REQUIRE_MESSAGE(t2 != std::string::npos, "bad line in expected.txt: " << line);
    expected[line.substr(0, t1)] = {line.substr(t1 + 1, t2 - t1 - 1), line.substr(t2 + 1)};
  }
  std::set<std::string> files;
  for (const auto& entry : fs::directory_iterator(kBad))
    if (entry.path().extension() == ".yml") files.insert(entry.path().filename().string());
  CHECK(files.size() >= 30);
  // Not a structured binding: the message's lambda captures the name, which clang 14 refuses
  // for a binding.
  for (const auto& entry : expected) {
    const std::string& file = entry.first;
    CHECK_MESSAGE(files.count(file), file << " is listed but missing");
  }

  for (const auto& file : files) {
    CAPTURE(file);
    auto it = expected.find(file);
    REQUIRE_MESSAGE(it != expected.end(), file << " has no line in expected.txt");
    auto r = load(kBad + "/" + file, options({{"HOME", "/home/lab"}}));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::Usage);
    CHECK(r.error().what == kBad + "/" + it->second.first);
    CHECK(r.error().why.substr(0, r.error().why.find('\n')) == it->second.second);
  }
}
