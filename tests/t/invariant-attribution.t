#!/bin/sh
# Usage is billed at the price and to the owner of the instant it happened
# (bf(7), bf-aggregate(1), issue 13): one daily window, 2026-03-05, with a
# price change of every metric at 13:37 and, for db-o, an owner change at
# 13:37 (acme until then, globex after), through the whole pipeline into
# SQLite. The expected figures are worked out here by hand:
#
#   storage (integral, GiB-Hours; 0.10 before 13:37, 0.20 after)
#     db-p  100 GiB from 15:00 on: 9 h x 100 = 900 GiB-h, all at 0.20 = 180
#     db-o  the same 900 GiB-h at 0.20 = 180, all of it globex's
#     db-s  100 GiB from 12:00 on: 1 h 37 min before the change
#           (582000 GiB-s = 161.666666667 GiB-h at 0.10 = 16.166666667) and
#           10 h 23 min after (the rest of the 1200 GiB-h, 1038.333333333,
#           at 0.20 = 207.666666667): 223.833333334
#   cpu (increase, vCPU-Hours; 0.04, then 0.05)
#     db-p  a counter that stays 0 until 15:00 and then rises 60 s every
#           5 minutes to 6420 s at 23:55: 6420 / 3600 = 1.783333333 vCPU-h,
#           all at 0.05 = 0.089166667
#   queries (sum, Queries; 0.01, then 0.02)
#     db-o  1 query every 5 minutes from 00:00: 164 of them up to 13:35 at
#           0.01 = 1.64 (acme's), 124 from 13:40 at 0.02 = 2.48 (globex's)
#
# per tenant: acme 180 + 0.089166667 + 1.64 = 181.729166667,
#             globex 180 + 2.48 = 182.48, initech 223.833333334.
# Splitting by time share instead (the old rule) bills db-p's storage
# 13.6/24 at the old price and gives acme 13.6/24 of db-o's storage.
. "$(dirname "$0")/../lib/common.sh"
for p in jq sqlite3; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
cd "$T"

printf 'db-o\ndb-p\ndb-s\n' >parts
cat >rates.csv <<'EOF'
metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to
storage,Bytes,integral,GiB-Hours,,3865470566400,0.10,USD,2025-01-01,2026-03-05T13:37:00Z
storage,Bytes,integral,GiB-Hours,,3865470566400,0.20,USD,2026-03-05T13:37:00Z,
cpu,Seconds,increase,vCPU-Hours,,3600,0.04,USD,2025-01-01,2026-03-05T13:37:00Z
cpu,Seconds,increase,vCPU-Hours,,3600,0.05,USD,2026-03-05T13:37:00Z,
queries,Count,sum,Queries,,,0.01,USD,2025-01-01,2026-03-05T13:37:00Z
queries,Count,sum,Queries,,,0.02,USD,2026-03-05T13:37:00Z,
EOF
cat >tenants.csv <<'EOF'
instance_id,tenant,cost_center,effective_from,effective_to
db-p,acme,cc-1,2025-01-01,
db-o,acme,cc-1,2025-01-01,2026-03-05T13:37:00Z
db-o,globex,cc-2,2026-03-05T13:37:00Z,
db-s,initech,cc-3,2025-01-01,
EOF
cat >contract.json <<'EOF'
{"$schema": "https://json-schema.org/draft/2020-12/schema",
 "type": "object", "required": ["instance_id", "metric", "ts", "value", "unit"],
 "properties": {"value": {"type": "number"}},
 "x-bf-metrics": {"storage": {"unit": "Bytes"}, "cpu": {"unit": "Seconds"},
                  "queries": {"unit": "Count"}}}
EOF
# One sample every 5 minutes of 2026-03-05 (1772668800) for each series.
awk 'BEGIN {
	d = 1772668800; gib100 = 107374182400
	for (t = d; t < d + 86400; t += 300) {
		ts = strftime("%Y-%m-%dT%H:%M:%SZ", t, 1)
		s = "{\"ts\":\"" ts "\",\"instance_id\":\""
		if (t >= d + 15 * 3600) {
			printf "%sdb-p\",\"metric\":\"storage\",\"value\":%.0f,\"unit\":\"Bytes\"}\n", s, gib100
			printf "%sdb-o\",\"metric\":\"storage\",\"value\":%.0f,\"unit\":\"Bytes\"}\n", s, gib100
		}
		if (t >= d + 12 * 3600)
			printf "%sdb-s\",\"metric\":\"storage\",\"value\":%.0f,\"unit\":\"Bytes\"}\n", s, gib100
		c = t < d + 15 * 3600 ? 0 : (t - d - 15 * 3600) / 300 * 60
		printf "%sdb-p\",\"metric\":\"cpu\",\"value\":%d,\"unit\":\"Seconds\"}\n", s, c
		printf "%sdb-o\",\"metric\":\"queries\",\"value\":1,\"unit\":\"Count\"}\n", s
	}
}' >data.ndjson 2>/dev/null || skip_all "this awk has no strftime"

{ bf-window --from 2026-03-05 --to 2026-03-06 --size 24h --partitions parts \
    --state state; echo $? >rc.window; } |
{ bf-fetch --source file --data data.ndjson; echo $? >rc.fetch; } |
{ bf-validate --contract contract.json --dlq dlq.ndjson; echo $? >rc.validate; } |
{ bf-aggregate --rates rates.csv --tenants tenants.csv; echo $? >rc.aggregate; } |
tee usage.ndjson |
{ bf-load --db ledger.db --state state >out 2>err; echo $? >rc.load; }
check_eq "$(cat rc.window rc.fetch rc.validate rc.aggregate rc.load | tr '\n' ' ')" \
    "0 0 0 0 0 " "every stage exits 0"

row() {
	sqlite3 -batch ledger.db "SELECT quantity, cost FROM usage WHERE \
	    instance_id = '$1' AND metric = '$2'"
}
check_eq "$(row db-p storage)" "900.000000000|180.000000000" \
    "storage that appears after a price change is billed at the new price only"
check_eq "$(row db-p cpu)" "1.783333333|0.089166667" \
    "a counter that rises after a price change is billed at the new price only"
check_eq "$(row db-s storage)" "1200.000000000|223.833333334" \
    "storage across a price change: each part at its own price"
check_eq "$(jq -r 'select(.type == "usage" and .instance_id == "db-s" and
    .metric == "storage") | .prices' usage.ndjson | jq -r '[.[] | .quantity + "@" + .unit_price + "=" + .cost] | join(" ")')" \
    "161.666666667@0.100000000=16.166666667 1038.333333333@0.200000000=207.666666667" \
    "each part's quantity and price stay visible in the row"
check_eq "$(row db-o queries)" "288.000000000|4.120000000" \
    "a sum metric: each sample at the price of its time"
check_eq "$(sqlite3 -batch ledger.db "SELECT allocations FROM usage WHERE instance_id = 'db-o' \
    AND metric = 'storage'" | jq -r '[.[] | .tenant + "=" + .cost] | join(" ")')" \
    "acme=0.000000000 globex=180.000000000" \
    "storage that appears after an owner change is all the new owner's"
check_eq "$(sqlite3 -batch ledger.db "SELECT allocations FROM usage WHERE instance_id = 'db-o' \
    AND metric = 'queries'" | jq -r '[.[] | .tenant + "=" + .cost] | join(" ")')" \
    "acme=1.640000000 globex=2.480000000" \
    "a sum metric across an owner change: each owner pays for its own samples"

# The allocations and the ledger give the same chargeback.
sqlite3 -batch ledger.db 'SELECT allocations FROM usage' |
    jq -r '.[] | "\(.tenant) \(.cost)"' >alloc
. "$BF_TOP/tests/lib/backfill.sh"
check_eq "$(decsum <alloc | tr '\n' ' ')" \
    "acme 181.729166667 globex 182.480000000 initech 223.833333334 " \
    "per-tenant chargeback from the allocations"
check_eq "$(sqlite3 -batch ledger.db 'SELECT tenant, amount FROM ledger' | tr '|' ' ' |
    decsum | tr '\n' ' ')" \
    "acme 181.729166667 globex 182.480000000 initech 223.833333334 " \
    "the ledger's balance per tenant: the same"
run_prog bf-ledger -d ledger.db verify
check_rc 0 "bf-ledger verify"
done_testing
