// Consul's key/value store over a Transport: read, list, write (with check-and-set and flags),
// delete and watch (blocking queries). Values are bytes, passed through unchanged in both
// directions: Consul's JSON carries them base64-encoded and this client decodes them; writes send
// the raw bytes. The ACL token is sent as X-Consul-Token and never appears in a URL, log line or
// error message.
//
// Keys: a leading '/' (or several) is dropped, as the consul CLI does, so "/app/x" is "app/x".
// Each '/'-separated segment is percent-encoded, the slashes are kept. get, put and remove refuse
// an empty key (after dropping leading slashes) with ErrorKind::Usage; list and keys take an empty
// prefix as "the whole store".
#pragma once

#include <hcl/error.hpp>
#include <hcl/http.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hcl::consul {

struct KvEntry {
  std::string key;
  std::string value;  // bytes, exactly as stored
  std::uint64_t flags = 0;
  std::uint64_t create_index = 0;
  std::uint64_t modify_index = 0;
  std::uint64_t lock_index = 0;
  std::string session;  // empty unless a session holds the key's lock
};

// Consul's upper limit for a blocking query's ?wait; longer waits are shortened to it.
inline constexpr std::chrono::milliseconds kKvMaxWait{10 * 60 * 1000};

class Kv {
 public:
  // The client does not own the transport. An empty token sends none.
  explicit Kv(http::Transport& transport, std::string token = {});

  // The entry, or nullopt when the key does not exist (Consul's 404).
  Result<std::optional<KvEntry>> get(std::string_view key);
  // Every entry whose key starts with `prefix` (?recurse), in key order; none: an empty list.
  Result<std::vector<KvEntry>> list(std::string_view prefix);
  // The keys under `prefix` (?keys); with a separator, keys are rolled up after the prefix at the
  // first separator ("a/b/c" under "" with "/" is "a/"). None: an empty list.
  Result<std::vector<std::string>> keys(std::string_view prefix,
                                        std::optional<std::string> separator = std::nullopt);
  // Writes `value` as it is. flags: the entry's opaque 64-bit flags (Consul's default is 0).
  // cas: check-and-set; 0 writes only if the key does not exist, N only if its ModifyIndex is N.
  // false: the check-and-set failed and nothing was written.
  Result<bool> put(std::string_view key, std::string value,
                   std::optional<std::uint64_t> flags = std::nullopt,
                   std::optional<std::uint64_t> cas = std::nullopt);
  // Deletes the key, or with `recurse` every key starting with it (prefix semantics: "app"
  // also deletes "apple"; write "app/" for a folder). Deleting a key that does not exist
  // succeeds, as in Consul. cas (not with recurse): delete only if the ModifyIndex is N.
  // false: the check-and-set failed and nothing was deleted.
  Result<bool> remove(std::string_view key, bool recurse = false,
                      std::optional<std::uint64_t> cas = std::nullopt);
  // A blocking read of one key. Returns the entry (nullopt: the key does not exist) and the
  // index to pass next time, as soon as the key's index passes `index`, or once `wait` is over
  // (then with the same index). index 0 never blocks: it reads at once and returns the current
  // index. If the server's index went backwards (a restored snapshot, a new cluster), the read is
  // repeated from 0, so the returned index may be lower than `index`; callers simply keep
  // passing what they got back. `wait` is capped at kKvMaxWait; the request's own timeout is
  // set above it (Consul adds up to wait/16 of jitter).
  Result<std::pair<std::optional<KvEntry>, std::uint64_t>> wait(std::string_view key, std::uint64_t index,
                                                                std::chrono::milliseconds wait);

  std::string endpoint() const { return transport_.describe(); }

 private:
  http::Request request(std::string method, std::string target) const;
  Result<http::Response> check(Result<http::Response> r, const http::Request& req) const;
  Result<std::pair<std::optional<KvEntry>, std::uint64_t>> read_indexed(const std::string& key,
                                                                        std::uint64_t index,
                                                                        std::chrono::milliseconds wait,
                                                                        bool need_index = true);

  http::Transport& transport_;
  std::string token_;
};

// "/v1/kv/" + the key with leading slashes dropped and each segment percent-encoded.
std::string kv_path(std::string_view key);

}  // namespace hcl::consul
