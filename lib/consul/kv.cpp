// Consul's KV store. Consul's JSON is decoded here (values arrive base64-encoded); hcl's own
// `--format json` for `hcl kv` is encoded in lib/output/kv_json.cpp.
#include <hcl/kv.hpp>
#include <hcl/text.hpp>

#include "codec.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

namespace hcl::consul {
namespace {

using namespace codec;
using Millis = std::chrono::milliseconds;

KvEntry decode_entry(const json& j) {
  KvEntry e;
  e.key = get<std::string>(j, "Key");
  if (auto v = j.find("Value"); v != j.end() && !v->is_null()) {
    auto bytes = text::base64_decode(v->get_ref<const std::string&>());
    if (!bytes) throw std::runtime_error(fmt::format("the value of key {} is not base64", e.key));
    e.value = std::move(*bytes);
  }
  e.flags = get<std::uint64_t>(j, "Flags");
  e.create_index = get<std::uint64_t>(j, "CreateIndex");
  e.modify_index = get<std::uint64_t>(j, "ModifyIndex");
  e.lock_index = get<std::uint64_t>(j, "LockIndex");
  e.session = get<std::string>(j, "Session");
  return e;
}

// Drops leading slashes, as the consul CLI does.
std::string_view normalize(std::string_view key) {
  while (!key.empty() && key.front() == '/') key.remove_prefix(1);
  return key;
}

Error empty_key() { return Error{ErrorKind::Usage, "KEY", "must not be empty (nor only '/')"}; }

}  // namespace

std::string kv_path(std::string_view key) {
  key = normalize(key);
  std::string out = "/v1/kv/";
  for (;;) {
    auto slash = key.find('/');
    out += http::encode(key.substr(0, slash));
    if (slash == std::string_view::npos) break;
    out += '/';
    key.remove_prefix(slash + 1);
  }
  return out;
}

Kv::Kv(http::Transport& transport, std::string token) : transport_(transport), token_(std::move(token)) {}

http::Request Kv::request(std::string method, std::string target) const {
  http::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  if (!token_.empty()) r.headers.push_back({"X-Consul-Token", token_});
  return r;
}

Result<http::Response> Kv::check(Result<http::Response> r, const http::Request& req) const {
  if (!r) return r.error();
  // A server or a proxy may echo the request's headers back (in an error, a check's output):
  // the token goes no further than the request.
  r->body = text::redact(std::move(r->body), token_);
  if (r->status >= 400)
    return Error{http::error_kind(r->status), fmt::format("{} {}{}", req.method, transport_.describe(), req.target),
                 server_message(*r)};
  return r;
}

Result<std::optional<KvEntry>> Kv::get(std::string_view key) {
  if (normalize(key).empty()) return empty_key();
  auto r = read_indexed(std::string(normalize(key)), 0, Millis{0}, false);
  if (!r) return r.error();
  return std::move(r->first);
}

Result<std::vector<KvEntry>> Kv::list(std::string_view prefix) {
  auto req = request("GET", http::target(kv_path(prefix), {{"recurse", std::nullopt}}));
  auto sent = transport_.send(req);
  if (sent && sent->status == 404) return std::vector<KvEntry>{};
  auto r = check(std::move(sent), req);
  if (!r) return r.error();
  return decode(*r, transport_.describe() + req.target, [](const json& j) {
    std::vector<KvEntry> out;
    for (const json& e : j.get_ref<const json::array_t&>()) out.push_back(decode_entry(e));
    return out;
  });
}

Result<std::vector<std::string>> Kv::keys(std::string_view prefix, std::optional<std::string> separator) {
  std::vector<std::pair<std::string, std::optional<std::string>>> query{{"keys", std::nullopt}};
  if (separator && !separator->empty()) query.emplace_back("separator", *separator);
  auto req = request("GET", http::target(kv_path(prefix), query));
  auto sent = transport_.send(req);
  // Consul answers 404 for a prefix nothing is under (and [] for an empty store).
  if (sent && sent->status == 404) return std::vector<std::string>{};
  auto r = check(std::move(sent), req);
  if (!r) return r.error();
  return decode(*r, transport_.describe() + req.target, [](const json& j) { return j.get<std::vector<std::string>>(); });
}

Result<bool> Kv::put(std::string_view key, std::string value, std::optional<std::uint64_t> flags,
                     std::optional<std::uint64_t> cas) {
  if (normalize(key).empty()) return empty_key();
  std::vector<std::pair<std::string, std::optional<std::string>>> query;
  if (flags) query.emplace_back("flags", std::to_string(*flags));
  if (cas) query.emplace_back("cas", std::to_string(*cas));
  auto req = request("PUT", http::target(kv_path(key), query));
  req.body = std::move(value);  // the raw bytes, not base64
  // Said explicitly: a body without a type may be taken for a urlencoded form, which servers and
  // proxies may parse or limit (cpp-httplib, behind the Consul test server, does both).
  req.headers.push_back({"Content-Type", "application/octet-stream"});
  auto r = check(transport_.send(req), req);
  if (!r) return r.error();
  return decode(*r, transport_.describe() + req.target, [](const json& j) { return j.get<bool>(); });
}

Result<bool> Kv::remove(std::string_view key, bool recurse, std::optional<std::uint64_t> cas) {
  if (normalize(key).empty()) return empty_key();
  if (recurse && cas)
    return Error{ErrorKind::Usage, fmt::format("deleting {}", normalize(key)),
                 "a check-and-set index cannot be combined with a recursive delete"};
  std::vector<std::pair<std::string, std::optional<std::string>>> query;
  if (recurse) query.emplace_back("recurse", std::nullopt);
  if (cas) query.emplace_back("cas", std::to_string(*cas));
  auto req = request("DELETE", http::target(kv_path(key), query));
  auto r = check(transport_.send(req), req);
  if (!r) return r.error();
  return decode(*r, transport_.describe() + req.target, [](const json& j) { return j.get<bool>(); });
}

Result<std::pair<std::optional<KvEntry>, std::uint64_t>> Kv::read_indexed(const std::string& key, std::uint64_t index,
                                                                          Millis wait, bool need_index) {
  std::vector<std::pair<std::string, std::optional<std::string>>> query;
  if (index > 0) {
    query.emplace_back("index", std::to_string(index));
    query.emplace_back("wait", go_duration(wait));
  }
  auto req = request("GET", http::target(kv_path(key), query));
  // Consul answers after `wait` plus up to wait/16 of jitter; the request may take that long.
  if (index > 0) req.timeout = wait + wait / 16 + Millis{5000};
  auto sent = transport_.send(req);
  std::optional<KvEntry> entry;
  if (!(sent && sent->status == 404)) {
    auto r = check(std::move(sent), req);
    if (!r) return r.error();
    auto e = decode(*r, transport_.describe() + req.target, [](const json& j) {
      const auto& a = j.get_ref<const json::array_t&>();
      if (a.empty()) throw std::runtime_error("an empty list for a single key");
      return decode_entry(a.front());
    });
    if (!e) return e.error();
    entry = std::move(*e);
    sent = std::move(r);
  }
  auto idx = parse_index(sent->header("X-Consul-Index"));
  if (!idx && !need_index) idx = 0;
  if (!idx)
    return Error{ErrorKind::Server, transport_.describe() + req.target,
                 "unexpected answer from Consul: no X-Consul-Index header"};
  // Consul's rule: an index below 1 would make the next query return at once, forever.
  return std::pair{std::move(entry), std::max<std::uint64_t>(*idx, 1)};
}

Result<std::pair<std::optional<KvEntry>, std::uint64_t>> Kv::wait(std::string_view key, std::uint64_t index,
                                                                  Millis wait) {
  std::string k(normalize(key));
  if (k.empty()) return empty_key();
  if (index == 0) return read_indexed(k, 0, Millis{0});  // never block on index 0
  if (wait.count() <= 0) wait = Millis{5 * 60 * 1000};  // Consul's default
  wait = std::min(wait, kKvMaxWait);
  auto r = read_indexed(k, index, wait);
  if (!r) return r;
  // Consul's rule: when the index goes backwards, start over from 0.
  if (r->second < index) return read_indexed(k, 0, Millis{0});
  return r;
}

}  // namespace hcl::consul
