#!/usr/bin/env bash
# hcl run / ps / logs / rm against the lab: the cluster lab's classic example, placement,
# exit statuses, streams, and nothing left behind.
source "$(dirname "$0")/lib.sh"
require_lab

net=hcl-e2e-run
web=hcl-e2e-webserver
services_left() { engine /services | jq -r --arg l com.hcl.run '[.[] | select(.Spec.Labels[$l] == "once")] | length'; }
defer "curl -s -X DELETE http://master:2378/v$(engine_api)/services/$web; sleep 2; curl -s -X DELETE http://master:2378/v$(engine_api)/networks/$net"
"$HCL" net create "$net" --exist-ok >/dev/null

# --- the classic example: a web server on master, a one-shot wget from another node ----------
hcl run -d --name="$web" --net="$net" -e "constraint:node==master" hcl-lab/hostname-web
expect_rc 0 "hcl run -d the web server on master"
service_id=$out
expect_eq "$(engine "/services/$web" | jq -r .ID)" "$service_id" "the printed ID is the service's"
expect_eq "$(engine "/services/$web" | jq -r '.Spec.TaskTemplate.Placement.Constraints | join(",")')" \
  "node.hostname==master" "the classic constraint became a swarm-mode constraint"
expect_eq "$(engine "/services/$web" | jq -r '.Spec.TaskTemplate.ContainerSpec.Env // [] | map(select(startswith("constraint:"))) | length')" \
  0 "and left the environment"
expect_eq "$(engine "/services/$web" | jq -r .Spec.EndpointSpec.Mode)" dnsrr "DNS round-robin endpoint (no IPVS needed)"
hcl ps "$web" --format json
expect_eq "$(jqo '.[0].node + " " + .[0].state')" "master running" "hcl ps: the web server runs on master"
web_container=$(jqo '.[0].task_id')

# A node that joins the overlay network for its first task learns the other services' DNS
# records by gossip, within a second or so: the one-shot retries its wget for up to 5 s, as a
# script on a real cluster would.
fetch() { echo "hostname; for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O- http://$web$1 && exit 0; sleep 0.5; done; exit 1"; }
hcl run --hostname '{{.Node.Hostname}}' --net="$net" -e "constraint:node!=master" hcl-lab/busybox sh -c "$(fetch /index.html)"
expect_rc 0 "the one-shot wget exits 0"
ran_on=$(head -n1 <<<"$out")
if [ "$ran_on" = node1 ] || [ "$ran_on" = node2 ]; then pass "the one-shot ran on $ran_on, not master"; else fail "the one-shot ran on '$ran_on'" "$(context)"; fi
page=$(sed -n 2p <<<"$out")
expect_eq "$page" "$(engine "/tasks?filters=%7B%22service%22%3A%5B%22$web%22%5D%7D" | jq -r '.[] | select(.Status.State=="running") | .Status.ContainerStatus.ContainerID[0:12]')" \
  "it printed the page the web server serves (its container's hostname)"

# The same with the modern syntax.
hcl run --hostname '{{.Node.Hostname}}' --net="$net" --constraint 'node.hostname!=master' hcl-lab/busybox sh -c "$(fetch /)"
expect_rc 0 "--constraint node.hostname!=master"
expect_eq "$(sed -n 2p <<<"$out")" "$page" "reaches the web server by name"
if [ "$(head -n1 <<<"$out")" != master ]; then pass "not on master"; else fail "ran on master" "$(context)"; fi
hcl run --hostname '{{.Node.Hostname}}' --constraint node.hostname==master hcl-lab/busybox hostname
expect_eq "$out" master "--constraint node.hostname==master runs on master"
hcl run --hostname '{{.Node.Hostname}}' --constraint node.role==worker --constraint node!=node1 hcl-lab/busybox hostname
expect_eq "$out" node2 "constraints combine: a worker other than node1 is node2"

# --- exit statuses and streams -------------------------------------------------------------
hcl run hcl-lab/busybox sh -c 'echo to-out; echo to-err >&2; exit 7'
expect_rc 7 "the container's exit status passes through"
expect_eq "$out" to-out "stdout stays stdout"
expect_eq "$err" to-err "stderr stays stderr"
hcl run hcl-lab/busybox sh -c 'i=0; while [ $i -lt 300 ]; do echo line$i; i=$((i+1)); done'
expect_rc 0 "a run with more output"
expect_eq "$(wc -l <<<"$out" | tr -d ' ')" 300 "every line arrives, once"
expect_eq "$(tail -n1 <<<"$out")" line299 "in order"

# --- placement that cannot be met, and other bad input: nothing created -------------------
before=$(engine /services | jq length)
hcl run --constraint node==nosuchnode hcl-lab/busybox true
expect_rc 2 "an unsatisfiable constraint"
expect_err "constraint node.hostname==nosuchnode: no node satisfies it.*tried master, node1, node2" "names the constraint and the nodes tried"
hcl run -e constraint:node==nosuchnode hcl-lab/busybox true
expect_rc 2 "an unsatisfiable classic constraint"
hcl run -e 'constraint:foo~=bar' hcl-lab/busybox true
expect_rc 2 "an unknown classic operator"
expect_err "constraint:foo~=bar" "names the entry"
hcl run -e 'constraint:node==~master' hcl-lab/busybox true
expect_rc 2 "a soft classic constraint is refused"
expect_err "soft constraints" "says why"
hcl run -e 'constraint:node==/mast.*/' hcl-lab/busybox true
expect_rc 2 "a regular expression is refused"
hcl run -e 'affinity:container==web' hcl-lab/busybox true
expect_rc 2 "an affinity is refused"
hcl run --constraint 'node.colour==blue' hcl-lab/busybox true
expect_rc 2 "an unknown constraint key"
expect_err "unknown key 'node.colour'" "names the key"
hcl run --constraint 'node.hostname=master' hcl-lab/busybox true
expect_rc 2 "a malformed constraint expression"
hcl run --net nosuchnet hcl-lab/busybox true
expect_rc 2 "a network that does not exist"
expect_err -- "--net=nosuchnet: no such network" "names the network"
hcl run -p 80:http hcl-lab/busybox true
expect_rc 2 "a --publish that does not parse"
expect_err -- "--publish=80:http" "names the flag"
expect_eq "$(engine /services | jq length)" "$before" "none of these created a service"
hcl run nosuchimage:latest true
expect_rc 1 "an image that no node has"
expect_err "No such image: nosuchimage" "the engine's reason is shown"
expect_eq "$(services_left)" 0 "one-shot runs leave no service behind"

# --- Ctrl-C during a one-shot run: exit 130, nothing left ----------------------------------
"$HCL" run --name hcl-e2e-interrupted hcl-lab/busybox sleep 60 >"$WORK/int.out" 2>"$WORK/int.err" &
pid=$!
for _ in $(seq 50); do [ "$(engine_status /services/hcl-e2e-interrupted)" = 200 ] && break; sleep 0.2; done
sleep 1
kill -INT "$pid"
wait "$pid"
rc=$?; out=$(cat "$WORK/int.out"); err=$(cat "$WORK/int.err")
expect_rc 130 "Ctrl-C ends the run"
expect_err "interrupted; the service was removed" "says what it cleaned up"
expect_eq "$(engine_status /services/hcl-e2e-interrupted)" 404 "the service is gone"
for _ in $(seq 50); do
  left=$(for n in master node1 node2; do "$LAB" docker "$n" ps -aq --filter label=com.docker.swarm.service.name=hcl-e2e-interrupted; done | wc -l)
  [ "$left" -eq 0 ] && break; sleep 0.2
done
expect_eq "$left" 0 "no container of it remains on any node"

# --- logs, ps, rm ---------------------------------------------------------------------------
hcl logs "$web"
expect_rc 0 "hcl logs"
hcl logs nosuchservice
expect_rc 7 "logs of a service that does not exist"
expect_err "no service named nosuchservice" "names it"
hcl ps
expect_out "^$web\.1 +hcl-lab/hostname-web +master +running +running" "hcl ps table"
hcl ps "$web" --format '{{.Name}}@{{.Node}} {{.DesiredState}} {{json .Ports}}'
expect_eq "$out" "$web.1@master running []" "hcl ps --format TEMPLATE"
hcl ps --format '{{.Nope}}'
expect_rc 2 "hcl ps with an unknown template field"
expect_err "unknown field \.Nope; fields: \.Name, \.Service, \.TaskId" "names the field and the valid ones"
hcl ps --node node1 -q
if grep -q "^$web" <<<"$out"; then fail "--node node1 filters out master's task" "$(context)"; else pass "--node filters by node"; fi
hcl run -d --name hcl-e2e-replicas --replicas 2 --constraint node.role==worker hcl-lab/hostname-web
expect_rc 0 "run -d --replicas 2"
defer "curl -s -X DELETE http://master:2378/v$(engine_api)/services/hcl-e2e-replicas"
hcl ps hcl-e2e-replicas --format json
expect_eq "$(jqo '[.[] | select(.state == "running")] | length')" 2 "two replicas run"
expect_eq "$(jqo '[.[].node] | map(select(. == "master")) | length')" 0 "none on master"
hcl rm "$web" hcl-e2e-replicas
expect_rc 0 "hcl rm two services"
expect_eq "$(engine_status "/services/$web")" 404 "the engine no longer has the web server"
hcl rm "$web"
expect_rc 7 "removing it again"
hcl rm -f "$web"
expect_rc 0 "-f accepts a missing service"

# A detached run whose task cannot start (a command that ends at once may be seen running first,
# which is a successful detached start): exit 1, and it says that the service stays and how to
# remove it.
defer "curl -s -X DELETE http://master:2378/v$(engine_api)/services/hcl-e2e-fails"
hcl run -d --name hcl-e2e-fails hcl-lab/busybox /no/such/program
expect_rc 1 "run -d of a command that cannot start"
expect_err "task failed on node .*/no/such/program" "says the task failed, and why"
expect_err "the service hcl-e2e-fails stays .*hcl rm hcl-e2e-fails" "says the service stays, and how to remove it"
expect_eq "$(engine_status /services/hcl-e2e-fails)" 200 "  ... and it does stay"
hcl rm hcl-e2e-fails
expect_rc 0 "hcl rm removes it"

finish
