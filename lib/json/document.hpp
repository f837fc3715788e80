// Internal to the clients (lib/docker, lib/consul): a server's answer read whole, as a document
// (nlohmann::json) for the decoders to walk. The text is parsed by the push parser (push.hpp),
// the one that reads node and task lists as they arrive, not by nlohmann's own: the same strict
// JSON and the same document, built in half the time (nlohmann's lexer keeps a copy of every
// byte for its messages and reads one byte per call), and nesting is bounded, which nlohmann's
// is not: 4 MiB of '[' became 310 MB of nested arrays before its parse found no end.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <stdexcept>
#include <string_view>

namespace hcl::json_push {

// Far deeper than any answer of the engine's or Consul's (a list of tasks: 9 levels).
inline constexpr std::size_t kMaxDocumentDepth = 64;
// Values (each element and member, at every level): what keeps a document's memory within some
// times its text's, 68 MB at most measured (4 MiB of `{"1":{},"2":{},...}`), where 4 MiB of `[],`
// would make 1.4 million empty arrays (100 MB). A real answer has a value per 20 bytes or more
// (6 services: 9.5 KB, 468 values), so a 4 MiB one has some 200,000.
inline constexpr std::size_t kMaxDocumentValues = 400'000;

// A text that is not one JSON value, nests deeper than kMaxDocumentDepth or has more than
// kMaxDocumentValues values: what and where, "unexpected '<' at byte 1".
struct SyntaxError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The JSON value in `text` (which the caller has bounded: an answer read whole stops at
// http::kMaxAnswerBytes). A member named twice keeps its last value, as nlohmann's parse does.
// Throws SyntaxError.
nlohmann::json parse_document(std::string_view text);

}  // namespace hcl::json_push
