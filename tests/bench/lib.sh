# tests/bench/lib.sh: helpers for benchmarks. Source it from a bench script.
# It sets -eu, LC_ALL=C, TZ=UTC, $top (the source tree), PATH with $BF_BIN
# first, a private work directory $W removed on exit, and:
#   scaled N              N times BF_BENCH_SCALE (which may be a fraction),
#                         at least 1, rounded to a whole number
#   measure NAME CMD...   runs CMD (a shell string) once, output discarded;
#                         sets $SECS (wall), $CPU (user + system of CMD and
#                         every process it waited for), $RSS (peak resident
#                         set of the largest of those processes, KiB) and
#                         $RC; prints a row
#   timed NAME CMD...     the same without discarding the output and
#                         without printing the row
#   ratio A B             A/B with two decimals
#   per_sec N SECS        N/SECS, a whole number
#   mib_per_sec BYTES SECS  BYTES/SECS in MiB/s, one decimal
#   gen_stream ARGS...    bf-gen ARGS, turned into the stream bf-fetch
#                         writes: each sample gets its partition (its
#                         instance) and its daily window, and each window's
#                         line follows its samples (bf-gen writes in time
#                         order). GEN_HOURLY=1: hourly windows instead;
#                         GEN_PARTITION=NAME: one partition of that name
#                         for all instances
#   gen_range FILE        "FROM TO" dates: the whole UTC days that hold the
#                         samples of the bf-gen output FILE
# bin/bf-gen (bf-gen(1)) is the one generator of telemetry for every bench.
set -eu
export LC_ALL=C TZ=UTC
top=${BF_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
: "${BF_BIN:=$top/bin}"
: "${BF_TOOLS:=$top/build/rel/tools}"
export BF_BIN BF_TOOLS
PATH="$BF_BIN:$top/bin:$PATH"
W=$(mktemp -d "${TMPDIR:-/tmp}/bf-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
: "${BF_BENCH_SCALE:=1}"

scaled() {
	awk -v n="$1" -v s="$BF_BENCH_SCALE" 'BEGIN { n = int(n * s + 0.5); print (n < 1 ? 1 : n) }'
}

timed() {
	_name=$1; shift
	if [ -x /usr/bin/time ]; then
		RC=0
		/usr/bin/time -f '%e %U %S %M' -o "$W/.time" sh -c "$*" || RC=$?
		# GNU time puts "Command exited with non-zero status N" first
		read -r SECS _u _s RSS <<EOF
$(tail -n 1 "$W/.time")
EOF
		CPU=$(awk -v u="$_u" -v s="$_s" 'BEGIN { printf "%.2f", u + s }')
	else
		_s=$(date +%s.%N); RC=0; sh -c "$*" || RC=$?; _e=$(date +%s.%N)
		SECS=$(awk -v a="$_s" -v b="$_e" 'BEGIN { printf "%.2f", b - a }')
		CPU=0 RSS=0
	fi
}

measure() {
	_mname=$1; shift
	timed "$_mname" "$*" >/dev/null
	printf '%-40s %8.2f s %10s KiB\n' "$_mname" "$SECS" "$RSS"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) b = 0.005; printf "%.2f", a / b }'; }
per_sec() { awk -v n="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 0.005; printf "%.0f", n / s }'; }
mib_per_sec() { awk -v n="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 0.005; printf "%.1f", n / 1048576 / s }'; }

gen_stream() {
	"$BF_BIN/bf-gen" "$@" | awk -v hourly="${GEN_HOURLY:-}" -v part="${GEN_PARTITION:-}" '
function next_day(y, m, d,   dim) {
	dim = (m == 2) ? ((y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28) : \
	    ((m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31)
	if (++d > dim) { d = 1; if (++m > 12) { m = 1; y++ } }
	return sprintf("%04d-%02d-%02dT00:00:00Z", y, m, d)
}
function flush(   i) {
	for (i in inst)
		printf "{\"type\":\"window\",\"partition\":\"%s\",\"window_start\":\"%s\",\"window_end\":\"%s\",\"grid\":\"%s\"}\n", i, ws, we, grid
	delete inst
}
BEGIN { grid = "size=" (hourly ? 3600 : 86400) " phase=0 billing_day=1" }
{
	p = index($0, "\"ts\":\"")
	day = substr($0, p + 6, hourly ? 13 : 10)
	if (day != cur) {
		if (cur != "") flush()
		cur = day
		if (hourly) {
			h = substr(day, 12, 2) + 0
			ws = day ":00:00Z"
			if (h < 23)
				we = sprintf("%sT%02d:00:00Z", substr(day, 1, 10), h + 1)
			else
				we = next_day(substr(day, 1, 4) + 0, substr(day, 6, 2) + 0, substr(day, 9, 2) + 0)
		} else {
			ws = day "T00:00:00Z"
			we = next_day(substr(day, 1, 4) + 0, substr(day, 6, 2) + 0, substr(day, 9, 2) + 0)
		}
	}
	id = part
	if (id == "") {
		q = index($0, "\"instance_id\":\"")
		id = substr($0, q + 15)
		id = substr(id, 1, index(id, "\"") - 1)
	}
	inst[id] = 1
	sub(/^\{"type":"sample",/, "{\"type\":\"sample\",\"partition\":\"" id "\",\"window_start\":\"" ws "\",\"window_end\":\"" we "\",")
	print
}
END { if (cur != "") flush() }'
}

gen_range() {
	_first=$(head -n 1 "$1" | sed 's/.*"ts":"\([0-9-]*\)T.*/\1/')
	_last=$(tail -n 1 "$1" | sed 's/.*"ts":"\([0-9-]*\)T.*/\1/')
	echo "$_first $(date -u -d "$_last + 1 day" +%Y-%m-%d)"
}
