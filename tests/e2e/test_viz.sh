#!/usr/bin/env bash
# hcl viz against the lab, with the HAProxy load-balancing demo: --once shows each task under the
# node the engine says it runs on (HAProxy on master, the web servers on node1/node2), within the
# width asked for; the live picture follows a scale and ends with Ctrl-C; --svg writes XML that
# names every node and service and that chromium renders.
source "$(dirname "$0")/lib.sh"
require_lab

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
P=viztest
cleanup_project() { "$HCL" down -p "$P" >/dev/null 2>&1; }
defer cleanup_project
cleanup_project

# "NODE TASK" for each task of the project meant to run, sorted, as the engine reports them.
engine_placement() {
  local nodes services running
  nodes=$(engine /nodes | jq -c 'map({(.ID): .Description.Hostname}) | add')
  services=$(engine /services | jq -c 'map({(.ID): .Spec.Name}) | add')
  running=$(printf '{"desired-state":["running"]}' | jq -sRr @uri)
  engine "/tasks?filters=$running" | jq -r --argjson n "$nodes" --argjson s "$services" --arg p "${P}_" \
    '.[] | select(($s[.ServiceID] // "") | startswith($p)) | "\($n[.NodeID]) \($s[.ServiceID]).\(.Slot)"' | sort
}
# The same from the side-by-side text of `hcl viz --once` in $out: the first line names the
# columns (split at '│'), rows 6 on hold the tasks, up to the first empty line.
viz_placement() {
  awk -F'│' 'NR == 1 { for (i = 1; i <= NF; i++) { n[i] = $i; gsub(/^ +| +$/, "", n[i]) } next }
             NR <= 5 { next }
             /^$/ { exit }
             { for (i = 1; i <= NF; i++) { t = $i; gsub(/^ +| +$/, "", t); sub(/ \(.*\)$/, "", t); if (t != "") print n[i], t } }' \
    <<<"$out" | grep " ${P}_" | sort
}
widest() { LC_ALL=C.UTF-8 wc -L <<<"$out"; }

hcl deploy "$ROOT/examples/loadbalancing.yml" -p "$P" --wait --timeout 90s
expect_rc 0 "hcl deploy examples/loadbalancing.yml -p $P --wait"

# --- the picture once -----------------------------------------------------------------------------
hcl viz --once --width 200
expect_rc 0 "hcl viz --once"
want=$(engine_placement)
got=$(viz_placement)
if [ -n "$want" ] && [ "$got" = "$want" ]; then
  pass "every task of the project is under the node the engine says it runs on"
else
  fail "every task of the project is under the node the engine says it runs on" "engine:
$want
viz:
$got
$(context)"
fi
expect_eq "$(grep " ${P}_haproxy\." <<<"$got" | cut -d' ' -f1 | sort -u | paste -sd,)" master "HAProxy's task is under master"
expect_eq "$(grep -c " ${P}_demo-hostname\." <<<"$got")" 3 "three web servers are shown"
expect_eq "$(grep " ${P}_demo-hostname\." <<<"$got" | cut -d' ' -f1 | grep -cvE '^node[12]$')" 0 "the web servers only under node1 and node2"
expect_out "${P}_demo-hostname 3/3" "the services with running/meant-to-run counts"
expect_out "${P}_haproxy 1/1" "HAProxy's count"
expect_le "$(widest)" 200 "no line wider than --width 200"
if grep -q $'\x1b' <<<"$out"; then fail "no escape codes into a pipe" "$(context)"; else pass "no escape codes into a pipe"; fi

for w in 20 40 80; do
  hcl viz --once --width "$w"
  expect_rc 0 "hcl viz --once --width $w"
  expect_le "$(widest)" "$w" "no line wider than $w"
  for n in master node1 node2; do
    expect_out "(^|│ )${n}" "--width $w: node $n is named"
  done
done
COLUMNS=33 hcl viz --once
expect_le "$(widest)" 33 "\$COLUMNS gives the width when stdout is no terminal"
hcl viz --width 0
expect_rc 2 "--width 0 is a usage error"
expect_err "--width" "and says which flag"

# --- live: follows a scale, ends with Ctrl-C ------------------------------------------------------
"$HCL" viz --width 200 >"$WORK/live" 2>"$WORK/live.err" &
live=$!
defer "kill $live"
if wait_for "$WORK/live" "${P}_demo-hostname 3/3" 20; then pass "the live picture shows the demo"; else fail "the live picture shows the demo" "$(cat "$WORK/live" "$WORK/live.err")"; fi
hcl scale demo-hostname=4 -p "$P"
expect_rc 0 "scale the web servers to 4 while viz runs"
if wait_for "$WORK/live" "${P}_demo-hostname 4/4" 30; then pass "the live picture follows the scale"; else fail "the live picture follows the scale" "$(cat "$WORK/live" "$WORK/live.err")"; fi
kill -INT "$live"
wait "$live"
expect_eq "$?" 0 "Ctrl-C ends the live picture with exit 0"

# --- live on a terminal (tmux): coloured, drawn in place, ended by Ctrl-C -----------------------------
T="tmux -L hcl-viz-$$ -f /dev/null"
defer "$T kill-server"
$T new-session -d -s viz -x 70 -y 30 "env -u NO_COLOR TERM=xterm-256color bash --norc --noprofile"
$T send-keys -t viz -l "'$HCL' viz; echo viz-exit=\$?"
$T send-keys -t viz Enter
screen() { $T capture-pane -p -e -t viz; }
drawn=0
for _ in $(seq 100); do
  scr=$(screen)
  grep -q "Ctrl-C ends" <<<"$scr" && grep -q "${P}_haproxy 1/1" <<<"$scr" && { drawn=1; break; }
  sleep 0.2
done
expect_eq "$drawn" 1 "on a terminal the live picture is drawn, with a title"
if grep -qF $'\e[' <<<"$scr"; then pass "on a terminal it is coloured"; else fail "on a terminal it is coloured" "$scr"; fi
sleep 2.5  # a redraw a second: a few more pictures
if [ "$($T capture-pane -p -t viz | grep -c 'Ctrl-C ends')" -eq 1 ]; then pass "redrawn in place (one title on the screen)"; else fail "redrawn in place" "$($T capture-pane -p -t viz)"; fi
$T send-keys -t viz C-c
ended=0
for _ in $(seq 50); do
  $T capture-pane -p -t viz | grep -q 'viz-exit=0' && { ended=1; break; }  # after the tty's echoed ^C
  sleep 0.2
done
if [ "$ended" = 1 ]; then pass "Ctrl-C ends it with exit 0 on a terminal too"; else fail "Ctrl-C ends it with exit 0 on a terminal too" "$($T capture-pane -p -t viz)"; fi

# --- SVG ------------------------------------------------------------------------------------------
svg=$WORK/cluster.svg
hcl viz --svg "$svg"
expect_rc 0 "hcl viz --svg FILE"
if xmllint --noout "$svg" 2>"$WORK/xmllint.err"; then pass "the SVG parses as XML"; else fail "the SVG parses as XML" "$(cat "$WORK/xmllint.err")"; fi
expect_eq "$(xmllint --xpath 'name(/*)' "$svg" 2>&1)" svg "its root element is <svg>"
for n in $(engine /nodes | jq -r '.[].Description.Hostname'); do
  if grep -Fq "<title>$n</title>" "$svg"; then pass "the SVG names node $n"; else fail "the SVG names node $n"; fi
done
for s in $(engine /services | jq -r '.[].Spec.Name'); do
  if grep -Fq "<title>$s " "$svg"; then pass "the SVG names service $s"; else fail "the SVG names service $s"; fi
done
for t in $(engine_placement | cut -d' ' -f2); do
  if grep -Fq "<title>$t</title>" "$svg"; then pass "the SVG shows task $t"; else fail "the SVG shows task $t"; fi
done
hcl viz --svg /nonexistent/dir/x.svg
expect_rc 1 "an SVG file that cannot be written"
expect_err "/nonexistent/dir/x.svg" "names the file"

# chromium renders it headless; a blank SVG gives the size of an empty screenshot to compare with.
shot() { # shot SVG PNG: chromium's exit status
  timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$WORK/chromium" \
    --screenshot="$2" --window-size=1200,800 "file://$1" >"$WORK/chromium.log" 2>&1
}
printf '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>\n' >"$WORK/blank.svg"
shot "$WORK/blank.svg" "$WORK/blank.png"
shot "$svg" "$WORK/cluster.png"
expect_eq "$?" 0 "chromium renders the SVG (exit 0)"
if [ -s "$WORK/cluster.png" ] && [ "$(head -c 8 "$WORK/cluster.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
  pass "chromium wrote a PNG"
else
  fail "chromium wrote a PNG" "$(tail -5 "$WORK/chromium.log")"
fi
blank=$(stat -c %s "$WORK/blank.png" 2>/dev/null || echo 0)
size=$(stat -c %s "$WORK/cluster.png" 2>/dev/null || echo 0)
if [ "$blank" -gt 0 ] && [ "$size" -gt $((blank * 2)) ]; then
  pass "the screenshot is not blank ($size bytes; an empty page: $blank)"
else
  fail "the screenshot is not blank ($size bytes; an empty page: $blank)"
fi

finish
