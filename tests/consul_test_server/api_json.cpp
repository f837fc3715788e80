#include "api_json.hpp"

#include "go_duration.hpp"

#include <cctype>
#include <initializer_list>
#include <type_traits>

namespace hcl::testing::cts {
namespace {

using json = nlohmann::json;

// --- encoding helpers ---

ojson string_map_or_null(const std::optional<StringMap>& m) {
  return m ? ojson(*m) : ojson(nullptr);
}

ojson weights(const Weights& w) { return ojson{{"Passing", w.passing}, {"Warning", w.warning}}; }

// Consul always writes these two; the test server has no Connect, so they are empty.
ojson empty_proxy() {
  return ojson{{"Mode", ""}, {"MeshGateway", ojson::object()}, {"Expose", ojson::object()}};
}

ojson check_definition(const CheckDefinition& d) {
  ojson out = ojson::object();
  if (!d.http.empty()) out["HTTP"] = d.http;
  if (d.tls_skip_verify) out["TLSSkipVerify"] = true;
  if (!d.header.empty()) out["Header"] = d.header;
  if (!d.method.empty()) out["Method"] = d.method;
  if (!d.tcp.empty()) out["TCP"] = d.tcp;
  if (d.interval.count() != 0) out["Interval"] = format_go_duration(d.interval);
  if (d.timeout.count() != 0) out["Timeout"] = format_go_duration(d.timeout);
  if (d.deregister_critical_service_after.count() != 0) {
    out["DeregisterCriticalServiceAfter"] = format_go_duration(d.deregister_critical_service_after);
  }
  return out;
}

// --- decoding helpers ---

// Go's word for the JSON value a field could not take.
std::string go_kind(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return "string";
    case json::value_t::boolean: return "bool";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    case json::value_t::number_float:
      return "number " + v.dump();
    default: return "number";
  }
}

// A JSON object read the way Go fills a struct: names match case-insensitively (an exact match
// first), absent and null fields keep the zero value, and a wrong type is an error.
class Fields {
 public:
  Fields(const json& v, std::string path) : obj_(v), path_(std::move(path)) {}

  const json* find(std::initializer_list<std::string_view> names) const {
    if (!obj_.is_object()) return nullptr;
    for (auto name : names) {
      if (auto it = obj_.find(std::string(name)); it != obj_.end()) return &*it;
    }
    for (auto name : names) {
      for (auto it = obj_.begin(); it != obj_.end(); ++it) {
        if (lower(it.key()) == lower(name)) return &*it;
      }
    }
    return nullptr;
  }

  std::string str(std::initializer_list<std::string_view> names) const {
    const json* v = present(names);
    if (v == nullptr) return {};
    if (!v->is_string()) fail(*v, names, "string");
    return v->get<std::string>();
  }

  template <class Int>
  Int integer(std::initializer_list<std::string_view> names, const char* go_type) const {
    const json* v = present(names);
    if (v == nullptr) return 0;
    if (!v->is_number_integer()) fail(*v, names, go_type);
    if (v->is_number_unsigned()) return static_cast<Int>(v->get<std::uint64_t>());
    auto i = v->get<std::int64_t>();
    if (std::is_unsigned_v<Int> && i < 0) fail(*v, names, go_type);
    return static_cast<Int>(i);
  }

  bool boolean(std::initializer_list<std::string_view> names) const {
    const json* v = present(names);
    if (v == nullptr) return false;
    if (!v->is_boolean()) fail(*v, names, "bool");
    return v->get<bool>();
  }

  std::vector<std::string> strings(std::initializer_list<std::string_view> names) const {
    const json* v = present(names);
    std::vector<std::string> out;
    if (v == nullptr) return out;
    if (!v->is_array()) fail(*v, names, "[]string");
    for (const auto& item : *v) {
      if (!item.is_string()) fail(item, names, "string");
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  std::optional<StringMap> string_map(std::initializer_list<std::string_view> names) const {
    const json* v = present(names);
    if (v == nullptr) return std::nullopt;
    if (!v->is_object()) fail(*v, names, "map[string]string");
    StringMap out;
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (!it->is_string()) fail(*it, names, "string");
      out[it.key()] = it->get<std::string>();
    }
    return out;
  }

  std::map<std::string, std::vector<std::string>> header(
      std::initializer_list<std::string_view> names) const {
    const json* v = present(names);
    std::map<std::string, std::vector<std::string>> out;
    if (v == nullptr) return out;
    if (!v->is_object()) fail(*v, names, "map[string][]string");
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (!it->is_array()) fail(*it, names, "[]string");
      for (const auto& item : *it) {
        if (!item.is_string()) fail(item, names, "string");
        out[it.key()].push_back(item.get<std::string>());
      }
    }
    return out;
  }

  // Consul takes durations as Go strings ("10s") or as integer nanoseconds.
  std::chrono::nanoseconds duration(std::initializer_list<std::string_view> names) const {
    const json* v = present(names);
    if (v == nullptr) return std::chrono::nanoseconds{0};
    if (v->is_number_integer()) return std::chrono::nanoseconds{v->get<std::int64_t>()};
    if (!v->is_string()) fail(*v, names, "time.Duration");
    auto d = parse_go_duration(v->get<std::string>());
    if (!d) throw DecodeError("time: invalid duration \"" + v->get<std::string>() + "\"");
    return *d;
  }

  // A nested struct; nullopt when absent or null.
  std::optional<Fields> object(std::initializer_list<std::string_view> names,
                               const std::string& go_type) const {
    const json* v = present(names);
    if (v == nullptr) return std::nullopt;
    if (!v->is_object()) fail(*v, names, go_type);
    return Fields(*v, path_ + "." + std::string(*names.begin()));
  }

  std::vector<Fields> objects(std::initializer_list<std::string_view> names,
                              const std::string& go_type) const {
    const json* v = present(names);
    std::vector<Fields> out;
    if (v == nullptr) return out;
    if (!v->is_array()) fail(*v, names, "[]" + go_type);
    for (const auto& item : *v) {
      if (item.is_null()) continue;
      if (!item.is_object()) fail(item, names, go_type);
      out.emplace_back(item, path_ + "." + std::string(*names.begin()));
    }
    return out;
  }

  bool has(std::initializer_list<std::string_view> names) const { return present(names) != nullptr; }

 private:
  const json* present(std::initializer_list<std::string_view> names) const {
    const json* v = find(names);
    return v == nullptr || v->is_null() ? nullptr : v;
  }

  [[noreturn]] void fail(const json& v, std::initializer_list<std::string_view> names,
                         std::string_view go_type) const {
    throw DecodeError("json: cannot unmarshal " + go_kind(v) + " into Go struct field " + path_ +
                      "." + std::string(*names.begin()) + " of type " + std::string(go_type));
  }

  const json& obj_;
  std::string path_;
};

Fields root(const json& body, const std::string& go_type) {
  if (!body.is_object() && !body.is_null()) {
    throw DecodeError("json: cannot unmarshal " + go_kind(body) + " into Go value of type structs." +
                      go_type);
  }
  return Fields(body, go_type);
}

Weights decode_weights(const Fields& f) {
  return {f.integer<int>({"Passing"}, "int"), f.integer<int>({"Warning"}, "int")};
}

Service decode_catalog_service(const Fields& f) {
  Service s;
  s.id = f.str({"ID"});
  s.name = f.str({"Service"});
  s.tags = f.strings({"Tags"});
  s.address = f.str({"Address"});
  s.port = f.integer<int>({"Port"}, "int");
  s.meta = f.string_map({"Meta"}).value_or(StringMap{});
  s.enable_tag_override = f.boolean({"EnableTagOverride"});
  s.kind = f.str({"Kind"});
  if (auto w = f.object({"Weights"}, "structs.Weights")) s.weights = decode_weights(*w);
  return s;
}

CheckDefinition decode_definition(const Fields& f) {
  CheckDefinition d;
  d.http = f.str({"HTTP"});
  d.tls_skip_verify = f.boolean({"TLSSkipVerify"});
  d.header = f.header({"Header"});
  d.method = f.str({"Method"});
  d.tcp = f.str({"TCP"});
  d.interval = f.duration({"Interval", "IntervalDuration"});
  d.timeout = f.duration({"Timeout", "TimeoutDuration"});
  d.deregister_critical_service_after =
      f.duration({"DeregisterCriticalServiceAfter", "DeregisterCriticalServiceAfterDuration"});
  return d;
}

Check decode_catalog_check(const Fields& f) {
  Check c;
  c.node = f.str({"Node"});
  c.check_id = f.str({"CheckID"});
  c.name = f.str({"Name"});
  c.status = f.str({"Status"});
  c.notes = f.str({"Notes"});
  c.output = f.str({"Output"});
  c.service_id = f.str({"ServiceID"});
  c.type = f.str({"Type"});
  c.interval = f.str({"Interval"});
  c.timeout = f.str({"Timeout"});
  if (auto d = f.object({"Definition"}, "structs.HealthCheckDefinition")) {
    c.definition = decode_definition(*d);
  }
  // Consul fills the Type of a check registered straight into the catalog from its definition.
  if (c.type.empty() && c.definition.interval.count() > 0) {
    if (!c.definition.http.empty()) c.type = "http";
    else if (!c.definition.tcp.empty()) c.type = "tcp";
  }
  return c;
}

AgentCheck decode_agent_check(const Fields& f) {
  AgentCheck c;
  c.check_id = f.str({"CheckID", "ID", "check_id"});
  c.name = f.str({"Name"});
  c.notes = f.str({"Notes"});
  c.status = f.str({"Status"});
  c.definition.http = f.str({"HTTP"});
  c.definition.method = f.str({"Method"});
  c.definition.header = f.header({"Header"});
  c.definition.tls_skip_verify = f.boolean({"TLSSkipVerify", "tls_skip_verify"});
  c.definition.tcp = f.str({"TCP"});
  c.definition.ttl = f.duration({"TTL"});
  c.definition.interval = f.duration({"Interval"});
  c.definition.timeout = f.duration({"Timeout"});
  c.definition.deregister_critical_service_after =
      f.duration({"DeregisterCriticalServiceAfter", "deregister_critical_service_after"});
  c.grpc = f.str({"GRPC"});
  c.udp = f.str({"UDP"});
  c.h2ping = f.str({"H2PING"});
  c.docker_container_id = f.str({"DockerContainerID", "docker_container_id"});
  c.alias_service = f.str({"AliasService", "alias_service"});
  c.os_service = f.str({"OSService", "os_service"});
  c.args = f.strings({"Args", "ScriptArgs", "script_args"});
  c.empty = c.check_id.empty() && c.name.empty() && c.notes.empty() && c.status.empty() &&
            c.definition == CheckDefinition{} && c.grpc.empty() && c.udp.empty() &&
            c.h2ping.empty() && c.docker_container_id.empty() && c.alias_service.empty() &&
            c.os_service.empty() && c.args.empty();
  return c;
}

}  // namespace

// --- encoding ---

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
             static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
             static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += kAlphabet[n >> 6 & 63];
    out += kAlphabet[n & 63];
  }
  if (std::size_t rest = bytes.size() - i; rest > 0) {
    auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += rest == 2 ? kAlphabet[n >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

ojson encode_node(const Node& n) {
  return ojson{{"ID", n.id},
               {"Node", n.name},
               {"Address", n.address},
               {"Datacenter", n.datacenter},
               {"TaggedAddresses", string_map_or_null(n.tagged_addresses)},
               {"Meta", string_map_or_null(n.meta)},
               {"CreateIndex", n.create_index},
               {"ModifyIndex", n.modify_index}};
}

ojson encode_service_node(const Node& n, const Service& s) {
  return ojson{{"ID", n.id},
               {"Node", n.name},
               {"Address", n.address},
               {"Datacenter", n.datacenter},
               {"TaggedAddresses", string_map_or_null(n.tagged_addresses)},
               {"NodeMeta", string_map_or_null(n.meta)},
               {"ServiceKind", s.kind},
               {"ServiceID", s.id},
               {"ServiceName", s.name},
               {"ServiceTags", s.tags},
               {"ServiceAddress", s.address},
               {"ServiceWeights", weights(s.weights)},
               {"ServiceMeta", s.meta},
               {"ServicePort", s.port},
               {"ServiceEnableTagOverride", s.enable_tag_override},
               {"ServiceProxy", empty_proxy()},
               {"ServiceConnect", ojson::object()},
               {"CreateIndex", s.create_index},
               {"ModifyIndex", s.modify_index}};
}

ojson encode_node_service(const Service& s) {
  ojson out = ojson::object();
  if (!s.kind.empty()) out["Kind"] = s.kind;  // omitempty in Consul's NodeService
  out["ID"] = s.id;
  out["Service"] = s.name;
  out["Tags"] = s.tags;
  out["Address"] = s.address;
  out["Meta"] = s.meta;
  out["Port"] = s.port;
  out["Weights"] = weights(s.weights);
  out["EnableTagOverride"] = s.enable_tag_override;
  out["Proxy"] = empty_proxy();
  out["Connect"] = ojson::object();
  out["CreateIndex"] = s.create_index;
  out["ModifyIndex"] = s.modify_index;
  return out;
}

ojson encode_agent_service(const Service& s, const std::string& datacenter) {
  ojson out = ojson::object();
  if (!s.kind.empty()) out["Kind"] = s.kind;
  out["ID"] = s.id;
  out["Service"] = s.name;
  out["Tags"] = s.tags;
  out["Meta"] = s.meta;
  out["Port"] = s.port;
  out["Address"] = s.address;
  out["Weights"] = weights(s.weights);
  out["EnableTagOverride"] = s.enable_tag_override;
  out["Datacenter"] = datacenter;
  return out;
}

ojson encode_check(const Check& c) {
  return ojson{{"Node", c.node},
               {"CheckID", c.check_id},
               {"Name", c.name},
               {"Status", c.status},
               {"Notes", c.notes},
               {"Output", c.output},
               {"ServiceID", c.service_id},
               {"ServiceName", c.service_name},
               {"ServiceTags", c.service_tags},
               {"Type", c.type},
               {"Interval", c.interval},
               {"Timeout", c.timeout},
               {"ExposedPort", 0},
               {"Definition", check_definition(c.definition)},
               {"CreateIndex", c.create_index},
               {"ModifyIndex", c.modify_index}};
}

ojson encode_kv(const KvEntry& e) {
  return ojson{{"LockIndex", e.lock_index},
               {"Key", e.key},
               {"Flags", e.flags},
               {"Value", e.value.empty() ? ojson(nullptr) : ojson(base64_encode(e.value))},
               {"CreateIndex", e.create_index},
               {"ModifyIndex", e.modify_index}};
}

// --- decoding ---

json parse_body(const std::string& body) {
  bool blank = true;
  for (char c : body) blank = blank && std::isspace(static_cast<unsigned char>(c));
  if (blank) throw DecodeError("EOF");
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    if (e.byte >= body.size()) throw DecodeError("unexpected EOF");
    std::size_t at = e.byte == 0 ? 0 : e.byte - 1;
    throw DecodeError(std::string("invalid character '") + body[at] + "' at offset " +
                      std::to_string(at));
  }
}

Registration decode_registration(const json& body) {
  Fields f = root(body, "RegisterRequest");
  Registration r;
  r.id = f.str({"ID"});
  r.node = f.str({"Node"});
  r.address = f.str({"Address"});
  r.datacenter = f.str({"Datacenter"});
  r.tagged_addresses = f.string_map({"TaggedAddresses"});
  r.node_meta = f.string_map({"NodeMeta"});
  r.skip_node_update = f.boolean({"SkipNodeUpdate"});
  if (auto s = f.object({"Service"}, "structs.NodeService")) r.service = decode_catalog_service(*s);
  if (auto c = f.object({"Check"}, "structs.HealthCheck")) r.checks.push_back(decode_catalog_check(*c));
  for (const auto& c : f.objects({"Checks"}, "structs.HealthCheck")) {
    r.checks.push_back(decode_catalog_check(c));
  }
  return r;
}

Deregistration decode_deregistration(const json& body) {
  Fields f = root(body, "DeregisterRequest");
  return {f.str({"Node"}), f.str({"Datacenter"}), f.str({"ServiceID"}), f.str({"CheckID"})};
}

AgentServiceDefinition decode_agent_service(const json& body) {
  Fields f = root(body, "ServiceDefinition");
  AgentServiceDefinition def;
  Service& s = def.service;
  s.id = f.str({"ID"});
  s.name = f.str({"Name"});
  s.tags = f.strings({"Tags"});
  s.address = f.str({"Address"});
  s.port = f.integer<int>({"Port"}, "int");
  s.meta = f.string_map({"Meta"}).value_or(StringMap{});
  s.enable_tag_override = f.boolean({"EnableTagOverride", "enable_tag_override"});
  s.kind = f.str({"Kind"});
  if (auto w = f.object({"Weights"}, "structs.Weights")) {
    s.weights = decode_weights(*w);
    def.weights_given = true;
  }
  if (auto c = f.object({"Check"}, "structs.CheckType")) {
    AgentCheck check = decode_agent_check(*c);
    if (!check.empty) def.checks.push_back(std::move(check));
  }
  for (const auto& c : f.objects({"Checks"}, "structs.CheckType")) {
    def.checks.push_back(decode_agent_check(c));
  }
  return def;
}

// --- agent checks ---

std::string AgentCheck::type() const {
  bool interval = definition.interval.count() > 0;
  if (!grpc.empty() && interval) return "grpc";
  if (!definition.http.empty() && interval) return "http";
  if (definition.ttl.count() > 0) return "ttl";
  if (!definition.tcp.empty() && interval) return "tcp";
  if (!udp.empty() && interval) return "udp";
  if (!alias_service.empty()) return "alias";
  if (!docker_container_id.empty() && interval) return "docker";
  if (!args.empty() && interval) return "script";
  if (!h2ping.empty() && interval) return "h2ping";
  if (!os_service.empty() && interval) return "os_service";
  return "";
}

std::optional<std::string> AgentCheck::invalid() const {
  bool has_interval = definition.interval.count() > 0;
  bool has_ttl = definition.ttl.count() > 0;
  bool interval_check = (!args.empty() && has_interval) || !definition.http.empty() ||
                        !definition.tcp.empty() || !udp.empty() || !grpc.empty() ||
                        !h2ping.empty() || !os_service.empty();
  bool alias = !alias_service.empty();
  if (has_interval && has_ttl) return "Interval and TTL cannot both be specified";
  if (interval_check && !has_interval) {
    return "Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks";
  }
  if (interval_check && alias) return "Interval cannot be set for Alias checks";
  if (alias && has_ttl) return "TTL must be not be set for Alias checks";
  if (!interval_check && !alias && !has_ttl) return "TTL must be > 0 for TTL checks";
  return std::nullopt;
}

}  // namespace hcl::testing::cts
