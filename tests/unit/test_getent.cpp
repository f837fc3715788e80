// A name's addresses through the system's getent, for an hcl whose C library is linked in.
#include "http/getent.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using hcl::http::detail::getent_addresses;
using hcl::http::detail::stream_addresses;

TEST_CASE("getent ahosts output: each stream address once, in getent's order") {
  const char* out =
      "198.18.72.10    STREAM master\n"
      "198.18.72.10    DGRAM  \n"
      "198.18.72.10    RAW    \n"
      "fd00::10        STREAM \n"
      "fd00::10        DGRAM  \n"
      "198.18.72.10\tSTREAM\n"
      "garbage\n"
      "\n"
      " STREAM leading-space\n"
      "10.0.0.9 STREAM";  // no newline at the end
  CHECK(stream_addresses(out) == std::vector<std::string>{"198.18.72.10", "fd00::10", "10.0.0.9"});
  CHECK(stream_addresses("").empty());
}

TEST_CASE("getent answers for a name as the system's resolver does; nothing for a name that is not found") {
  // The test programs are linked dynamically: the process's own C library is not linked in.
  CHECK_FALSE(hcl::http::detail::libc_linked_in());
  auto local = getent_addresses("localhost");
  REQUIRE(local.has_value());
  CHECK((std::find(local->begin(), local->end(), "127.0.0.1") != local->end() ||
         std::find(local->begin(), local->end(), "::1") != local->end()));
  auto none = getent_addresses("no-such-name.invalid");
  REQUIRE(none.has_value());
  CHECK(none->empty());
  // A name that would be an option to getent is still a name.
  auto dash = getent_addresses("--help");
  REQUIRE(dash.has_value());
  CHECK(dash->empty());
  // Never getent for a dynamically linked hcl: getaddrinfo loads the modules itself.
  CHECK_FALSE(hcl::http::detail::addresses_beyond_libc("localhost").has_value());
}
