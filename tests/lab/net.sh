# shellcheck shell=bash
# net.sh — the lab's network on the host: a bridge, one namespace per node with a veth into
# the bridge, FORWARD rules for the bridge, and /etc/hosts names. Sourced by tests/lab/lab.
#
# Safety: only things named hcllab0 / hcl-* are created or deleted here;
# the host's own interface, addresses, routes and gateway are only ever read.

ip2int() { local a b c d; IFS=. read -r a b c d <<<"$1"; echo $(( (a << 24) | (b << 16) | (c << 8) | d )); }

# "A.B.C.D/len" -> "first last" as integers.
cidr_range() {
  local ip=${1%/*} len=${1#*/}
  [[ $1 == */* ]] || len=32
  local n; n=$(ip2int "$ip")
  local size=$(( 1 << (32 - len) ))
  local first=$(( n & ~(size - 1) & 0xffffffff ))
  echo "$first $(( first + size - 1 ))"
}

cidr_overlap() {
  local a1 a2 b1 b2
  read -r a1 a2 <<<"$(cidr_range "$1")"
  read -r b1 b2 <<<"$(cidr_range "$2")"
  (( a1 <= b2 && b1 <= a2 ))
}

# Refuse to go on if a lab range overlaps any network the host has (other than the lab's own
# bridge): routes of every table, and addresses on every interface.
check_no_overlap() {
  local ranges=("$LAB_NET.0/24" "$LAB_POOL.0.0/16")
  cidr_overlap "${ranges[0]}" "${ranges[1]}" &&
    die "HCL_LAB_SUBNET $LAB_NET.0/24 lies inside the engines' pool $LAB_POOL.0.0/16 (HCL_LAB_POOL); pick another"
  local line dst dev
  while read -r line; do
    dst=${line%% *}
    [[ $dst == default || $dst == */0 ]] && continue
    [[ $dst =~ ^[0-9.]+(/[0-9]+)?$ ]] || continue
    dev=$(sed -n 's/.* dev \([^ ]*\).*/\1/p' <<<"$line")
    [[ $dev == "$BRIDGE" ]] && continue
    local r; for r in "${ranges[@]}"; do
      cidr_overlap "$r" "$dst" &&
        die "lab range $r overlaps the host route '$line'; set HCL_LAB_SUBNET / HCL_LAB_POOL to free ranges"
    done
  done < <(ip -4 route show table all | sed -E 's/^(unicast|local|broadcast|anycast|multicast|blackhole|unreachable|prohibit|throw) //')
  local ifname addr
  while read -r _ ifname _ addr _; do
    [[ $ifname == "$BRIDGE" ]] && continue
    local r; for r in "${ranges[@]}"; do
      cidr_overlap "$r" "$addr" &&
        die "lab range $r overlaps address $addr on $ifname; set HCL_LAB_SUBNET / HCL_LAB_POOL to free ranges"
    done
  done < <(ip -4 -o addr show)
  return 0
}

# ---- bridge and namespaces ----------------------------------------------------------------

bridge_ensure() {
  if ! ip link show dev "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
  fi
  [[ $(ip -d -o link show dev "$BRIDGE") == *" bridge "* ]] || die "$BRIDGE exists but is not a bridge"
  local have; have=$(ip -4 -o addr show dev "$BRIDGE" | awk '{print $4}')
  if [[ -n $have && $have != "$HOST_IP/24" ]]; then
    die "$BRIDGE has address $have, not $HOST_IP/24 (another HCL_LAB_SUBNET?); run 'lab down' first"
  fi
  [[ -n $have ]] || ip addr add "$HOST_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

bridge_ok() {
  [[ $(ip -4 -o addr show dev "$BRIDGE" 2>/dev/null | awk '{print $4}') == "$HOST_IP/24" ]] &&
    [[ $(ip -o link show dev "$BRIDGE" 2>/dev/null) == *",UP"* ]]
}

node_net_ensure() {
  local node=$1 ns veth ip
  ns=$(node_ns "$node"); veth=$(node_veth "$node"); ip=$(node_ip "$node")
  [[ -e /run/netns/$ns ]] || ip netns add "$ns"
  if ! ip link show dev "$veth" >/dev/null 2>&1; then
    # Stale inner end from an earlier run? It would block the new pair's name.
    ip -n "$ns" link del "$veth-p" 2>/dev/null || true
    ip -n "$ns" link del eth0 2>/dev/null || true
    # The inner end is created straight in the namespace, then renamed eth0 there (as on a
    # real node); the host's eth0 is never involved.
    ip link add "$veth" type veth peer name "$veth-p" netns "$ns"
    ip -n "$ns" link set "$veth-p" name eth0
  fi
  ip link set "$veth" master "$BRIDGE"
  ip link set "$veth" up
  if ! ip -n "$ns" -4 -o addr show dev eth0 | grep -q " $ip/24 "; then
    ip -n "$ns" addr flush dev eth0
    ip -n "$ns" addr add "$ip/24" dev eth0
  fi
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  # Essential: no default route, so image pulls fail at once and local images are
  # used, and no lab traffic can leave the machine.
  ip -n "$ns" route del default 2>/dev/null || true
}

node_net_ok() {
  local node=$1 ns; ns=$(node_ns "$node")
  [[ -e /run/netns/$ns ]] &&
    [[ $(ip -o link show dev "$(node_veth "$node")" 2>/dev/null) == *"master $BRIDGE"* ]] &&
    ip -n "$ns" -4 -o addr show dev eth0 2>/dev/null | grep -q " $(node_ip "$node")/24 " &&
    [[ -z $(ip -n "$ns" route show default 2>/dev/null) ]]
}

node_net_remove() {
  local node=$1 ns veth
  ns=$(node_ns "$node"); veth=$(node_veth "$node")
  ip link del "$veth" 2>/dev/null || true
  [[ -e /run/netns/$ns ]] && { ip netns del "$ns" 2>/dev/null || warn "could not delete namespace $ns"; }
  return 0
}

bridge_remove() {
  ip link show dev "$BRIDGE" >/dev/null 2>&1 || return 0
  ip link del "$BRIDGE"
}

# ---- host firewall ----------------------------------------------------------------------------
# With net.bridge.bridge-nf-call-iptables=1, frames bridged between the lab's veths pass the
# host's FORWARD chain, whose policy an engine may have set to DROP. Accept exactly the
# traffic that enters and leaves the lab bridge; nothing from or to other interfaces.

IPT_RULE=(FORWARD -i "$BRIDGE" -o "$BRIDGE" -m comment --comment "$IPT_COMMENT" -j ACCEPT)

iptables_ensure() {
  iptables -w -C "${IPT_RULE[@]}" 2>/dev/null || iptables -w -I "${IPT_RULE[@]:0:1}" 1 "${IPT_RULE[@]:1}"
}
iptables_ok() { iptables -w -C "${IPT_RULE[@]}" 2>/dev/null; }

# Delete every rule tagged with the lab's comment, in any chain of the filter table.
iptables_remove() {
  command -v iptables >/dev/null || return 0
  local rule words
  while read -r rule; do
    read -ra words <<<"$rule"                # e.g. -A FORWARD -i hcllab0 ... -j ACCEPT
    [[ ${words[0]:-} == -A ]] || continue
    words[0]=-D
    iptables -w "${words[@]}" || warn "could not delete iptables rule: $rule"
  done < <(iptables -w -S 2>/dev/null | grep -E -- "--comment \"?$IPT_COMMENT\"?( |$)" || true)
}

# ---- /etc/hosts ---------------------------------------------------------------------------
HOSTS_BEGIN="# hcl-lab begin"
HOSTS_END="# hcl-lab end"

hosts_block() {
  local node; echo "$HOSTS_BEGIN"
  for node in "$@"; do echo "$(node_ip "$node") $node"; done
  echo "$HOSTS_END"
}

hosts_without_block() { awk -v b="$HOSTS_BEGIN" -v e="$HOSTS_END" '$0==b{skip=1;next} $0==e{skip=0;next} !skip' "$HOSTS_FILE"; }

# Rewrite /etc/hosts in place (same inode: it may be a bind mount), keeping every other line.
hosts_write() {
  local tmp; tmp=$(mktemp)
  hosts_without_block >"$tmp"
  [[ $# -eq 0 ]] || hosts_block "$@" >>"$tmp"
  cmp -s "$tmp" "$HOSTS_FILE" || cat "$tmp" >"$HOSTS_FILE"
  rm -f "$tmp"
}

hosts_ok() {
  [[ $(awk -v b="$HOSTS_BEGIN" -v e="$HOSTS_END" '$0==b{on=1} on{print} $0==e{on=0}' "$HOSTS_FILE") == "$(hosts_block "$@")" ]]
}
# shellcheck disable=SC2119  # no arguments: write no block
hosts_remove() { grep -qxF "$HOSTS_BEGIN" "$HOSTS_FILE" 2>/dev/null && hosts_write; return 0; }
