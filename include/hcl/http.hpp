// The HTTP layer: endpoints, requests, responses and the Transport interface that the Docker and
// Consul clients are built on. The only implementation that talks to the network is
// make_transport()'s (lib/http/socket_transport.cpp); tests hand the clients recorded or
// in-process transports.
#pragma once

#include <hcl/error.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hcl::http {

using Millis = std::chrono::milliseconds;

// Client-side TLS material. Empty paths mean "not given".
struct TlsOptions {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool verify = true;  // verify the server's certificate and name against ca_file (or system CAs)
};

// The validity period of a certificate, in seconds since 1970-01-01 UTC.
struct CertificateValidity {
  std::int64_t not_before = 0;
  std::int64_t not_after = 0;
};

// The validity period of the first certificate of a PEM text (-----BEGIN CERTIFICATE-----).
// Only the DER fields up to the validity are read; the signature is not checked.
Result<CertificateValidity> certificate_validity(std::string_view pem);

// Why a server refused our TLS client certificate (it sent a TLS alert), in words a user can
// act on: none was given, it expired (the date), it is not valid yet, or it is not trusted.
// `now` is seconds since the epoch; the certificate file is read from tls.cert_file.
std::string explain_client_certificate_refusal(const TlsOptions& tls, std::int64_t now);

// "2020-01-02 00:00 UTC".
std::string format_utc(std::int64_t seconds);


// How an ssh:// endpoint is reached: the system's OpenSSH client, with its own configuration,
// agent, keys and known hosts.
struct SshOptions {
  // Empty: the remote's `docker system dial-stdio` (the engine). "HOST:PORT": ssh's own
  // forwarding (`ssh -W HOST:PORT`) to that address as the remote host sees it (Consul there).
  std::string forward;
  // ssh's ControlPath: the connections of one endpoint share one ssh session (one handshake);
  // empty: every connection is an ssh session of its own. Its directory is made (0700) if missing.
  std::string control_path;
  // ssh's ControlPersist, in seconds: how long the shared session outlives its last use, so that
  // the next command needs no handshake; 0: it ends with the command.
  int persist_seconds = 0;
};

struct Endpoint {
  enum class Kind { Tcp, Unix, Ssh };
  Kind kind = Kind::Tcp;
  std::string host;         // Tcp and Ssh
  int port = 0;             // Tcp; Ssh: 0 for ssh's own default
  std::string socket_path;  // Unix; Ssh: the engine's socket on the remote host, empty for docker's default
  std::string user;         // Ssh only: the remote user, empty for ssh's own default
  SshOptions ssh;           // Ssh only
  std::optional<TlsOptions> tls;

  // The URL prefix requests are sent to: "http://master:2378", "https://h:2376",
  // "http://localhost" for unix sockets and ssh.
  std::string base_url() const;
  // How users write it: "tcp://master:2378", "https://h:8501", "unix:///var/run/docker.sock",
  // "ssh://pi@master", "http://localhost:8500 through ssh://pi@master".
  std::string display() const;
  // A request's target on it, for messages and the request log: display() + target, but
  // "http://localhost:8500/v1/kv/x through ssh://pi@master" for a forward over ssh.
  std::string url(std::string_view target) const;
};

struct Timeouts {
  Millis connect{3000};   // establishing the connection (TCP + TLS)
  Millis request{30000};  // a whole request, from start to last byte
};

struct Header {
  std::string name;
  std::string value;
  bool operator==(const Header&) const = default;
};

struct Request {
  std::string method = "GET";
  std::string target;  // path and query, already encoded: "/v1.41/networks/demo?verbose=1"
  std::vector<Header> headers;
  std::string body;
  // Overrides Timeouts::request for this request (blocking queries, streams); zero: no limit.
  std::optional<Millis> timeout;
  // The most bytes of the answer's body taken; past it the transfer stops and ends in an error
  // naming the limit. Unset: kMaxAnswerBytes for an answer read whole, none for one handed to a
  // sink (a list decoded as it arrives sets its own; a log or event stream has none).
  std::optional<std::uint64_t> max_body;
};

// The most bytes of an answer read whole (4 MiB: 6,000 services; Consul's largest value is
// 512 KiB): a server that sends more is not one hcl is made for, and its answer, decoded, would
// take many times that in memory.
constexpr std::uint64_t kMaxAnswerBytes = 4u << 20;

struct Response {
  int status = 0;
  std::vector<Header> headers;
  std::string body;

  // First header of that name (case-insensitive), or empty.
  std::string header(std::string_view name) const;
};

// One finished request, for `-v`. Never carries headers or bodies, so secrets cannot leak.
struct RequestLog {
  std::string method;
  std::string url;     // with secret query parameters redacted
  int status = 0;      // 0: no response
  Millis elapsed{0};
  std::string error;   // empty on success
};
using Logger = std::function<void(const RequestLog&)>;

// Takes an answer's body piece by piece as it arrives; returns false to stop receiving it.
using BodySink = std::function<bool(std::string_view)>;

// Sends requests to one endpoint. Not thread-safe: use one transport per thread.
class Transport {
 public:
  virtual ~Transport() = default;
  // Sends one request. Errors are transport failures only (unreachable, timeout, TLS); any HTTP
  // status, 4xx and 5xx included, is a successful Response for the caller to judge.
  virtual Result<Response> send(const Request& request) = 0;
  // Sends independent requests at once, reusing connections; results in request order.
  virtual std::vector<Result<Response>> send_all(const std::vector<Request>& requests);
  // Like send_all, but the body of each answer with a status below 400 goes to sinks[i] piece by
  // piece as it arrives instead of into Response::body, so that a large answer is decoded while
  // it arrives and never held whole. Error bodies stay in Response::body, for the message; an
  // empty sink keeps its body there too. A sink that returns false ends its request, which
  // still returns its Response (the sink's owner knows why it stopped).
  virtual std::vector<Result<Response>> stream_all(const std::vector<Request>& requests,
                                                   const std::vector<BodySink>& sinks);
  // Sends a request and hands the body to on_data as it arrives (for follow-mode logs and event
  // streams); on_data returns false to stop. The Response carries status and headers, and the
  // body only when the status is an error.
  virtual Result<Response> stream(const Request& request,
                                  const std::function<bool(std::string_view)>& on_data);
  // The endpoint as users write it, for messages.
  virtual std::string describe() const = 0;
  // While *flag is true, requests in flight end at once with ErrorKind::Interrupted (checked at
  // least every 100 ms) and new ones are not sent. nullptr: never cancelled.
  virtual void set_cancel(const std::atomic<bool>* flag) { (void)flag; }
  // Starts in the background what the first request needs and needs no request (looking up the
  // endpoint's host name), so that it runs while the caller does its own work. Sends nothing.
  virtual void prepare() {}
  // Sends a read now, so that the server works on it while the caller does its own work; the
  // caller's identical request (method, target, headers, body), the next batch's, then takes its
  // answer, and an answer no request takes is dropped. Where sending ahead would keep the caller
  // waiting (a name still being looked up, a TLS handshake, an ssh login), nothing is sent.
  virtual void prefetch(const Request& request) { (void)request; }
};

// The transport for an endpoint: HTTP/1.1 over TCP (with TLS when endpoint.tls is set, mbed TLS
// linked in), a unix socket or ssh. It keeps connections alive, runs send_all's requests at once
// over parallel connections, never sends a write twice, and logs each request.
std::unique_ptr<Transport> make_transport(Endpoint endpoint, Timeouts timeouts, Logger logger = {});

// Several endpoints of one cluster (its swarm managers), the first preferred: a command's requests
// go to the first that answers, and every later request of the command to that same one (a
// command never spreads over managers, and a write is never sent to a second one after the first
// may have had it).
//
// An endpoint is passed over when it cannot be reached (no connection, no answer: the transport's
// connect timeout bounds each try) or answers 503 (an engine that is no manager, or has none to
// ask). Only a read can be passed over that way, and only while nothing of its answer has reached
// a sink; a command whose first request is a write asks GET /_ping of each first. When every
// endpoint fails, one Unreachable error names each with its reason.
class FailoverTransport : public Transport {
 public:
  // One endpoint that was passed over, and why (for the notice that another one answered).
  struct PassedOver {
    std::string endpoint;
    std::string why;
  };
  // Told once, when an endpoint has answered: which one, and the ones passed over before it.
  using Notice = std::function<void(std::size_t chosen, const std::vector<PassedOver>& passed_over)>;

  FailoverTransport(std::vector<std::unique_ptr<Transport>> endpoints, Notice notice = {});

  Result<Response> send(const Request& request) override;
  std::vector<Result<Response>> send_all(const std::vector<Request>& requests) override;
  std::vector<Result<Response>> stream_all(const std::vector<Request>& requests,
                                           const std::vector<BodySink>& sinks) override;
  Result<Response> stream(const Request& request, const std::function<bool(std::string_view)>& on_data) override;
  // The endpoint in use, else the first.
  std::string describe() const override;
  void set_cancel(const std::atomic<bool>* flag) override;
  void prepare() override;  // the endpoint tried first
  void prefetch(const Request& request) override;  // to the endpoint tried first

  // The index of the endpoint that answered, once one has; the ones passed over before it.
  std::optional<std::size_t> chosen() const { return chosen_; }
  const std::vector<PassedOver>& passed_over() const { return passed_over_; }

 private:
  // Runs `attempt` on each endpoint in turn until one answers; `moves_on` says whether its results send it to the next.
  template <class R>
  R first_answer(const std::function<R(Transport&)>& attempt, const std::function<bool(const R&)>& moves_on,
                 const std::function<R(Error)>& all_failed);
  Status choose();  // GET /_ping on each in turn, for a command that begins with a write
  void pin(std::size_t i);
  Error none_answered() const;

  std::vector<std::unique_ptr<Transport>> endpoints_;
  Notice notice_;
  std::optional<std::size_t> chosen_;
  std::vector<PassedOver> passed_over_;
};

// The addresses a host name stands for, as numeric strings ("10.0.0.2", "fd00::2"); the address
// itself for one; none when it does not resolve.
std::vector<std::string> numeric_addresses(const std::string& host);

// Percent-encodes a path segment or query value (RFC 3986 unreserved characters stay).
std::string encode(std::string_view text);

// Builds "path?k=v&k2=v2" with encoded values; parameters with no value become "k".
std::string target(std::string_view path,
                   const std::vector<std::pair<std::string, std::optional<std::string>>>& query = {});

// The error kind an HTTP error status stands for: 400 bad input, 401/403 credentials, 404 not
// found, 409 conflict, anything else a server error.
ErrorKind error_kind(int status);

// Describes a duration for messages: "3 s", "250 ms", "1.5 s".
std::string describe(Millis duration);

}  // namespace hcl::http
