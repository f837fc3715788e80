#!/usr/bin/env bash
# hcl net against the lab, checked through the engine's own API.
source "$(dirname "$0")/lib.sh"
require_lab

net=hcl-e2e-demo
defer "curl -s -X DELETE http://master:2378/v$(engine_api)/networks/$net"
curl -s -X DELETE "http://master:2378/v$(engine_api)/networks/$net" >/dev/null

hcl net create "$net" --label purpose=e2e
expect_rc 0 "hcl net create $net"
id=$out
expect_eq "$(engine "/networks/$net" | jq -r '.Id')" "$id" "the printed ID is the engine's"
expect_eq "$(engine "/networks/$net" | jq -r '.Driver + " " + .Scope')" "overlay swarm" "an overlay network on the swarm"
expect_eq "$(engine "/networks/$net" | jq -r '.Attachable')" true "attachable by default"
expect_eq "$(engine "/networks/$net" | jq -r '.Labels.purpose')" e2e "labels are set"

hcl net create "$net"
expect_rc 8 "creating it again"
expect_err "network $net: already exists" "the error says it exists"
hcl net create "$net" --exist-ok
expect_rc 0 "creating it again with --exist-ok"
expect_eq "$out" "$id" "--exist-ok prints the existing ID"

hcl net ls
expect_rc 0 "hcl net ls"
expect_out "^${id:0:12} +$net +overlay +swarm +yes " "net ls shows it attachable on the swarm"
hcl net ls -q
expect_out "^$net\$" "net ls -q lists the name"
hcl net ls --format "{{.Name}} {{.Driver}} {{.Id}}"
expect_out "^$net overlay $id\$" "net ls --format TEMPLATE (the full ID)"
hcl net ls --no-trunc
expect_out "^$id +$net " "net ls --no-trunc shows the full ID"
hcl net ls --format json
expect_eq "$(jqo ".[] | select(.name == \"$net\") | .id")" "$id" "net ls JSON has the ID"

hcl net inspect "$net" --format json
expect_rc 0 "hcl net inspect --format json"
expect_eq "$(jqo '.driver + " " + (.attachable|tostring)')" "overlay true" "inspect JSON: overlay, attachable"
hcl net inspect "$net"
expect_out "^Driver: +overlay" "inspect for people shows the driver"

hcl net rm "$net"
expect_rc 0 "hcl net rm"
expect_eq "$(engine_status "/networks/$net")" 404 "the engine no longer has it"
hcl net rm "$net"
expect_rc 7 "removing it again"
expect_err "no network named $net" "the error names the network"

# A subnet and gateway reach the engine; a bad one never does.
hcl net create "$net" --subnet 10.231.7.0/24 --gateway 10.231.7.1 --no-attachable
expect_rc 0 "create with subnet and gateway"
expect_eq "$(engine "/networks/$net" | jq -r '.IPAM.Config[0].Subnet + " " + .IPAM.Config[0].Gateway + " " + (.Attachable|tostring)')" \
  "10.231.7.0/24 10.231.7.1 false" "subnet, gateway and --no-attachable reach the engine"
hcl net rm "$net"
hcl net create "$net" --subnet 10.231.7.0/24 --gateway 10.231.8.1
expect_rc 2 "a gateway outside the subnet"
expect_err "--gateway=10.231.8.1: not inside the subnet 10.231.7.0/24" "the error names the flag"
expect_eq "$(engine_status "/networks/$net")" 404 "nothing was created"

finish
