// The effective configuration: the config file (YAML), then environment variables, resolved as
// `hcl config` does and rendered as its JSON. The input is the config file, optionally followed
// by a NUL byte and environment lines (NAME=VALUE).
#include "fuzz_common.hpp"

#include <hcl/config.hpp>
#include <hcl/output.hpp>

using namespace hcl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [file_text, env_text] = fuzz::split_nul(fuzz::as_text(data, size));
  std::string path = fuzz::write_file("config.yaml", file_text);

  std::map<std::string, std::string> vars{{"HCL_CONFIG", path}, {"HOME", "/nonexistent"}};
  std::size_t start = 0;
  while (start < env_text.size()) {
    auto nl = env_text.find('\n', start);
    std::string_view line = env_text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    auto eq = line.find('=');
    if (eq != std::string_view::npos) vars[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  config::Env env = [&](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  auto cfg = config::resolve({}, env);
  if (!cfg) {
    FUZZ_CHECK(cfg.error().kind == ErrorKind::Usage || cfg.error().kind == ErrorKind::Tls);
    return 0;
  }
  // The environment lines may set HCL_CONFIG too; empty, it is unset, and there is no file.
  FUZZ_CHECK(cfg->config_file_loaded || vars["HCL_CONFIG"] != path);
  FUZZ_CHECK(cfg->connect_timeout.value.count() >= 1 && cfg->request_timeout.value.count() >= 1);
  (void)output::config_json(*cfg);
  return 0;
}
