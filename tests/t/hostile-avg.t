#!/bin/sh
# avg is exact even where the sum of the samples is out of the decimal
# range (about 1.7e29) though their average is not: it used to fail the
# window with overflow. Expected values from python3's Decimal (the sum
# divided by the count, rounded half even to 9 places, as bf-aggregate(1)
# rounds).
. "$(dirname "$0")/../lib/common.sh"
command -v python3 >/dev/null || skip_all "python3 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"

cd "$T"
WS=2026-03-10T00:00:00Z WE=2026-03-11T00:00:00Z
# the samples, INSTANCE VALUE, one a minute per instance
cat >vals <<'EOF2'
up 120000000000000000000000000000.000000001
up 100000000000000000000000000000
up 100000000000000000000000000000.000000001
down -120000000000000000000000000000.000000001
down -100000000000000000000000000000
down -100000000000000000000000000000.000000001
tie 150000000000000000000000000000.000000001
tie 150000000000000000000000000000
odd 150000000000000000000000000000.000000003
odd 150000000000000000000000000000
mixed 170000000000000000000000000000
mixed 160000000000000000000000000000
mixed -0.000000001
small 1.5
small 2.25
EOF2
awk -v ws="$WS" -v we="$WE" '{ n[$1]++; printf "{\"type\":\"sample\",\"partition\":\"p\",\"window_start\":\"%s\",\"window_end\":\"%s\",\"instance_id\":\"%s\",\"metric\":\"m\",\"ts\":\"2026-03-10T00:%02d:00Z\",\"value\":%s,\"unit\":\"Count\"}\n", ws, we, $1, n[$1], $2 }' vals >in.ndjson
printf '{"type":"window","partition":"p","window_start":"%s","window_end":"%s"}\n' "$WS" "$WE" >>in.ndjson
printf '%s\n' metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to \
    "m,Count,avg,Count,,,0.000000001,USD,," >rates.csv

python3 - vals <<'P' >want
import sys
from decimal import Decimal, getcontext, ROUND_HALF_EVEN
getcontext().prec = 100
v = {}
for line in open(sys.argv[1]):
    k, x = line.split()
    v.setdefault(k, []).append(Decimal(x))
for k in sorted(v):
    a = (sum(v[k]) / len(v[k])).quantize(Decimal("0.000000001"), rounding=ROUND_HALF_EVEN)
    print(k, a)
P
run_prog bf-aggregate -r rates.csv in.ndjson
check_rc 0 "averages of samples whose sum is out of range"
check_eq "$(jq -r 'select(.type == "window") | .status' out)" ok "the window is ok"
check_eq "$(jq -r 'select(.type == "usage") | .instance_id + " " + .value' out | sort)" \
    "$(cat want)" "each average exact, rounded half even"

# sum of the same samples still overflows, as documented
printf '%s\n' metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to \
    "m,Count,sum,Count,,,0.000000001,USD,," >rates-sum.csv
grep -e '"up"' -e '"type":"window"' in.ndjson >up.ndjson
run_prog bf-aggregate -r rates-sum.csv up.ndjson
check_eq "$(jq -r 'select(.type == "window") | .status + " " + .error.code' out)" \
    "failed overflow" "sum of them still fails with overflow"
done_testing
