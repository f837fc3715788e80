#include "cli_spec.hpp"

#include <cctype>

namespace hcl::cli {
namespace {

bool all_lower(const std::string& s) {
  for (char c : s)
    if (std::isupper(static_cast<unsigned char>(c))) return false;
  return !s.empty();
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t at; (at = s.find(sep, start)) != std::string::npos; start = at + 1) out.push_back(s.substr(start, at - start));
  out.push_back(s.substr(start));
  return out;
}

// CLI11 shows "TYPE:VALIDATOR" (e.g. "FORMAT:table|json|TEMPLATE"); any part may carry the kind.
void classify(ArgSpec& a, const std::string& type_name) {
  a.kind = ValueKind::Free;
  for (const auto& part : split(type_name, ':')) {
    if (part.find('|') != std::string::npos) {
      a.kind = ValueKind::Choice;
      for (const auto& w : split(part, '|'))
        if (all_lower(w)) a.choices.push_back(w);
    } else if (part == "NODE") {
      a.kind = ValueKind::Node;
    } else if (part == "NETWORK") {
      a.kind = ValueKind::Network;
    } else if (part == "SERVICE") {
      a.kind = ValueKind::Service;
    } else if (part == "PROJECT") {
      a.kind = ValueKind::Project;
    } else if (part == "FILE") {
      a.kind = ValueKind::File;
    } else if (part == "CONSTRAINT") {
      a.kind = ValueKind::Constraint;
    } else if (part == "SERVICE=N") {
      a.kind = ValueKind::Scale;
    } else if (part == "KEY=VALUE") {
      a.kind = ValueKind::Env;
    }
  }
}

CommandSpec describe_at(const CLI::App& app, std::vector<std::string> path) {
  CommandSpec c;
  c.path = path;
  c.aliases = app.get_aliases();
  c.help = app.get_description();
  c.inherits = app.get_fallthrough();
  for (const CLI::Option* o : app.get_options({})) {
    if (o->get_group().empty()) continue;  // hidden
    ArgSpec a;
    a.help = o->get_description();
    a.required = o->get_required();
    if (o->get_positional() && !o->nonpositional()) {
      a.name = o->get_name();
      classify(a, o->get_type_name() + ":" + a.name);
      a.many = o->get_expected_max() > 1;
      c.positionals.push_back(a);
      continue;
    }
    a.shorts = o->get_snames();
    a.longs = o->get_lnames();
    if (o->get_expected_max() == 0 || o->get_type_size_max() == 0) {
      a.kind = ValueKind::Flag;
    } else {
      a.name = split(o->get_type_name(), ':').front();
      classify(a, o->get_type_name());
    }
    c.flags.push_back(a);
  }
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_group().empty()) continue;  // hidden
    auto p = path;
    p.push_back(sub->get_name());
    c.subcommands.push_back(describe_at(*sub, p));
  }
  return c;
}

}  // namespace

CommandSpec describe(const CLI::App& app) { return describe_at(app, {}); }

std::string live_kind(ValueKind k) {
  switch (k) {
    case ValueKind::Node: return "nodes";
    case ValueKind::Network: return "networks";
    case ValueKind::Service: return "services";
    case ValueKind::Project: return "projects";
    default: return "";
  }
}

}  // namespace hcl::cli
