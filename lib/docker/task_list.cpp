// GET /tasks decoded straight into Task structs with nlohmann's SAX interface: no JSON document
// is built. A list of 10,000 tasks is 13 MB, most of it network attachments and specs hcl does
// not read; building and freeing its document was most of `hcl ps`'s time and memory there.
#include <hcl/docker.hpp>

#include "wire.hpp"

#include <fmt/format.h>

namespace hcl::docker {
namespace {

using json = nlohmann::json;

// The position of the current value as a path from the list: "/[]/Status/State" is a task's
// Status.State, "/[]/NetworksAttachments/[]/Addresses/[]" one of its addresses.
class TaskListSax {
 public:
  explicit TaskListSax(std::vector<Task>& out) : out_(out) {}

  bool start_array(std::size_t) {
    if (marks_.empty() && !path_.empty()) return fail("a task list must be a JSON array");
    marks_.push_back(path_.size());
    path_ += "/[]";
    return true;
  }
  bool start_object(std::size_t) {
    if (marks_.empty()) return fail("a task list must be a JSON array, not an object");
    if (marks_.size() == 1) out_.emplace_back();  // a task
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

  bool string(json::string_t& v) {
    if (marks_.size() < 2) return fail("a task must be a JSON object");
    Task& t = out_.back();
    if (path_ == "/[]/ID") t.id = std::move(v);
    else if (path_ == "/[]/ServiceID") t.service_id = std::move(v);
    else if (path_ == "/[]/NodeID") t.node_id = std::move(v);
    else if (path_ == "/[]/DesiredState") t.desired_state = std::move(v);
    else if (path_ == "/[]/Status/State") t.state = std::move(v);
    else if (path_ == "/[]/Status/Message") t.message = std::move(v);
    else if (path_ == "/[]/Status/Err") t.error = std::move(v);
    else if (path_ == "/[]/Status/Timestamp") t.timestamp = std::move(v);
    else if (path_ == "/[]/Status/ContainerStatus/ContainerID") t.container_id = std::move(v);
    else if (path_ == "/[]/Spec/ContainerSpec/Image") t.image = std::move(v);
    else if (path_ == "/[]/NetworksAttachments/[]/Addresses/[]") t.addresses.push_back(std::move(v));
    return true;
  }
  bool number_integer(json::number_integer_t v) { return integer(static_cast<long long>(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return integer(static_cast<long long>(v)); }
  bool number_float(json::number_float_t, const json::string_t&) { return true; }
  bool boolean(bool) { return true; }
  bool null() { return true; }
  bool binary(json::binary_t&) { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) { return fail(e.what()); }

  const std::string& error() const { return error_; }

 private:
  bool integer(long long v) {
    if (marks_.size() < 2) return fail("a task must be a JSON object");
    if (path_ == "/[]/Slot") out_.back().slot = static_cast<int>(v);
    else if (path_ == "/[]/Status/ContainerStatus/ExitCode") out_.back().exit_code = static_cast<int>(v);
    return true;
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

  std::vector<Task>& out_;
  std::string path_;
  std::vector<std::size_t> marks_;  // path_'s length where each open array/object began
  std::string error_;
};

}  // namespace

Result<std::vector<Task>> decode_task_list(const http::Response& r, const std::string& what) {
  std::vector<Task> out;
  TaskListSax sax(out);
  bool ok = false;
  try {
    ok = json::sax_parse(r.body, &sax);
  } catch (const json::exception& e) {
    return Error{ErrorKind::Server, what, fmt::format("unexpected answer from the engine: {}", e.what())};
  }
  if (!ok) return Error{ErrorKind::Server, what, fmt::format("unexpected answer from the engine: {}", sax.error())};
  return out;
}

}  // namespace hcl::docker
