#!/usr/bin/env bash
# Copies the PEM files each pod needs from certs/ into k8s/certs/, where kustomize's
# secretGenerator can read them (its load restrictor refuses files outside k8s/, and
# symlinks pointing there too).
#
#   k8s/sync-certs.sh            copy (after certs/generate.sh, or to use other PEM files)
#   k8s/sync-certs.sh --check    exit 1 if k8s/certs/ differs from the source (CI, tests)
#
# Environment: CERTS_DIR  source directory (default: the repository's certs/)
#
# Copied: ca.pem and <role>.pem/<role>.key for director, worker and client. NOT copied:
# ca.key (no pod needs the CA's private key) and generate.sh.
# The copies are committed: they are the development PKI that certs/ already commits, and
# committing them keeps `kubectl kustomize k8s` / `kubectl apply -k k8s` working from a
# fresh clone. For a real cluster replace the Secret (see k8s/README.md).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=${CERTS_DIR:-$here/../certs}
dst=$here/certs
files=(ca.pem director.pem director.key worker.pem worker.key client.pem client.key)

check=0
case ${1:-} in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

for f in "${files[@]}"; do
  [[ -f $src/$f ]] || { echo "sync-certs: $src/$f missing (run certs/generate.sh)" >&2; exit 1; }
done

if ((check)); then
  stale=0
  for f in "${files[@]}"; do
    cmp -s "$src/$f" "$dst/$f" || { echo "sync-certs: k8s/certs/$f differs from $src/$f" >&2; stale=1; }
  done
  ((stale == 0)) || { echo "sync-certs: run k8s/sync-certs.sh" >&2; exit 1; }
  echo "sync-certs: k8s/certs is up to date"
  exit 0
fi

mkdir -p "$dst"
for f in "${files[@]}"; do
  install -m 0644 "$src/$f" "$dst/$f"
done
echo "sync-certs: copied ${files[*]} from $src to $dst"
