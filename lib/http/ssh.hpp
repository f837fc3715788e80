// Internal to lib/http: the connections of ssh:// endpoints, for the socket transport. Each is
// the system's OpenSSH client, run with its standard input and output on one end of a unix
// socket pair: the transport speaks HTTP on the other end as on any socket.
#pragma once

#include <hcl/http.hpp>

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace hcl::http::detail {

// ssh's command line for one connection, as the docker CLI runs it, plus what makes it fit a
// tool for scripts: `ssh [-l USER] [-p PORT] -o ConnectTimeout=S -o LogLevel=ERROR
// [-o BatchMode=yes] [-o ControlMaster=auto -o ControlPath=P -o ControlPersist=N] -T -- HOST
// docker [--host unix://PATH] system dial-stdio`, or `... -W FORWARD -- HOST` for a forward.
// batch: nothing may prompt (no terminal to answer it).
std::vector<std::string> ssh_arguments(const Endpoint& endpoint, Millis connect_timeout, bool batch);

// A running ssh: its standard input and output are the other end of `fd`.
struct SshChild {
  pid_t pid = -1;
  int fd = -1;         // the transport's end, non-blocking, close-on-exec
  int stderr_fd = -1;  // what ssh writes on its standard error, non-blocking
};

// Starts ssh for one connection to the endpoint; batch unless standard input is a terminal.
// An error when there is no ssh to run (Usage) or the system refuses a process or socket.
Result<SshChild> ssh_start(const Endpoint& endpoint, Millis connect_timeout);

// How an ssh ended: its exit status (-1: still running after the wait) and the last lines it
// wrote on its standard error, with control characters escaped.
struct SshEnd {
  int status = -1;
  std::string words;
};

// Waits at most `wait` for the ssh to exit (its connection closed) and reads its standard error.
SshEnd ssh_wait(SshChild& child, Millis wait);

// What an ssh's end means, when it ended before the remote host answered: it could not log in or
// did not trust the host's key (Tls: exit 6), the remote has no `docker` (Unreachable), ssh
// could not reach the host (Unreachable). Nothing when its words say none of these: the request
// may then have reached the engine.
std::optional<Error> ssh_error(const SshEnd& end, const Endpoint& endpoint, std::string what);

// Closes the connection; the process is reaped now if it has ended, else by a later call.
void ssh_close(SshChild& child);

}  // namespace hcl::http::detail
