#!/bin/sh
# examples/Makefile (month-by-month reconciliation, make -j4) and
# examples/audit.sh (a jq/awk audit of the ledger) on a tiny data set that
# crosses a month boundary: 2 instances, 2026-01-30 to 2026-02-02.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock make; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
bf-gen -n 2 -d 3 -f 2026-01-30 >"$T/data.ndjson"
mkdir "$T/ex" "$T/one"
write_conf "$T/ex/backfill.conf" "$T/ex" size=24h
sed -i "s|^fetch-arg = .*data.ndjson|fetch-arg = $T/data.ndjson|" "$T/ex/backfill.conf"

cd "$T/ex"
run_prog make -s -f "$BF_TOP/examples/Makefile" -j4 MONTHS="2026-01 2026-02"
check_rc 0 "make -j4: January and February"
check_eq "$(grep -c '^reconcile 2026-0[12]: ' "$T/out")" 2 "one target per month"
check_eq "$(grep -c 'windows committed, 0 failed, of 62 planned\|windows committed, 0 failed, of 56 planned' "$T/err")" 2 \
    "each month planned its own windows (2 x 31, 2 x 28)"
check_eq "$(sq ledger.db 'SELECT substr(window_start, 1, 7), count(*) FROM windows GROUP BY 1')" \
    "2026-01|62
2026-02|56" "every window of both months committed"
check_eq "$(jq -r .watermark state/watermarks/db-01.json)" 2026-03-01T00:00:00Z \
    "the watermark at the end of February"

# The same range in one run gives the same result.
write_conf "$T/one/conf" "$T/one" size=24h from=2026-01-01 to=2026-03-01
sed -i "s|^fetch-arg = .*data.ndjson|fetch-arg = $T/data.ndjson|" "$T/one/conf"
run_prog bf-backfill -c "$T/one/conf"
check_rc 0 "one run over both months"
export_wh ledger.db >"$T/months.exp"
export_wh "$T/one/ledger.db" >"$T/one.exp"
check_file "$T/months.exp" "$T/one.exp" "month by month: the result of one run"

run_prog make -s -f "$BF_TOP/examples/Makefile" -j4 MONTHS="2026-01 2026-02"
check_rc 0 "make again"
check_eq "$(grep -c 'of 0 planned' "$T/err")" 2 "make again: nothing planned in either month"
run_prog make -s -f "$BF_TOP/examples/Makefile" 2026-02 BACKFILL=false
check_eq "$RC" 2 "a month's failure fails its target"

# The audit.
run_prog "$BF_TOP/examples/audit.sh" -q dlq.ndjson ledger.db
check_rc 0 "audit.sh"
total=$(sq ledger.db 'SELECT currency, cost FROM usage' | tr '|' ' ' | decsum | cut -d' ' -f2)
check_eq "$(sed -n 's/^   charge *\([0-9]*\) entries, net *\([0-9.]*\) USD$/\1 \2/p' "$T/out")" \
    "30 $total" "audit: 30 charges (3 days, 2 instances, 5 metrics), adding up to the usage cost"
check_eq "$(grep '^   2026-0[12]  ' "$T/out" | awk '{ print $1, $2 }')" "2026-01 acme
2026-02 acme" "audit: chargeback rows per month and tenant"
grep -q '^   30 keys, 0 mismatched$' "$T/out" && pass "audit: the ledger reconciles" ||
    { fail "audit: the ledger reconciles"; diag "$(cat "$T/out")"; }
sed -n '/^1\./,/^2\./p' "$T/out" | grep '^   ' | awk '{ print "x", $3 }' | decsum >"$T/tenants.sum"
check_eq "$(cut -d' ' -f2 "$T/tenants.sum")" "$total" "audit: the chargeback adds up to the total"

# A re-measured window: a correction appears, the ledger still reconciles.
sed 's/"value":3000,/"value":4500,/' "$T/data.ndjson" >"$T/data2.ndjson"
bf-window -f 2026-01-30 -t 2026-01-31 -s 24h -p db-01 -d state --force |
    bf-fetch -s file -d "$T/data2.ndjson" |
    bf-validate -c "$DEMO/contract.json" -d dlq.ndjson |
    bf-aggregate -r "$DEMO/rates.csv" -t "$DEMO/tenants.csv" |
    bf-load -d ledger.db -s state >/dev/null
run_prog "$BF_TOP/examples/audit.sh" ledger.db
check_rc 0 "audit after a correction"
check_eq "$(grep -c '^   .* correction db-01 provisioned_iops 2026-01-30T00:00:00Z ' "$T/out")" 1 \
    "audit: the correction listed"
grep -q '^   30 keys, 0 mismatched$' "$T/out" && pass "audit: still reconciles" ||
    { fail "audit: still reconciles"; diag "$(cat "$T/out")"; }

# A ledger amount edited behind bf's back.
sq ledger.db "DROP TRIGGER ledger_append_only_update; UPDATE ledger SET amount = '1.000000000' WHERE seq = 3 AND partition = 'db-02'"
run_prog "$BF_TOP/examples/audit.sh" ledger.db
check_rc 1 "audit of a tampered ledger"
check_eq "$(grep -c '^   MISMATCH ' "$T/out")" 1 "audit: the tampered key named"
run_prog "$BF_TOP/examples/audit.sh"
check_rc 2 "audit.sh without a target"
done_testing
