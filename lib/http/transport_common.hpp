// Internal to lib/http: what the transport (socket_transport.cpp) is besides its way of sending.
#pragma once

#include <hcl/http.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hcl::http::detail {

// The URL with the values of secret query parameters (token=, access_token=) replaced by
// REDACTED, for the request log.
std::string redact(std::string url);

// A read (GET, HEAD): safe to send again when a reused connection turns out closed; a write is
// never sent twice.
inline bool is_read(const Request& r) { return r.method == "GET" || r.method == "HEAD"; }

// The most body bytes a request takes (Request::max_body, or its default), 0 for no limit;
// to_sink: the answer goes to a sink, not into Response::body.
inline std::uint64_t body_limit(const Request& r, bool to_sink) {
  return r.max_body.value_or(to_sink ? 0 : kMaxAnswerBytes);
}

// The error for an answer that redirects (3xx), naming where to, without credentials.
Error redirect_error(std::string what, const Response& r);

// The error for an answer past that limit.
Error answer_too_large(std::string what, std::uint64_t limit);

// Go's HTTP servers (dockerd) answer a plain request on a TLS port with a 400 saying so.
bool plain_request_to_tls_server(const Response& r);

// The error for that answer, naming the request.
Error plain_request_to_tls_server_error(std::string what);

// What a transport is besides its way of sending: an endpoint, timeouts, a request log
// and a cancel flag; and every kind of call run as one batch (requests at once, sinks[i], when
// not null, taking request i's body as it arrives). Each implements perform(); the rest is here.
class BatchTransport : public Transport {
 public:
  BatchTransport(Endpoint endpoint, Timeouts timeouts, Logger logger)
      : endpoint_(std::move(endpoint)), timeouts_(timeouts), logger_(std::move(logger)) {}

  std::string describe() const override { return endpoint_.display(); }
  void set_cancel(const std::atomic<bool>* flag) override { cancel_ = flag; }

  Result<Response> send(const Request& request) override { return std::move(perform({&request}, {nullptr}).front()); }

  std::vector<Result<Response>> send_all(const std::vector<Request>& requests) override {
    std::vector<const Request*> ptrs;
    ptrs.reserve(requests.size());
    for (const auto& r : requests) ptrs.push_back(&r);
    return perform(ptrs, std::vector<const BodySink*>(requests.size(), nullptr));
  }

  std::vector<Result<Response>> stream_all(const std::vector<Request>& requests,
                                           const std::vector<BodySink>& sinks) override {
    std::vector<const Request*> ptrs;
    std::vector<const BodySink*> sink_ptrs;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      ptrs.push_back(&requests[i]);
      sink_ptrs.push_back(i < sinks.size() && sinks[i] ? &sinks[i] : nullptr);
    }
    return perform(ptrs, sink_ptrs);
  }

  Result<Response> stream(const Request& request, const BodySink& on_data) override {
    return std::move(perform({&request}, {&on_data}).front());
  }

 protected:
  // Runs the requests at once; one result per request, in order.
  virtual std::vector<Result<Response>> perform(const std::vector<const Request*>& requests,
                                                const std::vector<const BodySink*>& sinks) = 0;

  void log(RequestLog entry) const {
    if (logger_) logger_(entry);
  }

  // How errors name a request: "GET tcp://master:2378/v1.41/nodes".
  std::string what(const Request& r) const { return r.method + " " + endpoint_.url(r.target); }

  // A finished request's result, logged once: "interrupted" when it was cancelled before it
  // ended, the transport's error, a plain request that reached a TLS server, or the answer.
  Result<Response> outcome(const Request& r, Millis elapsed, bool interrupted, std::optional<Error> error,
                           Response response) const;

  Endpoint endpoint_;
  Timeouts timeouts_;
  Logger logger_;
  const std::atomic<bool>* cancel_ = nullptr;
};

}  // namespace hcl::http::detail
