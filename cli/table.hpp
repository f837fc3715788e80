// Column-aligned tables for people. Cells may carry a colour, applied after padding so that
// escape codes never shift the columns.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hcl::cli {

class Context;

struct Cell {
  std::string text;
  int color = 0;  // 0: none; otherwise an ANSI colour code
  Cell(std::string t, int c = 0) : text(std::move(t)), color(c) {}  // NOLINT(implicit)
  Cell(const char* t, int c = 0) : text(t), color(c) {}              // NOLINT(implicit)
};

class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void add(std::vector<Cell> row);
  std::string render(const Context& ctx) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<Cell>> rows_;
};

// Text from a server (names, task messages) or a file, made safe to show on a terminal:
// control characters and broken UTF-8 as \xNN escapes (text::escape_controls), so that an
// escape sequence in a task's error cannot clear the screen or fake a line; with
// `keep_newlines`, line breaks stay (multi-line error messages). Plain text is returned as it
// is. JSON output never goes through here: it stays exact.
std::string safe_text(std::string_view text, bool keep_newlines = false);

// Writes `count` rows made on demand by `row` (asked twice for each: for the column widths,
// then for the text) to the context's output in pieces of about 64 KB, for listings too long to
// hold as cells or as text (hcl ps at 10,000 tasks: 1 MB of table).
void write_rows(const Context& ctx, const std::vector<std::string>& headers, std::size_t count,
                const std::function<std::vector<Cell>(std::size_t)>& row);

// The wall clock as RFC 3339 with milliseconds, UTC, for the lines of the --watch modes.
std::string now_rfc3339();

}  // namespace hcl::cli
