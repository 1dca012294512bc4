# Sourced by bench/run.sh and bench/soak.sh: the options the scripts read themselves.
#
#   bench_options "$@"   sets out (--out=DIR, default bench/out, created), build (false with --no-build) and the
#                        array bench_args: every other argument, and --out=DIR too, for the Java side.
#   remove_iptables_rules COMMENT PREFIX
#                        deletes every INPUT rule tagged with COMMENT (what a killed JVM left), saying so after PREFIX.
#   snapshot_jars DIR JAR...
#                        copies the JARs, bench/target/classes and the project's own entries of
#                        bench/target/classpath.txt into DIR (emptied first) and sets classpath to the copies: the run
#                        goes on from them, so a build elsewhere in this tree cannot swap the jars under its processes.
bench_options() {
  out=bench/out
  build=true
  bench_args=()
  local arg
  for arg in "$@"; do
    case $arg in
      --out=*) out=${arg#--out=}; bench_args+=("$arg") ;;
      --no-build) build=false ;;
      *) bench_args+=("$arg") ;;
    esac
  done
  mkdir -p "$out"
}

remove_iptables_rules() {
  local comment=$1 prefix=$2 rule
  command -v iptables >/dev/null 2>&1 || return 0
  iptables -S INPUT 2>/dev/null | grep -- "--comment $comment " | sed 's/^-A //' | while read -r rule; do
    # shellcheck disable=SC2086
    iptables -D $rule 2>/dev/null && echo "$prefix removed iptables rule: $rule"
  done || true
}

snapshot_jars() {
  local snap=$1 entry i=0
  shift
  rm -rf "$snap"
  mkdir -p "$snap"
  cp "$@" "$snap/"
  cp -r bench/target/classes "$snap/bench-classes"
  local entries=() raw=()
  IFS=: read -ra raw < bench/target/classpath.txt || true  # no trailing newline: read reports EOF
  for entry in "${raw[@]}"; do
    if [[ $entry == "$PWD"/* ]]; then
      i=$((i + 1))
      cp -r "$entry" "$snap/cp-$i-$(basename "$entry")"
      entry=$snap/cp-$i-$(basename "$entry")
    fi
    entries+=("$entry")
  done
  classpath="$snap/bench-classes:$(IFS=:; echo "${entries[*]}")"
}
