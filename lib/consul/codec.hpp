// Internal to lib/consul: reading Consul's answers. Consul's error bodies are plain text; a body
// that is not the expected JSON becomes an error naming the endpoint, never a crash.
#pragma once

#include <hcl/error.hpp>
#include <hcl/http.hpp>

#include "../json/document.hpp"
#include "../json/fields.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>

namespace hcl::consul::codec {

using json = nlohmann::json;

using json_fields::child;
using json_fields::get;

inline std::string server_message(const http::Response& r) {
  std::string body = r.body.substr(0, 200);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return body.empty() ? fmt::format("HTTP {}", r.status) : fmt::format("HTTP {}: {}", r.status, body);
}

// Decodes a body with `fn`; JSON errors and anything `fn` throws (a value that is not base64,
// say) become ErrorKind::Server naming `what`.
template <class F>
auto decode(const http::Response& r, const std::string& what, F&& fn) -> Result<decltype(fn(json{}))> {
  try {
    return fn(json_push::parse_document(r.body));
  } catch (const std::exception& e) {
    return Error{ErrorKind::Server, what, fmt::format("unexpected answer from Consul: {}", e.what())};
  }
}

// A duration as Consul's ?wait= takes it: "10s", "1500ms".
inline std::string go_duration(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? fmt::format("{}s", d.count() / 1000) : fmt::format("{}ms", d.count());
}

// X-Consul-Index: a decimal uint64, or nothing when the header is missing or malformed.
inline std::optional<std::uint64_t> parse_index(const std::string& text) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

}  // namespace hcl::consul::codec
