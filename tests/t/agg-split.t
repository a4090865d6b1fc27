#!/bin/sh
# bf-aggregate bills the usage of a window in which the price or the owner
# changes by when it happened (bf-aggregate(1), "PRICE AND OWNER CHANGES"):
# the additive aggregates piece by piece, the others by time share. The
# figures are worked out by hand below or by an independent reference in
# python3 (the overlap of each held value with each piece, in Decimal).
. "$(dirname "$0")/../lib/common.sh"
command -v python3 >/dev/null || skip_all "python3 is not installed"

cd "$T"
HDR=metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to
WS=2026-03-10T00:00:00Z WE=2026-03-11T00:00:00Z CUT=2026-03-10T13:37:00Z
GIB=1073741824
# s INSTANCE METRIC TS VALUE UNIT: one sample line of the daily window.
s() {
	printf '{"type":"sample","partition":"p","window_start":"%s","window_end":"%s","instance_id":"%s","metric":"%s","ts":"%s","value":%s,"unit":"%s"}\n' \
	    "$WS" "$WE" "$1" "$2" "$3" "$4" "$5"
}
wline() { printf '{"type":"window","partition":"p","window_start":"%s","window_end":"%s"}\n' "$WS" "$WE"; }
get() { jq -r --arg i "$1" --arg m "$2" "select(.type == \"usage\" and .instance_id == \$i and .metric == \$m) | $3" out.ndjson; }

# Storage (50 GiB) appears at 15:00, sampled hourly to 23:00; the price
# changes at 13:37 from 0.10 to 0.20 per GiB-hour.
for h in 15 16 17 18 19 20 21 22 23; do
	s db-1 storage_bytes "2026-03-10T$h:00:00Z" $((50 * GIB)) Bytes
done >in.ndjson
wline >>in.ndjson
printf '%s\n' "$HDR" \
    "storage_bytes,Bytes,integral,GiB-Hours,,3865470566400,0.10,USD,,$CUT" \
    "storage_bytes,Bytes,integral,GiB-Hours,,3865470566400,0.20,USD,$CUT," \
    >rates.csv
run_prog bf-aggregate -r rates.csv in.ndjson
check_rc 0 "price change: bf-aggregate"
cp "$T/out" out.ndjson
# 50 GiB for 9 h (15:00 to 24:00) = 450 GiB-hours, all after 13:37:
# 450 * 0.20 = 90, nothing at the old price (a time-share split would have
# put 13h37m of 24h of it, 255.4 GiB-hours, at 0.10: 70.46 in all).
check_eq "$(get db-1 storage_bytes '[.quantity, .cost] | join(" ")')" \
    "450.000000000 90.000000000" "price change: storage quantity and cost"
check_eq "$(get db-1 storage_bytes '[.prices[] | .quantity, .cost] | join(" ")')" \
    "0.000000000 0.000000000 450.000000000 90.000000000" \
    "price change: storage billed at the new price only"

# The same with one price and an owner change at 13:37.
printf '%s\n' "$HDR" \
    "storage_bytes,Bytes,integral,GiB-Hours,,3865470566400,0.10,USD,," \
    >rates1.csv
printf '%s\n' instance_id,tenant,cost_center,effective_from,effective_to \
    "db-1,acme,cc-1,,$CUT" "db-1,globex,cc-7,$CUT," >tenants.csv
run_prog bf-aggregate -r rates1.csv -t tenants.csv in.ndjson
check_rc 0 "owner change: bf-aggregate"
cp "$T/out" out.ndjson
# 450 GiB-hours * 0.10 = 45, all to globex.
check_eq "$(get db-1 storage_bytes '[.cost, (.allocations[] | .tenant, .cost)] | join(" ")')" \
    "45.000000000 acme 0.000000000 globex 45.000000000" \
    "owner change: all the storage cost to the new owner"

# More metrics, each against the reference below: a counter (increase)
# with a reset, across the price change; a sum metric; storage with both a
# price change (13:37) and owner changes (08:00, 20:00); and the
# non-additive avg and max, which split by time share. Samples every 7
# minutes from 00:03, off every cut.
printf '%s\n' "$HDR" \
    "storage_bytes,Bytes,integral,GiB-Hours,,3865470566400,0.000158,USD,,$CUT" \
    "storage_bytes,Bytes,integral,GiB-Hours,,3865470566400,0.000201,USD,$CUT," \
    "cpu_seconds,s,increase,vCPU-Hours,,3600,0.045,USD,,$CUT" \
    "cpu_seconds,s,increase,vCPU-Hours,,3600,0.07,USD,$CUT," \
    "requests,Count,sum,Requests,,1000,0.013,USD,,$CUT" \
    "requests,Count,sum,Requests,,1000,0.017,USD,$CUT," \
    "iops,Count,avg,IOPS-Months,,720,0.10,USD,,$CUT" \
    "iops,Count,avg,IOPS-Months,,720,0.13,USD,$CUT," \
    "conns,Count,max,Connections,,,0.011,USD,,$CUT" \
    "conns,Count,max,Connections,,,0.019,USD,$CUT," >rates2.csv
printf '%s\n' instance_id,tenant,cost_center,effective_from,effective_to \
    "db-2,acme,cc-1,,2026-03-10T08:00:00Z" \
    "db-2,globex,cc-7,2026-03-10T08:00:00Z,2026-03-10T20:00:00Z" \
    "db-2,initech,,2026-03-10T20:00:00Z," >tenants2.csv
cat >gen.py <<'PY'
import datetime, json
ws = datetime.datetime(2026, 3, 10, tzinfo=datetime.timezone.utc)
def line(m, t, v, u):
    ts = (ws + datetime.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(json.dumps({"type": "sample", "partition": "p",
        "window_start": "2026-03-10T00:00:00Z",
        "window_end": "2026-03-11T00:00:00Z", "instance_id": "db-2",
        "metric": m, "ts": ts, "value": v, "unit": u},
        separators=(",", ":")))
c = 1000
for k in range(0, 206):
    t = 180 + 420 * k
    if t >= 86400:
        break
    c = 150 if k == 150 else c + 7 * k % 500 + 13   # a reset at k = 150
    line("cpu_seconds", t, c, "s")
    line("storage_bytes", t, (20 + k % 37) * 1073741824 + 12345, "Bytes")
    line("requests", t, (k * 31) % 97 + 0.5, "Count")
    line("iops", t, (k * 17) % 53 + 100.25, "Count")
    line("conns", t, (k * 13) % 41, "Count")
PY
python3 gen.py >in2.ndjson
wline >>in2.ndjson
run_prog bf-aggregate -r rates2.csv -t tenants2.csv in2.ndjson
check_rc 0 "mixed: bf-aggregate"
cp "$T/out" out.ndjson

# The reference: pieces at 08:00, 13:37 and 20:00; the additive aggregates
# take what happened in each piece, the others the time share; a piece's
# quantity is round9(value * mult / div), the last the remainder; a piece's
# cost is round9(quantity * price); prices, allocations and the cost are
# sums of pieces.
cat >ref.py <<'PY'
import datetime, json, sys
from decimal import Decimal as D, ROUND_HALF_EVEN, getcontext
getcontext().prec = 80
def r9(x): return x.quantize(D("1e-9"), rounding=ROUND_HALF_EVEN)
def sec(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=datetime.timezone.utc).timestamp())
ws = sec("2026-03-10T00:00:00Z"); we = ws + 86400
cut = ws + 13 * 3600 + 37 * 60
own = [(ws, ws + 8 * 3600), (ws + 8 * 3600, ws + 20 * 3600),
       (ws + 20 * 3600, we)]
bounds = sorted({ws, we, cut, ws + 8 * 3600, ws + 20 * 3600})
pieces = list(zip(bounds, bounds[1:]))
price = {"storage_bytes": ("integral", 3865470566400, "0.000158", "0.000201"),
         "cpu_seconds": ("increase", 3600, "0.045", "0.07"),
         "requests": ("sum", 1000, "0.013", "0.017"),
         "iops": ("avg", 720, "0.10", "0.13"),
         "conns": ("max", 1, "0.011", "0.019")}
ser = {}
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["type"] == "sample":
        ser.setdefault(o["metric"], []).append((sec(o["ts"]), D(str(o["value"]))))
for m, ss in sorted(ser.items()):
    ss.sort()
    fn, div, p1, p2 = price[m]
    div, p1, p2 = D(div), D(p1), D(p2)
    if fn == "integral":
        segs = [(t, ss[i + 1][0] if i + 1 < len(ss) else we, v)
                for i, (t, v) in enumerate(ss)]
        val = lambda a, b: sum(v * max(0, min(e, b) - max(s, a)) for s, e, v in segs)
    elif fn == "increase":
        steps = [(ss[i][0], ss[i][1] - ss[i - 1][1]
                  if ss[i][1] >= ss[i - 1][1] else ss[i][1])
                 for i in range(1, len(ss))]
        val = lambda a, b: sum(d for t, d in steps if a <= t < b)
    elif fn == "sum":
        val = lambda a, b: sum(v for t, v in ss if a <= t < b)
    if fn == "avg":
        whole = r9(sum(v for t, v in ss) / len(ss))
    elif fn == "max":
        whole = max(v for t, v in ss)
    else:
        whole = val(ws, we)
    q = r9(whole / div)
    pq = []
    for a, b in pieces[:-1]:
        pq.append(r9(val(a, b) / div) if fn in ("integral", "increase", "sum")
                  else r9(q * (b - a) / (we - ws)))
    pq.append(q - sum(pq))
    pc = [r9(x * (p1 if a < cut else p2)) for x, (a, b) in zip(pq, pieces)]
    prices = []
    for old in (True, False):
        prices += [sum(x for x, (a, b) in zip(pq, pieces) if (a < cut) == old),
                   sum(x for x, (a, b) in zip(pc, pieces) if (a < cut) == old)]
    alloc = [sum(x for x, (a, b) in zip(pc, pieces) if s <= a < e) for s, e in own]
    print(" ".join([m] + ["%.9f" % x for x in [q, sum(pc)] + prices + alloc]))
PY
python3 ref.py in2.ndjson >want
jq -r 'select(.type == "usage") | [.metric, .quantity, .cost, (.prices[] | .quantity, .cost), (.allocations[].cost)] | join(" ")' \
    out.ndjson >got
check_file got want "mixed: quantity, cost, prices and allocations of each metric"
# Each row: cost == sum of the prices' costs == sum of the allocations
# (9-place decimal strings read as integers of nanos).
check_eq "$(jq -r 'select(.type == "usage") | def n: sub("\\."; "") | tonumber;
    [(.cost | n), ([.prices[].cost | n] | add), ([.allocations[].cost | n] | add)] | unique | length' out.ndjson | sort -u)" \
    1 "mixed: cost = sum of prices = sum of allocations"

# Time share for the non-additive ones, by hand for conns (max 40, the
# greatest of 13 k mod 41): pieces of 8 h, 5 h 37 m, 6 h 23 m, 4 h:
#   40 * 28800 / 86400 = 13.333333333; 40 * 20220 / 86400 = 9.361111111;
#   40 * 22980 / 86400 = 10.638888889; the last 40 - the three = 6.666666667
#   costs: 13.333333333 * 0.011 = 0.146666666663 -> 0.146666667;
#   9.361111111 * 0.011 = 0.102972222221 -> 0.102972222;
#   10.638888889 * 0.019 = 0.202138888891 -> 0.202138889;
#   6.666666667 * 0.019 = 0.126666666673 -> 0.126666667
#   price 1: 13.333333333 + 9.361111111 = 22.694444444, price 2: 17.305555556
#   acme 0.146666667, globex 0.102972222 + 0.202138889 = 0.305111111,
#   initech 0.126666667
check_eq "$(get db-2 conns .quantity)" 40.000000000 "max: quantity"
check_eq "$(get db-2 conns '[.prices[].quantity, .allocations[].cost] | join(" ")')" \
    "22.694444444 17.305555556 0.146666667 0.305111111 0.126666667" \
    "max: time share"

done_testing
