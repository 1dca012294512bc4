# Sourced by bench/run.sh and bench/soak.sh: the options the scripts read themselves.
#
#   bench_options "$@"   sets out (--out=DIR, default bench/out, created), build (false with --no-build) and the
#                        array bench_args: every other argument, and --out=DIR too, for the Java side.
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
