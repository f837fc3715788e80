// load(): reading the file, the .env file and interpolation, the top-level keys, the project
// name, the services in dependency order, and the collected errors.
#include "loader.hpp"

#include <hcl/files.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>

namespace hcl::manifest {
namespace {

using namespace detail;

constexpr KeyRule kTopKeys[] = {
    {"version", Rule::Use, ""},
    {"name", Rule::Use, ""},
    {"services", Rule::Use, ""},
    {"networks", Rule::Use, ""},
    {"volumes", Rule::Use, ""},
    {"secrets", Rule::Use, ""},
    {"configs", Rule::Use, ""},
    {"include", Rule::Use, ""},
};

}  // namespace

namespace detail {

Result<std::string> read_manifest_text(const std::string& path) {
  // Streams too: `hcl deploy <(generate)` is a pipe, and `-` standard input (as for docker
  // compose -f -; the project is then the current directory's).
  return files::read_bounded(path == "-" ? "/dev/stdin" : path,
                             {"the manifest", "compose files", kMaxManifestBytes, true});
}

std::optional<Node> read_other_manifest(const std::string& path, const Location& asked_at, std::string_view what,
                                        Context& ctx, const config::Env& vars) {
  if (++ctx.files_read > kMaxOtherFiles) {
    ctx.diag.error(asked_at, fmt::format("{} '{}': include and extends read more than {} files; hcl stops there", what,
                                         path, kMaxOtherFiles));
    return std::nullopt;
  }
  auto text = read_manifest_text(path);
  if (!text) {
    const std::string& why = text.error().why;
    auto because = unreadable_because(why, "the manifest");
    ctx.diag.error(asked_at, because ? fmt::format("{} '{}' cannot be read: {}", what, path, *because)
                                     : fmt::format("{} '{}': {}", what, path, why));
    return std::nullopt;
  }
  auto tree = parse_yaml(*text, path, ctx.diag);
  if (!tree) {
    ctx.diag.error(asked_at, fmt::format("{} '{}': {}: {}", what, path, tree.error().what, tree.error().why));
    return std::nullopt;
  }
  ctx.nodes_made += count_nodes(*tree);
  if (ctx.nodes_made > kMaxOtherNodes) {
    ctx.diag.error(asked_at, fmt::format("{} '{}': the files included and extended hold more than {} values in all; "
                                         "hcl stops there",
                                         what, path, kMaxOtherNodes));
    return std::nullopt;
  }
  interpolate_tree(*tree, vars ? vars : ctx.vars, ctx.diag);
  return std::move(*tree);
}

void check_top_keys(const Node& top, Diagnostics& diag) { check_keys(top, kTopKeys, "", diag, "top-level key"); }

}  // namespace detail

namespace {

// "2", "2.x", "3", "3.x", or no version at all (the compose specification).
Format read_version(const Node* v, Diagnostics& diag) {
  if (!v) return Format::Spec;
  auto text = as_string(*v, "version", diag);
  if (!text) return Format::Spec;
  auto minor_ok = [&](std::string_view rest) {
    return rest.empty() || (rest.size() > 1 && rest[0] == '.' && parse_count(rest.substr(1)).has_value());
  };
  std::string_view t = *text;
  if (t.starts_with("2") && minor_ok(t.substr(1))) return Format::V2;
  if (t.starts_with("3") && minor_ok(t.substr(1))) return Format::V3;
  diag.error(v->where, fmt::format("unsupported version '{}': hcl reads compose formats 2, 2.x, 3 and 3.x, and files "
                                   "without a version (the compose specification, or format 1: services at the top level)",
                                   *text));
  return Format::Spec;
}

// A top-level key that holds a service, as in format 1, in a file of another format. True when
// there is one.
bool mixed_format1(const Node& top, Diagnostics& diag) {
  const Entry* marker = top.entry("services");
  if (!marker) marker = top.entry("version");
  if (!marker) return false;
  bool found = false;
  for (const auto& e : top.entries) {
    bool known = std::any_of(std::begin(kTopKeys), std::end(kTopKeys), [&](const KeyRule& r) { return r.key == e.key; });
    if (known || e.key.starts_with("x-") || !e.value.is_map() || (!e.value.get("image") && !e.value.get("build")))
      continue;
    diag.error(e.where, fmt::format("'{}' looks like a service of compose format 1 (services at the top level), but the "
                                    "file has a '{}' key (line {}): put it under 'services:'",
                                    e.key, marker->key, marker->where.line));
    found = true;
  }
  return found;
}

bool valid_project(const std::string& name) {
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; };
  return !name.empty() && std::isalnum(static_cast<unsigned char>(name[0])) && std::all_of(name.begin(), name.end(), ok);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

constexpr const char* kProjectRule = "a project name takes lowercase letters, digits, '_' and '-', and starts with a "
                                     "letter or digit";

// -p, else `name:`, else the directory's name. Given names must be valid (upper case is
// lowered); a directory's name is cleaned up as compose does.
Result<std::string> project_name(const LoadOptions& options, const Node& root, const Context& ctx, Diagnostics& diag) {
  if (options.project) {
    std::string p = lower(*options.project);
    if (!valid_project(p)) return Error{ErrorKind::Usage, fmt::format("-p '{}'", *options.project), kProjectRule};
    return p;
  }
  if (const Node* n = root.get("name")) {
    auto name = as_string(*n, "name", diag);
    if (name) {
      std::string p = lower(*name);
      if (valid_project(p)) return p;
      diag.error(n->where, fmt::format("name '{}': {}", *name, kProjectRule));
      return std::string("invalid");  // goes on, to report the manifest's other problems
    }
  }
  std::string dir = ctx.abs_dir.filename().string();
  std::string p;
  for (char c : lower(dir))
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') p += c;
  while (!p.empty() && !std::isalnum(static_cast<unsigned char>(p[0]))) p.erase(0, 1);
  if (p.empty())
    return Error{ErrorKind::Usage, ctx.file,
                 fmt::format("the directory name '{}' gives no project name; {}; set one with -p or name:", dir,
                             kProjectRule)};
  return p;
}

// The variables for ${VAR}: hcl's environment first, then the .env file.
Result<config::Env> variables(const LoadOptions& options, const Context& ctx, Diagnostics& diag) {
  std::string path = options.env_file ? *options.env_file : (ctx.dir / ".env").lexically_normal().string();
  std::map<std::string, std::string> dotenv;
  std::error_code ec;
  if (options.env_file || std::filesystem::exists(path, ec)) {
    auto lines = read_env_file(path, diag);
    if (!lines) return lines.error();
    for (const auto& l : *lines)
      if (l.value) dotenv[l.key] = *l.value;
  }
  config::Env env = options.env;
  return config::Env([env, dotenv](const std::string& name) -> std::optional<std::string> {
    if (env)
      if (auto v = env(name)) return v;
    auto it = dotenv.find(name);
    if (it != dotenv.end()) return it->second;
    return std::nullopt;
  });
}

// Each service's dependencies as indexes into `parsed`; unknown names are reported (an error, or
// a warning when the dependency is not required). False when one is an error.
bool dependency_indexes(const std::vector<ParsedService>& parsed, const std::map<std::string, std::size_t>& index,
                        std::vector<std::vector<std::size_t>>& deps, Diagnostics& diag) {
  std::vector<std::string_view> keys;
  for (const auto& p : parsed) keys.push_back(p.def.key);
  bool ok = true;
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    const auto& p = parsed[i];
    for (std::size_t d = 0; d < p.def.depends_on.size(); ++d) {
      const std::string& name = p.def.depends_on[d];
      auto it = index.find(name);
      if (it == index.end() && !p.depends_required[d]) {
        diag.warn(p.depends_at[d], fmt::format("depends_on: service '{}' is not defined; it is not required, so "
                                               "this is ignored",
                                               name));
      } else if (it == index.end()) {
        diag.error(p.depends_at[d], fmt::format("depends_on: service '{}' is not defined{}", name, did_you_mean(name, keys)));
        ok = false;
      } else {
        deps[i].push_back(it->second);
      }
    }
  }
  return ok;
}

// Reports each dependency cycle once, starting from its first service in file order, at that
// service's depends_on entry. False when there is one.
bool report_cycles(const std::vector<ParsedService>& parsed, const std::vector<std::vector<std::size_t>>& deps,
                   Diagnostics& diag) {
  enum class Mark { New, Open, Done };
  std::vector<Mark> mark(parsed.size(), Mark::New);
  std::vector<std::size_t> stack;
  std::set<std::set<std::size_t>> reported;
  auto report = [&](std::vector<std::size_t> cycle) {
    std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
    if (!reported.insert(std::set<std::size_t>(cycle.begin(), cycle.end())).second) return;
    std::string text;
    for (std::size_t c : cycle) text += parsed[c].def.key + " -> ";
    text += parsed[cycle[0]].def.key;
    const auto& first = parsed[cycle[0]];
    const std::string& next = parsed[cycle.size() > 1 ? cycle[1] : cycle[0]].def.key;
    auto at = std::find(first.def.depends_on.begin(), first.def.depends_on.end(), next) - first.def.depends_on.begin();
    diag.error(first.depends_at[static_cast<std::size_t>(at)], fmt::format("dependency cycle: {}", text));
  };
  auto visit = [&](auto&& self, std::size_t i) -> void {
    mark[i] = Mark::Open;
    stack.push_back(i);
    for (std::size_t d : deps[i]) {
      if (mark[d] == Mark::Open) {
        report(std::vector<std::size_t>(std::find(stack.begin(), stack.end(), d), stack.end()));
      } else if (mark[d] == Mark::New) {
        self(self, d);
      }
    }
    stack.pop_back();
    mark[i] = Mark::Done;
  };
  for (std::size_t i = 0; i < parsed.size(); ++i)
    if (mark[i] == Mark::New) visit(visit, i);
  return reported.empty();
}

// Every service after those it depends on; among those free to go, file order. Unknown
// names and cycles are reported (and give no services).
std::vector<ServiceDef> dependency_order(std::vector<ParsedService>& parsed, Diagnostics& diag) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < parsed.size(); ++i) index.emplace(parsed[i].def.key, i);
  std::vector<std::vector<std::size_t>> deps(parsed.size());
  bool known = dependency_indexes(parsed, index, deps, diag);
  if (!report_cycles(parsed, deps, diag) || !known) return {};

  std::vector<ServiceDef> out;
  std::vector<bool> placed(parsed.size(), false);
  while (out.size() < parsed.size()) {
    for (std::size_t i = 0; i < parsed.size(); ++i) {
      bool ready = !placed[i] && std::all_of(deps[i].begin(), deps[i].end(), [&](std::size_t d) { return placed[d]; });
      if (ready) {
        placed[i] = true;
        out.push_back(std::move(parsed[i].def));
        std::erase_if(out.back().depends_on, [&](const std::string& d) { return !index.count(d); });  // not required
        break;
      }
    }
  }
  return out;
}

// Two services publishing the same port: in ingress mode the engine refuses the second; in
// host mode their tasks cannot share a node.
void check_published_ports(const std::vector<ParsedService>& parsed, Diagnostics& diag) {
  std::map<std::pair<int, std::string>, std::pair<std::string, docker::PublishMode>> first;
  for (const auto& p : parsed) {
    for (std::size_t i = 0; i < p.def.spec.ports.size(); ++i) {
      const auto& port = p.def.spec.ports[i];
      if (port.published == 0) continue;
      auto [it, fresh] = first.emplace(std::pair{port.published, port.protocol}, std::pair{p.def.key, port.mode});
      if (fresh || it->second.first == p.def.key) continue;
      if (port.mode == docker::PublishMode::Host && it->second.second == docker::PublishMode::Host)
        diag.warn(p.ports_at[i], fmt::format("port {}/{} is also published by service '{}': their tasks cannot run "
                                             "on the same node",
                                             port.published, port.protocol, it->second.first));
      else
        diag.error(p.ports_at[i], fmt::format("port {}/{} is also published by service '{}'; in ingress mode a port is "
                                              "published on every node, so only one service can have it",
                                              port.published, port.protocol, it->second.first));
    }
  }
}

// Errors and warnings in file order (the manifest first, then other files), each once. Errors
// are kept to one per position: the first found there is the cause (a failed ${VAR} leaves
// text that fails again later).
void tidy(std::vector<Warning>& list, const std::string& file, bool one_per_position) {
  std::stable_sort(list.begin(), list.end(), [&](const Warning& a, const Warning& b) {
    return std::tuple(a.where.file != file, a.where.file, a.where.line, a.where.col) <
           std::tuple(b.where.file != file, b.where.file, b.where.line, b.where.col);
  });
  std::vector<Warning> unique;
  for (auto& w : list) {
    bool seen = std::any_of(unique.begin(), unique.end(), [&](const Warning& u) {
      return u.where.str() == w.where.str() && (one_per_position || u.message == w.message);
    });
    if (!seen) unique.push_back(std::move(w));
  }
  list = std::move(unique);
}

Error collected(const std::vector<Warning>& errors) {
  Error e{ErrorKind::Usage, errors.front().where.str(), errors.front().message};
  for (std::size_t i = 1; i < errors.size(); ++i) e.why += fmt::format("\n{}: {}", errors[i].where.str(), errors[i].message);
  return e;
}

// The file read, parsed and interpolated, into `ctx` (its paths, variables and diagnostics).
Result<Node> read_tree(const std::string& path, const LoadOptions& options, Context& ctx) {
  auto text = read_manifest_text(path);
  if (!text) return text.error();
  ctx.file = path;
  ctx.dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  ctx.abs_dir = std::filesystem::absolute(std::filesystem::path(path), ec).parent_path().lexically_normal();
  ctx.env = options.env;
  auto tree = parse_yaml(*text, path, ctx.diag);
  if (!tree) return tree.error();
  auto vars = variables(options, ctx, ctx.diag);
  if (!vars) return vars.error();
  interpolate_tree(*tree, *vars, ctx.diag);
  ctx.vars = *vars;
  return tree;
}

// The tree as if it were one file: other files' services added, extends merged in; the format
// recognised into ctx.format. True for a file of format 1 mixed with later formats' keys.
bool merge_files(Node& root, const Node& top, bool format1, const std::string& path, Context& ctx) {
  if (format1) {
    resolve_extends(root, path, ctx);
    ctx.format = Format::V1;
    return false;
  }
  if (root.is_map()) {
    std::vector<std::string> chain;
    apply_includes(root, path, ctx, 0, chain);
    for (auto& e : root.entries)
      if (e.key == "services") resolve_extends(e.value, path, ctx);
  }
  bool mixed = mixed_format1(top, ctx.diag);
  check_top_keys(top, ctx.diag);
  ctx.format = read_version(top.get("version"), ctx.diag);
  return mixed;
}

// The services of the merged tree, each read with what the file declares.
std::vector<ParsedService> read_services(const Node& root, const Node& top, bool format1, bool mixed, Context& ctx,
                                         Declared& declared) {
  std::vector<ParsedService> parsed;
  const Entry* services = top.entry("services");
  // Each service read takes some kilobytes; thousands would take the memory of a small board.
  auto too_many = [&](std::size_t n, const Location& where) {
    if (n <= kMaxServices) return false;
    ctx.diag.error(where, fmt::format("the manifest has {} services; hcl deploys up to {} from one file", n, kMaxServices));
    return true;
  };
  if (format1) {
    auto entries = format1_services(top, ctx);
    if (too_many(entries.size(), top.where)) return parsed;
    for (const Entry* e : entries) parsed.push_back(read_service(*e, ctx, declared));
  } else if (services && expect_map(services->value, "services", ctx.diag)) {
    if (too_many(services->value.entries.size(), services->where)) return parsed;
    for (const auto& e : services->value.entries)
      if (!e.key.starts_with("x-")) parsed.push_back(read_service(e, ctx, declared));
    if (parsed.empty()) ctx.diag.error(services->where, "the manifest defines no services");
  } else if (!services && root.is_map() && !mixed) {
    ctx.diag.error(root.where, "the manifest has no 'services' key");
  }
  return parsed;
}

}  // namespace

Result<Project> load(const std::string& path, const LoadOptions& options) {
  Context ctx;
  Diagnostics& diag = ctx.diag;
  auto tree = read_tree(path, options, ctx);
  if (!tree) return tree.error();
  Node& root = *tree;

  static const Node kEmpty;
  if (root.is_null()) {
    diag.error({path, 1, 1}, "the manifest is empty: it needs a 'services' key");
  } else if (!root.is_map()) {
    diag.error(root.where, fmt::format("the manifest must be a mapping with a 'services' key, not {}", describe(root)));
  }
  const Node& top = root.is_map() ? root : kEmpty;
  const bool format1 = is_format1(top);
  const bool mixed = merge_files(root, top, format1, path, ctx);
  auto name = project_name(options, format1 ? kEmpty : top, ctx, diag);
  if (!name) return name.error();
  ctx.project = *name;

  Declared declared;
  declared.read_networks(top.get("networks"), ctx);
  declared.read_volumes(top.get("volumes"), ctx);
  declared.read_file_objects(docker::FileObjectKind::Secret, top.get("secrets"), ctx);
  declared.read_file_objects(docker::FileObjectKind::Config, top.get("configs"), ctx);

  std::vector<ParsedService> parsed = read_services(root, top, format1, mixed, ctx, declared);
  apply_links(parsed, diag);  // before the order: a link's own message, with its did-you-mean, comes first
  check_published_ports(parsed, diag);

  Project project;
  project.name = ctx.project;
  project.file = path;
  project.services = dependency_order(parsed, diag);
  project.networks = declared.used_networks(diag);
  project.volumes = declared.used_volumes(diag);
  project.secrets = declared.used_file_objects(docker::FileObjectKind::Secret, diag);
  project.configs = declared.used_file_objects(docker::FileObjectKind::Config, diag);

  tidy(diag.errors, path, true);
  if (!diag.errors.empty()) return collected(diag.errors);
  tidy(diag.warnings, path, false);
  project.warnings = std::move(diag.warnings);
  return project;
}

}  // namespace hcl::manifest
