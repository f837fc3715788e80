// --format templates over hcl's own JSON rows (see output.hpp). A small substitution, not a
// template language: no conditions, loops or functions besides json, so a template can only
// ever print fields.
#include <hcl/output.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace hcl::output {
namespace {

using json = nlohmann::ordered_json;

// .DesiredState -> desired_state; names already in snake_case stay as they are.
std::string snake(std::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (std::isupper(c)) {
      if (i > 0 && name[i - 1] != '_') out += '_';
      out += static_cast<char>(std::tolower(c));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string camel(std::string_view key) {
  std::string out;
  bool up = true;
  for (char c : key) {
    if (c == '_') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out;
}

const json* rows_of(const json& doc, std::string_view rows_key) {
  if (!rows_key.empty() && doc.is_object()) {
    auto it = doc.find(std::string(rows_key));
    return it == doc.end() ? nullptr : &*it;
  }
  return &doc;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 't' || s[i + 1] == 'n')) {
      out += s[i + 1] == 't' ? '\t' : '\n';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

Error usage(std::string_view text, const std::string& why) {
  return Error{ErrorKind::Usage, fmt::format("--format '{}'", text), why};
}

std::string show(const json& v, bool as_json) {
  if (as_json) return v.dump();
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace

Result<Template> parse_template(std::string_view text, std::string_view sample, std::string_view rows_key) {
  json doc = json::parse(sample, nullptr, false);
  const json* rows = rows_of(doc, rows_key);
  std::vector<std::string> keys;
  if (rows && rows->is_array() && !rows->empty() && rows->front().is_object())
    for (const auto& [k, v] : rows->front().items()) keys.push_back(k);
  auto valid = [&] {
    std::string s;
    for (const auto& k : keys) s += (s.empty() ? "." : ", .") + camel(k);
    return s.empty() ? std::string("only {{.}}") : s;
  };

  Template t;
  size_t at = 0;
  while (at < text.size()) {
    size_t open = text.find("{{", at);
    if (open == std::string_view::npos) {
      t.pieces.push_back({unescape(text.substr(at))});
      break;
    }
    if (open > at) t.pieces.push_back({unescape(text.substr(at, open - at))});
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) return usage(text, "a '{{' without its '}}'");
    std::string action = trim(text.substr(open + 2, close - open - 2));
    Template::Piece p;
    if (action.starts_with("json ") || action == "json") {
      p.json = true;
      action = trim(action.substr(4));
    }
    if (action == ".") {
      p.whole = true;
    } else if (action.size() > 1 && action.front() == '.') {
      std::string_view rest(action);
      rest.remove_prefix(1);
      for (size_t dot; !rest.empty(); rest.remove_prefix(dot == std::string_view::npos ? rest.size() : dot + 1)) {
        dot = rest.find('.');
        std::string_view name = rest.substr(0, dot);
        if (name.empty()) return usage(text, fmt::format("an empty field name in {{{{{}}}}}", action));
        p.path.push_back(snake(name));
      }
      if (std::find(keys.begin(), keys.end(), p.path.front()) == keys.end())
        return usage(text, fmt::format("unknown field .{}; fields: {}", camel(p.path.front()), valid()));
    } else {
      return usage(text, fmt::format("{{{{{}}}}} is not supported: use {{{{.Field}}}}, {{{{.}}}} or {{{{json .}}}}; fields: {}",
                                     action, valid()));
    }
    t.pieces.push_back(std::move(p));
    at = close + 2;
  }
  // A mistyped "json" must not print itself once per row.
  bool placeholder = std::any_of(t.pieces.begin(), t.pieces.end(), [](const auto& p) { return p.whole || !p.path.empty(); });
  if (!placeholder)
    return usage(text, fmt::format("expected table, json or a template with placeholders such as {{{{.{}}}}}; fields: {}",
                                   keys.empty() ? std::string("Name") : camel(keys.front()), valid()));
  return t;
}

std::string render_template(const Template& t, std::string_view rows_json, std::string_view rows_key) {
  json doc = json::parse(rows_json, nullptr, false);
  const json* rows = rows_of(doc, rows_key);
  std::string out;
  if (!rows || !rows->is_array()) return out;
  static const json null_value;
  for (const auto& row : *rows) {
    for (const auto& p : t.pieces) {
      if (p.path.empty() && !p.whole) {
        out += p.text;
        continue;
      }
      const json* v = &row;
      for (const auto& key : p.path) {
        if (!v->is_object() || !v->contains(key)) {
          v = &null_value;
          break;
        }
        v = &(*v)[key];
      }
      out += show(*v, p.json);
    }
    out += '\n';
  }
  return out;
}

std::string kv_key_rows_json(const std::vector<std::string>& keys) {
  json out = json::array();
  for (const auto& k : keys) out.push_back({{"key", k}});
  return out.dump(2) + "\n";
}

}  // namespace hcl::output
