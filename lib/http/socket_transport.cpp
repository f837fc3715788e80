// HTTP/1.1 over TCP (plain or TLS), unix sockets and ssh: hcl's one transport.
//
// Why not libcurl: loading libcurl.so.4 maps and relocates some 30 further libraries (OpenSSL,
// GnuTLS, Kerberos, LDAP, SSH, ...) and initialises OpenSSL, which cost every command that sends
// a request 7-10 ms and 8.5 MB of resident memory on the development machine (more on a
// Raspberry Pi): more than the rest of an unchanged `hcl deploy`, and more than a third of the
// memory `hcl ps` needs for 10,000 tasks; and a static binary (the ARMv6 build) cannot load it.
// TLS is mbed TLS, linked in, behind tls_session.hpp.
//
// What it does: keep-alive (idle connections are reused, and a read whose reused connection
// turns out closed is sent once more on a new one; a write is not: see retry()), requests at
// once over parallel connections (up to kMaxConnections, the rest wait for one), connect and
// request timeouts (the connect timeout covers name resolution and the TLS handshake), bodies
// handed to a sink as they arrive, Content-Length, chunked and until-close bodies, cancellation
// checked every 100 ms, and the request log.
#include <hcl/http.hpp>
#include <hcl/text.hpp>

#include "getent.hpp"
#include "hosts_file.hpp"
#include "ssh.hpp"
#include "tls_session.hpp"
#include "transport_common.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <strings.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace hcl::http {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxConnections = 8;     // at once per transport
constexpr std::size_t kMaxHead = 64 * 1024;    // a status line and headers longer than this are refused
constexpr Millis kPollSlice{100};               // how often a cancel is looked at
constexpr auto kResolveTtl = std::chrono::seconds(60);  // as libcurl's DNS cache
constexpr Millis kAheadWait{50};  // the most prefetch() waits for its connection

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

// A name being resolved on a thread of its own, so that the connect timeout and Ctrl-C bound
// the wait (getaddrinfo cannot be interrupted). The thread may outlive the wait; it then frees
// what it finds.
struct Resolution {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int rc = 0;
  std::vector<Address> addresses;
};

std::vector<Address> addresses_of(const addrinfo* list) {
  std::vector<Address> out;
  for (const addrinfo* a = list; a != nullptr; a = a->ai_next) {
    Address addr;
    std::memcpy(&addr.storage, a->ai_addr, a->ai_addrlen);
    addr.length = static_cast<socklen_t>(a->ai_addrlen);
    out.push_back(addr);
  }
  return out;
}

// ADDRESS (an IP address as text) with PORT; empty when it is not an address.
std::vector<Address> address_with_port(const std::string& address, const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  if (getaddrinfo(address.c_str(), port.c_str(), &hints, &list) != 0) return {};
  auto out = addresses_of(list);
  freeaddrinfo(list);
  return out;
}

std::string describe_errno(int err) { return std::strerror(err); }

class SocketTransport final : public detail::BatchTransport {
 public:
  SocketTransport(Endpoint endpoint, Timeouts timeouts, Logger logger)
      : BatchTransport(std::move(endpoint), timeouts, std::move(logger)) {}
  ~SocketTransport() override {
    for (int fd : idle_) close_connection(fd);
    if (ahead_ && ahead_->transfer.fd >= 0) close_connection(ahead_->transfer.fd);
  }

 private:
  enum class Phase { Waiting, Connecting, Handshake, Sending, Head, Body, Done };
  enum class Framing { None, Length, Chunked, UntilClose };
  enum class Chunk { Size, Data, DataEnd, Trailer };

  // One request in flight.
  struct Transfer {
    const Request* request = nullptr;
    const BodySink* sink = nullptr;
    Clock::time_point started, deadline, connect_deadline;
    Phase phase = Phase::Waiting;
    int fd = -1;
    short want = 0;           // TLS: the poll event its session waits for (0: the phase's own)
    bool reused = false;      // on a kept-alive connection
    bool retried = false;     // already sent again after a reused connection turned out closed
    std::size_t address = 0;  // the address being connected to
    std::string out;          // the request as sent
    std::size_t sent = 0;
    bool received = false;    // any byte of the answer came
    std::uint64_t body_bytes = 0;
    std::string head;
    Response response;
    Framing framing = Framing::None;
    std::uint64_t remaining = 0;
    Chunk chunk = Chunk::Size;
    std::string line;  // a chunk-size or trailer line so far
    bool keep_alive = true;
    std::optional<Error> error;
  };

  std::string what(const Transfer& t) const { return BatchTransport::what(*t.request); }

  // A name (not an address) of a TCP endpoint is taken from the hosts file when the system's
  // resolver would take it from there (hosts_file.hpp: no thread, a fraction of a millisecond);
  // otherwise it is looked up on a thread of its own: started by prepare() so that it runs while
  // the caller does its own work, or by the first request.
  void prepare() override {
    if (endpoint_.kind == Endpoint::Kind::Tcp && !lookup_ && resolved_.empty() && !numeric_host() &&
        !from_hosts_file())
      lookup_ = start_lookup();
  }

  bool from_hosts_file() {
    auto text = detail::hosts_file_address(endpoint_.host);
    return text && from_address(*text);
  }

  // ADDRESS (an IP address as text) with the endpoint's port becomes the resolved address; no
  // lookup. False when it is not an address.
  bool from_address(const std::string& address) {
    resolved_ = address_with_port(address, std::to_string(endpoint_.port));
    resolved_at_ = Clock::now();
    return !resolved_.empty();
  }

  bool numeric_host() const {
    addrinfo hints{};
    hints.ai_flags = AI_NUMERICHOST;
    addrinfo* list = nullptr;
    bool numeric = getaddrinfo(endpoint_.host.c_str(), nullptr, &hints, &list) == 0;
    if (list != nullptr) freeaddrinfo(list);
    return numeric;
  }

  std::shared_ptr<Resolution> start_lookup() const {
    auto r = std::make_shared<Resolution>();
    std::thread([r, host = endpoint_.host, port = std::to_string(endpoint_.port)] {
      // A C library linked into hcl has "files" and "dns" built in but cannot load the modules of
      // other sources (a board's NAME.local through mdns4_minimal...): getent, a program of the
      // system's own C library, answers as getaddrinfo would in a dynamically linked program.
      // Where getent cannot be run, the built-in sources answer.
      int rc = 0;
      std::vector<Address> found;
      if (auto texts = detail::addresses_beyond_libc(host)) {
        for (const auto& t : *texts) {
          auto a = address_with_port(t, port);
          found.insert(found.end(), a.begin(), a.end());
        }
        rc = found.empty() ? EAI_NONAME : 0;
      } else {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_NUMERICSERV;
        addrinfo* list = nullptr;
        rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
        if (rc == 0) found = addresses_of(list);
        if (list != nullptr) freeaddrinfo(list);
      }
      std::lock_guard lock(r->mu);
      r->rc = rc;
      r->addresses = std::move(found);
      r->done = true;
      r->cv.notify_all();
    }).detach();
    return r;
  }

  // The endpoint's addresses: resolved once, kept for a minute. (ssh resolves its host itself.)
  Result<std::vector<Address>> resolve(Clock::time_point deadline) {
    if (endpoint_.kind == Endpoint::Kind::Ssh) return std::vector<Address>{Address{}};
    if (endpoint_.kind == Endpoint::Kind::Unix) {
      Address a;
      auto* un = reinterpret_cast<sockaddr_un*>(&a.storage);
      un->sun_family = AF_UNIX;
      if (endpoint_.socket_path.size() >= sizeof un->sun_path)
        return Error{ErrorKind::Usage, endpoint_.display(), "the socket path is too long"};
      std::memcpy(un->sun_path, endpoint_.socket_path.c_str(), endpoint_.socket_path.size() + 1);
      a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + endpoint_.socket_path.size() + 1);
      return std::vector<Address>{a};
    }
    if (!resolved_.empty() && Clock::now() < resolved_at_ + kResolveTtl) return resolved_;
    if (from_address(endpoint_.host) || (!lookup_ && from_hosts_file())) return resolved_;
    auto r = lookup_ ? std::move(lookup_) : start_lookup();
    std::unique_lock lock(r->mu);
    while (!r->done) {
      if (cancelled()) return Error{ErrorKind::Interrupted, endpoint_.display(), "interrupted"};
      if (Clock::now() >= deadline)
        return Error{ErrorKind::Unreachable, endpoint_.display(),
                     fmt::format("no connection within the connect timeout of {}", http::describe(timeouts_.connect))};
      r->cv.wait_for(lock, std::min<Clock::duration>(kPollSlice, deadline - Clock::now()));
    }
    if (r->rc != 0 || r->addresses.empty())
      return Error{ErrorKind::Unreachable, endpoint_.display(), fmt::format("cannot resolve host '{}'", endpoint_.host)};
    resolved_ = std::move(r->addresses);
    resolved_at_ = Clock::now();
    return resolved_;
  }

  bool cancelled() const { return cancel_ != nullptr && cancel_->load(); }

  // A read sent ahead: only over plain TCP to an address already known, or a unix socket (no
  // lookup, handshake or login to wait for); it waits at most kAheadWait for the connection and
  // leaves the rest to the request that takes it (perform).
  void prefetch(const Request& request) override {
    if (request.method != "GET" || ahead_ || endpoint_.tls || endpoint_.kind == Endpoint::Kind::Ssh || cancelled() ||
        (endpoint_.kind == Endpoint::Kind::Tcp && resolved_.empty() && !numeric_host()))
      return;
    auto addresses = resolve(Clock::now() + timeouts_.connect);
    if (!addresses) return;
    auto a = std::make_unique<Ahead>();
    a->request = request;
    auto now = Clock::now();
    a->transfer = std::move(prepare({&a->request}, {nullptr}, now).front());
    Transfer& t = a->transfer;
    start(t, *addresses);
    for (auto until = now + kAheadWait; (t.phase == Phase::Connecting || t.phase == Phase::Sending) && Clock::now() < until;) {
      pollfd p{t.fd, POLLOUT, 0};
      auto left = std::chrono::duration_cast<Millis>(until - Clock::now()).count() + 1;
      if (::poll(&p, 1, static_cast<int>(left)) > 0) on_ready(t, p.revents, *addresses);
    }
    // The request is out, and the caller goes on to other work (a deploy reads its manifest). An
    // engine on this machine (a unix socket, the lab) may have been woken on this very CPU by
    // it, and would wait behind that work: the CPU is offered to it once. An unchanged re-deploy
    // of a 6-service project on the lab: 4.08 -> 3.42 ms at the median, 4.86 -> 4.04 at p90
    // (250 alternating runs); with the engine elsewhere this costs one system call.
    if (t.phase == Phase::Head) ::sched_yield();
    ahead_ = std::move(a);
  }

  // The read sent ahead goes to the batch's identical request, if any; else its connection is
  // closed and its answer never read.
  void adopt_ahead(std::vector<Transfer>& transfers) {
    if (!ahead_) return;
    auto a = std::move(ahead_);
    auto same = [&](const Request& r) {
      const Request& q = a->request;
      return r.method == q.method && r.target == q.target && r.headers == q.headers && r.body == q.body;
    };
    for (auto& t : transfers) {
      if (!same(*t.request)) continue;
      const Request* request = t.request;
      const BodySink* sink = t.sink;
      t = std::move(a->transfer);
      t.request = request;
      t.sink = sink;
      return;
    }
    if (a->transfer.fd >= 0) close_connection(a->transfer.fd);
  }

  // The request's bytes: request line, headers, body.
  std::string serialize(const Request& r) const {
    std::string base = endpoint_.base_url();
    std::string host = base.substr(base.find("://") + 3);
    std::string out = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: hcl/" HCL_VERSION "\r\nAccept: */*\r\n",
                                  r.method, r.target.empty() ? "/" : r.target, host);
    for (const Header& h : r.headers) out += fmt::format("{}: {}\r\n", h.name, h.value);
    if (!r.body.empty() || r.method == "POST" || r.method == "PUT")
      out += fmt::format("Content-Length: {}\r\n", r.body.size());
    out += "\r\n";
    out += r.body;
    return out;
  }

  // Starts a transfer on an idle connection, or connects a new one.
  void start(Transfer& t, const std::vector<Address>& addresses) {
    t.phase = Phase::Sending;
    t.want = 0;
    t.sent = 0;
    t.received = false;
    t.body_bytes = 0;
    t.head.clear();
    t.response = Response{};
    t.keep_alive = true;
    while (!idle_.empty()) {
      int fd = idle_.back();
      idle_.pop_back();
      if (!still_open(fd)) {
        close_connection(fd);
        continue;
      }
      t.fd = fd;
      t.reused = true;
      return;
    }
    t.reused = false;
    t.address = 0;
    t.connect_deadline = Clock::now() + timeouts_.connect;
    connect_next(t, addresses);
  }

  // Connects to t.address, or the next address that can be tried; sets t.error when none is left.
  void connect_next(Transfer& t, const std::vector<Address>& addresses) {
    if (endpoint_.kind == Endpoint::Kind::Ssh) {
      auto child = detail::ssh_start(endpoint_, timeouts_.connect);
      if (!child) {
        t.phase = Phase::Done;
        t.error = Error{child.error().kind, what(t), child.error().why};
        return;
      }
      t.fd = child->fd;
      ssh_[child->fd] = *child;
      t.phase = Phase::Sending;  // ssh takes the request at once and sends it once logged in
      return;
    }
    int last_error = 0;
    for (; t.address < addresses.size(); ++t.address) {
      const Address& a = addresses[t.address];
      int fd = ::socket(a.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        last_error = errno;
        continue;
      }
      if (a.storage.ss_family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
      }
      if (::connect(fd, reinterpret_cast<const sockaddr*>(&a.storage), a.length) == 0 || errno == EINPROGRESS ||
          errno == EAGAIN) {
        // EAGAIN: a unix socket whose listen queue is full; writing tells.
        t.fd = fd;
        if (errno == EINPROGRESS) t.phase = Phase::Connecting;
        else connected(t);
        return;
      }
      last_error = errno;
      ::close(fd);
    }
    fail_connect(t, last_error);
  }

  // A new connection is up: TLS begins with its handshake, anything else with the request.
  void connected(Transfer& t) {
    t.phase = Phase::Sending;
    if (!endpoint_.tls) return;
    tls_[t.fd] = std::make_unique<detail::TlsSession>(tls_context_, t.fd);
    t.phase = Phase::Handshake;
    t.want = POLLOUT;  // the handshake begins with our hello (a connect that completed at once
                       // is not polled for writing otherwise)
  }

  void fail_connect(Transfer& t, int err) {
    t.phase = Phase::Done;
    if (endpoint_.kind == Endpoint::Kind::Unix)
      t.error = Error{ErrorKind::Unreachable, what(t),
                      fmt::format("cannot connect to socket {}: {}", endpoint_.socket_path, describe_errno(err))};
    else
      t.error = Error{ErrorKind::Unreachable, what(t),
                      fmt::format("cannot connect to {}:{}: {}", endpoint_.host, endpoint_.port, describe_errno(err))};
  }

  // Ends a transfer; its connection is kept for the next request when the answer was read to
  // its end and the server did not ask to close.
  void finish(Transfer& t, bool reusable) {
    t.phase = Phase::Done;
    if (t.fd < 0) return;
    if (reusable && t.keep_alive && !t.error) idle_.push_back(t.fd);
    else close_connection(t.fd);
    t.fd = -1;
  }

  void fail(Transfer& t, ErrorKind kind, std::string why) {
    t.error = Error{kind, what(t), std::move(why)};
    finish(t, false);
  }

  // An idle connection the server has not closed: nothing to read on it, no hang-up. Closed
  // ones are found here, before a request is written to them, so that the rare case retry()
  // cannot repair (a write on a connection closed under it) stays rare.
  static bool still_open(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
  }

  // A reused connection that the server had closed: send again on a new one, once, when that
  // is safe: a read, or a write the server cannot have had whole. A write it may have received
  // and acted on before closing is never sent twice (closed() says its outcome is unknown).
  bool retry(Transfer& t, const std::vector<Address>& addresses) {
    if (!t.reused || t.received || t.retried) return false;
    if (!detail::is_read(*t.request) && t.sent == t.out.size()) return false;
    close_connection(t.fd);
    t.fd = -1;
    t.retried = true;
    while (!idle_.empty()) {  // the others are as old: let them go too
      close_connection(idle_.back());
      idle_.pop_back();
    }
    start(t, addresses);
    return true;
  }

  void deliver(Transfer& t, std::string_view data) {
    if (data.empty()) return;
    bool to_sink = t.sink != nullptr && t.response.status < 400;
    t.body_bytes += data.size();
    if (auto limit = detail::body_limit(*t.request, to_sink); limit != 0 && t.body_bytes > limit) {
      t.keep_alive = false;
      t.error = detail::answer_too_large(what(t), limit);
      finish(t, false);
      return;
    }
    if (to_sink) {
      if (!(*t.sink)(data)) {
        t.keep_alive = false;  // the rest of the answer is never read
        finish(t, false);
      }
      return;
    }
    t.response.body.append(data);
  }

  // Parses the status line and headers; false when they are not HTTP.
  bool parse_head(Transfer& t, std::string_view head) {
    auto eol = head.find('\n');
    std::string_view status = head.substr(0, eol);
    if (!status.starts_with("HTTP/1.") || status.size() < 12 || status[8] != ' ') return false;
    int code = 0;
    for (std::size_t i = 9; i < 12; ++i) {
      if (status[i] < '0' || status[i] > '9') return false;
      code = code * 10 + (status[i] - '0');
    }
    t.response.status = code;
    t.response.headers.clear();
    bool http10 = status[7] == '0';
    t.keep_alive = !http10;
    auto trim = [](std::string_view s) {
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
      return std::string(s);
    };
    while (eol != std::string_view::npos) {
      head.remove_prefix(eol + 1);
      eol = head.find('\n');
      std::string_view line = head.substr(0, eol);
      auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      t.response.headers.push_back({trim(line.substr(0, colon)), trim(line.substr(colon + 1))});
    }
    auto lower = [](std::string s) {
      for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    std::string connection = lower(t.response.header("Connection"));
    if (connection.find("close") != std::string::npos) t.keep_alive = false;
    if (connection.find("keep-alive") != std::string::npos) t.keep_alive = true;
    return true;
  }

  // Looks at what the head says about the body: none, a length, chunks or until close.
  void begin_body(Transfer& t) {
    int s = t.response.status;
    std::string encoding = t.response.header("Transfer-Encoding");
    std::string length = t.response.header("Content-Length");
    if (t.request->method == "HEAD" || s == 204 || s == 304) {
      t.framing = Framing::None;
    } else if (!encoding.empty() && encoding.find("chunked") != std::string::npos) {
      t.framing = Framing::Chunked;
      t.chunk = Chunk::Size;
      t.line.clear();
    } else if (!length.empty()) {
      t.framing = Framing::Length;
      char* end = nullptr;
      t.remaining = std::strtoull(length.c_str(), &end, 10);
      if (end == length.c_str() || *end != '\0' || !std::isdigit(static_cast<unsigned char>(length[0]))) {
        fail(t, ErrorKind::Server,
             fmt::format("the server's answer is not valid HTTP (Content-Length: {})", text::escape_controls(length)));
        return;
      }
      // Two lengths that differ: which one ends the answer is anyone's guess (RFC 9112, 6.3).
      for (const Header& h : t.response.headers)
        if (strcasecmp(h.name.c_str(), "Content-Length") == 0 && h.value != length) {
          fail(t, ErrorKind::Server, "the server's answer is not valid HTTP (two different Content-Length headers)");
          return;
        }
    } else {
      t.framing = Framing::UntilClose;
      t.keep_alive = false;
    }
    t.phase = Phase::Body;
  }

  bool body_complete(const Transfer& t) const {
    return t.framing == Framing::None || (t.framing == Framing::Length && t.remaining == 0);
  }

  // Takes bytes of the answer.
  void take(Transfer& t, std::string_view data) {
    while (!data.empty() && t.phase != Phase::Done) {
      if (t.phase == Phase::Head) {
        std::size_t before = t.head.size();
        t.head.append(data);
        std::size_t from = before >= 3 ? before - 3 : 0;
        std::size_t end = t.head.find("\r\n\r\n", from);
        std::size_t skip = 4;
        if (end == std::string::npos) {
          end = t.head.find("\n\n", before >= 1 ? before - 1 : 0);
          skip = 2;
        }
        if (end == std::string::npos) {
          if (t.head.size() > kMaxHead)
            fail(t, ErrorKind::Server, "the server's answer is not valid HTTP (its headers never end)");
          return;
        }
        std::size_t body_from = end + skip;
        data = data.substr(body_from - before);  // what follows the head in this piece
        if (!parse_head(t, std::string_view(t.head).substr(0, end))) {
          fail(t, ErrorKind::Server,
               endpoint_.tls ? "the server's answer is not HTTP"
                             : "the server's answer is not HTTP (does it expect TLS?)");
          return;
        }
        t.head.clear();
        if (t.response.status >= 100 && t.response.status < 200) continue;  // 100 Continue and the like
        begin_body(t);
        if (t.phase == Phase::Body && body_complete(t)) finish(t, data.empty());
        continue;
      }
      switch (t.framing) {
        case Framing::Length: {
          std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(t.remaining, data.size()));
          t.remaining -= n;
          bool last = t.remaining == 0;
          deliver(t, data.substr(0, n));
          data.remove_prefix(n);
          if (last && t.phase != Phase::Done) finish(t, data.empty());
          return;
        }
        case Framing::UntilClose:
          deliver(t, data);
          return;
        case Framing::Chunked:
          data = take_chunked(t, data);
          break;
        case Framing::None:
          return;
      }
    }
  }

  // Chunked transfer coding (RFC 9112, 7.1): size line, data, CRLF, ..., a zero size, trailers.
  std::string_view take_chunked(Transfer& t, std::string_view data) {
    while (!data.empty() && t.phase != Phase::Done) {
      if (t.chunk == Chunk::Data) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(t.remaining, data.size()));
        t.remaining -= n;
        deliver(t, data.substr(0, n));
        data.remove_prefix(n);
        if (t.remaining == 0) t.chunk = Chunk::DataEnd;
        continue;
      }
      auto nl = data.find('\n');
      t.line.append(data.substr(0, nl));
      if (t.line.size() > 4096) {
        fail(t, ErrorKind::Server, "the server's answer is not valid HTTP (a chunk line never ends)");
        break;
      }
      if (nl == std::string_view::npos) return {};  // all of it taken: the line goes on in the next piece
      data.remove_prefix(nl + 1);
      std::string line = std::move(t.line);
      t.line.clear();
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (t.chunk == Chunk::DataEnd) {
        if (!line.empty()) {
          fail(t, ErrorKind::Server, "the server's answer is not valid HTTP (a chunk is longer than it said)");
          break;
        }
        t.chunk = Chunk::Size;
      } else if (t.chunk == Chunk::Size) {
        std::string size = line.substr(0, line.find(';'));
        while (!size.empty() && (size.back() == ' ' || size.back() == '\t')) size.pop_back();
        char* end = nullptr;
        t.remaining = std::strtoull(size.c_str(), &end, 16);
        if (size.empty() || *end != '\0' || !std::isxdigit(static_cast<unsigned char>(size[0]))) {
          fail(t, ErrorKind::Server, "the server's answer is not valid HTTP (a chunk size is not a number)");
          break;
        }
        t.chunk = t.remaining == 0 ? Chunk::Trailer : Chunk::Data;
      } else if (line.empty()) {  // the empty line after the trailers: the end
        finish(t, data.empty());
      }
    }
    return data;
  }

  // The connection was closed (n == 0) or broke (err) while a transfer used it.
  void closed(Transfer& t, int err, const std::vector<Address>& addresses) {
    if (retry(t, addresses)) return;
    if (!t.received && ssh_failed(t)) return;
    if (t.phase == Phase::Body && t.framing == Framing::UntilClose && err == 0) {
      finish(t, false);
      return;
    }
    if (!t.received && t.reused && !detail::is_read(*t.request)) {
      fail(t, ErrorKind::Unreachable,
           "the connection closed after the request was sent, before any answer: it may have been applied, "
           "and hcl does not send a write twice; look at the cluster's state before trying again");
      return;
    }
    if (!t.received) {
      if (err != 0 && err != ECONNRESET && err != EPIPE)
        fail(t, ErrorKind::Unreachable, fmt::format("connection lost: {}", describe_errno(err)));
      else
        fail(t, ErrorKind::Server,
             endpoint_.tls ? "the server closed the connection without answering"
                           : "the server closed the connection without answering (does it expect TLS?)");
      return;
    }
    if (err != 0) {
      fail(t, ErrorKind::Unreachable, fmt::format("connection lost: {}", describe_errno(err)));
      return;
    }
    fail(t, ErrorKind::Server, "the server closed the connection before the end of its answer");
  }

  void on_ready(Transfer& t, short revents, const std::vector<Address>& addresses) {
    if (t.phase == Phase::Connecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(t.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0 && !(revents & (POLLERR | POLLHUP))) {
        connected(t);
      } else {
        ::close(t.fd);
        t.fd = -1;
        ++t.address;
        if (t.address < addresses.size()) connect_next(t, addresses);
        else fail_connect(t, err != 0 ? err : ECONNREFUSED);
        return;
      }
    }
    if (t.phase == Phase::Handshake) {
      detail::TlsSession& session = *tls_.at(t.fd);
      int err = 0;
      // Again: the next poll; Failed: t.error is set (a handshake never ends as Closed).
      if (tls_step(t, session, session.handshake(), err) != Io::Moved) return;
      t.phase = Phase::Sending;
    }
    if (t.phase == Phase::Sending) {
      while (t.sent < t.out.size()) {
        std::size_t n = 0;
        int err = 0;
        Io io = send_some(t, n, err);
        if (io == Io::Moved) {
          t.sent += n;
          continue;
        }
        if (io == Io::Closed) closed(t, err, addresses);
        return;  // Again: the next poll; Failed: t.error is set
      }
      t.phase = Phase::Head;
      return;  // the answer is waited for by the next poll
    }
    if (t.phase == Phase::Head || t.phase == Phase::Body) {
      char buffer[16384];
      // A TLS session may hold decrypted bytes that a poll of the socket would not show: those
      // are read before the next poll. (Looked up each time: a finished transfer's session is gone.)
      auto more = [&](int reads) {
        if (reads < 8) return true;
        auto tls = tls_.find(t.fd);
        return tls != tls_.end() && tls->second->pending();
      };
      for (int reads = 0; (t.phase == Phase::Head || t.phase == Phase::Body) && more(reads); ++reads) {
        std::size_t n = 0;
        int err = 0;
        Io io = recv_some(t, buffer, sizeof buffer, n, err);
        if (io == Io::Moved) {
          t.received = true;
          take(t, std::string_view(buffer, n));
          continue;
        }
        if (io == Io::Closed) closed(t, err, addresses);
        return;
      }
    }
  }

  // What a send or receive came to: bytes moved, try again after a poll, the connection closed
  // (err: why, 0 for an orderly end), or a TLS failure (t.error set, the transfer finished).
  enum class Io { Moved, Again, Closed, Failed };

  Io tls_step(Transfer& t, detail::TlsSession& session, detail::TlsStep step, int& err) {
    switch (step) {
      case detail::TlsStep::Done:
        t.want = 0;
        return Io::Moved;
      case detail::TlsStep::WantRead:
        t.want = POLLIN;
        return Io::Again;
      case detail::TlsStep::WantWrite:
        t.want = POLLOUT;
        return Io::Again;
      case detail::TlsStep::Closed:
        err = session.socket_error();
        return Io::Closed;
      case detail::TlsStep::Failed:
        break;
    }
    t.error = session.failure(what(t));
    finish(t, false);
    return Io::Failed;
  }

  // What a plain send() or recv() returned, as an Io.
  static Io plain_step(ssize_t r, std::size_t& n, int& err) {
    if (r > 0) {
      n = static_cast<std::size_t>(r);
      return Io::Moved;
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return Io::Again;
    err = r < 0 ? errno : 0;
    return Io::Closed;
  }

  Io send_some(Transfer& t, std::size_t& n, int& err) {
    const char* data = t.out.data() + t.sent;
    std::size_t size = t.out.size() - t.sent;
    if (auto it = tls_.find(t.fd); it != tls_.end()) return tls_step(t, *it->second, it->second->write(data, size, n), err);
    return plain_step(::send(t.fd, data, size, MSG_NOSIGNAL), n, err);
  }

  Io recv_some(Transfer& t, char* buffer, std::size_t size, std::size_t& n, int& err) {
    if (auto it = tls_.find(t.fd); it != tls_.end()) return tls_step(t, *it->second, it->second->read(buffer, size, n), err);
    return plain_step(::recv(t.fd, buffer, size, 0), n, err);
  }

  // The requests as transfers, each with its own deadline, none started yet.
  std::vector<Transfer> prepare(const std::vector<const Request*>& requests, const std::vector<const BodySink*>& sinks,
                                Clock::time_point now) const {
    std::vector<Transfer> transfers(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
      Transfer& t = transfers[i];
      t.request = requests[i];
      t.sink = sinks[i];
      t.started = now;
      Millis total = t.request->timeout.value_or(timeouts_.request);
      t.deadline = total.count() > 0 ? now + total : Clock::time_point::max();
      t.out = serialize(*t.request);
    }
    return transfers;
  }

  static bool connecting(const Transfer& t) { return t.phase == Phase::Connecting || t.phase == Phase::Handshake; }

  static Clock::time_point limit(const Transfer& t) {
    return connecting(t) ? std::min(t.connect_deadline, t.deadline) : t.deadline;
  }

  // Fails a transfer whose connect or request deadline has passed; true if it did.
  bool expire(Transfer& t, Clock::time_point now) {
    if (now < limit(t)) return false;
    fail(t, ErrorKind::Unreachable,
         connecting(t) && now >= t.connect_deadline
             ? fmt::format("no connection within the connect timeout of {}", http::describe(timeouts_.connect))
             : fmt::format("no complete answer within the request timeout of {}",
                           http::describe(t.request->timeout.value_or(timeouts_.request))));
    return true;
  }

  enum class Round { Again, AllDone, Interrupted };

  // One round of the event loop: starts waiting transfers while connections are free, fails
  // those past their deadlines, polls the rest (at most kPollSlice, so that a cancel is seen)
  // and hands each ready socket to on_ready().
  Round poll_round(std::vector<Transfer>& transfers, const std::vector<Address>& addresses) {
    auto in_flight = [&] {
      return static_cast<std::size_t>(std::count_if(transfers.begin(), transfers.end(), [](const Transfer& t) {
        return t.phase != Phase::Waiting && t.phase != Phase::Done;
      }));
    };
    // One connection to an ssh:// endpoint: each more would be an ssh session and a process on
    // the remote host (`docker system dial-stdio`), which cost more than waiting for the first.
    std::size_t most = endpoint_.kind == Endpoint::Kind::Ssh ? 1 : kMaxConnections;
    for (auto& t : transfers)
      if (t.phase == Phase::Waiting && in_flight() < most) start(t, addresses);
    std::vector<pollfd> fds;
    std::vector<Transfer*> polled;
    auto now = Clock::now();
    auto wake = now + kPollSlice;
    for (auto& t : transfers) {
      if (t.phase == Phase::Waiting || t.phase == Phase::Done || expire(t, now)) continue;
      wake = std::min(wake, limit(t));
      short events = t.want != 0                                                   ? t.want
                     : t.phase == Phase::Connecting || t.phase == Phase::Sending ? POLLOUT
                                                                                 : POLLIN;
      fds.push_back({t.fd, events, 0});
      polled.push_back(&t);
    }
    if (polled.empty()) {
      bool all_done = std::all_of(transfers.begin(), transfers.end(), [](const Transfer& t) { return t.phase == Phase::Done; });
      return all_done ? Round::AllDone : Round::Again;  // else a transfer ended and others wait for a connection
    }
    // Rounded up: waking a moment before a deadline would only poll again.
    auto wait = std::chrono::duration_cast<Millis>(wake - now).count() + 1;
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<long long>(wait, 0, kPollSlice.count() + 1)));
    if (cancelled()) return Round::Interrupted;
    if (n < 0) {
      if (errno != EINTR)
        for (Transfer* t : polled) fail(*t, ErrorKind::Failed, fmt::format("poll: {}", describe_errno(errno)));
      return Round::Again;
    }
    for (std::size_t i = 0; i < fds.size(); ++i)
      if (fds[i].revents != 0) on_ready(*polled[i], fds[i].revents, addresses);
    return Round::Again;
  }

  // What a transfer came to; one cut short by a cancel closes its connection.
  Result<Response> outcome(Transfer& t, bool interrupted, Clock::time_point end) {
    bool cut_short = interrupted && t.phase != Phase::Done;
    if (cut_short && t.fd >= 0) close_connection(t.fd);
    if (cut_short) t.fd = -1;
    auto elapsed = std::chrono::duration_cast<Millis>(end - t.started);
    return BatchTransport::outcome(*t.request, elapsed, cut_short, std::move(t.error), std::move(t.response));
  }

  std::vector<Result<Response>> perform(const std::vector<const Request*>& requests,
                                        const std::vector<const BodySink*>& sinks) override {
    auto now = Clock::now();
    std::vector<Transfer> transfers = prepare(requests, sinks, now);
    adopt_ahead(transfers);
    bool interrupted = cancelled();
    auto addresses = interrupted ? Result<std::vector<Address>>(std::vector<Address>{})
                                 : resolve(now + timeouts_.connect);
    if (addresses && endpoint_.tls && !tls_context_) {
      // The CA, certificate and key, read once per transport, before the first connection.
      auto context = detail::TlsContext::load(*endpoint_.tls, endpoint_.host);
      if (context) tls_context_ = std::move(*context);
      else addresses = context.error();
    }
    if (!addresses) {
      for (auto& t : transfers) {
        t.error = addresses.error();
        t.error->what = what(t);
        t.phase = Phase::Done;
      }
    }
    for (auto round = Round::Again; !interrupted && addresses && round == Round::Again;) {
      round = poll_round(transfers, *addresses);
      interrupted = round == Round::Interrupted;
    }
    std::vector<Result<Response>> results;
    results.reserve(transfers.size());
    auto end = Clock::now();
    for (auto& t : transfers) results.push_back(outcome(t, interrupted, end));
    return results;
  }

  // Closes a connection, and ends its ssh when it has one.
  void close_connection(int fd) {
    if (auto tls = tls_.find(fd); tls != tls_.end()) {
      tls->second->close();
      tls_.erase(tls);
    }
    auto it = ssh_.find(fd);
    if (it == ssh_.end()) {
      ::close(fd);
      return;
    }
    detail::ssh_close(it->second);
    ssh_.erase(it);
  }

  // A connection of an ssh:// endpoint closed before any answer: when ssh's exit and words say
  // why (no login, unknown host key, no docker there, host unreachable), that is the error.
  bool ssh_failed(Transfer& t) {
    auto it = ssh_.find(t.fd);
    if (it == ssh_.end()) return false;
    auto error = detail::ssh_error(detail::ssh_wait(it->second, Millis(2000)), endpoint_, what(t));
    if (!error) return false;
    t.error = std::move(*error);
    finish(t, false);
    return true;
  }

  std::vector<int> idle_;  // kept-alive connections, the newest last
  std::map<int, detail::SshChild> ssh_;  // the connections' ssh processes (ssh:// only), by socket
  std::map<int, std::unique_ptr<detail::TlsSession>> tls_;  // the connections' TLS (TLS endpoints only)
  std::shared_ptr<detail::TlsContext> tls_context_;
  std::vector<Address> resolved_;
  Clock::time_point resolved_at_;
  std::shared_ptr<Resolution> lookup_;  // started by prepare(), not yet waited for
  // A read sent by prefetch(): its own copy of the request, and its transfer so far.
  struct Ahead {
    Request request;
    Transfer transfer;
  };
  std::unique_ptr<Ahead> ahead_;
};

}  // namespace

std::unique_ptr<Transport> make_transport(Endpoint endpoint, Timeouts timeouts, Logger logger) {
  return std::make_unique<SocketTransport>(std::move(endpoint), timeouts, std::move(logger));
}

}  // namespace hcl::http
