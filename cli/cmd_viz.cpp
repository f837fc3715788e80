// hcl viz [--once] [--svg FILE] [--width N]: a picture of the cluster, one column per node with its
// tasks; live on a terminal (redrawn as tasks come and go) until Ctrl-C.
#include "commands.hpp"
#include "table.hpp"

#include <hcl/output.hpp>
#include <hcl/ops/viz.hpp>
#include <hcl/ops/watch.hpp>

#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace hcl::cli {
namespace {

struct VizOptions {
  bool once = false;
  std::string svg;
  std::optional<size_t> width;
};

// The terminal's width: --width, else the terminal's own, else $COLUMNS, else 80.
size_t output_width(const VizOptions& o) {
  if (o.width) return *o.width;
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    char* end = nullptr;
    long n = std::strtol(c, &end, 10);
    if (end != c && *end == '\0' && n > 0) return static_cast<size_t>(n);
  }
  return 80;
}

Result<ops::Picture> read_picture(Context& ctx) {
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  auto state = (*docker)->cluster_state();
  if (!state) return state.error();
  return ops::build_picture(*state);
}

Status write_svg(Context& ctx, const std::string& path) {
  auto p = read_picture(ctx);
  if (!p) return p.error();
  std::string svg = output::picture_svg(*p);
  if (path == "-") return ctx.out(svg), ok();
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) return Error{ErrorKind::Failed, "--svg " + path, std::strerror(errno)};
  if (std::fwrite(svg.data(), 1, svg.size(), f.get()) != svg.size() || std::fclose(f.release()) != 0)
    return Error{ErrorKind::Failed, "--svg " + path, std::strerror(errno)};
  return ok();
}

// The terminal's height, when stdout is one.
std::optional<size_t> terminal_rows() {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 1) return ws.ws_row;
  return std::nullopt;
}

// Draws over the previous picture: home, each line cleared to its end, the rest of the screen
// cleared. Lines below the screen's last row are left out: printing them would scroll the picture.
std::string redraw(const std::string& text) {
  std::string s = "\x1b[H";
  size_t start = 0, lines = 0, room = terminal_rows().value_or(SIZE_MAX) - 1;
  while (start < text.size() && lines++ < room) {
    size_t nl = text.find('\n', start);
    s += text.substr(start, nl - start) + "\x1b[K\n";
    start = nl + 1;
  }
  return s + "\x1b[J";
}

Status live(Context& ctx, const VizOptions& o) {
  bool terminal = isatty(STDOUT_FILENO);
  ops::ChangeWaiter waiter;
  auto engine = ctx.new_docker_transport();
  if (!engine) return engine.error();
  // The manager sends no task events: services, nodes and containers changing is the nearest
  // sign, and a look every second catches the rest.
  waiter.follow_engine(std::move(*engine), {"service", "node", "container"});
  std::string last;
  auto look = [&]() -> Result<bool> {
    auto p = read_picture(ctx);
    if (!p) return p.error();
    size_t width = output_width(o);
    std::string body = ops::render_text(*p, {width, ctx.color, ""});
    if (terminal) {
      std::string title = fmt::format("hcl viz  {}  (Ctrl-C ends)", now_rfc3339().substr(11, 8));
      ctx.out(redraw(ops::render_text(*p, {width, ctx.color, title})));
    } else if (body != last) {
      ctx.out((last.empty() ? "" : "\n") + body);  // into a pipe: each new picture once
    }
    std::fflush(stdout);
    bool changed = body != last;  // tasks move in waves after a change
    last = std::move(body);
    return changed;
  };
  ops::WatchPace pace;
  pace.interval = pace.retry = pace.max_retry = http::Millis{1000};
  pace.busy_interval = http::Millis{250};
  pace.busy_for = http::Millis{5000};
  if (terminal) ctx.out("\x1b[2J\x1b[?25l");  // clear, hide the cursor
  auto s = ops::watch_loop(waiter, pace, Context::interrupted, look, [&ctx](const std::string& w) { ctx.warn(w); });
  if (terminal) ctx.out("\x1b[?25h");
  std::fflush(stdout);
  return s;  // Ctrl-C is how the live picture ends
}

Status run_viz(Context& ctx, const VizOptions& o) {
  if (o.width && *o.width == 0) return Error{ErrorKind::Usage, "--width", "at least 1"};
  if (!o.svg.empty()) return write_svg(ctx, o.svg);
  if (o.once) {
    auto p = read_picture(ctx);
    if (!p) return p.error();
    ctx.out(ops::render_text(*p, {output_width(o), ctx.color, ""}));
    return ok();
  }
  return live(ctx, o);
}

}  // namespace

void setup_viz(CLI::App* sub, Context& ctx) {
  auto o = std::make_shared<VizOptions>();
  sub->add_flag("--once", o->once, "Print the picture once and exit");
  sub->add_option("--svg", o->svg, "Write the picture as SVG to FILE ('-': standard output) and exit")->type_name("FILE");
  sub->add_option("--width", o->width, "Lay out for N columns (default: the terminal's width, $COLUMNS, 80)")->type_name("N");
  sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_viz(ctx, *o); }; });
}

}  // namespace hcl::cli
