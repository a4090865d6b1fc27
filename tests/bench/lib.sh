# tests/bench/lib.sh: helpers for benchmarks. Source it from a bench script.
#   measure NAME CMD...   runs CMD (a shell string) once, records wall seconds
#                         in $SECS and peak RSS in KiB in $RSS, prints a row
#   ratio A B             prints A/B with two decimals
set -eu
W=$(mktemp -d "${TMPDIR:-/tmp}/bf-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
: "${BF_BENCH_SCALE:=1}"
measure() {
	_name=$1; shift
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%e %M' -o "$W/.time" sh -c "$*" >/dev/null
		read -r SECS RSS <"$W/.time"
	else
		_s=$(date +%s.%N); sh -c "$*" >/dev/null; _e=$(date +%s.%N)
		SECS=$(echo "$_e - $_s" | bc); RSS=0
	fi
	printf '%-40s %8.2f s %10s KiB\n' "$_name" "$SECS" "$RSS"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) b = 0.001; printf "%.2f", a / b }'; }
