# shellcheck shell=bash
# engines.sh — one dockerd per node, each in the node's network namespace plus its own UTS
# and mount namespaces, each of the engine version the lab's selection gives
# that node (binaries from fetch.sh's cache). Sourced by tests/lab/lab.

# ---- which engine each node runs -----------------------------------------------------------
# A selection (HCL_LAB_ENGINES / `lab up --engines`, HCL_LAB_MIN_API / `lab up --min-api`) is
# a comma-separated list: NODE=VALUE sets that node; bare VALUEs go to master, node1, node2, ...
# in order, and the last bare VALUE also to every further node. A node the list does not cover
# runs 20.10 (the system's engine) and has no minimum API version. As a minimum API, "-" or
# "none" means no minimum. Examples: "28.5,26.1,20.10" (the default), "20.10" (every node),
# "master=20.10,node1=28.5"; min API "master=1.44" (the default), "" (none), "1.44,-".

# The value SPEC ($1) gives node $2, or nothing.
spec_value() {
  local spec=$1 node=$2 want item pos=0 positional="" last="" named="" have_named=0
  want=$(node_index "$node") || return 0
  local items; IFS=, read -ra items <<<"$spec"
  for item in "${items[@]}"; do
    item=${item//[[:space:]]/}
    [[ -n $item ]] || continue
    if [[ $item == *=* ]]; then
      [[ ${item%%=*} == "$node" ]] && { named=${item#*=}; have_named=1; }
    else
      ((pos == want)) && positional=$item
      last=$item; pos=$((pos + 1))
    fi
  done
  if ((have_named)); then echo "$named"
  elif [[ -n $positional ]]; then echo "$positional"
  elif ((want >= pos)); then echo "$last"
  fi
}

# Syntax of a selection: nodes that exist by name, values that fit ($2: engine|api).
spec_check() {
  local spec=$1 kind=$2 what=$3 item name value items
  IFS=, read -ra items <<<"$spec"
  for item in "${items[@]}"; do
    item=${item//[[:space:]]/}
    [[ -n $item ]] || continue
    name=""; value=$item
    if [[ $item == *=* ]]; then name=${item%%=*}; value=${item#*=}; fi
    [[ -z $name ]] || node_index "$name" >/dev/null 2>&1 ||
      usage_error "$what: no such node '$name' in '$spec' (nodes: master, node1, node2, ...)"
    case $kind in
      engine) engine_known "$value" ||
        usage_error "$what: unknown engine '$value' in '$spec' (known: ${KNOWN_ENGINES[*]})" ;;
      api) [[ $value == - || $value == none || $value =~ ^1\.[0-9]{1,2}$ ]] ||
        usage_error "$what: '$value' in '$spec' is not an API version like 1.44 (or - for none)" ;;
    esac
  done
}

# The selection in effect: as the lab that is up was made (recorded by `up`), else the
# default. `lab up` replaces it (selection_choose); stop, start and tls keep it.
ENGINES_SPEC=$(cat "$RUN_DIR/engines" 2>/dev/null || echo "$DEFAULT_ENGINES")
MIN_API_SPEC=""
default_min_api() { if engine_has_min_api "$(node_engine master)"; then echo "$DEFAULT_MIN_API"; fi; }

node_engine() { local v; v=$(spec_value "$ENGINES_SPEC" "$1"); echo "${v:-20.10}"; }
node_min_api() {
  local v; v=$(spec_value "$MIN_API_SPEC" "$1")
  [[ $v == - || $v == none ]] || echo "$v"
}
if [[ -r $RUN_DIR/min-api ]]; then MIN_API_SPEC=$(cat "$RUN_DIR/min-api"); else MIN_API_SPEC=$(default_min_api); fi

# `lab up`: the selection from its options ($1 engines, $2 min API; "unset" if not given),
# else the environment, else as the lab that is up was made, else the default. The minimum
# API is inherited from the lab that is up only together with its engines: a new engine
# selection without a minimum API gets the default one (master 1.44 if master's engine can).
selection_choose() {
  local opt_engines=$1 opt_min=$2 from_record=0
  if [[ $opt_engines != unset ]]; then ENGINES_SPEC=${opt_engines:-$DEFAULT_ENGINES}
  elif [[ -n ${HCL_LAB_ENGINES+x} ]]; then ENGINES_SPEC=${HCL_LAB_ENGINES:-$DEFAULT_ENGINES}
  elif [[ -r $RUN_DIR/engines ]]; then ENGINES_SPEC=$(cat "$RUN_DIR/engines"); from_record=1
  else ENGINES_SPEC=$DEFAULT_ENGINES; fi
  spec_check "$ENGINES_SPEC" engine "HCL_LAB_ENGINES"
  if [[ $opt_min != unset ]]; then MIN_API_SPEC=$opt_min
  elif [[ -n ${HCL_LAB_MIN_API+x} ]]; then MIN_API_SPEC=$HCL_LAB_MIN_API
  elif ((from_record)) && [[ -r $RUN_DIR/min-api ]]; then MIN_API_SPEC=$(cat "$RUN_DIR/min-api")
  else MIN_API_SPEC=$(default_min_api); fi
  spec_check "$MIN_API_SPEC" api "HCL_LAB_MIN_API"
}

# Can every node of the lab ($@) run as selected?
selection_fits() {
  local node v min
  for node in "$@"; do
    v=$(node_engine "$node"); min=$(node_min_api "$node")
    [[ -n $min ]] || continue
    engine_has_min_api "$v" ||
      die "$node runs engine $v, which cannot refuse old clients (no DOCKER_MIN_API_VERSION); set HCL_LAB_MIN_API without $node (HCL_LAB_MIN_API= for none)"
    version_lt "$(engine_max_api "$v")" "$min" &&
      die "$node: minimum API $min is above engine $v's API $(engine_max_api "$v")"
    version_lt "$min" 1.24 && die "$node: engine $v cannot go below its own minimum API 1.24 (asked: $min)"
  done
  return 0
}

# "master=28.5 node1=26.1 node2=20.10" / "master=1.44" (or "none") for the lab's nodes ($@).
selection_engines_text() { local n; for n in "$@"; do printf '%s=%s ' "$n" "$(node_engine "$n")"; done | sed 's/ $//'; }
selection_min_api_text() {
  local n m out=""
  for n in "$@"; do m=$(node_min_api "$n"); [[ -z $m ]] || out+="$n=$m "; done
  out=${out% }; echo "${out:-none}"
}
selection_record() {
  printf '%s\n' "$ENGINES_SPEC" >"$RUN_DIR/engines"
  printf '%s\n' "$MIN_API_SPEC" >"$RUN_DIR/min-api"
}

# ---- one engine ----------------------------------------------------------------------------

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

# The engine version of node $1's running dockerd (by its executable), "?" if it is not one
# of the cache's, nothing if none runs.
engine_running_version() {
  local pid exe v; pid=$(engine_pid "$1"); [[ -n $pid ]] || return 0
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 0
  for v in "${KNOWN_ENGINES[@]}"; do
    [[ -e $(engine_bin "$v")/dockerd && $exe == "$(readlink -f "$(engine_bin "$v")/dockerd")" ]] &&
      { echo "$v"; return 0; }
  done
  echo "?"
}
# The minimum API version node $1's running dockerd was started with (its environment).
engine_running_min_api() {
  local pid; pid=$(engine_pid "$1"); [[ -n $pid ]] || return 0
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | sed -n 's/^DOCKER_MIN_API_VERSION=//p'
}
# Does node $1's running engine have the selected version and minimum API version?
engine_matches() {
  [[ $(engine_running_version "$1") == "$(node_engine "$1")" &&
     $(engine_running_min_api "$1") == "$(node_min_api "$1")" ]]
}

engine_ok() { [[ -n $(engine_pid "$1") ]] && engine_ping "$1" && engine_matches "$1"; }

# "VERSION API MINAPI" from the engine's own unversioned /version (which every engine answers,
# whatever its minimum API), or nothing.
engine_version_info() {
  local j; j=$(curl -s --max-time 3 --unix-socket "$(node_sock "$1")" http://lab/version 2>/dev/null) || return 0
  local ver api min
  ver=$(grep -o '"Version":"[^"]*"' <<<"$j" | tail -n 1 | cut -d'"' -f4)
  api=$(grep -o '"ApiVersion":"[^"]*"' <<<"$j" | head -n 1 | cut -d'"' -f4)
  min=$(grep -o '"MinAPIVersion":"[^"]*"' <<<"$j" | head -n 1 | cut -d'"' -f4)
  [[ -z $ver ]] || echo "$ver $api $min"
}

engine_log_tail() {
  local log; log=$(engine_log "$1")
  [[ -r $log ]] || return 0
  echo "---- last lines of $log ----" >&2
  tail -n "${2:-25}" "$log" >&2
  echo "----" >&2
}

# Start node $1's engine unless it already runs; do not wait for it (see engine_wait). The
# engine is the version the selection gives the node (node_engine), with the minimum API
# version it gives (node_min_api) in DOCKER_MIN_API_VERSION.
engine_start() {
  local node=$1
  if [[ -n $(engine_pid "$node") ]]; then
    return 0
  fi
  local v min bin
  v=$(node_engine "$node"); min=$(node_min_api "$node"); bin=$(engine_bin "$v")
  engine_cached "$v" || die "engine $v is not in the cache ($(engine_dir "$v")); run 'lab install'"
  # Whatever is left of an earlier run of this engine (crash): its containerd, shims and
  # containers are in its cgroup; the stale pidfiles and sockets would stop dockerd.
  cg_reap "$node"
  local run="$RUN_DIR/$node" data="$STATE_DIR/$node"
  # A data root goes only to the same or a newer engine, as in a real upgrade: dockerd and
  # containerd migrate their stores forward, never back (an older swarmkit, containerd or
  # image store cannot read what a newer one wrote). $data/engine is the newest engine that
  # has run on it. A worker whose engine goes back starts with a new data root and joins the
  # swarm anew (swarm_ensure removes its old entry); for master `up` remakes the whole lab
  # (it does so for any change of master's engine version: cmd_up).
  local made; made=$(cat "$data/engine" 2>/dev/null || true)
  if [[ -n $made ]] && version_lt "$v" "$made"; then
    [[ $node != master ]] || die "master's data root was written by engine $made, which $v cannot read ('lab down' first)"
    say "$node: its data root was written by engine $made, which $v cannot read: $node starts afresh"
    rm -rf --one-file-system "$data/docker"
    made=""
  fi
  # The exec-root (containerd's state, netns files) is runtime state of the engine that ran:
  # another version starts on an empty one, as after a reboot.
  [[ -z $made || $made == "$v" ]] || rm -rf --one-file-system "$run/exec"
  rm -f "$run/docker.pid" "$run/launch.pid" "$run/docker.sock" "$run/exec/containerd/containerd.pid"
  mkdir -p "$run/exec" "$data/docker" "$data/etc-docker" "$LOG_DIR"
  [[ -n $made ]] && ! version_lt "$made" "$v" || echo "$v" >"$data/engine"
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
  # libnetwork writes the hosts and resolv.conf (and its hash) of sandboxes that belong to no
  # container — the load balancer of each overlay network, lb_<network ID> — under the fixed
  # path /var/lib/docker/network/files, whatever --data-root says. Every node would share
  # them, as the overlay network (and so its ID) is the same on every node; 20.10 then fails
  # tasks with "failed to parse hash file .../resolv.conf.hash: invalid checksum digest
  # format" when a 26.1 or 28.5 engine wrote it. Each node gets its own /var/lib/docker
  # (bind-mounted like /etc/docker), as on a real machine.
  mkdir -p "$data/var-lib-docker"
  if [[ ! -d /var/lib/docker ]]; then mkdir -p /var/lib/docker && touch "$RUN_DIR/made-var-lib-docker"; fi
  local ip; ip=$(node_ip "$node")
  local cg; cg=$(cg_make "$node/engine")
  # Plain TCP on purpose (a lab); saying --tls=false skips a 15 s startup delay. Master runs
  # with --tlsverify on 2376 instead while the lab is in TLS mode (tls.sh).
  local tcp_args=(-H "tcp://$ip:$(node_port "$node")" --tls=false)
  [[ $node != master ]] || read -ra tcp_args <<<"$(tls_engine_args "$ip")"
  # The same flags for every version (20.10 knows them all). No --containerd: each dockerd
  # starts and supervises its own containerd (the version's own binary, found on PATH) with
  # a config it writes into its exec-root (state there, root in the data root), so the
  # containerds of several versions never share a socket or a store.
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
  # The engine's environment: a PATH that starts with its version's directory, where dockerd
  # finds containerd and docker-proxy and docker-init, containerd finds
  # containerd-shim-runc-v2, and the shim finds runc (fetch.sh: which binary is whose);
  # iptables and the rest from the system. DOCKER_MIN_API_VERSION only if the node has one.
  # Nothing else of the caller's environment (env -i): an engine restarted by bench/run's
  # failover case had inherited its XDG_RUNTIME_DIR, a directory bench/run removes when it ends,
  # and from then on every health check on that engine failed ("OCI runtime exec failed: open
  # /tmp/hcl-bench.../run/runc-process...: no such file or directory").
  local env_args=(-i HOME=/root PATH="$bin:/usr/sbin:/usr/bin:/sbin:/bin")
  [[ -z $min ]] || env_args+=(DOCKER_MIN_API_VERSION="$min")
  {
    echo "==== $(date -Is) lab: starting engine $node ($ip): engine $v${min:+, DOCKER_MIN_API_VERSION=$min}"
  } >>"$(engine_log "$node")"
  # nsenter (not `ip netns exec`, which remounts /sys and hides the cgroup mounts)
  # into the node's network namespace, then new UTS and mount namespaces in which the
  # hostname is the node's name and /etc/docker, /run/containerd and /var/lib/docker are the
  # node's own.
  # Every step execs (env too), so the background pid is dockerd's. setsid detaches it from
  # the caller's terminal and session.
  # shellcheck disable=SC2016
  setsid nsenter --net="/run/netns/$(node_ns "$node")" -- \
    unshare --uts --mount --propagation private -- \
    /bin/sh -c '
      [ -z "$1" ] || echo $$ >"$1/cgroup.procs"
      hostname "$2"
      mount --bind "$3" /etc/docker
      mount --bind "$4" /run/containerd
      mount --bind "$5" /var/lib/docker
      shift 5
      exec "$@"' sh "$cg" "$node" "$data/etc-docker" "$run/containerd-run" "$data/var-lib-docker" \
      env "${env_args[@]}" "$bin/dockerd" "${args[@]}" \
    </dev/null >>"$(engine_log "$node")" 2>&1 9>&- 8>&- &   # 9, 8: the lab's locks, not for the engine
  echo $! >"$run/launch.pid"
}

# Wait until node $1's engine answers /_ping; on failure show its log and fail.
engine_wait() {
  local node=$1 timeout=${2:-60}
  local end=$(( $(now_ms) + timeout * 1000 )) retried=
  until engine_ping "$node"; do
    # The launch pid is setsid/nsenter/unshare/sh for a moment before it execs dockerd.
    if [[ -z $(engine_pid "$node") ]] && pid_gone "$(read_pid "$(engine_launchpid "$node")")"; then
      # dockerd gives the containerd it starts about 10 s to answer, and exits after that. On a
      # fresh machine, with nothing of the engine in the page cache and the disk busy, a
      # containerd took 12 s (seen: 26.1, under 40 % I/O pressure). Once more, then fail.
      if [[ -z $retried ]] && tail -n 3 "$(engine_log "$node")" | grep -q 'timeout waiting for containerd to start'; then
        retried=1
        echo "lab: engine $node: its containerd was slow to start; starting it once more" >&2
        engine_start "$node"
        continue
      fi
      engine_log_tail "$node"
      die "engine $node exited during startup (log: $(engine_log "$node"))"
    fi
    if (( $(now_ms) >= end )); then
      engine_log_tail "$node"
      die "engine $node did not answer /_ping on $(node_sock "$node") within ${timeout}s"
    fi
    sleep 0.2
  done
  # The minimum API version in effect is the engine's to say (/version's MinAPIVersion).
  local min info; min=$(node_min_api "$node")
  if [[ -n $min ]]; then
    info=$(engine_version_info "$node")
    [[ ${info##* } == "$min" ]] ||
      die "engine $node runs with DOCKER_MIN_API_VERSION=$min but reports MinAPIVersion ${info##* } ($info)"
  fi
  engine_sock_ensure "$node"
}

# On a board, /var/run/docker.sock is the node's own engine, and stacks bind-mount it into
# their agents, proxies and dashboards. Each engine's private mount namespace gets one: the
# node's socket bind-mounted on /run/docker.sock (/var/run is /run), so that such bind mounts
# work, on every node, and reach that node's engine. The host's /run/docker.sock is the mount
# point: an empty file the lab makes when the host has none (and `down` removes); a real one,
# of an engine the host runs itself, is left as it is outside the nodes.
HOST_DOCKER_SOCK=/run/docker.sock
engine_sock_ok() {
  local pid a b; pid=$(engine_pid "$1"); [[ -n $pid ]] || return 1
  a=$(nsenter --mount="/proc/$pid/ns/mnt" -- stat -L -c '%d:%i' "$HOST_DOCKER_SOCK" 2>/dev/null) || return 1
  b=$(stat -L -c '%d:%i' "$(node_sock "$1")" 2>/dev/null) || return 1
  [[ $a == "$b" ]]
}
engine_sock_ensure() {
  local node=$1 pid; pid=$(engine_pid "$node"); [[ -n $pid ]] || return 1
  engine_sock_ok "$node" && return 0
  if [[ ! -e $HOST_DOCKER_SOCK && ! -L $HOST_DOCKER_SOCK ]]; then
    : >"$HOST_DOCKER_SOCK" && touch "$RUN_DIR/made-run-docker-sock"
  fi
  nsenter --mount="/proc/$pid/ns/mnt" -- mount --bind "$(node_sock "$node")" "$HOST_DOCKER_SOCK" &&
    engine_sock_ok "$node" || die "could not give $node its own /var/run/docker.sock"
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
