# Sourced by bench/run.sh and bench/soak.sh: the options the scripts read themselves.
#
#   bench_options "$@"   sets out (--out=DIR, default bench/out, created), build (false with --no-build) and the
#                        array bench_args: every other argument, and --out=DIR too, for the Java side.
#   remove_iptables_rules COMMENT PREFIX
#                        deletes every INPUT rule tagged with COMMENT (what a killed JVM left), saying so after PREFIX.
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
