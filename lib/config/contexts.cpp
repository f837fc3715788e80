// Docker contexts, read as the docker CLI stores them: DOCKER_CONFIG (else ~/.docker) holds
// config.json (its currentContext) and contexts/meta/<ID>/meta.json, where ID is the SHA-256 of
// the context's name in hex; the context's TLS files are in contexts/tls/<ID>/docker/. Read-only:
// `docker context` manages them.
#include <hcl/config.hpp>

#include <hcl/files.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

namespace hcl::config {
namespace {

using json = nlohmann::json;

// A context's meta.json is a few hundred bytes; config.json holds auths and settings.
constexpr std::size_t kMaxMetaBytes = 64 * 1024;
constexpr std::size_t kMaxDockerConfigBytes = 1024 * 1024;
// More contexts than anyone has; a directory with more is read no further.
constexpr std::size_t kMaxContexts = 1000;

Result<json> read_json(const std::string& path, const files::Limits& limits) {
  auto text = files::read_bounded(path, limits);
  if (!text) return text.error();
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Error{ErrorKind::Usage, path, fmt::format("{} is not a JSON object", limits.noun)};
  return j;
}

std::string string_at(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<DockerContext> read_context(const std::string& dir, const std::string& id) {
  std::string meta = dir + "/contexts/meta/" + id + "/meta.json";
  auto j = read_json(meta, {"the context's meta.json", "context files", kMaxMetaBytes});
  if (!j) return j.error();
  DockerContext c;
  c.meta_file = meta;
  c.name = string_at(*j, "Name");
  if (auto m = j->find("Metadata"); m != j->end() && m->is_object()) c.description = string_at(*m, "Description");
  if (auto e = j->find("Endpoints"); e != j->end() && e->is_object()) {
    if (auto d = e->find("docker"); d != e->end() && d->is_object()) {
      c.host = string_at(*d, "Host");
      if (auto s = d->find("SkipTLSVerify"); s != d->end() && s->is_boolean()) c.skip_tls_verify = s->get<bool>();
    }
  }
  if (c.name.empty()) return Error{ErrorKind::Usage, meta, "the context has no Name"};
  std::string tls = dir + "/contexts/tls/" + id + "/docker";
  for (auto [file, out] : {std::pair{"ca.pem", &c.tls_ca}, {"cert.pem", &c.tls_cert}, {"key.pem", &c.tls_key}})
    if (files::is_regular(tls + "/" + file)) *out = tls + "/" + file;
  return c;
}

}  // namespace

std::string docker_config_dir(const Env& env) {
  if (auto d = env("DOCKER_CONFIG"); d && !d->empty()) return *d;
  if (auto h = env("HOME"); h && !h->empty()) return *h + "/.docker";
  return "";
}

Result<std::vector<DockerContext>> docker_contexts(const Env& env) {
  std::vector<DockerContext> out;
  std::string dir = docker_config_dir(env);
  if (dir.empty()) return out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir + "/contexts/meta", ec), end;
  if (ec) return out;  // no contexts made yet
  for (; it != end && out.size() < kMaxContexts; it.increment(ec)) {
    if (ec) break;
    std::string id = it->path().filename().string();
    if (!files::is_regular(it->path().string() + "/meta.json")) continue;
    auto c = read_context(dir, id);
    if (!c) return c.error();
    out.push_back(std::move(*c));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Result<std::optional<DockerContext>> docker_context(const Env& env, const std::string& name, const std::string& source) {
  if (name == kDefaultContext) return std::optional<DockerContext>{};
  std::string dir = docker_config_dir(env);
  std::string id = text::sha256_hex(name);
  if (!dir.empty() && files::is_regular(dir + "/contexts/meta/" + id + "/meta.json")) {
    auto c = read_context(dir, id);
    if (!c) return c.error();
    return std::optional<DockerContext>{std::move(*c)};
  }
  std::string known = std::string(kDefaultContext);
  if (auto all = docker_contexts(env))
    for (const auto& c : *all) known += ", " + c.name;
  return Error{ErrorKind::Usage, fmt::format("{}={}", source, name),
               fmt::format("no such docker context (known: {}; `docker context ls` lists them)", known)};
}

Result<std::optional<Setting<std::string>>> current_docker_context(const Env& env) {
  std::string dir = docker_config_dir(env);
  if (dir.empty()) return std::optional<Setting<std::string>>{};
  std::string path = dir + "/config.json";
  if (!files::is_regular(path)) return std::optional<Setting<std::string>>{};
  auto j = read_json(path, {"the docker CLI's config.json", "docker config files", kMaxDockerConfigBytes});
  if (!j) return j.error();
  std::string name = string_at(*j, "currentContext");
  if (name.empty()) return std::optional<Setting<std::string>>{};
  return std::optional<Setting<std::string>>{Setting<std::string>{name, {Origin::Level::File, path + ": currentContext"}}};
}

}  // namespace hcl::config
