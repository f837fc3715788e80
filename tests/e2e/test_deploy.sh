#!/usr/bin/env bash
# hcl deploy / scale / ls / ps -p / down against the lab, with the HAProxy load-balancing demo.
source "$(dirname "$0")/lib.sh"
require_lab

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
P=hcl-e2e-lb
cleanup_project() { "$HCL" down -p "$P" >/dev/null 2>&1; }
defer cleanup_project
cleanup_project

svc_version() { engine "/services/${P}_$1" | jq -r .Version.Index; }
node_of_container() { # container ID prefix -> node hostname, through the engine
  local node_id
  node_id=$(engine /tasks | jq -r --arg c "$1" '.[] | select(.Status.ContainerStatus.ContainerID // "" | startswith($c)) | .NodeID' | head -n1)
  engine "/nodes/$node_id" | jq -r .Description.Hostname
}
# N requests through HAProxy on master:80; prints the distinct answers (hostnames), sorted. An
# error page (HAProxy's 503 while it has not resolved the web servers yet) is no answer.
answers() { for _ in $(seq "$1"); do curl -sf --max-time 3 http://master:80/; echo; done | grep -v '^$' | sort -u; }
# HAProxy resolves the web servers through the engine's DNS once a second and checks them once a
# second: a few seconds after the tasks run, it answers every request. Waits for 20 in a row.
wait_serving() {
  local ok=0
  for _ in $(seq 300); do
    if curl -sf -o /dev/null --max-time 3 http://master:80/; then ok=$((ok + 1)); else ok=0; fi
    [ "$ok" -ge 20 ] && break
    sleep 0.1
  done
  expect_eq "$ok" 20 "HAProxy on master:80 answers 20 requests in a row"
}
# Retries until `answers 20` has exactly N distinct hostnames (HAProxy re-resolves every second).
expect_distinct() {
  local want=$1 got=0
  for _ in $(seq 40); do
    got=$(answers 20 | wc -l)
    [ "$got" -eq "$want" ] && break
    sleep 0.5
  done
  expect_eq "$got" "$want" "20 requests through master:80 see $want distinct web servers"
}

# --- deploy the demo ----------------------------------------------------------------------
hcl deploy "$ROOT/examples/loadbalancing.yml" -p "$P" --wait --timeout 90s
expect_rc 0 "hcl deploy examples/loadbalancing.yml --wait"
expect_out "^network ${P}_apps: create" "the plan creates the network"
expect_out "^service ${P}_demo-hostname: create \(3 replicas\)" "the plan creates the web servers"
expect_out "^service ${P}_haproxy: create" "the plan creates HAProxy"
expect_eq "$(engine "/networks/${P}_apps" | jq -r '.Driver + " " + (.Attachable|tostring) + " " + .Labels["com.docker.stack.namespace"]')" \
  "overlay true $P" "an attachable overlay network labelled with the project"
hcl ps -p "$P" --format json
expect_eq "$(jqo '[.[] | select(.service == "'"${P}"'_haproxy")] | map(.node) | join(",")')" master "HAProxy runs on master"
expect_eq "$(jqo '[.[] | select(.service == "'"${P}"'_demo-hostname" and .state == "running")] | length')" 3 "three web servers run"
expect_eq "$(jqo '[.[] | select(.service == "'"${P}"'_demo-hostname") | .node] | map(select(. == "master")) | length')" 0 "none of them on master"
wait_serving
expect_distinct 3
placed=$(answers 12 | while read -r h; do echo "$h on $(node_of_container "$h")"; done)
if [ -n "$placed" ] && ! grep -qv ' on node[12]$' <<<"$placed"; then
  pass "every answer came from a web server on node1 or node2"
else
  fail "every answer came from a web server on node1 or node2" "$placed"
fi

hcl ls
expect_out "^$P +2 +4/4 +1" "hcl ls shows the project: 2 services, 4/4 running, 1 network"

# --- scale ------------------------------------------------------------------------------------
hcl scale demo-hostname=10 -p "$P" --wait --timeout 90s
expect_rc 0 "hcl scale demo-hostname=10 --wait"
expect_out "^${P}_demo-hostname scaled to 10" "says what it scaled"
hcl ps "${P}_demo-hostname" --format json
expect_eq "$(jqo '[.[] | select(.state == "running")] | length')" 10 "ten web servers run when scale returns"
expect_distinct 10
hcl scale demo-hostname=2 -p "$P" --wait
expect_rc 0 "scale down to 2"
expect_distinct 2

# --- re-deploy: no changes, nothing updated -----------------------------------------------------
v_web=$(svc_version demo-hostname); v_ha=$(svc_version haproxy)
hcl deploy "$ROOT/examples/loadbalancing.yml" -p "$P" --dry-run
expect_rc 1 "--dry-run after a scale: the manifest says 3 replicas, so a change"
expect_out "^service ${P}_demo-hostname: update \(replicas\)$" "exactly the replicas differ"
hcl deploy "$ROOT/examples/loadbalancing.yml" -p "$P" --wait
expect_rc 0 "deploy again converges to the manifest"
v_web=$(svc_version demo-hostname); v_ha2=$(svc_version haproxy)
expect_eq "$v_ha2" "$v_ha" "HAProxy was not touched"
hcl deploy "$ROOT/examples/loadbalancing.yml" -p "$P"
expect_rc 0 "an unchanged re-deploy"
expect_out "^project $P: no changes$" "says no changes"
expect_eq "$(svc_version demo-hostname) $(svc_version haproxy)" "$v_web $v_ha" "no service version moved"
# Planned from the services alone: each one's com.hcl.refs label is the digest of the IDs its
# spec refers to with what they stood for when hcl sent it (here its network's ID and name).
hcl -v deploy "$ROOT/examples/loadbalancing.yml" -p "$P"
expect_eq "$(grep -cE '^hcl: [A-Z]+ (http|ssh)' <<<"$err")" 1 "an unchanged re-deploy asks for the project's services only"
net_id=$(engine "/services/${P}_demo-hostname" | jq -r '.Spec.TaskTemplate.Networks[0].Target')
want=$(printf 'network %s %s\n' "$net_id" "$(engine "/networks/$net_id" | jq -r .Name)" | sha256sum | cut -d' ' -f1)
expect_eq "$(engine "/services/${P}_demo-hostname" | jq -r '.Spec.Labels["com.hcl.refs"]')" "$want" \
  "its refs label is the SHA-256 of its network's ID and name"
hcl deploy "$ROOT/examples/loadbalancing.yml" -p "$P" --dry-run
expect_rc 0 "--dry-run with no changes exits 0"

# --- one change in the file: the dry run shows exactly it, the deploy updates only it ------------
# The copy names HAProxy's configuration by the same absolute path as the original does.
sed -e 's/replicas: 3/replicas: 4/' -e "s|\./haproxy.cfg|$ROOT/examples/haproxy.cfg|" "$ROOT/examples/loadbalancing.yml" >"$WORK/lb.yml"
hcl deploy "$WORK/lb.yml" -p "$P" --dry-run --format json
expect_rc 1 "--dry-run of a changed file exits 1"
expect_eq "$(jqo '[.services[] | select(.change != "unchanged") | .service + ":" + .change + ":" + (.fields | join(","))] | join(" ")')" \
  "demo-hostname:update:replicas" "the plan has exactly that change"
expect_eq "$(svc_version demo-hostname)" "$v_web" "the dry run changed nothing"
sed -i -e 's|image: hcl-lab/hostname-web|image: hcl-lab/hostname-web\n    environment:\n      GREETING: hello|' "$WORK/lb.yml"
hcl deploy "$WORK/lb.yml" -p "$P" --wait
expect_rc 0 "deploying the changed file"
expect_out "^service ${P}_demo-hostname: update \(environment, replicas\)$" "one service updated, with the fields named"
expect_out "^service ${P}_haproxy: unchanged$" "the other left alone"
expect_eq "$(svc_version haproxy)" "$v_ha" "HAProxy's version did not move"
expect_eq "$(engine "/services/${P}_demo-hostname" | jq -r '.Spec.TaskTemplate.ContainerSpec.Env | join(",")')" "GREETING=hello" "the new environment reached the engine"

# --- prune --------------------------------------------------------------------------------------
cat >"$WORK/extra.yml" <<YML
name: $P
services:
  demo-hostname:
    image: hcl-lab/hostname-web
    environment:
      GREETING: hello
    networks: [apps]
    deploy: {replicas: 4, endpoint_mode: dnsrr, placement: {constraints: ["node.hostname != master"]}}
networks:
  apps: {}
YML
hcl deploy "$WORK/extra.yml" --dry-run
expect_out "^service ${P}_haproxy: unchanged|^service ${P}_demo" "without --prune nothing is removed"
if grep -q "remove" <<<"$out"; then fail "no removal without --prune" "$(context)"; else pass "no removal without --prune"; fi
hcl deploy "$WORK/extra.yml" --prune
expect_rc 0 "deploy --prune"
expect_out "^service ${P}_haproxy: remove$" "the service dropped from the file is removed"
expect_eq "$(engine_status "/services/${P}_haproxy")" 404 "the engine no longer has it"

# --- a manifest with an error in its last service changes nothing --------------------------------
before=$(engine /services | jq -c '[.[] | {n: .Spec.Name, v: .Version.Index}] | sort_by(.n)')
cat >"$WORK/broken.yml" <<YML
name: $P
services:
  demo-hostname:
    image: hcl-lab/hostname-web
    deploy: {replicas: 7}
  zz-last:
    image: hcl-lab/busybox
    deploy:
      replicas: lots
YML
hcl deploy "$WORK/broken.yml"
expect_rc 2 "a bad manifest"
expect_err "broken.yml:9:[0-9]+: .*replicas.*lots" "the error names file:line:col and the value"
expect_eq "$(engine /services | jq -c '[.[] | {n: .Spec.Name, v: .Version.Index}] | sort_by(.n)')" "$before" "nothing on the cluster changed"

# --- bad scale arguments: exit 2, nothing changed --------------------------------------------
for arg in "demo-hostname=" "=3" "demo-hostname=-1" "demo-hostname=abc" "demo-hostname"; do
  hcl scale "$arg" -p "$P"
  expect_rc 2 "hcl scale '$arg'"
done
hcl scale nosuchservice=3 -p "$P"
expect_rc 2 "scaling a service that does not exist"
expect_err "nosuchservice" "names it"
hcl scale demo-hostname=5 nosuchservice=3 -p "$P"
expect_rc 2 "one unknown service among good ones"
expect_eq "$(engine "/services/${P}_demo-hostname" | jq -r .Spec.Mode.Replicated.Replicas)" 4 "and nothing was scaled"

# --- down -----------------------------------------------------------------------------------------
hcl down -p "$P"
expect_rc 0 "hcl down"
expect_eq "$(engine /services | jq --arg p "$P" '[.[] | select(.Spec.Labels["com.docker.stack.namespace"] == $p)] | length')" 0 "no service of the project is left"
expect_eq "$(engine /networks | jq --arg p "$P" '[.[] | select(.Labels["com.docker.stack.namespace"] == $p)] | length')" 0 "no network of the project is left"

# --- the version-2 demo, as the original cluster lab wrote it ----------------------------------
hcl deploy -p "$P" "$ROOT/examples/loadbalancing-v2/docker-compose.yml" --wait --timeout 90s
expect_rc 0 "the version-2 demo deploys unchanged"
expect_eq "$(engine "/services/${P}_haproxy" | jq -r '.Spec.TaskTemplate.Placement.Constraints | join(",")')" "node.hostname==master" "HAProxy placed on master, as in the modern file"
expect_eq "$(engine "/services/${P}_demo-hostname" | jq -r '.Spec.TaskTemplate.Placement.Constraints | join(",")')" "node.hostname!=master" "web servers placed off master"
expect_eq "$(engine "/services/${P}_demo-hostname" | jq -r '.Spec.TaskTemplate.ContainerSpec.Env // [] | length')" 0 "the classic constraints left the environment"
expect_distinct 1
hcl down "$ROOT/examples/loadbalancing-v2/docker-compose.yml" -p "$P"
expect_rc 0 "hcl down -p"

finish
