#include "state.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace hcl::testing::cts {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

bool iequals(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Consul's ipaddr.IsAny: an unspecified address cannot be a service's address.
bool is_any_address(std::string_view a) { return a == "0.0.0.0" || a == "::" || a == "[::]"; }

std::optional<std::string> uuid_error(std::string_view id) {
  if (id.size() != 36) return "uuid string is wrong length";
  for (std::size_t i = 0; i < id.size(); ++i) {
    bool hyphen_place = i == 8 || i == 13 || i == 18 || i == 23;
    if (hyphen_place != (id[i] == '-')) return "uuid is improperly formatted";
    if (!hyphen_place && !std::isxdigit(static_cast<unsigned char>(id[i]))) {
      return "uuid is improperly formatted";
    }
  }
  return std::nullopt;
}

// Consul's RegisterRequest.ChangesNode: only a real change bumps the node's ModifyIndex.
bool changes_node(const Registration& reg, const Node& n) {
  return reg.id != n.id || !iequals(reg.node, n.name) || reg.address != n.address ||
         reg.datacenter != n.datacenter || reg.tagged_addresses != n.tagged_addresses ||
         reg.node_meta != n.meta;
}

bool same_service(const Service& a, const Service& b) {
  return a.id == b.id && a.name == b.name && a.tags == b.tags && a.address == b.address &&
         a.port == b.port && a.meta == b.meta && a.enable_tag_override == b.enable_tag_override &&
         a.kind == b.kind && a.weights == b.weights;
}

bool same_check(const Check& a, const Check& b) {
  return a.node == b.node && a.check_id == b.check_id && a.name == b.name &&
         a.status == b.status && a.notes == b.notes && a.output == b.output &&
         a.service_id == b.service_id && a.service_name == b.service_name &&
         a.service_tags == b.service_tags && a.type == b.type && a.interval == b.interval &&
         a.timeout == b.timeout && a.definition == b.definition;
}

ApiError check_error(const std::string& node, const std::string& why) {
  return {500, "failed inserting check on node \"" + node + "\": " + why};
}

}  // namespace

bool valid_check_status(std::string_view status) {
  return status == "passing" || status == "warning" || status == "critical";
}

// --- indexes ---

std::uint64_t Store::service_index(std::string_view name) const {
  if (service_exists(name)) {
    auto it = service_indexes_.find(name);
    return it == service_indexes_.end() ? 0 : it->second;
  }
  if (service_extinction_index_ > 0) return service_extinction_index_;
  return std::max({table_index(Table::nodes), table_index(Table::services),
                   table_index(Table::checks)});
}

bool Store::service_exists(std::string_view name) const {
  for (const auto& [node, services] : services_) {
    for (const auto& [id, s] : services) {
      if (s.name == name) return true;
    }
  }
  return false;
}

void Store::touch_services_on(const std::string& node_key, std::uint64_t idx) {
  auto it = services_.find(node_key);
  if (it == services_.end()) return;
  for (const auto& [id, s] : it->second) touch_service(s.name, idx);
}

void Store::note_if_extinct(const std::string& service_name, std::uint64_t idx) {
  if (!service_exists(service_name)) service_extinction_index_ = idx;
}

// --- catalog writes ---

std::optional<ApiError> Store::validate(Registration& reg) const {
  if (reg.node.empty()) return ApiError{500, "Must provide node"};
  if (reg.address.empty() && !reg.skip_node_update) {
    return ApiError{500, "Must provide address if SkipNodeUpdate is not set"};
  }
  if (!reg.id.empty()) {
    if (auto why = uuid_error(reg.id)) return ApiError{500, "Bad node ID: " + *why};
  }
  if (reg.service) {
    Service& s = *reg.service;
    if (s.id.empty()) s.id = s.name;
    if (s.name.empty()) {
      return ApiError{500, s.id.empty() ? "Must provide service name"
                                        : "Must provide service name with ID"};
    }
    if (is_any_address(s.address)) return ApiError{500, "Invalid service address"};
  }
  for (Check& c : reg.checks) {
    if (c.node.empty()) c.node = reg.node;
    if (c.check_id.empty()) c.check_id = c.name;
    if (!iequals(c.node, reg.node)) {
      return ApiError{500, "check node \"" + c.node + "\" does not match node \"" + reg.node + "\""};
    }
    if (c.check_id.empty()) return check_error(reg.node, "Missing check ID");
    if (c.status.empty()) c.status = "critical";
    if (!valid_check_status(c.status)) {
      return check_error(reg.node, "Invalid check status \"" + c.status + "\"");
    }
    if (!c.service_id.empty()) {
      bool in_request = reg.service && reg.service->id == c.service_id;
      if (!in_request && service(reg.node, c.service_id) == nullptr) {
        return check_error(reg.node, "Missing service registration");
      }
    }
  }
  return std::nullopt;
}

std::optional<ApiError> Store::apply(Registration reg, std::uint64_t idx) {
  if (auto err = validate(reg)) return err;
  const std::string key = lower(reg.node);

  auto existing = nodes_.find(key);
  if (existing == nodes_.end() || (!reg.skip_node_update && changes_node(reg, existing->second))) {
    Node n{reg.id, reg.node, reg.address, reg.datacenter, reg.tagged_addresses, reg.node_meta};
    n.create_index = existing == nodes_.end() ? idx : existing->second.create_index;
    n.modify_index = idx;
    nodes_[key] = std::move(n);
    touch(Table::nodes, idx);
    touch_services_on(key, idx);
  }
  const std::string node_name = nodes_[key].name;

  if (reg.service) {
    Service s = *reg.service;
    auto& services = services_[key];
    auto old = services.find(s.id);
    if (old == services.end() || !same_service(old->second, s)) {
      std::string old_name = old == services.end() ? std::string{} : old->second.name;
      s.create_index = old == services.end() ? idx : old->second.create_index;
      s.modify_index = idx;
      std::string name = s.name;
      services[s.id] = std::move(s);
      touch(Table::services, idx);
      touch_service(name, idx);
      if (!old_name.empty() && old_name != name) {
        touch_service(old_name, idx);
        note_if_extinct(old_name, idx);
      }
    }
  }

  for (Check c : reg.checks) {
    c.node = node_name;
    if (!c.service_id.empty()) {
      const Service* s = service(key, c.service_id);
      c.service_name = s->name;
      c.service_tags = s->tags;
    } else {
      c.service_name.clear();
      c.service_tags.clear();
    }
    auto& checks = checks_[key];
    auto old = checks.find(c.check_id);
    if (old != checks.end() && same_check(old->second, c)) continue;
    c.create_index = old == checks.end() ? idx : old->second.create_index;
    c.modify_index = idx;
    if (c.service_name.empty()) {
      touch_services_on(key, idx);
    } else {
      touch_service(c.service_name, idx);
    }
    checks[c.check_id] = std::move(c);
    touch(Table::checks, idx);
  }
  return std::nullopt;
}

void Store::deregister_node(std::string_view node, std::uint64_t idx) {
  const std::string key = lower(node);
  auto it = nodes_.find(key);
  if (it == nodes_.end()) return;
  std::set<std::string> names;
  if (auto s = services_.find(key); s != services_.end()) {
    for (const auto& [id, svc] : s->second) names.insert(svc.name);
    if (!s->second.empty()) touch(Table::services, idx);
    services_.erase(s);
  }
  if (auto c = checks_.find(key); c != checks_.end()) {
    if (!c->second.empty()) touch(Table::checks, idx);
    checks_.erase(c);
  }
  nodes_.erase(it);
  touch(Table::nodes, idx);
  for (const auto& name : names) {
    touch_service(name, idx);
    note_if_extinct(name, idx);
  }
}

void Store::deregister_service(std::string_view node, std::string_view service_id,
                               std::uint64_t idx) {
  const std::string key = lower(node);
  auto services = services_.find(key);
  if (services == services_.end()) return;
  auto it = services->second.find(service_id);
  if (it == services->second.end()) return;
  const std::string name = it->second.name;
  services->second.erase(it);
  touch(Table::services, idx);
  touch_service(name, idx);
  if (auto checks = checks_.find(key); checks != checks_.end()) {
    auto removed = std::erase_if(checks->second,
                                 [&](const auto& entry) { return entry.second.service_id == service_id; });
    if (removed > 0) touch(Table::checks, idx);
  }
  note_if_extinct(name, idx);
}

void Store::deregister_check(std::string_view node, std::string_view check_id, std::uint64_t idx) {
  const std::string key = lower(node);
  auto checks = checks_.find(key);
  if (checks == checks_.end()) return;
  auto it = checks->second.find(check_id);
  if (it == checks->second.end()) return;
  if (it->second.service_name.empty()) {
    touch_services_on(key, idx);
  } else {
    touch_service(it->second.service_name, idx);
  }
  checks->second.erase(it);
  touch(Table::checks, idx);
}

bool Store::update_check(std::string_view node, std::string_view check_id,
                         std::string_view status, std::string_view output, std::uint64_t idx) {
  const std::string key = lower(node);
  auto checks = checks_.find(key);
  if (checks == checks_.end()) return false;
  auto it = checks->second.find(check_id);
  if (it == checks->second.end()) return false;
  Check& c = it->second;
  if (c.status == status && c.output == output) return true;
  c.status = std::string(status);
  c.output = std::string(output);
  c.modify_index = idx;
  touch(Table::checks, idx);
  if (c.service_name.empty()) {
    touch_services_on(key, idx);
  } else {
    touch_service(c.service_name, idx);
  }
  return true;
}

// --- catalog reads ---

const Node* Store::node(std::string_view name) const {
  auto it = nodes_.find(lower(name));
  return it == nodes_.end() ? nullptr : &it->second;
}

std::vector<const Node*> Store::nodes() const {
  std::vector<const Node*> out;
  for (const auto& [key, n] : nodes_) out.push_back(&n);
  return out;
}

const Service* Store::service(std::string_view node, std::string_view service_id) const {
  auto services = services_.find(lower(node));
  if (services == services_.end()) return nullptr;
  auto it = services->second.find(service_id);
  return it == services->second.end() ? nullptr : &it->second;
}

std::vector<const Service*> Store::services_on(std::string_view node) const {
  std::vector<const Service*> out;
  auto services = services_.find(lower(node));
  if (services == services_.end()) return out;
  for (const auto& [id, s] : services->second) out.push_back(&s);
  return out;
}

std::vector<Store::Instance> Store::instances(std::string_view service_name) const {
  std::vector<Instance> out;
  for (const auto& [key, services] : services_) {
    for (const auto& [id, s] : services) {
      if (s.name == service_name) out.push_back({&nodes_.at(key), &s});
    }
  }
  return out;
}

std::map<std::string, std::vector<std::string>> Store::service_tags() const {
  std::map<std::string, std::set<std::string>> unique;
  for (const auto& [key, services] : services_) {
    for (const auto& [id, s] : services) unique[s.name].insert(s.tags.begin(), s.tags.end());
  }
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [name, tags] : unique) out[name] = {tags.begin(), tags.end()};
  return out;
}

const Check* Store::check(std::string_view node, std::string_view check_id) const {
  auto checks = checks_.find(lower(node));
  if (checks == checks_.end()) return nullptr;
  auto it = checks->second.find(check_id);
  return it == checks->second.end() ? nullptr : &it->second;
}

std::vector<const Check*> Store::checks_on(std::string_view node) const {
  std::vector<const Check*> out;
  auto checks = checks_.find(lower(node));
  if (checks == checks_.end()) return out;
  for (const auto& [id, c] : checks->second) out.push_back(&c);
  return out;
}

std::vector<const Check*> Store::all_checks() const {
  std::vector<const Check*> out;
  for (const auto& [key, checks] : checks_) {
    for (const auto& [id, c] : checks) out.push_back(&c);
  }
  return out;
}

// --- KV ---

const KvEntry* Store::kv_get(std::string_view key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? nullptr : &it->second;
}

std::vector<const KvEntry*> Store::kv_list(std::string_view prefix) const {
  std::vector<const KvEntry*> out;
  for (auto it = kv_.lower_bound(prefix); it != kv_.end() && starts_with(it->first, prefix); ++it) {
    out.push_back(&it->second);
  }
  return out;
}

std::uint64_t Store::kv_key_index(std::string_view key) const {
  const KvEntry* e = kv_get(key);
  return e != nullptr ? e->modify_index : table_index(Table::kvs);
}

std::uint64_t Store::kv_prefix_index(std::string_view prefix) const {
  if (prefix.empty()) return table_index(Table::kvs);
  std::uint64_t idx = 0;
  for (const KvEntry* e : kv_list(prefix)) idx = std::max(idx, e->modify_index);
  for (auto it = kv_tombstones_.lower_bound(prefix);
       it != kv_tombstones_.end() && starts_with(it->first, prefix); ++it) {
    idx = std::max(idx, it->second);
  }
  return idx != 0 ? idx : table_index(Table::kvs);
}

bool Store::kv_set(std::string_view key, std::string value, std::uint64_t flags,
                   std::optional<std::uint64_t> cas, std::uint64_t idx) {
  auto it = kv_.find(key);
  if (cas) {
    if (*cas == 0 && it != kv_.end()) return false;
    if (*cas != 0 && (it == kv_.end() || it->second.modify_index != *cas)) return false;
  }
  KvEntry e{std::string(key), std::move(value), flags, 0, idx, idx};
  if (it != kv_.end()) {
    e.create_index = it->second.create_index;
    e.lock_index = it->second.lock_index;
  }
  kv_[std::string(key)] = std::move(e);
  touch(Table::kvs, idx);
  return true;
}

bool Store::kv_delete(std::string_view key, std::optional<std::uint64_t> cas, std::uint64_t idx) {
  auto it = kv_.find(key);
  if (it == kv_.end()) return true;
  if (cas && it->second.modify_index != *cas) return false;
  kv_.erase(it);
  kv_tombstones_[std::string(key)] = idx;
  touch(Table::kvs, idx);
  return true;
}

void Store::kv_delete_tree(std::string_view prefix, std::uint64_t idx) {
  std::vector<std::string> doomed;
  for (const KvEntry* e : kv_list(prefix)) doomed.push_back(e->key);
  if (doomed.empty()) return;
  for (const auto& key : doomed) {
    kv_.erase(key);
    kv_tombstones_[key] = idx;
  }
  touch(Table::kvs, idx);
}

}  // namespace hcl::testing::cts
