// TLS for the socket transport over mbed TLS: the only file that uses the TLS library.
//
// Why mbed TLS, linked in, rather than libcurl (and OpenSSL) loaded at run time: a static binary
// for every Raspberry Pi (the ARMv6 build) cannot load the board's libcurl, and OpenSSL linked
// statically adds ~4 MB where mbed TLS adds ~0.85 MB; it also spares every TLS command the 6-9 ms
// and 8.5 MB that loading libcurl's 30 libraries cost. Docker's and Consul's TLS ports speak TLS
// 1.2 (their default minimum), which is what mbed TLS 2.28 speaks. docs/ARCHITECTURE.md has the
// measurements.
#include "tls_session.hpp"

#include <fmt/format.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#if MBEDTLS_VERSION_MAJOR >= 3
#define HCL_MBEDTLS_FIELD(f) MBEDTLS_PRIVATE(f)
#else
#define HCL_MBEDTLS_FIELD(f) f
#endif

namespace hcl::http::detail {
namespace {

std::string mbedtls_words(int code) {
  char buffer[200];
  mbedtls_strerror(code, buffer, sizeof buffer);
  return buffer;
}

// The system's CA certificates (Debian's ca-certificates), for endpoints verified without a CA
// file of their own.
constexpr const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";
constexpr const char* kSystemDirectory = "/etc/ssl/certs";

}  // namespace

struct TlsContextState {
  TlsOptions options;
  std::string host;
  bool host_is_address = false;
  unsigned char address[16] = {};
  std::size_t address_length = 0;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_x509_crt ca;
  mbedtls_x509_crt cert;
  mbedtls_pk_context key;
  mbedtls_ssl_config config;

  TlsContextState() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_x509_crt_init(&ca);
    mbedtls_x509_crt_init(&cert);
    mbedtls_pk_init(&key);
    mbedtls_ssl_config_init(&config);
  }
  ~TlsContextState() {
    mbedtls_ssl_config_free(&config);
    mbedtls_pk_free(&key);
    mbedtls_x509_crt_free(&cert);
    mbedtls_x509_crt_free(&ca);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
  }
};

TlsContext::TlsContext() : state_(std::make_unique<TlsContextState>()) {}
TlsContext::~TlsContext() = default;

Result<std::shared_ptr<TlsContext>> TlsContext::load(const TlsOptions& tls, const std::string& host) {
  std::shared_ptr<TlsContext> context(new TlsContext());
  TlsContextState& s = *context->state_;
  s.options = tls;
  s.host = host;
  if (inet_pton(AF_INET, host.c_str(), s.address) == 1) {
    s.host_is_address = true;
    s.address_length = 4;
  } else if (inet_pton(AF_INET6, host.c_str(), s.address) == 1) {
    s.host_is_address = true;
    s.address_length = 16;
  }
  static const char kPersonal[] = "hcl";
  if (int rc = mbedtls_ctr_drbg_seed(&s.drbg, mbedtls_entropy_func, &s.entropy,
                                     reinterpret_cast<const unsigned char*>(kPersonal), sizeof kPersonal - 1);
      rc != 0)
    return Error{ErrorKind::Tls, host, fmt::format("TLS: cannot seed the random generator: {}", mbedtls_words(rc))};

  if (!tls.ca_file.empty()) {
    if (int rc = mbedtls_x509_crt_parse_file(&s.ca, tls.ca_file.c_str()); rc != 0)
      return Error{ErrorKind::Tls, host,
                   fmt::format("cannot use the CA certificate {}: {}", tls.ca_file,
                               rc > 0 ? fmt::format("{} of its certificates cannot be read", rc) : mbedtls_words(rc))};
  } else if (tls.verify) {
    // A bundle whose every certificate is unusable, or no bundle at all, leaves the chain empty:
    // the server's certificate is then refused as signed by no CA this system trusts.
    std::error_code ec;
    if (std::filesystem::exists(kSystemBundle, ec)) mbedtls_x509_crt_parse_file(&s.ca, kSystemBundle);
    else if (std::filesystem::is_directory(kSystemDirectory, ec)) mbedtls_x509_crt_parse_path(&s.ca, kSystemDirectory);
  }

  if (!tls.cert_file.empty() || !tls.key_file.empty()) {
    auto refuse = [&](const std::string& why) {
      return Error{ErrorKind::Tls, host,
                   fmt::format("cannot use the client certificate {} with the key {}: {}", tls.cert_file, tls.key_file, why)};
    };
    if (tls.cert_file.empty() || tls.key_file.empty())
      return refuse("both a certificate and its key are needed");
    if (int rc = mbedtls_x509_crt_parse_file(&s.cert, tls.cert_file.c_str()); rc != 0)
      return refuse(fmt::format("the certificate cannot be read ({})", rc > 0 ? "not PEM or DER" : mbedtls_words(rc)));
#if MBEDTLS_VERSION_MAJOR >= 3
    int rc = mbedtls_pk_parse_keyfile(&s.key, tls.key_file.c_str(), nullptr, mbedtls_ctr_drbg_random, &s.drbg);
#else
    int rc = mbedtls_pk_parse_keyfile(&s.key, tls.key_file.c_str(), nullptr);
#endif
    if (rc != 0) return refuse(fmt::format("the key cannot be read ({})", mbedtls_words(rc)));
#if MBEDTLS_VERSION_MAJOR >= 3
    rc = mbedtls_pk_check_pair(&s.cert.pk, &s.key, mbedtls_ctr_drbg_random, &s.drbg);
#else
    rc = mbedtls_pk_check_pair(&s.cert.pk, &s.key);
#endif
    if (rc != 0) return refuse("the key does not belong to the certificate");
  }

  if (int rc = mbedtls_ssl_config_defaults(&s.config, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                           MBEDTLS_SSL_PRESET_DEFAULT);
      rc != 0)
    return Error{ErrorKind::Tls, host, fmt::format("TLS: {}", mbedtls_words(rc))};
  mbedtls_ssl_conf_authmode(&s.config, tls.verify ? MBEDTLS_SSL_VERIFY_REQUIRED : MBEDTLS_SSL_VERIFY_NONE);
  mbedtls_ssl_conf_ca_chain(&s.config, &s.ca, nullptr);
  mbedtls_ssl_conf_rng(&s.config, mbedtls_ctr_drbg_random, &s.drbg);
  // Key exchange on the fastest curves first. mbed TLS offers the largest first (secp521r1), and
  // Go's servers (dockerd, Consul) take the client's first: its ECDH cost 30 ms a handshake here,
  // X25519 ~1 ms (and a Pi Zero is some 20 times slower).
#if MBEDTLS_VERSION_MAJOR >= 3
  static const std::uint16_t kGroups[] = {MBEDTLS_SSL_IANA_TLS_GROUP_X25519, MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
                                          MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1, MBEDTLS_SSL_IANA_TLS_GROUP_NONE};
  mbedtls_ssl_conf_groups(&s.config, kGroups);
#else
  static const mbedtls_ecp_group_id kCurves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1,
                                                 MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_NONE};
  mbedtls_ssl_conf_curves(&s.config, kCurves);
#endif
#if MBEDTLS_VERSION_MAJOR < 3
  mbedtls_ssl_conf_min_version(&s.config, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);  // TLS 1.2
#endif
  if (!tls.cert_file.empty()) {
    if (int rc = mbedtls_ssl_conf_own_cert(&s.config, &s.cert, &s.key); rc != 0)
      return Error{ErrorKind::Tls, host, fmt::format("TLS: {}", mbedtls_words(rc))};
  }
  return context;
}

struct TlsSessionState {
  int fd = -1;
  int socket_errno = 0;
  int last = 0;              // the library's last error code
  std::string first_bytes;   // the first bytes the server sent (a plain HTTP answer shows here)
  bool peer_closed = false;  // end of stream
  bool address_mismatch = false;
  int alert = -1;            // the fatal alert the server sent, when it sent one
  mbedtls_ssl_context ssl;

  TlsSessionState() { mbedtls_ssl_init(&ssl); }
  ~TlsSessionState() { mbedtls_ssl_free(&ssl); }

  static int send_cb(void* self, const unsigned char* data, std::size_t size) {
    auto* s = static_cast<TlsSessionState*>(self);
    ssize_t n = ::send(s->fd, data, size, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EAGAIN || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
    s->socket_errno = errno;
    return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
  }

  static int recv_cb(void* self, unsigned char* data, std::size_t size) {
    auto* s = static_cast<TlsSessionState*>(self);
    ssize_t n = ::recv(s->fd, data, size, 0);
    if (n > 0) {
      if (s->first_bytes.size() < 5)
        s->first_bytes.append(reinterpret_cast<const char*>(data),
                              std::min<std::size_t>(static_cast<std::size_t>(n), 5 - s->first_bytes.size()));
      return static_cast<int>(n);
    }
    if (n == 0) {
      s->peer_closed = true;
      return 0;
    }
    if (errno == EAGAIN || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_READ;
    s->socket_errno = errno;
    return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
  }
};

TlsSession::TlsSession(std::shared_ptr<const TlsContext> context, int fd)
    : context_(std::move(context)), state_(std::make_unique<TlsSessionState>()) {
  const TlsContextState& c = *context_->state_;
  state_->fd = fd;
  state_->last = mbedtls_ssl_setup(&state_->ssl, &c.config);
  // The name is checked against the certificate's names (and sent as SNI); an IP address is
  // checked after the handshake against its IP address entries, which mbed TLS 2 does not do.
  if (state_->last == 0 && !c.host_is_address) state_->last = mbedtls_ssl_set_hostname(&state_->ssl, c.host.c_str());
  mbedtls_ssl_set_bio(&state_->ssl, state_.get(), TlsSessionState::send_cb, TlsSessionState::recv_cb, nullptr);
}

TlsSession::~TlsSession() = default;

namespace {

TlsStep step_of(int rc, TlsSessionState& s) {
  if (rc == MBEDTLS_ERR_SSL_WANT_READ) return TlsStep::WantRead;
  if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) return TlsStep::WantWrite;
  s.last = rc;
  if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && s.ssl.HCL_MBEDTLS_FIELD(in_msg) != nullptr)
    s.alert = s.ssl.HCL_MBEDTLS_FIELD(in_msg)[1];
  return TlsStep::Failed;
}

// A server that refuses our certificate sends its alert and closes while we are still sending
// the rest of our handshake flight (one record per message), so that the send fails (EPIPE,
// ECONNRESET) before mbed TLS reads the alert. It is still in the socket: a plaintext alert
// record (type 21, version 3.x, length 2, level, description) before the server's
// ChangeCipherSpec.
void read_waiting_alert(TlsSessionState& s) {
  unsigned char record[7];
  ssize_t n = ::recv(s.fd, record, sizeof record, MSG_DONTWAIT);
  if (n == 7 && record[0] == 21 && record[1] == 3 && record[3] == 0 && record[4] == 2 && record[5] == 2) {
    s.alert = record[6];
    s.last = MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE;
  }
}

// Whether the certificate names the address among its IP address entries (subjectAltName
// iPAddress, kept by mbed TLS as raw bytes).
bool certificate_names_address(const mbedtls_x509_crt& crt, const unsigned char* address, std::size_t length) {
  for (const mbedtls_x509_sequence* san = &crt.subject_alt_names; san != nullptr; san = san->next) {
    const mbedtls_x509_buf& b = san->buf;
    if (b.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && b.len == length && std::memcmp(b.p, address, length) == 0)
      return true;
  }
  return false;
}

// Whether the server asked for a client certificate (a CertificateRequest in its handshake).
bool asked_for_certificate(const TlsSessionState& s) {
#if MBEDTLS_VERSION_MAJOR < 3
  return s.ssl.client_auth != 0;
#else
  (void)s;
  return false;  // not visible in mbed TLS 3's API
#endif
}

}  // namespace

TlsStep TlsSession::handshake() {
  if (state_->last != 0) return TlsStep::Failed;  // set-up failed
  int rc = mbedtls_ssl_handshake(&state_->ssl);
  if (rc == MBEDTLS_ERR_NET_CONN_RESET || rc == MBEDTLS_ERR_NET_SEND_FAILED) read_waiting_alert(*state_);
  if (rc != 0 && state_->alert >= 0) return TlsStep::Failed;
  if (rc != 0) return step_of(rc, *state_);
  const TlsContextState& c = *context_->state_;
  if (c.options.verify && c.host_is_address) {
    const mbedtls_x509_crt* peer = mbedtls_ssl_get_peer_cert(&state_->ssl);
    if (peer == nullptr || !certificate_names_address(*peer, c.address, c.address_length)) {
      state_->address_mismatch = true;
      state_->last = MBEDTLS_ERR_X509_CERT_VERIFY_FAILED;
      return TlsStep::Failed;
    }
  }
  return TlsStep::Done;
}

TlsStep TlsSession::write(const char* data, std::size_t size, std::size_t& n) {
  n = 0;
  int rc = mbedtls_ssl_write(&state_->ssl, reinterpret_cast<const unsigned char*>(data), size);
  if (rc >= 0) {
    n = static_cast<std::size_t>(rc);
    return TlsStep::Done;
  }
  if (rc == MBEDTLS_ERR_NET_CONN_RESET) return TlsStep::Closed;
  return step_of(rc, *state_);
}

TlsStep TlsSession::read(char* data, std::size_t size, std::size_t& n) {
  n = 0;
  int rc = mbedtls_ssl_read(&state_->ssl, reinterpret_cast<unsigned char*>(data), size);
  if (rc > 0) {
    n = static_cast<std::size_t>(rc);
    return TlsStep::Done;
  }
  if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_NET_CONN_RESET) return TlsStep::Closed;
  return step_of(rc, *state_);
}

bool TlsSession::pending() const { return mbedtls_ssl_get_bytes_avail(&state_->ssl) > 0; }

int TlsSession::socket_error() const { return state_->socket_errno; }

void TlsSession::close() { mbedtls_ssl_close_notify(&state_->ssl); }

Error TlsSession::failure(const std::string& what) const {
  const TlsContextState& c = *context_->state_;
  const TlsOptions& tls = c.options;
  const TlsSessionState& s = *state_;
  // A server that is not speaking TLS: its answer is text, not a TLS record (content types
  // 20-23, version 3.x).
  const std::string& first = s.first_bytes;
  if (!first.empty() && (first.starts_with("HTTP/") || static_cast<unsigned char>(first[0]) < 20 ||
                         static_cast<unsigned char>(first[0]) > 23 || (first.size() >= 2 && first[1] != 3)))
    return Error{ErrorKind::Tls, what,
                 "the server answered in plain HTTP, not TLS, but TLS was asked for (--tls, --tlsverify, "
                 "DOCKER_TLS_VERIFY or an https:// address); is this the server's TLS port (usually 2376)?"};
  if (s.last == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
    switch (s.alert) {
      case MBEDTLS_SSL_ALERT_MSG_NO_CERT:
      case MBEDTLS_SSL_ALERT_MSG_BAD_CERT:
      case MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT:
      case MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED:
      case MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN:
      case MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA:
      case 116: {  // certificate_required (TLS 1.3's, sent by some servers at 1.2 too)
        // dockerd sends "bad certificate" whatever the reason; the file tells which.
        auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
        return Error{ErrorKind::Tls, what, explain_client_certificate_refusal(tls, now)};
      }
      case MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE:
        // dockerd's answer to a handshake without the client certificate it asked for.
        if (tls.cert_file.empty() && asked_for_certificate(s))
          return Error{ErrorKind::Tls, what, explain_client_certificate_refusal(tls, 0)};
        [[fallthrough]];
      default:
        return Error{ErrorKind::Tls, what, fmt::format("TLS: the server ended the handshake (TLS alert {})", s.alert)};
    }
  }
  if (s.last == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
    std::uint32_t flags = s.address_mismatch ? 0 : mbedtls_ssl_get_verify_result(&s.ssl);
    if (s.address_mismatch || (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH))
      return Error{ErrorKind::Tls, what,
                   fmt::format("the server's certificate is not for host '{}'", c.host)};
    if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) {
      if (tls.ca_file.empty())
        return Error{ErrorKind::Tls, what,
                     "the server's certificate is not signed by a CA this system trusts (give its CA with "
                     "--tlscacert or ca.pem in DOCKER_CERT_PATH)"};
      return Error{ErrorKind::Tls, what, fmt::format("the server's certificate is not signed by the CA in {}", tls.ca_file)};
    }
    if (flags & MBEDTLS_X509_BADCERT_EXPIRED) return Error{ErrorKind::Tls, what, "the server's certificate has expired"};
    if (flags & MBEDTLS_X509_BADCERT_FUTURE)
      return Error{ErrorKind::Tls, what, "the server's certificate is not valid yet (check the clocks)"};
    char info[256];
    mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
    std::string words = info;
    while (!words.empty() && words.back() == '\n') words.pop_back();
    return Error{ErrorKind::Tls, what, fmt::format("the server's certificate is refused: {}", words)};
  }
  bool ended = s.peer_closed || s.socket_errno == EPIPE || s.socket_errno == ECONNRESET;
  // A server that asked for a client certificate, got none and hung up without an alert.
  if (ended && tls.cert_file.empty() && asked_for_certificate(s))
    return Error{ErrorKind::Tls, what, explain_client_certificate_refusal(tls, 0)};
  if (s.peer_closed)
    return Error{ErrorKind::Server, what, "the server closed the connection during the TLS handshake"};
  if (s.socket_errno != 0)
    return Error{ErrorKind::Unreachable, what, fmt::format("connection lost: {}", std::strerror(s.socket_errno))};
  return Error{ErrorKind::Tls, what, fmt::format("TLS: {}", mbedtls_words(s.last))};
}

}  // namespace hcl::http::detail
