// Errors as values. The library never prints and never exits: every fallible operation returns
// a Result<T>, and exactly one place (cli/app.cpp) turns an Error into a message on stderr and
// an exit status.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace hcl {

// What went wrong, coarse enough for scripts to branch on. Each kind maps to one documented exit
// status (see exit_status() and the README).
enum class ErrorKind {
  Failed,       // the operation was refused or did not succeed; nothing more specific fits
  Usage,        // bad flags, arguments, environment, configuration or file contents
  Partial,      // part of the answer is missing (e.g. Consul unreachable, Swarm rows shown)
  Server,       // the server answered with an error status or a reply hcl cannot decode
  Unreachable,  // no answer: DNS, connection refused, connect or request timeout
  Tls,          // TLS set-up or verification failed, or the server refused our credentials
  NotFound,     // the named object does not exist
  Conflict,     // the object already exists or was changed concurrently
  Interrupted,  // the user interrupted the command (Ctrl-C)
};

struct Error {
  ErrorKind kind = ErrorKind::Failed;
  std::string what;  // what hcl was doing or which object/endpoint: "GET http://master:2378/nodes"
  std::string why;   // the cause, in words a user can act on

  // "what: why" (or just one of them when the other is empty).
  std::string message() const;
};

// The documented exit status for an error kind (0 is success and never returned here).
int exit_status(ErrorKind kind);

// Adds context to an error on its way up: "creating network demo" + inner.what/why.
Error wrap(Error inner, const std::string& context);

// One error for a batch of which several items failed: the first failure's kind (and so its exit
// status), `what` saying how many failed ("removing 2 of 3 networks failed") and `why` naming
// each ("a: why; b: why").
Error batch_error(const std::vector<std::pair<std::string, Error>>& failures, std::size_t total, std::string_view doing,
                  std::string_view noun);

// A value or an Error. Small on purpose: C++20 has no std::expected.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}        // NOLINT(implicit)
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}    // NOLINT(implicit)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }
  Error& error() { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success carries nothing.
struct Ok {};
using Status = Result<Ok>;
inline Status ok() { return Ok{}; }

}  // namespace hcl
