// Machine-readable output: the documented, stable JSON that `--format json` prints. Field names
// are snake_case and only ever added to, never renamed (see docs/json.md). This is the one place
// besides the clients that uses a JSON library, on purpose: the clients decode the servers' wire
// formats, this file encodes hcl's own.
#pragma once

#include <hcl/config.hpp>
#include <hcl/ops/plan.hpp>
#include <hcl/ops/project.hpp>
#include <hcl/docker.hpp>
#include <hcl/ops/health.hpp>
#include <hcl/kv.hpp>
#include <hcl/ops/nodes.hpp>
#include <hcl/ops/sync.hpp>
#include <hcl/ops/tasks.hpp>
#include <hcl/ops/version.hpp>
#include <hcl/ops/viz.hpp>

#include <string>
#include <vector>

namespace hcl::output {

std::string nodes_json(const std::vector<ops::ClusterNode>& nodes);
std::string networks_json(const std::vector<docker::Network>& networks);
std::string network_json(const docker::Network& network);
std::string tasks_json(const std::vector<ops::TaskRow>& rows);
std::string plan_json(const ops::Plan& plan);
std::string projects_json(const std::vector<ops::ProjectSummary>& projects);
std::string health_json(const std::vector<ops::HealthCheckResult>& results);
// One check that changed, seen by `hcl health --watch`, on one line: the check's fields and
// "time" (RFC 3339) and "healthy" (the whole cluster's verdict after the change).
std::string health_change_json(std::string_view time, const ops::HealthCheckResult& result, bool healthy);
std::string config_json(const config::Config& config);
// `hcl context ls --format json`: {"current": NAME or null, "contexts": [{"name", "description",
// "endpoint", "tls", "current"}]}, "default" first (its endpoint: `default_endpoint`, or null when
// a context is in use).
std::string contexts_json(const std::vector<config::DockerContext>& contexts, const std::string& current,
                          const std::string& default_endpoint);
std::string version_json(const ops::VersionReport& report);
// One `hcl sync` pass: {"registered": [INSTANCE], "deregistered": [INSTANCE], "unchanged": N,
// "skipped": ["SERVICE: reason"], "failed": [{"action", "instance", "error"}]}.
std::string sync_json(const ops::SyncResult& result);
// One change seen by `hcl sync --watch`, on one line: {"time", "action": "register"|"deregister",
// "instance": INSTANCE, "task_since"}. `time` and `task_since` are RFC 3339 (task_since: when the
// task reached its state, by the engine's clock; null when unknown).
std::string sync_event_json(std::string_view time, bool registered, const consul::ServiceInstance& instance,
                            const std::string& task_since);

}  // namespace hcl::output

namespace hcl::output {

// hcl's own JSON for `hcl kv` (docs/json.md style: snake_case, only ever added to). An entry is
// {"key", "value" (when the bytes are valid UTF-8) or "value_base64" (otherwise), "flags",
// "create_index", "modify_index"}. kv_entry_json is indented and ends with a newline.
std::string kv_entry_json(const consul::KvEntry& entry);
// One line per change for `hcl kv watch --format json`: the entry's object on one line, or
// {"key", "deleted": true, "index"} when the key no longer exists.
std::string kv_event_json(std::string_view key, const std::optional<consul::KvEntry>& entry, std::uint64_t index);
// ["key", ...], indented, newline-terminated.
std::string kv_keys_json(const std::vector<std::string>& keys);

}  // namespace hcl::output

namespace hcl::output {

// A `--format` template for listing commands: text with Go-template-like placeholders, applied
// to each row of the command's JSON output (the documented fields of docs/json.md):
//   {{.Name}}          a field; CamelCase or the JSON name (.DesiredState = .desired_state)
//   {{.Swarm.Role}}    a nested field
//   {{.}}              the whole row;  {{json .}} / {{json .Ports}}  as compact JSON
// Strings print as they are, null as nothing, other values as JSON. "\t" and "\n" in the text
// are a tab and a newline. Each row's line ends with a newline.
struct Template {
  struct Piece {
    std::string text;               // literal text (when path is empty and !whole)
    std::vector<std::string> path;  // JSON keys
    bool whole = false;             // {{.}}
    bool json = false;              // {{json ...}}
  };
  std::vector<Piece> pieces;
};

// Parses `text`. `sample` is the JSON of a listing with one empty row (the rows are the array at
// `rows_key` when the JSON is an object, e.g. "checks"); a field that is not a key of that row is
// ErrorKind::Usage naming the field and listing the valid ones, as is a malformed placeholder or
// a text without any placeholder (a mistyped "json").
Result<Template> parse_template(std::string_view text, std::string_view sample, std::string_view rows_key = "");
// One line per row of `rows_json` (as printed by the *_json functions).
std::string render_template(const Template& t, std::string_view rows_json, std::string_view rows_key = "");

// `hcl kv ls` rows for templates: [{"key": "..."}].
std::string kv_key_rows_json(const std::vector<std::string>& keys);

}  // namespace hcl::output

namespace hcl::output {

// `hcl viz --svg`: the picture as a standalone SVG document (UTF-8, one box per node with its tasks
// in their services' colours, then the services). All text is escaped for XML; bytes that are not
// valid UTF-8 or not allowed in XML become U+FFFD. Names too long for a box are cut with an
// ellipsis and given whole in a <title> (the tooltip).
std::string picture_svg(const ops::Picture& picture);

// Text made safe for XML character data and attribute values.
std::string xml_escape(std::string_view text);

}  // namespace hcl::output
