// The compose keys that become the container's settings, service modes, secrets and configs:
// converted as docker stack deploy converts them, with the features that need newer engines
// recorded at their keys.
#include <hcl/manifest.hpp>
#include <hcl/swarm/images.hpp>
#include <hcl/swarm/labels.hpp>

#include "manifest_helpers.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

using namespace hcl;
using namespace hcl::testing;
using namespace std::chrono_literals;

namespace {

bool uses(const Result<Project>& r, docker::Feature f, const std::string& key) {
  REQUIRE(r.ok());
  for (const auto& s : r->services)
    for (const auto& u : s.features)
      if (u.feature == f && u.key == key) return true;
  return false;
}

}  // namespace

TEST_CASE("manifest: the container's keys") {
  auto r = load_yaml(svc("    hostname: web-1\n"
                         "    user: \"101\"\n"
                         "    working_dir: /srv\n"
                         "    group_add: [audio, 44]\n"
                         "    init: false\n"
                         "    tty: true\n"
                         "    stdin_open: true\n"
                         "    read_only: true\n"
                         "    stop_signal: SIGQUIT\n"
                         "    stop_grace_period: 1m30s\n"
                         "    cap_add: [net_admin, CAP_SYS_TIME, net_admin, chown]\n"
                         "    cap_drop: [chown, mknod]\n"
                         "    sysctls: [net.core.somaxconn=1024]\n"
                         "    ulimits:\n"
                         "      nproc: 65535\n"
                         "      nofile: {soft: 20000, hard: 40000}\n"
                         "    oom_score_adj: -500\n"
                         "    isolation: default\n"
                         "    extra_hosts: [\"db:10.0.0.5\", \"v6=[::1]\"]\n"
                         "    dns: 10.0.0.2\n"
                         "    dns_search: [lab.local]\n"
                         "    dns_opt: [ndots:2]\n"
                         "    logging:\n"
                         "      driver: json-file\n"
                         "      options: {max-size: 10m, max-file: 3}\n"
                         "    security_opt: [no-new-privileges:true, apparmor=unconfined, seccomp:unconfined]\n"));
  auto s = spec_of(r);
  CHECK(s.hostname == "web-1");
  CHECK(s.user == "101");
  CHECK(s.workdir == "/srv");
  CHECK(s.groups == std::vector<std::string>{"audio", "44"});
  CHECK(s.init == false);
  CHECK(s.tty);
  CHECK(s.open_stdin);
  CHECK(s.read_only);
  CHECK(s.stop_signal == "SIGQUIT");
  CHECK(s.stop_grace_period == 90s);
  // Upper case, CAP_ in front, once each, sorted; added wins over dropped.
  CHECK(s.capability_add == std::vector<std::string>{"CAP_CHOWN", "CAP_NET_ADMIN", "CAP_SYS_TIME"});
  CHECK(s.capability_drop == std::vector<std::string>{"CAP_MKNOD"});
  CHECK(s.sysctls == std::map<std::string, std::string>{{"net.core.somaxconn", "1024"}});
  CHECK(s.ulimits == std::vector<docker::Ulimit>{{"nofile", 20000, 40000}, {"nproc", 65535, 65535}});  // by name
  CHECK(s.oom_score_adj == -500);
  CHECK(s.isolation == "default");
  CHECK(s.hosts == std::vector<std::string>{"10.0.0.5 db", "::1 v6"});
  CHECK(s.dns == docker::DnsConfig{{"10.0.0.2"}, {"lab.local"}, {"ndots:2"}});
  CHECK(s.log_driver == docker::LogDriver{"json-file", {{"max-file", "3"}, {"max-size", "10m"}}});
  CHECK(s.privileges.no_new_privileges);
  CHECK(s.privileges.apparmor_mode == "disabled");
  CHECK(s.privileges.seccomp_mode == "unconfined");
  // Features only newer engines have, recorded at their keys.
  CHECK(uses(r, docker::Feature::OomScoreAdj, "oom_score_adj"));
  CHECK(uses(r, docker::Feature::NoNewPrivileges, "security_opt: no-new-privileges:true"));
  CHECK(uses(r, docker::Feature::Init, "init"));
  CHECK(uses(r, docker::Feature::CapabilityAddDrop, "cap_add"));

  auto all = spec_of(load_yaml(svc("    cap_add: [ALL, net_admin]\n    cap_drop: [ALL]\n")));
  CHECK(all.capability_add == std::vector<std::string>{"ALL"});
  CHECK(all.capability_drop.empty());
  auto hosts = spec_of(load_yaml(svc("    extra_hosts:\n      b: 10.0.0.2\n      a: [10.0.0.1, \"::1\"]\n")));
  CHECK(hosts.hosts == std::vector<std::string>{"10.0.0.1 a", "::1 a", "10.0.0.2 b"});

  CHECK(error_of(load_yaml(svc("    extra_hosts: [nohost]\n"))) ==
        "compose.yml:4:19: extra_hosts entry 'nohost' has no address; expected NAME:IP");
  CHECK(error_of(load_yaml(svc("    ulimits: {nofile: {soft: 10}}\n"))) == "compose.yml:4:23: ulimits.nofile needs both soft and hard");
  CHECK(error_of(load_yaml(svc("    ulimits: {nofile: {soft: 10, hard: 5}}\n"))) ==
        "compose.yml:4:23: ulimits.nofile: the soft limit 10 is above the hard limit 5");
  CHECK(error_of(load_yaml(svc("    oom_score_adj: 2000\n"))) == "compose.yml:4:20: oom_score_adj must be from -1000 to 1000");
  CHECK(error_of(load_yaml(svc("    security_opt: [label=type:svirt_apache_t]\n"))) ==
        "compose.yml:4:20: security_opt 'label=type:svirt_apache_t' cannot be given to a swarm service: it takes "
        "no-new-privileges, seccomp=unconfined|PROFILE.json and apparmor=unconfined");
  CHECK(error_of(load_yaml(svc("    stop_grace_period: 10\n"))) ==
        "compose.yml:4:24: stop_grace_period must be a duration like 10s, 1m30s or 500ms, not '10'");
}

TEST_CASE("manifest: healthcheck start_interval, and test with disable") {
  auto r = load_yaml(svc("    healthcheck:\n      test: [CMD, true]\n      start_period: 20s\n      start_interval: 1s\n"));
  auto s = spec_of(r);
  REQUIRE(s.healthcheck);
  CHECK(s.healthcheck->start_period == 20s);
  CHECK(s.healthcheck->start_interval == 1s);
  CHECK(uses(r, docker::Feature::HealthStartInterval, "healthcheck.start_interval"));
}

TEST_CASE("manifest: service modes, rollback_config, placement preferences, generic resources") {
  auto global = spec_of(load_yaml(svc("    deploy: {mode: global}\n")));
  CHECK(global.mode == docker::ServiceMode::Global);
  auto job = load_yaml(svc("    deploy: {mode: replicated-job, replicas: 4}\n"));
  CHECK(spec_of(job).mode == docker::ServiceMode::ReplicatedJob);
  CHECK(spec_of(job).replicas == 4);
  CHECK(uses(job, docker::Feature::Jobs, "deploy.mode: replicated-job"));
  CHECK(spec_of(load_yaml(svc("    deploy: {mode: global-job}\n"))).mode == docker::ServiceMode::GlobalJob);

  auto s = spec_of(load_yaml(svc("    deploy:\n"
                                 "      rollback_config: {parallelism: 0, failure_action: continue, monitor: 5s}\n"
                                 "      placement:\n"
                                 "        preferences: [{spread: node.labels.zone}, {spread: node.labels.rack}]\n"
                                 "        max_replicas_per_node: 2\n"
                                 "      resources:\n"
                                 "        limits: {pids: 200}\n"
                                 "        reservations:\n"
                                 "          generic_resources:\n"
                                 "            - discrete_resource_spec: {kind: gpu, value: 2}\n")));
  CHECK(s.rollback == docker::UpdateConfig{0, 0s, "continue", 5s, 0, "stop-first"});
  CHECK(s.spread == std::vector<std::string>{"node.labels.zone", "node.labels.rack"});
  CHECK(s.max_replicas_per_node == 2u);
  REQUIRE(s.resources);
  CHECK(s.resources->pids_limit == 200);
  CHECK(s.resources->generic == std::vector<docker::GenericResource>{{"gpu", 2, ""}});
  // Placement constraints go to the engine as written, once checked.
  CHECK(spec_of(load_yaml(svc("    deploy: {placement: {constraints: [\"node.role == worker\"]}}\n"))).constraints ==
        std::vector<std::string>{"node.role == worker"});

  CHECK(error_of(load_yaml(svc("    deploy: {rollback_config: {failure_action: rollback}}\n"))) ==
        "compose.yml:4:48: deploy.rollback_config.failure_action must be continue or pause, not 'rollback'");
  CHECK(error_of(load_yaml(svc("    deploy: {mode: daemon}\n"))) ==
        "compose.yml:4:20: deploy.mode must be replicated, global, replicated-job or global-job, not 'daemon'");
}

TEST_CASE("manifest: secrets and configs, at the top level and on services") {
  auto r = load_yaml("services:\n"
                     "  web:\n"
                     "    image: nginx\n"
                     "    secrets:\n"
                     "      - db_pw\n"
                     "      - source: api_key\n"
                     "        target: /etc/api.key\n"
                     "        uid: \"101\"\n"
                     "        gid: \"101\"\n"
                     "        mode: 0400\n"
                     "    configs:\n"
                     "      - source: site\n"
                     "        target: /etc/nginx/conf.d/site.conf\n"
                     "      - motd\n"
                     "secrets:\n"
                     "  db_pw:\n"
                     "    file: ./pw.txt\n"
                     "  api_key:\n"
                     "    environment: API_KEY\n"
                     "configs:\n"
                     "  site:\n"
                     "    content: |\n"
                     "      server { listen 80; }\n"
                     "  motd:\n"
                     "    external: true\n"
                     "    name: lab-motd\n"
                     "  unused:\n"
                     "    content: x\n",
                     {{"API_KEY", "k-123"}}, {{"pw.txt", "s3cr3t\n"}});
  auto s = spec_of(r);
  // Sorted by name, as docker stack deploy sends them; IDs come with the plan.
  CHECK(s.secrets == std::vector<docker::FileReference>{{"demo_api_key", "", "/etc/api.key", "101", "101", 0400},
                                                       {"demo_db_pw", "", "db_pw", "0", "0", 0444}});
  CHECK(s.configs == std::vector<docker::FileReference>{{"demo_site", "", "/etc/nginx/conf.d/site.conf", "0", "0", 0444},
                                                       {"lab-motd", "", "motd", "0", "0", 0444}});
  REQUIRE(r->secrets.size() == 2);
  CHECK(r->secrets[0].key == "db_pw");
  CHECK(r->secrets[0].data == "s3cr3t\n");
  CHECK(r->secrets[0].labels == docker::Labels{{swarm::kProjectLabel, "demo"}});
  CHECK(r->secrets[1].data == "k-123");
  REQUIRE(r->configs.size() == 2);  // `unused` is not created
  CHECK(r->configs[0].data == "server { listen 80; }\n");
  CHECK(r->configs[1].external);
  CHECK(r->configs[1].name == "lab-motd");
  CHECK(std::any_of(r->warnings.begin(), r->warnings.end(),
                    [](const auto& w) { return w.message == "config 'unused' is not used by any service and is not created"; }));

  CHECK(error_of(load_yaml(svc("    secrets: [nope]\n"))) ==
        "compose.yml:4:15: secret 'nope' is not declared under the top-level secrets key");
  CHECK(error_of(load_yaml(svc("    secrets: [a]\nsecrets:\n  a: {file: ./missing.txt}\n"))) ==
        "compose.yml:6:13: secrets.a.file './missing.txt': No such file or directory (paths are relative to the "
        "manifest's directory)");
  CHECK(error_of(load_yaml(svc("    secrets: [a]\nsecrets:\n  a: {environment: NOT_SET}\n"))) ==
        "compose.yml:6:20: secrets.a.environment: the variable NOT_SET is not set");
  CHECK(error_of(load_yaml(svc("    secrets: [a]\nsecrets:\n  a: {file: ./x, content: y}\n"))) ==
        "compose.yml:6:18: unknown key 'secrets.a.content'");
  CHECK(error_of(load_yaml(svc("    configs: [a]\nconfigs:\n  a: {file: ./x, content: y}\n"))) ==
        "compose.yml:6:18: config 'a' needs exactly one of file, environment or content, or external: true");
  CHECK(error_of(load_yaml(svc("    configs: [a, {source: a}]\nconfigs:\n  a: {content: y}\n"))) ==
        "compose.yml:4:18: config target 'a' is used twice");
}

TEST_CASE("images are normalised as the docker CLI does") {
  auto n = [](std::string_view ref) {
    auto r = swarm::normalize_image(ref);
    return r ? *r : "error: " + r.error().why;
  };
  CHECK(n("nginx") == "nginx:latest");
  CHECK(n("docker.io/library/nginx") == "nginx:latest");
  CHECK(n("index.docker.io/prom/prometheus") == "prom/prometheus:latest");
  CHECK(n("redis:7-alpine") == "redis:7-alpine");
  CHECK(n("reg.lab:5000/team/app") == "reg.lab:5000/team/app:latest");
  CHECK(n("localhost/app:1") == "localhost/app:1");
  CHECK(n("hcl-lab/busybox") == "hcl-lab/busybox:latest");
  std::string digest = "sha256:" + std::string(64, 'a');
  CHECK(n("nginx@" + digest) == "nginx@" + digest);
  CHECK(n("nginx:1.27@" + digest) == "nginx:1.27@" + digest);
  CHECK(n(std::string(64, 'f')) == std::string(64, 'f'));  // an image ID
  CHECK(n("Nginx").starts_with("error: not a valid image reference: 'Nginx' must be lower-case"));
  CHECK(n("nginx:") == "error: not a valid image reference: '' is not a tag");
  CHECK(n("a//b").starts_with("error: not a valid image reference"));
}
