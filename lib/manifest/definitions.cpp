// Top-level networks and volumes: what the manifest declares, and which of those services use.
#include "loader.hpp"

#include <hcl/swarm/networks.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

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
    {"driver_opts", Rule::Ignore, "the overlay driver's defaults are used"},
    {"enable_ipv6", Rule::Ignore, ""},
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
    {"ip_range", Rule::Ignore, ""},
    {"aux_addresses", Rule::Ignore, ""},
};
constexpr KeyRule kVolumeKeys[] = {
    {"driver", Rule::Use, ""},
    {"external", Rule::Use, ""},
    {"name", Rule::Use, ""},
    {"labels", Rule::Use, ""},
    {"driver_opts", Rule::Refuse,
     "hcl creates volumes with their driver's defaults; create this one beforehand and declare it external"},
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
  if (const Node* dr = v.get("driver")) d.driver = as_string(*dr, path + ".driver", diag).value_or("");
  if (const Node* l = v.get("labels")) d.labels = as_labels(*l, path + ".labels", diag).value_or(docker::Labels{});
  d.labels[swarm::kProjectLabel] = ctx.project;
  return d;
}

}  // namespace

void Declared::read_networks(const Node* node, Context& ctx) {
  if (!node || !expect_map(*node, "networks", ctx.diag)) return;
  for (const auto& e : node->entries) {
    if (e.key.starts_with("x-")) continue;
    networks_.push_back(read_network(e, ctx));
    network_used_.push_back(false);
  }
}

void Declared::read_volumes(const Node* node, Context& ctx) {
  if (!node || !expect_map(*node, "volumes", ctx.diag)) return;
  for (const auto& e : node->entries) {
    if (e.key.starts_with("x-")) continue;
    volumes_.push_back(read_volume(e, ctx));
    volume_used_.push_back(false);
  }
}

const NetworkDef* Declared::use_network(const std::string& key, const Context& ctx, const Location& where) {
  for (std::size_t i = 0; i < networks_.size(); ++i) {
    if (networks_[i].key == key) {
      network_used_[i] = true;
      return &networks_[i];
    }
  }
  if (key != "default") return nullptr;
  // Like compose: a project's services meet on "<project>_default" unless told otherwise.
  NetworkDef d;
  d.key = key;
  d.name = ctx.project + "_default";
  d.spec.name = d.name;
  d.spec.labels[swarm::kProjectLabel] = ctx.project;
  d.where = where;
  networks_.push_back(std::move(d));
  network_used_.push_back(true);
  return &networks_.back();
}

const VolumeDef* Declared::use_volume(const std::string& key) {
  for (std::size_t i = 0; i < volumes_.size(); ++i) {
    if (volumes_[i].key == key) {
      volume_used_[i] = true;
      return &volumes_[i];
    }
  }
  return nullptr;
}

std::vector<std::string_view> Declared::network_keys() const {
  std::vector<std::string_view> keys;
  for (const auto& n : networks_) keys.push_back(n.key);
  return keys;
}

std::vector<std::string_view> Declared::volume_keys() const {
  std::vector<std::string_view> keys;
  for (const auto& v : volumes_) keys.push_back(v.key);
  return keys;
}

std::vector<NetworkDef> Declared::used_networks(Diagnostics& diag) const {
  std::vector<NetworkDef> out;
  for (std::size_t i = 0; i < networks_.size(); ++i) {
    if (network_used_[i])
      out.push_back(networks_[i]);
    else
      diag.warn(networks_[i].where, fmt::format("network '{}' is not used by any service and is not created", networks_[i].key));
  }
  return out;
}

std::vector<VolumeDef> Declared::used_volumes(Diagnostics& diag) const {
  std::vector<VolumeDef> out;
  for (std::size_t i = 0; i < volumes_.size(); ++i) {
    if (volume_used_[i])
      out.push_back(volumes_[i]);
    else
      diag.warn(volumes_[i].where, fmt::format("volume '{}' is not used by any service", volumes_[i].key));
  }
  return out;
}

}  // namespace hcl::manifest::detail
