// The manifest as a plain tree with positions, built from the YAML parser's events (libyaml,
// lib/yaml): aliases are expanded, merge keys (`<<: *defaults`) applied and duplicate keys
// reported, so the rest of the loader sees neither the parser nor YAML's corner cases. Internal to
// lib/manifest.
#pragma once

#include <hcl/manifest.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace hcl::manifest::detail {

struct Entry;

struct Node {
  enum class Kind { Null, Scalar, Seq, Map };
  Kind kind = Kind::Null;
  std::string text;            // Scalar: the value, interpolated once interpolate_tree has run
  std::vector<Node> items;     // Seq
  std::vector<Entry> entries;  // Map, in file order, keys unique
  Location where;
  std::string tag;             // "!reset" or "!override" when the YAML gave one (compose's merge tags)

  bool is_null() const { return kind == Kind::Null; }
  bool is_scalar() const { return kind == Kind::Scalar; }
  bool is_seq() const { return kind == Kind::Seq; }
  bool is_map() const { return kind == Kind::Map; }
  // The value under `key` of a mapping; nullptr when absent or when this is not a mapping.
  const Node* get(std::string_view key) const;
  const Entry* entry(std::string_view key) const;
};

struct Entry {
  std::string key;
  Location where;  // the key's position
  Node value;
};

// How many nodes a tree has, itself included.
std::size_t count_nodes(const Node& node);

// "'lots'" for a scalar, "a list", "a mapping" or "empty": what a message says was found.
std::string describe(const Node& node);

// Problems found while loading. Everything is checked before load() gives up, so errors are
// collected rather than returned one by one.
struct Diagnostics {
  std::vector<Warning> errors;
  std::vector<Warning> warnings;
  void error(const Location& where, std::string message);
  void warn(const Location& where, std::string message);
};

// Parses YAML text read from `file`. A syntax error is returned at once: nothing after it can
// be trusted. Duplicate and non-string keys go to `diag`.
Result<Node> parse_yaml(const std::string& text, const std::string& file, Diagnostics& diag);

}  // namespace hcl::manifest::detail
