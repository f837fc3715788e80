// ports:, volumes: and tmpfs: of a service, in short and long syntax.
#include "loader.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hcl::manifest::detail {
namespace {

constexpr KeyRule kPortKeys[] = {
    {"target", Rule::Use, ""}, {"published", Rule::Use, ""}, {"protocol", Rule::Use, ""},
    {"mode", Rule::Use, ""},   {"host_ip", Rule::Use, ""},   {"name", Rule::Ignore, ""},
    {"app_protocol", Rule::Ignore, ""},
};
constexpr KeyRule kMountKeys[] = {
    {"type", Rule::Use, ""},   {"source", Rule::Use, ""}, {"target", Rule::Use, ""},      {"read_only", Rule::Use, ""},
    {"bind", Rule::Use, ""},   {"volume", Rule::Use, ""}, {"tmpfs", Rule::Use, ""},       {"consistency", Rule::Ignore, ""},
};
constexpr KeyRule kBindKeys[] = {
    {"propagation", Rule::Ignore, ""}, {"create_host_path", Rule::Ignore, ""}, {"selinux", Rule::Ignore, ""}};
constexpr KeyRule kVolumeOptionKeys[] = {
    {"nocopy", Rule::Ignore, ""},
    {"subpath", Rule::Refuse, "the engine's API version used here cannot mount part of a volume"},
};
constexpr KeyRule kTmpfsKeys[] = {{"size", Rule::Ignore, ""}, {"mode", Rule::Ignore, ""}};

constexpr const char* kHostIp = "host IP binding is not supported in swarm mode; publish on all addresses";

std::optional<int> port_number(std::string_view text) {
  auto n = parse_count(text);
  if (!n || *n < 1 || *n > 65535) return std::nullopt;
  return static_cast<int>(*n);
}

std::optional<docker::PortSpec> short_port(const Node& item, Diagnostics& diag) {
  const std::string& text = item.text;
  auto fail = [&](const std::string& why) {
    diag.error(item.where, fmt::format("port '{}': {}", text, why));
    return std::nullopt;
  };
  docker::PortSpec p;
  std::string_view t = text;
  if (auto slash = t.rfind('/'); slash != std::string_view::npos) {
    p.protocol = std::string(t.substr(slash + 1));
    t = t.substr(0, slash);
    if (p.protocol != "tcp" && p.protocol != "udp" && p.protocol != "sctp")
      return fail(fmt::format("unknown protocol '{}'; use tcp, udp or sctp", p.protocol));
  }
  if (t.starts_with("[") || std::count(t.begin(), t.end(), ':') >= 2) return fail(kHostIp);
  if (t.find('-') != std::string_view::npos) return fail("port ranges are not supported; list each port on its own");
  auto colon = t.find(':');
  std::string_view target = colon == std::string_view::npos ? t : t.substr(colon + 1);
  auto tp = port_number(target);
  if (!tp) return fail(fmt::format("'{}' is not a port number (1-65535)", target));
  p.target = *tp;
  if (colon != std::string_view::npos) {
    auto pp = port_number(t.substr(0, colon));
    if (!pp) return fail(fmt::format("'{}' is not a port number (1-65535)", t.substr(0, colon)));
    p.published = *pp;
  }
  return p;
}

std::optional<docker::PortSpec> long_port(const Node& item, Diagnostics& diag) {
  check_keys(item, kPortKeys, "ports.", diag);
  docker::PortSpec p;
  bool good = true;
  const Node* target = item.get("target");
  if (!target) {
    diag.error(item.where, "a port in long syntax needs a target");
    return std::nullopt;
  }
  auto number = [&](const Node& n, const char* path) -> std::optional<int> {
    auto s = as_string(n, path, diag);
    if (!s) return std::nullopt;
    if (s->find('-') != std::string::npos) {
      diag.error(n.where, fmt::format("{} '{}': port ranges are not supported; list each port on its own", path, *s));
      return std::nullopt;
    }
    auto v = port_number(*s);
    if (!v) diag.error(n.where, fmt::format("{} must be a port number (1-65535), not '{}'", path, *s));
    return v;
  };
  auto t = number(*target, "ports.target");
  good = t.has_value();
  p.target = t.value_or(0);
  if (const Node* n = item.get("published"); n && !n->is_null()) {
    auto published = number(*n, "ports.published");
    good = good && published.has_value();
    p.published = published.value_or(0);
  }
  if (const Node* n = item.get("protocol")) {
    p.protocol = as_string(*n, "ports.protocol", diag).value_or("tcp");
    if (p.protocol != "tcp" && p.protocol != "udp" && p.protocol != "sctp") {
      diag.error(n->where, fmt::format("ports.protocol must be tcp, udp or sctp, not '{}'", p.protocol));
      good = false;
    }
  }
  if (const Node* n = item.get("mode")) {
    auto mode = as_string(*n, "ports.mode", diag);
    if (mode == "ingress") {
      p.mode = docker::PublishMode::Ingress;
    } else if (mode && *mode != "host") {
      diag.error(n->where, fmt::format("ports.mode must be host or ingress, not '{}'", *mode));
      good = false;
    }
  }
  if (const Node* n = item.get("host_ip")) {
    auto ip = as_string(*n, "ports.host_ip", diag);
    if (ip && !ip->empty() && *ip != "0.0.0.0" && *ip != "::") {
      diag.error(n->where, fmt::format("ports.host_ip '{}': {}", *ip, kHostIp));
      good = false;
    }
  }
  if (!good) return std::nullopt;
  return p;
}

struct MountReader {
  Context& ctx;
  Declared& declared;
  docker::ServiceSpec& spec;

  // A bind mount's source: ~ expanded, relative to the manifest's directory, made absolute.
  std::optional<std::string> host_path(const std::string& src, const Location& where) {
    std::string path = src;
    if (src == "~" || src.starts_with("~/")) {
      auto home = ctx.getenv("HOME");
      if (!home) {
        ctx.diag.error(where, fmt::format("cannot expand '~' in '{}': HOME is not set", src));
        return std::nullopt;
      }
      path = *home + src.substr(1);
    } else if (src.starts_with("~")) {
      ctx.diag.error(where, fmt::format("'{}': only '~' and '~/' are expanded, not another user's home", src));
      return std::nullopt;
    }
    std::filesystem::path p = path;
    if (p.is_relative()) p = ctx.abs_dir / p;
    std::string out = p.lexically_normal().string();
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
  }

  void add(docker::Mount m, const Location& where) {
    if (m.target.empty() || m.target[0] != '/') {
      ctx.diag.error(where, fmt::format("mount target '{}' must be an absolute path", m.target));
      return;
    }
    for (const auto& other : spec.mounts) {
      if (other.target == m.target) {
        ctx.diag.error(where, fmt::format("mount target '{}' is used twice", m.target));
        return;
      }
    }
    spec.mounts.push_back(std::move(m));
  }

  // A source that is not a path names a volume declared at the top level.
  bool source(docker::Mount& m, const std::string& src, bool bind, const Location& where) {
    if (bind) {
      auto p = host_path(src, where);
      if (!p) return false;
      m.type = "bind";
      m.source = *p;
      return true;
    }
    const VolumeDef* v = declared.use_volume(src);
    if (!v) {
      ctx.diag.error(where, fmt::format("volume '{}' is not declared under the top-level volumes key{}", src,
                                        did_you_mean(src, declared.volume_keys())));
      return false;
    }
    m.type = "volume";
    m.source = v->name;
    return true;
  }

  static bool looks_like_path(const std::string& s) { return s.starts_with("/") || s.starts_with(".") || s.starts_with("~"); }

  void short_syntax(const Node& item) {
    const std::string& text = item.text;
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t colon; (colon = text.find(':', start)) != std::string::npos; start = colon + 1)
      parts.push_back(text.substr(start, colon - start));
    parts.push_back(text.substr(start));
    if (parts.size() > 3 || std::any_of(parts.begin(), parts.end(), [](const auto& p) { return p.empty(); })) {
      ctx.diag.error(item.where, fmt::format("volume '{}' does not parse; expected TARGET, SOURCE:TARGET or "
                                             "SOURCE:TARGET:MODE",
                                             text));
      return;
    }
    docker::Mount m;
    m.target = parts.size() == 1 ? parts[0] : parts[1];
    if (parts.size() == 3) {
      std::size_t from = 0;
      const std::string& opts = parts[2];
      while (from <= opts.size()) {
        auto comma = opts.find(',', from);
        std::string opt = opts.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
        if (opt == "ro") {
          m.read_only = true;
        } else if (opt == "z" || opt == "Z" || opt == "nocopy") {
          ctx.diag.warn(item.where, fmt::format("volume '{}': option '{}' is not supported by hcl and is ignored", text, opt));
        } else if (opt != "rw" && opt != "cached" && opt != "delegated" && opt != "consistent") {
          ctx.diag.error(item.where, fmt::format("volume '{}': unknown mode '{}'; use ro or rw", text, opt));
          return;
        }
        if (comma == std::string::npos) break;
        from = comma + 1;
      }
    }
    if (parts.size() > 1 && !source(m, parts[0], looks_like_path(parts[0]), item.where)) return;
    add(std::move(m), item.where);
  }

  void long_syntax(const Node& item) {
    Diagnostics& diag = ctx.diag;
    check_keys(item, kMountKeys, "volumes.", diag);
    if (const Node* b = item.get("bind"); b && expect_map(*b, "volumes.bind", diag))
      check_keys(*b, kBindKeys, "volumes.bind.", diag);
    if (const Node* v = item.get("volume"); v && expect_map(*v, "volumes.volume", diag))
      check_keys(*v, kVolumeOptionKeys, "volumes.volume.", diag);
    if (const Node* t = item.get("tmpfs"); t && expect_map(*t, "volumes.tmpfs", diag))
      check_keys(*t, kTmpfsKeys, "volumes.tmpfs.", diag);
    docker::Mount m;
    const Node* target = item.get("target");
    if (!target) {
      diag.error(item.where, "a volume in long syntax needs a target");
      return;
    }
    m.target = as_string(*target, "volumes.target", diag).value_or("");
    if (const Node* r = item.get("read_only")) m.read_only = as_bool(*r, "volumes.read_only", diag).value_or(false);
    const Node* src = item.get("source");
    std::string source_text = src ? as_string(*src, "volumes.source", diag).value_or("") : "";
    std::string type = looks_like_path(source_text) ? "bind" : "volume";
    if (const Node* t = item.get("type")) {
      type = as_string(*t, "volumes.type", diag).value_or(type);
      if (type != "bind" && type != "volume" && type != "tmpfs") {
        diag.error(t->where, fmt::format("volumes.type must be bind, volume or tmpfs, not '{}'", type));
        return;
      }
    }
    const Location& where = src ? src->where : item.where;
    if (type == "tmpfs" && !source_text.empty()) {
      diag.error(where, "a tmpfs mount takes no source");
      return;
    }
    if (type == "bind" && source_text.empty()) {
      diag.error(where, "a bind mount needs a source");
      return;
    }
    m.type = type;
    if (!source_text.empty() && !source(m, source_text, type == "bind", where)) return;
    add(std::move(m), target->where);
  }

  void tmpfs(const Node& node) {
    auto targets = as_string_or_list(node, "tmpfs", ctx.diag);
    if (!targets) return;
    for (const Node* t : *targets) {
      docker::Mount m;
      m.type = "tmpfs";
      m.target = t->text.substr(0, t->text.find(':'));
      if (m.target.size() < t->text.size())
        ctx.diag.warn(t->where, fmt::format("tmpfs '{}': options are not supported by hcl and are ignored", t->text));
      add(std::move(m), t->where);
    }
  }
};

}  // namespace

void read_ports(const Node& node, Context& ctx, ParsedService& out) {
  Diagnostics& diag = ctx.diag;
  const auto* items = as_list(node, "ports", diag);
  if (!items) return;
  auto& ports = out.def.spec.ports;
  for (const auto& item : *items) {
    std::optional<docker::PortSpec> p;
    if (item.is_scalar())
      p = short_port(item, diag);
    else if (item.is_map())
      p = long_port(item, diag);
    else
      diag.error(item.where, fmt::format("each item of ports must be a string or a mapping, not {}", describe(item)));
    if (!p) continue;
    bool twice = p->published != 0 && std::any_of(ports.begin(), ports.end(), [&](const docker::PortSpec& q) {
                   return q.published == p->published && q.protocol == p->protocol;
                 });
    if (twice) {
      diag.error(item.where, fmt::format("published port {}/{} is listed twice", p->published, p->protocol));
      continue;
    }
    ports.push_back(*p);
    out.ports_at.push_back(item.where);
  }
}

void read_mounts(const Node& s, Context& ctx, Declared& declared, docker::ServiceSpec& spec) {
  MountReader r{ctx, declared, spec};
  if (const Node* v = s.get("volumes")) {
    if (const auto* items = as_list(*v, "volumes", ctx.diag)) {
      for (const auto& item : *items) {
        if (item.is_scalar())
          r.short_syntax(item);
        else if (item.is_map())
          r.long_syntax(item);
        else
          ctx.diag.error(item.where, fmt::format("each item of volumes must be a string or a mapping, not {}", describe(item)));
      }
    }
  }
  if (const Node* t = s.get("tmpfs")) r.tmpfs(*t);
}

}  // namespace hcl::manifest::detail
