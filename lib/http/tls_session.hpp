// Internal to lib/http: TLS for the socket transport, over mbed TLS (the only file that uses it
// is tls_session.cpp). A TlsContext holds what one endpoint's connections share (CA, client
// certificate and key, random generator); a TlsSession is one connection's TLS, driven without
// blocking: each call says whether it needs the socket readable or writable before it can go on.
#pragma once

#include <hcl/error.hpp>
#include <hcl/http.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace hcl::http::detail {

struct TlsContextState;
struct TlsSessionState;

class TlsContext {
 public:
  // Reads the CA, certificate and key files of `tls` for connections to `host` (a name or an IP
  // address). The error names the file that cannot be used; it never quotes a key.
  static Result<std::shared_ptr<TlsContext>> load(const TlsOptions& tls, const std::string& host);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

 private:
  TlsContext();
  friend class TlsSession;
  std::unique_ptr<TlsContextState> state_;
};

// What a step of a session came to.
enum class TlsStep {
  Done,       // finished (handshake), or `n` bytes moved (read, write)
  WantRead,   // call again when the socket is readable
  WantWrite,  // call again when the socket is writable
  Closed,     // the peer ended the connection (close_notify or end of stream)
  Failed,     // failure(): why
};

class TlsSession {
 public:
  TlsSession(std::shared_ptr<const TlsContext> context, int fd);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  TlsStep handshake();
  TlsStep write(const char* data, std::size_t size, std::size_t& n);
  TlsStep read(char* data, std::size_t size, std::size_t& n);
  // Decrypted bytes waiting inside the session (a poll of the socket would not show them).
  bool pending() const;
  // errno of the socket error that ended the session, 0 when it was not one.
  int socket_error() const;
  // After Failed: why, in words a user can act on (the server speaks plain HTTP; its certificate
  // is not signed by the CA, not for the host, expired; our client certificate was refused, and
  // why: none given, expired, not yet valid, not signed by a CA the server trusts).
  Error failure(const std::string& what) const;
  // Sends close_notify, without waiting for anything.
  void close();

 private:
  std::shared_ptr<const TlsContext> context_;
  std::unique_ptr<TlsSessionState> state_;
};

}  // namespace hcl::http::detail
