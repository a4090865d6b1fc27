#!/bin/sh
# bf-aggregate's lookback samples (bf-aggregate(1), "LOOKBACK"): the rise
# and the held value across a window's start are billed once, whatever the
# size of the windows. Figures by hand, and a reference in python3 computed
# from the raw samples for the chunking invariant of issue 13.
. "$(dirname "$0")/../lib/common.sh"
command -v python3 >/dev/null || skip_all "python3 is not installed"

cd "$T"
HDR=metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to
printf '%s\n' "$HDR" "cpu,s,increase,s,,,1,USD,," "disk,B,integral,Bs,,,1,USD,," \
    "conns,n,max,n,,,1,USD,," "req,n,sum,n,,,1,USD,," >rates.csv
WS=2026-01-01T01:00:00Z WE=2026-01-01T02:00:00Z
# s INSTANCE METRIC TS VALUE UNIT [EXTRA]: a sample of [01:00, 02:00).
s() {
	printf '{"type":"sample","partition":"p","window_start":"%s","window_end":"%s","instance_id":"%s","metric":"%s","ts":"%s","value":%s,"unit":"%s"%s}\n' \
	    "$WS" "$WE" "$1" "$2" "$3" "$4" "$5" "${6:-}"
}
LB=',"lookback":true'
wline() { printf '{"type":"window","partition":"p","window_start":"%s","window_end":"%s","status":"ok"}\n' "$WS" "$WE"; }
get() { jq -r --arg i "$1" --arg m "$2" "select(.type == \"usage\" and .instance_id == \$i and .metric == \$m) | $3" "$T/out"; }
win() { jq -r "select(.type == \"window\") | $1" "$T/out"; }

{
	# A counter at 3300 at 00:55, 3600 at 01:00, 3900 at 01:05: 600.
	s a cpu 2026-01-01T01:05:00Z 3900 s
	s a cpu 2026-01-01T00:55:00Z 3300 s "$LB"
	s a cpu 2026-01-01T01:00:00Z 3600 s
	# Two lookback samples: the later one (00:59, 100) counts, and the
	# first in-window sample (50) is below it: a reset, +50; then +10.
	s b cpu 2026-01-01T00:59:00Z 100 s "$LB"
	s b cpu 2026-01-01T00:30:00Z 10 s "$LB"
	s b cpu 2026-01-01T01:10:00Z 50 s
	s b cpu 2026-01-01T01:20:00Z 60 s
	# A gauge at 10 from before the window and 20 from 01:30:
	# 10 * 1800 + 20 * 1800 = 54000 (without lookback: 36000).
	s a disk 2026-01-01T00:55:00Z 10 B "$LB"
	s a disk 2026-01-01T01:30:00Z 20 B
	# max and sum ignore the lookback sample: 7 and 12.
	s a conns 2026-01-01T00:59:59Z 1000 n "$LB"
	s a conns 2026-01-01T01:10:00Z 7 n
	s a conns 2026-01-01T01:20:00Z 5 n
	s a req 2026-01-01T00:59:59Z 1000 n "$LB"
	s a req 2026-01-01T01:10:00Z 7 n
	s a req 2026-01-01T01:20:00Z 5 n
	# A series with a lookback sample alone has no usage line.
	s c cpu 2026-01-01T00:50:00Z 5 s "$LB"
	# Refused: lookback not true, and a lookback sample in the window.
	s a cpu 2026-01-01T01:06:00Z 3950 s ',"lookback":false'
	s a cpu 2026-01-01T01:07:00Z 3960 s "$LB"
	wline
} >in.ndjson
run_prog bf-aggregate -d dlq.ndjson -r rates.csv in.ndjson
check_rc 0 "lookback: bf-aggregate"
check_eq "$(get a cpu '[.value, .samples, .coverage] | join(" ")')" \
    "600.000000000 2 1.000000000" \
    "increase counts the step from the lookback sample; samples and coverage ignore it"
check_eq "$(get b cpu .value)" 60.000000000 \
    "the latest lookback sample counts, with the reset rule"
# b covers 01:10 to 02:00 of the hour: 3000 / 3600.
check_eq "$(get b cpu .coverage)" 0.833333333 "coverage ignores the lookback sample"
check_eq "$(get a disk .value)" 54000.000000000 \
    "integral holds the lookback value from the window start"
check_eq "$(get a conns .value) $(get a req .value)" "7.000000000 12.000000000" \
    "max and sum ignore the lookback sample"
check_eq "$(jq -r 'select(.type == "usage") | .instance_id + "/" + .metric' "$T/out" | tr '\n' ' ')" \
    "a/conns a/cpu a/disk a/req b/cpu " "no usage line for a lookback sample alone"
check_eq "$(win '[.status, .usage_rows, .aggregated, .invalid_samples, .lookback_used, .duplicates, .conflicts] | join(" ")')" \
    "ok 5 9 2 3 0 0" "window line: lookback_used counts a/cpu, b/cpu, a/disk"
check_eq "$(jq -r '[.error.code, .error.pointer] | join(" ")' dlq.ndjson | tr '\n' ' ')" \
    "bad_lookback /lookback lookback_in_window /ts " "refused lookback samples go to the DLQ"

# Without the lookback samples: the old figures, and no lookback_used.
grep -v '"lookback"' in.ndjson >nolb.ndjson
run_prog bf-aggregate -r rates.csv nolb.ndjson
check_eq "$(get a cpu .value) $(get a disk .value) $(win 'has("lookback_used")')" \
    "300.000000000 36000.000000000 false" "without lookback samples, as before"

# The invariant: the same raw samples cut into 1 h, 24 h and 72 h windows,
# each window with its lookback sample (the last sample of the series in
# the hour before it), bill the same total per metric, equal to what the
# raw samples say. Samples every 5 to 9 minutes from 00:02:17, a counter
# with resets, a storage gauge, a sum metric.
printf '%s\n' "$HDR" "cpu,s,increase,vCPU-Hours,,3600,0.045,USD,," \
    "disk,B,integral,GiB-Hours,,3865470566400,0.000158,USD,," \
    "req,n,sum,kreq,,1000,0.3,USD,," >rates3.csv
cat >chunk.py <<'PY'
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
units = {"cpu": "s", "disk": "B", "req": "n"}
if sys.argv[1] == "ref":
    # From the raw samples: the rises (a fall is a reset from 0), the
    # value held up to the next sample or the end, the sum.
    cpu = raw["cpu"]
    inc = sum(b[1] - a[1] if b[1] >= a[1] else b[1] for a, b in zip(cpu, cpu[1:]))
    d = raw["disk"]
    integ = sum(v * ((d[i + 1][0] if i + 1 < len(d) else END) - t) for i, (t, v) in enumerate(d))
    print("cpu %s\ndisk %s\nreq %s" % (inc / 3600, integ / 3865470566400, sum(v for t, v in raw["req"]) / 1000))
    sys.exit()
size = int(sys.argv[1]) * 3600
for ws in range(T0, END, size):
    we = ws + size
    base = {"type": "sample", "partition": "db-9", "window_start": iso(ws),
            "window_end": iso(we), "instance_id": "db-9"}
    for m, ss in raw.items():
        lb = [x for x in ss if ws - 3600 <= x[0] < ws]
        rows = [x for x in ss if ws <= x[0] < we]
        if lb:
            rows.insert(0, lb[-1])
        for t, v in rows:
            o = dict(base, metric=m, ts=iso(t), value=str(v), unit=units[m])
            if t < ws:
                o["lookback"] = True
            print(json.dumps(o, separators=(",", ":")))
    print(json.dumps({"type": "window", "partition": "db-9",
        "window_start": iso(ws), "window_end": iso(we), "status": "ok"},
        separators=(",", ":")))
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
python3 chunk.py ref >ref.txt
for h in 1 24 72; do
	python3 chunk.py $h >in-$h.ndjson
	run_prog bf-aggregate -r rates3.csv in-$h.ndjson
	check_rc 0 "chunks of $h h: bf-aggregate"
	python3 total.py ref.txt <"$T/out" >total-$h.txt
	check_eq "$(grep -c near total-$h.txt)" 3 \
	    "chunks of $h h: each metric's total equals the raw samples' ($(tr '\n' ' ' <total-$h.txt))"
done
check_file total-1.txt total-24.txt "1 h and 24 h windows bill the same totals"
check_file total-1.txt total-72.txt "1 h and 72 h windows bill the same totals"

done_testing
