#!/usr/bin/env bash
# TLS against a real engine: the lab restarts master's engine with --tlsverify on 2376 and
# certificates it made with openssl (`lab tls on`); hcl works with DOCKER_TLS_VERIFY and
# DOCKER_CERT_PATH and with the flags, and refuses a wrong CA, an expired or missing client
# certificate, TLS to a plain HTTP engine and plain HTTP to a TLS engine, each with its own
# message and exit 6. The lab is back in its plain mode (master:2378) at the end, whatever happens.
source "$(dirname "$0")/lib.sh"
require_lab

T=/run/hcl-lab/tls
PLAIN=tcp://master:2378
SECURE=tcp://master:2376

# The certificates, without restarting anything yet.
"$LAB" tls certs >/dev/null || { fail "lab tls certs"; finish; }
for d in client wrong-ca expired no-client; do
  [ -s "$T/$d/ca.pem" ] || fail "lab made no $T/$d/ca.pem"
done

# with_env HOST CERT_DIR ARGS...: hcl with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH.
with_env() {
  local host=$1 dir=$2; shift 2
  DOCKER_HOST=$host DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$dir hcl "$@"
}
# with_flags HOST CERT_DIR ARGS...: the same with -H and --tlsverify --tlscacert/--tlscert/--tlskey.
with_flags() {
  local host=$1 dir=$2; shift 2
  local certs=(--tlscacert "$dir/ca.pem")
  [ ! -e "$dir/cert.pem" ] || certs+=(--tlscert "$dir/cert.pem" --tlskey "$dir/key.pem")
  hcl -H "$host" --tlsverify "${certs[@]}" "$@"
}

# ---- plain mode: TLS asked for, the engine speaks plain HTTP ----
with_env "$PLAIN" "$T/client" nodes
expect_rc 6 "DOCKER_TLS_VERIFY=1 against the plain engine at master:2378 is refused"
expect_err 'plain HTTP, not TLS, but TLS was asked for' "  ... saying the engine speaks plain HTTP"
with_flags "$PLAIN" "$T/client" nodes
expect_rc 6 "--tlsverify against the plain engine is refused"
expect_err 'plain HTTP, not TLS' "  ... with the same message"
# `hcl version` reports what it could ask (hcl, Consul) and the engine's refusal: partial, 3.
with_flags "$PLAIN" "$T/client" version
expect_rc 3 "hcl version with --tlsverify against the plain engine is a partial answer"
expect_err 'engine version: .*plain HTTP, not TLS' "  ... naming the engine's problem"

# ---- TLS mode ----
defer "'$LAB' tls off"
if ! "$LAB" tls on >"$WORK/tls-on.log" 2>&1; then
  fail "lab tls on" "$(cat "$WORK/tls-on.log")"
  finish
fi
pass "lab tls on: master's engine restarted with --tlsverify"

# Independent checks (curl, not hcl): the engine itself requires TLS with a client certificate.
pid=$(cat /run/hcl-lab/master/docker.pid)
cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
if grep -q -- ' --tlsverify ' <<<"$cmdline" && grep -Eq -- '-H tcp://[0-9.]+:2376 ' <<<"$cmdline" &&
   ! grep -q -- ':2378 ' <<<"$cmdline"; then
  pass "master's dockerd runs with --tlsverify on 2376"
else
  fail "master's dockerd command line" "$cmdline"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$T/client/ca.pem" https://master:2376/_ping)
if [ "$code" = 000 ]; then pass "curl without a client certificate gets no answer"
else fail "curl without a client certificate got HTTP $code"; fi
ans=$(curl -s --max-time 5 --cacert "$T/client/ca.pem" --cert "$T/client/cert.pem" --key "$T/client/key.pem" https://master:2376/_ping)
expect_eq "$ans" OK "curl with the lab's client certificate gets /_ping OK"

with_env "$SECURE" "$T/client" nodes
expect_rc 0 "hcl nodes with DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$T/client"
expect_out '^master +' "  ... lists master"
expect_out '^node2 +' "  ... and node2"
with_env "$SECURE" "$T/client" version
expect_rc 0 "hcl version over TLS (environment)"
master_engine=$(curl -s --max-time 5 --cacert "$T/client/ca.pem" --cert "$T/client/cert.pem" --key "$T/client/key.pem" \
  https://master:2376/version | jq -r .Version)
expect_out "^engine: +$(sed 's/[.+]/\\&/g' <<<"$master_engine") " "  ... shows the engine's version ($master_engine)"
with_flags "$SECURE" "$T/client" nodes --format json
expect_rc 0 "hcl nodes with -H --tlsverify --tlscacert --tlscert --tlskey"
expect_eq "$(jqo 'length')" 3 "  ... three nodes"
with_flags "$SECURE" "$T/client" version
expect_rc 0 "hcl version over TLS (flags)"
DOCKER_CERT_PATH=$T/client hcl -H "$SECURE" --tlsverify nodes -q
expect_rc 0 "--tlsverify with the certificates from DOCKER_CERT_PATH"

# The key never shows, not even in -v's request log or `hcl config`.
key_line=$(sed -n 2p "$T/client/key.pem")
with_env "$SECURE" "$T/client" -v nodes
expect_rc 0 "hcl -v nodes over TLS"
expect_err 'GET https://master:2376/' "  ... -v logs the requests over https"
expect_no "$key_line" "  ... the client key's contents appear nowhere in the output"
expect_no "PRIVATE KEY" "  ... nor any PEM key block"
with_env "$SECURE" "$T/client" config
expect_no "$key_line" "hcl config does not show the key's contents"

# ---- refusals, each with its own message, exit 6 ----
with_env "$SECURE" "$T/wrong-ca" nodes
expect_rc 6 "a CA that did not sign the engine's certificate is refused (environment)"
expect_err "certificate is not signed by the CA in $T/wrong-ca/ca.pem" "  ... naming the CA file"
with_flags "$SECURE" "$T/wrong-ca" nodes
expect_rc 6 "the wrong CA is refused (flags)"
expect_err "not signed by the CA in $T/wrong-ca/ca.pem" "  ... naming the CA file"

with_env "$SECURE" "$T/expired" nodes
expect_rc 6 "an expired client certificate is refused (environment)"
expect_err "refused the client certificate $T/expired/cert.pem: it expired on 2020-01-02 00:00 UTC" \
  "  ... saying it expired, and when"
with_flags "$SECURE" "$T/expired" net ls
expect_rc 6 "an expired client certificate is refused (flags)"
expect_err "cert.pem: it expired on 2020-01-02" "  ... with the same message"

with_env "$SECURE" "$T/no-client" nodes
expect_rc 6 "no client certificate is refused (environment)"
expect_err 'requires a client certificate and none was given' "  ... saying none was given"
with_flags "$SECURE" "$T/no-client" nodes
expect_rc 6 "no client certificate is refused (flags)"
expect_err 'requires a client certificate and none was given' "  ... with the same message"

hcl -H "$SECURE" nodes
expect_rc 6 "plain HTTP to the TLS engine is refused"
expect_err 'speaks TLS \(HTTPS\) but TLS was not asked for' "  ... saying the engine speaks TLS"

# ---- back to plain mode ----
if "$LAB" tls off >"$WORK/tls-off.log" 2>&1; then pass "lab tls off"; else fail "lab tls off" "$(cat "$WORK/tls-off.log")"; fi
hcl -H "$PLAIN" nodes -q
expect_rc 0 "plain master:2378 answers hcl again"
expect_eq "$("$LAB" tls status)" "off: tcp://master:2378 (plain HTTP)" "lab tls status says off"

finish
