#!/usr/bin/env bash
# What compose files give on the lab beyond the load-balancing demo: a global service on every
# node, a job that completes, secrets and configs the containers read (and a changed secret
# rotated to a new one, the old removed), an update that fails and rolls back (hcl exits non-zero
# naming the task's error, where `docker service update` exits 0), `hcl rollback`, and `hcl down`
# taking the secrets and configs with it.
source "$(dirname "$0")/lib.sh"
require_lab

P=hcl-e2e-compose
cleanup_project() { "$HCL" down -p "$P" >/dev/null 2>&1; }
defer cleanup_project
cleanup_project

mkdir -p "$WORK/stack"
printf 'first secret\n' >"$WORK/stack/token.txt"
cat >"$WORK/stack/compose.yml" <<'YML'
services:
  agent:
    image: hcl-lab/busybox
    command: sh -c 'cat /run/secrets/token /etc/motd.txt; echo; exec sleep 1000'
    secrets: [token]
    configs:
      - source: motd
        target: /etc/motd.txt
        mode: 0440
    deploy:
      mode: global
      endpoint_mode: dnsrr
    stop_grace_period: 1s
  web:
    image: hcl-lab/hostname-web
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
      update_config: {failure_action: rollback, monitor: 3s}
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
  once:
    image: hcl-lab/busybox
    command: sh -c 'echo job done'
    deploy:
      mode: replicated-job
      replicas: 2
      endpoint_mode: dnsrr
secrets:
  token:
    file: ./token.txt
configs:
  motd:
    content: "hello from a config"
YML
STACK=$WORK/stack/compose.yml

# --- a global service, a job, a secret and a config ------------------------------------------
hcl deploy "$STACK" -p "$P" --wait --timeout 90s
expect_rc 0 "deploy --wait of a global service, a job and a replicated service"
expect_out "^secret ${P}_token: create" "the plan creates the secret"
expect_out "^config ${P}_motd: create" "the plan creates the config"
expect_out "^service ${P}_agent: create \(global\)" "the plan shows the global mode"
expect_err "${P}_once 2/2 completed" "the wait follows the job to its completions"
nodes=$(engine /nodes | jq length)
hcl ps -p "$P" --format json
expect_eq "$(jqo '[.[] | select(.service == "'"${P}"'_agent" and .state == "running") | .node] | unique | length')" "$nodes" \
  "the global service runs one task on each of the $nodes nodes"
# Lines of the agents' logs matching REGEX, once at least N of them are there (at most 30 s).
log_lines() {
  local n=0
  for _ in $(seq 60); do
    n=$("$HCL" logs "${P}_agent" 2>/dev/null | grep -cE "$1")
    [ "$n" -ge "$2" ] && break
    sleep 0.5
  done
  echo "$n"
}
expect_eq "$(log_lines '^first secret$' "$nodes")" "$nodes" "every agent reads the secret"
expect_eq "$(log_lines '^hello from a config$' "$nodes")" "$nodes" "and the config, at its target"
token_id=$(engine "/secrets?filters=%7B%22name%22%3A%7B%22${P}_token%22%3Atrue%7D%7D" | jq -r '.[0].ID')
expect_eq "$(engine "/secrets/$token_id" | jq -r '.Spec.Labels["com.docker.stack.namespace"]')" "$P" "the secret carries the project's label"

hcl deploy "$STACK" -p "$P" --dry-run
expect_rc 0 "the same file again changes nothing (dry-run exits 0)"
hcl rollback web -p "$P"
expect_rc 2 "a rollback of a service never updated: there is no previous spec"
expect_err "no previous spec" "and it says so"

# --- a changed secret: a new one, the service moved to it, the old one removed ---------------
printf 'second secret\n' >"$WORK/stack/token.txt"
hcl deploy "$STACK" -p "$P" --wait --timeout 90s
expect_rc 0 "deploy --wait after the secret's file changed"
expect_out "^secret ${P}_token_[0-9a-f]{12}: create" "a new secret for the new content"
expect_out "^secret ${P}_token: remove" "the old one to be removed"
expect_out "^service ${P}_agent: update \(secrets\)" "the service moves to it"
expect_eq "$(engine_status "/secrets/${P}_token")" 404 "the old secret is gone"
expect_eq "$(engine "/services/${P}_agent" | jq -r '.Spec.TaskTemplate.ContainerSpec.Secrets[0].SecretName')" \
  "$(grep -oE "${P}_token_[0-9a-f]{12}" <<<"$out" | head -n1)" "the service uses the new secret"
expect_eq "$(log_lines '^second secret$' "$nodes")" "$nodes" "every agent's new task reads the new secret"

# --- an update that fails and is rolled back -------------------------------------------------
sed 's|test: \["CMD", "true"\]|test: ["CMD", "false"]|' "$STACK" >"$WORK/stack/broken.yml"
hcl deploy "$WORK/stack/broken.yml" -p "$P" --wait --timeout 90s
expect_rc 1 "deploy --wait of an update that fails its health check"
expect_err "${P}_web: the update failed and was rolled back" "the error says the update was rolled back, naming the service"
expect_eq "$(engine "/services/${P}_web" | jq -r '.UpdateStatus.State')" rollback_completed "the engine rolled it back"
expect_eq "$(engine "/services/${P}_web" | jq -r '.Spec.TaskTemplate.ContainerSpec.Healthcheck.Test | join(" ")')" "CMD true" \
  "the service runs its previous spec again"

# --- hcl rollback ----------------------------------------------------------------------------
sed 's|replicas: 2|replicas: 3|' "$STACK" >"$WORK/stack/three.yml"
hcl deploy "$WORK/stack/three.yml" -p "$P" --wait --timeout 90s
expect_rc 0 "deploy --wait with three web servers"
hcl rollback web -p "$P" --wait --timeout 90s
expect_rc 0 "hcl rollback web --wait"
expect_eq "$(engine "/services/${P}_web" | jq -r '.Spec.Mode.Replicated.Replicas')" 2 "back to two replicas"
hcl rollback web -p "$P" --wait --timeout 90s
expect_rc 0 "a second rollback goes back to what the first undid, as docker service rollback does"
expect_eq "$(engine "/services/${P}_web" | jq -r '.Spec.Mode.Replicated.Replicas')" 3 "three replicas again"

# --- hcl down takes secrets and configs too ---------------------------------------------------
hcl down -p "$P"
expect_rc 0 "hcl down"
expect_out "^removed config ${P}_motd$" "the config is removed"
expect_out "^removed secret ${P}_token_[0-9a-f]{12}$" "the secret is removed"
expect_eq "$(engine /secrets | jq --arg p "$P" '[.[] | select(.Spec.Labels["com.docker.stack.namespace"] == $p)] | length')" 0 \
  "no secret of the project is left"

finish
