// fmt's non-template part, compiled once for the static build (HCL_STATIC_DEPS).
//
// Debian ships fmt as a shared library (libfmt.so.9) and headers, but no static archive. hcl
// links its dependencies in for start-up time (see the top-level CMakeLists.txt), and before
// this file did so with fmt's header-only mode, in which every translation unit that formats
// compiles all of fmt's formatting core again: a third of the build's time. Here that core is
// compiled once instead: format-inl.h holds the definitions the headers only declare, and the
// templates the headers declare "extern" are instantiated for the character types hcl uses.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {
template FMT_API auto thousands_sep_impl<char>(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl(locale_ref) -> char;
template FMT_API auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template FMT_API auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;
template FMT_API locale_ref::locale_ref(const std::locale& loc);
template FMT_API auto locale_ref::get<std::locale>() const -> std::locale;
}  // namespace detail
FMT_END_NAMESPACE
