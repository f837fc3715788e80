// Several endpoints of one cluster, the first that answers used for the whole command: see
// FailoverTransport in include/hcl/http.hpp.
#include <hcl/http.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace hcl::http {
namespace {

bool is_read(const Request& r) { return r.method == "GET" || r.method == "HEAD"; }

// An answer that says "ask another endpoint": none (unreachable), or 503 (no manager here).
bool passes_on(const Result<Response>& r) {
  if (!r) return r.error().kind == ErrorKind::Unreachable;
  return r->status == 503;
}

std::string why_of(const Result<Response>& r) {
  if (!r) return r.error().why;
  return fmt::format("answered {} (no manager to ask there)", r->status);
}

// Overloads for one answer and for a batch: whether any came, and the (first) reason for none.
bool answered(const Result<Response>& r) { return r.ok(); }
bool answered(const std::vector<Result<Response>>& rs) {
  return std::any_of(rs.begin(), rs.end(), [](const auto& r) { return r.ok(); });
}
std::string why_of(const std::vector<Result<Response>>& rs) { return why_of(rs.front()); }

}  // namespace

FailoverTransport::FailoverTransport(std::vector<std::unique_ptr<Transport>> endpoints, Notice notice)
    : endpoints_(std::move(endpoints)), notice_(std::move(notice)) {}

std::string FailoverTransport::describe() const { return endpoints_[chosen_.value_or(0)]->describe(); }

void FailoverTransport::set_cancel(const std::atomic<bool>* flag) {
  for (auto& e : endpoints_) e->set_cancel(flag);
}

void FailoverTransport::prepare() {
  if (!endpoints_.empty()) endpoints_[chosen_.value_or(0)]->prepare();
}

void FailoverTransport::prefetch(const Request& request) {
  if (!endpoints_.empty()) endpoints_[chosen_.value_or(0)]->prefetch(request);
}

void FailoverTransport::pin(std::size_t i) {
  chosen_ = i;
  if (notice_) notice_(i, passed_over_);
}

Error FailoverTransport::none_answered() const {
  std::vector<std::string> each;
  for (const auto& s : passed_over_) each.push_back(s.endpoint + ": " + s.why);
  return Error{ErrorKind::Unreachable, fmt::format("{} endpoints of the cluster", endpoints_.size()),
               "none answered (" + text::join(each, "; ") + ")"};
}

template <class R>
R FailoverTransport::first_answer(const std::function<R(Transport&)>& attempt,
                                  const std::function<bool(const R&)>& moves_on,
                                  const std::function<R(Error)>& all_failed) {
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    R result = attempt(*endpoints_[i]);
    if (!moves_on(result)) {
      pin(i);
      return result;
    }
    if (i + 1 == endpoints_.size() && answered(result)) {
      chosen_ = i;  // the last one's own 503: the caller decodes what it says
      return result;
    }
    passed_over_.push_back({endpoints_[i]->describe(), why_of(result)});
  }
  return all_failed(none_answered());
}

Status FailoverTransport::choose() {
  if (chosen_) return ok();
  Request ping{"GET", "/_ping"};
  auto r = first_answer<Result<Response>>([&](Transport& t) { return t.send(ping); }, passes_on,
                                          [](Error e) -> Result<Response> { return e; });
  if (!chosen_) return r.error();  // none answered
  return ok();  // the one that answered, or the last with its 503 or error: the request itself says why
}

Result<Response> FailoverTransport::send(const Request& request) {
  if (!chosen_ && !is_read(request))
    if (auto s = choose(); !s) return s.error();
  if (chosen_) return endpoints_[*chosen_]->send(request);
  return first_answer<Result<Response>>([&](Transport& t) { return t.send(request); }, passes_on,
                                        [](Error e) -> Result<Response> { return e; });
}

namespace {
using Results = std::vector<Result<Response>>;
bool all_pass_on(const Results& rs) { return std::all_of(rs.begin(), rs.end(), passes_on); }
std::function<Results(Error)> errors_for(std::size_t n) {
  return [n](Error e) { return Results(n, Result<Response>(e)); };
}
}  // namespace

std::vector<Result<Response>> FailoverTransport::send_all(const std::vector<Request>& requests) {
  if (requests.empty()) return {};
  if (!chosen_ && !std::all_of(requests.begin(), requests.end(), is_read))
    if (auto s = choose(); !s) return Results(requests.size(), Result<Response>(s.error()));
  if (chosen_) return endpoints_[*chosen_]->send_all(requests);
  return first_answer<Results>([&](Transport& t) { return t.send_all(requests); }, all_pass_on,
                               errors_for(requests.size()));
}

std::vector<Result<Response>> FailoverTransport::stream_all(const std::vector<Request>& requests,
                                                            const std::vector<BodySink>& sinks) {
  if (requests.empty()) return {};
  if (!chosen_ && !std::all_of(requests.begin(), requests.end(), is_read))
    if (auto s = choose(); !s) return Results(requests.size(), Result<Response>(s.error()));
  if (chosen_) return endpoints_[*chosen_]->stream_all(requests, sinks);
  // A sink that has had part of an answer cannot take another endpoint's: once one has, the
  // endpoint is kept, whatever the results.
  bool fed = false;
  std::vector<BodySink> watched;
  watched.reserve(sinks.size());
  for (const auto& sink : sinks)
    watched.push_back(sink ? BodySink([&fed, &sink](std::string_view piece) {
      fed = true;
      return sink(piece);
    })
                           : BodySink{});
  return first_answer<Results>([&](Transport& t) { return t.stream_all(requests, watched); },
                               [&fed](const Results& rs) { return !fed && all_pass_on(rs); }, errors_for(requests.size()));
}

Result<Response> FailoverTransport::stream(const Request& request, const std::function<bool(std::string_view)>& on_data) {
  if (!chosen_ && !is_read(request))
    if (auto s = choose(); !s) return s.error();
  if (chosen_) return endpoints_[*chosen_]->stream(request, on_data);
  bool fed = false;
  auto watched = [&fed, &on_data](std::string_view piece) {
    fed = true;
    return on_data(piece);
  };
  return first_answer<Result<Response>>([&](Transport& t) { return t.stream(request, watched); },
                                        [&fed](const Result<Response>& r) { return !fed && passes_on(r); },
                                        [](Error e) -> Result<Response> { return e; });
}

}  // namespace hcl::http
