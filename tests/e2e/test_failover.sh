#!/usr/bin/env bash
# The master is no single point of failure: with three managers, hcl learns them from the swarm,
# and when master's engine stops, nodes, ps, deploy --wait and scale --wait go through another
# manager (named on stderr); the calls after the first try master no more. With two of three
# managers stopped, a deploy fails at once with the quorum message and `hcl nodes` answers with
# Consul's view alone (exit 3). Checked through the engines' own API.
source "$(dirname "$0")/lib.sh"
require_lab

# This suite's own memory of the cluster, so that what it learns reaches no other suite.
export XDG_STATE_HOME=$WORK/state
managers_file=$XDG_STATE_HOME/hcl/managers
api_at() { curl -s --max-time 10 "http://$1/v1.41$2"; }  # every lab engine speaks 1.41..1.44+
node1_ip=$("$LAB" ip node1)
node2_ip=$("$LAB" ip node2)
P=hcl-e2e-failover
cat >"$WORK/stack.yml" <<'YAML'
services:
  web:
    image: hcl-lab/busybox
    command: sleep 86400
    deploy:
      replicas: 2
YAML
# Clean-up, run newest first: engines back, then the stack removed and the managers demoted.
defer "'$HCL' down -p $P; '$HCL' node demote node1 node2; wait_settled 90"
defer "'$LAB' start master; sleep 5; '$LAB' start node1"

hcl node promote node1 node2
expect_rc 0 "promote node1 and node2: three managers"
reachable() { engine /nodes | jq '[.[] | select(.ManagerStatus.Reachability == "reachable")] | length'; }
for _ in $(seq 1 60); do [ "$(reachable)" = 3 ] && break; sleep 0.5; done
expect_eq "$(reachable)" 3 "the swarm has three reachable managers"

hcl nodes --no-consul
expect_rc 0 "hcl nodes on the healthy cluster"
expect_eq "$(grep -o "node1=http://$node1_ip:2375" "$managers_file" 2>/dev/null)" "node1=http://$node1_ip:2375" \
  "hcl remembers node1's engine as a manager"
expect_eq "$(grep -o "node2=http://$node2_ip:2375" "$managers_file" 2>/dev/null)" "node2=http://$node2_ip:2375" \
  "hcl remembers node2's engine as a manager"
hcl health
expect_out "^PASS +quorum +3/3 managers reachable; from here master, node[12], node[12] answer$" \
  "health: every manager answers from here"

"$LAB" stop master >"$WORK/lab.log" 2>&1 || fail "lab stop master" "$(cat "$WORK/lab.log")"
# The swarm's own work first: node1 and node2 elect a new leader and mark master down (seconds;
# until then the managers refuse writes with "node lost leader status").
settled() {
  api_at "$node1_ip:2375" /nodes | jq -e '([.[] | select(.ManagerStatus.Leader == true and .Description.Hostname != "master")] | length == 1)
    and ([.[] | select(.Description.Hostname == "master" and .Status.State == "down")] | length == 1)' >/dev/null 2>&1
}
deadline=$((SECONDS + 120))
until settled || [ $SECONDS -ge $deadline ]; do sleep 1; done
settled && pass "node1 and node2 elect a leader and see master down" || fail "the swarm settles without master" "$(api_at "$node1_ip:2375" /nodes | head -c 2000)"
hcl nodes --no-consul --format json
expect_rc 0 "hcl nodes with master's engine stopped"
expect_err "http://master:2378: cannot connect .*using manager node[12] at http://" "names the manager that answered"
expect_eq "$(jqo '[.[] | select(.name == "master") | .health] | .[0]')" down "master shows as down"
hcl -v nodes --no-consul
expect_rc 0 "hcl nodes again"
if grep -q "GET http://master:2378" <<<"$err"; then fail "the next call does not try master again" "$(context)"
else pass "the next call does not try master again"; fi
expect_err "using manager node[12] at .*did not answer" "says which manager it uses"
hcl ps
expect_rc 0 "hcl ps through another manager"
hcl health
expect_rc 1 "hcl health with master's engine stopped: a failing check (master down)"
expect_out "^WARN +quorum +2/3 managers reachable; from here node[12], node[12] answer, not master \\(http://master:2378: cannot connect[^)]*\\): hcl cannot go on through it$" \
  "health: quorum names the manager that does not answer from here"
hcl deploy "$WORK/stack.yml" -p $P --wait --timeout 120s
expect_rc 0 "hcl deploy --wait through another manager"
expect_eq "$(api_at "$node1_ip:2375" /services | jq -r --arg n ${P}_web '.[] | select(.Spec.Name == $n) | .Spec.Mode.Replicated.Replicas')" 2 \
  "the engine has the service with 2 replicas"
hcl scale ${P}_web=3 --wait --timeout 120s
expect_rc 0 "hcl scale --wait through another manager"
expect_eq "$(api_at "$node1_ip:2375" /services | jq -r --arg n ${P}_web '.[] | select(.Spec.Name == $n) | .Spec.Mode.Replicated.Replicas')" 3 \
  "the engine has 3 replicas"

# Two of three managers gone: no quorum. Which one hcl used does not matter: one of them stops.
"$LAB" stop node1 >"$WORK/lab.log" 2>&1 || fail "lab stop node1" "$(cat "$WORK/lab.log")"
no_leader() { api_at "$node2_ip:2375" /nodes | grep -q "does not have a leader"; }
deadline=$((SECONDS + 90))  # node2 first waits for the old leader (an answer can take 20 s)
until no_leader || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
no_leader && pass "node2 alone has no leader" || fail "node2 alone has no leader" "$(api_at "$node2_ip:2375" /nodes)"
hcl deploy "$WORK/stack.yml" -p ${P}2
expect_rc 4 "a deploy without quorum fails"
expect_err "lost its quorum.*--force-new-cluster" "says the quorum is lost and the ways out"
expect_eq "$(api_at "$node2_ip:2375" /info | jq -r '.Swarm.LocalNodeState')" active "node2 is still in the swarm"
hcl nodes
expect_rc 3 "hcl nodes without quorum: a partial answer"
expect_out "^node2 " "Consul's view lists node2"
expect_err "no leader to list its nodes, Consul's view is shown alone" "says why the answer is partial"

# Back to one manager: the engines again, the managers demoted; hcl goes back to master.
# master first: a manager that starts while the swarm has no leader gives up its Raft for good
# ("can't initialize raft node"); master and node2 make a majority and elect one, then node1 joins.
"$LAB" start master >"$WORK/lab.log" 2>&1 || fail "lab start master" "$(cat "$WORK/lab.log")"
has_leader() { engine /nodes | jq -e '[.[] | select(.ManagerStatus.Leader == true)] | length == 1' >/dev/null 2>&1; }
deadline=$((SECONDS + 90))
until has_leader || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
has_leader && pass "master and node2 elect a leader" || fail "master and node2 elect a leader" "$(engine /nodes)"
"$LAB" start node1 >"$WORK/lab.log" 2>&1 || fail "lab start node1" "$(cat "$WORK/lab.log")"
for _ in $(seq 1 120); do [ "$(reachable)" = 3 ] && break; sleep 0.5; done
expect_eq "$(reachable)" 3 "three reachable managers again"
hcl down -p $P
expect_rc 0 "hcl down"
# One at a time: the swarm refuses to shrink its Raft group while a member is still catching up.
for n in node1 node2; do
  for _ in $(seq 1 20); do
    hcl node demote $n
    [ $rc -eq 0 ] && break; echo "demote $n refused ($(tail -c 200 <<<"$err")), trying again"; sleep 1
  done
  expect_rc 0 "demote $n"
done
for _ in $(seq 1 60); do
  [ "$(engine /nodes | jq -r '[.[] | select(.Spec.Role == "manager")] | length')" = 1 ] && break; sleep 0.5
done
hcl nodes --no-consul --format json
expect_rc 0 "hcl nodes with master back"
expect_eq "$(jqo '[.[] | select(.swarm.role == "manager" or .swarm.leader)] | length')" 1 "master is the only manager again"
# The suites after this one expect every node ready: the leader changed twice, and each change
# leaves the workers "unknown" until they next report to the new leader.
if wait_settled 90; then pass "every node ready again under master"; else
  fail "every node ready again under master" \
    "$(engine /nodes | jq -c '[.[] | {n: .Description.Hostname, s: .Status.State, l: .ManagerStatus.Leader}]')"
fi
finish
