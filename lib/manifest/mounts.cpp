// volumes: (short and long syntax) and tmpfs: of a service, as mounts of its containers. As
// docker stack deploy: a source that is a path makes a bind mount (relative paths are relative to
// the manifest's directory, and made absolute), any other source names a volume declared at the
// top level, whose driver, options and labels go with every mount of it (each node's engine
// creates the volume on first use).
#include "loader.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hcl::manifest::detail {
namespace {

constexpr KeyRule kMountKeys[] = {
    {"type", Rule::Use, ""},   {"source", Rule::Use, ""}, {"target", Rule::Use, ""}, {"read_only", Rule::Use, ""},
    {"bind", Rule::Use, ""},   {"volume", Rule::Use, ""}, {"tmpfs", Rule::Use, ""},  {"consistency", Rule::Use, ""},
    {"image", Rule::Refuse, "swarm services cannot mount images"},
};
constexpr KeyRule kBindKeys[] = {
    {"propagation", Rule::Use, ""},
    {"create_host_path", Rule::Ignore, "swarm services never create a missing bind source: the task fails instead"},
    {"selinux", Rule::Ignore, "swarm services cannot relabel a bind source"},
};
constexpr KeyRule kVolumeOptionKeys[] = {{"nocopy", Rule::Use, ""}, {"subpath", Rule::Use, ""}};
constexpr KeyRule kTmpfsKeys[] = {{"size", Rule::Use, ""}, {"mode", Rule::Use, ""}};

constexpr std::string_view kPropagations[] = {"rprivate", "private", "rshared", "shared", "rslave", "slave"};

bool is_propagation(std::string_view s) {
  return std::find(std::begin(kPropagations), std::end(kPropagations), s) != std::end(kPropagations);
}

struct MountReader {
  Context& ctx;
  Declared& declared;
  ParsedService& out;

  // A bind mount's source: ~ expanded; a relative path joined to the manifest's directory and
  // cleaned; an absolute one kept as written (as docker stack deploy does).
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
    if (p.is_absolute()) return path;
    std::string joined = (ctx.abs_dir / p).lexically_normal().string();
    while (joined.size() > 1 && joined.back() == '/') joined.pop_back();
    return joined;
  }

  void add(docker::Mount m, const Location& where) {
    auto& mounts = out.def.spec.mounts;
    if (m.target.empty() || m.target[0] != '/') {
      ctx.diag.error(where, fmt::format("mount target '{}' must be an absolute path", m.target));
      return;
    }
    if (std::any_of(mounts.begin(), mounts.end(), [&](const auto& o) { return o.target == m.target; })) {
      ctx.diag.error(where, fmt::format("mount target '{}' is used twice", m.target));
      return;
    }
    if (!m.subpath.empty()) out.feature(docker::Feature::VolumeSubpath, where, "volume.subpath");
    if (!m.tmpfs_options.empty()) out.feature(docker::Feature::TmpfsOptions, where, "tmpfs options");
    mounts.push_back(std::move(m));
  }

  // The source of a bind mount (a path) or of a volume mount (a declared volume).
  bool source(docker::Mount& m, const std::string& src, const Location& where) {
    if (m.type == "bind") {
      auto p = host_path(src, where);
      if (!p) return false;
      m.source = *p;
      return true;
    }
    const VolumeDef* v = declared.use_volume(src);
    if (!v) {
      ctx.diag.error(where, fmt::format("volume '{}' is not declared under the top-level volumes key{}", src,
                                        did_you_mean(src, declared.volume_keys())));
      return false;
    }
    m.source = v->name;
    if (!v->external) {
      m.volume_labels = v->labels;
      m.volume_driver = v->driver;
      m.volume_driver_options = v->driver_options;
    }
    return true;
  }

  static bool looks_like_path(const std::string& s) { return s.starts_with("/") || s.starts_with(".") || s.starts_with("~"); }

  // SOURCE:TARGET:OPTIONS options: ro, rw, nocopy, a bind propagation; z and Z cannot be done.
  bool short_options(docker::Mount& m, const std::string& opts, const Node& item) {
    std::size_t from = 0;
    for (;;) {
      auto comma = opts.find(',', from);
      std::string opt = opts.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
      if (opt == "ro") {
        m.read_only = true;
      } else if (opt == "nocopy") {
        if (m.type == "bind") {
          ctx.diag.error(item.where, fmt::format("volume '{}': nocopy is for volumes, not for bind mounts", item.text));
          return false;
        }
        m.no_copy = true;
      } else if (is_propagation(opt)) {
        if (m.type != "bind") {
          ctx.diag.error(item.where, fmt::format("volume '{}': {} is for bind mounts, not for volumes", item.text, opt));
          return false;
        }
        m.propagation = opt;
      } else if (opt == "z" || opt == "Z") {
        ctx.diag.warn(item.where, fmt::format("volume '{}': option '{}' is ignored: swarm services cannot relabel a "
                                              "bind source",
                                              item.text, opt));
      } else if (opt != "rw" && opt != "cached" && opt != "delegated" && opt != "consistent") {
        ctx.diag.error(item.where, fmt::format("volume '{}': unknown option '{}'; use ro, rw, nocopy or a propagation",
                                               item.text, opt));
        return false;
      }
      if (comma == std::string::npos) return true;
      from = comma + 1;
    }
  }

  void short_syntax(const Node& item) {
    const std::string& text = item.text;
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t colon; (colon = text.find(':', start)) != std::string::npos; start = colon + 1)
      parts.push_back(text.substr(start, colon - start));
    parts.push_back(text.substr(start));
    if (parts.size() > 3 || std::any_of(parts.begin(), parts.end(), [](const auto& p) { return p.empty(); })) {
      ctx.diag.error(item.where, fmt::format("volume '{}' does not parse; expected TARGET, SOURCE:TARGET or "
                                             "SOURCE:TARGET:OPTIONS",
                                             text));
      return;
    }
    docker::Mount m;
    m.target = parts.size() == 1 ? parts[0] : parts[1];
    m.type = parts.size() > 1 && looks_like_path(parts[0]) ? "bind" : "volume";
    if (parts.size() == 3 && !short_options(m, parts[2], item)) return;
    if (parts.size() > 1 && !source(m, parts[0], item.where)) return;
    add(std::move(m), item.where);
  }

  void long_options(const Node& item, docker::Mount& m) {
    Diagnostics& diag = ctx.diag;
    if (const Node* b = item.get("bind"); b && expect_map(*b, "volumes.bind", diag)) {
      check_keys(*b, kBindKeys, "volumes.bind.", diag);
      if (const Node* p = b->get("propagation")) {
        auto prop = as_string(*p, "volumes.bind.propagation", diag);
        if (prop && !is_propagation(*prop))
          diag.error(p->where, fmt::format("volumes.bind.propagation must be one of rprivate, private, rshared, shared, "
                                           "rslave or slave, not '{}'",
                                           *prop));
        else if (prop)
          m.propagation = *prop;
      }
    }
    if (const Node* v = item.get("volume"); v && expect_map(*v, "volumes.volume", diag)) {
      check_keys(*v, kVolumeOptionKeys, "volumes.volume.", diag);
      if (const Node* n = v->get("nocopy")) m.no_copy = as_bool(*n, "volumes.volume.nocopy", diag).value_or(false);
      if (const Node* n = v->get("subpath")) m.subpath = as_string(*n, "volumes.volume.subpath", diag).value_or("");
    }
    if (const Node* t = item.get("tmpfs"); t && expect_map(*t, "volumes.tmpfs", diag)) {
      check_keys(*t, kTmpfsKeys, "volumes.tmpfs.", diag);
      if (const Node* n = t->get("size")) m.tmpfs_size = as_bytes(*n, "volumes.tmpfs.size", diag);
      if (const Node* n = t->get("mode")) m.tmpfs_mode = as_file_mode(*n, "volumes.tmpfs.mode", diag);
    }
    if (const Node* c = item.get("consistency")) m.consistency = as_string(*c, "volumes.consistency", diag).value_or("");
  }

  void long_syntax(const Node& item) {
    Diagnostics& diag = ctx.diag;
    check_keys(item, kMountKeys, "volumes.", diag);
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
    m.type = looks_like_path(source_text) ? "bind" : "volume";
    if (const Node* t = item.get("type")) {
      m.type = as_string(*t, "volumes.type", diag).value_or(m.type);
      if (m.type != "bind" && m.type != "volume" && m.type != "tmpfs") {
        diag.error(t->where, fmt::format("volumes.type must be bind, volume or tmpfs, not '{}'{}", m.type,
                                          m.type == "image" ? ": swarm services cannot mount images" : ""));
        return;
      }
    }
    long_options(item, m);
    const Location& where = src ? src->where : item.where;
    if (m.type == "tmpfs" && !source_text.empty()) {
      diag.error(where, "a tmpfs mount takes no source");
      return;
    }
    if (m.type == "bind" && source_text.empty()) {
      diag.error(where, "a bind mount needs a source");
      return;
    }
    if (!source_text.empty() && !source(m, source_text, where)) return;
    add(std::move(m), target->where);
  }

  // The service-level tmpfs: key: "PATH" or "PATH:OPTIONS" (size=64m, mode=1777, others as mount
  // options).
  void tmpfs(const Node& node) {
    auto targets = as_string_or_list(node, "tmpfs", ctx.diag);
    if (!targets) return;
    for (const Node* t : *targets) {
      docker::Mount m;
      m.type = "tmpfs";
      auto colon = t->text.find(':');
      m.target = t->text.substr(0, colon);
      if (colon != std::string::npos) {
        std::string opts = t->text.substr(colon + 1);
        for (std::size_t from = 0; from <= opts.size();) {
          auto comma = opts.find(',', from);
          std::string opt = opts.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
          from = comma == std::string::npos ? opts.size() + 1 : comma + 1;
          if (opt.empty()) continue;
          auto eq = opt.find('=');
          std::string key = opt.substr(0, eq), value = eq == std::string::npos ? "" : opt.substr(eq + 1);
          if (key == "size" && parse_bytes(value)) {
            m.tmpfs_size = parse_bytes(value);
          } else if (key == "mode" && !value.empty() && value.size() <= 5 &&
                     value.find_first_not_of("01234567") == std::string::npos) {
            m.tmpfs_mode = static_cast<std::uint32_t>(std::stoul(value, nullptr, 8));
          } else if (key == "ro") {
            m.read_only = true;
          } else {
            m.tmpfs_options.push_back(eq == std::string::npos ? std::vector<std::string>{key}
                                                              : std::vector<std::string>{key, value});
          }
        }
      }
      add(std::move(m), t->where);
    }
  }
};

}  // namespace

void read_mounts(const Node& s, Context& ctx, Declared& declared, ParsedService& out) {
  MountReader r{ctx, declared, out};
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
