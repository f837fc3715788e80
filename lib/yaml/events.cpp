#include "events.hpp"

#include <fmt/format.h>
#include <yaml.h>

namespace hcl::yaml {

bool Event::is_null() const {
  return kind == Kind::Scalar && plain && (tag.empty() || tag[0] == '!') &&
         (value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL");
}

std::string SyntaxError::message() const {
  // libyaml's contexts read "while parsing a block mapping", "while scanning a quoted scalar";
  // the ones that name no part of the text ("while scanning for the next token") add nothing.
  std::string_view what = context;
  for (std::string_view verb : {"while parsing ", "while scanning "})
    if (what.starts_with(verb)) what.remove_prefix(verb.size());
  for (std::string_view article : {"a ", "an "})
    if (what.starts_with(article))
      return fmt::format("{} (in the {} that starts at line {})", problem, what.substr(article.size()), context_at.line);
  return problem;
}

struct Reader::Parser {
  yaml_parser_t parser;
};

namespace {

Mark mark_of(const yaml_mark_t& m) { return Mark{static_cast<int>(m.line) + 1, static_cast<int>(m.column) + 1}; }

std::string text_of(const yaml_char_t* s) { return s == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(s)); }

// The start of a node: its kind, &anchor and tag.
void node(Event& out, Event::Kind kind, const yaml_char_t* anchor, const yaml_char_t* tag) {
  out.kind = kind;
  out.anchor = text_of(anchor);
  out.tag = text_of(tag);
}

}  // namespace

Reader::Reader(std::string_view text) : parser_(std::make_unique<Parser>()) {
  yaml_parser_initialize(&parser_->parser);
  yaml_parser_set_input_string(&parser_->parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
}

Reader::~Reader() { yaml_parser_delete(&parser_->parser); }

bool Reader::next(Event& out) {
  if (done_ || failed_) return false;
  yaml_event_t e;
  if (yaml_parser_parse(&parser_->parser, &e) == 0) {
    const yaml_parser_t& p = parser_->parser;
    failed_ = true;
    error_.at = mark_of(p.problem_mark);
    error_.problem = p.problem != nullptr ? p.problem : p.error == YAML_MEMORY_ERROR ? "out of memory" : "not YAML";
    error_.context = p.context != nullptr ? p.context : "";
    error_.context_at = mark_of(p.context_mark);
    return false;
  }
  out = Event{};
  out.at = mark_of(e.start_mark);
  switch (e.type) {
    case YAML_NO_EVENT:
    case YAML_STREAM_END_EVENT:
      out.kind = Event::Kind::StreamEnd;
      done_ = true;
      break;
    case YAML_STREAM_START_EVENT: out.kind = Event::Kind::StreamStart; break;
    case YAML_DOCUMENT_START_EVENT: out.kind = Event::Kind::DocumentStart; break;
    case YAML_DOCUMENT_END_EVENT: out.kind = Event::Kind::DocumentEnd; break;
    case YAML_ALIAS_EVENT:
      out.kind = Event::Kind::Alias;
      out.anchor = text_of(e.data.alias.anchor);
      break;
    case YAML_SCALAR_EVENT:
      node(out, Event::Kind::Scalar, e.data.scalar.anchor, e.data.scalar.tag);
      out.value.assign(reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length);
      out.plain = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
      break;
    case YAML_SEQUENCE_START_EVENT:
      node(out, Event::Kind::SeqStart, e.data.sequence_start.anchor, e.data.sequence_start.tag);
      break;
    case YAML_SEQUENCE_END_EVENT: out.kind = Event::Kind::SeqEnd; break;
    case YAML_MAPPING_START_EVENT:
      node(out, Event::Kind::MapStart, e.data.mapping_start.anchor, e.data.mapping_start.tag);
      break;
    case YAML_MAPPING_END_EVENT: out.kind = Event::Kind::MapEnd; break;
  }
  yaml_event_delete(&e);
  return true;
}

}  // namespace hcl::yaml
