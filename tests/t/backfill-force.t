#!/bin/sh
# --force re-measures the given range (bf-backfill(1), RE-MEASURING): after
# a run, the data of some committed windows changes; a run with --force
# over a range that holds committed and new windows says how many of each
# it will do, the warehouse then holds the new data's amounts and the
# ledger corrections for the amounts that changed, so that every key's
# net amount is the new data's, computed here in python3 Decimal from the
# raw samples (integral_costs); bf-ledger verify passes, and forcing the
# same data again appends nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock python3; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done

# 2 instances, January 1 until 12:00, 1h windows: 24 windows.
small_data "$T" 2 1
write_conf "$T/conf" "$T" to=2026-01-01T12:00:00Z
run_prog bf-backfill -c "$T/conf"
check_rc 0 "the first run, until 12:00"
integral_costs "$T/data.ndjson" "$DEMO/rates.csv" 2026-01-01 2026-01-02 3600 >"$T/old"

# The source re-measured db-01's CPU from 05:00 to 07:00: twice the values.
jq -c 'if .instance_id == "db-01" and .metric == "cpu_utilization" and
    .ts >= "2026-01-01T05:00:00Z" and .ts < "2026-01-01T07:00:00Z"
    then .value *= 2 else . end' "$T/data.ndjson" >"$T/new.ndjson"
mv "$T/new.ndjson" "$T/data.ndjson"
integral_costs "$T/data.ndjson" "$DEMO/rates.csv" 2026-01-01 2026-01-02 3600 >"$T/new"
# The keys committed by the first run whose amount changed.
changed=$(join "$T/old" "$T/new" | awk '$1 ~ /\|2026-01-01T(0[0-9]|1[01]):/ && $2 != $3' | wc -l)
diag "$changed keys change"
[ "$changed" -gt 0 ] && pass "the new data changes some committed amounts" ||
    fail "the new data changes some committed amounts"

# --force from 04:00 to the end of the day, -j 2: 2 x 8 windows committed
# already, 2 x 12 new.
run_prog bf-backfill -c "$T/conf" --force --from 2026-01-01T04:00:00Z --to 2026-01-02 -j 2
check_rc 0 "--force over committed and new windows"
check_eq "$(grep -- '--force' "$T/err")" \
    "bf-backfill: --force: $((2 * (12 - 4))) windows already committed will be measured again (corrections in the ledger where an amount changes), $((2 * 12)) new" \
    "it says how many windows it redoes and how many are new, before it starts"
check_eq "$(grep -n -- '--force' "$T/err" | cut -d: -f1)" 1 "(first)"
grep -q "^bf-backfill: 40 windows committed, 0 failed, of 40 planned" "$T/err" &&
    pass "the 40 windows committed" || { fail "the 40 windows committed"; diag "$(cat "$T/err")"; }

# Every key's net amount in the ledger, and every usage row's cost, are the
# new data's.
sq "$T/ledger.db" "SELECT instance_id || '|' || metric || '|' || window_start, amount FROM ledger" |
    tr '|' ' ' | awk '{ print $1 "|" $2 "|" $3, $4 }' | decsum >"$T/net"
check_file "$T/net" "$T/new" "the ledger's net amount of every key is the new data's"
sq "$T/ledger.db" "SELECT instance_id || '|' || metric || '|' || window_start, cost FROM usage" |
    tr '|' ' ' | awk '{ print $1 "|" $2 "|" $3, $4 }' | sort >"$T/usage"
check_file "$T/usage" "$T/new" "the usage rows hold the new data's costs"
check_eq "$(corrections "$T/ledger.db")" "$changed" "a correction for each amount that changed"
RC=0
bf-ledger -d "$T/ledger.db" verify -s "$T/state" >/dev/null 2>"$T/verify.err" || RC=$?
check_rc 0 "bf-ledger verify"

# Forced again over the same data: measured again, nothing appended.
n=$(sq "$T/ledger.db" 'SELECT count(*) FROM ledger')
run_prog bf-backfill -c "$T/conf" --force --from 2026-01-01T04:00:00Z --to 2026-01-02
check_rc 0 "--force again"
check_eq "$(grep -- '--force' "$T/err")" \
    "bf-backfill: --force: 40 windows already committed will be measured again (corrections in the ledger where an amount changes), 0 new" \
    "again: 40 to redo, none new"
check_eq "$(sq "$T/ledger.db" 'SELECT count(*) FROM ledger')" "$n" "the same data: no entry appended"

# --force is a flag, not a key: a config cannot force every run.
run_prog bf-backfill -c "$T/conf" --force --dry-run
check_eq "$(grep -c '^bf-window .* --force ' "$T/out")" 2 "--dry-run: bf-window --force (the check and the pipeline)"
echo "force = yes" >>"$T/conf"
run_prog bf-backfill -c "$T/conf"
check_rc 2 "force in a config: refused"
done_testing
