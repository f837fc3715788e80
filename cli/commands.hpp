// The command surface of hcl, in one table: each entry is one file in cli/.
#pragma once

#include "context.hpp"

#include <hcl/sync.hpp>
#include <hcl/output.hpp>

#include <CLI/CLI.hpp>

#include <span>

namespace hcl::cli {

struct Command {
  const char* name;
  // Registers the subcommand, its flags and its action on `app`.
  void (*setup)(CLI::App& app, Context& ctx);
};

void setup_nodes(CLI::App& app, Context& ctx);    // cmd_nodes.cpp
void setup_net(CLI::App& app, Context& ctx);      // cmd_net.cpp
void setup_run(CLI::App& app, Context& ctx);      // cmd_run.cpp
void setup_ps(CLI::App& app, Context& ctx);       // cmd_ps.cpp
void setup_logs(CLI::App& app, Context& ctx);     // cmd_logs.cpp
void setup_rm(CLI::App& app, Context& ctx);       // cmd_rm.cpp
void setup_deploy(CLI::App& app, Context& ctx);   // cmd_deploy.cpp
void setup_scale(CLI::App& app, Context& ctx);    // cmd_scale.cpp
void setup_down(CLI::App& app, Context& ctx);     // cmd_down.cpp
void setup_ls(CLI::App& app, Context& ctx);       // cmd_ls.cpp
void setup_kv(CLI::App& app, Context& ctx);       // cmd_kv.cpp
void setup_health(CLI::App& app, Context& ctx);   // cmd_health.cpp
void setup_sync(CLI::App& app, Context& ctx);     // cmd_sync.cpp
void setup_viz(CLI::App& app, Context& ctx);      // cmd_viz.cpp
void setup_version(CLI::App& app, Context& ctx);  // cmd_version.cpp
void setup_config(CLI::App& app, Context& ctx);   // cmd_config.cpp
void setup_completion(CLI::App& app, Context& ctx);  // cmd_completion.cpp (also __complete, __man)

inline constexpr Command kCommands[] = {
    {"nodes", setup_nodes},
    {"net", setup_net},
    {"run", setup_run},
    {"ps", setup_ps},
    {"logs", setup_logs},
    {"rm", setup_rm},
    {"deploy", setup_deploy},
    {"scale", setup_scale},
    {"down", setup_down},
    {"ls", setup_ls},
    {"kv", setup_kv},
    {"health", setup_health},
    {"sync", setup_sync},
    {"viz", setup_viz},
    {"version", setup_version},
    {"config", setup_config},
    {"completion", setup_completion},
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
