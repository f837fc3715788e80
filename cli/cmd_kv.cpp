// hcl kv get|put|ls|rm|watch: Consul's key/value store. Values are bytes: what `put` reads is
// stored unchanged and `get` writes it back unchanged (no newline added).
#include "commands.hpp"
#include "table.hpp"

#include <hcl/config.hpp>
#include <hcl/kv.hpp>
#include <hcl/output.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>

namespace hcl::cli {
namespace {

struct GetOptions {
  std::string key;
  Format format = Format::Table;
};

struct PutOptions {
  std::string key;
  std::string value;  // the value, @FILE, or - for stdin
  std::optional<std::string> flags, cas;
};

struct KvListOptions {
  std::string prefix;
  std::optional<std::string> separator;
  Listing list;
};

struct KvRemoveOptions {
  std::string key;
  bool recurse = false;
  std::optional<std::string> cas;
};

struct WatchOptions {
  std::string key;
  std::string wait = "5m";
  Format format = Format::Table;
};

std::string_view bare(std::string_view key) {
  while (!key.empty() && key.front() == '/') key.remove_prefix(1);
  return key;
}

Result<consul::Kv> kv_client(Context& ctx) {
  auto c = ctx.config();
  if (!c) return c.error();
  auto t = ctx.consul_transport();
  if (!t) return t.error();
  return consul::Kv(**t, (*c)->consul_token);
}

// A flag's unsigned 64-bit number; the error names the flag and what it had.
Result<std::optional<std::uint64_t>> parse_u64(const std::optional<std::string>& text, const char* flag,
                                               const char* meaning) {
  if (!text) return std::optional<std::uint64_t>{};
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc{} || end != text->data() + text->size() || text->empty())
    return Error{ErrorKind::Usage, fmt::format("{}={}", flag, *text),
                 fmt::format("expected {} (a whole number from 0 to 18446744073709551615)", meaning)};
  return std::optional<std::uint64_t>{v};
}

// Reads all of a stream as bytes. `name` is how errors call it.
Result<std::string> read_all(std::FILE* f, const std::string& name) {
  std::string out;
  char buf[65536];
  for (;;) {
    std::size_t n = std::fread(buf, 1, sizeof buf, f);
    out.append(buf, n);
    if (n < sizeof buf) break;
  }
  if (std::ferror(f)) return Error{ErrorKind::Usage, name, fmt::format("cannot read: {}", std::strerror(errno))};
  return out;
}

// VALUE as given, @FILE's bytes, or stdin's for "-".
Result<std::string> value_of(const std::string& arg) {
  if (arg == "-") return read_all(stdin, "- (standard input)");
  if (!arg.starts_with("@")) return arg;
  std::string path = arg.substr(1);
  if (path.empty()) return Error{ErrorKind::Usage, "@", "expected @FILE, a file name after the @"};
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Error{ErrorKind::Usage, arg, fmt::format("cannot read: {}", std::strerror(errno))};
  return read_all(f.get(), arg);
}

Status run_get(Context& ctx, const GetOptions& o) {
  auto kv = kv_client(ctx);
  if (!kv) return kv.error();
  auto e = kv->get(o.key);
  if (!e) return e.error();
  if (!*e) return Error{ErrorKind::NotFound, fmt::format("Consul {}", kv->endpoint()), fmt::format("no key {}", bare(o.key))};
  ctx.out(o.format == Format::Json ? output::kv_entry_json(**e) : (*e)->value);
  return ok();
}

Status run_put(Context& ctx, const PutOptions& o) {
  auto flags = parse_u64(o.flags, "--flags", "flags");
  if (!flags) return flags.error();
  auto cas = parse_u64(o.cas, "--cas", "a modify index");
  if (!cas) return cas.error();
  auto value = value_of(o.value);
  if (!value) return value.error();
  auto kv = kv_client(ctx);
  if (!kv) return kv.error();
  auto done = kv->put(o.key, std::move(*value), *flags, *cas);
  if (!done) return done.error();
  if (*done) return ok();
  std::string what = fmt::format("key {}", bare(o.key));
  if (!*cas) return Error{ErrorKind::Failed, what, "Consul did not write it"};
  if (**cas == 0)
    return Error{ErrorKind::Conflict, what, "already exists (--cas 0 writes only a key that does not exist); nothing written"};
  return Error{ErrorKind::Conflict, what,
               fmt::format("changed: it no longer has modify index {} (or was deleted); nothing written", **cas)};
}

Status run_kv_list(Context& ctx, KvListOptions& o) {
  if (auto s = o.list.check(output::kv_key_rows_json({""})); !s) return s;
  auto kv = kv_client(ctx);
  if (!kv) return kv.error();
  auto keys = kv->keys(o.prefix, o.separator);
  if (!keys) return keys.error();
  if (o.list.format == Format::Json && !o.list.quiet) {
    ctx.out(output::kv_keys_json(*keys));
    return ok();
  }
  if (o.list.format == Format::Template && !o.list.quiet) {
    ctx.out(o.list.render(output::kv_key_rows_json(*keys)));
    return ok();
  }
  std::string text;
  for (const auto& k : *keys) text += safe_text(k) + "\n";
  ctx.out(text);
  return ok();
}

Status run_kv_remove(Context& ctx, const KvRemoveOptions& o) {
  auto cas = parse_u64(o.cas, "--cas", "a modify index");
  if (!cas) return cas.error();
  if (o.recurse && *cas) return Error{ErrorKind::Usage, "--cas", "cannot be combined with --recurse"};
  auto kv = kv_client(ctx);
  if (!kv) return kv.error();
  auto done = kv->remove(o.key, o.recurse, *cas);
  if (!done) return done.error();
  if (*done) return ok();
  std::string what = fmt::format("key {}", bare(o.key));
  if (!*cas) return Error{ErrorKind::Failed, what, "Consul did not delete it"};
  return Error{ErrorKind::Conflict, what,
               fmt::format("changed: it no longer has modify index {}; nothing deleted", **cas)};
}

Status run_watch(Context& ctx, const WatchOptions& o) {
  auto wait = config::parse_duration(o.wait, "--wait");
  if (!wait) return wait.error();
  // Consul caps a blocking query at 10 minutes; a longer --wait would be cut short unsaid.
  if (*wait > std::chrono::minutes(10))
    return Error{ErrorKind::Usage, fmt::format("--wait={}", o.wait), "at most 10m (Consul's longest blocking query)"};
  auto kv = kv_client(ctx);
  if (!kv) return kv.error();
  auto show = [&](const std::optional<consul::KvEntry>& e, std::uint64_t index) {
    if (o.format == Format::Json) {
      ctx.out(output::kv_event_json(o.key, e, index));
    } else if (e) {
      ctx.out(fmt::format("{} {}\n", e->modify_index, e->value));
    } else {
      ctx.out(fmt::format("{} (deleted)\n", index));
    }
    std::fflush(stdout);  // a line as soon as it changes, also into a pipe or a file
  };
  std::uint64_t index = 0;
  std::optional<std::uint64_t> shown;  // the modify index last printed; nullopt: absent
  for (;;) {
    auto r = kv->wait(o.key, index, *wait);
    if (!r) {
      // Ctrl-C is how a watch ends.
      if (r.error().kind == ErrorKind::Interrupted) return ok();
      return r.error();
    }
    auto& [entry, next] = *r;
    if (entry && shown != entry->modify_index) {
      show(entry, next);
      shown = entry->modify_index;
    } else if (!entry && shown) {
      show(entry, next);
      shown.reset();
    }
    index = next;
  }
}

// `--flag VALUE` into an optional, so that "given" and "not given" stay apart.
void optional_option(CLI::App* sub, const std::string& name, std::optional<std::string>& target, const std::string& type,
                     const std::string& help) {
  sub->add_option_function<std::string>(name, [&target](const std::string& v) { target = v; }, help)->type_name(type);
}

}  // namespace

void setup_kv(CLI::App* kv, Context& ctx) {
  kv->require_subcommand(1);

  auto g = std::make_shared<GetOptions>();
  auto* get = kv->add_subcommand("get", "Print a key's value, byte for byte (no newline added)");
  get->add_option("KEY", g->key, "Key (a leading / is dropped)")->required();
  add_format_flags(get, g->format, nullptr);
  get->callback([&ctx, g] { ctx.action = [&ctx, g] { return run_get(ctx, *g); }; });

  auto p = std::make_shared<PutOptions>();
  auto* put = kv->add_subcommand("put", "Write a key (quiet on success)");
  put->add_option("KEY", p->key, "Key (a leading / is dropped)")->required();
  put->add_option("VALUE", p->value, "The value; @FILE: the file's bytes; -: standard input's bytes")->required();
  optional_option(put, "--cas", p->cas, "INDEX", "Check-and-set: write only if the key's modify index is INDEX (0: only if absent)");
  optional_option(put, "--flags", p->flags, "N", "Opaque 64-bit flags stored with the value");
  put->callback([&ctx, p] { ctx.action = [&ctx, p] { return run_put(ctx, *p); }; });

  auto l = std::make_shared<KvListOptions>();
  auto* ls = kv->add_subcommand("ls", "List the keys under a prefix, one per line");
  ls->alias("list");
  ls->add_option("PREFIX", l->prefix, "Key prefix (default: the whole store)");
  optional_option(ls, "--separator", l->separator, "SEP", "Roll keys up at this separator after the prefix, e.g. /");
  add_listing_flags(ls, l->list, "Print the keys only, one per line (as the table does)");
  ls->callback([&ctx, l] { ctx.action = [&ctx, l] { return run_kv_list(ctx, *l); }; });

  auto r = std::make_shared<KvRemoveOptions>();
  auto* rm = kv->add_subcommand("rm", "Delete a key (deleting a missing key succeeds, as in Consul)");
  rm->alias("delete");
  rm->add_option("KEY", r->key, "Key (a leading / is dropped)")->required();
  rm->add_flag("-r,--recurse", r->recurse, "Delete every key that starts with KEY (write KEY/ for a folder)");
  optional_option(rm, "--cas", r->cas, "INDEX", "Check-and-set: delete only if the key's modify index is INDEX");
  rm->callback([&ctx, r] { ctx.action = [&ctx, r] { return run_kv_remove(ctx, *r); }; });

  auto w = std::make_shared<WatchOptions>();
  auto* watch = kv->add_subcommand("watch", "Print a key's value now and on every change, until Ctrl-C");
  watch->add_option("KEY", w->key, "Key (a leading / is dropped)")->required();
  watch->add_option("--wait", w->wait, "Longest wait of one blocking query (at most 10m)")->type_name("DURATION")->capture_default_str();
  add_format_flags(watch, w->format, nullptr);
  watch->footer("Each change is one line: MODIFY_INDEX VALUE (\"INDEX (deleted)\" when the key goes away),\n"
                "or with --format json one JSON object per line. Ctrl-C ends the watch with exit status 0.\n\n" +
                kv->get_parent()->get_footer());
  watch->callback([&ctx, w] { ctx.action = [&ctx, w] { return run_watch(ctx, *w); }; });
}

}  // namespace hcl::cli
