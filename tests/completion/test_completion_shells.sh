#!/usr/bin/env bash
# The completion scripts in the real shells, with no cluster: commands, flags and flag values come
# from the scripts alone, and live names fall back to nothing, at once, when the cluster is
# unreachable (connection refused) or does not answer (an address nobody answers on). The live
# names themselves are checked against the lab by tests/e2e/test_completion.sh.
set -uo pipefail
HCL_BIN=${HCL_BIN:?HCL_BIN must point at the built hcl binary}
COMPLETIONS=${COMPLETIONS:-$(cd "$(dirname "$0")/../../completions" && pwd)}
failures=0 checks=0
pass() { checks=$((checks + 1)); printf 'ok   %s\n' "$1"; }
fail() {
  checks=$((checks + 1)) failures=$((failures + 1))
  printf 'FAIL %s\n' "$1"
  [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/     | /'
  return 0
}
# shellcheck source=shells.sh
source "$(dirname "$0")/shells.sh"
trap shells_cleanup EXIT

# Nothing answers here: refused at once.
CLUSTER_ENV="DOCKER_HOST=tcp://127.0.0.1:1 CONSUL_HTTP_ADDR=http://127.0.0.1:1"
touch "$SH_DIR/home/stack.yml"

for sh in bash fish; do
  expect_complete $sh "hcl " "commands" nodes net run ps logs rm deploy scale down ls kv health version config completion
  expect_only $sh "hcl ne" "a command from its prefix" net
  expect_only $sh "hcl net " "net's subcommands" create ls inspect rm
  expect_only $sh "hcl network l" "an alias leads to the same subcommands" ls
  expect_only $sh "hcl kv " "kv's subcommands" get put ls rm watch
  expect_only $sh "hcl swarm " "swarm's subcommands" init join leave
  expect_complete $sh "hcl nodes -" "a listing's flags" --format -q --quiet --no-trunc --no-consul --help
  expect_complete $sh "hcl nodes -" "global flags after the command" -H --host --consul --tlsverify
  expect_only $sh "hcl net ls --no" "flags from their prefix" --no-trunc
  expect_only $sh "hcl ps --format " "--format's values" table json
  expect_only $sh "hcl completion " "completion's shells" bash zsh fish
  expect_only $sh "hcl run --restart " "--restart's values" no on-failure always
  expect_only $sh "hcl -H tcp://127.0.0.1:1 --consul http://127.0.0.1:1 n" "global flags and their values are skipped" net node nodes
  expect_complete $sh "hcl deploy $SH_DIR/home/st" "a manifest is a file" "$SH_DIR/home/stack.yml"
  expect_complete $sh "hcl --config $SH_DIR/home/st" "--config takes a file" "$SH_DIR/home/stack.yml"
  expect_only $sh "hcl logs " "no services when the cluster refuses the connection"
  expect_only $sh "hcl net rm " "no networks when the cluster refuses the connection"
  expect_only $sh "hcl scale " "no SERVICE= when the cluster refuses the connection"
  expect_only $sh "hcl run -e constraint:" "no constraint:node==NODE when the cluster refuses the connection"
done
expect_only bash "hcl ps --format=j" "--format=VALUE (bash completes the part after =)" json
expect_only fish "hcl ps --format=j" "--format=VALUE" --format=json
expect_only bash "hcl run --constraint node.role==m" "static constraints without the cluster (after ==)" manager
expect_only fish "hcl run --constraint node.role==m" "static constraints without the cluster" node.role==manager

# Every command and flag that `hcl ... --help` lists is offered (read from the help texts, not
# from the generator), in both shells.
commands_of() { # PATH...: the subcommands `hcl PATH --help` lists
  "$HCL_BIN" "$@" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { sub(/,$/, "", $1); print $1; next } on && !/^  / { on = 0 }'
}
flags_of() { # PATH...: the long and short flags `hcl PATH --help` lists
  "$HCL_BIN" "$@" --help | grep -E '^ +-' | grep -oE '(^|[ ,])-{1,2}[a-zA-Z][a-zA-Z0-9-]*' | tr -d ' ,' | sort -u
}
every_word() { # PATH...
  local sub sh
  local -a subs flags
  mapfile -t subs < <(commands_of "$@")
  mapfile -t flags < <(flags_of "$@")
  for sh in bash fish; do
    [ ${#subs[@]} -eq 0 ] || expect_complete $sh "hcl ${*:+$* }" "every subcommand of 'hcl $*' is offered" "${subs[@]}"
    expect_complete $sh "hcl ${*:+$* }-" "every flag of 'hcl $*' is offered" "${flags[@]}"
  done
  for sub in "${subs[@]}"; do every_word "$@" "$sub"; done
}
every_word

# An address that does not answer at all: the helper gives up after its 1 s connect timeout and
# the static words still come (each shell runs under `timeout 30`: a hang fails the check).
for sh in bash fish; do
  expect_only $sh "hcl -H tcp://198.18.72.250:2375 logs " "no services when the engine does not answer"
  expect_only $sh "hcl -H tcp://198.18.72.250:2375 ps --format " "static values with an engine that does not answer" table json
done

# The helper itself: nothing on stdout, exit 0, when the cluster cannot be asked.
out=$(clean_env timeout 30 hcl __complete services 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then pass "hcl __complete prints nothing and exits 0 when unreachable"
else fail "hcl __complete with the cluster unreachable: exit $rc" "$out"; fi
out=$(clean_env timeout 30 hcl __complete nosuch 2>&1)
rc=$?
if [ $rc -eq 2 ]; then pass "hcl __complete refuses an unknown kind (exit 2)"; else fail "hcl __complete nosuch: exit $rc" "$out"; fi

# zsh, interactively.
if zsh_start; then
  zsh_expect "hcl ne" '^% hcl net $' "a command from its prefix"
  zsh_expect "hcl net " 'inspect +-- Show one network' "net's subcommands are listed with their help"
  zsh_expect "hcl ps --no" '--node +-- Only tasks on this node' "flags are listed with their help"
  zsh_expect "hcl nodes --format " 'json +table' "--format's values are listed"
  zsh_expect "hcl ps --format=js" '^% hcl ps --format=json $' "--format=VALUE"
  zsh_expect "hcl nodes --no-c" '^% hcl nodes --no-consul $' "a flag from its prefix"
  zsh_expect "hcl completion f" '^% hcl completion fish $' "completion's shells"
  zsh_expect "hcl run --constraint node.role==w" '^% hcl run --constraint node.role==worker $' "static constraints without the cluster"
  zsh_expect "hcl -H tcp://198.18.72.250:2375 logs " '^% hcl -H tcp://198.18.72.250:2375 logs $' "no services when the engine does not answer"
  zsh_expect "hcl ver" '^% hcl version $' "the shell answers again after that"
else
  fail "zsh starts in tmux"
fi

printf '%s: %d checks, %d failed\n' "$(basename "$0" .sh)" "$checks" "$failures"
[ "$checks" -gt 0 ] && [ "$failures" -eq 0 ]
