// Internal to the clients (lib/docker, lib/consul): reading fields of a server's JSON. A field
// that is missing or null reads as its fallback; a present field of the wrong type throws
// json::exception (or bad_number), which each client's decode() turns into an error naming the
// endpoint.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace hcl::json_fields {

using json = nlohmann::json;

// Thrown for a number that does not fit the field's type. nlohmann's own conversion would cast
// it unchecked (undefined for 1e300 into an integer, silently wrong for 2^40 into an int).
struct bad_number : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A JSON number as T, checked to fit; a value that is not a number throws json::type_error.
template <class T>
inline T number(const json& v, const char* key) {
  static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>);
  auto out_of_range = [&] { return bad_number(std::string("the number in ") + key + " is out of range: " + v.dump()); };
  if (v.is_number_float()) {
    double d = v.get<double>();
    if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(d);
    } else {
      // The bounds as doubles round to +-2^N, so `<` and `>` keep every accepted value in range.
      if (!(d > static_cast<double>(std::numeric_limits<T>::min()) - 1.0 &&
            d < static_cast<double>(std::numeric_limits<T>::max()) + 1.0))
        throw out_of_range();
      return static_cast<T>(d);
    }
  }
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if constexpr (std::is_integral_v<T>) {
      if (!std::in_range<T>(u)) throw out_of_range();
    }
    return static_cast<T>(u);
  }
  if (v.is_number_integer()) {
    auto i = v.get<std::int64_t>();
    if constexpr (std::is_integral_v<T>) {
      if (!std::in_range<T>(i)) throw out_of_range();
    }
    return static_cast<T>(i);
  }
  return v.get<T>();  // not a number: throws json::type_error naming what it is
}

template <class T>
inline T get(const json& j, const char* key, T fallback = T{}) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
    return number<T>(*it, key);
  } else {
    return it->get<T>();
  }
}

// A nested object, or an empty one when it is missing or null.
inline const json& child(const json& j, const char* key) {
  static const json empty = json::object();
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? empty : *it;
}

}  // namespace hcl::json_fields
