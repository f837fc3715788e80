// Docker Engine API client: swarm secrets and configs.
#include <hcl/docker.hpp>
#include <hcl/text.hpp>

#include "codec.hpp"

#include <fmt/format.h>

namespace hcl::docker {
namespace {

using namespace codec;

const char* plural(FileObjectKind kind) { return kind == FileObjectKind::Secret ? "secrets" : "configs"; }

FileObject decode_file_object(const json& j) {
  FileObject o;
  o.id = get<std::string>(j, "ID");
  o.version = get<std::uint64_t>(child(j, "Version"), "Index");
  const json& spec = child(j, "Spec");
  o.name = get<std::string>(spec, "Name");
  o.labels = get<Labels>(spec, "Labels");
  if (auto data = get<std::string>(spec, "Data"); !data.empty()) {
    auto bytes = text::base64_decode(data);
    if (!bytes) throw std::runtime_error(fmt::format("the data of {} is not base64", o.name));
    o.data = std::move(*bytes);
  }
  o.driver = get<std::string>(child(spec, "Driver"), "Name");
  return o;
}

}  // namespace

std::vector<FileObject> decode_file_objects(const json& j) {
  std::vector<FileObject> out;
  for (const json& o : j.get_ref<const json::array_t&>()) out.push_back(decode_file_object(o));
  return out;
}

std::string to_string(FileObjectKind kind) { return kind == FileObjectKind::Secret ? "secret" : "config"; }

Result<std::vector<FileObject>> Client::file_objects(FileObjectKind kind) {
  std::string path = std::string("/") + plural(kind);
  auto r = call("GET", path);
  if (!r) return r.error();
  return decode(*r, what("GET", path), decode_file_objects);
}

Result<std::string> Client::create_file_object(FileObjectKind kind, const FileObjectSpec& spec) {
  json body_json = {{"Name", spec.name}, {"Labels", spec.labels.empty() ? json::object() : json(spec.labels)}};
  if (spec.driver.empty()) body_json["Data"] = text::base64_encode(spec.data);
  if (!spec.driver.empty() && kind == FileObjectKind::Secret)
    body_json["Driver"] = {{"Name", spec.driver},
                           {"Options", spec.driver_options.empty() ? json::object() : json(spec.driver_options)}};
  if (!spec.template_driver.empty()) body_json["Templating"] = {{"Name", spec.template_driver}};
  std::string path = fmt::format("/{}/create", plural(kind));
  auto r = call("POST", path, body(body_json));
  if (!r) return wrap(r.error(), fmt::format("creating {} {}", to_string(kind), spec.name));
  return decode(*r, fmt::format("POST {}{}", transport_.describe(), path),
                [](const json& j) { return get<std::string>(j, "ID"); });
}

Status Client::remove_file_object(FileObjectKind kind, const std::string& id_or_name) {
  auto r = call("DELETE", fmt::format("/{}/{}", plural(kind), http::encode(id_or_name)));
  if (!r) {
    if (r.error().kind == ErrorKind::NotFound) r.error().why = fmt::format("no {} named {}", to_string(kind), id_or_name);
    return r.error();
  }
  return ok();
}

}  // namespace hcl::docker
