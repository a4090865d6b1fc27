#!/bin/sh
# tests/bench/json.sh: speed of the strict JSON reader (src/lib/json.c).
# Generates N realistic telemetry lines (default 200000: samples, with a usage
# and a window line per window), then prints lines/s of
#   - tool-jsonbench: bf_json_parse + bf_json_get of four fields, in memory;
#     bf_json_parse alone; jsmn tokenizing alone (no validation)
#   - tool-jsoncheck -q (stdin to a count, as a filter would read it)
#   - jq -c . (the same lines, output discarded)
# and the ratios. Usage: tests/bench/json.sh [N] (N defaults to 200000 times
# BF_BENCH_SCALE). The lines are stream lines as bf(7) has them (window
# fields, usage lines with allocations), longer than bf-gen's raw samples.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/bench/lib.sh"
: "${BF_TOOLS:=$top/build/rel/tools}"
n=${1:-$((200000 * BF_BENCH_SCALE))}
tmp=$W

gen() {
	awk -v n="$1" 'BEGIN {
		srand(42)
		split("storage_bytes cpu_seconds iops_read iops_write " \
		    "connections", m, " ")
		split("Bytes s 1 1 1", u, " ")
		day = 0; k = 0; i = 0
		while (k < n) {
			p = sprintf("db-%d", i % 50 + 1)
			ws = sprintf("2026-01-%02dT00:00:00Z", day % 28 + 1)
			we = sprintf("2026-01-%02dT00:00:00Z", day % 28 + 2)
			for (s = 0; s < 288 && k < n; s++) {
				x = int(rand() * 5) + 1
				printf "{\"type\":\"sample\",\"partition\":\"%s\"," \
				    "\"window_start\":\"%s\",\"window_end\":\"%s\"," \
				    "\"instance_id\":\"%s\",\"metric\":\"%s\"," \
				    "\"ts\":\"2026-01-%02dT%02d:%02d:00Z\"," \
				    "\"value\":%d,\"unit\":\"%s\"," \
				    "\"source\":\"prometheus\",\"resolution\":300}\n",
				    p, ws, we, p, m[x], day % 28 + 1,
				    int(s / 12), (s % 12) * 5,
				    int(rand() * 2147483648) * 10, u[x]
				k++
			}
			if (k < n) {
				printf "{\"type\":\"usage\",\"partition\":\"%s\"," \
				    "\"instance_id\":\"%s\",\"metric\":\"storage_bytes\"," \
				    "\"window_start\":\"%s\",\"window_end\":\"%s\"," \
				    "\"aggregate\":\"integral\",\"value\":\"%d.000000000\"," \
				    "\"samples\":288,\"expected_samples\":288," \
				    "\"coverage\":\"1.000000000\",\"quantity\":\"480.000000000\"," \
				    "\"usage_unit\":\"GiB-Hours\",\"unit_price\":\"0.000158\"," \
				    "\"cost\":\"0.075840000\",\"currency\":\"USD\"," \
				    "\"tenant\":\"acme\",\"allocations\":[{\"tenant\":\"acme\"," \
				    "\"cost_center\":\"cc-1\",\"cost\":\"0.075840000\"}]}\n",
				    p, p, ws, we, int(rand() * 1e9)
				k++
			}
			if (k < n) {
				printf "{\"type\":\"window\",\"partition\":\"%s\"," \
				    "\"window_start\":\"%s\",\"window_end\":\"%s\"," \
				    "\"grid\":\"size=86400 phase=0 billing_day=1\"," \
				    "\"status\":\"ok\",\"fetched\":288}\n", p, ws, we
				k++
			}
			i++
			if (i % 50 == 0)
				day++
		}
	}'
}

gen "$n" >"$tmp/lines"
echo "json: $n lines, $(wc -c <"$tmp/lines") bytes"

rate() { # lines seconds
	awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'
}
secs() { # command... ; prints wall seconds
	s0=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	s1=$(date +%s.%N)
	awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.3f", b - a }'
}

set -- $("$BF_TOOLS/tool-jsonbench" bf <"$tmp/lines" 2>/dev/null)
bf=$4; echo "bf_json_parse+get (in memory):  $bf lines/s ($3 s)"
set -- $("$BF_TOOLS/tool-jsonbench" bfparse <"$tmp/lines" 2>/dev/null)
bfp=$4; echo "bf_json_parse alone:            $bfp lines/s ($3 s)"
set -- $("$BF_TOOLS/tool-jsonbench" jsmn <"$tmp/lines" 2>/dev/null)
jsmn=$4; echo "jsmn tokenizing alone:          $jsmn lines/s ($3 s)"
s=$(secs "$BF_TOOLS/tool-jsoncheck" -q <"$tmp/lines")
chk=$(rate "$n" "$s"); echo "tool-jsoncheck -q (stdin):      $chk lines/s ($s s)"
if command -v jq >/dev/null 2>&1; then
	s=$(secs jq -c . "$tmp/lines")
	jq=$(rate "$n" "$s"); echo "jq -c .:                        $jq lines/s ($s s)"
	awk -v a="$chk" -v b="$jq" \
	    'BEGIN { printf "ratio tool-jsoncheck / jq: %.1f\n", a / b }'
else
	echo "jq not installed: no jq ratio"
fi
awk -v a="$bf" -v b="$jsmn" \
    'BEGIN { printf "ratio bf parse+get / jsmn tokenizing: %.2f\n", a / b }'
