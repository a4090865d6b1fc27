#!/bin/sh
# tests/bench/aggregate.sh: bf-aggregate's speed and memory.
# - N samples (default 1M times BF_BENCH_SCALE) from bf-gen (20 instances,
#   the five signals, five instances at 1-minute resolution from day 2,
#   duplicates, no malformed lines: this is what bf-validate lets through)
#   in 24 h windows per instance, through bf-aggregate with a rate card that
#   uses several aggregates (avg, max, p95, integral, a price change inside
#   a window) and the demo tenant map (an owner change inside a window),
#   beside an equivalent jq program in the same run: group_by (instance_id,
#   metric, window_start, window_end), each group sorted by ts, then count,
#   sum, avg, min, max, last and p95 (jq slurps the whole input, as group_by
#   needs). Target: at least 20x jq.
# - peak RSS of bf-aggregate over BIG samples (default 10M times
#   BF_BENCH_SCALE) of 24 h windows, generated on the fly into a pipe.
#   Target: under 64 MiB.
# Usage: tests/bench/aggregate.sh [N [BIG]]
. "$(dirname "$0")/lib.sh"
n=${1:-$(scaled 1000000)}
big=${2:-$(scaled 10000000)}

cat >"$W/rates.csv" <<'EOF'
metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to
cpu_utilization,Percent,avg,vCPU-Days,,100,0.998400,USD,,
provisioned_iops,Count,max,IOPS-Days,,,0.003288,USD,,
storage_throughput,Bytes/Second,integral,GiB,,1073741824,0.002000,USD,,
connection_count,Count,p95,Connection-Days,,,0.012000,USD,,
backup_storage,Bytes,integral,GiB-Hours,,3865470566400,0.000130,USD,2025-01-01,2026-01-15T12:00:00Z
backup_storage,Bytes,integral,GiB-Hours,,3865470566400,0.000110,USD,2026-01-15T12:00:00Z,
EOF
GEN="-n 20 -d 3650 --fine-from-day 2 --malformed-ppm 0"

gen_stream $GEN -l "$n" >"$W/in.ndjson"
echo "aggregate: $n samples, $(grep -c '"type":"window"' "$W/in.ndjson") windows, $(wc -c <"$W/in.ndjson") bytes"

AGG="bf-aggregate -r $W/rates.csv -t $top/examples/demo/tenants.csv -d $W/dlq"
measure "bf-aggregate" "$AGG $W/in.ndjson >$W/out"
bf=$SECS bfrss=$RSS
[ "$RC" = 0 ] || echo "bf-aggregate exited with status $RC"
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
rm -f "$W/in.ndjson" "$W/out"

if [ -x /usr/bin/time ]; then
	s0=$(date +%s)
	gen_stream $GEN -l "$big" | /usr/bin/time -f '%e %M' -o "$W/.big" $AGG >/dev/null
	read -r secs rss <"$W/.big"
	printf '%-40s %8.2f s %10s KiB\n' "bf-aggregate, $big samples (pipe)" "$secs" "$rss"
	echo "peak RSS for $big samples in 24 h windows: $((rss / 1024)) MiB (target < 64 MiB);" \
	    "$n-sample run: $((bfrss / 1024)) MiB; generator and all: $(($(date +%s) - s0)) s"
else
	echo "/usr/bin/time not installed: no peak RSS"
fi
