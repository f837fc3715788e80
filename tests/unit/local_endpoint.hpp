// The endpoint of an in-process test server on loopback.
#pragma once

#include <hcl/http.hpp>

namespace hcl::testing {

inline http::Endpoint local_endpoint(int port) {
  http::Endpoint e;
  e.host = "127.0.0.1";
  e.port = port;
  return e;
}

// The endpoint of an in-process test server (anything with port()).
template <class Server>
http::Endpoint endpoint_of(const Server& server) {
  return local_endpoint(server.port());
}

}  // namespace hcl::testing
