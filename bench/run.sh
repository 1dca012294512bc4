#!/usr/bin/env bash
# The connection-swap benchmark in one command: builds what is missing or stale, then starts the director from
# its jar, worker processes and in-JVM workers on loopback (free ports only) and measures relay overhead, swap
# gap by cause, the reconnect baseline, scale, the gateway's figures and the comparison with HAProxy (Debian's
# haproxy, installed with apt-get when missing and the bench runs as root). Prints a table and writes
# bench/out/summary.json.
#
#   bench/run.sh            full run (~30 min on 2 cores)
#   bench/run.sh --quick    short run (~12 min on 2 cores, plus the first build)
#   bench/run.sh --profile  also records JFR over every scale window and writes *-hotspots.txt to bench/out
#   bench/run.sh --help     every option (--phases=..., --rounds=N, --max-streams=N, --token-interval-ms=N)
#   bench/run.sh --no-build use the jars as they are (no staleness check)
#
# JVM flags: BENCH_JAVA_OPTS (bench JVM), BENCH_DIRECTOR_JAVA_OPTS, BENCH_WORKER_JAVA_OPTS.
set -euo pipefail
cd "$(dirname "$0")/.."

source bench/options.sh
bench_options "$@"
set -- "${bench_args[@]+"${bench_args[@]}"}"

artifacts=(director-service/target/director-service.jar worker-service/target/worker-service.jar
           worker-service/target/worker-service.jar.original client-service/target/client-service.jar
           bench/target/classpath.txt bench/target/benchmarks.jar)
stale=false
for file in "${artifacts[@]}"; do
  [[ -f $file ]] || stale=true
done
# an executable service jar is tens of MB; a tiny one is the leftover of a build that raced another build
for file in director-service/target/director-service.jar worker-service/target/worker-service.jar \
            client-service/target/client-service.jar; do
  [[ -f $file && $(stat -c %s "$file") -gt 1000000 ]] || stale=true
done
if $build && ! $stale && [[ -n $(find shared-protocol/src worker-service/src director-service/src bench/src \
    swap-client/src client-service/src test-support/src pom.xml shared-protocol/pom.xml worker-service/pom.xml \
    director-service/pom.xml swap-client/pom.xml client-service/pom.xml test-support/pom.xml bench/pom.xml \
    -newer bench/target/classpath.txt -type f -print -quit 2>/dev/null) ]]; then
  stale=true
fi
if ! $stale; then
  # every jar on the harness classpath must still be there (a 'clean' elsewhere removes them)
  while IFS= read -r -d: entry || [[ -n $entry ]]; do
    [[ -z $entry || -e $entry ]] || { stale=true; break; }
  done < bench/target/classpath.txt
  # built with -pl bench alone, the classpath points at installed snapshots instead of this tree's modules
  grep -q '/io/connectionswap/' bench/target/classpath.txt && stale=true
fi
if $stale && ! $build; then
  echo "[bench] --no-build, but a jar or the harness classpath is missing: build first" >&2
  exit 2
fi
if $stale; then
  echo "[bench] building (./mvnw -q -DskipTests package -pl bench -am) ..."
  ./mvnw -q -B -DskipTests -Dmaven.jar.forceCreation=true package -pl bench -am
fi

# the HAProxy comparison needs Debian's haproxy: installed when missing and we may (root, apt-get)
peer=true
for arg in "$@"; do
  [[ $arg == --phases=* && $arg != *peer* ]] && peer=false
  [[ $arg == --haproxy=* || $arg == --help || $arg == -h ]] && peer=false
done
if $peer && ! command -v haproxy >/dev/null 2>&1; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "[bench] installing haproxy (apt-get install haproxy) for the HAProxy comparison ..."
    (apt-get install -y -qq haproxy >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null 2>&1; }) \
      || echo "[bench] could not install haproxy: the peer phase measures our path only" >&2
  else
    echo "[bench] no haproxy on PATH (apt-get install haproxy): the peer phase measures our path only" >&2
  fi
fi

worker_loss=false
for arg in "$@"; do [[ $arg == --worker-loss=* ]] && worker_loss=true; done

# children the bench JVM could not kill itself (it was killed with -9): only our own processes, by pid; and the
# iptables loss rules of --worker-loss (tagged connection-swap-bench-loss) when its shutdown hook did not run
cleanup() {
  if $worker_loss; then
    remove_iptables_rules connection-swap-bench-loss "[bench]"
  fi
  local pids_file=$out/children.pids
  [[ -f $pids_file ]] || return 0
  while read -r pid name; do
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qE -- '-service.jar|GreedyLlmServer|bench-haproxy.cfg'; then
      echo "[bench] killing leftover $name (pid $pid)"
      kill -CONT "$pid" 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done < "$pids_file"
}
trap cleanup EXIT

# run from copies: a build elsewhere in this tree must not swap the jars under running processes
snap=$out/.jars
snapshot_jars "$snap" director-service/target/director-service.jar worker-service/target/worker-service.jar \
  client-service/target/client-service.jar

java_opts=(${BENCH_JAVA_OPTS:--Xms512m -Xmx2g} "-Dbench.jars=$snap")
for arg in "$@"; do
  [[ $arg == --profile ]] && java_opts+=(-XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints)
done
status=0
java "${java_opts[@]}" -cp "$classpath" io.connectionswap.bench.Bench "$@" || status=$?
exit $status
