// The text renderer of `hcl viz`. Widths are counted in terminal columns (one per UTF-8 code
// point: hostnames and service names are ASCII, the ellipsis and box lines are one column each), and
// colours are applied after a cell was cut and padded, so escape codes never shift anything.
#include <hcl/ops/viz.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace hcl::ops {
namespace {

// ANSI foreground colours for the services, distinct on dark and light terminals; red comes last
// because it also means "down".
constexpr int kAnsi[kVizColors] = {32, 34, 35, 36, 33, 92, 94, 95, 96, 93, 90, 31};
constexpr int kBold = 1, kGreen = 32, kRed = 31, kDim = 2;
constexpr std::string_view kEllipsis = "…";
constexpr std::string_view kSeparator = " │ ";
constexpr size_t kSeparatorWidth = 3;
// Narrower columns than this say too little: the nodes are stacked instead.
constexpr size_t kMinColumn = 6;

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// A piece of a line in one colour (0: none).
struct Seg {
  std::string text;
  int code = 0;
  bool middle = false;  // cut in the middle, keeping the end (a task's slot) in sight
};
using Line = std::vector<Seg>;

size_t width_of(const Line& line) {
  size_t w = 0;
  for (const auto& s : line) w += display_width(s.text);
  return w;
}

// The first `n` columns of plain text.
std::string prefix(std::string_view text, size_t n) {
  size_t i = 0, cols = 0;
  while (i < text.size()) {
    if (!continuation(text[i])) {
      if (cols == n) break;
      ++cols;
    }
    ++i;
  }
  return std::string(text.substr(0, i));
}

// The last `n` columns of plain text.
std::string suffix(std::string_view text, size_t n) {
  size_t w = display_width(text);
  if (w <= n) return std::string(text);
  size_t skip = w - n, i = 0, cols = 0;
  while (i < text.size()) {
    if (!continuation(text[i])) {
      if (cols == skip) break;
      ++cols;
    }
    ++i;
  }
  return std::string(text.substr(i));
}

// Cuts a line to `width` columns, with an ellipsis where something was cut: at the end, or in the
// middle of a first segment that asks for it when that segment alone is too wide.
Line fit(const Line& line, size_t width) {
  if (width_of(line) <= width) return line;
  if (width == 0) return {};
  if (!line.empty() && line[0].middle && width >= 4 && display_width(line[0].text) >= width) {
    const Seg& s = line[0];
    if (display_width(s.text) == width) return {s};
    size_t tail = (width - 1) / 2, head = width - 1 - tail;
    return {{prefix(s.text, head), s.code}, {std::string(kEllipsis), kDim}, {suffix(s.text, tail), s.code}};
  }
  Line out;
  size_t room = width - 1;  // one column for the ellipsis
  for (const auto& s : line) {
    size_t w = display_width(s.text);
    if (w <= room) {
      out.push_back(s);
      room -= w;
      continue;
    }
    if (room > 0) out.push_back({prefix(s.text, room), s.code});
    break;
  }
  out.push_back({std::string(kEllipsis), kDim});
  return out;
}

std::string emit(const Line& line, bool color) {
  std::string s;
  for (const auto& seg : line) {
    if (color && seg.code != 0 && !seg.text.empty())
      s += fmt::format("\x1b[{}m{}\x1b[0m", seg.code, seg.text);
    else
      s += seg.text;
  }
  return s;
}

// Words laid out left to right with two spaces between them, wrapped at `width`; after `indent`
// spaces on every line. A word wider than a line is cut.
std::vector<Line> flow(const std::vector<Line>& words, size_t indent, size_t width) {
  std::vector<Line> lines;
  size_t room = width > indent ? width - indent : 0;
  if (room == 0) {  // no room after the indent: none
    indent = 0;
    room = width;
  }
  Line cur;
  for (const auto& w : words) {
    Line word = fit(w, room);
    size_t used = width_of(cur);
    if (!cur.empty() && used + 2 + width_of(word) > room) {
      lines.push_back(std::move(cur));
      cur.clear();
      used = 0;
    }
    if (!cur.empty()) cur.push_back({"  ", 0});
    cur.insert(cur.end(), word.begin(), word.end());
  }
  if (!cur.empty()) lines.push_back(std::move(cur));
  for (auto& l : lines) l.insert(l.begin(), Seg{std::string(indent, ' '), 0});
  return lines;
}

Line task_word(const VizTask& t) {
  Line word{{t.label(), kAnsi[t.color % kVizColors], true}};
  if (t.state != "running") word.push_back({" (" + t.state + ")", kDim});
  return word;
}

int state_code(const VizNode& n) { return n.state == "ready" ? kGreen : kRed; }
std::string role_text(const VizNode& n) { return n.leader ? n.role + " (leader)" : n.role; }

// The column of one node: its name, role, state, architecture, a rule, then its tasks.
std::vector<Line> column(const VizNode& n) {
  std::vector<Line> cells{{{n.name, kBold}}, {{role_text(n), 0}}, {{n.state, state_code(n)}}, {{n.architecture, 0}}, {}};
  for (const auto& t : n.tasks) cells.push_back(task_word(t));
  return cells;
}

std::string rule(size_t width) {
  std::string s;
  for (size_t i = 0; i < width; ++i) s += "─";
  return s;
}

// The nodes side by side, or nothing when they do not fit in columns of kMinColumn.
std::vector<Line> side_by_side(const Picture& p, size_t width) {
  size_t n = p.nodes.size();
  size_t gaps = (n - 1) * kSeparatorWidth;
  if (width < gaps + n * kMinColumn) return {};
  std::vector<std::vector<Line>> cols;
  std::vector<size_t> widths;
  size_t natural = gaps, rows = 0;
  for (const auto& node : p.nodes) {
    cols.push_back(column(node));
    size_t w = 0;
    for (const auto& c : cols.back()) w = std::max(w, width_of(c));
    widths.push_back(w);
    natural += w;
    rows = std::max(rows, cols.back().size());
  }
  if (natural > width) {
    // Cut only the columns wider than an equal share, sharing out what the narrow ones leave.
    size_t room = width - gaps, wide = n;
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return widths[a] < widths[b]; });
    for (size_t i : order) {
      size_t share = room / wide;
      widths[i] = std::min(widths[i], share);
      room -= widths[i];
      --wide;
    }
  }
  std::vector<Line> lines;
  for (size_t r = 0; r < rows; ++r) {
    Line line;
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) line.push_back({std::string(kSeparator), 0});
      Line cell = r == 4 ? Line{{rule(widths[i]), 0}} : r < cols[i].size() ? fit(cols[i][r], widths[i]) : Line{};
      size_t pad = widths[i] - width_of(cell);
      line.insert(line.end(), cell.begin(), cell.end());
      if (i + 1 < n && pad > 0) line.push_back({std::string(pad, ' '), 0});
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

// One node after the other: a line about the node, then its tasks indented.
std::vector<Line> stacked(const Picture& p, size_t width) {
  std::vector<Line> lines;
  for (const auto& n : p.nodes) {
    Line head{{n.name, kBold}, {"  " + role_text(n) + "  ", 0}, {n.state, state_code(n)}, {"  " + n.architecture, 0}};
    lines.push_back(fit(head, width));
    std::vector<Line> words;
    for (const auto& t : n.tasks) words.push_back(task_word(t));
    for (auto& l : flow(words, 2, width)) lines.push_back(std::move(l));
  }
  return lines;
}

}  // namespace

size_t display_width(std::string_view text) {
  size_t w = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b') {  // CSI ... final byte
      while (i < text.size() && !(text[i] >= '@' && text[i] <= '~' && text[i] != '[')) ++i;
      continue;
    }
    if (!continuation(text[i])) ++w;
  }
  return w;
}

std::string render_text(const Picture& picture, const TextOptions& o) {
  // The names are the engine's: shown with their control characters escaped, so that the only
  // escape sequences in the picture are its own colours, and the widths count what is shown.
  Picture p = picture;
  auto safe = [](std::string& s) { s = text::escape_controls(s); };
  auto safe_task = [&](VizTask& t) {
    safe(t.service);
    safe(t.state);
  };
  for (auto& n : p.nodes) {
    for (std::string* s : {&n.name, &n.role, &n.state, &n.architecture}) safe(*s);
    for (auto& t : n.tasks) safe_task(t);
  }
  for (auto& t : p.unplaced) safe_task(t);
  for (auto& s : p.services) safe(s.name);
  size_t width = std::max<size_t>(o.width, 1);
  std::vector<Line> lines;
  if (!o.title.empty()) lines.push_back(fit({{o.title, kBold}}, width));
  if (p.nodes.empty()) {
    lines.push_back(fit({{"no nodes", 0}}, width));
  } else {
    auto body = side_by_side(p, width);
    if (body.empty()) body = stacked(p, width);
    lines.insert(lines.end(), body.begin(), body.end());
  }
  if (!p.unplaced.empty()) {
    lines.push_back({});
    lines.push_back(fit({{"not placed yet:", 0}}, width));
    std::vector<Line> words;
    for (const auto& t : p.unplaced) words.push_back(task_word(t));
    for (auto& l : flow(words, 2, width)) lines.push_back(std::move(l));
  }
  if (!p.services.empty()) {
    lines.push_back({});
    std::vector<Line> words;
    for (const auto& s : p.services) {
      Line w;
      if (o.color) w.push_back({"■ ", kAnsi[s.color % kVizColors]});
      w.push_back({fmt::format("{} {}/{}", s.name, s.running, s.tasks), kAnsi[s.color % kVizColors]});
      words.push_back(std::move(w));
    }
    for (auto& l : flow(words, 0, width)) lines.push_back(std::move(l));
  }
  std::string out;
  for (const auto& l : lines) {
    std::string text = emit(l, o.color);
    text.erase(text.find_last_not_of(' ') + 1);  // padding and gaps at the end: spaces only
    out += text + "\n";
  }
  return out;
}

}  // namespace hcl::ops
