// The push JSON parser (push.hpp). A small state machine over the structure (what may come
// next, and a stack of open containers); a token cut by the end of a piece (a string, number or
// literal) is kept in raw_ until the piece that ends it.
#include "push.hpp"

#include <hcl/text.hpp>

#include <charconv>
#include <cstring>
#include <system_error>

namespace hcl::json_push {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool in_number(char c) { return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'; }
bool in_literal(char c) { return c >= 'a' && c <= 'z'; }

std::string quote(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static constexpr char hex[] = "0123456789abcdef";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
}



// Four hex digits at s[i], or -1.
long hex4(std::string_view s, std::size_t i) {
  if (i + 4 > s.size()) return -1;
  long v = 0;
  for (std::size_t k = i; k < i + 4; ++k) {
    char c = s[k];
    int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// Checks a string's text (between its quotes) and, when `out` is given, decodes its escapes
// into it. Returns what is wrong, or nullptr.
// True when the 8 bytes at p are all printable ASCII (0x20 to 0x7f); a borrow across bytes
// can only make it say false.
bool printable8(const char* p) {
  std::uint64_t x;
  std::memcpy(&x, p, 8);
  return ((x | (x - 0x2020202020202020ULL)) & 0x8080808080808080ULL) == 0;
}

const char* check_string(std::string_view raw, std::string* out) {
  std::size_t i = 0;
  if (out == nullptr)  // no escapes: most strings are printable ASCII, 8 bytes at a time
    while (i + 8 <= raw.size() && printable8(raw.data() + i)) i += 8;
  while (i < raw.size()) {
    auto c = static_cast<unsigned char>(raw[i]);
    if (c == '\\') {
      char e = raw[i + 1];  // a string never ends in an unfinished escape: its quote would be escaped
      if (e == 'u') {
        long cp = hex4(raw, i + 2);
        if (cp < 0) return "invalid string: '\\u' must be followed by 4 hex digits";
        i += 6;
        if (cp >= 0xdc00 && cp <= 0xdfff) return "invalid string: a low surrogate without a high one before it";
        if (cp >= 0xd800 && cp <= 0xdbff) {
          long low = i + 1 < raw.size() && raw[i] == '\\' && raw[i + 1] == 'u' ? hex4(raw, i + 2) : -1;
          if (low < 0xdc00 || low > 0xdfff) return "invalid string: a high surrogate without a low one after it";
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          i += 6;
        }
        if (out != nullptr) text::append_utf8(*out, static_cast<std::uint32_t>(cp));
        continue;
      }
      char decoded;
      switch (e) {
        case '"': decoded = '"'; break;
        case '\\': decoded = '\\'; break;
        case '/': decoded = '/'; break;
        case 'b': decoded = '\b'; break;
        case 'f': decoded = '\f'; break;
        case 'n': decoded = '\n'; break;
        case 'r': decoded = '\r'; break;
        case 't': decoded = '\t'; break;
        default: return "invalid string: unknown escape";
      }
      if (out != nullptr) *out += decoded;
      i += 2;
      continue;
    }
    if (c < 0x20) return "invalid string: control characters must be escaped";
    if (c < 0x80) {  // ASCII, most of it: no need to look further
      if (out != nullptr) *out += static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t n = text::utf8_length(raw, i);
    if (n == 0) return "invalid string: ill-formed UTF-8";
    if (out != nullptr) out->append(raw.data() + i, n);
    i += n;
  }
  return nullptr;
}

}  // namespace

bool Parser::fail(std::string what) {
  if (error_.empty()) error_ = std::move(what) + " at byte " + std::to_string(at_ + 1);
  return stop();
}

bool Parser::feed(std::string_view piece) {
  if (stopped_) return false;
  const char* begin = piece.data();
  const char* p = begin;
  const char* end = p + piece.size();
  auto here = [&] { at_ = offset_ + static_cast<std::uint64_t>(p - begin); };
  while (p < end) {
    switch (token_) {
      case Token::String:
      case Token::Key:
        p = scan_string(p, end);
        if (raw_.size() > max_token_) {
          here();
          return fail("a string longer than " + (max_token_ % (1u << 20) == 0 ? std::to_string(max_token_ >> 20) + " MiB"
                                                                               : std::to_string(max_token_) + " bytes"));
        }
        if (p == end) break;  // the string goes on in the next piece
        here();
        if (!end_string()) return false;
        ++p;  // the closing quote
        continue;
      case Token::Number:
      case Token::Literal: {
        const char* q = p;
        bool number = token_ == Token::Number;
        while (q < end && (number ? in_number(*q) : in_literal(*q))) ++q;
        raw_.append(p, q);
        p = q;
        here();
        if (!number && raw_.size() > 5) return fail("invalid literal '" + raw_.substr(0, 6) + "...'");
        if (raw_.size() > 4096) return fail("a number longer than 4096 digits");
        if (p == end) break;
        if (!(number ? end_number() : end_literal())) return false;
        continue;  // the byte after the token is looked at as structure
      }
      case Token::None:
        if (is_space(*p)) {
          ++p;
          continue;
        }
        here();
        if (!structural(*p)) return false;
        ++p;
        continue;
    }
  }
  offset_ += piece.size();
  return true;
}

bool Parser::finish() {
  if (stopped_) return false;
  at_ = offset_;
  if (token_ == Token::Number && !end_number()) return false;
  if (token_ == Token::Literal && !end_literal()) return false;
  if (token_ != Token::None || expect_ != Expect::Done) return fail("unexpected end of input");
  return true;
}

bool Parser::structural(char c) {
  bool value = expect_ == Expect::Value || expect_ == Expect::ValueOrEnd;
  switch (c) {
    case '{':
      if (!value) break;
      open_.push_back('{');
      expect_ = Expect::KeyOrEnd;
      return handler_.start_object() || stop();
    case '[':
      if (!value) break;
      open_.push_back('[');
      expect_ = Expect::ValueOrEnd;
      return handler_.start_array() || stop();
    case '}':
    case ']': {
      char opener = c == '}' ? '{' : '[';
      bool empty = expect_ == (c == '}' ? Expect::KeyOrEnd : Expect::ValueOrEnd);
      if (!empty && !(expect_ == Expect::CommaOrEnd && open_.back() == opener)) break;
      open_.pop_back();
      if (!(c == '}' ? handler_.end_object() : handler_.end_array())) return stop();
      return after_value();
    }
    case ',':
      if (expect_ != Expect::CommaOrEnd) break;
      expect_ = open_.back() == '{' ? Expect::Key : Expect::Value;
      return true;
    case ':':
      if (expect_ != Expect::Colon) break;
      expect_ = Expect::Value;
      return true;
    case '"':
      if (expect_ == Expect::KeyOrEnd || expect_ == Expect::Key) token_ = Token::Key;
      else if (value) token_ = Token::String;
      else break;
      raw_.clear();
      escaped_ = has_escape_ = false;
      return true;
    default:
      if (!value) break;
      if (c == '-' || is_digit(c)) token_ = Token::Number;
      else if (c == 't' || c == 'f' || c == 'n') token_ = Token::Literal;
      else break;
      raw_.assign(1, c);
      return true;
  }
  switch (expect_) {
    case Expect::Done: return fail("unexpected " + quote(c) + " after the JSON value");
    case Expect::Colon: return fail("unexpected " + quote(c) + " where ':' was expected");
    case Expect::Key:
    case Expect::KeyOrEnd: return fail("unexpected " + quote(c) + " where a member name was expected");
    case Expect::CommaOrEnd:
      return fail("unexpected " + quote(c) + " where ',' or '" + (open_.back() == '{' ? "}" : "]") + "' was expected");
    default: return fail("unexpected " + quote(c) + " where a value was expected");
  }
}

// Appends the string's bytes up to its closing quote (returned) or to the end of the piece.
const char* Parser::scan_string(const char* p, const char* end) {
  const char* q = p;
  if (escaped_ && q < end) {  // the byte after a backslash that ended the last piece
    escaped_ = false;
    ++q;
  }
  while (q < end) {
    // The closing quote, unless a backslash comes first (memchr is much faster than a loop).
    const auto* quote = static_cast<const char*>(std::memchr(q, '"', static_cast<std::size_t>(end - q)));
    const char* stop = quote != nullptr ? quote : end;
    const auto* backslash = static_cast<const char*>(std::memchr(q, '\\', static_cast<std::size_t>(stop - q)));
    q = backslash != nullptr ? backslash : stop;
    if (q == end || *q == '"') break;
    has_escape_ = true;  // a backslash: the next byte is escaped, whatever it is
    if (q + 1 == end) {
      escaped_ = true;
      ++q;
    } else {
      q += 2;
    }
  }
  raw_.append(p, q);
  return q;
}

bool Parser::end_string() {
  bool key = token_ == Token::Key;
  token_ = Token::None;
  std::string* value = &raw_;
  if (has_escape_) {
    text_.clear();
    value = &text_;
  }
  if (const char* why = check_string(raw_, has_escape_ ? &text_ : nullptr)) return fail(why);
  if (key) {
    expect_ = Expect::Colon;
    return handler_.key(*value) || stop();
  }
  return (handler_.string(*value) || stop()) && after_value();
}

bool Parser::end_number() {
  token_ = Token::None;
  const std::string& s = raw_;
  std::size_t i = 0, n = s.size();
  bool negative = s[0] == '-';
  if (negative) ++i;
  auto digits = [&] {
    std::size_t from = i;
    while (i < n && is_digit(s[i])) ++i;
    return i > from;
  };
  bool ok = true, integer = true;
  if (i < n && s[i] == '0') ++i;
  else ok = digits();
  if (ok && i < n && s[i] == '.') {
    integer = false;
    ++i;
    ok = digits();
  }
  if (ok && i < n && (s[i] == 'e' || s[i] == 'E')) {
    integer = false;
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    ok = digits();
  }
  if (!ok || i != n) return fail("invalid number '" + s + "'");
  const char* first = s.data();
  const char* last = first + n;
  if (integer) {
    if (negative) {
      std::int64_t v = 0;
      if (std::from_chars(first, last, v).ec == std::errc()) return (handler_.number_integer(v) || stop()) && after_value();
    } else {
      std::uint64_t v = 0;
      if (std::from_chars(first, last, v).ec == std::errc()) return (handler_.number_unsigned(v) || stop()) && after_value();
    }
    // Too large for 64 bits: a float, as nlohmann has it.
  }
  double d = 0;
  if (std::from_chars(first, last, d).ec == std::errc::result_out_of_range) {
    // Too small is zero; too large has no double (nlohmann refuses it too).
    auto e = s.find_first_of("eE");
    if (e == std::string::npos || s[e + 1] != '-') return fail("number overflow '" + s + "'");
    d = negative ? -0.0 : 0.0;
  }
  return (handler_.number_float(d) || stop()) && after_value();
}

bool Parser::end_literal() {
  token_ = Token::None;
  bool ok;
  if (raw_ == "true") ok = handler_.boolean(true);
  else if (raw_ == "false") ok = handler_.boolean(false);
  else if (raw_ == "null") ok = handler_.null();
  else return fail("invalid literal '" + raw_ + "'");
  return (ok || stop()) && after_value();
}

bool Parser::after_value() {
  expect_ = open_.empty() ? Expect::Done : Expect::CommaOrEnd;
  return true;
}

}  // namespace hcl::json_push
