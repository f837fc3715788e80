// A service's secrets: and configs:, in short (`- key`) and long syntax, as files in its containers.
#include "loader.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hcl::manifest::detail {
namespace {

constexpr KeyRule kReferenceKeys[] = {
    {"source", Rule::Use, ""}, {"target", Rule::Use, ""}, {"uid", Rule::Use, ""},
    {"gid", Rule::Use, ""},    {"mode", Rule::Use, ""},
};

void read_references(docker::FileObjectKind kind, const Node& node, Context& ctx, Declared& declared, ParsedService& out) {
  Diagnostics& diag = ctx.diag;
  const std::string list_key = docker::to_string(kind) + "s";
  const auto* items = as_list(node, list_key, diag);
  if (!items) return;
  auto& refs = kind == docker::FileObjectKind::Secret ? out.def.spec.secrets : out.def.spec.configs;
  for (const auto& item : *items) {
    const Node* source = &item;
    if (item.is_map()) {
      check_keys(item, kReferenceKeys, list_key + ".", diag);
      source = item.get("source");
      if (!source) {
        diag.error(item.where, fmt::format("each item of {} in long syntax needs a source", list_key));
        continue;
      }
    } else if (!item.is_scalar()) {
      diag.error(item.where, fmt::format("each item of {} must be a name or a mapping, not {}", list_key, describe(item)));
      continue;
    }
    auto key = as_string(*source, list_key + ".source", diag);
    if (!key) continue;
    const FileObjectDef* def = declared.use_file_object(kind, *key);
    if (!def) {
      diag.error(source->where, fmt::format("{} '{}' is not declared under the top-level {} key{}", docker::to_string(kind),
                                            *key, list_key, did_you_mean(*key, declared.file_object_keys(kind))));
      continue;
    }
    docker::FileReference ref;
    ref.name = def->name;
    ref.target = *key;  // a relative name: /run/secrets/KEY for a secret, /KEY for a config
    if (item.is_map()) {
      if (const Node* t = item.get("target")) ref.target = as_string(*t, list_key + ".target", diag).value_or(ref.target);
      if (const Node* u = item.get("uid")) ref.uid = as_string(*u, list_key + ".uid", diag).value_or("0");
      if (const Node* g = item.get("gid")) ref.gid = as_string(*g, list_key + ".gid", diag).value_or("0");
      if (const Node* m = item.get("mode")) ref.mode = as_file_mode(*m, list_key + ".mode", diag).value_or(0444);
    }
    bool twice = std::any_of(refs.begin(), refs.end(), [&](const auto& r) { return r.target == ref.target; });
    if (twice) {
      diag.error(item.where, fmt::format("{} target '{}' is used twice", docker::to_string(kind), ref.target));
      continue;
    }
    refs.push_back(std::move(ref));
    if (kind == docker::FileObjectKind::Config) out.feature(docker::Feature::Configs, item.where, "configs");
  }
  // In the engine's spec as docker stack deploy puts them: by name.
  std::stable_sort(refs.begin(), refs.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
}

}  // namespace

void read_file_references(const Node& s, Context& ctx, Declared& declared, ParsedService& out) {
  if (const Node* n = s.get("secrets")) read_references(docker::FileObjectKind::Secret, *n, ctx, declared, out);
  if (const Node* n = s.get("configs")) read_references(docker::FileObjectKind::Config, *n, ctx, declared, out);
}

}  // namespace hcl::manifest::detail
