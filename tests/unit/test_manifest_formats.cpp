// The compose formats hcl reads (format 1, docker-compose 1.x's, besides 2, 3 and the specification),
// each recognised from the file, and what each cannot mean reported at its key; links, extends,
// include, !reset and !override, x- fields, long depends_on, and the bounds on what is read.
#include <hcl/manifest.hpp>

#include "manifest_helpers.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace hcl;
using namespace hcl::testing;

namespace {

std::vector<std::string> warnings_of(const Result<Project>& r) {
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  std::vector<std::string> out;
  for (const auto& w : r->warnings) out.push_back(std::to_string(w.where.line) + ": " + w.message);
  return out;
}

// The parity corpus's classic files, loaded from where they are, as the harness deploys them.
Result<Project> load_corpus(const std::string& name) {
  LoadOptions o;
  o.env = env_of({{"PWD", "/srv/lab"}});
  return load(std::string(HCL_TEST_DATA) + "/../parity/corpus/classic/" + name, o);
}

}  // namespace

TEST_CASE("format 1: each top-level key is a service, read as format 2 reads it") {
  const std::string keys = "    image: nginx:1.25\n"
                           "    command: nginx -g 'daemon off;'\n"
                           "    entrypoint: [/docker-entrypoint.sh]\n"
                           "    ports: [\"8080:80\"]\n"
                           "    environment: [A=1, B=2]\n"
                           "    labels: {team: web}\n"
                           "    dns: 8.8.8.8\n"
                           "    dns_search: [example.org]\n"
                           "    cap_add: [NET_ADMIN]\n"
                           "    cap_drop: [MKNOD]\n"
                           "    restart: always\n"
                           "    user: \"101\"\n"
                           "    working_dir: /srv\n"
                           "    hostname: web-1\n"
                           "    read_only: true\n"
                           "    tty: true\n"
                           "    stdin_open: true\n"
                           "    mem_limit: 64m\n"
                           "    ulimits: {nofile: {soft: 1024, hard: 2048}}\n"
                           "    security_opt: [no-new-privileges]\n"
                           "    volumes: [\"/data:/data:ro\"]\n";
  auto indent1 = [](std::string text) {  // format 2's service body, two spaces less
    std::string out;
    std::size_t from = 0;
    while (from < text.size()) {
      auto nl = text.find('\n', from);
      out += text.substr(from + 2, nl - from - 2 + 1);
      from = nl + 1;
    }
    return out;
  };
  auto v1 = load_yaml("web:\n" + indent1(keys) + "  log_driver: json-file\n  log_opt: {max-size: 10m}\n");
  auto v2 = load_yaml("version: '2'\nservices:\n  web:\n" + keys + "    logging: {driver: json-file, options: {max-size: 10m}}\n");
  auto s1 = spec_of(v1);
  CHECK(s1 == spec_of(v2));
  CHECK(s1.image == "nginx:1.25");
  CHECK(s1.args == std::vector<std::string>{"nginx", "-g", "daemon off;"});
  CHECK(s1.log_driver == docker::LogDriver{"json-file", {{"max-size", "10m"}}});
  // classic networking, as format 2: ports on each task's node, DNS round robin, the default network
  REQUIRE(s1.ports.size() == 1);
  CHECK(s1.ports[0].mode == docker::PublishMode::Host);
  CHECK(s1.endpoint_mode == docker::EndpointMode::Dnsrr);
  CHECK(s1.networks == std::vector<docker::NetworkAttachment>{{"demo_default", {"web"}, {}}});
  REQUIRE(v1.ok());
  REQUIRE(v1->networks.size() == 1);
  CHECK(v1->networks[0].name == "demo_default");
}

TEST_CASE("format 1: several services, x- keys, net, and the same warnings and refusals as format 2") {
  auto r = load_yaml("x-note: not a service\n"
                     "web:\n"
                     "  image: busybox\n"
                     "  privileged: true\n"
                     "  x-mine: {ignored: silently}\n"
                     "db:\n"
                     "  image: busybox\n"
                     "  net: bridge\n");
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  REQUIRE(r->services.size() == 2);
  CHECK(r->services[0].key == "web");
  CHECK(r->services[1].key == "db");
  CHECK(warnings_of(r) == std::vector<std::string>{
                              "4: key 'privileged' is not supported by hcl and is ignored: swarm services cannot run "
                              "privileged containers (docker stack deploy ignores it too)",
                              "8: key 'net' is ignored: services join the project's overlay networks",
                          });
  CHECK(spec_of(load_yaml("web:\n  image: busybox\n  net: host\n")).networks ==
        std::vector<docker::NetworkAttachment>{{"host", {}, {}}});
  CHECK(error_of(load_yaml("web:\n  image: busybox\n  net: \"container:db\"\n")) ==
        "compose.yml:3:8: net 'container:db' cannot be given to a swarm service: it joins the project's overlay "
        "networks, or the host's network with net: host");
  CHECK(error_of(load_yaml("web:\n  image: busybox\n  cpu_shares: 512\n")) ==
        "compose.yml:3:3: key 'cpu_shares' is not supported by hcl: swarm services have no CPU shares; use "
        "deploy.resources");
  CHECK(error_of(load_yaml("web:\n  image: busybox\n  volumes_from: [db]\n")) ==
        "compose.yml:3:3: key 'volumes_from' is not supported by hcl: swarm services cannot share another container's "
        "volumes; use a named volume");
  auto built = load_yaml("web:\n  image: busybox\n  build: .\n  dockerfile: Dockerfile.web\n");
  CHECK(warnings_of(built) == std::vector<std::string>{
                                  "3: key 'build' is ignored: hcl deploys the image and does not build it",
                              });
}

TEST_CASE("format 1: what it cannot mean, at FILE:LINE:COL, saying how hcl read the file") {
  const std::string took = "hcl took this file for compose format 1 (docker-compose 1.x): it has no version and no "
                           "services key, so each top-level key is a service";
  CHECK(error_of(load_yaml("web:\n  image: busybox\n  deploy: {replicas: 2}\n")) ==
        "compose.yml:3:3: key 'deploy' is not part of compose format 1; " + took);
  CHECK(error_of(load_yaml("web:\n  image: busybox\n  lables: {a: b}\n")) ==
        "compose.yml:3:3: key 'lables' is not part of compose format 1; did you mean 'labels'?; " + took);
  CHECK(error_of(load_yaml("web:\n  image: busybox\nnetworks:\n  apps: {}\n")) ==
        "compose.yml:3:1: top-level key 'networks' is not part of compose format 1; " + took +
            ". Put the services under 'services:' to use it");
  CHECK(error_of(load_yaml("web:\n  image: busybox\nimage: nginx\n")) ==
        "compose.yml:3:8: service 'image' must be a mapping, not 'nginx'; " + took);
  CHECK(error_of(load_yaml("web: [busybox]\n")) == "compose.yml:1:6: service 'web' must be a mapping, not a list; " + took);
  // a misspelt services key makes a file format 1: the message says so, and what was meant
  CHECK(error_of(load_yaml("service:\n  web:\n    image: busybox\n")) ==
        "compose.yml:1:1: top-level key 'service': did you mean 'services'? " + took);
  // format 1's own names in the other formats
  CHECK(error_of(load_yaml("version: '2'\n" + svc("    net: host\n"))) ==
        "compose.yml:5:5: key 'net' is part of compose format 1 only; use network_mode");
  CHECK(error_of(load_yaml(svc("    log_driver: syslog\n"))) ==
        "compose.yml:4:5: key 'log_driver' is part of compose format 1 only; use logging.driver");
  // a file mixing format 1 services with services: or version:
  CHECK(error_of(load_yaml("services:\n  web: {image: busybox}\ndb:\n  image: busybox\n")) ==
        "compose.yml:3:1: 'db' looks like a service of compose format 1 (services at the top level), but the file has "
        "a 'services' key (line 1): put it under 'services:'");
  CHECK(error_of(load_yaml("version: '2'\ndb:\n  image: busybox\n")) ==
        "compose.yml:2:1: 'db' looks like a service of compose format 1 (services at the top level), but the file has "
        "a 'version' key (line 1): put it under 'services:'");
}

TEST_CASE("format 1: the parity corpus's classic files load") {
  for (const char* name : {"format1-swarm.yml", "loadbalancing.yml", "placement.yml", "volumes.yml"}) {
    CAPTURE(name);
    auto r = load_corpus(name);
    REQUIRE_MESSAGE(r.ok(), r.error().message());
  }
  auto r = load_corpus("format1-swarm.yml");
  auto checker = spec_of(r, "checker");
  CHECK(checker.constraints == std::vector<std::string>{"node.hostname!=master"});
  CHECK(checker.endpoint_mode == docker::EndpointMode::Dnsrr);
  CHECK(spec_of(r, "frontend").ports.at(0).mode == docker::PublishMode::Host);
}

namespace {

// A manifest and the files beside it (paths may have directories), loaded as the project "demo".
Result<Project> load_files(const std::string& yaml, const std::map<std::string, std::string>& files,
                           std::map<std::string, std::string> vars = {}) {
  auto w = write(yaml);
  for (const auto& [name, text] : files) {
    fs::create_directories((w.dir / name).parent_path());
    std::ofstream(w.dir / name) << text;
  }
  LoadOptions o;
  o.env = env_of(std::move(vars));
  return load(w.file, o);
}

std::vector<std::string> order_of(const Result<Project>& r) {
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  std::vector<std::string> out;
  for (const auto& s : r->services) out.push_back(s.key);
  return out;
}

}  // namespace

// --- depends_on ---------------------------------------------------------------------------------

TEST_CASE("depends_on in long syntax: order, required: false, conditions") {
  auto r = load_yaml("services:\n"
                     "  web:\n"
                     "    image: busybox\n"
                     "    depends_on:\n"
                     "      db: {condition: service_healthy, required: true, restart: true}\n"
                     "      cache: {condition: service_started, required: false}\n"
                     "      metrics: {required: false}\n"
                     "  db: {image: busybox}\n"
                     "  cache: {image: busybox}\n");
  CHECK(order_of(r) == std::vector<std::string>{"db", "cache", "web"});
  REQUIRE(r.ok());
  CHECK(r->services[2].depends_on == std::vector<std::string>{"db", "cache"});  // not metrics: it is not there
  CHECK(warnings_of(r) == std::vector<std::string>{
                              "5: depends_on condition 'service_healthy' is ignored: hcl creates services in "
                              "dependency order but does not wait for them",
                              "7: depends_on: service 'metrics' is not defined; it is not required, so this is ignored",
                          });
  CHECK(error_of(load_yaml(svc("    depends_on: {db: {required: true}}\n"))) ==
        "compose.yml:4:18: depends_on: service 'db' is not defined");
}

// --- links --------------------------------------------------------------------------------------

TEST_CASE("links: the linked service answers to the alias on the networks both are on") {
  // format 1 (the parity corpus's): the project's default network
  auto corpus = load_corpus("links.yml");
  CHECK(spec_of(corpus, "web").networks == std::vector<docker::NetworkAttachment>{{"classic_default", {"web", "frontend"}, {}}});
  CHECK(spec_of(corpus, "client").networks == std::vector<docker::NetworkAttachment>{{"classic_default", {"client"}, {}}});
  CHECK(order_of(corpus) == std::vector<std::string>{"web", "client"});

  // several networks: the alias only where the two meet; links order the services too
  auto r = load_yaml("services:\n"
                     "  web:\n"
                     "    image: busybox\n"
                     "    networks: [front, back]\n"
                     "    links: [db, \"db:database\", \"cache:cache\"]\n"
                     "  db:\n"
                     "    image: busybox\n"
                     "    networks: [back, other]\n"
                     "  cache:\n"
                     "    image: busybox\n"
                     "    networks: [back]\n"
                     "networks: {front: {}, back: {}, other: {}}\n");
  CHECK(spec_of(r, "db").networks == std::vector<docker::NetworkAttachment>{{"demo_back", {"db", "database"}, {}},
                                                                            {"demo_other", {"db"}, {}}});
  CHECK(spec_of(r, "cache").networks == std::vector<docker::NetworkAttachment>{{"demo_back", {"cache"}, {}}});
  CHECK(order_of(r) == std::vector<std::string>{"db", "cache", "web"});
  CHECK(warnings_of(r).empty());  // links are no longer "not needed and ignored"

  CHECK(error_of(load_yaml("version: '2'\nservices:\n  web:\n    image: busybox\n    links: [\"dbs:database\"]\n"
                           "  db: {image: busybox}\n")) ==
        "compose.yml:5:13: links: service 'dbs' is not defined; did you mean 'db'?");
  CHECK(error_of(load_yaml("services:\n  web:\n    image: busybox\n    networks: [a]\n    links: [db]\n"
                           "  db: {image: busybox, networks: [b]}\nnetworks: {a: {}, b: {}}\n")) ==
        "compose.yml:5:13: link to service 'db': the two share no network, so it cannot be reached");
  CHECK(error_of(load_yaml("web:\n  image: busybox\n  links: [\"db:\"]\ndb: {image: busybox}\n")) ==
        "compose.yml:3:11: link 'db:' does not parse; expected SERVICE or SERVICE:ALIAS");
  // external_links stays a warning
  CHECK(warnings_of(load_yaml("web:\n  image: busybox\n  external_links: [other_db]\n")) ==
        std::vector<std::string>{"3: key 'external_links' is not supported by hcl and is ignored: services reach each "
                                 "other by name on their networks"});
}

// --- bounds -------------------------------------------------------------------------------------

namespace {

// Ten levels of ten aliases each: 10^10 values once expanded.
std::string billion_laughs() {
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    laughs += std::string(1, c) + ": &" + std::string(1, c) + " [*" + prev;
    for (int i = 1; i < 10; ++i) laughs += ", *" + prev;
    laughs += "]\n";
  }
  return laughs;
}

}  // namespace

TEST_CASE("every file read is bounded: the manifest, env files, aliases") {
  std::string big = "services:\n  web: {image: busybox}\nx-pad: \"" + std::string(4 * 1024 * 1024, 'a') + "\"\n";
  auto r = load_yaml(big);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().why == "the manifest is larger than 4 MiB; hcl reads compose files up to that size");
  CHECK(error_of(load_files(svc("    env_file: big.env\n"), {{"big.env", "A=" + std::string(4 * 1024 * 1024, 'a')}})) ==
        "compose.yml:4:15: env_file 'big.env': the env file is larger than 4 MiB; hcl reads env files up to that size");
  // a seccomp profile is read up to its limit only, even from a file without an end
  CHECK(error_of(load_yaml(svc("    security_opt: [\"seccomp=/dev/zero\"]\n"))) ==
        "compose.yml:4:20: security_opt seccomp profile '/dev/zero' is empty, missing or too large");
  auto profile = spec_of(load_files(svc("    security_opt: [seccomp=profile.json]\n"),
                                    {{"profile.json", R"({"defaultAction":"SCMP_ACT_ALLOW"})"}}));
  CHECK(profile.privileges.seccomp_profile == R"({"defaultAction":"SCMP_ACT_ALLOW"})");
  // aliases that expand without end (a billion laughs)
  std::string laughs = billion_laughs();
  CHECK(error_of(load_yaml("x-" + laughs + "services:\n  web: {image: busybox}\n")).find("too large once its aliases") !=
        std::string::npos);
}

TEST_CASE("hostile files: directories and devices named as such, streams read, env lines quoted short") {
  // A directory as the manifest is not "empty"; a device is not read at all.
  auto dir = write("services:\n  web: {image: busybox}\n");
  auto d = load(dir.dir.string(), {});
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().what == dir.dir.string());
  CHECK(d.error().why == "cannot read the manifest: it is a directory");
  auto z = load("/dev/zero", {});
  REQUIRE_FALSE(z.ok());
  CHECK(z.error().message() == "/dev/zero: cannot read the manifest: it is a character device, not a regular file");

  // A pipe is a manifest (`hcl deploy <(generate)`).
  auto fifo = (dir.dir / "fifo.yml").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::thread writer([&] { std::ofstream(fifo) << "services:\n  web: {image: busybox}\n"; });
  auto piped = load(fifo, {});
  writer.join();
  CHECK(spec_of(piped).image == "busybox:latest");
  // And so is standard input, named `-`.
  int saved_stdin = ::dup(0);
  int manifest_fd = ::open(dir.file.c_str(), O_RDONLY);
  REQUIRE(manifest_fd >= 0);
  ::dup2(manifest_fd, 0);
  ::close(manifest_fd);
  LoadOptions named;
  named.project = "demo";  // not the test's working directory's name
  auto from_stdin = load("-", named);
  ::dup2(saved_stdin, 0);
  ::close(saved_stdin);
  CHECK(spec_of(from_stdin).image == "busybox:latest");

  // env_file and --env-file: devices and directories are errors, not empty files.
  CHECK(error_of(load_yaml(svc("    env_file: /dev/urandom\n"))) ==
        "compose.yml:4:15: env_file '/dev/urandom': cannot read the env file: it is a character device, not a regular file");
  CHECK(error_of(load_files(svc("    env_file: conf\n"), {{"conf/x", ""}})) ==
        "compose.yml:4:15: env_file 'conf': cannot read the env file: it is a directory");
  LoadOptions o;
  o.env_file = dir.dir.string();
  auto e = load(dir.file, o);
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message() == dir.dir.string() + ": cannot read the env file: it is a directory");

  // A line that is not KEY=VALUE is named by file:line and quoted short and escaped: it may be
  // a secret, or a line of /etc/shadow.
  CHECK(error_of(load_files(svc("    env_file: bad.env\n"),
                            {{"bad.env", "A=1\nroot password is hunter2 and \x1b[2J more secret words\n"}})) ==
        "bad.env:2:1: expected KEY=VALUE, not 'root password is hunter2 and \\x1b[2...'");
}

TEST_CASE("hostile YAML: control characters and a second document are errors with their position") {
  CHECK(error_of(load_yaml(std::string("services:\n  web:\n    image: busy") + '\0' + "box\n")) ==
        "compose.yml:3:16: the manifest holds a control character (byte 0x00); YAML files hold text only");
  CHECK(error_of(load_yaml("services:\n  web:\n    image: busy\x1b[2Jbox\n")) ==
        "compose.yml:3:16: the manifest holds a control character (byte 0x1B); YAML files hold text only");
  CHECK(error_of(load_yaml("services:\n  web:\n    image: \"busy\\0box\"\n")) ==
        "compose.yml:3:12: a value cannot hold a NUL character (\\0)");
  // Tabs and CRLF line ends are text.
  CHECK(spec_of(load_yaml("services:\r\n  web:\r\n    image: busybox\r\n    command: [\"a\tb\"]\r\n")).args ==
        std::vector<std::string>{"a\tb"});

  CHECK(error_of(load_yaml("services:\n  web: {image: busybox}\n---\nservices:\n  db: {image: redis}\n")) ==
        "compose.yml:4:1: a second YAML document (after '---') starts here; a compose file is one document");
  // A leading '---' and a trailing one with nothing after it are one document.
  CHECK(spec_of(load_yaml("---\nservices:\n  web: {image: busybox}\n---\n")).image == "busybox:latest");
}

TEST_CASE("YAML syntax errors read as docker stack deploy's, at the line and column (in characters)") {
  // libyaml's words, which go-yaml (docker's compose loader) has too, and what was being read.
  CHECK(error_of(load_yaml("services:\n  web:\n    image: busybox\n   ports: [80]\n")) ==
        "compose.yml:4:4: did not find expected key (in the block mapping that starts at line 2)");
  CHECK(error_of(load_yaml("services:\n  web:\n    image: a: b\n")) ==
        "compose.yml:3:13: mapping values are not allowed in this context");
  // The column counts characters: the second ':' is the 21st character of the line, its 22nd byte.
  CHECK(error_of(load_yaml("services:\n  web:\n    image: \"bösybox\": 1\n")) ==
        "compose.yml:3:21: mapping values are not allowed in this context");
  // Found from outside: yaml-cpp took an unterminated quoted string to run to the end of the file.
  CHECK(error_of(load_yaml("services:\n  web:\n    image: \"busybox\n    command: sh\n")) ==
        "compose.yml:5:1: found unexpected end of stream (in the quoted scalar that starts at line 3)");
  CHECK(error_of(load_yaml(svc("    command: *cmd\n"))) ==
        "compose.yml:4:14: alias *cmd refers to no anchor: &cmd must mark a value before it");
  // An anchor named again: the aliases after it take the newer value, as YAML says.
  auto r = load_yaml("x-a: &v one\nx-b: &v two\nservices:\n  web:\n    image: busybox\n    command: [*v]\n");
  CHECK(spec_of(r).args == std::vector<std::string>{"two"});
  // A quoted "<<" is a key like any other, not a merge (so it is an unknown key of a service).
  CHECK(error_of(load_yaml(svc("    \"<<\": {tty: true}\n"))).starts_with("compose.yml:4:5: unknown key '<<'"));
}

TEST_CASE("hostile sizes: a file of too many values stops before its tree is built; too many services") {
  // Found from outside: a 50 MB manifest of 1.7 M services took 71 s and 3.3 GB before a limit
  // applied, with a message about aliases it did not have. Under the 4 MiB cap, 195,000 one-line
  // services still took 418 MB and 30 s.
  std::string many = "services:\n";
  for (int i = 0; i < 15000; ++i) many += "  s" + std::to_string(i) + ": {image: x}\n";
  CHECK(error_of(load_yaml(many)) ==
        "compose.yml:10001:10: the manifest has more than 40000 keys and values by here; hcl reads compose files up "
        "to that many");
  std::string services = "services:\n";
  for (int i = 0; i < 2001; ++i) services += "  s" + std::to_string(i) + ": {image: x}\n";
  CHECK(error_of(load_yaml(services)) == "compose.yml:1:1: the manifest has 2001 services; hcl deploys up to 2000 from one file");
  // An alias bomb is still the alias limit's, with its own message.
  std::string bomb = "x-a: &a [1, 2, 3, 4, 5, 6, 7, 8]\nx-b: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                     "x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nx-d: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
                     "x-e: &e [*d, *d, *d, *d, *d, *d, *d, *d]\nx-f: &f [*e, *e, *e, *e, *e, *e, *e, *e]\n"
                     "services:\n  web: {image: x, labels: *f}\n";
  CHECK(error_of(load_yaml(bomb)).find("too large once its aliases are expanded") != std::string::npos);
  // Anchors nested in anchors keep a copy each, with no alias at all: 3 levels around a list of
  // 20,000 items would keep 60,000 values (64 levels, 1.3 million).
  std::string nested = "x-a: &a\n  b: &b\n    c: &c [";
  for (int i = 0; i < 20000; ++i) nested += i == 0 ? "1" : ", 1";
  nested += "]\nservices:\n  web: {image: x}\n";
  CHECK(error_of(load_yaml(nested)) ==
        "compose.yml:1:6: the manifest's anchors (&name) hold more than 50000 values in all, counting anchors inside "
        "anchors again; hcl reads compose files up to that many");
}

TEST_CASE("an error inside an anchor names the alias that used it as well as the anchor's line") {
  // Found from outside: the message pointed at the anchor only, so with several services using
  // it there was no telling which one.
  const std::string text = "x-p: &p \"80:80\"\nx-web: &web\n  image: busybox\n  ports: [\"bad:port\"]\nservices:\n"
                           "  a: *web\n  b:\n    <<: *web\n    command: [\"true\"]\n  c: {image: busybox, ports: [*p]}\n";
  std::string e = error_of(load_yaml(text));
  CHECK(e.find("compose.yml:4:11 (through the alias at compose.yml:6:3): port 'bad:port'") != std::string::npos);
  CHECK(e.find("compose.yml:4:11 (through the alias at compose.yml:8:5): port 'bad:port'") != std::string::npos);
  CHECK(e.find("80:80") == std::string::npos);  // the list item brought by an alias is fine
  // A value that is no alias keeps its plain position.
  CHECK(error_of(load_yaml("services:\n  a:\n    image: busybox\n    ports: [\"bad:port\"]\n")) ==
        "compose.yml:4:13: port 'bad:port': 'port' is not a port (1-65535) or a range of ports");
}

// --- extends, !reset, !override ---------------------------------------------------------------

TEST_CASE("extends: within the file, merged as the compose specification merges") {
  auto r = load_yaml("services:\n"
                     "  base:\n"
                     "    image: busybox\n"
                     "    command: [sleep, \"10\"]\n"
                     "    environment: {A: \"1\", B: \"2\"}\n"
                     "    labels: [team=web, tier=front]\n"
                     "    cap_add: [NET_ADMIN]\n"
                     "    dns: [8.8.8.8]\n"
                     "    volumes: [\"/srv/a:/data\", \"/srv/logs:/logs\"]\n"
                     "    deploy: {replicas: 2, labels: {x: \"1\"}}\n"
                     "    healthcheck: {test: [CMD, one], interval: 5s}\n"
                     "  web:\n"
                     "    extends: base\n"
                     "    command: [sleep, \"20\"]\n"
                     "    environment: [B=3, C=4]\n"
                     "    labels: {tier: back}\n"
                     "    cap_add: [SYS_TIME]\n"
                     "    dns: [8.8.8.8, 1.1.1.1]\n"
                     "    volumes: [\"/srv/b:/data\"]\n"
                     "    deploy: {labels: {y: \"2\"}}\n"
                     "    healthcheck: {test: [CMD, two]}\n");
  auto web = spec_of(r, "web");
  CHECK(web.image == "busybox:latest");
  CHECK(web.args == std::vector<std::string>{"sleep", "20"});
  CHECK(web.env == std::vector<std::string>{"A=1", "B=3", "C=4"});
  CHECK(web.container_labels.at("team") == "web");
  CHECK(web.container_labels.at("tier") == "back");
  CHECK(web.capability_add == std::vector<std::string>{"CAP_NET_ADMIN", "CAP_SYS_TIME"});
  REQUIRE(web.dns);
  CHECK(web.dns->nameservers == std::vector<std::string>{"8.8.8.8", "1.1.1.1"});
  REQUIRE(web.mounts.size() == 2);
  CHECK(web.mounts[0].source == "/srv/b");  // the same target: replaced in place
  CHECK(web.mounts[1].source == "/srv/logs");
  CHECK(web.replicas == 2);
  CHECK(web.labels.at("x") == "1");
  CHECK(web.labels.at("y") == "2");
  REQUIRE(web.healthcheck);
  CHECK(web.healthcheck->test == std::vector<std::string>{"CMD", "two"});
  CHECK(web.healthcheck->interval == std::chrono::seconds(5));
  // the base is a service of its own too, unchanged
  CHECK(spec_of(r, "base").args == std::vector<std::string>{"sleep", "10"});
}

TEST_CASE("extends: !reset and !override") {
  auto r = load_yaml("services:\n"
                     "  base:\n"
                     "    image: busybox\n"
                     "    ports: [\"8080:80\"]\n"
                     "    environment: {A: \"1\", B: \"2\"}\n"
                     "    deploy: {replicas: 3, resources: {limits: {memory: 64M}}}\n"
                     "    command: [sleep, \"10\"]\n"
                     "  web:\n"
                     "    extends: {service: base}\n"
                     "    ports: !reset []\n"
                     "    environment: !override {C: \"3\"}\n"
                     "    deploy:\n"
                     "      resources: !reset {}\n"
                     "    command: !reset null\n");
  auto web = spec_of(r, "web");
  CHECK(web.ports.empty());
  CHECK(web.env == std::vector<std::string>{"C=3"});
  CHECK(web.replicas == 3);
  CHECK_FALSE(web.resources.has_value());
  CHECK(web.args.empty());
  // !reset where nothing is inherited: the key is not set; !override there: the value
  auto plain = spec_of(load_yaml(svc("    ports: !reset [\"80:80\"]\n    environment: !override {A: \"1\"}\n")));
  CHECK(plain.ports.empty());
  CHECK(plain.env == std::vector<std::string>{"A=1"});
}

TEST_CASE("extends: another file, chains, and what cannot be extended") {
  const std::map<std::string, std::string> files = {
      {"common/base.yml", "services:\n"
                          "  app:\n"
                          "    extends: {service: root}\n"
                          "    env_file: app.env\n"
                          "    volumes: [\"./data:/data\"]\n"
                          "  root:\n"
                          "    image: busybox\n"
                          "    environment: {ROOT: \"yes\"}\n"
                          "    ports: [\"8080:80\"]\n"},
      {"common/app.env", "FROM_FILE=1\n"},
  };
  auto r = load_files("services:\n  web:\n    extends: {file: common/base.yml, service: app}\n    ports: [\"8081:81\"]\n",
                      files);
  auto web = spec_of(r);
  REQUIRE(web.ports.size() == 2);  // appended
  CHECK(web.ports[0].published == 8080);
  CHECK(web.ports[1].published == 8081);
  CHECK(web.env == std::vector<std::string>{"FROM_FILE=1", "ROOT=yes"});
  REQUIRE(web.mounts.size() == 1);
  REQUIRE(r.ok());
  CHECK(web.mounts[0].source == (fs::path(r->file).parent_path() / "common" / "data").string());

  CHECK(error_of(load_yaml("services:\n  web:\n    image: nginx\n    extends: {service: bsae}\n  base: {image: busybox}\n")) ==
        "compose.yml:4:5: extends: service 'bsae' is not defined; did you mean 'base'?");
  CHECK(error_of(load_files("services:\n  web:\n    image: nginx\n    extends: {file: nowhere.yml, service: a}\n", {})).starts_with(
      "compose.yml:4:5: extends.file '"));
  CHECK(error_of(load_files("services:\n  web:\n    image: nginx\n    extends: {file: nowhere.yml, service: a}\n", {})).ends_with(
      "nowhere.yml' cannot be read: no such file or directory"));
  CHECK(error_of(load_yaml("services:\n  a:\n    image: busybox\n    extends: b\n  b:\n    image: busybox\n"
                           "    extends: a\n")) ==
        "compose.yml:4:5: extends cycle: a -> b -> a\ncompose.yml:7:5: extends cycle: b -> a -> b");
  CHECK(error_of(load_yaml("services:\n  a:\n    image: busybox\n    extends: a\n")) ==
        "compose.yml:4:5: extends cycle: a -> a");
  CHECK(error_of(load_yaml("services:\n  a:\n    image: busybox\n    extends: {file: x.yml}\n")) ==
        "compose.yml:4:5: extends needs a service");
  std::string chain = "services:\n  s0: {image: busybox}\n";
  for (int i = 1; i <= 40; ++i) chain += "  s" + std::to_string(i) + ": {extends: s" + std::to_string(i - 1) + "}\n";
  CHECK(error_of(load_yaml(chain)).starts_with("compose.yml:3:8: extends goes 32 services deep; hcl stops there\n"));
}

// --- include ------------------------------------------------------------------------------------

TEST_CASE("include: the services and definitions of other files, their paths their own") {
  const std::map<std::string, std::string> files = {
      {"db/compose.yml", "services:\n"
                         "  db:\n"
                         "    image: postgres:${PG_VERSION}\n"
                         "    env_file: db.env\n"
                         "    volumes: [\"./initdb:/docker-entrypoint-initdb.d:ro\"]\n"
                         "    secrets: [db_password]\n"
                         "    networks: [back]\n"
                         "networks:\n  back: {}\n"
                         "secrets:\n  db_password: {file: ./password.txt}\n"},
      {"db/db.env", "POSTGRES_DB=app\n"},
      {"db/password.txt", "s3cret"},
      {"db/.env", "PG_VERSION=16\n"},
  };
  auto r = load_files("include:\n  - db/compose.yml\n"
                      "services:\n  web:\n    image: busybox\n    networks: [back]\n    depends_on: [db]\n",
                      files);
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  CHECK(order_of(r) == std::vector<std::string>{"db", "web"});
  auto db = spec_of(r, "db");
  fs::path dir = fs::path(r->file).parent_path();
  CHECK(db.image == "postgres:16");
  CHECK(db.env == std::vector<std::string>{"POSTGRES_DB=app"});
  REQUIRE(db.mounts.size() == 1);
  CHECK(db.mounts[0].source == (dir / "db" / "initdb").string());
  REQUIRE(r->secrets.size() == 1);
  CHECK(r->secrets[0].data == "s3cret");
  CHECK(r->networks.size() == 1);

  // the long form: several paths, a project directory, an env_file
  auto l = load_files("include:\n  - path: [parts/a.yml]\n    project_directory: shared\n    env_file: vars.env\n"
                      "services:\n  web: {image: busybox}\n",
                      {{"parts/a.yml", "services:\n  a:\n    image: busybox:${TAG}\n    volumes: [\"./x:/x\"]\n"},
                       {"vars.env", "TAG=1.36\n"}});
  auto a = spec_of(l, "a");
  CHECK(a.image == "busybox:1.36");
  REQUIRE(l.ok());
  CHECK(a.mounts.at(0).source == (fs::path(l->file).parent_path() / "shared" / "x").string());
}

TEST_CASE("include: names defined twice, cycles, missing files, at their positions") {
  CHECK(error_of(load_files("include: [other.yml]\nservices:\n  web: {image: busybox}\n",
                            {{"other.yml", "services:\n  web: {image: nginx}\n"}})) ==
        "other.yml:2:3: service 'web' is defined twice: here and at compose.yml:3:3");
  auto cycle = error_of(load_files("include: [a.yml]\nservices:\n  web: {image: busybox}\n",
                                   {{"a.yml", "include: [b.yml]\nservices:\n  a: {image: busybox}\n"},
                                    {"b.yml", "include: [a.yml]\nservices:\n  b: {image: busybox}\n"}}));
  CHECK(cycle.starts_with("b.yml:1:11: include cycle: "));
  CHECK(cycle.ends_with("a.yml -> b.yml -> a.yml"));
  CHECK(error_of(load_files("include: [gone.yml]\nservices:\n  web: {image: busybox}\n", {})).ends_with(
      "gone.yml' cannot be read: no such file or directory"));
  CHECK(error_of(load_files("include: [gone.yml]\nservices:\n  web: {image: busybox}\n", {})).starts_with(
      "compose.yml:1:11: include '"));
  CHECK(error_of(load_files("include: [bad.yml]\nservices:\n  web: {image: busybox}\n",
                            {{"bad.yml", "services:\n  x:\n    image: busybox\n    replicas: 2\n"}})) ==
        "bad.yml:4:5: unknown key 'replicas'");
}

TEST_CASE("include: each included file is bounded as the manifest is") {
  std::string big = "services:\n  web: {image: busybox}\nx-pad: \"" + std::string(4 * 1024 * 1024, 'a') + "\"\n";
  CHECK(error_of(load_files("include: [big.yml]\nservices:\n  web: {image: busybox}\n", {{"big.yml", big}}))
            .ends_with("big.yml': the manifest is larger than 4 MiB; hcl reads compose files up to that size"));
  std::string laughs = billion_laughs();
  CHECK(error_of(load_files("include: [laughs.yml]\nservices:\n  web: {image: busybox}\n",
                            {{"laughs.yml", "x-laughs:\n" + [&] {
                                std::string indented;
                                for (std::size_t i = 0, j; i < laughs.size(); i = j + 1) {
                                  j = laughs.find('\n', i);
                                  indented += "  " + laughs.substr(i, j - i + 1);
                                }
                                return indented;
                              }() + "services:\n  other: {image: busybox}\n"}}))
            .find("too large once its aliases") != std::string::npos);
}

// --- x- fields -----------------------------------------------------------------------------------

TEST_CASE("x- extension fields are ignored wherever the compose specification allows them") {
  auto r = load_files("x-top: {anything: [1, 2]}\n"
                     "services:\n"
                     "  x-not-a-service: {image: nope}\n"
                     "  web:\n"
                     "    image: busybox\n"
                     "    x-service: 1\n"
                     "    networks: {apps: {x-attachment: 1}}\n"
                     "    deploy:\n"
                     "      x-deploy: 1\n"
                     "      resources: {x-resources: 1, limits: {x-limits: 1, cpus: \"0.5\"}}\n"
                     "      restart_policy: {x-restart: 1, condition: on-failure}\n"
                     "      update_config: {x-update: 1}\n"
                     "    logging: {x-logging: 1, driver: json-file}\n"
                     "    healthcheck: {x-health: 1, test: [CMD, \"true\"]}\n"
                     "    volumes: [{type: volume, source: data, target: /data, x-mount: 1}]\n"
                     "    secrets: [{source: s, x-ref: 1}]\n"
                     "networks:\n  x-net: 1\n  apps: {x-network: 1}\n"
                     "volumes:\n  x-vol: 1\n  data: {x-volume: 1}\n"
                     "secrets:\n  x-sec: 1\n  s: {file: s.txt, x-secret: 1}\n"
                     "configs:\n  x-cfg: 1\n",
                     {{"s.txt", "hi"}});
  CHECK(warnings_of(r).empty());
  CHECK(order_of(r) == std::vector<std::string>{"web"});
  // and in format 1, at the top and in a service
  CHECK(warnings_of(load_yaml("x-top: 1\nweb:\n  image: busybox\n  x-mine: 2\n")).empty());
}
