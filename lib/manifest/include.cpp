// include: the services, networks, volumes, secrets and configs of other compose files added to
// the manifest's, as the compose specification has it. Each included file is read with its own
// includes and extends, its relative paths made absolute against its own directory (or the
// project_directory given), and its positions naming it; a name defined twice is an error.
#include "loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace hcl::manifest::detail {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxIncludeDepth = 8;
constexpr KeyRule kIncludeKeys[] = {
    {"path", Rule::Use, ""},
    {"project_directory", Rule::Use, ""},
    {"env_file", Rule::Use, ""},
};
constexpr std::string_view kSections[] = {"services", "networks", "volumes", "secrets", "configs"};

std::string_view noun(std::string_view section) {
  return section == "services"   ? "service"
         : section == "networks" ? "network"
         : section == "volumes"  ? "volume"
         : section == "secrets"  ? "secret"
                                 : "config";
}

Entry* entry_of(Node& map, std::string_view key) {
  for (auto& e : map.entries)
    if (e.key == key) return &e;
  return nullptr;
}

struct Include {
  std::vector<const Node*> paths;
  const Node* project_directory = nullptr;
  std::vector<const Node*> env_files;
};

std::optional<Include> read_item(const Node& item, Diagnostics& diag) {
  Include inc;
  if (item.is_scalar()) {
    inc.paths.push_back(&item);
    return inc;
  }
  if (!item.is_map()) {
    diag.error(item.where, fmt::format("each item of include must be a path or a mapping, not {}", describe(item)));
    return std::nullopt;
  }
  check_keys(item, kIncludeKeys, "include.", diag);
  const Node* path = item.get("path");
  if (!path) {
    diag.error(item.where, "an include in long syntax needs a path");
    return std::nullopt;
  }
  auto paths = as_string_or_list(*path, "include.path", diag);
  if (!paths) return std::nullopt;
  inc.paths = *paths;
  inc.project_directory = item.get("project_directory");
  if (const Node* e = item.get("env_file"))
    if (auto files = as_string_or_list(*e, "include.env_file", diag)) inc.env_files = *files;
  return inc;
}

// ${VAR} in an included file: hcl's environment, then its env_file (or the .env of its project
// directory), then what the manifest's own variables give.
config::Env include_vars(const Include& inc, const fs::path& including_dir, const fs::path& project_dir, Context& ctx) {
  std::map<std::string, std::string> values;
  std::vector<std::pair<std::string, const Node*>> files;
  for (const Node* f : inc.env_files) {
    fs::path p = f->text;
    files.push_back({(p.is_relative() ? including_dir / p : p).lexically_normal().string(), f});
  }
  std::error_code ec;
  if (files.empty() && fs::exists(project_dir / ".env", ec)) files.push_back({(project_dir / ".env").string(), nullptr});
  for (const auto& [path, node] : files) {
    auto lines = read_env_file(path, ctx.diag);
    if (!lines) {
      const std::string& why = lines.error().why;
      if (node)
        if (auto because = unreadable_because(why, "the env file"))
          ctx.diag.error(node->where, fmt::format("include.env_file '{}' cannot be read: {}", node->text, *because));
        else
          ctx.diag.error(node->where, fmt::format("include.env_file '{}': {}", node->text, why));
      else
        ctx.diag.error({path, 1, 1}, why);
      continue;
    }
    for (const auto& l : *lines)
      if (l.value) values[l.key] = *l.value;
  }
  config::Env env = ctx.env;
  config::Env outer = ctx.vars;
  return [env, outer, values](const std::string& name) -> std::optional<std::string> {
    if (env)
      if (auto v = env(name)) return v;
    if (auto it = values.find(name); it != values.end()) return it->second;
    return outer ? outer(name) : std::nullopt;
  };
}

void rebase_file_objects(Node* section, const fs::path& dir) {
  if (!section) return;
  for (auto& e : section->entries)
    for (auto& f : e.value.entries)
      if (f.key == "file" && f.value.is_scalar() && !f.value.text.starts_with("/") && !f.value.text.empty())
        f.value.text = (dir / f.value.text).lexically_normal().string();
}

void include_file(Node& top, const std::string& file, const Node& path_node, const Include& inc, int depth,
                  std::vector<std::string>& chain, Context& ctx) {
  Diagnostics& diag = ctx.diag;
  fs::path including_dir = fs::path(file).parent_path();
  fs::path p = path_node.text;
  if (p.is_relative()) p = including_dir / p;
  std::string shown = p.lexically_normal().string();
  if (std::find(chain.begin(), chain.end(), shown) != chain.end()) {
    std::string text;
    for (auto it = std::find(chain.begin(), chain.end(), shown); it != chain.end(); ++it) text += *it + " -> ";
    diag.error(path_node.where, fmt::format("include cycle: {}{}", text, shown));
    return;
  }
  if (depth >= kMaxIncludeDepth) {
    diag.error(path_node.where, fmt::format("includes nest {} files deep; hcl stops there", kMaxIncludeDepth));
    return;
  }
  std::error_code ec;
  fs::path project_dir = fs::path(shown).parent_path();
  if (inc.project_directory) {
    if (auto d = as_string(*inc.project_directory, "include.project_directory", diag)) {
      fs::path pd = *d;
      project_dir = pd.is_relative() ? including_dir / pd : pd;
    }
  }
  fs::path abs_project_dir = fs::absolute(project_dir, ec).lexically_normal();
  auto tree = read_other_manifest(shown, path_node.where, "include", ctx, include_vars(inc, including_dir, project_dir, ctx));
  if (!tree) return;
  Node& inner = *tree;
  if (!inner.is_map() || !inner.get("services")) {
    diag.error(path_node.where, fmt::format("the included file {} has no 'services' key", shown));
    return;
  }
  check_top_keys(inner, diag);
  chain.push_back(shown);
  apply_includes(inner, shown, ctx, depth + 1, chain);
  chain.pop_back();
  if (Entry* services = entry_of(inner, "services"); services && services->value.is_map()) {
    resolve_extends(services->value, shown, ctx);
    for (auto& s : services->value.entries) rebase_service_paths(s.value, abs_project_dir);
  }
  for (auto section : {"secrets", "configs"})
    if (Entry* e = entry_of(inner, section)) rebase_file_objects(&e->value, abs_project_dir);

  for (std::string_view section : kSections) {
    Entry* from = entry_of(inner, section);
    if (!from || !from->value.is_map()) continue;
    Entry* to = entry_of(top, section);
    if (!to) {
      top.entries.push_back({std::string(section), from->where, {}});
      to = &top.entries.back();
      to->value.kind = Node::Kind::Map;
      to->value.where = from->where;
    }
    if (!to->value.is_map() && !to->value.is_null()) continue;  // reported when the manifest's is read
    to->value.kind = Node::Kind::Map;
    for (auto& e : from->value.entries) {
      if (e.key.starts_with("x-")) continue;
      if (const Entry* first = to->value.entry(e.key)) {
        diag.error(e.where, fmt::format("{} '{}' is defined twice: here and at {}", noun(section), e.key, first->where.str()));
        continue;
      }
      to->value.entries.push_back(std::move(e));
    }
  }
}

}  // namespace

void apply_includes(Node& top, const std::string& file, Context& ctx, int depth, std::vector<std::string>& chain) {
  const Node* list = top.get("include");
  if (!list) return;
  Node items = *list;  // top grows below
  if (items.is_scalar()) {
    Node one = items;
    items.kind = Node::Kind::Seq;
    items.items = {one};
  }
  const auto* entries = as_list(items, "include", ctx.diag);
  if (!entries) return;
  if (depth == 0) chain.push_back(fs::path(file).lexically_normal().string());
  for (const auto& item : *entries) {
    auto inc = read_item(item, ctx.diag);
    if (!inc) continue;
    for (const Node* path : inc->paths) include_file(top, file, *path, *inc, depth, chain, ctx);
  }
}

}  // namespace hcl::manifest::detail
