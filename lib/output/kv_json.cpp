// hcl's own JSON for `hcl kv` (see docs/json.md), beside the other output encoders.
#include <hcl/output.hpp>
#include <hcl/text.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace hcl::output {
namespace {

using ojson = nlohmann::ordered_json;



ojson entry_json(const consul::KvEntry& e) {
  ojson j = {{"key", e.key}};
  if (text::valid_utf8(e.value)) {
    j["value"] = e.value;
  } else {
    j["value_base64"] = text::base64_encode(e.value);
  }
  j["flags"] = e.flags;
  j["create_index"] = e.create_index;
  j["modify_index"] = e.modify_index;
  return j;
}

std::string dump(const ojson& j, int indent) { return j.dump(indent, ' ', false, ojson::error_handler_t::replace) + "\n"; }

}  // namespace

std::string kv_entry_json(const consul::KvEntry& entry) { return dump(entry_json(entry), 2); }

std::string kv_event_json(std::string_view key, const std::optional<consul::KvEntry>& entry, std::uint64_t index) {
  if (entry) return dump(entry_json(*entry), -1);
  while (!key.empty() && key.front() == '/') key.remove_prefix(1);
  return dump(ojson{{"key", std::string(key)}, {"deleted", true}, {"index", index}}, -1);
}

std::string kv_keys_json(const std::vector<std::string>& keys) { return dump(ojson(keys), 2); }

}  // namespace hcl::output
