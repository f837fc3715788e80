#!/usr/bin/env bash
# Completion of live names in the real shells against the lab: a project, its service and
# network made here are offered by bash, zsh and fish where a service, network, node or project
# goes. (tests/completion/test_completion_shells.sh checks the static words and the fallback
# with no cluster.)
source "$(dirname "$0")/lib.sh"
require_lab
COMPLETIONS=$(cd "$(dirname "$0")/../../completions" && pwd)
source "$(dirname "$0")/../completion/shells.sh"
defer shells_cleanup

project=hcle2ecompl
svc=${project}_web
net=${project}_back
cat >"$WORK/stack.yml" <<YAML
name: $project
services:
  web:
    image: hcl-lab/hostname-web
    networks: [back]
    deploy:
      replicas: 1
      placement:
        constraints: [node.role == worker]
networks:
  back: {}
YAML
defer "'$HCL' down -p $project"
hcl deploy "$WORK/stack.yml"
expect_rc 0 "deploy a project with one service and one network"

# The helper the scripts call, against the engine's own answers.
hcl __complete services
expect_out "^$svc\$" "hcl __complete services lists the service"
expect_eq "$(sort <<<"$out" | tr '\n' ' ')" "$(engine /services | jq -r '.[].Spec.Name' | sort | tr '\n' ' ')" "exactly the engine's services"
hcl __complete networks
expect_eq "$(sort <<<"$out" | tr '\n' ' ')" "$(engine /networks | jq -r '.[].Name' | sort -u | tr '\n' ' ')" "exactly the engine's networks"
hcl __complete nodes
expect_eq "$(tr '\n' ' ' <<<"$out")" "master node1 node2 " "the lab's nodes"
hcl __complete projects
expect_out "^$project\$" "the project"

for sh in bash fish; do
  expect_complete $sh "hcl logs " "service names for hcl logs" "$svc"
  expect_only $sh "hcl rm ${project}_w" "a service name from its prefix for hcl rm" "$svc"
  expect_only $sh "hcl net rm ${project}_b" "network names for hcl net rm" "$net"
  expect_complete $sh "hcl run --net " "network names for --net" "$net"
  expect_complete $sh "hcl ps --node " "node names for --node" master node1 node2
  expect_complete $sh "hcl ps -p " "project names for -p" "$project"
  expect_only $sh "hcl down --project hcle2ec" "project names for --project" "$project"
  expect_complete $sh "hcl ps " "service names for ps" "$svc"
done
expect_only bash "hcl scale ${project}_" "SERVICE= for hcl scale" "$svc="
expect_only fish "hcl scale ${project}_" "SERVICE= for hcl scale" "$svc="
expect_only bash "hcl run --constraint node.hostname==node" "node names in constraints (after ==)" node1 node2
expect_only fish "hcl run --constraint node.hostname==node" "node names in constraints" node.hostname==node1 node.hostname==node2
expect_only bash "hcl run -e constraint:node==node" "the classic constraint:node==NODE for -e (after ==)" node1 node2
expect_only fish "hcl run -e constraint:node==node" "the classic constraint:node==NODE for -e" constraint:node==node1 constraint:node==node2
expect_only fish "hcl run -e FOO=" "other environment entries: nothing offered"
# Endpoint flags typed on the line reach the helper: an engine that refuses gives no names.
expect_only bash "hcl -H tcp://127.0.0.1:1 logs ${project}" "-H on the line is used for the live names"

if zsh_start; then
  zsh_expect "hcl logs ${project}_" "^% hcl logs ${svc} \$" "a service name for hcl logs"
  zsh_expect "hcl net rm ${project}_" "^% hcl net rm ${net} \$" "a network name for hcl net rm"
  zsh_expect "hcl ps --node " "master +node1 +node2" "node names for --node"
  zsh_expect "hcl down -p hcle2ec" "^% hcl down -p ${project} \$" "a project name for -p"
  zsh_expect "hcl scale ${project}_" "^% hcl scale ${svc}=\$" "SERVICE= for hcl scale"
  zsh_expect "hcl run -e constraint:node==mas" "^% hcl run -e constraint:node==master \$" "constraint:node==NODE for -e"

  # Colours: on a terminal, and never with NO_COLOR or into a pipe (the same tmux terminal).
  screen_after() { # COMMAND: runs it in the terminal, prints the screen with its escape codes
    zsh_clear
    $SH_TMUX send-keys -t zsh -l "$1; echo cmd-done"
    $SH_TMUX send-keys -t zsh Enter
    zsh_wait '^cmd-done' && $SH_TMUX capture-pane -p -e -t zsh
  }
  esc=$'\e['
  scr=$(screen_after "hcl nodes")
  if grep -q 'master' <<<"$scr" && grep -qF "${esc}32m" <<<"$scr"; then pass "hcl nodes on a terminal is coloured"
  else fail "hcl nodes on a terminal: no colour" "$scr"; fi
  scr=$(screen_after "NO_COLOR=1 hcl nodes")
  if grep -q 'node1' <<<"$scr" && ! grep -qF "${esc}32m" <<<"$scr"; then pass "NO_COLOR=1: no colour"
  else fail "NO_COLOR=1 hcl nodes is coloured" "$scr"; fi
  scr=$(screen_after "hcl nodes | cat")
  if grep -q 'node1' <<<"$scr" && ! grep -qF "${esc}32m" <<<"$scr"; then pass "into a pipe: no colour"
  else fail "hcl nodes | cat is coloured" "$scr"; fi
else
  fail "zsh starts in tmux"
fi
finish
