// environment: and env_file:, merged as compose merges them; the classic Swarm constraint:
// entries found there become placement constraints.
#include "loader.hpp"

#include <hcl/swarm/placement.hpp>

#include <fmt/format.h>

namespace hcl::manifest::detail {
namespace {

// The environment in order, a later value of a key replacing an earlier one in place, as
// compose merges env_file and environment. Classic constraint: entries are kept apart.
struct EnvList {
  struct Item {
    std::string text;  // "K=V" or "constraint:..."
    std::string key;   // "" for classic entries, which are never merged
    Location where;
  };
  std::vector<Item> items;

  void set(const std::string& key, const std::string& value, const Location& where) {
    std::string text = key + "=" + value;
    if (key.starts_with("constraint:") || key.starts_with("affinity:")) {
      items.push_back({text, "", where});
      return;
    }
    for (auto& item : items) {
      if (item.key == key) {
        item = {text, key, where};
        return;
      }
    }
    items.push_back({text, key, where});
  }
};

void read_env_files(const Node& node, Context& ctx, EnvList& env) {
  auto files = as_string_or_list(node, "env_file", ctx.diag);
  if (!files) return;
  for (const Node* f : *files) {
    std::filesystem::path p = f->text;
    if (p.is_relative()) p = ctx.dir / p;
    std::string shown = p.lexically_normal().string();
    auto lines = read_env_file(shown, ctx.diag);
    if (!lines) {
      ctx.diag.error(f->where, fmt::format("env_file '{}' cannot be read (paths are relative to the manifest's "
                                           "directory)",
                                           f->text));
      continue;
    }
    for (const auto& line : *lines) {
      auto value = line.value ? line.value : ctx.getenv(line.key);
      if (value) env.set(line.key, *value, line.where);
    }
  }
}

void read_environment(const Node& node, Context& ctx, EnvList& env) {
  Diagnostics& diag = ctx.diag;
  // A bare name takes its value from hcl's own environment, and is left out when unset.
  auto add = [&](const std::string& key, const std::optional<std::string>& value, const Location& where) {
    if (key.empty()) {
      diag.error(where, "environment entry has no name; expected KEY=VALUE");
      return;
    }
    auto v = value ? value : ctx.getenv(key);
    if (v) env.set(key, *v, where);
  };
  if (node.is_seq()) {
    for (const auto& item : node.items) {
      if (!item.is_scalar()) {
        diag.error(item.where, fmt::format("each item of environment must be a string KEY=VALUE, not {}", describe(item)));
        continue;
      }
      auto eq = item.text.find('=');
      if (eq == std::string::npos)
        add(item.text, std::nullopt, item.where);
      else
        add(item.text.substr(0, eq), item.text.substr(eq + 1), item.where);
    }
  } else if (node.is_map()) {
    for (const auto& e : node.entries) {
      if (e.value.is_seq() || e.value.is_map())
        diag.error(e.value.where, fmt::format("environment.{} must be a string, not {}", e.key, describe(e.value)));
      else
        add(e.key, e.value.is_null() ? std::nullopt : std::optional<std::string>(e.value.text), e.where);
    }
  } else if (!node.is_null()) {
    diag.error(node.where, fmt::format("environment must be a list of KEY=VALUE or a mapping, not {}", describe(node)));
  }
}

}  // namespace

void read_env(const Node& s, Context& ctx, docker::ServiceSpec& spec, std::vector<std::string>& constraints) {
  EnvList env;
  if (const Node* f = s.get("env_file")) read_env_files(*f, ctx, env);
  if (const Node* e = s.get("environment")) read_environment(*e, ctx, env);
  for (const auto& item : env.items) {
    if (!item.key.empty()) {
      spec.env.push_back(item.text);
      continue;
    }
    auto classic = swarm::split_classic_env({item.text}, item.where.str());
    if (!classic) {
      ctx.diag.error(item.where, fmt::format("environment entry '{}': {}", item.text, classic.error().why));
      continue;
    }
    for (const auto& c : classic->constraints) constraints.push_back(c.expression());
  }
}

}  // namespace hcl::manifest::detail
