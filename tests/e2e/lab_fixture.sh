#!/usr/bin/env bash
# ctest's lab fixture. `up`: brings the lab up unless it is already up, and remembers whether it
# did. `down`: takes the lab down only if `up` brought it up, so a developer's running lab stays.
set -euo pipefail
marker=/run/hcl-lab-brought-up-by-ctest
case "${1:-}" in
  up)
    if "$HCL_LAB" status >/dev/null 2>&1; then
      echo "lab already up; leaving it as it is"
      # An engine selection in the environment is applied to it (a no-op if it is the lab's).
      if [ -n "${HCL_LAB_ENGINES+x}${HCL_LAB_MIN_API+x}" ]; then "$HCL_LAB" up; fi
    else
      # Whatever is left of an earlier lab (a crashed one keeps its namespaces and swarm state,
      # and its restarted engines can take a while to gossip again) goes first: the tests start
      # on a clean swarm.
      "$HCL_LAB" down
      "$HCL_LAB" up
      touch "$marker"
    fi
    "$HCL_LAB" status
    # The suites reach the engine through a docker context made and selected by the docker CLI
    # itself (E2E_ENV: DOCKER_CONFIG, HCL_E2E_CONTEXT; no DOCKER_HOST).
    if [ -n "${HCL_E2E_CONTEXT:-}" ]; then
      rm -rf "${DOCKER_CONFIG:?}"
      docker context create "$HCL_E2E_CONTEXT" --description "the lab's master (ctest)" \
        --docker host=tcp://master:2378 >/dev/null
      docker context use "$HCL_E2E_CONTEXT" >/dev/null
      echo "docker context $HCL_E2E_CONTEXT (tcp://master:2378) selected in $DOCKER_CONFIG"
    fi
    ;;
  down)
    if [ -e "$marker" ] && [ "${HCL_KEEP_LAB:-0}" != 1 ]; then
      rm -f "$marker"
      "$HCL_LAB" down
    else
      echo "leaving the lab up"
    fi
    ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
