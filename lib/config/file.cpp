#include "file.hpp"

#include <hcl/files.hpp>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <string_view>

namespace hcl::config {
namespace {

// Far more than any settings file needs.
constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

// Every key the file may set; kept in one list so that a typo is an error, not a silent no-op.
constexpr std::array<std::string_view, 19> kKnownKeys = {
    "master",           "docker.host",       "docker.tls",        "docker.tls_verify",
    "docker.cert_path", "docker.tls_ca",     "docker.tls_cert",   "docker.tls_key",
    "consul.addr",      "consul.token",      "consul.token_file", "consul.ssl",
    "consul.ssl_verify", "consul.cacert",    "consul.client_cert", "consul.client_key",
    "timeouts.connect", "timeouts.request",  "docker.ssh_persist"};

bool known(const std::string& key) {
  for (auto k : kKnownKeys)
    if (k == key) return true;
  return false;
}

bool is_section(const std::string& key) {
  for (auto k : kKnownKeys)
    if (k.starts_with(key + ".")) return true;
  return false;
}

std::string where(const std::string& path, const YAML::Mark& m) {
  return fmt::format("{}:{}:{}", path, m.line + 1, m.column + 1);
}

Status walk(const YAML::Node& node, const std::string& prefix, const std::string& path, FileSettings& out) {
  for (const auto& item : node) {
    const YAML::Node& key_node = item.first;
    const YAML::Node& value = item.second;
    std::string key = prefix.empty() ? key_node.Scalar() : prefix + "." + key_node.Scalar();
    // A key given twice: which one counts would be a guess (manifests refuse it too).
    if (auto seen = out.find(key); seen != out.end())
      return Error{ErrorKind::Usage, where(path, key_node.Mark()),
                   fmt::format("'{}' is set twice (first at {})", key, seen->second.location)};
    if (value.IsMap()) {
      if (known(key))
        return Error{ErrorKind::Usage, where(path, value.Mark()), fmt::format("'{}' takes a single value, not a mapping", key)};
      if (!is_section(key))
        return Error{ErrorKind::Usage, where(path, key_node.Mark()), fmt::format("unknown section '{}'", key)};
      auto s = walk(value, key, path, out);
      if (!s) return s;
      continue;
    }
    if (!known(key)) {
      return Error{ErrorKind::Usage, where(path, key_node.Mark()),
                   is_section(key) ? fmt::format("'{}' must be a mapping", key) : fmt::format("unknown key '{}'", key)};
    }
    if (!value.IsScalar())
      return Error{ErrorKind::Usage, where(path, value.Mark()), fmt::format("'{}' must be a single value", key)};
    out[key] = FileValue{value.Scalar(), where(path, value.Mark())};
  }
  return ok();
}

}  // namespace

Result<FileSettings> load_file(const std::string& path) {
  FileSettings out;
  // Read first, with a cap and regular files only: yaml-cpp's own LoadFile throws std::ios_base
  // errors for a directory and reads a device such as /dev/zero until memory runs out.
  auto text = files::read_bounded(path, {"the config file", "config files", kMaxConfigBytes});
  if (!text) return text.error();
  try {
    YAML::Node root = YAML::Load(*text);
    if (root.IsNull()) return out;  // an empty file sets nothing
    if (!root.IsMap())
      return Error{ErrorKind::Usage, where(path, root.Mark()), "the config file must be a mapping of settings"};
    auto s = walk(root, "", path, out);
    if (!s) return s.error();
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own words for it are "bad file".
    return Error{ErrorKind::Usage, where(path, e.mark), "the config file nests too deeply (its settings are two levels)"};
  } catch (const YAML::Exception& e) {
    return Error{ErrorKind::Usage, where(path, e.mark), e.msg};
  }
  return out;
}

}  // namespace hcl::config
