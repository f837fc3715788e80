#!/usr/bin/env bash
# record-services.sh — record the lab master's answers about services, tasks, task filters, a
# network in use, service logs and events, at the master engine's own API version, into
# tests/data/docker/<engine>/ (e.g. 26.1/), for the Docker client's unit tests. It complements
# tests/lab/record-docker-data.sh --by-engine (version, ping, nodes, networks, refusals), which
# records the same engine's other answers into the same folder. Also records the engine's answer
# to hcl's first request, GET /v1.52/nodes (a refusal from engines older than API 1.52).
#
#   tests/data/docker/record-services.sh [OUT]
#
# Needs the lab up (tests/lab/lab up; choose master's engine with the lab's selection) and no
# services or network named rec-*. It creates an overlay network rec-net and four services,
# waits for their tasks, records, and removes what it created (also when it fails).
# JSON bodies are pretty-printed (key order and numbers kept); *.raw files are byte for byte as
# `curl -D -` wrote them: status line and headers (CRLF), blank line, body.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BASE=${BASE:-http://master:2378}
SUBNET=${SUBNET:-198.19.101.0/24}
GATEWAY=${GATEWAY:-198.19.101.1}

die() { echo "record-services: $*" >&2; exit 1; }
say() { echo "record-services: $*"; }
pretty() { python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin, object_pairs_hook=lambda p: dict(p)), indent=2, ensure_ascii=False))'; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
urlencode() { python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

get() { curl --noproxy '*' -sS --fail-with-body --max-time 20 "$BASE$1"; }
post() {
  curl --noproxy '*' -sS --fail-with-body --max-time 20 -H 'Content-Type: application/json' -X POST --data "$2" "$BASE$1"
}
remove() { curl --noproxy '*' -sS -o /dev/null --max-time 20 -X DELETE "$BASE$1" || true; }
raw() {
  local tmp
  tmp=$(mktemp -d)
  curl --noproxy '*' -sS --max-time 20 -D "$tmp/h" -o "$tmp/b" "$BASE$1"
  cat "$tmp/h" "$tmp/b"
  rm -rf "$tmp"
}

version_json=$(curl --noproxy '*' -sS --fail --max-time 20 "$BASE/version") || die "GET $BASE/version failed (is the lab up?)"
ENGINE_VERSION=$(field Version <<<"$version_json")
API=$(field ApiVersion <<<"$version_json")
MIN_API=$(field MinAPIVersion <<<"$version_json")
SERIES=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$ENGINE_VERSION")
OUT=${1:-$HERE/$SERIES}
V="/v$API"
say "master: Docker $ENGINE_VERSION (API $MIN_API–$API); recording at API $API into $OUT"
mkdir -p "$OUT"

for s in rec-web rec-echo rec-master rec-legacy; do
  get "$V/services/$s" >/dev/null 2>&1 && die "service $s exists: remove it first"
done
get "$V/networks/rec-net" >/dev/null 2>&1 && die "network rec-net exists: remove it first"

cleanup() {
  for s in rec-web rec-echo rec-master rec-legacy; do remove "$V/services/$s"; done
  # The manager keeps a network in use until its tasks are gone.
  for _ in $(seq 30); do
    curl --noproxy '*' -sS -o /dev/null -w '%{http_code}' --max-time 20 -X DELETE "$BASE$V/networks/rec-net" |
      grep -qE '^(204|404)$' && break
    sleep 1
  done
}
trap cleanup EXIT

since=$(date +%s)
say "POST $V/networks/create rec-net; POST $V/services/create rec-web, rec-echo, rec-master, rec-legacy"
post "$V/networks/create" "$(printf '{"Name":"rec-net","Driver":"overlay","Attachable":true,"CheckDuplicate":true,"Labels":{"team":"lab"},"IPAM":{"Driver":"default","Config":[{"Subnet":"%s","Gateway":"%s"}]}}' "$SUBNET" "$GATEWAY")" >/dev/null
# Two web servers on the workers, published in host mode, with DNS round-robin (the lab has no IPVS).
post "$V/services/create" '{"Name":"rec-web","Labels":{"team":"lab"},
  "TaskTemplate":{"ContainerSpec":{"Image":"hcl-lab/hostname-web:latest"},
    "Placement":{"Constraints":["node.role==worker"]},"Networks":[{"Target":"rec-net","Aliases":["web"]}],
    "RestartPolicy":{"Condition":"any"}},
  "Mode":{"Replicated":{"Replicas":2}},
  "EndpointSpec":{"Mode":"dnsrr","Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":8081,"PublishMode":"host"}]}}' >/dev/null
# A one-shot that writes to both streams and exits 3 (restart none: its task ends "failed").
post "$V/services/create" '{"Name":"rec-echo",
  "TaskTemplate":{"ContainerSpec":{"Image":"hcl-lab/busybox:latest","Command":["sh","-c","echo hello-out; echo hello-err >&2; exit 3"]},
    "RestartPolicy":{"Condition":"none"}},
  "Mode":{"Replicated":{"Replicas":1}},"EndpointSpec":{"Mode":"dnsrr"}}' >/dev/null
# A task on master attached to rec-net, so that master's GET /networks/rec-net counts a container.
post "$V/services/create" '{"Name":"rec-master",
  "TaskTemplate":{"ContainerSpec":{"Image":"hcl-lab/hostname-web:latest"},
    "Placement":{"Constraints":["node.hostname==master"]},"Networks":[{"Target":"rec-net"}]},
  "Mode":{"Replicated":{"Replicas":1}},"EndpointSpec":{"Mode":"dnsrr"}}' >/dev/null
# Attached the way tools before TaskTemplate.Networks did it: the top-level Networks (deprecated at
# 1.44; engines up to 28.x keep it there, 29.0+ ignore it at 1.44 and above). No replicas: only its
# spec is recorded.
post "$V/services/create" '{"Name":"rec-legacy","Networks":[{"Target":"rec-net"}],
  "TaskTemplate":{"ContainerSpec":{"Image":"hcl-lab/busybox:latest","Command":["sleep","3600"]}},
  "Mode":{"Replicated":{"Replicas":0}},"EndpointSpec":{"Mode":"dnsrr"}}' >/dev/null

say "waiting for rec-web (2 running), rec-master (running), rec-echo (failed)"
settled() {
  get "$V/tasks" | python3 -c '
import json, sys
tasks, services = json.load(sys.stdin), {s["ID"]: s["Spec"]["Name"] for s in json.loads(sys.argv[1])}
state = lambda name: [t["Status"]["State"] for t in tasks if services.get(t["ServiceID"]) == name]
sys.exit(0 if state("rec-web").count("running") == 2 and "running" in state("rec-master") and "failed" in state("rec-echo") else 1)
' "$(get "$V/services")"
}
for i in $(seq 90); do
  settled && break
  ((i < 90)) || die "the services did not settle within 90 s"
  sleep 1
done
sleep 1  # the logs of rec-echo reach the manager

say "GET $V/services, $V/services/rec-legacy, $V/tasks (all, desired-state=running, service=rec-web), $V/nodes"
get "$V/services" | pretty >"$OUT/services.json"
get "$V/services/rec-legacy" | pretty >"$OUT/service-legacy-networks.json"
get "$V/tasks" | pretty >"$OUT/tasks.json"
get "$V/tasks?filters=$(urlencode '{"desired-state":{"running":true}}')" | pretty >"$OUT/tasks-desired-running.json"
get "$V/tasks?filters=$(urlencode '{"service":{"rec-web":true}}')" | pretty >"$OUT/tasks-rec-web.json"
get "$V/nodes" | pretty >"$OUT/cluster-nodes.json"
say "GET $V/networks/rec-net, $V/networks (rec-net in use)"
get "$V/networks/rec-net" | pretty >"$OUT/network-in-use.json"
get "$V/networks" | pretty >"$OUT/networks-in-use.json"
say "GET /v1.52/nodes (raw): hcl's first request, before it knows the engine's version"
raw "/v1.52/nodes" >"$OUT/nodes-at-1.52.raw"
say "GET $V/services/rec-echo/logs (raw), $V/events (raw)"
raw "$V/services/rec-echo/logs?stdout=1&stderr=1" >"$OUT/service-logs-rec-echo.raw"
until=$(date +%s)
raw "$V/events?since=$since&until=$until&filters=$(urlencode '{"type":{"service":true,"node":true,"network":true}}')" \
  >"$OUT/events.raw"

cleanup
trap - EXIT
{
  echo "engine: Docker $ENGINE_VERSION, API $API, minimum API $MIN_API (master of the lab)"
  echo "recorded: $(date -u +%Y-%m-%dT%H:%M:%SZ) at API $API by tests/data/docker/record-services.sh"
  echo "kernel: $(uname -r) $(uname -m)"
} >"$OUT/RECORDED-services"
say "recorded into $OUT"
