#!/usr/bin/env bash
# The test command: prepares this machine for the tests, then runs every test.
#
#   ./test.sh                      # what CI runs (.ci/run, with CI=true)
#   ./test.sh -pl director-service,worker-service,client-service,deploy-tests -am
#                                  # extra arguments go to Maven (here: the container and manifest tests alone)
#
# Installs what the tests need when it is missing (Debian 12 packages; needs root or sudo):
#   openssl                          the tests' certificates
#   prometheus, promtool             .ci/install-prometheus.sh     AlertRulesTest, PrometheusScrapeIT
#   Docker engine, docker-compose v1 .ci/install-docker.sh (starts dockerd when it is not running)   ComposeIT
#   chromium, chromium-driver        the browser tests
#   nodejs, npm                      OpenAiNodeSdkIT (npm ci fetches the OpenAI Node SDK from the npm registry)
# kubectl (K8sManifestTest, 1.27 or newer) is only checked: Debian 12's is too old.
# Then: exec ./mvnw -B -ntp verify "$@". A test whose tool is still missing prints one line starting with
# "MISSING TOOL:" and is skipped; with CI=true in the environment it fails instead.
set -euo pipefail
cd "$(dirname "$0")"

say() { echo "test.sh: $*"; }
LOGS=${TMPDIR:-/tmp}/connection-swap-test-sh
mkdir -p "$LOGS"

SUDO=
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else SUDO=none; fi
fi

# java: ./mvnw needs a JDK 17 or newer (JAVA_HOME, else java on the PATH)
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
if ! version=$("$JAVA" -version 2>&1 | awk -F'"' '/version/ { print $2; exit }') || [[ -z $version ]]; then
  say "no java found (JAVA_HOME or PATH): install a JDK 17 or newer, e.g. apt-get install openjdk-17-jdk-headless"
  exit 1
fi
major=${version%%.*}
[[ $major == 1 ]] && major=$(echo "$version" | cut -d. -f2)
if ((major < 17)); then
  say "java $version is too old: JDK 17 or newer needed"
  exit 1
fi
say "java $version, $(nproc) cores${CI:+, CI=$CI}"

# Debian packages: install the missing ones in one apt-get run (refreshing the lists only if that fails)
apt_install() {
  local log=$LOGS/apt.log
  if [[ $SUDO == none ]]; then
    say "cannot install $* (not root, no sudo); the tests that need them will say MISSING TOOL"
    return 1
  fi
  say "installing Debian packages: $* (log: $log)"
  export DEBIAN_FRONTEND=noninteractive
  local apt=($SUDO apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
  if ! "${apt[@]}" install "$@" >>"$log" 2>&1; then
    "${apt[@]}" update >>"$log" 2>&1 || true
    "${apt[@]}" install "$@" >>"$log" 2>&1 ||
      { tail -n 15 "$log"; say "apt-get install $* failed"; return 1; }
  fi
}
missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  apt_install "${missing[@]}" || true
fi
say "openssl, chromium, chromedriver, node, npm: $(for t in openssl chromium chromedriver node npm; do
  command -v $t >/dev/null 2>&1 && printf '%s ' "$t:ok" || printf '%s ' "$t:MISSING"; done)"

# Prometheus and promtool
if .ci/install-prometheus.sh >"$LOGS/install-prometheus.log" 2>&1; then
  say "prometheus, promtool: $(prometheus --version 2>&1 | head -1)"
else
  tail -n 10 "$LOGS/install-prometheus.log"
  say "prometheus/promtool could not be installed (log: $LOGS/install-prometheus.log)"
fi

# Docker engine (started here when it is not running) and docker-compose
if .ci/install-docker.sh >"$LOGS/install-docker.log" 2>&1; then
  say "docker engine $(docker version --format '{{.Server.Version}}' 2>/dev/null), $(docker-compose version --short 2>/dev/null | sed 's/^/docker-compose /')"
else
  grep -h "DOCKER UNAVAILABLE" "$LOGS/install-docker.log" || tail -n 10 "$LOGS/install-docker.log"
  say "no Docker engine (log: $LOGS/install-docker.log)"
fi

# kubectl: checked only
if command -v kubectl >/dev/null 2>&1; then
  say "kubectl $(kubectl version --client -o json 2>/dev/null | awk -F'"' '/gitVersion/ { print $4; exit }')"
else
  say "no kubectl: install kubectl 1.27 or newer (https://kubernetes.io/docs/tasks/tools/) for K8sManifestTest"
fi

say "./mvnw -B -ntp verify $*"
exec ./mvnw -B -ntp verify "$@"
