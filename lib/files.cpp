#include <hcl/files.hpp>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <cstdint>
#include <string>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hcl::files {
namespace {

// The kind of a file that is not a regular one, in the words of ls(1).
std::string_view kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a pipe";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Closes the descriptor on every way out.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

bool is_regular(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string size_text(std::size_t bytes) {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

Result<std::string> read_bounded(const std::string& path, const Limits& limits) {
  const std::string cannot = "cannot read " + std::string(limits.noun);
  auto refuse = [&](std::string why) { return Error{ErrorKind::Usage, path, std::move(why)}; };
  struct stat st {};
  // Why not, in the system's words ("no such file or directory", "permission denied", "too
  // many levels of symbolic links"): "cannot read" alone left the user guessing.
  auto failed = [&] {
    std::string why = std::strerror(errno);
    if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    return refuse(cannot + ": " + why);
  };
  if (::stat(path.c_str(), &st) != 0) return failed();
  // A named pipe is opened blocking, to wait for its writer as `cat` would; anything else
  // without blocking (a pipe's open would wait for a writer that may never come), and checked
  // on the descriptor, which is what will be read.
  bool wait_for_writer = S_ISFIFO(st.st_mode) && limits.streams;
  // hcl's SIGINT and SIGTERM handlers do not restart calls: EINTR is the user's Ctrl-C, while a
  // pipe waits for its writer or its next bytes.
  auto interrupted = [&] { return Error{ErrorKind::Interrupted, path, "interrupted while waiting for it"}; };
  Fd in{::open(path.c_str(), O_RDONLY | O_CLOEXEC | (wait_for_writer ? 0 : O_NONBLOCK))};
  if (in.fd < 0 && errno == EINTR) return interrupted();
  if (in.fd < 0) return failed();
  if (::fstat(in.fd, &st) != 0) return failed();
  bool stream = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || (S_ISCHR(st.st_mode) && ::isatty(in.fd));
  if (!S_ISREG(st.st_mode) && !(stream && limits.streams)) {
    if (S_ISDIR(st.st_mode)) return refuse(cannot + ": it is a directory");
    return refuse(cannot + ": it is " + std::string(kind_of(st.st_mode)) + ", not a regular file");
  }
  if (int flags = ::fcntl(in.fd, F_GETFL); flags >= 0) ::fcntl(in.fd, F_SETFL, flags & ~O_NONBLOCK);
  auto too_large = [&] {
    return refuse(std::string(limits.noun) + " is larger than " + size_text(limits.max_bytes) + "; hcl reads " +
                  std::string(limits.plural) + " up to that size");
  };
  if (S_ISREG(st.st_mode) && static_cast<std::uintmax_t>(st.st_size) > limits.max_bytes) return too_large();
  // Read at most one byte past the cap (a stream has no size to check first), in chunks: a
  // buffer of the cap's size, zeroed, would cost a small file ~1,000 page faults.
  std::string text;
  char chunk[64 * 1024];
  while (text.size() <= limits.max_bytes) {
    ssize_t n = ::read(in.fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) return interrupted();
    if (n < 0) return failed();
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  if (text.size() > limits.max_bytes) return too_large();
  return text;
}

}  // namespace hcl::files
