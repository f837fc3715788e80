// consul-test-server: the hcl Consul test server as a program, for the lab. Not Consul.
#include "consul_test_server.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage = R"(Usage: consul-test-server [options]

The hcl Consul test server: a stand-in for a single Consul server agent that speaks Consul's
HTTP API (v1) for the endpoints hcl uses. It is NOT Consul; real clusters use real Consul.

Options:
  --bind ADDR         address to listen on (default 127.0.0.1)
  --port N            port to listen on, 0 for any free port (default 8500)
  --token T           turn ACLs on: every request must carry this token
  --token-file FILE   like --token, read from FILE (surrounding whitespace dropped)
  --advertise IP      the agent's address: its node's Address, and the leader is IP:8300
                      (default: the --bind address, or 127.0.0.1 when binding 0.0.0.0)
  --datacenter DC     the datacenter (default dc1)
  --node NAME         the agent's own node name (default master)
  --no-run-checks     do not run the HTTP/TCP/TTL checks of services registered through
                      /v1/agent/service/register (run by default, as an agent would)
  --threads N         worker threads, one per blocking query or open connection (default 64)
  --pidfile FILE      write the process ID to FILE, removed on exit
  --help              show this help

Stops cleanly on SIGTERM or SIGINT. Exit status: 0 stopped by a signal, 1 could not serve,
2 bad usage.
)";

struct UsageError {
  std::string message;
};

struct Args {
  hcl::testing::ConsulTestServerOptions options;
  std::optional<std::string> token_file;
  std::optional<std::string> pidfile;
  bool advertise_given = false;
  bool help = false;
};

int parse_int(const std::string& flag, const std::string& value, int min, int max) {
  try {
    std::size_t used = 0;
    int n = std::stoi(value, &used);
    if (used == value.size() && n >= min && n <= max) return n;
  } catch (const std::exception&) {
  }
  throw UsageError{flag + " wants a number from " + std::to_string(min) + " to " +
                   std::to_string(max) + ", not \"" + value + "\""};
}

Args parse_args(int argc, char** argv) {
  Args a;
  a.options.port = 8500;
  a.options.run_checks = true;
  std::vector<std::string> words(argv + 1, argv + argc);
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string flag = words[i];
    std::optional<std::string> inline_value;
    if (auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    auto value = [&]() -> std::string {
      if (inline_value) return *inline_value;
      if (i + 1 >= words.size()) throw UsageError{flag + " needs a value"};
      return words[++i];
    };
    if (flag == "--help" || flag == "-h") {
      a.help = true;
    } else if (flag == "--bind") {
      a.options.bind = value();
    } else if (flag == "--port") {
      a.options.port = parse_int(flag, value(), 0, 65535);
    } else if (flag == "--token") {
      a.options.token = value();
    } else if (flag == "--token-file") {
      a.token_file = value();
    } else if (flag == "--advertise") {
      a.options.advertise = value();
      a.advertise_given = true;
    } else if (flag == "--datacenter") {
      a.options.datacenter = value();
    } else if (flag == "--node") {
      a.options.node_name = value();
    } else if (flag == "--no-run-checks") {
      a.options.run_checks = false;
    } else if (flag == "--threads") {
      a.options.threads = parse_int(flag, value(), 4, 4096);
    } else if (flag == "--pidfile") {
      a.pidfile = value();
    } else {
      throw UsageError{"unknown argument \"" + words[i] + "\" (see --help)"};
    }
  }
  if (a.options.token && a.token_file) throw UsageError{"give --token or --token-file, not both"};
  if (a.options.token && a.options.token->empty()) throw UsageError{"--token is empty"};
  if (a.options.datacenter.empty() || a.options.node_name.empty()) {
    throw UsageError{"--datacenter and --node cannot be empty"};
  }
  if (!a.advertise_given) {
    const auto& bind = a.options.bind;
    a.options.advertise = bind == "0.0.0.0" || bind == "::" || bind.empty() ? "127.0.0.1" : bind;
  }
  return a;
}

std::string read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the token file " + path);
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  const char* space = " \t\r\n";
  token.erase(0, token.find_first_not_of(space));
  token.erase(token.find_last_not_of(space) + 1);
  if (token.empty()) throw std::runtime_error("the token file " + path + " is empty");
  return token;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  try {
    args = parse_args(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "consul-test-server: error: " << e.message << "\n";
    return 2;
  }
  if (args.help) {
    std::cout << kUsage;
    return 0;
  }

  // Signals are taken by sigwait below; block them before any thread starts so that none of
  // the server's threads receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  bool pid_written = false;  // never remove a pidfile that another process wrote
  try {
    if (args.token_file) args.options.token = read_token_file(*args.token_file);
    hcl::testing::ConsulTestServer server(args.options);
    server.start();
    if (args.pidfile) {
      std::ofstream pid(*args.pidfile);
      pid << getpid() << "\n";
      if (!pid) throw std::runtime_error("cannot write the pidfile " + *args.pidfile);
      pid_written = true;
    }
    const auto& o = args.options;
    std::cout << "hcl Consul test server (not Consul) listening on " << o.bind << ":"
              << server.port() << " - datacenter " << o.datacenter << ", node " << o.node_name
              << " at " << o.advertise << ", ACLs " << (o.token ? "on" : "off") << ", checks "
              << (o.run_checks ? "run" : "not run") << std::endl;

    int sig = 0;
    sigwait(&signals, &sig);
    server.stop();
    if (pid_written) std::remove(args.pidfile->c_str());
    std::cout << "hcl Consul test server stopped (" << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
              << ")" << std::endl;
    return 0;
  } catch (const std::exception& e) {
    if (pid_written) std::remove(args.pidfile->c_str());
    std::cerr << "consul-test-server: error: " << e.what() << "\n";
    return 1;
  }
}
