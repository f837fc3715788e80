# shellcheck shell=bash
# tls.sh — master's engine with --tlsverify, for hcl's TLS tests. Sourced by tests/lab/lab.
#
# dockerd applies its TLS settings to every TCP listener, so one engine cannot serve plain
# HTTP on 2378 and TLS on 2376 at once. TLS mode therefore restarts master's engine with
# --tlsverify on tcp://master:2376 (and no plain TCP listener); `lab tls off` (or `lab up`)
# restarts it in the normal plain mode on tcp://master:2378. The swarm state survives the
# restart (same data root); the workers reconnect within a few heartbeats.
#
# Certificates (made with openssl, under $TLS_DIR, gone with `lab down`):
#   ca/         the lab CA (ca.pem, ca-key.pem)
#   server/     master's certificate (subjectAltName DNS:master, IP:<master's address>)
#   client/     DOCKER_CERT_PATH for a good client: ca.pem, cert.pem, key.pem
#   wrong-ca/   ca.pem of a second, unrelated CA, with the good client cert.pem/key.pem
#   expired/    ca.pem and a client cert.pem/key.pem signed by the lab CA that expired in 2020
#   no-client/  ca.pem only (no client certificate)

TLS_DIR=$RUN_DIR/tls
TLS_PORT=2376
tls_flag() { echo "$RUN_DIR/master/tls-mode"; }   # exists: master runs (or is to run) in TLS mode
tls_mode_on() { [[ -e $(tls_flag) ]]; }

# openssl configuration for every certificate the lab makes (req, and ca for the expired one).
tls_openssl_cnf() {
  cat <<EOF
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ server_ext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:master, IP:$MASTER_IP
[ client_ext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
[ ca ]
default_ca = lab_ca
[ lab_ca ]
dir = $TLS_DIR/work
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = any_name
[ any_name ]
commonName = supplied
EOF
}

tls_key() { (umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null); }

# tls_ca DIR CN: a self-signed CA in DIR (ca.pem, ca-key.pem).
tls_ca() {
  mkdir -p "$1"
  tls_key "$1/ca-key.pem"
  openssl req -config "$TLS_DIR/work/openssl.cnf" -x509 -new -key "$1/ca-key.pem" -subj "/CN=$2" \
    -days 3650 -extensions ca_ext -out "$1/ca.pem" 2>/dev/null
}

# tls_cert CADIR OUTDIR CN EXT: a key and a certificate signed by the CA in CADIR, valid 2 years.
tls_cert() {
  local ca=$1 out=$2 cn=$3 ext=$4
  mkdir -p "$out"
  tls_key "$out/key.pem"
  openssl req -config "$TLS_DIR/work/openssl.cnf" -new -key "$out/key.pem" -subj "/CN=$cn" \
    -out "$TLS_DIR/work/$cn.csr" 2>/dev/null
  openssl x509 -req -in "$TLS_DIR/work/$cn.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca-key.pem" \
    -set_serial "0x$(openssl rand -hex 8)" -days 730 \
    -extfile "$TLS_DIR/work/openssl.cnf" -extensions "$ext" -out "$out/cert.pem" 2>/dev/null
}

tls_certs_ok() {
  local f
  for f in ca/ca.pem server/cert.pem server/key.pem client/ca.pem client/cert.pem client/key.pem \
           wrong-ca/ca.pem wrong-ca/cert.pem wrong-ca/key.pem expired/ca.pem expired/cert.pem \
           expired/key.pem no-client/ca.pem; do
    [[ -s $TLS_DIR/$f ]] || return 1
  done
  # Made for this lab's master address (HCL_LAB_SUBNET may have changed since).
  openssl x509 -in "$TLS_DIR/server/cert.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$MASTER_IP\$"
}

# Make every certificate unless all are there; about a second.
tls_certs_ensure() {
  tls_certs_ok && return 0
  command -v openssl >/dev/null || die "openssl is missing ('lab install')"
  rm -rf "$TLS_DIR"
  mkdir -p "$TLS_DIR/work"
  chmod 755 "$TLS_DIR"
  tls_openssl_cnf >"$TLS_DIR/work/openssl.cnf"
  : >"$TLS_DIR/work/index.txt"
  openssl rand -hex 8 >"$TLS_DIR/work/serial"
  tls_ca "$TLS_DIR/ca" "hcl-lab CA" || die "openssl could not make the lab CA"
  tls_ca "$TLS_DIR/other-ca" "hcl-lab unrelated CA" || die "openssl could not make the second CA"
  tls_cert "$TLS_DIR/ca" "$TLS_DIR/server" master server_ext || die "openssl could not make master's certificate"
  tls_cert "$TLS_DIR/ca" "$TLS_DIR/client" hcl-lab-client client_ext || die "openssl could not make the client certificate"
  cp "$TLS_DIR/ca/ca.pem" "$TLS_DIR/client/ca.pem"
  mkdir -p "$TLS_DIR/wrong-ca" "$TLS_DIR/no-client" "$TLS_DIR/expired"
  cp "$TLS_DIR/other-ca/ca.pem" "$TLS_DIR/wrong-ca/ca.pem"
  cp -p "$TLS_DIR/client/cert.pem" "$TLS_DIR/client/key.pem" "$TLS_DIR/wrong-ca/"
  cp "$TLS_DIR/ca/ca.pem" "$TLS_DIR/no-client/ca.pem"
  # An expired client certificate: `openssl x509 -days` cannot go back in time (OpenSSL 3.0),
  # `openssl ca` takes explicit dates.
  cp "$TLS_DIR/ca/ca.pem" "$TLS_DIR/expired/ca.pem"
  tls_key "$TLS_DIR/expired/key.pem"
  openssl req -config "$TLS_DIR/work/openssl.cnf" -new -key "$TLS_DIR/expired/key.pem" \
    -subj "/CN=hcl-lab-expired-client" -out "$TLS_DIR/work/expired.csr" 2>/dev/null ||
    die "openssl could not make the expired client certificate's request"
  openssl ca -batch -config "$TLS_DIR/work/openssl.cnf" -cert "$TLS_DIR/ca/ca.pem" \
    -keyfile "$TLS_DIR/ca/ca-key.pem" -in "$TLS_DIR/work/expired.csr" -out "$TLS_DIR/expired/cert.pem" \
    -startdate 20200101000000Z -enddate 20200102000000Z -extensions client_ext -notext >/dev/null 2>&1 ||
    die "openssl could not make the expired client certificate"
  tls_certs_ok || die "the certificates in $TLS_DIR are incomplete after making them"
}

# dockerd's arguments for master's TCP listener in the current mode.
tls_engine_args() {
  local ip=$1
  if tls_mode_on; then
    echo -H "tcp://$ip:$TLS_PORT" --tlsverify --tlscacert "$TLS_DIR/ca/ca.pem" \
      --tlscert "$TLS_DIR/server/cert.pem" --tlskey "$TLS_DIR/server/key.pem"
  else
    # plain TCP on purpose (a lab); saying so skips a 15 s startup delay
    echo -H "tcp://$ip:$MASTER_PORT" --tls=false
  fi
}

# Does master answer /_ping over TLS with the good client certificate?
tls_ping() {
  [[ $(lcurl --cacert "$TLS_DIR/client/ca.pem" --cert "$TLS_DIR/client/cert.pem" \
        --key "$TLS_DIR/client/key.pem" "https://master:$TLS_PORT/_ping" 2>/dev/null) == OK ]]
}
plain_ping() { [[ $(lcurl "http://master:$MASTER_PORT/_ping" 2>/dev/null) == OK ]]; }

# Restart master's engine in the mode the flag says, and wait until the swarm is whole again.
tls_restart_master() {
  local nodes; mapfile -t nodes < <(lab_nodes "$(recorded_count)")
  engine_stop master 45
  engine_start master
  engine_wait master 90
  wait_for 60 master_manages || die "master did not become swarm manager again within 60s"
  wait_for 60 swarm_ok "${nodes[@]}" || die "the swarm is not whole 60s after master's engine restarted ('lab status')"
}

cmd_tls() {
  local what=${1:-status} t0
  t0=$(now_ms)
  case $what in
    on)
      need_root; [[ -n $(recorded_count) ]] || die "the lab is not up ('lab up' first)"
      take_lock
      tls_certs_ensure
      if tls_mode_on && engine_ok master && tls_ping; then say "master already in TLS mode"; return 0; fi
      say "restarting master's engine with --tlsverify on tcp://master:$TLS_PORT"
      touch "$(tls_flag)"
      tls_restart_master
      wait_for 30 tls_ping || die "master does not answer https://master:$TLS_PORT/_ping with the lab's client certificate"
      say "master in TLS mode: https://master:$TLS_PORT, DOCKER_CERT_PATH=$TLS_DIR/client ($(elapsed "$t0"))"
      ;;
    off)
      need_root; [[ -n $(recorded_count) ]] || die "the lab is not up ('lab up' first)"
      take_lock
      if ! tls_mode_on && engine_ok master && plain_ping; then say "master already in plain mode"; return 0; fi
      say "restarting master's engine in plain mode on tcp://master:$MASTER_PORT"
      rm -f "$(tls_flag)"
      tls_restart_master
      wait_for 30 plain_ping || die "master does not answer http://master:$MASTER_PORT/_ping"
      say "master in plain mode: tcp://master:$MASTER_PORT ($(elapsed "$t0"))"
      ;;
    status)
      if tls_mode_on; then echo "on: https://master:$TLS_PORT (--tlsverify), DOCKER_CERT_PATH=$TLS_DIR/client"
      else echo "off: tcp://master:$MASTER_PORT (plain HTTP)"; fi
      ;;
    certs)
      need_root; [[ -n $(recorded_count) ]] || die "the lab is not up ('lab up' first)"
      take_lock
      tls_certs_ensure
      echo "$TLS_DIR"
      ;;
    *) usage_error "usage: lab tls on|off|status|certs" ;;
  esac
}
