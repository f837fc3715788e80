#!/usr/bin/env bash
# hcl health against the lab: passes when healthy, fails naming node2 in both views when it is
# stopped, passes again when it is back.
source "$(dirname "$0")/lib.sh"
require_lab

hcl health
expect_rc 0 "hcl health on the healthy lab"
for id in docker consul-leader swarm-nodes quorum serf-health node-sets; do
  expect_out "^PASS +$id " "$id passes"
done
hcl health --format json
expect_eq "$(jqo '.healthy')" true "JSON: healthy"

# --watch runs beside the node's stop and start and prints changes only.
"$HCL" health --watch --interval 2s >"$WORK/watch.out" 2>"$WORK/watch.err" &
watch_pid=$!
defer "kill $watch_pid 2>/dev/null"
wait_for "$WORK/watch.out" "PASS +node-sets" 10 && pass "watch: prints every check first" ||
  fail "watch: first round" "$(cat "$WORK/watch.out" "$WORK/watch.err")"

"$LAB" stop node2 >"$WORK/lab.log" 2>&1 || fail "lab stop node2" "$(cat "$WORK/lab.log")"
defer "'$LAB' start node2"
hcl health
expect_rc 1 "hcl health with node2 stopped"
expect_out "^FAIL +swarm-nodes +.*node2 \(down" "the Swarm check names node2"
expect_out "^FAIL +serf-health +.*node2 \(critical\)" "the Consul check names node2"
expect_err "the cluster is not healthy: failing checks: swarm-nodes, serf-health" "stderr names the failing checks"
hcl health --format json
expect_eq "$(jqo '[.checks[] | select(.status == "FAIL") | .id] | join(",")')" "swarm-nodes,serf-health" "JSON lists exactly the failing checks"

wait_for "$WORK/watch.out" "FAIL +swarm-nodes .*node2" 20 && wait_for "$WORK/watch.out" "FAIL +serf-health .*node2" 20 &&
  pass "watch: both views of node2 going down reported" || fail "watch: node2 down" "$(cat "$WORK/watch.out" "$WORK/watch.err")"

"$LAB" start node2 >"$WORK/lab.log" 2>&1 || fail "lab start node2" "$(cat "$WORK/lab.log")"
hcl health
expect_rc 0 "healthy again after lab start node2"
wait_for "$WORK/watch.out" "PASS +swarm-nodes .*all 3" 20 && pass "watch: node2 back reported" ||
  fail "watch: node2 back" "$(cat "$WORK/watch.out" "$WORK/watch.err")"
kill -INT "$watch_pid"
wait "$watch_pid"
expect_eq "$?" 0 "watch ends with status 0 on Ctrl-C"
# Changes only: each check's PASS line appears once before node2 stopped and once after.
expect_eq "$(grep -c 'PASS  *docker ' "$WORK/watch.out")" 1 "watch: an unchanged check is not printed again"
expect_eq "$(grep -c 'PASS  *swarm-nodes ' "$WORK/watch.out")" 2 "watch: swarm-nodes passes twice (before, after)"

hcl --consul http://127.0.0.1:1 health
expect_rc 1 "Consul unreachable"
expect_out "^FAIL +consul-leader +GET http://127.0.0.1:1/v1/status/leader" "names the Consul endpoint"

finish
