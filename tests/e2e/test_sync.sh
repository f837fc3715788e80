#!/usr/bin/env bash
# hcl sync, deploy --register, scale --register and down against the lab: Consul's catalog holds
# exactly the running tasks of the demo's services, at the tasks' overlay addresses, through a
# scale to 10 and back to 2 followed by `hcl sync --watch`, a restart of the watch, an opt-out
# label, and `hcl down`. Also a token-protected Consul test server.
source "$(dirname "$0")/lib.sh"
require_lab
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
P=synctest
WEB=${P}_demo-hostname
defer "'$HCL' down -p $P"

# The running tasks' overlay addresses of a service, sorted, as the engine reports them.
task_addresses() {
  engine "/tasks?filters=$(printf '{"service":["%s"],"desired-state":["running"]}' "$1" | jq -sRr @uri)" |
    jq -r '[.[] | select(.Status.State == "running") | .NetworksAttachments[]
            | select(.Network.Spec.Name != "ingress") | .Addresses[0] | sub("/.*"; "")] | sort | join(" ")'
}
# The passing instances of a service in Consul's catalog, their addresses sorted.
consul_addresses() {
  curl -s --max-time 5 "http://master:8500/v1/health/service/$1?passing" | jq -r '[.[].Service.Address] | sort | join(" ")'
}
consul_count() { curl -s --max-time 5 "http://master:8500/v1/health/service/$1" | jq length; }
# in_step SERVICE SECONDS: until Consul's passing instances are the running tasks.
in_step() {
  local deadline=$((SECONDS + $2)) want got
  while :; do
    want=$(task_addresses "$1"); got=$(consul_addresses "$1")
    [ -n "$want" ] && [ "$want" = "$got" ] && return 0
    [ $SECONDS -lt $deadline ] || { echo "tasks: [$want] consul: [$got]"; return 1; }
    sleep 0.2
  done
}

# --- deploy --register ----------------------------------------------------------------------------
hcl deploy "$ROOT/examples/loadbalancing.yml" -p "$P" --register --timeout 90s
expect_rc 0 "hcl deploy --register"
expect_out "^\+ $WEB  198\.19\.[0-9.]+:80  on swarm-node[12] " "the registrations are listed"
expect_eq "$(consul_count "$WEB")" 3 "3 web server instances in Consul"
expect_eq "$(consul_addresses "$WEB")" "$(task_addresses "$WEB")" "at the tasks' overlay addresses"
expect_eq "$(consul_count "${P}_haproxy")" 1 "HAProxy registered (port from its ports:)"
entry=$(curl -s "http://master:8500/v1/health/service/$WEB" | jq -c '.[0]')
expect_eq "$(jq -r '.Service.Port' <<<"$entry")" 80 "port from the com.hcl.consul.port label"
expect_eq "$(jq -r '.Service.Tags | join(",")' <<<"$entry")" "web,demo" "tags from the com.hcl.consul.tags label"
expect_eq "$(jq -r '.Node.Meta["external-node"]' <<<"$entry")" true "on an external node (no agent's anti-entropy removes it)"
expect_eq "$(jq -r '.Service.Meta["hcl-project"]' <<<"$entry")" "$P" "ServiceMeta names the project"
expect_eq "$(jq -r '[.Checks[] | select(.CheckID | startswith("service:")) | .Status] | join(",")' <<<"$entry")" passing \
  "the instance's check passes"

hcl sync -p "$P"
expect_rc 0 "hcl sync right after"
expect_out "^registered 0, deregistered 0, unchanged 4$" "nothing registered twice"
hcl nodes --format json
expect_eq "$(jqo '[.[].name] | sort | join(",")')" "master,node1,node2" "hcl nodes: the external nodes are not machines"
hcl health
expect_rc 0 "hcl health still passes (node sets equal)"

# --- sync --watch through a scale to 10 and back to 2 ------------------------------------------------
"$HCL" sync --watch -p "$P" --format json >"$WORK/watch.out" 2>"$WORK/watch.err" &
watch_pid=$!
defer "kill $watch_pid 2>/dev/null"
hcl scale -p "$P" demo-hostname=10 --wait --timeout 90s
expect_rc 0 "scale to 10"
in_step "$WEB" 10 && pass "sync --watch: Consul has the 10 running tasks" || fail "in step at 10" "$(cat "$WORK/watch.err")"
expect_eq "$(consul_count "$WEB")" 10 "10 instances"
hcl scale -p "$P" demo-hostname=2 --wait --timeout 90s
expect_rc 0 "scale to 2"
in_step "$WEB" 10 && pass "sync --watch: Consul has the 2 running tasks" || fail "in step at 2" "$(cat "$WORK/watch.err")"
expect_eq "$(consul_count "$WEB")" 2 "2 instances"
# Counted once the watch has ended: it writes to Consul first and prints after.
kill -INT "$watch_pid"
wait "$watch_pid"
expect_eq "$?" 0 "the watch ends with status 0 on Ctrl-C"
expect_eq "$(grep -c '"action":"register"' "$WORK/watch.out")" 7 "the watch registered the 7 new tasks, once each"
expect_eq "$(grep -c '"action":"deregister"' "$WORK/watch.out")" 8 "and deregistered the 8 stopped ones"

# --- a restarted watch picks up where things stand ---------------------------------------------------
hcl scale -p "$P" demo-hostname=4 --wait --timeout 90s
"$HCL" sync --watch -p "$P" >"$WORK/watch2.out" 2>"$WORK/watch2.err" &
watch_pid=$!
defer "kill $watch_pid 2>/dev/null"
in_step "$WEB" 10 && pass "a restarted watch catches up (4 instances)" || fail "restarted watch" "$(cat "$WORK/watch2.err")"
kill -INT "$watch_pid"
wait "$watch_pid"
expect_eq "$(grep -c '^.* + ' "$WORK/watch2.out")" 2 "it registered only the 2 new tasks"

# --- opting out by label ----------------------------------------------------------------------------
"$LAB" docker master service update --detach --label-add com.hcl.consul=false "${P}_haproxy" >/dev/null
hcl sync -p "$P"
expect_rc 0 "sync after the opt-out label"
expect_out "^- ${P}_haproxy " "the opted-out service's instance is removed"
expect_eq "$(consul_count "${P}_haproxy")" 0 "no HAProxy instance left"

# --- scale --register --------------------------------------------------------------------------------
hcl scale -p "$P" demo-hostname=3 --register --timeout 90s
expect_rc 0 "scale --register"
expect_eq "$(consul_count "$WEB")" 3 "3 instances after scale --register"
expect_eq "$(consul_addresses "$WEB")" "$(task_addresses "$WEB")" "at the running tasks' addresses"

# --- bad input ----------------------------------------------------------------------------------------
hcl sync --interval 10ms --watch
expect_rc 2 "--interval below 100ms"
expect_err "--interval" "names the flag"
hcl sync no-such-service
expect_rc 2 "an unknown service (as hcl scale: a usage error)"
expect_err "no-such-service: no such service" "names it"
hcl --consul http://127.0.0.1:1 sync -p "$P"
expect_rc 5 "Consul unreachable"
expect_err "127.0.0.1:1" "names the Consul endpoint"

# --- Consul away mid-watch: retried, and all in step again once it is back ------------------------
# A Consul test server of the test's own on loopback; when it restarts, its catalog is empty.
start_cts() { # start_cts PORT LOG [ARGS...]
  local port=$1 log=$2; shift 2
  "$HCL_CONSUL_TEST_SERVER" --port "$port" --no-run-checks --pidfile "$log.pid" "$@" >"$log" 2>&1 &
  wait_for "$log" "listening on" 10 || fail "Consul test server starts" "$(cat "$log")"
  defer "kill \$(cat '$log.pid') 2>/dev/null"
}
start_cts 0 "$WORK/c1.log"
cport=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$WORK/c1.log")
cts_count() { curl -s --max-time 5 "http://127.0.0.1:$cport/v1/health/service/$WEB?passing" | jq length; }
"$HCL" --consul "http://127.0.0.1:$cport" sync --watch -p "$P" >"$WORK/w3.out" 2>"$WORK/w3.err" &
watch_pid=$!
defer "kill $watch_pid 2>/dev/null"
deadline=$((SECONDS + 10)); until [ "$(cts_count)" = 3 ] || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
expect_eq "$(cts_count)" 3 "watch against a second Consul: 3 instances"
kill "$(cat "$WORK/c1.log.pid")"
hcl scale -p "$P" demo-hostname=4 --wait --timeout 90s
wait_for "$WORK/w3.err" "warning: .*127.0.0.1:$cport.*retrying" 10 && pass "Consul away: a warning naming it, retrying" ||
  fail "warning while Consul is away" "$(cat "$WORK/w3.err")"
start_cts "$cport" "$WORK/c2.log"
deadline=$((SECONDS + 15)); until [ "$(cts_count)" = 4 ] || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
expect_eq "$(cts_count)" 4 "Consul back (empty): all 4 running tasks registered again"
sleep 1.5
expect_eq "$(cts_count)" 4 "and none twice"
wait_for "$WORK/w3.err" "in step again" 5 && pass "the watch says it is in step again" || fail "in step again" "$(cat "$WORK/w3.err")"
kill -INT "$watch_pid"; wait "$watch_pid"
expect_eq "$?" 0 "the watch ends with 0"
hcl scale -p "$P" demo-hostname=3 --wait --timeout 90s

# --- a token-protected Consul ------------------------------------------------------------------------
token=sync-s3cret-token
start_cts 0 "$WORK/cts.log" --token "$token"
port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$WORK/cts.log")
hcl --consul "http://127.0.0.1:$port" -v sync -p "$P"
expect_rc 6 "no token: permission denied"
expect_err "403" "says Consul refused"
CONSUL_HTTP_TOKEN=$token hcl --consul "http://127.0.0.1:$port" -v sync -p "$P"
expect_rc 0 "with the token"
expect_out "^registered 3, deregistered 0, unchanged 0$" "registers the 3 web servers there"
expect_no "$token" "the token appears in no output, -v included"

# --- down ----------------------------------------------------------------------------------------------
hcl down -p "$P"
expect_rc 0 "hcl down"
expect_out "^- $WEB " "down lists the instances it deregistered"
expect_eq "$(consul_count "$WEB")" 0 "no web server instance left"
expect_eq "$(curl -s http://master:8500/v1/catalog/nodes | jq '[.[] | select(.Meta["external-node"] == "true")] | length')" 0 \
  "the external nodes hcl made are gone"

finish
