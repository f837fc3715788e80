# shellcheck shell=bash
# fetch.sh — the lab's Docker engines of several versions, from Debian's own archive only.
# Sourced by tests/lab/lab.
#
#   20.10  Debian 12 (bookworm), the system's docker.io 20.10.24 (API 1.41) with containerd 1.6,
#          installed by `lab install` (apt-get install docker.io): the cache only links to it.
#   26.1   Debian 13 (trixie, stable): docker.io 26.1.5 (API 1.45) with containerd 1.7.
#   28.5   Debian forky (testing), else sid (unstable): docker.io 28.5.2 (API 1.51) with
#          containerd 2.1.
#
# The newer engines are never installed over the system's packages: `apt-get download` fetches
# their .debs through a sources list of the lab's own (the system's mirror, the Debian archive
# keyring; its own package lists and cache under $CACHE_DIR/apt), and `dpkg-deb -x` unpacks
# them; only the binaries the lab runs are kept, in $ENGINE_CACHE/<version>/bin:
#
#   dockerd, docker-proxy (docker.io), docker (docker-cli), containerd,
#   containerd-shim-runc-v2 (containerd) — the suite's own, they run on Debian 12 as they are
#   (they need glibc >= 2.34; bookworm has 2.36);
#   runc -> /usr/sbin/runc, docker-init -> /usr/bin/docker-init — bookworm's runc 1.1.5 and
#   tini 0.19 (docker-init). The newer suites' runc needs glibc 2.38; tini is 0.19.0 in every
#   suite. runc is called by the shim, docker-init only for `--init`.
#
# Why these suites: trixie is Debian's stable release, so it keeps 26.1.x for its whole life
# (only point releases and security fixes change the Debian revision). 28.5 is in no stable
# release: forky (testing) is preferred to sid because a new upstream version reaches it
# days to weeks after sid, and sid is the fallback while forky lacks the version (a package
# held back or removed from testing). The exact versions below are taken when the suite
# still has them, else the suite's current one of the same upstream major.minor (recorded in
# $ENGINE_CACHE/<version>/fetched). Once neither forky nor sid has a 28.5.x any more, the
# cache (kept across `lab down`) still serves; a machine without it can point
# HCL_LAB_ENGINE_MIRROR at a dated copy of the archive on snapshot.debian.org.

APT_DIR=$CACHE_DIR/apt
DEBIAN_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# Per engine: the Debian suites to take it from (in order of preference), the docker.io
# (and docker-cli) and containerd versions to pin, the newest API version it speaks.
engine_suites() { case $1 in 26.1) echo trixie ;; 28.5) echo forky sid ;; esac; }
engine_pin_docker() { case $1 in 26.1) echo 26.1.5+dfsg1-9+deb13u1+b1 ;; 28.5) echo 28.5.2+dfsg4-5 ;; esac; }
engine_pin_containerd() { case $1 in 26.1) echo 1.7.24~ds1-6+deb13u1 ;; 28.5) echo 2.1.9+ds1-5 ;; esac; }
engine_max_api() { case $1 in 20.10) echo 1.41 ;; 26.1) echo 1.45 ;; 28.5) echo 1.51 ;; esac; }
# Does the engine honour DOCKER_MIN_API_VERSION (refuse clients below it)? 20.10 does not
# know the variable.
engine_has_min_api() { [[ $1 != 20.10 ]]; }

engine_known() { local v; for v in "${KNOWN_ENGINES[@]}"; do [[ $v == "$1" ]] && return 0; done; return 1; }
engine_dir() { echo "$ENGINE_CACHE/$1"; }
engine_bin() { echo "$ENGINE_CACHE/$1/bin"; }
ENGINE_BINARIES=(dockerd docker-proxy docker containerd containerd-shim-runc-v2 runc docker-init)

# Is engine $1 in the cache, complete and runnable?
engine_cached() {
  local dir; dir=$(engine_dir "$1")
  [[ -r $dir/fetched ]] || return 1
  local b; for b in "${ENGINE_BINARIES[@]}"; do [[ -x $dir/bin/$b ]] || return 1; done
}

# "1.44" < "1.45", "20.10" < "26.1": version order (sort -V).
version_lt() { [[ $1 != "$2" && $(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1) == "$1" ]]; }

# The system's Debian mirror: the one apt uses for this release's main component (read from
# `apt-cache policy`, so both sources.list and deb822 .sources files count).
system_mirror() {
  local codename url
  codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
  url=$(apt-cache policy 2>/dev/null |
        awk -v s="${codename:-bookworm}/main" '$3 == s && $2 ~ /^https?:\/\// {print $2; exit}')
  echo "${url:-http://deb.debian.org/debian}"
}

engine_mirror() { echo "${HCL_LAB_ENGINE_MIRROR:-$(system_mirror)}"; }

# apt-get / apt-cache on the lab's own sources list and state: nothing of the system's apt
# configuration of sources, lists or package cache is read or changed.
lab_apt() {
  local tool=$1; shift
  local opts=(-o "Dir::Etc::sourcelist=$APT_DIR/sources.list" -o Dir::Etc::sourceparts=-
              -o "Dir::State::Lists=$APT_DIR/lists" -o "Dir::Cache=$APT_DIR/cache"
              -o APT::Sandbox::User=root)
  # snapshot.debian.org serves dated copies whose Release files have expired.
  [[ ${HCL_LAB_ENGINE_MIRROR:-} != *snapshot.debian.org* ]] || opts+=(-o Acquire::Check-Valid-Until=false)
  "$tool" "${opts[@]}" "$@"
}

# Write the lab's sources list (every suite an engine comes from) and update its lists.
lab_apt_update() {
  local mirror v s suites=()
  mirror=$(engine_mirror)
  [[ -r $DEBIAN_KEYRING ]] || die "no $DEBIAN_KEYRING (package debian-archive-keyring)"
  mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
  for v in "${KNOWN_ENGINES[@]}"; do
    for s in $(engine_suites "$v"); do [[ " ${suites[*]} " == *" $s "* ]] || suites+=("$s"); done
  done
  for s in "${suites[@]}"; do
    echo "deb [signed-by=$DEBIAN_KEYRING] $mirror $s main"
  done >"$APT_DIR/sources.list"
  say "apt-get update of the lab's own sources list ($mirror: ${suites[*]})"
  lab_apt apt-get update -qq >"$APT_DIR/update.log" 2>&1 ||
    { tail -n 20 "$APT_DIR/update.log" >&2; die "apt-get update of $APT_DIR/sources.list failed"; }
}

# Versions of package $1 in suite $2 of the lab's lists, one a line.
suite_versions() {
  lab_apt apt-cache madison "$1" 2>/dev/null |
    awk -F'|' -v s="$2" '{gsub(/ /, "", $2); split($3, w, " "); if (w[2] == s "/main") print $2}'
}

# Pick package $1 for engine series $2 from suite $3: the pinned version $4 if the suite has
# it, else the suite's newest version whose upstream version starts with $5 (empty: any).
pick_version() {
  local pkg=$1 suite=$3 pin=$4 prefix=$5 versions
  versions=$(suite_versions "$pkg" "$suite")
  if [[ -n $pin ]] && grep -qxF "$pin" <<<"$versions"; then echo "$pin"; return 0; fi
  grep -E "^${prefix//./\\.}" <<<"$versions" | sort -V | tail -n 1
}

# Where Debian 12's packages (docker.io, containerd, runc, tini) put each binary.
system_binary() {
  case $1 in
    dockerd | docker-proxy | runc) echo "/usr/sbin/$1" ;;
    *) echo "/usr/bin/$1" ;;
  esac
}

# The system's engine (20.10): links to the files of bookworm's packages.
engine_link_system() {
  local dir; dir=$(engine_dir 20.10)
  local tmp="$dir.new.$$" b path
  rm -rf "$tmp"; mkdir -p "$tmp/bin"
  # The packages' own paths, not whatever PATH finds first (/usr/local/bin may hold another
  # docker CLI).
  for b in "${ENGINE_BINARIES[@]}"; do
    path=$(system_binary "$b")
    [[ -x $path ]] || { rm -rf "$tmp"; die "$path not found: the 20.10 engine is the system's docker.io ('lab install')"; }
    ln -s "$path" "$tmp/bin/$b"
  done
  {
    echo "engine 20.10: the system's packages (Debian $(cat /etc/debian_version 2>/dev/null)), linked, not copied"
    dpkg-query -W -f='${Package} ${Version}\n' docker.io containerd runc tini 2>/dev/null
    echo "dockerd: $("$tmp/bin/dockerd" --version 2>&1)"
  } >"$tmp/fetched"
  rm -rf "$dir"; mv "$tmp" "$dir"
}

# Fetch engine $1 (26.1, 28.5) into the cache: download, unpack, keep the binaries, check
# that they run here, record what was fetched.
engine_fetch() {
  local v=$1 suite dv cv
  for suite in $(engine_suites "$v"); do
    dv=$(pick_version docker.io "$v" "$suite" "$(engine_pin_docker "$v")" "$v.")
    [[ -n $dv ]] && break
  done
  [[ -n $dv ]] || die "no docker.io $v.x in Debian $(engine_suites "$v") at $(engine_mirror) any more
  (a machine that fetched it before keeps it in $ENGINE_CACHE; else set HCL_LAB_ENGINE_MIRROR to a
  dated copy of the archive, e.g. http://snapshot.debian.org/archive/debian/20251201T000000Z)"
  suite_versions docker-cli "$suite" | grep -qxF "$dv" || die "Debian $suite has docker.io $dv but no docker-cli $dv"
  cv=$(pick_version containerd "$v" "$suite" "$(engine_pin_containerd "$v")" "")
  [[ -n $cv ]] || die "no containerd in Debian $suite"
  say "fetching engine $v from Debian $suite: docker.io $dv, docker-cli $dv, containerd $cv"
  local dir tmp; dir=$(engine_dir "$v"); tmp="$dir.new.$$"
  rm -rf "$tmp"; mkdir -p "$tmp/debs" "$tmp/root" "$tmp/bin"
  (cd "$tmp/debs" && lab_apt apt-get download -qq "docker.io=$dv" "docker-cli=$dv" "containerd=$cv") \
    >"$tmp/download.log" 2>&1 || { cat "$tmp/download.log" >&2; rm -rf "$tmp"; die "apt-get download failed for engine $v"; }
  local deb
  for deb in "$tmp"/debs/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
  local b
  for b in usr/sbin/dockerd usr/sbin/docker-proxy usr/bin/docker usr/bin/containerd usr/bin/containerd-shim-runc-v2; do
    [[ -f $tmp/root/$b ]] || { rm -rf "$tmp"; die "the packages of engine $v have no /$b"; }
    mv "$tmp/root/$b" "$tmp/bin/"
  done
  # runc and docker-init: bookworm's (see the top of this file).
  ln -s "$(system_binary runc)" "$tmp/bin/runc"
  ln -s "$(system_binary docker-init)" "$tmp/bin/docker-init"
  local out
  out=$("$tmp/bin/dockerd" --version 2>&1) || { rm -rf "$tmp"; die "dockerd of engine $v does not run here: $out"; }
  {
    echo "engine $v: fetched $(date -Is) from Debian $suite at $(engine_mirror)"
    (cd "$tmp/debs" && for deb in *.deb; do
      echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version) sha256:$(sha256sum <"$deb" | cut -c1-64)"
    done)
    echo "runc $(dpkg-query -W -f='${Version}' runc 2>/dev/null) (the system's, bookworm)"
    echo "docker-init: tini $(dpkg-query -W -f='${Version}' tini 2>/dev/null) (the system's, bookworm)"
    echo "dockerd: $out"
    echo "containerd: $("$tmp/bin/containerd" --version 2>&1)"
  } >"$tmp/fetched"
  rm -rf "$tmp/debs" "$tmp/root" "$tmp/download.log"
  rm -rf "$dir"; mv "$tmp" "$dir"
}

# Make sure every engine named is in the cache (fetching what is missing); quick when all are.
engines_ensure_cached() {
  local v missing=()
  for v in "$@"; do
    engine_known "$v" || die "unknown engine version '$v' (known: ${KNOWN_ENGINES[*]})"
    engine_cached "$v" || [[ " ${missing[*]} " == *" $v "* ]] || missing+=("$v")
  done
  ((${#missing[@]})) || return 0
  mkdir -p "$ENGINE_CACHE"
  # One fetch at a time on this machine (its own lock: `lab install` runs without the lab's).
  exec 8>"$ENGINE_CACHE/.lock"
  flock -w 900 8 || die "another fetch holds $ENGINE_CACHE/.lock"
  local updated=0
  for v in "${missing[@]}"; do
    engine_cached "$v" && continue            # fetched meanwhile by another lab command
    if [[ $v == 20.10 ]]; then engine_link_system; continue; fi
    ((updated)) || { lab_apt_update; updated=1; }
    engine_fetch "$v"
  done
  exec 8>&-
  for v in "${missing[@]}"; do engine_cached "$v" || die "engine $v is not complete in $(engine_dir "$v") after fetching"; done
  docker_cli_choose
}
