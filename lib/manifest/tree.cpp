#include "tree.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <string_view>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <optional>
#include <sstream>

namespace hcl::manifest {

std::string Location::str() const {
  if (line <= 0) return file;
  std::string at = fmt::format("{}:{}:{}", file, line, col);
  return via.empty() ? at : fmt::format("{} (through the alias at {})", at, via);
}

namespace detail {

const Entry* Node::entry(std::string_view key) const {
  if (kind != Kind::Map) return nullptr;
  for (const auto& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

const Node* Node::get(std::string_view key) const {
  const Entry* e = entry(key);
  return e ? &e->value : nullptr;
}

std::size_t count_nodes(const Node& node) {
  std::size_t n = 1;
  for (const auto& i : node.items) n += count_nodes(i);
  for (const auto& e : node.entries) n += count_nodes(e.value);
  return n;
}

std::string describe(const Node& node) {
  switch (node.kind) {
    case Node::Kind::Null: return "empty";
    case Node::Kind::Scalar: return fmt::format("'{}'", node.text);
    case Node::Kind::Seq: return "a list";
    case Node::Kind::Map: return "a mapping";
  }
  return "";
}

void Diagnostics::error(const Location& where, std::string message) { errors.push_back({where, std::move(message)}); }
void Diagnostics::warn(const Location& where, std::string message) { warnings.push_back({where, std::move(message)}); }

namespace {

// Aliases are copied, so a few lines of anchors can expand to millions of nodes (and yaml-cpp
// lets an anchor contain its own alias, which never ends): both are cut off.
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxNodes = 50000;
// The most keys, values and items a file may have as written (a large compose file has a few
// thousand). yaml-cpp's tree takes ~550 bytes for each: a 4 MiB file of 195,000 one-line
// services took 418 MB and 30 s before the alias limit above stopped it. So they are counted
// first, as yaml-cpp's parser reports them, keeping nothing, and the tree is built only for a
// file under the limit.
constexpr std::size_t kMaxEvents = 40000;

struct TooManyValues {
  YAML::Mark mark;
};

class ValueCounter final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { count(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { count(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { count(m); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    count(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    count(m);
  }
  void OnMapEnd() override {}

 private:
  void count(const YAML::Mark& m) {
    if (++n_ > kMaxEvents) throw TooManyValues{m};
  }
  std::size_t n_ = 0;
};

// Error when the text has more than kMaxEvents keys and values; a syntax error is left to the
// parse that follows, which reports it.
std::optional<Error> too_many_values(const std::string& text, const std::string& file) {
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    ValueCounter counter;
    while (parser.HandleNextDocument(counter)) {
    }
  } catch (const TooManyValues& t) {
    return Error{ErrorKind::Usage, Location{file, t.mark.line + 1, t.mark.column + 1}.str(),
                 fmt::format("the manifest has more than {} keys and values by here; hcl reads compose files up to "
                             "that many",
                             kMaxEvents)};
  } catch (const YAML::Exception&) {
  }
  return std::nullopt;
}

// YAML anchors come before their aliases, and a key before its value: a value whose position is
// not after its key's (an item's not after the one before it) is an alias's copy of its anchor.
bool before(const YAML::Mark& a, const Location& b) {
  return a.line >= 0 && (a.line + 1 < b.line || (a.line + 1 == b.line && a.column + 1 <= b.col));
}

// Marks a copied subtree with where the alias that brought it is used (nested aliases keep
// their own).
void set_via(Node& n, const std::string& via) {
  if (n.where.via.empty()) n.where.via = via;
  for (auto& item : n.items) set_via(item, via);
  for (auto& e : n.entries) {
    if (e.where.via.empty()) e.where.via = via;
    set_via(e.value, via);
  }
}

class Converter {
 public:
  Converter(const std::string& file, Diagnostics& diag) : file_(file), diag_(diag) {}

  // False when the limits were hit; the reason is in error().
  bool convert(const YAML::Node& in, Node& out, int depth, const Location& fallback) {
    if (depth > kMaxDepth) return fail(fallback, "the manifest nests too deeply (is an anchor used inside itself?)");
    if (++nodes_ > kMaxNodes) return fail(fallback, "the manifest is too large once its aliases are expanded");
    out.where = at(in.Mark(), fallback);
    // compose's merge tags; other tags leave the value as it is, as they did before.
    if (const std::string& tag = in.Tag(); tag == "!reset" || tag == "!override") out.tag = tag;
    switch (in.Type()) {
      case YAML::NodeType::Scalar:
        out.kind = Node::Kind::Scalar;
        out.text = in.Scalar();
        // Raw control characters are refused before parsing; a quoted "\0" still makes one, which
        // no argument, variable or name can hold (the kernel's strings end at it).
        if (out.text.find('\0') != std::string::npos) diag_.error(out.where, "a value cannot hold a NUL character (\\0)");
        return true;
      case YAML::NodeType::Sequence: {
        out.kind = Node::Kind::Seq;
        Location last = out.where;
        for (const auto& item : in) {
          out.items.emplace_back();
          bool alias = item.Mark().line >= 0 && (before(item.Mark(), out.where) ||
                                                 (out.items.size() > 1 && before(item.Mark(), last)));
          if (!convert(item, out.items.back(), depth + 1, out.where)) return false;
          if (alias) set_via(out.items.back(), out.where.str());
          else last = out.items.back().where;
        }
        return true;
      }
      case YAML::NodeType::Map:
        out.kind = Node::Kind::Map;
        return convert_map(in, out, depth);
      default:
        out.kind = Node::Kind::Null;
        return true;
    }
  }

  const Error& error() const { return error_; }

 private:
  Location at(const YAML::Mark& m, const Location& fallback) const {
    if (m.line < 0) return fallback;
    return {file_, m.line + 1, m.column + 1};
  }

  bool fail(const Location& where, std::string why) {
    error_ = Error{ErrorKind::Usage, where.str(), std::move(why)};
    return false;
  }

  bool convert_map(const YAML::Node& in, Node& out, int depth) {
    std::vector<Entry> merged;  // from `<<` merge keys; explicit keys win over them
    for (const auto& pair : in) {
      const YAML::Node& k = pair.first;
      Location key_at = at(k.Mark(), out.where);
      if (!k.IsScalar()) {
        diag_.error(key_at, "a key must be a plain string");
        continue;
      }
      Entry e{k.Scalar(), key_at, {}};
      // An empty value's mark points at whatever follows it; the key is the better place.
      Location value_fallback = key_at;
      bool alias = before(pair.second.Mark(), key_at);
      if (!convert(pair.second, e.value, depth + 1, value_fallback)) return false;
      if (alias) set_via(e.value, key_at.str());
      if (e.value.is_null()) e.value.where = key_at;
      if (e.key == "<<" && k.Tag() != "!") {
        if (!merge(e.value, merged)) diag_.error(key_at, "a merge key (<<) takes a mapping or a list of mappings");
        continue;
      }
      if (const Entry* first = out.entry(e.key)) {
        diag_.error(key_at, fmt::format("duplicate key '{}' (first at line {})", e.key, first->where.line));
        continue;
      }
      out.entries.push_back(std::move(e));
    }
    for (auto& e : merged)
      if (!out.entry(e.key)) out.entries.push_back(std::move(e));
    return true;
  }

  // YAML's merge keys: earlier sources win over later ones, explicit keys over all.
  static bool merge(const Node& source, std::vector<Entry>& merged) {
    auto add = [&](const Node& map) {
      for (const auto& e : map.entries) {
        bool seen = false;
        for (const auto& m : merged) seen = seen || m.key == e.key;
        if (!seen) merged.push_back(e);
      }
    };
    if (source.is_map()) {
      add(source);
      return true;
    }
    if (!source.is_seq()) return false;
    for (const auto& item : source.items)
      if (!item.is_map()) return false;
    for (const auto& item : source.items) add(item);
    return true;
  }

  const std::string& file_;
  Diagnostics& diag_;
  std::size_t nodes_ = 0;
  Error error_;
};

// yaml-cpp's message for a tab in the indentation says nothing about tabs.
std::string tab_hint(const std::string& text, int line) {
  std::size_t start = 0;
  for (int i = 0; i < line && start != std::string::npos; ++i) {
    start = text.find('\n', start);
    if (start != std::string::npos) ++start;
  }
  if (start == std::string::npos) return "";
  auto indent_end = text.find_first_not_of(" \t", start);
  auto tab = text.find('\t', start);
  return tab != std::string::npos && tab < indent_end ? " (YAML indentation cannot use tabs)" : "";
}

// The offset of the first byte that is not part of valid UTF-8 (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or npos.
std::size_t invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return i;
    auto b1 = static_cast<unsigned char>(s[i + 1]);
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (b1 < lo || b1 > hi) return i;
    for (std::size_t k = 2; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return i;
    i += n;
  }
  return std::string_view::npos;
}

}  // namespace

Result<Node> parse_yaml(const std::string& text, const std::string& file, Diagnostics& diag) {
  // YAML files are UTF-8; yaml-cpp passes other bytes through, and they would reach the
  // engine's JSON, which cannot carry them.
  if (auto bad = invalid_utf8(text); bad != std::string_view::npos) {
    std::size_t line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
    line_start = line_start == std::string::npos || bad == 0 ? 0 : line_start + 1;
    int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n'));
    return Error{ErrorKind::Usage, Location{file, line, static_cast<int>(bad - line_start) + 1}.str(),
                 fmt::format("the manifest is not valid UTF-8 (byte 0x{:02X}); YAML files are UTF-8",
                             static_cast<unsigned char>(text[bad]))};
  }
  // YAML allows no control character but tab and line breaks in a file; yaml-cpp passes them
  // through into values (a NUL in an image name reached the engine), where they only do harm.
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c >= 0x20 && c != 0x7f) || c == '\t' || c == '\n' || c == '\r') continue;
    std::size_t line_start = i == 0 ? std::string::npos : text.rfind('\n', i - 1);
    line_start = line_start == std::string::npos ? 0 : line_start + 1;
    int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(i), '\n'));
    return Error{ErrorKind::Usage, Location{file, line, static_cast<int>(i - line_start) + 1}.str(),
                 fmt::format("the manifest holds a control character (byte 0x{:02X}); YAML files hold text only", c)};
  }
  if (auto e = too_many_values(text, file)) return *e;
  YAML::Node root;
  try {
    // Every document is parsed, so that a second one is refused rather than silently dropped.
    std::vector<YAML::Node> documents = YAML::LoadAll(text);
    for (std::size_t d = 1; d < documents.size(); ++d) {
      if (documents[d].IsNull()) continue;  // a trailing '---' with nothing after it
      const YAML::Mark m = documents[d].Mark();
      return Error{ErrorKind::Usage, Location{file, m.line + 1, m.column + 1}.str(),
                   "a second YAML document (after '---') starts here; a compose file is one document"};
    }
    if (!documents.empty()) root = documents.front();
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp gives this one the message "bad file".
    return Error{ErrorKind::Usage, Location{file, e.mark.line + 1, e.mark.column + 1}.str(), "the manifest nests too deeply"};
  } catch (const YAML::Exception& e) {
    Location where{file, e.mark.line + 1, e.mark.column + 1};
    if (e.mark.line < 0) where = {file, 1, 1};
    return Error{ErrorKind::Usage, where.str(), e.msg + tab_hint(text, e.mark.line)};
  }
  Converter c(file, diag);
  Node out;
  if (!c.convert(root, out, 0, Location{file, 1, 1})) return c.error();
  return out;
}

}  // namespace detail
}  // namespace hcl::manifest
