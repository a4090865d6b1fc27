#!/bin/sh
# The demo backfill (make demo): 20 instances, 30 days of bf-gen telemetry
# (seed 1), the config of examples/demo. Its total cost is known: the
# warehouse must hold exactly that amount, per tenant too, and a rerun must
# plan nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done

# The demo's config names paths relative to the top of the repository.
cd "$T"
ln -s "$BF_TOP/examples" examples
mkdir -m 700 demo
bf-gen >demo/samples.ndjson
run_prog bf-backfill -c examples/demo/backfill.conf
check_rc 0 "the demo backfill"
check_eq "$(grep -c 'windows committed' "$T/err")" 1 "one summary"
check_eq "$(sed -n 's/^bf-backfill: \([0-9]*\) windows committed, \([0-9]*\) failed, of \([0-9]*\) planned; \([0-9]*\) samples, \([0-9]*\) rejected.*/\1 \2 \3 \4 \5/p' "$T/err")" \
    "600 0 600 864092 52" "summary: windows, samples, rejects"

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
TOTAL=18562.632558337
check_eq "$(sq demo/ledger.db 'SELECT currency, cost FROM usage' | tr '|' ' ' | decsum)" \
    "USD $TOTAL" "total cost of the usage rows"
check_eq "$(sq demo/ledger.db 'SELECT currency, amount FROM ledger' | tr '|' ' ' | decsum)" \
    "USD $TOTAL" "the ledger's balance equals it"
check_eq "$(grep 'cost loaded' "$T/err" | sed 's/.*cost loaded: //')" "$TOTAL USD" \
    "the summary reports the cost loaded"
sq demo/ledger.db 'SELECT allocations FROM usage' |
    jq -r '.[] | "\(.tenant) \(.cost)"' | decsum >"$T/tenants"
cat >"$T/tenants.want" <<'TXT'
acme 4094.342896368
globex 4190.914759430
initech 5109.927921001
umbrella 5167.446981538
TXT
check_file "$T/tenants" "$T/tenants.want" "per-tenant chargeback from the allocations"
check_eq "$(sq demo/ledger.db "SELECT count(*) FROM usage WHERE instance_id = 'db-07' AND window_start = '2026-01-20T00:00:00Z' AND json_array_length(allocations) = 2")" \
    5 "db-07's day of the ownership change is split between two tenants"
sq demo/ledger.db 'SELECT tenant, amount FROM ledger' | tr '|' ' ' | decsum >"$T/ledger.tenants"
check_file "$T/ledger.tenants" "$T/tenants.want" "per-tenant balances of the ledger: the same"
check_eq "$(sq demo/ledger.db "SELECT kind, count(*) FROM ledger GROUP BY kind")" \
    "charge|3005" "3005 charges (3000 usage rows, 5 of them shared by two tenants), no correction"
check_eq "$(jq -r .error.code demo/dlq.ndjson | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')" \
    "missing_field=7 nan_or_inf=8 number_overflow=7 out_of_range=16 unknown_unit=7 wrong_type=7 " \
    "DLQ: the malformed lines by code"
check_eq "$(ls demo/state/watermarks/*.json | wc -l)" 20 "a watermark per instance"
check_eq "$(jq -r .watermark demo/state/watermarks/db-07.json)" 2026-01-31T00:00:00Z \
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
