#!/bin/sh
# A hot rollback journal: bf-load killed (BF_FAULT=journal-hot) while SQLite
# commits in rollback-journal mode, between writing the database and
# deleting its journal. That is when bf-load switches a new warehouse to
# WAL, or one a user switched back to DELETE mode. The readers must still
# open the warehouse (bf-window --db opens it read-only, and a read-only
# connection cannot roll a hot journal back), it must hold exactly the
# windows committed before the kill, and a rerun must give the clean run's
# warehouse.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/load.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 od; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done

# hot DB: the journal of DB is there and hot (its header's magic written:
# a first byte that is not 0, SQLite's test).
hot() {
	[ -s "$1-journal" ] && [ "$(od -An -tu1 -N1 "$1-journal" | tr -d ' ')" != 0 ]
}
# planned DB FROM TO: the windows bf-window --db plans for p1, one
# "start end" a line.
planned() {
	bf-window -f "$2" -t "$3" -s 1d -p p1 -d "$T/$4" --db "$1" >"$T/planned" 2>"$T/planned.err" ||
	    { echo "exit $?: $(cat "$T/planned.err")"; return; }
	jq -r '"\(.window_start) \(.window_end)"' "$T/planned"
}
# days A B: the "start end" lines of the day windows 2026-01-A to B-1.
days() { awk -v a="$1" -v b="$2" 'BEGIN { for (d = a; d < b; d++)
	printf "2026-01-%02dT00:00:00Z 2026-01-%02dT00:00:00Z\n", d, d + 1 }'; }
# total FILE...: the total cost of the usage lines of FILEs, by hand.
total() { cat "$@" | jq -r 'select(.type == "usage") | "t \(.cost)"' | decsum | cut -d' ' -f2; }
# charged DB: the total bf-ledger chargeback gives for January.
charged() { bf-ledger -d "$1" chargeback -p 2026-01 | jq -r 'select(.type == "total") | .cost'; }

gen p1 1 2 2 2 >"$T/d12.ndjson"
gen p1 3 2 2 2 >"$T/d34.ndjson"
cat "$T/d12.ndjson" "$T/d34.ndjson" >"$T/d14.ndjson"
bf-load --db "$T/c12.db" "$T/d12.ndjson" >/dev/null
bf-load --db "$T/c14.db" "$T/d14.ndjson" >/dev/null
export_wh "$T/c12.db" >"$T/c12.exp"
export_wh "$T/c14.db" >"$T/c14.exp"

# 1. Killed while it creates the warehouse (its switch to WAL).
mkdir "$T/st1"
run_prog env BF_FAULT=journal-hot:1 bf-load --db "$T/new.db" --state "$T/st1" "$T/d12.ndjson"
check_rc 137 "new warehouse: bf-load killed while it creates it"
hot "$T/new.db" && pass "new warehouse: it left a hot journal" || fail "new warehouse: it left a hot journal"
check_eq "$(planned "$T/new.db" 2026-01-01 2026-01-03 st1)" "$(days 1 3)" \
    "new warehouse: bf-window --db plans every window (none committed)"
[ -e "$T/new.db-journal" ] && fail "new warehouse: the journal rolled back" ||
    pass "new warehouse: the journal rolled back"
run_prog bf-load --db "$T/new.db" --state "$T/st1" "$T/d12.ndjson"
check_rc 0 "new warehouse: bf-load reruns"
export_wh "$T/new.db" >"$T/new.exp"
check_file "$T/new.exp" "$T/c12.exp" "new warehouse: the clean run's warehouse after the rerun"
run_prog bf-ledger -d "$T/new.db" verify -s "$T/st1"
check_rc 0 "new warehouse: bf-ledger verify"
check_eq "$(charged "$T/new.db")" "$(total "$T/d12.ndjson")" "new warehouse: bf-ledger chargeback"
check_eq "$(planned "$T/new.db" 2026-01-01 2026-01-03 st1)" "" \
    "new warehouse: bf-window --db plans nothing more"

# 2. Windows committed, the warehouse switched to DELETE mode by hand, then
# bf-load killed while it switches it back to WAL: the journal holds the
# committed first page.
mkdir "$T/st2"
bf-load --db "$T/old.db" --state "$T/st2" "$T/d12.ndjson" >/dev/null
check_eq "$(sq "$T/old.db" 'PRAGMA journal_mode=DELETE')" delete "committed warehouse: DELETE mode"
run_prog env BF_FAULT=journal-hot:1 bf-load --db "$T/old.db" --state "$T/st2" "$T/d34.ndjson"
check_rc 137 "committed warehouse: bf-load killed while it switches to WAL"
hot "$T/old.db" && pass "committed warehouse: it left a hot journal" ||
    fail "committed warehouse: it left a hot journal"
check_eq "$(planned "$T/old.db" 2026-01-01 2026-01-05 st2)" "$(days 3 5)" \
    "committed warehouse: bf-window --db plans the windows not committed"
run_prog bf-ledger -d "$T/old.db" verify -s "$T/st2"
check_rc 0 "committed warehouse: bf-ledger verify"
check_eq "$(charged "$T/old.db")" "$(total "$T/d12.ndjson")" \
    "committed warehouse: bf-ledger chargeback, the committed windows"
export_wh "$T/old.db" >"$T/old.exp"
check_file "$T/old.exp" "$T/c12.exp" "committed warehouse: exactly the committed windows"
run_prog bf-load --db "$T/old.db" --state "$T/st2" "$T/d34.ndjson"
check_rc 0 "committed warehouse: bf-load reruns"
export_wh "$T/old.db" >"$T/old.exp"
check_file "$T/old.exp" "$T/c14.exp" "committed warehouse: the clean run's warehouse after the rerun"
check_eq "$(charged "$T/old.db")" "$(total "$T/d14.ndjson")" \
    "committed warehouse: bf-ledger chargeback after the rerun"

# 3. bf-backfill: its bf-load killed while it creates the warehouse; the
# next bf-backfill (its bf-window --db first) completes it.
small_data "$T" 2 1
for d in clean bk; do
	mkdir "$T/$d"
	ln -s "$T/data.ndjson" "$T/$d/data.ndjson"
	write_conf "$T/$d/conf" "$T/$d" to=2026-01-02
done
run_prog bf-backfill -c "$T/clean/conf" --no-progress
check_rc 0 "bf-backfill: the clean run"
[ "$RC" = 0 ] || diag "$(tail -5 "$T/err")"
export_wh "$T/clean/ledger.db" >"$T/clean.exp"
run_prog env BF_FAULT=journal-hot:1 bf-backfill -c "$T/bk/conf" --no-progress
check_rc 1 "bf-backfill: its bf-load killed, windows failed"
# (Its hand-off's bf-window --gaps --db, after the pipeline, found the hot
# journal and rolled it back. Nothing here may open the warehouse
# read-write before the next run: sqlite3 would roll it back too.)
run_prog bf-backfill -c "$T/bk/conf" --no-progress
check_rc 0 "bf-backfill: the next run"
[ "$RC" = 0 ] || diag "$(tail -5 "$T/err")"
export_wh "$T/bk/ledger.db" >"$T/bk.exp"
check_file "$T/bk.exp" "$T/clean.exp" "bf-backfill: the clean run's warehouse"
check_eq "$(corrections "$T/bk/ledger.db")" 0 "bf-backfill: no correction in the ledger"
run_prog bf-ledger -d "$T/bk/ledger.db" verify -s "$T/bk/state"
check_rc 0 "bf-backfill: bf-ledger verify"
done_testing
