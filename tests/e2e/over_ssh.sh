#!/usr/bin/env bash
# Runs the named e2e suites (test_NAME.sh) over ssh://root@master, the way a cluster owner who
# reaches the engine only through ssh would: a docker context with that ssh endpoint, made and
# selected by the docker CLI itself (`docker context create`, `docker context use`), and nothing
# else set: no DOCKER_HOST, no Consul address (Consul comes through the same ssh). The default
# master is made unreachable, so a suite that passes did go through the context.
# Usage: over_ssh.sh nodes deploy run
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
(($# > 0)) || { echo "usage: $0 SUITE..." >&2; exit 2; }
work=$(mktemp -d /tmp/hcl-e2e-over-ssh.XXXXXX)
export XDG_RUNTIME_DIR=$work/run DOCKER_CONFIG=$work/docker-config HCL_E2E_CONTEXT=lab-ssh
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
cleanup() {
  local s
  for s in "$XDG_RUNTIME_DIR"/hcl/ssh-*; do [ -S "$s" ] && ssh -o ControlPath="$s" -O exit lab >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT
unset DOCKER_HOST DOCKER_CONTEXT CONSUL_HTTP_ADDR
docker context create "$HCL_E2E_CONTEXT" --docker host=ssh://root@master >/dev/null || { echo "over_ssh: docker context create failed" >&2; exit 1; }
docker context use "$HCL_E2E_CONTEXT" >/dev/null || { echo "over_ssh: docker context use failed" >&2; exit 1; }
status=0
for suite in "$@"; do
  echo "=== over ssh: test_$suite.sh"
  HCL_MASTER=unreachable.invalid "$here/test_$suite.sh" || { status=1; echo "=== over ssh: test_$suite.sh FAILED"; }
done
exit $status
