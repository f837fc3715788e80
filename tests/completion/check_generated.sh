#!/usr/bin/env bash
# The committed completion scripts and man page are exactly what the binary generates from its
# flag definitions. After changing a flag, run scripts/gen-docs and commit the result.
set -uo pipefail
HCL_BIN=${HCL_BIN:?HCL_BIN must point at the built hcl binary}
SRC=${HCL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
failures=0
check() { # FILE COMMAND...
  local file=$1 diff
  shift
  if diff=$(diff -u "$SRC/$file" <("$@") 2>&1); then
    printf 'ok   %s is what `%s` prints\n' "$file" "${*/#$HCL_BIN/hcl}"
  else
    failures=$((failures + 1))
    printf 'FAIL %s differs from `%s`: run scripts/gen-docs\n' "$file" "${*/#$HCL_BIN/hcl}"
    printf '%s\n' "$diff" | head -40 | sed 's/^/     | /'
  fi
}
check completions/hcl.bash "$HCL_BIN" completion bash
check completions/_hcl "$HCL_BIN" completion zsh
check completions/hcl.fish "$HCL_BIN" completion fish
check docs/hcl.1 "$HCL_BIN" __man
[ "$failures" -eq 0 ]
