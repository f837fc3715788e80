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
  return remove_each(ctx, o.names, "service", [&](const std::string& n) -> Status {
    auto s = (*docker)->remove_service(n);
    // With -f a service that is already gone is what was wanted.
    if (!s && o.force && s.error().kind == ErrorKind::NotFound) return ok();
    return s;
  });
}

}  // namespace

void setup_rm(CLI::App* sub, Context& ctx) {
  auto o = std::make_shared<RmOptions>();
  sub->add_option("SERVICE", o->names, "Service names or IDs")->required();
  sub->add_flag("-f,--force", o->force, "Succeed for names that do not exist");
  sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_rm(ctx, *o); }; });
}

}  // namespace hcl::cli
