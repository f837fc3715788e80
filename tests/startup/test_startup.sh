#!/usr/bin/env bash
# What hcl loads: with HCL_STATIC_DEPS nothing but libc and libm, before main() and after it,
# requests to TLS endpoints included (TLS is mbed TLS, linked in; no library is loaded at run
# time, libcurl least of all: it would bring some 30 more).
#   test_startup.sh HCL_BIN STATIC_DEPS(ON|OFF)
set -uo pipefail
export XDG_CONFIG_HOME=/nonexistent
HCL=$1 STATIC=${2:-ON}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

needed=$(readelf -d "$HCL" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
echo "NEEDED: $(echo $needed)"
grep -q -E 'libcurl|libssl|libmbed' <<<"$needed" && fail "the binary needs a TLS library at run time: $(echo $needed)"
if [ "$STATIC" = ON ]; then
  extra=$(grep -vE '^(libc\.so\.6|libm\.so\.6|ld-linux.*)$' <<<"$needed")
  [ -z "$extra" ] || fail "HCL_STATIC_DEPS=ON but the binary needs: $(echo $extra)"
fi

# loaded CMD...: the shared objects the dynamic loader initialised while CMD ran.
loaded() { env -u DOCKER_HOST -u CONSUL_HTTP_ADDR -u HCL_CONFIG LD_DEBUG=libs "$@" 2>&1 >/dev/null | sed -n 's/.*calling init: //p'; }
for args in "--version" "--help" "nodse" "nodes --no-such-flag" "ps --help" "config"; do
  # shellcheck disable=SC2086
  libs=$(loaded "$HCL" $args)
  grep -q libcurl <<<"$libs" && fail "'hcl $args' loaded libcurl"
done

# Requests to plain (non-TLS) endpoints go over sockets: no libcurl (port 1: refused at once).
libs=$(loaded "$HCL" -H tcp://127.0.0.1:1 nodes --no-consul)
grep -q libcurl <<<"$libs" && fail "'hcl nodes' to a plain endpoint loaded libcurl"
"$HCL" -H tcp://127.0.0.1:1 nodes --no-consul >/dev/null 2>&1
rc=$?
[ "$rc" = 5 ] || fail "'hcl nodes' against a closed port: exit $rc, expected 5"

# A request to a TLS endpoint loads nothing either (an empty CA file, refused as such). The
# probe itself works: libc shows among what the loader initialised.
ca=$(mktemp)
trap 'rm -f "$ca"' EXIT
libs=$(loaded "$HCL" -H tcp://127.0.0.1:1 --tlsverify --tlscacert "$ca" nodes --no-consul)
grep -q 'libc\.so' <<<"$libs" || fail "LD_DEBUG=libs showed no libc.so for 'hcl --tlsverify nodes' (is it honoured?)"
if [ "$STATIC" = ON ]; then
  extra=$(grep -vE '(libc\.so\.6|libm\.so\.6|ld-linux[^/]*)$' <<<"$libs")
  [ -z "$extra" ] || fail "'hcl --tlsverify nodes' loaded: $(echo $extra)"
fi
"$HCL" -H tcp://127.0.0.1:1 --tlsverify --tlscacert "$ca" nodes --no-consul >/dev/null 2>"$ca.err"
rc=$?
[ "$rc" = 6 ] || fail "'hcl --tlsverify --tlscacert EMPTY nodes': exit $rc, expected 6 (a CA file it cannot use)"
grep -q "cannot use the CA certificate $ca" "$ca.err" || fail "the error does not name the CA file: $(cat "$ca.err")"
rm -f "$ca.err"

[ "$fails" = 0 ] && echo "ok" || exit 1
