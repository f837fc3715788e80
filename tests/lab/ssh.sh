# shellcheck shell=bash
# ssh.sh — sshd in master's network namespace, for hcl's ssh:// endpoints (`DOCKER_HOST=
# ssh://root@master`), as on a cluster whose owners reach the engine only through ssh.
# Sourced by tests/lab/lab.
#
# The server is Debian 12's own sshd, from the openssh-server package of the system's release,
# unpacked into the lab's cache (`apt-get download`, `dpkg-deb -x`) and never installed: an
# installed openssh-server would listen on every address of the host and start at boot. It runs
# key-only, with keys the lab makes, in a mount namespace of its own where a copy of /etc/passwd
# adds its privilege-separation user and gives root a clean home (no dotfiles) and /bin/sh:
# nothing of the host's users changes. Its sessions find the lab's docker CLI first on PATH and
# DOCKER_HOST pointing at master's engine, so `ssh root@master docker system dial-stdio` reaches
# master's engine as on a board.
#
# The client side is the system's ssh with its ordinary configuration: `up` writes
# /etc/ssh/ssh_config.d/hcl-lab.conf (Debian's ssh_config includes that directory), so that `ssh
# master`, the docker CLI and hcl all use the lab's key and known_hosts with nothing to set.
# It also names four hosts for the failures the tests provoke:
#   lab-ssh-unknown-host  master with an empty known_hosts      (host key verification fails)
#   lab-ssh-changed-host  master with another key in known_hosts (the host key "has changed")
#   lab-ssh-wrong-key     master with a key it does not accept  (permission denied)
#   lab-ssh-no-docker     master's port 2222, whose sessions have no docker on PATH
# `down` removes the file, the keys and sshd with every session it still has.

SSH_PORT=22
SSH_NODOCKER_PORT=2222
SSH_DIR=$RUN_DIR/ssh
SSH_PIDFILE=$SSH_DIR/sshd.pid
SSH_LOG=$LOG_DIR/sshd.log
SSH_CLIENT_CONF=/etc/ssh/ssh_config.d/hcl-lab.conf
SSHD_CACHE=$CACHE_DIR/openssh

sshd_bin() { echo "$SSHD_CACHE/sshd"; }

# Debian 12's sshd in the cache: from the system's own release, unpacked, not installed.
sshd_ensure_cached() {
  local bin; bin=$(sshd_bin)
  if [[ -x $bin && -r $SSHD_CACHE/fetched ]]; then return 0; fi
  local tmp; tmp=$(mktemp -d)
  say "fetching Debian's openssh-server (unpacked into $SSHD_CACHE, not installed)"
  (cd "$tmp" && apt-get download -qq openssh-server >/dev/null 2>"$tmp/err") ||
    { cat "$tmp/err" >&2; rm -rf "$tmp"; die "apt-get download openssh-server failed"; }
  dpkg-deb -x "$tmp"/openssh-server_*.deb "$tmp/x" || { rm -rf "$tmp"; die "could not unpack openssh-server"; }
  mkdir -p "$SSHD_CACHE"
  install -m 755 "$tmp/x/usr/sbin/sshd" "$bin"
  local missing; missing=$(ldd "$bin" | awk '/not found/ {print $1}' | tr '\n' ' ')
  [[ -z $missing ]] || { rm -rf "$tmp"; die "sshd needs libraries that are not installed: $missing('lab install')"; }
  basename "$tmp"/openssh-server_*.deb >"$SSHD_CACHE/fetched"
  rm -rf "$tmp"
}

sshd_pid() { part_pid "$SSH_PIDFILE" ssh; }

# The lab's keys, passwd copy and configuration (made once per lab; `down` removes them).
ssh_files_ensure() {
  mkdir -p "$SSH_DIR/home"
  chmod 700 "$SSH_DIR" "$SSH_DIR/home"
  [[ -s $SSH_DIR/host_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C hcl-lab-host -f "$SSH_DIR/host_ed25519"
  [[ -s $SSH_DIR/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C hcl-lab-client -f "$SSH_DIR/id_ed25519"
  [[ -s $SSH_DIR/wrong_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C hcl-lab-not-authorized -f "$SSH_DIR/wrong_ed25519"
  install -m 600 "$SSH_DIR/id_ed25519.pub" "$SSH_DIR/authorized_keys"
  printf 'master,%s %s\n' "$MASTER_IP" "$(cut -d' ' -f1,2 "$SSH_DIR/host_ed25519.pub")" >"$SSH_DIR/known_hosts"
  : >"$SSH_DIR/known_hosts.empty"
  printf 'master,%s %s\n' "$MASTER_IP" "$(cut -d' ' -f1,2 "$SSH_DIR/wrong_ed25519.pub")" >"$SSH_DIR/known_hosts.changed"
  # root with a home of the lab's (no dotfiles to run) and /bin/sh; sshd's privsep user.
  awk -F: -v home="$SSH_DIR/home" 'BEGIN {OFS = ":"}
    $1 == "root" {$6 = home; $7 = "/bin/sh"} $1 != "sshd" {print}
    END {print "sshd:x:65533:65534:sshd privilege separation:/run/sshd:/usr/sbin/nologin"}' /etc/passwd >"$SSH_DIR/passwd"
  local cli_dir; cli_dir=$(dirname "$(command -v "$DOCKER_CLI")")
  cat >"$SSH_DIR/sshd_config" <<EOF
# The lab's sshd (tests/lab/ssh.sh): key-only, in master's network namespace.
ListenAddress $MASTER_IP:$SSH_PORT
ListenAddress $MASTER_IP:$SSH_NODOCKER_PORT
HostKey $SSH_DIR/host_ed25519
PidFile $SSH_PIDFILE
AuthorizedKeysFile $SSH_DIR/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
AllowAgentForwarding no
PrintMotd no
MaxSessions 100
MaxStartups 100:30:200
SetEnv PATH=$cli_dir:/usr/bin:/bin DOCKER_HOST=unix://$(node_sock master)
Match LocalPort $SSH_NODOCKER_PORT
  SetEnv PATH=/nonexistent
EOF
  ssh_client_config >"$SSH_DIR/ssh_config"
}

# The client settings for /etc/ssh/ssh_config.d: master, and the hosts of the failure cases.
ssh_client_config() {
  cat <<EOF
# Made by hcl's lab (tests/lab/ssh.sh); removed by 'lab down'.
Host master $MASTER_IP
  HostName $MASTER_IP
  User root
  IdentityFile $SSH_DIR/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $SSH_DIR/known_hosts
  StrictHostKeyChecking yes
Host lab-ssh-unknown-host
  HostName $MASTER_IP
  User root
  IdentityFile $SSH_DIR/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $SSH_DIR/known_hosts.empty
  StrictHostKeyChecking yes
Host lab-ssh-changed-host
  HostName $MASTER_IP
  User root
  IdentityFile $SSH_DIR/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $SSH_DIR/known_hosts.changed
  StrictHostKeyChecking yes
Host lab-ssh-wrong-key
  HostName $MASTER_IP
  User root
  IdentityFile $SSH_DIR/wrong_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $SSH_DIR/known_hosts
Host lab-ssh-no-docker
  HostName $MASTER_IP
  Port $SSH_NODOCKER_PORT
  User root
  IdentityFile $SSH_DIR/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $SSH_DIR/known_hosts
EOF
}

ssh_answers() { timeout 5 ssh -o BatchMode=yes -o ConnectTimeout=3 master true </dev/null >/dev/null 2>&1; }

# Up, as `up` would make it now (an older lab's client settings or files are made again).
ssh_ok() {
  [[ -n $(sshd_pid) && -r $SSH_CLIENT_CONF && -s $SSH_DIR/known_hosts.changed ]] &&
    cmp -s <(ssh_client_config) "$SSH_CLIENT_CONF"
}

ssh_start() {
  sshd_ensure_cached
  ssh_files_ensure
  if [[ -n $(sshd_pid) ]]; then ssh_stop; fi
  cg_reap ssh
  # sshd's privilege separation directory, as the package would make it (empty, root's).
  if [[ ! -d /run/sshd ]]; then mkdir -m 755 /run/sshd && touch "$RUN_DIR/made-run-sshd"; fi
  grep -qsE '^[[:space:]]*Include[[:space:]]+/etc/ssh/ssh_config\.d/\*\.conf' /etc/ssh/ssh_config ||
    die "/etc/ssh/ssh_config does not include /etc/ssh/ssh_config.d/*.conf (Debian's does): the lab's ssh settings would not apply"
  install -m 644 "$SSH_DIR/ssh_config" "$SSH_CLIENT_CONF"
  local cg; cg=$(cg_make ssh)
  echo "==== $(date -Is) lab: starting sshd in master's namespace" >>"$SSH_LOG"
  # shellcheck disable=SC2016
  setsid nsenter --net="/run/netns/$(node_ns master)" -- unshare --mount --propagation private -- \
    /bin/sh -c '[ -z "$1" ] || echo $$ >"$1/cgroup.procs"; mount --bind "$2" /etc/passwd || exit 1; shift 2; exec "$@"' \
    sh "$cg" "$SSH_DIR/passwd" "$(sshd_bin)" -D -f "$SSH_DIR/sshd_config" -E "$SSH_LOG" \
    </dev/null >>"$SSH_LOG" 2>&1 9>&- &   # 9: the lab's lock, not for the server
  local launched=$!
  local end=$(( $(now_ms) + 15000 ))
  until ssh_answers; do
    if pid_gone "$launched"; then tail -n 20 "$SSH_LOG" >&2; die "sshd exited during startup (log: $SSH_LOG)"; fi
    (( $(now_ms) < end )) || { tail -n 20 "$SSH_LOG" >&2; die "ssh root@master does not answer (log: $SSH_LOG)"; }
    sleep 0.2
  done
  [[ -n $(sshd_pid) ]] || echo "$launched" >"$SSH_PIDFILE"
}

# sshd and every session it still has (they are in its cgroup), the client settings, the keys.
ssh_stop() {
  local pid; pid=$(sshd_pid)
  [[ -z $pid ]] || terminate_pid "$pid" 10
  cg_reap ssh
  rm -f "$SSH_PIDFILE"
}

ssh_remove() {
  ssh_stop
  if [[ -f $SSH_CLIENT_CONF ]] && grep -q "Made by hcl's lab" "$SSH_CLIENT_CONF"; then rm -f "$SSH_CLIENT_CONF"; fi
  if [[ -e $RUN_DIR/made-run-sshd ]]; then rmdir /run/sshd 2>/dev/null || true; fi
}
