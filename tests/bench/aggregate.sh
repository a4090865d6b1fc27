#!/bin/sh
# tests/bench/aggregate.sh: bf-aggregate's speed and memory.
# - N samples (default 1M times BF_BENCH_SCALE) in 24 h windows (5 metrics at
#   300 s: 1440 samples and one window line per window) through bf-aggregate
#   with a rate card and a tenant map, beside an equivalent jq program in the
#   same run: group_by (instance_id, metric, window_start, window_end), each
#   group sorted by ts, then count, sum, avg, min, max, last and p95 (jq
#   slurps the whole input, as group_by needs). Target: at least 20x jq.
# - peak RSS of bf-aggregate over 10M samples (times BF_BENCH_SCALE) of 24 h
#   windows, generated on the fly into a pipe. Target: under 64 MiB.
# Usage: tests/bench/aggregate.sh [N [BIG]]
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/bench/lib.sh"
n=${1:-$((1000000 * BF_BENCH_SCALE))}
big=${2:-$((10000000 * BF_BENCH_SCALE))}

cat >"$W/rates.csv" <<'EOF'
metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to
storage_bytes,Bytes,integral,GiB-Hours,,3865470566400,0.000158,USD,2025-01-01,2026-02-01
storage_bytes,Bytes,integral,GiB-Hours,,3865470566400,0.000150,USD,2026-02-01,
cpu_seconds,s,increase,vCPU-Hours,,3600,0.045,USD,,
connections,Count,p95,Connection-Days,,,0.0001,USD,,
iops,Count,avg,IOPS-Days,,,0.00002,USD,,
replica_lag,s,max,Lag-Days,,,0,USD,,
EOF
cat >"$W/tenants.csv" <<'EOF'
instance_id,tenant,cost_center,effective_from,effective_to
db-1,acme,cc-1,,2026-01-15T12:00:00Z
db-1,globex,cc-7,2026-01-15T12:00:00Z,
db-2,initech,,,
EOF

# gen N: N sample lines of bf(7), a window line after each window's samples;
# 50 partitions (one instance each), day after day.
gen() {
	awk -v n="$1" 'BEGIN {
		split("storage_bytes cpu_seconds connections iops replica_lag", m, " ")
		split("Bytes s Count Count s", u, " ")
		x = 1; k = 0; i = 0; day = 0
		while (k < n) {
			p = "db-" (i % 50 + 1)
			t = 1767225600 + day * 86400
			ws = strftime("%Y-%m-%dT%H:%M:%SZ", t, 1)
			we = strftime("%Y-%m-%dT%H:%M:%SZ", t + 86400, 1)
			pre = "{\"type\":\"sample\",\"partition\":\"" p "\",\"window_start\":\"" \
			    ws "\",\"window_end\":\"" we "\",\"instance_id\":\"" p "\",\"metric\":\""
			ctr = 0
			for (s = 0; s < 288 && k < n; s++) {
				ts = strftime("%Y-%m-%dT%H:%M:%SZ", t + s * 300, 1)
				for (j = 1; j <= 5 && k < n; j++) {
					x = (x * 214013 + 2531011) % 16777216
					if (j == 1) v = sprintf("%.0f", 10737418240 + x * 64)
					else if (j == 2) v = (ctr += x % 300)
					else if (j == 3) v = x % 500
					else if (j == 4) v = sprintf("%d.%03d", x % 3000, x % 1000)
					else v = x % 60
					printf "%s%s\",\"ts\":\"%s\",\"value\":%s,\"unit\":\"%s\"," \
					    "\"source\":\"prometheus\",\"resolution\":300}\n",
					    pre, m[j], ts, v, u[j]
					k++
				}
			}
			printf "{\"type\":\"window\",\"partition\":\"%s\",\"window_start\":\"%s\"," \
			    "\"window_end\":\"%s\",\"grid\":\"size=86400 phase=0 billing_day=1\"," \
			    "\"status\":\"ok\",\"fetched\":1440}\n", p, ws, we
			i++
			if (i % 50 == 0)
				day++
		}
	}'
}

gen "$n" >"$W/in.ndjson"
echo "aggregate: $n samples, $(grep -c '"type":"window"' "$W/in.ndjson") windows, $(wc -c <"$W/in.ndjson") bytes"

AGG="$BF_BIN/bf-aggregate -r $W/rates.csv -t $W/tenants.csv"
measure "bf-aggregate" "$AGG $W/in.ndjson >$W/out"
bf=$SECS bfrss=$RSS
echo "  $(grep -c '"type":"usage"' "$W/out") usage lines"

if command -v jq >/dev/null 2>&1; then
	measure "jq -s group_by (count sum avg min max last p95)" "jq -s -c '
	    map(select(.type == \"sample\"))
	    | group_by([.instance_id, .metric, .window_start, .window_end])[]
	    | sort_by(.ts) | map(.value | tonumber) as \$v
	    | (\$v | sort) as \$s
	    | {count: (\$v | length), sum: (\$v | add), avg: ((\$v | add) / (\$v | length)),
	       min: \$s[0], max: \$s[-1], last: \$v[-1],
	       p95: \$s[((\$s | length) * 95 + 99) / 100 | floor - 1]}' $W/in.ndjson"
	jq=$SECS
	echo "ratio jq / bf-aggregate: $(ratio "$jq" "$bf") (target >= 20)"
else
	echo "jq not installed: no jq ratio"
fi

if [ -x /usr/bin/time ]; then
	s0=$(date +%s)
	gen "$big" | /usr/bin/time -f '%e %M' -o "$W/.big" $AGG >/dev/null
	read -r secs rss <"$W/.big"
	printf '%-40s %8.2f s %10s KiB\n' "bf-aggregate, $big samples (pipe)" "$secs" "$rss"
	echo "peak RSS for $big samples in 24 h windows: $((rss / 1024)) MiB (target < 64 MiB);" \
	    "1M-sample run: $((bfrss / 1024)) MiB; generator and all: $(($(date +%s) - s0)) s"
else
	echo "/usr/bin/time not installed: no peak RSS"
fi
