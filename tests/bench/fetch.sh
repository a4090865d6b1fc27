#!/bin/sh
# Bench: N one-hour windows fetched from a local Prometheus (loaded with 8
# days of one-minute history from bf-gen) by bf-fetch with -j 1 and -j 8, beside a
# shell loop of curl and jq making the same requests and writing the same
# sample lines, in the same run. Prints the times and the ratios.
# BF_BENCH_WINDOWS sets N (default 192 times BF_BENCH_SCALE: every hour of
# the 8 days, for each of the four instances in turn).
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/prom.sh"
for c in curl jq awk; do
	command -v $c >/dev/null 2>&1 || skip_all "$c is not installed"
done
N=${BF_BENCH_WINDOWS:-$(awk -v s="${BF_BENCH_SCALE:-1}" 'BEGIN { n = int(192 * s + 0.5); print (n < 4 ? 4 : n) }')}
T0=1767225600
# bf-gen's backup_storage of four instances, every minute for 8 days, as
# OpenMetrics for promtool.
{
	echo "# TYPE pg_database_size_bytes gauge"
	"$BF_TOP/bin/bf-gen" -n 4 -d 8 -r 1m --malformed-ppm 0 --duplicate-ppm 0 |
	    jq -r 'select(.metric == "backup_storage") |
		"pg_database_size_bytes{instance_id=\"\(.instance_id)\"} \(.value) \(.ts | fromdateiso8601)"'
	echo "# EOF"
} >"$T/history.om"
start_prom "$T/history.om"
printf 'metric,unit,query\nstorage_bytes,Bytes,pg_database_size_bytes{instance_id=${partition}}\n' >"$T/m.csv"
awk -v t0=$T0 -v n=$N 'BEGIN {
	for (i = 0; i < n; i++) {
		s = t0 + (i % 192) * 3600
		printf "%d %d db-%02d\n", s, s + 3600, i % 4 + 1
	}
}' | while read -r s e p; do
	printf '{"type":"window","partition":"%s","window_start":"%s","window_end":"%s"}\n' \
	    "$p" "$(date -u -d "@$s" +%Y-%m-%dT%H:%M:%SZ)" "$(date -u -d "@$e" +%Y-%m-%dT%H:%M:%SZ)"
done >"$T/windows"

now() { date +%s.%N; }
run_bf() {
	_t=$(now)
	bf-fetch -s prometheus -u "$PROM_URL" -m "$T/m.csv" --lookback 0 -j "$1" "$T/windows" >"$T/bf.$1"
	echo "$(now) $_t" | awk '{ printf "%.3f\n", $1 - $2 }'
}
# The same requests and lines with curl and jq, one process pair a window.
run_shell() {
	_t=$(now)
	jq -r '[.partition, .window_start, .window_end,
	    (.window_start | fromdateiso8601), (.window_end | fromdateiso8601)] | @tsv' \
	    "$T/windows" |
	while IFS="$(printf '\t')" read -r p ws we s e; do
		curl -sf -G "$PROM_URL/api/v1/query_range" \
		    --data-urlencode "query=pg_database_size_bytes{instance_id=\"$p\"}" \
		    --data-urlencode "start=$s" --data-urlencode "end=$((e - 60))" \
		    --data-urlencode step=60 |
		jq -c --arg p "$p" --arg ws "$ws" --arg we "$we" '
		    .data.result[] | .metric.instance_id as $i | .values[] |
		    {type: "sample", partition: $p, window_start: $ws, window_end: $we,
		     instance_id: $i, metric: "storage_bytes",
		     ts: (.[0] | todate), value: (.[1] | tonumber), unit: "Bytes",
		     source: "prometheus", resolution: 60}'
		printf '{"type":"window","partition":"%s","window_start":"%s","window_end":"%s","status":"ok"}\n' \
		    "$p" "$ws" "$we"
	done >"$T/shell"
	echo "$(now) $_t" | awk '{ printf "%.3f\n", $1 - $2 }'
}

bf-fetch -s prometheus -u "$PROM_URL" -m "$T/m.csv" "$T/windows" >/dev/null # warm up
j1=$(run_bf 1)
j8=$(run_bf 8)
sh=$(run_shell)
n1=$(grep -c '"type":"sample"' "$T/bf.1")
n8=$(grep -c '"type":"sample"' "$T/bf.8")
ns=$(grep -c '"type":"sample"' "$T/shell")
cmp -s "$T/bf.1" "$T/bf.8" || echo "fetch: WARNING: -j 1 and -j 8 outputs differ"
[ "$n1" = "$ns" ] || echo "fetch: WARNING: bf-fetch wrote $n1 samples, the shell loop $ns"
echo "fetch: $N windows, $n1 samples from Prometheus ($(nproc) cores)"
echo "fetch: bf-fetch -j 1   ${j1}s"
echo "fetch: bf-fetch -j 8   ${j8}s"
echo "fetch: curl+jq loop    ${sh}s"
awk -v a="$j1" -v b="$j8" -v c="$sh" 'BEGIN {
	printf "fetch: ratio curl+jq / bf-fetch -j 1 = %.1f\n", c / a
	printf "fetch: ratio curl+jq / bf-fetch -j 8 = %.1f\n", c / b
	printf "fetch: ratio bf-fetch -j 1 / -j 8    = %.1f\n", a / b
}'
