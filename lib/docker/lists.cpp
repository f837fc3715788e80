// GET /nodes and GET /tasks decoded straight into structs with nlohmann's SAX interface: no JSON
// document is built. At 1,000 nodes (1.8 MB) and 10,000 tasks (13 MB), most of it members hcl
// does not read, building and freeing the documents was most of `hcl nodes`'s and `hcl ps`'s
// time and memory.
#include <hcl/docker.hpp>

#include "wire.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <type_traits>

namespace hcl::docker {
namespace {

using json = nlohmann::json;

// Walks a JSON array of objects, keeping the position of the current value as a path from the
// array: "/[]/Status/State" is an item's Status.State, "/[]/NetworksAttachments/[]/Addresses/[]"
// one of its addresses. `Item` gets a new element per object of the array; `Assign` is called
// for each string, integer and boolean with the item, the path and the value, and returns false
// when a member it reads has a value of the wrong type.
template <class Item, class Assign>
class ListSax {
 public:
  ListSax(std::vector<Item>& out, Assign assign) : out_(out), assign_(std::move(assign)) {}

  bool start_array(std::size_t) {
    if (marks_.empty() && !path_.empty()) return fail("the answer must be a JSON array");
    marks_.push_back(path_.size());
    path_ += "/[]";
    return true;
  }
  bool start_object(std::size_t) {
    if (marks_.empty()) return fail("the answer must be a JSON array, not an object");
    if (marks_.size() == 1) out_.emplace_back();
    marks_.push_back(path_.size());
    path_ += '/';
    return true;
  }
  bool end_array() { return close(); }
  bool end_object() { return close(); }
  bool key(json::string_t& k) {
    path_.resize(marks_.back() + 1);
    path_ += k;
    return true;
  }
  bool string(json::string_t& v) { return value(std::move(v)); }
  bool number_integer(json::number_integer_t v) { return value(static_cast<std::int64_t>(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return value(static_cast<std::int64_t>(v)); }
  bool boolean(bool v) { return value(v); }
  bool number_float(json::number_float_t, const json::string_t&) { return item_level(); }
  bool null() { return item_level(); }
  bool binary(json::binary_t&) { return item_level(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) { return fail(e.what()); }

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
Result<std::vector<Item>> decode_list(const http::Response& r, const std::string& what, Assign assign) {
  std::vector<Item> out;
  ListSax<Item, Assign> sax(out, std::move(assign));
  bool ok = false;
  try {
    ok = json::sax_parse(r.body, &sax);
  } catch (const json::exception& e) {
    return Error{ErrorKind::Server, what, fmt::format("unexpected answer from the engine: {}", e.what())};
  }
  if (!ok) return Error{ErrorKind::Server, what, fmt::format("unexpected answer from the engine: {}", sax.error())};
  return out;
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

Result<std::vector<Task>> decode_task_list(const http::Response& r, const std::string& what) {
  // Go writes an attachment's Network before its Addresses: the name seen last is theirs.
  std::string network;
  return decode_list<Task>(r, what, [&network](Task& t, std::string_view p, auto&& v) -> bool {
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

Result<std::vector<SwarmNode>> decode_node_list(const http::Response& r, const std::string& what) {
  return decode_list<SwarmNode>(r, what, [](SwarmNode& n, std::string_view p, auto&& v) -> bool {
    using V = decltype(v);
    constexpr std::string_view spec_labels = "/[]/Spec/Labels/", engine_labels = "/[]/Description/Engine/Labels/";
    if (p == "/[]/ID") return put(n.id, std::forward<V>(v));
    if (p == "/[]/Version/Index") return put(n.version, std::forward<V>(v));
    if (p == "/[]/Description/Hostname") return put(n.hostname, std::forward<V>(v));
    if (p == "/[]/Spec/Role") return put_as(n.role, std::forward<V>(v), role);
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

}  // namespace hcl::docker
