// /v1/kv/:key: read (single, ?recurse, ?keys, ?raw), write (?flags, ?cas) and delete
// (?recurse, ?cas) KV entries, with Consul's limits and messages.
#include "server_core.hpp"

#include <charconv>
#include <cstdio>

namespace hcl::testing::cts {
namespace {

constexpr std::size_t kMaxValueSize = 512 * 1024;  // Consul's default kv_max_value_size

// Go's url.QueryEscape.
std::string query_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// Go's url.Values.Encode: the query, sorted by key, as Consul prints it in "Conflicting flags".
std::string encode_query(const httplib::Request& req) {
  std::string out;
  for (const auto& [key, value] : req.params) {  // a multimap: already sorted by key
    if (!out.empty()) out += '&';
    out.append(query_escape(key)).append("=").append(query_escape(value));
  }
  return out;
}

// Consul answers 400 when flags that cannot go together are given together.
bool conflicting(Call& call, std::initializer_list<const char*> flags) {
  int found = 0;
  for (const char* f : flags) found += call.has(f) ? 1 : 0;
  if (found < 2) return false;
  call.fail({400, "Conflicting flags: " + encode_query(call.req) + "\n"});
  return true;
}

// Go's strconv.ParseUint(v, 10, 64); Consul answers its error as a 500.
std::optional<std::uint64_t> parse_uint_param(Call& call, const char* name) {
  std::string v = call.param(name);
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (ec == std::errc{} && end == v.data() + v.size() && !v.empty()) return value;
  const char* why = ec == std::errc::result_out_of_range ? "value out of range" : "invalid syntax";
  call.fail({500, "strconv.ParseUint: parsing \"" + v + "\": " + why});
  return std::nullopt;
}

void list_keys(Core& core, Call& call) {
  const std::string& prefix = call.rest;
  // Consul still takes its historic misspelling.
  std::string sep = call.has("separator") ? call.param("separator") : call.param("seperator");
  core.read(call, [&](const Store& s) {
    std::vector<std::string> keys;
    for (const KvEntry* e : s.kv_list(prefix)) {
      auto pos = sep.empty() ? std::string::npos : e->key.find(sep, prefix.size());
      if (pos == std::string::npos) {
        keys.push_back(e->key);
        continue;
      }
      std::string rolled_up = e->key.substr(0, pos + sep.size());
      if (keys.empty() || keys.back() != rolled_up) keys.push_back(rolled_up);
    }
    ReadResult r;
    r.index = s.kv_prefix_index(prefix);
    // No 404 for the root: an empty store lists as [].
    if (keys.empty() && !prefix.empty()) {
      r.status = 404;
    } else {
      r.body = ojson(keys);
    }
    return r;
  });
}

void get(Core& core, Call& call) {
  if (call.has("keys")) return list_keys(core, call);
  const std::string& key = call.rest;
  const bool recurse = call.has("recurse");
  if (!recurse && key.empty()) return call.fail({400, "Missing key name"});
  const bool raw = call.has("raw") && !recurse;
  core.read(call, [&](const Store& s) {
    ReadResult r;
    std::vector<const KvEntry*> entries;
    if (recurse) {
      r.index = s.kv_prefix_index(key);
      entries = s.kv_list(key);
    } else {
      r.index = s.kv_key_index(key);
      if (const KvEntry* e = s.kv_get(key)) entries.push_back(e);
    }
    if (entries.empty()) {
      r.status = 404;
    } else if (raw) {
      r.raw = entries.front()->value;
    } else {
      ojson out = ojson::array();
      for (const KvEntry* e : entries) out.push_back(encode_kv(*e));
      r.body = out;
    }
    return r;
  });
}

void put(Core& core, Call& call) {
  const std::string& key = call.rest;
  if (key.empty()) return call.fail({400, "Missing key name"});
  if (conflicting(call, {"cas", "acquire", "release"})) return;
  std::uint64_t flags = 0;
  if (call.has("flags")) {
    auto f = parse_uint_param(call, "flags");
    if (!f) return;
    flags = *f;
  }
  std::optional<std::uint64_t> cas;
  if (call.has("cas")) {
    cas = parse_uint_param(call, "cas");
    if (!cas) return;
  }
  std::size_t length = call.req.body.size();
  if (call.req.has_header("Content-Length")) {
    length = std::max<std::size_t>(length, std::stoull(call.req.get_header_value("Content-Length")));
  }
  if (length > kMaxValueSize) {
    return call.fail({413, "Request body(" + std::to_string(length) +
                               " bytes) too large, max size: " + std::to_string(kMaxValueSize) +
                               " bytes. See "
                               "https://developer.hashicorp.com/docs/agent/config/"
                               "config-files#kv_max_value_size."});
  }
  // There are no sessions here, so no session can hold a lock.
  for (const char* op : {"acquire", "release"}) {
    if (call.has(op)) return call.fail({500, "Invalid session \"" + call.param(op) + "\""});
  }
  bool done = false;
  auto err = core.write(NeedsLeader::yes, [&](Store& s, std::uint64_t idx) {
    done = s.kv_set(key, call.req.body, flags, cas, idx);
  });
  if (err) return call.fail(*err);
  call.json(done);
}

void del(Core& core, Call& call) {
  const std::string& key = call.rest;
  if (conflicting(call, {"recurse", "cas"})) return;
  const bool recurse = call.has("recurse");
  if (!recurse && key.empty()) return call.fail({400, "Missing key name"});
  std::optional<std::uint64_t> cas;
  if (call.has("cas")) {
    cas = parse_uint_param(call, "cas");
    if (!cas) return;
  }
  bool done = true;
  auto err = core.write(NeedsLeader::yes, [&](Store& s, std::uint64_t idx) {
    if (recurse) {
      s.kv_delete_tree(key, idx);
    } else {
      done = s.kv_delete(key, cas, idx);
    }
  });
  if (err) return call.fail(*err);
  call.json(done);
}

}  // namespace

void add_kv_routes(Router& router, Core& core) {
  router.add({"/v1/kv/", {"GET", "PUT", "DELETE"}, [&core](Call& c) {
                if (c.req.method == "GET") {
                  get(core, c);
                } else if (c.req.method == "PUT") {
                  put(core, c);
                } else {
                  del(core, c);
                }
              }});
}

}  // namespace hcl::testing::cts
