// Docker Engine API client: services, tasks and service logs.
#include <hcl/docker.hpp>

#include "codec.hpp"

#include <fmt/format.h>

#include <optional>

namespace hcl::docker {
namespace {

using namespace codec;

// The engine multiplexes stdout and stderr of a container without a TTY into frames: a byte
// for the stream (1 out, 2 err), three zero bytes, a big-endian 32-bit length, the payload.
class Demux {
 public:
  explicit Demux(const LogSink& sink) : sink_(sink) {}
  void feed(std::string_view data) {
    buf_.append(data);
    size_t pos = 0;
    while (buf_.size() - pos >= 8) {
      auto b = [&](size_t i) { return static_cast<unsigned char>(buf_[pos + i]); };
      size_t len = (size_t(b(4)) << 24) | (size_t(b(5)) << 16) | (size_t(b(6)) << 8) | size_t(b(7));
      if (buf_.size() - pos - 8 < len) break;
      std::string_view payload(buf_.data() + pos + 8, len);
      if (b(0) == 2) {
        err_bytes += len;
        if (sink_.err) sink_.err(payload);
      } else {
        out_bytes += len;
        if (sink_.out) sink_.out(payload);
      }
      pos += 8 + len;
    }
    buf_.erase(0, pos);
  }
  std::size_t out_bytes = 0, err_bytes = 0;

 private:
  const LogSink& sink_;
  std::string buf_;
};

}  // namespace

Service decode_service(const json& j) {
  Service s;
  s.id = get<std::string>(j, "ID");
  s.version = get<std::uint64_t>(child(j, "Version"), "Index");
  s.created = get<std::string>(j, "CreatedAt");
  s.updated = get<std::string>(j, "UpdatedAt");
  s.spec = decode_spec(child(j, "Spec"));
  s.update_state = get<std::string>(child(j, "UpdateStatus"), "State");
  s.update_message = get<std::string>(child(j, "UpdateStatus"), "Message");
  s.update_started_at = get<std::string>(child(j, "UpdateStatus"), "StartedAt");
  s.has_previous_spec = j.contains("PreviousSpec") && !j["PreviousSpec"].is_null();
  return s;
}

Status Client::check_features(const ServiceSpec& spec, const std::string& what) {
  auto used = features_used(spec);
  if (used.empty()) return ok();
  if (hinted_) {  // a remembered guess no answer has confirmed: ask (one /_ping)
    api_version_.reset();
    hinted_ = false;
  }
  auto version = api_version();
  if (!version) return version.error();
  for (Feature f : used) {
    FeatureInfo info = feature_info(f);
    if (compare_api_versions(*version, info.api) < 0)
      return Error{ErrorKind::Usage, what,
                   fmt::format("{} needs Docker Engine API {} (Docker {}); the engine at {} speaks API {}", info.field,
                               info.api, info.release, transport_.describe(), *version)};
  }
  return ok();
}

bool is_terminal(const std::string& s) {
  return s == "complete" || s == "failed" || s == "rejected" || s == "shutdown" || s == "orphaned" || s == "remove";
}

bool out_of_sequence(const Error& e) {
  return e.kind == ErrorKind::Conflict && e.why.find("update out of sequence") != std::string::npos;
}

Result<std::string> Client::create_service(const ServiceSpec& spec) {
  if (auto s = check_features(spec, fmt::format("creating service {}", spec.name)); !s) return s.error();
  auto r = call("POST", "/services/create", body(encode_spec(spec)));
  if (!r) return r.error();
  return decode(*r, fmt::format("POST {}/services/create", transport_.describe()),
                [](const json& j) { return get<std::string>(j, "ID"); });
}

std::vector<Result<std::string>> Client::write_services(const std::vector<ServiceWrite>& writes) {
  std::vector<Result<std::string>> out;
  // Nothing is sent when any spec needs what the engine does not have (it would drop it unsaid).
  for (const auto& w : writes) {
    auto s = check_features(w.spec, fmt::format("{} service {}", w.id.empty() ? "creating" : "updating", w.spec.name));
    if (!s) return std::vector<Result<std::string>>(writes.size(), s.error());
  }
  auto build = [&](const std::string& v) {
    std::vector<http::Request> reqs;
    for (const auto& w : writes) {
      std::string path = w.id.empty() ? "/services/create"
                                      : http::target("/services/" + http::encode(w.id) + "/update",
                                                     {{"version", std::to_string(w.version)}});
      reqs.push_back({"POST", "/v" + v + path, {{"Content-Type", "application/json"}}, body(encode_spec(w.spec))});
    }
    return reqs;
  };
  auto rs = send_versioned(build);
  for (size_t i = 0; i < rs.size(); ++i) {
    std::string what = fmt::format("{} service {}", writes[i].id.empty() ? "creating" : "updating", writes[i].spec.name);
    if (!rs[i]) {
      out.emplace_back(wrap(rs[i].error(), what));
    } else if (rs[i]->status >= 400) {
      std::string message = server_message(*rs[i]);
      out.emplace_back(Error{engine_error_kind(*rs[i], message), what, message});
    } else if (!writes[i].id.empty()) {
      out.emplace_back(writes[i].id);
    } else {
      out.push_back(decode(*rs[i], what, [](const json& j) { return get<std::string>(j, "ID"); }));
    }
  }
  return out;
}

Status Client::scale_service(const std::string& id_or_name, std::uint64_t replicas) {
  std::string what = fmt::format("scaling service {}", id_or_name);
  // The swarm moves a service's version on its own too (an update's progress, UpdateStatus, is
  // written into the same object), and refuses an update based on the version before that
  // ("update out of sequence"), applying nothing. The spec is then read again: unchanged, the
  // replicas are set on the new version (at most kRescales times); changed, it is a conflict.
  constexpr int kRescales = 5;
  std::optional<json> first_spec;
  std::optional<Error> refused;  // the last "out of sequence"
  std::uint64_t refused_at = 0;  // at that version
  try {
    for (int rescaled = 0;; ++rescaled) {
      auto r = call("GET", "/services/" + http::encode(id_or_name));
      if (!r) return r.error();
      json svc = json_push::parse_document(r->body);
      json spec = svc.at("Spec");
      if (!first_spec) first_spec = spec;
      else if (spec != *first_spec)
        return Error{ErrorKind::Conflict, what,
                     "changed by someone else while this change was on its way: look at it (hcl ps) and try again"};
      if (!spec.contains("Mode") || !spec["Mode"].contains("Replicated"))
        return Error{ErrorKind::Usage, what, "only replicated services can be scaled"};
      spec["Mode"]["Replicated"]["Replicas"] = replicas;
      auto version = json_fields::number<std::uint64_t>(svc.at("Version").at("Index"), "Version.Index");
      if (refused && version == refused_at) return *refused;  // refused for something else, then
      auto u = call("POST",
                    http::target("/services/" + http::encode(svc.at("ID").get<std::string>()) + "/update",
                                 {{"version", std::to_string(version)}}),
                    body(spec));
      if (u) return ok();
      if (!out_of_sequence(u.error()) || rescaled == kRescales) return wrap(u.error(), what);
      refused = wrap(u.error(), what);
      refused_at = version;
    }
  } catch (const json::exception& e) {
    return Error{ErrorKind::Server, what, fmt::format("unexpected answer from the engine: {}", e.what())};
  } catch (const std::runtime_error& e) {  // json_push::SyntaxError, json_fields::bad_number
    return Error{ErrorKind::Server, what, fmt::format("unexpected answer from the engine: {}", e.what())};
  }
}

Status Client::rollback_service(const std::string& id_or_name) {
  std::string what = fmt::format("rolling back service {}", id_or_name);
  auto r = call("GET", "/services/" + http::encode(id_or_name));
  if (!r) {
    if (r.error().kind == ErrorKind::NotFound) r.error().why = fmt::format("no service named {}", id_or_name);
    return r.error();
  }
  try {
    json svc = json_push::parse_document(r->body);
    if (!svc.contains("PreviousSpec") || svc["PreviousSpec"].is_null())
      return Error{ErrorKind::Usage, what, "the service has no previous spec (it was never updated)"};
    // The engine takes the previous spec it keeps; the body must still be a valid spec, so the
    // current one is sent back as it was read.
    auto version = json_fields::number<std::uint64_t>(svc.at("Version").at("Index"), "Version.Index");
    auto u = call("POST",
                  http::target("/services/" + http::encode(svc.at("ID").get<std::string>()) + "/update",
                               {{"version", std::to_string(version)}, {"rollback", "previous"}}),
                  body(svc.at("Spec")));
    if (!u) return wrap(u.error(), what);
    return ok();
  } catch (const json::exception& e) {
    return Error{ErrorKind::Server, what, fmt::format("unexpected answer from the engine: {}", e.what())};
  } catch (const std::runtime_error& e) {  // json_push::SyntaxError, json_fields::bad_number
    return Error{ErrorKind::Server, what, fmt::format("unexpected answer from the engine: {}", e.what())};
  }
}

std::vector<Service> decode_services(const json& j) {
  std::vector<Service> out;
  for (const json& s : j.get_ref<const json::array_t&>()) out.push_back(decode_service(s));
  return out;
}

Result<std::vector<Service>> Client::services() {
  auto r = call("GET", "/services");
  if (!r) return r.error();
  return decode(*r, what("GET", "/services"), decode_services);
}

Result<Service> Client::service(const std::string& id_or_name) {
  auto r = call("GET", "/services/" + http::encode(id_or_name));
  if (!r) {
    if (r.error().kind == ErrorKind::NotFound) r.error().why = fmt::format("no service named {}", id_or_name);
    return r.error();
  }
  return decode(*r, what("GET", "/services/" + http::encode(id_or_name)),
                [](const json& j) { return decode_service(j); });
}

Status Client::remove_service(const std::string& id_or_name) {
  auto r = call("DELETE", "/services/" + http::encode(id_or_name));
  if (!r) {
    if (r.error().kind == ErrorKind::NotFound) r.error().why = fmt::format("no service named {}", id_or_name);
    return r.error();
  }
  return ok();
}

Result<std::vector<Task>> Client::tasks(const std::optional<std::string>& service) {
  return tasks(service ? std::vector<std::string>{*service} : std::vector<std::string>{});
}

Result<std::vector<Task>> Client::tasks(const std::vector<std::string>& services) {
  return list_tasks(services.empty() ? "/tasks" : http::target("/tasks", {{"filters", filters({{"service", services}})}}));
}

Result<std::vector<Task>> Client::node_tasks(const std::string& node_id) {
  return list_tasks(http::target("/tasks", {{"filters", filters({{"node", {node_id}}})}}));
}

Result<std::vector<Task>> Client::current_tasks(const std::vector<std::string>& services) {
  std::map<std::string, std::vector<std::string>> by{{"_up-to-date", {"true"}}};
  if (!services.empty()) by["service"] = services;
  return list_tasks(http::target("/tasks", {{"filters", filters(by)}}));
}

Result<std::vector<Task>> Client::list_tasks(const std::string& path) {
  StreamedList<Task> tasks(task_list_decoder);
  SinkFactory sinks = [&] { return std::vector<http::BodySink>{tasks.sink()}; };
  auto r = call("GET", path, {}, &sinks);
  if (!r) return r.error();
  return tasks.finish(what("GET", path));
}

Result<std::pair<std::size_t, std::size_t>> Client::service_logs(const std::string& id_or_name, const LogOptions& opts,
                                                                 const LogSink& sink) {
  std::vector<std::pair<std::string, std::optional<std::string>>> q{{"stdout", "1"}, {"stderr", "1"}};
  if (opts.follow) q.emplace_back("follow", "1");
  if (opts.timestamps) q.emplace_back("timestamps", "1");
  if (opts.tail) q.emplace_back("tail", std::to_string(*opts.tail));
  Demux demux(sink);
  auto r = call_stream(http::target("/services/" + http::encode(id_or_name) + "/logs", q), [&](std::string_view d) {
    demux.feed(d);
    return true;
  });
  if (!r) {
    if (r.error().kind == ErrorKind::NotFound) r.error().why = fmt::format("no service named {}", id_or_name);
    return r.error();
  }
  return std::pair{demux.out_bytes, demux.err_bytes};
}

Status Client::events(const std::vector<std::string>& types, const std::function<bool(const Event&)>& on_event) {
  std::vector<std::pair<std::string, std::optional<std::string>>> q;
  if (!types.empty()) q.emplace_back("filters", filters({{"type", types}}));
  auto path = http::target("/events", q);
  EventLines lines("GET " + endpoint() + "/events");
  auto r = call_stream(path, [&](std::string_view data) { return lines.feed(data, on_event); });
  if (lines.error()) return *lines.error();
  if (!r) return r.error();
  return ok();
}

}  // namespace hcl::docker
