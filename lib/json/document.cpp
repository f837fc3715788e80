// A document from the push parser's events (document.hpp).
#include "document.hpp"

#include "push.hpp"

#include <string>
#include <utility>
#include <vector>

namespace hcl::json_push {
namespace {

using json = nlohmann::json;

// Each value goes where the open container above it says: appended to an array, under the last
// key in an object, or, with none open, as the document. Containers are kept as pointers into
// the document: an element's address stays put while it is open, since its parent only grows
// after it closes (std::map nodes never move).
class Builder final : public Handler {
 public:
  json document;

  bool null() override { return put(nullptr); }
  bool boolean(bool v) override { return put(v); }
  bool number_integer(std::int64_t v) override { return put(v); }
  bool number_unsigned(std::uint64_t v) override { return put(v); }
  bool number_float(double v) override { return put(v); }
  bool string(std::string& v) override { return put(std::move(v)); }
  bool start_object() override { return open(json::value_t::object); }
  bool start_array() override { return open(json::value_t::array); }
  bool key(std::string& name) override {
    key_ = std::move(name);
    return true;
  }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  // Why the builder stopped the parse, or empty.
  const std::string& refused() const { return refused_; }

 private:
  json* place(json&& v) {
    if (open_.empty()) {
      document = std::move(v);
      return &document;
    }
    json& parent = *open_.back();
    if (parent.is_array()) {
      auto& a = parent.get_ref<json::array_t&>();
      a.push_back(std::move(v));
      return &a.back();
    }
    auto& o = parent.get_ref<json::object_t&>();
    return &o.insert_or_assign(std::move(key_), std::move(v)).first->second;
  }
  template <class V>
  bool put(V&& v) {
    if (!count()) return false;
    place(json(std::forward<V>(v)));
    return true;
  }
  bool open(json::value_t kind) {
    if (open_.size() >= kMaxDocumentDepth)
      return refuse("values nested deeper than " + std::to_string(kMaxDocumentDepth) + " levels");
    if (!count()) return false;
    open_.push_back(place(json(kind)));
    return true;
  }
  bool count() {
    return ++values_ <= kMaxDocumentValues || refuse("more than " + std::to_string(kMaxDocumentValues) + " values");
  }
  bool refuse(std::string why) {
    refused_ = std::move(why);
    return false;
  }
  bool close() {
    open_.pop_back();
    return true;
  }

  std::vector<json*> open_;
  std::string key_;
  std::size_t values_ = 0;
  std::string refused_;
};

}  // namespace

json parse_document(std::string_view text) {
  Builder b;
  Parser p(b, text.size());
  if (!p.feed(text) || !p.finish()) {
    if (!b.refused().empty()) throw SyntaxError(b.refused() + " at byte " + std::to_string(p.byte()));
    throw SyntaxError(p.error());
  }
  return std::move(b.document);
}

}  // namespace hcl::json_push
