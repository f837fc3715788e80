// Wires the command table to CLI11, runs the chosen command, and is the one place that turns an
// Error into "hcl: error: ..." on stderr and an exit status.
#include "app.hpp"

#include "commands.hpp"
#include "table.hpp"

#include <hcl/ops/version.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <new>
#include <cstdlib>
#include <optional>
#include <csignal>
#include <unistd.h>

namespace hcl::cli {
namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The closest name among the subcommands and flags of the deepest subcommand that was parsed.
std::string suggestion(const CLI::App& app, const std::string& word) {
  const CLI::App* at = &app;
  for (bool deeper = true; deeper;) {
    deeper = false;
    for (const CLI::App* sub : at->get_subcommands({}))
      if (sub->parsed()) at = sub, deeper = true;
  }
  std::vector<std::string> names;
  bool flag = word.starts_with("-");
  if (!flag)
    for (const CLI::App* sub : at->get_subcommands({})) names.push_back(sub->get_name());
  for (const CLI::App* a = at; a != nullptr; a = a->get_parent())
    for (const CLI::Option* o : a->get_options({}))
      for (const auto& l : o->get_lnames()) names.push_back("--" + l);
  std::string best;
  size_t best_d = 3;  // at most two edits away
  std::string bare = word.substr(0, word.find('='));
  for (const auto& n : names) {
    size_t d = edit_distance(bare, n);
    if (d < best_d) best = n, best_d = d;
  }
  return best;
}

int usage_error(const CLI::App& app, const std::string& message, const std::vector<std::string>& extras) {
  std::string text = message;
  if (!extras.empty()) {
    const std::string& word = extras.front();
    bool flag = word.starts_with("-");
    text = flag ? fmt::format("unknown flag '{}'", word) : fmt::format("unexpected argument '{}'", word);
    // get_subcommands returns a new vector each time: one copy, not a begin and an end of two.
    auto subs = app.get_subcommands({});
    bool top = std::none_of(subs.begin(), subs.end(), [](const CLI::App* s) { return s->parsed(); });
    if (!flag && top) text = fmt::format("unknown command '{}'", word);
    if (auto s = suggestion(app, word); !s.empty()) text += fmt::format(" (did you mean '{}'?)", s);
  }
  fmt::print(stderr, "hcl: error: {}\nRun 'hcl --help' for usage.\n", safe_text(text, true));
  return exit_status(ErrorKind::Usage);
}

// Messages quote servers and input (a task's error, a name): their control characters are shown
// escaped, the line breaks between the errors of a manifest kept.
int report(const Error& e) {
  if (e.kind == ErrorKind::Partial) {
    fmt::print(stderr, "hcl: warning: partial answer: {}\n", safe_text(e.message(), true));
  } else {
    fmt::print(stderr, "hcl: error: {}\n", safe_text(e.message(), true));
  }
  return exit_status(e.kind);
}

// The command the command line names: the first word that is neither a flag nor the value of a
// global flag, read with the global flags `app` knows (so it follows CLI11's reading: "-H x",
// "-Hx", "--host x", "--host=x", "-vH x", "--"). nullptr when no command or an unknown word is
// named.
const Command* named_command(const CLI::App& app, int argc, char** argv) {
  auto takes_value = [&](const std::string& name) {
    const CLI::Option* o = app.get_option_no_throw(name);
    return o != nullptr && o->get_expected_max() > 0;
  };
  auto command = [](std::string_view word) -> const Command* {
    for (const Command& c : kCommands)
      if (word == c.name) return &c;
    return nullptr;
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") return i + 1 < argc ? command(argv[i + 1]) : nullptr;
    if (a.starts_with("--")) {
      if (a.find('=') == std::string_view::npos && takes_value(std::string(a))) ++i;
    } else if (a.size() > 1 && a[0] == '-') {
      for (size_t k = 1; k < a.size(); ++k) {
        if (!takes_value(std::string{'-', a[k]})) continue;
        if (k + 1 == a.size()) ++i;  // the value is the next word; else it follows in this one
        break;
      }
    } else {
      return command(a);
    }
  }
  return nullptr;
}

// Ctrl-C and SIGTERM only set a flag: requests in flight see it and end, and commands clean up
// what they created before hcl exits with 130.
void on_signal(int) { Context::interrupted = true; }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace

Status remove_each(Context& ctx, const std::vector<std::string>& names, const char* noun,
                   const std::function<Status(const std::string&)>& remove) {
  std::vector<std::pair<std::string, Error>> failed;
  for (const auto& name : names) {
    auto s = remove(name);
    if (s) ctx.out(name + "\n");
    else failed.emplace_back(name, s.error());
  }
  if (failed.empty()) return ok();
  if (failed.size() == 1) return wrap(failed.front().second, fmt::format("removing {}", noun));
  return batch_error(failed, names.size(), "removing", noun);
}

void add_wait_flags(CLI::App* sub, WaitFlags& flags, const std::string& wait_help, const std::string& register_help) {
  sub->add_flag("--wait", flags.wait, wait_help);
  sub->add_flag("--register", flags.register_consul, register_help);
  sub->add_option("--timeout", flags.timeout, "How long --wait may take")->capture_default_str();
}

Result<ops::WaitOptions> wait_options(Context& ctx, const WaitFlags& flags) {
  auto timeout = config::parse_duration(flags.timeout, "--timeout");
  if (!timeout) return timeout.error();
  ops::WaitOptions wo;
  wo.timeout = *timeout;
  wo.interrupted = &Context::interrupted;
  wo.on_progress = [](const std::string& name, std::uint64_t count, std::uint64_t desired, const char* what) {
    fmt::print(stderr, "hcl: {} {}/{} {}\n", name, count, desired, what);
  };
  wo.on_note = [&ctx](const std::string& note) { ctx.warn(note); };
  return wo;
}

void add_format_flags(CLI::App* sub, Format& format, bool* quiet) {
  sub->add_option_function<std::string>(
         "--format", [&format](const std::string& v) { format = v == "json" ? Format::Json : Format::Table; },
         "Output format: table (for people) or json (stable, for scripts)")
      ->check(CLI::Validator(
          [](std::string& v) { return v == "table" || v == "json" ? std::string() : "expected table or json, not '" + v + "'"; },
          "table|json"));
  if (quiet) sub->add_flag("-q,--quiet", *quiet, "Print names only, one per line");
}

void add_listing_flags(CLI::App* sub, Listing& l, const std::string& quiet_help) {
  sub->add_option_function<std::string>(
         "--format",
         [&l](const std::string& v) {
           l.format = v == "json" ? Format::Json : v == "table" ? Format::Table : Format::Template;
           l.text = v;
         },
         "Output format: table (for people), json (stable, for scripts) or a template such as '{{.Name}}' "
         "(fields: docs/json.md)")
      ->type_name("table|json|TEMPLATE");
  sub->add_flag("-q,--quiet", l.quiet, quiet_help);
  sub->add_flag("--no-trunc", l.no_trunc, "Do not truncate IDs and long text");
}

Status Listing::check(std::string_view sample, std::string_view rows_key) {
  if (format != Format::Template) return ok();
  auto t = output::parse_template(text, sample, rows_key);
  if (!t) return t.error();
  parsed = std::move(*t);
  return ok();
}

std::string Listing::render(std::string_view rows_json, std::string_view rows_key) const {
  return parsed ? output::render_template(*parsed, rows_json, rows_key) : std::string();
}

std::string Listing::cut(const std::string& text, size_t width) const {
  if (no_trunc || text.size() <= width || width < 4) return text;
  return text.substr(0, width - 3) + "...";
}

namespace {

// Colours only on a terminal, never with NO_COLOR or TERM=dumb.
bool color_wanted() {
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return isatty(STDOUT_FILENO) && (no_color == nullptr || *no_color == '\0') &&
         !(term != nullptr && std::string_view(term) == "dumb");
}

void add_global_flags(CLI::App& app, Context& ctx) {
  app.fallthrough();
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("hcl ") + hcl::version());
  app.footer("Exit status: 0 ok, 1 failed, 2 usage or bad input, 3 partial answer, 4 server error,\n"
             "5 endpoint unreachable or timed out, 6 TLS or authentication, 7 not found, 8 conflict.\n"
             "Defaults: engine tcp://master:2378, Consul http://master:8500 (HCL_MASTER changes 'master').");

  auto& f = ctx.flags;
  std::string g = "Endpoints";
  app.add_option("-H,--host", f.host, "Docker engine: ssh://[USER@]HOST, tcp://HOST:PORT or unix:///PATH; several managers: A,B,... (env DOCKER_HOST)")->group(g);
  app.add_option("-c,--context", f.context, "Docker context, as `docker context` made it (env DOCKER_CONTEXT)")->type_name("NAME")->group(g);
  app.add_option("--consul", f.consul, "Consul HTTP address (env CONSUL_HTTP_ADDR)")->group(g);
  app.add_option("--config", f.config_file, "Config file (env HCL_CONFIG; default $XDG_CONFIG_HOME/hcl/config.yaml)")->type_name("FILE")->group(g);
  app.add_flag("--tls", f.tls, "Use TLS to the engine without verifying it")->group(g);
  app.add_flag("--tlsverify", f.tlsverify, "Use TLS and verify the engine (env DOCKER_TLS_VERIFY)")->group(g);
  app.add_option("--tlscacert", f.tlscacert, "CA certificate (default $DOCKER_CERT_PATH/ca.pem)")->type_name("FILE")->group(g);
  app.add_option("--tlscert", f.tlscert, "Client certificate (default $DOCKER_CERT_PATH/cert.pem)")->type_name("FILE")->group(g);
  app.add_option("--tlskey", f.tlskey, "Client key (default $DOCKER_CERT_PATH/key.pem)")->type_name("FILE")->group(g);
  app.add_option("--connect-timeout", f.connect_timeout, "Connect timeout, e.g. 3s (env HCL_CONNECT_TIMEOUT)")->group(g);
  app.add_option("--request-timeout", f.timeout, "Request timeout, e.g. 30s (env HCL_TIMEOUT)")->group(g);
  app.add_flag("-v,--verbose", ctx.verbose, "Log each HTTP request (method, URL, status, time) to stderr");
}

// Every command is listed (for --help and "did you mean"), but only the one the command line
// names gets its flags and nested subcommands: setting up all of them took most of the
// instructions hcl spent before doing anything.
// The completion scripts and the man page describe every command: those two set up all. A
// command line that names another command gets that one only (building the others' CLI11 apps
// took 0.2-0.25 ms of every command); one that names none, or an unknown word, gets every
// command's name, for help and the suggestion of the closest name.
void add_commands(CLI::App& app, Context& ctx, int argc, char** argv) {
  const Command* chosen = named_command(app, argc, argv);
  bool all = chosen && (std::string_view(chosen->name) == "completion" || std::string_view(chosen->name) == "__man");
  if (chosen && !all) {
    CLI::App* sub = app.add_subcommand(chosen->name, chosen->summary);
    if (*chosen->summary == '\0') sub->group("");
    chosen->setup(sub, ctx);
    return;
  }
  for (const Command& c : kCommands) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    if (*c.summary == '\0') sub->group("");  // hidden
    if (&c == chosen || all) c.setup(sub, ctx);
  }
}

// The words CLI11 could not place, along the chain of parsed subcommands.
std::vector<std::string> unplaced_words(const CLI::App& app) {
  std::vector<std::string> extras;
  for (const CLI::App* a = &app; a;) {
    auto rem = a->remaining();
    extras.insert(extras.end(), rem.begin(), rem.end());
    const CLI::App* next = nullptr;
    for (const CLI::App* s : a->get_subcommands({}))
      if (s->parsed()) next = s;
    a = next;
  }
  return extras;
}

// Parses the command line; an exit status when that already ended the run (help, version, a
// usage error).
std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Words CLI11 could not place are most often a mistyped command or flag: name the first one
    // and suggest the closest known name.
    std::string msg = e.what();
    if (msg == "A subcommand is required") msg = "a command is required";
    return usage_error(app, msg, unplaced_words(app));
  }
  return std::nullopt;
}

}  // namespace

namespace {

// Under AddressSanitizer the process unwinds and exits as usual: its leak check runs at exit.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUnwindAtExit = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kUnwindAtExit = true;
#else
constexpr bool kUnwindAtExit = false;
#endif
#else
constexpr bool kUnwindAtExit = false;
#endif

int run_command(int argc, char** argv) {
  Context ctx;
  ctx.color = color_wanted();
  CLI::App app{"hcl: manage a small Docker swarm + Consul cluster (Hypriot Cluster Lab style)", "hcl"};
  add_global_flags(app, ctx);
  add_commands(app, ctx, argc, argv);
  if (auto status = parse(app, argc, argv)) return *status;
  if (!ctx.action) return usage_error(app, "a command is required", {});
  install_signal_handlers();
  Status s = ctx.action();
  ctx.remember();
  std::fflush(stdout);
  int code = s ? ctx.exit_code : report(s.error());
  // The command is done, its output flushed and its files written: the process ends here rather
  // than freeing, one by one, what the kernel takes back at once (the command's structures,
  // CLI11's tree, the standard library's globals): 0.25-0.3 ms of every command (measured).
  std::fflush(stderr);
  if (!kUnwindAtExit) std::_Exit(code);
  return code;
}

}  // namespace

// Errors are values, but the libraries underneath (the standard library, CLI11) throw:
// one that got past the code meant to catch it is still reported on one line with status 1,
// never an abort and a core dump.
int run(int argc, char** argv) {
  try {
    return run_command(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fflush(stdout);
    return report(Error{ErrorKind::Failed, "", "out of memory"});
  } catch (const std::exception& e) {
    std::fflush(stdout);
    return report(Error{ErrorKind::Failed, "unexpected failure", e.what()});
  } catch (...) {
    std::fflush(stdout);
    return report(Error{ErrorKind::Failed, "", "unexpected failure"});
  }
}

}  // namespace hcl::cli
