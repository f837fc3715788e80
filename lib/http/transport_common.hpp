// Internal to lib/http: what both transports (curl_transport.cpp, socket_transport.cpp) share.
#pragma once

#include <hcl/http.hpp>

#include <string>

namespace hcl::http::detail {

// The URL with the values of secret query parameters (token=, access_token=) replaced by
// REDACTED, for the request log.
std::string redact(std::string url);

// Go's HTTP servers (dockerd) answer a plain request on a TLS port with a 400 saying so.
bool plain_request_to_tls_server(const Response& r);

// The error for that answer, naming the request.
Error plain_request_to_tls_server_error(std::string what);

}  // namespace hcl::http::detail
