#!/usr/bin/env bash
# Runs the whole system on this machine without Docker: worker-a, worker-b, the director and the client as
# four processes, their logs interleaved with a role prefix, until Ctrl-C. Builds the jars first when they are
# missing or older than the sources (online; offline from ~/.m2 when no Maven repository can be reached).
#
#   ./run-local.sh
#
# worker-a is started with CONNECTION_SWAP_WORKER_FAIL_AFTER=15s (override with WORKER_A_FAIL_AFTER, empty
# turns it off). The client starts once the director sees both workers healthy and runs two generations at a time
# (CONNECTION_SWAP_CLIENT_CONCURRENCY=2), so each worker serves one from the start: about 15 s later worker-a's
# health turns DOWN and you see the director move its stream to worker-b on the same client connection.
# Every CONNECTION_SWAP_* variable you export is passed to all four processes; SERVER_PORT (the Actuator HTTP port)
# is set per role: DIRECTOR_HTTP_PORT (8080), WORKER_A_HTTP_PORT (8081), WORKER_B_HTTP_PORT (8082), CLIENT_HTTP_PORT
# (8090). The workers' QUIC addresses are WORKER_A_ADDR (127.0.0.1:62001) and WORKER_B_ADDR (127.0.0.1:62002).
# With CONNECTION_SWAP_MODEL_BACKEND=openai, WORKER_A_UPSTREAM_URL and WORKER_B_UPSTREAM_URL give each worker its own
# CONNECTION_SWAP_UPSTREAM_URL (one model server per worker, as in a deployment); unset, both use the exported one.
# JAVA_OPTS goes to every java command line. Once it has started the client, the script prints each role's PID, QUIC port and
# Actuator URL, and a ready-made `kill -9 <pid>` line per worker. Ctrl-C or SIGTERM, at any time (even while roles
# are still starting), sends SIGTERM to every role started so far, waits for them to exit and ends the script. A role
# that exits before the client starts (a port taken, a bad setting) ends the run too, with its name and status 1.
# TLS: this clone's development PKI in certs/ (nothing of it is committed) is created with certs/generate.sh on the
# first run and kept after; export CONNECTION_SWAP_CERTS_DIR to use a PKI of your own instead.
set -euo pipefail
cd "$(dirname "$0")"

jars=(director-service/target/director-service.jar worker-service/target/worker-service.jar
      client-service/target/client-service.jar)
# the client jar also depends on the client library's sources
client_sources=(swap-client/src swap-client/pom.xml swap-client-spring-boot-starter/src swap-client-spring-boot-starter/pom.xml)
stale=false
for jar in "${jars[@]}"; do
  extra=()
  [[ $jar == client-service/* ]] && extra=("${client_sources[@]}")
  if [[ ! -f $jar ]] || [[ -n $(find shared-protocol/src "${jar%%/*}/src" pom.xml "${jar%%/*}/pom.xml" "${extra[@]}" -newer "$jar" -type f -print -quit) ]]; then
    stale=true
  fi
done
# Online first, as any Maven build: the jars then carry their SBOM (the cyclonedx plugin needs Maven online). When
# Maven cannot reach a repository (no network) it builds again offline from ~/.m2, saying the jars will have no
# SBOM; any other failure (a compile error) is shown and ends the script, rather than building twice.
if $stale; then
  echo "[run-local] building jars (./mvnw -DskipTests package) ..."
  if ! build_output=$(./mvnw -q -DskipTests package 2>&1); then
    if ! grep -qiE 'could not be resolved|failed to read artifact descriptor|could not transfer|unknown ?host|connection refused|network is unreachable|connect timed out|temporary failure in name resolution' <<<"$build_output"; then
      printf '%s\n' "$build_output" >&2
      exit 1
    fi
    echo "[run-local] cannot reach a Maven repository; building offline from ~/.m2 (./mvnw -o -DskipTests package; these jars have no SBOM) ..."
    ./mvnw -o -q -DskipTests package
  elif [[ -n $build_output ]]; then
    printf '%s\n' "$build_output"
  fi
fi

if [[ -z ${CONNECTION_SWAP_CERTS_DIR:-} ]]; then
  certs/generate.sh --if-missing   # a no-op once certs/ca.pem exists
fi

director_http=${DIRECTOR_HTTP_PORT:-8080}
worker_a_http=${WORKER_A_HTTP_PORT:-8081}
worker_b_http=${WORKER_B_HTTP_PORT:-8082}
client_http=${CLIENT_HTTP_PORT:-8090}
for port in "$director_http" "$worker_a_http" "$worker_b_http" "$client_http"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "[run-local] TCP port $port is already in use (another run-local.sh, compose, ...?); stop that or choose" \
      "other ports: DIRECTOR_HTTP_PORT, WORKER_A_HTTP_PORT, WORKER_B_HTTP_PORT, CLIENT_HTTP_PORT" >&2
    exit 1
  fi
done

declare -A pid_of   # role -> PID of its java, for stop() and the table printed once the client runs

# stop STATUS: SIGTERM to every role started so far (each background job is java itself), wait for them, then exit.
# The client goes first and alone, so that it does not see its director go away and try to reconnect while it shuts
# down; then the workers (they drain) and the director. It exits rather than returns: a signal taken while the script
# is still starting roles must not let it go on to start the rest. The roles come from the shell's job table, not
# from a list, so a role whose `&` ran just before the signal is stopped too.
stop() {
  trap - INT TERM
  echo "[run-local] stopping (the client, then the workers drain and the director stops) ..."
  local job
  if [[ -n ${pid_of[client]:-} ]]; then
    kill -TERM "${pid_of[client]}" 2>/dev/null || true
    wait "${pid_of[client]}" 2>/dev/null || true
  fi
  for job in $(jobs -p); do kill -TERM "$job" 2>/dev/null || true; done
  wait || true
  echo "[run-local] stopped"
  exit "$1"
}
trap 'stop 130' INT
trap 'stop 143' TERM

# start ROLE COLOR ENV... -- JAR : runs java in its own process with a prefixed, colored log
start() {
  local role=$1 color=$2; shift 2
  local env=()
  while [[ $1 != -- ]]; do env+=("$1"); shift; done
  shift
  local prefix
  prefix=$(printf '\033[%sm%-9s\033[0m' "$color" "$role")
  # $! is java itself (env execs it), so the stop trap's SIGTERM reaches the JVM and a worker drains
  env "${env[@]}" java ${JAVA_OPTS:-} -jar "$1" > >(sed -u "s/^/$prefix /") 2>&1 &
  pid_of[$role]=$!
}

token_interval=${CONNECTION_SWAP_TOKEN_INTERVAL:-1s}
director=${CONNECTION_SWAP_DIRECTOR_ADDR:-127.0.0.1:61000}
worker_a_addr=${WORKER_A_ADDR:-127.0.0.1:62001}
worker_b_addr=${WORKER_B_ADDR:-127.0.0.1:62002}
start director 36 CONNECTION_SWAP_DIRECTOR_ADDR="$director" SERVER_PORT="$director_http" \
  -- director-service/target/director-service.jar
# each worker's own upstream, when given (an empty list adds nothing to its environment)
upstream_a=() upstream_b=()
[[ -n ${WORKER_A_UPSTREAM_URL:-} ]] && upstream_a=(CONNECTION_SWAP_UPSTREAM_URL="$WORKER_A_UPSTREAM_URL")
[[ -n ${WORKER_B_UPSTREAM_URL:-} ]] && upstream_b=(CONNECTION_SWAP_UPSTREAM_URL="$WORKER_B_UPSTREAM_URL")
start worker-a 32 CONNECTION_SWAP_WORKER_ADDR=$worker_a_addr CONNECTION_SWAP_WORKER_LABEL=worker-a "${upstream_a[@]}" \
  CONNECTION_SWAP_WORKER_FAIL_AFTER="${WORKER_A_FAIL_AFTER-15s}" CONNECTION_SWAP_DIRECTOR_TARGET="$director" \
  CONNECTION_SWAP_TOKEN_INTERVAL="$token_interval" SERVER_PORT="$worker_a_http" -- worker-service/target/worker-service.jar
start worker-b 33 CONNECTION_SWAP_WORKER_ADDR=$worker_b_addr CONNECTION_SWAP_WORKER_LABEL=worker-b "${upstream_b[@]}" \
  CONNECTION_SWAP_DIRECTOR_TARGET="$director" CONNECTION_SWAP_TOKEN_INTERVAL="$token_interval" \
  SERVER_PORT="$worker_b_http" -- worker-service/target/worker-service.jar

# start the client once both workers are in rotation, so its two streams land one on each worker
health=http://127.0.0.1:$director_http/actuator/health
if command -v curl >/dev/null; then
  echo "[run-local] waiting (up to 2 min) for the director to see two healthy workers ($health) ..."
  healthy=false body=
  for _ in $(seq 1 240); do
    # a role that exits meanwhile (a port taken, a bad setting) ends the run; its own log lines above say why
    for role in "${!pid_of[@]}"; do
      if ! kill -0 "${pid_of[$role]}" 2>/dev/null; then
        status=0
        wait "${pid_of[$role]}" || status=$?
        echo "[run-local] $role exited with status $status while starting; its log above says why" >&2
        stop 1
      fi
    done
    if body=$(curl -fs --max-time 2 "$health" 2>/dev/null) && [[ $body == *'"healthy":2'* ]]; then
      healthy=true
      break
    fi
    sleep 0.5
  done
  if ! $healthy; then
    echo "[run-local] after 2 min the director does not see two healthy workers ($health answered:" \
      "${body:-nothing}); starting the client anyway" >&2
  fi
fi
start client 35 CONNECTION_SWAP_DIRECTOR_TARGET="$director" SERVER_PORT="$client_http" \
  CONNECTION_SWAP_CLIENT_CONCURRENCY="${CONNECTION_SWAP_CLIENT_CONCURRENCY:-2}" -- client-service/target/client-service.jar

row() { printf '[run-local]   %-9s %-8s %-19s %s\n' "$@"; }
echo "[run-local] running; Ctrl-C stops everything (the client first, then the workers drain)"
row role pid 'QUIC (UDP)' 'Actuator (HTTP)'
row director "${pid_of[director]}" "$director" "http://127.0.0.1:$director_http/actuator/health"
row worker-a "${pid_of[worker-a]}" "$worker_a_addr" "http://127.0.0.1:$worker_a_http/actuator/health"
row worker-b "${pid_of[worker-b]}" "$worker_b_addr" "http://127.0.0.1:$worker_b_http/actuator/health"
row client "${pid_of[client]}" "-> $director" "http://127.0.0.1:$client_http/ (live page, gateway /v1, Actuator)"
echo "[run-local] crash a worker (its streams move to the other one); kill -TERM instead drains it:"
echo "kill -9 ${pid_of[worker-a]}   # worker-a"
echo "kill -9 ${pid_of[worker-b]}   # worker-b"
wait
