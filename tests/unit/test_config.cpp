#include <hcl/config.hpp>
#include <hcl/output.hpp>

#include "fake_env.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

using namespace hcl;
using namespace hcl::config;

namespace {

using hcl::testing::env_of;
using hcl::testing::TempDir;

}  // namespace

TEST_CASE("DOCKER_HOST forms") {
  auto tcp = parse_docker_host("tcp://master:2378", "DOCKER_HOST");
  REQUIRE(tcp.ok());
  CHECK(tcp->kind == http::Endpoint::Kind::Tcp);
  CHECK(tcp->host == "master");
  CHECK(tcp->port == 2378);
  CHECK(tcp->base_url() == "http://master:2378");

  auto noport = parse_docker_host("tcp://10.0.0.5", "DOCKER_HOST");
  REQUIRE(noport.ok());
  CHECK(noport->port == 2375);

  auto unix_sock = parse_docker_host("unix:///var/run/docker.sock", "DOCKER_HOST");
  REQUIRE(unix_sock.ok());
  CHECK(unix_sock->kind == http::Endpoint::Kind::Unix);
  CHECK(unix_sock->socket_path == "/var/run/docker.sock");
  CHECK(unix_sock->display() == "unix:///var/run/docker.sock");

  auto v6 = parse_docker_host("tcp://[fd00::1]:2376", "DOCKER_HOST");
  REQUIRE(v6.ok());
  CHECK(v6->host == "fd00::1");
  CHECK(v6->base_url() == "http://[fd00::1]:2376");

  auto bare = parse_docker_host("master:2378", "DOCKER_HOST");
  REQUIRE(bare.ok());
  CHECK(bare->port == 2378);
}

TEST_CASE("malformed DOCKER_HOST values name the variable and the value") {
  for (const char* text : {"tcp://master:notaport", "tcp://:2375", "tcp://master:0", "tcp://master:70000",
                           "ssh://-oProxyCommand=x", "ssh://-l@master", "ssh://pi@[-fd00::1]:2222", "ssh://pi@master?x=1", "ssh://pi@master/a b",
                           "ssh://pi@master/x;reboot", "ssh://", "ssh://pi@", "npipe:////./pipe/docker_engine",
                           "unix://relative.sock", "foo://x", "", "tcp://ma ster:1",
                           "tcp://master:2375/path", "tcp://fd00::1:2375", "12345", "tcp://2376"}) {
    CAPTURE(text);
    auto r = parse_docker_host(text, "DOCKER_HOST");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::Usage);
    CHECK(r.error().what == std::string("DOCKER_HOST=") + text);
    CHECK_FALSE(r.error().why.empty());
  }
}

TEST_CASE("ssh:// addresses as the docker CLI writes them") {
  auto plain = parse_docker_host("ssh://pi@master", "DOCKER_HOST");
  REQUIRE(plain.ok());
  CHECK(plain->kind == http::Endpoint::Kind::Ssh);
  CHECK(plain->user == "pi");
  CHECK(plain->host == "master");
  CHECK(plain->port == 0);  // ssh's own default (its config may say another)
  CHECK(plain->socket_path.empty());
  CHECK(plain->display() == "ssh://pi@master");

  auto full = parse_docker_host("ssh://pi@[fd00::1]:2222/run/user/1000/docker.sock", "DOCKER_HOST");
  REQUIRE(full.ok());
  CHECK(full->host == "fd00::1");
  CHECK(full->port == 2222);
  CHECK(full->socket_path == "/run/user/1000/docker.sock");
  CHECK(full->display() == "ssh://pi@[fd00::1]:2222/run/user/1000/docker.sock");

  auto alias = parse_docker_host("ssh://cluster/", "DOCKER_HOST");
  REQUIRE(alias.ok());
  CHECK(alias->user.empty());
  CHECK(alias->socket_path.empty());
  CHECK(alias->display() == "ssh://cluster");

  auto secret = parse_docker_host("ssh://pi:s3cret@master", "DOCKER_HOST");
  REQUIRE_FALSE(secret.ok());
  CHECK(secret.error().message().find("s3cret") == std::string::npos);
  CHECK(secret.error().what == "DOCKER_HOST=ssh://pi:***@master");
}

TEST_CASE("over ssh, Consul goes through the same ssh unless an address is given; one shared ssh session") {
  auto c = resolve({}, env_of({{"HOME", "/nonexistent"}, {"DOCKER_HOST", "ssh://pi@master:2222"}, {"XDG_RUNTIME_DIR", "/run/user/7"}}));
  REQUIRE(c.ok());
  CHECK(c->docker.value.ssh.control_path == "/run/user/7/hcl/ssh-%C");
  CHECK(c->docker.value.ssh.persist_seconds == 60);
  CHECK(c->consul.value.kind == http::Endpoint::Kind::Ssh);
  CHECK(c->consul.value.ssh.forward == "localhost:8500");
  CHECK(c->consul.value.display() == "http://localhost:8500 through ssh://pi@master:2222");

  auto direct = resolve({}, env_of({{"HOME", "/nonexistent"}, {"DOCKER_HOST", "ssh://pi@master"},
                                    {"CONSUL_HTTP_ADDR", "consul.lan:8500"}, {"HCL_SSH_PERSIST", "0"}}));
  REQUIRE(direct.ok());
  CHECK(direct->consul.value.kind == http::Endpoint::Kind::Tcp);
  CHECK(direct->docker.value.ssh.persist_seconds == 0);
  CHECK(direct->docker.value.ssh.control_path.find("/tmp/hcl-") == 0);

  auto tls = resolve({}, env_of({{"HOME", "/nonexistent"}, {"DOCKER_HOST", "ssh://pi@master"}, {"DOCKER_TLS_VERIFY", "1"}}));
  REQUIRE_FALSE(tls.ok());
  CHECK(tls.error().kind == ErrorKind::Usage);

  auto persist = resolve({}, env_of({{"HOME", "/nonexistent"}, {"DOCKER_HOST", "ssh://pi@master"}, {"HCL_SSH_PERSIST", "soon"}}));
  REQUIRE_FALSE(persist.ok());
  CHECK(persist.error().what == "HCL_SSH_PERSIST=soon");
}

TEST_CASE("a password in an address is refused and never printed, not even in the error") {
  // Found from outside: DOCKER_HOST=tcp://user:s3cret@master:2378 answered "write IPv6 addresses
  // in brackets" after the whole value, password included.
  for (const char* text : {"tcp://user:s3cret@master:2378", "http://user:s3cret@host", "user:s3cret@master"}) {
    CAPTURE(text);
    auto r = parse_docker_host(text, "DOCKER_HOST");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::Usage);
    CHECK(r.error().message().find("s3cret") == std::string::npos);
    CHECK(r.error().message().find("***@") != std::string::npos);
    CHECK(r.error().why.find("user or password") != std::string::npos);
  }
  auto consul = parse_consul_addr("https://u:s3cret@consul.local:8501", "CONSUL_HTTP_ADDR");
  REQUIRE_FALSE(consul.ok());
  CHECK(consul.error().what == "CONSUL_HTTP_ADDR=https://***@consul.local:8501");
}

TEST_CASE("CONSUL_HTTP_ADDR forms") {
  auto plain = parse_consul_addr("127.0.0.1:8500", "CONSUL_HTTP_ADDR");
  REQUIRE(plain.ok());
  CHECK(plain->base_url() == "http://127.0.0.1:8500");
  auto noport = parse_consul_addr("http://master", "CONSUL_HTTP_ADDR");
  REQUIRE(noport.ok());
  CHECK(noport->port == 8500);
  auto https = parse_consul_addr("https://consul.local:8501", "CONSUL_HTTP_ADDR");
  REQUIRE(https.ok());
  CHECK(https->tls.has_value());
  auto bad = parse_consul_addr("http://master:port", "CONSUL_HTTP_ADDR");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message().find("CONSUL_HTTP_ADDR=http://master:port") == 0);
}

TEST_CASE("durations") {
  CHECK(parse_duration("3s", "x").value() == http::Millis(3000));
  CHECK(parse_duration("250ms", "x").value() == http::Millis(250));
  CHECK(parse_duration("1m30s", "x").value() == http::Millis(90000));
  CHECK(parse_duration("2", "x").value() == http::Millis(2000));
  CHECK(parse_duration("1.5s", "x").value() == http::Millis(1500));
  for (const char* bad : {"", "s", "3x", "-1s", "0", "25h", "abc"}) {
    CAPTURE(bad);
    auto r = parse_duration(bad, "--timeout");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().what == std::string("--timeout=") + bad);
  }
}

TEST_CASE("defaults: master:2378 and master:8500, 3 s connect timeout") {
  auto c = resolve({}, env_of({}));
  REQUIRE(c.ok());
  CHECK(c->docker.value.base_url() == "http://master:2378");
  CHECK(c->docker.origin.level == Origin::Level::Default);
  CHECK(c->consul.value.base_url() == "http://master:8500");
  CHECK(c->connect_timeout.value == http::Millis(3000));
  CHECK_FALSE(c->config_file_loaded);
  CHECK_FALSE(c->docker.value.tls.has_value());
}

TEST_CASE("HCL_MASTER changes the default host of both endpoints") {
  auto c = resolve({}, env_of({{"HCL_MASTER", "pi-master"}}));
  REQUIRE(c.ok());
  CHECK(c->docker.value.base_url() == "http://pi-master:2378");
  CHECK(c->consul.value.base_url() == "http://pi-master:8500");
  CHECK(c->docker.origin.name == "HCL_MASTER");
  auto bad = resolve({}, env_of({{"HCL_MASTER", "pi:2378"}}));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().what == "HCL_MASTER=pi:2378");
}

TEST_CASE("precedence: flag, then environment, then file, then default") {
  TempDir dir;
  std::string file = dir.write("hcl/config.yaml",
                               "master: filehost\n"
                               "docker:\n  host: tcp://from-file:1111\n"
                               "consul:\n  addr: http://consul-file:9500\n"
                               "timeouts:\n  connect: 5s\n  request: 40s\n");
  auto env = std::map<std::string, std::string>{{"XDG_CONFIG_HOME", dir.path.string()}};

  auto from_file = resolve({}, env_of(env));
  REQUIRE(from_file.ok());
  CHECK(from_file->config_file_loaded);
  CHECK(from_file->docker.value.base_url() == "http://from-file:1111");
  CHECK(from_file->docker.origin.level == Origin::Level::File);
  CHECK(from_file->docker.origin.name == file + ":3:9: docker.host");
  CHECK(from_file->consul.value.base_url() == "http://consul-file:9500");
  CHECK(from_file->connect_timeout.value == http::Millis(5000));
  CHECK(from_file->request_timeout.value == http::Millis(40000));

  env["DOCKER_HOST"] = "tcp://from-env:2222";
  env["HCL_CONNECT_TIMEOUT"] = "1s";
  auto from_env = resolve({}, env_of(env));
  REQUIRE(from_env.ok());
  CHECK(from_env->docker.value.base_url() == "http://from-env:2222");
  CHECK(from_env->docker.origin.name == "DOCKER_HOST");
  CHECK(from_env->connect_timeout.value == http::Millis(1000));

  Flags flags;
  flags.host = "tcp://from-flag:3333";
  flags.connect_timeout = "750ms";
  auto from_flag = resolve(flags, env_of(env));
  REQUIRE(from_flag.ok());
  CHECK(from_flag->docker.value.base_url() == "http://from-flag:3333");
  CHECK(from_flag->docker.origin.name == "--host");
  CHECK(from_flag->connect_timeout.value == http::Millis(750));
  // The file's master still sets Consul's host only where nothing more specific did.
  CHECK(from_flag->consul.value.base_url() == "http://consul-file:9500");
}

TEST_CASE("config file errors carry file:line:col") {
  TempDir dir;
  std::string unknown = dir.write("a.yaml", "docker:\n  hots: tcp://x:1\n");
  Flags flags;
  flags.config_file = unknown;
  auto r = resolve(flags, env_of({}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Usage);
  CHECK(r.error().what == unknown + ":2:3");
  CHECK(r.error().why.find("docker.hots") != std::string::npos);

  std::string syntax = dir.write("b.yaml", "docker:\n  host: [unclosed\n");
  flags.config_file = syntax;
  auto s = resolve(flags, env_of({}));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().what.rfind(syntax + ":", 0) == 0);

  std::string bad_value = dir.write("c.yaml", "timeouts:\n  connect: soon\n");
  flags.config_file = bad_value;
  auto v = resolve(flags, env_of({}));
  REQUIRE_FALSE(v.ok());
  CHECK(v.error().what == bad_value + ":2:12: timeouts.connect=soon");

  flags.config_file = (dir.path / "missing.yaml").string();
  auto m = resolve(flags, env_of({}));
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().why == "cannot read the config file: no such file or directory");

  // Found from outside: a key set twice was taken silently, a mapping for a value was an
  // "unknown section", and a file nested 10,000 deep was "bad file".
  auto error_of = [&](const std::string& name, const std::string& text) {
    flags.config_file = dir.write(name, text);
    auto e = resolve(flags, env_of({}));
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().kind == ErrorKind::Usage);
    return e.error().message();
  };
  CHECK(error_of("twice.yaml", "master: m1\nmaster: m2\n") ==
        (dir.path / "twice.yaml").string() + ":2:1: 'master' is set twice (first at " + (dir.path / "twice.yaml").string() + ":1:9)");
  CHECK(error_of("map.yaml", "master: {a: b}\n").ends_with("map.yaml:1:9: 'master' takes a single value, not a mapping"));
  CHECK(error_of("deep.yaml", "a: " + std::string(10000, '[') + std::string(10000, ']') + "\n")
            .ends_with("the config file nests too deeply (its settings are two levels)"));

  // A syntax error anywhere comes first, in libyaml's words, before what the settings say.
  CHECK(error_of("syntax.yaml", "nonsense: 1\ndocker:\n  host: tcp://x:1\n port: 2\n") ==
        (dir.path / "syntax.yaml").string() + ":4:2: did not find expected key (in the block mapping that starts at line 1)");
  CHECK(error_of("alias.yaml", "master: &m m1\nconsul:\n  addr: *m\n").ends_with("alias.yaml:3:9: the config file cannot use aliases (*name): write the value"));
  CHECK(error_of("docs.yaml", "master: m1\n---\nmaster: m2\n")
            .ends_with("docs.yaml:2:1: a second YAML document (after '---') starts here; the config file is one document"));
  CHECK(error_of("null.yaml", "master:\n").ends_with("null.yaml:1:8: 'master' must be a single value"));
  CHECK(error_of("list.yaml", "- master\n").ends_with("list.yaml:1:1: the config file must be a mapping of settings"));
  CHECK(error_of("key.yaml", "[a]: b\n").ends_with("key.yaml:1:1: a key must be a plain string"));

  // Comments alone, a leading '---' or a trailing one: nothing wrong.
  for (std::string text : {"# nothing set yet\n", "---\nmaster: m1\n---\n", ""}) {
    flags.config_file = dir.write("fine.yaml", text);
    auto fine = resolve(flags, env_of({}));
    CHECK_MESSAGE(fine.ok(), text);
  }
}

TEST_CASE("the Consul token: file wins over variable, never part of an origin") {
  TempDir dir;
  std::string tf = dir.write("token", "s3cr3t-from-file\n");
  auto c = resolve({}, env_of({{"CONSUL_HTTP_TOKEN", "s3cr3t-from-env"}, {"CONSUL_HTTP_TOKEN_FILE", tf}}));
  REQUIRE(c.ok());
  CHECK(c->consul_token == "s3cr3t-from-file");
  REQUIRE(c->consul_token_origin.has_value());
  CHECK(c->consul_token_origin->name == "CONSUL_HTTP_TOKEN_FILE");

  auto e = resolve({}, env_of({{"CONSUL_HTTP_TOKEN", "s3cr3t-from-env"}}));
  REQUIRE(e.ok());
  CHECK(e->consul_token == "s3cr3t-from-env");
  CHECK(e->consul_token_origin->name.find("s3cr3t") == std::string::npos);

  auto missing = resolve({}, env_of({{"CONSUL_HTTP_TOKEN_FILE", "/nonexistent/token"}}));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message().find("/nonexistent/token") != std::string::npos);
}

TEST_CASE("the config file: a directory or a device is an error naming it, not an exception or an endless read") {
  TempDir dir;
  Flags flags;
  flags.config_file = dir.path.string();
  auto d = resolve(flags, env_of({}));
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().kind == ErrorKind::Usage);
  CHECK(d.error().what == dir.path.string());
  CHECK(d.error().why == "cannot read the config file: it is a directory");

  flags.config_file = "/dev/zero";
  auto z = resolve(flags, env_of({}));
  REQUIRE_FALSE(z.ok());
  CHECK(z.error().message() == "/dev/zero: cannot read the config file: it is a character device, not a regular file");
}

TEST_CASE("the Consul token: line breaks and control characters refused, naming the source, never the token") {
  TempDir dir;
  auto refused = [](const Result<Config>& r, const std::string& source) {
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::Usage);
    CHECK(r.error().what == source);
    CHECK(r.error().message().find("s3cr3t") == std::string::npos);
  };
  refused(resolve({}, env_of({{"CONSUL_HTTP_TOKEN", "s3cr3t\r\nX-Injected: yes"}})), "CONSUL_HTTP_TOKEN");
  refused(resolve({}, env_of({{"CONSUL_HTTP_TOKEN", "s3cr3t\x1b[2J"}})), "CONSUL_HTTP_TOKEN");
  auto lf = resolve({}, env_of({{"CONSUL_HTTP_TOKEN", "s3cr3t\nX-Injected: yes"}}));
  refused(lf, "CONSUL_HTTP_TOKEN");
  CHECK(lf.error().why == "the token must be one line; it is sent as an HTTP header");

  std::string two_lines = dir.write("two", "s3cr3t\nX-Injected: yes\n");
  refused(resolve({}, env_of({{"CONSUL_HTTP_TOKEN_FILE", two_lines}})), "CONSUL_HTTP_TOKEN_FILE=" + two_lines);
  std::string crlf = dir.write("crlf", "s3cr3t\r\n");
  auto ok_crlf = resolve({}, env_of({{"CONSUL_HTTP_TOKEN_FILE", crlf}}));
  REQUIRE(ok_crlf.ok());  // one line with its line break, as an editor on Windows writes it
  CHECK(ok_crlf->consul_token == "s3cr3t");

  std::string big = dir.write("big", std::string(5000, 'a'));
  auto b = resolve({}, env_of({{"CONSUL_HTTP_TOKEN_FILE", big}}));
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().message() ==
        "CONSUL_HTTP_TOKEN_FILE=" + big + ": the token file is larger than 4 KiB; hcl reads token files up to that size");
  for (std::string not_a_file : {dir.path.string(), std::string("/dev/zero")}) {
    auto r = resolve({}, env_of({{"CONSUL_HTTP_TOKEN_FILE", not_a_file}}));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().what == "CONSUL_HTTP_TOKEN_FILE=" + not_a_file);
    CHECK(r.error().why.starts_with("cannot read the token file: it is a "));
  }

  std::string cfg = dir.write("c.yaml", "consul:\n  token: \"s3cr3t\\r\\nX-Injected: yes\"\n");
  Flags flags;
  flags.config_file = cfg;
  refused(resolve(flags, env_of({})), cfg + ":2:10: consul.token");
}

TEST_CASE("Docker TLS: DOCKER_TLS_VERIFY with DOCKER_CERT_PATH, and missing files named") {
  TempDir dir;
  dir.write("certs/ca.pem", "x");
  dir.write("certs/cert.pem", "x");
  dir.write("certs/key.pem", "x");
  std::string certs = (dir.path / "certs").string();
  auto c = resolve({}, env_of({{"DOCKER_HOST", "tcp://master:2376"}, {"DOCKER_TLS_VERIFY", "1"}, {"DOCKER_CERT_PATH", certs}}));
  REQUIRE(c.ok());
  REQUIRE(c->docker.value.tls.has_value());
  CHECK(c->docker.value.tls->verify);
  CHECK(c->docker.value.tls->ca_file == certs + "/ca.pem");
  CHECK(c->docker.value.tls->cert_file == certs + "/cert.pem");
  CHECK(c->docker.value.base_url() == "https://master:2376");

  auto off = resolve({}, env_of({{"DOCKER_TLS_VERIFY", "0"}, {"DOCKER_CERT_PATH", certs}}));
  REQUIRE(off.ok());
  CHECK_FALSE(off->docker.value.tls.has_value());

  auto no_ca = resolve({}, env_of({{"DOCKER_TLS_VERIFY", "1"}, {"DOCKER_CERT_PATH", (dir.path / "none").string()}}));
  REQUIRE_FALSE(no_ca.ok());
  CHECK(no_ca.error().kind == ErrorKind::Tls);
  CHECK(no_ca.error().what == (dir.path / "none/ca.pem").string());

  Flags flags;
  flags.tlsverify = true;
  flags.tlscacert = (dir.path / "nope.pem").string();
  auto bad_flag = resolve(flags, env_of({}));
  REQUIRE_FALSE(bad_flag.ok());
  CHECK(bad_flag.error().what == "--tlscacert=" + (dir.path / "nope.pem").string());
}

TEST_CASE("Consul TLS from CONSUL_HTTP_SSL and friends") {
  auto c = resolve({}, env_of({{"CONSUL_HTTP_SSL", "true"}, {"CONSUL_HTTP_SSL_VERIFY", "false"}}));
  REQUIRE(c.ok());
  REQUIRE(c->consul.value.tls.has_value());
  CHECK_FALSE(c->consul.value.tls->verify);
  CHECK(c->consul.value.base_url() == "https://master:8500");
  auto bad = resolve({}, env_of({{"CONSUL_HTTP_SSL", "yes please"}}));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().what == "CONSUL_HTTP_SSL=yes please");
}

// Found by fuzz/fuzz_endpoint: nlohmann::json::dump threw on the invalid UTF-8 and ended hcl.
TEST_CASE("hcl config --format json shows a socket path that is not UTF-8") {
  auto cfg = resolve({}, env_of({{"DOCKER_HOST", "unix:///run/d\xff\xfe.sock"}}));
  REQUIRE(cfg);
  std::string out = output::config_json(*cfg);
  CHECK(out.find("unix:///run/d\xEF\xBF\xBD\xEF\xBF\xBD.sock") != std::string::npos);
}

TEST_CASE("the engine's API version is remembered per endpoint, in XDG_STATE_HOME or ~/.local/state") {
  TempDir dir;
  auto env = env_of({{"XDG_STATE_HOME", dir.path.string()}, {"HOME", "/nonexistent"}});
  CHECK_FALSE(remembered_api_version(env, "unix:///var/run/docker.sock").has_value());
  remember_api_version(env, "unix:///var/run/docker.sock", "1.41");
  remember_api_version(env, "tcp://master:2378", "1.51");
  remember_api_version(env, "unix:///var/run/docker.sock", "1.45");  // replaces, not appends
  CHECK(remembered_api_version(env, "unix:///var/run/docker.sock") == "1.45");
  CHECK(remembered_api_version(env, "tcp://master:2378") == "1.51");
  std::ifstream in(dir.path / "hcl" / "engines");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text == "tcp://master:2378 1.51\nunix:///var/run/docker.sock 1.45\n");

  // HOME when XDG_STATE_HOME is unset; a relative XDG_STATE_HOME is ignored, as the spec says.
  auto home = env_of({{"HOME", dir.path.string()}, {"XDG_STATE_HOME", "relative"}});
  remember_api_version(home, "tcp://node1:2375", "1.44");
  CHECK(std::filesystem::exists(dir.path / ".local" / "state" / "hcl" / "engines"));
  CHECK(remembered_api_version(home, "tcp://node1:2375") == "1.44");

  // What is not a version, and a file that is not ours, are neither written nor read.
  remember_api_version(env, "tcp://x:1", "1.4x");
  remember_api_version(env, "tcp://x:1\n1.99", "1.41");
  CHECK_FALSE(remembered_api_version(env, "tcp://x:1").has_value());
  dir.write("hcl/engines", "tcp://master:2378 1.51\n" + std::string(100 * 1024, '#'));
  CHECK_FALSE(remembered_api_version(env, "tcp://master:2378").has_value());
}

namespace {
// The docker CLI's layout: contexts/meta/<sha256 of the name>/meta.json, TLS files beside it.
const std::string kPiId = "85b42e1702877c851eb7412fe958c8fb447c3207b4798fadab42ea8539046ce1";
const std::string kTlsId = "edc3330015eb85359db5ec1f3ad21defde2d6d3d009dee5a08c63162f7364035";

void docker_dir(const TempDir& d) {
  d.write(".docker/contexts/meta/" + kPiId + "/meta.json",
          R"({"Name":"pi","Metadata":{"Description":"the boards"},"Endpoints":{"docker":{"Host":"unix:///run/pi.sock","SkipTLSVerify":false}}})");
  d.write(".docker/contexts/meta/" + kTlsId + "/meta.json",
          R"({"Name":"lab-tls","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://master:2376","SkipTLSVerify":false}}})");
  for (const char* f : {"ca.pem", "cert.pem", "key.pem"}) d.write(".docker/contexts/tls/" + kTlsId + "/docker/" + f, "PEM\n");
}
}  // namespace

TEST_CASE("docker contexts: -H, --context, DOCKER_HOST, DOCKER_CONTEXT, the file, currentContext, in that order") {
  TempDir d;
  docker_dir(d);
  std::string home = d.path.string();
  auto resolved = [&](Flags f, std::map<std::string, std::string> vars) {
    vars.emplace("HOME", home);
    return resolve(f, env_of(vars));
  };
  Flags none;
  Flags ctx_flag;
  ctx_flag.context = "pi";

  auto by_env = resolved(none, {{"DOCKER_CONTEXT", "pi"}});
  REQUIRE(by_env.ok());
  CHECK(by_env->docker.value.display() == "unix:///run/pi.sock");
  CHECK(by_env->docker.origin.name == "context pi (DOCKER_CONTEXT)");
  REQUIRE(by_env->docker_context);
  CHECK(by_env->docker_context->value == "pi");
  auto shown = nlohmann::json::parse(output::config_json(*by_env));
  CHECK(shown["docker"]["context"]["name"] == "pi");
  CHECK(shown["docker"]["context"]["origin"]["name"] == "DOCKER_CONTEXT");

  // DOCKER_HOST beats DOCKER_CONTEXT; --context beats DOCKER_HOST; -H with --context is refused.
  auto host_env = resolved(none, {{"DOCKER_CONTEXT", "pi"}, {"DOCKER_HOST", "tcp://other:2375"}});
  REQUIRE(host_env.ok());
  CHECK(host_env->docker.value.display() == "http://other:2375");
  CHECK_FALSE(host_env->docker_context);
  auto flag_over_env = resolved(ctx_flag, {{"DOCKER_HOST", "tcp://other:2375"}});
  REQUIRE(flag_over_env.ok());
  CHECK(flag_over_env->docker.value.display() == "unix:///run/pi.sock");
  CHECK(flag_over_env->docker.origin.level == Origin::Level::Flag);
  Flags both = ctx_flag;
  both.host = "tcp://x:1";
  auto conflict = resolved(both, {});
  REQUIRE_FALSE(conflict.ok());
  CHECK(conflict.error().kind == ErrorKind::Usage);

  // currentContext in config.json, below hcl's own file.
  d.write(".docker/config.json", R"({"auths":{},"currentContext":"lab-tls"})");
  auto current = resolved(none, {});
  REQUIRE(current.ok());
  CHECK(current->docker.value.display() == "https://master:2376");
  REQUIRE(current->docker.value.tls);
  CHECK(current->docker.value.tls->verify);
  CHECK(current->docker.value.tls->ca_file == home + "/.docker/contexts/tls/" + kTlsId + "/docker/ca.pem");
  CHECK(current->docker.value.tls->key_file == home + "/.docker/contexts/tls/" + kTlsId + "/docker/key.pem");
  CHECK(current->docker_context->origin.name == home + "/.docker/config.json: currentContext");
  std::string file = d.write("hcl.yaml", "docker:\n  host: tcp://from-file:2375\n");
  auto file_wins = resolved(none, {{"HCL_CONFIG", file}});
  REQUIRE(file_wins.ok());
  CHECK(file_wins->docker.value.display() == "http://from-file:2375");

  // "default" is docker's name for no context: hcl's own settings.
  auto dflt = resolved(none, {{"DOCKER_CONTEXT", "default"}});
  REQUIRE(dflt.ok());
  CHECK(dflt->docker.value.display() == "http://master:2378");

  // DOCKER_CONFIG moves the directory.
  auto moved = resolve(none, env_of({{"DOCKER_CONFIG", home + "/.docker"}, {"HOME", "/nonexistent"}, {"DOCKER_CONTEXT", "pi"}}));
  REQUIRE(moved.ok());
  CHECK(moved->docker.value.display() == "unix:///run/pi.sock");

  // --tls flags and a context that brings its own.
  Flags tls_flag = ctx_flag;
  tls_flag.tlsverify = true;
  CHECK_FALSE(resolved(tls_flag, {}).ok());
}

TEST_CASE("docker contexts: an unknown one is a usage error naming the variable and the known ones") {
  TempDir d;
  docker_dir(d);
  auto r = resolve({}, env_of({{"HOME", d.path.string()}, {"DOCKER_CONTEXT", "nosuch"}}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Usage);
  CHECK(r.error().what == "DOCKER_CONTEXT=nosuch");
  CHECK(r.error().why.find("known: default, lab-tls, pi") != std::string::npos);

  // A context whose endpoint hcl cannot use says which file holds it; a broken meta.json is named.
  d.write(".docker/contexts/meta/" + kPiId + "/meta.json", R"({"Name":"pi","Endpoints":{"docker":{"Host":"npipe:////./pipe/x"}}})");
  auto bad_host = resolve({}, env_of({{"HOME", d.path.string()}, {"DOCKER_CONTEXT", "pi"}}));
  REQUIRE_FALSE(bad_host.ok());
  CHECK(bad_host.error().what.find(kPiId + "/meta.json: Endpoints.docker.Host=npipe:") != std::string::npos);
  d.write(".docker/contexts/meta/" + kPiId + "/meta.json", "{not json");
  auto broken = resolve({}, env_of({{"HOME", d.path.string()}, {"DOCKER_CONTEXT", "pi"}}));
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().what.ends_with(kPiId + "/meta.json"));
  CHECK(broken.error().kind == ErrorKind::Usage);

  auto listed = docker_contexts(env_of({{"HOME", d.path.string()}}));
  CHECK_FALSE(listed.ok());  // the broken one is an error there too, not skipped
  d.write(".docker/contexts/meta/" + kPiId + "/meta.json", R"({"Name":"pi","Endpoints":{"docker":{"Host":"unix:///x"}}})");
  listed = docker_contexts(env_of({{"HOME", d.path.string()}}));
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].name == "lab-tls");
  CHECK((*listed)[1].host == "unix:///x");
  // No contexts directory: none, no error.
  CHECK(docker_contexts(env_of({{"HOME", "/nonexistent"}}))->empty());

  // `hcl context ls --format json`: default first, the one in use marked, TLS described, never read.
  auto j = nlohmann::json::parse(output::contexts_json(*listed, "lab-tls", ""));
  CHECK(j["current"] == "lab-tls");
  REQUIRE(j["contexts"].size() == 3);
  CHECK(j["contexts"][0]["name"] == "default");
  CHECK(j["contexts"][0]["endpoint"].is_null());
  CHECK(j["contexts"][0]["current"] == false);
  CHECK(j["contexts"][1]["name"] == "lab-tls");
  CHECK(j["contexts"][1]["current"] == true);
  CHECK(j["contexts"][1]["endpoint"] == "tcp://master:2376");
  CHECK(j["contexts"][1]["tls"] == nlohmann::json{{"ca", true}, {"client_certificate", true}, {"verify", true}});
  CHECK(j["contexts"][2]["tls"].is_null());
}

TEST_CASE("several managers in one address: the first used, the others tried after it, same scheme and TLS") {
  auto c = resolve({}, env_of({{"DOCKER_HOST", "tcp://master:2378,tcp://node1:2375,node2"}}));
  REQUIRE(c.ok());
  CHECK(c->docker.value.display() == "http://master:2378");
  REQUIRE(c->docker_more.size() == 2);
  CHECK(c->docker_more[0].display() == "http://node1:2375");
  CHECK(c->docker_more[1].display() == "http://node2:2375");

  Flags f;
  f.host = "ssh://pi@master,ssh://pi@node1:2222";
  auto s = resolve(f, env_of({{"XDG_RUNTIME_DIR", "/run/user/1000"}}));
  REQUIRE(s.ok());
  REQUIRE(s->docker_more.size() == 1);
  CHECK(s->docker_more[0].display() == "ssh://pi@node1:2222");
  CHECK(s->docker_more[0].ssh.control_path == s->docker.value.ssh.control_path);  // one ssh set-up for all

  auto mixed = resolve({}, env_of({{"DOCKER_HOST", "tcp://master:2378,ssh://node1"}}));
  REQUIRE_FALSE(mixed.ok());
  CHECK(mixed.error().kind == ErrorKind::Usage);
  CHECK(mixed.error().message().find("DOCKER_HOST") != std::string::npos);
  CHECK(mixed.error().message().find("same scheme") != std::string::npos);
  auto empty = resolve({}, env_of({{"DOCKER_HOST", "tcp://master:2378,"}}));
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().message().find("empty address") != std::string::npos);
  auto unix_too = resolve({}, env_of({{"DOCKER_HOST", "unix:///a.sock,unix:///b.sock"}}));
  REQUIRE_FALSE(unix_too.ok());
  CHECK(unix_too.error().message().find("unix socket") != std::string::npos);
}

TEST_CASE("the managers seen behind an endpoint are remembered with the one that answered in its place") {
  TempDir dir;
  auto env = env_of({{"XDG_STATE_HOME", dir.path.string()}, {"HOME", "/nonexistent"}});
  CHECK(known_managers(env, "http://master:2378") == KnownManagers{});
  KnownManagers k{{{"node1", "http://10.0.0.3:2378"}, {"node1", "http://10.0.0.3:2375"}}, "http://10.0.0.3:2375", 1700000000};
  remember_managers(env, "http://master:2378", k);
  remember_managers(env, "ssh://pi@master", KnownManagers{{{"node2", "ssh://pi@10.0.0.4"}}, "", 0});
  CHECK(known_managers(env, "http://master:2378") == k);
  CHECK(known_managers(env, "ssh://pi@master").managers.size() == 1);
  k.preferred.clear();
  remember_managers(env, "http://master:2378", k);  // replaces its line
  CHECK(known_managers(env, "http://master:2378").preferred.empty());
  std::ifstream in(dir.path / "hcl" / "managers");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(std::count(text.begin(), text.end(), '\n') == 2);

  // Names or addresses that would break a line are left out; a file that is not ours is not read.
  remember_managers(env, "http://x:1", KnownManagers{{{"a b", "http://1.2.3.4:1"}, {"c", "http://1.2.3.5:1\n"}}, "", 0});
  CHECK(known_managers(env, "http://x:1").managers.empty());
  dir.write("hcl/managers", std::string(100 * 1024, '#'));
  CHECK(known_managers(env, "http://master:2378") == KnownManagers{});
}
