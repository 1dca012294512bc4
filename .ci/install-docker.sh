#!/usr/bin/env bash
# Make a Docker engine available on this machine, idempotently.
#
#   .ci/install-docker.sh        # no-op if `docker info` already works
#
# 1. If `docker info` works, exit 0 at once.
# 2. Otherwise install what is missing from Debian's packages: docker.io (dockerd,
#    containerd, runc, tini as docker-init, iptables), docker-compose (Compose v1;
#    v2 cannot be installed here) and busybox-static (docker/offline-base-image.sh
#    uses it, and this script uses it for a smoke test).
# 3. Start dockerd in the background (log: /tmp/dockerd.log). It tries the engine's
#    defaults first and falls back to more conservative flags only if the daemon or a
#    smoke-test container fails (see FLAG_SETS below). Each attempt waits up to
#    $DOCKER_START_TIMEOUT seconds (default 60) for `docker info`.
#
# There is no systemd on these machines (PID 1 is the VM's init), so the daemon is
# started by hand; it survives this script (setsid + nohup) and is left running.
# On failure the script prints a line starting with "DOCKER UNAVAILABLE:" and exits 1.
set -euo pipefail

LOG=${DOCKERD_LOG:-/tmp/dockerd.log}
TIMEOUT=${DOCKER_START_TIMEOUT:-60}
FLAGS_FILE=/tmp/dockerd.flags   # records the flags of the daemon that came up

say() { echo "install-docker: $*" >&2; }
fail() {
  echo "DOCKER UNAVAILABLE: $*"
  if [[ -s $LOG ]]; then
    echo "---- last lines of $LOG ----" >&2
    tail -n 25 "$LOG" >&2 || true
  fi
  exit 1
}

docker_ok() { timeout 15 docker info >/dev/null 2>&1; }

if docker_ok; then
  say "engine already running; nothing to do"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || fail "not root, cannot install or start dockerd"

# ---------------------------------------------------------------------------
# 1. Packages
# ---------------------------------------------------------------------------
missing=()
command -v dockerd >/dev/null 2>&1        || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
# A statically linked busybox (the Debian "busybox" package is dynamic).
if ! { [[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1; }; then
  missing+=(busybox-static)
fi
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_install() {
    apt-get install -y -q -o Dpkg::Use-Pty=0 "${missing[@]}" >/tmp/install-docker.apt.log 2>&1
  }
  # Try without refreshing the lists first (fast when they are current), then update.
  if ! apt_install; then
    apt-get update -q >>/tmp/install-docker.apt.log 2>&1 || true
    apt_install || { tail -n 20 /tmp/install-docker.apt.log >&2; fail "apt-get install ${missing[*]} failed (see /tmp/install-docker.apt.log)"; }
  fi
fi
command -v dockerd >/dev/null 2>&1 || fail "dockerd not found after installing docker.io"
# /usr/local/bin/docker (a newer CLI) may come first in PATH; both talk to dockerd
# 20.10 fine thanks to API-version negotiation.
command -v docker >/dev/null 2>&1 || fail "docker CLI not found after installing docker.io"

# ---------------------------------------------------------------------------
# 2. Daemon
# ---------------------------------------------------------------------------
# Flag sets tried in order; the first whose daemon answers AND passes the smoke test
# (two containers on a user network reaching each other by name) wins.
#  - ""  : engine defaults. On this sandbox (kernel 6.x with overlayfs and nf_tables
#          built in, ext4 root, cgroup v1) they work: storage driver overlay2, iptables
#          through iptables-nft, bridge networks with NAT, published ports, embedded DNS.
#  - --storage-driver=vfs : for hosts whose root filesystem cannot carry overlayfs
#          (nested overlay, some tmpfs/ZFS roots). Slow and disk-hungry, works anywhere.
#  - --iptables=false --ip-masq=false : for kernels/sandboxes where iptables fails.
#          User bridge networks, the embedded DNS (127.0.0.11; its redirect lives in the
#          container's own netns, so it still works) and published ports on 127.0.0.1
#          (via docker-proxy, the userland proxy) keep working; outbound NAT is lost,
#          which these machines do not need. One more thing is needed: br_netfilter
#          still pushes bridged frames through the FORWARD chain, whose policy a
#          previous dockerd may have left at DROP, silently cutting container-to-
#          container traffic. So for these sets we turn off
#          net.bridge.bridge-nf-call-ip{,6}tables (best effort).
FLAG_SETS=(
  ""
  "--storage-driver=vfs"
  "--iptables=false --ip-masq=false"
  "--storage-driver=vfs --iptables=false --ip-masq=false"
)

DOCKERD_PID=

# Stop the daemon this script started (by its PID only) and wait for it to exit.
stop_ours() {
  [[ -n $DOCKERD_PID ]] || return 0
  kill "$DOCKERD_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$DOCKERD_PID" 2>/dev/null || true
  DOCKERD_PID=
  rm -f /var/run/docker.pid
}

# Wait until `docker info` answers, the daemon dies, or the deadline passes.
wait_ready() {
  local deadline=$1
  while ((SECONDS < deadline)); do
    docker_ok && return 0
    if [[ -n $DOCKERD_PID ]] && ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
      return 1
    fi
    sleep 0.5
  done
  return 1
}

# Smoke test: a 1-file image (static busybox) is imported, then one container pings
# another by name on a fresh user network. This proves the storage driver, runc,
# cgroups, bridge networking and the embedded DNS work, not just the API socket.
smoke_test() {
  local bb=/bin/busybox img=install-docker/smoke:latest net=install-docker-smoke
  local tmp rc=0
  [[ -x $bb ]] || { say "no static busybox, skipping container smoke test"; return 0; }
  tmp=$(mktemp -d)
  mkdir -p "$tmp/bin"
  cp "$bb" "$tmp/bin/busybox"
  tar -C "$tmp" -c . | docker import - "$img" >/dev/null 2>&1 || rc=1
  rm -rf "$tmp"
  ((rc == 0)) || { say "smoke test: docker import failed"; return 1; }
  docker rm -f install-docker-smoke-a >/dev/null 2>&1 || true
  docker network rm "$net" >/dev/null 2>&1 || true
  if docker network create "$net" >/dev/null 2>&1 &&
     docker run -d --name install-docker-smoke-a --network "$net" "$img" \
       /bin/busybox sleep 30 >/dev/null 2>&1 &&
     timeout 30 docker run --rm --network "$net" "$img" \
       /bin/busybox ping -c 1 -W 5 install-docker-smoke-a >/dev/null 2>&1; then
    rc=0
  else
    say "smoke test: container run or name-based ping on a user network failed"
    rc=1
  fi
  docker rm -f install-docker-smoke-a >/dev/null 2>&1 || true
  docker network rm "$net" >/dev/null 2>&1 || true
  docker rmi "$img" >/dev/null 2>&1 || true
  return $rc
}

# A daemon may already be starting (e.g. a previous call's still coming up).
if [[ -f /var/run/docker.pid ]] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  say "dockerd (pid $(cat /var/run/docker.pid)) is running but not answering yet; waiting"
  wait_ready $((SECONDS + TIMEOUT)) && { say "engine ready"; exit 0; }
  fail "dockerd pid $(cat /var/run/docker.pid) runs but 'docker info' fails after ${TIMEOUT}s"
fi
rm -f /var/run/docker.pid   # stale pid file from a daemon that is gone

last_reason="no flag set tried"
for flags in "${FLAG_SETS[@]}"; do
  say "starting dockerd ${flags:-(defaults)}; log: $LOG"
  if [[ $flags == *--iptables=false* ]]; then
    sysctl -q -w net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 2>/dev/null || true
  fi
  echo "==== $(date -u +%FT%TZ) dockerd $flags" >>"$LOG"
  # The daemon outlives this script: it must not inherit a descriptor above 2 (a caller's `flock` lock, a pipe),
  # or it would hold that lock or keep that pipe open for as long as it runs.
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    # shellcheck disable=SC2086  # $flags is deliberately word-split
    exec setsid nohup dockerd $flags >>"$LOG" 2>&1 </dev/null
  ) &
  DOCKERD_PID=$!
  if ! wait_ready $((SECONDS + TIMEOUT)); then
    last_reason="dockerd ${flags:-(defaults)} did not answer 'docker info'"
    say "$last_reason; trying the next flag set"
    stop_ours
    continue
  fi
  if ! smoke_test; then
    last_reason="dockerd ${flags:-(defaults)} answers but cannot run a container"
    say "$last_reason; trying the next flag set"
    stop_ours
    continue
  fi
  echo "${flags}" >"$FLAGS_FILE"
  DOCKERD_PID=$(cat /var/run/docker.pid 2>/dev/null || echo "$DOCKERD_PID")
  say "engine ready (dockerd pid $DOCKERD_PID, flags: ${flags:-defaults}; recorded in $FLAGS_FILE)"
  exit 0
done

fail "$last_reason (every flag set failed; ${TIMEOUT}s deadline each; log $LOG)"
