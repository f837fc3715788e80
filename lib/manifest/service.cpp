// One service of the manifest: its keys, image, command, labels, networks and dependencies.
// environment.cpp, deploy.cpp and ports_mounts.cpp read the rest.
#include "loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace hcl::manifest::detail {
namespace {

// Every compose service key, and what hcl does with it. Keys marked Use but handled with a
// message of their own (build, container_name, links, network_mode) are read below.
constexpr KeyRule kServiceKeys[] = {
    // read
    {"image", Rule::Use, ""},
    {"command", Rule::Use, ""},
    {"entrypoint", Rule::Use, ""},
    {"environment", Rule::Use, ""},
    {"env_file", Rule::Use, ""},
    {"labels", Rule::Use, ""},
    {"ports", Rule::Use, ""},
    {"networks", Rule::Use, ""},
    {"depends_on", Rule::Use, ""},
    {"deploy", Rule::Use, ""},
    {"scale", Rule::Use, ""},
    {"restart", Rule::Use, ""},
    {"mem_limit", Rule::Use, ""},
    {"mem_reservation", Rule::Use, ""},
    {"cpus", Rule::Use, ""},
    {"healthcheck", Rule::Use, ""},
    {"working_dir", Rule::Use, ""},
    {"user", Rule::Use, ""},
    {"hostname", Rule::Use, ""},
    {"volumes", Rule::Use, ""},
    {"tmpfs", Rule::Use, ""},
    {"build", Rule::Use, ""},
    {"container_name", Rule::Use, ""},
    {"links", Rule::Use, ""},
    {"network_mode", Rule::Use, ""},
    // harmless to leave out: warned about
    {"logging", Rule::Ignore, "containers log through the engine's default log driver"},
    {"stop_grace_period", Rule::Ignore, "tasks get the engine's default time to stop"},
    {"stop_signal", Rule::Ignore, ""},
    {"tty", Rule::Ignore, ""},
    {"stdin_open", Rule::Ignore, ""},
    {"init", Rule::Ignore, ""},
    {"extra_hosts", Rule::Ignore, ""},
    {"dns", Rule::Ignore, ""},
    {"dns_search", Rule::Ignore, ""},
    {"dns_opt", Rule::Ignore, ""},
    {"cap_add", Rule::Ignore, ""},
    {"cap_drop", Rule::Ignore, ""},
    {"sysctls", Rule::Ignore, ""},
    {"ulimits", Rule::Ignore, ""},
    {"security_opt", Rule::Ignore, ""},
    {"profiles", Rule::Ignore, "every service of the file is deployed"},
    {"expose", Rule::Ignore, "every port of a service is reachable on its networks"},
    {"external_links", Rule::Ignore, "services reach each other by name on their networks"},
    {"domainname", Rule::Ignore, ""},
    {"mac_address", Rule::Ignore, ""},
    {"read_only", Rule::Ignore, ""},
    {"shm_size", Rule::Ignore, ""},
    {"oom_score_adj", Rule::Ignore, ""},
    {"oom_kill_disable", Rule::Ignore, ""},
    {"cgroup", Rule::Ignore, ""},
    {"cgroup_parent", Rule::Ignore, ""},
    {"pids_limit", Rule::Ignore, ""},
    {"platform", Rule::Ignore, "the engine picks the image's variant for each node"},
    {"pull_policy", Rule::Ignore, ""},
    {"isolation", Rule::Ignore, ""},
    {"group_add", Rule::Ignore, ""},
    {"cpu_shares", Rule::Ignore, ""},
    {"cpu_quota", Rule::Ignore, ""},
    {"cpu_period", Rule::Ignore, ""},
    {"cpuset", Rule::Ignore, ""},
    {"cpu_count", Rule::Ignore, ""},
    {"cpu_percent", Rule::Ignore, ""},
    {"cpu_rt_runtime", Rule::Ignore, ""},
    {"cpu_rt_period", Rule::Ignore, ""},
    {"blkio_config", Rule::Ignore, ""},
    {"mem_swappiness", Rule::Ignore, ""},
    {"memswap_limit", Rule::Ignore, ""},
    {"storage_opt", Rule::Ignore, ""},
    {"credential_spec", Rule::Ignore, ""},
    {"runtime", Rule::Ignore, ""},
    {"uts", Rule::Ignore, ""},
    {"userns_mode", Rule::Ignore, ""},
    {"volume_driver", Rule::Ignore, ""},
    {"device_cgroup_rules", Rule::Ignore, ""},
    {"annotations", Rule::Ignore, ""},
    {"attach", Rule::Ignore, ""},
    {"develop", Rule::Ignore, ""},
    {"post_start", Rule::Ignore, ""},
    {"pre_stop", Rule::Ignore, ""},
    // what runs would differ without them: refused
    {"privileged", Rule::Refuse, "swarm services cannot run privileged containers"},
    {"devices", Rule::Refuse, "swarm services cannot use the host's devices"},
    {"gpus", Rule::Refuse, "swarm services cannot be given GPUs this way"},
    {"secrets", Rule::Refuse, "hcl does not create swarm secrets yet; bind-mount the file instead"},
    {"configs", Rule::Refuse, "hcl does not create swarm configs yet; bind-mount the file instead"},
    {"volumes_from", Rule::Refuse, "swarm services cannot share another container's volumes; use a named volume"},
    {"pid", Rule::Refuse, "swarm services cannot share the host's or another container's processes"},
    {"ipc", Rule::Refuse, "swarm services cannot share an IPC namespace"},
    {"extends", Rule::Refuse, "copy the settings of the extended service into this one"},
};

constexpr KeyRule kDependsKeys[] = {{"condition", Rule::Use, ""}, {"restart", Rule::Use, ""}, {"required", Rule::Use, ""}};
constexpr KeyRule kServiceNetworkKeys[] = {
    {"aliases", Rule::Use, ""},
    {"ipv4_address", Rule::Refuse, "swarm services get their addresses from the network"},
    {"ipv6_address", Rule::Refuse, "swarm services get their addresses from the network"},
    {"link_local_ips", Rule::Ignore, ""},
    {"priority", Rule::Ignore, ""},
    {"gw_priority", Rule::Ignore, ""},
    {"mac_address", Rule::Ignore, ""},
    {"driver_opts", Rule::Ignore, ""},
    {"interface_name", Rule::Ignore, ""},
};

bool valid_service_key(const std::string& key) {
  auto ok = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; };
  return !key.empty() && std::isalnum(static_cast<unsigned char>(key[0])) && std::all_of(key.begin(), key.end(), ok);
}

// swarmkit's rule for service names: [a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*, at most 63 characters.
bool valid_swarm_name(const std::string& name) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (name.empty() || name.size() > 63 || !alnum(name.front()) || !alnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '-' || c == '_'; });
}

void read_command(const Node& s, Context& ctx, docker::ServiceSpec& spec) {
  // compose's entrypoint is the engine's Command, compose's command the engine's Args.
  for (auto [key, target] : {std::pair{"command", &spec.args}, std::pair{"entrypoint", &spec.command}}) {
    const Node* n = s.get(key);
    if (!n) continue;
    auto words = as_words(*n, key, ctx.diag);
    if (words && words->empty())
      ctx.diag.warn(n->where, fmt::format("an empty {} cannot override the image's and is ignored", key));
    if (words) *target = std::move(*words);
  }
}

void add_unique(std::vector<std::string>& list, const std::string& value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

void read_networks(const Node* node, const Entry& service, Context& ctx, Declared& declared, docker::ServiceSpec& spec) {
  Diagnostics& diag = ctx.diag;
  auto join = [&](const std::string& key, const Location& where) {
    const NetworkDef* n = declared.use_network(key, ctx, where);
    if (!n) {
      diag.error(where, fmt::format("network '{}' is not declared under the top-level networks key{}", key,
                                    did_you_mean(key, declared.network_keys())));
      return;
    }
    add_unique(spec.networks, n->name);
  };
  bool empty = !node || node->is_null() || (node->is_seq() && node->items.empty()) ||
               (node->is_map() && node->entries.empty());
  if (empty) {
    join("default", service.where);
  } else if (node->is_seq()) {
    for (const auto& item : node->items) {
      if (item.is_scalar())
        join(item.text, item.where);
      else
        diag.error(item.where, fmt::format("each item of networks must be a network name, not {}", describe(item)));
    }
  } else if (node->is_map()) {
    for (const auto& e : node->entries) {
      join(e.key, e.where);
      if (!expect_map(e.value, "networks." + e.key, diag)) continue;
      check_keys(e.value, kServiceNetworkKeys, "networks." + e.key + ".", diag);
      if (const Node* a = e.value.get("aliases"))
        if (const auto* aliases = as_list(*a, "networks." + e.key + ".aliases", diag))
          for (const auto& alias : *aliases)
            if (auto s = as_string(alias, "each alias", diag)) add_unique(spec.network_aliases, *s);
    }
  } else {
    diag.error(node->where, fmt::format("networks must be a list or a mapping, not {}", describe(*node)));
  }
}

void read_depends_on(const Node& node, Context& ctx, ParsedService& out) {
  Diagnostics& diag = ctx.diag;
  auto add = [&](const std::string& key, const Location& where) {
    if (std::find(out.def.depends_on.begin(), out.def.depends_on.end(), key) != out.def.depends_on.end()) return;
    out.def.depends_on.push_back(key);
    out.depends_at.push_back(where);
  };
  if (node.is_seq()) {
    for (const auto& item : node.items) {
      if (item.is_scalar())
        add(item.text, item.where);
      else
        diag.error(item.where, fmt::format("each item of depends_on must be a service name, not {}", describe(item)));
    }
    return;
  }
  if (!node.is_map()) {
    if (!node.is_null()) diag.error(node.where, fmt::format("depends_on must be a list or a mapping, not {}", describe(node)));
    return;
  }
  for (const auto& e : node.entries) {
    add(e.key, e.where);
    std::string path = "depends_on." + e.key;
    if (!expect_map(e.value, path, diag)) continue;
    check_keys(e.value, kDependsKeys, path + ".", diag);
    if (const Node* r = e.value.get("restart")) (void)as_bool(*r, path + ".restart", diag);
    if (const Node* r = e.value.get("required")) (void)as_bool(*r, path + ".required", diag);
    const Node* c = e.value.get("condition");
    auto condition = c ? as_string(*c, path + ".condition", diag) : std::nullopt;
    if (!condition || *condition == "service_started") continue;
    if (*condition == "service_healthy" || *condition == "service_completed_successfully")
      diag.warn(c->where, fmt::format("depends_on condition '{}' is ignored: hcl creates services in dependency order "
                                      "but does not wait for them",
                                      *condition));
    else
      diag.error(c->where, fmt::format("{}.condition must be service_started, service_healthy or "
                                       "service_completed_successfully, not '{}'",
                                       path, *condition));
  }
}

// Keys that need a message of their own rather than the table's.
void read_special_keys(const Node& s, const Entry& service, Context& ctx) {
  Diagnostics& diag = ctx.diag;
  if (const Entry* b = s.entry("build")) {
    if (s.get("image"))
      diag.warn(b->where, "key 'build' is ignored: hcl deploys the image and does not build it");
    else
      diag.error(b->where, "hcl needs an image; build it first and name it with 'image:'");
  } else if (!s.get("image")) {
    diag.error(service.where, fmt::format("service '{}' has no image", service.key));
  }
  if (const Entry* c = s.entry("container_name"))
    diag.warn(c->where, "key 'container_name' is ignored in swarm mode: the engine names each task's container");
  if (const Entry* m = s.entry("network_mode")) {
    auto mode = as_string(m->value, "network_mode", diag);
    if (mode && *mode == "bridge")
      diag.warn(m->where, "key 'network_mode' is ignored: services join the project's overlay networks");
    else if (mode)
      diag.error(m->value.where, fmt::format("network_mode '{}' is not supported by hcl: services join the project's "
                                             "overlay networks",
                                             *mode));
  }
  if (const Entry* l = s.entry("links")) {
    bool aliased = false;
    if (const auto* links = as_list(l->value, "links", diag)) {
      for (const auto& link : *links) {
        if (link.is_scalar() && link.text.find(':') != std::string::npos) {
          aliased = true;
          diag.error(link.where, fmt::format("link '{}' gives an alias, which swarm mode cannot do; give the service a "
                                             "network alias instead",
                                             link.text));
        }
      }
    }
    if (!aliased)
      diag.warn(l->where, "key 'links' is not needed and is ignored: services reach each other by name on their networks");
  }
}

}  // namespace

ParsedService read_service(const Entry& e, Context& ctx, Declared& declared) {
  Diagnostics& diag = ctx.diag;
  ParsedService out;
  ServiceDef& def = out.def;
  docker::ServiceSpec& spec = def.spec;
  def.key = e.key;
  def.where = e.where;
  spec.name = ctx.project + "_" + e.key;
  if (!valid_service_key(e.key))
    diag.error(e.where, fmt::format("service name '{}' is not valid: use letters, digits, '_', '.' and '-', starting "
                                    "with a letter or digit",
                                    e.key));
  else if (!valid_swarm_name(spec.name))
    diag.error(e.where, fmt::format("service name '{}' is not valid in swarm mode: at most 63 letters, digits, '-' and "
                                    "'_', starting and ending with a letter or digit",
                                    spec.name));

  const Node& s = e.value;
  if (!expect_map(s, fmt::format("service '{}'", e.key), diag)) return out;
  check_keys(s, kServiceKeys, "", diag);
  read_special_keys(s, e, ctx);

  if (const Node* image = s.get("image")) {
    spec.image = as_string(*image, "image", diag).value_or("");
    if (spec.image.empty() && !image->is_seq() && !image->is_map())
      diag.error(image->where, "image must not be empty");
    else if (spec.image.find_first_of(" \t\n") != std::string::npos)
      diag.error(image->where, fmt::format("image '{}' is not a valid image reference", spec.image));
  }
  read_command(s, ctx, spec);

  std::vector<std::string> constraints;
  read_deploy(s, ctx, spec, constraints);
  read_env(s, ctx, spec, constraints);
  for (const auto& c : constraints) add_unique(spec.constraints, c);
  spec.labels[swarm::kProjectLabel] = ctx.project;
  spec.labels[swarm::kServiceLabel] = e.key;
  if (const Node* l = s.get("labels")) spec.container_labels = as_labels(*l, "labels", diag).value_or(docker::Labels{});

  read_healthcheck(s, ctx, spec);
  if (const Node* p = s.get("ports")) read_ports(*p, ctx, out);
  read_mounts(s, ctx, declared, spec);
  read_networks(s.get("networks"), e, ctx, declared, spec);
  if (const Node* d = s.get("depends_on")) read_depends_on(*d, ctx, out);

  if (const Node* w = s.get("working_dir")) {
    spec.workdir = as_string(*w, "working_dir", diag).value_or("");
    if (!spec.workdir.empty() && spec.workdir[0] != '/')
      diag.error(w->where, fmt::format("working_dir '{}' must be an absolute path", spec.workdir));
  }
  if (const Node* u = s.get("user")) spec.user = as_string(*u, "user", diag).value_or("");
  if (const Node* h = s.get("hostname")) spec.hostname = as_string(*h, "hostname", diag).value_or("");

  // The engine refuses ingress-mode ports on a dnsrr endpoint; say so before it is asked.
  for (std::size_t i = 0; i < spec.ports.size(); ++i)
    if (spec.ports[i].mode == docker::PublishMode::Ingress && spec.endpoint_mode == docker::EndpointMode::Dnsrr)
      diag.error(out.ports_at[i], "a port in ingress mode needs deploy.endpoint_mode: vip; hcl's default is dnsrr, as "
                                  "vip and the ingress routing mesh need IPVS");
  return out;
}

}  // namespace hcl::manifest::detail
