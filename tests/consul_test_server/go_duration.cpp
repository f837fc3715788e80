#include "go_duration.hpp"

#include <cstdint>
#include <limits>

namespace hcl::testing::cts {
namespace {

struct Unit {
  std::string_view name;
  std::uint64_t nanos;
};

// Longest names first so "ms" is not read as "m" followed by garbage.
constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // U+00B5 micro sign
    {"\xCE\xBCs", 1'000},  // U+03BC Greek mu
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60ULL * 1'000'000'000},
    {"h", 3600ULL * 1'000'000'000},
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Takes the low prec decimal digits off v and returns them as ".ddd" without trailing zeros
// (empty when all are zero), leaving v as the integer part: Go's fmtFrac.
std::string frac_text(std::uint64_t& v, int prec) {
  std::string digits;
  bool printed = false;
  for (int i = 0; i < prec; ++i) {
    auto digit = static_cast<char>('0' + v % 10);
    printed = printed || digit != '0';
    if (printed) digits.insert(digits.begin(), digit);
    v /= 10;
  }
  return printed ? "." + digits : std::string{};
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds{0};
  if (s.empty()) return std::nullopt;

  constexpr std::uint64_t kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t total = 0;
  while (!s.empty()) {
    // The number: digits, optionally a dot and more digits; at least one digit overall.
    std::uint64_t whole = 0;
    std::size_t i = 0;
    bool overflow = false;
    while (i < s.size() && is_digit(s[i])) {
      if (whole > (kMax - (s[i] - '0')) / 10) overflow = true;
      whole = whole * 10 + static_cast<std::uint64_t>(s[i] - '0');
      ++i;
    }
    bool had_whole = i > 0;
    std::uint64_t frac = 0;
    std::uint64_t scale = 1;
    bool had_frac = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && is_digit(s[i])) {
        had_frac = true;
        if (scale < 1'000'000'000'000'000'000ULL) {  // extra digits cannot matter
          frac = frac * 10 + static_cast<std::uint64_t>(s[i] - '0');
          scale *= 10;
        }
        ++i;
      }
    }
    if (overflow || (!had_whole && !had_frac)) return std::nullopt;
    s.remove_prefix(i);

    // The unit: required.
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (s.substr(0, u.name.size()) == u.name &&
          (unit == nullptr || u.name.size() > unit->name.size())) {
        unit = &u;
      }
    }
    if (unit == nullptr) return std::nullopt;
    s.remove_prefix(unit->name.size());

    if (whole > kMax / unit->nanos) return std::nullopt;
    std::uint64_t value = whole * unit->nanos;
    // The fraction, in long double: exact enough for the digits a person types.
    auto frac_nanos = static_cast<std::uint64_t>(static_cast<long double>(frac) *
                                                 static_cast<long double>(unit->nanos) /
                                                 static_cast<long double>(scale));
    value += frac_nanos;
    if (value > kMax || total > kMax - value) return std::nullopt;
    total += value;
  }
  auto signed_total = static_cast<std::int64_t>(total);
  return std::chrono::nanoseconds{negative ? -signed_total : signed_total};
}

std::string format_go_duration(std::chrono::nanoseconds d) {
  std::int64_t n = d.count();
  if (n == 0) return "0s";
  bool negative = n < 0;
  // Two's complement: the magnitude of INT64_MIN still fits in uint64.
  std::uint64_t u = negative ? ~static_cast<std::uint64_t>(n) + 1 : static_cast<std::uint64_t>(n);
  std::string out;
  if (u < 1'000'000'000ULL) {
    // Below a second: one unit, with a fraction.
    int prec = 0;
    std::string unit;
    if (u < 1'000ULL) {
      unit = "ns";
    } else if (u < 1'000'000ULL) {
      prec = 3;
      unit = "\xC2\xB5s";
    } else {
      prec = 6;
      unit = "ms";
    }
    std::string frac = frac_text(u, prec);
    out = std::to_string(u) + frac + unit;
  } else {
    std::string frac = frac_text(u, 9);  // u is now whole seconds
    std::string secs = std::to_string(u % 60) + frac + "s";
    u /= 60;
    if (u > 0) {
      std::string mins = std::to_string(u % 60) + "m";
      u /= 60;
      out = (u > 0 ? std::to_string(u) + "h" : std::string{}) + mins + secs;
    } else {
      out = secs;
    }
  }
  return negative ? "-" + out : out;
}

}  // namespace hcl::testing::cts
