// ${VAR} interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err},
// ${VAR:+alt}, $VAR and $$, nested in each other.
#include "fuzz_common.hpp"

#include <hcl/manifest.hpp>

using namespace hcl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  config::Env env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "A") return "a";
    if (name == "EMPTY") return "";
    if (name == "DOLLAR") return "$B";  // values are not interpolated again
    if (name == "LONG") return std::string(100, 'x');
    return std::nullopt;
  };
  manifest::Location where{"compose.yml", 3, 7};
  auto r = manifest::interpolate(text, env, where);
  if (!r) {
    FUZZ_CHECK(r.error().kind == ErrorKind::Usage);
    FUZZ_CHECK(r.error().what == "compose.yml:3:7");
    return 0;
  }
  // Text without a '$' is left alone.
  if (text.find('$') == std::string_view::npos) FUZZ_CHECK(*r == text);
  return 0;
}
