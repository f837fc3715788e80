// A ServiceSpec to and from the engine's JSON.
//
// encode_spec() sends what `docker stack deploy` sends for the same service, shape included:
// the engine stores an empty object it was given (Resources, Placement, Privileges, EndpointSpec)
// and gives it back, so leaving one out would store a different spec. decode_spec() reads back
// what the engine stores, filling in what it fills in (an unset update failure action is
// "pause", an unset order "stop-first", ...), so that a spec read back compares equal to the one
// sent and an unchanged deploy changes nothing.
#include <hcl/docker.hpp>
#include <hcl/text.hpp>

#include "codec.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hcl::docker {
namespace {

using namespace codec;

// The engine's names for the restart conditions (RestartPolicy.Condition), written once.
constexpr std::pair<RestartCondition, std::string_view> kRestartNames[] = {
    {RestartCondition::None, "none"}, {RestartCondition::OnFailure, "on-failure"}, {RestartCondition::Any, "any"}};

std::int64_t nanos(Duration d) { return static_cast<std::int64_t>(d.count()); }

std::optional<Duration> duration(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return Duration(json_fields::number<std::int64_t>(*it, key));
}

// A duration the engine leaves out when it is zero.
std::optional<Duration> nonzero_duration(const json& j, const char* key) {
  auto d = duration(j, key);
  if (d && d->count() == 0) return std::nullopt;
  return d;
}

template <class T>
std::optional<T> optional_number(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return json_fields::number<T>(*it, key);
}

json string_map(const std::map<std::string, std::string>& m) { return m.empty() ? json::object() : json(m); }

// --- ContainerSpec ----------------------------------------------------------------------------

json encode_healthcheck(const Healthcheck& h) {
  json j = json::object();
  if (!h.test.empty()) j["Test"] = h.test;
  if (h.interval) j["Interval"] = nanos(*h.interval);
  if (h.timeout) j["Timeout"] = nanos(*h.timeout);
  if (h.start_period) j["StartPeriod"] = nanos(*h.start_period);
  if (h.start_interval) j["StartInterval"] = nanos(*h.start_interval);
  if (h.retries) j["Retries"] = *h.retries;
  return j;
}

Healthcheck decode_healthcheck(const json& j) {
  Healthcheck h;
  h.test = get<std::vector<std::string>>(j, "Test");
  h.interval = nonzero_duration(j, "Interval");
  h.timeout = nonzero_duration(j, "Timeout");
  h.start_period = nonzero_duration(j, "StartPeriod");
  h.start_interval = nonzero_duration(j, "StartInterval");
  if (auto r = optional_number<int>(j, "Retries"); r && *r != 0) h.retries = r;
  return h;
}

json encode_mount(const Mount& m) {
  json j = {{"Type", m.type}, {"Target", m.target}};
  if (!m.source.empty()) j["Source"] = m.source;
  if (m.read_only) j["ReadOnly"] = true;
  if (!m.consistency.empty()) j["Consistency"] = m.consistency;
  if (!m.propagation.empty()) j["BindOptions"] = {{"Propagation", m.propagation}};
  if (m.type == "volume" && !m.source.empty()) {
    // As docker stack deploy: a named volume's options are always sent (the engine creates the
    // volume on each node from them), an anonymous volume's only when there are some.
    json v = json::object();
    if (m.no_copy) v["NoCopy"] = true;
    if (!m.volume_labels.empty()) v["Labels"] = m.volume_labels;
    if (m.volume_driver) v["DriverConfig"] = {{"Name", *m.volume_driver}, {"Options", string_map(m.volume_driver_options)}};
    if (!m.subpath.empty()) v["Subpath"] = m.subpath;
    j["VolumeOptions"] = v;
  } else if (m.no_copy || !m.subpath.empty()) {
    json v = json::object();
    if (m.no_copy) v["NoCopy"] = true;
    if (!m.subpath.empty()) v["Subpath"] = m.subpath;
    j["VolumeOptions"] = v;
  }
  if (m.tmpfs_size || m.tmpfs_mode || !m.tmpfs_options.empty()) {
    json t = json::object();
    if (m.tmpfs_size) t["SizeBytes"] = *m.tmpfs_size;
    if (m.tmpfs_mode) t["Mode"] = *m.tmpfs_mode;
    if (!m.tmpfs_options.empty()) t["Options"] = m.tmpfs_options;
    j["TmpfsOptions"] = t;
  }
  return j;
}

Mount decode_mount(const json& j) {
  Mount m;
  m.type = get<std::string>(j, "Type", "volume");
  m.source = get<std::string>(j, "Source");
  m.target = get<std::string>(j, "Target");
  m.read_only = get<bool>(j, "ReadOnly");
  m.consistency = get<std::string>(j, "Consistency");
  m.propagation = get<std::string>(child(j, "BindOptions"), "Propagation");
  const json& v = child(j, "VolumeOptions");
  m.no_copy = get<bool>(v, "NoCopy");
  m.subpath = get<std::string>(v, "Subpath");
  m.volume_labels = get<std::map<std::string, std::string>>(v, "Labels");
  if (v.contains("DriverConfig") && !v["DriverConfig"].is_null()) {
    m.volume_driver = get<std::string>(v["DriverConfig"], "Name");
    m.volume_driver_options = get<std::map<std::string, std::string>>(v["DriverConfig"], "Options");
  }
  const json& t = child(j, "TmpfsOptions");
  if (auto size = optional_number<std::int64_t>(t, "SizeBytes"); size && *size != 0) m.tmpfs_size = size;
  if (auto mode = optional_number<std::uint32_t>(t, "Mode"); mode && *mode != 0) m.tmpfs_mode = mode;
  m.tmpfs_options = get<std::vector<std::vector<std::string>>>(t, "Options");
  return m;
}

json encode_file_reference(const FileReference& f, const char* id_key, const char* name_key) {
  return {{"File", {{"Name", f.target}, {"UID", f.uid}, {"GID", f.gid}, {"Mode", f.mode}}},
          {id_key, f.id},
          {name_key, f.name}};
}

FileReference decode_file_reference(const json& j, const char* id_key, const char* name_key) {
  FileReference f;
  const json& file = child(j, "File");
  f.target = get<std::string>(file, "Name");
  f.uid = get<std::string>(file, "UID", "0");
  f.gid = get<std::string>(file, "GID", "0");
  f.mode = get<std::uint32_t>(file, "Mode", 0444);
  f.id = get<std::string>(j, id_key);
  f.name = get<std::string>(j, name_key);
  return f;
}

json encode_privileges(const Privileges& p) {
  // docker stack deploy's shape: both nulls and the flag, always.
  json j = {{"CredentialSpec", nullptr}, {"SELinuxContext", nullptr}, {"NoNewPrivileges", p.no_new_privileges}};
  if (!p.credential_spec_file.empty() || !p.credential_spec_registry.empty()) {
    json c = json::object();
    if (!p.credential_spec_file.empty()) c["File"] = p.credential_spec_file;
    if (!p.credential_spec_registry.empty()) c["Registry"] = p.credential_spec_registry;
    j["CredentialSpec"] = c;
  }
  if (!p.seccomp_mode.empty()) {
    json s = {{"Mode", p.seccomp_mode}};
    // The API's Profile is Go []byte: base64 on the wire.
    if (!p.seccomp_profile.empty()) s["Profile"] = text::base64_encode(p.seccomp_profile);
    j["Seccomp"] = s;
  }
  if (!p.apparmor_mode.empty()) j["AppArmor"] = {{"Mode", p.apparmor_mode}};
  return j;
}

Privileges decode_privileges(const json& j) {
  Privileges p;
  p.no_new_privileges = get<bool>(j, "NoNewPrivileges");
  const json& c = child(j, "CredentialSpec");
  p.credential_spec_file = get<std::string>(c, "File");
  p.credential_spec_registry = get<std::string>(c, "Registry");
  const json& s = child(j, "Seccomp");
  p.seccomp_mode = get<std::string>(s, "Mode");
  if (auto b64 = get<std::string>(s, "Profile"); !b64.empty())
    p.seccomp_profile = text::base64_decode(b64).value_or(b64);
  p.apparmor_mode = get<std::string>(child(j, "AppArmor"), "Mode");
  return p;
}

json encode_container(const ServiceSpec& s) {
  json c = {{"Image", s.image}, {"Labels", string_map(s.container_labels)}, {"Privileges", encode_privileges(s.privileges)}};
  if (!s.command.empty()) c["Command"] = s.command;
  if (!s.args.empty()) c["Args"] = s.args;
  if (!s.hostname.empty()) c["Hostname"] = s.hostname;
  if (!s.env.empty()) c["Env"] = s.env;
  if (!s.workdir.empty()) c["Dir"] = s.workdir;
  if (!s.user.empty()) c["User"] = s.user;
  if (!s.groups.empty()) c["Groups"] = s.groups;
  if (s.init) c["Init"] = *s.init;
  if (s.tty) c["TTY"] = true;
  if (s.open_stdin) c["OpenStdin"] = true;
  if (s.read_only) c["ReadOnly"] = true;
  if (!s.mounts.empty()) {
    json mounts = json::array();
    for (const auto& m : s.mounts) mounts.push_back(encode_mount(m));
    c["Mounts"] = mounts;
  }
  if (!s.stop_signal.empty()) c["StopSignal"] = s.stop_signal;
  if (s.stop_grace_period) c["StopGracePeriod"] = nanos(*s.stop_grace_period);
  if (s.healthcheck) c["Healthcheck"] = encode_healthcheck(*s.healthcheck);
  if (!s.hosts.empty()) c["Hosts"] = s.hosts;
  if (s.dns) {
    json d = json::object();
    if (!s.dns->nameservers.empty()) d["Nameservers"] = s.dns->nameservers;
    if (!s.dns->search.empty()) d["Search"] = s.dns->search;
    if (!s.dns->options.empty()) d["Options"] = s.dns->options;
    c["DNSConfig"] = d;
  }
  if (!s.secrets.empty()) {
    json list = json::array();
    for (const auto& f : s.secrets) list.push_back(encode_file_reference(f, "SecretID", "SecretName"));
    c["Secrets"] = list;
  }
  if (!s.configs.empty()) {
    json list = json::array();
    for (const auto& f : s.configs) list.push_back(encode_file_reference(f, "ConfigID", "ConfigName"));
    c["Configs"] = list;
  }
  if (!s.isolation.empty()) c["Isolation"] = s.isolation;
  if (!s.sysctls.empty()) c["Sysctls"] = s.sysctls;
  if (!s.capability_add.empty()) c["CapabilityAdd"] = s.capability_add;
  if (!s.capability_drop.empty()) c["CapabilityDrop"] = s.capability_drop;
  if (!s.ulimits.empty()) {
    json list = json::array();
    for (const auto& u : s.ulimits) list.push_back({{"Name", u.name}, {"Soft", u.soft}, {"Hard", u.hard}});
    c["Ulimits"] = list;
  }
  if (s.oom_score_adj) c["OomScoreAdj"] = *s.oom_score_adj;
  return c;
}

void decode_container(const json& c, ServiceSpec& s) {
  s.image = get<std::string>(c, "Image");
  s.container_labels = get<Labels>(c, "Labels");
  s.command = get<std::vector<std::string>>(c, "Command");
  s.args = get<std::vector<std::string>>(c, "Args");
  s.hostname = get<std::string>(c, "Hostname");
  s.env = get<std::vector<std::string>>(c, "Env");
  s.workdir = get<std::string>(c, "Dir");
  s.user = get<std::string>(c, "User");
  s.groups = get<std::vector<std::string>>(c, "Groups");
  s.privileges = decode_privileges(child(c, "Privileges"));
  if (c.contains("Init") && !c["Init"].is_null()) s.init = get<bool>(c, "Init");
  s.tty = get<bool>(c, "TTY");
  s.open_stdin = get<bool>(c, "OpenStdin");
  s.read_only = get<bool>(c, "ReadOnly");
  for (const json& m : child(c, "Mounts").is_array() ? child(c, "Mounts") : json::array()) s.mounts.push_back(decode_mount(m));
  s.stop_signal = get<std::string>(c, "StopSignal");
  s.stop_grace_period = duration(c, "StopGracePeriod");
  if (c.contains("Healthcheck") && !c["Healthcheck"].is_null()) s.healthcheck = decode_healthcheck(c["Healthcheck"]);
  s.hosts = get<std::vector<std::string>>(c, "Hosts");
  if (c.contains("DNSConfig") && !c["DNSConfig"].is_null()) {
    const json& d = c["DNSConfig"];
    s.dns = DnsConfig{get<std::vector<std::string>>(d, "Nameservers"), get<std::vector<std::string>>(d, "Search"),
                      get<std::vector<std::string>>(d, "Options")};
  }
  for (const json& f : child(c, "Secrets").is_array() ? child(c, "Secrets") : json::array())
    s.secrets.push_back(decode_file_reference(f, "SecretID", "SecretName"));
  for (const json& f : child(c, "Configs").is_array() ? child(c, "Configs") : json::array())
    s.configs.push_back(decode_file_reference(f, "ConfigID", "ConfigName"));
  s.isolation = get<std::string>(c, "Isolation");
  if (s.isolation == "default") s.isolation.clear();  // what the engine stores for "not set"
  s.sysctls = get<std::map<std::string, std::string>>(c, "Sysctls");
  s.capability_add = get<std::vector<std::string>>(c, "CapabilityAdd");
  s.capability_drop = get<std::vector<std::string>>(c, "CapabilityDrop");
  for (const json& u : child(c, "Ulimits").is_array() ? child(c, "Ulimits") : json::array())
    s.ulimits.push_back({get<std::string>(u, "Name"), get<std::int64_t>(u, "Soft"), get<std::int64_t>(u, "Hard")});
  if (auto o = optional_number<std::int64_t>(c, "OomScoreAdj"); o && *o != 0) s.oom_score_adj = o;
}

// --- TaskTemplate, Mode, UpdateConfig, EndpointSpec -------------------------------------------

json encode_resources(const std::optional<Resources>& r) {
  json j = json::object();  // always sent, as docker stack deploy does
  if (!r) return j;
  json limits = json::object(), reservations = json::object();
  if (r->cpu_limit_nano) limits["NanoCPUs"] = *r->cpu_limit_nano;
  if (r->memory_limit_bytes) limits["MemoryBytes"] = *r->memory_limit_bytes;
  if (r->pids_limit) limits["Pids"] = *r->pids_limit;
  if (r->cpu_reservation_nano) reservations["NanoCPUs"] = *r->cpu_reservation_nano;
  if (r->memory_reservation_bytes) reservations["MemoryBytes"] = *r->memory_reservation_bytes;
  if (!r->generic.empty()) {
    json list = json::array();
    for (const auto& g : r->generic) {
      if (g.discrete)
        list.push_back({{"DiscreteResourceSpec", {{"Kind", g.kind}, {"Value", *g.discrete}}}});
      else
        list.push_back({{"NamedResourceSpec", {{"Kind", g.kind}, {"Value", g.named}}}});
    }
    reservations["GenericResources"] = list;
  }
  if (!limits.empty()) j["Limits"] = limits;
  if (!reservations.empty()) j["Reservations"] = reservations;
  return j;
}

std::optional<Resources> decode_resources(const json& j) {
  Resources r;
  const json& l = child(j, "Limits");
  const json& v = child(j, "Reservations");
  auto positive = [](const json& o, const char* key) -> std::optional<std::int64_t> {
    auto n = optional_number<std::int64_t>(o, key);
    if (n && *n == 0) return std::nullopt;
    return n;
  };
  r.cpu_limit_nano = positive(l, "NanoCPUs");
  r.memory_limit_bytes = positive(l, "MemoryBytes");
  r.pids_limit = positive(l, "Pids");
  r.cpu_reservation_nano = positive(v, "NanoCPUs");
  r.memory_reservation_bytes = positive(v, "MemoryBytes");
  for (const json& g : child(v, "GenericResources").is_array() ? child(v, "GenericResources") : json::array()) {
    if (const json& d = child(g, "DiscreteResourceSpec"); !d.empty())
      r.generic.push_back({get<std::string>(d, "Kind"), get<std::int64_t>(d, "Value"), ""});
    else if (const json& n = child(g, "NamedResourceSpec"); !n.empty())
      r.generic.push_back({get<std::string>(n, "Kind"), std::nullopt, get<std::string>(n, "Value")});
  }
  if (r == Resources{}) return std::nullopt;  // the engine's empty object means none
  return r;
}

json encode_update(const UpdateConfig& u) {
  // docker stack deploy always sends Parallelism, MaxFailureRatio and Order.
  json j = {{"Parallelism", u.parallelism}, {"FailureAction", u.failure_action},
            {"MaxFailureRatio", u.max_failure_ratio}, {"Order", u.order}};
  if (u.delay.count() != 0) j["Delay"] = nanos(u.delay);
  if (u.monitor.count() != 0) j["Monitor"] = nanos(u.monitor);
  return j;
}

std::optional<UpdateConfig> decode_update(const json& j) {
  if (!j.is_object()) return std::nullopt;
  UpdateConfig u;
  u.parallelism = get<std::uint64_t>(j, "Parallelism", 0);
  u.delay = duration(j, "Delay").value_or(Duration(0));
  u.failure_action = get<std::string>(j, "FailureAction");
  if (u.failure_action.empty()) u.failure_action = "pause";
  u.monitor = duration(j, "Monitor").value_or(Duration(0));
  u.max_failure_ratio = get<double>(j, "MaxFailureRatio");
  u.order = get<std::string>(j, "Order");
  if (u.order.empty()) u.order = "stop-first";
  return u;
}

json encode_restart(const RestartPolicy& r) {
  json j = {{"Condition", to_string(r.condition)}};
  if (r.delay) j["Delay"] = nanos(*r.delay);
  if (r.max_attempts) j["MaxAttempts"] = *r.max_attempts;
  if (r.window) j["Window"] = nanos(*r.window);
  return j;
}

RestartPolicy decode_restart(const json& j) {
  RestartPolicy r;
  // "any", and "" which the engine reads as any, are Any.
  r.condition = parse_restart_condition(get<std::string>(j, "Condition", "any")).value_or(RestartCondition::Any);
  r.delay = duration(j, "Delay");
  if (auto m = optional_number<std::uint64_t>(j, "MaxAttempts"); m && *m != 0) r.max_attempts = m;
  r.window = nonzero_duration(j, "Window");
  return r;
}

json encode_placement(const ServiceSpec& s) {
  json p = json::object();  // always sent, as docker stack deploy does
  if (!s.constraints.empty()) p["Constraints"] = s.constraints;
  if (!s.spread.empty()) {
    json prefs = json::array();
    for (const auto& d : s.spread) prefs.push_back({{"Spread", {{"SpreadDescriptor", d}}}});
    p["Preferences"] = prefs;
  }
  if (s.max_replicas_per_node) p["MaxReplicas"] = *s.max_replicas_per_node;
  return p;
}

void decode_placement(const json& p, ServiceSpec& s) {
  s.constraints = get<std::vector<std::string>>(p, "Constraints");
  for (const json& pref : child(p, "Preferences").is_array() ? child(p, "Preferences") : json::array())
    if (auto d = get<std::string>(child(pref, "Spread"), "SpreadDescriptor"); !d.empty()) s.spread.push_back(d);
  if (auto m = optional_number<std::uint64_t>(p, "MaxReplicas"); m && *m != 0) s.max_replicas_per_node = m;
}

json encode_mode(const ServiceSpec& s) {
  switch (s.mode) {
    case ServiceMode::Global: return {{"Global", json::object()}};
    case ServiceMode::GlobalJob: return {{"GlobalJob", json::object()}};
    case ServiceMode::ReplicatedJob:
      return {{"ReplicatedJob", {{"MaxConcurrent", s.max_concurrent.value_or(s.replicas)}, {"TotalCompletions", s.replicas}}}};
    case ServiceMode::Replicated: break;
  }
  return {{"Replicated", {{"Replicas", s.replicas}}}};
}

void decode_mode(const json& mode, ServiceSpec& s) {
  if (mode.contains("Global")) {
    s.mode = ServiceMode::Global;
    s.replicas = 0;
  } else if (mode.contains("GlobalJob")) {
    s.mode = ServiceMode::GlobalJob;
    s.replicas = 0;
  } else if (mode.contains("ReplicatedJob")) {
    const json& j = child(mode, "ReplicatedJob");
    s.mode = ServiceMode::ReplicatedJob;
    s.replicas = get<std::uint64_t>(j, "TotalCompletions", 1);
    auto max = get<std::uint64_t>(j, "MaxConcurrent", 1);
    if (max != s.replicas) s.max_concurrent = max;
  } else {
    s.mode = ServiceMode::Replicated;
    s.replicas = mode.contains("Replicated") ? get<std::uint64_t>(child(mode, "Replicated"), "Replicas", 1) : 1;
  }
}

json encode_endpoint(const ServiceSpec& s) {
  json e = {{"Mode", to_string(s.endpoint_mode)}};
  if (!s.ports.empty()) {
    json ports = json::array();
    for (const auto& p : s.ports) {
      json port = {{"Protocol", p.protocol}, {"TargetPort", p.target},
                   {"PublishMode", p.mode == PublishMode::Host ? "host" : "ingress"}};
      if (p.published) port["PublishedPort"] = p.published;
      ports.push_back(port);
    }
    e["Ports"] = ports;
  }
  return e;
}

void decode_endpoint(const json& ep, ServiceSpec& s) {
  s.endpoint_mode = get<std::string>(ep, "Mode", "vip") == "dnsrr" ? EndpointMode::Dnsrr : EndpointMode::Vip;
  for (const json& p : child(ep, "Ports").is_array() ? child(ep, "Ports") : json::array())
    s.ports.push_back({get<int>(p, "TargetPort"), get<int>(p, "PublishedPort"), get<std::string>(p, "Protocol", "tcp"),
                       get<std::string>(p, "PublishMode", "ingress") == "host" ? PublishMode::Host : PublishMode::Ingress});
}

json encode_networks(const std::vector<NetworkAttachment>& networks) {
  json list = json::array();
  for (const auto& n : networks) {
    json net = {{"Target", n.target}};
    if (!n.aliases.empty()) net["Aliases"] = n.aliases;
    if (!n.driver_options.empty()) net["DriverOpts"] = n.driver_options;
    list.push_back(net);
  }
  return list;
}

std::vector<NetworkAttachment> decode_attachments(const json& list) {
  std::vector<NetworkAttachment> out;
  for (const json& n : list.is_array() ? list : json::array())
    out.push_back({get<std::string>(n, "Target"), get<std::vector<std::string>>(n, "Aliases"),
                   get<std::map<std::string, std::string>>(n, "DriverOpts")});
  return out;
}

}  // namespace

json encode_spec(const ServiceSpec& s) {
  json task = {{"ContainerSpec", encode_container(s)},
               {"Resources", encode_resources(s.resources)},
               {"Placement", encode_placement(s)},
               {"ForceUpdate", s.force_update}};
  if (s.restart) task["RestartPolicy"] = encode_restart(*s.restart);
  if (!s.networks.empty()) task["Networks"] = encode_networks(s.networks);
  if (s.log_driver) task["LogDriver"] = {{"Name", s.log_driver->name}, {"Options", string_map(s.log_driver->options)}};
  json spec = {{"Name", s.name},
               {"Labels", string_map(s.labels)},
               {"TaskTemplate", task},
               {"Mode", encode_mode(s)},
               {"EndpointSpec", encode_endpoint(s)}};
  if (s.update) spec["UpdateConfig"] = encode_update(*s.update);
  if (s.rollback) spec["RollbackConfig"] = encode_update(*s.rollback);
  return spec;
}

ServiceSpec decode_spec(const json& j) {
  ServiceSpec s;
  s.name = get<std::string>(j, "Name");
  s.labels = get<Labels>(j, "Labels");
  const json& task = child(j, "TaskTemplate");
  decode_container(child(task, "ContainerSpec"), s);
  s.resources = decode_resources(child(task, "Resources"));
  if (task.contains("RestartPolicy") && !task["RestartPolicy"].is_null()) s.restart = decode_restart(task["RestartPolicy"]);
  decode_placement(child(task, "Placement"), s);
  s.networks = decode_attachments(child(task, "Networks"));
  // Services made by older tools on engines before 29 may name their networks at the top level.
  if (s.networks.empty()) s.networks = decode_attachments(child(j, "Networks"));
  if (task.contains("LogDriver") && !task["LogDriver"].is_null())
    s.log_driver = LogDriver{get<std::string>(task["LogDriver"], "Name"),
                             get<std::map<std::string, std::string>>(task["LogDriver"], "Options")};
  s.force_update = get<std::uint64_t>(task, "ForceUpdate");
  decode_mode(child(j, "Mode"), s);
  if (j.contains("UpdateConfig") && !j["UpdateConfig"].is_null()) s.update = decode_update(j["UpdateConfig"]);
  if (j.contains("RollbackConfig") && !j["RollbackConfig"].is_null()) s.rollback = decode_update(j["RollbackConfig"]);
  decode_endpoint(child(j, "EndpointSpec"), s);
  return s;
}

FeatureInfo feature_info(Feature f) {
  switch (f) {
    case Feature::Configs: return {"1.30", "17.06", "ContainerSpec.Configs"};
    case Feature::Init: return {"1.37", "18.06", "ContainerSpec.Init"};
    case Feature::SecretTemplating: return {"1.37", "18.06", "Templating"};
    case Feature::Sysctls: return {"1.40", "19.03", "ContainerSpec.Sysctls"};
    case Feature::MaxReplicas: return {"1.40", "19.03", "Placement.MaxReplicas"};
    case Feature::CapabilityAddDrop: return {"1.41", "20.10", "ContainerSpec.CapabilityAdd/CapabilityDrop"};
    case Feature::Ulimits: return {"1.41", "20.10", "ContainerSpec.Ulimits"};
    case Feature::PidsLimit: return {"1.41", "20.10", "Resources.Limits.Pids"};
    case Feature::Jobs: return {"1.41", "20.10", "Mode.ReplicatedJob/GlobalJob"};
    case Feature::NoNewPrivileges: return {"1.44", "25.0", "Privileges.NoNewPrivileges"};
    case Feature::Seccomp: return {"1.44", "25.0", "Privileges.Seccomp"};
    case Feature::AppArmor: return {"1.44", "25.0", "Privileges.AppArmor"};
    case Feature::HealthStartInterval: return {"1.44", "25.0", "Healthcheck.StartInterval"};
    case Feature::VolumeSubpath: return {"1.45", "26.1", "VolumeOptions.Subpath"};
    case Feature::OomScoreAdj: return {"1.46", "27.0", "ContainerSpec.OomScoreAdj"};
    case Feature::TmpfsOptions: return {"1.46", "27.0", "TmpfsOptions.Options"};
  }
  return {"1.30", "17.06", "?"};
}

std::vector<Feature> features_used(const ServiceSpec& s) {
  std::vector<Feature> out;
  auto use = [&](bool used, Feature f) {
    if (used) out.push_back(f);
  };
  use(!s.configs.empty(), Feature::Configs);
  use(s.init.has_value(), Feature::Init);
  use(!s.sysctls.empty(), Feature::Sysctls);
  use(s.max_replicas_per_node.has_value(), Feature::MaxReplicas);
  use(!s.capability_add.empty() || !s.capability_drop.empty(), Feature::CapabilityAddDrop);
  use(!s.ulimits.empty(), Feature::Ulimits);
  use(s.resources && s.resources->pids_limit, Feature::PidsLimit);
  use(s.mode == ServiceMode::ReplicatedJob || s.mode == ServiceMode::GlobalJob, Feature::Jobs);
  use(s.privileges.no_new_privileges, Feature::NoNewPrivileges);
  use(!s.privileges.seccomp_mode.empty(), Feature::Seccomp);
  use(!s.privileges.apparmor_mode.empty(), Feature::AppArmor);
  use(s.healthcheck && s.healthcheck->start_interval, Feature::HealthStartInterval);
  use(std::any_of(s.mounts.begin(), s.mounts.end(), [](const Mount& m) { return !m.subpath.empty(); }),
      Feature::VolumeSubpath);
  use(s.oom_score_adj.has_value(), Feature::OomScoreAdj);
  use(std::any_of(s.mounts.begin(), s.mounts.end(), [](const Mount& m) { return !m.tmpfs_options.empty(); }),
      Feature::TmpfsOptions);
  return out;
}

std::string to_string(RestartCondition c) {
  for (const auto& [condition, name] : kRestartNames)
    if (condition == c) return std::string(name);
  return "any";
}

std::optional<RestartCondition> parse_restart_condition(std::string_view name) {
  for (const auto& [condition, known] : kRestartNames)
    if (known == name) return condition;
  return std::nullopt;
}
std::string to_string(EndpointMode m) { return m == EndpointMode::Dnsrr ? "dnsrr" : "vip"; }
std::string to_string(ServiceMode m) {
  switch (m) {
    case ServiceMode::Replicated: return "replicated";
    case ServiceMode::Global: return "global";
    case ServiceMode::ReplicatedJob: return "replicated-job";
    case ServiceMode::GlobalJob: return "global-job";
  }
  return "replicated";
}

}  // namespace hcl::docker
