// ssh:// connections: the system's OpenSSH client (its configuration, agent, keys, known hosts
// and ProxyJump apply) runs `docker system dial-stdio` on the remote host, or forwards to an
// address there (`-W`), with its standard input and output on a unix socket pair. See ssh.hpp.
#include "ssh.hpp"

#include <hcl/text.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

extern char** environ;

namespace hcl::http::detail {
namespace {

constexpr std::size_t kMaxWords = 4096;  // the most of ssh's standard error kept for a message

// Processes closed before they had ended, reaped whenever a connection starts or closes.
std::mutex g_ended_mu;
std::vector<pid_t> g_ended;

void reap_ended() {
  std::lock_guard lock(g_ended_mu);
  std::erase_if(g_ended, [](pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) != 0; });
}

// The control socket's directory, made if missing; only one of ours that no one else can write
// is used (else the connections go without sharing one).
bool control_dir_ok(const std::string& control_path) {
  auto slash = control_path.rfind('/');
  if (slash == std::string::npos || slash == 0) return false;
  std::string dir = control_path.substr(0, slash);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return false;
  struct stat st {};
  return ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() &&
         (st.st_mode & 022) == 0;
}

void drain(int fd, std::string& into) {
  char buffer[1024];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return;
    into.append(buffer, static_cast<std::size_t>(n));
    if (into.size() > kMaxWords) into.erase(0, into.size() - kMaxWords);
  }
}

// ssh's words as one line: its non-empty lines (not the banner's rows of '@') joined with "; ".
std::string one_line(const std::string& raw) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at < raw.size()) {
    std::string_view line = text::next_line(raw, at);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line.find_first_not_of('@') == std::string_view::npos) continue;
    // Notes about the shared session and known hosts, not about what went wrong.
    if (line.starts_with("ControlSocket ") || line.starts_with("Warning: Permanently added")) continue;
    if (line.starts_with("@ ") || line.starts_with("@    ")) {
      line.remove_prefix(1);
      while (!line.empty() && (line.front() == ' ')) line.remove_prefix(1);
      while (!line.empty() && (line.back() == '@' || line.back() == ' ')) line.remove_suffix(1);
    }
    lines.push_back(text::escape_controls(line));
  }
  return text::join(lines, "; ");
}

bool says(const std::string& words, std::initializer_list<const char*> phrases) {
  return std::any_of(phrases.begin(), phrases.end(), [&](const char* p) { return words.find(p) != std::string::npos; });
}

}  // namespace

std::vector<std::string> ssh_arguments(const Endpoint& e, Millis connect_timeout, bool batch) {
  std::vector<std::string> args{"ssh"};
  if (!e.user.empty()) args.insert(args.end(), {"-l", e.user});
  if (e.port != 0) args.insert(args.end(), {"-p", std::to_string(e.port)});
  long long seconds = std::max<long long>(1, (connect_timeout.count() + 999) / 1000);
  args.insert(args.end(), {"-o", fmt::format("ConnectTimeout={}", seconds), "-o", "LogLevel=ERROR"});
  if (batch) args.insert(args.end(), {"-o", "BatchMode=yes"});
  if (!e.ssh.control_path.empty())
    args.insert(args.end(), {"-o", "ControlMaster=auto", "-o", "ControlPath=" + e.ssh.control_path, "-o",
                             e.ssh.persist_seconds > 0 ? fmt::format("ControlPersist={}", e.ssh.persist_seconds)
                                                       : std::string("ControlPersist=no")});
  args.push_back("-T");
  if (!e.ssh.forward.empty()) args.insert(args.end(), {"-W", e.ssh.forward});
  args.insert(args.end(), {"--", e.host});
  if (e.ssh.forward.empty()) {
    args.push_back("docker");
    if (!e.socket_path.empty()) args.insert(args.end(), {"--host", "unix://" + e.socket_path});
    args.insert(args.end(), {"system", "dial-stdio"});
  }
  return args;
}

Result<SshChild> ssh_start(const Endpoint& endpoint, Millis connect_timeout) {
  reap_ended();
  Endpoint e = endpoint;
  if (!e.ssh.control_path.empty() && !control_dir_ok(e.ssh.control_path)) e.ssh.control_path.clear();
  std::vector<std::string> args = ssh_arguments(e, connect_timeout, ::isatty(STDIN_FILENO) == 0);
  auto failed = [&](const char* doing, int err) {
    return Error{ErrorKind::Failed, endpoint.display(), fmt::format("{}: {}", doing, std::strerror(err))};
  };
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return failed("socketpair", errno);
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(pair[0]);
    ::close(pair[1]);
    return failed("pipe", err);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pair[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pair[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  // ssh gets the default dispositions of the signals hcl handles or ignores.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  sigset_t none;  // and no signal blocked, whatever the calling thread blocks
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, "ssh", &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(pair[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(pair[0]);
    ::close(err_pipe[0]);
    if (rc == ENOENT)
      return Error{ErrorKind::Usage, endpoint.display(),
                   "ssh:// needs OpenSSH's `ssh` command, which is not on PATH (Debian: apt install openssh-client)"};
    return failed("starting ssh", rc);
  }
  ::fcntl(pair[0], F_SETFL, ::fcntl(pair[0], F_GETFL) | O_NONBLOCK);
  ::fcntl(err_pipe[0], F_SETFL, ::fcntl(err_pipe[0], F_GETFL) | O_NONBLOCK);
  return SshChild{pid, pair[0], err_pipe[0]};
}

SshEnd ssh_wait(SshChild& child, Millis wait) {
  SshEnd end;
  std::string raw;
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (child.stderr_fd >= 0) drain(child.stderr_fd, raw);
    int status = 0;
    if (child.pid > 0 && ::waitpid(child.pid, &status, WNOHANG) == child.pid) {
      child.pid = -1;
      end.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (child.stderr_fd >= 0) drain(child.stderr_fd, raw);
      break;
    }
    if (child.pid <= 0 || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  end.words = one_line(raw);
  return end;
}

std::optional<Error> ssh_error(const SshEnd& end, const Endpoint& endpoint, std::string what) {
  const std::string& w = end.words;
  std::string said = w.empty() ? fmt::format("ssh ended with status {}", end.status) : w.starts_with("ssh: ") ? w : "ssh: " + w;
  if (says(w, {"Host key verification failed", "REMOTE HOST IDENTIFICATION HAS CHANGED", "host key for",
               "No matching host key"}))
    return Error{ErrorKind::Tls, std::move(what),
                 fmt::format("{} (the host's key is not in ssh's known hosts, or differs from the one there: "
                             "check the key, then accept it with one interactive `ssh {}`)",
                             said, endpoint.host)};
  if (says(w, {"Permission denied", "Too many authentication failures", "Authentication failed"}))
    return Error{ErrorKind::Tls, std::move(what),
                 fmt::format("{} (ssh could not log in: its keys, agent or user for {} are not accepted there)", said,
                             endpoint.host)};
  if (end.status == 127 || says(w, {"command not found", "docker: not found"}))
    return Error{ErrorKind::Unreachable, std::move(what),
                 fmt::format("{} (the remote host has no `docker` command on its PATH for ssh sessions: "
                             "`docker system dial-stdio` needs Docker's CLI there)",
                             said)};
  if (end.status == 255 || says(w, {"Could not resolve hostname", "Connection refused", "Connection timed out",
                                    "No route to host", "Cannot connect to the Docker daemon", "open failed"}))
    return Error{ErrorKind::Unreachable, std::move(what), said};
  return std::nullopt;
}

void ssh_close(SshChild& child) {
  if (child.fd >= 0) ::close(child.fd);
  if (child.stderr_fd >= 0) ::close(child.stderr_fd);
  child.fd = child.stderr_fd = -1;
  if (child.pid > 0 && ::waitpid(child.pid, nullptr, WNOHANG) == 0) {
    std::lock_guard lock(g_ended_mu);
    g_ended.push_back(child.pid);
  }
  child.pid = -1;
  reap_ended();
}

}  // namespace hcl::http::detail
