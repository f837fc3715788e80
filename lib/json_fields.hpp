// Internal to the clients (lib/docker, lib/consul): reading fields of a server's JSON. A field
// that is missing or null reads as its fallback; a present field of the wrong type throws
// json::exception, which each client's decode() turns into an error naming the endpoint.
#pragma once

#include <nlohmann/json.hpp>

namespace hcl::json_fields {

using json = nlohmann::json;

template <class T>
inline T get(const json& j, const char* key, T fallback = T{}) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

// A nested object, or an empty one when it is missing or null.
inline const json& child(const json& j, const char* key) {
  static const json empty = json::object();
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? empty : *it;
}

}  // namespace hcl::json_fields
