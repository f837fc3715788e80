#include "check_runner.hpp"

#include <httplib.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace hcl::testing::cts {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::nanoseconds kDefaultTimeout = 10s;  // Consul's for HTTP and TCP checks
constexpr std::size_t kMaxOutput = 4096;                   // Consul's default output_max_size

std::chrono::milliseconds timeout_of(const CheckDefinition& d) {
  auto t = d.timeout.count() > 0 ? d.timeout : kDefaultTimeout;
  return std::chrono::duration_cast<std::chrono::milliseconds>(t);
}

// "host:port" or "[v6]:port" -> host, port.
std::pair<std::string, std::string> split_host_port(const std::string& address) {
  if (!address.empty() && address.front() == '[') {
    auto close = address.find(']');
    if (close != std::string::npos && close + 1 < address.size() && address[close + 1] == ':') {
      return {address.substr(1, close - 1), address.substr(close + 2)};
    }
  }
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return {address, ""};
  return {address.substr(0, colon), address.substr(colon + 1)};
}

// Connects with a deadline; returns "" on success, else why not (strerror text).
std::string tcp_connect(const std::string& host, const std::string& port,
                        std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return std::string("lookup ") + host + ": " + gai_strerror(rc);
  }
  std::string why = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, static_cast<int>(timeout.count()));
      if (rc == 0) {
        why = "i/o timeout";
        rc = -1;
      } else if (rc > 0) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) why = std::strerror(err);
        rc = err == 0 ? 0 : -1;
      } else {
        why = std::strerror(errno);
      }
    } else if (rc != 0) {
      why = std::strerror(errno);
    }
    close(fd);
    if (rc == 0) {
      freeaddrinfo(found);
      return "";
    }
  }
  freeaddrinfo(found);
  for (auto& c : why) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return why;
}

}  // namespace

ProbeResult probe_tcp(const CheckDefinition& d) {
  auto [host, port] = split_host_port(d.tcp);
  std::string why = tcp_connect(host, port, timeout_of(d));
  if (why.empty()) return {"passing", "TCP connect " + d.tcp + ": Success"};
  return {"critical", "dial tcp " + d.tcp + ": connect: " + why};
}

ProbeResult probe_http(const CheckDefinition& d) {
  const std::string& url = d.http;
  auto scheme_end = url.find("://");
  auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  std::string base = url.substr(0, path_start);
  std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  std::string method = d.method.empty() ? "GET" : d.method;

  httplib::Client client(base);
  auto timeout = timeout_of(d);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  client.enable_server_certificate_verification(!d.tls_skip_verify);
#endif
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.set_header("User-Agent", "Consul Health Check (hcl Consul test server)");
  req.set_header("Accept", "text/plain, text/*, */*");
  for (const auto& [name, values] : d.header) {
    for (const auto& v : values) req.headers.emplace(name, v);
  }
  auto res = client.send(req);
  if (!res) {
    return {"critical", method + " " + url + ": " + httplib::to_string(res.error())};
  }
  std::string body = res->body.substr(0, kMaxOutput);
  std::string output = "HTTP " + method + " " + url + ": " + std::to_string(res->status) +
                       " Output: " + body;
  // Consul: 2xx passes, 429 Too Many Requests warns, anything else is critical.
  if (res->status >= 200 && res->status < 300) return {"passing", output};
  if (res->status == 429) return {"warning", output};
  return {"critical", output};
}

void CheckRunner::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void CheckRunner::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CheckRunner::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    round(Clock::now());
    lock.lock();
    cv_.wait_for(lock, 200ms, [this] { return stopping_; });
  }
}

void CheckRunner::round(Clock::time_point now) {
  const std::string& node = core_.options().node_name;
  struct Due {
    std::string id;
    CheckDefinition definition;
    bool tcp;
  };
  struct Ttl {
    std::string id;
    std::chrono::nanoseconds ttl;
    bool expired_already;
  };
  std::vector<Due> due;
  std::vector<Ttl> ttls;
  std::map<std::string, bool> present;
  core_.inspect([&](const Store& s) {
    for (const Check* c : s.checks_on(node)) {
      present[c->check_id] = true;
      if (c->type == "http" || c->type == "tcp") {
        auto [it, fresh] = next_run_.try_emplace(c->check_id, now);
        if (fresh || it->second <= now) {
          due.push_back({c->check_id, c->definition, c->type == "tcp"});
          it->second = now + c->definition.interval;
        }
      } else if (c->type == "ttl") {
        bool already = c->status == "critical" && c->output == "TTL expired";
        ttls.push_back({c->check_id, c->definition.ttl, already});
      }
    }
  });
  std::erase_if(next_run_, [&](const auto& e) { return !present.count(e.first); });
  std::erase_if(first_seen_, [&](const auto& e) { return !present.count(e.first); });

  // A TTL check runs out TTL after its last update, or after it first appeared.
  std::vector<std::string> expired;
  for (const auto& t : ttls) {
    auto seen = first_seen_.try_emplace(t.id, now).first->second;
    auto last = std::max(seen, core_.ttl_update(t.id).value_or(seen));
    if (now > last + t.ttl && !t.expired_already) expired.push_back(t.id);
  }

  // Probes run side by side, so that one slow target does not hold up the others.
  std::vector<ProbeResult> results(due.size());
  std::vector<std::thread> probes;
  for (std::size_t i = 0; i < due.size(); ++i) {
    probes.emplace_back([&, i] {
      results[i] = due[i].tcp ? probe_tcp(due[i].definition) : probe_http(due[i].definition);
    });
  }
  for (auto& t : probes) t.join();

  // Write only what changed: an unchanged result is not news, and every write wakes every
  // blocking query.
  bool changed = !expired.empty();
  core_.inspect([&](const Store& s) {
    for (std::size_t i = 0; i < due.size() && !changed; ++i) {
      const Check* c = s.check(node, due[i].id);
      changed = c != nullptr && (c->status != results[i].status || c->output != results[i].output);
    }
  });
  if (!changed) return;
  core_.write(NeedsLeader::no, [&](Store& s, std::uint64_t idx) {
    for (std::size_t i = 0; i < due.size(); ++i) {
      s.update_check(node, due[i].id, results[i].status, results[i].output, idx);
    }
    for (const auto& id : expired) s.update_check(node, id, "critical", "TTL expired", idx);
  });
}

}  // namespace hcl::testing::cts
