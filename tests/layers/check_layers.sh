#!/usr/bin/env bash
# The layers of hcl's code, checked: every #include of lib/, include/hcl/ and cli/ must name a file
# of its own module or of a module in a lower layer, and no chain of includes may come back to
# where it started. The table below is the one in docs/ARCHITECTURE.md; change both together.
# Usage: check_layers.sh [REPO_DIR]. Exit 1 with one line per offending #include.
set -euo pipefail
repo=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$repo"

# module layer path-prefixes... (layer 0 is the bottom; a module sees its own files and lower layers)
modules=$(cat <<'TABLE'
base     0 include/hcl/error.hpp include/hcl/text.hpp include/hcl/files.hpp lib/error.cpp lib/text.cpp lib/files.cpp lib/fmt_once.cpp
json     1 lib/json/
yaml     1 lib/yaml/
http     1 include/hcl/http.hpp lib/http/
docker   2 include/hcl/docker.hpp lib/docker/
consul   2 include/hcl/consul.hpp include/hcl/kv.hpp lib/consul/
config   2 include/hcl/config.hpp lib/config/
swarm    3 include/hcl/swarm/ lib/swarm/
manifest 4 include/hcl/manifest.hpp lib/manifest/
ops      5 include/hcl/ops/ lib/ops/
output   6 include/hcl/output.hpp lib/output/
cli      7 cli/
TABLE
)

# module_of PATH -> "NAME LAYER", or nothing
module_of() {
  local path=$1 name layer prefixes p
  while read -r name layer prefixes; do
    for p in $prefixes; do
      if [[ $path == "$p" || ($p == */ && $path == "$p"*) ]]; then echo "$name $layer"; return; fi
    done
  done <<<"$modules"
}

status=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
while IFS= read -r file; do
  read -r from_mod from_layer <<<"$(module_of "$file")" || true
  if [[ -z ${from_mod:-} ]]; then
    echo "$file: in no module of the layer table (tests/layers/check_layers.sh)"; status=1; continue
  fi
  while IFS=: read -r line inc; do
    target=""
    if [[ $inc =~ ^\#include\ \<(hcl/[^>]+)\> ]]; then
      target="include/${BASH_REMATCH[1]}"
    elif [[ $inc =~ ^\#include\ \"([^\"]+)\" ]]; then
      target=$(realpath -m --relative-to=. "$(dirname "$file")/${BASH_REMATCH[1]}")
    else
      continue
    fi
    [[ -e $target ]] || { echo "$file:$line: includes $target, which does not exist"; status=1; continue; }
    [[ $target != "$file" ]] || { echo "$file:$line: includes itself"; status=1; continue; }
    echo "$file $target" >>"$edges"
    read -r to_mod to_layer <<<"$(module_of "$target")" || true
    if [[ -z ${to_mod:-} ]]; then
      echo "$file:$line: includes $target, which is in no module"; status=1
    elif [[ $to_mod != "$from_mod" ]] && ((to_layer >= from_layer)); then
      echo "$file:$line: $from_mod (layer $from_layer) includes $target of $to_mod (layer $to_layer): only lower layers"
      status=1
    fi
  done < <(grep -n '^#include' "$file" | sed 's/^\([0-9]*\):/\1:/')
done < <(find include/hcl lib cli -name '*.hpp' -o -name '*.cpp' | sort)

# Include cycles, file by file (tsort reports a loop as "input contains a loop").
if ! loops=$(tsort "$edges" 2>&1 >/dev/null) || [[ -n $loops ]]; then
  [[ -z $loops ]] || { echo "include cycle:"; echo "$loops" | sed 's/^tsort: .*: input contains a loop:$/  (loop)/; s/^tsort: /  /'; status=1; }
fi
((status == 0)) && echo "layers: $(grep -c . "$edges") includes checked, none runs upward or in a circle"
exit $status
