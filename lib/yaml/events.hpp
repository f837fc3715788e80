// Internal to the modules that read YAML files (lib/config, lib/manifest): libyaml's event
// parser behind a small C++ interface. libyaml is the C parser that go-yaml, and with it docker's
// own compose loader, was ported from: the same grammar and the same words for a syntax error.
// It parses a compose file several times faster than yaml-cpp did, in a fraction of the code.
//
// Events come in document order; anchors and aliases are passed on by name, unresolved (the
// reader of the events decides what an alias may expand to). Memory is bounded by the text.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace hcl::yaml {

struct Mark {
  int line = 1;  // from 1
  int col = 1;   // from 1, in characters
};

struct Event {
  enum class Kind { StreamStart, StreamEnd, DocumentStart, DocumentEnd, Scalar, Alias, SeqStart, SeqEnd, MapStart, MapEnd };
  Kind kind = Kind::StreamEnd;
  Mark at;             // where the node (or document) starts
  std::string anchor;  // &NAME on a node, or the NAME of an alias (*NAME); empty when none
  std::string tag;     // as resolved: "!reset", "tag:yaml.org,2002:str"; empty when none is given
  std::string value;   // a scalar's text
  bool plain = false;  // a scalar written without quotes or block indicators

  // A plain scalar that YAML reads as null: empty, ~, null, Null or NULL, untagged or with a
  // local tag (compose's `!reset null`); `!!str null` is the string.
  bool is_null() const;
};

// Why the text stopped being YAML: libyaml's words (“did not find expected key”), where it saw
// it, and what it was reading then (“while parsing a block mapping” at context).
struct SyntaxError {
  Mark at;
  std::string problem;
  std::string context;
  Mark context_at;

  // "did not find expected key (in the block mapping that starts at line 2)"
  std::string message() const;
};

class Reader {
 public:
  explicit Reader(std::string_view text);  // the text must outlive the reader
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // The next event; false after StreamEnd and at a syntax error (error() then says which).
  bool next(Event& event);
  const SyntaxError* error() const { return failed_ ? &error_ : nullptr; }

 private:
  struct Parser;
  std::unique_ptr<Parser> parser_;
  bool done_ = false;
  bool failed_ = false;
  SyntaxError error_;
};

}  // namespace hcl::yaml
