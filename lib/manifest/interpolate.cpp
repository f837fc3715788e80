// ${VAR} interpolation as compose does it, and the KEY=VALUE files that feed it.
#include "loader.hpp"

#include <hcl/files.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

#include <cctype>
#include <algorithm>
#include <set>

namespace hcl::manifest {
namespace detail {
namespace {

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Interpolator {
 public:
  Interpolator(const config::Env& lookup, const Location& where, std::vector<std::string>& unset)
      : lookup_(lookup), where_(where), unset_(unset) {}

  Result<std::string> run(std::string_view text) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
      char c = text[i];
      if (c != '$') {
        out += c;
        ++i;
        continue;
      }
      char next = i + 1 < text.size() ? text[i + 1] : '\0';
      if (next == '$') {
        out += '$';
        i += 2;
      } else if (name_start(next)) {
        std::size_t j = i + 1;
        while (j < text.size() && name_char(text[j])) ++j;
        out += plain(std::string(text.substr(i + 1, j - i - 1)));
        i = j;
      } else if (next == '{') {
        std::size_t end = closing_brace(text, i + 2);
        if (end == std::string_view::npos)
          return fail(fmt::format("invalid interpolation in '{}': '${{' is not closed by '}}'", text));
        auto value = braced(text.substr(i + 2, end - i - 2));
        if (!value) return value;
        out += *value;
        i = end + 1;
      } else {
        return fail(fmt::format("invalid interpolation in '{}': '$' must be followed by a name or '{{'; "
                                "write $$ for a literal $",
                                text));
      }
    }
    return out;
  }

 private:
  // The '}' that closes a "${" whose body starts at `from`; nested ${...} are skipped.
  static std::size_t closing_brace(std::string_view text, std::size_t from) {
    int depth = 1;
    for (std::size_t k = from; k < text.size(); ++k) {
      if (text[k] == '$' && k + 1 < text.size() && (text[k + 1] == '{' || text[k + 1] == '$')) {
        if (text[k + 1] == '{') ++depth;
        ++k;
      } else if (text[k] == '}' && --depth == 0) {
        return k;
      }
    }
    return std::string_view::npos;
  }

  std::string plain(const std::string& name) {
    auto v = lookup_(name);
    if (!v) unset_.push_back(name);
    return v.value_or("");
  }

  Result<std::string> braced(std::string_view body) {
    std::size_t n = 0;
    while (n < body.size() && name_char(body[n])) ++n;
    auto invalid = [&] {
      return fail(fmt::format("invalid interpolation '${{{}}}': expected ${{VAR}}, ${{VAR:-default}}, ${{VAR-default}}, "
                              "${{VAR:?message}} or ${{VAR?message}}",
                              body));
    };
    if (n == 0 || !name_start(body[0])) return invalid();
    std::string name(body.substr(0, n));
    std::string_view rest = body.substr(n);
    if (rest.empty()) return plain(name);
    bool colon = rest[0] == ':';
    if (colon) rest.remove_prefix(1);
    if (rest.empty() || (rest[0] != '-' && rest[0] != '?' && rest[0] != '+')) return invalid();
    char op = rest[0];
    std::string_view arg = rest.substr(1);
    auto value = lookup_(name);
    // With a colon an empty value counts as unset.
    bool has = value && (!colon || !value->empty());
    if (op == '-') return has ? Result<std::string>(*value) : run(arg);
    if (op == '+') return has ? run(arg) : Result<std::string>(std::string());
    if (has) return *value;
    auto message = run(arg);
    if (!message) return message;
    return fail(fmt::format("required variable {} is missing a value{}{}", name, message->empty() ? "" : ": ", *message));
  }

  Error fail(std::string why) const { return Error{ErrorKind::Usage, where_.str(), std::move(why)}; }

  const config::Env& lookup_;
  const Location& where_;
  std::vector<std::string>& unset_;
};

class TreeInterpolator {
 public:
  TreeInterpolator(const config::Env& lookup, Diagnostics& diag) : lookup_(lookup), diag_(diag) {}

  void walk(Node& node) {
    if (node.is_scalar()) {
      std::vector<std::string> unset;
      auto r = interpolate_text(node.text, lookup_, node.where, unset);
      if (!r) {
        diag_.error(node.where, r.error().why);
        return;
      }
      node.text = std::move(*r);
      for (const auto& name : unset)
        if (warned_.insert(name).second)
          diag_.warn(node.where, fmt::format("variable {} is not set; using an empty string", name));
    }
    for (auto& item : node.items) walk(item);
    for (auto& e : node.entries) walk(e.value);
  }

 private:
  const config::Env& lookup_;
  Diagnostics& diag_;
  std::set<std::string> warned_;
};

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// The value part of KEY=VALUE: quoted (single: literal; double: \n \" \\ escapes) or plain,
// where " #" starts a comment. nullopt when a quote is not closed.
std::optional<std::string> env_value(std::string_view v) {
  std::string s = trim(v);
  if (s.empty()) return s;
  char q = s[0];
  if (q == '\'' || q == '"') {
    std::string out;
    std::size_t i = 1;
    for (; i < s.size() && s[i] != q; ++i) {
      if (q == '"' && s[i] == '\\' && i + 1 < s.size()) {
        char e = s[++i];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      } else {
        out += s[i];
      }
    }
    if (i >= s.size()) return std::nullopt;
    std::string after = trim(std::string_view(s).substr(i + 1));
    if (!after.empty() && after[0] != '#') return std::nullopt;
    return out;
  }
  auto hash = s.find(" #");
  if (hash != std::string::npos) s = trim(std::string_view(s).substr(0, hash));
  return s;
}

}  // namespace

Result<std::string> interpolate_text(std::string_view text, const config::Env& lookup, const Location& where,
                                     std::vector<std::string>& unset) {
  config::Env safe = lookup ? lookup : config::Env([](const std::string&) { return std::optional<std::string>(); });
  return Interpolator(safe, where, unset).run(text);
}

void interpolate_tree(Node& root, const config::Env& lookup, Diagnostics& diag) {
  TreeInterpolator t(lookup, diag);
  if (!root.is_map()) return t.walk(root);
  for (auto& e : root.entries)
    if (!e.key.starts_with("x-")) t.walk(e.value);
}

Result<std::vector<EnvLine>> read_env_file(const std::string& path, Diagnostics& diag, bool raw) {
  // Pipes too (`--env-file <(decrypt secrets.env)`); devices and directories are refused.
  auto content = files::read_bounded(path, {"the env file", "env files", kMaxManifestBytes, true});
  if (!content) return content.error();
  std::vector<EnvLine> out;
  int number = 0;
  for (std::size_t at = 0; at < content->size();) {
    std::string line(text::next_line(*content, at));
    ++number;
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    Location where{path, number, static_cast<int>(start) + 1};
    std::string_view rest = std::string_view(line).substr(start);
    if (rest.starts_with("export ")) rest.remove_prefix(7);
    auto eq = rest.find('=');
    std::string key = trim(rest.substr(0, eq));
    bool bad_key = key.empty() || key.find_first_of(" \t'\"") != std::string::npos;
    if (bad_key) {
      // An excerpt only: the line may be a secret, or not an env file's at all (/etc/shadow).
      diag.error(where, fmt::format("expected KEY=VALUE, not '{}'", text::excerpt(trim(rest))));
      continue;
    }
    if (eq == std::string_view::npos) {
      out.push_back({key, std::nullopt, where});
      continue;
    }
    if (raw) {
      out.push_back({key, std::string(rest.substr(eq + 1)), where});
      continue;
    }
    auto value = env_value(rest.substr(eq + 1));
    if (!value) {
      diag.error(where, fmt::format("the value of {} has a quote that is not closed (or text after it)",
                                    text::excerpt(key)));
      continue;
    }
    out.push_back({key, std::move(*value), where});
  }
  return out;
}

}  // namespace detail

Result<std::string> interpolate(std::string_view text, const config::Env& lookup, const Location& where) {
  std::vector<std::string> unset;
  return detail::interpolate_text(text, lookup, where, unset);
}

}  // namespace hcl::manifest
