#include "consul_test_server.hpp"

#include "check_runner.hpp"
#include "server_core.hpp"

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace hcl::testing {

using namespace std::chrono_literals;

struct ConsulTestServer::Impl {
  explicit Impl(ConsulTestServerOptions opts)
      : core(std::move(opts)), router(core), runner(core) {
    cts::add_catalog_routes(router, core);
    cts::add_health_routes(router, core);
    cts::add_agent_routes(router, core);
    cts::add_kv_routes(router, core);
    cts::add_status_routes(router, core);
  }

  cts::Core core;
  cts::Router router;
  cts::CheckRunner runner;
  httplib::Server http;
  std::thread thread;
  int port = 0;

  std::mutex stop_mu;  // one stop() at a time
  std::mutex mu;       // guards the lifecycle flags below
  std::condition_variable cv;
  bool started = false;
  bool stopped = false;
};

ConsulTestServer::ConsulTestServer(ConsulTestServerOptions opts)
    : impl_(std::make_unique<Impl>(std::move(opts))) {}

ConsulTestServer::~ConsulTestServer() { stop(); }

void ConsulTestServer::start() {
  Impl& m = *impl_;
  const auto& opts = m.core.options();
  {
    std::lock_guard lock(m.mu);
    if (m.started) throw std::runtime_error("consul test server: already started");
    m.started = true;
  }

  // Every blocking query holds a worker until it answers: the pool must be larger than the
  // number of watchers a test or the lab keeps open.
  const auto threads = static_cast<std::size_t>(std::max(opts.threads, 4));
  m.http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  m.http.set_keep_alive_timeout(2);  // idle connections give their worker back soon
  m.http.set_payload_max_length(64 * 1024 * 1024);
  auto dispatch = [&m](const httplib::Request& req, httplib::Response& res) {
    // httplib adds the fields of an application/x-www-form-urlencoded body to the query's
    // parameters; Consul reads parameters from the URL only (a DELETE whose body is "recurse"
    // deletes one key, not the prefix). The handlers see the URL's parameters alone.
    if (req.get_header_value("Content-Type").starts_with("application/x-www-form-urlencoded")) {
      httplib::Request url_only = req;
      url_only.params.clear();
      if (auto q = req.target.find('?'); q != std::string::npos)
        httplib::detail::parse_query_text(req.target.substr(q + 1), url_only.params);
      m.router.dispatch(url_only, res);
      return;
    }
    m.router.dispatch(req, res);
  };
  m.http.Get(".*", dispatch);
  m.http.Put(".*", dispatch);
  m.http.Post(".*", dispatch);
  m.http.Delete(".*", dispatch);
  m.http.Patch(".*", dispatch);
  m.http.Options(".*", dispatch);
  // httplib answers 400 to a PUT or POST that has neither Content-Length nor chunked encoding
  // (`curl -X PUT .../deregister/web`), where Go, and so Consul, reads an empty body. Such a
  // request has no body by HTTP's rules: answer it before httplib tries to read one.
  m.http.set_pre_routing_handler([&m](const httplib::Request& req, httplib::Response& res) {
    bool body_method = req.method == "PUT" || req.method == "POST" || req.method == "PATCH";
    if (body_method && !req.has_header("Content-Length") &&
        !req.has_header("Transfer-Encoding")) {
      m.router.dispatch(req, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // httplib's default socket options add SO_REUSEPORT, which lets a second server bind a port
  // that one already serves, and the kernel then splits connections between the two. A port in
  // use must be an error: keep SO_REUSEADDR only.
  m.http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  bool bound = false;
  if (opts.port == 0) {
    m.port = m.http.bind_to_any_port(opts.bind);
    bound = m.port > 0;
  } else {
    bound = m.http.bind_to_port(opts.bind, opts.port);
    m.port = opts.port;
  }
  if (!bound) {
    std::lock_guard lock(m.mu);
    m.stopped = true;
    throw std::runtime_error("consul test server: cannot listen on " + opts.bind + ":" +
                             std::to_string(opts.port) + " (in use, or not an address here)");
  }

  m.thread = std::thread([&m] {
    m.http.listen_after_bind();
    {
      std::lock_guard lock(m.mu);
      m.stopped = true;
    }
    m.cv.notify_all();
  });
  // httplib's stop() only takes effect once the server runs: wait for it.
  for (int i = 0; i < 5000 && !m.http.is_running(); ++i) std::this_thread::sleep_for(1ms);
  if (opts.run_checks) m.runner.start();
}

void ConsulTestServer::stop() {
  Impl& m = *impl_;
  std::lock_guard stopping(m.stop_mu);
  {
    std::lock_guard lock(m.mu);
    if (!m.started) return;
  }
  m.runner.stop();
  m.core.shut_down();  // blocked queries answer now
  m.http.stop();
  if (m.thread.joinable() && m.thread.get_id() != std::this_thread::get_id()) m.thread.join();
}

void ConsulTestServer::wait() {
  Impl& m = *impl_;
  std::unique_lock lock(m.mu);
  m.cv.wait(lock, [&m] { return !m.started || m.stopped; });
}

int ConsulTestServer::port() const { return impl_->port; }

std::string ConsulTestServer::address() const {
  std::string host = impl_->core.options().bind;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(impl_->port);
}

void ConsulTestServer::set_leader(bool known) { impl_->core.set_leader(known); }

std::uint64_t ConsulTestServer::index() const { return impl_->core.raft_index(); }

}  // namespace hcl::testing
