// Internal to the clients (lib/docker, lib/consul): a JSON parser that is handed the text in
// pieces as they arrive (push), cut anywhere, and reports each value to a handler as soon as it
// is complete. A large answer (GET /tasks: 13 MB at 10,000 tasks) is then decoded while it
// arrives and never held whole: nlohmann's SAX parser pulls its input from an adapter and
// cannot stop at the end of a piece and go on with the next one.
//
// Strict JSON (RFC 8259), as nlohmann parses it: one value with whitespace around it; strings
// must be valid UTF-8 with control characters escaped; \u escapes are decoded, surrogate pairs
// included; an integer that fits neither 64-bit type is reported as a float.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hcl::json_push {

// What the parser reports, in document order (nlohmann's SAX events). Every call returns false
// to stop the parse. String arguments may be moved from.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual bool null() = 0;
  virtual bool boolean(bool value) = 0;
  virtual bool number_integer(std::int64_t value) = 0;  // negative integers
  virtual bool number_unsigned(std::uint64_t value) = 0;
  virtual bool number_float(double value) = 0;
  virtual bool string(std::string& value) = 0;
  virtual bool start_object() = 0;
  virtual bool key(std::string& name) = 0;
  virtual bool end_object() = 0;
  virtual bool start_array() = 0;
  virtual bool end_array() = 0;
};

// The longest string (or key) a parse of a stream takes by default: far beyond any name, label
// or message of the engine's, and what keeps one hostile string from taking memory without end.
inline constexpr std::size_t kMaxTokenBytes = 1u << 20;

class Parser {
 public:
  // `max_token_bytes`: the longest string or key taken (a text already bounded as a whole, an
  // answer read whole, passes its own size).
  explicit Parser(Handler& handler, std::size_t max_token_bytes = kMaxTokenBytes)
      : handler_(handler), max_token_(max_token_bytes) {}

  // Parses the next piece of the text. False once the parse has stopped: at a syntax error
  // (error() says what and where) or when the handler returned false (error() is empty).
  bool feed(std::string_view piece);
  // The end of the text: true when it held exactly one complete JSON value.
  bool finish();
  // "unexpected '<' at byte 1", "unexpected end of input at byte 4"; empty when there was none.
  const std::string& error() const { return error_; }
  // The byte looked at last, counted from 1: where a handler that returned false stopped it.
  std::uint64_t byte() const { return at_ + 1; }

 private:
  enum class Expect : std::uint8_t { Value, ValueOrEnd, KeyOrEnd, Key, Colon, CommaOrEnd, Done };
  enum class Token : std::uint8_t { None, String, Key, Number, Literal };

  bool structural(char c);
  const char* scan_string(const char* p, const char* end);
  bool end_string();
  bool end_number();
  bool end_literal();
  bool after_value();
  bool fail(std::string what);
  bool stop() { return !(stopped_ = true); }

  Handler& handler_;
  std::size_t max_token_;
  std::vector<char> open_;  // '{' or '[' for each container not yet closed
  Expect expect_ = Expect::Value;
  Token token_ = Token::None;
  bool escaped_ = false;     // in a string, just after a backslash
  bool has_escape_ = false;  // the string so far has a backslash
  bool stopped_ = false;
  std::uint64_t offset_ = 0;  // bytes of the text before the current piece
  std::uint64_t at_ = 0;      // the byte being looked at, counted from 0
  std::string raw_;   // the current token's text so far (a string's without its quotes)
  std::string text_;  // a string with its escapes decoded
  std::string error_;
};

}  // namespace hcl::json_push
