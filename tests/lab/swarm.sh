# shellcheck shell=bash
# swarm.sh — swarm mode across the lab's engines: master is the (only) manager, the other
# nodes join as workers. Sourced by tests/lab/lab.

swarm_local_state() { dk "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || true; }
swarm_node_id()     { dk "$1" info --format '{{.Swarm.NodeID}}' 2>/dev/null || true; }

# State of node $1 as the master sees it ("ready", "down", ...), or nothing.
swarm_node_status() { dk master node inspect "$1" --format '{{.Status.State}}' 2>/dev/null || true; }

# Lines "ID HOSTNAME STATE" of every node the master knows.
swarm_node_table() {
  local ids; ids=$(dk master node ls -q 2>/dev/null) || return 1
  [[ -n $ids ]] || return 0
  # shellcheck disable=SC2086
  dk master node inspect $ids --format '{{.ID}} {{.Description.Hostname}} {{.Status.State}}'
}

swarm_master_ensure() {
  local state; state=$(swarm_local_state master)
  case $state in
    active)
      [[ $(dk master info --format '{{.Swarm.ControlAvailable}}') == true ]] ||
        die "master is in a swarm but not a manager; run 'lab down' and 'lab up'"
      return 0 ;;
    inactive) ;;
    *) dk master swarm leave --force >/dev/null 2>&1 || true ;;
  esac
  say "swarm init on master ($MASTER_IP)"
  # A shorter heartbeat than the default 5 s: a stopped node is reported "down" after about
  # 10 s instead of about 20 s, which keeps fault tests short.
  dk master swarm init --advertise-addr "$MASTER_IP" --listen-addr "$MASTER_IP:2377" \
    --default-addr-pool "$SWARM_POOL" --default-addr-pool-mask-length 24 \
    --dispatcher-heartbeat "$SWARM_HEARTBEAT" >/dev/null
}

# Is worker $1 in the master's swarm (by its own node ID, as the master knows it)?
swarm_worker_ok() {
  local w=$1 id
  [[ $(swarm_local_state "$w") == active ]] || return 1
  id=$(swarm_node_id "$w"); [[ -n $id ]] || return 1
  [[ $(dk master node inspect "$id" --format '{{.Description.Hostname}}' 2>/dev/null) == "$w" ]]
}

swarm_worker_join() {
  local w=$1 token=$2 ip try
  ip=$(node_ip "$w")
  swarm_worker_ok "$w" && return 0
  for try in 1 2 3 4; do
    [[ $(swarm_local_state "$w") == inactive ]] || dk "$w" swarm leave --force >/dev/null 2>&1 || true
    if ((try == 1)); then say "swarm join $w ($ip)"; else say "swarm join $w ($ip), try $try"; fi
    # A first join can time out while the manager settles: leave and join again.
    if timeout 40 "$DOCKER_CLI" -H "unix://$(node_sock "$w")" swarm join --token "$token" \
         --advertise-addr "$ip" --listen-addr "$ip:2377" "$MASTER_IP:2377" >/dev/null 2>"$RUN_DIR/$w/join.err" &&
       wait_for 20 swarm_worker_ok "$w"; then
      return 0
    fi
    warn "join of $w failed: $(tr '\n' ' ' <"$RUN_DIR/$w/join.err")"
    sleep 1
  done
  engine_log_tail "$w"
  die "$w could not join the swarm at $MASTER_IP:2377"
}

# Every node of the lab in one swarm, all ready, no stale entries.
swarm_ensure() {
  local nodes=("$@") w token
  swarm_master_ensure
  token=$(dk master swarm join-token -q worker)
  for w in "${nodes[@]:1}"; do swarm_worker_join "$w" "$token"; done
  # Entries of nodes that were remade (a data dir deleted, a forced leave) stay as "down"
  # duplicates in the master's list: remove every entry that is not a current node ID.
  local keep
  keep=" $(for w in "${nodes[@]}"; do swarm_node_id "$w"; done | tr '\n' ' ') "
  local id host state
  while read -r id host state; do
    [[ -n $id && $keep != *" $id "* ]] || continue
    say "removing stale swarm node $host ($id, $state)"
    dk master node rm --force "$id" >/dev/null || warn "could not remove stale node $id"
  done < <(swarm_node_table)
  for w in "${nodes[@]}"; do
    wait_for 60 swarm_node_ready "$w" || die "swarm node $w is not ready (state: $(swarm_node_status "$w"))"
  done
}
swarm_node_ready() { [[ $(swarm_node_status "$1") == ready ]]; }

# The master lists exactly the lab's nodes, each once and ready.
swarm_ok() {
  local want; want=$(printf '%s ready\n' "$@" | sort)
  [[ $(swarm_local_state master) == active ]] &&
    [[ $(swarm_node_table 2>/dev/null | awk '{print $2, $3}' | sort) == "$want" ]]
}

# Managers: master and the next M-1 nodes, the rest workers, each promoted or demoted only when
# its role differs; then waits until the swarm has exactly M reachable managers. A demotion the
# managers do not commit in time (Raft's DeadlineExceeded on a busy machine) is tried again.
swarm_managers() {
  local want=$1; shift
  local nodes=("$@") i node role try
  for ((i = 1; i < ${#nodes[@]}; i++)); do
    node=${nodes[i]}
    role=$(dk master node inspect "$node" --format '{{.Spec.Role}}' 2>/dev/null || true)
    local verb=promote wanted=manager
    ((i < want)) || { verb=demote; wanted=worker; }
    [[ $role != "$wanted" ]] || continue
    for try in 1 2 3; do
      if ((try == 1)); then say "$verb $node"; else say "$verb $node, try $try"; fi
      dk master node "$verb" "$node" >/dev/null 2>"$RUN_DIR/$node/role.err" && break
      ((try < 3)) || die "could not $verb $node: $(tr '\n' ' ' <"$RUN_DIR/$node/role.err")"
      sleep 2
    done
  done
  wait_for 90 swarm_managers_are "$want" ||
    die "the swarm does not have $want reachable managers: $(dk master node ls --format '{{.Hostname}} {{.ManagerStatus}}' | tr '\n' ' ')"
}
swarm_managers_are() {
  [[ $(dk master node ls --format '{{.ManagerStatus}}' 2>/dev/null | grep -cE '^(Leader|Reachable)$') == "$1" ]]
}
