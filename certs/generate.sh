#!/usr/bin/env bash
# Regenerates the development PKI used by every role: a CA and one certificate per role.
#   certs/generate.sh            (re)writes ca.pem/ca.key and the role certificates here
#   certs/generate.sh OUT_DIR    writes them to OUT_DIR instead
# Keys are EC P-256 in PKCS#8 PEM (what Netty's QUIC TLS stack reads); certificates are valid for 10 years.
# The SANs cover loopback, the compose service names and the Kubernetes service names, so hostname
# verification stays on everywhere. These files are for development and tests only: do not use them in production.
set -euo pipefail

out=${1:-$(cd "$(dirname "$0")" && pwd)}
mkdir -p "$out"
cd "$out"
days=3650
ns=connection-swap

k8s_names() { # $1 = service name
  echo "DNS:$1,DNS:$1.$ns,DNS:$1.$ns.svc,DNS:$1.$ns.svc.cluster.local"
}
loopback="DNS:localhost,IP:127.0.0.1,IP:::1"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
openssl req -x509 -new -key ca.key -sha256 -days "$days" -subj "/O=connection-swap/CN=connection-swap development CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem

issue() { # $1 = role, $2 = SANs, $3 = extended key usage
  local role=$1 sans=$2 eku=$3
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$role.key"
  openssl req -new -key "$role.key" -subj "/O=connection-swap/CN=$role" -out "$role.csr"
  cat > "$role.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$eku
subjectAltName=$sans
EXT
  openssl x509 -req -in "$role.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" -sha256 \
    -extfile "$role.ext" -out "$role.pem"
  rm -f "$role.csr" "$role.ext"
  chmod 644 "$role.key"
}

# director: a server for clients and workers, and a TLS client (mutual TLS) towards workers
issue director "$loopback,DNS:director,$(k8s_names director),$(k8s_names director-headless)" serverAuth,clientAuth
# worker: a server for the director, and a TLS client when it registers with the director
issue worker "$loopback,DNS:worker-a,DNS:worker-b,$(k8s_names worker),$(k8s_names worker-headless)" serverAuth,clientAuth
# client: presents this certificate to the director when it has one (optional for clients)
issue client "$loopback,DNS:client,$(k8s_names client)" clientAuth
rm -f ca.srl
echo "wrote ca.pem ca.key director.{pem,key} worker.{pem,key} client.{pem,key} to $out"
# the repository's own PKI is also the Kubernetes Secret's source: keep k8s/certs/ in step
repo_certs=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ $out == "$repo_certs" && -x $repo_certs/../k8s/sync-certs.sh ]]; then
  "$repo_certs/../k8s/sync-certs.sh"
fi
