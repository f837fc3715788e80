#!/usr/bin/env bash
# Malformed command lines, each with the exact error it must give and its exit status, run
# against the real hcl binary. No lab: the engine and Consul are an unused port
# (127.0.0.1:1), and with -v every request hcl makes is logged, so each case also proves that
# nothing was sent before the input was refused.
source "$(dirname "$0")/lib.sh"

export DOCKER_HOST=tcp://127.0.0.1:1 CONSUL_HTTP_ADDR=http://127.0.0.1:1 HOME=/nonexistent XDG_CONFIG_HOME=/nonexistent DOCKER_CONFIG=/nonexistent
unset HCL_CONFIG HCL_MASTER HCL_TIMEOUT HCL_CONNECT_TIMEOUT CONSUL_HTTP_TOKEN CONSUL_HTTP_TOKEN_FILE CONSUL_HTTP_SSL \
  DOCKER_TLS_VERIFY DOCKER_CERT_PATH
BAD="$(cd "$(dirname "$0")/../data/manifests/bad" && pwd)"
requests() { grep -cE '^hcl: (GET|POST|PUT|DELETE|HEAD) ' <<<"$err"; }

# The control: a valid command against the unused port makes (and logs) its request and fails
# with 5, so the zero-request check below can fail.
hcl -v nodes --no-consul
expect_rc 5 "control: a valid command is sent"
expect_eq "$(requests)" 1 "control: its request is logged"

# EXIT <TAB> FRAGMENT OF THE ERROR <TAB> ENVIRONMENT (K=V ... or -) <TAB> ARGUMENTS (shell words)
cases=$(cat <<'TABLE'
2	a command is required	-	
2	unknown command 'nodez' (did you mean 'nodes'?)	-	nodez
2	unknown command 'delpoy' (did you mean 'deploy'?)	-	delpoy x.yml
2	unknown command 'no\x1b[2Jdes'	-	$'no\e[2Jdes'
2	unknown flag '--formt' (did you mean '--format'?)	-	nodes --formt json
2	unknown flag '--replica': hcl run's flags come before IMAGE	-	run -d --replica 2 img
2	--format 'yaml': expected table, json or a template with placeholders such as {{.Name}}	-	nodes --format yaml
2	--node: 1 required NODE missing	-	ps --node
2	--timeout requires --wait	-	node promote node1 --timeout 5m
2	--timeout=soon: expected a number, like 3s, 500ms or 1m	-	node demote node1 --wait --timeout soon
2	SERVICE is required	-	rm
2	KEY is required	-	kv get
2	IMAGE is required	-	run
2	'web': expected SERVICE=REPLICAS, like demo-hostname=10	-	scale web
2	'web=-1': '-1' is not a number of replicas (0 or more)	-	scale web=-1
2	'web=+1': '+1' is not a number of replicas (0 or more)	-	scale web=+1
2	'=3': no service name before '='	-	scale =3
2	'web=': no number of replicas after '='	-	scale web=
2	'web=10001': at most 10000 replicas	-	scale web=10001
2	'web=3x': '3x' is not a number of replicas (0 or more)	-	scale web=3x
2	'web2': expected SERVICE=REPLICAS, like demo-hostname=10	-	scale web=3 web2
2	'web=99999999999999999999': '99999999999999999999' is not a number of replicas (0 or more)	-	scale web=99999999999999999999
2	--timeout=forever: expected a number, like 3s, 500ms or 1m	-	scale web=3 --wait --timeout forever
2	--constraint 'node.colour==blue': unknown key 'node.colour'	-	run --constraint node.colour==blue img
2	--constraint 'node==~master': the value must be a plain word	-	run --constraint 'node==~master' img
2	--constraint 'nodehostname': expected KEY==VALUE or KEY!=VALUE	-	run --constraint nodehostname img
2	--constraint 'node.role==boss': node.role is manager or worker	-	run --constraint node.role==boss img
2	--constraint '==master': no key before the operator	-	run --constraint ==master img
2	--env 'constraint:node==~master': soft constraints (==~) cannot be expressed in swarm mode	-	run -e 'constraint:node==~master' img
2	--env 'affinity:container==web': classic Swarm affinities have no swarm-mode equivalent	-	run -e affinity:container==web img
2	--env==x: expected KEY=VALUE, or a bare KEY to pass on hcl's own	-	run -e =x img
2	--publish=99999:80: expected PUBLISHED:TARGET[/PROTOCOL] with ports 1-65535	-	run -p 99999:80 img
2	--publish=abc: expected PUBLISHED:TARGET[/PROTOCOL]	-	run -p abc img
2	--replicas: only with -d: a one-shot run starts one container	-	run --replicas 3 img
2	--restart=sometimes: expected no, on-failure or always	-	run -d --restart sometimes img
2	--label==v: expected KEY=VALUE	-	run -l =v img
2	--host=npipe:////./pipe/docker_engine: hcl supports tcp://, unix://, ssh://, http:// and https:// engine addresses	-	-H npipe:////./pipe/docker_engine nodes
2	--host=ssh://pi:***@master: a password in the address is not supported	-	-H ssh://pi:s3cret@master nodes
2	--host=ssh://-oProxyCommand=x: a host name cannot start with '-'	-	-H ssh://-oProxyCommand=x nodes
2	--host=tcp://master:0: '0' is not a port number (1-65535)	-	-H tcp://master:0 nodes
2	--host=tcp://[::1: unterminated IPv6 address	-	-H 'tcp://[::1' nodes
2	--host=unix://relative.sock: a unix socket needs an absolute path	-	-H unix://relative.sock nodes
2	--host=tcp://a:b:c: write IPv6 addresses in brackets: [::1]:2375	-	-H tcp://a:b:c nodes
2	--host=tcp://master/path: a path is not allowed here	-	-H tcp://master/path nodes
2	--host=tcp://mas ter: 'mas ter' is not a host name or address	-	-H 'tcp://mas ter' nodes
2	DOCKER_HOST=foo://x: unknown scheme; use tcp://HOST:PORT, ssh://[USER@]HOST or unix:///PATH	DOCKER_HOST=foo://x	nodes
2	DOCKER_HOST=tcp://: no host given	DOCKER_HOST=tcp://	nodes
2	CONSUL_HTTP_ADDR=http://master:70000: '70000' is not a port number (1-65535)	CONSUL_HTTP_ADDR=http://master:70000	nodes
2	CONSUL_HTTP_ADDR=ftp://x: unknown scheme	CONSUL_HTTP_ADDR=ftp://x	health
2	--consul=http://: no host given	-	--consul http:// health
2	--request-timeout=0: must be at least 1ms	-	--request-timeout 0 nodes
2	--request-timeout=25h: must be at most 24h	-	--request-timeout 25h nodes
2	--connect-timeout=3parsecs: unknown unit; use ms, s, m or h	-	--connect-timeout 3parsecs nodes
2	HCL_TIMEOUT=soon: expected a number, like 3s, 500ms or 1m	HCL_TIMEOUT=soon	nodes
2	HCL_CONNECT_TIMEOUT=-1s: expected a number, like 3s, 500ms or 1m	HCL_CONNECT_TIMEOUT=-1s	nodes
2	HCL_MASTER=master:2378: expected a host name or address, without a port	HCL_MASTER=master:2378	nodes
2	/nonexistent/hcl.yaml: cannot read the config file	-	--config /nonexistent/hcl.yaml nodes
2	CONSUL_HTTP_SSL=maybe: expected true or false	CONSUL_HTTP_SSL=maybe	nodes
2	CONSUL_HTTP_TOKEN_FILE=/nonexistent/token: cannot read the token file	CONSUL_HTTP_TOKEN_FILE=/nonexistent/token	nodes
6	--tlscacert=/nonexistent/ca.pem: no such file	-	--tlsverify --tlscacert /nonexistent/ca.pem nodes
2	--subnet=10.0.0.0/33: the prefix length must be 0-32	-	net create demo --subnet 10.0.0.0/33
2	--gateway=10.1.0.1: not inside the subnet 10.0.0.0/24	-	net create demo --subnet 10.0.0.0/24 --gateway 10.1.0.1
2	network name 'bad name': must start with a letter or digit	-	net create 'bad name'
2	--label==x: expected KEY=VALUE	-	net create demo --label =x
2	KEY: must not be empty (nor only '/')	-	kv put / v
2	--cas=-1: expected a modify index	-	kv put k v --cas -1
2	--flags=x: expected flags (a whole number from 0 to 18446744073709551615)	-	kv put k v --flags x
2	--cas: cannot be combined with --recurse	-	kv rm k -r --cas 3
2	--wait=11m: at most 10m (Consul's longest blocking query)	-	kv watch k --wait 11m
2	/nonexistent.yml: cannot read the manifest: no such file or directory	-	deploy /nonexistent.yml
2	BAD/cycle.yml:4:18: dependency cycle: a -> b -> c -> a	-	deploy BAD/cycle.yml
2	-p 'Bad Name!': a project name takes lowercase letters	-	deploy BAD/../good/loadbalancing/docker-compose.yml -p 'Bad Name!'
2	--timeout=0: must be at least 1ms	-	deploy BAD/cycle.yml --timeout 0
2	hcl down: name the project with -p PROJECT or give its manifest	-	down
2	BAD: cannot read the config file: it is a directory	-	--config BAD config
2	/dev/zero: cannot read the config file: it is a character device, not a regular file	-	--config /dev/zero nodes
2	CONSUL_HTTP_TOKEN_FILE=/etc: cannot read the token file: it is a directory	CONSUL_HTTP_TOKEN_FILE=/etc	kv get foo
2	CONSUL_HTTP_TOKEN_FILE=/dev/zero: cannot read the token file: it is a character device	CONSUL_HTTP_TOKEN_FILE=/dev/zero	kv get foo
2	BAD: cannot read the manifest: it is a directory	-	deploy BAD --dry-run
2	/dev/zero: cannot read the manifest: it is a character device, not a regular file	-	deploy /dev/zero --dry-run
2	/dev/zero: cannot read the env file: it is a character device	-	deploy BAD/../good/loadbalancing/docker-compose.yml --env-file /dev/zero --dry-run
2	BAD: cannot read the env file: it is a directory	-	deploy BAD/../good/loadbalancing/docker-compose.yml --env-file BAD --dry-run
2	--env-file=/dev/zero: cannot read the file: it is a character device	-	run --env-file /dev/zero img
TABLE
)

n=0
while IFS=$'\t' read -r want fragment envs words; do
  [ -n "$want" ] || continue
  n=$((n + 1))
  words=${words//BAD/$BAD}
  fragment=${fragment//BAD/$BAD}
  eval "args=($words)"
  envargs=()
  [ "$envs" = "-" ] || read -ra envargs <<<"$envs"
  t0=$(date +%s%N)
  env "${envargs[@]}" "$HCL" -v "${args[@]}" >"$WORK/out" 2>"$WORK/err"
  rc=$?
  out=$(cat "$WORK/out") err=$(cat "$WORK/err")
  label="[$n] ${envs/#-/} hcl -v $words"
  expect_rc "$want" "$label"
  if grep -qF -- "hcl: error: $fragment" <<<"$err"; then pass "$label: says '$fragment'"; else fail "$label: expected 'hcl: error: $fragment'" "$(context)"; fi
  expect_eq "$(requests)" 0 "$label: nothing was sent"
  expect_eq "$out" "" "$label: nothing on stdout"
done <<<"$cases"
expect_le 30 "$n" "at least 30 malformed command lines"

# A token with a line break would write a header of its own into every Consul request: refused,
# named by its source, the token itself never printed.
for token in $'s3cr3t\r\nX-Injected: yes' $'s3cr3t\nX-Injected: yes' $'s3cr3t\e[2J'; do
  CONSUL_HTTP_TOKEN=$token hcl -v kv get foo
  label="CONSUL_HTTP_TOKEN=$(printf '%q' "$token") hcl -v kv get foo"
  expect_rc 2 "$label"
  expect_err "hcl: error: CONSUL_HTTP_TOKEN: the token" "$label: names the variable"
  expect_no "s3cr3t" "$label: the token is not printed"
  expect_eq "$(requests)" 0 "$label: nothing was sent"
done
printf 's3cr3t\nX-Injected: yes\n' >"$WORK/token"
CONSUL_HTTP_TOKEN_FILE=$WORK/token hcl -v kv get foo
expect_rc 2 "a token file of two lines"
expect_err "hcl: error: CONSUL_HTTP_TOKEN_FILE=$WORK/token: the token must be one line" "a token file of two lines: named"
expect_no "s3cr3t" "a token file of two lines: the token is not printed"

# Endless streams stop at the cap (a pipe is a manifest, `hcl deploy <(generate)`), in bounded
# memory: the address space is capped far below what reading them whole would take.
capped_hcl -v deploy <(cat /dev/zero) --dry-run
expect_rc 2 "an endless manifest stream"
expect_err "the manifest is larger than 4 MiB; hcl reads compose files up to that size" "an endless manifest stream: the cap"
expect_eq "$(requests)" 0 "an endless manifest stream: nothing was sent"
capped_hcl -v deploy "$BAD/../good/loadbalancing/docker-compose.yml" --env-file <(cat /dev/urandom) --dry-run
expect_rc 2 "an endless env file stream"
expect_err "the env file is larger than 4 MiB; hcl reads env files up to that size" "an endless env file stream: the cap"
expect_eq "$(requests)" 0 "an endless env file stream: nothing was sent"

# The reader of hcl's output went away (`hcl ls -q | head -1`): SIGPIPE, as for any Unix tool,
# which shells show as 141 (README, exit statuses), and no message of hcl's own. The reader here
# has surely gone before hcl writes.
( sleep 0.3; exec "$HCL" completion bash 2>"$WORK/err" ) | true
rc=${PIPESTATUS[0]} out='' err=$(cat "$WORK/err")
expect_rc 141 "output to a pipe whose reader is gone"
expect_eq "$err" "" "output to a pipe whose reader is gone: nothing on stderr"

# Ctrl-C while a named pipe waits for its writer: interrupted (130), not "cannot read" (2).
mkfifo "$WORK/fifo.yml"
"$HCL" deploy "$WORK/fifo.yml" --dry-run >"$WORK/out" 2>"$WORK/err" &
waiting=$!
sleep 0.3
kill -INT "$waiting"
wait "$waiting"
rc=$? out=$(cat "$WORK/out") err=$(cat "$WORK/err")
expect_rc 130 "Ctrl-C while the manifest's pipe waits for a writer"
expect_err "fifo.yml: interrupted while waiting for it" "Ctrl-C while the manifest's pipe waits: says so"
finish
