// TLS diagnostics: a certificate's validity period read from PEM, and the words hcl uses when a
// server refuses its client certificate.
#include <hcl/http.hpp>

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <unistd.h>

using namespace hcl;

namespace {

// Made with `openssl ca -startdate 20200101000000Z -enddate 20600101000000Z` (EC P-256): a
// UTCTime notBefore and, past 2049, a GeneralizedTime notAfter.
constexpr const char* kCert = R"(subject=CN = fixture
-----BEGIN CERTIFICATE-----
MIIBijCCATCgAwIBAgIBATAKBggqhkjOPQQDAjAVMRMwEQYDVQQDDApmaXh0dXJl
IENBMCAXDTIwMDEwMTAwMDAwMFoYDzIwNjAwMTAxMDAwMDAwWjASMRAwDgYDVQQD
DAdmaXh0dXJlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfMw0Q0J6NQSAPhEP
vH/NaH+6C3gsCL5kTfojo9vdO33J5zgo2krT0ydTXmp72jt9nTzvjwtI2Y2NdlTZ
89KMAqNyMHAwCQYDVR0TBAIwADAOBgNVHQ8BAf8EBAMCBaAwEwYDVR0lBAwwCgYI
KwYBBQUHAwIwHQYDVR0OBBYEFCIZvQw49PAyQKJ8VASmxmpFeyEyMB8GA1UdIwQY
MBaAFFZBzerTttH0bhpLc59dAS5KdqbNMAoGCCqGSM49BAMCA0gAMEUCIQDQH+VG
kmNZlleeEngkgpojaNeA0CmsV405wJD793z/pgIgfZi5qrGcB2jzzdfK34yjG0fc
wjPOW6Zb8I+aQLVy5mw=
-----END CERTIFICATE-----
)";
constexpr std::int64_t k2020 = 1577836800;  // 2020-01-01 00:00:00 UTC
constexpr std::int64_t k2060 = 2840140800;  // 2060-01-01 00:00:00 UTC

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/hcl-test-cert-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    close(fd);
    path = name;
    std::ofstream(path) << text;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

}  // namespace

TEST_CASE("certificate_validity reads UTCTime and GeneralizedTime dates") {
  auto v = http::certificate_validity(kCert);
  REQUIRE(v.ok());
  CHECK(v->not_before == k2020);
  CHECK(v->not_after == k2060);
  CHECK(http::format_utc(v->not_after) == "2060-01-01 00:00 UTC");
  CHECK(http::format_utc(1577923200 + 3600 * 13 + 60 * 5) == "2020-01-02 13:05 UTC");
}

TEST_CASE("certificate_validity refuses what is not a certificate") {
  CHECK_FALSE(http::certificate_validity("").ok());
  CHECK_FALSE(http::certificate_validity("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").ok());
  CHECK_FALSE(http::certificate_validity("-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n").ok());
  // Valid base64, but cut short inside the DER structure.
  auto r = http::certificate_validity("-----BEGIN CERTIFICATE-----\nMIIBijCCATCgAwIBAgIBATAK\n-----END CERTIFICATE-----\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().why.find("not a DER X.509") != std::string::npos);
}

TEST_CASE("a refused client certificate is explained: none, expired, not yet valid, untrusted") {
  http::TlsOptions none;
  none.ca_file = "/x/ca.pem";
  CHECK(http::explain_client_certificate_refusal(none, k2020).find("requires a client certificate and none was given") !=
        std::string::npos);

  TempFile cert(kCert);
  http::TlsOptions tls;
  tls.cert_file = cert.path;
  tls.key_file = "/x/key.pem";
  CHECK(http::explain_client_certificate_refusal(tls, k2060 + 1) ==
        "the server refused the client certificate " + cert.path + ": it expired on 2060-01-01 00:00 UTC");
  CHECK(http::explain_client_certificate_refusal(tls, k2020 - 1) ==
        "the server refused the client certificate " + cert.path + ": it is not valid before 2020-01-01 00:00 UTC");
  std::string within = http::explain_client_certificate_refusal(tls, k2020 + 100);
  CHECK(within.find("is it signed by the CA the server trusts?") != std::string::npos);
  CHECK(within.find("/x/key.pem") == std::string::npos);  // names no key
}
