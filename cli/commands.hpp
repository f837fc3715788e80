// The command surface of hcl, in one table: each entry is one file in cli/.
#pragma once

#include "context.hpp"

#include <hcl/ops/sync.hpp>
#include <hcl/ops/wait.hpp>
#include <hcl/output.hpp>

#include <CLI/CLI.hpp>

#include <span>

namespace hcl::cli {

struct Command {
  const char* name;
  const char* summary;  // one line, for `hcl --help`
  // Registers the flags, nested subcommands and action on `sub`, the subcommand app.cpp made
  // for this command. Only the command named on the command line is set up (see app.cpp).
  void (*setup)(CLI::App* sub, Context& ctx);
};

void setup_nodes(CLI::App* sub, Context& ctx);    // cmd_nodes.cpp
void setup_node(CLI::App* sub, Context& ctx);     // cmd_node.cpp
void setup_swarm(CLI::App* sub, Context& ctx);    // cmd_swarm.cpp
void setup_net(CLI::App* sub, Context& ctx);      // cmd_net.cpp
void setup_run(CLI::App* sub, Context& ctx);      // cmd_run.cpp
void setup_ps(CLI::App* sub, Context& ctx);       // cmd_ps.cpp
void setup_logs(CLI::App* sub, Context& ctx);     // cmd_logs.cpp
void setup_rm(CLI::App* sub, Context& ctx);       // cmd_rm.cpp
void setup_deploy(CLI::App* sub, Context& ctx);   // cmd_deploy.cpp
void setup_scale(CLI::App* sub, Context& ctx);    // cmd_scale.cpp
void setup_rollback(CLI::App* sub, Context& ctx); // cmd_rollback.cpp
void setup_down(CLI::App* sub, Context& ctx);     // cmd_down.cpp
void setup_ls(CLI::App* sub, Context& ctx);       // cmd_ls.cpp
void setup_kv(CLI::App* sub, Context& ctx);       // cmd_kv.cpp
void setup_health(CLI::App* sub, Context& ctx);   // cmd_health.cpp
void setup_sync(CLI::App* sub, Context& ctx);     // cmd_sync.cpp
void setup_viz(CLI::App* sub, Context& ctx);      // cmd_viz.cpp
void setup_version(CLI::App* sub, Context& ctx);  // cmd_version.cpp
void setup_config(CLI::App* sub, Context& ctx);   // cmd_config.cpp
void setup_context(CLI::App* sub, Context& ctx);  // cmd_context.cpp
void setup_completion(CLI::App* sub, Context& ctx);      // cmd_completion.cpp
void setup_complete_names(CLI::App* sub, Context& ctx);  // cmd_completion.cpp (hidden __complete)
void setup_man(CLI::App* sub, Context& ctx);             // cmd_completion.cpp (hidden __man)

inline constexpr Command kCommands[] = {
    {"nodes", "List the cluster's nodes with their Swarm state and Consul health", setup_nodes},
    {"node", "Drain, activate, pause, promote, demote, label, inspect or remove nodes", setup_node},
    {"swarm", "Form the swarm: init on an engine, join engines to it, make them leave", setup_swarm},
    {"net", "Create, list, inspect and remove networks", setup_net},
    {"run", "Run a container on the swarm, placed by constraints", setup_run},
    {"ps", "List tasks: what runs where", setup_ps},
    {"logs", "Show a service's logs (stdout to stdout, stderr to stderr)", setup_logs},
    {"rm", "Remove services and their containers", setup_rm},
    {"deploy", "Deploy a compose file (format 1, 2, 3 or the compose spec) to the swarm", setup_deploy},
    {"scale", "Set services' replicas: hcl scale demo-hostname=10", setup_scale},
    {"rollback", "Return services to their spec before the last update", setup_rollback},
    {"down", "Remove a project's services, networks, secrets and configs (volumes stay)", setup_down},
    {"ls", "List the projects deployed on the cluster", setup_ls},
    {"kv", "Read, write, list, delete and watch keys in Consul's KV store", setup_kv},
    {"health", "Check the cluster: swarm, Consul, nodes, quorum (exit 1 if a check fails)", setup_health},
    {"sync", "Register the swarm's running tasks with Consul (and remove those gone)", setup_sync},
    {"viz", "Picture the cluster: nodes side by side with their tasks, live until Ctrl-C", setup_viz},
    {"version", "Show hcl's version and the engine's and Consul's", setup_version},
    {"config", "Show the effective endpoints and settings and where each came from", setup_config},
    {"context", "List the docker CLI's contexts (ls); * marks the one hcl uses", setup_context},
    {"completion", "Print the completion script for bash, zsh or fish", setup_completion},
    // No summary: hidden from --help (the completion scripts' helper, the man page generator).
    {"__complete", "", setup_complete_names},
    {"__man", "", setup_man},
};

// Removes each name with `remove`, printing the names removed: one bad name does not keep the
// others; the first failure decides the exit status and every failure is named. `noun`:
// "network", "service".
Status remove_each(Context& ctx, const std::vector<std::string>& names, const char* noun,
                   const std::function<Status(const std::string&)>& remove);

// One registration pass for the services in scope (cmd_sync.cpp), for `hcl sync` and the
// --register of deploy and scale and for `hcl down`; a failed write is a partial success.
enum class SyncPrint { Nothing, Changes, Summary };  // Summary: the changes and a count line
Status consul_sync(Context& ctx, const ops::SyncScope& scope, Format format, SyncPrint print);

// --wait, --register and --timeout, for deploy and scale.
struct WaitFlags {
  bool wait = false;
  bool register_consul = false;  // implies the wait
  std::string timeout = "2m";
  bool waiting() const { return wait || register_consul; }
};
void add_wait_flags(CLI::App* sub, WaitFlags& flags, const std::string& wait_help, const std::string& register_help);
// The wait's options from the flags (a bad --timeout is a usage error): Ctrl-C ends it, each
// service's progress is a line "hcl: NAME R/D running" on stderr, and its notes are warnings.
Result<ops::WaitOptions> wait_options(Context& ctx, const WaitFlags& flags);

// `--format table|json` (and `-q/--quiet` when quiet is given), for commands that show one thing.
void add_format_flags(CLI::App* sub, Format& format, bool* quiet);

// What listing commands share: `--format table|json|TEMPLATE`, `-q/--quiet`, `--no-trunc`.
struct Listing {
  Format format = Format::Table;
  std::string text;  // the template, with Format::Template
  bool quiet = false;
  bool no_trunc = false;
  std::optional<output::Template> parsed;  // set by check()

  // Parses a template against the fields of `sample` (the command's JSON for one empty row), before
  // the cluster is asked anything: an unknown field is a usage error.
  Status check(std::string_view sample, std::string_view rows_key = "");
  // The rows through the template.
  std::string render(std::string_view rows_json, std::string_view rows_key = "") const;
  // Long text for a table cell: cut to `width` with "..." unless --no-trunc.
  std::string cut(const std::string& text, size_t width) const;
};
void add_listing_flags(CLI::App* sub, Listing& listing, const std::string& quiet_help = "Print names only, one per line");

}  // namespace hcl::cli
