#!/bin/sh
# tests/bench/validate.sh: bf-validate against an equivalent jq filter.
# Input: N realistic samples (default 500000 times BF_BENCH_SCALE; jq took
# over 90 s for 1M on a busy 2-core machine, too long for make bench) from
# bf-gen (five metrics, 23 instances, a few malformed lines), windowed per
# instance and day with the window line after each day, like bf-fetch
# writes them. Both check the contract of
# tests/man-fixtures/validate-contract.json (types, pattern, enum, date-time
# formats, window and now bounds, metric units and bounds, conversion) and
# write the valid lines. Prints time, CPU time, lines/s and peak RSS of each,
# the throughput ratio (target: bf-validate at least 15 times jq), and
# bf-validate's peak RSS on a tenth of the input (memory must not grow with
# the input). Usage: tests/bench/validate.sh [N]
. "$(dirname "$0")/lib.sh"
n=${1:-$(scaled 500000)}
C=$top/tests/man-fixtures/validate-contract.json
command -v jq >/dev/null || { echo "jq is not installed: skipped"; exit 0; }

# bf-gen writes 5 metrics x 23 instances x 288 samples a day.
gen_stream -d 3650 -n 23 -l "$n" >"$W/in.ndjson"
lines=$(wc -l <"$W/in.ndjson")
head -n $((lines / 10)) "$W/in.ndjson" >"$W/tenth.ndjson"

cat >"$W/rules.json" <<'EOF'
{
  "cpu_utilization": {"unit":"Percent","f":{"Percent":1,"ratio":100,"percent":1},"min":0,"max":100},
  "provisioned_iops": {"unit":"Count","f":{"Count":1},"min":0,"int":true},
  "storage_throughput": {"unit":"Bytes/Second","f":{"Bytes/Second":1,"Kilobytes/Second":1024,"Megabytes/Second":1048576,"Gigabytes/Second":1073741824,"Terabytes/Second":1099511627776,"Bits/Second":0.125,"Kilobits/Second":128,"Megabits/Second":131072,"Gigabits/Second":134217728,"Terabits/Second":137438953472},"min":0},
  "connection_count": {"unit":"Count","f":{"Count":1},"min":0,"int":true},
  "backup_storage": {"unit":"Bytes","f":{"Bytes":1,"Kilobytes":1024,"Megabytes":1048576,"Gigabytes":1073741824,"Terabytes":1099511627776,"Bits":0.125,"Kilobits":128,"Megabits":131072,"Gigabits":134217728,"Terabits":137438953472,"bytes":1},"min":0},
  "storage_bytes": {"unit":"Bytes","f":{"Bytes":1,"Kilobytes":1024,"Megabytes":1048576,"Gigabytes":1073741824,"Terabytes":1099511627776,"Bits":0.125,"Kilobits":128,"Megabits":131072,"Gigabits":134217728,"Terabits":137438953472,"bytes":1},"min":0},
  "replica_lag": {"unit":"Seconds","f":{"Seconds":1,"Milliseconds":0.001,"Microseconds":0.000001,"seconds":1},"min":0},
  "memory_gib": {"unit":"GiB","f":{"GiB":1,"MiB":0.0009765625,"Bytes":9.313225746154785e-10},"min":0}
}
EOF
cat >"$W/filter.jq" <<'EOF'
def dt: type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$");
if .type != "sample" then .
else
  . as $s | $R[$s.metric | tostring] as $r
  | select($r != null
      and ($s.partition | type) == "string" and ($s.window_start | dt) and ($s.window_end | dt)
      and ($s.value | type) == "number" and ($s.unit | type) == "string" and $r.f[$s.unit] != null
      and ($s.ts | dt) and $s.ts >= $s.window_start and $s.ts < $s.window_end and $s.ts <= $now
      and ($s.instance_id | type) == "string" and ($s.instance_id | test("^[a-z][a-z0-9-]{0,62}$"))
      and ($s.source == null or ($s.source as $x | ["prometheus","cloudwatch","postgres","file","bf-gen"] | index([$x]) != null))
      and ($s.resolution == null or (($s.resolution | type) == "number" and $s.resolution == ($s.resolution | floor) and $s.resolution >= 1)))
  | ($s.value * $r.f[$s.unit]) as $v
  | select(($r.min == null or $v >= $r.min) and ($r.max == null or $v <= $r.max)
      and (($r.int // false) | not or $v == ($v | floor)))
  | if $s.unit == $r.unit then .
    else .value = $v | .unit = $r.unit | .source_value = $s.value | .source_unit = $s.unit end
end
EOF

# run NAME LINES CMD: wall seconds, CPU seconds (user + sys), peak RSS in
# KiB, lines per CPU second.
run() {
	_name=$1 _lines=$2; shift 2
	/usr/bin/time -f '%e %U %S %M' -o "$W/.time" sh -c "$*"
	read -r WALL USR SYS RSS <"$W/.time"
	CPU=$(awk -v u="$USR" -v s="$SYS" 'BEGIN { printf "%.2f", u + s }')
	printf '%-28s %8.2f s wall %8.2f s cpu %12.0f lines/s %8s KiB\n' \
	    "$_name" "$WALL" "$CPU" \
	    "$(awk -v l="$_lines" -v c="$CPU" 'BEGIN { if (c <= 0) c = 0.01; print l / c }')" \
	    "$RSS"
}
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed: skipped"; exit 0; }
echo "input: $lines lines ($(du -h "$W/in.ndjson" | cut -f1)), samples and window lines"
run "bf-validate (tenth)" $((lines / 10)) "'$BF_BIN/bf-validate' -c '$C' -n 2026-12-31 -d '$W/dlq1' '$W/tenth.ndjson' >/dev/null"
rss_tenth=$RSS
run "bf-validate" "$lines" "'$BF_BIN/bf-validate' -c '$C' -n 2026-12-31 -d '$W/dlq' '$W/in.ndjson' >'$W/bf.out'"
bf_cpu=$CPU bf_wall=$WALL bf_rss=$RSS
run "jq -c (equivalent filter)" "$lines" "jq -c --arg now 2026-12-31T00:00:00Z --argjson R \"\$(cat '$W/rules.json')\" -f '$W/filter.jq' '$W/in.ndjson' >'$W/jq.out'"
jq_cpu=$CPU jq_wall=$WALL
echo "lines passed: bf-validate $(wc -l <"$W/bf.out"), jq $(wc -l <"$W/jq.out") (jq reads 1e400 as a double and lets it through); rejects: $(wc -l <"$W/dlq")"
echo "throughput ratio bf-validate/jq: $(ratio "$jq_cpu" "$bf_cpu")x (cpu), $(ratio "$jq_wall" "$bf_wall")x (wall); target 15x"
echo "bf-validate peak RSS: $rss_tenth KiB on $((lines / 10)) lines, $bf_rss KiB on $lines lines"
