#!/bin/sh
# bf-aggregate gives byte-identical output for the same samples in any order
# and in any batching: shuffled (shuf with fixed random sources), split over
# several input files, and (compared sorted) with the windows in another
# order. The data has duplicates, conflicts, counter resets, values as
# strings and numbers, times as RFC 3339 and epoch seconds, a price change
# and an owner change inside windows, and --step downsampling.
. "$(dirname "$0")/../lib/common.sh"

cd "$T"
cat >rates.csv <<'EOF'
metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to
storage_bytes,Bytes,integral,GiB-Hours,,3865470566400,0.000158,USD,2025-01-01,2026-01-01T09:00:00Z
storage_bytes,Bytes,integral,GiB-Hours,,3865470566400,0.000171,USD,2026-01-01T09:00:00Z,
cpu_seconds,s,increase,vCPU-Hours,,3600,0.045,USD,2025-01-01,
connections,Count,p95,Connection-Days,,,0.0001,USD,,
iops,Count,avg,IOPS-Units,6,7,0.00033,USD,,
EOF
cat >tenants.csv <<'EOF'
instance_id,tenant,cost_center,effective_from,effective_to
i0a,acme,cc-1,2025-01-01,2026-01-01T15:30:00Z
i0a,globex,cc-7,2026-01-01T15:30:00Z,
i1b,initech,,,
EOF

awk 'BEGIN { strftime("%Y", 0, 1) }' 2>/dev/null ||
	skip_all "this awk has no strftime (gawk or mawk 1.3.4 needed)"

# A deterministic generator: an LCG whose products stay exact in any awk's
# doubles, so every awk gives the same data. Per partition (3), window (4
# of 6 h), instance (2), metric (4): one sample every 300 s, some repeated
# (duplicates) and some repeated with another value (conflicts).
awk -v T0=1767225600 '
function rnd() { x = (x * 214013 + 2531011) % 16777216; return x / 16777216 }
function ts(t,   s) {
	if (rnd() < 0.2) return t
	s = strftime("%Y-%m-%dT%H:%M:%SZ", t, 1)
	return "\"" s "\""
}
function emit(p, k, inst, m, unit, t, v,   ws, we, line) {
	ws = strftime("%Y-%m-%dT%H:%M:%SZ", T0 + k * 21600, 1)
	we = strftime("%Y-%m-%dT%H:%M:%SZ", T0 + (k + 1) * 21600, 1)
	line = "{\"type\":\"sample\",\"partition\":\"p" p "\",\"window_start\":\"" ws \
	    "\",\"window_end\":\"" we "\",\"instance_id\":\"" inst \
	    "\",\"metric\":\"" m "\",\"ts\":" ts(t) ",\"value\":" v \
	    ",\"unit\":\"" unit "\",\"source\":\"gen\",\"resolution\":300}"
	print line
	if (rnd() < 0.05) print line
}
BEGIN {
	x = 42
	for (p = 0; p < 3; p++) for (k = 0; k < 4; k++) {
		for (i = 0; i < 2; i++) {
			inst = "i" p (i ? "b" : "a")
			ctr = int(rnd() * 1000)
			for (t = T0 + k * 21600; t < T0 + (k + 1) * 21600; t += 300) {
				v = 10000000000 + int(rnd() * 1000000) * 1024
				emit(p, k, inst, "storage_bytes", "Bytes", t,
				    sprintf("%.0f", v))
				ctr += int(rnd() * 300)
				if (rnd() < 0.02) ctr = int(rnd() * 50)
				emit(p, k, inst, "cpu_seconds", "s", t, ctr)
				v = int(rnd() * 500)
				emit(p, k, inst, "connections", "Count", t,
				    rnd() < 0.5 ? v : "\"" v "\"")
				v = sprintf("%d.%03d", int(rnd() * 3000), int(rnd() * 1000))
				emit(p, k, inst, "iops", "Count", t, v)
				if (rnd() < 0.03)
					emit(p, k, inst, "iops", "Count", t, v + 1)
			}
		}
		printf "{\"type\":\"window\",\"partition\":\"p%d\",\"window_start\":\"%s\",\"window_end\":\"%s\",\"grid\":\"size=21600 phase=0 billing_day=1\",\"status\":\"ok\"}\n", \
		    p, strftime("%Y-%m-%dT%H:%M:%SZ", T0 + k * 21600, 1), \
		    strftime("%Y-%m-%dT%H:%M:%SZ", T0 + (k + 1) * 21600, 1)
	}
}' >canon.ndjson
grep '"type":"sample"' canon.ndjson >samples
grep '"type":"window"' canon.ndjson >windows

# Fixed random sources for shuf, from the same kind of LCG.
randsrc() {
	awk -v seed="$1" 'BEGIN { x = seed
		for (i = 0; i < 400000; i++) {
			x = (x * 214013 + 2531011) % 16777216
			printf "%c", int(x / 65536) + 0 }
	}' >"rand$1"
}
randsrc 7
randsrc 1234
randsrc 99

agg() { bf-aggregate -r rates.csv -t tenants.csv --step 1h "$@"; }

run_prog agg canon.ndjson
check_rc 0 "canonical order"
cp "$T/out" a.out
check_eq "$(grep -c '"type":"usage"' a.out)" 96 "96 usage lines (3x4 windows, 2 instances, 4 metrics)"
check_eq "$(grep -c '"status":"ok"' a.out)" 12 "12 windows ok"
check_eq "$(jq -s '[.[] | select(.type == "window") | .duplicates] | add > 0' a.out)" \
    true "the data has duplicates"
check_eq "$(jq -s '[.[] | select(.type == "window") | .conflicts] | add > 0' a.out)" \
    true "the data has conflicts"
check_eq "$(jq -s '[.[] | select(.type == "usage") | .allocations | length] | max' a.out)" \
    2 "an owner change is in the data"
check_eq "$(jq -s '[.[] | select(.type == "usage") | .prices | length] | max' a.out)" \
    2 "a price change is in the data"

# All samples shuffled, the window lines at the end in the same order.
{ shuf --random-source=rand7 samples; cat windows; } >b.ndjson
run_prog agg b.ndjson
check_file "$T/out" a.out "shuffled samples: byte-identical"

# Another shuffle, split into 7 files of uneven batches, read as arguments,
# the middle one from standard input.
{ shuf --random-source=rand1234 samples; cat windows; } >c.ndjson
split -n l/7 c.ndjson part.
set -- part.*
check_eq "$#" 7 "split into 7 batches"
run_prog sh -c 'bf-aggregate -r rates.csv -t tenants.csv --step 1h \
    part.aa part.ab part.ac - part.ae part.af part.ag <part.ad'
check_file "$T/out" a.out "shuffled and batched over 7 files: byte-identical"

# The windows in reverse order, each closed after its own shuffled samples:
# the same lines, in another order.
tac windows | while IFS= read -r w; do
	key=$(printf '%s\n' "$w" | jq -r '"\"partition\":\"\(.partition)\",\"window_start\":\"\(.window_start)\""')
	grep -F "$key" samples | shuf --random-source=rand99
	printf '%s\n' "$w"
done >d.ndjson
check_eq "$(wc -l <d.ndjson)" "$(wc -l <canon.ndjson)" "reordered input has every line"
run_prog agg d.ndjson
sort "$T/out" >d.sorted
sort a.out >a.sorted
check_file d.sorted a.sorted "windows in another order: the same lines"
check_eq "$(head -c 300 "$T/out" | grep -c '"partition":"p2"')" 1 \
    "...which came in the new order"

done_testing
