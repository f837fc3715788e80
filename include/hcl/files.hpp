// Reading a whole small file the user named (a config file, a token file, a manifest, an env
// file) with a cap: a path may name a directory, a device or an endless stream, and hcl must
// neither read forever nor take /dev/zero's bytes for a file's.
#pragma once

#include <hcl/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace hcl::files {

struct Limits {
  std::string_view noun;    // what the file is to the user, with its article: "the manifest"
  std::string_view plural;  // what hcl reads, for the cap's message: "compose files"
  std::size_t max_bytes = 0;
  // Pipes and terminals too (`hcl deploy <(cat x.yml)`), still read up to max_bytes; otherwise
  // regular files only.
  bool streams = false;
};

// The file's bytes, or a usage error whose `what` is the path and whose `why` says what was
// wrong without quoting the file: "cannot read the manifest" (it cannot be opened), "cannot read
// the manifest: it is a directory", "the manifest is larger than 4 MiB; hcl reads compose files
// up to that size". A pipe with no writer yet blocks until one opens it; nothing else blocks.
Result<std::string> read_bounded(const std::string& path, const Limits& limits);

// Whether `path` names a regular file (following symlinks): one that read_bounded would read.
bool is_regular(const std::string& path);

// "4 MiB", "4 KiB" or "123 bytes".
std::string size_text(std::size_t bytes);

}  // namespace hcl::files
