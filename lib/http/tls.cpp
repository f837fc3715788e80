// TLS diagnostics: reading a client certificate's validity period (to say "it expired on ..."
// when a server refuses it; dockerd sends the same TLS alert for every refusal), without a
// crypto library: base64, then the few DER fields before the validity.
#include <hcl/http.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>

namespace hcl::http {
namespace {



// One DER element: its tag and contents; `rest` is what follows it.
struct Element {
  unsigned char tag = 0;
  std::string_view contents;
  std::string_view rest;
};

std::optional<Element> next_element(std::string_view der) {
  if (der.size() < 2) return std::nullopt;
  Element e;
  e.tag = static_cast<unsigned char>(der[0]);
  size_t len = static_cast<unsigned char>(der[1]);
  size_t header = 2;
  if (len & 0x80) {
    size_t n = len & 0x7F;
    if (n == 0 || n > 4 || der.size() < 2 + n) return std::nullopt;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | static_cast<unsigned char>(der[2 + i]);
    header += n;
  }
  if (der.size() - header < len) return std::nullopt;
  e.contents = der.substr(header, len);
  e.rest = der.substr(header + len);
  return e;
}

// UTCTime (YYMMDDHHMMSSZ, tag 0x17) or GeneralizedTime (YYYYMMDDHHMMSSZ, tag 0x18).
std::optional<std::int64_t> der_time(const Element& e) {
  std::string_view s = e.contents;
  size_t year_digits = e.tag == 0x17 ? 2 : e.tag == 0x18 ? 4 : 0;
  if (year_digits == 0 || s.size() != year_digits + 11 || s.back() != 'Z') return std::nullopt;
  for (size_t i = 0; i + 1 < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  auto num = [&](size_t pos, size_t n) {
    int v = 0;
    for (size_t i = 0; i < n; ++i) v = v * 10 + (s[pos + i] - '0');
    return v;
  };
  int year = num(0, year_digits);
  if (year_digits == 2) year += year < 50 ? 2000 : 1900;  // RFC 5280 4.1.2.5.1
  size_t p = year_digits;
  int month = num(p, 2), day = num(p + 2, 2), hour = num(p + 4, 2), minute = num(p + 6, 2),
      second = num(p + 8, 2);
  std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                  std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  auto days = std::chrono::sys_days{ymd}.time_since_epoch();
  return std::chrono::duration_cast<std::chrono::seconds>(days).count() + hour * 3600 + minute * 60 + second;
}

}  // namespace

Result<CertificateValidity> certificate_validity(std::string_view pem) {
  constexpr std::string_view begin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view end = "-----END CERTIFICATE-----";
  size_t b = pem.find(begin);
  size_t e = b == std::string_view::npos ? b : pem.find(end, b);
  if (e == std::string_view::npos) return Error{ErrorKind::Tls, "", "no PEM certificate (-----BEGIN CERTIFICATE-----)"};
  auto der = text::base64_decode(pem.substr(b + begin.size(), e - b - begin.size()), text::Base64Layout::Pem);
  if (!der) return Error{ErrorKind::Tls, "", "the PEM certificate is not valid base64"};
  auto bad = Error{ErrorKind::Tls, "", "the certificate is not a DER X.509 certificate"};
  // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
  //   signature AlgorithmIdentifier, issuer Name, validity SEQUENCE { notBefore, notAfter } ...
  auto cert = next_element(*der);
  if (!cert || cert->tag != 0x30) return bad;
  auto tbs = next_element(cert->contents);
  if (!tbs || tbs->tag != 0x30) return bad;
  auto field = next_element(tbs->contents);
  if (field && field->tag == 0xA0) field = next_element(field->rest);  // version
  if (!field || field->tag != 0x02) return bad;                        // serialNumber
  field = next_element(field->rest);
  if (!field || field->tag != 0x30) return bad;                        // signature
  field = next_element(field->rest);
  if (!field || field->tag != 0x30) return bad;                        // issuer
  field = next_element(field->rest);
  if (!field || field->tag != 0x30) return bad;                        // validity
  auto not_before = next_element(field->contents);
  if (!not_before) return bad;
  auto not_after = next_element(not_before->rest);
  if (!not_after) return bad;
  auto nb = der_time(*not_before), na = der_time(*not_after);
  if (!nb || !na) return bad;
  return CertificateValidity{*nb, *na};
}

std::string format_utc(std::int64_t seconds) {
  auto tp = std::chrono::sys_seconds{std::chrono::seconds{seconds}};
  auto day = std::chrono::floor<std::chrono::days>(tp);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss hms{tp - day};
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02} UTC", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count());
}

std::string explain_client_certificate_refusal(const TlsOptions& tls, std::int64_t now) {
  if (tls.cert_file.empty())
    return "the server requires a client certificate and none was given (--tlscert and --tlskey, or "
           "cert.pem and key.pem in DOCKER_CERT_PATH; CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY for Consul)";
  std::ifstream in(tls.cert_file);
  std::stringstream text;
  text << in.rdbuf();
  if (auto v = certificate_validity(text.str())) {
    if (now > v->not_after)
      return fmt::format("the server refused the client certificate {}: it expired on {}", tls.cert_file,
                         format_utc(v->not_after));
    if (now < v->not_before)
      return fmt::format("the server refused the client certificate {}: it is not valid before {}",
                         tls.cert_file, format_utc(v->not_before));
  }
  return fmt::format("the server refused the client certificate {} (is it signed by the CA the server trusts?)",
                     tls.cert_file);
}

}  // namespace hcl::http
