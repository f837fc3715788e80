#!/usr/bin/env bash
# The parity harness: does `hcl deploy` make of a compose file the services `docker stack deploy`
# makes of it? And do the classic (format 1 and 2) files run where they ask to? See README.md.
#
#   run_parity.sh [FILE...]       FILE: names under corpus/ (voting.yml, classic/links.yml);
#                                 default: every corpus/*.yml and corpus/classic/*.yml
#
# Environment: HCL_BIN (the hcl binary) and HCL_LAB (tests/lab/lab), as for the e2e tests; the
# lab must be up, with a master that accepts hcl's API version. PARITY_JOBS (default 4) deploys
# and removes that many stacks at once. PARITY_REPORT=FILE also writes every difference there as
# JSON lines; PARITY_KEEP_WORK=1 keeps the scratch directory (each tool's output, each stack's
# normalised specs). Exit 0 when every difference is a known one (known-differences.txt) and every
# classic file ran where it asked; 1 otherwise.
set -uo pipefail

HCL=${HCL_BIN:?HCL_BIN must point at the built hcl binary}
LAB=${HCL_LAB:?HCL_LAB must point at tests/lab/lab}
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=$HERE/corpus
KNOWN=$HERE/known-differences.txt
JOBS=${PARITY_JOBS:-4}
ENGINE=http://master:2378
export DOCKER_HOST=tcp://master:2378 NO_COLOR=1
# Variables the corpus reads from the environment: the same for both tools. One must be unset.
unset PARITY_UNSET_VARIABLE
WORK=$(mktemp -d /tmp/hcl-parity.XXXXXX)
T0=$SECONDS

# Resources the corpus declares as external (traefik.yml, functions.yml): made here, removed at
# the end.
EXT_NETWORK=parity-external-public
EXT_SECRET=parity-external-token
EXT_CONFIG=parity-external-alerting

say() { printf '[%3ds] %s\n' $((SECONDS - T0)) "$*"; }
dk() { timeout 120 "$LAB" docker master "$@"; }
api_get() { curl -sf --max-time 20 "$ENGINE/v$API$1"; }
# GET a list filtered by the stack's label.
by_label() {
  curl -sf --max-time 20 -G "$ENGINE/v$API/$1" \
    --data-urlencode "filters={\"label\":[\"com.docker.stack.namespace=$2\"]}"
}

CLEAN=0
on_exit() {
  local rc=$?
  # Whatever a failed or interrupted run left behind.
  if ((CLEAN == 0)); then
    remove_stacks >/dev/null 2>&1
    remove_external >/dev/null 2>&1
  fi
  if [[ ${PARITY_KEEP_WORK:-0} == 1 ]]; then echo "run_parity.sh: logs and specs kept in $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# --- the files -----------------------------------------------------------------------------------

files=()
if (($#)); then
  for f in "$@"; do
    [[ -f $CORPUS/$f ]] || { echo "run_parity.sh: no corpus file $f" >&2; exit 2; }
    files+=("$f")
  done
else
  for f in "$CORPUS"/*.yml "$CORPUS"/classic/*.yml; do files+=("${f#"$CORPUS"/}"); done
fi
parity=() classic=()
for f in "${files[@]}"; do
  if [[ $f == classic/* ]]; then classic+=("$f"); else parity+=("$f"); fi
done
# A file's stack names: d<name> (docker stack deploy), h<name> (hcl), c<name> (classic, hcl).
name_of() { local b=${1##*/}; b=${b%.yml}; echo "${b//[^a-z0-9-]/-}"; }

# --- parallel runs ---------------------------------------------------------------------------------

# run_all FUNCTION ARG...: FUNCTION ARG for every ARG, at most $JOBS at once; waits for all.
run_all() {
  local fn=$1 running=0; shift
  for a in "$@"; do
    "$fn" "$a" &
    running=$((running + 1))
    if ((running >= JOBS)); then wait -n; running=$((running - 1)); fi
  done
  wait
}

# --- the engine ------------------------------------------------------------------------------------

API=$(curl -sf --max-time 10 "$ENGINE/version" | jq -r .ApiVersion) || API=""
if [[ -z $API || $API == null ]]; then
  echo "run_parity.sh: the lab's engine at $ENGINE does not answer; is the lab up? ($LAB up)" >&2
  exit 1
fi
ENGINE_VERSION=$(curl -sf --max-time 10 "$ENGINE/version" | jq -r .Version)
CLI_VERSION=$("$LAB" docker master version --format '{{.Client.Version}} (API {{.Client.APIVersion}}, to master at {{.Server.APIVersion}})' 2>/dev/null)
say "master: engine $ENGINE_VERSION, API $API; docker CLI $CLI_VERSION; $("$HCL" --version 2>/dev/null | head -n1)"

# Every stack the harness may have made, on every path out.
all_stacks() {
  local f n
  for f in "${parity[@]}"; do n=$(name_of "$f"); echo "d$n"; echo "h$n"; done
  for f in "${classic[@]}"; do n=$(name_of "$f"); echo "c$n"; done
}
remove_stacks() {
  local s
  for s in $(all_stacks); do
    case $s in
      d*) dk stack rm "$s" ;;
      *) timeout 120 "$HCL" down -p "$s" ;;
    esac
  done
}
remove_external() {
  dk network rm "$EXT_NETWORK"
  dk secret rm "$EXT_SECRET"
  dk config rm "$EXT_CONFIG"
}

# Waits until nothing labelled with one of the stacks is left on master: services, networks,
# secrets, configs. A removal that failed at first (a network whose last tasks were still
# detaching: `docker stack rm` tries once) is tried again every few seconds. Prints the
# leftovers on timeout.
wait_gone() {
  local deadline=$((SECONDS + $1)) retry=$((SECONDS + 5)) left s kind
  shift
  while :; do
    left=""
    for s in "$@"; do
      for kind in services networks secrets configs; do
        [[ $(by_label "$kind" "$s" | jq 'length') == 0 ]] || left+=" $s($kind)"
      done
    done
    [[ -z $left ]] && return 0
    ((SECONDS < deadline)) || { say "still there after the wait:$left"; return 1; }
    if ((SECONDS >= retry)); then
      retry=$((SECONDS + 5))
      for s in "$@"; do
        [[ $left == *" $s("* ]] || continue
        case $s in
          d*) by_label networks "$s" | jq -r '.[].Name' | while read -r net; do dk network rm "$net"; done
              dk stack rm "$s" ;;
          *) timeout 60 "$HCL" down -p "$s" ;;
        esac >>"$WORK/retries.log" 2>&1
      done
    fi
    sleep 0.5
  done
}

# Leftovers of an earlier run that was killed: removed first.
leftovers=()
present=$(api_get /services | jq -r '.[].Spec.Labels["com.docker.stack.namespace"] // empty' | sort -u)
present+=$'\n'$(api_get /networks | jq -r '.[].Labels["com.docker.stack.namespace"] // empty' | sort -u)
for s in $(all_stacks); do grep -qxF "$s" <<<"$present" && leftovers+=("$s"); done
if ((${#leftovers[@]})); then
  say "removing what an earlier run left: ${leftovers[*]}"
  for s in "${leftovers[@]}"; do
    case $s in d*) dk stack rm "$s" >/dev/null 2>&1 ;; *) "$HCL" down -p "$s" >/dev/null 2>&1 ;; esac
  done
  wait_gone 90 "${leftovers[@]}"
fi

# --- phase 1 and 2: the same files, deployed by each tool ----------------------------------------

make_external() {
  dk network inspect "$EXT_NETWORK" >/dev/null 2>&1 ||
    dk network create --driver overlay --attachable "$EXT_NETWORK" >/dev/null || return 1
  dk secret inspect "$EXT_SECRET" >/dev/null 2>&1 ||
    printf 'parity-token\n' | dk secret create "$EXT_SECRET" - >/dev/null || return 1
  dk config inspect "$EXT_CONFIG" >/dev/null 2>&1 ||
    printf 'route: {receiver: ops}\nreceivers: [{name: ops}]\n' | dk config create "$EXT_CONFIG" - >/dev/null || return 1
}

# read_stack STACK OUT: the stack as normalize.jq gives it.
read_stack() {
  local s=$1 out=$2 services networks secrets configs
  services=$(by_label services "$s") && networks=$(api_get /networks) &&
    secrets=$(by_label secrets "$s") && configs=$(by_label configs "$s") || return 1
  # A network created moments ago is listed before the manager has allocated it (no driver, no
  # IPAM config yet): read the list again until the stack's networks are allocated (at most 10 s),
  # so that a faster tool is not compared half-way through the manager's work.
  local _
  for _ in $(seq 50); do
    jq -e --arg p "$s" 'any(.[]; (.Labels // {})["com.docker.stack.namespace"] == $p and
      (.Driver == "" or .IPAM.Config == null))' <<<"$networks" >/dev/null || break
    sleep 0.2
    networks=$(api_get /networks) || return 1
  done
  jq -n --arg p "$s" --argjson services "$services" --argjson networks "$networks" \
    --argjson secrets "$secrets" --argjson configs "$configs" \
    '{project: $p, services: $services, networks: $networks, secrets: $secrets, configs: $configs}' |
    jq -S -f "$HERE/normalize.jq" >"$out"
}

# deploy_one TOOL FILE: deploys FILE as the tool's stack, from the file's directory (relative
# paths are the file's), and reads it back. Leaves WORK/NAME.TOOL.{log,rc,json}.
deploy_one() {
  local tool=$1 f=$2 n rc
  n=$(name_of "$f")
  local base=$WORK/$n.$tool
  (
    cd "$(dirname "$CORPUS/$f")" || exit 1
    if [[ $tool == docker ]]; then
      timeout 120 "$LAB" docker master stack deploy --resolve-image never -c "$CORPUS/$f" "d$n"
    else
      timeout 120 "$HCL" deploy "$CORPUS/$f" -p "h$n"
    fi
  ) >"$base.log" 2>&1
  rc=$?
  echo "$rc" >"$base.rc"
  local s; if [[ $tool == docker ]]; then s=d$n; else s=h$n; fi
  read_stack "$s" "$base.json" || echo '{}' >"$base.json"
}
deploy_docker() { deploy_one docker "$1"; }
deploy_hcl() { deploy_one hcl "$1"; }
remove_docker() { dk stack rm "d$(name_of "$1")" >"$WORK/$(name_of "$1").docker.rm" 2>&1; }
remove_hcl() { timeout 120 "$HCL" down -p "h$(name_of "$1")" >"$WORK/$(name_of "$1").hcl.rm" 2>&1; }

failures=()
if ((${#parity[@]})); then
  make_external || failures+=("the external network, secret and config could not be made")
  say "docker stack deploy --resolve-image never: ${#parity[@]} files"
  run_all deploy_docker "${parity[@]}"
  say "docker stack rm"
  run_all remove_docker "${parity[@]}"
  # The next phase publishes the same ports and names the same secrets: the services and
  # secrets must be gone first (networks may linger, they have other names).
  ds=(); for f in "${parity[@]}"; do ds+=("d$(name_of "$f")"); done
  for s in "${ds[@]}"; do
    for kind in services secrets configs; do
      for _ in $(seq 100); do [[ $(by_label "$kind" "$s" | jq length) == 0 ]] && break; sleep 0.2; done
    done
  done
  say "hcl deploy: ${#parity[@]} files"
  run_all deploy_hcl "${parity[@]}"
  say "hcl down"
  run_all remove_hcl "${parity[@]}"
fi

# --- phase 3: classic files, run -------------------------------------------------------------------

# classic_one FILE: hcl deploy --wait from the file's directory ($PWD and ./ paths are its), then
# each task's node against the file's "# expect: SERVICE RULE" lines. WORK/NAME.classic.{log,result}.
classic_one() {
  local f=$1 n base s rule node bad="" out
  n=$(name_of "$f")
  base=$WORK/$n.classic
  (cd "$(dirname "$CORPUS/$f")" && PWD=$(pwd) timeout 180 "$HCL" deploy "$CORPUS/$f" -p "c$n" --wait --timeout 150s) >"$base.log" 2>&1
  local rc=$?
  if ((rc != 0)); then
    echo "hcl deploy --wait exited $rc" >"$base.result"
    timeout 120 "$HCL" down -p "c$n" >>"$base.log" 2>&1
    return
  fi
  out=$(timeout 60 "$HCL" ps -p "c$n" --format json 2>>"$base.log") || out='[]'
  printf '%s\n' "$out" >"$base.ps.json"
  local expected=() services
  while read -r s rule; do
    expected+=("$s")
    local running nodes
    running=$(jq --arg s "c${n}_$s" '[.[] | select(.service == $s and .state == "running")] | length' <<<"$out")
    nodes=$(jq -r --arg s "c${n}_$s" '[.[] | select(.service == $s and .state == "running") | .node] | join(" ")' <<<"$out")
    if ((running == 0)); then bad+="$s: no running task; "; continue; fi
    for node in $nodes; do
      case $rule in
        any) ;;
        node==*) [[ $node == "${rule#node==}" ]] || bad+="$s: a task on $node, not ${rule#node==}; " ;;
        node!=*) [[ $node != "${rule#node!=}" ]] || bad+="$s: a task on $node; " ;;
        *) bad+="$s: unknown rule '$rule' in the file; " ;;
      esac
    done
    echo "$s ($rule): $nodes" >>"$base.placement"
  done < <(sed -n 's/^# expect: *\([^ ]*\) *\(.*\)$/\1 \2/p' "$CORPUS/$f")
  services=$(jq -r --arg p "c${n}_" '[.[].service | ltrimstr($p)] | unique | .[]' <<<"$out")
  for s in $services; do
    [[ " ${expected[*]} " == *" $s "* ]] || bad+="$s: runs but the file has no expect line for it; "
  done
  ((${#expected[@]})) || bad+="the file has no expect lines; "
  if [[ -n $bad ]]; then echo "${bad%; }" >"$base.result"; else echo ok >"$base.result"; fi
  timeout 120 "$HCL" down -p "c$n" >>"$base.log" 2>&1 || echo "hcl down -p c$n failed" >>"$base.result"
}

if ((${#classic[@]})); then
  say "classic files: hcl deploy --wait, placement: ${#classic[@]} files"
  run_all classic_one "${classic[@]}"
fi

say "waiting until every stack's networks, secrets and configs are gone"
mapfile -t stacks < <(all_stacks)
if wait_gone 120 "${stacks[@]}"; then
  CLEAN=1
else
  failures+=("stacks left behind on the lab (see above); the removals tried again said:"$'\n'"$(sed 's/^/    /' "$WORK/retries.log" 2>/dev/null)")
fi
[[ ! -s $WORK/retries.log ]] || say "removals tried again: $(wc -l <"$WORK/retries.log") lines of output (PARITY_KEEP_WORK=1 keeps them)"
for _ in $(seq 60); do
  remove_external >/dev/null 2>&1
  dk network inspect "$EXT_NETWORK" >/dev/null 2>&1 || break
  sleep 1   # its last tasks are still detaching
done

# --- the comparison --------------------------------------------------------------------------------

# Known differences: FILE OBJECT PATH REASON... (# comments, blank lines); an OBJECT or PATH
# ending in "*" is a prefix.
known_json=$(
  sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$KNOWN" 2>/dev/null |
    while read -r kf ko kp kr; do jq -nc --arg f "$kf" --arg o "$ko" --arg p "$kp" --arg r "$kr" '{file: $f, object: $o, path: $p, reason: $r}'; done |
    jq -s .
)
[[ -n $known_json ]] || known_json='[]'

report=$WORK/report.jsonl
: >"$report"
table=()
unknown_total=0
compared=()
for f in "${parity[@]}"; do
  n=$(name_of "$f")
  d=$WORK/$n.docker h=$WORK/$n.hcl
  services=$(jq -s '[.[] | keys[] | select(contains(":") | not)] | unique | length' "$d.json" "$h.json" 2>/dev/null || echo 0)
  status=ok
  if [[ $(cat "$d.rc") != 0 ]]; then
    status="docker stack deploy failed"; failures+=("$f: docker stack deploy exited $(cat "$d.rc"):"$'\n'"$(sed 's/^/    /' "$d.log")")
  fi
  if [[ $(cat "$h.rc") != 0 ]]; then
    status="hcl deploy failed"; failures+=("$f: hcl deploy exited $(cat "$h.rc"):"$'\n'"$(sed 's/^/    /' "$h.log")")
  fi
  if [[ $status != ok ]]; then  # nothing to compare
    table+=("$(printf '%-28s %8s   %5s / %-7s  %s' "$f" "$services" - - "$status")")
    continue
  fi
  compared+=("$f")
  jq -nc -f "$HERE/diff.jq" --arg file "$f" --argjson known "$known_json" \
    --slurpfile d "$d.json" --slurpfile h "$h.json" >"$WORK/$n.diff.jsonl" 2>"$WORK/$n.diff.err" ||
    failures+=("$f: the comparison failed: $(cat "$WORK/$n.diff.err")")
  cat "$WORK/$n.diff.jsonl" >>"$report"
  k=$(jq -s '[.[] | select(.known != null)] | length' "$WORK/$n.diff.jsonl")
  u=$(jq -s '[.[] | select(.known == null)] | length' "$WORK/$n.diff.jsonl")
  unknown_total=$((unknown_total + u))
  ((u == 0)) || status="unknown differences"
  table+=("$(printf '%-28s %8s   %5s / %-7s  %s' "$f" "$services" "$k" "$u" "$status")")
done
for f in "${classic[@]}"; do
  n=$(name_of "$f")
  result=$(cat "$WORK/$n.classic.result" 2>/dev/null || echo "no result")
  services=$(jq '[.[].service] | unique | length' "$WORK/$n.classic.ps.json" 2>/dev/null || echo -)
  if [[ $result != ok ]]; then
    failures+=("$f: $result"$'\n'"$(sed 's/^/    /' "$WORK/$n.classic.log")")
    status="FAILED: $result"
  else
    status="ran where asked: $(paste -sd';' "$WORK/$n.classic.placement" | sed 's/;/; /g')"
  fi
  table+=("$(printf '%-28s %8s   %-15s  %s' "$f" "$services" "(runs)" "$status")")
done

# --- the report -------------------------------------------------------------------------------------

if ((unknown_total > 0)); then
  echo
  echo "=== differences not in known-differences.txt (docker stack deploy's side, then hcl's) ==="
  jq -r 'select(.known == null)
    | "\n\(.file)  \(.object)  \(.path)\n  docker stack deploy: \(if .docker_absent then "(absent)" else (.docker | tojson) end)\n  hcl deploy:          \(if .hcl_absent then "(absent)" else (.hcl | tojson) end)"' "$report"
  echo
  echo "=== the same, as a diff of each object with differences (- docker stack deploy, + hcl) ==="
  for f in "${compared[@]}"; do
    n=$(name_of "$f")
    for o in $(jq -r 'select(.known == null) | .object' "$WORK/$n.diff.jsonl" | sort -u); do
      echo "--- $f: $o"
      diff -u --label "docker stack deploy" --label "hcl deploy" \
        <(jq -S --arg o "$o" '.[$o] // "(absent)"' "$WORK/$n.docker.json") \
        <(jq -S --arg o "$o" '.[$o] // "(absent)"' "$WORK/$n.hcl.json") | tail -n +3
    done
  done
fi
if jq -e 'select(.known != null)' "$report" >/dev/null 2>&1; then
  echo
  echo "=== known differences seen ==="
  jq -r 'select(.known != null) | "\(.file)  \(.object)  \(.path): \(.known)"' "$report"
fi
stale=$(jq -r --slurpfile seen <(jq -s . "$report") '.[] | . as $k
  | select([$seen[0][] | .path as $p | .object as $o | select(.file == $k.file
      and (if ($k.object | endswith("*")) then ($o | startswith($k.object | rtrimstr("*"))) else $o == $k.object end)
      and (if ($k.path | endswith("*")) then ($p | startswith($k.path | rtrimstr("*"))) else $p == $k.path end))] | length == 0)
  | select(any($ARGS.positional[]; . == $k.file))
  | "\(.file) \(.object) \(.path)"' --args "${compared[@]}" <<<"$known_json")
if [[ -n $stale ]]; then
  echo
  echo "=== known differences no longer seen (remove them from known-differences.txt) ==="
  echo "$stale"
fi
if ((${#failures[@]})); then
  echo
  echo "=== failures ==="
  printf '%s\n' "${failures[@]}"
fi
[[ -z ${PARITY_REPORT:-} ]] || cp "$report" "$PARITY_REPORT"

echo
printf '%-28s %8s   %-15s  %s\n' FILE SERVICES "KNOWN / UNKNOWN" RESULT
printf '%s\n' "${table[@]}"
say "done"
((unknown_total == 0 && ${#failures[@]} == 0))
