#include <hcl/swarm/placement.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace hcl::swarm {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

Error bad_rule(const std::string& source, std::string_view text, std::string why) {
  return Error{ErrorKind::Usage, fmt::format("{} '{}'", source, text), std::move(why)};
}

// As swarmkit checks a key (constraint.go: ^(?i)[a-z_][a-z0-9\-_.]+$), and one of the keys it
// knows. A key with '=' or '!' in it would read back as another constraint.
bool valid_key(const std::string& key) {
  if (std::any_of(key.begin(), key.end(), [](char c) {
        return !(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
      }))
    return false;
  static const char* fixed[] = {"node.id", "node.hostname", "node.role", "node.platform.os", "node.platform.arch"};
  for (const char* k : fixed)
    if (key == k) return true;
  for (const char* prefix : {"node.labels.", "engine.labels."})
    if (key.starts_with(prefix) && key.size() > std::char_traits<char>::length(prefix)) return true;
  return false;
}

// Printable ASCII (as swarmkit's value pattern), without what reads as a pattern, an operator
// or a space.
bool plain_value(const std::string& v) {
  return !v.empty() && std::none_of(v.begin(), v.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u >= 0x7f || c == '*' || c == '?' || c == '/' || c == '~' || c == '=' || c == '!' ||
           c == '<' || c == '>';
  });
}

std::string label(const docker::Labels& labels, const std::string& key, bool& found) {
  auto it = labels.find(key);
  found = it != labels.end();
  return found ? it->second : std::string();
}

}  // namespace

std::string Constraint::expression() const { return key + (equal ? "==" : "!=") + value; }

Result<Constraint> parse_constraint(std::string_view text, const std::string& source) {
  auto eq = text.find("==");
  auto ne = text.find("!=");
  if (eq == std::string_view::npos && ne == std::string_view::npos)
    return bad_rule(source, text, "expected KEY==VALUE or KEY!=VALUE, like node.hostname==master");
  Constraint c;
  size_t op = std::min(eq, ne);
  c.equal = op == eq;
  c.key = trim(text.substr(0, op));
  c.value = trim(text.substr(op + 2));
  if (c.key == "node") c.key = "node.hostname";  // the short form, as in the classic Swarm
  if (c.key.empty()) return bad_rule(source, text, "no key before the operator");
  if (!valid_key(c.key))
    return bad_rule(source, text,
                    fmt::format("unknown key '{}'; use node.hostname, node.id, node.role, node.platform.os, "
                                "node.platform.arch, node.labels.KEY or engine.labels.KEY",
                                c.key));
  if (!plain_value(c.value))
    return bad_rule(source, text, "the value must be a plain word: the engine matches no patterns, globs or soft rules");
  if (c.key == "node.role" && c.value != "manager" && c.value != "worker")
    return bad_rule(source, text, "node.role is manager or worker");
  return c;
}

Result<ClassicEnv> split_classic_env(const std::vector<std::string>& env, const std::string& source) {
  ClassicEnv out;
  for (const auto& e : env) {
    if (e.starts_with("affinity:"))
      return bad_rule(source, e, "classic Swarm affinities have no swarm-mode equivalent; use constraints");
    if (!e.starts_with("constraint:")) {
      out.env.push_back(e);
      continue;
    }
    std::string_view rule = std::string_view(e).substr(11);
    auto eq = rule.find("==");
    auto ne = rule.find("!=");
    if (eq == std::string_view::npos && ne == std::string_view::npos)
      return bad_rule(source, e, "expected constraint:KEY==VALUE or constraint:KEY!=VALUE");
    size_t op = std::min(eq, ne);
    std::string key = trim(rule.substr(0, op));
    std::string value = trim(rule.substr(op + 2));
    if (value.starts_with("~"))
      return bad_rule(source, e, "soft constraints (==~) cannot be expressed in swarm mode; use a hard one (==)");
    if (value.starts_with("/") || value.find_first_of("*?") != std::string::npos)
      return bad_rule(source, e, "regular expressions and globs cannot be expressed in swarm mode; name the value exactly");
    if (key.empty() || std::any_of(key.begin(), key.end(), [](char c) {
          return !(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
        }))
      return bad_rule(source, e, fmt::format("'{}' is not a constraint key", key));
    std::string expr = (key == "node" ? "node.hostname" : "engine.labels." + key) + (op == eq ? "==" : "!=") + value;
    auto c = parse_constraint(expr, source);
    if (!c) return bad_rule(source, e, c.error().why);
    out.constraints.push_back(*c);
  }
  return out;
}

bool satisfies(const docker::SwarmNode& n, const Constraint& c) {
  bool found = true;
  std::string actual;
  if (c.key == "node.hostname") {
    actual = n.hostname;
  } else if (c.key == "node.id") {
    actual = n.id;
  } else if (c.key == "node.role") {
    actual = docker::to_string(n.role);
  } else if (c.key == "node.platform.os") {
    actual = n.os;
  } else if (c.key == "node.platform.arch") {
    actual = n.architecture;
  } else if (c.key.starts_with("node.labels.")) {
    actual = label(n.labels, c.key.substr(12), found);
  } else if (c.key.starts_with("engine.labels.")) {
    actual = label(n.engine_labels, c.key.substr(14), found);
  }
  // As in swarmkit: hostnames compare without case; a missing label equals nothing.
  bool same = found && (c.key == "node.hostname" ? std::equal(actual.begin(), actual.end(), c.value.begin(), c.value.end(),
                                                                [](unsigned char a, unsigned char b) { return std::tolower(a) == std::tolower(b); })
                                                  : actual == c.value);
  return c.equal ? same : !same;
}

Status check_placeable(const std::vector<docker::SwarmNode>& nodes, const std::vector<Constraint>& constraints) {
  std::vector<const docker::SwarmNode*> candidates;
  for (const auto& n : nodes)
    if (n.availability == docker::NodeAvailability::Active) candidates.push_back(&n);
  std::vector<std::string> names;
  for (const auto* n : candidates) names.push_back(n->hostname);
  std::sort(names.begin(), names.end());
  std::string tried = text::join(names);
  if (candidates.empty()) return Error{ErrorKind::Failed, "placement", "no node of the swarm is active"};
  for (const auto& c : constraints) {
    std::erase_if(candidates, [&](const docker::SwarmNode* n) { return !satisfies(*n, c); });
    if (candidates.empty())
      return Error{ErrorKind::Usage, fmt::format("constraint {}", c.expression()),
                   fmt::format("no node satisfies it (together with the constraints before it); tried {}", tried)};
  }
  return ok();
}

}  // namespace hcl::swarm
