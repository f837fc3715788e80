#include <hcl/error.hpp>
#include <hcl/text.hpp>

namespace hcl {

std::string Error::message() const {
  if (what.empty()) return why;
  if (why.empty()) return what;
  return what + ": " + why;
}

int exit_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Failed: return 1;
    case ErrorKind::Usage: return 2;
    case ErrorKind::Partial: return 3;
    case ErrorKind::Server: return 4;
    case ErrorKind::Unreachable: return 5;
    case ErrorKind::Tls: return 6;
    case ErrorKind::NotFound: return 7;
    case ErrorKind::Conflict: return 8;
    case ErrorKind::Interrupted: return 130;
  }
  return 1;
}

Error wrap(Error inner, const std::string& context) {
  inner.what = inner.what.empty() ? context : context + ": " + inner.what;
  return inner;
}

Error batch_error(const std::vector<std::pair<std::string, Error>>& failures, std::size_t total, std::string_view doing,
                  std::string_view noun) {
  std::vector<std::string> each;
  for (const auto& [name, e] : failures) each.push_back(name + ": " + e.why);
  std::string why = text::join(each, "; ");
  ErrorKind kind = failures.empty() ? ErrorKind::Failed : failures.front().second.kind;
  return Error{kind, std::string(doing) + " " + std::to_string(failures.size()) + " of " + std::to_string(total) + " " +
                         std::string(noun) + "s failed",
               why};
}

}  // namespace hcl
