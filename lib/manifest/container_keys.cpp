// The keys of the container each task runs: who and where it runs (hostname, user, working_dir,
// group_add), how it starts and stops (init, tty, stdin_open, read_only, stop_signal,
// stop_grace_period), what it may do (cap_add, cap_drop, security_opt, sysctls, ulimits,
// oom_score_adj, isolation), what it resolves (extra_hosts, dns, dns_search, dns_opt), where it
// logs (logging) and how its health is checked (healthcheck). Conversions follow docker stack
// deploy's (capabilities upper-cased, prefixed and sorted; ulimits sorted by name; hosts as
// "IP NAME" lines).
#include "loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>

namespace hcl::manifest::detail {
namespace {

constexpr KeyRule kHealthKeys[] = {
    {"test", Rule::Use, ""},         {"interval", Rule::Use, ""}, {"timeout", Rule::Use, ""},
    {"start_period", Rule::Use, ""}, {"retries", Rule::Use, ""},  {"disable", Rule::Use, ""},
    {"start_interval", Rule::Use, ""},
};
constexpr KeyRule kLoggingKeys[] = {{"driver", Rule::Use, ""}, {"options", Rule::Use, ""}};
constexpr KeyRule kUlimitKeys[] = {{"soft", Rule::Use, ""}, {"hard", Rule::Use, ""}};
constexpr KeyRule kCredentialSpecKeys[] = {
    {"file", Rule::Use, ""},
    {"registry", Rule::Use, ""},
    {"config", Rule::Refuse, "hcl gives credential specs as a file or a registry value only"},
};

// A string or a list of strings, as a list ("dns: 8.8.8.8" or "dns: [8.8.8.8, 1.1.1.1]").
std::vector<std::string> strings(const Node& node, std::string_view path, Diagnostics& diag) {
  std::vector<std::string> out;
  if (auto items = as_string_or_list(node, path, diag))
    for (const Node* n : *items) out.push_back(n->text);
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// As the docker CLI: upper case, "CAP_" put in front (not of ALL), duplicates gone, sorted; ALL
// stands alone; a capability both added and dropped is added.
void read_capabilities(const Node& s, ParsedService& out, Diagnostics& diag) {
  auto normal = [&](const char* key) {
    std::set<std::string> caps;
    const Node* n = s.get(key);
    if (!n) return caps;
    for (auto c : strings(*n, key, diag)) {
      c = upper(c);
      if (c == "RESET") continue;
      if (c != "ALL" && !c.starts_with("CAP_")) c = "CAP_" + c;
      caps.insert(c);
    }
    out.feature(docker::Feature::CapabilityAddDrop, n->where, key);
    return caps;
  };
  auto add = normal("cap_add");
  auto drop = normal("cap_drop");
  if (add.count("ALL")) add = {"ALL"};
  if (drop.count("ALL")) drop = {"ALL"};
  for (const auto& c : add) drop.erase(c);
  out.def.spec.capability_add.assign(add.begin(), add.end());
  out.def.spec.capability_drop.assign(drop.begin(), drop.end());
}

void read_ulimits(const Node& node, ParsedService& out, Diagnostics& diag) {
  if (!expect_map(node, "ulimits", diag)) return;
  out.feature(docker::Feature::Ulimits, node.where, "ulimits");
  auto& list = out.def.spec.ulimits;
  for (const auto& e : node.entries) {
    std::string path = "ulimits." + e.key;
    docker::Ulimit u{e.key, 0, 0};
    if (e.value.is_map()) {
      check_keys(e.value, kUlimitKeys, path + ".", diag);
      const Node* soft = e.value.get("soft");
      const Node* hard = e.value.get("hard");
      if (!soft || !hard) {
        diag.error(e.value.where, fmt::format("{} needs both soft and hard", path));
        continue;
      }
      auto sv = as_int(*soft, path + ".soft", diag), hv = as_int(*hard, path + ".hard", diag);
      if (!sv || !hv) continue;
      u.soft = *sv;
      u.hard = *hv;
    } else {
      auto v = as_int(e.value, path, diag);
      if (!v) continue;
      u.soft = u.hard = *v;
    }
    if (u.soft > u.hard) {
      diag.error(e.value.where, fmt::format("{}: the soft limit {} is above the hard limit {}", path, u.soft, u.hard));
      continue;
    }
    list.push_back(u);
  }
  std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
}

// extra_hosts: "name:IP" or "name=IP" items, or a mapping name: IP (or a list of IPs); each
// becomes an "IP name" line of /etc/hosts. An IPv6 address may be in brackets.
void read_extra_hosts(const Node& node, docker::ServiceSpec& spec, Diagnostics& diag) {
  auto line = [&](std::string host, std::string ip, const Location& where) {
    if (ip.size() > 1 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    if (host.empty() || ip.empty()) {
      diag.error(where, "each extra_hosts entry needs a name and an address: NAME:IP");
      return;
    }
    spec.hosts.push_back(ip + " " + host);
  };
  if (node.is_map()) {
    std::vector<std::pair<std::string, const Node*>> items;  // sorted by "name:IP", as docker stack deploy
    for (const auto& e : node.entries) {
      if (e.value.is_seq()) {
        for (const auto& ip : e.value.items) items.emplace_back(e.key + ":" + ip.text, &ip);
      } else if (auto ip = as_string(e.value, "extra_hosts." + e.key, diag)) {
        items.emplace_back(e.key + ":" + *ip, &e.value);
      }
    }
    std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [text, n] : items) {
      auto colon = text.find(':');
      line(text.substr(0, colon), text.substr(colon + 1), n->where);
    }
    return;
  }
  const auto* items = as_list(node, "extra_hosts", diag);
  if (!items) return;
  for (const auto& item : *items) {
    auto text = as_string(item, "each extra_hosts entry", diag);
    if (!text) continue;
    auto sep = text->find_first_of(":=");
    if (sep == std::string::npos) {
      diag.error(item.where, fmt::format("extra_hosts entry '{}' has no address; expected NAME:IP", *text));
      continue;
    }
    line(text->substr(0, sep), text->substr(sep + 1), item.where);
  }
}

void read_dns(const Node& s, ParsedService& out, Diagnostics& diag) {
  const Node* dns = s.get("dns");
  const Node* search = s.get("dns_search");
  const Node* opt = s.get("dns_opt");
  if (!dns && !search && !opt) return;
  docker::DnsConfig d;
  if (dns) d.nameservers = strings(*dns, "dns", diag);
  if (search) d.search = strings(*search, "dns_search", diag);
  if (opt) d.options = strings(*opt, "dns_opt", diag);
  out.def.spec.dns = d;
}

// security_opt: the options the engine can give a swarm service's containers.
void read_security_opt(const Node& node, Context& ctx, ParsedService& out) {
  Diagnostics& diag = ctx.diag;
  const auto* items = as_list(node, "security_opt", diag);
  if (!items) return;
  auto& p = out.def.spec.privileges;
  for (const auto& item : *items) {
    auto text = as_string(item, "each security_opt entry", diag);
    if (!text) continue;
    auto sep = text->find_first_of(":=");
    std::string key = text->substr(0, sep);
    std::string value = sep == std::string::npos ? "" : text->substr(sep + 1);
    if (key == "no-new-privileges" && (value.empty() || value == "true" || value == "false")) {
      p.no_new_privileges = value != "false";
      if (p.no_new_privileges) out.feature(docker::Feature::NoNewPrivileges, item.where, "security_opt: " + *text);
    } else if (key == "seccomp" && !value.empty()) {
      out.feature(docker::Feature::Seccomp, item.where, "security_opt: " + *text);
      if (value == "unconfined") {
        p.seccomp_mode = "unconfined";
        continue;
      }
      std::filesystem::path path = value;
      if (path.is_relative()) path = ctx.dir / path;
      // Read one byte past the limit at most: a device or a pipe given as the profile has no end.
      constexpr std::size_t kMaxProfile = 1024 * 1024;
      std::ifstream in(path, std::ios::binary);
      std::string profile(kMaxProfile + 1, '\0');
      in.read(profile.data(), static_cast<std::streamsize>(profile.size()));
      if (in.bad()) {
        diag.error(item.where, fmt::format("security_opt seccomp profile '{}' cannot be read", value));
        continue;
      }
      profile.resize(static_cast<std::size_t>(in.gcount()));
      if (profile.empty() || profile.size() > kMaxProfile) {
        diag.error(item.where, fmt::format("security_opt seccomp profile '{}' is empty, missing or too large", value));
        continue;
      }
      p.seccomp_mode = "custom";
      p.seccomp_profile = std::move(profile);
    } else if (key == "apparmor" && value == "unconfined") {
      p.apparmor_mode = "disabled";
      out.feature(docker::Feature::AppArmor, item.where, "security_opt: " + *text);
    } else {
      diag.error(item.where, fmt::format("security_opt '{}' cannot be given to a swarm service: it takes "
                                         "no-new-privileges, seccomp=unconfined|PROFILE.json and apparmor=unconfined",
                                         *text));
    }
  }
}

void read_logging(const Node& node, docker::ServiceSpec& spec, Diagnostics& diag) {
  if (!expect_map(node, "logging", diag)) return;
  check_keys(node, kLoggingKeys, "logging.", diag);
  docker::LogDriver d;
  if (const Node* n = node.get("driver")) d.name = as_string(*n, "logging.driver", diag).value_or("");
  if (const Node* o = node.get("options")) d.options = as_labels(*o, "logging.options", diag).value_or(docker::Labels{});
  spec.log_driver = d;
}

void read_healthcheck(const Node& h, ParsedService& out, Diagnostics& diag) {
  if (!expect_map(h, "healthcheck", diag)) return;
  check_keys(h, kHealthKeys, "healthcheck.", diag);
  docker::Healthcheck hc;
  if (const Node* d = h.get("disable"); d && as_bool(*d, "healthcheck.disable", diag).value_or(false)) {
    if (const Entry* t = h.entry("test")) diag.error(t->where, "healthcheck: test and disable cannot both be set");
    hc.test = {"NONE"};
    out.def.spec.healthcheck = hc;
    return;
  }
  if (const Node* t = h.get("test")) {
    if (t->is_scalar()) {
      hc.test = {"CMD-SHELL", t->text};
    } else if (auto words = as_words(*t, "healthcheck.test", diag)) {
      if (words->empty() || ((*words)[0] != "CMD" && (*words)[0] != "CMD-SHELL" && (*words)[0] != "NONE"))
        diag.error(t->where, fmt::format("healthcheck.test must start with CMD, CMD-SHELL or NONE, not {}",
                                         words->empty() ? "nothing" : "'" + (*words)[0] + "'"));
      else
        hc.test = std::move(*words);
    }
  }
  auto nonzero = [](std::optional<docker::Duration> d) { return d && d->count() == 0 ? std::nullopt : d; };
  if (const Node* n = h.get("interval")) hc.interval = nonzero(as_duration(*n, "healthcheck.interval", diag));
  if (const Node* n = h.get("timeout")) hc.timeout = nonzero(as_duration(*n, "healthcheck.timeout", diag));
  if (const Node* n = h.get("start_period")) hc.start_period = nonzero(as_duration(*n, "healthcheck.start_period", diag));
  if (const Node* n = h.get("start_interval")) {
    hc.start_interval = nonzero(as_duration(*n, "healthcheck.start_interval", diag));
    if (hc.start_interval) out.feature(docker::Feature::HealthStartInterval, n->where, "healthcheck.start_interval");
  }
  if (const Node* n = h.get("retries")) {
    auto r = as_count(*n, "healthcheck.retries", diag);
    if (r && *r > 1000000)
      diag.error(n->where, "healthcheck.retries is too large");
    else if (r && *r > 0)
      hc.retries = static_cast<int>(*r);
  }
  out.def.spec.healthcheck = hc;
}

void read_credential_spec(const Node& node, docker::ServiceSpec& spec, Diagnostics& diag) {
  if (!expect_map(node, "credential_spec", diag)) return;
  check_keys(node, kCredentialSpecKeys, "credential_spec.", diag);
  const Node* file = node.get("file");
  const Node* registry = node.get("registry");
  if (file && registry) diag.error(registry->where, "credential_spec takes one of file and registry");
  if (file) spec.privileges.credential_spec_file = as_string(*file, "credential_spec.file", diag).value_or("");
  if (registry) spec.privileges.credential_spec_registry = as_string(*registry, "credential_spec.registry", diag).value_or("");
}

// Booleans of the container: init, tty, stdin_open, read_only.
void read_flags(const Node& s, ParsedService& out, Diagnostics& diag) {
  auto& spec = out.def.spec;
  if (const Node* n = s.get("init")) {
    spec.init = as_bool(*n, "init", diag);
    out.feature(docker::Feature::Init, n->where, "init");
  }
  if (const Node* n = s.get("tty")) spec.tty = as_bool(*n, "tty", diag).value_or(false);
  if (const Node* n = s.get("stdin_open")) spec.open_stdin = as_bool(*n, "stdin_open", diag).value_or(false);
  if (const Node* n = s.get("read_only")) spec.read_only = as_bool(*n, "read_only", diag).value_or(false);
}

}  // namespace

void read_container_keys(const Node& s, Context& ctx, ParsedService& out) {
  Diagnostics& diag = ctx.diag;
  docker::ServiceSpec& spec = out.def.spec;
  if (const Node* h = s.get("hostname")) spec.hostname = as_string(*h, "hostname", diag).value_or("");
  if (const Node* u = s.get("user")) spec.user = as_string(*u, "user", diag).value_or("");
  if (const Node* w = s.get("working_dir")) {
    spec.workdir = as_string(*w, "working_dir", diag).value_or("");
    if (!spec.workdir.empty() && spec.workdir[0] != '/')
      diag.error(w->where, fmt::format("working_dir '{}' must be an absolute path", spec.workdir));
  }
  if (const Node* g = s.get("group_add")) spec.groups = strings(*g, "group_add", diag);
  read_flags(s, out, diag);
  if (const Node* n = s.get("stop_signal")) spec.stop_signal = as_string(*n, "stop_signal", diag).value_or("");
  if (const Node* n = s.get("stop_grace_period")) spec.stop_grace_period = as_duration(*n, "stop_grace_period", diag);
  read_capabilities(s, out, diag);
  if (const Node* n = s.get("sysctls")) {
    spec.sysctls = as_labels(*n, "sysctls", diag).value_or(docker::Labels{});
    out.feature(docker::Feature::Sysctls, n->where, "sysctls");
  }
  if (const Node* n = s.get("ulimits")) read_ulimits(*n, out, diag);
  if (const Node* n = s.get("oom_score_adj")) {
    spec.oom_score_adj = as_int(*n, "oom_score_adj", diag);
    if (spec.oom_score_adj && (*spec.oom_score_adj < -1000 || *spec.oom_score_adj > 1000))
      diag.error(n->where, "oom_score_adj must be from -1000 to 1000");
    out.feature(docker::Feature::OomScoreAdj, n->where, "oom_score_adj");
  }
  if (const Node* n = s.get("isolation")) spec.isolation = as_string(*n, "isolation", diag).value_or("");
  if (const Node* n = s.get("security_opt")) read_security_opt(*n, ctx, out);
  if (const Node* n = s.get("credential_spec")) read_credential_spec(*n, spec, diag);
  if (const Node* n = s.get("extra_hosts")) read_extra_hosts(*n, spec, diag);
  read_dns(s, out, diag);
  if (const Node* n = s.get("logging")) {
    read_logging(*n, spec, diag);
  } else if (s.get("log_driver") || s.get("log_opt")) {  // format 1's logging
    docker::LogDriver d;
    if (const Node* n = s.get("log_driver")) d.name = as_string(*n, "log_driver", diag).value_or("");
    if (const Node* o = s.get("log_opt")) d.options = as_labels(*o, "log_opt", diag).value_or(docker::Labels{});
    spec.log_driver = d;
  }
  if (const Node* n = s.get("healthcheck")) read_healthcheck(*n, out, diag);
}

}  // namespace hcl::manifest::detail
