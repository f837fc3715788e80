// One service of the manifest: its keys, image, command, labels, networks and dependencies.
// environment.cpp, container_keys.cpp, deploy_key.cpp, ports.cpp, mounts.cpp and references.cpp read
// the rest; format1.cpp, extends.cpp and include.cpp make the tree they read.
#include "loader.hpp"

#include <hcl/swarm/images.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace hcl::manifest::detail {
namespace {

// Every compose service key, and what hcl does with it: read, ignored with a warning (what
// docker stack deploy ignores too, and what does not change what runs), or refused (what the
// engine cannot give a swarm service, so that the tasks would run differently). Keys marked Use
// but handled with a message of their own (build, container_name, links, network_mode) are read
// below.
constexpr KeyRule kServiceKeys[] = {
    // read
    {"image", Rule::Use, ""},          {"command", Rule::Use, ""},       {"entrypoint", Rule::Use, ""},
    {"environment", Rule::Use, ""},    {"env_file", Rule::Use, ""},      {"labels", Rule::Use, ""},
    {"ports", Rule::Use, ""},          {"networks", Rule::Use, ""},      {"depends_on", Rule::Use, ""},
    {"deploy", Rule::Use, ""},         {"scale", Rule::Use, ""},         {"restart", Rule::Use, ""},
    {"mem_limit", Rule::Use, ""},      {"mem_reservation", Rule::Use, ""}, {"cpus", Rule::Use, ""},
    {"pids_limit", Rule::Use, ""},     {"healthcheck", Rule::Use, ""},   {"working_dir", Rule::Use, ""},
    {"user", Rule::Use, ""},           {"hostname", Rule::Use, ""},      {"volumes", Rule::Use, ""},
    {"tmpfs", Rule::Use, ""},          {"secrets", Rule::Use, ""},       {"configs", Rule::Use, ""},
    {"logging", Rule::Use, ""},        {"stop_grace_period", Rule::Use, ""}, {"stop_signal", Rule::Use, ""},
    {"tty", Rule::Use, ""},            {"stdin_open", Rule::Use, ""},    {"init", Rule::Use, ""},
    {"extra_hosts", Rule::Use, ""},    {"dns", Rule::Use, ""},           {"dns_search", Rule::Use, ""},
    {"dns_opt", Rule::Use, ""},        {"cap_add", Rule::Use, ""},       {"cap_drop", Rule::Use, ""},
    {"sysctls", Rule::Use, ""},        {"ulimits", Rule::Use, ""},       {"security_opt", Rule::Use, ""},
    {"read_only", Rule::Use, ""},      {"oom_score_adj", Rule::Use, ""}, {"isolation", Rule::Use, ""},
    {"group_add", Rule::Use, ""},      {"credential_spec", Rule::Use, ""},
    {"build", Rule::Use, ""},          {"container_name", Rule::Use, ""}, {"links", Rule::Use, ""},
    {"network_mode", Rule::Use, ""},
    // format 1's names (format1.cpp refuses them in the other formats)
    {"net", Rule::Use, ""},            {"log_driver", Rule::Use, ""},    {"log_opt", Rule::Use, ""},
    {"dockerfile", Rule::Use, ""},
    {"extends", Rule::Use, ""},  // merged in before the service is read (extends.cpp)
    // ignored with a warning, as docker stack deploy ignores them
    {"privileged", Rule::Ignore, "swarm services cannot run privileged containers (docker stack deploy ignores it too)"},
    {"devices", Rule::Ignore, "swarm services cannot use the host's devices (docker stack deploy ignores it too)"},
    {"pid", Rule::Ignore, "swarm services cannot share a process namespace (docker stack deploy ignores it too)"},
    {"ipc", Rule::Ignore, "swarm services cannot share an IPC namespace (docker stack deploy ignores it too)"},
    {"userns_mode", Rule::Ignore, "swarm services use the engine's user namespace setting"},
    {"cgroup_parent", Rule::Ignore, "swarm services use the engine's cgroup parent"},
    {"cgroupns_mode", Rule::Ignore, "swarm services use the engine's cgroup namespace mode"},
    {"cgroup", Rule::Ignore, "swarm services use the engine's cgroup namespace mode"},
    {"shm_size", Rule::Ignore, "swarm services get the engine's /dev/shm size"},
    {"mac_address", Rule::Ignore, "swarm services get their addresses from the network"},
    {"domainname", Rule::Ignore, "swarm services cannot set a domain name"},
    {"expose", Rule::Ignore, "every port of a service is reachable on its networks"},
    {"external_links", Rule::Ignore, "services reach each other by name on their networks"},
    // not about what runs
    {"profiles", Rule::Ignore, "every service of the file is deployed"},
    {"platform", Rule::Ignore, "each node's engine picks the image's variant for its platform"},
    {"pull_policy", Rule::Ignore, "each node's engine pulls the image when it does not have it"},
    {"develop", Rule::Ignore, "it is for docker compose watch"},
    {"attach", Rule::Ignore, "hcl deploy does not attach to the services' output; use hcl logs"},
    // what runs would differ without them: refused
    {"volumes_from", Rule::Refuse, "swarm services cannot share another container's volumes; use a named volume"},
    {"volume_driver", Rule::Refuse, "give the driver to the volume under the top-level volumes key"},
    {"cpu_shares", Rule::Refuse, "swarm services have no CPU shares; use deploy.resources"},
    {"cpu_quota", Rule::Refuse, "swarm services have no CPU quota; use deploy.resources.limits.cpus"},
    {"cpu_period", Rule::Refuse, "swarm services have no CPU period; use deploy.resources.limits.cpus"},
    {"cpuset", Rule::Refuse, "swarm services cannot be pinned to CPUs"},
    {"cpu_count", Rule::Refuse, "swarm services have no CPU count; use deploy.resources.limits.cpus"},
    {"cpu_percent", Rule::Refuse, "swarm services have no CPU percent; use deploy.resources.limits.cpus"},
    {"cpu_rt_runtime", Rule::Refuse, "swarm services have no real-time CPU settings"},
    {"cpu_rt_period", Rule::Refuse, "swarm services have no real-time CPU settings"},
    {"blkio_config", Rule::Refuse, "swarm services have no block I/O settings"},
    {"memswap_limit", Rule::Refuse, "hcl gives swarm services no swap limit"},
    {"mem_swappiness", Rule::Refuse, "hcl gives swarm services no swappiness"},
    {"oom_kill_disable", Rule::Refuse, "swarm services cannot disable the OOM killer"},
    {"storage_opt", Rule::Refuse, "swarm services have no storage options"},
    {"runtime", Rule::Refuse, "swarm services run with the engine's default runtime"},
    {"uts", Rule::Refuse, "swarm services cannot share the host's UTS namespace"},
    {"gpus", Rule::Refuse, "swarm services cannot be given GPUs this way; use deploy.resources.reservations.generic_resources"},
    {"device_cgroup_rules", Rule::Refuse, "swarm services cannot be given device cgroup rules"},
    {"annotations", Rule::Refuse, "swarm services have no container annotations"},
    {"post_start", Rule::Refuse, "swarm services have no lifecycle hooks"},
    {"pre_stop", Rule::Refuse, "swarm services have no lifecycle hooks"},
    {"label_file", Rule::Refuse, "write the labels under labels:"},
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
    {"driver_opts", Rule::Use, ""},
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

// The networks a service joins, each with its aliases, sorted by name, as docker stack deploy
// sends them; the service answers to its key on each (the swarm adds its full name itself).
void read_networks(const Node* node, const Entry& service, Context& ctx, Declared& declared, docker::ServiceSpec& spec) {
  Diagnostics& diag = ctx.diag;
  auto join = [&](const std::string& key, const Location& where) -> docker::NetworkAttachment* {
    const NetworkDef* n = declared.use_network(key, ctx, where);
    if (!n) {
      diag.error(where, fmt::format("network '{}' is not declared under the top-level networks key{}", key,
                                    did_you_mean(key, declared.network_keys())));
      return nullptr;
    }
    for (auto& a : spec.networks)
      if (a.target == n->name) return &a;
    spec.networks.push_back({n->name, {}, {}});
    return &spec.networks.back();
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
      docker::NetworkAttachment* a = join(e.key, e.where);
      if (!expect_map(e.value, "networks." + e.key, diag) || !a) continue;
      check_keys(e.value, kServiceNetworkKeys, "networks." + e.key + ".", diag);
      if (const Node* al = e.value.get("aliases"))
        if (const auto* aliases = as_list(*al, "networks." + e.key + ".aliases", diag))
          for (const auto& alias : *aliases)
            if (auto s = as_string(alias, "each alias", diag)) add_unique(a->aliases, *s);
      if (const Node* o = e.value.get("driver_opts"))
        a->driver_options = as_labels(*o, "networks." + e.key + ".driver_opts", diag).value_or(docker::Labels{});
    }
  } else {
    diag.error(node->where, fmt::format("networks must be a list or a mapping, not {}", describe(*node)));
  }
  for (auto& a : spec.networks) add_unique(a.aliases, service.key);
  std::stable_sort(spec.networks.begin(), spec.networks.end(), [](const auto& a, const auto& b) { return a.target < b.target; });
}

void read_depends_on(const Node& node, Context& ctx, ParsedService& out) {
  Diagnostics& diag = ctx.diag;
  auto add = [&](const std::string& key, const Location& where, bool required = true) {
    auto at = std::find(out.def.depends_on.begin(), out.def.depends_on.end(), key);
    if (at != out.def.depends_on.end()) {
      out.depends_required[static_cast<std::size_t>(at - out.def.depends_on.begin())] = required;
      return;
    }
    out.def.depends_on.push_back(key);
    out.depends_at.push_back(where);
    out.depends_required.push_back(required);
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
    std::string path = "depends_on." + e.key;
    bool required = true;
    if (e.value.is_map())
      if (const Node* r = e.value.get("required")) required = as_bool(*r, path + ".required", diag).value_or(true);
    add(e.key, e.where, required);
    if (!expect_map(e.value, path, diag)) continue;
    check_keys(e.value, kDependsKeys, path + ".", diag);
    if (const Node* r = e.value.get("restart")) (void)as_bool(*r, path + ".restart", diag);
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

// The image, as docker stack deploy gives it to the engine ("nginx" -> "nginx:latest"); the
// service's label keeps it as written.
void read_image(const Node& s, Context& ctx, ParsedService& out) {
  const Node* image = s.get("image");
  if (!image) return;
  // `image:` with no value is a null, which as_string takes for "not given"; here it is an
  // image named by nothing.
  auto text = image->is_null() ? std::optional<std::string>("") : as_string(*image, "image", ctx.diag);
  if (!text) return;
  if (text->empty()) {
    ctx.diag.error(image->where, "image must not be empty");
    return;
  }
  auto normal = swarm::normalize_image(*text);
  if (!normal) {
    ctx.diag.error(image->where, normal.error().message());
    return;
  }
  out.def.spec.image = *normal;
  out.def.spec.labels[swarm::kImageLabel] = *text;
}

// The service's labels (deploy.labels, read with deploy:) and the container's (labels:), each with
// the project's label, as docker stack deploy puts it on both.
void read_labels(const Node& s, const std::string& key, Context& ctx, docker::ServiceSpec& spec) {
  spec.labels[swarm::kProjectLabel] = ctx.project;
  spec.labels[swarm::kServiceLabel] = key;
  if (const Node* l = s.get("labels")) spec.container_labels = as_labels(*l, "labels", ctx.diag).value_or(docker::Labels{});
  spec.container_labels[swarm::kProjectLabel] = ctx.project;
}

// Formats 1 and 2 were written for docker-compose on classic Swarm, where each container
// published its ports on its own node and a service's name resolved to its containers. That is
// what they keep meaning here: ports in host mode and DNS round robin. (docker stack deploy
// refuses these formats; formats 3 and the compose specification get its defaults.)
void classic_networking(const Node& s, docker::ServiceSpec& spec) {
  for (auto& p : spec.ports) p.mode = docker::PublishMode::Host;
  const Node* deploy = s.get("deploy");
  if (!deploy || !deploy->get("endpoint_mode")) spec.endpoint_mode = docker::EndpointMode::Dnsrr;
}

// network_mode, or format 1's net, which means the same.
const Entry* network_mode(const Node& s) {
  const Entry* m = s.entry("network_mode");
  return m ? m : s.entry("net");
}

// Keys that need a message of their own rather than the table's.
void read_special_keys(const Node& s, const Entry& service, Context& ctx) {
  Diagnostics& diag = ctx.diag;
  const Entry* b = s.entry("build");
  if (!b) b = s.entry("dockerfile");
  if (b) {
    if (s.get("image"))
      diag.warn(b->where, fmt::format("key '{}' is ignored: hcl deploys the image and does not build it", b->key));
    else
      diag.error(b->where, "hcl needs an image; build it first and name it with 'image:'");
  } else if (!s.get("image")) {
    diag.error(service.where, fmt::format("service '{}' has no image", service.key));
  }
  if (const Entry* c = s.entry("container_name"))
    diag.warn(c->where, "key 'container_name' is ignored in swarm mode: the engine names each task's container");
  if (const Entry* m = network_mode(s)) {
    auto mode = as_string(m->value, m->key, diag);
    if (mode && *mode == "bridge")
      diag.warn(m->where, fmt::format("key '{}' is ignored: services join the project's overlay networks", m->key));
    else if (mode && *mode == "host" && s.get("networks"))
      diag.error(m->value.where, fmt::format("{}: host and networks cannot both be given", m->key));
    else if (mode && *mode != "host")
      diag.error(m->value.where, fmt::format("{} '{}' cannot be given to a swarm service: it joins the project's "
                                             "overlay networks, or the host's network with {}: host",
                                             m->key, *mode, m->key));
  }
}

// links: SERVICE or SERVICE:ALIAS. Each is a dependency too, as in docker-compose.
void read_links(const Node& node, ParsedService& out, Diagnostics& diag) {
  const auto* links = as_list(node, "links", diag);
  if (!links) return;
  for (const auto& link : *links) {
    auto text = as_string(link, "each link", diag);
    if (!text) continue;
    auto colon = text->find(':');
    std::string service = text->substr(0, colon);
    std::string alias = colon == std::string::npos ? "" : text->substr(colon + 1);
    if (service.empty() || (colon != std::string::npos && (alias.empty() || alias.find(':') != std::string::npos))) {
      diag.error(link.where, fmt::format("link '{}' does not parse; expected SERVICE or SERVICE:ALIAS", *text));
      continue;
    }
    if (alias == service) alias.clear();
    out.links.push_back({service, alias, link.where});
    if (std::find(out.def.depends_on.begin(), out.def.depends_on.end(), service) == out.def.depends_on.end()) {
      out.def.depends_on.push_back(service);
      out.depends_at.push_back(link.where);
      out.depends_required.push_back(true);
    }
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
  check_format_keys(s, ctx);  // first: in format 1, its message is the one that explains
  check_keys(s, kServiceKeys, "", diag);
  read_special_keys(s, e, ctx);

  read_deploy(s, ctx, out);  // before the image and labels: deploy.labels are the service's first labels
  read_image(s, ctx, out);
  read_command(s, ctx, spec);
  read_env(s, ctx, out);
  for (const auto& c : out.constraints) add_unique(spec.constraints, c);
  read_labels(s, e.key, ctx, spec);
  read_container_keys(s, ctx, out);
  if (const Node* p = s.get("ports")) read_ports(*p, ctx, out);
  read_mounts(s, ctx, declared, out);
  read_file_references(s, ctx, declared, out);
  if (const Entry* m = network_mode(s); m && m->value.is_scalar() && m->value.text == "host")
    spec.networks.push_back({"host", {}, {}});  // the host's own network: no aliases, no other network
  else
    read_networks(s.get("networks"), e, ctx, declared, spec);
  if (const Node* d = s.get("depends_on")) read_depends_on(*d, ctx, out);
  if (const Node* l = s.get("links")) read_links(*l, out, diag);

  if (ctx.format == Format::V1 || ctx.format == Format::V2) classic_networking(s, spec);
  // The engine refuses ingress-mode ports on a dnsrr endpoint; say so before it is asked.
  for (std::size_t i = 0; i < spec.ports.size(); ++i)
    if (spec.ports[i].mode == docker::PublishMode::Ingress && spec.endpoint_mode == docker::EndpointMode::Dnsrr)
      diag.error(out.ports_at[i], "a port in ingress mode needs deploy.endpoint_mode: vip (the default); with dnsrr, "
                                  "publish it in host mode (ports: - {target: ..., published: ..., mode: host})");
  return out;
}

void apply_links(std::vector<ParsedService>& parsed, Diagnostics& diag) {
  std::vector<std::string_view> keys;
  for (const auto& p : parsed) keys.push_back(p.def.key);
  for (const auto& p : parsed) {
    for (const auto& link : p.links) {
      auto target = std::find_if(parsed.begin(), parsed.end(), [&](const auto& t) { return t.def.key == link.service; });
      if (target == parsed.end()) {
        diag.error(link.where, fmt::format("links: service '{}' is not defined{}", link.service,
                                           did_you_mean(link.service, keys)));
        continue;
      }
      bool shared = false;
      for (const auto& mine : p.def.spec.networks) {
        for (auto& theirs : target->def.spec.networks) {
          if (theirs.target != mine.target || theirs.target == "host") continue;
          shared = true;
          if (!link.alias.empty()) add_unique(theirs.aliases, link.alias);
        }
      }
      if (!shared)
        diag.error(link.where, fmt::format("link to service '{}': the two share no network, so it cannot be reached",
                                           link.service));
    }
  }
}

}  // namespace hcl::manifest::detail
