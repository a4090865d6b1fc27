#!/bin/sh
# tests/bench/json.sh: speed of the strict JSON reader (src/lib/json.c).
# Takes N realistic stream lines (default 200000: bf-gen samples with their
# window fields, the usage and window lines bf-aggregate makes of them),
# then prints lines/s of
#   - tool-jsonbench: bf_json_parse + bf_json_get of four fields, in memory;
#     bf_json_parse alone; jsmn tokenizing alone (no validation)
#   - tool-jsoncheck -q (stdin to a count, as a filter would read it)
#   - jq -c . (the same lines, output discarded)
# and the ratios. Usage: tests/bench/json.sh [N] (N defaults to 200000 times
# BF_BENCH_SCALE). The lines are stream lines as bf(7) has them (window
# fields, usage lines with allocations), longer than bf-gen's raw samples.
. "$(dirname "$0")/lib.sh"
n=${1:-$(scaled 200000)}
tmp=$W

# The stream as the stages see it: bf-gen's samples windowed per instance
# and day (window fields on every sample), then bf-aggregate's usage lines
# (with allocations and prices) and window lines (with counts) for them.
gen_stream -n 4 -d 3650 --fine-from-day 2 -l "$n" >"$tmp/stream"
bf-aggregate -r "$top/examples/demo/rates.csv" -t "$top/examples/demo/tenants.csv" \
    -d "$tmp/dlq" "$tmp/stream" >"$tmp/usage" || :
# each window line of the stream becomes that window's usage lines and
# bf-aggregate's window line (both write windows in the same order)
awk -v agg="$tmp/usage" '!/^\{"type":"window"/ { print; next }
	{ while ((getline l < agg) > 0) { print l; if (l ~ /^\{"type":"window"/) break } }' \
    "$tmp/stream" | head -n "$n" >"$tmp/lines"
rm -f "$tmp/stream" "$tmp/usage"
echo "json: $n lines ($(grep -c '"type":"usage"' "$tmp/lines") usage, $(grep -c '"type":"window"' "$tmp/lines") window), $(wc -c <"$tmp/lines") bytes"

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
