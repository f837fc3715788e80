// Docker Engine API client: services, tasks and service logs.
#include <hcl/docker.hpp>

#include "codec.hpp"

#include <fmt/format.h>

namespace hcl::docker {
namespace {

using namespace codec;

// The engine's names for the restart conditions (RestartPolicy.Condition), written once.
constexpr std::pair<RestartCondition, std::string_view> kRestartNames[] = {
    {RestartCondition::None, "none"}, {RestartCondition::OnFailure, "on-failure"}, {RestartCondition::Any, "any"}};

std::int64_t nanos(http::Millis m) { return static_cast<std::int64_t>(m.count()) * 1000000; }
std::optional<http::Millis> millis(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return http::Millis(json_fields::number<std::int64_t>(*it, key) / 1000000);
}

json encode_resources(const Resources& r) {
  json limits = json::object(), reservations = json::object();
  if (r.cpu_limit_nano) limits["NanoCPUs"] = *r.cpu_limit_nano;
  if (r.memory_limit_bytes) limits["MemoryBytes"] = *r.memory_limit_bytes;
  if (r.cpu_reservation_nano) reservations["NanoCPUs"] = *r.cpu_reservation_nano;
  if (r.memory_reservation_bytes) reservations["MemoryBytes"] = *r.memory_reservation_bytes;
  return {{"Limits", limits}, {"Reservations", reservations}};
}

std::optional<Resources> decode_resources(const json& j) {
  Resources r;
  const json& l = child(j, "Limits");
  const json& v = child(j, "Reservations");
  if (l.contains("NanoCPUs") && get<std::int64_t>(l, "NanoCPUs")) r.cpu_limit_nano = get<std::int64_t>(l, "NanoCPUs");
  if (l.contains("MemoryBytes") && get<std::int64_t>(l, "MemoryBytes")) r.memory_limit_bytes = get<std::int64_t>(l, "MemoryBytes");
  if (v.contains("NanoCPUs") && get<std::int64_t>(v, "NanoCPUs")) r.cpu_reservation_nano = get<std::int64_t>(v, "NanoCPUs");
  if (v.contains("MemoryBytes") && get<std::int64_t>(v, "MemoryBytes"))
    r.memory_reservation_bytes = get<std::int64_t>(v, "MemoryBytes");
  if (r == Resources{}) return std::nullopt;  // the engine's empty object means none
  return r;
}

json encode_update(const UpdateConfig& u) {
  json j = json::object();
  if (u.parallelism) j["Parallelism"] = *u.parallelism;
  if (u.delay) j["Delay"] = nanos(*u.delay);
  if (!u.failure_action.empty()) j["FailureAction"] = u.failure_action;
  if (u.monitor) j["Monitor"] = nanos(*u.monitor);
  if (u.max_failure_ratio) j["MaxFailureRatio"] = *u.max_failure_ratio;
  if (!u.order.empty()) j["Order"] = u.order;
  return j;
}

std::optional<UpdateConfig> decode_update(const json& j) {
  if (!j.is_object() || j.empty()) return std::nullopt;
  UpdateConfig u;
  if (j.contains("Parallelism")) u.parallelism = get<std::uint64_t>(j, "Parallelism");
  u.delay = millis(j, "Delay");
  u.failure_action = get<std::string>(j, "FailureAction");
  u.monitor = millis(j, "Monitor");
  if (j.contains("MaxFailureRatio") && get<double>(j, "MaxFailureRatio") != 0) u.max_failure_ratio = get<double>(j, "MaxFailureRatio");
  u.order = get<std::string>(j, "Order");
  return u;
}

json encode_spec(const ServiceSpec& s) {
  json container = {{"Image", s.image}};
  if (!s.command.empty()) container["Command"] = s.command;
  if (!s.args.empty()) container["Args"] = s.args;
  if (!s.env.empty()) container["Env"] = s.env;
  if (!s.workdir.empty()) container["Dir"] = s.workdir;
  if (!s.user.empty()) container["User"] = s.user;
  if (!s.hostname.empty()) container["Hostname"] = s.hostname;
  if (!s.container_labels.empty()) container["Labels"] = s.container_labels;
  if (s.healthcheck) {
    json h = {{"Test", s.healthcheck->test}};
    if (s.healthcheck->interval) h["Interval"] = nanos(*s.healthcheck->interval);
    if (s.healthcheck->timeout) h["Timeout"] = nanos(*s.healthcheck->timeout);
    if (s.healthcheck->start_period) h["StartPeriod"] = nanos(*s.healthcheck->start_period);
    if (s.healthcheck->retries) h["Retries"] = *s.healthcheck->retries;
    container["Healthcheck"] = h;
  }
  if (!s.mounts.empty()) {
    json mounts = json::array();
    for (const auto& m : s.mounts) {
      json mount = {{"Type", m.type}, {"Target", m.target}};
      if (!m.source.empty()) mount["Source"] = m.source;
      if (m.read_only) mount["ReadOnly"] = true;
      mounts.push_back(mount);
    }
    container["Mounts"] = mounts;
  }

  json restart = {{"Condition", to_string(s.restart)}};
  if (s.max_attempts) restart["MaxAttempts"] = *s.max_attempts;
  if (s.restart_delay) restart["Delay"] = nanos(*s.restart_delay);
  if (s.restart_window) restart["Window"] = nanos(*s.restart_window);
  json task = {{"ContainerSpec", container}, {"RestartPolicy", restart}};
  if (!s.constraints.empty()) task["Placement"] = {{"Constraints", s.constraints}};
  if (s.resources) task["Resources"] = encode_resources(*s.resources);
  if (!s.networks.empty()) {
    json nets = json::array();
    for (const auto& n : s.networks) {
      json net = {{"Target", n}};
      if (!s.network_aliases.empty()) net["Aliases"] = s.network_aliases;
      nets.push_back(net);
    }
    task["Networks"] = nets;
  }
  json ports = json::array();
  for (const auto& p : s.ports) {
    json port = {{"Protocol", p.protocol}, {"TargetPort", p.target},
                 {"PublishMode", p.mode == PublishMode::Host ? "host" : "ingress"}};
    if (p.published) port["PublishedPort"] = p.published;
    ports.push_back(port);
  }
  json endpoint = {{"Mode", s.endpoint_mode == EndpointMode::Dnsrr ? "dnsrr" : "vip"}};
  if (!ports.empty()) endpoint["Ports"] = ports;
  json spec = {{"Name", s.name},
               {"Labels", s.labels},
               {"TaskTemplate", task},
               {"Mode", {{"Replicated", {{"Replicas", s.replicas}}}}},
               {"EndpointSpec", endpoint}};
  if (s.update) spec["UpdateConfig"] = encode_update(*s.update);
  return spec;
}

ServiceSpec decode_spec(const json& j) {
  ServiceSpec s;
  s.name = get<std::string>(j, "Name");
  s.labels = get<Labels>(j, "Labels");
  const json& task = child(j, "TaskTemplate");
  const json& c = child(task, "ContainerSpec");
  s.image = get<std::string>(c, "Image");
  s.command = get<std::vector<std::string>>(c, "Command");
  s.args = get<std::vector<std::string>>(c, "Args");
  s.env = get<std::vector<std::string>>(c, "Env");
  s.workdir = get<std::string>(c, "Dir");
  s.user = get<std::string>(c, "User");
  s.hostname = get<std::string>(c, "Hostname");
  s.container_labels = get<Labels>(c, "Labels");
  if (c.contains("Healthcheck")) {
    const json& h = child(c, "Healthcheck");
    Healthcheck hc;
    hc.test = get<std::vector<std::string>>(h, "Test");
    hc.interval = millis(h, "Interval");
    hc.timeout = millis(h, "Timeout");
    hc.start_period = millis(h, "StartPeriod");
    if (h.contains("Retries")) hc.retries = get<int>(h, "Retries");
    s.healthcheck = hc;
  }
  for (const json& m : child(c, "Mounts").is_array() ? child(c, "Mounts") : json::array())
    s.mounts.push_back({get<std::string>(m, "Type", "volume"), get<std::string>(m, "Source"), get<std::string>(m, "Target"),
                        get<bool>(m, "ReadOnly")});
  s.constraints = get<std::vector<std::string>>(child(task, "Placement"), "Constraints");
  s.resources = decode_resources(child(task, "Resources"));
  for (const json& n : child(task, "Networks").is_array() ? child(task, "Networks") : json::array()) {
    s.networks.push_back(get<std::string>(n, "Target"));
    s.network_aliases = get<std::vector<std::string>>(n, "Aliases");
  }
  const json& rp = child(task, "RestartPolicy");
  std::string cond = get<std::string>(rp, "Condition", "any");
  s.restart = parse_restart_condition(cond).value_or(RestartCondition::Any);
  if (rp.contains("MaxAttempts") && get<std::uint64_t>(rp, "MaxAttempts") != 0) s.max_attempts = get<std::uint64_t>(rp, "MaxAttempts");
  s.restart_delay = millis(rp, "Delay");
  s.restart_window = millis(rp, "Window");
  s.update = decode_update(child(j, "UpdateConfig"));
  const json& mode = child(j, "Mode");
  s.replicas = mode.contains("Replicated") ? get<std::uint64_t>(child(mode, "Replicated"), "Replicas", 1) : 0;
  const json& ep = child(j, "EndpointSpec");
  s.endpoint_mode = get<std::string>(ep, "Mode", "vip") == "dnsrr" ? EndpointMode::Dnsrr : EndpointMode::Vip;
  for (const json& p : child(ep, "Ports").is_array() ? child(ep, "Ports") : json::array())
    s.ports.push_back({get<int>(p, "TargetPort"), get<int>(p, "PublishedPort"), get<std::string>(p, "Protocol", "tcp"),
                       get<std::string>(p, "PublishMode", "ingress") == "host" ? PublishMode::Host : PublishMode::Ingress});
  return s;
}

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
  return {get<std::string>(j, "ID"),           get<std::uint64_t>(child(j, "Version"), "Index"),
          get<std::string>(j, "CreatedAt"),    get<std::string>(j, "UpdatedAt"),
          decode_spec(child(j, "Spec")),       get<std::string>(child(j, "UpdateStatus"), "State"),
          get<std::string>(child(j, "UpdateStatus"), "Message")};
}

bool is_terminal(const std::string& s) {
  return s == "complete" || s == "failed" || s == "rejected" || s == "shutdown" || s == "orphaned" || s == "remove";
}

Result<std::string> Client::create_service(const ServiceSpec& spec) {
  auto r = call("POST", "/services/create", body(encode_spec(spec)));
  if (!r) return r.error();
  return decode(*r, fmt::format("POST {}/services/create", transport_.describe()),
                [](const json& j) { return get<std::string>(j, "ID"); });
}

std::vector<Result<std::string>> Client::write_services(const std::vector<ServiceWrite>& writes) {
  std::vector<Result<std::string>> out;
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
  auto r = call("GET", "/services/" + http::encode(id_or_name));
  if (!r) return r.error();
  std::string what = fmt::format("scaling service {}", id_or_name);
  try {
    json svc = json::parse(r->body);
    json spec = svc.at("Spec");
    if (!spec.contains("Mode") || !spec["Mode"].contains("Replicated"))
      return Error{ErrorKind::Usage, what, "only replicated services can be scaled"};
    spec["Mode"]["Replicated"]["Replicas"] = replicas;
    auto version = json_fields::number<std::uint64_t>(svc.at("Version").at("Index"), "Version.Index");
    auto u = call("POST",
                  http::target("/services/" + http::encode(svc.at("ID").get<std::string>()) + "/update",
                               {{"version", std::to_string(version)}}),
                  body(spec));
    if (!u) return wrap(u.error(), what);
    return ok();
  } catch (const json::exception& e) {
    return Error{ErrorKind::Server, what, fmt::format("unexpected answer from the engine: {}", e.what())};
  } catch (const json_fields::bad_number& e) {
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
  return decode(*r, fmt::format("GET {}/services", transport_.describe()), decode_services);
}

Result<Service> Client::service(const std::string& id_or_name) {
  auto r = call("GET", "/services/" + http::encode(id_or_name));
  if (!r) {
    if (r.error().kind == ErrorKind::NotFound) r.error().why = fmt::format("no service named {}", id_or_name);
    return r.error();
  }
  return decode(*r, fmt::format("GET {}/services/{}", transport_.describe(), id_or_name),
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
  std::string path = "/tasks";
  if (!services.empty()) path = http::target("/tasks", {{"filters", body(json{{"service", services}})}});
  StreamedList<Task> tasks(task_list_decoder);
  SinkFactory sinks = [&] { return std::vector<http::BodySink>{tasks.sink()}; };
  auto r = call("GET", path, {}, &sinks);
  if (!r) return r.error();
  return tasks.finish(fmt::format("GET {}/tasks", transport_.describe()));
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
  if (!types.empty()) q.emplace_back("filters", json{{"type", types}}.dump());
  std::string pending;
  bool stop = false;
  std::optional<Error> bad;
  auto path = http::target("/events", q);
  auto r = call_stream(path, [&](std::string_view data) {
    pending.append(data);
    // One JSON object per line (the engine sends a newline after each).
    for (std::size_t nl; !stop && (nl = pending.find('\n')) != std::string::npos;) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
      auto e = decode(http::Response{200, {}, line}, "GET " + endpoint() + "/events", [](const json& j) {
        Event ev;
        ev.type = get<std::string>(j, "Type");
        ev.action = get<std::string>(j, "Action");
        const json& actor = child(j, "Actor");
        ev.actor_id = get<std::string>(actor, "ID");
        ev.attributes = get<std::map<std::string, std::string>>(actor, "Attributes");
        ev.time_nano = get<std::int64_t>(j, "timeNano");
        return ev;
      });
      if (!e) {
        bad = e.error();
        stop = true;
      } else if (!on_event(*e)) {
        stop = true;
      }
    }
    return !stop;
  });
  if (bad) return *bad;
  if (!r) return r.error();
  return ok();
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

}  // namespace hcl::docker
