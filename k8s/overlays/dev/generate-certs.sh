#!/usr/bin/env bash
# Makes the development PKI that the dev overlay's Secret is generated from: a fresh CA and one
# certificate per role (director, worker, client), made by certs/generate.sh, written to
# k8s/overlays/dev/certs-from-generate-certs.sh/ (git-ignored; kustomize reads no file outside
# the overlay). The CA's private key is thrown away: no pod needs it, and without it nothing
# else can be signed by this CA. Run it again with --force for a new CA (then re-apply, which
# rolls every pod: the Secret's name carries a hash of its content).
#
#   k8s/overlays/dev/generate-certs.sh           make the PKI unless it is there already
#   k8s/overlays/dev/generate-certs.sh --force   replace it with a new CA and certificates
#
# Development only: the production overlay expects a Secret you provide (k8s/README.md).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
generate=$here/../../../certs/generate.sh
out=$here/certs-from-generate-certs.sh
files=(ca.pem director.pem director.key worker.pem worker.key client.pem client.key)

force=0
case ${1:-} in
  --force) force=1 ;;
  "") ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "generate-certs: unknown argument '$1' (expected: --force or nothing)" >&2; exit 2 ;;
esac

say() { echo "generate-certs: $*"; }

complete=1
for f in "${files[@]}"; do [[ -s $out/$f ]] || complete=0; done
if ((complete && !force)); then
  say "kept the development PKI in $out (CA: $(openssl x509 -in "$out/ca.pem" -noout -subject -enddate \
    | paste -sd' ')); --force makes a new one"
  exit 0
fi

[[ -x $generate ]] || { say "ERROR: $generate not found or not executable" >&2; exit 1; }
command -v openssl >/dev/null || { say "ERROR: openssl is needed (apt-get install openssl)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/connection-swap-dev-pki.XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! "$generate" "$work" >"$work/generate.log" 2>&1; then
  cat "$work/generate.log" >&2
  say "ERROR: certs/generate.sh failed (its output is above)" >&2
  exit 1
fi

mkdir -p "$out"
chmod 700 "$out"
for f in "${files[@]}"; do
  case $f in
    *.key) install -m 0600 "$work/$f" "$out/$f" ;;
    *) install -m 0644 "$work/$f" "$out/$f" ;;
  esac
done
say "made a new development CA and certificates for director, worker and client with certs/generate.sh"
say "wrote ${files[*]} to $out (git-ignored); the CA's private key was discarded"
say "next: kubectl apply -k $(realpath --relative-to="$PWD" "$here" 2>/dev/null || echo "$here")"
