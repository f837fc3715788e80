#!/usr/bin/env bash
# hcl's code is laid out in the order of cli/link-order.txt (HCL_LINK_ORDER): the build used it,
# and the list still names the functions the code has. A stale list links fine and only costs
# start-up time, so nothing else would tell.
#   test_link_order.sh HCL_BIN ORDER_FILE ACTIVE(ON|OFF) GXX_VERSION
set -uo pipefail
HCL=$1 ORDER=$2 ACTIVE=$3 GXX=${4:-}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

[ "$ACTIVE" = ON ] || { echo "FAIL: HCL_LINK_ORDER is on but the build links without it: no lld (scripts/install-deps installs it)"; exit 1; }
command -v nm >/dev/null || { echo "FAIL: nm is missing (binutils; scripts/install-deps installs it)"; exit 1; }

symbols=$(mktemp)
trap 'rm -f "$symbols"' EXIT
nm --defined-only "$HCL" | awk '$2 ~ /^[TtWwi]$/ {print $1, $3}' >"$symbols"
listed=$(grep -vc '^#' "$ORDER")
# The listed functions the binary has, by their place in the list, with their address.
found=$(awk 'NR == FNR {if (!/^#/ && !($0 in at)) at[$0] = FNR; next} ($2 in at) {print at[$2], $1}' "$ORDER" "$symbols" | sort -n -k1,1 | awk '!seen[$1]++')
present=$(printf '%s\n' "$found" | grep -c .)
echo "listed $listed functions; the binary has $present of them"
# Each change of the code renames some (a changed signature): the list is regenerated when a good
# part of it no longer names anything. Against the compiler that made it only: another version
# inlines and names its copies otherwise, and its builds are laid out by as much as they share.
made_by=$(sed -n '1s/^# g++ \([^ ]*\).*/\1/p' "$ORDER")
if [ "$made_by" = "$GXX" ]; then
  [ $((present * 100)) -ge $((listed * 90)) ] ||
    fail "cli/link-order.txt names $listed functions and hcl has only $present of them: run scripts/gen-link-order"
else
  echo "the list is of g++ ${made_by:-(unnamed)}'s build and this is g++ ${GXX:-(unknown)}'s: how many of its names this build has is not held against it"
fi

# lld placed them first, in the list's order: the list's first function opens the code, and nine
# in ten of those found lie in its first part (~1.5 of 4.6 MB here; anywhere, without the list).
text=$(readelf -SW "$HCL" | awk '$2 == ".text" {print $4, $6}')
read -r start size <<<"$text"
offsets=$(printf '%s\n' "$found" | while read -r _ address; do echo $((16#$address - 16#$start)); done)
first=$(head -1 <<<"$offsets")
p90=$(sort -n <<<"$offsets" | awk '{a[NR] = $1} END {print a[int(NR * 0.9)]}')
echo "code: $((16#$size)) bytes; the list's first function at offset $first; nine in ten of them below $p90"
[ "$first" -lt 4096 ] || fail "the list's first function does not open the code (offset $first): the linker did not use the list"
[ $((p90 * 100)) -lt $((16#$size * 40)) ] ||
  fail "the listed functions are spread over the code (nine in ten below offset $p90 of $((16#$size))): the linker did not use the list"

[ "$fails" -eq 0 ] && echo "PASS: hcl's code is in the order of $ORDER" || exit 1
