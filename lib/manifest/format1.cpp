// Format 1, docker-compose 1.x's: no version and no services key, each top-level key a service.
// Its services are read as format 2's are (service.cpp, with the same key table): only the keys
// docker-compose 1.x knew are accepted, and its own names for three of them (net, log_driver,
// log_opt) mean what network_mode and logging mean.
#include "loader.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hcl::manifest::detail {
namespace {

// The top-level keys of the other formats: a file with one of them besides services is not format 1.
constexpr std::string_view kSpecTopKeys[] = {"version", "name", "services", "networks", "volumes", "secrets", "configs", "include"};

// Every key docker-compose 1.x accepted in a service (its config schema v1).
constexpr std::string_view kFormat1Keys[] = {
    "build",          "cap_add",     "cap_drop",     "command",      "container_name", "cpu_shares", "cpu_quota",
    "cpuset",         "devices",     "dns",          "dns_search",   "dockerfile",     "domainname", "entrypoint",
    "env_file",       "environment", "expose",       "extends",      "external_links", "extra_hosts", "hostname",
    "image",          "ipc",         "labels",       "links",        "log_driver",     "log_opt",    "mac_address",
    "mem_limit",      "memswap_limit", "mem_swappiness", "net",      "pid",            "ports",      "privileged",
    "read_only",      "restart",     "security_opt", "shm_size",     "stdin_open",     "stop_signal", "tty",
    "ulimits",        "user",        "volumes",      "volume_driver", "volumes_from",  "working_dir",
};

// Format 1's names that later formats replaced.
struct Renamed {
  std::string_view key;
  std::string_view instead;
};
constexpr Renamed kFormat1Only[] = {
    {"net", "network_mode"},
    {"log_driver", "logging.driver"},
    {"log_opt", "logging.options"},
    {"dockerfile", "build.dockerfile"},
};

constexpr const char* kTookFor = "hcl took this file for compose format 1 (docker-compose 1.x): it has no version and no "
                                 "services key, so each top-level key is a service";

bool spec_top_key(std::string_view key) {
  return std::find(std::begin(kSpecTopKeys), std::end(kSpecTopKeys), key) != std::end(kSpecTopKeys);
}

}  // namespace

bool is_format1(const Node& top) {
  if (!top.is_map() || top.get("version") || top.get("services")) return false;
  return std::any_of(top.entries.begin(), top.entries.end(),
                     [](const Entry& e) { return !e.key.starts_with("x-") && !spec_top_key(e.key); });
}

std::vector<const Entry*> format1_services(const Node& top, Context& ctx) {
  std::vector<const Entry*> out;
  for (const auto& e : top.entries) {
    if (e.key.starts_with("x-")) continue;
    if (spec_top_key(e.key)) {
      ctx.diag.error(e.where, fmt::format("top-level key '{}' is not part of compose format 1; {}. Put the services "
                                          "under 'services:' to use it",
                                          e.key, kTookFor));
    } else if (std::string near = closest(e.key, {"services", "version", "networks", "volumes"}); !near.empty()) {
      ctx.diag.error(e.where, fmt::format("top-level key '{}': did you mean '{}'? {}", e.key, near, kTookFor));
    } else if (!e.value.is_map()) {
      ctx.diag.error(e.value.where, fmt::format("service '{}' must be a mapping, not {}; {}", e.key, describe(e.value),
                                                kTookFor));
    } else {
      out.push_back(&e);
    }
  }
  return out;
}

void check_format_keys(const Node& s, Context& ctx) {
  if (ctx.format == Format::V1) {
    std::vector<std::string_view> known(std::begin(kFormat1Keys), std::end(kFormat1Keys));
    for (const auto& e : s.entries) {
      if (e.key.starts_with("x-") || std::find(known.begin(), known.end(), e.key) != known.end()) continue;
      ctx.diag.error(e.where, fmt::format("key '{}' is not part of compose format 1{}; {}", e.key,
                                          did_you_mean(e.key, known), kTookFor));
    }
    return;
  }
  for (const auto& r : kFormat1Only)
    if (const Entry* e = s.entry(r.key))
      ctx.diag.error(e->where, fmt::format("key '{}' is part of compose format 1 only; use {}", r.key, r.instead));
}

}  // namespace hcl::manifest::detail
