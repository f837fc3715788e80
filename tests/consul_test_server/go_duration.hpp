// Go's time.Duration text form, as Consul reads it in ?wait=10s and in check definitions
// ("Interval": "10s") and writes it back ("1m30s").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace hcl::testing::cts {

// Parses like Go's time.ParseDuration: an optional sign, then one or more decimal numbers each
// with a unit (ns, us, µs, μs, ms, s, m, h), e.g. "300ms", "1.5h", "2h45m"; "0" needs no unit.
// Returns nullopt for anything Go rejects ("10", "", "5 s", "1d") or on overflow.
std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

// Formats like Go's Duration.String(): "0s", "500ms", "1.5s", "1m30s", "1h0m0s".
std::string format_go_duration(std::chrono::nanoseconds d);

}  // namespace hcl::testing::cts
