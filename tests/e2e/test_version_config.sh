#!/usr/bin/env bash
# hcl version and hcl config against the lab.
source "$(dirname "$0")/lib.sh"
require_lab
# This suite checks where settings come from: no docker context until it makes its own below.
export DOCKER_CONFIG=$WORK/docker-config

# The master's engine as it describes itself (unversioned /version: every engine answers it), and
# the API version hcl must use with it: the engine's newest, at most 1.52.
master_version=$(curl -s --max-time 10 http://master:2378/version)
engine_version=$(jq -r .Version <<<"$master_version")
engine_api=$(jq -r .ApiVersion <<<"$master_version")
engine_min=$(jq -r .MinAPIVersion <<<"$master_version")
used=$(printf '%s\n1.52\n' "$engine_api" | sort -V | head -n 1)
re() { sed 's/[].+()[]/\\&/g' <<<"$1"; }  # TEXT as an extended regex matching itself
hcl version
expect_rc 0 "hcl version"
expect_out '^hcl: +[0-9]+\.[0-9]+\.[0-9]+ \(API 1\.30–1\.52\)$' "hcl's own version and API window"
expect_out "^engine: +$(re "$engine_version (API $engine_min–$engine_api, hcl uses $used;")" \
  "the engine's version, its API window and the API version in use"
expect_out '^consul: +.* at http://master:8500' "Consul's version and endpoint"
hcl version --format json
expect_eq "$(jqo '.engine.api_version_used')" "$used" "JSON: negotiated API version"
expect_eq "$(jqo '.engine.version')" "$engine_version" "JSON: the engine's version as the engine says"
expect_eq "$(jqo '.engine.min_api_version + " " + .engine.api_version')" "$engine_min $engine_api" "JSON: the engine's API window"
expect_eq "$(jqo '.hcl.min_api_version + " " + .hcl.api_version')" "1.30 1.52" "JSON: hcl's API window"
# No /_ping first. Knowing nothing of the engine (a state directory of its own), the first request
# goes out at 1.52, and an engine older than that refuses it (400, naming its version) and gets
# it again at its own; hcl remembers that version, so the next command asks at it at once.
engine_requests() { grep -oE 'GET [^ ]+ -> [0-9]{3}' <<<"$err" | grep -v ':8500/' | paste -sd, | sed 's/,/, /g'; }
mkdir -p "$WORK/state"
XDG_STATE_HOME=$WORK/state hcl -v nodes -q
expect_rc 0 "hcl -v nodes"
want="GET http://master:2378/v$used/nodes -> 200"
[ "$used" = 1.52 ] || want="GET http://master:2378/v1.52/nodes -> 400, GET http://master:2378/v$used/nodes -> 200"
expect_eq "$(engine_requests)" "$want" "hcl nodes, first against this engine: the engine's requests (no /_ping, no /version)"
expect_eq "$(cat "$WORK/state/hcl/engines")" "http://master:2378 $used" "the engine's version is remembered"
XDG_STATE_HOME=$WORK/state hcl -v nodes -q
expect_eq "$(engine_requests)" "GET http://master:2378/v$used/nodes -> 200" \
  "hcl nodes again: one request, at the remembered version"

hcl --version
expect_rc 0 "hcl --version"
expect_out '^hcl [0-9]+\.[0-9]+\.[0-9]+$' "--version prints hcl's version"

HCL_MASTER=master hcl config
expect_rc 0 "hcl config"
expect_out '^docker +http://master:2378 +\(environment HCL_MASTER\)' "the engine endpoint and its origin"
hcl config
expect_out '^docker +http://master:2378 +\(default\)' "the default engine endpoint"
DOCKER_HOST=tcp://node1:2375 hcl -H tcp://master:2378 config --format json
expect_eq "$(jqo '.docker.endpoint + " " + .docker.origin.name')" "http://master:2378 --host" "a flag beats the environment"
mkdir -p "$WORK/xdg/hcl"
printf 'docker:\n  host: tcp://node1:2375\ntimeouts:\n  connect: 2s\n' >"$WORK/xdg/hcl/config.yaml"
XDG_CONFIG_HOME=$WORK/xdg hcl config --format json
expect_eq "$(jqo '.docker.endpoint')" "http://node1:2375" "the config file sets the endpoint"
expect_eq "$(jqo '.timeouts.connect_ms')" 2000 "the config file sets the connect timeout"
printf 'docker:\n  hots: tcp://node1:2375\n' >"$WORK/xdg/hcl/config.yaml"
XDG_CONFIG_HOME=$WORK/xdg hcl nodes
expect_rc 2 "a config file with an unknown key"
expect_err "config.yaml:2:3: unknown key 'docker.hots'" "the error names file:line:col and the key"

# Docker contexts, made by the docker CLI itself (its own files, its own context IDs), used by
# hcl as they are. The default engine is made unreachable (HCL_MASTER), so that only the
# context's endpoint can answer.
export DOCKER_CONFIG=$WORK/docker-config
unset DOCKER_HOST DOCKER_CONTEXT
docker context create lab --description "the lab's master" --docker host=tcp://master:2378 >/dev/null 2>&1 ||
  fail "docker context create lab"
HCL_MASTER=nosuch.invalid DOCKER_CONTEXT=lab hcl nodes --no-consul -q
expect_rc 0 "DOCKER_CONTEXT=lab hcl nodes"
expect_out '^master$' "DOCKER_CONTEXT: the context's engine answers"
HCL_MASTER=nosuch.invalid hcl --context lab config --format json
expect_eq "$(jqo '.docker.endpoint + " " + .docker.context.name + " " + .docker.context.origin.name')" \
  "http://master:2378 lab --context" "--context: the endpoint, the context and where its name came from"
docker context use lab >/dev/null 2>&1 || fail "docker context use lab"
HCL_MASTER=nosuch.invalid hcl nodes --no-consul -q
expect_rc 0 "after docker context use lab: hcl nodes with nothing set"
expect_out '^node1$' "docker context use: the context's engine answers"
hcl context ls
expect_rc 0 "hcl context ls"
expect_out '^lab \* +the lab.s master +tcp://master:2378$' "hcl context ls marks the context in use"
HCL_MASTER=nosuch.invalid DOCKER_HOST=tcp://master:2378 hcl config --format json
expect_eq "$(jqo '.docker.context')" null "DOCKER_HOST beats the current context"
DOCKER_CONTEXT=nosuch hcl nodes
expect_rc 2 "an unknown context"
expect_err "hcl: error: DOCKER_CONTEXT=nosuch: no such docker context \\(known: default, lab;" "an unknown context: the known ones named"
unset DOCKER_CONFIG

finish
