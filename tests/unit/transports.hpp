// The two transports, for tests of what goes over HTTP: libcurl (TLS endpoints) and plain sockets
// (every other endpoint: what hcl uses for tcp://, http:// and unix://). Such tests run over both,
// either in a loop over kTransports or as TEST_CASE_TEMPLATE(NAME, Over, HCL_TRANSPORTS), making
// their transports with Over::make.
#pragma once

#include <hcl/http.hpp>

#include <memory>

namespace hcl::testing {

struct OverCurl {
  static constexpr const char* name = "curl";
  static std::unique_ptr<http::Transport> make(http::Endpoint e, http::Timeouts t = {}, http::Logger l = {}) {
    return http::make_curl_transport(std::move(e), t, std::move(l));
  }
};

struct OverSockets {
  static constexpr const char* name = "socket";
  static std::unique_ptr<http::Transport> make(http::Endpoint e, http::Timeouts t = {}, http::Logger l = {}) {
    return http::make_socket_transport(std::move(e), t, std::move(l));
  }
};

#define HCL_TRANSPORTS hcl::testing::OverCurl, hcl::testing::OverSockets

struct TransportKind {
  const char* name;
  std::unique_ptr<http::Transport> (*factory)(http::Endpoint, http::Timeouts, http::Logger);
  std::unique_ptr<http::Transport> make(http::Endpoint e, http::Timeouts t, http::Logger l = {}) const {
    return factory(std::move(e), t, std::move(l));
  }
};
inline const TransportKind kTransports[] = {{OverCurl::name, OverCurl::make}, {OverSockets::name, OverSockets::make}};

}  // namespace hcl::testing
