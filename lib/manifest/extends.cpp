// extends: a service built on another, in the same file or in another one, merged as the compose
// specification merges (mappings key by key, the lists it names appended, the rest replaced;
// !reset and !override say otherwise). Done on the tree, before any service is read, so that
// what a service inherits is checked as if it had been written there. Paths in a service from
// another file are made absolute against that file's directory first.
#include "loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace hcl::manifest::detail {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxExtendsDepth = 32;
constexpr KeyRule kExtendsKeys[] = {{"service", Rule::Use, ""}, {"file", Rule::Use, ""}};

// Lists of KEY=VALUE (or a mapping): merged by key.
constexpr std::string_view kKeyedLists[] = {"environment", "labels", "extra_hosts", "sysctls", "annotations",
                                            "deploy.labels", "build.args", "build.labels", "logging.options",
                                            "driver_opts"};
// Replaced whole, lists though they are.
constexpr std::string_view kReplaced[] = {"command", "entrypoint", "healthcheck.test"};
// Lists of mappings by target (or of their short forms): an entry with a target already there replaces it.
constexpr std::string_view kByTarget[] = {"volumes", "secrets", "configs"};
// Lists that may also be mappings keyed by name.
constexpr std::string_view kNamedLists[] = {"networks", "depends_on"};

bool in(std::span<const std::string_view> list, std::string_view key) {
  return std::find(list.begin(), list.end(), key) != list.end();
}

Node scalar(std::string text, const Location& where) {
  Node n;
  n.kind = Node::Kind::Scalar;
  n.text = std::move(text);
  n.where = where;
  return n;
}

// "K=V" items' key (extra_hosts also take "HOST:IP").
std::string item_key(const Node& item, bool hosts) {
  if (!item.is_scalar()) return "";
  auto end = item.text.find(hosts ? std::string_view("=:") : std::string_view("="));
  return item.text.substr(0, end);
}

// A KEY=VALUE mapping as the list it means.
Node as_item_list(const Node& map) {
  Node out;
  out.kind = Node::Kind::Seq;
  out.where = map.where;
  for (const auto& e : map.entries)
    out.items.push_back(scalar(e.value.is_null() ? e.key : e.key + "=" + e.value.text, e.where));
  return out;
}

// A list of names as a mapping of them (networks, depends_on).
Node as_name_map(const Node& list) {
  Node out;
  out.kind = Node::Kind::Map;
  out.where = list.where;
  for (const auto& item : list.items)
    if (item.is_scalar()) out.entries.push_back({item.text, item.where, Node{Node::Kind::Null, "", {}, {}, item.where, ""}});
  return out;
}

// A volume's, secret's or config's target, short or long form.
std::string target_of(const Node& item, std::string_view list) {
  if (item.is_map()) {
    if (const Node* t = item.get("target"); t && t->is_scalar()) return t->text;
    if (list == "volumes") return "";
    const Node* s = item.get("source");
    return s && s->is_scalar() ? s->text : "";
  }
  if (!item.is_scalar()) return "";
  if (list != "volumes") return item.text;
  auto first = item.text.find(':');
  if (first == std::string::npos) return item.text;
  auto second = item.text.find(':', first + 1);
  return item.text.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
}

bool same(const Node& a, const Node& b) { return a.is_scalar() && b.is_scalar() && a.text == b.text; }

Node merge_value(const Node& base, const Node& over, const std::string& path);

Node merge_map(const Node& base, const Node& over, const std::string& prefix) {
  Node out = base;
  out.tag.clear();
  for (const auto& e : over.entries) {
    auto at = std::find_if(out.entries.begin(), out.entries.end(), [&](const Entry& b) { return b.key == e.key; });
    if (e.value.tag == "!reset") {
      if (at != out.entries.end()) out.entries.erase(at);
      continue;
    }
    if (at == out.entries.end()) {
      out.entries.push_back(e);
    } else if (e.value.tag == "!override") {
      at->value = e.value;
      at->where = e.where;
    } else {
      at->value = merge_value(at->value, e.value, prefix + e.key);
      at->where = e.where;
    }
  }
  return out;
}

// Keys at the end of a path: "deploy.labels" is matched by "labels" rules only where named so.
std::string last(const std::string& path) { return path.substr(path.rfind('.') + 1); }

Node merge_value(const Node& base, const Node& over, const std::string& path) {
  if (in(kReplaced, path)) return over;
  const bool top = path.find('.') == std::string::npos;
  if (in(kKeyedLists, path) || in(kKeyedLists, last(path))) {
    if (base.is_map() && over.is_map()) return merge_map(base, over, path + ".");
    if (!(base.is_map() || base.is_seq()) || !(over.is_map() || over.is_seq())) return over;
    bool hosts = last(path) == "extra_hosts";
    Node out = base.is_map() ? as_item_list(base) : base;
    Node add = over.is_map() ? as_item_list(over) : over;
    for (auto& item : add.items) {
      std::string key = item_key(item, hosts);
      auto at = std::find_if(out.items.begin(), out.items.end(), [&](const Node& b) { return item_key(b, hosts) == key; });
      if (!key.empty() && at != out.items.end())
        *at = item;
      else
        out.items.push_back(item);
    }
    out.where = over.where;
    return out;
  }
  if (top && in(kNamedLists, path) && (base.is_map() || over.is_map()) && (base.is_seq() || over.is_seq())) {
    return merge_map(base.is_seq() ? as_name_map(base) : base, over.is_seq() ? as_name_map(over) : over, path + ".");
  }
  if (base.is_map() && over.is_map()) return merge_map(base, over, path + ".");
  if (base.is_seq() && over.is_seq()) {
    Node out = base;
    out.tag.clear();
    out.where = over.where;
    const bool by_target = top && in(kByTarget, path);
    for (const auto& item : over.items) {
      if (by_target) {
        std::string t = target_of(item, path);
        auto at = std::find_if(out.items.begin(), out.items.end(), [&](const Node& b) { return target_of(b, path) == t; });
        if (!t.empty() && at != out.items.end()) {
          *at = item;
          continue;
        }
      } else if (std::any_of(out.items.begin(), out.items.end(), [&](const Node& b) { return same(b, item); })) {
        continue;  // appended lists keep one of each value
      }
      out.items.push_back(item);
    }
    return out;
  }
  return over;
}

// Entries tagged !reset that had nothing to reset: the key is not set.
void drop_resets(Node& n) {
  std::erase_if(n.entries, [](const Entry& e) { return e.value.tag == "!reset"; });
  for (auto& e : n.entries) drop_resets(e.value);
  for (auto& i : n.items) drop_resets(i);
}

std::string absolute_text(const fs::path& dir, const std::string& p) {
  std::string out = (dir / p).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

bool relative_path(const std::string& s) { return !s.empty() && !s.starts_with("/") && !s.starts_with("~"); }

void rebase_scalar(Node& n, const fs::path& dir) {
  if (n.is_scalar() && relative_path(n.text)) n.text = absolute_text(dir, n.text);
}

struct ServiceRef {
  std::string file;  // as in locations
  std::string name;
  bool operator==(const ServiceRef&) const = default;
};

class Extender {
 public:
  explicit Extender(Context& ctx) : ctx_(ctx) {}

  // The service `name` of `services` (of `file`), with what it extends merged in.
  Node resolve(const Node& services, const std::string& file, const Entry& service, std::vector<ServiceRef>& chain) {
    Node node = service.value;
    const Entry* ext = node.is_map() ? node.entry("extends") : nullptr;
    if (!ext) return node;
    Node own = node;
    std::erase_if(own.entries, [](const Entry& e) { return e.key == "extends"; });
    auto base = base_of(services, file, service, *ext, chain);
    if (!base) return own;
    return merge_map(*base, own, "");
  }

 private:
  std::optional<Node> base_of(const Node& services, const std::string& file, const Entry& service, const Entry& ext,
                              std::vector<ServiceRef>& chain) {
    Diagnostics& diag = ctx_.diag;
    std::optional<std::string> name, other;
    if (ext.value.is_scalar()) {
      name = ext.value.text;
    } else if (expect_map(ext.value, "extends", diag, false)) {
      check_keys(ext.value, kExtendsKeys, "extends.", diag);
      if (const Node* s = ext.value.get("service")) name = as_string(*s, "extends.service", diag);
      if (const Node* f = ext.value.get("file")) other = as_string(*f, "extends.file", diag);
      if (!ext.value.get("service")) diag.error(ext.where, "extends needs a service");
    }
    if (!name) return std::nullopt;
    if (chain.size() >= kMaxExtendsDepth) {
      diag.error(ext.where, fmt::format("extends goes {} services deep; hcl stops there", kMaxExtendsDepth));
      return std::nullopt;
    }

    const Node* base_services = &services;
    std::string base_file = file;
    fs::path base_dir;
    if (other) {
      fs::path p = *other;
      if (p.is_relative()) p = fs::path(file).parent_path() / p;
      base_file = p.lexically_normal().string();
      auto it = files_.find(base_file);
      if (it == files_.end()) {
        auto tree = read_other_manifest(base_file, ext.where, "extends.file", ctx_);
        if (!tree) return std::nullopt;
        it = files_.emplace(base_file, std::move(*tree)).first;
      }
      base_services = services_of(it->second);
      std::error_code ec;
      base_dir = fs::absolute(p, ec).parent_path().lexically_normal();
    }
    const Entry* base = base_services ? base_services->entry(*name) : nullptr;
    if (!base || name->starts_with("x-")) {
      std::vector<std::string_view> keys;
      if (base_services)
        for (const auto& e : base_services->entries) keys.push_back(e.key);
      diag.error(ext.where, fmt::format("extends: service '{}' is not defined{}{}", *name,
                                        other ? fmt::format(" in {}", base_file) : "", did_you_mean(*name, keys)));
      return std::nullopt;
    }
    ServiceRef me{file, service.key};
    chain.push_back(me);
    ServiceRef next{base_file, base->key};
    if (auto from = std::find(chain.begin(), chain.end(), next); from != chain.end()) {
      // Said from this service, whose extends closes the cycle: "a -> b -> a".
      std::vector<std::string> names;
      for (auto it = from; it != chain.end(); ++it) names.push_back(it->name);
      std::rotate(names.begin(), names.end() - 1, names.end());
      std::string text;
      for (const auto& n : names) text += n + " -> ";
      diag.error(ext.where, fmt::format("extends cycle: {}{}", text, me.name));
      chain.pop_back();
      return std::nullopt;
    }
    Node resolved = resolve(*base_services, base_file, *base, chain);
    chain.pop_back();
    if (!resolved.is_map()) {
      diag.error(ext.where, fmt::format("extends: service '{}' must be a mapping, not {}", *name, describe(resolved)));
      return std::nullopt;
    }
    if (other) rebase_service_paths(resolved, base_dir);
    return resolved;
  }

  // The services of another file: under services:, or at its top level in format 1.
  static const Node* services_of(const Node& top) {
    if (const Node* s = top.get("services")) return s->is_map() ? s : nullptr;
    return is_format1(top) ? &top : nullptr;
  }

  Context& ctx_;
  std::map<std::string, Node> files_;
};

}  // namespace

void rebase_service_paths(Node& s, const fs::path& dir) {
  if (!s.is_map()) return;
  for (auto& e : s.entries) {
    Node& v = e.value;
    if (e.key == "env_file") {
      if (v.is_scalar()) rebase_scalar(v, dir);
      for (auto& item : v.items) {
        if (item.is_scalar()) rebase_scalar(item, dir);
        for (auto& f : item.entries)
          if (f.key == "path") rebase_scalar(f.value, dir);
      }
    } else if (e.key == "volumes") {
      for (auto& item : v.items) {
        if (item.is_scalar() && item.text.starts_with(".")) {
          auto colon = item.text.find(':');
          if (colon != std::string::npos)
            item.text = absolute_text(dir, item.text.substr(0, colon)) + item.text.substr(colon);
        }
        if (item.is_map()) {
          Node* src = nullptr;
          for (auto& f : item.entries)
            if (f.key == "source") src = &f.value;
          const Node* type = item.get("type");
          bool bind = type ? type->is_scalar() && type->text == "bind" : src && src->is_scalar() && src->text.starts_with(".");
          if (bind && src) rebase_scalar(*src, dir);
        }
      }
    } else if (e.key == "build") {
      if (v.is_scalar()) rebase_scalar(v, dir);
      for (auto& f : v.entries)
        if (f.key == "context") rebase_scalar(f.value, dir);
    } else if (e.key == "security_opt") {
      for (auto& item : v.items) {
        if (!item.is_scalar()) continue;
        for (std::string_view prefix : {"seccomp=", "seccomp:"}) {
          if (!item.text.starts_with(prefix)) continue;
          std::string profile = item.text.substr(prefix.size());
          if (profile != "unconfined" && relative_path(profile)) item.text = std::string(prefix) + absolute_text(dir, profile);
        }
      }
    }
  }
}

void resolve_extends(Node& services, const std::string& file, Context& ctx) {
  if (!services.is_map()) return;
  Extender x(ctx);
  // Each service that extends another, resolved from the services as written (one may extend
  // another that extends a third) and put in place once all are; the others stay where they are.
  std::vector<std::pair<std::size_t, Node>> resolved;
  for (std::size_t i = 0; i < services.entries.size(); ++i) {
    const Entry& e = services.entries[i];
    if (e.key.starts_with("x-") || !e.value.is_map() || !e.value.get("extends")) continue;
    std::vector<ServiceRef> chain;
    resolved.emplace_back(i, x.resolve(services, file, e, chain));
    ctx.nodes_made += count_nodes(resolved.back().second);
    if (ctx.nodes_made > kMaxOtherNodes) {
      ctx.diag.error(e.value.entry("extends")->where,
                     fmt::format("the services extended hold more than {} values in all; hcl stops there", kMaxOtherNodes));
      return;
    }
  }
  for (auto& [i, node] : resolved) services.entries[i].value = std::move(node);
  for (auto& e : services.entries)
    if (!e.key.starts_with("x-")) drop_resets(e.value);
}

}  // namespace hcl::manifest::detail
