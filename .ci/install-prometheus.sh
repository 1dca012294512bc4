#!/usr/bin/env bash
# Install Prometheus + promtool from Debian packages (idempotent).
#
# - Does nothing if both `prometheus` and `promtool` are already on PATH.
# - Otherwise installs Debian's `prometheus` package (which ships both binaries).
# - The package's maintainer scripts may try to enable/start a systemd service
#   (prometheus.service listening on :9090). Tests start their own Prometheus on
#   a free port, so we make sure nothing from the package is left running.
#
# Usage: .ci/install-prometheus.sh   (run as root, or with sudo available)
set -euo pipefail

log() { printf '[install-prometheus] %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    log "must run as root (or have sudo) to install packages"
    exit 1
  fi
fi

# Stop any prometheus daemon the package may have started. Only targets the
# packaged service / its pidfile, never arbitrary processes by name.
stop_packaged_service() {
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl stop prometheus.service >/dev/null 2>&1 || true
    $SUDO systemctl disable prometheus.service >/dev/null 2>&1 || true
  fi
  if command -v service >/dev/null 2>&1 && [ -x /etc/init.d/prometheus ]; then
    $SUDO service prometheus stop >/dev/null 2>&1 || true
  fi
  # SysV init script pidfile (used when systemd is not PID 1, e.g. containers).
  local pidfile
  for pidfile in /run/prometheus/prometheus.pid /var/run/prometheus/prometheus.pid /run/prometheus.pid; do
    if [ -f "$pidfile" ]; then
      local pid
      pid="$(cat "$pidfile" 2>/dev/null || true)"
      if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        log "stopping packaged prometheus daemon (pid $pid from $pidfile)"
        $SUDO kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      fi
      $SUDO rm -f "$pidfile" || true
    fi
  done
}

port_9090_busy() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltn 'sport = :9090' 2>/dev/null | grep -q .
  else
    (exec 3<>/dev/tcp/127.0.0.1/9090) 2>/dev/null
  fi
}

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  log "prometheus and promtool already on PATH; nothing to do"
else
  export DEBIAN_FRONTEND=noninteractive
  # Wait for a concurrent apt/dpkg run (e.g. another CI step) instead of failing.
  APT_OPTS=(-o DPkg::Lock::Timeout=600)
  # Prevent invoke-rc.d from starting the service during installation
  # (policy-rc.d exit 101 = "action forbidden"). Only added if absent, and
  # removed again afterwards.
  POLICY=/usr/sbin/policy-rc.d
  CREATED_POLICY=0
  if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
    $SUDO chmod 0755 "$POLICY"
    CREATED_POLICY=1
  fi
  cleanup_policy() { if [ "$CREATED_POLICY" = 1 ]; then $SUDO rm -f "$POLICY"; fi; }
  trap cleanup_policy EXIT

  if ! apt-cache show prometheus >/dev/null 2>&1 \
     || [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -print -quit 2>/dev/null)" ]; then
    log "running apt-get update"
    $SUDO apt-get "${APT_OPTS[@]}" update -y
  fi
  log "installing Debian package 'prometheus'"
  if ! $SUDO apt-get "${APT_OPTS[@]}" install -y --no-install-recommends prometheus; then
    log "install failed; refreshing package lists and retrying once"
    $SUDO apt-get "${APT_OPTS[@]}" update -y
    $SUDO apt-get "${APT_OPTS[@]}" install -y --no-install-recommends prometheus
  fi
  cleanup_policy
  trap - EXIT
fi

stop_packaged_service

if port_9090_busy; then
  log "WARNING: something is still listening on :9090 (not started by this script?)"
fi

command -v prometheus >/dev/null 2>&1 || { log "prometheus not on PATH after install"; exit 1; }
command -v promtool   >/dev/null 2>&1 || { log "promtool not on PATH after install"; exit 1; }

prometheus --version
promtool --version >/dev/null
