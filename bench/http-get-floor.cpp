// http-get-floor ADDRESS PORT TARGET: one HTTP/1.1 GET and nothing else, for bench/run.
//
// The least any client can do for a command that is one request: start, connect, send the
// request, read the answer to its end, exit. bench/run times it on the same request as hcl's
// unchanged re-deploy (taken from hcl's -v log), so that each run shows how much of that
// command is the engine's answer and the process's start and end, and how much is hcl's own
// work. It parses nothing (the answer is only checked to be a 200) and is not a client to use.
// ADDRESS is numeric (bench/run resolves the name first: no lookup is timed).
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: http-get-floor ADDRESS PORT TARGET\n");
    return 2;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* a = nullptr;
  if (int rc = getaddrinfo(argv[1], argv[2], &hints, &a); rc != 0) {
    std::fprintf(stderr, "http-get-floor: %s:%s: %s\n", argv[1], argv[2], gai_strerror(rc));
    return 2;
  }
  int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
    std::fprintf(stderr, "http-get-floor: connect %s:%s: %s\n", argv[1], argv[2], std::strerror(errno));
    return 1;
  }
  std::string request = std::string("GET ") + argv[3] + " HTTP/1.1\r\nHost: " + argv[1] + "\r\nConnection: close\r\n\r\n";
  for (std::size_t sent = 0; sent < request.size();) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::fprintf(stderr, "http-get-floor: send: %s\n", std::strerror(errno));
      return 1;
    }
    sent += static_cast<std::size_t>(n);
  }
  // Read to the end (the server closes after its answer); keep only the status line's start.
  static char buf[1 << 16];
  char head[13] = {};
  std::size_t total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::fprintf(stderr, "http-get-floor: read: %s\n", std::strerror(errno));
      return 1;
    }
    if (n == 0) break;
    if (total < sizeof head - 1)
      std::memcpy(head + total, buf, std::min(static_cast<std::size_t>(n), sizeof head - 1 - total));
    total += static_cast<std::size_t>(n);
  }
  if (std::strncmp(head, "HTTP/1.1 200", 12) != 0) {
    std::fprintf(stderr, "http-get-floor: %s: answer %s\n", argv[3], total ? head : "(none)");
    return 1;
  }
  return 0;
}
