// Image references: the grammar of the distribution reference package the docker CLI uses,
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [domain "/"] path-component ["/" path-component]*
// with a domain told apart from a path by a ".", a ":" or being "localhost".
#include <hcl/swarm/images.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace hcl::swarm {
namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// [a-z0-9]+ with single ".", "_", "__" or any run of "-" between.
bool valid_path_component(std::string_view c) {
  if (c.empty() || !lower_alnum(c.front()) || !lower_alnum(c.back())) return false;
  for (std::size_t i = 0; i < c.size(); ++i) {
    char ch = c[i];
    if (lower_alnum(ch)) continue;
    if (ch == '.' && lower_alnum(c[i + 1])) continue;
    if (ch == '_' && (lower_alnum(c[i + 1]) || (c[i + 1] == '_' && lower_alnum(c[i + 2])))) {
      if (c[i + 1] == '_') ++i;
      continue;
    }
    if (ch == '-') {
      while (c[i + 1] == '-') ++i;
      if (lower_alnum(c[i + 1])) continue;
    }
    return false;
  }
  return true;
}

bool valid_domain(std::string_view d) {
  if (d.empty()) return false;
  if (d.front() == '[') return d.find(']') != std::string_view::npos;  // [IPv6]:port
  auto colon = d.rfind(':');
  std::string_view host = d.substr(0, colon);
  if (colon != std::string_view::npos) {
    std::string_view port = d.substr(colon + 1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  }
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  });
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  return word(t.front()) && std::all_of(t.begin(), t.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

bool valid_digest(std::string_view d) {
  auto colon = d.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == d.size()) return false;
  std::string_view hex = d.substr(colon + 1);
  return hex.size() >= 32 && std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

bool is_image_id(std::string_view s) {
  if (s.starts_with("sha256:")) s.remove_prefix(7);
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

Result<std::string> normalize_image(std::string_view ref) {
  auto bad = [&](const std::string& why) {
    return Error{ErrorKind::Usage, fmt::format("image '{}'", ref), fmt::format("not a valid image reference: {}", why)};
  };
  if (is_image_id(ref)) return std::string(ref);
  std::string_view rest = ref;
  std::string digest;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    digest = std::string(rest.substr(at + 1));
    if (!valid_digest(digest)) return bad(fmt::format("'{}' is not a digest (ALGORITHM:HEX)", digest));
    rest = rest.substr(0, at);
  }
  std::string tag;
  auto last_slash = rest.rfind('/');
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    tag = std::string(rest.substr(colon + 1));
    if (!valid_tag(tag)) return bad(fmt::format("'{}' is not a tag", tag));
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return bad("no name");
  std::string domain;
  std::string_view path = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view first = rest.substr(0, slash);
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost" || first.front() == '[') {
      if (!valid_domain(first)) return bad(fmt::format("'{}' is not a registry address", first));
      domain = std::string(first);
      path = rest.substr(slash + 1);
    }
  }
  for (std::size_t start = 0; start <= path.size();) {
    auto slash = path.find('/', start);
    std::string_view c = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!valid_path_component(c))
      return bad(fmt::format("'{}' must be lower-case letters and digits, separated by '.', '_' or '-'", c));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (rest.size() > 255) return bad("the name is longer than 255 characters");
  // The short form: Docker Hub's own domain and its "library/" namespace left out.
  std::string name(path);
  if (!domain.empty() && domain != "docker.io" && domain != "index.docker.io") name = domain + "/" + name;
  else if (name.starts_with("library/") && name.find('/', 8) == std::string::npos) name = name.substr(8);
  if (tag.empty() && digest.empty()) tag = "latest";
  if (!tag.empty()) name += ":" + tag;
  if (!digest.empty()) name += "@" + digest;
  return name;
}

}  // namespace hcl::swarm
