#!/usr/bin/env bash
# record-docker-data.sh — record real Docker Engine API responses from the lab's master
# (http://master:2378) into tests/data/docker/, for the Docker client's unit tests.
# Needs a lab that is up with 3 nodes and no other overlay networks (`lab down; lab up`).
# It stops and starts node2 (for nodes-node2-down.json) and creates, then removes, the
# overlay network "demo". JSON bodies are pretty-printed (key order and numbers kept);
# everything else is byte for byte as returned.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LAB_DIR/../.." && pwd)
OUT=${1:-$REPO_DIR/tests/data/docker}
LAB="$LAB_DIR/lab"
BASE="http://master:2378"
DEMO_SUBNET=${DEMO_SUBNET:-198.19.100.0/24}
DEMO_GATEWAY=${DEMO_GATEWAY:-198.19.100.1}

die() { echo "record: error: $*" >&2; exit 1; }
say() { echo "record: $*"; }

# Pretty-print JSON without changing it: python keeps key order and exact integers.
pretty() { python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin, object_pairs_hook=lambda p: dict(p)), indent=2, ensure_ascii=False))'; }

get() { curl --noproxy '*' -sS --fail-with-body --max-time 20 "$BASE$1"; }

"$LAB" status >/dev/null || die "the lab is not fully up ('tests/lab/lab up' first)"
nodes=$(get /v1.41/nodes | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[[ $nodes == 3 ]] || die "expected 3 nodes, the master lists $nodes ('lab down; lab up' for a fresh 3-node lab)"
"$LAB" docker master network inspect demo >/dev/null 2>&1 && die "network demo exists already; remove it first"

mkdir -p "$OUT"
cleanup() { "$LAB" docker master network rm demo >/dev/null 2>&1 || true; }
trap cleanup EXIT

say "GET /version, /_ping headers, /v1.41/info, /v1.41/nodes"
get /version | pretty >"$OUT/version.json"
curl --noproxy '*' -sS --max-time 20 -D "$OUT/ping-headers.txt" -o /dev/null "$BASE/_ping"
get /v1.41/info | pretty >"$OUT/info.json"
get /v1.41/nodes | pretty >"$OUT/nodes.json"

say "node2 down: lab stop node2"
"$LAB" stop node2
get /v1.41/nodes | pretty >"$OUT/nodes-node2-down.json"
"$LAB" start node2

say "POST /v1.41/networks/create demo (201), again (409)"
body=$(printf '{"Name":"demo","CheckDuplicate":true,"Driver":"overlay","Attachable":true,"IPAM":{"Driver":"default","Config":[{"Subnet":"%s","Gateway":"%s"}]}}' "$DEMO_SUBNET" "$DEMO_GATEWAY")
code=$(curl --noproxy '*' -sS --max-time 20 -o "$OUT/network-create.raw" -w '%{http_code}' \
  -H 'Content-Type: application/json' -X POST --data "$body" "$BASE/v1.41/networks/create")
[[ $code == 201 ]] || die "create demo answered $code: $(cat "$OUT/network-create.raw")"
pretty <"$OUT/network-create.raw" >"$OUT/network-create.json"
rm -f "$OUT/network-create.raw"

# Status line and body, separated by an empty line (headers left out).
status_and_body() {
  local tmp; tmp=$(mktemp -d)
  curl --noproxy '*' -sS --max-time 20 -D "$tmp/h" -o "$tmp/b" "$@"
  head -n 1 "$tmp/h" | tr -d '\r'
  echo
  cat "$tmp/b"
  rm -rf "$tmp"
}
status_and_body -H 'Content-Type: application/json' -X POST --data "$body" "$BASE/v1.41/networks/create" \
  >"$OUT/network-create-conflict.txt"
grep -q '^HTTP/1.1 409 ' "$OUT/network-create-conflict.txt" || die "second create of demo was not a 409: $(cat "$OUT/network-create-conflict.txt")"

say "GET /v1.41/networks, /v1.41/networks/demo, /v1.41/networks/nosuch"
get /v1.41/networks | pretty >"$OUT/networks.json"
get /v1.41/networks/demo | pretty >"$OUT/network-demo.json"
status_and_body "$BASE/v1.41/networks/nosuch" >"$OUT/network-notfound.txt"
grep -q '^HTTP/1.1 404 ' "$OUT/network-notfound.txt" || die "GET networks/nosuch was not a 404"

say "removing network demo"
"$LAB" docker master network rm demo >/dev/null
trap - EXIT
say "recorded into $OUT: $(cd "$OUT" && ls | tr '\n' ' ')"
