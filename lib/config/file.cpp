#include "file.hpp"

#include <hcl/files.hpp>

#include <fmt/format.h>

#include "../yaml/events.hpp"

#include <array>
#include <string_view>
#include <vector>

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

std::string where(const std::string& path, const yaml::Mark& m) { return fmt::format("{}:{}:{}", path, m.line, m.col); }

// Settings are two levels deep; a little room beyond that for a message that names the key.
constexpr int kMaxDepth = 8;
// A config file sets at most kKnownKeys.size() values.
constexpr std::size_t kMaxEvents = 10000;

// The file's events, read whole before any is looked at: a syntax error anywhere comes first.
Result<std::vector<yaml::Event>> read_events(const std::string& text, const std::string& path) {
  std::vector<yaml::Event> events;
  yaml::Reader reader(text);
  yaml::Event e;
  int depth = 0;
  using Kind = yaml::Event::Kind;
  while (reader.next(e)) {
    if (e.kind == Kind::MapStart || e.kind == Kind::SeqStart) {
      if (++depth > kMaxDepth)
        return Error{ErrorKind::Usage, where(path, e.at), "the config file nests too deeply (its settings are two levels)"};
    } else if (e.kind == Kind::MapEnd || e.kind == Kind::SeqEnd) {
      --depth;
    } else if (e.kind == Kind::Alias) {
      return Error{ErrorKind::Usage, where(path, e.at), "the config file cannot use aliases (*name): write the value"};
    }
    if (events.size() >= kMaxEvents)
      return Error{ErrorKind::Usage, where(path, e.at),
                   fmt::format("the config file has more than {} keys and values; it sets at most {}", kMaxEvents,
                               kKnownKeys.size())};
    events.push_back(std::move(e));
  }
  if (const auto* bad = reader.error()) return Error{ErrorKind::Usage, where(path, bad->at), bad->message()};
  return events;
}

// The mapping that starts at events[i] (prefix: the section it is), up to its end.
Status walk(const std::vector<yaml::Event>& events, std::size_t& i, const std::string& prefix, const std::string& path,
            FileSettings& out) {
  using Kind = yaml::Event::Kind;
  for (++i; events[i].kind != Kind::MapEnd;) {
    const yaml::Event& key_event = events[i++];
    if (key_event.kind != Kind::Scalar)
      return Error{ErrorKind::Usage, where(path, key_event.at), "a key must be a plain string"};
    std::string key = prefix.empty() ? key_event.value : prefix + "." + key_event.value;
    // A key given twice: which one counts would be a guess (manifests refuse it too).
    if (auto seen = out.find(key); seen != out.end())
      return Error{ErrorKind::Usage, where(path, key_event.at),
                   fmt::format("'{}' is set twice (first at {})", key, seen->second.location)};
    const yaml::Event& value = events[i];
    if (value.kind == Kind::MapStart) {
      if (known(key))
        return Error{ErrorKind::Usage, where(path, value.at), fmt::format("'{}' takes a single value, not a mapping", key)};
      if (!is_section(key))
        return Error{ErrorKind::Usage, where(path, key_event.at), fmt::format("unknown section '{}'", key)};
      auto s = walk(events, i, key, path, out);
      if (!s) return s;
      continue;
    }
    if (!known(key)) {
      return Error{ErrorKind::Usage, where(path, key_event.at),
                   is_section(key) ? fmt::format("'{}' must be a mapping", key) : fmt::format("unknown key '{}'", key)};
    }
    if (value.kind != Kind::Scalar || value.is_null())
      return Error{ErrorKind::Usage, where(path, value.at), fmt::format("'{}' must be a single value", key)};
    out[key] = FileValue{value.value, where(path, value.at)};
    ++i;
  }
  ++i;
  return ok();
}

}  // namespace

Result<FileSettings> load_file(const std::string& path) {
  FileSettings out;
  // Read first, with a cap and regular files only: a device such as /dev/zero never ends.
  auto text = files::read_bounded(path, {"the config file", "config files", kMaxConfigBytes});
  if (!text) return text.error();
  auto events = read_events(*text, path);
  if (!events) return events.error();
  using Kind = yaml::Event::Kind;
  std::size_t i = 0;
  while (i < events->size() && ((*events)[i].kind == Kind::StreamStart || (*events)[i].kind == Kind::DocumentStart)) ++i;
  if (i == events->size() || (*events)[i].kind == Kind::StreamEnd || (*events)[i].is_null())
    return out;  // an empty file (or only comments) sets nothing
  if ((*events)[i].kind != Kind::MapStart)
    return Error{ErrorKind::Usage, where(path, (*events)[i].at), "the config file must be a mapping of settings"};
  if (auto s = walk(*events, i, "", path, out); !s) return s.error();
  // A second document is refused; a trailing '---' with nothing after it is none.
  for (; i < events->size(); ++i)
    if ((*events)[i].kind == Kind::DocumentStart && i + 1 < events->size() && !(*events)[i + 1].is_null())
      return Error{ErrorKind::Usage, where(path, (*events)[i].at),
                   "a second YAML document (after '---') starts here; the config file is one document"};
  return out;
}

}  // namespace hcl::config
