#include "tree.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <map>
#include <string_view>

#include "../yaml/events.hpp"

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

// Aliases are copied, so a few lines of anchors can expand to millions of nodes: cut off at these
// (an alias inside its own anchor is refused where it is used).
constexpr std::size_t kMaxDepth = 64;
constexpr std::size_t kMaxNodes = 50000;
// The most keys, values and items a file may have as written (a large compose file has a few
// thousand). Counted as the parser reports them, before any is kept: a 4 MiB file of 195,000
// one-line services once took 418 MB and 30 s in a YAML library's own tree.
constexpr std::size_t kMaxEvents = 40000;

// Why building stopped; thrown out of the event handlers and caught in parse_yaml.
struct Stop {
  Error error;
};

// The tree, built straight from the parser's events in one pass. Anchored nodes are kept as
// built; an alias is a copy of its anchor's node, marked with where the alias is used
// (Location::via). Duplicate keys and keys that are not strings are reported as each entry comes;
// what merge keys (`<<`) bring is added as their mapping ends.
class TreeBuilder {
 public:
  TreeBuilder(const std::string& file, Diagnostics& diag) : file_(file), diag_(diag) {}

  Node take_root() { return std::move(root_); }

  void on(yaml::Event& e) {
    using Kind = yaml::Event::Kind;
    switch (e.kind) {
      case Kind::DocumentStart: ++documents_; break;
      case Kind::Scalar:
        if (e.is_null()) on_null(e);
        else on_scalar(e);
        break;
      case Kind::SeqStart: open(e, Node::Kind::Seq); break;
      case Kind::MapStart: open(e, Node::Kind::Map); break;
      case Kind::SeqEnd:
      case Kind::MapEnd: close(); break;
      case Kind::Alias: on_alias(e); break;
      case Kind::StreamStart:
      case Kind::StreamEnd:
      case Kind::DocumentEnd: break;
    }
  }

 private:
  void on_null(const yaml::Event& e) {
    if (documents_ > 1 && stack_.empty()) {  // a trailing '---' with nothing after it
      count(e.at);
      return;
    }
    Node n;
    begin(e.at, n);
    set_tag(n, e.tag);
    if (!e.anchor.empty()) keep_anchor(e.anchor, n, 0, 1);
    attach(std::move(n), false, 0);
  }
  void on_scalar(yaml::Event& e) {
    Node n;
    begin(e.at, n);
    n.kind = Node::Kind::Scalar;
    n.text = std::move(e.value);
    set_tag(n, e.tag);
    // Raw control characters are refused before parsing; a quoted "\0" still makes one, which
    // no argument, variable or name can hold (the kernel's strings end at it).
    if (!at_key() && n.text.find('\0') != std::string::npos) diag_.error(n.where, "a value cannot hold a NUL character (\\0)");
    if (!e.anchor.empty()) keep_anchor(e.anchor, n, 0, 1);
    attach(std::move(n), !e.plain, 0);
  }

  void on_alias(const yaml::Event& e) {
    count(e.at);
    refuse_second_document(e.at);
    Location here = at(e.at);
    for (const auto& f : stack_)
      if (f.anchor == e.anchor)
        throw Stop{Error{ErrorKind::Usage, here.str(), "an alias is used inside its own anchor, which never ends"}};
    auto it = anchors_.find(e.anchor);
    if (it == anchors_.end())
      throw Stop{Error{ErrorKind::Usage, here.str(),
                       fmt::format("alias *{} refers to no anchor: &{} must mark a value before it", e.anchor, e.anchor)}};
    if (stack_.size() + it->second.height > kMaxDepth)
      throw Stop{Error{ErrorKind::Usage, here.str(), "the manifest nests too deeply"}};
    nodes_ += it->second.count;
    if (nodes_ > kMaxNodes)
      throw Stop{Error{ErrorKind::Usage, here.str(), "the manifest is too large once its aliases are expanded"}};
    Node copy = it->second.node;
    // Where the alias is used: the key it is the value of, or the list it is an item of (as
    // a message names it); the copy's own positions stay the anchor's.
    const Frame* parent = stack_.empty() ? nullptr : &stack_.back();
    std::string via = parent == nullptr ? here.str()
                      : parent->node.is_map() && parent->has_key ? parent->key_at.str()
                                                                   : parent->node.where.str();
    set_via(copy, via);
    attach(std::move(copy), false, it->second.height);
  }

  struct Frame {
    Node node;
    std::string anchor;
    std::size_t height = 0;  // levels below it so far
    // Mappings: the key whose value comes next.
    bool has_key = false;
    Node key;
    Location key_at;
    bool key_quoted = false;
    std::vector<Entry> merged;  // from `<<` merge keys; explicit keys win over them
  };
  struct Anchored {
    Node node;
    std::size_t height = 0;
    std::size_t count = 0;
  };

  // Marks a copied subtree with where the alias that brought it is used (nested aliases keep
  // their own).
  static void set_via(Node& n, const std::string& via) {
    if (n.where.via.empty()) n.where.via = via;
    for (auto& item : n.items) set_via(item, via);
    for (auto& e : n.entries) {
      if (e.where.via.empty()) e.where.via = via;
      set_via(e.value, via);
    }
  }

  bool at_key() const { return !stack_.empty() && stack_.back().node.is_map() && !stack_.back().has_key; }

  Location at(const yaml::Mark& m) const { return {file_, m.line, m.col}; }

  void count(const yaml::Mark& m) {
    if (++events_ > kMaxEvents)
      throw Stop{Error{ErrorKind::Usage, at(m).str(),
                       fmt::format("the manifest has more than {} keys and values by here; hcl reads compose files up "
                                   "to that many",
                                   kMaxEvents)}};
  }

  // A second document is refused rather than silently dropped. (An empty one, a trailing '---'
  // with nothing after it, comes as a null: on_null lets it through.)
  void refuse_second_document(const yaml::Mark& m) const {
    if (documents_ > 1 && stack_.empty())
      throw Stop{Error{ErrorKind::Usage, at(m).str(),
                       "a second YAML document (after '---') starts here; a compose file is one document"}};
  }

  // The start of any node but an alias: counted, placed, and checked against the limits.
  void begin(const yaml::Mark& m, Node& n) {
    count(m);
    refuse_second_document(m);
    n.where = at(m);
    if (stack_.size() > kMaxDepth) throw Stop{Error{ErrorKind::Usage, n.where.str(), "the manifest nests too deeply"}};
    if (++nodes_ > kMaxNodes)
      throw Stop{Error{ErrorKind::Usage, n.where.str(), "the manifest is too large once its aliases are expanded"}};
  }

  static void set_tag(Node& n, const std::string& tag) {
    // compose's merge tags; other tags leave the value as it is.
    if (tag == "!reset" || tag == "!override") n.tag = tag;
  }

  void open(const yaml::Event& e, Node::Kind kind) {
    Frame f;
    begin(e.at, f.node);
    f.node.kind = kind;
    set_tag(f.node, e.tag);
    f.anchor = e.anchor;
    stack_.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    for (auto& e : f.merged)
      if (!f.node.entry(e.key)) f.node.entries.push_back(std::move(e));
    if (!f.anchor.empty()) keep_anchor(f.anchor, f.node, f.height, count_nodes(f.node));
    attach(std::move(f.node), false, f.height);
  }

  // An anchored node is kept, as a copy, for the aliases that may follow (a later anchor of the
  // same name takes its place, as YAML says). Anchors inside anchors are copies inside copies, so
  // what they keep is limited too.
  void keep_anchor(const std::string& anchor, const Node& n, std::size_t height, std::size_t count) {
    anchored_nodes_ += count;
    if (anchored_nodes_ > kMaxNodes)
      throw Stop{Error{ErrorKind::Usage, n.where.str(),
                       fmt::format("the manifest's anchors (&name) hold more than {} values in all, counting anchors "
                                   "inside anchors again; hcl reads compose files up to that many",
                                   kMaxNodes)}};
    anchors_[anchor] = Anchored{n, height, count};
  }

  // Puts a complete node where it belongs: the root, a list's next item, a mapping's next key
  // (`quoted`: written in quotes, so `"<<"` is a plain key) or the value of the key before it.
  void attach(Node n, bool quoted, std::size_t height) {
    if (stack_.empty()) {
      if (documents_ <= 1) root_ = std::move(n);
      return;
    }
    Frame& f = stack_.back();
    f.height = std::max(f.height, height + 1);
    if (f.node.is_seq()) {
      f.node.items.push_back(std::move(n));
      return;
    }
    if (!f.has_key) {
      f.has_key = true;
      f.key_at = n.where;
      f.key_quoted = quoted;
      f.key = std::move(n);
      return;
    }
    f.has_key = false;
    if (!f.key.is_scalar()) {
      diag_.error(f.key_at, "a key must be a plain string");
      return;
    }
    Entry e{std::move(f.key.text), f.key_at, std::move(n)};
    // An empty value's position points at whatever follows it; the key is the better place.
    if (e.value.is_null()) e.value.where = e.where;
    if (e.key == "<<" && !f.key_quoted) {
      if (!merge(e.value, f.merged)) diag_.error(e.where, "a merge key (<<) takes a mapping or a list of mappings");
      return;
    }
    if (const Entry* first = f.node.entry(e.key)) {
      diag_.error(e.where, fmt::format("duplicate key '{}' (first at line {})", e.key, first->where.line));
      return;
    }
    f.node.entries.push_back(std::move(e));
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
  std::vector<Frame> stack_;
  std::map<std::string, Anchored> anchors_;
  Node root_;
  int documents_ = 0;
  std::size_t events_ = 0;
  std::size_t nodes_ = 0;
  std::size_t anchored_nodes_ = 0;
};

// The parser's message for a tab in the indentation says nothing about tabs.
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
  // YAML files are UTF-8, and nothing else can reach the engine's JSON: refused here with the
  // byte and its position.
  if (auto bad = invalid_utf8(text); bad != std::string_view::npos) {
    std::size_t line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
    line_start = line_start == std::string::npos || bad == 0 ? 0 : line_start + 1;
    int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n'));
    return Error{ErrorKind::Usage, Location{file, line, static_cast<int>(bad - line_start) + 1}.str(),
                 fmt::format("the manifest is not valid UTF-8 (byte 0x{:02X}); YAML files are UTF-8",
                             static_cast<unsigned char>(text[bad]))};
  }
  // YAML allows no control character but tab and line breaks in a file; in a value (a NUL in an
  // image name once reached the engine) they only do harm.
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c >= 0x20 && c != 0x7f) || c == '\t' || c == '\n' || c == '\r') continue;
    std::size_t line_start = i == 0 ? std::string::npos : text.rfind('\n', i - 1);
    line_start = line_start == std::string::npos ? 0 : line_start + 1;
    int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(i), '\n'));
    return Error{ErrorKind::Usage, Location{file, line, static_cast<int>(i - line_start) + 1}.str(),
                 fmt::format("the manifest holds a control character (byte 0x{:02X}); YAML files hold text only", c)};
  }
  // What the builder finds counts only when the whole file parses: after a syntax error nothing
  // can be trusted.
  Diagnostics found;
  TreeBuilder builder(file, found);
  yaml::Reader reader(text);
  yaml::Event event;
  try {
    while (reader.next(event)) builder.on(event);
  } catch (const Stop& stop) {
    return stop.error;
  }
  if (const auto* bad = reader.error())
    return Error{ErrorKind::Usage, Location{file, bad->at.line, bad->at.col}.str(), bad->message() + tab_hint(text, bad->at.line - 1)};
  Node out = builder.take_root();
  if (out.where.file.empty()) out.where = Location{file, 1, 1};
  for (auto& e : found.errors) diag.errors.push_back(std::move(e));
  for (auto& w : found.warnings) diag.warnings.push_back(std::move(w));
  return out;
}

}  // namespace detail
}  // namespace hcl::manifest
