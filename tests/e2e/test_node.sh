#!/usr/bin/env bash
# hcl node: a node's life in the lab's swarm (drain with --wait, activate, pause, labels, promote
# and demote, inspect, rm refused where the swarm would suffer), checked through the engine's API.
source "$(dirname "$0")/lib.sh"
require_lab

api() { curl -s --max-time 10 "http://master:2378/v$(engine_api)$1"; }
node_field() { api "/nodes/$1" | jq -r "$2"; }
svc=hcl-e2e-node-spread
defer "'$HCL' rm $svc; '$HCL' node activate node1 node2; '$HCL' node demote node1; '$HCL' node label node1 --rm zone; '$HCL' node label node1 --rm tier"

hcl node ls
expect_rc 0 "hcl node ls"
for n in master node1 node2; do expect_out "^$n " "node ls: row for $n"; done

hcl node inspect node1 --format json
expect_rc 0 "hcl node inspect node1 --format json"
expect_eq "$(jqo '.[0].name + " " + .[0].swarm.role')" "node1 worker" "inspect: the node and its role"
hcl node inspect master
expect_out '^Role: +manager \(leader\)$' "inspect: master is the leader"
hcl node inspect nosuch
expect_rc 7 "an unknown node"
expect_err "no node 'nosuch' in the swarm \\(nodes: master, node1, node2\\)" "an unknown node: the known ones named"

# Drain node1 while a service has tasks there: --wait returns once none is left on it.
hcl run -d --name "$svc" --replicas 6 hcl-lab/busybox sleep 86400
expect_rc 0 "a service with tasks on every node"
node1_id=$(api /nodes | jq -r '.[] | select(.Description.Hostname == "node1") | .ID')
running_on_node1() {
  api "/tasks?filters=$(jq -rn --arg n "$node1_id" '{node: [$n], "desired-state": ["running"]} | @uri')" |
    jq '[.[] | select(.Status.State == "running")] | length'
}
for _ in $(seq 1 60); do [ "$(running_on_node1)" -gt 0 ] && break; sleep 0.5; done
[ "$(running_on_node1)" -gt 0 ] && pass "the service runs tasks on node1" || fail "no task of the service on node1 to drain"
hcl node drain node1 --wait --timeout 60s
expect_rc 0 "hcl node drain node1 --wait"
expect_out '^node1: active -> drain$' "drain: says what changed"
expect_out '^node1: no tasks left$' "drain --wait: says when the node is empty"
expect_eq "$(running_on_node1)" 0 "no task runs on node1 after the drain"
expect_eq "$(node_field "$node1_id" .Spec.Availability)" drain "the engine has node1 drained"
hcl node drain node1
expect_out '^node1: unchanged$' "draining a drained node changes nothing"
hcl node activate node1
expect_out '^node1: drain -> active$' "activate"
expect_eq "$(node_field "$node1_id" .Spec.Availability)" active "the engine has node1 active again"
hcl node pause node2
expect_out '^node2: active -> pause$' "pause"
hcl node activate node2
expect_rc 0 "activate node2"

# Labels, for node.labels.K constraints.
hcl node label node1 zone=a tier=web
expect_rc 0 "hcl node label node1 zone=a tier=web"
expect_eq "$(node_field "$node1_id" '.Spec.Labels | "\(.zone) \(.tier)"')" "a web" "the engine has both labels"
hcl node label node1 --rm tier
expect_out '^node1: label tier removed$' "label --rm"
expect_eq "$(node_field "$node1_id" '.Spec.Labels | has("tier")')" false "the label is gone"
hcl node label node1 --rm nosuch
expect_rc 2 "removing a label the node lacks"
expect_err "has no label 'nosuch' to remove" "says which label"
hcl node label node1
expect_rc 2 "hcl node label with nothing to do"

# Roles: the last manager cannot be demoted; a worker can become a manager and go back.
hcl node demote master
expect_rc 8 "demoting the only manager is refused"
expect_err 'without a manager' "says why"
expect_eq "$(api /nodes | jq -r '.[] | select(.Description.Hostname == "master") | .Spec.Role')" manager "master stays a manager"
hcl node promote node1 --wait --timeout soon
expect_rc 2 "a bad --timeout is refused"
expect_eq "$(node_field "$node1_id" .Spec.Role)" worker "before anything changed"
# --wait returns once the swarm has made the role so: a promoted node has joined the managers'
# Raft (this took 2-30 s on the lab), a demoted one has left it.
hcl node promote node1 --wait
expect_out '^node1: worker -> manager$' "promote node1"
expect_out '^node1: a reachable manager$' "promote --wait says when it is done"
expect_eq "$(node_field "$node1_id" .ManagerStatus.Reachability)" reachable "node1 is a reachable manager when promote --wait returns"
hcl node demote node1 --wait
expect_out '^node1: manager -> worker$' "demote --wait"
expect_out '^node1: no longer a manager$' "demote --wait says when it is done"
expect_eq "$(node_field "$node1_id" .ManagerStatus)" null "node1 has left the managers when demote --wait returns"
hcl node promote node1 --wait
expect_rc 0 "node1 promoted again"
hcl node demote node1
expect_out '^node1: manager -> worker$' "demote node1: master keeps the quorum alone"
expect_eq "$(node_field "$node1_id" .Spec.Role)" worker "node1 is a worker again"
# For seconds after a demotion the swarm writes the node's new role and certificate into it,
# moving its version under any update read before: hcl makes such an update again on the new
# version. Labels set and removed back to back for 3 s are all applied (before, 9 of 19,784 such
# updates over 10 demotions were refused).
refused=0 updates=0 end=$((SECONDS + 3))
while [ "$SECONDS" -lt "$end" ]; do
  "$HCL" node label node1 churn=1 >/dev/null 2>&1 || refused=$((refused + 1))
  "$HCL" node label node1 --rm churn >/dev/null 2>&1 || { refused=$((refused + 1)); "$HCL" node label node1 --rm churn >/dev/null 2>&1; }
  updates=$((updates + 2))
done
expect_eq "$refused" 0 "label updates right after a demotion: none refused of $updates"

# Removing: a manager, and a node that is not down, are refused before anything is sent.
hcl node rm master
expect_rc 8 "removing a manager is refused"
expect_err 'demote it first' "says what to do"
hcl node rm node2
expect_rc 8 "removing a ready node without --force is refused"
expect_err 'is ready, not down' "says why"
expect_eq "$(api /nodes | jq length)" 3 "every node is still in the swarm"

hcl node label node1 --rm zone
expect_rc 0 "the last test label removed"
expect_eq "$(node_field "$node1_id" '.Spec.Labels | length')" 0 "node1 has no labels left"
hcl rm "$svc"
expect_rc 0 "the service removed"
finish
