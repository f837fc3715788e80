# shellcheck shell=bash
# consul.sh — the lab's Consul endpoint at master:8500. Debian ships no Consul server and no
# reachable registry has one, so the lab runs the project's Consul TEST SERVER
# (tests/consul_test_server, faithful to Consul's documented HTTP API for what hcl uses)
# inside master's network namespace, and registers the nodes through the catalog as agents
# would appear, each with a serfHealth check. Real clusters run real Consul.
# Sourced by tests/lab/lab.

CONSUL_PIDFILE=$RUN_DIR/consul/consul.pid
CONSUL_LOG=$LOG_DIR/consul.log
CONSUL_URL="http://$MASTER_IP:$CONSUL_PORT"

consul_enabled() { [[ $CONSUL_ENABLED != 0 ]]; }

consul_bin() { echo "${HCL_CONSUL_TEST_SERVER:-$REPO_DIR/build/tests/consul_test_server/consul-test-server}"; }

consul_check_bin() {
  consul_enabled || return 0
  local bin; bin=$(consul_bin)
  [[ -x $bin ]] || die "consul test server not found at $bin
  build it first:  cmake -S $REPO_DIR -B $REPO_DIR/build && cmake --build $REPO_DIR/build --target consul-test-server
  (or point HCL_CONSUL_TEST_SERVER at the binary, or set HCL_LAB_CONSUL=0 to run the lab without Consul)"
}

# The server's pid if it runs: alive, and (pid reuse guard) in the lab's consul cgroup.
consul_pid() { part_pid "$CONSUL_PIDFILE" consul; }

consul_curl() {
  local hdr=(); [[ -z $CONSUL_TOKEN ]] || hdr=(-H "X-Consul-Token: $CONSUL_TOKEN")
  lcurl "${hdr[@]}" "$@"
}

consul_answers() { [[ $(consul_curl -o /dev/null -w '%{http_code}' "$CONSUL_URL/v1/catalog/nodes" 2>/dev/null) == 200 ]]; }

consul_start() {
  consul_enabled || return 0
  if [[ -n $(consul_pid) ]] && consul_answers; then return 0; fi
  local pid; pid=$(consul_pid)
  [[ -z $pid ]] || terminate_pid "$pid" 10
  cg_reap consul
  consul_check_bin
  mkdir -p "$RUN_DIR/consul" "$LOG_DIR"
  rm -f "$CONSUL_PIDFILE"
  local cg; cg=$(cg_make consul)
  local args=(--bind 0.0.0.0 --port "$CONSUL_PORT" --advertise "$MASTER_IP" --datacenter "$CONSUL_DC"
              --node master --pidfile "$CONSUL_PIDFILE")
  [[ -z $CONSUL_TOKEN ]] || args+=(--token "$CONSUL_TOKEN")
  say "starting consul test server on master:$CONSUL_PORT"
  echo "==== $(date -Is) lab: starting $(consul_bin) ${args[*]}" >>"$CONSUL_LOG"
  # In master's network namespace only (no UTS/mount namespace needed), so that master:8500
  # is the Consul address as on a cluster-lab.
  # shellcheck disable=SC2016
  setsid nsenter --net="/run/netns/$(node_ns master)" -- \
    /bin/sh -c '[ -z "$1" ] || echo $$ >"$1/cgroup.procs"; shift; exec "$@"' sh "$cg" "$(consul_bin)" "${args[@]}" \
    </dev/null >>"$CONSUL_LOG" 2>&1 9>&- &   # 9: the lab's lock, not for the server
  local launched=$!
  local end=$(( $(now_ms) + 15000 ))
  until consul_answers; do
    if pid_gone "$launched"; then
      tail -n 20 "$CONSUL_LOG" >&2
      die "consul test server exited during startup (log: $CONSUL_LOG)"
    fi
    (( $(now_ms) < end )) || { tail -n 20 "$CONSUL_LOG" >&2; die "consul test server does not answer at $CONSUL_URL"; }
    sleep 0.2
  done
  # The server writes its pidfile; if it did not (yet), keep the launch pid (same process).
  [[ -n $(consul_pid) ]] || echo "$launched" >"$CONSUL_PIDFILE"
}

# Register node $1 in the catalog with a serfHealth check of status $2 (passing|critical).
consul_register() {
  consul_enabled || return 0
  local node=$1 status=$2 output
  if [[ $status == passing ]]; then output="Agent alive and reachable"; else output="Agent not live or unreachable"; fi
  local body
  body=$(printf '{"Node":"%s","Address":"%s","Datacenter":"%s","Check":{"Node":"%s","CheckID":"serfHealth","Name":"Serf Health Status","Status":"%s","Output":"%s"}}' \
    "$node" "$(node_ip "$node")" "$CONSUL_DC" "$node" "$status" "$output")
  local code
  code=$(consul_curl -o /dev/null -w '%{http_code}' -X PUT --data "$body" "$CONSUL_URL/v1/catalog/register") || code=000
  [[ $code == 200 ]] || die "consul catalog register of $node ($status) answered HTTP $code"
}

consul_ok() {
  consul_enabled || return 0
  [[ -n $(consul_pid) ]] || return 1
  local nodes; nodes=$(consul_curl "$CONSUL_URL/v1/catalog/nodes" 2>/dev/null) || return 1
  local n; for n in "$@"; do [[ $nodes == *"\"$n\""* ]] || return 1; done
}

consul_stop() {
  local pid; pid=$(consul_pid)
  [[ -z $pid ]] || terminate_pid "$pid" 10
  cg_reap consul
  rm -f "$CONSUL_PIDFILE"
}
