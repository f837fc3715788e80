#!/usr/bin/env bash
# Unreachable endpoints, partial answers, bad input and secrets, against the lab and local
# listeners (all traffic stays on loopback and the lab's own bridge).
source "$(dirname "$0")/lib.sh"
require_lab

# --- the master unreachable: every case ends by its timeout, naming the endpoint and the cause ----
# (No bound on the wall time: a busy machine only makes it later; timing is bench/'s.)
hcl -H tcp://127.0.0.1:1 nodes
expect_rc 5 "engine refusing connections"
expect_err '^hcl: error: GET http://127.0.0.1:1/v1.52/nodes: .*(refused|connect)' "the message names the endpoint and the cause"

# An address on the lab's bridge where no node lives: nothing answers the connection.
lab_prefix=$(getent hosts master | awk '{print $1}' | cut -d. -f1-3)
# (DOCKER_CONTEXT=default: no docker context, so that HCL_MASTER makes the default endpoint.)
DOCKER_CONTEXT=default HCL_MASTER=$lab_prefix.250 hcl --connect-timeout 1s nodes
expect_rc 5 "master address where nothing answers"
expect_err "GET http://$lab_prefix.250:2378/v1.52/nodes: (no connection within the connect timeout of 1 s|.*[Nn]o route)" "the message names the endpoint and the connect timeout"

# A server that accepts and never answers: nc's input is a fifo held open with nothing in it.
mkfifo "$WORK/silence"
busybox nc -l -p 23781 <"$WORK/silence" >/dev/null 2>&1 &
nc_pid=$!
exec 3>"$WORK/silence"
defer "kill $nc_pid"
sleep 0.3
hcl -H tcp://127.0.0.1:23781 --request-timeout 1s nodes
expect_rc 5 "engine that never answers"
expect_err "no complete answer within the request timeout of 1 s" "ended by the request timeout, and the message names it"

# --- Consul unreachable: the Swarm rows still print; the exit status says partial -----------
hcl --consul http://127.0.0.1:1 nodes
expect_rc 3 "Consul unreachable"
for n in master node1 node2; do expect_out "^$n " "swarm row for $n still printed"; done
expect_err '^hcl: warning: partial answer: .*127.0.0.1:1' "a warning names the Consul endpoint"
hcl --consul http://127.0.0.1:1 nodes --format json
expect_eq "$(jqo '[.[].consul] | unique | tostring')" "[null]" "JSON has no Consul view"

# --- bad input: usage errors with suggestions, exit 2 ---------------------------------------
hcl nods
expect_rc 2 "unknown command"
expect_err "unknown command 'nods' \(did you mean 'nodes'\?\)" "a suggestion for the command"
hcl nodes --formt json
expect_rc 2 "unknown flag"
expect_err "unknown flag '--formt' \(did you mean '--format'\?\)" "a suggestion for the flag"
hcl nodes --format yaml
expect_rc 2 "bad --format value"
DOCKER_HOST=tcp://master:notaport hcl nodes
expect_rc 2 "malformed DOCKER_HOST"
expect_err "DOCKER_HOST=tcp://master:notaport: 'notaport' is not a port number" "names the variable and the value"
CONSUL_HTTP_ADDR=ftp://master hcl nodes
expect_rc 2 "malformed CONSUL_HTTP_ADDR"
expect_err "CONSUL_HTTP_ADDR=ftp://master" "names the variable and the value"
HCL_TIMEOUT=soon hcl nodes
expect_rc 2 "malformed HCL_TIMEOUT"
expect_err "HCL_TIMEOUT=soon" "names the variable"
# (No docker context: a context brings its own TLS settings and DOCKER_TLS_VERIFY is not read.)
DOCKER_CONTEXT=default DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=/nonexistent hcl nodes
expect_rc 6 "TLS asked for without a CA"
expect_err "/nonexistent/ca.pem" "names the missing CA file"

# --- a server answer that is not the expected JSON ------------------------------------------
# busybox httpd serves files as an engine that accepts hcl's first request, /v1.52/nodes (not
# refused, so no negotiation), but answers it with HTML.
mkdir -p "$WORK/www/v1.52"
echo OK >"$WORK/www/_ping"
echo '{"Version":"29.0.0","ApiVersion":"1.52","MinAPIVersion":"1.44"}' >"$WORK/www/version"
echo '<html>proxy error</html>' >"$WORK/www/v1.52/nodes"
busybox httpd -f -p 127.0.0.1:23782 -h "$WORK/www" &
defer "kill $!"
sleep 0.3
hcl -H tcp://127.0.0.1:23782 nodes --no-consul
expect_rc 4 "an engine answer that is not JSON"
expect_err '^hcl: error: GET http://127.0.0.1:23782/v1\.[0-9]+/nodes: unexpected answer from the engine' "the error names the endpoint"

# --- a hostile engine's names cannot forge output ----------------------------------------------
# Found from outside: names and messages were printed raw, so a project named with a line break
# was two lines of `hcl ls -q` (breaking `for p in $(hcl ls -q)`), and ESC sequences reached the
# terminal. Text output shows control characters escaped; JSON keeps them exact.
mkdir -p "$WORK/evil/v1.52"
echo OK >"$WORK/evil/_ping"
printf '%s' '[{"ID":"s1","Version":{"Index":1},"Spec":{"Name":"evil_web","Labels":{"com.docker.stack.namespace":"ev\nil\u001b[2J"},"Mode":{"Replicated":{"Replicas":1}},"TaskTemplate":{"ContainerSpec":{"Image":"busybox"}}}}]' \
  >"$WORK/evil/v1.52/services"
printf '%s' '[{"ID":"n1","Description":{"Hostname":"no\rde\u0007"},"Spec":{"Role":"manager","Availability":"active"},"Status":{"State":"ready","Addr":"10.0.0.1"}}]' \
  >"$WORK/evil/v1.52/nodes"
echo '[]' >"$WORK/evil/v1.52/tasks"
echo '[]' >"$WORK/evil/v1.52/networks"
busybox httpd -f -p 127.0.0.1:23783 -h "$WORK/evil" &
defer "kill $!"
sleep 0.3
hcl -H tcp://127.0.0.1:23783 ls -q
expect_rc 0 "hcl ls -q against an engine whose project name holds control characters"
expect_eq "$(printf '%s\n' "$out" | wc -l)" 1 "one project, one line"
expect_eq "$out" 'ev\x0ail\x1b[2J' "the line break and the ESC are shown escaped"
hcl -H tcp://127.0.0.1:23783 nodes --no-consul
expect_rc 0 "hcl nodes against an engine whose node name holds control characters"
expect_out 'no\\x0dde\\x07' "the node's CR and BEL are shown escaped"
expect_no $'\a' "no raw BEL reaches the terminal"
hcl -H tcp://127.0.0.1:23783 ls --format json
expect_out '"ev\\nil\\u001b\[2J"' "JSON keeps the name exact (escaped as JSON)"

# --- a hostile engine's answer cannot take the machine's memory -------------------------------
# An answer read whole (below its 4 MiB cap) was made into a document without bounds: 4 MiB of
# '[' became 4 million nested arrays, some hundred MB, before the parse found no end. Documents
# now stop at 64 levels and 400,000 values; at 100 MB of address space the command gets to say so.
mkdir -p "$WORK/deep/v1.52" "$WORK/wide/v1.52"
for d in deep wide; do
  echo OK >"$WORK/$d/_ping"
  for list in nodes tasks networks; do echo '[]' >"$WORK/$d/v1.52/$list"; done
done
head -c $(((4 << 20) - 4096)) /dev/zero | tr '\0' '[' >"$WORK/deep/v1.52/services"
{ printf '['; for ((i = 0; i < 1000; i++)); do printf '[],%.0s' {1..500}; done; printf '0]'; } >"$WORK/wide/v1.52/services"
busybox httpd -f -p 127.0.0.1:23784 -h "$WORK/deep" &
defer "kill $!"
busybox httpd -f -p 127.0.0.1:23785 -h "$WORK/wide" &
defer "kill $!"
sleep 0.3
CAP_MB=100 capped_hcl -H tcp://127.0.0.1:23784 ls
expect_rc 4 "an engine answering 4 MiB of '[', in 100 MB"
expect_err "hcl: error: GET http://127.0.0.1:23784/v1.52/services: unexpected answer from the engine: values nested deeper than 64 levels at byte 65" \
  "4 MiB of '[': refused at the 65th level, naming the request"
CAP_MB=100 capped_hcl -H tcp://127.0.0.1:23785 ls
expect_rc 4 "an engine answering 500,000 empty arrays, in 100 MB"
expect_err "GET http://127.0.0.1:23785/v1.52/services: unexpected answer from the engine: more than 400000 values at byte" \
  "500,000 empty arrays: refused at the 400,001st value"

# --- secrets: the Consul token never appears, even with -v -----------------------------------
CONSUL_HTTP_TOKEN=very-s3cret-token hcl -v nodes
expect_rc 0 "hcl -v nodes with a token"
expect_err "hcl: GET http://master:2378/v$(printf '%s\n1.52\n' "$(engine_api)" | sort -V | head -n 1)/nodes -> 200" "-v logs the engine request"
expect_err 'hcl: GET http://master:8500/v1/catalog/nodes -> 200' "-v logs the Consul request"
expect_no very-s3cret-token "the token appears nowhere in the output"
CONSUL_HTTP_TOKEN=very-s3cret-token hcl config
expect_out 'consul token +set \(environment CONSUL_HTTP_TOKEN\)' "hcl config says where the token came from"
expect_no very-s3cret-token "hcl config never prints the token"
CONSUL_HTTP_TOKEN=very-s3cret-token hcl config --format json
expect_eq "$(jqo '.consul.token.set')" true "config JSON says a token is set"
expect_no very-s3cret-token "config JSON never prints the token"

finish
