// GET /nodes and GET /tasks decoded straight into structs while the body arrives: the push
// parser (../json_push.hpp) is fed each piece the transport receives, and no JSON document, nor
// the body itself, is ever held whole. At 1,000 nodes (1.8 MB) and 10,000 tasks (13 MB), most of
// it members hcl does not read, the body and a document built from it were most of `hcl nodes`'
// and `hcl ps`' time and memory.
#include <hcl/docker.hpp>

#include "../json/push.hpp"
#include "codec.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>

namespace hcl::docker {
namespace {

// Walks a JSON array of objects, keeping the position of the current value as a path from the
// array: "/[]/Status/State" is an item's Status.State, "/[]/NetworksAttachments/[]/Addresses/[]"
// one of its addresses. `Item` gets a new element per object of the array; `Assign` is called
// for each string, integer and boolean with the item, the path and the value, and returns false
// when a member it reads has a value of the wrong type.
// Bounds on what a hostile answer can make hcl keep: elements (each a struct of some hundred
// bytes, however short its JSON: `{},{},...`) and nesting (each level lengthens the path).
constexpr std::size_t kMaxDepth = 32;

template <class Item, class Assign>
class ListSax final : public json_push::Handler {
 public:
  ListSax(std::vector<Item>& out, Assign assign) : out_(out), assign_(std::move(assign)) {}

  bool start_array() override {
    if (marks_.size() >= kMaxDepth) return fail("values nested deeper than 32 levels");
    if (marks_.empty() && !path_.empty()) return fail("the answer must be a JSON array");
    if (marks_.size() == 1) return fail("each element must be a JSON object");  // [[...]]: no item to fill
    marks_.push_back(path_.size());
    path_ += "/[]";
    return true;
  }
  bool start_object() override {
    if (marks_.empty()) return fail("the answer must be a JSON array, not an object");
    if (marks_.size() >= kMaxDepth) return fail("values nested deeper than 32 levels");
    if (marks_.size() == 1) {
      if (out_.size() >= kMaxListItems) return fail(fmt::format("more than {} elements, the most hcl reads", kMaxListItems));
      out_.emplace_back();
    }
    marks_.push_back(path_.size());
    path_ += '/';
    return true;
  }
  bool end_array() override { return close(); }
  bool end_object() override { return close(); }
  bool key(std::string& k) override {
    path_.resize(marks_.back() + 1);
    path_ += k;
    return true;
  }
  bool string(std::string& v) override { return value(std::move(v)); }
  bool number_integer(std::int64_t v) override { return value(v); }
  bool number_unsigned(std::uint64_t v) override { return value(static_cast<std::int64_t>(v)); }
  bool boolean(bool v) override { return value(v); }
  bool number_float(double) override { return item_level(); }
  bool null() override { return item_level(); }

  const std::string& error() const { return error_; }

 private:
  bool item_level() { return marks_.size() >= 2 || fail("each element must be a JSON object"); }
  template <class V>
  bool value(V&& v) {
    if (!item_level()) return false;
    if (assign_(out_.back(), std::string_view(path_), std::forward<V>(v))) return true;
    return fail(fmt::format("{} has a value of the wrong type or out of range", path_.substr(3)));
  }
  bool close() {
    path_.resize(marks_.back());
    marks_.pop_back();
    return true;
  }
  bool fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
  }

  std::vector<Item>& out_;
  Assign assign_;
  std::string path_;
  std::vector<std::size_t> marks_;  // path_'s length where each open array/object began
  std::string error_;
};

template <class Item, class Assign>
class Decoder final : public ListDecoder {
 public:
  Decoder(std::vector<Item>& out, Assign assign) : sax_(out, std::move(assign)), parser_(sax_) {}
  bool feed(std::string_view piece) override { return parser_.feed(piece); }
  Status finish(const std::string& what) override {
    if (parser_.finish()) return ok();
    // A syntax error, or the first member that does not fit (the parser has no words for it).
    const std::string& why = parser_.error().empty() ? sax_.error() : parser_.error();
    return Error{ErrorKind::Server, what, fmt::format("unexpected answer from the engine: {}", why)};
  }

 private:
  ListSax<Item, Assign> sax_;
  json_push::Parser parser_;
};

template <class Item, class Assign>
std::unique_ptr<ListDecoder> make_decoder(std::vector<Item>& out, Assign assign) {
  return std::make_unique<Decoder<Item, Assign>>(out, std::move(assign));
}

// Stores v in field when the JSON type fits the member's; false when it does not.
template <class F, class V>
bool put(F& field, V&& v) {
  using T = std::decay_t<V>;
  if constexpr (std::is_same_v<F, std::string> && std::is_same_v<T, std::string>) field = std::move(v);
  else if constexpr (std::is_same_v<F, bool> && std::is_same_v<T, bool>) field = v;
  else if constexpr ((std::is_same_v<F, int> || std::is_same_v<F, std::optional<int>>) && std::is_same_v<T, std::int64_t>) {
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) return false;  // out of range
    field = static_cast<int>(v);
  } else if constexpr (std::is_same_v<F, std::uint64_t> && std::is_same_v<T, std::int64_t>) {
    if (v < 0) return false;  // out of range
    field = static_cast<std::uint64_t>(v);
  }
  else return false;
  return true;
}
template <class F, class V, class Convert>
bool put_as(F& field, V&& v, Convert convert) {
  if constexpr (std::is_same_v<std::decay_t<V>, std::string>) {
    field = convert(v);
    return true;
  }
  return false;
}

NodeRole role(std::string_view s) { return s == "manager" ? NodeRole::Manager : NodeRole::Worker; }
NodeAvailability availability(std::string_view s) {
  if (s == "pause") return NodeAvailability::Pause;
  if (s == "drain") return NodeAvailability::Drain;
  return NodeAvailability::Active;
}
NodeState state(std::string_view s) {
  if (s == "ready") return NodeState::Ready;
  if (s == "down") return NodeState::Down;
  if (s == "disconnected") return NodeState::Disconnected;
  return NodeState::Unknown;
}

}  // namespace

std::unique_ptr<ListDecoder> task_list_decoder(std::vector<Task>& out) {
  // Go writes an attachment's Network before its Addresses: the name seen last is theirs.
  return make_decoder(out, [network = std::string()](Task& t, std::string_view p, auto&& v) mutable -> bool {
    using V = decltype(v);
    if (p == "/[]/ID") return put(t.id, std::forward<V>(v));
    if (p == "/[]/ServiceID") return put(t.service_id, std::forward<V>(v));
    if (p == "/[]/NodeID") return put(t.node_id, std::forward<V>(v));
    if (p == "/[]/Slot") return put(t.slot, std::forward<V>(v));
    if (p == "/[]/DesiredState") return put(t.desired_state, std::forward<V>(v));
    if (p == "/[]/Status/State") return put(t.state, std::forward<V>(v));
    if (p == "/[]/Status/Message") return put(t.message, std::forward<V>(v));
    if (p == "/[]/Status/Err") return put(t.error, std::forward<V>(v));
    if (p == "/[]/Status/Timestamp") return put(t.timestamp, std::forward<V>(v));
    if (p == "/[]/Status/ContainerStatus/ContainerID") return put(t.container_id, std::forward<V>(v));
    if (p == "/[]/Status/ContainerStatus/ExitCode") return put(t.exit_code, std::forward<V>(v));
    if (p == "/[]/Spec/ContainerSpec/Image") return put(t.image, std::forward<V>(v));
    if (p == "/[]/UpdatedAt") return put(t.updated_at, std::forward<V>(v));
    if (p == "/[]/NetworksAttachments/[]/Network/Spec/Name") return put(network, std::forward<V>(v));
    if (p == "/[]/NetworksAttachments/[]/Addresses/[]") {
      t.address_networks.push_back(network);
      return put(t.addresses.emplace_back(), std::forward<V>(v));
    }
    return true;  // a member hcl does not read
  });
}

std::unique_ptr<ListDecoder> node_list_decoder(std::vector<SwarmNode>& out) {
  return make_decoder(out, [](SwarmNode& n, std::string_view p, auto&& v) -> bool {
    using V = decltype(v);
    constexpr std::string_view spec_labels = "/[]/Spec/Labels/", engine_labels = "/[]/Description/Engine/Labels/";
    if (p == "/[]/ID") return put(n.id, std::forward<V>(v));
    if (p == "/[]/Version/Index") return put(n.version, std::forward<V>(v));
    if (p == "/[]/Description/Hostname") return put(n.hostname, std::forward<V>(v));
    if (p == "/[]/Spec/Role") return put_as(n.role, std::forward<V>(v), role);
    if (p == "/[]/Spec/Name") return put(n.spec_name, std::forward<V>(v));
    if (p == "/[]/Spec/Availability") return put_as(n.availability, std::forward<V>(v), availability);
    if (p == "/[]/Status/State") return put_as(n.state, std::forward<V>(v), state);
    if (p == "/[]/Status/Message") return put(n.message, std::forward<V>(v));
    if (p == "/[]/Status/Addr") return put(n.address, std::forward<V>(v));
    if (p == "/[]/Description/Platform/OS") return put(n.os, std::forward<V>(v));
    if (p == "/[]/Description/Platform/Architecture") return put(n.architecture, std::forward<V>(v));
    if (p == "/[]/Description/Engine/EngineVersion") return put(n.engine_version, std::forward<V>(v));
    if (p == "/[]/ManagerStatus/Leader") return put(n.leader, std::forward<V>(v));
    if (p == "/[]/ManagerStatus/Reachability") return put(n.manager_reachability, std::forward<V>(v));
    if (p == "/[]/ManagerStatus/Addr") return put(n.manager_address, std::forward<V>(v));
    if (p.starts_with(spec_labels))
      return put(n.labels[std::string(p.substr(spec_labels.size()))], std::forward<V>(v));
    if (p.starts_with(engine_labels))
      return put(n.engine_labels[std::string(p.substr(engine_labels.size()))], std::forward<V>(v));
    return true;  // a member hcl does not read
  });
}

bool EventLines::feed(std::string_view piece, const std::function<bool(const Event&)>& on_event) {
  pending_.append(piece);
  std::size_t start = 0;
  for (std::size_t nl; !stopped_ && (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(pending_.data() + start, nl - start);
    // json-seq's record separator before each record (RFC 7464); blank keep-alive lines.
    while (!line.empty() && (line.front() == '\x1e' || line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty()) continue;
    auto e = codec::decode(http::Response{200, {}, std::string(line)}, what_, [](const codec::json& j) {
      Event ev;
      ev.type = codec::get<std::string>(j, "Type");
      ev.action = codec::get<std::string>(j, "Action");
      const codec::json& actor = codec::child(j, "Actor");
      ev.actor_id = codec::get<std::string>(actor, "ID");
      ev.attributes = codec::get<std::map<std::string, std::string>>(actor, "Attributes");
      ev.time_nano = codec::get<std::int64_t>(j, "timeNano");
      return ev;
    });
    if (!e) {
      error_ = e.error();
      stopped_ = true;
    } else if (!on_event(*e)) {
      stopped_ = true;
    }
  }
  pending_.erase(0, start);
  // An event is a line of some hundred bytes; one that never ends is not an event.
  if (!stopped_ && pending_.size() > kMaxEventBytes) {
    error_ = Error{ErrorKind::Server, what_, "a line longer than 1 MiB: not the engine's event stream"};
    stopped_ = true;
  }
  return !stopped_;
}

}  // namespace hcl::docker
