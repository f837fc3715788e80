// Whole answers as documents (lib/json/document.hpp): the same document nlohmann's parse makes,
// for every JSON answer recorded from the engines, and the bounds nlohmann's parse lacks.
#include "json/document.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace hcl;
using json = nlohmann::json;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string error_of(const std::string& text) {
  try {
    json_push::parse_document(text);
  } catch (const json_push::SyntaxError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("document: every recorded JSON answer gives nlohmann's document, number types included") {
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::string(HCL_TEST_DATA) + "/docker")) {
    if (e.path().extension() != ".json") continue;
    std::string text = slurp(e.path());
    CAPTURE(e.path().string());
    json want = json::parse(text);
    json got = json_push::parse_document(text);
    CHECK(got == want);
    // == compares 5 and 5u alike; the dump keeps what each number is (and a float's form).
    CHECK(got.dump() == want.dump());
    ++files;
  }
  CHECK(files >= 30);
}

TEST_CASE("document: values of each kind, as nlohmann has them") {
  for (std::string text : {R"({"a":1,"b":-1,"c":1.5,"d":18446744073709551616,"e":"x\u00e9\ud83d\ude00","f":[true,false,null],"g":{}})",
                           R"([])", R"("only")", R"(  7  )", R"({"k":1,"k":2})", R"([1e-400, -0.0, 1E2])"}) {
    CAPTURE(text);
    json want = json::parse(text);
    json got = json_push::parse_document(text);
    CHECK(got == want);
    CHECK(got.dump() == want.dump());
  }
  json j = json_push::parse_document(R"({"u":5,"i":-5,"k":1,"k":2})");
  CHECK(j["u"].is_number_unsigned());
  CHECK(j["i"].is_number_integer());
  CHECK(j["k"] == 2);  // a member named twice: the last
}

TEST_CASE("document: what is not one JSON value is refused, naming the byte") {
  CHECK(error_of("") == "unexpected end of input at byte 1");
  CHECK(error_of("<html>") == "unexpected '<' where a value was expected at byte 1");
  CHECK(error_of(R"({"a":1,})") == "unexpected '}' where a member name was expected at byte 8");
  CHECK(error_of("[1] [2]") == "unexpected '[' after the JSON value at byte 5");
  CHECK(error_of("\"\xff\"").starts_with("invalid string: ill-formed UTF-8"));
  CHECK(error_of("1e400") == "number overflow '1e400' at byte 6");
}

TEST_CASE("document: nesting and the count of values are bounded; a long string is not") {
  std::string deep_ok(json_push::kMaxDocumentDepth, '[');
  deep_ok += std::string(json_push::kMaxDocumentDepth, ']');
  CHECK(json_push::parse_document(deep_ok).is_array());
  std::string deep = "[" + deep_ok + "]";
  CHECK(error_of(deep) == "values nested deeper than 64 levels at byte 65");
  // 4 MiB of '[' (as much as an answer read whole can be): refused at once, not built.
  CHECK(error_of(std::string(4u << 20, '[')) == "values nested deeper than 64 levels at byte 65");

  // The outer array and 400,000 empty ones in it: one value too many, refused at the last one.
  std::string many = "[";
  for (std::size_t i = 0; i + 1 < json_push::kMaxDocumentValues; ++i) many += "[],";
  CHECK(error_of(many + "[]]") == "more than 400000 values at byte " + std::to_string(many.size() + 1));
  many.back() = ']';  // without it: 400,000 values, taken
  CHECK(json_push::parse_document(many).size() == json_push::kMaxDocumentValues - 1);

  // A config's data can be 1000 KiB, 1.3 MiB in base64: beyond the streamed lists' 1 MiB.
  std::string data(1'400'000, 'A');
  CHECK(json_push::parse_document(R"({"Data":")" + data + R"("})")["Data"] == data);
}
