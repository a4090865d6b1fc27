#!/bin/sh
# bf-fetch's lookback from the file source (NDJSON, get-metric-data,
# get-metric-statistics) and the exec source: for every series (instance_id,
# metric) of a window, the last record before window_start no older than
# --lookback, as a sample line of the window ending in "lookback":true,
# counted as "lookback" in the window line and not in "fetched"; none
# beyond the lookback, none with --lookback 0. The want is computed here by
# python3 from the generated records. Also: CloudWatch exports carry their
# own period (a 300 s export is resolution 300 whatever --now says).
. "$(dirname "$0")/../lib/common.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"
cd "$T" || exit 1

# Records off the window grid, in shuffled order: db-1 cpu every 7 min,
# db-1 storage every 41 min, db-1 rare with a gap of 3 hours, db-2 cpu
# every 13 min; hourly windows from 2026-01-01T02:00:00Z for db-1, db-2 and
# db-3 (no records at all).
python3 - <<'EOF'
import json, random
random.seed(13)
t0 = 1767225600  # 2026-01-01T00:00:00Z
recs = []
def series(inst, metric, step, start, end, unit):
    t = start
    while t < end:
        recs.append({"instance_id": inst, "metric": metric, "ts": t,
                     "value": round(random.uniform(0, 100), 3), "unit": unit})
        t += step
series("db-1", "cpu", 420, t0 + 17, t0 + 8 * 3600, "Percent")
series("db-1", "storage", 2460, t0 + 95, t0 + 8 * 3600, "Bytes")
for t in (t0 + 3000, t0 + 3000 + 3 * 3600):
    recs.append({"instance_id": "db-1", "metric": "rare", "ts": t,
                 "value": 1, "unit": "Count"})
series("db-2", "cpu", 780, t0 + 301, t0 + 8 * 3600, "Percent")
random.shuffle(recs)
with open("data.ndjson", "w") as f:
    for r in recs:
        f.write(json.dumps(r, separators=(",", ":")) + "\n")
with open("w.ndjson", "w") as f:
    for h in range(2, 7):
        for p in ("db-1", "db-2", "db-3"):
            f.write(json.dumps({"type": "window", "partition": p,
                "window_start": f"2026-01-01T{h:02d}:00:00Z",
                "window_end": f"2026-01-01T{h + 1:02d}:00:00Z"},
                separators=(",", ":")) + "\n")
EOF

# want LOOKBACK_SECONDS: per window "partition start instance metric ts
# value" of each lookback record, and "partition start fetched lookback".
want() {
	python3 - "$1" <<'EOF'
import json, sys, datetime
lb = int(sys.argv[1])
recs = [json.loads(l) for l in open("data.ndjson")]
def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
def epoch(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())
lines, counts = [], []
for l in open("w.ndjson"):
    w = json.loads(l)
    s, e, p = epoch(w["window_start"]), epoch(w["window_end"]), w["partition"]
    mine = [r for r in recs if r["instance_id"] == p]
    last = {}
    for r in mine:
        if s - lb <= r["ts"] < s:
            k = (r["instance_id"], r["metric"])
            if k not in last or r["ts"] > last[k]["ts"]:
                last[k] = r
    for r in last.values():
        lines.append(f'{p} {w["window_start"]} {r["instance_id"]} {r["metric"]} {iso(r["ts"])} {r["value"]}')
    n = sum(1 for r in mine if s <= r["ts"] < e)
    counts.append(f'{p} {w["window_start"]} {n} {len(last)}')
open("want.lb", "w").write("".join(x + "\n" for x in sorted(lines)))
open("want.counts", "w").write("".join(x + "\n" for x in counts))
EOF
}
got() {
	jq -r 'select(.lookback == true) | [.partition, .window_start, .instance_id, .metric, .ts, (.value | tostring)] | join(" ")' out |
	    sort >got.lb
	jq -r 'select(.type == "window") | [.partition, .window_start, .fetched, .lookback] | join(" ")' out >got.counts
}

# 1. NDJSON, the default lookback (1h).
run_prog bf-fetch -s file -d data.ndjson w.ndjson
check_rc 0 "ndjson: exit status"
want 3600
got
check_file got.lb want.lb "ndjson 1h: the last record of each series before each window"
check_file got.counts want.counts "ndjson 1h: fetched and lookback counts"
check_eq "$(awk '{ n += $4 } END { print n }' want.counts) $(grep -c 'db-1 rare' want.lb)" "16 1" \
    "fixture: 16 lookback records, one of them rare's"
check_eq "$(grep '"lookback"' out | grep -v '"type":"window"' | grep -vc '"lookback":true}$')" 0 \
    "ndjson: \"lookback\":true is the last member"

# 2. A longer lookback reaches rare's earlier record; --lookback 0 gives
# none and fetched stays the same.
run_prog bf-fetch -s file -d data.ndjson --lookback 4h w.ndjson
want 14400
got
check_file got.lb want.lb "ndjson 4h: the same rule"
run_prog bf-fetch -s file -d data.ndjson --lookback 0 w.ndjson
want 0
got
check_eq "$(wc -c <got.lb | tr -d ' ')" 0 "--lookback 0: no lookback line"
check_file got.counts want.counts "--lookback 0: counts"

# 3. -j 1 and -j 4 write the same bytes; so does the same data in time
# order (the sort is the file source's).
bf-fetch -s file -d data.ndjson -j 1 w.ndjson >j1
bf-fetch -s file -d data.ndjson -j 4 w.ndjson >j4
check_file j4 j1 "-j 4 equals -j 1"
jq -c -s 'sort_by(.ts)[]' data.ndjson >sorted.ndjson
bf-fetch -s file -d sorted.ndjson w.ndjson | grep '"lookback":true}$' | sort >s1
grep '"lookback":true}$' j1 | sort >s2
check_file s1 s2 "time-ordered data: the same lookback lines"

# 4. Bad durations: a negative or unitless-garbage lookback is a usage
# error; 0 is allowed.
run_prog bf-fetch -s file --lookback -1h -d data.ndjson w.ndjson
check_rc 2 "--lookback -1h refused"
run_prog bf-fetch -s file --lookback 1.5s -d data.ndjson w.ndjson
check_rc 2 "--lookback 1.5s refused (whole seconds)"
check_eq "$(cat err)" "bf-fetch: bad --lookback '1.5s': expected whole seconds" \
    "--lookback 1.5s: message"

# 5. The dry run states where the lookback starts and how many records
# lie in it.
run_prog bf-fetch -s file -d data.ndjson -n w.ndjson
check_eq "$(head -n 1 out | jq -c '[.lookback_from, .lookback_records]')" \
    "[\"2026-01-01T01:00:00Z\",$(python3 -c '
import json
print(sum(1 for l in open("data.ndjson") if json.loads(l)["instance_id"] == "db-1" and 1767225600 + 3600 <= json.loads(l)["ts"] < 1767225600 + 7200))')]" \
    "dry run: lookback_from and lookback_records"

# 6. A get-metric-data export of 5-minute data (timestamps newest first,
# as the AWS CLI writes them), 23:00 to 00:55: its samples are resolution
# 300 although --now puts them in the 60 s tier, and the window 00:00-01:00
# gets 23:55 as its lookback sample.
python3 - <<'EOF'
import json, datetime
t0 = 1767225600
ts = [t0 - 3600 + i * 300 for i in range(24)][::-1]
def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
json.dump({"MetricDataResults": [{"Id": "cpu", "Label": "db-1",
    "Timestamps": [iso(t) for t in ts], "Values": [(t - t0) / 300 for t in ts],
    "StatusCode": "Complete"}], "Messages": []}, open("cw300.json", "w"))
json.dump({"Label": "FreeStorageSpace", "Datapoints": [{"Timestamp": iso(t),
    "Average": 1000 + (t - t0) / 300, "Unit": "Bytes"} for t in ts[::5] + ts[1::5]]},
    open("stats300.json", "w"))
EOF
printf '%s\n' '{"type":"window","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-01T01:00:00Z"}' >w1
printf 'metric,unit,query\ncpu_percent,Percent,cpu\n' >cw.csv
run_prog bf-fetch -s file -f cw-data -d cw300.json -m cw.csv --now 2026-01-02T00:00:00Z w1
check_rc 0 "cw-data 300 s: exit status"
check_eq "$(jq -c 'select(.type == "sample") | .resolution' out | sort -u) $(tail -n 1 out | jq -c '[.fetched, .lookback, .resolution]')" \
    "300 [12,1,300]" "cw-data 300 s: resolution 300 (not the 60 s tier), 12 samples, 1 lookback"
check_eq "$(jq -c 'select(.lookback == true) | [.ts, .value]' out)" '["2025-12-31T23:55:00Z",-1]' \
    "cw-data: the lookback sample is 23:55"
check_eq "$(jq -r 'select(.type == "sample" and .lookback != true) | .ts' out | sort | sed -n '1p;$p' | tr '\n' ' ')" \
    "2026-01-01T00:00:00Z 2026-01-01T00:55:00Z " "cw-data: the window's samples 00:00 to 00:55"
# Downstream, bf-aggregate expects 12 samples of the hour, not 60: coverage
# 1, where the retention tier made it 0.2.
printf '%s\n' 'metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to' \
    'cpu_percent,Percent,avg,Percent,,1,0.01,USD,2025-01-01,' >rates.csv
bf-fetch -s file -f cw-data -d cw300.json -m cw.csv --now 2026-01-02T00:00:00Z --lookback 0 w1 |
    bf-aggregate -r rates.csv >agg
check_eq "$(jq -c 'select(.type == "usage") | [.samples, .expected_samples, .coverage, .resolution]' agg)" \
    '[12,12,"1.000000000",300]' "cw-data 300 s: coverage 1 downstream"
# The same records with a stated Period of 600 take it.
jq -c '.MetricDataResults[0].Period = 600' cw300.json >cw600.json
run_prog bf-fetch -s file -f cw-data -d cw600.json -m cw.csv --now 2026-01-02T00:00:00Z w1
check_eq "$(jq -c 'select(.type == "sample") | .resolution' out | sort -u)" 600 \
    "cw-data: a stated Period wins"

# 7. A get-metric-statistics export (datapoints in no order, every 5
# minutes) is resolution 300 too; its lookback sample is 23:55's.
run_prog bf-fetch -s file -f cw-stats -d stats300.json --instance db-1 --now 2026-01-02T00:00:00Z w1
check_rc 0 "cw-stats 300 s: exit status"
check_eq "$(jq -c 'select(.type == "sample") | .resolution' out | sort -u) $(tail -n 1 out | jq -c '[.fetched, .lookback, .resolution]')" \
    "300 [$(jq '[.Datapoints[].Timestamp | select(. >= "2026-01-01T00:00:00")] | length' stats300.json),1,300]" \
    "cw-stats 300 s: resolution 300"
check_eq "$(jq -c 'select(.lookback == true) | [.ts, .value]' out)" \
    "[\"$(jq -r '[.Datapoints[].Timestamp | select(. < "2026-01-01T00:00:00")] | max | sub("\\+00:00$"; "Z")' stats300.json)\",$(jq '[.Datapoints[] | select(.Timestamp < "2026-01-01T00:00:00")] | max_by(.Timestamp) | .Average' stats300.json)]" \
    "cw-stats: the lookback sample is the last datapoint before the window"

# 8. exec: a command whose output reaches back (here each partition's
# records, all of them) gives the same lookback records; ${lookback_start}
# and ${lookback_epoch} are the window's start less the lookback.
for p in db-1 db-2 db-3; do
	grep -F "\"instance_id\":\"$p\"" data.ndjson >"data-$p.ndjson" || :
done
run_prog bf-fetch -s exec -f ndjson --command 'cat data-${partition}.ndjson' w.ndjson
check_rc 0 "exec: exit status"
want 3600
got
check_file got.lb want.lb "exec: the last record of each series before each window"
check_file got.counts want.counts "exec: counts"
run_prog bf-fetch -s exec --lookback 90m --command 'aws --from ${lookback_start} --epoch ${lookback_epoch} --to ${window_end}' -n w1
check_eq "$(jq -c 'select(.type == "plan") | .argv' out)" \
    '["aws","--from","2025-12-31T22:30:00Z","--epoch","1767220200","--to","2026-01-01T01:00:00Z"]' \
    "exec: \${lookback_start} and \${lookback_epoch}"

# 9. bf-fetch's own output fed back as data: a record's "lookback" member
# is dropped, the window decides (one lookback line, with it last; the
# in-window record is a plain sample).
printf '%s\n' \
    '{"instance_id":"db-1","metric":"m","ts":"2025-12-31T23:50:00Z","value":1,"lookback":true}' \
    '{"instance_id":"db-1","metric":"m","lookback":false,"ts":"2026-01-01T00:10:00Z","value":2}' \
    '{"lookback":true,"instance_id":"db-1","metric":"m","ts":"2026-01-01T00:20:00Z","value":3}' >re.ndjson
run_prog bf-fetch -s file -d re.ndjson w1
check_eq "$(grep -o '"lookback"' out | wc -l | tr -d ' ') $(grep -c '"lookback":true}$' out)" "2 1" \
    "fed back: one lookback member per lookback line, and the window's count"
check_eq "$(jq -c 'select(.type == "sample") | [.value, .lookback]' out | tr '\n' ' ')" \
    '[1,true] [2,null] [3,null] ' "fed back: the window decides"

done_testing
