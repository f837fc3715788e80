#!/usr/bin/env bash
# What hcl loads: with HCL_STATIC_DEPS nothing but libc and libm, before main() and after it,
# requests to TLS endpoints included (TLS is mbed TLS, linked in; no library is loaded at run
# time, libcurl least of all: it would bring some 30 more). Linked static-pie (HCL_STATIC_PIE,
# the default natively), hcl has no program interpreter and needs no shared library at all, and
# opens none while it runs (seen with strace: the dynamic loader's LD_DEBUG is not there).
#   test_startup.sh HCL_BIN STATIC_DEPS(ON|OFF)
set -uo pipefail
export XDG_CONFIG_HOME=/nonexistent
HCL=$1 STATIC=${2:-ON}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

needed=$(readelf -d "$HCL" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
echo "NEEDED: $(echo $needed)"
STATIC_PIE=0
readelf -lW "$HCL" | grep -q 'INTERP' || STATIC_PIE=1
grep -q -E 'libcurl|libssl' <<<"$needed" && fail "the binary links libcurl or OpenSSL: $(echo $needed)"
if [ "$STATIC_PIE" = 1 ]; then
  echo "no program interpreter: the C library is linked in"
  [ -z "$needed" ] || fail "hcl has no program interpreter but needs: $(echo $needed)"
  command -v strace >/dev/null || { echo "FAIL: strace is missing (scripts/install-deps installs it)"; exit 1; }
elif [ "$STATIC" = ON ]; then
  extra=$(grep -vE '^(libc\.so\.6|libm\.so\.6|ld-linux.*)$' <<<"$needed")
  [ -z "$extra" ] || fail "HCL_STATIC_DEPS=ON but the binary needs: $(echo $extra)"
fi

# loaded CMD...: the shared objects the dynamic loader initialised while CMD ran.
# Static-pie: the shared objects CMD opened, and "exec" for the probe's own sight of CMD starting.
loaded() {
  if [ "$STATIC_PIE" = 1 ]; then
    local t
    t=$(mktemp)
    env -u DOCKER_HOST -u CONSUL_HTTP_ADDR -u HCL_CONFIG strace -f -qq -o "$t" -e trace=execve,open,openat "$@" >/dev/null 2>&1
    grep -q 'execve(' "$t" && echo exec
    grep -oE '"[^"]*\.so(\.[0-9]+)*"' "$t" | tr -d '"'
    rm -f "$t"
    return
  fi
  env -u DOCKER_HOST -u CONSUL_HTTP_ADDR -u HCL_CONFIG LD_DEBUG=libs "$@" 2>&1 >/dev/null | sed -n 's/.*calling init: //p'
}
# only_libc WHAT LIBS: with HCL_STATIC_DEPS, nothing but libc, libm and the loader was loaded;
# without, at least nothing for TLS. The probe itself must have seen libc.
only_libc() {
  local extra
  if [ "$STATIC_PIE" = 1 ]; then
    grep -qx exec <<<"$2" || fail "strace did not see '$1' start"
    extra=$(grep -vx exec <<<"$2")
    [ -z "$extra" ] || fail "'$1' opened: $(echo $extra)"
    return
  fi
  grep -q 'libc\.so' <<<"$2" || fail "LD_DEBUG=libs showed no libc.so for '$1' (is it honoured?)"
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
