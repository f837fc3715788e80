// A Transport that answers from responses recorded from the lab's real engines
// (tests/data/docker), and remembers what it was asked.
#pragma once

#include <hcl/http.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace hcl::testing {

inline std::string read_data(const std::string& name) {
  std::ifstream in(std::string(HCL_TEST_DATA) + "/" + name);
  if (!in) throw std::runtime_error("missing test data file " + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A recorded response file: "HTTP/1.1 409 Conflict", a blank line, then the body.
inline http::Response read_response(const std::string& name) {
  std::string text = read_data(name);
  http::Response r;
  r.status = std::stoi(text.substr(text.find(' ') + 1, 3));
  auto blank = text.find("\n\n");
  r.body = blank == std::string::npos ? "" : text.substr(blank + 2);
  return r;
}

// A response recorded byte for byte with `curl -D`: status line and headers with CRLF line ends,
// an empty line, the body.
inline http::Response read_raw_response(const std::string& name) {
  std::string text = read_data(name);
  http::Response r;
  auto end = text.find("\r\n\r\n");
  if (end == std::string::npos) throw std::runtime_error(name + ": no end of headers");
  std::istringstream head(text.substr(0, end));
  std::string line;
  std::getline(head, line);
  r.status = std::stoi(line.substr(line.find(' ') + 1, 3));
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    r.headers.push_back({line.substr(0, colon), line.substr(line.find_first_not_of(' ', colon + 1))});
  }
  r.body = text.substr(end + 4);
  return r;
}

class RecordedTransport : public http::Transport {
 public:
  // Answers "METHOD TARGET" with the response; an unknown request is a test failure (599 with a
  // body saying so).
  void on(const std::string& method, const std::string& target, http::Response response) {
    answers_[method + " " + target] = {std::move(response)};
  }
  // Answers the same request with each of the bodies in turn; the last one then stays.
  void on_each(const std::string& method, const std::string& target, int status, std::vector<std::string> bodies) {
    auto& answers = answers_[method + " " + target];
    answers.clear();
    for (auto& b : bodies) answers.push_back(http::Response{status, {}, std::move(b)});
  }
  void on_each(const std::string& method, const std::string& target, std::vector<http::Response> responses) {
    answers_[method + " " + target] = std::move(responses);
  }
  void on(const std::string& method, const std::string& target, int status, std::string body,
          std::vector<http::Header> headers = {}) {
    on(method, target, http::Response{status, std::move(headers), std::move(body)});
  }

  Result<http::Response> send(const http::Request& request) override {
    requests.push_back(request);
    auto it = answers_.find(request.method + " " + request.target);
    if (it == answers_.end() || it->second.empty()) {
      if (auto refusal = version_check(request.target)) return *refusal;
      return http::Response{599, {}, "unexpected request " + request.method + " " + request.target};
    }
    http::Response r = it->second.front();
    if (it->second.size() > 1) it->second.erase(it->second.begin());
    return r;
  }
  std::string describe() const override { return "http://recorded:2378"; }

  // An engine's version check, as real engines run it before any handler: once a /_ping answer
  // with an Api-Version header is registered, that is the engine's newest API version, and a
  // versioned request above it that has no answer of its own gets the engine's refusal (the shape
  // of the lab's 20.10 engine's, tests/data/docker/nodes-too-new.txt).
  std::optional<http::Response> version_check(const std::string& target) const {
    auto ping = answers_.find("GET /_ping");
    if (ping == answers_.end() || ping->second.empty() || target.rfind("/v", 0) != 0) return std::nullopt;
    std::string engine = ping->second.front().header("Api-Version");
    std::string asked = target.substr(2, target.find('/', 2) - 2);
    if (engine.empty() || asked.find_first_not_of("0123456789.") != std::string::npos) return std::nullopt;
    auto parts = [](const std::string& v) { return std::pair{std::stoi(v), std::stoi(v.substr(v.find('.') + 1))}; };
    if (parts(asked) <= parts(engine)) return std::nullopt;
    return http::Response{400,
                          {{"Api-Version", engine}, {"Content-Type", "application/json"}, {"Ostype", "linux"}},
                          "{\"message\":\"client version " + asked + " is too new. Maximum supported API version is " +
                              engine + "\"}\n"};
  }

  std::vector<http::Request> requests;
  // How many of them were METHOD.
  std::size_t count(const std::string& method) const {
    return std::count_if(requests.begin(), requests.end(), [&](const auto& r) { return r.method == method; });
  }
  // The targets of the requests made so far, in order.
  std::vector<std::string> targets() const {
    std::vector<std::string> out;
    for (const auto& r : requests) out.push_back(r.target);
    return out;
  }

 private:
  std::map<std::string, std::vector<http::Response>> answers_;
};

}  // namespace hcl::testing
