#!/usr/bin/env bash
# record-docker-data.sh — record real Docker Engine API responses from the lab's master
# (http://master:2378) into tests/data/docker/, for the Docker client's unit tests.
#
#   record-docker-data.sh [OUT]               API 1.41 into tests/data/docker/ (or OUT): the
#                                             recordings of a 20.10 master, as committed
#   record-docker-data.sh --by-engine [OUT]   the same answers at the master engine's own API
#                                             version into tests/data/docker/<engine>/ (e.g.
#                                             28.5/), plus its refusals of one API version
#                                             above its newest and one below its oldest, and
#                                             RECORDED (engine, API, date, the lab's selection)
#
# The engine recorded is master's: choose it with the lab's selection, e.g.
#   HCL_LAB_ENGINES=26.1,20.10 HCL_LAB_MIN_API= tests/lab/lab up
#   tests/lab/record-docker-data.sh --by-engine        # -> tests/data/docker/26.1/
# RECORD_API=1.44 records at another API version than the engine's newest.
# Needs a lab that is up with 3 nodes and no other overlay networks (`lab down; lab up`).
# It stops and starts node2 (for nodes-node2-down.json) and creates, then removes, the
# overlay network "demo". JSON bodies are pretty-printed (key order and numbers kept);
# everything else is byte for byte as returned.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LAB_DIR/../.." && pwd)
BY_ENGINE=0
if [[ ${1:-} == --by-engine ]]; then BY_ENGINE=1; shift; fi
LAB="$LAB_DIR/lab"
BASE="http://master:2378"
DEMO_SUBNET=${DEMO_SUBNET:-198.19.100.0/24}
DEMO_GATEWAY=${DEMO_GATEWAY:-198.19.100.1}

die() { echo "record: error: $*" >&2; exit 1; }
say() { echo "record: $*"; }

# Pretty-print JSON without changing it: python keeps key order and exact integers.
pretty() { python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin, object_pairs_hook=lambda p: dict(p)), indent=2, ensure_ascii=False))'; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

"$LAB" status >/dev/null || die "the lab is not fully up ('tests/lab/lab up' first)"
# The master's engine, from the unversioned /version (which every engine answers).
version_json=$(curl --noproxy '*' -sS --fail --max-time 20 "$BASE/version") || die "GET $BASE/version failed"
ENGINE_VERSION=$(field Version <<<"$version_json")        # e.g. 28.5.2+dfsg4
ENGINE_API=$(field ApiVersion <<<"$version_json")
ENGINE_MIN_API=$(field MinAPIVersion <<<"$version_json")
SERIES=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$ENGINE_VERSION")   # 28.5
if ((BY_ENGINE)); then
  API=${RECORD_API:-$ENGINE_API}
  OUT=${1:-$REPO_DIR/tests/data/docker/$SERIES}
else
  API=${RECORD_API:-1.41}
  OUT=${1:-$REPO_DIR/tests/data/docker}
fi
V="/v$API"
say "master: Docker $ENGINE_VERSION (API $ENGINE_API, minimum $ENGINE_MIN_API); recording at API $API into $OUT"
if [[ $(printf '%s\n%s\n' "$API" "$ENGINE_MIN_API" | sort -V | head -n 1) != "$ENGINE_MIN_API" ]]; then
  die "master refuses API $API (its minimum is $ENGINE_MIN_API): use --by-engine, RECORD_API, or a lab without it (HCL_LAB_MIN_API= tests/lab/lab up)"
fi

get() { curl --noproxy '*' -sS --fail-with-body --max-time 20 "$BASE$1"; }

nodes=$(get "$V/nodes" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[[ $nodes == 3 ]] || die "expected 3 nodes, the master lists $nodes ('lab down; lab up' for a fresh 3-node lab)"
"$LAB" docker master network inspect demo >/dev/null 2>&1 && die "network demo exists already; remove it first"

mkdir -p "$OUT"
cleanup() { "$LAB" docker master network rm demo >/dev/null 2>&1 || true; }
trap cleanup EXIT

say "GET /version, /_ping headers, $V/info, $V/nodes"
get /version | pretty >"$OUT/version.json"
curl --noproxy '*' -sS --max-time 20 -D "$OUT/ping-headers.txt" -o /dev/null "$BASE/_ping"
get "$V/info" | pretty >"$OUT/info.json"
get "$V/nodes" | pretty >"$OUT/nodes.json"

say "node2 down: lab stop node2"
"$LAB" stop node2
get "$V/nodes" | pretty >"$OUT/nodes-node2-down.json"
"$LAB" start node2

say "POST $V/networks/create demo (201), again (409)"
body=$(printf '{"Name":"demo","CheckDuplicate":true,"Driver":"overlay","Attachable":true,"IPAM":{"Driver":"default","Config":[{"Subnet":"%s","Gateway":"%s"}]}}' "$DEMO_SUBNET" "$DEMO_GATEWAY")
code=$(curl --noproxy '*' -sS --max-time 20 -o "$OUT/network-create.raw" -w '%{http_code}' \
  -H 'Content-Type: application/json' -X POST --data "$body" "$BASE$V/networks/create")
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
status_and_body -H 'Content-Type: application/json' -X POST --data "$body" "$BASE$V/networks/create" \
  >"$OUT/network-create-conflict.txt"
grep -q '^HTTP/1.1 409 ' "$OUT/network-create-conflict.txt" || die "second create of demo was not a 409: $(cat "$OUT/network-create-conflict.txt")"

say "GET $V/networks, $V/networks/demo, $V/networks/nosuch"
get "$V/networks" | pretty >"$OUT/networks.json"
get "$V/networks/demo" | pretty >"$OUT/network-demo.json"
status_and_body "$BASE$V/networks/nosuch" >"$OUT/network-notfound.txt"
grep -q '^HTTP/1.1 404 ' "$OUT/network-notfound.txt" || die "GET networks/nosuch was not a 404"

say "removing network demo"
"$LAB" docker master network rm demo >/dev/null
trap - EXIT

if ((BY_ENGINE)); then
  # The engine's refusals of an API version above its newest and below its oldest, as
  # `curl -D -` writes them: status line and headers (CRLF), blank line, body.
  raw() {
    local tmp; tmp=$(mktemp -d)
    curl --noproxy '*' -sS --max-time 20 -D "$tmp/h" -o "$tmp/b" "$BASE$1"
    cat "$tmp/h" "$tmp/b"
    rm -rf "$tmp"
  }
  api_step() { awk -F. -v d="$2" '{printf "%d.%d\n", $1, $2 + d}' <<<"$1"; }
  above=$(api_step "$ENGINE_API" 1); below=$(api_step "$ENGINE_MIN_API" -1)
  say "GET /v$above/nodes (too new), /v$below/nodes (too old)"
  raw "/v$above/nodes" >"$OUT/nodes-too-new.txt"
  raw "/v$below/nodes" >"$OUT/nodes-too-old.txt"
  grep -q '^HTTP/1.1 400 ' "$OUT/nodes-too-new.txt" || die "GET /v$above/nodes was not a 400"
  grep -q '^HTTP/1.1 400 ' "$OUT/nodes-too-old.txt" || die "GET /v$below/nodes was not a 400"
  {
    echo "engine: Docker $ENGINE_VERSION, API $ENGINE_API, minimum API $ENGINE_MIN_API (master of the lab)"
    echo "recorded: $(date -u +%Y-%m-%dT%H:%M:%SZ) at API $API by tests/lab/record-docker-data.sh --by-engine"
    echo "lab: $("$LAB" status | grep -E '^(master|node[0-9]+|engines) ' | sed -E 's/ +/ /g' | paste -sd ';' | sed 's/;/; /g; s/;  /; /g')"
    echo "packages: $(grep -E '^(docker.io|containerd|runc) ' "/var/cache/hcl-lab/engines/$SERIES/fetched" 2>/dev/null | cut -d' ' -f1-2 | paste -sd ',' | sed 's/,/, /g')"
    echo "kernel: $(uname -r) $(uname -m)"
  } >"$OUT/RECORDED"
fi
say "recorded into $OUT: $(cd "$OUT" && ls | tr '\n' ' ')"
