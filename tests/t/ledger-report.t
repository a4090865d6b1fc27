#!/bin/sh
# bf-ledger's reports on the small known ledger of tests/lib/ledger.sh (the
# numbers are checked by hand there), on SQLite; ledger-pg.t runs the same
# on PostgreSQL and compares.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/ledger.sh"

ledger_load "$T/l.db" "$T/st" || fail "load the known ledger"
ledger_reports "$T/l.db" sq
ledger_check sq

# Multi-owner windows are charged to each owner: without allocations the
# row would go to its empty tenant.
check_eq "$(jq -r 'select(.tenant == "") | .tenant' "$T/sq.cb")" "" \
    "no chargeback line for an empty tenant"

# Allocations that do not add up to the row's cost never reach the
# warehouse: bf-load refuses the window (its ledger follows each tenant's
# share, so the shares must add up), and there is nothing to charge.
cat >"$T/odd.ndjson" <<'X'
{"type":"usage","partition":"p","instance_id":"i","metric":"m","window_start":"2026-03-01T00:00:00Z","window_end":"2026-03-02T00:00:00Z","quantity":"10","usage_unit":"u","cost":"1.000000000","currency":"EUR","tenant":"c","allocations":[{"tenant":"a","cost":"0.600000000"},{"tenant":"b","cost":"0.300000000"}]}
{"type":"window","partition":"p","window_start":"2026-03-01T00:00:00Z","window_end":"2026-03-02T00:00:00Z","status":"ok"}
X
run_prog bf-load -d "$T/odd.db" "$T/odd.ndjson"
check_rc 1 "allocations that do not add up: the window is refused"
run_prog bf-ledger -d "$T/odd.db" chargeback -p 2026-03 -F csv
check_rc 1 "chargeback of an empty period"
check_eq "$(grep -c '^chargeback,' "$T/out")" 0 "nothing charged for the refused window"
check_eq "$(cat "$T/err")" \
    "bf-ledger: no usage rows in period 2026-03 (billing day 1) [2026-03-01T00:00:00Z, 2026-04-01T00:00:00Z): nothing to charge back" \
    "chargeback of an empty period says so, with the period and its bounds"
check_eq "$(cat "$T/out")" "type,period,period_start,period_end,tenant,currency,usage_rows,cost" \
    "chargeback -F csv of an empty period: the header alone, an empty table"
run_prog bf-ledger -d "$T/odd.db" chargeback -p 2026-03 -b 15
check_eq "$RC/$(wc -c <"$T/out")/$(grep -c '(billing day 15) \[2026-03-15T00:00:00Z, 2026-04-15T00:00:00Z)' "$T/err")" \
    "1/0/1" "-F ndjson: nothing on stdout; the message names the billing day"

# gaps: the warehouse's answer is bf-window --gaps's (from the
# checkpoints), on the same state, for ranges that start and end inside
# committed windows and for a partition never loaded.
. "$BF_TOP/tests/lib/load.sh"
{ gen db-1 1 3 1 1; gen db-1 5 1 1 1; gen db-1 9 2 1 1; gen db-2 2 2 1 1
  gen db-3 1 10 1 1; } >"$T/g.ndjson"
bf-load -d "$T/g.db" -s "$T/g.st" "$T/g.ndjson" >/dev/null
for r in "2026-01-01 2026-01-12" "2026-01-02T12:00:00Z 2026-01-09T06:00:00Z" "2025-12-30 2026-01-02"; do
	set -- $r
	bf-window -f "$1" -t "$2" -p db-1 -p db-2 -p db-3 -p db-4 -d "$T/g.st" --gaps >"$T/want"
	run_prog bf-ledger -d "$T/g.db" gaps -f "$1" -t "$2" --partition db-1 \
	    --partition db-2 --partition db-3 --partition db-4
	check_file "$T/out" "$T/want" "gaps [$1, $2): as bf-window --gaps"
done
check_eq "$(wc -l <"$T/want" | tr -d ' ')" 4 "the last range has gaps in 4 partitions"

# Hostile names (SQL, paths, control characters) are data, in every
# command and format.
hostile_input >"$T/h.ndjson"
bf-load -d "$T/h.db" -s "$T/h.st" "$T/h.ndjson" >/dev/null
run_prog bf-ledger -d "$T/h.db" verify -s "$T/h.st"
check_rc 0 "hostile names: verify"
check_eq "$(jq -r .partition "$T/out")" "../../etc/passwd" "hostile names: the partition as it is"
run_prog bf-ledger -d "$T/h.db" chargeback -p 2026-01 -B instance,metric
check_eq "$RC $(jq -r 'select(.type == "chargeback") | .tenant' "$T/out" | tr '\n' '|')" \
    "0 |Robert'); DROP TABLE ledger;--|" "hostile names: chargeback"
run_prog bf-ledger -d "$T/h.db" chargeback -p 2026-01 -B metric -F table
check_eq "$RC $(grep -c . "$T/out")" "0 4" "hostile names: a table keeps one line per row"
run_prog bf-ledger -d "$T/h.db" export -F focus
"$BF_TOOLS/tool-csvjson" "$T/out" >"$T/h.json" && jq -e -s 'length == 3' "$T/h.json" >/dev/null &&
    pass "hostile names: the FOCUS CSV reads back" || fail "hostile names: the FOCUS CSV reads back"
done_testing
