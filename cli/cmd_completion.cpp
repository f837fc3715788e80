// hcl completion bash|zsh|fish: the completion script, generated from the flag definitions.
// Hidden helpers for those scripts and the build:
//   hcl __complete nodes|networks|services|projects  live names, one per line (short timeouts)
//   hcl __man                                         the man page, hcl(1), in roff
#include "cli_spec.hpp"
#include "commands.hpp"

#include <hcl/ops/project.hpp>
#include <hcl/ops/version.hpp>

#include <algorithm>

namespace hcl::cli {
namespace {

// The cluster is asked with short timeouts: a shell waits on this at every Tab.
constexpr const char* kLiveTimeout = "1s";

Result<std::vector<std::string>> live_names(Context& ctx, const std::string& kind) {
  ctx.flags.connect_timeout = kLiveTimeout;
  ctx.flags.timeout = kLiveTimeout;
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  std::vector<std::string> names;
  if (kind == "nodes") {
    auto nodes = (*docker)->nodes();
    if (!nodes) return nodes.error();
    for (const auto& n : *nodes) names.push_back(n.hostname);
  } else if (kind == "networks") {
    auto nets = (*docker)->networks();
    if (!nets) return nets.error();
    for (const auto& n : *nets) names.push_back(n.name);
  } else if (kind == "services") {
    auto services = (*docker)->services();
    if (!services) return services.error();
    for (const auto& s : *services) names.push_back(s.spec.name);
  } else {
    auto projects = ops::list_projects(**docker);
    if (!projects) return projects.error();
    for (const auto& p : *projects) names.push_back(p.name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace

void setup_completion(CLI::App* sub, Context& ctx) {
  auto shell = std::make_shared<std::string>();
  CLI::App& app = *sub->get_parent();
  sub->add_option("SHELL", *shell, "The shell")->required()->check(CLI::Validator(
      [](std::string& v) { return v == "bash" || v == "zsh" || v == "fish" ? std::string() : "expected bash, zsh or fish, not '" + v + "'"; },
      "bash|zsh|fish"));
  sub->footer("Install: hcl completion bash > /etc/bash_completion.d/hcl (or ~/.local/share/bash-completion/completions/hcl);\n"
              "zsh: hcl completion zsh > ~/.zfunc/_hcl with ~/.zfunc in $fpath; fish: hcl completion fish >\n"
              "~/.config/fish/completions/hcl.fish. Packages install them in the standard places.");
  sub->callback([&app, &ctx, shell] {
    ctx.action = [&app, &ctx, shell] {
      CommandSpec spec = describe(app);
      ctx.out(*shell == "bash" ? bash_completion(spec) : *shell == "zsh" ? zsh_completion(spec) : fish_completion(spec));
      return ok();
    };
  });
}

// Hidden (no summary): the scripts' helper. It prints nothing and exits 0 when the cluster does
// not answer, so a shell completes the static words instead of printing an error under the prompt.
void setup_complete_names(CLI::App* live, Context& ctx) {
  auto kind = std::make_shared<std::string>();
  live->add_option("KIND", *kind)->required()->check(CLI::IsMember({"nodes", "networks", "services", "projects"}));
  live->callback([&ctx, kind] {
    ctx.action = [&ctx, kind]() -> Status {
      auto names = live_names(ctx, *kind);
      if (!names) return ok();
      std::string text;
      for (const auto& n : *names) text += n + "\n";
      ctx.out(text);
      return ok();
    };
  });
}

// Hidden: hcl(1) in roff, from the same definitions as --help.
void setup_man(CLI::App* man, Context& ctx) {
  CLI::App& app = *man->get_parent();
  man->callback([&app, &ctx] {
    ctx.action = [&app, &ctx] {
      ctx.out(man_page(describe(app), hcl::version()));
      return ok();
    };
  });
}

}  // namespace hcl::cli
