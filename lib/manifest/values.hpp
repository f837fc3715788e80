// Typed readers for manifest values and the key tables that say which compose keys hcl uses,
// ignores with a warning, or refuses. Every reader reports a problem to Diagnostics at the
// value's position and returns nullopt, so that loading goes on and finds the other problems.
// `path` names the value in messages ("deploy.replicas"). Internal to lib/manifest.
#pragma once

#include "tree.hpp"

#include <hcl/docker.hpp>
#include <hcl/http.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hcl::manifest::detail {

// A string; null (`key:`) is "not set" and not an error.
std::optional<std::string> as_string(const Node& node, std::string_view path, Diagnostics& diag);
// 0, 1, 2, ...: "deploy.replicas must be a non-negative integer, not 'lots'".
std::optional<std::uint64_t> as_count(const Node& node, std::string_view path, Diagnostics& diag);
// true/false, yes/no, on/off (YAML 1.1, as compose reads them).
std::optional<bool> as_bool(const Node& node, std::string_view path, Diagnostics& diag);
// Go duration syntax: "10s", "1m30s", "500ms", "0".
std::optional<docker::Duration> as_duration(const Node& node, std::string_view path, Diagnostics& diag);
// A signed integer.
std::optional<std::int64_t> as_int(const Node& node, std::string_view path, Diagnostics& diag);
// A file mode, octal as YAML writes it (0440, 0o440) or decimal.
std::optional<std::uint32_t> as_file_mode(const Node& node, std::string_view path, Diagnostics& diag);
// Sizes as docker reads them: 1048576, "128M", "1g", "1.5GiB" (multiples of 1024).
std::optional<std::int64_t> as_bytes(const Node& node, std::string_view path, Diagnostics& diag);
// CPUs as a decimal ("0.5") in NanoCPUs (500000000).
std::optional<std::int64_t> as_nanocpus(const Node& node, std::string_view path, Diagnostics& diag);
// A number from 0 to 1.
std::optional<double> as_ratio(const Node& node, std::string_view path, Diagnostics& diag);
// A command: a string split into words like a shell does, or a list of strings.
std::optional<std::vector<std::string>> as_words(const Node& node, std::string_view path, Diagnostics& diag);
// A list (its items), or nullptr after reporting that it is not one.
const std::vector<Node>* as_list(const Node& node, std::string_view path, Diagnostics& diag);
// A list of strings, or one string taken as a list of one.
std::optional<std::vector<const Node*>> as_string_or_list(const Node& node, std::string_view path, Diagnostics& diag);
// Reports unless the node is a mapping; null counts as an empty mapping when `null_ok`.
bool expect_map(const Node& node, std::string_view path, Diagnostics& diag, bool null_ok = true);
// Labels as a list of "K=V" (a bare K means an empty value) or a mapping.
std::optional<docker::Labels> as_labels(const Node& node, std::string_view path, Diagnostics& diag);

// Plain-text parsers behind the readers.
std::optional<docker::Duration> parse_go_duration(std::string_view text);
std::optional<std::int64_t> parse_bytes(std::string_view text);
std::optional<std::uint64_t> parse_count(std::string_view text);
// Splits like a POSIX shell: whitespace separates words, '...' is literal, "..." allows \" \\ \$
// \`, a backslash escapes the next character. On failure returns nullopt and sets `why`.
std::optional<std::vector<std::string>> shell_split(std::string_view text, std::string& why);

// What hcl does with a compose key.
enum class Rule {
  Use,     // read by the loader
  Ignore,  // harmless without: a warning with the key's position
  Refuse,  // leaving it out would change what runs: an error
};

struct KeyRule {
  std::string_view key;
  Rule rule;
  std::string_view note;  // Ignore: why it does not matter; Refuse: why it cannot be done
};

// Checks every key of a mapping against `rules`: warns for Ignore, reports Refuse and keys
// that are not in the table (with a "did you mean"). Extension keys (x-*) pass silently.
// `prefix` is put before the key in messages ("deploy."), `noun` names what a key is.
void check_keys(const Node& map, std::span<const KeyRule> rules, std::string_view prefix, Diagnostics& diag,
                std::string_view noun = "key");

// The closest candidate to a mistyped word, or "" when none is close.
std::string closest(std::string_view word, const std::vector<std::string_view>& candidates);
// "; did you mean 'environment'?" or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace hcl::manifest::detail
