// The command surface of hcl, in one table: each entry is one file in cli/.
#pragma once

#include "context.hpp"

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
void setup_net(CLI::App* sub, Context& ctx);      // cmd_net.cpp
void setup_run(CLI::App* sub, Context& ctx);      // cmd_run.cpp
void setup_ps(CLI::App* sub, Context& ctx);       // cmd_ps.cpp
void setup_logs(CLI::App* sub, Context& ctx);     // cmd_logs.cpp
void setup_rm(CLI::App* sub, Context& ctx);       // cmd_rm.cpp
void setup_deploy(CLI::App* sub, Context& ctx);   // cmd_deploy.cpp
void setup_scale(CLI::App* sub, Context& ctx);    // cmd_scale.cpp
void setup_down(CLI::App* sub, Context& ctx);     // cmd_down.cpp
void setup_ls(CLI::App* sub, Context& ctx);       // cmd_ls.cpp
void setup_kv(CLI::App* sub, Context& ctx);       // cmd_kv.cpp
void setup_health(CLI::App* sub, Context& ctx);   // cmd_health.cpp
void setup_version(CLI::App* sub, Context& ctx);  // cmd_version.cpp
void setup_config(CLI::App* sub, Context& ctx);   // cmd_config.cpp

inline constexpr Command kCommands[] = {
    {"nodes", "List the cluster's nodes with their Swarm state and Consul health", setup_nodes},
    {"net", "Create, list, inspect and remove networks", setup_net},
    {"run", "Run a container on the swarm, placed by constraints", setup_run},
    {"ps", "List tasks: what runs where", setup_ps},
    {"logs", "Show a service's logs (stdout to stdout, stderr to stderr)", setup_logs},
    {"rm", "Remove services and their containers", setup_rm},
    {"deploy", "Deploy a compose manifest (v2, v3 or the compose spec) to the swarm", setup_deploy},
    {"scale", "Set services' replicas: hcl scale demo-hostname=10", setup_scale},
    {"down", "Remove a project's services and networks (volumes stay)", setup_down},
    {"ls", "List the projects deployed on the cluster", setup_ls},
    {"kv", "Read, write, list, delete and watch keys in Consul's KV store", setup_kv},
    {"health", "Check the cluster: swarm, Consul, nodes, quorum (exit 1 if a check fails)", setup_health},
    {"version", "Show hcl's version and the engine's and Consul's", setup_version},
    {"config", "Show the effective endpoints and settings and where each came from", setup_config},
};

// Removes each name with `remove`, printing the names removed: one bad name does not keep the
// others; the first failure decides the exit status and every failure is named. `noun`:
// "network", "service".
Status remove_each(Context& ctx, const std::vector<std::string>& names, const char* noun,
                   const std::function<Status(const std::string&)>& remove);

// `--format table|json` and `-q/--quiet`, shared by listing commands.
void add_format_flags(CLI::App* sub, Format& format, bool* quiet);

}  // namespace hcl::cli
