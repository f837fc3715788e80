// Top-level networks and volumes: what the manifest declares, and which of those services use.
// Secrets and configs too: declared at the top level, created only when a service uses them.
#include "loader.hpp"

#include <hcl/swarm/networks.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>

namespace hcl::manifest::detail {
namespace {

constexpr KeyRule kNetworkKeys[] = {
    {"driver", Rule::Use, ""},
    {"attachable", Rule::Use, ""},
    {"internal", Rule::Use, ""},
    {"external", Rule::Use, ""},
    {"name", Rule::Use, ""},
    {"labels", Rule::Use, ""},
    {"ipam", Rule::Use, ""},
    {"driver_opts", Rule::Use, ""},
    {"enable_ipv6", Rule::Use, ""},
    {"enable_ipv4", Rule::Refuse, "overlay networks always have IPv4 addresses"},
};
constexpr KeyRule kExternalKeys[] = {{"name", Rule::Use, ""}};
constexpr KeyRule kIpamKeys[] = {
    {"driver", Rule::Use, ""},
    {"config", Rule::Use, ""},
    {"options", Rule::Ignore, ""},
};
constexpr KeyRule kIpamConfigKeys[] = {
    {"subnet", Rule::Use, ""},
    {"gateway", Rule::Use, ""},
    {"ip_range", Rule::Use, ""},
    {"aux_addresses", Rule::Use, ""},
};
constexpr KeyRule kVolumeKeys[] = {
    {"driver", Rule::Use, ""},
    {"external", Rule::Use, ""},
    {"name", Rule::Use, ""},
    {"labels", Rule::Use, ""},
    {"driver_opts", Rule::Use, ""},
};

// Keys an external network or volume must not have: it exists already, hcl creates nothing.
constexpr std::string_view kNotForExternal[] = {"driver", "attachable", "internal", "labels", "ipam", "driver_opts"};

bool valid_key(const std::string& key) {
  auto ok = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; };
  return !key.empty() && std::isalnum(static_cast<unsigned char>(key[0])) && std::all_of(key.begin(), key.end(), ok);
}

// `external: true`, or the older `external: {name: X}`. Returns the external name, if any.
std::optional<std::string> read_external(const Node& item, const std::string& path, bool& external, Diagnostics& diag) {
  const Node* x = item.get("external");
  if (!x) return std::nullopt;
  if (x->is_map()) {
    check_keys(*x, kExternalKeys, "external.", diag);
    external = true;
    if (const Node* n = x->get("name")) return as_string(*n, path + ".external.name", diag);
    return std::nullopt;
  }
  external = as_bool(*x, path + ".external", diag).value_or(false);
  return std::nullopt;
}

// An swarm::validate_network_spec error, which names flags, said in the manifest's terms.
std::string network_problem(const Error& e) {
  for (std::string_view flag : {"--subnet=", "--gateway=", "--driver=", "--label="})
    if (e.what.starts_with(flag))
      return fmt::format("{} '{}': {}", flag.substr(2, flag.size() - 3), e.what.substr(flag.size()), e.why);
  return fmt::format("{}: {}", e.what, e.why);
}

void read_ipam(const Node& ipam, const std::string& path, docker::NetworkSpec& spec, const Node*& subnet_at,
               const Node*& gateway_at, Diagnostics& diag) {
  if (!expect_map(ipam, path, diag)) return;
  check_keys(ipam, kIpamKeys, "ipam.", diag);
  if (const Node* d = ipam.get("driver")) {
    auto driver = as_string(*d, path + ".driver", diag);
    if (driver && *driver != "default")
      diag.error(d->where, fmt::format("{}.driver must be default, not '{}': hcl uses the engine's IPAM", path, *driver));
  }
  const Node* config = ipam.get("config");
  if (!config) return;
  const auto* items = as_list(*config, path + ".config", diag);
  if (!items || items->empty()) return;
  if (items->size() > 1) diag.error((*items)[1].where, fmt::format("{}.config: hcl supports one subnet per network", path));
  const Node& first = items->front();
  if (!expect_map(first, path + ".config", diag, false)) return;
  check_keys(first, kIpamConfigKeys, "ipam.config.", diag);
  if ((subnet_at = first.get("subnet"))) spec.subnet = as_string(*subnet_at, path + ".config.subnet", diag);
  if ((gateway_at = first.get("gateway"))) spec.gateway = as_string(*gateway_at, path + ".config.gateway", diag);
  if (const Node* r = first.get("ip_range")) spec.ip_range = as_string(*r, path + ".config.ip_range", diag);
  if (const Node* a = first.get("aux_addresses"))
    spec.aux_addresses = as_labels(*a, path + ".config.aux_addresses", diag).value_or(docker::Labels{});
}

NetworkDef read_network(const Entry& e, Context& ctx) {
  Diagnostics& diag = ctx.diag;
  std::string path = "networks." + e.key;
  NetworkDef d;
  d.key = e.key;
  d.where = e.where;
  d.name = ctx.project + "_" + e.key;
  if (!valid_key(e.key))
    diag.error(e.where, fmt::format("network name '{}' is not valid: use letters, digits, '_', '.' and '-', starting "
                                    "with a letter or digit",
                                    e.key));
  const Node& v = e.value;
  if (!expect_map(v, path, diag)) return d;
  check_keys(v, kNetworkKeys, "", diag);
  auto external_name = read_external(v, path, d.external, diag);
  std::optional<std::string> name;
  if (const Node* n = v.get("name")) name = as_string(*n, path + ".name", diag);
  if (external_name && name && *external_name != *name)
    diag.error(v.get("name")->where, fmt::format("{}: external.name and name differ; keep one", path));
  if (name) d.name = *name;
  if (external_name) d.name = *external_name;
  if (d.external) {
    if (!name && !external_name) d.name = e.key;
    for (auto key : kNotForExternal)
      if (const Entry* x = v.entry(key))
        diag.error(x->where, fmt::format("network '{}' is external: it exists already, so '{}' cannot be set", e.key, key));
    return d;
  }

  docker::NetworkSpec& spec = d.spec;
  spec.name = d.name;
  if (const Node* dr = v.get("driver")) {
    auto driver = as_string(*dr, path + ".driver", diag);
    if (driver && *driver != "overlay")
      diag.error(dr->where, fmt::format("{}.driver '{}' cannot be used: swarm services join overlay networks only", path,
                                        *driver));
  }
  if (const Node* a = v.get("attachable")) spec.attachable = as_bool(*a, path + ".attachable", diag).value_or(true);
  if (const Node* i = v.get("internal")) spec.internal = as_bool(*i, path + ".internal", diag).value_or(false);
  if (const Node* i = v.get("enable_ipv6")) spec.ipv6 = as_bool(*i, path + ".enable_ipv6", diag).value_or(false);
  if (const Node* o = v.get("driver_opts")) spec.options = as_labels(*o, path + ".driver_opts", diag).value_or(docker::Labels{});
  if (const Node* l = v.get("labels")) spec.labels = as_labels(*l, path + ".labels", diag).value_or(docker::Labels{});
  spec.labels[swarm::kProjectLabel] = ctx.project;
  const Node* subnet_at = nullptr;
  const Node* gateway_at = nullptr;
  if (const Node* ipam = v.get("ipam")) read_ipam(*ipam, path + ".ipam", spec, subnet_at, gateway_at, diag);
  auto valid = swarm::validate_network_spec(spec);
  if (!valid) {
    const Node* at = valid.error().what.starts_with("--subnet") ? subnet_at
                     : valid.error().what.starts_with("--gateway") ? gateway_at
                                                                   : v.get("name");
    diag.error(at ? at->where : e.where, network_problem(valid.error()));
  }
  return d;
}

VolumeDef read_volume(const Entry& e, Context& ctx) {
  Diagnostics& diag = ctx.diag;
  std::string path = "volumes." + e.key;
  VolumeDef d;
  d.key = e.key;
  d.where = e.where;
  d.name = ctx.project + "_" + e.key;
  if (!valid_key(e.key))
    diag.error(e.where, fmt::format("volume name '{}' is not valid: use letters, digits, '_', '.' and '-', starting "
                                    "with a letter or digit",
                                    e.key));
  const Node& v = e.value;
  if (!expect_map(v, path, diag)) return d;
  check_keys(v, kVolumeKeys, "", diag);
  auto external_name = read_external(v, path, d.external, diag);
  if (const Node* n = v.get("name"))
    if (auto name = as_string(*n, path + ".name", diag)) d.name = *name;
  if (external_name) d.name = *external_name;
  if (d.external) {
    if (!v.get("name") && !external_name) d.name = e.key;
    for (auto key : {"driver", "labels", "driver_opts"})
      if (const Entry* x = v.entry(key))
        diag.error(x->where, fmt::format("volume '{}' is external: it exists already, so '{}' cannot be set", e.key, key));
    return d;
  }
  // As docker stack deploy: the engine of each node creates the volume on first use, from the
  // driver, options and labels every mount of it carries.
  if (const Node* dr = v.get("driver")) d.driver = as_string(*dr, path + ".driver", diag).value_or("");
  if (const Node* o = v.get("driver_opts")) {
    d.driver_options = as_labels(*o, path + ".driver_opts", diag).value_or(docker::Labels{});
    if (!d.driver) d.driver = "";
  }
  if (const Node* l = v.get("labels")) d.labels = as_labels(*l, path + ".labels", diag).value_or(docker::Labels{});
  d.labels[swarm::kProjectLabel] = ctx.project;
  return d;
}

constexpr KeyRule kSecretKeys[] = {
    {"name", Rule::Use, ""},        {"file", Rule::Use, ""},        {"environment", Rule::Use, ""},
    {"external", Rule::Use, ""},    {"labels", Rule::Use, ""},      {"driver", Rule::Use, ""},
    {"driver_opts", Rule::Use, ""}, {"template_driver", Rule::Use, ""},
};
constexpr KeyRule kConfigKeys[] = {
    {"name", Rule::Use, ""},     {"file", Rule::Use, ""},   {"environment", Rule::Use, ""},
    {"content", Rule::Use, ""},  {"external", Rule::Use, ""}, {"labels", Rule::Use, ""},
    {"template_driver", Rule::Use, ""},
};

// The swarm's limits on a secret's and a config's data.
constexpr std::uintmax_t kMaxSecretBytes = 500 * 1024;
constexpr std::uintmax_t kMaxConfigBytes = 1000 * 1024;

// A secret's or config's data from a file beside the manifest, read only when it is small enough.
std::optional<std::string> read_data_file(const Node& node, const std::string& path, std::uintmax_t max, Context& ctx) {
  auto name = as_string(node, path, ctx.diag);
  if (!name) return std::nullopt;
  std::filesystem::path p = *name;
  if (p.is_relative()) p = ctx.dir / p;
  std::error_code ec;
  auto status = std::filesystem::status(p, ec);
  if (ec || !std::filesystem::is_regular_file(status)) {
    ctx.diag.error(node.where, fmt::format("{} '{}': {} (paths are relative to the manifest's directory)", path, *name,
                                           ec ? ec.message() : "not a regular file"));
    return std::nullopt;
  }
  auto size = std::filesystem::file_size(p, ec);
  if (!ec && size > max) {
    ctx.diag.error(node.where, fmt::format("{} '{}' has {} bytes; the swarm takes at most {}", path, *name, size, max));
    return std::nullopt;
  }
  std::ifstream in(p, std::ios::binary);
  std::string data(static_cast<std::size_t>(size), '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(data.size()))) {
    ctx.diag.error(node.where, fmt::format("{} '{}' cannot be read", path, *name));
    return std::nullopt;
  }
  return data;
}

// The one source of a secret's or config's content (file, content, environment or driver),
// into `d`, bounded by what the swarm takes.
void read_source(const Entry& src, const Node& v, const std::string& path, FileObjectDef& d, Context& ctx) {
  Diagnostics& diag = ctx.diag;
  const bool secret = d.kind == docker::FileObjectKind::Secret;
  std::uintmax_t max = secret ? kMaxSecretBytes : kMaxConfigBytes;
  if (src.key == "file") {
    d.data = read_data_file(src.value, path + ".file", max, ctx).value_or("");
  } else if (src.key == "content") {
    d.data = as_string(src.value, path + ".content", diag).value_or("");
  } else if (src.key == "environment") {
    if (auto var = as_string(src.value, path + ".environment", diag)) {
      auto value = ctx.vars ? ctx.vars(*var) : std::nullopt;
      if (!value)
        diag.error(src.value.where, fmt::format("{}.environment: the variable {} is not set", path, *var));
      else
        d.data = *value;
    }
  } else {
    d.driver = as_string(src.value, path + ".driver", diag).value_or("");
    if (const Node* o = v.get("driver_opts"))
      d.driver_options = as_labels(*o, path + ".driver_opts", diag).value_or(docker::Labels{});
  }
  if (d.data.size() > max)
    diag.error(src.where, fmt::format("{} '{}' has {} bytes; the swarm takes at most {}", docker::to_string(d.kind), d.key,
                                      d.data.size(), max));
}

FileObjectDef read_file_object(docker::FileObjectKind kind, const Entry& e, Context& ctx) {
  Diagnostics& diag = ctx.diag;
  const bool secret = kind == docker::FileObjectKind::Secret;
  std::string path = fmt::format("{}s.{}", docker::to_string(kind), e.key);
  FileObjectDef d;
  d.kind = kind;
  d.key = e.key;
  d.where = e.where;
  d.name = ctx.project + "_" + e.key;
  if (!valid_key(e.key))
    diag.error(e.where, fmt::format("{} name '{}' is not valid: use letters, digits, '_', '.' and '-', starting with a "
                                    "letter or digit",
                                    docker::to_string(kind), e.key));
  const Node& v = e.value;
  if (!expect_map(v, path, diag)) return d;
  if (secret)
    check_keys(v, kSecretKeys, path + ".", diag);
  else
    check_keys(v, kConfigKeys, path + ".", diag);
  auto external_name = read_external(v, path, d.external, diag);
  if (const Node* n = v.get("name"))
    if (auto name = as_string(*n, path + ".name", diag)) d.name = *name;
  if (external_name) d.name = *external_name;
  std::vector<const Entry*> sources;
  for (auto key : {"file", "environment", "content", "driver"})
    if (const Entry* x = v.entry(key)) sources.push_back(x);
  if (d.external) {
    if (!v.get("name") && !external_name) d.name = e.key;
    for (auto key : {"file", "environment", "content", "driver", "driver_opts", "labels", "template_driver"})
      if (const Entry* x = v.entry(key))
        diag.error(x->where, fmt::format("{} '{}' is external: it exists already, so '{}' cannot be set",
                                         docker::to_string(kind), e.key, key));
    return d;
  }
  if (sources.size() != 1) {
    diag.error(sources.size() > 1 ? sources[1]->where : e.where,
               fmt::format("{} '{}' needs exactly one of {}, or external: true", docker::to_string(kind), e.key,
                           secret ? "file, environment or driver" : "file, environment or content"));
    return d;
  }
  read_source(*sources.front(), v, path, d, ctx);
  if (const Node* t = v.get("template_driver")) d.template_driver = as_string(*t, path + ".template_driver", diag).value_or("");
  if (const Node* l = v.get("labels")) d.labels = as_labels(*l, path + ".labels", diag).value_or(docker::Labels{});
  d.labels[swarm::kProjectLabel] = ctx.project;
  return d;
}

}  // namespace

void Declared::read_networks(const Node* node, Context& ctx) {
  if (!node || !expect_map(*node, "networks", ctx.diag)) return;
  for (const auto& e : node->entries)
    if (!e.key.starts_with("x-")) networks_.add(read_network(e, ctx));
}

void Declared::read_volumes(const Node* node, Context& ctx) {
  if (!node || !expect_map(*node, "volumes", ctx.diag)) return;
  for (const auto& e : node->entries)
    if (!e.key.starts_with("x-")) volumes_.add(read_volume(e, ctx));
}

void Declared::read_file_objects(docker::FileObjectKind kind, const Node* node, Context& ctx) {
  if (!node || !expect_map(*node, docker::to_string(kind) + "s", ctx.diag)) return;
  for (const auto& e : node->entries)
    if (!e.key.starts_with("x-")) files(kind).add(read_file_object(kind, e, ctx));
}

const NetworkDef* Declared::use_network(const std::string& key, const Context& ctx, const Location& where) {
  if (const NetworkDef* n = networks_.use(key)) return n;
  if (key != "default") return nullptr;
  // Like compose: a project's services meet on "<project>_default" unless told otherwise.
  NetworkDef d;
  d.key = key;
  d.name = ctx.project + "_default";
  d.spec.name = d.name;
  d.spec.labels[swarm::kProjectLabel] = ctx.project;
  d.where = where;
  networks_.add(std::move(d));
  return networks_.use(key);
}

const VolumeDef* Declared::use_volume(const std::string& key) { return volumes_.use(key); }

const FileObjectDef* Declared::use_file_object(docker::FileObjectKind kind, const std::string& key) {
  return files(kind).use(key);
}

std::vector<std::string_view> Declared::network_keys() const { return networks_.keys(); }
std::vector<std::string_view> Declared::volume_keys() const { return volumes_.keys(); }
std::vector<std::string_view> Declared::file_object_keys(docker::FileObjectKind kind) const { return files(kind).keys(); }

namespace {

// The definitions some service uses; a warning for each of the others.
template <class Def>
std::vector<Def> used(const std::vector<Def>& defs, const std::vector<bool>& flags, std::string_view noun,
                      std::string_view unused_note, Diagnostics& diag) {
  std::vector<Def> out;
  for (std::size_t i = 0; i < defs.size(); ++i) {
    if (flags[i])
      out.push_back(defs[i]);
    else
      diag.warn(defs[i].where, fmt::format("{} '{}' is not used by any service{}", noun, defs[i].key, unused_note));
  }
  return out;
}

}  // namespace

std::vector<NetworkDef> Declared::used_networks(Diagnostics& diag) const {
  return used(networks_.defs, networks_.used, "network", " and is not created", diag);
}

std::vector<VolumeDef> Declared::used_volumes(Diagnostics& diag) const {
  return used(volumes_.defs, volumes_.used, "volume", "", diag);
}

std::vector<FileObjectDef> Declared::used_file_objects(docker::FileObjectKind kind, Diagnostics& diag) const {
  return used(files(kind).defs, files(kind).used, docker::to_string(kind), " and is not created", diag);
}

}  // namespace hcl::manifest::detail
