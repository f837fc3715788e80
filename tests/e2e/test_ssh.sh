#!/usr/bin/env bash
# hcl over ssh:// against the lab's sshd in master's namespace (tests/lab/ssh.sh): the engine
# through `docker system dial-stdio`, Consul through the same ssh, one shared ssh session, ssh's
# failures as hcl's exit statuses, a docker context made by the docker CLI with an ssh endpoint,
# and the docker CLI over the same ssh:// endpoint as the peer. The suites for nodes, deploy/scale
# and run also run whole over ssh (over_ssh.sh).
source "$(dirname "$0")/lib.sh"

# The lab's client settings for `ssh master` (Debian's ssh_config includes ssh_config.d).
[ -r /etc/ssh/ssh_config.d/hcl-lab.conf ] || fail "the lab's ssh settings are missing (lab up makes /etc/ssh/ssh_config.d/hcl-lab.conf)"

# hcl's shared ssh sessions live under XDG_RUNTIME_DIR/hcl: this test's own, ended at exit.
fresh_runtime() {
  export XDG_RUNTIME_DIR=$WORK/run$1
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
}
end_sessions() {
  local s
  for s in "$WORK"/run*/hcl/ssh-*; do [ -S "$s" ] && ssh -o ControlPath="$s" -O exit lab >/dev/null 2>&1; done
  return 0
}
defer end_sessions
fresh_runtime 0
unset CONSUL_HTTP_ADDR
export DOCKER_HOST=ssh://root@master

hcl nodes --format json
expect_rc 0 "DOCKER_HOST=ssh://root@master hcl nodes"
expect_eq "$(jqo '[.[].name] | sort | join(" ")')" "master node1 node2" "every node, through ssh"
expect_eq "$(jqo '[.[] | select(.consul.serf_health == "passing")] | length')" 3 "Consul's view too, through the same ssh (-W localhost:8500)"
hcl config --format json
expect_eq "$(jqo '.docker.endpoint')" "ssh://root@master" "hcl config: the ssh endpoint"
expect_eq "$(jqo '.consul.endpoint')" "http://localhost:8500 through ssh://root@master" "hcl config: Consul through the engine's ssh"

# One shared session: the first command leaves it for the next (ControlPersist), which then
# needs no handshake.
sock=$(ls "$XDG_RUNTIME_DIR"/hcl/ssh-* 2>/dev/null | head -n 1)
if [ -S "$sock" ] && ssh -o ControlPath="$sock" -O check lab >/dev/null 2>&1; then
  pass "the shared ssh session outlives the command ($sock)"
else
  fail "no shared ssh session after hcl nodes" "$(ls -la "$XDG_RUNTIME_DIR/hcl" 2>&1)"
fi
hcl -v net ls
expect_rc 0 "a second command over the shared session"
expect_err '^hcl: GET ssh://root@master/v1\.[0-9]+/networks -> 200' "-v names the ssh endpoint"

# The docker CLI over the same endpoint sees the same nodes.
if command -v docker >/dev/null; then
  peer=$(docker -H ssh://root@master node ls --format '{{.Hostname}}' 2>&1 | sort | tr '\n' ' ')
  hcl nodes -q --no-consul
  expect_eq "$(sort <<<"$out" | tr '\n' ' ')" "$peer" "the docker CLI over the same ssh:// lists the same nodes"
else
  fail "no docker CLI on PATH to compare with"
fi

# run: one-shot with its exit status and output; logs -f of a service while it writes.
hcl run hcl-lab/busybox sh -c 'echo over-ssh; exit 3'
expect_rc 3 "hcl run over ssh passes the container's exit status on"
expect_out '^over-ssh$' "hcl run over ssh streams the output"
svc=hcl-e2e-ssh-logs
defer "DOCKER_HOST=tcp://master:2378 '$HCL' rm $svc"
hcl run -d --name "$svc" hcl-lab/busybox sh -c 'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.3; done'
expect_rc 0 "hcl run -d over ssh"
"$HCL" logs -f "$svc" >"$WORK/follow" 2>&1 &
follow=$!
defer "kill $follow"
if wait_for "$WORK/follow" '^tick3$' 30; then pass "hcl logs -f over ssh follows new lines"; else fail "hcl logs -f over ssh" "$(cat "$WORK/follow")"; fi
kill -INT "$follow" 2>/dev/null; wait "$follow"; rc=$?
expect_eq "$rc" 0 "Ctrl-C ends logs -f over ssh with exit 0"
hcl rm "$svc"
expect_rc 0 "hcl rm over ssh"

# ssh's failures: each with ssh's own words and its exit status. Each from a fresh runtime
# directory without a shared session (a shared one to the same host, user and port would be used
# without logging in again, as ssh's ControlMaster does) and none left behind (HCL_SSH_PERSIST=0).
# ssh_failure N HOST EXIT REGEX WHAT: hcl nodes over ssh://HOST from runtime directory N.
ssh_failure() {
  fresh_runtime "$1"
  HCL_SSH_PERSIST=0 DOCKER_HOST=ssh://$2 hcl --connect-timeout 2s nodes
  expect_rc "$3" "$5: exit $3"
  expect_err "$4" "$5: ssh's own words"
}
ssh_failure 1 lab-ssh-unknown-host 6 'Host key verification failed' "an unknown host key"
ssh_failure 2 lab-ssh-changed-host 6 'REMOTE HOST IDENTIFICATION HAS CHANGED.*Host key verification failed' "a changed host key"
ssh_failure 3 lab-ssh-wrong-key 6 'Permission denied \(publickey\)' "a key the host does not accept"
ssh_failure 4 lab-ssh-no-docker 5 'docker: (command )?not found.*needs Docker.s CLI there' "a remote without docker"
ssh_failure 5 root@nosuch.invalid 5 'Could not resolve hostname nosuch.invalid' "an unknown host name"
hcl -H 'ssh://root:s3cret@master' nodes
expect_rc 2 "a password in an ssh:// address"
expect_no s3cret "the password is not printed"
if ls "$WORK"/run[1-5]/hcl/ssh-* >/dev/null 2>&1; then fail "HCL_SSH_PERSIST=0 left a shared session"; else pass "HCL_SSH_PERSIST=0 leaves no shared session"; fi

# A docker context with an ssh endpoint, made and selected by the docker CLI: hcl uses it with
# nothing else set (the default master made unreachable).
fresh_runtime 6
export DOCKER_CONFIG=$WORK/docker-config
unset DOCKER_HOST
docker context create lab-ssh --description "master over ssh" --docker host=ssh://root@master >/dev/null 2>&1 ||
  fail "docker context create lab-ssh"
docker context use lab-ssh >/dev/null 2>&1 || fail "docker context use lab-ssh"
HCL_MASTER=nosuch.invalid hcl nodes --format json
expect_rc 0 "hcl nodes with only the docker context selected"
expect_eq "$(jqo '[.[] | select(.consul.serf_health == "passing")] | length')" 3 "through the context's ssh: engine and Consul"
HCL_MASTER=nosuch.invalid hcl config --format json
expect_eq "$(jqo '.docker.endpoint + " " + .docker.context.name')" "ssh://root@master lab-ssh" "hcl config names the context"

finish
