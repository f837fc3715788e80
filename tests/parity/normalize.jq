# What the parity harness compares of one stack, read from the engine: its services' specs,
# networks, secrets and configs, keyed by the name the compose file gives each, with what
# differs between two deploys of the same file by nature taken out (see README.md,
# "Normalisation"). Input: {"project": P, "services": [...], "networks": [...] (all of the
# engine's), "secrets": [...], "configs": [...]} as GET /services, /networks, /secrets and
# /configs give them; secrets, configs and services filtered by the stack's label. Services are
# keyed by their name in the file ("vote"), the rest as "network:NAME", "secret:NAME", "config:NAME".

# Every string, and every object key, with the project's name replaced by STACK.
def unproject($p):
  walk(if type == "string" then gsub($p; "STACK")
       elif type == "object" then with_entries(.key |= gsub($p; "STACK"))
       else . end);

# Labels without the tools' own bookkeeping (com.hcl.*: hcl's record of the manifest key,
# the content digest of a secret or config).
def own_labels: if type == "object" then with_entries(select(.key | startswith("com.hcl.") | not)) else . end;

.project as $p
| ([.networks[] | {key: .Id, value: .Name}] | from_entries) as $net_names
| (
    [ .services[]
      | .Spec
      | .Labels |= own_labels
      | if .TaskTemplate.ContainerSpec.Labels then .TaskTemplate.ContainerSpec.Labels |= own_labels else . end
      | if .TaskTemplate.ContainerSpec.Mounts then
          .TaskTemplate.ContainerSpec.Mounts |= map(if .VolumeOptions.Labels then .VolumeOptions.Labels |= own_labels else . end)
        else . end
      # The engine answers with network IDs; each stack has networks of its own.
      | if .TaskTemplate.Networks then
          .TaskTemplate.Networks |= map(.Target |= ($net_names[.] // .))
        else . end
      | if .TaskTemplate.ContainerSpec.Secrets then
          .TaskTemplate.ContainerSpec.Secrets |= map(.SecretID = "ID")
        else . end
      | if .TaskTemplate.ContainerSpec.Configs then
          .TaskTemplate.ContainerSpec.Configs |= map(.ConfigID = "ID")
        else . end
      | {key: (.Name | ltrimstr($p + "_")), value: .}
    ]
    + [ .networks[]
        | select(.Labels["com.docker.stack.namespace"] == $p)
        | del(.Id, .Created, .Containers, .Peers, .Services, .Status)
        | .Labels |= own_labels
        # The driver's own record of the VXLAN it picked for this network.
        | if .Options then .Options |= with_entries(select(.key != "com.docker.network.driver.overlay.vxlanid_list")) else . end
        # Subnets the engine allocated: each network has another one.
        | if .IPAM.Config then
            .IPAM.Config |= map(with_entries(if (.key == "Subnet" or .key == "Gateway" or .key == "IPRange") then .value = "ALLOCATED" else . end))
          else . end
        | {key: ("network:" + .Name), value: .}
      ]
    + [ .secrets[] | .Spec | .Labels |= own_labels | {key: ("secret:" + .Name), value: .} ]
    + [ .configs[] | .Spec | .Labels |= own_labels | {key: ("config:" + .Name), value: .} ]
  )
| from_entries
| unproject($p)
