// Internal to lib/docker: encoding requests and decoding the engine's JSON (whole answers, and node
// and task lists as they stream). Reading is safe: a field that is missing or null
// reads as its fallback; a field of the wrong type throws json::exception, which decode() turns
// into an error naming the endpoint.
#pragma once

#include <hcl/error.hpp>
#include <hcl/http.hpp>

#include "../json/document.hpp"
#include "../json/fields.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>


#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hcl::docker::codec {

using json = nlohmann::json;

using json_fields::child;
using json_fields::get;

// A manager without a leader (too few managers up for Raft to decide) says so; hcl adds the ways out.
inline constexpr std::string_view kNoLeader = "does not have a leader";
inline constexpr std::string_view kNoLeaderAdvice =
    " So the swarm has lost its quorum: nothing can change until more than half of its managers are back (start their "
    "engines again; hcl nodes shows which are down). If they are gone for good, `docker swarm init --force-new-cluster` on a "
    "surviving manager makes it the swarm's single manager, keeping its services and state; the lost ones must then "
    "leave and join again.";

// The engine's error bodies are {"message": "..."}; anything else is quoted as it came.
inline std::string server_message(const http::Response& r) {
  json j;
  try {
    j = json_push::parse_document(r.body);
  } catch (const json_push::SyntaxError&) {  // quoted below
  }
  if (j.is_object() && j.contains("message") && j["message"].is_string()) {
    auto m = j["message"].get<std::string>();
    if (m.find(kNoLeader) != std::string::npos) m += kNoLeaderAdvice;
    return m;
  }
  std::string body = r.body.substr(0, 200);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return body.empty() ? fmt::format("HTTP {}", r.status) : fmt::format("HTTP {}: {}", r.status, body);
}

// The error kind of an engine's answer. Swarm managers answer some conflicts with 500 and the
// swarmkit error in words: a network created under a name another writer just took ("name
// conflicts with an existing object"), or an update based on a version another writer has
// replaced ("update out of sequence"). Those are conflicts (exit 8): the caller re-reads and runs
// again, as it would after a 409.
inline ErrorKind engine_error_kind(const http::Response& r, std::string_view message) {
  if (r.status == 500 && (message.find("name conflicts with an existing object") != std::string_view::npos ||
                          message.find("update out of sequence") != std::string_view::npos))
    return ErrorKind::Conflict;
  return http::error_kind(r.status);
}

// A request body. Names and values come from users and need not be UTF-8 (an image name given
// on the command line, say); dump() would throw on them. Invalid bytes become U+FFFD, which
// the engine then refuses or matches nothing with, naming what it got.
inline std::string body(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// A `filters` query parameter in the map form, {"desired-state":{"running":true}}: the form every
// engine reads since API 1.22 and every Docker client sends. The older {"k":["v"]} form is read by
// today's engines only through a fallback marked deprecated.
inline std::string filters(const std::map<std::string, std::vector<std::string>>& by_key) {
  json j = json::object();
  for (const auto& [key, values] : by_key) {
    json set = json::object();
    for (const auto& v : values) set[v] = true;
    j[key] = std::move(set);
  }
  return body(j);
}

// Decodes a body with `decode`, turning malformed or mistyped JSON into an error that names the
// endpoint instead of a crash.
template <class F>
auto decode(const http::Response& r, const std::string& what, F&& decode_fn) -> Result<decltype(decode_fn(json{}))> {
  try {
    return decode_fn(json_push::parse_document(r.body));
  } catch (const json::exception& e) {
    return Error{ErrorKind::Server, what, fmt::format("unexpected answer from the engine: {}", e.what())};
  } catch (const std::runtime_error& e) {  // json_push::SyntaxError, json_fields::bad_number, a decoder's own finding
    return Error{ErrorKind::Server, what, fmt::format("unexpected answer from the engine: {}", e.what())};
  }
}

}  // namespace hcl::docker::codec

namespace hcl::docker {
// Decoders shared between the files of lib/docker.
struct ServiceSpec;
nlohmann::json encode_spec(const ServiceSpec& spec);  // service_spec.cpp
ServiceSpec decode_spec(const nlohmann::json& j);
struct Service;
Service decode_service(const nlohmann::json& j);
std::vector<Service> decode_services(const nlohmann::json& j);  // a GET /services body
struct FileObject;
std::vector<FileObject> decode_file_objects(const nlohmann::json& j);  // a GET /secrets or /configs body

// Decodes the JSON array of a GET /tasks or GET /nodes answer into structs while it arrives:
// fed each piece of the body as the transport receives it (Transport::stream_all), it keeps
// the structs and never the body (lists.cpp).
class ListDecoder {
 public:
  virtual ~ListDecoder() = default;
  // The next piece of the body. False once the answer is known to be wrong: stop sending.
  virtual bool feed(std::string_view piece) = 0;
  // After the last piece: the error, naming `what` (the request), when the body was not a
  // complete array of objects of the expected shape.
  virtual Status finish(const std::string& what) = 0;
};
struct Task;
std::unique_ptr<ListDecoder> task_list_decoder(std::vector<Task>& out);
struct SwarmNode;
std::unique_ptr<ListDecoder> node_list_decoder(std::vector<SwarmNode>& out);

// The event stream of GET /events decoded as it arrives: one JSON object per line, each ended by
// "\n" whatever the Content-Type says (application/json up to 28.x; application/x-ndjson or
// application/jsonl from 29.0), and each possibly led by the record separator 0x1E
// (application/json-seq, which 29.0+ sends to a client that asks for it). Reads Type, Action,
// Actor.ID, Actor.Attributes and timeNano only: status, id and from are gone at API 1.52.
struct Event;
class EventLines {
 public:
  static constexpr std::size_t kMaxEventBytes = 1u << 20;
  // `what` names the request in errors ("GET http://master:2378/events").
  explicit EventLines(std::string what) : what_(std::move(what)) {}
  // The next piece of the stream: on_event for each complete event, in order. False once
  // on_event returned false or a line was not an event (error() then says why): stop reading.
  bool feed(std::string_view piece, const std::function<bool(const Event&)>& on_event);
  const std::optional<Error>& error() const { return error_; }

 private:
  std::string what_;
  std::string pending_;
  bool stopped_ = false;
  std::optional<Error> error_;
};

// A list of one request, decoded while it arrives: sink() starts a fresh decode for each send.
template <class Item>
class StreamedList {
 public:
  using Make = std::unique_ptr<ListDecoder> (*)(std::vector<Item>&);
  explicit StreamedList(Make make) : make_(make) {}
  http::BodySink sink() {
    items_.clear();
    decoder_ = make_(items_);
    return [this](std::string_view piece) { return decoder_->feed(piece); };
  }
  // After the request succeeded: the items, or the decoder's error naming `what`.
  Result<std::vector<Item>> finish(const std::string& what) {
    if (!decoder_) sink();  // never sent: an empty body
    if (auto s = decoder_->finish(what); !s) return s.error();
    return std::move(items_);
  }

 private:
  Make make_;
  std::vector<Item> items_;
  std::unique_ptr<ListDecoder> decoder_;
};
}  // namespace hcl::docker
