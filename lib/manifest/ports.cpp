// ports: of a service, in short ("8080:80/udp", ranges "8000-8010:8000-8010") and long syntax, as
// docker stack deploy reads them: each port its own entry, in ingress mode unless the long
// syntax says `mode: host`, sorted by published port.
#include "loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace hcl::manifest::detail {
namespace {

constexpr KeyRule kPortKeys[] = {
    {"target", Rule::Use, ""},     {"published", Rule::Use, ""}, {"protocol", Rule::Use, ""},
    {"mode", Rule::Use, ""},       {"host_ip", Rule::Use, ""},
    {"name", Rule::Ignore, "swarm ports have no names"},
    {"app_protocol", Rule::Ignore, "swarm ports have no application protocol"},
};

// hcl refuses to publish on all addresses what the file asks to publish on one (docker stack
// deploy publishes it on all, with a warning): a port meant for localhost would be open to all.
constexpr const char* kHostIp =
    "a swarm service publishes on every address of the node; publishing on one address is not possible";

bool all_addresses(std::string_view ip) { return ip.empty() || ip == "0.0.0.0" || ip == "::" || ip == "[::]"; }

struct Range {
  int first = 0, last = 0;
  int size() const { return last - first + 1; }
};

std::optional<Range> port_range(std::string_view text) {
  auto number = [](std::string_view t) -> std::optional<int> {
    auto n = parse_count(t);
    if (!n || *n < 1 || *n > 65535) return std::nullopt;
    return static_cast<int>(*n);
  };
  auto dash = text.find('-');
  auto first = number(text.substr(0, dash));
  auto last = dash == std::string_view::npos ? first : number(text.substr(dash + 1));
  if (!first || !last || *last < *first) return std::nullopt;
  return Range{*first, *last};
}

std::optional<std::string> protocol(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (text == "tcp" || text == "udp" || text == "sctp") return text;
  return std::nullopt;
}

// Target and published ranges paired one to one; a published range with one target maps each
// published port to it.
std::vector<docker::PortSpec> expand(Range target, std::optional<Range> published, const std::string& proto,
                                     docker::PublishMode mode) {
  std::vector<docker::PortSpec> out;
  if (published && target.size() == 1) {
    for (int p = published->first; p <= published->last; ++p) out.push_back({target.first, p, proto, mode});
    return out;
  }
  for (int i = 0; i < target.size(); ++i)
    out.push_back({target.first + i, published ? published->first + i : 0, proto, mode});
  return out;
}

std::vector<docker::PortSpec> short_port(const Node& item, Diagnostics& diag) {
  const std::string& text = item.text;
  auto fail = [&](const std::string& why) {
    diag.error(item.where, fmt::format("port '{}': {}", text, why));
    return std::vector<docker::PortSpec>{};
  };
  std::string_view t = text;
  std::string proto = "tcp";
  if (auto slash = t.rfind('/'); slash != std::string_view::npos) {
    auto p = protocol(std::string(t.substr(slash + 1)));
    if (!p) return fail(fmt::format("unknown protocol '{}'; use tcp, udp or sctp", t.substr(slash + 1)));
    proto = *p;
    t = t.substr(0, slash);
  }
  std::string_view ip;
  if (t.starts_with("[")) {  // [IPv6]:published:target
    auto close = t.find("]:");
    if (close == std::string_view::npos) return fail("expected [IPv6 address]:PUBLISHED:TARGET");
    ip = t.substr(0, close + 1);
    t = t.substr(close + 2);
  } else if (std::count(t.begin(), t.end(), ':') == 2) {
    auto colon = t.find(':');
    ip = t.substr(0, colon);
    t = t.substr(colon + 1);
  } else if (std::count(t.begin(), t.end(), ':') > 2) {
    return fail("expected [IP:][PUBLISHED:]TARGET[/PROTOCOL]; write an IPv6 address in brackets");
  }
  if (!all_addresses(ip)) return fail(fmt::format("host address '{}': {}", ip, kHostIp));
  auto colon = t.find(':');
  std::string_view target_text = colon == std::string_view::npos ? t : t.substr(colon + 1);
  auto target = port_range(target_text);
  if (!target) return fail(fmt::format("'{}' is not a port (1-65535) or a range of ports", target_text));
  std::optional<Range> published;
  if (colon != std::string_view::npos) {
    published = port_range(t.substr(0, colon));
    if (!published) return fail(fmt::format("'{}' is not a port (1-65535) or a range of ports", t.substr(0, colon)));
    if (target->size() != 1 && published->size() != target->size())
      return fail("the published and target ranges have different lengths");
  }
  return expand(*target, published, proto, docker::PublishMode::Ingress);
}

std::vector<docker::PortSpec> long_port(const Node& item, Diagnostics& diag) {
  check_keys(item, kPortKeys, "ports.", diag);
  const Node* target_node = item.get("target");
  if (!target_node) {
    diag.error(item.where, "a port in long syntax needs a target");
    return {};
  }
  auto range = [&](const Node& n, const char* path) -> std::optional<Range> {
    auto s = as_string(n, path, diag);
    if (!s) return std::nullopt;
    auto r = port_range(*s);
    if (!r) diag.error(n.where, fmt::format("{} must be a port (1-65535) or a range of ports, not '{}'", path, *s));
    return r;
  };
  auto target = range(*target_node, "ports.target");
  bool good = target.has_value();
  std::optional<Range> published;
  if (const Node* n = item.get("published"); n && !n->is_null()) {
    published = range(*n, "ports.published");
    good = good && published.has_value();
    if (published && target && target->size() != 1 && published->size() != target->size()) {
      diag.error(n->where, "ports.published and ports.target are ranges of different lengths");
      good = false;
    }
  }
  std::string proto = "tcp";
  if (const Node* n = item.get("protocol")) {
    auto text = as_string(*n, "ports.protocol", diag);
    auto p = text ? protocol(*text) : std::nullopt;
    if (text && !p) {
      diag.error(n->where, fmt::format("ports.protocol must be tcp, udp or sctp, not '{}'", *text));
      good = false;
    }
    if (p) proto = *p;
  }
  auto mode = docker::PublishMode::Ingress;
  if (const Node* n = item.get("mode")) {
    auto m = as_string(*n, "ports.mode", diag);
    if (m == "host") {
      mode = docker::PublishMode::Host;
    } else if (m && *m != "ingress") {
      diag.error(n->where, fmt::format("ports.mode must be host or ingress, not '{}'", *m));
      good = false;
    }
  }
  if (const Node* n = item.get("host_ip")) {
    auto ip = as_string(*n, "ports.host_ip", diag);
    if (ip && !all_addresses(*ip)) {
      diag.error(n->where, fmt::format("ports.host_ip '{}': {}", *ip, kHostIp));
      good = false;
    }
  }
  if (!good) return {};
  return expand(*target, published, proto, mode);
}

}  // namespace

void read_ports(const Node& node, Context& ctx, ParsedService& out) {
  Diagnostics& diag = ctx.diag;
  const auto* items = as_list(node, "ports", diag);
  if (!items) return;
  std::vector<std::pair<docker::PortSpec, Location>> ports;
  for (const auto& item : *items) {
    std::vector<docker::PortSpec> ps;
    if (item.is_scalar())
      ps = short_port(item, diag);
    else if (item.is_map())
      ps = long_port(item, diag);
    else
      diag.error(item.where, fmt::format("each item of ports must be a string or a mapping, not {}", describe(item)));
    for (auto& p : ps) {
      bool twice = p.published != 0 && std::any_of(ports.begin(), ports.end(), [&](const auto& q) {
                     return q.first.published == p.published && q.first.protocol == p.protocol;
                   });
      if (twice) {
        diag.error(item.where, fmt::format("published port {}/{} is listed twice", p.published, p.protocol));
        continue;
      }
      ports.emplace_back(p, item.where);
    }
  }
  std::stable_sort(ports.begin(), ports.end(), [](const auto& a, const auto& b) { return a.first.published < b.first.published; });
  for (auto& [p, where] : ports) {
    out.def.spec.ports.push_back(p);
    out.ports_at.push_back(where);
  }
}

}  // namespace hcl::manifest::detail
