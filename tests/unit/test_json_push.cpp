// The push JSON parser (lib/json/push.hpp) against nlohmann's SAX parser: the same events for
// the same text, whatever pieces it comes in, and the same texts refused.
#include "json/push.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace hcl;
using json = nlohmann::json;

namespace {

// Both parsers' events written the same way: one line per event.
struct Log {
  std::string text;
  bool event(const std::string& line) {
    text += line + "\n";
    return true;
  }
};

struct PushLog final : json_push::Handler, Log {
  bool null() override { return event("null"); }
  bool boolean(bool v) override { return event(v ? "true" : "false"); }
  bool number_integer(std::int64_t v) override { return event("int " + std::to_string(v)); }
  bool number_unsigned(std::uint64_t v) override { return event("uint " + std::to_string(v)); }
  bool number_float(double v) override { return event("float " + json(v).dump()); }
  bool string(std::string& v) override { return event("string " + json(v).dump()); }
  bool start_object() override { return event("{"); }
  bool key(std::string& k) override { return event("key " + json(k).dump()); }
  bool end_object() override { return event("}"); }
  bool start_array() override { return event("["); }
  bool end_array() override { return event("]"); }
};

struct NlohmannLog : Log {
  bool null() { return event("null"); }
  bool boolean(bool v) { return event(v ? "true" : "false"); }
  bool number_integer(json::number_integer_t v) { return event("int " + std::to_string(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return event("uint " + std::to_string(v)); }
  bool number_float(json::number_float_t v, const std::string&) { return event("float " + json(v).dump()); }
  bool string(std::string& v) { return event("string " + json(v).dump()); }
  bool binary(json::binary_t&) { return event("binary"); }
  bool start_object(std::size_t) { return event("{"); }
  bool key(std::string& k) { return event("key " + json(k).dump()); }
  bool end_object() { return event("}"); }
  bool start_array(std::size_t) { return event("["); }
  bool end_array() { return event("]"); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }
};

struct Parsed {
  bool ok;
  std::string events;
  std::string error;
};

// The text in pieces of `piece` bytes (0: whole).
Parsed push(const std::string& text, std::size_t piece) {
  PushLog log;
  json_push::Parser p(log);
  bool ok = true;
  if (piece == 0) {
    ok = p.feed(text);
  } else {
    for (std::size_t i = 0; ok && i < text.size(); i += piece) ok = p.feed(std::string_view(text).substr(i, piece));
  }
  ok = ok && p.finish();
  return {ok, log.text, p.error()};
}

Parsed reference(const std::string& text) {
  NlohmannLog log;
  bool ok = json::sax_parse(text, &log);
  return {ok, log.text, {}};
}

}  // namespace

TEST_CASE("push parser: the same events as nlohmann's, whatever the pieces") {
  const std::vector<std::string> valid = {
      "[]", "{}", " [ ] ", "\n{\r\n}\t", "0", "-0", "12", "-12", "1.5", "-1.5e3", "1E+2", "2e-3", "0.0",
      "18446744073709551615", "18446744073709551616", "-9223372036854775808", "-9223372036854775809",
      "1e-400", "-1e-400", "true", "false", "null", "\"\"", "\"abc\"",
      R"("a\"b\\c\/d\b\f\n\r\t")", R"("\u0041\u00e9\u20ac\ud83d\ude00")", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
      R"([1,2,[3,[4,{}]],{"a":{"b":[]}}])", R"({"k":"v","n":null,"t":true,"f":false,"x":[1,-2,3.25]})",
      R"([{"ID":"abc","Labels":{},"Status":{"State":"running","Addresses":["10.0.0.1/24"]}}])",
      R"({"":"","\u0000":"\u001f"})", "[\"" + std::string(5000, 'x') + "\"]",
  };
  for (const auto& text : valid) {
    CAPTURE(text);
    Parsed want = reference(text);
    REQUIRE(want.ok);
    for (std::size_t piece : {0, 1, 2, 7, 64}) {
      CAPTURE(piece);
      Parsed got = push(text, piece);
      CHECK(got.ok);
      CHECK(got.error.empty());
      CHECK(got.events == want.events);
    }
  }
}

TEST_CASE("push parser: refuses what nlohmann refuses, saying where") {
  const std::vector<std::string> invalid = {
      "", " ", "[", "[1,", "[1,]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}", "[1 2]", "]", "[}", "{]",
      "[1]]", "[1] x", "01", "-", "1.", ".5", "1e", "1e+", "+1", "tru", "truex", "nul", "True", "\"abc",
      "\"a\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"",
      "\"a\tb\"", "\"\x01\"", "\"\xff\"", "\"\xc3\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
      "<html>proxy error</html>", "[1,2", "1e400", "[-1e400]", "{\"a\":[1,{\"b\":2}", "nullnull", "[]]",
  };
  for (const auto& text : invalid) {
    CAPTURE(text);
    REQUIRE_FALSE(reference(text).ok);
    for (std::size_t piece : {0, 1, 7}) {
      CAPTURE(piece);
      Parsed got = push(text, piece);
      CHECK_FALSE(got.ok);
      CHECK(got.error.find(" at byte ") != std::string::npos);
    }
  }
}

TEST_CASE("push parser: errors name the byte") {
  CHECK(push("[1,]", 0).error == "unexpected ']' where a value was expected at byte 4");
  CHECK(push("[1,]", 1).error == "unexpected ']' where a value was expected at byte 4");
  CHECK(push("[1,2", 7).error == "unexpected end of input at byte 5");
  CHECK(push("<html>", 0).error == "unexpected '<' where a value was expected at byte 1");
  CHECK(push("{\"a\" 1}", 3).error == "unexpected '1' where ':' was expected at byte 6");
  CHECK(push("[\"\xff\"]", 1).error == "invalid string: ill-formed UTF-8 at byte 4");
}

TEST_CASE("push parser: a string or number without end is refused at its limit, not kept") {
  // Found from outside: a 1 GB JSON string in /nodes was read whole.
  std::string big = "[\"" + std::string(json_push::kMaxTokenBytes + 10, 'a') + "\"]";
  auto got = push(big, 64 * 1024);
  CHECK_FALSE(got.ok);
  CHECK(got.error.starts_with("a string longer than 1 MiB at byte "));
  CHECK(push("[" + std::string(5000, '7') + "]", 1000).error.starts_with("a number longer than 4096 digits"));
}

TEST_CASE("push parser: a handler that returns false stops it, with no error of its own") {
  struct Stop final : json_push::Handler {
    int strings = 0;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(std::int64_t) override { return true; }
    bool number_unsigned(std::uint64_t) override { return true; }
    bool number_float(double) override { return true; }
    bool string(std::string&) override { return ++strings < 2; }
    bool start_object() override { return true; }
    bool key(std::string&) override { return true; }
    bool end_object() override { return true; }
    bool start_array() override { return true; }
    bool end_array() override { return true; }
  } stop;
  json_push::Parser p(stop);
  CHECK_FALSE(p.feed(R"(["a","b","c"])"));
  CHECK(stop.strings == 2);
  CHECK_FALSE(p.feed("]"));
  CHECK_FALSE(p.finish());
  CHECK(p.error().empty());
}
