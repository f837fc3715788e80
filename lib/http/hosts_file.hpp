// Internal to lib/http: a name's address from the hosts file, read the way the system's
// resolver would read it, so that the transport needs no resolver thread for it; and what
// nsswitch.conf says about the sources of host names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hcl::http::detail {

// The one address (as text) that the hosts file gives NAME, when getaddrinfo would take it from
// there: nsswitch.conf's hosts line names "files" first with no action after it (glibc's default,
// without the line, is dns first), and the file's lines for NAME (canonical name or alias, in any
// case) give exactly one address. nullopt otherwise, and then getaddrinfo decides: for several
// addresses it orders them (RFC 6724), which this does not try to repeat. Go's resolver, and so
// the docker CLI, reads these files itself in the same way.
std::optional<std::string> hosts_file_address(const std::string& name, const std::string& nsswitch_path = "/etc/nsswitch.conf",
                                              const std::string& hosts_path = "/etc/hosts");

// Whether TEXT is an IPv4 or IPv6 address as inet_pton reads it (no zone).
bool is_address(std::string_view text);

// Whether nsswitch.conf's hosts line names only the sources the C library has built in, "files"
// and "dns" (as glibc's default without the line). Others (mdns4_minimal, myhostname, resolve,
// ...) are modules that a statically linked C library cannot load.
bool hosts_sources_built_in(const std::string& nsswitch_path = "/etc/nsswitch.conf");

}  // namespace hcl::http::detail
