// environment: and env_file:, merged as compose merges them; the classic Swarm constraint:
// entries found there become placement constraints.
#include "loader.hpp"

#include <hcl/swarm/placement.hpp>

#include <fmt/format.h>

#include <algorithm>

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

  void set(const std::string& key, const std::string& value, const Location& where) { put(key, key + "=" + value, where); }
  void set_bare(const std::string& key, const Location& where) { put(key, key, where); }

 private:
  void put(const std::string& key, std::string text, const Location& where) {
    if (key.starts_with("constraint:") || key.starts_with("affinity:")) {
      items.push_back({text, "", where});
      return;
    }
    for (auto& item : items) {
      if (item.key == key) {
        item = {std::move(text), key, where};
        return;
      }
    }
    items.push_back({std::move(text), key, where});
  }
};

constexpr KeyRule kEnvFileKeys[] = {{"path", Rule::Use, ""}, {"required", Rule::Use, ""}, {"format", Rule::Use, ""}};

// One env_file entry: a path, or {path, required, format} (the compose specification's form).
void read_env_file_entry(const Node& item, Context& ctx, EnvList& env) {
  const Node* path_node = &item;
  bool required = true;
  bool raw = false;
  if (item.is_map()) {
    check_keys(item, kEnvFileKeys, "env_file.", ctx.diag);
    path_node = item.get("path");
    if (!path_node) {
      ctx.diag.error(item.where, "an env_file entry in long syntax needs a path");
      return;
    }
    if (const Node* r = item.get("required")) required = as_bool(*r, "env_file.required", ctx.diag).value_or(true);
    if (const Node* f = item.get("format")) {
      auto format = as_string(*f, "env_file.format", ctx.diag);
      if (format && *format != "raw")
        ctx.diag.error(f->where, fmt::format("env_file.format must be raw (or left out), not '{}'", *format));
      raw = format == "raw";
    }
  }
  auto text = as_string(*path_node, "env_file", ctx.diag);
  if (!text) return;
  std::filesystem::path p = *text;
  if (p.is_relative()) p = ctx.dir / p;
  std::string shown = p.lexically_normal().string();
  std::error_code ec;
  if (!required && !std::filesystem::exists(p, ec)) return;
  auto lines = read_env_file(shown, ctx.diag, raw);
  if (!lines) {
    const std::string& why = lines.error().why;
    auto because = unreadable_because(why, "the env file");
    ctx.diag.error(path_node->where,
                   because ? fmt::format("env_file '{}' cannot be read: {} (paths are relative to the manifest's directory)",
                                         *text, *because)
                           : fmt::format("env_file '{}': {}", *text, why));
    return;
  }
  for (const auto& line : *lines) {
    auto value = line.value ? line.value : ctx.getenv(line.key);
    if (value) env.set(line.key, *value, line.where);
  }
}

void read_env_files(const Node& node, Context& ctx, EnvList& env) {
  if (node.is_seq()) {
    for (const auto& item : node.items) read_env_file_entry(item, ctx, env);
  } else if (!node.is_null()) {
    read_env_file_entry(node, ctx, env);
  }
}

void read_environment(const Node& node, Context& ctx, EnvList& env) {
  Diagnostics& diag = ctx.diag;
  // A bare name takes its value from hcl's own environment; when that is unset too it stays bare
  // ("KEY"), which unsets it in the container, as docker stack deploy sends it.
  auto add = [&](const std::string& key, const std::optional<std::string>& value, const Location& where) {
    if (key.empty()) {
      diag.error(where, "environment entry has no name; expected KEY=VALUE");
      return;
    }
    auto v = value ? value : ctx.getenv(key);
    if (v)
      env.set(key, *v, where);
    else
      env.set_bare(key, where);
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

void read_env(const Node& s, Context& ctx, ParsedService& out) {
  EnvList env;
  if (const Node* f = s.get("env_file")) read_env_files(*f, ctx, env);
  if (const Node* e = s.get("environment")) read_environment(*e, ctx, env);
  auto& spec_env = out.def.spec.env;
  for (const auto& item : env.items) {
    if (!item.key.empty()) {
      spec_env.push_back(item.text);
      continue;
    }
    auto classic = swarm::split_classic_env({item.text}, item.where.str());
    if (!classic) {
      ctx.diag.error(item.where, fmt::format("environment entry '{}': {}", item.text, classic.error().why));
      continue;
    }
    for (const auto& c : classic->constraints) out.constraints.push_back(c.expression());
  }
  // Sorted, as docker stack deploy sends them: the same environment in another order would be
  // a changed spec, and restart every task.
  std::sort(spec_env.begin(), spec_env.end());
}

}  // namespace hcl::manifest::detail
