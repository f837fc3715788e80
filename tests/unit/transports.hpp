// The transport, for tests of what goes over HTTP: hcl has one (lib/http/socket_transport.cpp:
// TCP with or without TLS, unix sockets, ssh). Tests written over "every transport" (a loop over
// kTransports, or TEST_CASE_TEMPLATE(NAME, Over, HCL_TRANSPORTS)) make theirs with Over::make,
// so that a second transport would be tested by the same cases.
#pragma once

#include <hcl/http.hpp>

#include <memory>

namespace hcl::testing {

struct OverSockets {
  static constexpr const char* name = "socket";
  static std::unique_ptr<http::Transport> make(http::Endpoint e, http::Timeouts t = {}, http::Logger l = {}) {
    return http::make_transport(std::move(e), t, std::move(l));
  }
};

#define HCL_TRANSPORTS hcl::testing::OverSockets

struct TransportKind {
  const char* name;
  std::unique_ptr<http::Transport> (*factory)(http::Endpoint, http::Timeouts, http::Logger);
  std::unique_ptr<http::Transport> make(http::Endpoint e, http::Timeouts t, http::Logger l = {}) const {
    return factory(std::move(e), t, std::move(l));
  }
};
inline const TransportKind kTransports[] = {{OverSockets::name, OverSockets::make}};

}  // namespace hcl::testing
