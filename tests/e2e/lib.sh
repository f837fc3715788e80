# Shared helpers for the end-to-end tests: they run the real hcl binary against the lab.
# Each test script sources this file, calls its checks, and ends with `finish`.
set -uo pipefail

HCL=${HCL_BIN:?HCL_BIN must point at the built hcl binary}
LAB=${HCL_LAB:?HCL_LAB must point at tests/lab/lab}
TEST_NAME=$(basename "$0" .sh)
failures=0
checks=0
WORK=$(mktemp -d "/tmp/hcl-e2e-$TEST_NAME.XXXXXX")
cleanup_cmds=()

# Runs at exit: the test's own clean-up steps, newest first, then the scratch directory.
on_exit() {
  local i
  for ((i = ${#cleanup_cmds[@]} - 1; i >= 0; i--)); do eval "${cleanup_cmds[$i]}" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap on_exit EXIT
defer() { cleanup_cmds+=("$*"); }

pass() { checks=$((checks + 1)); printf 'ok   %s\n' "$1"; }
fail() {
  checks=$((checks + 1)); failures=$((failures + 1))
  printf 'FAIL %s\n' "$1"
  [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/     | /'
  return 0
}

# hcl ARGS...: runs hcl, leaving stdout in $out, stderr in $err and the exit status in $rc, and
# the wall time in $elapsed_ms.
hcl() {
  local t0 t1
  t0=$(date +%s%N)
  "$HCL" "$@" >"$WORK/out" 2>"$WORK/err"
  rc=$?
  t1=$(date +%s%N)
  elapsed_ms=$(((t1 - t0) / 1000000))
  out=$(cat "$WORK/out")
  err=$(cat "$WORK/err")
}

# capped_hcl ARGS...: hcl as hcl() runs it, its address space capped at CAP_MB (default 1000)
# MB: for input that would take memory without end were it not bounded.
capped_hcl() {
  if [ -n "${ASAN_OPTIONS:-}" ]; then
    # The sanitized pass: an ASan build maps terabytes of shadow memory at start, which
    # `ulimit -v` refuses (abort, 134). ASan's own cap on resident memory does the same job,
    # at 1000 MB whatever CAP_MB says.
    ASAN_OPTIONS="$ASAN_OPTIONS:hard_rss_limit_mb=1000" "$HCL" "$@" >"$WORK/out" 2>"$WORK/err"
  else
    (ulimit -v $((${CAP_MB:-1000} * 1000)) && exec "$HCL" "$@") >"$WORK/out" 2>"$WORK/err"
  fi
  rc=$?
  out=$(cat "$WORK/out") err=$(cat "$WORK/err")
}

# wait_for FILE REGEX SECONDS: waits until a line of FILE (a background command's output)
# matches; status 1 if none did in time.
wait_for() {
  local deadline=$((SECONDS + $3))
  until grep -Eq "$2" "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

context() { printf 'command exit %s\n--- stdout\n%s\n--- stderr\n%s' "$rc" "$out" "$err"; }

expect_rc() { # expect_rc WANT DESCRIPTION
  if [ "$rc" -eq "$1" ]; then pass "$2 (exit $1)"; else fail "$2: expected exit $1, got $rc" "$(context)"; fi
}
expect_out() { # expect_out REGEX DESCRIPTION
  if grep -Eq -- "$1" <<<"$out"; then pass "$2"; else fail "$2: stdout does not match /$1/" "$(context)"; fi
}
expect_err() {
  if grep -Eq -- "$1" <<<"$err"; then pass "$2"; else fail "$2: stderr does not match /$1/" "$(context)"; fi
}
expect_no() { # expect_no TEXT DESCRIPTION: TEXT appears in neither stdout nor stderr
  if grep -Fq -- "$1" <<<"$out$err"; then fail "$2" "$(context)"; else pass "$2"; fi
}
expect_eq() { # expect_eq ACTUAL WANT DESCRIPTION
  if [ "$1" = "$2" ]; then pass "$3"; else fail "$3: got '$1', want '$2'" "$(context)"; fi
}
expect_le() { # expect_le ACTUAL MAX DESCRIPTION
  if [ "$1" -le "$2" ]; then pass "$3 ($1 <= $2)"; else fail "$3: $1 > $2" "$(context)"; fi
}

# jq over the last stdout.
jqo() { jq -r "$@" <<<"$out"; }

# The engine's own API, asked directly (not through hcl) for independent checks, at the master
# engine's own API version (the lab's master may refuse older ones, as Docker 29.0-29.2 do).
engine_api() {
  [ -n "${ENGINE_API:-}" ] || ENGINE_API=$(curl -s --max-time 10 http://master:2378/version | jq -r .ApiVersion)
  echo "$ENGINE_API"
}
engine() { curl -s --max-time 10 "http://master:2378/v$(engine_api)$1"; }
engine_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://master:2378/v$(engine_api)$1"; }

# wait_settled SECONDS: waits until the swarm has one leader and every node is ready, as a suite
# that moved the leadership must leave it: after a change of leader the new one marks every
# node "unknown" until the node's next heartbeat reaches it. Status 1 if that did not come.
wait_settled() {
  local deadline=$((SECONDS + $1))
  until engine /nodes | jq -e 'length > 0 and all(.[]; .Status.State == "ready")
      and ([.[] | select(.ManagerStatus.Leader == true)] | length == 1)' >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

# Fails the test at once when the lab cannot be reached: an e2e test never skips.
require_lab() {
  if ! curl -sf --max-time 5 http://master:2378/_ping >/dev/null; then
    fail "the lab's engine at master:2378 answers" "run '$LAB up' (ctest's lab fixture does)"
    finish
  fi
  if ! curl -sf --max-time 5 http://master:8500/v1/status/leader >/dev/null; then
    fail "the lab's Consul test server at master:8500 answers"
    finish
  fi
  # ctest runs the suites with a docker context selected the way users select one (`docker
  # context use`, in DOCKER_CONFIG; see lab_fixture.sh and over_ssh.sh) and no DOCKER_HOST: the
  # suite's commands must reach the engine through it.
  if [ -n "${HCL_E2E_CONTEXT:-}" ] && [ -z "${DOCKER_HOST:-}" ]; then
    local used
    used=$("$HCL" config --format json 2>&1 | jq -r '.docker.context.name + " " + .docker.context.origin.name' 2>&1)
    if [ "$used" = "$HCL_E2E_CONTEXT $DOCKER_CONFIG/config.json: currentContext" ]; then
      pass "the engine comes from docker context $HCL_E2E_CONTEXT (docker context use), nothing else set"
    else
      fail "the engine comes from docker context $HCL_E2E_CONTEXT" "hcl config says: $used"
    fi
  fi
}

finish() {
  printf '%s: %d checks, %d failed\n' "$TEST_NAME" "$checks" "$failures"
  [ "$checks" -gt 0 ] && [ "$failures" -eq 0 ]
  exit $?
}
