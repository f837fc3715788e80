#!/usr/bin/env bash
# The ARM binaries (scripts/cross-build armhf|arm64) run under qemu-user against the lab:
# each is an ARM ELF of the right kind, `hcl --version` prints what the native build prints, and
# `hcl nodes --format json` lists the lab's three nodes as the native build sees them; the
# package made for the architecture holds the binary, the man page and the completions.
# HCL_CROSS_DIR: the directory holding build-armhf/ and build-arm64/ (the source tree).
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

for arch in armhf arm64; do
  case $arch in
    armhf) qemu=qemu-arm-static; machine=ARM; class=ELF32 ;;
    arm64) qemu=qemu-aarch64-static; machine=AArch64; class=ELF64 ;;
  esac
  bin=$cross_dir/build-$arch/hcl.stripped
  sysroot=$cross_dir/build-$arch/sysroot
  if [ ! -x "$bin" ] || [ ! -d "$sysroot" ]; then
    fail "$arch: $bin and $sysroot exist" "build them with: scripts/cross-build $arch"
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

  # Through a wrapper, so lib.sh's hcl() runs the ARM binary under qemu, with the unpacked
  # target packages as its root for the dynamic loader and libraries.
  printf '#!/bin/sh\nexec %s -L %s %s "$@"\n' "$qemu" "$sysroot" "$bin" >"$WORK/hcl-$arch"
  chmod +x "$WORK/hcl-$arch"
  HCL=$WORK/hcl-$arch

  hcl --version
  expect_rc 0 "$arch: hcl --version under $qemu"
  expect_eq "$out" "$native_version" "$arch: --version prints what the native build prints"

  hcl nodes --format json
  expect_rc 0 "$arch: hcl nodes --format json against the lab"
  expect_eq "$(jqo '[.[].name] | sort | join(",")')" "master,node1,node2" "$arch: the JSON lists master, node1, node2"
  expect_eq "$(jqo '[.[] | {name, role: .swarm.role, health}] | sort_by(.name)')" "$native_nodes" \
    "$arch: names, roles and health agree with the native build's"

  # A usage error keeps its exit status across the architectures.
  hcl nodes --format
  expect_rc 2 "$arch: a flag without its value is a usage error"

  # The Debian package cross-build made for this architecture: its fields, its files, and the
  # binary inside it running under qemu.
  deb=$(ls "$cross_dir/build-$arch"/hcl_*_"$arch".deb 2>/dev/null | head -n1)
  if [ -z "$deb" ]; then
    fail "$arch: a .deb in build-$arch/" "build it with: scripts/cross-build $arch"
    continue
  fi
  expect_eq "$(dpkg-deb -f "$deb" Package Architecture | tr '\n' ' ')" "Package: hcl Architecture: $arch " "$arch: the package's name and architecture"
  dpkg-deb -f "$deb" Depends | grep -q 'libcurl4' && pass "$arch: it depends on libcurl4 (dlopen()ed)" ||
    fail "$arch: it depends on libcurl4" "$(dpkg-deb -f "$deb" Depends)"
  files=$(dpkg-deb -c "$deb" | awk '{print $NF}')
  for f in ./usr/bin/hcl ./usr/share/man/man1/hcl.1.gz ./usr/share/bash-completion/completions/hcl \
    ./usr/share/zsh/vendor-completions/_hcl ./usr/share/fish/vendor_completions.d/hcl.fish; do
    grep -qx -- "$f" <<<"$files" && pass "$arch: the package has $f" || fail "$arch: the package has $f" "$files"
  done
  mkdir -p "$WORK/deb-$arch" && dpkg-deb -x "$deb" "$WORK/deb-$arch"
  expect_eq "$("$qemu" -L "$sysroot" "$WORK/deb-$arch/usr/bin/hcl" --version)" "$native_version" "$arch: the packaged binary runs"
done
finish
