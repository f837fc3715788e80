// Endpoints and the small values of flags and environment variables: DOCKER_HOST,
// CONSUL_HTTP_ADDR, durations, booleans, `-p` port specs, `--label K=V`, a network's subnet and
// gateway, URL encoding. The first byte picks the parser; the rest is its text.
#include "fuzz_common.hpp"

#include <cctype>

#include <hcl/config.hpp>
#include <hcl/swarm/labels.hpp>
#include <hcl/swarm/networks.hpp>
#include <hcl/output.hpp>
#include <hcl/ops/run.hpp>

using namespace hcl;

namespace {

// A parsed endpoint, written the way users write it, must parse back to itself.
void round_trip(const http::Endpoint& ep, bool docker) {
  auto again = docker ? config::parse_docker_host(ep.display(), "again") : config::parse_consul_addr(ep.display(), "again");
  FUZZ_CHECK(again);
  FUZZ_CHECK(again->kind == ep.kind && again->host == ep.host && again->port == ep.port &&
             again->socket_path == ep.socket_path && again->user == ep.user &&
             again->tls.has_value() == ep.tls.has_value());
  // `hcl config --format json` shows it.
  config::Config cfg;
  (docker ? cfg.docker : cfg.consul).value = ep;
  (void)output::config_json(cfg);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::string_view text = fuzz::as_text(data + 1, size - 1);
  switch (data[0] % 8) {
    case 0:
    case 1: {
      bool docker = data[0] % 8 == 0;
      auto ep = docker ? config::parse_docker_host(text, "DOCKER_HOST") : config::parse_consul_addr(text, "CONSUL_HTTP_ADDR");
      if (ep) {
        if (ep->kind == http::Endpoint::Kind::Tcp) FUZZ_CHECK(!ep->host.empty() && ep->port >= 1 && ep->port <= 65535);
        if (ep->kind == http::Endpoint::Kind::Ssh) {
          // What reaches ssh's command line, and the remote shell's, cannot be read as an option
          // or as shell syntax.
          FUZZ_CHECK(!ep->host.empty() && ep->host.front() != '-' && ep->port >= 0 && ep->port <= 65535);
          FUZZ_CHECK(ep->user.empty() || ep->user.front() != '-');
          for (char c : ep->user + ep->socket_path)
            FUZZ_CHECK(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '/');
          FUZZ_CHECK(ep->socket_path.empty() || ep->socket_path.front() == '/');
        }
        round_trip(*ep, docker);
      } else {
        FUZZ_CHECK(ep.error().kind == ErrorKind::Usage);
      }
      break;
    }
    case 2: {
      auto d = config::parse_duration(text, "--request-timeout");
      if (d) {
        FUZZ_CHECK(d->count() >= 1 && d->count() <= 86400000);
        (void)http::describe(*d);
      }
      break;
    }
    case 3:
      (void)config::parse_bool(text);
      break;
    case 4: {
      auto p = ops::parse_publish(text, "--publish");
      if (p) FUZZ_CHECK(p->target >= 1 && p->target <= 65535 && p->published >= 0 && p->published <= 65535);
      break;
    }
    case 5: {
      auto l = swarm::parse_label(text, "--label");
      if (l) FUZZ_CHECK(!l->first.empty());
      break;
    }
    case 6: {
      auto [subnet, gateway] = fuzz::split_nul(text);
      docker::NetworkSpec spec;
      spec.name = "demo";
      spec.subnet = std::string(subnet);
      if (!gateway.empty()) spec.gateway = std::string(gateway);
      (void)swarm::validate_network_spec(spec);
      break;
    }
    case 7: {
      std::string e = http::encode(text);
      FUZZ_CHECK(e.find_first_of("/?&=# ") == std::string::npos);
      (void)http::target("/v1/kv/" + e, {{"recurse", std::nullopt}, {"separator", std::string(text)}});
      break;
    }
  }
  return 0;
}
