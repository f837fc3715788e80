// A name's address from the hosts file, as getaddrinfo would take it from there.
#include "http/hosts_file.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <string>

using hcl::http::detail::hosts_file_address;
using hcl::testing::TempDir;

namespace {

constexpr const char* kHosts =
    "127.0.0.1\tlocalhost\n"
    "::1     localhost ip6-localhost ip6-loopback\n"
    "# the lab\n"
    "198.18.72.10 master   # the manager\n"
    "198.18.72.11\tnode1 Node1.lab\n"
    "198.18.72.12 node2\n"
    "198.18.72.13 node2\n"
    "198.18.72.20 twice\n"
    "198.18.72.20 twice\n"
    "fe80::1%eth0 zoned\n"
    "#198.18.72.30 commented\n"
    "2001:db8::5 six\n";

}  // namespace

TEST_CASE("a name the hosts file gives one address is read from it when nsswitch.conf looks there first") {
  TempDir dir;
  auto hosts = dir.write("hosts", kHosts);
  auto ns = dir.write("nsswitch.conf", "# comment\npasswd: files\nhosts:          files mdns4_minimal dns\n");
  CHECK(hosts_file_address("master", ns, hosts) == "198.18.72.10");
  CHECK(hosts_file_address("node1.lab", ns, hosts) == "198.18.72.11");  // an alias, in any case
  CHECK(hosts_file_address("NODE1", ns, hosts) == "198.18.72.11");
  CHECK(hosts_file_address("twice", ns, hosts) == "198.18.72.20");  // one address on two lines
  CHECK(hosts_file_address("six", ns, hosts) == "2001:db8::5");
  // Left to getaddrinfo: not in the file, several addresses (which it orders), an address with a zone,
  // a commented line, a prefix of a name.
  CHECK_FALSE(hosts_file_address("elsewhere", ns, hosts));
  CHECK_FALSE(hosts_file_address("localhost", ns, hosts));
  CHECK_FALSE(hosts_file_address("node2", ns, hosts));
  CHECK_FALSE(hosts_file_address("zoned", ns, hosts));
  CHECK_FALSE(hosts_file_address("commented", ns, hosts));
  CHECK_FALSE(hosts_file_address("mast", ns, hosts));
  CHECK_FALSE(hosts_file_address("", ns, hosts));
  CHECK_FALSE(hosts_file_address("master", ns, dir.path.string() + "/no-such-file"));
}

TEST_CASE("the hosts file is not read where the resolver would ask elsewhere first") {
  TempDir dir;
  auto hosts = dir.write("hosts", kHosts);
  CHECK(hosts_file_address("master", dir.write("a", "hosts:files dns\n"), hosts) == "198.18.72.10");
  CHECK(hosts_file_address("master", dir.write("b", "hosts: files\n"), hosts) == "198.18.72.10");
  CHECK_FALSE(hosts_file_address("master", dir.write("c", "hosts: dns files\n"), hosts));
  CHECK_FALSE(hosts_file_address("master", dir.write("d", "hosts: files [NOTFOUND=return] dns\n"), hosts));
  CHECK_FALSE(hosts_file_address("master", dir.write("e", "hosts: files [SUCCESS=continue] dns\n"), hosts));
  // The first hosts line counts; none at all means glibc's default, dns first.
  CHECK_FALSE(hosts_file_address("master", dir.write("f", "hosts: myhostname files\nhosts: files\n"), hosts));
  CHECK_FALSE(hosts_file_address("master", dir.write("g", "passwd: files\n"), hosts));
  CHECK_FALSE(hosts_file_address("master", dir.path.string() + "/no-nsswitch", hosts));
  // A line too long to read whole: the file is left to getaddrinfo.
  CHECK_FALSE(hosts_file_address("master", dir.write("h", "hosts: files\n"),
                                 dir.write("long", std::string(5000, 'x') + "\n198.18.72.10 master\n")));
}

TEST_CASE("the hosts sources a C library linked into hcl has built in: files and dns only") {
  using hcl::http::detail::hosts_sources_built_in;
  TempDir dir;
  auto check = [&](const std::string& text) { return hosts_sources_built_in(dir.write("nsswitch.conf", text)); };
  CHECK(check("hosts: files dns\n"));
  CHECK(check("hosts:files\n"));
  CHECK(check("hosts: dns [!UNAVAIL=return] files\n"));
  CHECK(check("hosts: files [ NOTFOUND = return ] dns\n"));  // an action of several words
  CHECK(check("passwd: files systemd\n"));                    // no hosts line: glibc's default, dns and files
  CHECK(hosts_sources_built_in((dir.path / "missing").string()));
  // A module of its own: a Raspberry Pi OS board's NAME.local, systemd's, libvirt's.
  CHECK_FALSE(check("hosts: files mdns4_minimal [NOTFOUND=return] dns\n"));
  CHECK_FALSE(check("hosts: files dns myhostname\n"));
  CHECK_FALSE(check("hosts: resolve [!UNAVAIL=return] files\n"));
  CHECK_FALSE(check("hosts:mdns4 files dns\n"));
  // Only the first hosts line counts, as for glibc.
  CHECK(check("# hosts: mdns\nhosts: files dns\nhosts: mdns4\n"));
}
