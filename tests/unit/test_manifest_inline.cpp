// Compose manifests written inline: interpolation, each service key's syntaxes, dependency
// order, and errors collected over the whole file.
#include <hcl/manifest.hpp>
#include <hcl/swarm/labels.hpp>

#include "manifest_helpers.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

using namespace hcl;
using namespace hcl::manifest;
using namespace hcl::testing;

namespace {


const Location here{"compose.yml", 3, 7};

}  // namespace

TEST_CASE("manifest interpolation: every form") {
  auto env = env_of({{"SET", "value"}, {"EMPTY", ""}, {"TAG", "1.2"}});
  auto ok = [&](std::string_view text) {
    auto r = interpolate(text, env, here);
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    return *r;
  };
  CHECK(ok("plain") == "plain");
  CHECK(ok("${SET}") == "value");
  CHECK(ok("$SET") == "value");
  CHECK(ok("$SET-x") == "value-x");
  CHECK(ok("a${SET}b$TAG") == "avalueb1.2");
  CHECK(ok("${UNSET}") == "");
  CHECK(ok("$UNSET") == "");
  CHECK(ok("$$") == "$");
  CHECK(ok("$$SET") == "$SET");
  CHECK(ok("cost: $$5") == "cost: $5");
  CHECK(ok("${UNSET:-fallback}") == "fallback");
  CHECK(ok("${EMPTY:-fallback}") == "fallback");
  CHECK(ok("${SET:-fallback}") == "value");
  CHECK(ok("${UNSET-fallback}") == "fallback");
  CHECK(ok("${EMPTY-fallback}") == "");
  CHECK(ok("${UNSET:-}") == "");
  CHECK(ok("${UNSET:-with spaces and $$}") == "with spaces and $");
  CHECK(ok("${UNSET:-${TAG}}") == "1.2");  // nested
  CHECK(ok("${UNSET:-${ALSO_UNSET:-deep}}") == "deep");
  CHECK(ok("${SET:?unused}") == "value");
  CHECK(ok("${EMPTY?only unset fails}") == "");
  CHECK(ok("${SET:+alt}") == "alt");
  CHECK(ok("${EMPTY:+alt}") == "");
  CHECK(ok("${EMPTY+alt}") == "alt");
  CHECK(ok("${UNSET+alt}") == "");
  CHECK(ok("${lower_case1}") == "");
}

TEST_CASE("manifest interpolation: errors name the position") {
  auto env = env_of({{"EMPTY", ""}});
  auto err = [&](std::string_view text) {
    auto r = interpolate(text, env, here);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::Usage);
    CHECK(r.error().what == "compose.yml:3:7");
    return r.error().why;
  };
  CHECK(err("${X:?must be set}") == "required variable X is missing a value: must be set");
  CHECK(err("${EMPTY:?must not be empty}") == "required variable EMPTY is missing a value: must not be empty");
  CHECK(err("${X?}") == "required variable X is missing a value");
  CHECK(err("${X:?${EMPTY:-nested message}}") == "required variable X is missing a value: nested message");
  CHECK(err("${X") == "invalid interpolation in '${X': '${' is not closed by '}'");
  CHECK(err("${}") == "invalid interpolation '${}': expected ${VAR}, ${VAR:-default}, ${VAR-default}, "
                      "${VAR:?message} or ${VAR?message}");
  CHECK(err("${1X}").starts_with("invalid interpolation '${1X}'"));
  CHECK(err("${X:=y}").starts_with("invalid interpolation '${X:=y}'"));
  CHECK(err("${X Y}").starts_with("invalid interpolation '${X Y}'"));
  CHECK(err("5$") == "invalid interpolation in '5$': '$' must be followed by a name or '{'; write $$ for a literal $");
  CHECK(err("$ x").starts_with("invalid interpolation in '$ x'"));
  // An empty lookup (no function at all) counts as nothing set.
  auto r = interpolate("${X:-d}", config::Env(), here);
  REQUIRE(r.ok());
  CHECK(*r == "d");
}

TEST_CASE("manifest interpolation: every scalar value, not keys, before typing") {
  auto r = load_yaml(svc("    deploy:\n      replicas: ${N}\n    labels:\n      ${KEY}: ${VALUE:-v}\n"), {{"N", "4"}});
  auto s = spec_of(r);
  CHECK(s.replicas == 4);
  CHECK(s.container_labels == docker::Labels{{"${KEY}", "v"}, {swarm::kProjectLabel, "demo"}});
  CHECK(error_of(load_yaml(svc("    deploy:\n      replicas: ${N}\n"), {{"N", "many"}})) ==
        "compose.yml:5:17: deploy.replicas must be a non-negative integer, not 'many'");
  // Extension blocks at the top level are not interpolated: they are templates.
  CHECK(load_yaml("x-template: ${NOT_NEEDED:?never used}\n" + svc("")).ok());
}

TEST_CASE("manifest: ports in short and long syntax, as docker stack deploy reads them") {
  using docker::PublishMode;
  auto s = spec_of(load_yaml(svc("    ports:\n"
                                 "      - 80\n"
                                 "      - \"8080:81\"\n"
                                 "      - 5353:53/UDP\n"
                                 "      - target: 443\n"
                                 "        published: \"8443\"\n"
                                 "      - {target: 9000, published: 9000, protocol: udp, mode: host, host_ip: 0.0.0.0}\n"
                                 "      - \"0.0.0.0:7000-7001:70-71\"\n"
                                 "      - \"[::]:6000:60\"\n")));
  // Short syntax: ingress (the routing mesh); ranges one port each; all addresses is no address;
  // sorted by published port.
  CHECK(s.ports == std::vector<docker::PortSpec>{{80, 0, "tcp", PublishMode::Ingress},
                                                 {53, 5353, "udp", PublishMode::Ingress},
                                                 {60, 6000, "tcp", PublishMode::Ingress},
                                                 {70, 7000, "tcp", PublishMode::Ingress},
                                                 {71, 7001, "tcp", PublishMode::Ingress},
                                                 {81, 8080, "tcp", PublishMode::Ingress},
                                                 {443, 8443, "tcp", PublishMode::Ingress},
                                                 {9000, 9000, "udp", PublishMode::Host}});
  CHECK(s.endpoint_mode == docker::EndpointMode::Vip);  // docker stack deploy's default
  // A range of published ports to one target port: each to it.
  auto fan = spec_of(load_yaml(svc("    ports: [\"9090-9091:8080\"]\n")));
  CHECK(fan.ports == std::vector<docker::PortSpec>{{8080, 9090, "tcp", PublishMode::Ingress},
                                                   {8080, 9091, "tcp", PublishMode::Ingress}});
  // With dnsrr (no IPVS), ports go in host mode.
  auto dnsrr = spec_of(load_yaml(svc("    ports: [{target: 80, published: 80, mode: host}]\n"
                                     "    deploy: {endpoint_mode: dnsrr}\n")));
  CHECK(dnsrr.endpoint_mode == docker::EndpointMode::Dnsrr);
  CHECK(dnsrr.ports[0].mode == PublishMode::Host);

  CHECK(error_of(load_yaml(svc("    ports: [\"[::1]:80:80\"]\n"))) ==
        "compose.yml:4:13: port '[::1]:80:80': host address '[::1]': a swarm service publishes on every address of the "
        "node; publishing on one address is not possible");
  CHECK(error_of(load_yaml(svc("    ports: [\"80-81:90-92\"]\n"))) ==
        "compose.yml:4:13: port '80-81:90-92': the published and target ranges have different lengths");
  CHECK(error_of(load_yaml(svc("    ports: [\"0:80\"]\n"))) ==
        "compose.yml:4:13: port '0:80': '0' is not a port (1-65535) or a range of ports");
  CHECK(error_of(load_yaml(svc("    ports: [\"70000\"]\n"))) ==
        "compose.yml:4:13: port '70000': '70000' is not a port (1-65535) or a range of ports");
  CHECK(error_of(load_yaml(svc("    ports: [{published: 80}]\n"))) ==
        "compose.yml:4:13: a port in long syntax needs a target");
  CHECK(error_of(load_yaml(svc("    ports: [{target: 80, published: 81-80}]\n"))) ==
        "compose.yml:4:37: ports.published must be a port (1-65535) or a range of ports, not '81-80'");
  CHECK(error_of(load_yaml(svc("    ports: [{target: 80, mode: mesh}]\n"))) ==
        "compose.yml:4:32: ports.mode must be host or ingress, not 'mesh'");
  CHECK(error_of(load_yaml(svc("    ports: [{target: 80, host_ip: 10.0.0.1}]\n"))) ==
        "compose.yml:4:35: ports.host_ip '10.0.0.1': a swarm service publishes on every address of the node; "
        "publishing on one address is not possible");
  CHECK(error_of(load_yaml(svc("    ports: [\"80:80\", \"80:8080\"]\n"))) ==
        "compose.yml:4:22: published port 80/tcp is listed twice");
  // The same port in host mode on two services is allowed (they may land on different nodes),
  // with a warning; in ingress mode it is on every node, so the engine would refuse the second.
  auto two = load_yaml("services:\n  a: {image: busybox, ports: [{target: 80, published: 80, mode: host}]}\n"
                       "  b: {image: busybox, ports: [{target: 80, published: 80, mode: host}]}\n");
  REQUIRE(two.ok());
  REQUIRE(two->warnings.size() == 1);
  CHECK(two->warnings[0].where.line == 3);
  CHECK(two->warnings[0].message ==
        "port 80/tcp is also published by service 'a': their tasks cannot run on the same node");
  CHECK(error_of(load_yaml("services:\n  a: {image: busybox, ports: [\"80:80\"]}\n  b: {image: busybox, ports: [\"80:80\"]}\n")) ==
        "compose.yml:3:31: port 80/tcp is also published by service 'a'; in ingress mode a port is published on every "
        "node, so only one service can have it");
}

namespace {
docker::Mount mount(std::string type, std::string source, std::string target, bool read_only = false) {
  docker::Mount m;
  m.type = std::move(type);
  m.source = std::move(source);
  m.target = std::move(target);
  m.read_only = read_only;
  return m;
}
}  // namespace

TEST_CASE("manifest: volumes, bind mounts and tmpfs") {
  std::string yaml = svc("    volumes:\n"
                         "      - ./site:/www:ro\n"
                         "      - ../shared/:/shared\n"
                         "      - /var/log/:/host-log:ro,z\n"
                         "      - ~/cache:/cache:rw,rshared\n"
                         "      - data:/data:nocopy\n"
                         "      - /anonymous\n"
                         "      - type: volume\n"
                         "        source: data2\n"
                         "        target: /data2\n"
                         "        read_only: true\n"
                         "        volume: {nocopy: true}\n"
                         "      - {type: bind, source: conf, target: /etc/app, bind: {propagation: slave}}\n"
                         "      - {type: tmpfs, target: /scratch, tmpfs: {size: 64m, mode: 01777}}\n"
                         "    tmpfs: [\"/run:size=1m,noexec\"]\n"
                         "volumes:\n"
                         "  data:\n"
                         "    driver_opts: {type: nfs, o: \"addr=10.0.0.1\"}\n"
                         "  data2:\n"
                         "    name: shared-data\n"
                         "    external: true\n"
                         "  old:\n"
                         "    external: {name: legacy}\n");
  auto w = write(yaml);
  LoadOptions o;
  o.env = env_of({{"HOME", "/home/lab"}});
  auto r = load(w.file, o);
  auto s = spec_of(r);
  std::string dir = fs::absolute(w.dir).lexically_normal().string();
  std::string parent = fs::absolute(w.dir).parent_path().lexically_normal().string();
  // Relative bind sources joined to the manifest's directory and cleaned; absolute ones as written.
  auto home = mount("bind", "/home/lab/cache", "/cache");
  home.propagation = "rshared";
  auto data = mount("volume", "demo_data", "/data");
  data.no_copy = true;
  data.volume_labels = {{swarm::kProjectLabel, "demo"}};
  data.volume_driver = "";
  data.volume_driver_options = {{"type", "nfs"}, {"o", "addr=10.0.0.1"}};
  auto data2 = mount("volume", "shared-data", "/data2", true);  // external: no labels, no driver
  data2.no_copy = true;
  auto conf = mount("bind", dir + "/conf", "/etc/app");
  conf.propagation = "slave";
  auto scratch = mount("tmpfs", "", "/scratch");
  scratch.tmpfs_size = 64 << 20;
  scratch.tmpfs_mode = 01777;
  auto run = mount("tmpfs", "", "/run");
  run.tmpfs_size = 1 << 20;
  run.tmpfs_options = {{"noexec"}};
  CHECK(s.mounts == std::vector<docker::Mount>{mount("bind", dir + "/site", "/www", true),
                                               mount("bind", parent + "/shared", "/shared"),
                                               mount("bind", "/var/log/", "/host-log", true), home, data,
                                               mount("volume", "", "/anonymous"), data2, conf, scratch, run});
  REQUIRE(r->volumes.size() == 2);  // `old` is declared but not used
  CHECK(r->volumes[0].name == "demo_data");
  CHECK(r->volumes[0].labels == docker::Labels{{swarm::kProjectLabel, "demo"}});
  CHECK(r->volumes[1].name == "shared-data");
  std::vector<std::string> warnings;
  for (const auto& wn : r->warnings) warnings.push_back(std::to_string(wn.where.line) + ": " + wn.message);
  CHECK(warnings == std::vector<std::string>{
                        "7: volume '/var/log/:/host-log:ro,z': option 'z' is ignored: swarm services cannot relabel a "
                        "bind source",
                        "25: volume 'old' is not used by any service",
                    });
  CHECK(std::find_if(r->services[0].features.begin(), r->services[0].features.end(), [](const auto& f) {
          return f.feature == docker::Feature::TmpfsOptions;
        }) != r->services[0].features.end());

  CHECK(error_of(load_yaml(svc("    volumes: [\"~/x:/x\"]\n"))) ==
        "compose.yml:4:15: cannot expand '~' in '~/x': HOME is not set");
  CHECK(error_of(load_yaml(svc("    volumes: [\"./a:/x\", \"./b:/x\"]\n"))) ==
        "compose.yml:4:25: mount target '/x' is used twice");
  CHECK(error_of(load_yaml(svc("    volumes: [\"a:b:c:d\"]\n"))) ==
        "compose.yml:4:15: volume 'a:b:c:d' does not parse; expected TARGET, SOURCE:TARGET or SOURCE:TARGET:OPTIONS");
  CHECK(error_of(load_yaml(svc("    volumes: [\"./a:/x:nocopy\"]\n"))) ==
        "compose.yml:4:15: volume './a:/x:nocopy': nocopy is for volumes, not for bind mounts");
  CHECK(error_of(load_yaml(svc("    volumes: [{type: npipe, source: x, target: /x}]\n"))) ==
        "compose.yml:4:22: volumes.type must be bind, volume or tmpfs, not 'npipe'");
  CHECK(error_of(load_yaml(svc("    volumes: [{type: image, source: x, target: /x}]\n"))) ==
        "compose.yml:4:22: volumes.type must be bind, volume or tmpfs, not 'image': swarm services cannot mount images");
  CHECK(error_of(load_yaml(svc("    volumes: [{type: bind, target: /x}]\n"))) ==
        "compose.yml:4:15: a bind mount needs a source");
  CHECK(error_of(load_yaml(svc("    volumes: [dat:/x]\nvolumes:\n  data: {}\n"))) ==
        "compose.yml:4:15: volume 'dat' is not declared under the top-level volumes key; did you mean 'data'?");
}

TEST_CASE("manifest: resources from deploy and from the older keys") {
  auto s = spec_of(load_yaml(svc("    deploy:\n      resources:\n"
                                 "        limits: {cpus: '1.5', memory: 1g}\n"
                                 "        reservations: {cpus: .25, memory: 1048576}\n")));
  REQUIRE(s.resources);
  docker::Resources want;
  want.cpu_limit_nano = 1500000000;
  want.memory_limit_bytes = 1LL << 30;
  want.cpu_reservation_nano = 250000000;
  want.memory_reservation_bytes = 1048576;
  CHECK(*s.resources == want);

  auto v2 = spec_of(load_yaml("version: '2.4'\n" + svc("    mem_limit: 128M\n    mem_reservation: 64mb\n    cpus: 0.1\n")));
  REQUIRE(v2.resources);
  docker::Resources want2;
  want2.cpu_limit_nano = 100000000;
  want2.memory_limit_bytes = 128LL << 20;
  want2.memory_reservation_bytes = 64LL << 20;
  CHECK(*v2.resources == want2);

  // The compose specification (no version) has them too; format 3 has not.
  CHECK(load_yaml(svc("    mem_limit: 1.5GiB\n")).ok());
  CHECK(spec_of(load_yaml(svc("    mem_limit: 1.5GiB\n"))).resources->memory_limit_bytes == 1610612736);
  CHECK(error_of(load_yaml("version: '3'\n" + svc("    cpus: 1\n"))) ==
        "compose.yml:5:5: key 'cpus' is not part of compose format 3; use deploy.resources.limits.cpus");
  CHECK(error_of(load_yaml(svc("    mem_limit: 1g\n    deploy: {resources: {limits: {memory: 2g}}}\n"))) ==
        "compose.yml:4:5: mem_limit and deploy.resources.limits.memory are both set; keep one");
  CHECK(error_of(load_yaml(svc("    deploy: {resources: {limits: {cpus: '0.1234567891'}}}\n"))) ==
        "compose.yml:4:41: deploy.resources.limits.cpus must be a number of CPUs like 0.5 or 2, not '0.1234567891'");
  CHECK(error_of(load_yaml(svc("    deploy: {resources: {limits: {memory: 12q}}}\n"))) ==
        "compose.yml:4:43: deploy.resources.limits.memory must be a size like 128M, 1g or 1048576, not '12q'");
  CHECK_FALSE(spec_of(load_yaml(svc(""))).resources);
}

TEST_CASE("manifest: healthchecks") {
  auto shell = spec_of(load_yaml(svc("    healthcheck:\n      test: curl -f http://localhost/\n      interval: 1m30s\n"
                                     "      timeout: 500ms\n      retries: 5\n")));
  REQUIRE(shell.healthcheck);
  using namespace std::chrono_literals;
  CHECK(*shell.healthcheck == docker::Healthcheck{{"CMD-SHELL", "curl -f http://localhost/"}, 90s, 500ms, std::nullopt,
                                                  std::nullopt, 5});
  auto list = spec_of(load_yaml(svc("    healthcheck:\n      test: [CMD-SHELL, 'wget -q -O- localhost']\n")));
  CHECK(list.healthcheck->test == std::vector<std::string>{"CMD-SHELL", "wget -q -O- localhost"});
  auto off = spec_of(load_yaml(svc("    healthcheck:\n      disable: true\n")));
  CHECK(off.healthcheck->test == std::vector<std::string>{"NONE"});
  CHECK(error_of(load_yaml(svc("    healthcheck:\n      disable: true\n      test: [CMD, x]\n"))) ==
        "compose.yml:6:7: healthcheck: test and disable cannot both be set");
  CHECK(error_of(load_yaml(svc("    healthcheck:\n      retries: -1\n"))) ==
        "compose.yml:5:16: healthcheck.retries must be a non-negative integer, not '-1'");
  CHECK(error_of(load_yaml(svc("    healthcheck:\n      timeout: 5 s\n"))) ==
        "compose.yml:5:16: healthcheck.timeout must be a duration like 10s, 1m30s or 500ms, not '5 s'");
  CHECK(error_of(load_yaml(svc("    healthcheck:\n      test: []\n"))) ==
        "compose.yml:5:13: healthcheck.test must start with CMD, CMD-SHELL or NONE, not nothing");
}

TEST_CASE("manifest: update_config and restart policies") {
  auto u = spec_of(load_yaml(svc("    deploy:\n      update_config:\n        parallelism: 2\n        delay: 0s\n"
                                 "        failure_action: pause\n        order: stop-first\n")));
  REQUIRE(u.update);
  CHECK(*u.update == docker::UpdateConfig{2, docker::Duration(0), "pause", docker::Duration(0), 0, "stop-first"});
  CHECK(error_of(load_yaml(svc("    deploy:\n      update_config:\n        order: random\n"))) ==
        "compose.yml:6:16: deploy.update_config.order must be stop-first or start-first, not 'random'");
  CHECK(error_of(load_yaml(svc("    deploy:\n      update_config:\n        max_failure_ratio: 2\n"))) ==
        "compose.yml:6:28: deploy.update_config.max_failure_ratio must be a number from 0 to 1, not '2'");
  CHECK(error_of(load_yaml(svc("    deploy:\n      update_config:\n        failure_action: retry\n"))) ==
        "compose.yml:6:25: deploy.update_config.failure_action must be continue, rollback or pause, not 'retry'");

  using docker::RestartCondition;
  struct Case {
    const char* restart;
    RestartCondition condition;
    std::optional<std::uint64_t> attempts;
  };
  for (const auto& c : {Case{"no", RestartCondition::None, {}}, Case{"\"no\"", RestartCondition::None, {}},
                        Case{"always", RestartCondition::Any, {}}, Case{"unless-stopped", RestartCondition::Any, {}},
                        Case{"on-failure", RestartCondition::OnFailure, {}},
                        Case{"on-failure:5", RestartCondition::OnFailure, 5}}) {
    CAPTURE(c.restart);
    auto s = spec_of(load_yaml("version: '2'\n" + svc(std::string("    restart: ") + c.restart + "\n")));
    REQUIRE(s.restart);
    CHECK(s.restart->condition == c.condition);
    CHECK(s.restart->max_attempts == c.attempts);
  }
  CHECK_FALSE(spec_of(load_yaml(svc(""))).restart);  // the engine's default, as docker stack deploy leaves it
  auto policy = spec_of(load_yaml(svc("    deploy:\n      restart_policy: {condition: none}\n")));
  CHECK(policy.restart == docker::RestartPolicy{RestartCondition::None});
  CHECK(error_of(load_yaml(svc("    restart: on-failure:x\n"))) ==
        "compose.yml:4:14: restart must be no, always, unless-stopped or on-failure[:N], not 'on-failure:x'");
  CHECK(error_of(load_yaml(svc("    deploy:\n      restart_policy: {condition: sometimes}\n"))) ==
        "compose.yml:5:35: deploy.restart_policy.condition must be none, on-failure or any, not 'sometimes'");
}

TEST_CASE("manifest: command and entrypoint") {
  auto s = spec_of(load_yaml(svc("    entrypoint: /bin/sh -c\n"
                                 "    command: \"echo \\\"it's\\\" 'a  test' x\\\\ y\"\n")));
  CHECK(s.command == std::vector<std::string>{"/bin/sh", "-c"});
  CHECK(s.args == std::vector<std::string>{"echo", "it's", "a  test", "x y"});
  auto list = spec_of(load_yaml(svc("    command: [httpd, -f, -p, 80]\n")));
  CHECK(list.args == std::vector<std::string>{"httpd", "-f", "-p", "80"});
  CHECK(list.command.empty());
  CHECK(error_of(load_yaml(svc("    command: {run: x}\n"))) ==
        "compose.yml:4:14: command must be a string or a list of strings, not a mapping");
}

TEST_CASE("manifest: environment, env_file and classic Swarm constraints") {
  auto s = spec_of(load_yaml("version: '2'\n" + svc("    env_file: [app.env]\n"
                                                    "    environment:\n"
                                                    "      - A=1\n"
                                                    "      - FROM_HCL\n"
                                                    "      - NOT_SET\n"
                                                    "      - constraint:node==master\n"
                                                    "      - constraint:storage!=sd\n"
                                                    "      - EQUALS=a=b\n"
                                                    "    deploy:\n"
                                                    "      placement:\n"
                                                    "        constraints: [node.labels.zone==desk]\n"),
                             {{"FROM_HCL", "yes"}, {"B_BARE", "bare"}},
                             {{"app.env", "B=2\nA=0\nB_BARE\nQUOTED=\"x # y\"\n"}}));
  // Sorted, as docker stack deploy sends them; a bare name hcl's environment lacks stays bare.
  CHECK(s.env ==
        std::vector<std::string>{"A=1", "B=2", "B_BARE=bare", "EQUALS=a=b", "FROM_HCL=yes", "NOT_SET", "QUOTED=x # y"});
  CHECK(s.constraints ==
        std::vector<std::string>{"node.labels.zone==desk", "node.hostname==master", "engine.labels.storage!=sd"});

  auto map = spec_of(load_yaml(svc("    environment:\n      A: 1\n      B: 'true'\n      C: ''\n      D:\n")));
  CHECK(map.env == std::vector<std::string>{"A=1", "B=true", "C=", "D"});

  CHECK(error_of(load_yaml(svc("    environment:\n      - \"affinity:container==db\"\n"))) ==
        "compose.yml:5:9: environment entry 'affinity:container==db': classic Swarm affinities have no swarm-mode "
        "equivalent; use constraints");
  CHECK(error_of(load_yaml(svc("    environment:\n      - \"constraint:node==/mast.*/\"\n"))) ==
        "compose.yml:5:9: environment entry 'constraint:node==/mast.*/': regular expressions and globs cannot be "
        "expressed in swarm mode; name the value exactly");
  CHECK(error_of(load_yaml(svc("    environment:\n      - =x\n"))) ==
        "compose.yml:5:9: environment entry has no name; expected KEY=VALUE");
  CHECK(error_of(load_yaml(svc("    env_file: app.env\n"), {}, {{"app.env", "OK=1\nA='open\n"}})).ends_with(
      "app.env:2:1: the value of A has a quote that is not closed (or text after it)"));
}

TEST_CASE("manifest: labels, networks and aliases") {
  auto r = load_yaml("services:\n"
                     "  web:\n"
                     "    image: busybox\n"
                     "    labels: [a=1, b]\n"
                     "    networks:\n"
                     "      front:\n"
                     "        aliases: [www, web.local]\n"
                     "      back:\n"
                     "      outside:\n"
                     "networks:\n"
                     "  front: {internal: true, attachable: false}\n"
                     "  back: {name: custom-back}\n"
                     "  outside: {external: true}\n"
                     "  legacy:\n"
                     "    external:\n"
                     "      name: old-net\n");
  auto s = spec_of(r);
  CHECK(s.container_labels == docker::Labels{{"a", "1"}, {"b", ""}, {swarm::kProjectLabel, "demo"}});
  // Sorted by name, each with its own aliases and the service's key.
  CHECK(s.networks == std::vector<docker::NetworkAttachment>{{"custom-back", {"web"}, {}},
                                                             {"demo_front", {"www", "web.local", "web"}, {}},
                                                             {"outside", {"web"}, {}}});
  REQUIRE(r->networks.size() == 3);
  CHECK(r->networks[0].spec.internal);
  CHECK_FALSE(r->networks[0].spec.attachable);
  CHECK(r->networks[1].spec.name == "custom-back");
  CHECK(r->networks[2].external);
  CHECK(r->networks[2].name == "outside");
  CHECK(error_of(load_yaml(svc("    networks:\n      x:\n        ipv4_address: 10.0.0.5\nnetworks:\n  x: {}\n"))) ==
        "compose.yml:6:9: key 'networks.x.ipv4_address' is not supported by hcl: swarm services get their addresses "
        "from the network");
  CHECK(error_of(load_yaml(svc("    networks: [n]\nnetworks:\n  n:\n    ipam:\n      config:\n"
                               "        - {subnet: 10.1.0.0/24, gateway: 10.2.0.1}\n"))) ==
        "compose.yml:9:42: gateway '10.2.0.1': not inside the subnet 10.1.0.0/24");
}

TEST_CASE("manifest: services come in dependency order, ties in file order") {
  auto r = load_yaml("services:\n"
                     "  web: {image: busybox, depends_on: [api, cache]}\n"
                     "  api: {image: busybox, depends_on: {db: {condition: service_started}}}\n"
                     "  lone: {image: busybox}\n"
                     "  cache: {image: busybox}\n"
                     "  db: {image: busybox}\n");
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  std::vector<std::string> order;
  for (const auto& s : r->services) order.push_back(s.key);
  CHECK(order == std::vector<std::string>{"lone", "cache", "db", "api", "web"});
  CHECK(r->services[4].depends_on == std::vector<std::string>{"api", "cache"});

  CHECK(error_of(load_yaml("services:\n"
                           "  a: {image: busybox, depends_on: [b]}\n"
                           "  b: {image: busybox, depends_on: [a, c]}\n"
                           "  c: {image: busybox, depends_on: [c]}\n")) ==
        "compose.yml:2:36: dependency cycle: a -> b -> a\n"
        "compose.yml:4:36: dependency cycle: c -> c");
}

TEST_CASE("manifest: the whole file is checked and every error reported") {
  auto r = load_yaml("version: '3.8'\n"
                     "services:\n"
                     "  web:\n"
                     "    image: busybox\n"
                     "    deploy: {replicas: lots, mode: globl}\n"
                     "    enviroment: [A=1]\n"
                     "  db:\n"
                     "    image: ''\n"
                     "    depends_on: [cache]\n"
                     "    networks: [back]\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Usage);
  CHECK(r.error().what.ends_with("/demo/compose.yml:5:24"));
  CHECK(error_of(r) == "compose.yml:5:24: deploy.replicas must be a non-negative integer, not 'lots'\n"
                       "compose.yml:5:36: deploy.mode must be replicated, global, replicated-job or global-job, not "
                       "'globl'\n"
                       "compose.yml:6:5: unknown key 'enviroment'; did you mean 'environment'?\n"
                       "compose.yml:8:12: image must not be empty\n"
                       "compose.yml:9:18: depends_on: service 'cache' is not defined\n"
                       "compose.yml:10:16: network 'back' is not declared under the top-level networks key");
}

TEST_CASE("manifest: an image key with no value is an empty image, in every format (found by fuzz_manifest)") {
  CHECK(error_of(load_yaml("services:\n  web:\n    image:\n")) == "compose.yml:3:5: image must not be empty");
  CHECK(error_of(load_yaml("services:\n  web:\n    image: ~\n")) == "compose.yml:3:5: image must not be empty");
  CHECK(error_of(load_yaml("web:\n  image:\n")) == "compose.yml:2:3: image must not be empty");
}

TEST_CASE("manifest: scale, replicas, endpoint mode and merge keys") {
  CHECK(spec_of(load_yaml("version: '2.2'\n" + svc("    scale: 10\n"))).replicas == 10);
  CHECK(spec_of(load_yaml(svc("    deploy: {replicas: 0}\n"))).replicas == 0);
  CHECK(error_of(load_yaml("version: '3.7'\n" + svc("    scale: 2\n"))) ==
        "compose.yml:5:5: key 'scale' is not part of compose format 3; use deploy.replicas");
  auto merged = spec_of(load_yaml("x-base: &base\n  image: busybox\n  deploy: {replicas: 2}\n"
                                  "services:\n  web:\n    <<: *base\n    image: nginx\n"));
  CHECK(merged.image == "nginx:latest");  // explicit keys win over merged ones
  CHECK(merged.replicas == 2);
  CHECK(error_of(load_yaml("services:\n  web.1: {image: busybox}\n")) ==
        "compose.yml:2:3: service name 'demo_web.1' is not valid in swarm mode: at most 63 letters, digits, '-' and "
        "'_', starting and ending with a letter or digit");
  CHECK(error_of(load_yaml("version: '3.8'\nservices: []\n")) == "compose.yml:2:11: services must be a mapping, not a list");
  CHECK(error_of(load_yaml("version: 4\nservices:\n  web: {image: busybox}\n")) ==
        "compose.yml:1:10: unsupported version '4': hcl reads compose formats 2, 2.x, 3 and 3.x, and files without a "
        "version (the compose specification, or format 1: services at the top level)");
}

TEST_CASE("manifest: keys with messages of their own") {
  auto r = load_yaml("version: '2'\n"
                     "services:\n"
                     "  web:\n"
                     "    image: busybox\n"
                     "    network_mode: bridge\n"
                     "    links: [db]\n"
                     "    expose: [80]\n"
                     "    x-anything: {ignored: silently}\n"
                     "  db:\n"
                     "    image: busybox\n"
                     "    entrypoint: []\n");
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  std::vector<std::string> warnings;
  for (const auto& w : r->warnings) warnings.push_back(std::to_string(w.where.line) + ": " + w.message);
  CHECK(warnings == std::vector<std::string>{
                        "5: key 'network_mode' is ignored: services join the project's overlay networks",
                        "7: key 'expose' is not supported by hcl and is ignored: every port of a service is reachable on "
                        "its networks",
                        "11: an empty entrypoint cannot override the image's and is ignored",
                    });
  CHECK(error_of(load_yaml(svc("    network_mode: \"service:db\"\n"))) ==
        "compose.yml:4:19: network_mode 'service:db' cannot be given to a swarm service: it joins the project's overlay "
        "networks, or the host's network with network_mode: host");
  auto host = spec_of(load_yaml(svc("    network_mode: host\n")));
  CHECK(host.networks == std::vector<docker::NetworkAttachment>{{"host", {}, {}}});
  CHECK(error_of(load_yaml(svc("    cpu_quota: 50000\n"))) ==
        "compose.yml:4:5: key 'cpu_quota' is not supported by hcl: swarm services have no CPU quota; use "
        "deploy.resources.limits.cpus");
  CHECK(error_of(load_yaml(svc("    deploy: {replica: 2}\n"))) ==
        "compose.yml:4:14: unknown key 'deploy.replica'; did you mean 'replicas'?");
  CHECK(error_of(load_yaml(svc("    imgae: nginx\n"))) == "compose.yml:4:5: unknown key 'imgae'; did you mean 'image'?");
  CHECK(error_of(load_yaml(svc("    frobnicate: true\n"))) == "compose.yml:4:5: unknown key 'frobnicate'");
}
