// The command surface as data, read from the same CLI::App tree that prints --help: the
// completion scripts and the man page are generated from it, so they cannot drift from the flags.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace hcl::cli {

// What a flag's value or a positional argument is, read from its type name as --help shows it:
// "table|json|TEMPLATE" lists choices (the lower-case words), NODE, NETWORK, SERVICE, PROJECT
// name live objects of the cluster, FILE a path, CONSTRAINT a placement, SERVICE=N a scale,
// KEY=VALUE an environment entry (where the classic constraint:node==NODE goes).
enum class ValueKind { Flag, Free, Choice, File, Node, Network, Service, Project, Constraint, Scale, Env };

struct ArgSpec {
  std::vector<std::string> shorts, longs;  // without dashes; empty for a positional
  std::string name;                        // positional name, or the type name (e.g. FORMAT)
  std::string help;
  ValueKind kind = ValueKind::Flag;
  std::vector<std::string> choices;  // for ValueKind::Choice
  bool many = false;                 // a positional taking several words
  bool required = false;
};

struct CommandSpec {
  std::vector<std::string> path;  // {} for hcl itself, {"net", "ls"}
  std::vector<std::string> aliases;
  std::string help;
  std::vector<ArgSpec> flags;        // this command's own flags (global ones are on the root)
  std::vector<ArgSpec> positionals;  // in order
  std::vector<CommandSpec> subcommands;
  bool inherits = true;  // its parents' flags apply too (CLI11 fallthrough)
};

// Walks `app` and its visible subcommands (hidden ones, in the "" group, are left out).
CommandSpec describe(const CLI::App& app);

// The live-name kind's word for `hcl __complete`: nodes, networks, services, projects; "" else.
std::string live_kind(ValueKind k);

// Generated texts (completion_scripts.cpp, man_page.cpp).
std::string bash_completion(const CommandSpec& root);
std::string zsh_completion(const CommandSpec& root);
std::string fish_completion(const CommandSpec& root);
std::string man_page(const CommandSpec& root, const std::string& version);

}  // namespace hcl::cli
