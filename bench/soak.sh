#!/usr/bin/env bash
# The chaos soak: 200 generations at a time through one director and four workers (the real jars, on loopback) while
# workers are killed (kill -9), drained (SIGTERM), frozen (SIGSTOP, then SIGCONT) and cut off (an iptables DROP of
# their QUIC port on lo) at random and restarted, and the director is restarted in the middle. Then it checks: zero
# sequence errors, every generation completed with the exact text or ended by the migration limit, stream channels
# and live heap of every process back at their level before the load. Prints a table, writes
# bench/out/soak-summary.json and the process logs to bench/out/soak-logs/, exits 1 when a check failed.
#
#   bench/soak.sh                       the full soak: 10 minutes of faults (about 13 minutes in all)
#   bench/soak.sh --minutes=2           a shorter one
#   bench/soak.sh --no-partitions       without iptables (needed when not root or iptables is not installed)
#   bench/soak.sh --no-build            use the jars as they are
#   other options: --streams=200 --workers=4 --clients=4 --tokens=60 --token-interval-ms=50 --seed=N --out=DIR
#
# Partitions need root and the iptables command (Debian: apt-get install iptables); every rule is tagged "connection-swap-soak" and removed on exit, also after Ctrl-C.
# JVM flags of the soak's own JVM (the clients): SOAK_JAVA_OPTS.
set -euo pipefail
cd "$(dirname "$0")/.."

source bench/options.sh
bench_options "$@"
set -- "${bench_args[@]+"${bench_args[@]}"}"

if $build; then
  echo "[soak] building (./mvnw -q -DskipTests package -pl bench -am) ..."
  ./mvnw -q -B -DskipTests -Dfuzz.skip=true -Dmaven.jar.forceCreation=true package -pl bench -am
fi
for file in director-service/target/director-service.jar worker-service/target/worker-service.jar \
            bench/target/classpath.txt; do
  [[ -f $file ]] || { echo "[soak] $file is missing: build first (drop --no-build)" >&2; exit 2; }
done

cleanup() {
  # every iptables rule the soak added, whatever happened to the soak's JVM
  remove_iptables_rules connection-swap-soak "[soak]"
  # children the soak's JVM could not stop itself (it was killed): only our own service jars, by pid
  local pids_file=$out/soak-children.pids
  [[ -f $pids_file ]] || return 0
  while read -r pid name; do
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- '-service.jar'; then
      echo "[soak] killing leftover $name (pid $pid)"
      kill -CONT "$pid" 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done < "$pids_file"
  rm -f "$pids_file"
}
trap cleanup EXIT

# run from copies: a build elsewhere in this tree must not swap the jars under running processes
snap=$out/.soak-jars
snapshot_jars "$snap" director-service/target/director-service.jar worker-service/target/worker-service.jar

status=0
# shellcheck disable=SC2086
java ${SOAK_JAVA_OPTS:--Xms256m -Xmx1g} -Dlogback.configurationFile=bench/soak-logback.xml "-Dbench.jars=$snap" -cp "$classpath" io.connectionswap.bench.ChaosSoak "$@" \
  || status=$?
exit $status
