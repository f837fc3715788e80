// The one place in hcl that touches libcurl. All requests of a transport go through one curl
// multi handle, so connections are kept alive and reused across requests, and send_all() runs
// independent requests at once over parallel connections.
//
// libcurl is loaded with dlopen() when the first transport is made, not linked: libcurl.so.4
// pulls in some 30 further shared libraries (TLS, Kerberos, LDAP, SSH, IDN, ...), whose loading
// and relocation cost more than everything else hcl does for `--version`, `--help`, a usage
// error or `hcl config`. Only curl.h's types and constants are used at build time.
#include <hcl/http.hpp>

#include "transport_common.hpp"

#include <curl/curl.h>
#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>

namespace hcl::http {
namespace {

// The libcurl functions hcl calls, resolved from the library loaded at run time. Calls go
// through these pointers (api().easy_setopt(...)), never through curl.h's names.
struct CurlApi {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_reset) easy_reset;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_multi_init) multi_init;
  decltype(&::curl_multi_cleanup) multi_cleanup;
  decltype(&::curl_multi_setopt) multi_setopt;
  decltype(&::curl_multi_add_handle) multi_add_handle;
  decltype(&::curl_multi_remove_handle) multi_remove_handle;
  decltype(&::curl_multi_perform) multi_perform;
  decltype(&::curl_multi_poll) multi_poll;
  decltype(&::curl_multi_info_read) multi_info_read;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
};

// The library's soname: the ABI curl.h describes (libcurl4-openssl on Debian; the -gnutls and
// -nss builds are tried too, they share the ABI).
constexpr const char* kCurlLibraries[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl-nss.so.4"};

struct LoadedCurl {
  CurlApi api{};
  std::optional<Error> error;
};

LoadedCurl load_curl() {
  LoadedCurl out;
  void* lib = nullptr;
  std::string why;
  for (const char* name : kCurlLibraries) {
    lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (lib != nullptr) break;
    if (why.empty()) why = dlerror();
  }
  if (lib == nullptr) {
    out.error = Error{ErrorKind::Failed, "loading libcurl",
                      fmt::format("{} (install the package libcurl4)", why)};
    return out;
  }
  // Never dlclose()d: transports live until exit, and libcurl keeps global state.
  auto resolve = [&](auto& fn, const char* symbol) {
    void* p = dlsym(lib, symbol);
    if (p == nullptr && !out.error)
      out.error = Error{ErrorKind::Failed, "loading libcurl",
                        fmt::format("the library has no function {} (libcurl 7.66 or newer is needed)", symbol)};
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(p);
  };
  CurlApi& a = out.api;
  resolve(a.global_init, "curl_global_init");
  resolve(a.easy_init, "curl_easy_init");
  resolve(a.easy_cleanup, "curl_easy_cleanup");
  resolve(a.easy_reset, "curl_easy_reset");
  resolve(a.easy_setopt, "curl_easy_setopt");
  resolve(a.easy_getinfo, "curl_easy_getinfo");
  resolve(a.easy_strerror, "curl_easy_strerror");
  resolve(a.multi_init, "curl_multi_init");
  resolve(a.multi_cleanup, "curl_multi_cleanup");
  resolve(a.multi_setopt, "curl_multi_setopt");
  resolve(a.multi_add_handle, "curl_multi_add_handle");
  resolve(a.multi_remove_handle, "curl_multi_remove_handle");
  resolve(a.multi_perform, "curl_multi_perform");
  resolve(a.multi_poll, "curl_multi_poll");
  resolve(a.multi_info_read, "curl_multi_info_read");
  resolve(a.slist_append, "curl_slist_append");
  resolve(a.slist_free_all, "curl_slist_free_all");
  if (!out.error) a.global_init(CURL_GLOBAL_DEFAULT);
  return out;
}

// Loads libcurl once per process (thread-safe: a function-local static).
const LoadedCurl& loaded() {
  static const LoadedCurl curl = load_curl();
  return curl;
}
// Only called once loaded() succeeded (every transport checks it before its first request).
const CurlApi& api() { return loaded().api; }

struct EasyDeleter {
  void operator()(CURL* h) const { api().easy_cleanup(h); }
};
struct MultiDeleter {
  void operator()(CURLM* h) const { api().multi_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { api().slist_free_all(l); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

// One request in flight: the handle and everything it points into.
struct Transfer {
  const Request* request = nullptr;
  EasyPtr easy;
  SlistPtr headers;
  Response response;
  char error_buffer[CURL_ERROR_SIZE] = {};
  const BodySink* on_data = nullptr;  // where a successful answer's body goes; nullptr: into response.body
  bool stopped_by_callback = false;
  std::uint64_t body_bytes = 0;
  std::uint64_t too_large = 0;  // the limit the answer went past (Request::max_body or its default)
  std::chrono::steady_clock::time_point started;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  bool to_sink = t->on_data != nullptr && t->response.status < 400;
  t->body_bytes += n;
  if (auto limit = detail::body_limit(*t->request, to_sink); limit != 0 && t->body_bytes > limit) {
    t->too_large = limit;
    return 0;  // CURLE_WRITE_ERROR
  }
  // Error bodies are always kept whole so that the client can quote the server's message.
  if (to_sink) {
    if (!(*t->on_data)(std::string_view(data, n))) {
      t->stopped_by_callback = true;
      return 0;  // makes curl abort the transfer with CURLE_WRITE_ERROR
    }
    return n;
  }
  t->response.body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {  // a new response (after 100-continue or a redirect)
    t->response.headers.clear();
    auto sp = line.find(' ');
    if (sp != std::string_view::npos) t->response.status = std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
  };
  t->response.headers.push_back({trim(line.substr(0, colon)), trim(line.substr(colon + 1))});
  return n;
}


class CurlTransport final : public detail::BatchTransport {
 public:
  CurlTransport(Endpoint endpoint, Timeouts timeouts, Logger logger)
      : BatchTransport(std::move(endpoint), timeouts, std::move(logger)) {
    if (loaded().error) {
      load_error_ = loaded().error;
      return;
    }
    multi_.reset(api().multi_init());
    // Keep a few connections per host for send_all; the multi handle's cache reuses them.
    api().multi_setopt(multi_.get(), CURLMOPT_MAX_HOST_CONNECTIONS, 8L);
  }

 private:
  // Runs the requests at once; sinks[i], when not null, takes request i's body as it arrives.
  std::vector<Result<Response>> perform(const std::vector<const Request*>& requests,
                                        const std::vector<const BodySink*>& sinks) override {
    std::vector<Result<Response>> results;
    results.reserve(requests.size());
    if (load_error_) {
      for (size_t i = 0; i < requests.size(); ++i) results.emplace_back(*load_error_);
      return results;
    }
    std::vector<std::unique_ptr<Transfer>> transfers;
    for (std::size_t i = 0; i < requests.size(); ++i) transfers.push_back(start(requests[i], sinks[i]));
    std::vector<CURLcode> codes(transfers.size(), CURLE_OK);
    bool cancelled = run(transfers, codes);
    for (size_t i = 0; i < transfers.size(); ++i) {
      Transfer& t = *transfers[i];
      api().multi_remove_handle(multi_.get(), t.easy.get());
      auto elapsed = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t.started);
      CURLcode code = codes[i];
      if (code == CURLE_WRITE_ERROR && t.stopped_by_callback) code = CURLE_OK;
      std::optional<Error> error;
      if (code == CURLE_WRITE_ERROR && t.too_large != 0)
        error = detail::answer_too_large(BatchTransport::what(*t.request), t.too_large);
      else if (code != CURLE_OK)
        error = classify(t, code);
      results.push_back(outcome(*t.request, elapsed, cancelled, std::move(error), std::move(t.response)));
      give_back(std::move(t.easy));
    }
    return results;
  }

  // A request set up on an easy handle and added to the multi handle.
  std::unique_ptr<Transfer> start(const Request* request, const BodySink* sink) {
    auto t = std::make_unique<Transfer>();
    t->request = request;
    t->on_data = sink;
    t->easy = take_easy();
    setup(*t);
    t->started = std::chrono::steady_clock::now();
    api().multi_add_handle(multi_.get(), t->easy.get());
    return t;
  }

  // Drives the transfers until all ended (codes[i]: how transfer i ended) or the cancel flag is
  // set; true if cancelled.
  bool run(const std::vector<std::unique_ptr<Transfer>>& transfers, std::vector<CURLcode>& codes) {
    int running = 0;
    do {
      if (cancel_ != nullptr && cancel_->load()) return true;
      CURLMcode mc = api().multi_perform(multi_.get(), &running);
      // A short poll so that a cancel (Ctrl-C) is seen quickly even while a stream is idle.
      if (mc == CURLM_OK && running > 0) mc = api().multi_poll(multi_.get(), nullptr, 0, 100, nullptr);
      if (mc != CURLM_OK) break;
      int queued = 0;
      while (CURLMsg* msg = api().multi_info_read(multi_.get(), &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        for (size_t i = 0; i < transfers.size(); ++i)
          if (transfers[i]->easy.get() == msg->easy_handle) codes[i] = msg->data.result;
      }
    } while (running > 0);
    return false;
  }

  // Reuses easy handles: their DNS cache and TLS session survive between requests.
  EasyPtr take_easy() {
    if (!idle_.empty()) {
      EasyPtr h = std::move(idle_.back());
      idle_.pop_back();
      api().easy_reset(h.get());
      return h;
    }
    return EasyPtr(api().easy_init());
  }
  void give_back(EasyPtr h) { idle_.push_back(std::move(h)); }

  void setup(Transfer& t) {
    CURL* h = t.easy.get();
    const Request& r = *t.request;
    std::string url = endpoint_.base_url() + r.target;
    api().easy_setopt(h, CURLOPT_URL, url.c_str());
    api().easy_setopt(h, CURLOPT_ERRORBUFFER, t.error_buffer);
    api().easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    api().easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    api().easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts_.connect.count()));
    Millis total = r.timeout.value_or(timeouts_.request);
    api().easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
    api().easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    api().easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    api().easy_setopt(h, CURLOPT_WRITEDATA, &t);
    api().easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    api().easy_setopt(h, CURLOPT_HEADERDATA, &t);
    api().easy_setopt(h, CURLOPT_USERAGENT, "hcl/" HCL_VERSION);
    // Never use a proxy from the environment for cluster traffic: the lab and Pi clusters are
    // on the local network, and a proxy would see Consul tokens.
    api().easy_setopt(h, CURLOPT_NOPROXY, "*");

    if (endpoint_.kind == Endpoint::Kind::Unix)
      api().easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, endpoint_.socket_path.c_str());
    if (endpoint_.tls) {
      const TlsOptions& tls = *endpoint_.tls;
      if (!tls.ca_file.empty()) api().easy_setopt(h, CURLOPT_CAINFO, tls.ca_file.c_str());
      if (!tls.cert_file.empty()) api().easy_setopt(h, CURLOPT_SSLCERT, tls.cert_file.c_str());
      if (!tls.key_file.empty()) api().easy_setopt(h, CURLOPT_SSLKEY, tls.key_file.c_str());
      api().easy_setopt(h, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
      api().easy_setopt(h, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
    }

    curl_slist* list = nullptr;
    for (const Header& hd : r.headers) list = api().slist_append(list, (hd.name + ": " + hd.value).c_str());
    // An empty Expect stops curl from waiting a second for "100 Continue" on larger bodies.
    list = api().slist_append(list, "Expect:");
    t.headers.reset(list);
    api().easy_setopt(h, CURLOPT_HTTPHEADER, list);

    // libcurl sends a request again on a new connection when a reused one turns out closed
    // before any answer, writes included: a POST the server had received would be applied
    // twice. A write goes out on a connection of its own, which is never "reused".
    api().easy_setopt(h, CURLOPT_FRESH_CONNECT, detail::is_read(r) ? 0L : 1L);
    if (r.method == "GET") {
      api().easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (r.method == "HEAD") {
      api().easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
      api().easy_setopt(h, CURLOPT_CUSTOMREQUEST, r.method.c_str());
      if (!r.body.empty() || r.method == "POST" || r.method == "PUT") {
        api().easy_setopt(h, CURLOPT_POSTFIELDS, r.body.data());
        api().easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      }
    }
  }

  // TLS failures, told apart by curl's code and OpenSSL's words (the only place they show).
  // Nothing here quotes a key: only file names and the server's certificate's problem.
  std::optional<Error> classify_tls(const std::string& what, CURLcode code, const std::string& detail) const {
    if (!endpoint_.tls) return std::nullopt;
    const TlsOptions& tls = *endpoint_.tls;
    auto has = [&](std::string_view words) { return detail.find(words) != std::string::npos; };
    if (has("wrong version number") || has("packet length too long"))
      return Error{ErrorKind::Tls, what,
                   "the server answered in plain HTTP, not TLS, but TLS was asked for (--tls, --tlsverify, "
                   "DOCKER_TLS_VERIFY or an https:// address); is this the server's TLS port (usually 2376)?"};
    // The server refused our certificate: a TLS alert during or (TLS 1.3) just after the
    // handshake. dockerd sends "bad certificate" whatever the reason; the file tells which.
    if (has("alert bad certificate") || has("alert certificate required") || has("alert certificate expired") ||
        has("alert unknown ca") || has("alert certificate unknown") || has("alert unsupported certificate")) {
      auto now = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count();
      return Error{ErrorKind::Tls, what, explain_client_certificate_refusal(tls, now)};
    }
    if (code == CURLE_PEER_FAILED_VERIFICATION) {
      if (has("certificate has expired"))
        return Error{ErrorKind::Tls, what, "the server's certificate has expired"};
      if (has("not yet valid"))
        return Error{ErrorKind::Tls, what, "the server's certificate is not valid yet (check the clocks)"};
      if (has("subject name") || has("does not match"))
        return Error{ErrorKind::Tls, what,
                     fmt::format("the server's certificate is not for host '{}' ({})", endpoint_.host, detail)};
      if (tls.ca_file.empty())
        return Error{ErrorKind::Tls, what,
                     "the server's certificate is not signed by a CA this system trusts (give its CA with "
                     "--tlscacert or ca.pem in DOCKER_CERT_PATH)"};
      return Error{ErrorKind::Tls, what,
                   fmt::format("the server's certificate is not signed by the CA in {}", tls.ca_file)};
    }
    if (code == CURLE_SSL_CACERT_BADFILE)
      return Error{ErrorKind::Tls, what, fmt::format("cannot use the CA certificate {}: {}", tls.ca_file, detail)};
    if (code == CURLE_SSL_CERTPROBLEM)
      return Error{ErrorKind::Tls, what,
                   fmt::format("cannot use the client certificate {} with the key {}: {}", tls.cert_file,
                               tls.key_file, detail)};
    return std::nullopt;
  }

  Error classify(const Transfer& t, CURLcode code) const {
    std::string what = BatchTransport::what(*t.request);
    std::string detail = t.error_buffer[0] != '\0' ? t.error_buffer : api().easy_strerror(code);
    Millis total = t.request->timeout.value_or(timeouts_.request);
    if (auto e = classify_tls(what, code, detail)) return *e;
    switch (code) {
      case CURLE_COULDNT_RESOLVE_HOST:
        return {ErrorKind::Unreachable, what, fmt::format("cannot resolve host '{}'", endpoint_.host)};
      case CURLE_COULDNT_CONNECT:
        if (endpoint_.kind == Endpoint::Kind::Unix)
          return {ErrorKind::Unreachable, what,
                  fmt::format("cannot connect to socket {}: {}", endpoint_.socket_path, detail)};
        return {ErrorKind::Unreachable, what, detail};
      case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t connected = 0;
        api().easy_getinfo(t.easy.get(), CURLINFO_CONNECT_TIME_T, &connected);
        if (connected == 0)
          return {ErrorKind::Unreachable, what,
                  fmt::format("no connection within the connect timeout of {}", http::describe(timeouts_.connect))};
        return {ErrorKind::Unreachable, what,
                fmt::format("no complete answer within the request timeout of {}", http::describe(total))};
      }
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CIPHER:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_ISSUER_ERROR:
      case CURLE_SSL_CRL_BADFILE:
      case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      case CURLE_SSL_INVALIDCERTSTATUS:
      case CURLE_SSL_ENGINE_INITFAILED:
      case CURLE_USE_SSL_FAILED:
        return {ErrorKind::Tls, what, fmt::format("TLS: {}", detail)};
      case CURLE_GOT_NOTHING:
        return {ErrorKind::Server, what,
                endpoint_.tls ? "the server closed the connection without answering"
                              : "the server closed the connection without answering (does it expect TLS?)"};
      case CURLE_RECV_ERROR:
      case CURLE_SEND_ERROR:
        return {ErrorKind::Unreachable, what, fmt::format("connection lost: {}", detail)};
      default:
        return {ErrorKind::Server, what, detail};
    }
  }

  std::optional<Error> load_error_;  // libcurl could not be loaded: every request fails with it
  MultiPtr multi_;
  std::vector<EasyPtr> idle_;
};

}  // namespace

std::unique_ptr<Transport> make_curl_transport(Endpoint endpoint, Timeouts timeouts, Logger logger) {
  return std::make_unique<CurlTransport>(std::move(endpoint), timeouts, std::move(logger));
}

}  // namespace hcl::http
