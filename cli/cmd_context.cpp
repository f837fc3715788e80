// hcl context ls: the docker CLI's contexts, as hcl reads them (read-only: `docker context`
// manages them), with the one hcl uses marked.
#include "commands.hpp"
#include "table.hpp"

#include <hcl/output.hpp>

#include <fmt/format.h>

namespace hcl::cli {
namespace {

struct ContextListOptions {
  Format format = Format::Table;
  bool quiet = false;
};

Status run_context_list(Context& ctx, const ContextListOptions& o) {
  auto env = config::process_environment();
  auto contexts = config::docker_contexts(env);
  if (!contexts) return contexts.error();
  // The one in use: what the configuration chose ("default" when none did). A configuration
  // that fails (DOCKER_CONTEXT naming no context) is said, and the list shown all the same: it
  // is what such a user needs to see.
  auto c = ctx.config();
  if (!c) ctx.warn(c.error().message());
  std::string current, endpoint;  // endpoint: the default's, when no context is used
  if (c) {
    current = (*c)->docker_context ? (*c)->docker_context->value : config::kDefaultContext;
    if (current == config::kDefaultContext) endpoint = (*c)->docker.value.display();
  }
  if (o.format == Format::Json) {
    ctx.out(output::contexts_json(*contexts, current, endpoint));
    return ok();
  }
  if (o.quiet) {
    std::string s = std::string(config::kDefaultContext) + "\n";
    for (const auto& x : *contexts) s += safe_text(x.name) + "\n";
    ctx.out(s);
    return ok();
  }
  Table t({"NAME", "DESCRIPTION", "DOCKER ENDPOINT"});
  auto mark = [&](const std::string& name) { return name == current ? name + " *" : name; };
  t.add({mark(config::kDefaultContext), "hcl's own settings (DOCKER_HOST, config file, default)", endpoint});
  for (const auto& x : *contexts) t.add({safe_text(mark(x.name)), safe_text(x.description), safe_text(x.host)});
  ctx.out(t.render(ctx));
  return ok();
}

}  // namespace

void setup_context(CLI::App* sub, Context& ctx) {
  sub->require_subcommand(1);
  auto l = std::make_shared<ContextListOptions>();
  auto* ls = sub->add_subcommand("ls", "List the docker CLI's contexts; * marks the one hcl uses");
  ls->alias("list");
  add_format_flags(ls, l->format, &l->quiet);
  ls->callback([&ctx, l] { ctx.action = [&ctx, l] { return run_context_list(ctx, *l); }; });
}

}  // namespace hcl::cli
