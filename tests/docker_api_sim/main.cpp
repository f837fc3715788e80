// docker-api-sim: serves the read side of the Docker Engine API that `hcl nodes`, `hcl ps`,
// `docker node ls` and `docker service ps` use, for a made-up swarm of N nodes, S services and
// T tasks. Every object is a copy of one the lab's real engine returned (tests/data/docker),
// with its IDs, names and addresses changed. NOT Docker: see README.md for what it departs from.
// The docker CLI sends every service ID of `docker service ps A B ...` in one query string; Go's
// server takes up to 1 MiB of headers, cpp-httplib only 8 KiB by default.
#define CPPHTTPLIB_REQUEST_URI_MAX_LENGTH (1 << 20)
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <regex>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using json = nlohmann::json;

namespace {

constexpr const char* kUsage = R"(Usage: docker-api-sim [options]

A Docker Engine API simulator for benchmarks (NOT Docker): answers GET /_ping, /version, /info,
/nodes, /services, /tasks, /networks (and /nodes/ID, /services/ID) for a swarm of N nodes,
S services and T tasks, shaped like the lab's real engine (API 1.41).

Options:
  --bind ADDR      address to listen on (default 127.0.0.1)
  --port N         port, 0 for any free port (default 0; the port is printed on stdout)
  --nodes N        nodes (default 1000; the first is the manager and leader)
  --services S     services (default 200)
  --tasks T        tasks, spread over the services and nodes (default 10000)
  --data DIR       the recorded responses (default: tests/data/docker of the source tree)
  --log            print each request to stderr
  --help           show this help

GET /_sim/requests: the requests counted so far, per route ({id} for an object's ID or name):
{"total":N,"by_request":{"GET /v1.41/nodes":1,"GET /v1.41/nodes/{id}":999}};
DELETE /_sim/requests resets the counts. Stops on SIGTERM or SIGINT.
)";

struct Options {
  std::string bind = "127.0.0.1";
  int port = 0;
  int nodes = 1000, services = 200, tasks = 10000;
  std::string data = HCL_DOCKER_DATA;
  bool log = false;
};

json load(const std::string& dir, const std::string& name) {
  std::ifstream in(dir + "/" + name);
  if (!in) throw std::runtime_error("cannot read " + dir + "/" + name);
  return json::parse(in);
}

// A 25-character ID like swarmkit's (lowercase base 36), distinct per kind and index.
std::string make_id(char kind, int index) {
  static const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::uint64_t x = (static_cast<std::uint64_t>(kind) << 32) + static_cast<std::uint64_t>(index);
  auto next = [&x] {  // splitmix64
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  std::string id;
  while (id.size() < 25) {
    std::uint64_t v = next();
    for (int i = 0; i < 12 && id.size() < 25; ++i, v /= 36) id += digits[v % 36];
  }
  return id;
}

struct Swarm {
  std::vector<json> nodes, services, tasks;
  json networks, version, info;
  std::string nodes_body, services_body, tasks_body, networks_body, version_body, info_body;
  std::vector<std::string> task_json;  // each task's JSON, for filtered lists (the engine filters before encoding)
  std::map<std::string, size_t> node_index, service_index;  // by ID and by name/hostname
};

Swarm build(const Options& o) {
  Swarm s;
  json nodes = load(o.data, "nodes.json");
  json manager, worker;
  for (const auto& n : nodes) (n["Spec"]["Role"] == "manager" ? manager : worker) = n;
  for (int i = 0; i < o.nodes; ++i) {
    json n = i == 0 ? manager : worker;
    n["ID"] = make_id('n', i);
    std::string host = i == 0 ? "master" : "node" + std::to_string(i);
    n["Description"]["Hostname"] = host;
    int a = i + 1;
    std::string addr = "10." + std::to_string(a / 65536 % 256) + "." + std::to_string(a / 256 % 256) + "." +
                       std::to_string(a % 256);
    n["Status"]["Addr"] = addr;
    if (i == 0) n["ManagerStatus"]["Addr"] = addr + ":2377";
    s.node_index[n["ID"]] = s.nodes.size();
    s.node_index[host] = s.nodes.size();
    s.nodes.push_back(std::move(n));
  }
  json services = load(o.data, "services.json");
  json tasks = load(o.data, "tasks.json");
  const json& svc_template = services.at(0);  // rec-web: replicated, a published port, labels
  json task_template;
  for (const auto& t : tasks)
    if (t["ServiceID"] == svc_template["ID"] && t["Status"]["State"] == "running") task_template = t;
  int per_service = o.services > 0 ? (o.tasks + o.services - 1) / o.services : 0;
  for (int i = 0; i < o.services; ++i) {
    json v = svc_template;
    v["ID"] = make_id('s', i);
    char name[32];
    std::snprintf(name, sizeof name, "svc-%03d", i);
    v["Spec"]["Name"] = name;
    int replicas = std::min(per_service, std::max(0, o.tasks - i * per_service));
    v["Spec"]["Mode"]["Replicated"]["Replicas"] = replicas;
    v["Spec"]["EndpointSpec"].erase("Ports");  // no two services can publish one port
    v["Endpoint"] = json{{"Spec", {{"Mode", "dnsrr"}}}};
    s.service_index[v["ID"]] = s.services.size();
    s.service_index[name] = s.services.size();
    s.services.push_back(std::move(v));
  }
  for (int i = 0; i < o.tasks && o.services > 0; ++i) {
    json t = task_template;
    int svc = i / per_service;
    t["ID"] = make_id('t', i);
    t["ServiceID"] = s.services[svc]["ID"];
    t["Slot"] = i % per_service + 1;
    t["NodeID"] = s.nodes.empty() ? json("") : s.nodes[(i % std::max(1, o.nodes - 1)) + (o.nodes > 1 ? 1 : 0)]["ID"];
    t["Spec"]["ContainerSpec"]["Image"] = s.services[svc]["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"];
    t["Status"]["ContainerStatus"]["ContainerID"] = make_id('c', i) + make_id('c', i + 1) + std::string(14, '0');
    t["Status"]["PortStatus"] = json::object();
    s.tasks.push_back(std::move(t));
  }
  s.networks = load(o.data, "networks.json");
  s.version = load(o.data, "version.json");
  s.info = load(o.data, "info.json");
  s.info["Swarm"]["NodeID"] = s.nodes.empty() ? json("") : s.nodes[0]["ID"];
  s.info["Swarm"]["Nodes"] = o.nodes;
  s.info["Swarm"]["RemoteManagers"][0]["NodeID"] = s.info["Swarm"]["NodeID"];
  // The engine sends compact JSON with a final newline.
  auto dump = [](const json& j) { return j.dump() + "\n"; };
  s.nodes_body = dump(json(s.nodes));
  s.services_body = dump(json(s.services));
  s.tasks_body = dump(json(s.tasks));
  for (const auto& t : s.tasks) s.task_json.push_back(t.dump());
  s.networks_body = dump(s.networks);
  s.version_body = dump(s.version);
  s.info_body = dump(s.info);
  return s;
}

// ?filters= as the docker CLI sends it: {"name":{"x":true}} (or the older {"name":["x"]}).
std::map<std::string, std::set<std::string>> filters(const httplib::Request& req) {
  std::map<std::string, std::set<std::string>> out;
  if (!req.has_param("filters")) return out;
  json f = json::parse(req.get_param_value("filters"), nullptr, false);
  if (!f.is_object()) return out;
  for (auto& [key, values] : f.items()) {
    if (values.is_object())
      for (auto& [v, on] : values.items()) out[key].insert(v);
    else if (values.is_array())
      for (auto& v : values) out[key].insert(v.get<std::string>());
  }
  return out;
}

bool matches(const std::map<std::string, std::set<std::string>>& f, const std::string& key, const std::string& value,
             bool prefix = false) {
  auto it = f.find(key);
  if (it == f.end()) return true;
  for (const auto& v : it->second)
    if (value == v || (prefix && value.starts_with(v))) return true;
  return false;
}

void engine_headers(httplib::Response& res) {
  res.set_header("Api-Version", "1.41");
  res.set_header("Docker-Experimental", "false");
  res.set_header("Ostype", "linux");
  res.set_header("Server", "Docker/20.10.24+dfsg1 (linux)");
}

void error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(json{{"message", message}}.dump() + "\n", "application/json");
}


}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    for (size_t i = 0; i < args.size(); ++i) {
      auto value = [&]() -> std::string {
        if (i + 1 >= args.size()) throw std::runtime_error(args[i] + " needs a value");
        return args[++i];
      };
      auto number = [&](int min) {
        std::string v = value();
        size_t used = 0;
        int n = std::stoi(v, &used);
        if (used != v.size() || n < min) throw std::runtime_error(args[i - 1] + ": bad number '" + v + "'");
        return n;
      };
      if (args[i] == "--help") {
        std::cout << kUsage;
        return 0;
      } else if (args[i] == "--bind") o.bind = value();
      else if (args[i] == "--port") o.port = number(0);
      else if (args[i] == "--nodes") o.nodes = number(1);
      else if (args[i] == "--services") o.services = number(0);
      else if (args[i] == "--tasks") o.tasks = number(0);
      else if (args[i] == "--data") o.data = value();
      else if (args[i] == "--log") o.log = true;
      else throw std::runtime_error("unknown argument '" + args[i] + "' (see --help)");
    }
  } catch (const std::exception& e) {
    std::cerr << "docker-api-sim: error: " << e.what() << "\n";
    return 2;
  }

  Swarm swarm;
  try {
    swarm = build(o);
  } catch (const std::exception& e) {
    std::cerr << "docker-api-sim: error: " << e.what() << "\n";
    return 1;
  }

  std::mutex counts_mu;
  std::map<std::string, long> counts;
  long total = 0;

  httplib::Server srv;
  srv.new_task_queue = [] { return new httplib::ThreadPool(8); };
  srv.set_keep_alive_max_count(1000);
  // Without it, small answers wait for the client's delayed ACK (~40 ms each): a docker CLI that
  // inspects nodes one by one would be timed on the simulator's latency, not its own.
  srv.set_tcp_nodelay(true);
  srv.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (req.path.starts_with("/_sim/")) return httplib::Server::HandlerResponse::Unhandled;
    {
      std::lock_guard lock(counts_mu);
      // Counted per route: object IDs and names in the path become {id}.
      static const std::regex object(R"(^(.*/(?:nodes|services|tasks|networks)/)[^/]+)");
      ++counts[req.method + " " + std::regex_replace(req.path, object, "$1{id}")];
      ++total;
    }
    if (o.log) std::fprintf(stderr, "docker-api-sim: %s %s%s%s\n", req.method.c_str(), req.path.c_str(),
                            req.params.empty() ? "" : "?", req.params.empty() ? "" : httplib::detail::params_to_query_str(req.params).c_str());
    engine_headers(res);
    // The engine's version check: /vX.Y/ above 1.41 or below 1.12 is refused before routing.
    static const std::regex versioned(R"(^/v(\d+)\.(\d+)/)");
    std::smatch m;
    if (std::regex_search(req.path, m, versioned)) {
      int minor = std::stoi(m[2]);
      std::string v = m[1].str() + "." + m[2].str();
      if (m[1] != "1" || minor > 41) {
        error(res, 400, "client version " + v + " is too new. Maximum supported API version is 1.41");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (minor < 12) {
        res.status = 400;
        res.set_content("client version " + v + " is too old. Minimum supported API version is 1.12, please upgrade your client to a newer version\n",
                        "text/plain; charset=utf-8");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  auto ping = [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-cache, no-store, must-revalidate");
    res.set_header("Pragma", "no-cache");
    res.set_content("OK", "text/plain; charset=utf-8");
  };
  srv.Get(R"(/(?:v[\d.]+/)?_ping)", ping);
  srv.Get(R"(/(?:v[\d.]+/)?version)", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(swarm.version_body, "application/json");
  });
  srv.Get(R"(/(?:v[\d.]+/)?info)", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(swarm.info_body, "application/json");
  });
  srv.Get(R"(/(?:v[\d.]+/)?networks)", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(swarm.networks_body, "application/json");
  });

  srv.Get(R"(/(?:v[\d.]+/)?nodes)", [&](const httplib::Request& req, httplib::Response& res) {
    auto f = filters(req);
    if (f.empty()) return res.set_content(swarm.nodes_body, "application/json");
    json out = json::array();
    for (const auto& n : swarm.nodes)
      if (matches(f, "id", n["ID"], true) && matches(f, "name", n["Description"]["Hostname"]) &&
          matches(f, "role", n["Spec"]["Role"]))
        out.push_back(n);
    res.set_content(out.dump() + "\n", "application/json");
  });
  srv.Get(R"(/(?:v[\d.]+/)?nodes/([^/]+))", [&](const httplib::Request& req, httplib::Response& res) {
    auto it = swarm.node_index.find(req.matches[1]);
    if (it == swarm.node_index.end()) return error(res, 404, "node " + req.matches[1].str() + " not found");
    res.set_content(swarm.nodes[it->second].dump() + "\n", "application/json");
  });
  srv.Get(R"(/(?:v[\d.]+/)?services)", [&](const httplib::Request& req, httplib::Response& res) {
    auto f = filters(req);
    if (f.empty()) return res.set_content(swarm.services_body, "application/json");
    json out = json::array();
    for (const auto& s : swarm.services)
      if (matches(f, "id", s["ID"], true) && matches(f, "name", s["Spec"]["Name"], true)) out.push_back(s);
    res.set_content(out.dump() + "\n", "application/json");
  });
  srv.Get(R"(/(?:v[\d.]+/)?services/([^/]+))", [&](const httplib::Request& req, httplib::Response& res) {
    auto it = swarm.service_index.find(req.matches[1]);
    if (it == swarm.service_index.end()) return error(res, 404, "service " + req.matches[1].str() + " not found");
    res.set_content(swarm.services[it->second].dump() + "\n", "application/json");
  });
  srv.Get(R"(/(?:v[\d.]+/)?tasks)", [&](const httplib::Request& req, httplib::Response& res) {
    auto f = filters(req);
    if (f.empty()) return res.set_content(swarm.tasks_body, "application/json");
    std::string out = "[";
    for (size_t i = 0; i < swarm.tasks.size(); ++i) {
      const json& t = swarm.tasks[i];
      if (matches(f, "id", t["ID"], true) && matches(f, "service", t["ServiceID"]) && matches(f, "node", t["NodeID"]) &&
          matches(f, "desired-state", t["DesiredState"]))
        out += (out.size() > 1 ? "," : "") + swarm.task_json[i];
    }
    res.set_content(out + "]\n", "application/json");
  });

  srv.Get("/_sim/requests", [&](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(counts_mu);
    res.set_content(json{{"total", total}, {"by_request", counts}}.dump() + "\n", "application/json");
  });
  srv.Delete("/_sim/requests", [&](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(counts_mu);
    counts.clear();
    total = 0;
    res.status = 204;
  });
  srv.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404 && res.body.empty())
      error(res, 404, "page not found (docker-api-sim serves only " + req.method + " of a few read endpoints)");
  });

  int port = o.port == 0 ? srv.bind_to_any_port(o.bind) : (srv.bind_to_port(o.bind, o.port) ? o.port : -1);
  if (port < 0) {
    std::cerr << "docker-api-sim: error: cannot listen on " << o.bind << ":" << o.port << "\n";
    return 1;
  }
  std::cout << port << std::endl;
  std::signal(SIGPIPE, SIG_IGN);
  static httplib::Server* server = &srv;
  std::signal(SIGTERM, [](int) { server->stop(); });
  std::signal(SIGINT, [](int) { server->stop(); });
  srv.listen_after_bind();
  return 0;
}
