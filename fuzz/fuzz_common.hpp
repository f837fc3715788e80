// Shared by the fuzz targets: a transport that answers with the fuzz input, a scratch directory
// for targets that must read files, and a check that aborts (so libFuzzer, and the replayer in
// CI, report a broken invariant the way they report a crash).
#pragma once

#include <hcl/http.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <unistd.h>

#define FUZZ_CHECK(cond)                                                                   \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);   \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

namespace hcl::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits at the first NUL byte: what comes before, and what comes after (empty when none).
inline std::pair<std::string_view, std::string_view> split_nul(std::string_view in) {
  auto nul = in.find('\0');
  if (nul == std::string_view::npos) return {in, {}};
  return {in.substr(0, nul), in.substr(nul + 1)};
}

// A directory of this process's own, made once, for the files a target writes; removed with
// what is in it when the process exits.
inline const std::string& scratch_dir() {
  struct Scratch {
    std::string path;
    Scratch() {
      const char* base = std::getenv("TMPDIR");
      path = std::string(base && *base ? base : "/tmp") + "/hcl-fuzz-XXXXXX";
      if (!::mkdtemp(path.data())) std::abort();
    }
    ~Scratch() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const Scratch dir;
  return dir.path;
}

inline std::string write_file(const std::string& name, std::string_view content) {
  std::string path = scratch_dir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return path;
}

// Answers every request with one response (the fuzz input as the body), except the targets
// given their own answer. Streams hand the body over in pieces, as a network would.
class FuzzTransport : public http::Transport {
 public:
  explicit FuzzTransport(http::Response answer) : answer_(std::move(answer)) {}

  void on(const std::string& method_and_target, http::Response r) { fixed_[method_and_target] = std::move(r); }

  Result<http::Response> send(const http::Request& request) override {
    ++requests;
    auto it = fixed_.find(request.method + " " + request.target);
    if (it != fixed_.end()) return it->second;
    for (const auto& [prefix, r] : fixed_)
      if (prefix.ends_with("*") && (request.method + " " + request.target).starts_with(prefix.substr(0, prefix.size() - 1)))
        return r;
    return answer_;
  }

  Result<http::Response> stream(const http::Request& request,
                                const std::function<bool(std::string_view)>& on_data) override {
    auto r = send(request);
    if (!r || r->status >= 400) return r;
    deliver(r->body, on_data);
    r->body.clear();
    return r;
  }

  std::vector<Result<http::Response>> stream_all(const std::vector<http::Request>& requests,
                                                 const std::vector<http::BodySink>& sinks) override {
    std::vector<Result<http::Response>> out;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      auto r = send(requests[i]);
      if (r && r->status < 400 && i < sinks.size() && sinks[i]) {
        deliver(r->body, sinks[i]);
        r->body.clear();
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  std::string describe() const override { return "http://fuzz:2378"; }

  int requests = 0;

 private:
  // Uneven pieces, so that a frame or a JSON token split across reads is exercised.
  static void deliver(std::string_view body, const std::function<bool(std::string_view)>& sink) {
    std::size_t piece = 1;
    while (!body.empty()) {
      std::size_t n = std::min(piece, body.size());
      if (!sink(body.substr(0, n))) break;
      body.remove_prefix(n);
      piece = piece * 3 + 1;
    }
  }

  http::Response answer_;
  std::map<std::string, http::Response> fixed_;
};

}  // namespace hcl::fuzz
