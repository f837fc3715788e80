#include "table.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>

#include "context.hpp"

#include <algorithm>

namespace hcl::cli {

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add(std::vector<Cell> row) {
  row.resize(headers_.size(), Cell(""));
  rows_.push_back(std::move(row));
}

std::string Table::render(const Context& ctx) const {
  std::vector<size_t> width(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) width[i] = headers_[i].size();
  for (const auto& r : rows_)
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].text.size());

  std::string out;
  auto line = [&](const std::vector<Cell>& cells) {
    std::string l;
    for (size_t i = 0; i < cells.size(); ++i) {
      bool last = i + 1 == cells.size();
      std::string text = cells[i].color ? ctx.paint(cells[i].text, cells[i].color) : cells[i].text;
      l += text;
      if (!last) l.append(width[i] - cells[i].text.size() + 3, ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  std::vector<Cell> head(headers_.begin(), headers_.end());
  line(head);
  for (const auto& r : rows_) line(r);
  return out;
}

std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(now)), ms);
}

}  // namespace hcl::cli
