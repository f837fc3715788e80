#include "context.hpp"
#include "table.hpp"

#include <fmt/format.h>

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

Result<std::unique_ptr<http::Transport>> Context::new_docker_transport() {
  auto c = config();
  if (!c) return c.error();
  auto t = http::make_transport((*c)->docker.value, (*c)->timeouts(), logger());
  t->set_cancel(&interrupted);
  return t;
}

Result<docker::Client*> Context::docker() {
  if (!docker_) {
    auto t = new_docker_transport();
    if (!t) return t.error();
    docker_transport_ = std::move(*t);
    docker_ = std::make_unique<docker::Client>(*docker_transport_);
    // The version spoken with this engine last time: no refusal and resend when it is older
    // than hcl's newest.
    remembered_api_version_ =
        config::remembered_api_version(config::process_environment(), (*config())->docker.value.display());
    if (remembered_api_version_) docker_->hint_api_version(*remembered_api_version_);
  }
  return docker_.get();
}

void Context::remember() {
  if (!docker_) return;
  auto known = docker_->known_api_version();
  if (!known || known == remembered_api_version_) return;  // nothing new to write
  config::remember_api_version(config::process_environment(), (*config())->docker.value.display(), *known);
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
