// hcl config: the effective endpoints and settings, and where each one came from.
#include "commands.hpp"

#include <hcl/output.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

namespace hcl::cli {
namespace {

struct ConfigOptions {
  Format format = Format::Table;
};

std::string origin(const config::Origin& o) {
  if (o.level == config::Origin::Level::Default) return "default";
  return fmt::format("{} {}", config::to_string(o.level), o.name);
}

std::string tls(const http::Endpoint& e) {
  if (!e.tls) return "off";
  std::string s = e.tls->verify ? "on, verified" : "on, NOT verified";
  if (!e.tls->ca_file.empty()) s += ", ca " + e.tls->ca_file;
  if (!e.tls->cert_file.empty()) s += ", cert " + e.tls->cert_file;
  if (!e.tls->key_file.empty()) s += ", key " + e.tls->key_file;
  return s;
}

Status run_config(Context& ctx, const ConfigOptions& o) {
  auto c = ctx.config();
  if (!c) return c.error();
  const config::Config& cfg = **c;
  if (o.format == Format::Json) {
    ctx.out(output::config_json(cfg));
    return ok();
  }
  std::string s;
  s += fmt::format("docker           {}  ({})\n", cfg.docker.value.display(), origin(cfg.docker.origin));
  if (cfg.docker_context)
    s += fmt::format("docker context   {}  ({})\n", cfg.docker_context->value, origin(cfg.docker_context->origin));
  s += fmt::format("docker tls       {}\n", tls(cfg.docker.value));
  // The other managers: those listed with the engine, then those hcl has seen in the swarm.
  if (auto eps = ctx.docker_endpoints(); eps && (*eps)->size() > 1) {
    std::vector<std::string> others;
    for (const auto& e : **eps)
      if (e.endpoint.display() != cfg.docker.value.display())
        others.push_back(e.name.empty() ? e.endpoint.display() + " (listed)" : e.name + " " + e.endpoint.display() + " (seen)");
    s += fmt::format("docker managers  {}\n", text::join(others, ", "));
  }
  s += fmt::format("consul           {}  ({})\n", cfg.consul.value.display(), origin(cfg.consul.origin));
  s += fmt::format("consul tls       {}\n", tls(cfg.consul.value));
  // Only whether a token is set and where from: the token itself is never printed.
  s += fmt::format("consul token     {}\n", cfg.consul_token_origin ? "set (" + origin(*cfg.consul_token_origin) + ")" : "none");
  s += fmt::format("connect timeout  {}  ({})\n", http::describe(cfg.connect_timeout.value), origin(cfg.connect_timeout.origin));
  s += fmt::format("request timeout  {}  ({})\n", http::describe(cfg.request_timeout.value), origin(cfg.request_timeout.origin));
  s += fmt::format("config file      {}{}\n", cfg.config_file.empty() ? "none" : cfg.config_file,
                   cfg.config_file_loaded ? "" : " (not found, not used)");
  ctx.out(s);
  return ok();
}

}  // namespace

void setup_config(CLI::App* sub, Context& ctx) {
  auto o = std::make_shared<ConfigOptions>();
  add_format_flags(sub, o->format, nullptr);
  sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_config(ctx, *o); }; });
}

}  // namespace hcl::cli
