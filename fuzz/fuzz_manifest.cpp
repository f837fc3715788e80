// The manifest loader: YAML, interpolation, the .env file and every validation. The input is the
// manifest, optionally followed by a NUL byte and the .env file beside it. A manifest that loads
// is then planned against an empty cluster, rendered as `hcl deploy --format json` would, and
// applied (every spec encoded for the engine).
#include "fuzz_common.hpp"

#include <hcl/ops/apply.hpp>
#include <hcl/ops/plan.hpp>
#include <hcl/manifest.hpp>
#include <hcl/output.hpp>

#include <filesystem>

using namespace hcl;

namespace {

std::optional<std::string> lookup(const std::string& name) {
  static const std::map<std::string, std::string> env = {
      {"HOME", "/home/pirate"}, {"TAG", "1.2"}, {"EMPTY", ""}, {"PORT", "8080"}, {"REPLICAS", "3"}, {"NODE", "master"}};
  auto it = env.find(name);
  if (it == env.end()) return std::nullopt;
  return it->second;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [manifest_text, env_text] = fuzz::split_nul(fuzz::as_text(data, size));
  // A fixed directory name, so that the project name (taken from it) is the same in every run.
  static const std::string dir = [] {
    std::string d = fuzz::scratch_dir() + "/proj";
    std::filesystem::create_directories(d);
    return d;
  }();
  std::string path = fuzz::write_file("proj/compose.yml", manifest_text);
  if (env_text.empty())
    std::filesystem::remove(dir + "/.env");
  else
    fuzz::write_file("proj/.env", env_text);

  manifest::LoadOptions options;
  options.env = lookup;
  auto project = manifest::load(path, options);
  if (!project) {
    FUZZ_CHECK(project.error().kind == ErrorKind::Usage);
    FUZZ_CHECK(!project.error().what.empty() && !project.error().why.empty());
    return 0;
  }
  FUZZ_CHECK(!project->name.empty());
  for (const auto& s : project->services) FUZZ_CHECK(!s.spec.image.empty());

  fuzz::FuzzTransport t({200, {}, "[]"});
  t.on("GET /_ping", {200, {{"Api-Version", "1.41"}}, "OK"});
  docker::Client api(t);
  auto plan = ops::plan_deploy(api, *project, true);
  if (plan) {
    (void)output::plan_json(*plan);
    // Applying it encodes every service spec as the engine's JSON.
    (void)ops::apply_plan(api, *plan, {});
  }
  return 0;
}
