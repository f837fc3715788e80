# The differences between two normalised stacks (normalize.jq) of one corpus file ($file):
# docker stack deploy's ($d[0]) and hcl's ($h[0]). One object per place where they differ,
# {"file", "object", "path", "docker", "hcl", "docker_absent", "hcl_absent", "known"}, as deep
# as both sides still have the same shape (an object, or an array of the same length) and no
# deeper, so that each difference comes with the exact JSON of both sides. `object` is a
# service's name in the file, or "network:NAME", "secret:NAME" or "config:NAME"; `path` is a jq
# path into it (".TaskTemplate.RestartPolicy"); `known` is the reason known-differences.txt
# ($known: [{file, object, path, reason}]) gives for it, or null.

def pathstr:
  if length == 0 then "."
  else map(if type == "number" then "[\(.)]"
           elif test("^[A-Za-z_][A-Za-z0-9_]*$") then ".\(.)"
           else ".[\(tojson)]" end) | join("") end;

def diffs($a; $b; $p):
  if $a == $b then empty
  elif ($a | type) == "object" and ($b | type) == "object" then
    ((($a | keys) + ($b | keys)) | unique[]) as $k
    | if ($a | has($k)) and ($b | has($k)) then diffs($a[$k]; $b[$k]; $p + [$k])
      else {path: ($p + [$k] | pathstr), docker: $a[$k], hcl: $b[$k],
            docker_absent: ($a | has($k) | not), hcl_absent: ($b | has($k) | not)} end
  elif ($a | type) == "array" and ($b | type) == "array" and ($a | length) == ($b | length) then
    range(0; $a | length) as $i | diffs($a[$i]; $b[$i]; $p + [$i])
  else {path: ($p | pathstr), docker: $a, hcl: $b, docker_absent: false, hcl_absent: false} end;

# A known-differences entry covers a difference: same file, same object and same path, where
# an object or a path that ends in "*" stands for every one that starts with what precedes it.
def covers($x):
  .path as $kp
  | .object as $ko
  | .file == $file and (if ($ko | endswith("*")) then ($x.object | startswith($ko | rtrimstr("*"))) else $ko == $x.object end)
    and (if ($kp | endswith("*")) then ($x.path | startswith($kp | rtrimstr("*"))) else $kp == $x.path end);

$d[0] as $d | $h[0] as $h
| (($d | keys) + ($h | keys)) | unique[] as $o
| (if ($d | has($o)) and ($h | has($o)) then diffs($d[$o]; $h[$o]; [])
   else {path: ".", docker: $d[$o], hcl: $h[$o], docker_absent: ($d | has($o) | not), hcl_absent: ($h | has($o) | not)} end)
| {file: $file, object: $o} + .
| . as $x
| . + {known: ([$known[] | select(covers($x)) | .reason] | first)}
