#!/usr/bin/env bash
# The ARM binaries (scripts/cross-build arm64|armel) run under qemu-user against the lab, each on
# the CPUs of the boards it is offered for (armel, every 32-bit Pi: the ARM1176 of the Pi Zero and
# Pi 1, and the Cortex-A7 of a Pi 2; arm64: Cortex-A53, a Pi 3 or Zero 2), not qemu's default CPU,
# which has every extension: each is an ARM ELF of the right kind, `hcl --version` prints
# what the native build prints, `hcl nodes --format json` lists the lab's three nodes as the
# native build sees them, over plain HTTP and over the lab's TLS endpoint (mbed TLS, linked in),
# and `deploy --dry-run` plans the demo as the native build does; the package made for the
# architecture holds the binary, the man page and the completions. The ARMv6 package (armhf,
# from the static armel build) is installed with dpkg into an empty armhf root, where its binary
# runs on the ARM1176.
# (The dynamic ARMv7 build, scripts/cross-build armhf, is not built by scripts/test: not tested here.)
# HCL_CROSS_DIR: the directory holding build-arm64/ and build-armel/ (the source tree).
source "$(dirname "$0")/lib.sh"
require_lab
native=$HCL
cross_dir=${HCL_CROSS_DIR:?HCL_CROSS_DIR must point at the directory holding build-<arch>/}
export DOCKER_HOST=tcp://master:2378 CONSUL_HTTP_ADDR=http://master:8500

HCL=$native
hcl --version
expect_rc 0 "native: hcl --version"
native_version=$out
hcl nodes --format json
expect_rc 0 "native: hcl nodes --format json (the reference view)"
native_nodes=$(jqo '[.[] | {name, role: .swarm.role, health}] | sort_by(.name)')
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
demo=$ROOT/examples/loadbalancing.yml
hcl deploy --dry-run -p hcl-e2e-arm "$demo"
expect_rc 1 "native: hcl deploy --dry-run of the demo, a project not deployed (the reference plan; 1: changes to make)"
native_plan=$out

# Each run: a binary on a CPU (armel-on-a7: the ARMv6 build on a Pi 2's Cortex-A7).
for arch in armel armel-on-a7 arm64; do
  case $arch in
    armel) build=armel; qemu=qemu-arm-static; cpu=arm1176; machine=ARM; class=ELF32 ;;
    armel-on-a7) build=armel; qemu=qemu-arm-static; cpu=cortex-a7; machine=ARM; class=ELF32 ;;
    arm64) build=arm64; qemu=qemu-aarch64-static; cpu=cortex-a53; machine=AArch64; class=ELF64 ;;
  esac
  bin=$cross_dir/build-$build/hcl.stripped
  sysroot=$cross_dir/build-$build/sysroot
  if [ ! -x "$bin" ] || [ ! -d "$sysroot" ]; then
    fail "$arch: $bin and $sysroot exist" "build them with: scripts/cross-build $build"
    continue
  fi
  header=$(readelf -h "$bin")
  if grep -Eq "Class: +$class" <<<"$header" && grep -Eq "Machine: +$machine" <<<"$header"; then
    pass "$arch: the binary is an $class $machine executable"
  else
    fail "$arch: the binary is an $class $machine executable" "$header"
  fi
  if readelf -S "$bin" | grep -q '\.symtab'; then fail "$arch: hcl.stripped has no symbol table"
  else pass "$arch: hcl.stripped has no symbol table"; fi
  if [ "$arch" = armel ]; then
    # ARMv5TE code (nothing an ARM1176 lacks), linked statically: no loader, no float ABI.
    attrs=$(readelf -A "$bin")
    grep -Eq 'Tag_CPU_arch: v(4|5)' <<<"$attrs" && pass "armel: the code is for ARMv5TE or older ($(grep -o 'Tag_CPU_arch: v[0-9A-Z]*' <<<"$attrs"))" ||
      fail "armel: the code is for ARMv5TE or older" "$attrs"
    readelf -l "$bin" | grep -q 'INTERP' && fail "armel: the binary is static (no program interpreter)" "$(readelf -l "$bin" | grep -A1 INTERP)" ||
      pass "armel: the binary is static (no program interpreter)"
  fi

  # Through a wrapper, so lib.sh's hcl() runs the ARM binary under qemu, with the unpacked
  # target packages as its root for the dynamic loader and libraries.
  printf '#!/bin/sh\nexec %s -cpu %s -L %s %s "$@"\n' "$qemu" "$cpu" "$sysroot" "$bin" >"$WORK/hcl-$arch"
  chmod +x "$WORK/hcl-$arch"
  HCL=$WORK/hcl-$arch

  hcl --version
  expect_rc 0 "$arch: hcl --version under $qemu -cpu $cpu"
  expect_eq "$out" "$native_version" "$arch: --version prints what the native build prints"

  hcl nodes --format json
  expect_rc 0 "$arch: hcl nodes --format json against the lab"
  expect_eq "$(jqo '[.[].name] | sort | join(",")')" "master,node1,node2" "$arch: the JSON lists master, node1, node2"
  expect_eq "$(jqo '[.[] | {name, role: .swarm.role, health}] | sort_by(.name)')" "$native_nodes" \
    "$arch: names, roles and health agree with the native build's"

  hcl deploy --dry-run -p hcl-e2e-arm "$demo"
  expect_rc 1 "$arch: hcl deploy --dry-run of the demo (1: changes to make)"
  expect_eq "$out" "$native_plan" "$arch: the plan is the native build's"

  # A usage error keeps its exit status across the architectures.
  hcl nodes --format
  expect_rc 2 "$arch: a flag without its value is a usage error"

  # The Debian package cross-build made for this architecture: its fields, its files, and the
  # binary inside it running under qemu.
  [ "$arch" != armel-on-a7 ] || continue  # the same package as armel's, checked there
  deb_arch=$arch
  [ "$arch" != armel ] || deb_arch=armhf  # the ARMv6 build installs where Raspberry Pi OS 32-bit does
  deb=$(ls "$cross_dir/build-$arch"/hcl_*.deb 2>/dev/null | head -n1)
  if [ -z "$deb" ]; then
    fail "$arch: a .deb in build-$arch/" "build it with: scripts/cross-build $arch"
    continue
  fi
  expect_eq "$(dpkg-deb -f "$deb" Package Architecture | tr '\n' ' ')" "Package: hcl Architecture: $deb_arch " "$arch: the package's name and architecture"
  depends=$(dpkg-deb -f "$deb" Depends)
  if [ "$arch" = armel ]; then
    expect_eq "$depends" "" "armel: the package depends on nothing (a static binary)"
    [[ $deb == *_armhf-armv6.deb ]] && pass "armel: the package file says armhf-armv6 ($(basename "$deb"))" ||
      fail "armel: the package file says armhf-armv6" "$deb"
  else
    [[ $depends =~ ^libc6\ \(\>=\ 2\.[0-9]+\)$ ]] && pass "$arch: it depends on libc6 only ($depends)" ||
      fail "$arch: it depends on libc6 only" "$depends"
  fi
  files=$(dpkg-deb -c "$deb" | awk '{print $NF}')
  for f in ./usr/bin/hcl ./usr/share/man/man1/hcl.1.gz ./usr/share/bash-completion/completions/hcl \
    ./usr/share/zsh/vendor-completions/_hcl ./usr/share/fish/vendor_completions.d/hcl.fish; do
    grep -qx -- "$f" <<<"$files" && pass "$arch: the package has $f" || fail "$arch: the package has $f" "$files"
  done
  mkdir -p "$WORK/deb-$arch" && dpkg-deb -x "$deb" "$WORK/deb-$arch"
  expect_eq "$("$qemu" -cpu "$cpu" -L "$sysroot" "$WORK/deb-$arch/usr/bin/hcl" --version)" "$native_version" \
    "$arch: the packaged binary runs"
  if [ "$arch" = armel ]; then
    # Installed with dpkg into an empty armhf root (its own dpkg database, armhf its only
    # foreign architecture), as on a Pi Zero under Raspberry Pi OS 32-bit.
    root=$WORK/armhf-root
    mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
    touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
    dpkg --root="$root" --add-architecture armhf
    if dpkg --root="$root" --force-not-root -i "$deb" >"$WORK/dpkg.log" 2>&1; then
      pass "armel: dpkg installs $(basename "$deb") into an empty armhf root"
    else
      fail "armel: dpkg installs $(basename "$deb") into an empty armhf root" "$(cat "$WORK/dpkg.log")"
    fi
    expect_eq "$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status} ${Architecture}' hcl 2>&1)" \
      "install ok installed armhf" "armel: dpkg records hcl:armhf as installed there"
    expect_eq "$("$qemu" -cpu arm1176 "$root/usr/bin/hcl" --version)" "$native_version" \
      "armel: the installed /usr/bin/hcl runs on the ARM1176"
    DOCKER_HOST=tcp://master:2378 "$qemu" -cpu arm1176 "$root/usr/bin/hcl" nodes -q >"$WORK/installed-nodes" 2>&1
    expect_eq "$(sort "$WORK/installed-nodes" | paste -sd,)" "master,node1,node2" "armel: the installed hcl lists the lab's nodes"
  fi
done

# TLS: master's engine with --tlsverify on 2376 (`lab tls on`, back to plain at the end).
T=/run/hcl-lab/tls
defer "'$LAB' tls off"
if "$LAB" tls on >"$WORK/tls-on.log" 2>&1; then
  for arch in armel armel-on-a7 arm64; do
    [ -x "$WORK/hcl-$arch" ] || continue
    HCL=$WORK/hcl-$arch
    DOCKER_HOST=tcp://master:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$T/client hcl nodes --format json
    expect_rc 0 "$arch: hcl nodes --format json over TLS (tcp://master:2376, client certificate)"
    expect_eq "$(jqo '[.[].name] | sort | join(",")')" "master,node1,node2" "$arch: over TLS, the same three nodes"
    DOCKER_HOST=tcp://master:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$T/wrong-ca hcl nodes
    expect_rc 6 "$arch: a CA that did not sign the engine's certificate is refused"
  done
else
  fail "lab tls on" "$(cat "$WORK/tls-on.log")"
fi
"$LAB" tls off >"$WORK/tls-off.log" 2>&1 && pass "lab tls off" || fail "lab tls off" "$(cat "$WORK/tls-off.log")"
wait_settled 90 && pass "the swarm settled again after the engine restarts" || fail "the swarm did not settle within 90 s"
finish
