// The service spec: everything it holds goes to the engine in docker stack deploy's shape and
// comes back equal; what the engine fills in reads back as hcl's defaults; features an engine's
// API version lacks are refused before anything is sent; secrets, configs and rollbacks.
#include <hcl/docker.hpp>
#include <hcl/text.hpp>

#include "recorded_transport.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>

using namespace hcl;
using namespace std::chrono_literals;
using hcl::testing::RecordedTransport;
using json = nlohmann::json;

namespace {

// A spec with every field set to something other than its default.
docker::ServiceSpec full_spec() {
  docker::ServiceSpec s;
  s.name = "app_web";
  s.labels = {{"com.docker.stack.namespace", "app"}, {"team", "lab"}};
  s.image = "nginx:1.27";
  s.container_labels = {{"role", "web"}};
  s.command = {"/docker-entrypoint.sh"};
  s.args = {"nginx", "-g", "daemon off;"};
  s.hostname = "web-{{.Task.Slot}}";
  s.env = {"A=1", "B"};
  s.workdir = "/srv";
  s.user = "101:101";
  s.groups = {"audio"};
  s.privileges.no_new_privileges = true;
  s.privileges.seccomp_mode = "custom";
  s.privileges.seccomp_profile = R"({"defaultAction":"SCMP_ACT_ALLOW"})";
  s.privileges.apparmor_mode = "disabled";
  s.init = false;
  s.tty = true;
  s.open_stdin = true;
  s.read_only = true;
  docker::Mount bind;
  bind.type = "bind";
  bind.source = "/var/run/docker.sock";
  bind.target = "/var/run/docker.sock";
  bind.read_only = true;
  bind.propagation = "rslave";
  docker::Mount vol;
  vol.source = "app_data";
  vol.target = "/data";
  vol.no_copy = true;
  vol.subpath = "web";
  vol.volume_labels = {{"com.docker.stack.namespace", "app"}};
  vol.volume_driver = "local";
  vol.volume_driver_options = {{"type", "tmpfs"}};
  docker::Mount tmp;
  tmp.type = "tmpfs";
  tmp.target = "/tmp";
  tmp.tmpfs_size = 1 << 20;
  tmp.tmpfs_mode = 01777;
  tmp.tmpfs_options = {{"noexec"}, {"uid", "0"}};
  s.mounts = {bind, vol, tmp};
  s.stop_signal = "SIGQUIT";
  s.stop_grace_period = 90s;
  s.healthcheck = docker::Healthcheck{{"CMD", "curl", "-f", "http://localhost"}, 30s, 5s, 10s, 1s, 3};
  s.hosts = {"10.0.0.1 db"};
  s.dns = docker::DnsConfig{{"10.0.0.2"}, {"lab.local"}, {"ndots:2"}};
  s.secrets = {{"app_pw", "sec1", "pw", "1000", "1000", 0400}};
  s.configs = {{"app_conf", "conf1", "/etc/nginx/nginx.conf", "0", "0", 0444}};
  s.isolation = "process";
  s.sysctls = {{"net.core.somaxconn", "1024"}};
  s.capability_add = {"CAP_NET_ADMIN"};
  s.capability_drop = {"ALL"};
  s.ulimits = {{"nofile", 1024, 2048}};
  s.oom_score_adj = -500;
  docker::Resources r;
  r.cpu_limit_nano = 500000000;
  r.memory_limit_bytes = 64 << 20;
  r.pids_limit = 100;
  r.cpu_reservation_nano = 100000000;
  r.memory_reservation_bytes = 32 << 20;
  r.generic = {{"gpu", 2, ""}, {"ssd", std::nullopt, "ssd-1"}};
  s.resources = r;
  s.restart = docker::RestartPolicy{docker::RestartCondition::OnFailure, 5s, 3, 2min};
  s.constraints = {"node.role == worker"};
  s.spread = {"node.labels.zone"};
  s.max_replicas_per_node = 2;
  s.networks = {{"app_back", {"web", "www"}, {{"mtu", "1400"}}}};
  s.log_driver = docker::LogDriver{"json-file", {{"max-size", "10m"}}};
  s.force_update = 2;
  s.mode = docker::ServiceMode::ReplicatedJob;
  s.replicas = 6;
  s.max_concurrent = 2;
  s.update = docker::UpdateConfig{2, 10s, "rollback", 30s, 0.25, "start-first"};
  s.rollback = docker::UpdateConfig{0, 0s, "continue", 5s, 0, "stop-first"};
  s.endpoint_mode = docker::EndpointMode::Dnsrr;
  s.ports = {{80, 8080, "tcp", docker::PublishMode::Host}};
  return s;
}

// The engine's answer to GET /services/ID for a spec it was sent.
std::string service_answer(const std::string& spec_json) {
  return R"({"ID":"svc1","Version":{"Index":7},"Spec":)" + spec_json + "}";
}

}  // namespace

TEST_CASE("every field of a spec goes to the engine and comes back equal") {
  RecordedTransport t;
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.52"}});
  t.on("POST", "/v1.52/services/create", 201, R"({"ID":"svc1"})");
  docker::Client c(t);
  REQUIRE(c.api_version().ok());
  auto spec = full_spec();
  REQUIRE(c.create_service(spec).ok());
  const std::string body = t.requests.back().body;
  json sent = json::parse(body);
  // docker stack deploy's shape: durations in nanoseconds, the seccomp profile in base64, the
  // empty Privileges fields as nulls.
  CHECK(sent["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"] == 90000000000LL);
  CHECK(sent["TaskTemplate"]["ContainerSpec"]["Privileges"]["SELinuxContext"].is_null());
  CHECK(sent["TaskTemplate"]["ContainerSpec"]["Privileges"]["Seccomp"]["Profile"] ==
        text::base64_encode(spec.privileges.seccomp_profile));
  CHECK(sent["Mode"]["ReplicatedJob"] == json{{"MaxConcurrent", 2}, {"TotalCompletions", 6}});
  CHECK(sent["TaskTemplate"]["Placement"]["Preferences"][0]["Spread"]["SpreadDescriptor"] == "node.labels.zone");
  CHECK(sent["TaskTemplate"]["Resources"]["Reservations"]["GenericResources"][1]["NamedResourceSpec"]["Value"] == "ssd-1");

  t.on("GET", "/v1.52/services/svc1", 200, service_answer(sent.dump()));
  auto back = c.service("svc1");
  REQUIRE(back.ok());
  CHECK(back->spec == spec);
}

TEST_CASE("the smallest spec is sent as docker stack deploy sends it") {
  RecordedTransport t;
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.41"}});
  t.on("POST", "/v1.41/services/create", 201, R"({"ID":"svc1"})");
  docker::Client c(t);
  docker::ServiceSpec s;
  s.name = "app_web";
  s.image = "nginx:latest";
  REQUIRE(c.create_service(s).ok());
  json sent = json::parse(t.requests.back().body);
  // The engine stores the empty objects it is given: they are sent, as stack deploy sends them.
  CHECK(sent["TaskTemplate"]["Resources"] == json::object());
  CHECK(sent["TaskTemplate"]["Placement"] == json::object());
  CHECK(sent["TaskTemplate"]["ContainerSpec"]["Privileges"] ==
        json{{"CredentialSpec", nullptr}, {"SELinuxContext", nullptr}, {"NoNewPrivileges", false}});
  CHECK(sent["EndpointSpec"] == json{{"Mode", "vip"}});
  CHECK(sent["Mode"] == json{{"Replicated", {{"Replicas", 1}}}});
  CHECK_FALSE(sent["TaskTemplate"].contains("RestartPolicy"));  // the engine's default
  CHECK_FALSE(sent.contains("UpdateConfig"));
}

TEST_CASE("what the engine fills in reads back as the defaults") {
  // A spec as engine 28.5 stores one made with no options (recorded on the lab).
  const std::string stored = R"({"Name":"app_web","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"nginx:latest",
    "Labels":{},"Privileges":{"CredentialSpec":null,"SELinuxContext":null,"NoNewPrivileges":false},"Isolation":"default"},
    "Resources":{},"Placement":{},"ForceUpdate":0,"Runtime":"container"},"Mode":{"Replicated":{"Replicas":1}},
    "UpdateConfig":{"Parallelism":1,"FailureAction":"","MaxFailureRatio":0,"Order":""},
    "EndpointSpec":{"Mode":"vip"}})";
  RecordedTransport t;
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.51"}});
  t.on("GET", "/v1.51/services/x", 200, service_answer(stored));
  docker::Client c(t);
  auto s = c.service("x");
  REQUIRE(s.ok());
  docker::ServiceSpec want;
  want.name = "app_web";
  want.image = "nginx:latest";
  want.update = docker::UpdateConfig{};  // pause, stop-first: what "" means
  CHECK(s->spec == want);
}

TEST_CASE("a spec that needs a newer API is refused before anything is sent") {
  RecordedTransport t;
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.45"}});
  docker::Client c(t);
  docker::ServiceSpec s;
  s.name = "app_web";
  s.image = "nginx:latest";
  s.oom_score_adj = 100;
  auto id = c.create_service(s);
  REQUIRE_FALSE(id.ok());
  CHECK(id.error().message() ==
        "creating service app_web: ContainerSpec.OomScoreAdj needs Docker Engine API 1.46 (Docker 27.0); the engine at "
        "http://recorded:2378 speaks API 1.45");
  for (const auto& r : t.requests) CHECK(r.method == "GET");  // nothing written
  REQUIRE_FALSE(t.requests.empty());

  auto results = c.write_services({{"", 0, s}});
  REQUIRE(results.size() == 1);
  CHECK_FALSE(results[0].ok());
  CHECK(docker::features_used(s) == std::vector<docker::Feature>{docker::Feature::OomScoreAdj});
  CHECK(docker::features_used(docker::ServiceSpec{}).empty());
}

TEST_CASE("secrets and configs: listed, created in base64, removed") {
  RecordedTransport t;
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.41"}});
  t.on("GET", "/v1.41/configs", 200,
       R"([{"ID":"c1","Version":{"Index":3},"Spec":{"Name":"app_conf","Labels":{"com.hcl.key":"conf"},"Data":"aGVsbG8="}}])");
  t.on("GET", "/v1.41/secrets", 200, R"([{"ID":"s1","Version":{"Index":4},"Spec":{"Name":"app_pw","Labels":{}}}])");
  t.on("POST", "/v1.41/secrets/create", 201, R"({"ID":"s2"})");
  t.on("DELETE", "/v1.41/configs/c1", 204, "");
  docker::Client c(t);
  auto configs = c.file_objects(docker::FileObjectKind::Config);
  REQUIRE(configs.ok());
  REQUIRE(configs->size() == 1);
  CHECK((*configs)[0].data == "hello");
  CHECK((*configs)[0].labels.at("com.hcl.key") == "conf");
  auto secrets = c.file_objects(docker::FileObjectKind::Secret);
  REQUIRE(secrets.ok());
  CHECK((*secrets)[0].data.empty());  // the engine never gives a secret's data back
  auto id = c.create_file_object(docker::FileObjectKind::Secret, {"app_pw2", {{"a", "b"}}, "s3cr3t\n", "", {}, ""});
  REQUIRE(id.ok());
  CHECK(*id == "s2");
  json sent = json::parse(t.requests.back().body);
  CHECK(sent["Data"] == text::base64_encode("s3cr3t\n"));
  CHECK(sent["Labels"] == json{{"a", "b"}});
  CHECK(c.remove_file_object(docker::FileObjectKind::Config, "c1").ok());
}

TEST_CASE("a rollback sends the current spec back with rollback=previous") {
  RecordedTransport t;
  t.on("GET", "/_ping", 200, "OK", {{"Api-Version", "1.41"}});
  t.on("GET", "/v1.41/services/web", 200,
       R"({"ID":"svc1","Version":{"Index":9},"Spec":{"Name":"web"},"PreviousSpec":{"Name":"web"}})");
  t.on("POST", "/v1.41/services/svc1/update?version=9&rollback=previous", 200, "{}");
  docker::Client c(t);
  REQUIRE(c.rollback_service("web").ok());
  CHECK(json::parse(t.requests.back().body) == json{{"Name", "web"}});

  t.on("GET", "/v1.41/services/new", 200, R"({"ID":"svc2","Version":{"Index":1},"Spec":{"Name":"new"}})");
  auto none = c.rollback_service("new");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().why.starts_with("the service has no previous spec"));
}

TEST_CASE("sha256 of known texts") {
  CHECK(text::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(text::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(text::sha256_hex(std::string(1000, 'a')) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}
