// Docker Engine API client: version negotiation, nodes and networks. JSON stays in lib/docker:
// callers get typed structs.
#include <hcl/docker.hpp>

#include "codec.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

namespace hcl::docker {
namespace {

using namespace codec;

Labels labels(const json& j, const char* key) { return get<Labels>(j, key); }

// `inspected`: the body of GET /networks/{id}, whose Containers are the endpoints on the engine
// that answered. A list's never are (see Network::containers).
Network decode_network(const json& j, bool inspected) {
  Network n;
  n.id = get<std::string>(j, "Id");
  n.name = get<std::string>(j, "Name");
  n.driver = get<std::string>(j, "Driver");
  n.scope = get<std::string>(j, "Scope");
  n.attachable = get<bool>(j, "Attachable");
  n.internal = get<bool>(j, "Internal");
  n.ingress = get<bool>(j, "Ingress");
  n.ipv6 = get<bool>(j, "EnableIPv6");
  n.created = get<std::string>(j, "Created");
  n.labels = labels(j, "Labels");
  n.options = get<std::map<std::string, std::string>>(j, "Options");
  if (inspected) n.containers = child(j, "Containers").size();
  for (const json& c : child(child(j, "IPAM"), "Config").is_array() ? child(child(j, "IPAM"), "Config")
                                                                     : json::array())
    n.ipam.push_back({get<std::string>(c, "Subnet"), get<std::string>(c, "Gateway"), get<std::string>(c, "IPRange")});
  return n;
}

std::vector<Network> decode_networks(const json& j) {
  std::vector<Network> out;
  for (const json& n : j.get_ref<const json::array_t&>()) out.push_back(decode_network(n, false));
  return out;
}

}  // namespace

Client::Client(http::Transport& transport) : transport_(transport) {}

void Client::set_api_version(std::string version) { api_version_ = std::move(version); }

Result<std::string> choose_api_version(const ApiWindow& engine, const std::string& endpoint) {
  bool engine_too_new = !engine.min.empty() && compare_api_versions(engine.min, kMaxApiVersion) > 0;
  bool engine_too_old = !engine.max.empty() && compare_api_versions(engine.max, kMinApiVersion) < 0;
  if (engine_too_new || engine_too_old) {
    std::string window = !engine.min.empty() && !engine.max.empty()
                             ? fmt::format("{}–{}", engine.min, engine.max)
                             : engine.max.empty() ? fmt::format("{} and newer", engine.min)
                                                  : fmt::format("up to {}", engine.max);
    return Error{ErrorKind::Server, "",
                 fmt::format("the engine at {} accepts API {}; hcl speaks {}–{}: {}", endpoint, window,
                             kMinApiVersion, kMaxApiVersion, engine_too_new ? "upgrade hcl" : "upgrade the engine")};
  }
  if (engine.max.empty() || compare_api_versions(engine.max, kMaxApiVersion) > 0) return std::string(kMaxApiVersion);
  return engine.max;
}

Result<std::string> Client::choose(ApiWindow engine) {
  auto v = choose_api_version(engine, transport_.describe());
  if (v || (!engine.min.empty() && !engine.max.empty())) return v;
  // Only for the error's words: /version has both bounds (and is unversioned: every engine answers).
  if (auto ev = version()) {
    if (engine.min.empty()) engine.min = ev->min_api_version;
    if (engine.max.empty()) engine.max = ev->api_version;
    return choose_api_version(engine, transport_.describe());
  }
  return v;
}

void Client::hint_api_version(std::string version) {
  api_version_ = std::move(version);
  hinted_ = true;
}

Result<std::string> Client::api_version() {
  if (api_version_) return *api_version_;
  auto r = transport_.send({"GET", "/_ping"});
  if (!r) return r.error();
  std::string what = fmt::format("GET {}/_ping", transport_.describe());
  if (r->status != 200) return Error{http::error_kind(r->status), what, server_message(*r)};
  ApiWindow engine{"", r->header("Api-Version")};
  if (engine.max.empty()) {
    // Engines before API 1.25 do not send the header; /version has it.
    auto v = version();
    if (!v) return v.error();
    engine = {v->min_api_version, v->api_version};
  }
  auto chosen = choose(engine);
  if (!chosen) return chosen.error();
  api_version_ = *chosen;
  return *api_version_;
}

namespace {

// A refusal of the request's API version by the engine's version check, which runs before any
// handler (so the engine did nothing): HTTP 400 with "client version 1.52 is too new. Maximum
// supported API version is 1.41" or "client version 1.41 is too old. Minimum supported API version
// is 1.44, please upgrade your client to a newer version" (JSON {"message"}; plain text for
// requests at 1.23 and below), or before Docker 17.x "client is newer than server (client API
// version: 1.30, server API version: 1.24)". The message must name the version asked, so that no
// other 400 is taken for one.
struct VersionRefusal {
  bool too_new = false;
  std::string named;  // the engine's newest (too new) or oldest (too old) version; "" if not said
};

std::string version_after(const std::string& body, std::string_view label) {
  auto at = body.find(label);
  if (at == std::string::npos) return {};
  at += label.size();
  auto end = body.find_first_not_of("0123456789.", at);
  std::string v = body.substr(at, end == std::string::npos ? std::string::npos : end - at);
  while (!v.empty() && v.back() == '.') v.pop_back();  // the sentence's full stop
  return v;
}

std::optional<VersionRefusal> version_refusal(const http::Response& r, const std::string& asked) {
  if (r.status != 400) return std::nullopt;
  const std::string& b = r.body;
  if (b.find(fmt::format("client version {} is too new", asked)) != std::string::npos)
    return VersionRefusal{true, version_after(b, "Maximum supported API version is ")};
  if (b.find(fmt::format("client version {} is too old", asked)) != std::string::npos)
    return VersionRefusal{false, version_after(b, "Minimum supported API version is ")};
  if (b.find(fmt::format("client is newer than server (client API version: {},", asked)) != std::string::npos)
    return VersionRefusal{true, version_after(b, "server API version: ")};
  return std::nullopt;
}

}  // namespace

std::vector<Result<http::Response>> Client::send_versioned(
    const std::function<std::vector<http::Request>(const std::string&)>& build, StreamHandler on_data,
    const SinkFactory* sinks) {
  auto send = [&](std::vector<http::Request> reqs) {
    if (on_data != nullptr) return std::vector<Result<http::Response>>{transport_.stream(reqs.front(), *on_data)};
    if (sinks != nullptr) {
      auto made = (*sinks)();
      // A list decoded as it arrives keeps its structs, not its text: it may be larger than an
      // answer read whole, but not endless.
      for (std::size_t i = 0; i < reqs.size() && i < made.size(); ++i)
        if (made[i] && !reqs[i].max_body) reqs[i].max_body = kMaxListBytes;
      return transport_.stream_all(reqs, made);
    }
    if (reqs.size() == 1) return std::vector<Result<http::Response>>{transport_.send(reqs.front())};
    return transport_.send_all(reqs);
  };
  // Not negotiated yet: send at the newest version hcl knows instead of asking /_ping first.
  // Every answer carries the engine's own version (Api-Version header), so the guess is
  // confirmed or corrected without a further request.
  const std::string asked = api_version_.value_or(kMaxApiVersion);
  auto rs = send(build(asked));
  ApiWindow engine;
  std::optional<VersionRefusal> refusal;
  for (const auto& r : rs) {
    if (!r) continue;
    if (auto h = r->header("Api-Version"); !h.empty() && engine.max.empty()) engine.max = h;
    if (auto f = version_refusal(*r, asked)) {
      refusal = f;
      if (f->too_new && engine.max.empty()) engine.max = f->named;
      if (!f->too_new) engine.min = f->named;
    }
  }
  if (!refusal) {
    if (hinted_ && !engine.max.empty()) {
      // A remembered version the engine took: confirmed, or moved up to a newer engine's.
      hinted_ = false;
      if (auto v = choose(ApiWindow{"", engine.max}); v && compare_api_versions(*v, *api_version_) > 0) api_version_ = *v;
    } else if (!api_version_) {
      if (!engine.max.empty() && compare_api_versions(engine.max, kMaxApiVersion) < 0) {
        api_version_ = engine.max;  // the engine accepted the request anyway: keep to what it says
      } else if (std::all_of(rs.begin(), rs.end(), [](const auto& r) { return static_cast<bool>(r); })) {
        api_version_ = kMaxApiVersion;
      }
    }
    return rs;
  }
  // Refused for its version: nothing was done, so the requests can go again as they are, at a
  // version of the engine's window that hcl speaks (or /_ping's when the engine named none).
  api_version_.reset();
  hinted_ = false;
  auto v = engine.min.empty() && engine.max.empty() ? api_version() : choose(engine);
  if (v && *v == asked) {
    // The engine refused the version it names as its own: nothing to send again.
    v = Error{ErrorKind::Server, "",
              fmt::format("the engine at {} refused API {}, the version it says it speaks", transport_.describe(), asked)};
  }
  if (!v) {
    api_version_.reset();
    return std::vector<Result<http::Response>>(rs.size(), v.error());
  }
  api_version_ = *v;
  rs = send(build(*v));
  for (auto& r : rs) {
    // Refused again (an engine whose window moved in between): no third send.
    if (r && version_refusal(*r, *v)) {
      api_version_.reset();
      r = Error{ErrorKind::Server, "",
                fmt::format("the engine at {} refused API {} too: {}", transport_.describe(), *v, server_message(*r))};
    }
  }
  return rs;
}

std::string Client::what(std::string_view method, std::string_view path) const {
  return fmt::format("{} {}/v{}{}", method, transport_.describe(), api_version_.value_or(kMaxApiVersion), path);
}

Result<http::Response> Client::call(const std::string& method, const std::string& path, const std::string& body,
                                    const SinkFactory* sinks) {
  auto build = [&](const std::string& v) {
    http::Request req{method, "/v" + v + path};
    if (!body.empty() || method == "POST") {
      req.headers.push_back({"Content-Type", "application/json"});
      req.body = body;
    }
    return std::vector<http::Request>{req};
  };
  auto rs = send_versioned(build, nullptr, sinks);
  auto& r = rs.front();
  if (!r) return r.error();
  if (r->status >= 400) {
    std::string message = server_message(*r);
    return Error{engine_error_kind(*r, message), what(method, path), message};
  }
  return std::move(r);
}

Result<http::Response> Client::call_stream(const std::string& path,
                                           const std::function<bool(std::string_view)>& on_data) {
  auto build = [&](const std::string& v) {
    http::Request req{"GET", "/v" + v + path};
    req.timeout = http::Millis(0);  // a stream lasts as long as it lasts; Ctrl-C ends it
    return std::vector<http::Request>{req};
  };
  auto rs = send_versioned(build, &on_data);
  auto& r = rs.front();
  if (!r) return r.error();
  if (r->status >= 400)
    return Error{http::error_kind(r->status),
                 fmt::format("GET {}/v{}{}", transport_.describe(), api_version_.value_or(kMaxApiVersion), path),
                 server_message(*r)};
  return std::move(r);
}

Result<EngineVersion> Client::version() {
  auto r = transport_.send({"GET", "/version"});
  if (!r) return r.error();
  std::string what = fmt::format("GET {}/version", transport_.describe());
  if (r->status >= 400) return Error{http::error_kind(r->status), what, server_message(*r)};
  return decode(*r, what, [](const json& j) {
    EngineVersion v;
    v.version = get<std::string>(j, "Version");
    v.api_version = get<std::string>(j, "ApiVersion");
    v.min_api_version = get<std::string>(j, "MinAPIVersion");
    v.os = get<std::string>(j, "Os");
    v.arch = get<std::string>(j, "Arch");
    v.kernel_version = get<std::string>(j, "KernelVersion");
    v.git_commit = get<std::string>(j, "GitCommit");
    return v;
  });
}

Result<SwarmMembership> Client::membership() {
  auto r = call("GET", "/info");
  if (!r) return r.error();
  return decode(*r, what("GET", "/info"), [](const json& j) {
    SwarmMembership m;
    m.hostname = get<std::string>(j, "Name");
    const json& s = child(j, "Swarm");
    m.state = get<std::string>(s, "LocalNodeState");
    m.node_id = get<std::string>(s, "NodeID");
    m.node_addr = get<std::string>(s, "NodeAddr");
    m.manager = get<bool>(s, "ControlAvailable");
    m.managers = get<std::int64_t>(s, "Managers");
    m.error = get<std::string>(s, "Error");
    m.cluster_id = get<std::string>(child(s, "Cluster"), "ID");
    if (auto it = s.find("RemoteManagers"); it != s.end() && it->is_array())
      for (const auto& rm : *it) m.remote_managers.push_back(get<std::string>(rm, "Addr"));
    return m;
  });
}

Result<JoinTokens> Client::join_tokens() {
  auto r = call("GET", "/swarm");
  if (!r) return r.error();
  return decode(*r, what("GET", "/swarm"), [](const json& j) {
    const json& t = child(j, "JoinTokens");
    return JoinTokens{get<std::string>(j, "ID"), get<std::string>(t, "Worker"), get<std::string>(t, "Manager")};
  });
}

Result<std::string> Client::init_swarm(const SwarmInit& init) {
  json body{{"ListenAddr", "0.0.0.0:2377"}};
  if (!init.advertise.empty()) body["AdvertiseAddr"] = init.advertise;
  if (!init.address_pools.empty()) body["DefaultAddrPool"] = init.address_pools;
  if (init.subnet_size > 0) body["SubnetSize"] = init.subnet_size;
  if (init.heartbeat_ns > 0) body["Spec"] = {{"Dispatcher", {{"HeartbeatPeriod", init.heartbeat_ns}}}};
  auto r = call("POST", "/swarm/init", codec::body(body));
  if (!r) return r.error();
  return decode(*r, what("POST", "/swarm/init"), [](const json& j) {
    if (!j.is_string()) throw std::runtime_error("expected the new node's ID");
    return j.get<std::string>();
  });
}

Status Client::join_swarm(const std::string& advertise, const std::string& manager_addr, const std::string& token) {
  json body{{"ListenAddr", "0.0.0.0:2377"}, {"RemoteAddrs", json::array({manager_addr})}, {"JoinToken", token}};
  if (!advertise.empty()) body["AdvertiseAddr"] = advertise;
  auto r = call("POST", "/swarm/join", codec::body(body));
  if (!r) {
    // The token is a secret: never in a message, not even when the engine quotes it.
    Error e = r.error();
    for (std::string* t : {&e.what, &e.why})
      for (auto at = t->find(token); !token.empty() && at != std::string::npos; at = t->find(token, at))
        t->replace(at, token.size(), "<join token>");
    return e;
  }
  return ok();
}

Status Client::leave_swarm(bool force) {
  auto r = call("POST", http::target("/swarm/leave", {{"force", force ? "true" : "false"}}));
  if (!r) return r.error();
  return ok();
}

Result<std::vector<SwarmNode>> Client::nodes() {
  StreamedList<SwarmNode> nodes(node_list_decoder);
  SinkFactory sinks = [&] { return std::vector<http::BodySink>{nodes.sink()}; };
  auto r = call("GET", "/nodes", {}, &sinks);
  if (!r) return r.error();
  auto list = nodes.finish(what("GET", "/nodes"));
  if (list) note_managers(*list);
  return list;
}

void Client::note_managers(const std::vector<SwarmNode>& nodes) {
  managers_seen_.clear();
  for (const auto& n : nodes) {
    if (n.role != NodeRole::Manager || n.manager_address.empty()) continue;
    std::string host = n.manager_address;
    if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(':') == colon) host.erase(colon);
    else if (host.front() == '[' && host.find("]:") != std::string::npos) host = host.substr(1, host.find("]:") - 1);
    managers_seen_.emplace_back(n.hostname, host);
  }
}

Result<std::vector<http::Response>> Client::get_all(const std::vector<std::string>& paths, const SinkFactory* sinks) {
  auto build = [&](const std::string& v) {
    std::vector<http::Request> reqs;
    for (const auto& p : paths) reqs.push_back({"GET", "/v" + v + p});
    return reqs;
  };
  auto rs = send_versioned(build, nullptr, sinks);
  std::vector<http::Response> out;
  for (std::size_t i = 0; i < rs.size(); ++i) {
    if (!rs[i]) return rs[i].error();
    if (rs[i]->status >= 400) return Error{http::error_kind(rs[i]->status), what("GET", paths[i]), server_message(*rs[i])};
    out.push_back(std::move(*rs[i]));
  }
  return out;
}

Result<ClusterState> Client::cluster_state(TaskSelection selection) {
  std::vector<std::string> paths{"/nodes", "/services", "/tasks"};
  if (selection == TaskSelection::DesiredRunning)
    paths[2] = http::target("/tasks", {{"filters", filters({{"desired-state", {"running"}}})}});
  // Nodes and tasks are decoded while they arrive (the three at once); the services' body is
  // small (200 services: 120 KB) and decoded whole.
  StreamedList<SwarmNode> nodes(node_list_decoder);
  StreamedList<Task> tasks(task_list_decoder);
  SinkFactory sinks = [&] { return std::vector<http::BodySink>{nodes.sink(), {}, tasks.sink()}; };
  auto rs = get_all(paths, &sinks);
  if (!rs) return rs.error();
  auto node_list = nodes.finish(what("GET", paths[0]));
  if (!node_list) return node_list.error();
  note_managers(*node_list);
  auto services = decode((*rs)[1], what("GET", paths[1]), decode_services);
  if (!services) return services.error();
  auto task_list = tasks.finish(what("GET", paths[2]));
  if (!task_list) return task_list.error();
  return ClusterState{std::move(*node_list), std::move(*services), std::move(*task_list)};
}

Result<std::vector<Network>> Client::networks() {
  auto r = call("GET", "/networks");
  if (!r) return r.error();
  return decode(*r, what("GET", "/networks"), decode_networks);
}

namespace {
std::string services_path(const std::string& named) {
  return named.empty() ? "/services" : http::target("/services", {{"filters", filters({{"name", {named}}})}});
}
// The engine's filter matches names by prefix; what it let through otherwise is dropped.
void keep_named(std::vector<Service>& services, const std::string& named) {
  if (!named.empty()) std::erase_if(services, [&](const Service& s) { return !s.spec.name.starts_with(named); });
}
}  // namespace

Result<std::vector<Service>> Client::services_named(const std::string& prefix) {
  std::string path = services_path(prefix);
  auto r = call("GET", path);
  if (!r) return r.error();
  auto services = decode(*r, what("GET", path), decode_services);
  if (services) keep_named(*services, prefix);
  return services;
}

void Client::prefetch_services_named(const std::string& prefix) {
  // As call() will build it: at the version it will ask for.
  transport_.prefetch(http::Request{"GET", "/v" + api_version_.value_or(kMaxApiVersion) + services_path(prefix)});
}

Result<StackObjects> Client::stack_objects(bool secrets, bool configs, const std::string& services_named) {
  std::vector<std::string> paths{"/networks", services_path(services_named)};
  if (secrets) paths.push_back("/secrets");
  if (configs) paths.push_back("/configs");
  auto rs = get_all(paths);
  if (!rs) return rs.error();
  StackObjects out;
  auto networks = decode((*rs)[0], what("GET", paths[0]), decode_networks);
  if (!networks) return networks.error();
  out.networks = std::move(*networks);
  auto services = decode((*rs)[1], what("GET", paths[1]), decode_services);
  if (!services) return services.error();
  out.services = std::move(*services);
  keep_named(out.services, services_named);
  for (std::size_t i = 2; i < rs->size(); ++i) {
    auto files = decode((*rs)[i], what("GET", paths[i]), decode_file_objects);
    if (!files) return files.error();
    (paths[i] == "/secrets" ? out.secrets : out.configs) = std::move(*files);
  }
  return out;
}

Result<Network> Client::network(const std::string& id_or_name) {
  auto r = call("GET", "/networks/" + http::encode(id_or_name));
  if (!r) {
    if (r.error().kind == ErrorKind::NotFound) r.error().why = fmt::format("no network named {}", id_or_name);
    return r.error();
  }
  return decode(*r, what("GET", "/networks/" + http::encode(id_or_name)),
                [](const json& j) { return decode_network(j, true); });
}

Result<NetworkCreated> Client::create_network(const NetworkSpec& spec) {
  json body = {{"Name", spec.name},       {"Driver", spec.driver},     {"CheckDuplicate", true},
               {"Attachable", spec.attachable}, {"Internal", spec.internal}, {"Labels", spec.labels}};
  if (spec.subnet || spec.gateway || spec.ip_range || !spec.aux_addresses.empty()) {
    json cfg = json::object();
    if (spec.subnet) cfg["Subnet"] = *spec.subnet;
    if (spec.gateway) cfg["Gateway"] = *spec.gateway;
    if (spec.ip_range) cfg["IPRange"] = *spec.ip_range;
    if (!spec.aux_addresses.empty()) cfg["AuxiliaryAddresses"] = spec.aux_addresses;
    body["IPAM"] = {{"Driver", "default"}, {"Config", json::array({cfg})}};
  }
  if (!spec.options.empty()) body["Options"] = spec.options;
  if (spec.ipv6) body["EnableIPv6"] = true;
  auto r = call("POST", "/networks/create", codec::body(body));
  if (!r) return r.error();
  return decode(*r, fmt::format("POST {}/networks/create", transport_.describe()), [](const json& j) {
    return NetworkCreated{get<std::string>(j, "Id"), get<std::string>(j, "Warning")};
  });
}

Status Client::update_node(const SwarmNode& node) {
  nlohmann::json spec{{"Role", to_string(node.role)}, {"Availability", to_string(node.availability)},
                      {"Labels", node.labels}};
  if (!node.spec_name.empty()) spec["Name"] = node.spec_name;
  auto r = call("POST", http::target("/nodes/" + http::encode(node.id) + "/update", {{"version", std::to_string(node.version)}}),
                spec.dump());
  if (!r) {
    // A demotion while the promotion before it is still under way: the node is a manager in its
    // spec but has not joined the managers' Raft yet (swarmkit's 404, seen on the lab).
    if (r.error().kind == ErrorKind::NotFound && r.error().why.find("raft memberlist") != std::string::npos)
      r.error() = Error{ErrorKind::Conflict, r.error().what,
                        fmt::format("{} has not joined the managers yet (its promotion is under way; hcl node "
                                    "promote --wait returns once it has): demote it then",
                                    node.hostname)};
    else if (r.error().kind == ErrorKind::NotFound)
      r.error().why = fmt::format("no node {} (removed meanwhile?)", node.hostname);
    return r.error();
  }
  return ok();
}

Status Client::remove_node(const std::string& id, bool force) {
  auto r = call("DELETE", http::target("/nodes/" + http::encode(id), force ? std::vector<std::pair<std::string, std::optional<std::string>>>{{"force", "true"}}
                                                                         : std::vector<std::pair<std::string, std::optional<std::string>>>{}));
  if (!r) return r.error();
  return ok();
}

Status Client::remove_network(const std::string& id_or_name) {
  auto r = call("DELETE", "/networks/" + http::encode(id_or_name));
  if (!r) {
    if (r.error().kind == ErrorKind::NotFound) r.error().why = fmt::format("no network named {}", id_or_name);
    return r.error();
  }
  return ok();
}

int compare_api_versions(const std::string& a, const std::string& b) {
  auto parts = [](const std::string& s) {
    std::vector<int> out;
    size_t start = 0;
    while (start <= s.size()) {
      size_t dot = s.find('.', start);
      std::string_view piece(s.data() + start, (dot == std::string::npos ? s.size() : dot) - start);
      int v = 0;
      std::from_chars(piece.data(), piece.data() + piece.size(), v);
      out.push_back(v);
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    return out;
  };
  auto pa = parts(a), pb = parts(b);
  for (size_t i = 0; i < std::max(pa.size(), pb.size()); ++i) {
    int x = i < pa.size() ? pa[i] : 0, y = i < pb.size() ? pb[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

std::string to_string(NodeRole role) { return role == NodeRole::Manager ? "manager" : "worker"; }

std::string to_string(NodeAvailability a) {
  switch (a) {
    case NodeAvailability::Active: return "active";
    case NodeAvailability::Pause: return "pause";
    case NodeAvailability::Drain: return "drain";
  }
  return "unknown";
}

std::string to_string(NodeState s) {
  switch (s) {
    case NodeState::Ready: return "ready";
    case NodeState::Down: return "down";
    case NodeState::Disconnected: return "disconnected";
    case NodeState::Unknown: return "unknown";
  }
  return "unknown";
}

}  // namespace hcl::docker
