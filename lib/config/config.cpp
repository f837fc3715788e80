// Resolving the effective configuration from flags, environment, config file and defaults.
#include <hcl/config.hpp>

#include "file.hpp"

#include <hcl/files.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include <unistd.h>

namespace hcl::config {
namespace {

using Level = Origin::Level;

// How long (s) ssh's shared session outlives a command by default: a script's next command finds it.
constexpr int kSshPersistSeconds = 60;

Error bad(const std::string& source, std::string_view text, const std::string& why) {
  return Error{ErrorKind::Usage, fmt::format("{}={}", source, text), why};
}

// HOST[:PORT] with an optional [IPv6] literal; no path allowed.
Result<http::Endpoint> parse_host_port(std::string_view rest, int default_port, const std::string& source,
                                       std::string_view text) {
  http::Endpoint ep;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    // USER:PASSWORD@HOST: not sent, and not printed either, not even in this message.
    std::string shown = fmt::format("{}***@{}", text.substr(0, text.size() - rest.size()), rest.substr(at + 1));
    return bad(source, shown,
               "a user or password in the address is not supported (shown as ***): Consul takes a token "
               "(CONSUL_HTTP_TOKEN), the engine TLS client certificates");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty()) return bad(source, text, "no host given");
  if (rest.find('/') != std::string_view::npos) return bad(source, text, "a path is not allowed here");
  std::string_view host = rest, port;
  if (rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return bad(source, text, "unterminated IPv6 address");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad(source, text, "expected ':PORT' after the IPv6 address");
      port = after.substr(1);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (rest.find(':') != colon) return bad(source, text, "write IPv6 addresses in brackets: [::1]:2375");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return bad(source, text, "no host given");
  // "12345" would be looked up as the address 0.0.48.57: a port given without its host.
  if (std::all_of(host.begin(), host.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return bad(source, text, fmt::format("'{}' is a number, not a host: write HOST:PORT, like master:{}", host, host));
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ':'))
      return bad(source, text, fmt::format("'{}' is not a host name or address", host));
  ep.host = std::string(host);
  ep.port = default_port;
  if (!port.empty() || rest.back() == ':') {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p < 1 || p > 65535)
      return bad(source, text, fmt::format("'{}' is not a port number (1-65535)", port));
    ep.port = p;
  }
  return ep;
}

Result<http::Endpoint> parse_unix(std::string_view path, const std::string& source, std::string_view text) {
  if (path.empty() || path.front() != '/') return bad(source, text, "a unix socket needs an absolute path: unix:///var/run/docker.sock");
  http::Endpoint ep;
  ep.kind = http::Endpoint::Kind::Unix;
  ep.socket_path = std::string(path);
  return ep;
}

// ssh://[USER@]HOST[:PORT][/PATH], as the docker CLI reads it: PATH is the engine's socket on
// the remote host. What goes on ssh's command line, and from there to the remote shell, is held
// to characters that neither can take for anything but themselves.
Result<http::Endpoint> parse_ssh(std::string_view rest, const std::string& source, std::string_view text) {
  if (rest.find_first_of("?#") != std::string_view::npos)
    return bad(source, text, "an ssh:// address takes no query or fragment: ssh://[USER@]HOST[:PORT][/SOCKET]");
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path = authority.size() < rest.size() ? rest.substr(authority.size()) : std::string_view{};
  std::string user;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view u = authority.substr(0, at);
    if (u.find(':') != std::string_view::npos) {
      // USER:PASSWORD@HOST: never printed, not even here.
      std::string shown = fmt::format("ssh://{}:***@{}{}", u.substr(0, u.find(':')), authority.substr(at + 1), path);
      return bad(source, shown, "a password in the address is not supported (shown as ***): ssh logs in with its keys or agent");
    }
    auto user_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'; };
    if (u.empty() || u.front() == '-' || !std::all_of(u.begin(), u.end(), user_char))
      return bad(source, text, fmt::format("'{}' is not a user name", text::escape_controls(u)));
    user = std::string(u);
    authority.remove_prefix(at + 1);
  }
  if (!authority.empty() && authority.front() == '-')
    return bad(source, text, "a host name cannot start with '-'");
  auto ep = parse_host_port(authority, 0, source, text);
  if (!ep) return ep.error();
  // (Also inside brackets: "[-x]" is the host "-x".)
  if (ep->host.front() == '-') return bad(source, text, "a host name cannot start with '-'");
  if (path == "/") path = {};
  auto path_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '/'; };
  if (!std::all_of(path.begin(), path.end(), path_char))
    return bad(source, text, "the socket path may hold only letters, digits, '.', '_', '-' and '/'");
  ep->kind = http::Endpoint::Kind::Ssh;
  ep->user = std::move(user);
  ep->socket_path = std::string(path);
  return ep;
}

std::string trim(std::string s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && ws(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && ws(s[i])) ++i;
  return s.substr(i);
}

// One value looked up in order: flag, environment, file; the first one set wins.
struct Lookup {
  const Env& env;
  const FileSettings& file;

  std::optional<Setting<std::string>> from_env(const std::string& var) const {
    if (auto v = env(var); v && !v->empty()) return Setting<std::string>{*v, {Level::Environment, var}};
    return std::nullopt;
  }
  std::optional<Setting<std::string>> from_file(const std::string& key) const {
    // Named "FILE:LINE:COL: key", so that messages read "FILE:LINE:COL: key=value: why".
    if (auto it = file.find(key); it != file.end())
      return Setting<std::string>{it->second.value, {Level::File, it->second.location + ": " + key}};
    return std::nullopt;
  }
  static std::optional<Setting<std::string>> from_flag(const std::optional<std::string>& v, const std::string& flag) {
    if (v) return Setting<std::string>{*v, {Level::Flag, flag}};
    return std::nullopt;
  }
};

template <class... Opts>
std::optional<Setting<std::string>> first(Opts&&... opts) {
  std::optional<Setting<std::string>> out;
  ((out = out ? out : std::forward<Opts>(opts)), ...);
  return out;
}

Result<bool> as_bool(const Setting<std::string>& s) {
  if (auto b = parse_bool(s.value)) return *b;
  return Error{ErrorKind::Usage, fmt::format("{}={}", s.origin.name, s.value), "expected true or false"};
}

Result<http::Millis> duration_setting(const std::optional<Setting<std::string>>& s, http::Millis fallback,
                                      Origin& origin) {
  if (!s) return fallback;
  origin = s->origin;
  return parse_duration(s->value, s->origin.name);
}

using ParseEndpoint = Result<http::Endpoint> (*)(std::string_view text, const std::string& source);

// The endpoint given by a flag, the environment or the file, else the master at its default port.
Result<Setting<http::Endpoint>> endpoint_setting(const std::optional<Setting<std::string>>& given, ParseEndpoint parse,
                                                 const std::string& master, int default_port, const Origin& master_origin) {
  if (given) {
    auto ep = parse(given->value, given->origin.name);
    if (!ep) return ep.error();
    return Setting<http::Endpoint>{std::move(*ep), given->origin};
  }
  http::Endpoint ep;
  ep.host = master;
  ep.port = default_port;
  return Setting<http::Endpoint>{ep, master_origin};
}

struct TlsAsked {
  bool tls = false;
  bool verify = false;
};

// TLS as the docker CLI does it: --tlsverify or DOCKER_TLS_VERIFY turn on TLS with
// verification, --tls turns on TLS without, and so does naming a certificate file.
Result<TlsAsked> docker_tls_asked(const Flags& flags, const Lookup& lk) {
  TlsAsked a{flags.tls || flags.tlsverify, flags.tlsverify};
  if (!a.tls) {
    if (auto v = first(lk.from_env("DOCKER_TLS_VERIFY"))) {
      // Docker treats any non-empty value as on; "0" and "false" are taken as off here, since
      // that is what people who write them mean.
      a.verify = a.tls = parse_bool(v->value).value_or(true);
    } else if (auto f = lk.from_file("docker.tls_verify")) {
      auto b = as_bool(*f);
      if (!b) return b.error();
      a.verify = a.tls = *b;
    } else if (auto f2 = lk.from_file("docker.tls")) {
      auto b = as_bool(*f2);
      if (!b) return b.error();
      a.tls = *b;
    }
  }
  if (flags.tlscacert || flags.tlscert || flags.tlskey) a.tls = true;
  return a;
}

// One of the engine's TLS files: the flag's or the config file's, which must exist, else
// DEFAULT_NAME in the certificate directory if it is there (an error if it is required).
Result<std::string> docker_tls_file(const Lookup& lk, const std::optional<std::string>& flag, const char* flag_name,
                                    const char* file_key, const std::string& dir, const char* default_name, bool required) {
  if (auto s = first(Lookup::from_flag(flag, flag_name), lk.from_file(file_key))) {
    if (!files::is_regular(s->value)) return Error{ErrorKind::Tls, fmt::format("{}={}", s->origin.name, s->value), "no such file"};
    return s->value;
  }
  std::string candidate = dir + "/" + default_name;
  if (files::is_regular(candidate)) return candidate;
  if (required)
    return Error{ErrorKind::Tls, candidate,
                 "TLS verification was asked for but this CA certificate does not exist "
                 "(set DOCKER_CERT_PATH or --tlscacert)"};
  return std::string();
}

// The engine's certificates: each one named, else ca.pem, cert.pem and key.pem from
// DOCKER_CERT_PATH (default ~/.docker).
Result<http::TlsOptions> docker_tls_files(const Flags& flags, const Lookup& lk, bool verify, bool ca_required) {
  std::string dir;
  if (auto p = first(lk.from_env("DOCKER_CERT_PATH"), lk.from_file("docker.cert_path"))) {
    dir = p->value;
  } else if (auto home = lk.env("HOME")) {
    dir = *home + "/.docker";
  }
  http::TlsOptions t;
  t.verify = verify;
  auto ca = docker_tls_file(lk, flags.tlscacert, "--tlscacert", "docker.tls_ca", dir, "ca.pem", ca_required);
  if (!ca) return ca.error();
  auto cert = docker_tls_file(lk, flags.tlscert, "--tlscert", "docker.tls_cert", dir, "cert.pem", false);
  if (!cert) return cert.error();
  auto key = docker_tls_file(lk, flags.tlskey, "--tlskey", "docker.tls_key", dir, "key.pem", false);
  if (!key) return key.error();
  t.ca_file = std::move(*ca);
  t.cert_file = std::move(*cert);
  t.key_file = std::move(*key);
  if (t.cert_file.empty() != t.key_file.empty())
    return Error{ErrorKind::Tls, t.cert_file.empty() ? t.key_file : t.cert_file,
                 "a client certificate needs both cert.pem and key.pem"};
  return t;
}

// The engine as a docker context gives it: its endpoint, and TLS when it holds TLS files (or
// says https://), verified unless it says SkipTLSVerify. Named by its meta.json in errors.
Status use_context(const DockerContext& c, const Setting<std::string>& chosen, Config& cfg) {
  std::string source = c.meta_file + ": Endpoints.docker.Host";
  if (c.host.empty()) return Error{ErrorKind::Usage, c.meta_file, fmt::format("docker context '{}' has no docker endpoint", c.name)};
  auto ep = parse_docker_host(c.host, source);
  if (!ep) return ep.error();
  if (ep->kind == http::Endpoint::Kind::Tcp &&
      (ep->tls || !c.tls_ca.empty() || !c.tls_cert.empty() || !c.tls_key.empty())) {
    http::TlsOptions t;
    t.verify = !c.skip_tls_verify;
    t.ca_file = c.tls_ca;
    t.cert_file = c.tls_cert;
    t.key_file = c.tls_key;
    if (t.cert_file.empty() != t.key_file.empty())
      return Error{ErrorKind::Tls, t.cert_file.empty() ? t.key_file : t.cert_file,
                   "a client certificate needs both cert.pem and key.pem"};
    ep->tls = std::move(t);
  }
  cfg.docker = {std::move(*ep), {chosen.origin.level, fmt::format("context {} ({})", c.name, chosen.origin.name)}};
  cfg.docker_context = chosen;
  return ok();
}

// How long ssh's shared session outlives a command (HCL_SSH_PERSIST, docker.ssh_persist; "0"
// for not at all), and where its control socket lives: $XDG_RUNTIME_DIR/hcl, else /tmp/hcl-UID.
Status ssh_options(const Lookup& lk, http::SshOptions& ssh) {
  ssh.persist_seconds = kSshPersistSeconds;
  if (auto p = first(lk.from_env("HCL_SSH_PERSIST"), lk.from_file("docker.ssh_persist"))) {
    if (p->value == "0" || p->value == "no") {
      ssh.persist_seconds = 0;
    } else {
      auto d = parse_duration(p->value, p->origin.name);
      if (!d) return d.error();
      ssh.persist_seconds = static_cast<int>(std::max<long long>(1, (d->count() + 999) / 1000));
    }
  }
  auto runtime = lk.env("XDG_RUNTIME_DIR");
  std::string dir = runtime && !runtime->empty() && runtime->front() == '/' ? *runtime + "/hcl"
                                                                             : fmt::format("/tmp/hcl-{}", ::geteuid());
  ssh.control_path = dir + "/ssh-%C";  // %C: ssh's hash of the local host, user, host and port
  return ok();
}

Status resolve_docker(const Flags& flags, const Lookup& lk, const std::string& master, const Origin& master_origin,
                      Config& cfg) {
  // As the docker CLI: -H or --context (never both), then DOCKER_HOST, then DOCKER_CONTEXT; then
  // hcl's own file, then the docker CLI's current context, which hcl's file is more specific than.
  if (flags.host && flags.context)
    return Error{ErrorKind::Usage, "--context", "give either --host or --context, not both"};
  std::optional<Setting<std::string>> host, context;
  if (flags.host) {
    host = Lookup::from_flag(flags.host, "--host");
  } else if (flags.context) {
    context = Lookup::from_flag(flags.context, "--context");
  } else if (auto h = lk.from_env("DOCKER_HOST")) {
    host = h;
  } else if (auto c = lk.from_env("DOCKER_CONTEXT")) {
    context = c;
  } else if (auto f = lk.from_file("docker.host")) {
    host = f;
  } else {
    auto current = current_docker_context(lk.env);
    if (!current) return current.error();
    context = *current;
  }
  if (context) {
    auto c = docker_context(lk.env, context->value, context->origin.name);
    if (!c) return c.error();
    if (*c) {
      if (flags.tls || flags.tlsverify || flags.tlscacert || flags.tlscert || flags.tlskey)
        return Error{ErrorKind::Usage, context->origin.name,
                     fmt::format("docker context '{}' brings its own TLS settings; drop the --tls flags", (*c)->name)};
      return use_context(**c, *context, cfg);
    }
    // "default", docker's name for no context: DOCKER_HOST or hcl's own settings.
    cfg.docker_context = context;
    host = first(lk.from_env("DOCKER_HOST"), lk.from_file("docker.host"));
  }
  // Several managers of one swarm: "tcp://master:2378,tcp://node1:2375"; the first is the one used
  // while it answers.
  std::vector<std::string> more;
  if (host && host->value.find(',') != std::string::npos) {
    std::string all = host->value;
    for (std::size_t start = 0;;) {
      auto comma = all.find(',', start);
      more.push_back(all.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    host->value = more.front();
    more.erase(more.begin());
  }
  auto endpoint = endpoint_setting(host, parse_docker_host, master, kDockerPort, master_origin);
  if (!endpoint) return endpoint.error();
  cfg.docker = std::move(*endpoint);
  for (const auto& m : more) {
    auto ep = parse_docker_host(m, host->origin.name);
    if (!ep) return ep.error();
    if (ep->kind != cfg.docker.value.kind || ep->tls.has_value() != cfg.docker.value.tls.has_value())
      return bad(host->origin.name, m, "every endpoint of the list must use the same scheme as the first");
    if (ep->kind == http::Endpoint::Kind::Unix)
      return bad(host->origin.name, m, "a unix socket reaches this machine's engine only: give tcp:// or ssh:// managers");
    cfg.docker_more.push_back(std::move(*ep));
  }
  auto asked = docker_tls_asked(flags, lk);
  if (!asked) return asked.error();
  if (cfg.docker.value.kind == http::Endpoint::Kind::Unix) {
    if (asked->tls) return Error{ErrorKind::Usage, cfg.docker.value.display(), "TLS is not used over a unix socket"};
    return ok();
  }
  if (cfg.docker.value.kind == http::Endpoint::Kind::Ssh) {
    if (asked->tls) return Error{ErrorKind::Usage, cfg.docker.value.display(), "TLS is not used over ssh (ssh encrypts)"};
    return ok();
  }
  bool https = cfg.docker.value.tls.has_value();
  cfg.docker.value.tls.reset();
  // An https:// address verifies against the system's CAs unless only --tls was asked for.
  bool ca_required = asked->verify;
  if (https && !asked->tls) asked->verify = asked->tls = true;
  if (!asked->tls) return ok();
  auto tls = docker_tls_files(flags, lk, asked->verify, ca_required);
  if (!tls) return tls.error();
  cfg.docker.value.tls = std::move(*tls);
  return ok();
}

// Consul's TLS settings, read as the consul CLI reads them (CONSUL_HTTP_SSL_VERIFY, CONSUL_CACERT,
// CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY); files named must exist.
Result<http::TlsOptions> consul_tls(const Lookup& lk) {
  http::TlsOptions t;
  if (auto s = first(lk.from_env("CONSUL_HTTP_SSL_VERIFY"), lk.from_file("consul.ssl_verify"))) {
    auto b = as_bool(*s);
    if (!b) return b.error();
    t.verify = *b;
  }
  auto file = [&](const char* var, const char* key, std::string& out) -> Status {
    if (auto s = first(lk.from_env(var), lk.from_file(key))) {
      if (!files::is_regular(s->value)) return Error{ErrorKind::Tls, fmt::format("{}={}", s->origin.name, s->value), "no such file"};
      out = s->value;
    }
    return ok();
  };
  if (auto s = file("CONSUL_CACERT", "consul.cacert", t.ca_file); !s) return s.error();
  if (auto s = file("CONSUL_CLIENT_CERT", "consul.client_cert", t.cert_file); !s) return s.error();
  if (auto s = file("CONSUL_CLIENT_KEY", "consul.client_key", t.key_file); !s) return s.error();
  if (t.cert_file.empty() != t.key_file.empty())
    return Error{ErrorKind::Tls, "CONSUL_CLIENT_CERT/CONSUL_CLIENT_KEY", "a client certificate needs both"};
  return t;
}

// A token is sent as the X-Consul-Token header: a line break in it would end the header and
// start another of the token's choosing, and other control characters make a request servers
// refuse. The message names the source, never the token.
Status check_token(const std::string& token, const std::string& source) {
  if (token.find('\n') != std::string::npos)
    return Error{ErrorKind::Usage, source, "the token must be one line; it is sent as an HTTP header"};
  for (char c : token)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return Error{ErrorKind::Usage, source, "the token holds a control character; it is sent as an HTTP header"};
  return ok();
}

// Tokens are UUIDs, or a little longer: a file bigger than this is not a token.
constexpr std::size_t kMaxTokenFileBytes = 4 * 1024;

// The token file wins over the token, as for the consul CLI. Only the origin is kept for
// display; error messages name the file, never its contents.
Status resolve_consul_token(const Lookup& lk, Config& cfg) {
  if (auto tf = first(lk.from_env("CONSUL_HTTP_TOKEN_FILE"), lk.from_file("consul.token_file"))) {
    std::string source = fmt::format("{}={}", tf->origin.name, tf->value);
    auto text = files::read_bounded(tf->value, {"the token file", "token files", kMaxTokenFileBytes});
    if (!text) return Error{ErrorKind::Usage, source, text.error().why};
    cfg.consul_token = trim(*text);
    if (auto s = check_token(cfg.consul_token, source); !s) return s;
    cfg.consul_token_origin = tf->origin;
  } else if (auto tok = first(lk.from_env("CONSUL_HTTP_TOKEN"), lk.from_file("consul.token"))) {
    cfg.consul_token = trim(tok->value);
    if (auto s = check_token(cfg.consul_token, tok->origin.name); !s) return s;
    cfg.consul_token_origin = tok->origin;
  }
  return ok();
}

Status resolve_consul(const Flags& flags, const Lookup& lk, const std::string& master, const Origin& master_origin,
                      Config& cfg) {
  auto addr = first(Lookup::from_flag(flags.consul, "--consul"), lk.from_env("CONSUL_HTTP_ADDR"),
                    lk.from_file("consul.addr"));
  if (!addr && cfg.docker.value.kind == http::Endpoint::Kind::Ssh) {
    // Reached over ssh, the engine's host is the way in: Consul through the same ssh session, at
    // its own default address there.
    cfg.consul = {cfg.docker.value, {Level::Default, fmt::format("default: through {}", cfg.docker.origin.name)}};
    cfg.consul.value.ssh.forward = fmt::format("localhost:{}", kConsulPort);
    cfg.consul.value.socket_path.clear();
    return resolve_consul_token(lk, cfg);
  }
  auto endpoint = endpoint_setting(addr, parse_consul_addr, master, kConsulPort, master_origin);
  if (!endpoint) return endpoint.error();
  cfg.consul = std::move(*endpoint);
  bool ssl = cfg.consul.value.tls.has_value();
  cfg.consul.value.tls.reset();
  if (auto s = first(lk.from_env("CONSUL_HTTP_SSL"), lk.from_file("consul.ssl"))) {
    auto b = as_bool(*s);
    if (!b) return b.error();
    ssl = ssl || *b;
  }
  if (ssl && cfg.consul.value.kind == http::Endpoint::Kind::Tcp) {
    auto tls = consul_tls(lk);
    if (!tls) return tls.error();
    cfg.consul.value.tls = std::move(*tls);
  }
  return resolve_consul_token(lk, cfg);
}

}  // namespace

Env process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
}

http::Endpoint with_settings_of(const http::Endpoint& model, http::Endpoint other) {
  if (other.kind == http::Endpoint::Kind::Tcp) other.tls = model.tls;
  if (other.kind == http::Endpoint::Kind::Ssh) {
    std::string forward = std::move(other.ssh.forward);
    other.ssh = model.ssh;
    other.ssh.forward = std::move(forward);
  }
  return other;
}

Result<http::Endpoint> parse_docker_host(std::string_view text, const std::string& source) {
  std::string_view t = text;
  if (t.starts_with("unix://")) return parse_unix(t.substr(7), source, text);
  if (t.starts_with("tcp://")) return parse_host_port(t.substr(6), 2375, source, text);
  if (t.starts_with("http://")) return parse_host_port(t.substr(7), 2375, source, text);
  if (t.starts_with("https://")) {
    auto ep = parse_host_port(t.substr(8), 2376, source, text);
    if (ep) ep->tls = http::TlsOptions{};  // https:// means TLS; the details are resolved later
    return ep;
  }
  if (t.starts_with("ssh://")) return parse_ssh(t.substr(6), source, text);
  if (t.starts_with("npipe://") || t.starts_with("fd://"))
    return bad(source, text, "hcl supports tcp://, unix://, ssh://, http:// and https:// engine addresses");
  if (t.find("://") != std::string_view::npos)
    return bad(source, text, "unknown scheme; use tcp://HOST:PORT, ssh://[USER@]HOST or unix:///PATH");
  if (t.empty()) return bad(source, text, "empty address");
  // Like the docker CLI, a bare HOST:PORT means tcp.
  return parse_host_port(t, 2375, source, text);
}

Result<http::Endpoint> parse_consul_addr(std::string_view text, const std::string& source) {
  std::string_view t = text;
  if (t.starts_with("unix://")) return parse_unix(t.substr(7), source, text);
  if (t.starts_with("http://")) return parse_host_port(t.substr(7), kConsulPort, source, text);
  if (t.starts_with("https://")) {
    auto ep = parse_host_port(t.substr(8), kConsulPort, source, text);
    if (ep) ep->tls = http::TlsOptions{};  // https:// means TLS; the details are resolved later
    return ep;
  }
  if (t.find("://") != std::string_view::npos)
    return bad(source, text, "unknown scheme; use http://HOST:PORT, https://HOST:PORT or unix:///PATH");
  if (t.empty()) return bad(source, text, "empty address");
  return parse_host_port(t, kConsulPort, source, text);
}

Result<http::Millis> parse_duration(std::string_view text, const std::string& source) {
  auto fail = [&](const char* why) { return bad(source, text, why); };
  if (text.empty()) return fail("empty duration");
  double total_ms = 0;
  std::string_view rest = text;
  // A bare number is seconds.
  bool bare = rest.find_first_not_of("0123456789.") == std::string_view::npos;
  while (!rest.empty()) {
    size_t n = rest.find_first_not_of("0123456789.");
    if (n == 0) return fail("expected a number, like 3s, 500ms or 1m");
    double value = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + (n == std::string_view::npos ? rest.size() : n), value);
    if (ec != std::errc()) return fail("expected a number, like 3s, 500ms or 1m");
    rest.remove_prefix(ptr - rest.data());
    double unit = 1000;
    if (bare) {
      unit = 1000;
    } else if (rest.starts_with("ms")) {
      unit = 1, rest.remove_prefix(2);
    } else if (rest.starts_with("s")) {
      unit = 1000, rest.remove_prefix(1);
    } else if (rest.starts_with("m")) {
      unit = 60000, rest.remove_prefix(1);
    } else if (rest.starts_with("h")) {
      unit = 3600000, rest.remove_prefix(1);
    } else {
      return fail("unknown unit; use ms, s, m or h");
    }
    total_ms += value * unit;
  }
  if (total_ms < 1) return fail("must be at least 1ms");
  if (total_ms > 86400000.0) return fail("must be at most 24h");
  return http::Millis(static_cast<long long>(total_ms));
}

std::optional<bool> parse_bool(std::string_view t) {
  for (auto s : {"1", "t", "T", "TRUE", "true", "True"})
    if (t == s) return true;
  for (auto s : {"0", "f", "F", "FALSE", "false", "False"})
    if (t == s) return false;
  return std::nullopt;
}

std::string to_string(Origin::Level level) {
  switch (level) {
    case Level::Flag: return "flag";
    case Level::Environment: return "environment";
    case Level::File: return "config file";
    case Level::Default: return "default";
  }
  return "default";
}

Result<Config> resolve(const Flags& flags, const Env& env) {
  Config cfg;

  // The config file: --config, HCL_CONFIG, else the XDG location. Only a file named explicitly
  // must exist.
  bool explicit_file = false;
  if (flags.config_file) {
    cfg.config_file = *flags.config_file, explicit_file = true;
  } else if (auto v = env("HCL_CONFIG"); v && !v->empty()) {
    cfg.config_file = *v, explicit_file = true;
  } else if (auto x = env("XDG_CONFIG_HOME"); x && !x->empty()) {
    cfg.config_file = *x + "/hcl/config.yaml";
  } else if (auto h = env("HOME"); h && !h->empty()) {
    cfg.config_file = *h + "/.config/hcl/config.yaml";
  }
  FileSettings file;
  if (!cfg.config_file.empty() && (explicit_file || files::is_regular(cfg.config_file))) {
    auto loaded = load_file(cfg.config_file);
    if (!loaded) return loaded.error();
    file = std::move(*loaded);
    cfg.config_file_loaded = true;
  }
  Lookup lk{env, file};

  // HCL_MASTER (or the file's `master`) changes the default host of both endpoints.
  std::string master = kDefaultMaster;
  Origin master_origin;
  if (auto m = first(lk.from_env("HCL_MASTER"), lk.from_file("master"))) {
    auto check = parse_host_port(m->value, 1, m->origin.name, m->value);
    if (!check || check->port != 1) return bad(m->origin.name, m->value, "expected a host name or address, without a port");
    master = m->value;
    master_origin = m->origin;
  }

  if (auto s = resolve_docker(flags, lk, master, master_origin, cfg); !s) return s.error();
  if (cfg.docker.value.kind == http::Endpoint::Kind::Ssh)
    if (auto s = ssh_options(lk, cfg.docker.value.ssh); !s) return s.error();
  for (auto& m : cfg.docker_more) m = with_settings_of(cfg.docker.value, std::move(m));
  if (auto s = resolve_consul(flags, lk, master, master_origin, cfg); !s) return s.error();

  cfg.connect_timeout.value = http::Timeouts{}.connect;
  cfg.request_timeout.value = http::Timeouts{}.request;
  auto ct = duration_setting(first(Lookup::from_flag(flags.connect_timeout, "--connect-timeout"),
                                   lk.from_env("HCL_CONNECT_TIMEOUT"), lk.from_file("timeouts.connect")),
                             cfg.connect_timeout.value, cfg.connect_timeout.origin);
  if (!ct) return ct.error();
  cfg.connect_timeout.value = *ct;
  auto rt = duration_setting(first(Lookup::from_flag(flags.timeout, "--request-timeout"), lk.from_env("HCL_TIMEOUT"),
                                   lk.from_file("timeouts.request")),
                             cfg.request_timeout.value, cfg.request_timeout.origin);
  if (!rt) return rt.error();
  cfg.request_timeout.value = *rt;
  return cfg;
}

}  // namespace hcl::config
