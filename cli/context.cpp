#include "context.hpp"
#include "table.hpp"

#include <fmt/format.h>

#include <hcl/text.hpp>

#include <algorithm>
#include <chrono>
#include <set>
#include <cstdio>

namespace hcl::cli {

Result<const config::Config*> Context::config() {
  if (!config_) {
    auto c = config::resolve(flags, config::process_environment());
    if (!c) return c.error();
    config_ = std::move(*c);
  }
  return &*config_;
}

http::Logger Context::logger() {
  if (!verbose) return {};
  // Request lines only: the transport never hands headers or bodies to the logger.
  return [](const http::RequestLog& e) {
    if (e.error.empty())
      fmt::print(stderr, "hcl: {} {} -> {} ({} ms)\n", e.method, e.url, e.status, e.elapsed.count());
    else
      fmt::print(stderr, "hcl: {} {} -> failed: {} ({} ms)\n", e.method, e.url, e.error, e.elapsed.count());
  };
}

std::atomic<bool> Context::interrupted{false};

Result<const std::vector<Context::EngineEndpoint>*> Context::docker_endpoints() {
  if (docker_endpoints_) return &*docker_endpoints_;
  auto c = config();
  if (!c) return c.error();
  const auto& primary = (*c)->docker.value;
  std::vector<EngineEndpoint> list{{"", primary}};
  for (const auto& m : (*c)->docker_more) list.push_back({"", m});
  auto listed = [&](const std::string& display) {
    return std::any_of(list.begin(), list.end(), [&](const auto& e) { return e.endpoint.display() == display; });
  };
  known_managers_ = config::known_managers(config::process_environment(), primary.display());
  for (const auto& k : known_managers_.managers) {
    auto ep = config::parse_docker_host(k.endpoint, "hcl's state file");
    if (ep && ep->kind == primary.kind && !listed(k.endpoint)) list.push_back({k.name, config::with_settings_of(primary, *ep)});
  }
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (!known_managers_.preferred.empty() && now >= known_managers_.preferred_at &&
      now - known_managers_.preferred_at < kPreferSeconds) {
    auto it = std::find_if(list.begin() + 1, list.end(),
                           [&](const auto& e) { return e.endpoint.display() == known_managers_.preferred; });
    if (it != list.end()) {
      std::rotate(list.begin(), it, it + 1);
      preferred_first_ = true;
    }
  }
  docker_endpoints_ = std::move(list);
  return &*docker_endpoints_;
}

// One endpoint's transport, or a failover over all of them; a further transport goes straight to
// the one the main transport uses once it has found one.
std::unique_ptr<http::Transport> Context::make_docker_transport(bool main) {
  const auto& eps = *docker_endpoints_;
  auto timeouts = (*config())->timeouts();
  if (eps.size() == 1) return http::make_transport(eps[0].endpoint, timeouts, logger());
  if (!main && failover_ && failover_->chosen())
    return http::make_transport(eps[*failover_->chosen()].endpoint, timeouts, logger());
  std::vector<std::unique_ptr<http::Transport>> all;
  for (const auto& e : eps) all.push_back(http::make_transport(e.endpoint, timeouts, logger()));
  auto notice = [this, main](std::size_t chosen, const std::vector<http::FailoverTransport::PassedOver>& passed_over) {
    if (!main) return;
    const auto& eps = *docker_endpoints_;
    auto who = [&](std::size_t i) {
      return eps[i].name.empty() ? eps[i].endpoint.display() : fmt::format("manager {} at {}", eps[i].name, eps[i].endpoint.display());
    };
    if (chosen > 0) {
      std::vector<std::string> each;
      for (const auto& s : passed_over) each.push_back(fmt::format("{}: {}", s.endpoint, s.why));
      bool configured = eps[chosen].endpoint.display() == (*config())->docker.value.display();
      warn(fmt::format("{}; {} {}", text::join(each, "; "), configured ? "back to" : "using", who(chosen)));
    } else if (preferred_first_) {
      auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      warn(fmt::format("using {}: {} did not answer {} s ago", who(0), (*config())->docker.value.display(),
                       now - known_managers_.preferred_at));
    }
  };
  auto f = std::make_unique<http::FailoverTransport>(std::move(all), notice);
  if (main) failover_ = f.get();
  return f;
}

Result<std::unique_ptr<http::Transport>> Context::new_docker_transport() {
  auto eps = docker_endpoints();
  if (!eps) return eps.error();
  auto t = make_docker_transport(false);
  t->set_cancel(&interrupted);
  return t;
}

std::unique_ptr<Context::EngineClient> Context::engine_client(const http::Endpoint& endpoint) {
  auto t = http::make_transport(endpoint, (*config())->timeouts(), logger());
  t->set_cancel(&interrupted);
  return std::make_unique<EngineClient>(std::move(t));
}

Result<docker::Client*> Context::docker() {
  if (!docker_) {
    auto eps = docker_endpoints();
    if (!eps) return eps.error();
    docker_transport_ = make_docker_transport(true);
    docker_transport_->set_cancel(&interrupted);
    docker_ = std::make_unique<docker::Client>(*docker_transport_);
    // The version spoken with this engine last time: no refusal and resend when it is older
    // than hcl's newest.
    remembered_api_version_ =
        config::remembered_api_version(config::process_environment(), (*eps)->front().endpoint.display());
    if (remembered_api_version_) docker_->hint_api_version(*remembered_api_version_);
  }
  return docker_.get();
}

void Context::prepare_docker() {
  if (docker()) docker_transport_->prepare();
}

void Context::remember() {
  if (!docker_) return;
  learn_managers();
  auto known = docker_->known_api_version();
  // Under the endpoint that answered (managers of a mixed swarm speak different versions).
  auto used = failover_ && failover_->chosen() ? (*docker_endpoints_)[*failover_->chosen()].endpoint.display()
                                               : docker_endpoints_->front().endpoint.display();
  if (!known || (known == remembered_api_version_ && used == docker_endpoints_->front().endpoint.display())) return;
  config::remember_api_version(config::process_environment(), used, *known);
}

// What the state file should say now: the managers this command saw (when it read the nodes),
// and which endpoint to prefer for the next minute.
void Context::learn_managers() {
  const auto& primary = (*config())->docker.value;
  config::KnownManagers k = known_managers_;
  if (failover_ && failover_->chosen()) {
    auto used = (*docker_endpoints_)[*failover_->chosen()].endpoint.display();
    if (used == primary.display()) {
      k.preferred.clear(), k.preferred_at = 0;  // the configured endpoint answers again
    } else if (*failover_->chosen() > 0) {
      k.preferred = used;
      k.preferred_at = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    }
  }
  const auto& seen = docker_->managers_seen();
  // Rebuilt only when the managers differ from those noted: leaving the configured host's own
  // addresses out means resolving it, which may cost a DNS answer at the end of every command.
  std::set<std::pair<std::string, std::string>> seen_others, noted;
  for (const auto& [name, host] : seen)
    if (host != primary.host && name != primary.host) seen_others.emplace(name, host);
  for (const auto& m : known_managers_.managers)
    if (auto ep = config::parse_docker_host(m.endpoint, "hcl's state file")) noted.emplace(m.name, ep->host);
  if (!seen.empty() && primary.kind != http::Endpoint::Kind::Unix && seen_others != noted) {
    // The configured endpoint's own host is not a further manager: it is tried first anyway.
    auto own = http::numeric_addresses(primary.host);
    k.managers.clear();
    for (const auto& [name, host] : seen) {
      if (host == primary.host || name == primary.host || std::find(own.begin(), own.end(), host) != own.end()) continue;
      http::Endpoint e = primary;
      e.host = host;
      if (primary.kind == http::Endpoint::Kind::Tcp) {
        // The engines of a cluster lab listen on docker's usual port, the master's on a special
        // one (master:2378): the usual port is tried first, then the configured one.
        int usual = primary.tls ? 2376 : 2375;
        if (e.port != usual) {
          http::Endpoint u = e;
          u.port = usual;
          k.managers.push_back({name, u.display()});
        }
        k.managers.push_back({name, e.display()});
      } else {
        k.managers.push_back({name, e.display()});
      }
    }
  }
  if (!(k == known_managers_)) config::remember_managers(config::process_environment(), primary.display(), k);
}

Result<http::Transport*> Context::docker_transport() {
  auto d = docker();
  if (!d) return d.error();
  return docker_transport_.get();
}

Result<std::unique_ptr<http::Transport>> Context::new_consul_transport() {
  auto c = config();
  if (!c) return c.error();
  auto t = http::make_transport((*c)->consul.value, (*c)->timeouts(), logger());
  t->set_cancel(&interrupted);
  return t;
}

Result<consul::Client*> Context::consul() {
  if (!consul_) {
    auto t = new_consul_transport();
    if (!t) return t.error();
    consul_transport_ = std::move(*t);
    consul_ = std::make_unique<consul::Client>(*consul_transport_, (*config())->consul_token);
  }
  return consul_.get();
}

Result<http::Transport*> Context::consul_transport() {
  auto c = consul();
  if (!c) return c.error();
  return consul_transport_.get();
}

void Context::out(std::string_view text) const { std::fwrite(text.data(), 1, text.size(), stdout); }

void Context::warn(std::string_view text) const { fmt::print(stderr, "hcl: warning: {}\n", safe_text(text, true)); }

std::string Context::paint(std::string_view text, int code) const {
  if (!color) return std::string(text);
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

}  // namespace hcl::cli
