// Transport-independent pieces of the HTTP layer: endpoint rendering, URL encoding, headers.
#include <hcl/files.hpp>
#include <hcl/http.hpp>
#include <hcl/text.hpp>

#include "getent.hpp"
#include "transport_common.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include <netdb.h>
#include <sys/socket.h>

namespace hcl::http {

namespace {

// A host as it goes in a URL: an IPv6 address in brackets.
std::string url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// An ssh endpoint's own address, without a forward: "ssh://pi@master:2222/run/docker.sock".
std::string ssh_address(const Endpoint& e) {
  return fmt::format("ssh://{}{}{}{}", e.user.empty() ? "" : e.user + "@", url_host(e.host),
                     e.port != 0 ? fmt::format(":{}", e.port) : "", e.socket_path);
}

}  // namespace

std::string Endpoint::base_url() const {
  if (kind == Kind::Unix || kind == Kind::Ssh) return "http://localhost";
  return fmt::format("{}://{}:{}", tls ? "https" : "http", url_host(host), port);
}

std::string Endpoint::display() const { return url(""); }

std::string Endpoint::url(std::string_view target) const {
  if (kind == Kind::Unix) return "unix://" + socket_path + std::string(target);
  if (kind != Kind::Ssh) return base_url() + std::string(target);
  if (ssh.forward.empty()) return ssh_address(*this) + std::string(target);
  return fmt::format("http://{}{} through {}", ssh.forward, target, ssh_address(*this));
}

std::string Response::header(std::string_view name) const {
  auto same = [&](const std::string& n) {
    return std::equal(n.begin(), n.end(), name.begin(), name.end(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
  };
  for (const Header& h : headers)
    if (same(h.name)) return h.value;
  return {};
}

std::vector<std::string> numeric_addresses(const std::string& host) {
  if (auto through_getent = detail::addresses_beyond_libc(host)) return *through_getent;
  std::vector<std::string> out;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (host.empty() || getaddrinfo(host.c_str(), nullptr, &hints, &list) != 0) return out;
  for (auto* a = list; a != nullptr; a = a->ai_next) {
    char text[NI_MAXHOST];
    if (getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST) == 0) out.emplace_back(text);
  }
  freeaddrinfo(list);
  return out;
}

std::vector<Result<Response>> Transport::send_all(const std::vector<Request>& requests) {
  std::vector<Result<Response>> out;
  out.reserve(requests.size());
  for (const Request& r : requests) out.push_back(send(r));
  return out;
}

std::vector<Result<Response>> Transport::stream_all(const std::vector<Request>& requests,
                                                   const std::vector<BodySink>& sinks) {
  auto out = send_all(requests);
  for (std::size_t i = 0; i < out.size() && i < sinks.size(); ++i) {
    auto& r = out[i];
    if (r.ok() && r->status < 400 && sinks[i]) {
      sinks[i](r->body);
      r->body.clear();
    }
  }
  return out;
}

Result<Response> Transport::stream(const Request& request,
                                   const std::function<bool(std::string_view)>& on_data) {
  auto r = send(request);
  if (r.ok() && r->status < 400) {
    on_data(r->body);
    r->body.clear();
  }
  return r;
}

namespace detail {

std::string redact(std::string url) {
  for (const char* key : {"token=", "access_token="}) {
    for (size_t pos = url.find(key); pos != std::string::npos; pos = url.find(key, pos + 1)) {
      if (pos > 0 && url[pos - 1] != '?' && url[pos - 1] != '&') continue;
      size_t start = pos + std::char_traits<char>::length(key);
      size_t end = url.find('&', start);
      url.replace(start, (end == std::string::npos ? url.size() : end) - start, "REDACTED");
    }
  }
  return url;
}

bool plain_request_to_tls_server(const Response& r) {
  return r.status == 400 && r.body.starts_with("Client sent an HTTP request to an HTTPS server");
}

Error redirect_error(std::string what, const Response& r) {
  std::string to = redact(r.header("Location"));
  // A user and password in the URL are not shown.
  if (auto scheme = to.find("://"); scheme != std::string::npos) {
    auto at = to.find('@', scheme + 3);
    if (at != std::string::npos && at < to.find('/', scheme + 3)) to.replace(scheme + 3, at - scheme - 3, "***");
  }
  return {ErrorKind::Server, std::move(what),
          fmt::format("the server answered HTTP {}, a redirect{}; hcl follows none: give the endpoint's own address",
                      r.status, to.empty() ? "" : " to " + text::escape_controls(to))};
}

Error answer_too_large(std::string what, std::uint64_t limit) {
  return {ErrorKind::Server, std::move(what),
          fmt::format("the answer is larger than {}, the most hcl reads of it: not an answer hcl expects from "
                      "this endpoint",
                      files::size_text(static_cast<std::size_t>(limit)))};
}

Error plain_request_to_tls_server_error(std::string what) {
  return {ErrorKind::Tls, std::move(what),
          "the server speaks TLS (HTTPS) but TLS was not asked for: use --tlsverify with certificates "
          "(--tlscacert, --tlscert, --tlskey), or DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH"};
}

Result<Response> BatchTransport::outcome(const Request& r, Millis elapsed, bool interrupted, std::optional<Error> error,
                                         Response response) const {
  std::string url = redact(endpoint_.kind == Endpoint::Kind::Ssh ? endpoint_.url(r.target) : endpoint_.base_url() + r.target);
  if (interrupted) {
    log({r.method, url, 0, elapsed, "cancelled"});
    return Error{ErrorKind::Interrupted, what(r), "interrupted"};
  }
  if (error) {
    log({r.method, url, 0, elapsed, error->why});
    return std::move(*error);
  }
  if (!endpoint_.tls && plain_request_to_tls_server(response)) {
    Error e = plain_request_to_tls_server_error(what(r));
    log({r.method, url, response.status, elapsed, e.why});
    return e;
  }
  if (response.status >= 300 && response.status < 400) {
    // Neither the engine's API nor Consul's redirects; a proxy or a web server in their place
    // does, and its answer is no JSON ("unexpected end of input" said nothing).
    Error e = redirect_error(what(r), response);
    log({r.method, url, response.status, elapsed, e.why});
    return e;
  }
  log({r.method, url, response.status, elapsed, {}});
  return response;
}

}  // namespace detail

std::string encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string target(std::string_view path,
                   const std::vector<std::pair<std::string, std::optional<std::string>>>& query) {
  std::string out(path);
  char sep = '?';
  for (const auto& [key, value] : query) {
    out += sep;
    out += encode(key);
    if (value) {
      out += '=';
      out += encode(*value);
    }
    sep = '&';
  }
  return out;
}

ErrorKind error_kind(int status) {
  switch (status) {
    case 400: return ErrorKind::Usage;
    case 401:
    case 403: return ErrorKind::Tls;
    case 404: return ErrorKind::NotFound;
    case 409: return ErrorKind::Conflict;
    default: return ErrorKind::Server;
  }
}

std::string describe(Millis duration) {
  auto ms = duration.count();
  if (ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
  if (ms < 1000) return fmt::format("{} ms", ms);
  return fmt::format("{:.1f} s", static_cast<double>(ms) / 1000.0);
}

}  // namespace hcl::http
