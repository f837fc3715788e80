#include "server_core.hpp"

#include "go_duration.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <random>

namespace hcl::testing::cts {
namespace {

using namespace std::chrono_literals;

// Consul's limits for ?wait (agent/consul/rpc.go).
constexpr std::chrono::nanoseconds kDefaultWait = 5min;
constexpr std::chrono::nanoseconds kMaxWait = 10min;
constexpr int kJitterFraction = 16;

std::string random_uuid() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  std::uniform_int_distribution<int> hex(0, 15);
  std::string out = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";
  for (auto& c : out) {
    if (c == 'x' || c == 'y') {
      int v = hex(gen);
      if (c == 'y') v = (v & 0x3) | 0x8;
      c = "0123456789abcdef"[v];
    }
  }
  return out;
}

std::chrono::nanoseconds jitter(std::chrono::nanoseconds max) {
  if (max.count() <= 0) return 0ns;
  thread_local std::mt19937_64 gen{std::random_device{}()};
  std::uniform_int_distribution<std::int64_t> dist(0, max.count());
  return std::chrono::nanoseconds{dist(gen)};
}

std::optional<std::uint64_t> parse_uint64(const std::string& text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : sep) + item;
  return out;
}

// The token a request carries, where Consul looks for it: ?token=, then X-Consul-Token, then
// "Authorization: Bearer <token>".
std::string request_token(const httplib::Request& req) {
  if (auto t = req.get_param_value("token"); !t.empty()) return t;
  if (auto t = req.get_header_value("X-Consul-Token"); !t.empty()) return t;
  auto auth = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() > kBearer.size() && std::string_view(auth).substr(0, kBearer.size()) == kBearer) {
    auto t = auth.substr(kBearer.size());
    t.erase(0, t.find_first_not_of(' '));
    return t;
  }
  return {};
}

// Parses Consul's common query parameters, with its messages, in its order.
std::optional<ApiError> parse_query_options(const Call& call, const std::string& datacenter,
                                            QueryOptions& q) {
  q.stale = call.has("stale");
  q.consistent = call.has("consistent");
  if (q.stale && q.consistent) {
    return ApiError{400, "Cannot specify ?stale with ?consistent, conflicting semantics."};
  }
  if (auto wait = call.param("wait"); !wait.empty()) {
    auto d = parse_go_duration(wait);
    if (!d) return ApiError{400, "Invalid wait time"};
    q.wait = *d;
  }
  if (auto index = call.param("index"); !index.empty()) {
    auto i = parse_uint64(index);
    if (!i) return ApiError{400, "Invalid index"};
    q.min_index = *i;
  }
  if (call.has("filter")) {
    return ApiError{400, "?filter is not supported by the hcl Consul test server"};
  }
  if (auto dc = call.param("dc"); !dc.empty() && dc != datacenter) {
    return ApiError{500, "No path to datacenter"};
  }
  return std::nullopt;
}

}  // namespace

// --- filters ---

std::vector<std::string> param_values(const httplib::Request& req, const std::string& name) {
  std::vector<std::string> out;
  auto [begin, end] = req.params.equal_range(name);
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  return out;
}

MetaFilters node_meta_filters(const httplib::Request& req) {
  MetaFilters out;
  for (const auto& filter : param_values(req, "node-meta")) {
    auto colon = filter.find(':');
    if (colon == std::string::npos) {
      out.emplace_back(filter, "");
    } else {
      out.emplace_back(filter.substr(0, colon), filter.substr(colon + 1));
    }
  }
  return out;
}

bool matches(const Node& node, const MetaFilters& filters) {
  for (const auto& [key, value] : filters) {
    if (!node.meta) return false;
    auto it = node.meta->find(key);
    if (it == node.meta->end() || it->second != value) return false;
  }
  return true;
}

bool has_tags(const Service& service, const std::vector<std::string>& tags) {
  for (const auto& want : tags) {
    bool found = std::any_of(service.tags.begin(), service.tags.end(),
                             [&](const std::string& t) { return lower(t) == lower(want); });
    if (!found) return false;
  }
  return true;
}

// --- Call ---

void Call::fail(const ApiError& e) {
  res.status = e.status;
  res.set_content(e.message, "text/plain; charset=utf-8");
}

void Call::json(const ojson& body) {
  res.status = 200;
  res.set_content(query.pretty ? body.dump(4) + "\n" : body.dump(), "application/json");
}

void Call::empty(int status) {
  res.status = status;
  res.body.clear();
}

// --- Core ---

Core::Core(ConsulTestServerOptions options)
    : options_(std::move(options)), node_id_(random_uuid()) {
  // Like a single server agent that has just bootstrapped: its own node with a passing
  // serfHealth check and the "consul" service.
  const std::string& addr = options_.advertise;
  Registration self;
  self.id = node_id_;
  self.node = options_.node_name;
  self.address = addr;
  self.datacenter = options_.datacenter;
  self.tagged_addresses = StringMap{{"lan", addr}, {"lan_ipv4", addr}, {"wan", addr},
                                    {"wan_ipv4", addr}};
  self.node_meta = StringMap{{"consul-network-segment", ""}};
  Service consul;
  consul.id = "consul";
  consul.name = "consul";
  consul.port = 8300;
  consul.meta = {{"raft_version", "3"},         {"serf_protocol_current", "2"},
                 {"serf_protocol_max", "5"},    {"serf_protocol_min", "1"},
                 {"version", kVersion}};
  self.service = consul;
  Check serf;
  serf.check_id = kSerfCheckId;
  serf.name = "Serf Health Status";
  serf.status = "passing";
  serf.output = "Agent alive and reachable";
  self.checks.push_back(serf);
  store_.advance();  // raft's own first entry
  if (auto err = store_.apply(std::move(self), store_.advance())) {
    throw std::invalid_argument("consul test server: bad agent identity: " + err->message);
  }
}

void Core::read(Call& call, const std::function<ReadResult(const Store&)>& read) {
  const QueryOptions& q = call.query;
  auto timeout = q.wait.count() <= 0 ? kDefaultWait : std::min(q.wait, kMaxWait);
  timeout += jitter(timeout / kJitterFraction);
  const auto deadline = std::chrono::steady_clock::now() + timeout;

  ReadResult r;
  bool known_leader = true;
  {
    std::unique_lock lock(mu_);
    for (;;) {
      known_leader = leader_;
      if (!leader_ && !q.stale) {
        call.fail({500, "No cluster leader"});
        return;
      }
      r = read(store_);
      // Consul never reports index 0: a client would then never block.
      r.index = std::max<std::uint64_t>(r.index, 1);
      bool fresh = q.min_index == 0 || r.index > q.min_index;
      if (fresh || shutting_down_ || std::chrono::steady_clock::now() >= deadline) break;
      cv_.wait_until(lock, deadline);
    }
  }
  call.res.set_header("X-Consul-Index", std::to_string(r.index));
  call.res.set_header("X-Consul-KnownLeader", known_leader ? "true" : "false");
  call.res.set_header("X-Consul-LastContact", "0");
  call.res.set_header("X-Consul-Effective-Consistency",
                      q.stale ? "stale" : q.consistent ? "consistent" : "leader");
  call.res.set_header("X-Consul-Default-ACL-Policy", options_.token ? "deny" : "allow");
  if (r.raw) {
    // As Consul: no sniffing of stored bytes by browsers.
    call.res.status = 200;
    call.res.set_content(*r.raw, "text/plain");
    call.res.set_header("X-Content-Type-Options", "nosniff");
    call.res.set_header("Content-Security-Policy", "sandbox");
  } else if (r.body) {
    call.json(*r.body);
  } else {
    call.empty(r.status);
  }
}

std::optional<ApiError> Core::write(NeedsLeader needs_leader,
                                    const std::function<void(Store&, std::uint64_t)>& write) {
  {
    std::lock_guard lock(mu_);
    if (needs_leader == NeedsLeader::yes && !leader_) return ApiError{500, "No cluster leader"};
    write(store_, store_.advance());
  }
  cv_.notify_all();
  return std::nullopt;
}

void Core::inspect(const std::function<void(const Store&)>& look) const {
  std::lock_guard lock(mu_);
  look(store_);
}

bool Core::leader() const {
  std::lock_guard lock(mu_);
  return leader_;
}

void Core::set_leader(bool known) {
  {
    std::lock_guard lock(mu_);
    leader_ = known;
    store_.advance();
  }
  cv_.notify_all();
}

std::uint64_t Core::raft_index() const {
  std::lock_guard lock(mu_);
  return store_.raft_index();
}

void Core::note_ttl_update(const std::string& check_id) {
  std::lock_guard lock(mu_);
  ttl_updates_[check_id] = std::chrono::steady_clock::now();
}

std::optional<std::chrono::steady_clock::time_point> Core::ttl_update(
    const std::string& check_id) const {
  std::lock_guard lock(mu_);
  auto it = ttl_updates_.find(check_id);
  if (it == ttl_updates_.end()) return std::nullopt;
  return it->second;
}

void Core::shut_down() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
  }
  cv_.notify_all();
}

// --- Router ---

const Route* Router::match(const std::string& path) const {
  const Route* best = nullptr;
  for (const auto& r : routes_) {
    bool subtree = !r.pattern.empty() && r.pattern.back() == '/';
    bool hit = subtree ? path.compare(0, r.pattern.size(), r.pattern) == 0 : path == r.pattern;
    if (hit && (best == nullptr || r.pattern.size() > best->pattern.size())) best = &r;
  }
  return best;
}

void Router::dispatch(const httplib::Request& req, httplib::Response& res) const {
  const Route* route = match(req.path);
  if (route == nullptr) {
    res.status = 404;  // Go's ServeMux fallback in Consul: empty body
    return;
  }
  bool subtree = route->pattern.back() == '/';
  Call call(req, res, subtree ? req.path.substr(route->pattern.size()) : std::string{});

  // As Consul's wrap(): OPTIONS lists the methods; any other method not listed is 405.
  const auto& methods = route->methods;
  std::vector<std::string> allowed{"OPTIONS"};
  allowed.insert(allowed.end(), methods.begin(), methods.end());
  if (req.method == "OPTIONS") {
    res.set_header("Allow", join(allowed, ","));
    res.status = 200;
    return;
  }
  if (std::find(methods.begin(), methods.end(), req.method) == methods.end()) {
    res.set_header("Allow", join(allowed, ","));
    call.fail({405, "method " + req.method + " not allowed"});
    return;
  }
  call.query.pretty = call.has("pretty");
  const auto& options = core_.options();
  if (route->query_options) {
    if (auto err = parse_query_options(call, options.datacenter, call.query)) {
      call.fail(*err);
      return;
    }
  }
  if (route->acl && options.token) {
    std::string given = request_token(req);
    if (given.empty()) {
      call.fail({403, "Permission denied"});  // the anonymous token may do nothing
      return;
    }
    if (given != *options.token) {
      call.fail({403, "ACL not found"});  // Consul's answer for a token it does not know
      return;
    }
  }
  try {
    route->handler(call);
  } catch (const DecodeError& e) {
    call.fail({400, std::string("Request decode failed: ") + e.what()});
  } catch (const std::exception& e) {
    call.fail({500, e.what()});
  }
}

}  // namespace hcl::testing::cts
