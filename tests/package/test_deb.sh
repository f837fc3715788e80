#!/usr/bin/env bash
# Builds hcl_<version>_<arch>.deb with cpack, installs it with dpkg, checks the binary, the man
# page and the completions in their standard places, and removes it: no file may be left.
# Refuses to run where it could clobber a hcl that is not this package's.
set -uo pipefail
BUILD=${HCL_BUILD_DIR:?HCL_BUILD_DIR must point at the build directory}
VERSION=${HCL_VERSION:?}
failures=0 checks=0
pass() { checks=$((checks + 1)); printf 'ok   %s\n' "$1"; }
fail() {
  checks=$((checks + 1)) failures=$((failures + 1))
  printf 'FAIL %s\n' "$1"
  [ -n "${2:-}" ] && printf '%s\n' "$2" | head -30 | sed 's/^/     | /'
  return 0
}
finish() {
  printf '%s: %d checks, %d failed\n' test_deb "$checks" "$failures"
  [ "$checks" -gt 0 ] && [ "$failures" -eq 0 ]
  exit $?
}

if [ "$(id -u)" -ne 0 ]; then fail "the package test needs root (dpkg -i)"; finish; fi
if [ -e /usr/bin/hcl ] && ! dpkg -S /usr/bin/hcl 2>/dev/null | grep -q '^hcl:'; then
  fail "/usr/bin/hcl exists and does not belong to the hcl package: not overwriting it" "$(ls -l /usr/bin/hcl)"
  finish
fi
if dpkg-query -W -f='${Status}' hcl 2>/dev/null | grep -q 'installed'; then
  fail "a hcl package is installed already ($(dpkg-query -W -f='${Version}' hcl)): remove it first (dpkg -r hcl)"
  finish
fi

WORK=$(mktemp -d /tmp/hcl-deb.XXXXXX)
installed=0
cleanup() {
  [ $installed -eq 1 ] && dpkg -r hcl >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

arch=$(dpkg --print-architecture)
deb=$WORK/hcl_${VERSION}_${arch}.deb
if log=$(cd "$BUILD" && cpack -G DEB -B "$WORK" 2>&1) && [ -f "$deb" ]; then
  pass "cpack -G DEB makes $(basename "$deb")"
else
  fail "cpack -G DEB did not make $(basename "$deb")" "$log"$'\n'"$(ls "$WORK")"
  finish
fi

files=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' | grep -v '/$')
want=(/usr/bin/hcl /usr/share/man/man1/hcl.1.gz /usr/share/bash-completion/completions/hcl
      /usr/share/zsh/vendor-completions/_hcl /usr/share/fish/vendor_completions.d/hcl.fish)
for f in "${want[@]}"; do
  if grep -qxF "$f" <<<"$files"; then pass "the package has $f"; else fail "the package lacks $f" "$files"; fi
done
if grep -qE '\.a$|/include/|/cmake/' <<<"$files"; then fail "the package carries the library or headers" "$files"
else pass "only the program, its man page and completions"; fi

depends=$(dpkg-deb -f "$deb" Depends)
# libc6 when hcl is linked against it dynamically (HCL_STATIC_PIE=OFF, or a sanitized build),
# nothing when the C library is linked in (static-pie, the default: its getent fallback is in
# libc-bin, which is Essential); libstdc++6 only when hcl is linked against it dynamically
# (HCL_STATIC_DEPS=OFF); never libcurl4 (TLS is linked in: nothing is loaded at run time).
want=()
if grep -q libcurl <<<"$depends"; then fail "Depends names libcurl (nothing loads it)" "$depends"
else pass "Depends does not name libcurl"; fi
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/bin/hcl >"$WORK/hcl.packaged" 2>/dev/null || true
if readelf -d "$WORK/hcl.packaged" 2>/dev/null | grep -q 'NEEDED.*libc\.so'; then want+=(libc6)
elif readelf -lW "$WORK/hcl.packaged" 2>/dev/null | grep -q 'INTERP'; then fail "hcl is dynamically linked but needs no libc.so"
elif [ -z "$depends" ]; then pass "a static hcl depends on nothing"
else fail "a static hcl depends on nothing" "$depends"; fi
if readelf -d "$WORK/hcl.packaged" 2>/dev/null | grep -q 'NEEDED.*libstdc++'; then want+=('libstdc\+\+6'); fi
for lib in "${want[@]}"; do
  if grep -qE "(^|, )$lib( |,|$)" <<<"$depends"; then pass "Depends names $lib"; else fail "Depends lacks $lib" "$depends"; fi
done
expect_field() { # FIELD VALUE
  local got
  got=$(dpkg-deb -f "$deb" "$1")
  if [ "$got" = "$2" ]; then pass "$1: $2"; else fail "$1 is '$got', want '$2'"; fi
}
expect_field Package hcl
expect_field Version "$VERSION"
expect_field Architecture "$arch"

if log=$(dpkg -i "$deb" 2>&1); then
  installed=1
  pass "dpkg -i installs it"
else
  installed=1
  fail "dpkg -i failed" "$log"
  finish
fi

out=$(/usr/bin/hcl --version 2>&1)
if [ "$out" = "hcl $VERSION" ]; then pass "/usr/bin/hcl --version: $out"; else fail "/usr/bin/hcl --version" "$out"; fi
if [ "$(man -w hcl 2>&1)" = /usr/share/man/man1/hcl.1.gz ]; then pass "man -w hcl finds the page"
else fail "man -w hcl" "$(man -w hcl 2>&1)"; fi
page=$(MANWIDTH=120 man hcl 2>&1 | col -b)
if grep -q 'hcl net ls' <<<"$page" && grep -q 'EXIT STATUS' <<<"$page"; then pass "man hcl shows the page"
else fail "man hcl" "$page"; fi

# Each shell finds the completions where the package put them, with no set-up of its own.
got=$(bash --norc --noprofile -c 'source /usr/share/bash-completion/bash_completion
  __load_completion hcl && complete -p hcl' 2>&1)
if grep -q -- '-F _hcl hcl' <<<"$got"; then pass "bash-completion loads hcl's completion"; else fail "bash-completion does not load it" "$got"; fi
got=$(HOME=$WORK fish -c 'complete -C "hcl ne"' 2>&1 | cut -f1)
if [ "$got" = net ]; then pass "fish completes 'hcl ne' from vendor_completions.d"; else fail "fish: 'hcl ne'" "$got"; fi
got=$(HOME=$WORK zsh -fc 'print -l $fpath' 2>&1)
if grep -qx /usr/share/zsh/vendor-completions <<<"$got"; then pass "zsh's fpath has vendor-completions"; else fail "zsh's fpath" "$got"; fi

if log=$(dpkg -r hcl 2>&1); then
  installed=0
  pass "dpkg -r hcl removes it"
else
  fail "dpkg -r hcl" "$log"
fi
left=()
for f in $files; do [ -e "$f" ] && left+=("$f"); done
if [ ${#left[@]} -eq 0 ]; then pass "no file of the package is left"; else fail "left behind: ${left[*]}"; fi
status=$(dpkg-query -W -f='${Status}' hcl 2>/dev/null)
if [ -z "$status" ] || grep -q 'not-installed' <<<"$status"; then pass "dpkg knows hcl as not installed"
else fail "dpkg status after removal: $status"; fi
finish
