# shellcheck shell=bash
# common.sh — configuration, messages, small helpers shared by the lab's parts.
# Sourced by tests/lab/lab; not meant to be run on its own.

# ---- configuration (environment overrides) --------------------------------------------

# The lab's node subnet, a /24 written as its first three octets ("198.18.72") or as
# "198.18.72.0/24". 198.18.0.0/15 is the benchmarking range (RFC 2544): nothing real lives
# there, so it is the least likely to collide with a host's networks.
LAB_SUBNET_RAW=${HCL_LAB_SUBNET:-198.18.72}
LAB_NET=${LAB_SUBNET_RAW%/*}
LAB_NET=${LAB_NET%.0}
if [[ $LAB_SUBNET_RAW == */* && ${LAB_SUBNET_RAW#*/} != 24 ]] ||
   ! [[ $LAB_NET =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]]; then
  echo "lab: HCL_LAB_SUBNET must be a /24 given as A.B.C or A.B.C.0/24, not '$LAB_SUBNET_RAW'" >&2
  exit 2
fi
# Address pools of the engines' own networks (overlay networks of the swarm, the engines'
# local bridges). They only exist inside the node namespaces, but they are kept out of the
# private ranges all the same, so that no lab address looks like anything outside.
LAB_POOL=${HCL_LAB_POOL:-198.19}                    # a /16 given as A.B
if ! [[ $LAB_POOL =~ ^[0-9]{1,3}\.[0-9]{1,3}$ ]]; then
  echo "lab: HCL_LAB_POOL must be a /16 given as A.B, not '$LAB_POOL'" >&2
  exit 2
fi
SWARM_POOL="$LAB_POOL.0.0/17"                       # overlay networks, /24 each
LOCAL_POOL="$LAB_POOL.128.0/18"                     # docker_gwbridge and local networks
ENGINE_BIP="$LAB_POOL.192.1/24"                     # docker0 in each node

BRIDGE=${HCL_LAB_BRIDGE:-hcllab0}
HOST_IP="$LAB_NET.1"
MASTER_IP="$LAB_NET.10"
MASTER_PORT=2378                                    # the cluster-lab's managed endpoint
WORKER_PORT=2375
SWARM_HEARTBEAT=${HCL_LAB_HEARTBEAT:-3s}          # swarm dispatcher heartbeat period
CONSUL_PORT=8500
# Consul settings: from the environment, else as the lab that is up was made (recorded by
# `up` in /run/hcl-lab), else Consul on without a token.
CONSUL_ENABLED=${HCL_LAB_CONSUL:-$(cat /run/hcl-lab/consul.enabled 2>/dev/null || echo 1)}
CONSUL_TOKEN=${HCL_LAB_CONSUL_TOKEN-$(cat /run/hcl-lab/consul.token 2>/dev/null || true)}
CONSUL_DC=dc1

RUN_DIR=/run/hcl-lab                 # sockets, pidfiles, exec-roots (gone on reboot, as they should)
STATE_DIR=/var/lib/hcl-lab           # data-roots, image build dirs (deleted by `down`)
LOG_DIR=/var/log/hcl-lab             # engine and consul logs (kept by `down`, for post-mortems)
LOCK_FILE=/run/hcl-lab.lock
HOSTS_FILE=/etc/hosts
IPT_COMMENT=hcl-lab

# The lab's engines: which version each node runs (HCL_LAB_ENGINES), and which nodes refuse
# clients below an API version (HCL_LAB_MIN_API). Both are read by `lab up` only (engines.sh:
# selection_choose); every other command keeps what the lab that is up was made with.
KNOWN_ENGINES=(20.10 26.1 28.5)               # fetch.sh: where each comes from
DEFAULT_ENGINES="28.5,26.1,20.10"             # master 28.5, node1 26.1, node2 and further 20.10
DEFAULT_MIN_API="master=1.44"                 # when master's engine can refuse old clients
CACHE_DIR=${HCL_LAB_CACHE:-/var/cache/hcl-lab}  # the engines' binaries, kept across `down`
ENGINE_CACHE=$CACHE_DIR/engines

# The docker CLI the lab itself uses, for every node: HCL_LAB_DOCKER_CLI, else the newest
# cached engine's own CLI (28.5's speaks API 1.24 to 1.51, so it talks to every node, also to a
# master that refuses clients below 1.44), else Debian 12's (20.10, API 1.41). Either way the
# lab always names the node's socket explicitly.
docker_cli_choose() {
  local v
  if [[ -n ${HCL_LAB_DOCKER_CLI:-} ]]; then DOCKER_CLI=$HCL_LAB_DOCKER_CLI; return 0; fi
  for v in 28.5 26.1; do
    if [[ -x $ENGINE_CACHE/$v/bin/docker && -r $ENGINE_CACHE/$v/fetched ]]; then
      DOCKER_CLI=$ENGINE_CACHE/$v/bin/docker; return 0
    fi
  done
  if [[ -x /usr/bin/docker ]]; then DOCKER_CLI=/usr/bin/docker; else DOCKER_CLI=docker; fi
}
docker_cli_choose

# The lab's own tools. (Each engine gets a PATH of its own: engine_start.)
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
# Nothing the lab runs should go through a proxy or an outer docker context.
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
# Nor through a pinned API version. (The engines get an environment of their own, with their
# minimum API version and nothing of this one: engine_start.)
unset DOCKER_MIN_API_VERSION DOCKER_API_VERSION
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
unset NO_PROXY no_proxy

# ---- messages ----------------------------------------------------------------------------

LAB_QUIET=${LAB_QUIET:-0}
say()  { [[ $LAB_QUIET == 1 ]] || echo "lab: $*"; }
warn() { echo "lab: warning: $*" >&2; }
die()  { echo "lab: error: $*" >&2; exit 1; }

now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }
elapsed() { local ms=$(( $(now_ms) - $1 )); printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100)); }

# ---- nodes -------------------------------------------------------------------------------

# Node i (0-based): master, node1, node2, ... at .10, .11, .12, ...
node_name() { if (($1 == 0)); then echo master; else echo "node$1"; fi; }
node_index() {
  case $1 in
    master) echo 0 ;;
    node[1-9]|node[1-9][0-9]) echo "${1#node}" ;;
    *) return 1 ;;
  esac
}
node_ip()   { local i; i=$(node_index "$1") || return 1; echo "$LAB_NET.$((10 + i))"; }
node_ns()   { echo "hcl-$1"; }
node_veth() { echo "hcl-$1"; }
node_sock() { echo "$RUN_DIR/$1/docker.sock"; }
node_port() { if [[ $1 == master ]]; then echo $MASTER_PORT; else echo $WORKER_PORT; fi; }

# The node count of the lab that is up (recorded by `up`), or nothing.
recorded_count() { [[ -r $RUN_DIR/nodes ]] && cat "$RUN_DIR/nodes" || true; }
lab_nodes() { local n=$1 i; for ((i = 0; i < n; i++)); do node_name "$i"; done; }

# Every node that left any trace: recorded, namespace, run dir. Used by `down` and `status`
# so that a half-made lab (crash, other count) is still found and removed in full.
known_nodes() {
  {
    local n; n=$(recorded_count); [[ -n $n ]] && lab_nodes "$n"
    ip netns list 2>/dev/null | awk '{print $1}' | sed -n 's/^hcl-//p'
    local d; for d in "$RUN_DIR"/*/ "$STATE_DIR"/*/; do
      [[ -d $d ]] && basename "$d"
    done
  } | while read -r n; do
    local i
    if i=$(node_index "$n" 2>/dev/null); then echo "$i $n"; fi
  done | sort -n -u | awk '{print $2}'   # master first, then node1, node2, ...
}

# docker CLI against one node's engine socket.
dk() { local node=$1; shift; "$DOCKER_CLI" -H "unix://$(node_sock "$node")" "$@"; }

# curl that never uses a proxy and gives up quickly.
lcurl() { curl --noproxy '*' -sS --connect-timeout 3 --max-time 10 "$@"; }

# Wait until "$@" succeeds, polling every 0.2 s, for at most $1 seconds.
wait_for() {
  local timeout=$1; shift
  local end=$(( $(now_ms) + timeout * 1000 ))
  until "$@" >/dev/null 2>&1; do
    (( $(now_ms) < end )) || return 1
    sleep 0.2
  done
}

# Is pid $1 alive (a zombie is not) and running program $2 (guards against pid reuse)?
pid_is() {
  local pid=$1 comm=$2
  [[ $pid =~ ^[0-9]+$ ]] && ! pid_gone "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm"* ]]
}
read_pid() { [[ -r $1 ]] && tr -dc '0-9' <"$1" || true; }

# part_pid PIDFILE PART: the pid in PIDFILE if that process runs and (pid reuse guard) is in the
# lab's cgroup of PART; nothing otherwise.
part_pid() {
  local pid; pid=$(read_pid "$1")
  [[ -n $pid ]] && ! pid_gone "$pid" || return 0
  [[ -z $CG_BASE ]] || grep -qx "$pid" <<<"$(cg_pids "$2")" || return 0
  echo "$pid"
}

# Send SIGTERM to pid $1, wait up to $2 s for it to exit, then SIGKILL it.
terminate_pid() {
  local pid=$1 timeout=$2
  kill -TERM "$pid" 2>/dev/null || return 0
  if ! wait_for "$timeout" pid_gone "$pid"; then
    warn "pid $pid did not exit within ${timeout}s after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for 10 pid_gone "$pid" || warn "pid $pid survived SIGKILL"
  fi
}
# Has pid $1 exited? A zombie has: it waits only for its parent (or init) to reap it.
pid_gone() {
  [[ $1 =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null || return 0
  local stat; stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  [[ ${stat%% *} == Z ]]
}

# ---- process tracking through a cgroup ----------------------------------------------------
# Every process the lab starts (engines, their containerd and shims, containers, the consul
# test server) lives under one cgroup tree, hcl-lab/<part>. After a crash, `down` and `up`
# find exactly the lab's leftover processes there and end them by pid — never by name.

if [[ -d /sys/fs/cgroup/pids && ! -e /sys/fs/cgroup/pids/cgroup.controllers ]]; then
  CG_BASE=/sys/fs/cgroup/pids                       # cgroup v1 (this machine)
elif [[ -e /sys/fs/cgroup/cgroup.controllers ]]; then
  CG_BASE=/sys/fs/cgroup                            # cgroup v2
else
  CG_BASE=""                                        # no tracking: pidfiles only
fi
cg_dir() { [[ -n $CG_BASE ]] && echo "$CG_BASE/hcl-lab/$1" || true; }

# Make the tracking cgroup of part $1 (e.g. "master/engine" or "consul"); print its path.
cg_make() {
  [[ -n $CG_BASE ]] || return 0
  local d="$CG_BASE/hcl-lab/$1"
  mkdir -p "$d" && echo "$d"
}

# Pids of every process in part $1's cgroup tree.
cg_pids() {
  local d; d=$(cg_dir "$1"); [[ -n $d && -d $d ]] || return 0
  find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un
}

# End every process left in part $1's cgroup tree: SIGTERM, a short grace, SIGKILL.
cg_reap() {
  local part=$1 pids
  pids=$(cg_pids "$part")
  [[ -n $pids ]] || return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  # Short grace: a container's pid 1 (httpd, sh) often ignores SIGTERM.
  wait_for 2 cg_empty "$part" && return 0
  pids=$(cg_pids "$part")
  # shellcheck disable=SC2086
  [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
  wait_for 5 cg_empty "$part" ||
    warn "processes left in cgroup hcl-lab/$part: $(cg_pids "$part" | tr '\n' ' ')"
}
cg_empty() { [[ -z $(cg_pids "$1") ]]; }

# Remove the (empty) cgroup directories of the lab in every hierarchy: the tracking ones and
# those the engines made for containers (--cgroup-parent hcl-lab/<node>).
cg_remove_all() {
  local root
  for root in /sys/fs/cgroup/*/hcl-lab /sys/fs/cgroup/hcl-lab; do
    [[ -d $root ]] || continue
    find "$root" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    [[ -d $root ]] && warn "could not remove cgroup $root (processes left?)"
  done
  return 0
}
