#!/usr/bin/env bash
# hcl version and hcl config against the lab.
source "$(dirname "$0")/lib.sh"
require_lab

hcl version
expect_rc 0 "hcl version"
expect_out '^hcl: +[0-9]+\.[0-9]+\.[0-9]+' "hcl's own version"
expect_out '^engine: +20\.10\.[0-9]+[^ ]* \(API 1\.41, hcl uses 1\.41' "the engine's version and the API version in use"
expect_out '^consul: +.* at http://master:8500' "Consul's version and endpoint"
hcl version --format json
expect_eq "$(jqo '.engine.api_version_used')" 1.41 "JSON: negotiated API version"
expect_eq "$(jqo '.engine.version')" "$(engine /version | jq -r .Version)" "JSON: the engine's version as the engine says"

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

finish
