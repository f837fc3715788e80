#include "values.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace hcl::manifest::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A scalar's text, or nullopt after reporting what was found instead. Null is "not set".
const std::string* scalar(const Node& node, std::string_view path, std::string_view expected, Diagnostics& diag) {
  if (node.is_scalar()) return &node.text;
  if (!node.is_null()) diag.error(node.where, fmt::format("{} must be {}, not {}", path, expected, describe(node)));
  return nullptr;
}

void bad_value(const Node& node, std::string_view path, std::string_view expected, Diagnostics& diag) {
  diag.error(node.where, fmt::format("{} must be {}, not {}", path, expected, describe(node)));
}

// Optimal string alignment distance: a swapped pair of letters counts as one edit.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::optional<std::string> as_string(const Node& node, std::string_view path, Diagnostics& diag) {
  const std::string* s = scalar(node, path, "a string", diag);
  if (!s) return std::nullopt;
  return *s;
}

std::optional<std::uint64_t> parse_count(std::string_view text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), is_digit)) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> as_count(const Node& node, std::string_view path, Diagnostics& diag) {
  const char* expected = "a non-negative integer";
  const std::string* s = scalar(node, path, expected, diag);
  if (!s) return std::nullopt;
  auto v = parse_count(*s);
  if (!v) bad_value(node, path, expected, diag);
  return v;
}

std::optional<bool> as_bool(const Node& node, std::string_view path, Diagnostics& diag) {
  const std::string* s = scalar(node, path, "true or false", diag);
  if (!s) return std::nullopt;
  for (auto t : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})
    if (*s == t) return true;
  for (auto f : {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})
    if (*s == f) return false;
  bad_value(node, path, "true or false", diag);
  return std::nullopt;
}

std::optional<docker::Duration> parse_go_duration(std::string_view text) {
  // Go's time.ParseDuration, exactly (integers, not floating point): a sequence of decimal
  // numbers with a unit each, "1h30m", "1.5s", "300ms"; "0" alone needs no unit.
  if (text == "0") return docker::Duration(0);
  if (text.empty()) return std::nullopt;
  // "ms" before "m" and "s", so that it is not read as minutes.
  static const std::pair<std::string_view, std::int64_t> units[] = {
      {"ns", 1},          {"us", 1000},          {"\xC2\xB5s", 1000}, {"\xCE\xBCs", 1000},
      {"ms", 1000000},    {"s", 1000000000},     {"m", 60000000000},  {"h", 3600000000000}};
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t n = 0;
    while (n < rest.size() && is_digit(rest[n])) ++n;
    std::string_view whole = rest.substr(0, n), frac;
    if (n < rest.size() && rest[n] == '.') {
      std::size_t f = n + 1;
      while (f < rest.size() && is_digit(rest[f])) ++f;
      frac = rest.substr(n + 1, f - n - 1);
      n = f;
    }
    if (whole.empty() && frac.empty()) return std::nullopt;
    rest.remove_prefix(n);
    std::int64_t unit = 0;
    for (const auto& [name, ns] : units) {
      if (rest.starts_with(name)) {
        unit = ns;
        rest.remove_prefix(name.size());
        break;
      }
    }
    if (unit == 0) return std::nullopt;
    std::int64_t value = 0;
    for (char c : whole) {
      if (value > (kMax - (c - '0')) / 10) return std::nullopt;
      value = value * 10 + (c - '0');
    }
    if (value > kMax / unit) return std::nullopt;
    std::int64_t ns = value * unit;
    // The fraction, digit by digit; digits finer than a nanosecond are dropped, as Go does.
    std::int64_t scale = unit;
    for (char c : frac) {
      scale /= 10;
      if (scale == 0) break;
      ns += (c - '0') * scale;
    }
    if (ns > kMax - total) return std::nullopt;
    total += ns;
  }
  return docker::Duration(total);
}

std::optional<docker::Duration> as_duration(const Node& node, std::string_view path, Diagnostics& diag) {
  const char* expected = "a duration like 10s, 1m30s or 500ms";
  const std::string* s = scalar(node, path, expected, diag);
  if (!s) return std::nullopt;
  auto d = parse_go_duration(*s);
  if (!d) bad_value(node, path, expected, diag);
  return d;
}

std::optional<std::int64_t> as_int(const Node& node, std::string_view path, Diagnostics& diag) {
  const char* expected = "an integer";
  const std::string* s = scalar(node, path, expected, diag);
  if (!s) return std::nullopt;
  std::int64_t v = 0;
  std::string_view t = *s;
  if (t.starts_with("+")) t.remove_prefix(1);
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size()) {
    bad_value(node, path, expected, diag);
    return std::nullopt;
  }
  return v;
}

std::optional<std::uint32_t> as_file_mode(const Node& node, std::string_view path, Diagnostics& diag) {
  // YAML writes modes in octal: 0440 (YAML 1.1, and compose's reading of 1.2) and 0o440 (YAML
  // 1.2) are 288; a plain decimal like 288 is taken as it is, as compose does.
  const char* expected = "a file mode like 0440";
  const std::string* s = scalar(node, path, expected, diag);
  if (!s) return std::nullopt;
  std::string_view t = *s;
  int base = 10;
  if (t.starts_with("0o") || t.starts_with("0O")) {
    t.remove_prefix(2);
    base = 8;
  } else if (t.size() > 1 && t.starts_with("0")) {
    base = 8;
  }
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v, base);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size() || v > 07777) {
    bad_value(node, path, expected, diag);
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> parse_bytes(std::string_view text) {
  // As docker's RAMInBytes: NUMBER[.FRACTION][ ][k|m|g|t|p][i][b], case-insensitive.
  std::size_t n = 0;
  while (n < text.size() && (is_digit(text[n]) || text[n] == '.')) ++n;
  if (n == 0 || !is_digit(text[0]) || !is_digit(text[n - 1])) return std::nullopt;
  double value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + n, value);
  if (ec != std::errc() || p != text.data() + n) return std::nullopt;
  std::string unit;
  for (char c : text.substr(n)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.starts_with(" ")) unit.erase(0, 1);
  double scale = 1;
  if (!unit.empty() && std::string_view("kmgtp").find(unit[0]) != std::string_view::npos) {
    scale = std::pow(1024.0, static_cast<double>(std::string_view("kmgtp").find(unit[0]) + 1));
    unit.erase(0, 1);
    if (unit.starts_with("i")) unit.erase(0, 1);
  }
  if (unit == "b") unit.clear();
  if (!unit.empty()) return std::nullopt;
  double bytes = value * scale;
  if (bytes >= 9.2e18) return std::nullopt;
  return static_cast<std::int64_t>(bytes);
}

std::optional<std::int64_t> as_bytes(const Node& node, std::string_view path, Diagnostics& diag) {
  const char* expected = "a size like 128M, 1g or 1048576";
  const std::string* s = scalar(node, path, expected, diag);
  if (!s) return std::nullopt;
  auto b = parse_bytes(*s);
  if (!b) bad_value(node, path, expected, diag);
  return b;
}

std::optional<std::int64_t> as_nanocpus(const Node& node, std::string_view path, Diagnostics& diag) {
  const char* expected = "a number of CPUs like 0.5 or 2";
  const std::string* s = scalar(node, path, expected, diag);
  if (!s) return std::nullopt;
  // Decimal arithmetic, not floating point: 0.1 CPU is exactly 100000000.
  std::string_view t = *s;
  auto dot = t.find('.');
  std::string_view whole = t.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
  bool digits = std::all_of(whole.begin(), whole.end(), is_digit) && std::all_of(frac.begin(), frac.end(), is_digit);
  if (!digits || (whole.empty() && frac.empty()) || whole.size() > 6 || frac.size() > 9) {
    bad_value(node, path, expected, diag);
    return std::nullopt;
  }
  std::int64_t nano = 0;
  for (char c : whole) nano = nano * 10 + (c - '0');
  nano *= 1000000000;
  std::int64_t scale = 100000000;
  for (char c : frac) {
    nano += (c - '0') * scale;
    scale /= 10;
  }
  return nano;
}

std::optional<double> as_ratio(const Node& node, std::string_view path, Diagnostics& diag) {
  const char* expected = "a number from 0 to 1";
  const std::string* s = scalar(node, path, expected, diag);
  if (!s) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || p != s->data() + s->size() || !(v >= 0 && v <= 1)) {
    bad_value(node, path, expected, diag);
    return std::nullopt;
  }
  return v;
}

std::optional<std::vector<std::string>> shell_split(std::string_view text, std::string& why) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'') {
      auto end = text.find('\'', i + 1);
      if (end == std::string_view::npos) {
        why = "a ' quote is not closed";
        return std::nullopt;
      }
      word += text.substr(i + 1, end - i - 1);
      in_word = true;
      i = end;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() && std::string_view("\"\\$`\n").find(text[j + 1]) != std::string_view::npos) {
          if (text[j + 1] != '\n') word += text[j + 1];
          ++j;
        } else {
          word += text[j];
        }
      }
      if (j >= text.size()) {
        why = "a \" quote is not closed";
        return std::nullopt;
      }
      in_word = true;
      i = j;
    } else if (c == '\\' && i + 1 < text.size()) {
      if (text[i + 1] != '\n') word += text[i + 1];
      in_word = true;
      ++i;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::optional<std::vector<std::string>> as_words(const Node& node, std::string_view path, Diagnostics& diag) {
  if (node.is_null()) return std::nullopt;
  if (node.is_scalar()) {
    std::string why;
    auto words = shell_split(node.text, why);
    if (!words) diag.error(node.where, fmt::format("{} does not split into words: {}", path, why));
    return words;
  }
  if (!node.is_seq()) {
    bad_value(node, path, "a string or a list of strings", diag);
    return std::nullopt;
  }
  std::vector<std::string> words;
  bool good = true;
  for (const auto& item : node.items) {
    if (item.is_scalar()) {
      words.push_back(item.text);
    } else {
      bad_value(item, fmt::format("each item of {}", path), "a string", diag);
      good = false;
    }
  }
  if (!good) return std::nullopt;
  return words;
}

const std::vector<Node>* as_list(const Node& node, std::string_view path, Diagnostics& diag) {
  if (node.is_seq()) return &node.items;
  bad_value(node, path, "a list", diag);
  return nullptr;
}

std::optional<std::vector<const Node*>> as_string_or_list(const Node& node, std::string_view path, Diagnostics& diag) {
  if (node.is_scalar()) return std::vector<const Node*>{&node};
  if (!node.is_seq()) {
    bad_value(node, path, "a string or a list of strings", diag);
    return std::nullopt;
  }
  std::vector<const Node*> out;
  for (const auto& item : node.items) {
    if (item.is_scalar())
      out.push_back(&item);
    else
      bad_value(item, fmt::format("each item of {}", path), "a string", diag);
  }
  return out;
}

bool expect_map(const Node& node, std::string_view path, Diagnostics& diag, bool null_ok) {
  if (node.is_map() || (null_ok && node.is_null())) return true;
  bad_value(node, path, "a mapping", diag);
  return false;
}

std::optional<docker::Labels> as_labels(const Node& node, std::string_view path, Diagnostics& diag) {
  docker::Labels labels;
  if (node.is_null()) return labels;
  if (node.is_seq()) {
    for (const auto& item : node.items) {
      if (!item.is_scalar()) {
        bad_value(item, fmt::format("each item of {}", path), "a string KEY=VALUE", diag);
        continue;
      }
      auto eq = item.text.find('=');
      std::string key = item.text.substr(0, eq);
      if (key.empty()) {
        diag.error(item.where, fmt::format("{} entry '{}' has no key; expected KEY=VALUE", path, item.text));
        continue;
      }
      labels[key] = eq == std::string::npos ? "" : item.text.substr(eq + 1);
    }
    return labels;
  }
  if (!node.is_map()) {
    bad_value(node, path, "a list of KEY=VALUE or a mapping", diag);
    return std::nullopt;
  }
  for (const auto& e : node.entries) {
    if (e.value.is_map() || e.value.is_seq()) {
      bad_value(e.value, fmt::format("{}.{}", path, e.key), "a string", diag);
      continue;
    }
    labels[e.key] = e.value.text;
  }
  return labels;
}

void check_keys(const Node& map, std::span<const KeyRule> rules, std::string_view prefix, Diagnostics& diag,
                std::string_view noun) {
  for (const auto& e : map.entries) {
    if (e.key.starts_with("x-")) continue;
    auto rule = std::find_if(rules.begin(), rules.end(), [&](const KeyRule& r) { return r.key == e.key; });
    if (rule == rules.end()) {
      std::vector<std::string_view> names;
      for (const auto& r : rules) names.push_back(r.key);
      diag.error(e.where, fmt::format("unknown {} '{}{}'{}", noun, prefix, e.key, did_you_mean(e.key, names)));
    } else if (rule->rule == Rule::Ignore) {
      diag.warn(e.where, fmt::format("{} '{}{}' is not supported by hcl and is ignored{}{}", noun, prefix, e.key,
                                     rule->note.empty() ? "" : ": ", rule->note));
    } else if (rule->rule == Rule::Refuse) {
      diag.error(e.where, fmt::format("{} '{}{}' is not supported by hcl: {}", noun, prefix, e.key, rule->note));
    }
  }
}

std::string closest(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string_view best;
  std::size_t best_d = std::numeric_limits<std::size_t>::max();
  std::size_t limit = word.size() >= 5 ? 2 : 1;
  for (auto c : candidates) {
    std::size_t d = distance(word, c);
    if (d <= limit && d < best_d) {
      best = c;
      best_d = d;
    }
  }
  return std::string(best);
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string c = closest(word, candidates);
  return c.empty() ? "" : fmt::format("; did you mean '{}'?", c);
}

}  // namespace hcl::manifest::detail
