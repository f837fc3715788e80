// What the inline manifest tests share: each manifest written to a directory of its own and
// loaded, the spec of a service, an error's text without the directory.
#pragma once

#include <hcl/manifest.hpp>

#include "fake_env.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace hcl::testing {

using namespace hcl::manifest;
namespace fs = std::filesystem;

// Each manifest gets a directory of its own, named "demo" so that the project is "demo".
struct Written {
  fs::path dir;
  std::string file;
};

// Removed when the tests end.
struct Scratch {
  fs::path root = fs::temp_directory_path() / ("hcl-manifest-" + std::to_string(getpid()));
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

inline Written write(const std::string& yaml, const std::map<std::string, std::string>& extra_files = {}) {
  static Scratch scratch;
  static int counter = 0;
  fs::path dir = scratch.root / std::to_string(++counter) / "demo";
  fs::create_directories(dir);
  std::ofstream(dir / "compose.yml") << yaml;
  for (const auto& [name, text] : extra_files) std::ofstream(dir / name) << text;
  return {dir, (dir / "compose.yml").string()};
}

inline Result<Project> load_yaml(const std::string& yaml, std::map<std::string, std::string> vars = {},
                          const std::map<std::string, std::string>& extra_files = {}) {
  LoadOptions o;
  o.env = env_of(std::move(vars));
  return load(write(yaml, extra_files).file, o);
}

// The spec of the only (or the named) service, failing the test when loading failed.
inline docker::ServiceSpec spec_of(const Result<Project>& r, const std::string& key = "") {
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  for (const auto& s : r->services)
    if (key.empty() || s.key == key) return s.spec;
  FAIL("no service " << key);
  return {};
}

// The error's message without the directory: "compose.yml:4:5: why".
inline std::string error_of(const Result<Project>& r) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Usage);
  std::string file = r.error().what.substr(0, r.error().what.find(':'));  // "DIR/compose.yml:3:1 (...)"
  std::string dir = file.substr(0, file.rfind('/') + 1);
  std::string text = r.error().what + ": " + r.error().why;
  for (auto pos = text.find(dir); pos != std::string::npos; pos = text.find(dir)) text.erase(pos, dir.size());
  return text;
}

inline std::string svc(const std::string& body) { return "services:\n  web:\n    image: busybox\n" + body; }

}  // namespace hcl::testing
