// The transport's TLS (mbed TLS) against an in-process TLS server that the test runs with mbed
// TLS's server side and the certificates in tests/data/tls/ (a test CA; a server certificate for
// localhost and 127.0.0.1, one for another host, a client certificate; RSA ones beside the EC
// ones): verification of the server's name and address, the CA, client certificates,
// keep-alive, parallel connections and chunked answers over TLS. e2e_tls checks the refusals
// against a real dockerd with --tlsverify.
#include <hcl/http.hpp>

#include <doctest/doctest.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>

using namespace hcl;
using namespace std::chrono_literals;

namespace {

std::string tls_file(const std::string& name) { return std::string(HCL_TEST_DATA) + "/tls/" + name; }

// Answers every request on a connection with `answer` (kept alive), after a TLS handshake with
// the certificate `cert`; with `require_client`, a client certificate signed by the test CA is
// required. Requests received are kept, whole connections counted.
class TlsServer {
 public:
  TlsServer(const std::string& cert, bool require_client, std::string answer, const std::string& ca = "ca.pem")
      : answer_(std::move(answer)) {
    mbedtls_net_init(&listen_);
    mbedtls_ssl_config_init(&config_);
    mbedtls_x509_crt_init(&cert_);
    mbedtls_x509_crt_init(&ca_);
    mbedtls_pk_init(&key_);
    mbedtls_entropy_init(&entropy_);
    mbedtls_ctr_drbg_init(&drbg_);
    REQUIRE(mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_, nullptr, 0) == 0);
    REQUIRE(mbedtls_x509_crt_parse_file(&cert_, tls_file(cert + ".pem").c_str()) == 0);
    REQUIRE(mbedtls_x509_crt_parse_file(&ca_, tls_file(ca).c_str()) == 0);
#if MBEDTLS_VERSION_MAJOR >= 3
    REQUIRE(mbedtls_pk_parse_keyfile(&key_, tls_file(cert + "-key.pem").c_str(), nullptr, mbedtls_ctr_drbg_random, &drbg_) == 0);
#else
    REQUIRE(mbedtls_pk_parse_keyfile(&key_, tls_file(cert + "-key.pem").c_str(), nullptr) == 0);
#endif
    REQUIRE(mbedtls_ssl_config_defaults(&config_, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                        MBEDTLS_SSL_PRESET_DEFAULT) == 0);
    mbedtls_ssl_conf_rng(&config_, random, this);
    REQUIRE(mbedtls_ssl_conf_own_cert(&config_, &cert_, &key_) == 0);
    mbedtls_ssl_conf_ca_chain(&config_, &ca_, nullptr);
    mbedtls_ssl_conf_authmode(&config_, require_client ? MBEDTLS_SSL_VERIFY_REQUIRED : MBEDTLS_SSL_VERIFY_NONE);
    REQUIRE(mbedtls_net_bind(&listen_, "127.0.0.1", "0", MBEDTLS_NET_PROTO_TCP) == 0);
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    getsockname(listen_.fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    thread_ = std::thread([this] { serve(); });
  }

  ~TlsServer() {
    stop_ = true;
    ::shutdown(listen_.fd, SHUT_RDWR);
    thread_.join();
    for (auto& t : connection_threads_) t.join();
    mbedtls_net_free(&listen_);
    mbedtls_ssl_config_free(&config_);
    mbedtls_x509_crt_free(&cert_);
    mbedtls_x509_crt_free(&ca_);
    mbedtls_pk_free(&key_);
    mbedtls_ctr_drbg_free(&drbg_);
    mbedtls_entropy_free(&entropy_);
  }

  http::Endpoint endpoint(const std::string& host, http::TlsOptions tls) const {
    http::Endpoint e;
    e.kind = http::Endpoint::Kind::Tcp;
    e.host = host;
    e.port = port_;
    e.tls = std::move(tls);
    return e;
  }

  std::vector<std::string> received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  int connections() const { return connections_; }

 private:
  // The random generator, shared by the connections' threads.
  static int random(void* self, unsigned char* out, std::size_t size) {
    auto* s = static_cast<TlsServer*>(self);
    std::lock_guard lock(s->rng_mu_);
    return mbedtls_ctr_drbg_random(&s->drbg_, out, size);
  }

  void serve() {
    while (!stop_) {
      mbedtls_net_context client;
      mbedtls_net_init(&client);
      if (mbedtls_net_accept(&listen_, &client, nullptr, 0, nullptr) != 0) {
        mbedtls_net_free(&client);
        continue;
      }
      ++connections_;
      connection_threads_.emplace_back([this, client]() mutable { talk(client); });
    }
  }

  // One connection: handshake, then an answer per request until the client closes.
  void talk(mbedtls_net_context client) {
    {
      mbedtls_ssl_context ssl;
      mbedtls_ssl_init(&ssl);
      mbedtls_ssl_setup(&ssl, &config_);
      mbedtls_ssl_set_bio(&ssl, &client, mbedtls_net_send, mbedtls_net_recv, nullptr);
      if (mbedtls_ssl_handshake(&ssl) == 0) {
        std::string in;
        unsigned char buf[4096];
        for (;;) {
          int n = mbedtls_ssl_read(&ssl, buf, sizeof buf);
          if (n <= 0) break;
          in.append(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
          std::size_t end;
          while ((end = in.find("\r\n\r\n")) != std::string::npos) {
            std::string request = in.substr(0, end + 4);
            std::size_t length_at = request.find("Content-Length: ");
            std::size_t body = length_at == std::string::npos ? 0 : std::stoul(request.substr(length_at + 16));
            if (in.size() < end + 4 + body) break;
            {
              std::lock_guard lock(mu_);
              received_.push_back(in.substr(0, end + 4 + body));
            }
            in.erase(0, end + 4 + body);
            mbedtls_ssl_write(&ssl, reinterpret_cast<const unsigned char*>(answer_.data()), answer_.size());
          }
        }
      }
      mbedtls_ssl_close_notify(&ssl);
      mbedtls_ssl_free(&ssl);
      mbedtls_net_free(&client);
    }
  }

  std::string answer_;
  mbedtls_net_context listen_;
  mbedtls_ssl_config config_;
  mbedtls_x509_crt cert_, ca_;
  mbedtls_pk_context key_;
  mbedtls_entropy_context entropy_;
  mbedtls_ctr_drbg_context drbg_;
  int port_ = 0;
  std::thread thread_;
  std::vector<std::thread> connection_threads_;
  std::mutex rng_mu_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<std::string> received_;
};

const char* kChunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n[1,\r\n2\r\n2]\r\n0\r\n\r\n";

http::TlsOptions verify_with(const std::string& ca) {
  http::TlsOptions tls;
  tls.ca_file = tls_file(ca);
  return tls;
}

}  // namespace

TEST_CASE("TLS: a verified server by name and by address, requests kept alive, a chunked answer") {
  TlsServer server("server", false, kChunked);
  for (const char* host : {"localhost", "127.0.0.1"}) {
    CAPTURE(host);
    std::vector<std::string> log;
    auto t = http::make_transport(server.endpoint(host, verify_with("ca.pem")), {2s, 5s},
                                  [&](const http::RequestLog& entry) { log.push_back(entry.method + " " + entry.url); });
    auto a = t->send({"GET", "/v1.41/nodes"});
    REQUIRE(a.ok());
    CHECK(a->body == "[1,2]");
    auto b = t->send({"POST", "/v1.41/networks/create", {}, "{\"Name\":\"x\"}"});
    REQUIRE(b.ok());
    CHECK(b->body == "[1,2]");
    REQUIRE_FALSE(log.empty());
    CHECK(log.front().find(std::string("GET https://") + host) != std::string::npos);
  }
  CHECK(server.connections() == 2);  // one per transport: kept alive over TLS
  auto got = server.received();
  REQUIRE(got.size() == 4);
  CHECK(got[0].starts_with("GET /v1.41/nodes HTTP/1.1\r\nHost: localhost:"));
  CHECK(got[1].find("\r\n\r\n{\"Name\":\"x\"}") != std::string::npos);
}

TEST_CASE("TLS: requests at once over parallel TLS connections") {
  TlsServer server("server", false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  auto t = http::make_transport(server.endpoint("localhost", verify_with("ca.pem")), {2s, 5s});
  std::vector<http::Request> requests(6, http::Request{"GET", "/_ping"});
  auto rs = t->send_all(requests);
  for (auto& r : rs) {
    REQUIRE(r.ok());
    CHECK(r->body == "ok");
  }
  CHECK(server.received().size() == 6);
}

TEST_CASE("TLS: the server's certificate is checked against the CA, the host name and the address") {
  TlsServer server("server", false, kChunked);
  auto refused = [&](const std::string& host, http::TlsOptions tls) {
    auto r = http::make_transport(server.endpoint(host, std::move(tls)), {2s, 5s})->send({"GET", "/"});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::Tls);
    return r.error().why;
  };
  CHECK(refused("localhost", verify_with("other-ca.pem")) ==
        "the server's certificate is not signed by the CA in " + tls_file("other-ca.pem"));
  CHECK(server.received().empty());  // nothing was sent to a server not verified

  TlsServer elsewhere("server-elsewhere", false, kChunked);
  auto wrong_host = [&](const std::string& host) {
    auto r = http::make_transport(elsewhere.endpoint(host, verify_with("ca.pem")), {2s, 5s})->send({"GET", "/"});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::Tls);
    return r.error().why;
  };
  CHECK(wrong_host("localhost") == "the server's certificate is not for host 'localhost'");
  CHECK(wrong_host("127.0.0.1") == "the server's certificate is not for host '127.0.0.1'");
  CHECK(elsewhere.received().empty());

  // Without verification (--tls without --tlsverify) the same server is spoken to.
  http::TlsOptions unverified;
  unverified.verify = false;
  auto r = http::make_transport(elsewhere.endpoint("localhost", unverified), {2s, 5s})->send({"GET", "/"});
  REQUIRE(r.ok());
  CHECK(r->body == "[1,2]");
}

TEST_CASE("TLS: client certificates: given, missing, not matching their key, unreadable files") {
  TlsServer server("server", true, kChunked);
  http::TlsOptions with_cert = verify_with("ca.pem");
  with_cert.cert_file = tls_file("client.pem");
  with_cert.key_file = tls_file("client-key.pem");
  auto ok = http::make_transport(server.endpoint("localhost", with_cert), {2s, 5s})->send({"GET", "/"});
  REQUIRE(ok.ok());
  CHECK(ok->body == "[1,2]");

  auto none = http::make_transport(server.endpoint("localhost", verify_with("ca.pem")), {2s, 5s})->send({"GET", "/"});
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().kind == ErrorKind::Tls);
  CHECK(none.error().why.find("requires a client certificate and none was given") != std::string::npos);

  http::TlsOptions mismatched = with_cert;
  mismatched.key_file = tls_file("server-key.pem");
  auto bad_pair = http::make_transport(server.endpoint("localhost", mismatched), {2s, 5s})->send({"GET", "/"});
  REQUIRE_FALSE(bad_pair.ok());
  CHECK(bad_pair.error().kind == ErrorKind::Tls);
  CHECK(bad_pair.error().why == "cannot use the client certificate " + tls_file("client.pem") + " with the key " +
                                    tls_file("server-key.pem") + ": the key does not belong to the certificate");

  http::TlsOptions not_a_ca = verify_with("client-key.pem");
  auto bad_ca = http::make_transport(server.endpoint("localhost", not_a_ca), {2s, 5s})->send({"GET", "/"});
  REQUIRE_FALSE(bad_ca.ok());
  CHECK(bad_ca.error().kind == ErrorKind::Tls);
  CHECK(bad_ca.error().why.starts_with("cannot use the CA certificate " + tls_file("client-key.pem") + ": "));
  // Messages name files, never their contents.
  CHECK(bad_pair.error().message().find("PRIVATE KEY") == std::string::npos);
  CHECK(bad_ca.error().message().find("PRIVATE KEY") == std::string::npos);
}

TEST_CASE("TLS: RSA keys, as Docker's TLS guide makes them (a PKCS#1 client key)") {
  TlsServer server("rsa-server", true, kChunked, "rsa-ca.pem");
  http::TlsOptions tls = verify_with("rsa-ca.pem");
  tls.cert_file = tls_file("rsa-client.pem");
  tls.key_file = tls_file("rsa-client-key.pem");
  for (const char* host : {"localhost", "127.0.0.1"}) {
    CAPTURE(host);
    auto r = http::make_transport(server.endpoint(host, tls), {2s, 5s})->send({"GET", "/"});
    REQUIRE(r.ok());
    CHECK(r->body == "[1,2]");
  }
  // The EC test CA did not sign it.
  auto refused = http::make_transport(server.endpoint("localhost", verify_with("ca.pem")), {2s, 5s})->send({"GET", "/"});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().why == "the server's certificate is not signed by the CA in " + tls_file("ca.pem"));
}
