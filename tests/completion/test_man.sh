#!/usr/bin/env bash
# hcl(1): groff renders it without warnings, `man -l` shows it, and it describes every command and
# every flag that `hcl ... --help` lists (read here from the help texts, not from the generator).
set -uo pipefail
HCL_BIN=${HCL_BIN:?HCL_BIN must point at the built hcl binary}
SRC=${HCL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
page=$SRC/docs/hcl.1
failures=0 checks=0
pass() { checks=$((checks + 1)); printf 'ok   %s\n' "$1"; }
fail() {
  checks=$((checks + 1)) failures=$((failures + 1))
  printf 'FAIL %s\n' "$1"
  [ -n "${2:-}" ] && printf '%s\n' "$2" | head -20 | sed 's/^/     | /'
  return 0
}

warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
if [ -z "$warnings" ]; then pass "groff renders docs/hcl.1 without warnings"; else fail "groff warns about docs/hcl.1" "$warnings"; fi
shown=$(MANWIDTH=100 man -l "$page" 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q '^NAME' <<<"$shown" && grep -q 'EXIT STATUS' <<<"$shown"; then
  pass "man -l shows the page"
else
  fail "man -l docs/hcl.1 (exit $rc)" "$shown"
fi
for section in SYNOPSIS DESCRIPTION "GLOBAL OPTIONS" COMMANDS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES; do
  if grep -q "^$section" <<<"$shown"; then pass "section $section"; else fail "no section $section"; fi
done

# The page as plain text on long lines, without hyphenation, to look words up.
text=$(groff -man -Tutf8 -rLL=400n -rHY=0 -P-cbou "$page" 2>/dev/null)

# Every command path and its flags, from the help texts.
commands_of() { # PATH...: the subcommands `hcl PATH --help` lists
  "$HCL_BIN" "$@" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { sub(/,$/, "", $1); print $1; next } on && !/^  / { on = 0 }'
}
flags_of() { # PATH...: the long and short flags `hcl PATH --help` lists
  "$HCL_BIN" "$@" --help | grep -E '^ +-' | grep -oE '(^|[ ,])-{1,2}[a-zA-Z][a-zA-Z0-9-]*' | tr -d ' ,' | sort -u
}
visit() { # PATH...
  local sub flag
  if [ $# -gt 0 ]; then
    if grep -qF "hcl $*" <<<"$text"; then pass "the page has 'hcl $*'"; else fail "the page lacks 'hcl $*'"; fi
  fi
  for flag in $(flags_of "$@"); do
    if grep -qE -- "(^|[ ,])$flag([ ,]|\$)" <<<"$text"; then pass "hcl $* $flag is described"
    else fail "the page lacks hcl $* $flag"; fi
  done
  [ $# -lt 3 ] || return
  for sub in $(commands_of "$@"); do visit "$@" "$sub"; done
}
visit
[ "$(commands_of | wc -l)" -ge 14 ] && pass "the help lists the commands" || fail "the help lists too few commands" "$(commands_of)"

printf '%s: %d checks, %d failed\n' "$(basename "$0" .sh)" "$checks" "$failures"
[ "$checks" -gt 0 ] && [ "$failures" -eq 0 ]
