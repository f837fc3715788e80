# shellcheck shell=bash
# images.sh — the lab's container images, made without any registry:
# root filesystems assembled from files of Debian packages on the host (busybox-static,
# haproxy and the libraries ldd lists), turned into images with `docker import` on master,
# and copied to every other node with `docker save | docker load` (same image IDs
# everywhere). Sourced by tests/lab/lab.

IMAGES=(hcl-lab/busybox:latest hcl-lab/hostname-web:latest hcl-lab/haproxy:latest)
IMG_DIR=$STATE_DIR/images
IMG_PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# A root filesystem with busybox (static) and all its applets, and the files every
# container expects: passwd/group, /tmp, /root.
rootfs_base() {
  local r=$1 bb applet
  bb=$(command -v busybox) || die "busybox not found (install busybox-static)"
  ldd "$bb" >/dev/null 2>&1 && die "$bb is dynamically linked; the images need busybox-static"
  mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,root,tmp,proc,sys,dev,run,var/tmp,www}
  chmod 1777 "$r/tmp" "$r/var/tmp"
  chmod 700 "$r/root"
  cp "$bb" "$r/bin/busybox"
  while read -r applet; do
    [[ -n $applet && $applet != bin/busybox && ! -e $r/$applet ]] && ln -s /bin/busybox "$r/$applet"
  done < <("$bb" --list-full)
  [[ -e $r/bin/sh ]] || ln -s /bin/busybox "$r/bin/sh"
  cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/www:/bin/false
haproxy:x:99:99:haproxy:/var/lib/haproxy:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$r/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
www-data:x:33:
haproxy:x:99:
nogroup:x:65534:
EOF
  echo "hosts: files dns" >"$r/etc/nsswitch.conf"
}

rootfs_hostname_web() {
  local r=$1
  rootfs_base "$r"
  # Answers GET / (and /index.html) with the container's hostname, as the cluster-lab's
  # hostname demo did.
  cat >"$r/usr/local/bin/hostname-web" <<'EOF'
#!/bin/sh
# hcl-lab/hostname-web: answer every GET / with this container's hostname.
mkdir -p /www
hostname >/www/index.html
# httpd as pid 1 would ignore SIGTERM (docker stop would wait 10 s, then kill): this
# shell stays pid 1 and ends httpd on TERM/INT.
httpd -f -p 80 -h /www "$@" &
pid=$!
trap 'kill $pid 2>/dev/null; exit 0' TERM INT
wait $pid
EOF
  chmod 755 "$r/usr/local/bin/hostname-web"
}

rootfs_haproxy() {
  local r=$1 hap lib
  rootfs_base "$r"
  hap=$(command -v haproxy) || die "haproxy not found (install haproxy)"
  mkdir -p "$r/usr/sbin" "$r/usr/local/etc/haproxy" "$r/var/lib/haproxy" "$r/run/haproxy"
  cp "$hap" "$r/usr/sbin/haproxy"
  ln -s /usr/sbin/haproxy "$r/usr/local/bin/haproxy" 2>/dev/null || true
  # Every library ldd lists, and the dynamic loader, at the paths ldd shows.
  while read -r lib; do
    mkdir -p "$r$(dirname "$lib")"
    cp -L "$lib" "$r$lib"
  done < <(ldd "$hap" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)
  cat >"$r/usr/local/etc/haproxy/haproxy.cfg" <<'EOF'
# hcl-lab/haproxy: default configuration. Put yours at this path (bind mount, swarm config).
global
    log stdout format raw local0
defaults
    mode http
    log global
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend default
    bind :80
    http-request return status 200 content-type text/plain string "hcl-lab/haproxy: no configuration given"
EOF
}

# --change lines of each image (kept next to the recipe so they enter the content hash).
image_changes() {
  case $1 in
    hcl-lab/busybox:latest)
      printf '%s\n' "ENV $IMG_PATH_ENV" 'CMD ["sh"]' ;;
    hcl-lab/hostname-web:latest)
      printf '%s\n' "ENV $IMG_PATH_ENV" 'EXPOSE 80' 'ENTRYPOINT ["/usr/local/bin/hostname-web"]' ;;
    hcl-lab/haproxy:latest)
      printf '%s\n' "ENV $IMG_PATH_ENV" 'EXPOSE 80' 'WORKDIR /var/lib/haproxy' \
        'ENTRYPOINT ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]' ;;
  esac
}

image_key() { local k=${1#hcl-lab/}; echo "${k%:latest}"; }

# Build every image's rootfs tarball (deterministic: sorted, mtime 0, owner 0) and its
# content hash, into $IMG_DIR/<name>.tar and <name>.sum. Takes about a second.
images_build() {
  local img key r
  mkdir -p "$IMG_DIR"
  for img in "${IMAGES[@]}"; do
    key=$(image_key "$img")
    r="$IMG_DIR/$key.rootfs"
    rm -rf "$r"; mkdir -p "$r"
    case $key in
      busybox) rootfs_base "$r" ;;
      hostname-web) rootfs_hostname_web "$r" ;;
      haproxy) rootfs_haproxy "$r" ;;
    esac
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$r" -cf "$IMG_DIR/$key.tar" .
    rm -rf "$r"
    { sha256sum <"$IMG_DIR/$key.tar"; image_changes "$img"; } | sha256sum | cut -c1-16 >"$IMG_DIR/$key.sum"
  done
  images_recipe >"$IMG_DIR/recipe"
}

# Fingerprint of everything the images are made from: this recipe and the host files it
# copies. Cheap (about 10 MB hashed), so `up` can tell at once whether images are current.
images_recipe() {
  local hap; hap=$(command -v haproxy || true)
  {
    cat "${BASH_SOURCE[0]}"
    # shellcheck disable=SC2046  # one word per library path
    sha256sum "$(command -v busybox)" ${hap:+"$hap"} \
      $( [[ -z $hap ]] || ldd "$hap" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
  } 2>/dev/null | sha256sum | cut -c1-16
}

image_label() { dk "$1" image inspect --format '{{index .Config.Labels "hcl-lab.content"}}' "$2" 2>/dev/null || true; }

# Were the images built from the current recipe?
images_current() { [[ -r $IMG_DIR/recipe && $(cat "$IMG_DIR/recipe") == "$(images_recipe)" ]]; }

# Does node $1 have every image, as built last (by content hash)?
images_ok_on() {
  local node=$1 img
  for img in "${IMAGES[@]}"; do
    [[ -r $IMG_DIR/$(image_key "$img").sum ]] || return 1
    [[ $(image_label "$node" "$img") == "$(cat "$IMG_DIR/$(image_key "$img").sum")" ]] || return 1
  done
}

images_ensure() {
  local nodes=("$@") img key changes=() line node
  images_build
  if ! images_ok_on master; then
    say "importing images on master: ${IMAGES[*]}"
    for img in "${IMAGES[@]}"; do
      key=$(image_key "$img")
      changes=(--change "LABEL hcl-lab.content=$(cat "$IMG_DIR/$key.sum")")
      while read -r line; do changes+=(--change "$line"); done < <(image_changes "$img")
      dk master import "${changes[@]}" --message "hcl-lab image made from Debian package files" \
        "$IMG_DIR/$key.tar" "$img" >/dev/null
    done
    images_ok_on master || die "images were imported on master but do not carry the expected labels"
  fi
  local need=()
  for node in "${nodes[@]:1}"; do images_ok_on "$node" || need+=("$node"); done
  ((${#need[@]})) || return 0
  say "loading images on ${need[*]}"
  dk master save "${IMAGES[@]}" -o "$IMG_DIR/all.tar"
  local pids=() rc=0
  for node in "${need[@]}"; do
    dk "$node" load -q -i "$IMG_DIR/all.tar" >/dev/null &
    pids+=($!)
  done
  for node in "${pids[@]}"; do wait "$node" || rc=1; done
  rm -f "$IMG_DIR/all.tar"
  ((rc == 0)) || die "docker load failed on one of: ${need[*]}"
  for node in "${need[@]}"; do images_ok_on "$node" || die "images missing on $node after docker load"; done
}
