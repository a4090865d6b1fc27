#!/bin/sh
# The chunking invariant of issue 13 through the real pipeline: the same raw
# samples (a counter with resets, a storage gauge, a sum metric, every 5 to
# 9 minutes off the window grid), planned by bf-window in 1 h, 24 h and 72 h
# windows, fetched by bf-fetch from a file with its lookback samples,
# checked by bf-validate and billed by bf-aggregate, give the same total
# quantity per metric, equal to what the raw samples say (a reference
# computed here in python3), to within the 1e-9 rounding of each row. With
# --lookback 0 the 1 h windows lose the usage at their edges.
. "$(dirname "$0")/../lib/common.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
# The lookback samples need bf-validate and bf-aggregate of issue 13.
bf-validate --help 2>&1 | grep -q -- --lookback ||
    skip_all "bf-validate has no --lookback"
bf-aggregate --help 2>&1 | grep -q -- min-coverage ||
    skip_all "bf-aggregate has no lookback samples"
cd "$T" || exit 1

HDR=metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to
printf '%s\n' "$HDR" "cpu,Seconds,increase,vCPU-Hours,,3600,0.045,USD,," \
    "disk,Bytes,integral,GiB-Hours,,3865470566400,0.000158,USD,," \
    "req,Count,sum,kreq,,1000,0.3,USD,," >rates.csv
cat >contract.json <<'EOF'
{"$schema": "https://json-schema.org/draft/2020-12/schema",
 "type": "object", "required": ["instance_id", "metric", "ts", "value", "unit"],
 "properties": {"value": {"type": "number"}},
 "x-bf-metrics": {"cpu": {"unit": "Seconds"}, "disk": {"unit": "Bytes"},
                  "req": {"unit": "Count"}}}
EOF
printf 'db-9\n' >parts
cat >raw.py <<'PY'
import datetime, json, sys
from decimal import Decimal as D
T0 = int(datetime.datetime(2026, 4, 1, tzinfo=datetime.timezone.utc).timestamp())
END = T0 + 72 * 3600
def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
raw = {"cpu": [], "disk": [], "req": []}
t, k, c = T0 + 137, 0, 5000
while t < END:
    c = (k * 7) % 300 if k % 97 == 96 else c + (k * 37) % 211 + 3
    raw["cpu"].append((t, D(c)))
    raw["disk"].append((t, D((40 + k % 23) * 1073741824 + k)))
    raw["req"].append((t, D((k * 13) % 101) + D("0.25")))
    t += 300 + (k * 61) % 241
    k += 1
units = {"cpu": "Seconds", "disk": "Bytes", "req": "Count"}
if sys.argv[1] == "data":
    # The records in no particular order, as a file source gets them.
    recs = [(t, m, v) for m, ss in raw.items() for t, v in ss]
    recs.sort(key=lambda r: (r[0] * 7919) % 10007)
    for t, m, v in recs:
        print(json.dumps({"instance_id": "db-9", "metric": m, "ts": iso(t),
            "value": float(v) if m == "req" else int(v), "unit": units[m]},
            separators=(",", ":")))
    sys.exit()
# The reference, from the raw samples: the rises (a fall is a reset from
# 0), the value held up to the next sample or the end, the sum.
cpu = raw["cpu"]
inc = sum(b[1] - a[1] if b[1] >= a[1] else b[1] for a, b in zip(cpu, cpu[1:]))
d = raw["disk"]
integ = sum(v * ((d[i + 1][0] if i + 1 < len(d) else END) - t) for i, (t, v) in enumerate(d))
print("cpu %s\ndisk %s\nreq %s" % (inc / 3600, integ / 3865470566400, sum(v for t, v in raw["req"]) / 1000))
PY
cat >total.py <<'PY'
import json, sys
from decimal import Decimal as D
tot, rows = {}, 0
for l in sys.stdin:
    o = json.loads(l)
    if o["type"] == "usage":
        tot[o["metric"]] = tot.get(o["metric"], D(0)) + D(o["quantity"])
        rows += 1
# Each row rounds its quantity once to 1e-9: the totals may differ from the
# raw reference by at most half of 1e-9 per row.
ref = dict(l.split() for l in open(sys.argv[1]))
for m in sorted(tot):
    ok = abs(tot[m] - D(ref[m])) <= D("0.5e-9") * rows
    print(m, "%.6f" % tot[m], "near" if ok else "FAR %s" % ref[m])
PY
python3 raw.py data >data.ndjson
python3 raw.py ref >ref.txt

# pipeline SIZE [FETCH OPTIONS]: the usage and window lines of the range in
# SIZE windows; the stages' exit statuses in rc.
pipeline() {
	_size=$1
	shift
	rm -rf state
	{ bf-window --from 2026-04-01 --to 2026-04-04 --size "$_size" \
	    --partitions parts --state state; echo $? >rc.w; } |
	{ bf-fetch --source file --data data.ndjson "$@"; echo $? >rc.f; } |
	{ bf-validate --contract contract.json --dlq dlq.ndjson \
	    --lookback "${LB:-1h}"; echo $? >rc.v; } |
	{ bf-aggregate --rates rates.csv; echo $? >rc.a; }
	cat rc.w rc.f rc.v rc.a | tr '\n' ' ' >rc
}

for size in 1h 24h 72h; do
	pipeline $size >out-$size
	check_eq "$(cat rc)" "0 0 0 0 " "$size windows: every stage exits 0"
	python3 total.py ref.txt <out-$size >total-$size
	check_eq "$(grep -c near total-$size)" 3 \
	    "$size windows: each metric's total equals the raw samples' ($(tr '\n' ' ' <total-$size))"
done
check_eq "$(jq -s '[.[] | select(.type == "window") | .lookback] | add' out-1h)" \
    "$(awk '/"window"/ { n++ } END { print (n - 1) * 3 }' out-1h)" \
    "1h windows: a lookback sample for each series of every window but the first"
check_file total-1h total-24h "1 h and 24 h windows bill the same totals"
check_file total-1h total-72h "1 h and 72 h windows bill the same totals"

# Without lookback samples the 1 h windows bill less: the counter's rises
# and the gauge's time across each window's start are lost.
LB=0 pipeline 1h --lookback 0 >out-nolb
check_eq "$(cat rc)" "0 0 0 0 " "--lookback 0: every stage exits 0"
python3 total.py ref.txt <out-nolb >total-nolb
check_eq "$(grep -c FAR total-nolb)" 2 \
    "--lookback 0: increase and integral fall short, sum does not ($(tr '\n' ' ' <total-nolb))"

done_testing
