// What hcl remembers between commands (config.hpp): a small file of "ENDPOINT VERSION" lines.
#include <hcl/config.hpp>

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <vector>

namespace hcl::config {
namespace {

constexpr std::size_t kMaxBytes = 64 * 1024;  // a few hundred engines; a larger file is not ours
constexpr std::size_t kMaxEntries = 64;       // the most recent ones are kept

std::optional<std::filesystem::path> state_file(const Env& env, const char* name = "engines") {
  if (auto x = env("XDG_STATE_HOME"); x && !x->empty() && (*x)[0] == '/') return std::filesystem::path(*x) / "hcl" / name;
  if (auto h = env("HOME"); h && !h->empty()) return std::filesystem::path(*h) / ".local" / "state" / "hcl" / name;
  return std::nullopt;
}

// The file's lines; nothing when it is missing, too large or not a regular file.
std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec) || std::filesystem::file_size(file, ec) > kMaxBytes || ec) return out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) out.push_back(std::move(line));
  return out;
}

// Writes the lines aside and renames them into place: two commands at once never leave half a
// file (the last one wins).
void write_lines(const std::filesystem::path& file, const std::vector<std::string>& lines) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  auto tmp = file.string() + fmt::format(".{}", getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& l : lines) out << l << '\n';
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return;
    }
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}

// Text that fits in a field of a state line: no tabs, spaces or line ends.
bool plain(std::string_view t) { return !t.empty() && t.find_first_of(" \t\r\n") == std::string_view::npos; }

bool valid_version(std::string_view v) {
  auto dot = v.find('.');
  auto digits = [](std::string_view d) {
    return !d.empty() && d.size() <= 4 && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return dot != std::string_view::npos && digits(v.substr(0, dot)) && digits(v.substr(dot + 1));
}

// The file's entries, oldest first; nothing when it is missing, too large or not a regular file.
std::vector<std::pair<std::string, std::string>> read_entries(const std::filesystem::path& file) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& line : read_lines(file)) {
    auto space = line.rfind(' ');
    if (space == std::string::npos || space == 0) continue;
    std::string endpoint = line.substr(0, space), version = line.substr(space + 1);
    if (valid_version(version)) out.emplace_back(std::move(endpoint), std::move(version));
  }
  return out;
}

}  // namespace

std::optional<std::string> remembered_api_version(const Env& env, const std::string& endpoint) {
  auto file = state_file(env);
  if (!file) return std::nullopt;
  std::optional<std::string> found;
  for (auto& [e, v] : read_entries(*file))
    if (e == endpoint) found = v;
  return found;
}

void remember_api_version(const Env& env, const std::string& endpoint, const std::string& version) {
  auto file = state_file(env);
  if (!file || !valid_version(version) || endpoint.find_first_of("\n\r") != std::string::npos) return;
  auto entries = read_entries(*file);
  std::erase_if(entries, [&](const auto& e) { return e.first == endpoint; });
  entries.emplace_back(endpoint, version);
  if (entries.size() > kMaxEntries) entries.erase(entries.begin(), entries.end() - kMaxEntries);
  std::vector<std::string> lines;
  for (const auto& [e, v] : entries) lines.push_back(e + ' ' + v);
  write_lines(*file, lines);
}

// A line: ENDPOINT TAB PREFERRED-or-"-" TAB SINCE TAB NAME=ENDPOINT NAME=ENDPOINT...
KnownManagers known_managers(const Env& env, const std::string& endpoint) {
  KnownManagers out;
  auto file = state_file(env, "managers");
  if (!file) return out;
  for (const auto& line : read_lines(*file)) {
    std::vector<std::string> f;
    for (std::size_t start = 0;;) {
      auto tab = line.find('\t', start);
      f.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (f.size() != 4 || f[0] != endpoint) continue;
    KnownManagers k;
    if (f[1] != "-" && plain(f[1])) k.preferred = f[1];
    std::from_chars(f[2].data(), f[2].data() + f[2].size(), k.preferred_at);
    std::string_view rest = f[3];
    while (!rest.empty()) {
      auto space = rest.find(' ');
      auto item = rest.substr(0, space);
      auto eq = item.find('=');
      if (eq != std::string_view::npos && eq > 0 && plain(item.substr(eq + 1)))
        k.managers.push_back({std::string(item.substr(0, eq)), std::string(item.substr(eq + 1))});
      if (space == std::string_view::npos) break;
      rest.remove_prefix(space + 1);
    }
    out = std::move(k);  // the last line for the endpoint wins
  }
  return out;
}

void remember_managers(const Env& env, const std::string& endpoint, const KnownManagers& known) {
  auto file = state_file(env, "managers");
  if (!file || !plain(endpoint)) return;
  std::vector<std::string> lines;
  for (auto& line : read_lines(*file))
    if (line.substr(0, line.find('\t')) != endpoint) lines.push_back(std::move(line));
  std::string managers;
  for (const auto& m : known.managers)
    if (plain(m.name) && m.name.find('=') == std::string::npos && plain(m.endpoint))
      managers += (managers.empty() ? "" : " ") + m.name + "=" + m.endpoint;
  lines.push_back(fmt::format("{}\t{}\t{}\t{}", endpoint, plain(known.preferred) ? known.preferred : "-",
                              known.preferred_at, managers));
  if (lines.size() > kMaxEntries) lines.erase(lines.begin(), lines.end() - kMaxEntries);
  write_lines(*file, lines);
}

}  // namespace hcl::config
