#!/usr/bin/env bash
# hcl nodes against the lab: three nodes, roles, Consul health; node2 down in both views.
source "$(dirname "$0")/lib.sh"
require_lab

hcl nodes
expect_rc 0 "hcl nodes with no flags"
for n in master node1 node2; do expect_out "^$n " "row for $n"; done
expect_out '^master +leader +ready +active +passing ' "master is the leader, ready, active, Consul passing"
expect_out '^node1 +worker +ready +active +passing ' "node1 is a ready worker, Consul passing"
expect_out '^node2 +worker +ready +active +passing ' "node2 is a ready worker, Consul passing"
expect_eq "$(head -n1 <<<"$out" | awk '{print $1, $2, $3}')" "NAME ROLE STATE" "table header"

hcl nodes --format json
expect_rc 0 "hcl nodes --format json"
expect_eq "$(jqo 'length')" 3 "three nodes in JSON"
expect_eq "$(jqo '[.[] | select(.swarm.role == "manager")] | map(.name) | join(",")')" master "one manager: master"
expect_eq "$(jqo '.[] | select(.name == "master") | .swarm.leader')" true "master is the leader in JSON"
expect_eq "$(jqo '[.[].consul.serf_health] | unique | join(",")')" passing "every serfHealth passes"
expect_eq "$(jqo '[.[].sources | join("+")] | unique | join(",")')" "swarm+consul" "every node is known to both sides"
expect_eq "$(jqo '[.[].health] | unique | join(",")')" healthy "every node healthy"
expect_eq "$(jqo '.[] | select(.name == "node1") | .swarm.address')" "$(getent hosts node1 | awk '{print $1}')" "node1's address is its lab address"
# The view hcl shows agrees with the engine's own API.
expect_eq "$(jqo '[.[].swarm.id] | sort | join(",")')" "$(engine /nodes | jq -r '[.[].ID] | sort | join(",")')" "node IDs match the engine's"

hcl nodes -q
expect_rc 0 "hcl nodes -q"
expect_eq "$(sort <<<"$out" | tr '\n' ' ')" "master node1 node2 " "-q prints the names only"

hcl nodes --format '{{.Name}} {{.Swarm.Role}} {{.Consul.SerfHealth}} {{.health}}'
expect_rc 0 "hcl nodes --format TEMPLATE"
expect_eq "$(sort <<<"$out" | tr '\n' ',')" "master manager passing healthy,node1 worker passing healthy,node2 worker passing healthy," \
  "the template prints each node's fields"
hcl nodes --format '{{.Name}} {{.Role}}'
expect_rc 2 "a template with an unknown field"
expect_err "unknown field \.Role; fields: \.Name, \.Health, \.Sources, \.Swarm, \.Consul" "the error names the field and lists the valid ones"

# Name lookup where nsswitch.conf names a source beyond "files" and "dns" (Raspberry Pi OS:
# mdns4_minimal for NAME.local). hcl built static-pie has its C library linked in, which cannot
# load such modules: it asks getent, which can; a dynamically linked hcl (the sanitized build)
# lets getaddrinfo load them itself. Shown in a mount namespace of its own (the machine's file is
# untouched) whose nsswitch.conf puts mdns4_minimal first, so that the hosts file is not read
# directly; a getent first on PATH notes each call and runs the system's.
mkdir -p "$WORK/nss/bin"
printf 'hosts: mdns4_minimal [NOTFOUND=return] files dns\n' >"$WORK/nss/nsswitch.conf"
printf '#!/bin/sh\necho "$*" >>%s/getent.log\nexec %s "$@"\n' "$WORK/nss" "$(command -v getent)" >"$WORK/nss/bin/getent"
printf '#!/bin/sh\nexec unshare -m sh -c '"'"'mount --bind %s/nsswitch.conf /etc/nsswitch.conf && PATH=%s/bin:$PATH exec "$0" "$@"'"'"' %s "$@"\n' \
  "$WORK/nss" "$WORK/nss" "$HCL" >"$WORK/nss/hcl"
chmod +x "$WORK/nss/bin/getent" "$WORK/nss/hcl"
real_hcl=$HCL
HCL=$WORK/nss/hcl
DOCKER_HOST=tcp://master:2378 hcl nodes --no-consul -q
HCL=$real_hcl
expect_rc 0 "hcl nodes reaches master:2378 with mdns4_minimal first in nsswitch.conf"
expect_eq "$(sort <<<"$out" | tr '\n' ' ')" "master node1 node2 " "and lists the nodes"
if readelf -lW "$HCL" | grep -q 'INTERP'; then
  expect_eq "$(cat "$WORK/nss/getent.log" 2>/dev/null)" "" "a dynamically linked hcl leaves the lookup to getaddrinfo"
else
  expect_eq "$(cat "$WORK/nss/getent.log" 2>/dev/null)" "ahosts -- master" "hcl, its C library linked in, asked getent for master"
fi

# Stop node2's engine: the lab waits until the manager reports it down and marks its serfHealth
# critical in Consul.
"$LAB" stop node2 >"$WORK/lab.log" 2>&1 || fail "lab stop node2" "$(cat "$WORK/lab.log")"
defer "'$LAB' start node2"
hcl nodes
expect_rc 0 "hcl nodes with node2 stopped"
expect_out '^node2 +worker +down +active +critical .* down' "node2 is down in the Swarm view and critical in Consul"
expect_out '^node1 +worker +ready +active +passing ' "node1 stays ready"
hcl nodes --format json
expect_eq "$(jqo '.[] | select(.name == "node2") | .swarm.state')" down "node2's swarm state is down (JSON)"
expect_eq "$(jqo '.[] | select(.name == "node2") | .consul.serf_health')" critical "node2's serfHealth is critical (JSON)"
expect_eq "$(jqo '.[] | select(.name == "node2") | .health')" down "node2's health is down (JSON)"

"$LAB" start node2 >"$WORK/lab.log" 2>&1 || fail "lab start node2" "$(cat "$WORK/lab.log")"
hcl nodes --format json
expect_eq "$(jqo '.[] | select(.name == "node2") | .swarm.state + "/" + .consul.serf_health')" "ready/passing" "node2 is back: ready and passing"

finish
