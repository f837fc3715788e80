// Internal to lib/http: a name's addresses through the system's `getent`, for an hcl whose C
// library is linked in. Such a C library resolves through its own "files" and "dns" only: it
// cannot load the NSS modules other sources need (mdns4_minimal for a board's NAME.local,
// myhostname, resolve, ...), which getent, a dynamically linked program of the same C library
// package, loads as any program would.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hcl::http::detail {

// True when this process's C library is linked into it (no dynamic loader ran it).
bool libc_linked_in();

// The addresses `getent ahosts NAME` prints for stream sockets, in its order (getaddrinfo's), as
// text; empty when the name is not found. nullopt when getent cannot be run or fails otherwise.
std::optional<std::vector<std::string>> getent_addresses(const std::string& name);

// getent's addresses for NAME when this process's C library is linked in and nsswitch.conf's
// hosts line names a source it has not built in; nullopt when getaddrinfo is to answer (a
// dynamically linked C library, only built-in sources, or getent failing to run).
std::optional<std::vector<std::string>> addresses_beyond_libc(const std::string& name);

// The parsing part: each line "ADDRESS STREAM [NAME]" of OUTPUT gives ADDRESS, once.
std::vector<std::string> stream_addresses(std::string_view output);

}  // namespace hcl::http::detail
