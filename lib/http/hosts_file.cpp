// A name's address from the hosts file (hosts_file.hpp).
#include "hosts_file.hpp"

#include <arpa/inet.h>
#include <strings.h>

#include <cstdio>
#include <memory>
#include <string_view>
#include <vector>

namespace hcl::http::detail {
namespace {

constexpr std::size_t kMaxLine = 4096;  // longer lines are not looked at (glibc reads them in pieces)

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// The line's words, up to a '#'.
std::vector<std::string_view> words(std::string_view line) {
  if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r')) ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\n' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Each line of the file, without its newline; false from EACH stops. False if the file cannot be
// read or has a line longer than kMaxLine.
template <typename Each>
bool each_line(const std::string& path, Each&& each) {
  File f(std::fopen(path.c_str(), "re"));
  if (!f) return false;
  char buf[kMaxLine];
  while (std::fgets(buf, sizeof buf, f.get()) != nullptr) {
    std::string_view line(buf);
    if (!line.empty() && line.back() != '\n' && !std::feof(f.get())) return false;
    if (!each(line)) return true;
  }
  return !std::ferror(f.get());
}

// nsswitch.conf's first hosts line, as words after "hosts:" (sources and [STATUS=ACTION] parts);
// nullopt when the file cannot be read or has no hosts line.
std::optional<std::vector<std::string>> hosts_line(const std::string& nsswitch_path) {
  std::optional<std::vector<std::string>> out;
  bool read = each_line(nsswitch_path, [&](std::string_view line) {
    auto w = words(line);
    if (w.empty() || w.front().substr(0, 6) != "hosts:") return true;
    // "hosts:files" and "hosts: files" alike.
    out.emplace();
    if (w.front().size() > 6) out->emplace_back(w.front().substr(6));
    for (auto it = w.begin() + 1; it != w.end(); ++it) out->emplace_back(*it);
    return false;  // glibc takes the first hosts line
  });
  if (!read) return std::nullopt;
  return out;
}

// "hosts: files dns" and the like; files first, with no [STATUS=ACTION] after it.
bool files_first(const std::string& nsswitch_path) {
  auto sources = hosts_line(nsswitch_path);
  return sources && !sources->empty() && (*sources)[0] == "files" &&
         (sources->size() == 1 || (*sources)[1].front() != '[');
}

}  // namespace

bool is_address(std::string_view text) {
  std::string s(text);
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool hosts_sources_built_in(const std::string& nsswitch_path) {
  auto line = hosts_line(nsswitch_path);
  // No file or no hosts line: glibc's default, "dns [!UNAVAIL=return] files".
  if (!line) return true;
  bool in_action = false;
  for (const auto& w : *line) {
    if (in_action || w.front() == '[') {
      in_action = w.back() != ']';
      continue;
    }
    if (w != "files" && w != "dns") return false;
  }
  return true;
}

std::optional<std::string> hosts_file_address(const std::string& name, const std::string& nsswitch_path,
                                              const std::string& hosts_path) {
  if (name.empty() || name.size() > 253 || !files_first(nsswitch_path)) return std::nullopt;
  std::optional<std::string> found;
  bool unsure = false;
  bool read = each_line(hosts_path, [&](std::string_view line) {
    auto w = words(line);
    if (w.size() < 2) return true;
    bool match = false;
    for (std::size_t i = 1; i < w.size() && !match; ++i)
      match = w[i].size() == name.size() && strncasecmp(w[i].data(), name.c_str(), name.size()) == 0;
    if (!match) return true;
    // An address glibc's parser would take differently (a zone, a mapped form...), or a second one.
    if (!is_address(w[0]) || (found && *found != w[0])) {
      unsure = true;
      return false;
    }
    found = std::string(w[0]);
    return true;
  });
  if (!read || unsure) return std::nullopt;
  return found;
}

}  // namespace hcl::http::detail
