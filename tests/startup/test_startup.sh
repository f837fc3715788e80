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
grep -q -E 'libcurl|libssl' <<<"$needed" && fail "the binary links libcurl or OpenSSL: $(echo $needed)"
if [ "$STATIC" = ON ]; then
  extra=$(grep -vE '^(libc\.so\.6|libm\.so\.6|ld-linux.*)$' <<<"$needed")
  [ -z "$extra" ] || fail "HCL_STATIC_DEPS=ON but the binary needs: $(echo $extra)"
fi

# loaded CMD...: the shared objects the dynamic loader initialised while CMD ran.
loaded() { env -u DOCKER_HOST -u CONSUL_HTTP_ADDR -u HCL_CONFIG LD_DEBUG=libs "$@" 2>&1 >/dev/null | sed -n 's/.*calling init: //p'; }
# only_libc WHAT LIBS: with HCL_STATIC_DEPS, nothing but libc, libm and the loader was loaded;
# without, at least nothing for TLS. The probe itself must have seen libc.
only_libc() {
  grep -q 'libc\.so' <<<"$2" || fail "LD_DEBUG=libs showed no libc.so for '$1' (is it honoured?)"
  local extra
  if [ "$STATIC" = ON ]; then extra=$(grep -vE '(libc\.so\.6|libm\.so\.6|ld-linux[^/]*)$' <<<"$2")
  else extra=$(grep -E 'libcurl|libssl|libcrypto|libgnutls|libmbed' <<<"$2"); fi
  [ -z "$extra" ] || fail "'$1' loaded: $(echo $extra)"
}
for args in "--version" "--help" "nodse" "nodes --no-such-flag" "ps --help" "config"; do
  # shellcheck disable=SC2086
  only_libc "hcl $args" "$(loaded "$HCL" $args)"
done

# A request to a plain endpoint (port 1: refused at once).
only_libc "hcl nodes (plain)" "$(loaded "$HCL" -H tcp://127.0.0.1:1 nodes --no-consul)"
"$HCL" -H tcp://127.0.0.1:1 nodes --no-consul >/dev/null 2>&1
rc=$?
[ "$rc" = 5 ] || fail "'hcl nodes' against a closed port: exit $rc, expected 5"

# A request to a TLS endpoint loads nothing either (an empty CA file, refused as such).
ca=$(mktemp)
trap 'rm -f "$ca" "$ca.err"' EXIT
only_libc "hcl --tlsverify nodes" "$(loaded "$HCL" -H tcp://127.0.0.1:1 --tlsverify --tlscacert "$ca" nodes --no-consul)"
"$HCL" -H tcp://127.0.0.1:1 --tlsverify --tlscacert "$ca" nodes --no-consul >/dev/null 2>"$ca.err"
rc=$?
[ "$rc" = 6 ] || fail "'hcl --tlsverify --tlscacert EMPTY nodes': exit $rc, expected 6 (a CA file it cannot use)"
grep -q "cannot use the CA certificate $ca" "$ca.err" || fail "the error does not name the CA file: $(cat "$ca.err")"

[ "$fails" = 0 ] && echo "ok" || exit 1
