// A name's addresses through getent (getent.hpp).
#include "getent.hpp"
#include "hosts_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

extern char** environ;

namespace hcl::http::detail {
namespace {
constexpr std::size_t kMaxOutput = 64 * 1024;  // a name has a handful of addresses; more is not getent
}  // namespace

bool libc_linked_in() {
  // The dynamic loader's base address; 0 when there is none (static and static-pie executables).
  return getauxval(AT_BASE) == 0;
}

std::vector<std::string> stream_addresses(std::string_view output) {
  std::vector<std::string> out;
  while (!output.empty()) {
    auto nl = output.find('\n');
    std::string_view line = output.substr(0, nl);
    output = nl == std::string_view::npos ? std::string_view{} : output.substr(nl + 1);
    auto end = line.find_first_of(" \t");
    if (end == std::string_view::npos || end == 0) continue;
    std::string_view address = line.substr(0, end);
    auto type_at = line.find_first_not_of(" \t", end);
    if (type_at == std::string_view::npos) continue;
    std::string_view type = line.substr(type_at, line.find_first_of(" \t", type_at) - type_at);
    if (type != "STREAM") continue;
    if (std::find(out.begin(), out.end(), address) == out.end()) out.emplace_back(address);
  }
  return out;
}

std::optional<std::vector<std::string>> getent_addresses(const std::string& name) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;  // no signal blocked in getent, whatever the calling thread blocks
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  std::string program = "getent", what = "ahosts", end_of_options = "--", word = name;
  char* argv[] = {program.data(), what.data(), end_of_options.data(), word.data(), nullptr};
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, "getent", &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    return std::nullopt;
  }
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (text.size() < kMaxOutput) text.append(buf, static_cast<std::size_t>(std::min<ssize_t>(n, kMaxOutput - text.size())));
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // getent: 0 found, 2 not found; anything else (1, a signal) is getent failing.
  if (!WIFEXITED(status)) return std::nullopt;
  if (WEXITSTATUS(status) == 2) return std::vector<std::string>{};
  if (WEXITSTATUS(status) != 0) return std::nullopt;
  return stream_addresses(text);
}

std::optional<std::vector<std::string>> addresses_beyond_libc(const std::string& name) {
  if (name.empty() || is_address(name) || !libc_linked_in() || hosts_sources_built_in()) return std::nullopt;
  return getent_addresses(name);
}

}  // namespace hcl::http::detail
