// What hcl remembers between commands (config.hpp): a small file of "ENDPOINT VERSION" lines.
#include <hcl/config.hpp>

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <vector>

namespace hcl::config {
namespace {

constexpr std::size_t kMaxBytes = 64 * 1024;  // a few hundred engines; a larger file is not ours
constexpr std::size_t kMaxEntries = 64;       // the most recent ones are kept

std::optional<std::filesystem::path> state_file(const Env& env) {
  if (auto x = env("XDG_STATE_HOME"); x && !x->empty() && (*x)[0] == '/') return std::filesystem::path(*x) / "hcl" / "engines";
  if (auto h = env("HOME"); h && !h->empty()) return std::filesystem::path(*h) / ".local" / "state" / "hcl" / "engines";
  return std::nullopt;
}

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
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec) || std::filesystem::file_size(file, ec) > kMaxBytes || ec) return out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
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
  std::error_code ec;
  std::filesystem::create_directories(file->parent_path(), ec);
  // Written aside and renamed into place: two commands at once never leave half a file.
  auto tmp = file->string() + fmt::format(".{}", getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& [e, v] : entries) out << e << ' ' << v << '\n';
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return;
    }
  }
  std::filesystem::rename(tmp, *file, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}

}  // namespace hcl::config
