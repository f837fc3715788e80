// The SVG renderer of `hcl viz`: fixed geometry in pixels, a monospace font so that text widths
// can be known without measuring them.
#include <hcl/output.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace hcl::output {
namespace {

// Dark enough for white text on each.
constexpr const char* kFill[ops::kVizColors] = {"#2e7d32", "#1565c0", "#6a1b9a", "#00838f", "#bf5b00", "#558b2f",
                                                "#283593", "#ad1457", "#00695c", "#8d6e00", "#4e342e", "#c62828"};
constexpr double kCharWidth = 7.3;  // 12px monospace
constexpr int kMargin = 20, kGap = 16, kHeader = 70, kTaskHeight = 22, kTaskGap = 6, kTitle = 30;
constexpr int kMinColumn = 160, kMaxColumn = 360, kPad = 10;

// One code point decoded from valid UTF-8 at `i` (advancing `i`), or U+FFFD for a bad sequence.
std::uint32_t next_code_point(std::string_view s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return ++i, 0xFFFD;
  std::uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return ++i, 0xFFFD;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  i += len;
  static constexpr std::uint32_t kMinFor[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinFor[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;  // overlong, surrogate
  return cp;
}

bool allowed_in_xml(std::uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
         cp >= 0x10000;
}


std::vector<std::uint32_t> code_points(std::string_view s) {
  std::vector<std::uint32_t> out;
  for (size_t i = 0; i < s.size();) out.push_back(next_code_point(s, i));
  return out;
}

// `text` cut to `max` characters (with an ellipsis), escaped.
std::string cut(std::string_view text, size_t max) {
  auto cps = code_points(text);
  if (cps.size() <= max) return xml_escape(text);
  std::string s;
  for (size_t i = 0; i + 1 < max && i < cps.size(); ++i) text::append_utf8(s, cps[i]);
  return xml_escape(s) + "…";
}

size_t chars_for(int pixels) { return static_cast<size_t>(std::max(1.0, pixels / kCharWidth)); }

std::string task_label(const ops::VizTask& t) {
  return t.state == "running" ? t.label() : t.label() + " (" + t.state + ")";
}

// A box of tasks: a node's, or the tasks no node holds yet (dashed).
struct Box {
  std::string name, role, state, arch;
  bool ready = true, dashed = false;
  const std::vector<ops::VizTask>* tasks;
};

void draw_box(std::string& svg, const Box& b, int x, int y, int w, int h) {
  svg += fmt::format(R"(<g><rect x="{}" y="{}" width="{}" height="{}" rx="8" fill="#f5f5f5" stroke="#616161" stroke-width="1.5"{}/>)",
                     x, y, w, h, b.dashed ? R"( stroke-dasharray="6 4")" : "");
  size_t chars = chars_for(w - 2 * kPad);
  svg += fmt::format(R"(<text x="{}" y="{}" font-size="15" font-weight="bold"><title>{}</title>{}</text>)", x + kPad, y + 22,
                     xml_escape(b.name), cut(b.name, chars * 12 / 15));
  if (!b.role.empty() || !b.state.empty()) {
    svg += fmt::format(R"(<text x="{}" y="{}">{} <tspan fill="{}">{}</tspan></text>)", x + kPad, y + 42, xml_escape(b.role),
                       b.ready ? "#2e7d32" : "#c62828", cut(b.state, chars > b.role.size() + 1 ? chars - b.role.size() - 1 : 1));
  }
  svg += fmt::format(R"(<text x="{}" y="{}" fill="#616161">{}</text>)", x + kPad, y + 60, cut(b.arch, chars));
  int ty = y + kHeader;
  for (const auto& t : *b.tasks) {
    auto label = task_label(t);
    svg += fmt::format(R"(<g><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" rx="4" fill="{}"/>)"
                       R"(<text x="{}" y="{}" fill="#ffffff">{}</text></g>)",
                       xml_escape(label), x + kPad, ty, w - 2 * kPad, kTaskHeight, kFill[t.color % ops::kVizColors],
                       x + 2 * kPad, ty + 15, cut(label, chars_for(w - 4 * kPad)));
    ty += kTaskHeight + kTaskGap;
  }
  svg += "</g>\n";
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    std::uint32_t cp = next_code_point(text, i);
    if (!allowed_in_xml(cp)) cp = 0xFFFD;
    switch (cp) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: text::append_utf8(out, cp);
    }
  }
  return out;
}

std::string picture_svg(const ops::Picture& p) {
  std::vector<Box> boxes;
  for (const auto& n : p.nodes)
    boxes.push_back({n.name, n.leader ? n.role + " (leader)" : n.role, n.state, n.architecture, n.state == "ready", false, &n.tasks});
  if (!p.unplaced.empty()) boxes.push_back({"not placed yet", "", "", "", true, true, &p.unplaced});

  size_t longest = 0, most = 0;
  for (const auto& b : boxes) {
    longest = std::max({longest, code_points(b.name).size() * 15 / 12, b.role.size() + b.state.size() + 1});
    for (const auto& t : *b.tasks) longest = std::max(longest, code_points(task_label(t)).size() + 2);
    most = std::max(most, b.tasks->size());
  }
  int col = std::clamp(static_cast<int>(longest * kCharWidth) + 4 * kPad + 4, kMinColumn, kMaxColumn);
  int box_h = kHeader + static_cast<int>(most) * (kTaskHeight + kTaskGap) + kPad;
  int n = static_cast<int>(std::max<size_t>(boxes.size(), 1));
  int width = std::max(2 * kMargin + n * col + (n - 1) * kGap, 480);

  // The services, laid out in rows under the boxes.
  std::string legend;
  int lx = kMargin, ly = kMargin + kTitle + box_h + 30;
  for (const auto& s : p.services) {
    auto text = fmt::format("{} {}/{}", s.name, s.running, s.tasks);
    int w = 22 + static_cast<int>(std::min<size_t>(code_points(text).size(), 60) * kCharWidth) + 20;
    if (lx > kMargin && lx + w > width - kMargin) lx = kMargin, ly += 24;
    legend += fmt::format(R"(<g><title>{}</title><rect x="{}" y="{}" width="14" height="14" rx="3" fill="{}"/>)"
                          R"(<text x="{}" y="{}">{}</text></g>)" "\n",
                          xml_escape(text), lx, ly - 12, kFill[s.color % ops::kVizColors], lx + 20, ly, cut(text, 60));
    lx += w;
  }
  int height = ly + 20;

  std::string svg = fmt::format(
      R"(<?xml version="1.0" encoding="UTF-8"?>)" "\n"
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="monospace" font-size="12">)" "\n"
      R"(<rect width="100%" height="100%" fill="#ffffff"/>)" "\n"
      R"(<text x="{2}" y="{3}" font-size="16" font-weight="bold">hcl viz: {4} node{5}, {6} service{7}</text>)" "\n",
      width, height, kMargin, kMargin + 10, p.nodes.size(), p.nodes.size() == 1 ? "" : "s", p.services.size(),
      p.services.size() == 1 ? "" : "s");
  if (boxes.empty())
    svg += fmt::format(R"(<text x="{}" y="{}">no nodes</text>)" "\n", kMargin, kMargin + kTitle + 20);
  for (size_t i = 0; i < boxes.size(); ++i)
    draw_box(svg, boxes[i], kMargin + static_cast<int>(i) * (col + kGap), kMargin + kTitle, col, box_h);
  svg += legend;
  svg += "</svg>\n";
  return svg;
}

}  // namespace hcl::output
