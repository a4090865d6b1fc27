#!/bin/sh
# The bill does not depend on how the range was chunked (bf(7), issue 13):
# the same generated telemetry (a counter with resets, a storage gauge, a
# sum metric; samples off the window grid at whole seconds, gaps
# up to 50 minutes) is backfilled through the whole pipeline in 1 h, 24 h
# and 72 h windows, and the total per metric is the same for the three and
# equal to a reference computed here from the raw samples with Python's
# decimal module (not by bf):
#   increase  the sum over consecutive samples whose later one lies in the
#             range of (later - earlier), or of later where it fell (reset);
#   integral  the integral over the range of the value held from each sample
#             to the next (the last one to the range's end);
#   sum       the sum of the values whose ts lies in the range.
# Every value has at most 3 decimals and every ts is a whole second (the
# sources write sample times at second precision, bf(7)), so each row is
# exact and the totals must be equal, not merely close.
. "$(dirname "$0")/../lib/common.sh"
for p in python3 sqlite3; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
cd "$T"

FROM=2026-03-01T00:00:00Z TO=2026-03-10T00:00:00Z
printf 'db-a\ndb-b\n' >parts
cat >rates.csv <<'EOF'
metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to
cpu_seconds,Seconds,increase,vCPU-Seconds,,,0.5,USD,2025-01-01,
storage_bytes,Bytes,integral,Byte-Seconds,,,0.000001,USD,2025-01-01,
queries,Count,sum,Queries,,,0.001,USD,2025-01-01,
EOF
cat >contract.json <<'EOF'
{"$schema": "https://json-schema.org/draft/2020-12/schema",
 "type": "object", "required": ["instance_id", "metric", "ts", "value", "unit"],
 "properties": {"value": {"type": "number"}},
 "x-bf-metrics": {"cpu_seconds": {"unit": "Seconds"}, "storage_bytes": {"unit": "Bytes"},
                  "queries": {"unit": "Count"}}}
EOF

# The telemetry, from 40 minutes before the range to 40 minutes after it,
# and the reference, both from one seeded generator.
cat >gen.py <<'EOF'
import json, random, sys
from datetime import datetime, timezone
from decimal import Decimal as D

S = int(datetime(2026, 3, 1, tzinfo=timezone.utc).timestamp())
E = int(datetime(2026, 3, 10, tzinfo=timezone.utc).timestamp())
rnd = random.Random(20260301)
data, series = [], {}
for inst in ("db-a", "db-b"):
    t = D(S - 2400 + rnd.randrange(0, 300))
    ctr, q = D(rnd.randrange(0, 10000)), []
    while t < E + 2400:
        if rnd.random() < 0.03:
            ctr = D(rnd.randrange(0, 50))            # a counter reset
        else:
            ctr += D(rnd.randrange(0, 300000)) / 1000
        gauge = D(10**9 + rnd.randrange(0, 10**6)) + D(rnd.randrange(0, 1000)) / 1000
        qs = D(rnd.randrange(0, 5000)) / 1000
        for m, v, u in (("cpu_seconds", ctr, "Seconds"), ("storage_bytes", gauge, "Bytes"),
                        ("queries", qs, "Count")):
            series.setdefault(m, {}).setdefault(inst, []).append((t, v))
            ts = datetime.fromtimestamp(int(t), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            data.append({"instance_id": inst, "metric": m, "ts": ts,
                         "value": float(v) if v != int(v) else int(v), "unit": u})
        # Mostly 5 minutes apart, off any grid; now and then a gap of up to
        # 50 minutes (under the 1 h lookback).
        step = 300 + rnd.randrange(-40, 41)
        if rnd.random() < 0.02:
            step = rnd.randrange(600, 3000)
        t += step
rnd.shuffle(data)
with open("data.ndjson", "w") as f:
    for r in data:
        f.write(json.dumps(r, separators=(",", ":")) + "\n")

ref = {}
for m, by in series.items():
    tot = D(0)
    for inst, pts in by.items():
        for i, (t, v) in enumerate(pts):
            if m == "queries":
                if S <= t < E:
                    tot += v
            elif m == "cpu_seconds":
                if i > 0 and S <= t < E:
                    prev = pts[i - 1][1]
                    tot += v - prev if v >= prev else v
            else:
                end = pts[i + 1][0] if i + 1 < len(pts) else E
                lo, hi = max(t, D(S)), min(end, D(E))
                if hi > lo:
                    tot += v * (hi - lo)
    ref[m] = tot
for m in sorted(ref):
    print(m, ref[m].quantize(D("0.000000001")))
EOF
python3 gen.py >ref
check_eq "$(wc -l <ref)" 3 "the reference has a total per metric"

# Sums "metric value" lines exactly, per metric.
cat >sum.py <<'EOF'
import sys
from decimal import Decimal as D
tot, rows = {}, 0
for line in sys.stdin:
    m, v = line.split("|")
    tot[m] = tot.get(m, D(0)) + D(v)
    rows += 1
for m in sorted(tot):
    print(m, tot[m].quantize(D("0.000000001")))
EOF

for size in 1h 24h 72h; do
	mkdir "s$size"
	# Each stage's exit status is kept: sh has no pipefail.
	{ bf-window --from $FROM --to $TO --size $size --partitions parts \
	    --state "s$size/state" 2>"s$size/err.window"; echo $? >"s$size/rc.window"; } |
	{ bf-fetch --source file --data data.ndjson 2>"s$size/err.fetch"
	  echo $? >"s$size/rc.fetch"; } |
	{ bf-validate --contract contract.json --dlq "s$size/dlq.ndjson" \
	    2>"s$size/err.validate"; echo $? >"s$size/rc.validate"; } |
	{ bf-aggregate --rates rates.csv 2>"s$size/err.aggregate"
	  echo $? >"s$size/rc.aggregate"; } |
	{ bf-load --db "s$size/ledger.db" --state "s$size/state" >"s$size/out" \
	    2>"s$size/err.load"; echo $? >"s$size/rc.load"; }
	RC=$(cat "s$size/rc.window" "s$size/rc.fetch" "s$size/rc.validate" \
	    "s$size/rc.aggregate" "s$size/rc.load" | tr '\n' ' ')
	check_eq "$RC" "0 0 0 0 0 " "$size windows: every stage exits 0"
	[ "$RC" = "0 0 0 0 0 " ] || cat "s$size"/err.* | sed 's/^/# /' >&2
	check_eq "$(test -s "s$size/dlq.ndjson" && wc -l <"s$size/dlq.ndjson" || echo 0)" 0 \
	    "$size windows: nothing rejected"
	sqlite3 -batch "s$size/ledger.db" 'SELECT metric, value FROM usage' |
	    python3 sum.py >"s$size/totals"
	check_file "s$size/totals" ref "$size windows: the total per metric equals the reference"
	sqlite3 -batch "s$size/ledger.db" 'SELECT count(*) FROM usage' >"s$size/rows"
done
check_file s24h/totals s1h/totals "24 h and 1 h windows bill the same quantity"
check_file s72h/totals s1h/totals "72 h and 1 h windows bill the same quantity"
check_eq "$(cat s1h/rows) $(cat s24h/rows) $(cat s72h/rows)" "1296 54 18" \
    "one usage row per window, instance and metric (216, 9 and 3 windows)"

# The costs follow: per row round9(quantity x price), so the totals agree to
# within half a nano-unit per row.
for size in 1h 72h; do
	sqlite3 -batch "s$size/ledger.db" "SELECT 'all', cost FROM usage" |
	    python3 sum.py >"s$size/cost"
done
python3 - s1h/cost s72h/cost <<'EOF' && pass "the cost of 1 h and 72 h windows differs by no more than the rounding of their rows" || fail "cost differs beyond rounding"
import sys
from decimal import Decimal as D
a = D(open(sys.argv[1]).read().split()[1]); b = D(open(sys.argv[2]).read().split()[1])
sys.exit(0 if abs(a - b) <= D("0.0000000005") * 1296 else 1)
EOF
done_testing
