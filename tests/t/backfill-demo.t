#!/bin/sh
# The demo backfill (make demo): 20 instances, the 31 days of January 2026
# of bf-gen telemetry (seed 1), the config of examples/demo. Its total cost
# is known: the warehouse must hold exactly that amount, per tenant too,
# and a rerun must plan nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock python3; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done

# The demo, as make demo builds it, in the test's directory.
demo_run
check_rc 0 "the demo backfill"
check_eq "$(grep -c 'windows committed' "$T/err")" 1 "one summary"
check_eq "$(sed -n 's/^bf-backfill: \([0-9]*\) windows committed, \([0-9]*\) failed, of \([0-9]*\) planned; \([0-9]*\) samples, \([0-9]*\) rejected.*/\1 \2 \3 \4 \5/p' "$T/err")" \
    "620 0 620 892894 52" "summary: windows, samples, rejects"

# The expected figures were computed once from the demo's warehouse, twice
# independently: with decsum (tests/lib/backfill.sh: awk on integer and
# nano parts) and with Python's decimal.Decimal over the same rows
#   sum(Decimal(cost) for cost in SELECT cost FROM usage)
# and per tenant over the allocations of every usage row. bf-gen's seed 1,
# the rate card (a backup_storage price change on 2026-01-15T12:00Z) and
# the tenant map (db-07 moving from globex to initech on 2026-01-20T06:00Z)
# determine them. Since usage is billed by when it happened (bf-aggregate(1),
# "PRICE AND OWNER CHANGES"), the 24 rows of those two days were checked a
# third way: a python3 Decimal integral of each piece from the validated
# samples (old total 18562.633758337, acme 4094.343196368, globex
# 4191.829914866, initech 5109.013365565, umbrella 5167.447281538).
# Those figures are of January 1 to 30 (bf-gen -d 30), whose samples are
# the first lines of bf-gen -d 31. January 31 is computed here, in python3
# Decimal from the raw samples: each series' integral over the day (its
# last sample before it, at most 1h before, held from midnight), divided
# by the rate's divisor and priced, each rounded half to even to 9
# decimals, summed per tenant (no price or owner change that day).
cat >"$T/day.py" <<'PY'
import csv, json, sys
from datetime import datetime, timezone
from decimal import Decimal, ROUND_HALF_EVEN
samples, rates_f, tenants_f, d0, d1 = sys.argv[1:6]
def ep(s):
    f = "%Y-%m-%dT%H:%M:%SZ" if "T" in s else "%Y-%m-%d"
    return int(datetime.strptime(s, f).replace(tzinfo=timezone.utc).timestamp())
t0, t1 = ep(d0), ep(d1)
def current(f):
    return [r for r in csv.DictReader(open(f))
            if ep(r["effective_from"]) <= t0 and
            (not r["effective_to"] or ep(r["effective_to"]) >= t1)]
rate = {r["metric"]: r for r in current(rates_f)}
owner = {r["instance_id"]: r["tenant"] for r in current(tenants_f)}
series, n = {}, 0
for line in open(samples):
    s = json.loads(line, parse_float=Decimal, parse_int=Decimal)
    t = ep(s["ts"])
    if t < t0 - 3600 or t >= t1:
        continue
    v = s["value"]
    if not (isinstance(v, Decimal) and v.is_finite() and v >= 0 and
            s["unit"] == rate[s["metric"]]["unit"]):
        sys.exit("not a clean sample: " + line)
    series.setdefault((s["instance_id"], s["metric"]), []).append((t, v))
cost = {}
for (inst, m), pts in series.items():
    pts.sort()
    inside = [p for p in pts if p[0] >= t0]
    before = [p for p in pts if p[0] < t0]
    n += len(inside)
    integral = before[-1][1] * (inside[0][0] - t0) if before else 0
    for (a, v), (b, _) in zip(inside, inside[1:] + [(t1, 0)]):
        integral += v * (b - a)
    r = rate[m]
    q9 = Decimal("1e-9")
    qty = (integral * Decimal(r["multiplier"] or 1) /
           Decimal(r["divisor"])).quantize(q9, ROUND_HALF_EVEN)
    c = (qty * Decimal(r["unit_price"])).quantize(q9, ROUND_HALF_EVEN)
    cost[owner[inst]] = cost.get(owner[inst], 0) + c
print("samples", n)
for k in sorted(cost):
    print(k, cost[k])
PY
python3 "$T/day.py" demo/samples.ndjson examples/demo/rates.csv \
    examples/demo/tenants.csv 2026-01-31T00:00:00Z 2026-02-01T00:00:00Z >"$T/day31"
check_eq "$(sed -n 's/^samples //p' "$T/day31")" 28802 "January 31: 20 instances x 5 metrics x 288 samples, + 2"
cat >"$T/tenants30" <<'TXT'
acme 4094.342896368
globex 4190.914759430
initech 5109.927921001
umbrella 5167.446981538
TXT
grep -v '^samples ' "$T/day31" | cat "$T/tenants30" - | decsum >"$T/tenants.want"
TOTAL=$(sed 's/^[^ ]*/USD/' "$T/tenants.want" | decsum | cut -d' ' -f2)
check_eq "$(sq demo/ledger.db 'SELECT currency, cost FROM usage' | tr '|' ' ' | decsum)" \
    "USD $TOTAL" "total cost of the usage rows"
check_eq "$(sq demo/ledger.db 'SELECT currency, amount FROM ledger' | tr '|' ' ' | decsum)" \
    "USD $TOTAL" "the ledger's balance equals it"
check_eq "$(grep 'cost loaded' "$T/err" | sed 's/.*cost loaded: //')" "$TOTAL USD" \
    "the summary reports the cost loaded"
sq demo/ledger.db 'SELECT allocations FROM usage' |
    jq -r '.[] | "\(.tenant) \(.cost)"' | decsum >"$T/tenants"
check_file "$T/tenants" "$T/tenants.want" "per-tenant chargeback from the allocations"
check_eq "$(sq demo/ledger.db "SELECT count(*) FROM usage WHERE instance_id = 'db-07' AND window_start = '2026-01-20T00:00:00Z' AND json_array_length(allocations) = 2")" \
    5 "db-07's day of the ownership change is split between two tenants"
sq demo/ledger.db 'SELECT tenant, amount FROM ledger' | tr '|' ' ' | decsum >"$T/ledger.tenants"
check_file "$T/ledger.tenants" "$T/tenants.want" "per-tenant balances of the ledger: the same"
check_eq "$(sq demo/ledger.db "SELECT kind, count(*) FROM ledger GROUP BY kind")" \
    "charge|3105" "3105 charges (3100 usage rows, 5 of them shared by two tenants), no correction"
check_eq "$(jq -r .error.code demo/dlq.ndjson | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')" \
    "missing_field=7 nan_or_inf=8 number_overflow=7 out_of_range=16 unknown_unit=7 wrong_type=7 " \
    "DLQ: the malformed lines by code"
check_eq "$(ls demo/state/watermarks/*.json | wc -l)" 20 "a watermark per instance"
check_eq "$(jq -r .watermark demo/state/watermarks/db-07.json)" 2026-02-01T00:00:00Z \
    "the watermark is the end of the range"
run_prog bf-ledger -d demo/ledger.db verify -s demo/state
check_rc 0 "bf-ledger verify: hash chains and checkpoint anchors"
export_wh demo/ledger.db >"$T/exp1"

# Resume: nothing left to do, fast, nothing changed.
run_prog bf-backfill -c examples/demo/backfill.conf
check_rc 0 "rerun"
check_eq "$(grep 'windows committed' "$T/err" | sed 's/; [0-9]*s$//')" \
    "bf-backfill: 0 windows committed, 0 failed, of 0 planned; 0 samples, 0 rejected" \
    "rerun: nothing planned"
export_wh demo/ledger.db >"$T/exp2"
check_file "$T/exp2" "$T/exp1" "rerun: the same canonical export"
done_testing
