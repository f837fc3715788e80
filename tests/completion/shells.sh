# Drives the real shells' completion of hcl: bash (with bash-completion) through its completion
# function, fish through `complete -C`, zsh interactively in tmux. Sourced by the completion
# tests; needs HCL_BIN and COMPLETIONS (the directory of hcl.bash, _hcl and hcl.fish), and the
# pass/fail helpers of tests/e2e/lib.sh or an equivalent.
#
# Each shell starts from a clean environment with only `hcl` (-> HCL_BIN) on PATH, so the
# scripts run exactly as a user's shell would run them. CLUSTER_ENV holds extra VAR=VALUE words
# for that environment (e.g. DOCKER_HOST=tcp://127.0.0.1:1).

CLUSTER_ENV=${CLUSTER_ENV:-}
SH_DIR=$(mktemp -d /tmp/hcl-complete.XXXXXX)
mkdir -p "$SH_DIR/bin" "$SH_DIR/home"
ln -s "$HCL_BIN" "$SH_DIR/bin/hcl"
SH_TMUX="tmux -L hcl-complete-$$ -f /dev/null"

shells_cleanup() {
  $SH_TMUX kill-server >/dev/null 2>&1
  rm -rf "$SH_DIR"
}

clean_env() {
  # shellcheck disable=SC2086 # CLUSTER_ENV is a list of words
  env -i PATH="$SH_DIR/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME="$SH_DIR/home" TERM=xterm LANG=C.UTF-8 $CLUSTER_ENV "$@"
}

# bash_complete LINE: the candidates bash offers at the end of LINE, one per line. COMP_WORDS is
# split as readline splits it (= and : are words of their own, as COMP_WORDBREAKS says).
bash_complete() {
  clean_env timeout 30 bash --norc --noprofile -c '
    set -f
    source /usr/share/bash-completion/bash_completion || exit 90
    source "$1" || exit 91
    COMP_LINE=$2 COMP_POINT=${#2} COMP_TYPE=9 COMP_KEY=9
    COMP_WORDS=()
    for w in $COMP_LINE; do
      while [[ -n $w ]]; do
        [[ $w =~ ^[=:]+ ]] || [[ $w =~ ^[^=:]+ ]]
        COMP_WORDS+=("${BASH_REMATCH[0]}")
        w=${w:${#BASH_REMATCH[0]}}
      done
    done
    [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _hcl hcl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETIONS/hcl.bash" "$1"
}

# fish_complete LINE: the candidates fish offers at the end of LINE (without descriptions).
fish_complete() {
  clean_env timeout 30 fish --no-config -c 'source $argv[1]; and complete -C $argv[2]' "$COMPLETIONS/hcl.fish" "$1" | cut -f1
}

# An interactive zsh in tmux, with compinit over the directory of _hcl.
zsh_marks=0
zsh_start() {
  local cmd
  cmd=$(printf '%q ' env -i PATH="$SH_DIR/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME="$SH_DIR/home" TERM=xterm LANG=C.UTF-8 \
    $CLUSTER_ENV zsh -f)
  $SH_TMUX new-session -d -s zsh -x 200 -y 50 "$cmd" || return 1
  # One line, waited for: a Ctrl-C while compinit runs would leave completion half set up.
  $SH_TMUX send-keys -t zsh -l "PS1='%% '; fpath=($COMPLETIONS \$fpath); autoload -Uz compinit; compinit -u -D; clear; echo zsh-ready"
  $SH_TMUX send-keys -t zsh Enter
  zsh_wait '^zsh-ready$'
}

zsh_screen() { $SH_TMUX capture-pane -p -N -t zsh; }  # -N: keep the space after a completed word

# Waits until the screen matches REGEX (up to 20 s); true when it did.
zsh_wait() {
  local i
  for ((i = 0; i < 100; i++)); do
    zsh_screen | grep -Eq -- "$1" && return 0
    sleep 0.2
  done
  return 1
}

# Empties the line and the screen, and waits until zsh has done it.
zsh_clear() {
  zsh_marks=$((zsh_marks + 1))
  $SH_TMUX send-keys -t zsh C-c
  $SH_TMUX send-keys -t zsh -l "clear; echo mark-$zsh_marks-done"
  $SH_TMUX send-keys -t zsh Enter
  zsh_wait "^mark-$zsh_marks-done\$"
}

# zsh_expect LINE REGEX DESCRIPTION: types LINE, presses Tab, and checks that the screen (the
# line as completed and the list of candidates under it) comes to match REGEX.
zsh_expect() {
  zsh_clear || { fail "$3: zsh did not come back to its prompt" "$(zsh_screen)"; return; }
  $SH_TMUX send-keys -t zsh -l "$1"
  $SH_TMUX send-keys -t zsh Tab
  if zsh_wait "$2"; then pass "zsh: $3"; else fail "zsh: $3: the screen does not match /$2/" "$(zsh_screen)"; fi
}

# has WORDS WORD...: every WORD is among the lines of WORDS.
has() {
  local words=$1 w
  shift
  for w in "$@"; do grep -qxF -- "$w" <<<"$words" || return 1; done
}

# expect_complete SHELL LINE DESCRIPTION WORD...: SHELL (bash or fish) offers every WORD.
expect_complete() {
  local shell=$1 line=$2 what=$3 got
  shift 3
  got=$("${shell}_complete" "$line")
  if has "$got" "$@"; then pass "$shell: $what"; else fail "$shell: $what: wanted $* for '$line'" "$got"; fi
}

# expect_only SHELL LINE DESCRIPTION WORD...: SHELL offers exactly these WORDs (any order).
expect_only() {
  local shell=$1 line=$2 what=$3 got want
  shift 3
  got=$("${shell}_complete" "$line" | sort)
  want=$(printf '%s\n' "$@" | sort)
  [ $# -eq 0 ] && want=""
  if [ "$got" = "$want" ]; then pass "$shell: $what"; else fail "$shell: $what: wanted exactly '$*' for '$line'" "$got"; fi
}
