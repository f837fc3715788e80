#include "table.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>

#include "context.hpp"

#include <hcl/text.hpp>

#include <algorithm>

namespace hcl::cli {

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add(std::vector<Cell> row) {
  row.resize(headers_.size(), Cell(""));
  rows_.push_back(std::move(row));
}

namespace {

// Printable ASCII (and line breaks if kept): most text is, and needs no copy (hcl ps at 10,000
// tasks renders some 100,000 cells, twice).
bool plain(std::string_view text, bool keep_newlines) {
  return std::all_of(text.begin(), text.end(), [&](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return (c >= 0x20 && c < 0x7f) || (keep_newlines && c == '\n');
  });
}

}  // namespace

std::string safe_text(std::string_view text, bool keep_newlines) {
  if (plain(text, keep_newlines)) return std::string(text);
  if (!keep_newlines) return text::escape_controls(text);
  std::string out;
  for (std::size_t at = 0; at <= text.size();) {
    std::size_t end = std::min(text.find('\n', at), text.size());
    out += text::escape_controls(text.substr(at, end - at));
    if (end < text.size()) out += '\n';
    at = end + 1;
  }
  return out;
}

namespace {

// The table's text, handed to `write` line by line (`flush_at` bytes at a time, 0: at the end).
void render(const Context& ctx, const std::vector<std::string>& headers, std::size_t count,
            const std::function<std::vector<Cell>(std::size_t)>& row, std::size_t flush_at,
            const std::function<void(std::string_view)>& write) {
  std::vector<size_t> width(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) width[i] = headers[i].size();
  // Every cell may come from a server: escaped before it is measured.
  auto made_safe = [](std::vector<Cell> cells) {
    for (auto& c : cells)
      if (!plain(c.text, false)) c.text = text::escape_controls(c.text);
    return cells;
  };
  for (size_t r = 0; r < count; ++r) {
    auto cells = made_safe(row(r));
    for (size_t i = 0; i < cells.size() && i < width.size(); ++i) width[i] = std::max(width[i], cells[i].text.size());
  }

  // Sized up front (colours aside), so that it is never grown by doubling.
  size_t line_size = 1;
  for (size_t w : width) line_size += w + 3;
  std::string out;
  out.reserve(flush_at != 0 ? flush_at + line_size : line_size * (count + 1));
  auto line = [&](std::vector<Cell> cells) {
    cells.resize(headers.size(), Cell(""));
    size_t start = out.size();
    for (size_t i = 0; i < cells.size(); ++i) {
      bool last = i + 1 == cells.size();
      if (cells[i].color) out += ctx.paint(cells[i].text, cells[i].color);
      else out += cells[i].text;
      if (!last) out.append(width[i] - cells[i].text.size() + 3, ' ');
    }
    while (out.size() > start && out.back() == ' ') out.pop_back();
    out += '\n';
    if (flush_at != 0 && out.size() >= flush_at) {
      write(out);
      out.clear();
    }
  };
  line(std::vector<Cell>(headers.begin(), headers.end()));
  for (size_t r = 0; r < count; ++r) line(made_safe(row(r)));
  write(out);
}

}  // namespace

std::string Table::render(const Context& ctx) const {
  std::string out;
  hcl::cli::render(ctx, headers_, rows_.size(), [this](std::size_t i) { return rows_[i]; }, 0,
                   [&out](std::string_view text) { out = text; });
  return out;
}

void write_rows(const Context& ctx, const std::vector<std::string>& headers, std::size_t count,
                const std::function<std::vector<Cell>(std::size_t)>& row) {
  hcl::cli::render(ctx, headers, count, row, 64 * 1024, [&ctx](std::string_view text) { ctx.out(text); });
}

std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(now)), ms);
}

}  // namespace hcl::cli
