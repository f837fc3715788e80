// Small text helpers every layer may use: joining, base64, UTF-8 and a content digest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hcl::text {

// "a, b, c".
std::string join(const std::vector<std::string>& parts, std::string_view sep = ", ");

// The line of `text` that starts at `at`, without its line break (LF or CRLF); `at` moves to the
// next line's start (past the end after the last). For reading a file line by line:
// `for (std::size_t at = 0; at < text.size();) { auto line = next_line(text, at); ... }`.
std::string_view next_line(std::string_view text, std::size_t& at);

// `text` with every occurrence of `secret` (when not empty) replaced by "[redacted]": for what a
// server sends back, which may echo the credentials it was sent.
std::string redact(std::string text, std::string_view secret);

// Standard base64 (RFC 4648 §4, with padding), as Go's StdEncoding writes it.
std::string base64_encode(std::string_view bytes);

enum class Base64Layout {
  Strict,  // the alphabet, then optional padding; nothing else (Consul's values, swarm's data)
  Pem,     // line breaks and blanks between the characters are skipped (PEM bodies)
};
// nullopt when the text is not base64 of that layout.
std::optional<std::string> base64_decode(std::string_view text, Base64Layout layout = Base64Layout::Strict);

// The length of the UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF), or 0 when it is ill-formed or cut short. i < s.size().
std::size_t utf8_length(std::string_view s, std::size_t i);
// The offset of the first byte that is not part of well-formed UTF-8, or npos.
std::size_t invalid_utf8(std::string_view s);
inline bool valid_utf8(std::string_view s) { return invalid_utf8(s) == std::string_view::npos; }
// Appends code point `cp` (at most U+10FFFF) as UTF-8.
void append_utf8(std::string& out, std::uint32_t cp);

// `s` safe to show on a terminal: control characters (C0, DEL, C1) and bytes that are not UTF-8
// written as \xNN (C1 as \u0080-\u009f), everything else as it is. For text from servers and
// files, which may hold escape sequences that would rewrite the screen.
std::string escape_controls(std::string_view s);
// At most `max_chars` characters of `s`, escaped, with "..." when cut: a line of a file quoted in
// an error, without printing a whole secret that happened to be on it.
std::string excerpt(std::string_view s, std::size_t max_chars = 32);

// The SHA-256 digest of `bytes` (FIPS 180-4), as 64 lower-case hex digits: names content, such as
// a secret's, whose bytes the swarm does not give back.
std::string sha256_hex(std::string_view bytes);

}  // namespace hcl::text
