#include <hcl/files.hpp>
#include <hcl/text.hpp>

#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace hcl;

namespace {

using hcl::testing::TempDir;

const files::Limits kSmall{"the test file", "test files", 16};
const files::Limits kSmallStreams{"the test file", "test files", 16, true};

}  // namespace

TEST_CASE("read_bounded: a regular file up to its cap, whole") {
  TempDir dir;
  auto r = files::read_bounded(dir.write("ok", "0123456789abcdef"), kSmall);
  REQUIRE(r.ok());
  CHECK(*r == "0123456789abcdef");
  auto empty = files::read_bounded(dir.write("empty", ""), kSmall);
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("read_bounded: too large, missing, a directory, a device: errors naming the file, nothing quoted") {
  TempDir dir;
  std::string big = dir.write("big", "0123456789abcdef!");
  auto r = files::read_bounded(big, kSmall);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Usage);
  CHECK(r.error().what == big);
  CHECK(r.error().why == "the test file is larger than 16 bytes; hcl reads test files up to that size");

  auto missing = files::read_bounded((dir.path / "none").string(), kSmall);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().why == "cannot read the test file: no such file or directory");

  auto directory = files::read_bounded(dir.path.string(), kSmallStreams);
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.error().what == dir.path.string());
  CHECK(directory.error().why == "cannot read the test file: it is a directory");

  // Endless devices are refused before a byte is read, streams allowed or not.
  for (const auto* limits : {&kSmall, &kSmallStreams}) {
    auto zero = files::read_bounded("/dev/zero", *limits);
    REQUIRE_FALSE(zero.ok());
    CHECK(zero.error().why == "cannot read the test file: it is a character device, not a regular file");
  }
}

TEST_CASE("read_bounded: a pipe only where streams are allowed, and still capped") {
  TempDir dir;
  std::string fifo = (dir.path / "fifo").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Refused without waiting for a writer.
  auto refused = files::read_bounded(fifo, kSmall);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().why == "cannot read the test file: it is a pipe, not a regular file");

  auto feed = [&](std::string text) {
    return std::thread([fifo, text] { std::ofstream(fifo, std::ios::binary) << text; });
  };
  std::thread writer = feed("services: {}\n");
  auto small = files::read_bounded(fifo, kSmallStreams);
  writer.join();
  REQUIRE(small.ok());
  CHECK(*small == "services: {}\n");

  // One write below PIPE_BUF: whole in the pipe before the reader can stop and close it.
  writer = feed(std::string(1000, 'x'));
  auto endless = files::read_bounded(fifo, kSmallStreams);
  REQUIRE_FALSE(endless.ok());
  CHECK(endless.error().why == "the test file is larger than 16 bytes; hcl reads test files up to that size");
  writer.join();
}

TEST_CASE("size_text") {
  CHECK(files::size_text(4 * 1024 * 1024) == "4 MiB");
  CHECK(files::size_text(4096) == "4 KiB");
  CHECK(files::size_text(1000) == "1000 bytes");
}

TEST_CASE("escape_controls and excerpt: control characters and broken UTF-8 shown as escapes") {
  CHECK(text::escape_controls("plain ünïcode") == "plain ünïcode");
  CHECK(text::escape_controls("a\x1b[2Jb\r\n\a") == "a\\x1b[2Jb\\x0d\\x0a\\x07");
  CHECK(text::escape_controls(std::string("nul\0x", 5)) == "nul\\x00x");
  CHECK(text::escape_controls("bad \xff byte, DEL \x7f") == "bad \\xff byte, DEL \\x7f");
  CHECK(text::escape_controls("C1 \xc2\x9b") == "C1 \\u009b");
  CHECK(text::excerpt("0123456789", 4) == "0123...");
  CHECK(text::excerpt("0123", 4) == "0123");
  CHECK(text::excerpt("ü\x01ü", 2) == "ü\\x01...");
}

TEST_CASE("next_line walks a text line by line, LF or CRLF, a last line without a break too") {
  const std::string_view text = "a=1\r\n\nb=2\nlast";
  std::vector<std::string_view> lines;
  for (std::size_t at = 0; at < text.size();) lines.push_back(text::next_line(text, at));
  CHECK(lines == std::vector<std::string_view>{"a=1", "", "b=2", "last"});
  std::size_t at = 0;
  CHECK(text::next_line("x\n", at) == "x");
  CHECK(at == 2);  // past the end: the loop stops, no empty line after a final break
}
