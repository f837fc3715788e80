// hcl rm: remove services (what `hcl run -d` started).
#include "commands.hpp"

#include <fmt/format.h>

namespace hcl::cli {
namespace {

struct RmOptions {
  std::vector<std::string> names;
  bool force = false;
};

Status run_rm(Context& ctx, const RmOptions& o) {
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  std::optional<Error> first;
  std::vector<std::string> failed;
  for (const auto& name : o.names) {
    auto s = (*docker)->remove_service(name);
    if (s || (o.force && s.error().kind == ErrorKind::NotFound)) {
      if (s) ctx.out(name + "\n");
      continue;
    }
    if (!first) first = s.error();
    failed.push_back(fmt::format("{}: {}", name, s.error().why));
  }
  if (!first) return ok();
  if (failed.size() == 1) return wrap(*first, "removing service");
  std::string why;
  for (const auto& f : failed) why += (why.empty() ? "" : "; ") + f;
  return Error{first->kind, fmt::format("removing {} of {} services failed", failed.size(), o.names.size()), why};
}

}  // namespace

void setup_rm(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<RmOptions>();
  auto* sub = app.add_subcommand("rm", "Remove services and their containers");
  sub->add_option("NAME", o->names, "Service names or IDs")->required();
  sub->add_flag("-f,--force", o->force, "Succeed for names that do not exist");
  sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_rm(ctx, *o); }; });
}

}  // namespace hcl::cli
