#!/usr/bin/env bash
# Creates this installation's development PKI: a CA and one certificate per role. None of it is committed; every
# clone makes its own.
#   certs/generate.sh                         (re)writes ca.pem/ca.key and the role certificates here (certs/)
#   certs/generate.sh OUT_DIR                 writes them to OUT_DIR instead
#   certs/generate.sh --if-missing [OUT_DIR]  only when there is no ca.pem there yet (run-local.sh and the tests
#                                             call it so; a second caller waits for the first and finds its PKI)
# Keys are EC P-256 in PKCS#8 PEM; certificates are valid for 10 years. The SANs cover loopback, the compose service
# names and the Kubernetes service names, so hostname verification stays on everywhere.
# The CA's subject "O=connection-swap, CN=connection-swap development CA" marks it as the development CA: a role that
# trusts it says so at start (a WARN line, health detail tls.developmentCa, gauge connection_swap_tls_development_ca = 1). Use a
# CA of your own in production. The compose stack's one-shot `certs` service writes the same files with a Java twin
# of this script (io.connectionswap.protocol.tls.DevelopmentPki), as its image has no openssl.
set -euo pipefail

if_missing=false
if [[ ${1:-} == --if-missing ]]; then
  if_missing=true
  shift
fi
out=${1:-$(cd "$(dirname "$0")" && pwd)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# one writer at a time per directory (flock where it exists: Linux; elsewhere callers do not race in practice)
if command -v flock >/dev/null 2>&1; then
  exec 9>"$out/.generate.lock"
  flock 9
fi
if $if_missing && [[ -f $out/ca.pem ]]; then
  exit 0
fi
command -v openssl >/dev/null 2>&1 || {
  echo "certs/generate.sh: openssl is needed (Debian: apt-get install openssl)" >&2
  exit 1
}

work=$(mktemp -d "$out/.generate.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
days=3650
ns=connection-swap

k8s_names() { # $1 = service name
  echo "DNS:$1,DNS:$1.$ns,DNS:$1.$ns.svc,DNS:$1.$ns.svc.cluster.local"
}
loopback="DNS:localhost,IP:127.0.0.1,IP:::1"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -sha256 -days "$days" -subj "/O=connection-swap/CN=connection-swap development CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem

issue() { # $1 = role, $2 = SANs, $3 = extended key usage
  local role=$1 sans=$2 eku=$3
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$role.key" 2>/dev/null
  openssl req -new -key "$role.key" -subj "/O=connection-swap/CN=$role" -out "$role.csr"
  cat > "$role.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$eku
subjectAltName=$sans
EXT
  openssl x509 -req -in "$role.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" -sha256 \
    -extfile "$role.ext" -out "$role.pem" 2>/dev/null
  rm -f "$role.csr" "$role.ext"
  # readable by the services' user in containers (uid 10001), which is not the user who ran this
  chmod 644 "$role.key"
}

# director: a server for clients and workers, and a TLS client (mutual TLS) towards workers
issue director "$loopback,DNS:director,$(k8s_names director),$(k8s_names director-headless)" serverAuth,clientAuth
# worker: a server for the director, and a TLS client when it registers with the director
issue worker "$loopback,DNS:worker-a,DNS:worker-b,$(k8s_names worker),$(k8s_names worker-headless)" serverAuth,clientAuth
# client: presents this certificate to the director (required with CONNECTION_SWAP_CLIENT_AUTH=required)
issue client "$loopback,DNS:client,$(k8s_names client)" clientAuth
chmod 600 ca.key
chmod 644 ca.pem

# into place one file at a time, ca.pem (what --if-missing and the services look for) last
for file in director.key director.pem worker.key worker.pem client.key client.pem ca.key ca.pem; do
  mv -f "$file" "$out/$file"
done
echo "wrote a new development CA (ca.pem ca.key) and director.{pem,key} worker.{pem,key} client.{pem,key} to $out"
