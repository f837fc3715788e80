# shellcheck shell=bash
# engines.sh — one dockerd per node, each in the node's network namespace plus its own UTS
# and mount namespaces (DESIGN fact 2). Sourced by tests/lab/lab.

engine_pidfile()  { echo "$RUN_DIR/$1/docker.pid"; }     # written by dockerd
engine_launchpid() { echo "$RUN_DIR/$1/launch.pid"; }    # written by the lab at launch
engine_log()      { echo "$LOG_DIR/$1.log"; }

# The engine's pid if it is running, else nothing.
engine_pid() {
  local node=$1 pid
  for pid in "$(read_pid "$(engine_pidfile "$node")")" "$(read_pid "$(engine_launchpid "$node")")"; do
    pid_is "$pid" dockerd && { echo "$pid"; return 0; }
  done
  return 0
}

engine_ping() { [[ $(curl -s --max-time 3 --unix-socket "$(node_sock "$1")" http://lab/_ping 2>/dev/null) == OK ]]; }

engine_ok() { [[ -n $(engine_pid "$1") ]] && engine_ping "$1"; }

engine_log_tail() {
  local log; log=$(engine_log "$1")
  [[ -r $log ]] || return 0
  echo "---- last lines of $log ----" >&2
  tail -n "${2:-25}" "$log" >&2
  echo "----" >&2
}

# Start node $1's engine unless it already runs; do not wait for it (see engine_wait).
engine_start() {
  local node=$1
  if [[ -n $(engine_pid "$node") ]]; then
    return 0
  fi
  # Whatever is left of an earlier run of this engine (crash): its containerd, shims and
  # containers are in its cgroup; the stale pidfiles and sockets would stop dockerd.
  cg_reap "$node"
  local run="$RUN_DIR/$node" data="$STATE_DIR/$node"
  rm -f "$run/docker.pid" "$run/launch.pid" "$run/docker.sock" "$run/exec/containerd/containerd.pid"
  mkdir -p "$run/exec" "$data/docker" "$data/etc-docker" "$LOG_DIR"
  # dockerd reads /etc/docker/daemon.json and keeps its identity key in /etc/docker/key.json:
  # each node gets its own directory there (bind-mounted in the node's private mount
  # namespace), so engines do not share an engine ID and no host configuration leaks in.
  [[ -e $data/etc-docker/daemon.json ]] || echo '{}' >"$data/etc-docker/daemon.json"
  [[ -d /etc/docker ]] || mkdir -p /etc/docker
  # containerd's shims put their sockets under /run/containerd/s whatever containerd's own
  # state dir is; a shim killed after a crash leaves its socket behind. Each node gets its
  # own /run/containerd (bind-mounted like /etc/docker), so all of it goes with `down`.
  mkdir -p "$run/containerd-run"
  if [[ ! -d /run/containerd ]]; then mkdir -p /run/containerd && touch "$RUN_DIR/made-run-containerd"; fi
  local ip; ip=$(node_ip "$node")
  local cg; cg=$(cg_make "$node/engine")
  # Plain TCP on purpose (a lab); saying --tls=false skips a 15 s startup delay. Master runs
  # with --tlsverify on 2376 instead while the lab is in TLS mode (tls.sh).
  local tcp_args=(-H "tcp://$ip:$(node_port "$node")" --tls=false)
  [[ $node != master ]] || read -ra tcp_args <<<"$(tls_engine_args "$ip")"
  local args=(
    --data-root "$data/docker"
    --exec-root "$run/exec"
    --pidfile "$run/docker.pid"
    --config-file "$data/etc-docker/daemon.json"
    -H "unix://$run/docker.sock"
    "${tcp_args[@]}"
    --containerd-namespace "hcl-$node"
    --containerd-plugins-namespace "hcl-$node-plugins"
    --cgroup-parent "/hcl-lab/$node"
    --bip "$ENGINE_BIP"
    --default-address-pool "base=$LOCAL_POOL,size=24"
    --storage-driver overlay2
    --swarm-default-advertise-addr "$ip"
  )
  {
    echo "==== $(date -Is) lab: starting engine $node ($ip)"
  } >>"$(engine_log "$node")"
  # nsenter (not `ip netns exec`, which remounts /sys and hides the cgroup mounts, fact 2)
  # into the node's network namespace, then new UTS and mount namespaces in which the
  # hostname is the node's name and /etc/docker and /run/containerd are the node's own.
  # Every step execs, so the background pid is dockerd's. setsid detaches it from the
  # caller's terminal and session.
  # shellcheck disable=SC2016
  setsid nsenter --net="/run/netns/$(node_ns "$node")" -- \
    unshare --uts --mount --propagation private -- \
    /bin/sh -c '
      [ -z "$1" ] || echo $$ >"$1/cgroup.procs"
      hostname "$2"
      mount --bind "$3" /etc/docker
      mount --bind "$4" /run/containerd
      shift 4
      exec "$@"' sh "$cg" "$node" "$data/etc-docker" "$run/containerd-run" dockerd "${args[@]}" \
    </dev/null >>"$(engine_log "$node")" 2>&1 9>&- &   # 9: the lab's lock, not for the engine
  echo $! >"$run/launch.pid"
}

# Wait until node $1's engine answers /_ping; on failure show its log and fail.
engine_wait() {
  local node=$1 timeout=${2:-60}
  local end=$(( $(now_ms) + timeout * 1000 ))
  until engine_ping "$node"; do
    # The launch pid is setsid/nsenter/unshare/sh for a moment before it execs dockerd.
    if [[ -z $(engine_pid "$node") ]] && pid_gone "$(read_pid "$(engine_launchpid "$node")")"; then
      engine_log_tail "$node"
      die "engine $node exited during startup (log: $(engine_log "$node"))"
    fi
    if (( $(now_ms) >= end )); then
      engine_log_tail "$node"
      die "engine $node did not answer /_ping on $(node_sock "$node") within ${timeout}s"
    fi
    sleep 0.2
  done
}

# Stop node $1's engine: SIGTERM, wait for the process to exit (SIGKILL after $2 s), then
# end whatever of it is left (containerd, shims, containers) through its cgroup.
engine_stop() {
  local node=$1 timeout=${2:-45} pid
  pid=$(engine_pid "$node")
  [[ -z $pid ]] || terminate_pid "$pid" "$timeout"
  cg_reap "$node"
  rm -f "$(engine_pidfile "$node")" "$(engine_launchpid "$node")"
}
