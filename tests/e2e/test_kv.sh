#!/usr/bin/env bash
# hcl kv against the lab's Consul test server, checked through Consul's own HTTP API.
source "$(dirname "$0")/lib.sh"
require_lab

# Consul's API, asked directly (not through hcl).
kv_api() { curl -s --max-time 10 "http://master:8500/v1/kv/$1"; }
kv_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://master:8500/v1/kv/$1"; }
# wait_for FILE REGEX: until a line of FILE matches (5 s at most).
wait_for() {
  local i
  for ((i = 0; i < 50; i++)); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

p=hcl-e2e-kv/$$
defer "curl -s -X DELETE 'http://master:8500/v1/kv/hcl-e2e-kv/?recurse'"
curl -s -X DELETE "http://master:8500/v1/kv/hcl-e2e-kv/?recurse" >/dev/null

# --- bytes in, bytes out ---------------------------------------------------------------------
head -c 4096 /dev/urandom >"$WORK/small.bin"
head -c 300000 /dev/urandom >"$WORK/big.bin"
for f in small big; do
  hcl kv put "$p/$f.bin" "@$WORK/$f.bin"
  expect_rc 0 "hcl kv put $f.bin from @FILE"
  expect_eq "$out$err" "" "put is quiet on success"
  "$HCL" kv get "$p/$f.bin" >"$WORK/$f.out" 2>"$WORK/err"
  expect_eq "$?" 0 "hcl kv get $f.bin"
  if cmp -s "$WORK/$f.bin" "$WORK/$f.out"; then pass "$f.bin reads back byte-identical"; else fail "$f.bin reads back byte-identical" "$(cmp "$WORK/$f.bin" "$WORK/$f.out" 2>&1)"; fi
  kv_api "$p/$f.bin?raw" >"$WORK/$f.raw"
  if cmp -s "$WORK/$f.bin" "$WORK/$f.raw"; then pass "Consul holds $f.bin's bytes"; else fail "Consul holds $f.bin's bytes"; fi
done

printf 'line one\nline two\n\n' >"$WORK/stdin.txt"
"$HCL" kv put "$p/stdin" - <"$WORK/stdin.txt" 2>"$WORK/err"
expect_eq "$?" 0 "hcl kv put KEY - reads standard input"
"$HCL" kv get "$p/stdin" >"$WORK/stdin.out"
if cmp -s "$WORK/stdin.txt" "$WORK/stdin.out"; then pass "stdin's bytes read back, trailing newlines and all"; else fail "stdin's bytes read back"; fi

hcl kv put "$p/text" abc
expect_rc 0 "hcl kv put KEY VALUE"
expect_eq "$("$HCL" kv get "$p/text" | wc -c)" 3 "get adds no newline"
expect_eq "$(kv_api "$p/text" | jq -r '.[0].Value | @base64d')" abc "Consul has the value"
hcl kv get "/$p/text"
expect_eq "$out" abc "a leading / is dropped"

hcl kv get "$p/text" --format json
expect_rc 0 "hcl kv get --format json"
expect_eq "$(jqo '.key + " " + .value')" "$p/text abc" "JSON has the key and the value as text"
expect_eq "$(jqo '.modify_index')" "$(kv_api "$p/text" | jq -r '.[0].ModifyIndex')" "JSON's modify_index is Consul's"
hcl kv get "$p/small.bin" --format json
expect_eq "$(jqo '.value_base64' | base64 -d | cmp - "$WORK/small.bin" && echo same)" same "binary values are value_base64 in JSON"

hcl kv put "$p/flagged" v --flags 42
expect_rc 0 "put --flags"
expect_eq "$(kv_api "$p/flagged" | jq -r '.[0].Flags')" 42 "Consul has the flags"

# --- not found, check-and-set, bad input -----------------------------------------------------
hcl kv get "$p/missing"
expect_rc 7 "getting a missing key"
expect_err "^hcl: error: .*no key $p/missing\$" "the error names the key"

index=$(kv_api "$p/text" | jq -r '.[0].ModifyIndex')
hcl kv put "$p/text" def --cas "$index"
expect_rc 0 "put --cas with the current modify index"
hcl kv put "$p/text" ghi --cas "$index"
expect_rc 8 "put --cas with a stale modify index"
expect_err "key $p/text: changed" "the error says the key changed"
expect_eq "$("$HCL" kv get "$p/text")" def "nothing was written"
hcl kv put "$p/text" ghi --cas 0
expect_rc 8 "put --cas 0 on an existing key"
hcl kv put "$p/new" first --cas 0
expect_rc 0 "put --cas 0 on a new key"

hcl kv put "$p/x" v --cas abc
expect_rc 2 "a --cas that is not a number"
expect_err "--cas=abc" "the error names the flag"
hcl kv put "$p/x" "@$WORK/no-such-file"
expect_rc 2 "an unreadable @FILE"
expect_err "@$WORK/no-such-file: cannot read" "the error names the file"
hcl kv put "$p/x"
expect_rc 2 "put without a VALUE"
hcl kv get
expect_rc 2 "get without a KEY"
expect_eq "$(kv_status "$p/x")" 404 "nothing was written"

# --- ls and rm -------------------------------------------------------------------------------
for k in dir/a dir/b dir/sub/c; do "$HCL" kv put "$p/$k" "$k" || fail "put $k"; done
hcl kv ls "$p/dir/"
expect_rc 0 "hcl kv ls PREFIX"
expect_eq "$out" "$(printf '%s\n' "$p/dir/a" "$p/dir/b" "$p/dir/sub/c")" "ls lists every key under the prefix"
hcl kv ls "$p/dir/" --separator /
expect_eq "$out" "$(printf '%s\n' "$p/dir/a" "$p/dir/b" "$p/dir/sub/")" "ls --separator rolls up folders"
hcl kv ls "$p/" --format json
expect_eq "$(jqo 'length')" 9 "ls --format json lists all nine keys"
hcl kv ls "$p/nothing-here/"
expect_rc 0 "ls of an empty prefix"
expect_eq "$out" "" "prints nothing"

hcl kv rm "$p/dir/a" --cas 1
expect_rc 8 "rm --cas with a stale index"
expect_eq "$(kv_status "$p/dir/a")" 200 "the key is still there"
hcl kv rm "$p/dir/a"
expect_rc 0 "hcl kv rm KEY"
expect_eq "$(kv_status "$p/dir/a")" 404 "Consul no longer has it"
hcl kv rm "$p/dir/" --recurse
expect_rc 0 "hcl kv rm --recurse"
expect_eq "$(kv_status "$p/dir/?keys")" 404 "nothing is left under the folder"
expect_eq "$(kv_status "$p/text")" 200 "keys outside it stay"

# --- watch -----------------------------------------------------------------------------------
"$HCL" kv put "$p/w" "value zero"
"$HCL" kv watch "$p/w" >"$WORK/watch.out" 2>"$WORK/watch.err" &
watch_pid=$!
defer "kill $watch_pid"
if wait_for "$WORK/watch.out" '^[0-9]+ value zero$'; then pass "watch prints the current value"; else fail "watch prints the current value" "$(cat "$WORK/watch.out" "$WORK/watch.err")"; fi
"$HCL" kv put "$p/w" "value one"
wait_for "$WORK/watch.out" '^[0-9]+ value one$' && pass "watch prints the first change" || fail "watch prints the first change" "$(cat "$WORK/watch.out")"
"$HCL" kv put "$p/w" "value two"
wait_for "$WORK/watch.out" '^[0-9]+ value two$' && pass "watch prints the second change" || fail "watch prints the second change" "$(cat "$WORK/watch.out")"
"$HCL" kv rm "$p/w"
wait_for "$WORK/watch.out" '^[0-9]+ \(deleted\)$' && pass "watch prints the deletion" || fail "watch prints the deletion" "$(cat "$WORK/watch.out")"
expect_eq "$(cut -d' ' -f1 "$WORK/watch.out" | sort -n -c && echo increasing)" increasing "modify indexes increase"
kill -INT "$watch_pid"
wait "$watch_pid"
expect_eq "$?" 0 "Ctrl-C ends the watch with exit status 0"
expect_eq "$(cat "$WORK/watch.err")" "" "and nothing on stderr"
expect_eq "$(wc -l <"$WORK/watch.out")" 4 "one line per change"

"$HCL" kv watch "$p/w" --format json --wait 2s >"$WORK/watch.json" 2>"$WORK/watch.err" &
watch_pid=$!
defer "kill $watch_pid"
sleep 0.5
"$HCL" kv put "$p/w" @"$WORK/small.bin"
wait_for "$WORK/watch.json" value_base64 && pass "watch --format json prints a JSON line" || fail "watch --format json prints a JSON line" "$(cat "$WORK/watch.json" "$WORK/watch.err")"
sleep 2.5  # one blocking query times out with nothing new: no line for it
"$HCL" kv put "$p/w" "text again"
wait_for "$WORK/watch.json" '"value":"text again"' && pass "and one for the next change" || fail "and one for the next change" "$(cat "$WORK/watch.json")"
kill -INT "$watch_pid"
wait "$watch_pid"
expect_eq "$?" 0 "Ctrl-C ends the JSON watch with exit status 0"
expect_eq "$(jq -s 'length' "$WORK/watch.json")" 2 "one JSON object per change"
expect_eq "$(jq -rs '.[0].value_base64' "$WORK/watch.json" | base64 -d | cmp - "$WORK/small.bin" && echo same)" same "the binary value is intact"

# --- clean up --------------------------------------------------------------------------------
hcl kv rm "$p/" --recurse
expect_rc 0 "removing the test's keys"
expect_eq "$(kv_status "$p/?keys")" 404 "none is left"

finish
