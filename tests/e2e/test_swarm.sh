#!/usr/bin/env bash
# hcl swarm init|join|leave: forming the swarm from one place. On the lab's swarm: init and join
# again change nothing; node2 leaves and joins again; a manager does not leave without --force.
# Then the whole swarm is formed from scratch with hcl (master leaves with --force, init, join
# node1 and node2) and runs the load-balancing demo. Checked through the engines' own API.
source "$(dirname "$0")/lib.sh"
require_lab

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export XDG_STATE_HOME=$WORK/state
info_at() { curl -s --max-time 10 "http://$1/v1.41/info" | jq -r "$2"; }
master_ip=$("$LAB" ip master)
node2_ip=$("$LAB" ip node2)
P=hcl-e2e-swarm
# Whatever happens below, the lab's swarm is whole again afterwards (lab up repairs it).
defer "'$LAB' status >/dev/null 2>&1 || '$LAB' up"
defer "'$HCL' down -p $P"

hcl swarm init
expect_rc 0 "hcl swarm init on the swarm's manager"
expect_out "^http://master:2378: already a manager of swarm [0-9a-z]{12} \\($master_ip\\), left as it is$" \
  "init again changes nothing and says so"
hcl swarm join node1
expect_rc 0 "hcl swarm join of a node already in the swarm"
expect_out "^node1: already in this swarm as a worker" "says so"

old_id=$(info_at "$node2_ip:2375" .Swarm.NodeID)
hcl swarm leave node2
expect_rc 0 "hcl swarm leave node2"
expect_out "^node2: left the swarm" "says node2 left"
expect_eq "$(info_at "$node2_ip:2375" .Swarm.LocalNodeState)" inactive "node2's engine is in no swarm"
hcl swarm leave node2
expect_out "^node2: in no swarm, left as it is$" "leaving again changes nothing"
hcl swarm join node2
expect_rc 0 "hcl swarm join node2"
expect_out "^node2: joined swarm [0-9a-z]{12} as a worker through $master_ip:2377, advertising $node2_ip$" \
  "says which swarm, through which manager, advertising which address"
expect_eq "$(info_at "$node2_ip:2375" .Swarm.LocalNodeState)" active "node2's engine is in the swarm again"
for _ in $(seq 1 60); do [ "$(engine "/nodes/$old_id" | jq -r .Status.State)" = down ] && break; sleep 0.5; done
hcl node rm "$old_id"
expect_rc 0 "node2's old entry removed (hcl node rm)"
hcl swarm leave master
expect_rc 8 "the only manager does not leave without --force"
expect_err "is the swarm's only manager: leaving ends the swarm" "says why"
expect_eq "$(engine /info | jq -r .Swarm.LocalNodeState)" active "master is still in the swarm"

# A swarm from scratch: every engine out of it, then init and join with hcl, with the lab's own
# address pool and heartbeat (read from the swarm before it goes).
lab_swarm=$(engine /swarm | jq -c '{pools: .DefaultAddrPool, mask: .SubnetSize, hb: .Spec.Dispatcher.HeartbeatPeriod}')
pool_args=()
for p in $(jq -r '.pools[]' <<<"$lab_swarm"); do pool_args+=(--default-addr-pool "$p"); done
init_args=("${pool_args[@]}" --default-addr-pool-mask-length "$(jq -r .mask <<<"$lab_swarm")"
           --dispatcher-heartbeat "$(( $(jq -r .hb <<<"$lab_swarm") / 1000000 ))ms")
hcl swarm leave node1 node2
expect_rc 0 "the workers leave"
hcl swarm leave master --force
expect_rc 0 "master leaves with --force: no swarm left"
expect_out "^master: left the swarm, its only manager: the swarm is gone$" "says the swarm is gone"
expect_eq "$(engine /info | jq -r .Swarm.LocalNodeState)" inactive "master's engine is in no swarm"
hcl swarm init "${init_args[@]}"
expect_rc 0 "hcl swarm init ${init_args[*]}"
expect_out "^http://master:2378: swarm [0-9a-z]{12} made, [0-9a-z]{12} its first manager, advertising $master_ip$" \
  "says which swarm and the address it advertises"
expect_eq "$(engine /swarm | jq -c '{pools: .DefaultAddrPool, mask: .SubnetSize, hb: .Spec.Dispatcher.HeartbeatPeriod}')" \
  "$lab_swarm" "the new swarm has the pool, subnet size and heartbeat asked for"
hcl swarm join node1 node2
expect_rc 0 "hcl swarm join node1 node2"
hcl nodes --no-consul --format json
expect_eq "$(jqo '[.[] | select(.swarm.state == "ready")] | length')" 3 "three ready nodes in the new swarm"
hcl deploy "$ROOT/examples/loadbalancing.yml" -p $P --wait --timeout 120s
expect_rc 0 "the load-balancing demo runs on the new swarm"
# HAProxy on master:80 answers from the three web servers (a few seconds after they run).
distinct=0
for _ in $(seq 60); do
  answers=$(for _ in $(seq 20); do curl -sf --max-time 3 http://master:80/; echo; done | grep -v '^$' | sort | uniq -c)
  distinct=$(grep -c . <<<"$answers")
  [ "$distinct" -eq 3 ] && break
  sleep 0.5
done
expect_eq "$distinct" 3 "20 requests through master:80 see the 3 web servers"
if [ "$distinct" -ne 3 ]; then
  # Seen once in CI, not reproduced since: what each engine's DNS knows of the web servers (the
  # overlay's service records, spread by the engines' gossip) against the tasks the swarm runs.
  dns_view() { jq -c '.Services // {} | map_values([.Tasks[]? | .EndpointIP])'; }
  printf '     | answers (count, web server):\n%s\n' "$(sed 's/^/     |   /' <<<"$answers")"
  printf '     | master knows: %s\n' "$(engine "/networks/${P}_apps?verbose=true" | dns_view)"
  for n in node1 node2; do
    printf '     | %s knows: %s\n' "$n" "$(curl -s --max-time 10 "http://$("$LAB" ip "$n"):2375/v1.41/networks/${P}_apps?verbose=true" | dns_view)"
  done
  printf '     | tasks: %s\n' "$(engine "/tasks?filters=$(jq -rn --arg s "${P}_demo-hostname" '{service: [$s]} | @uri')" |
    jq -c '[.[] | {node: .NodeID[0:8], state: .Status.State, addr: [.NetworksAttachments[]?.Addresses[]?]}]')"
fi
finish
