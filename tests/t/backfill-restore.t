#!/bin/sh
# A warehouse restored behind its checkpoints (issue 14, item 1): backfill
# 9 days, back the warehouse up, backfill to day 20, put the backup back
# and run again. The windows the checkpoints call committed and the
# warehouse lacks are planned again (a warning names them), fetched and
# billed; the watermarks name only windows the warehouse has; the final
# warehouse is a clean run's (canonical export) but for the ledger's
# restore events. On SQLite (.backup) and on
# the real PostgreSQL (pg_dump at day 9, the database dropped and restored).
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
NP=2 DAYS=20 DAY9=2026-01-10 END=2026-01-21
small_data "$T" $NP $DAYS
# run_dir DIR DB: a config over DIR (24h windows, NP instances) into DB.
run_dir() {
	mkdir -p "$1"
	ln -sf "$T/data.ndjson" "$1/data.ndjson"
	write_conf "$1/conf" "$1" size=24h to=$END db="$2"
}
run_dir "$T/clean" "$T/clean/ledger.db"
run_prog bf-backfill -c "$T/clean/conf"
check_rc 0 "a clean run of $DAYS days"
export_wh "$T/clean/ledger.db" >"$T/clean.exp"
check_eq "$(grep -c '"table":"usage"' "$T/clean.exp")" $((NP * DAYS * 5)) \
    "clean run: $NP instances, $DAYS days, 5 metrics"

# The windows lost by the restore: days 10 to 20, per partition.
missing=$((DAYS - 9))
# expect_warnings: one warning per partition naming the lost windows.
expect_warnings() {
	for p in db-01 db-02; do
		want="bf-window: warning: partition '$p': $missing windows the checkpoint calls committed are not in the warehouse (restored or failed over?): planned again: [2026-01-10T00:00:00Z, 2026-01-11T00:00:00Z), [2026-01-11T00:00:00Z, 2026-01-12T00:00:00Z), [2026-01-12T00:00:00Z, 2026-01-13T00:00:00Z) and $((missing - 3)) more"
		grep -qxF "$want" "$T/err" && pass "$1: a warning names $p's lost windows" ||
		    { fail "$1: a warning names $p's lost windows"; diag "$(cat "$T/err")"; }
	done
}
# same_as_clean NAME EXPORT: the export is a clean run's but for the
# ledger's restore events (amount 0), which bf-load appends when it sees
# the warehouse behind its checkpoint; those must name the lost windows,
# one per partition.
same_as_clean() {
	grep -v '"kind":"restore"' "$2" >"$2.bills"
	check_file "$2.bills" "$T/clean.exp" "$1: the warehouse is a clean run's (bills and usage)"
	_ev=$(jq -c 'select(.table == "ledger" and .kind == "restore") |
	    [.partition, .window_start, .window_end, .amount]' "$2")
	_want='["db-01","2026-01-10T00:00:00Z","2026-01-21T00:00:00Z","0.000000000"]
["db-02","2026-01-10T00:00:00Z","2026-01-21T00:00:00Z","0.000000000"]'
	check_eq "$_ev" "$_want" "$1: the ledger records the restore and the lost windows"
}
# wm_in_wh NAME Q: each watermark's last window is a window of the
# warehouse, with its digest (Q TABLE-QUERY runs a query).
wm_in_wh() {
	_ok=1
	for f in "$2"/state/watermarks/*.json; do
		[ -e "$f" ] || continue
		_p=$(jq -r .partition "$f")
		_ws=$(jq -r '.last_window[0]' "$f") _we=$(jq -r '.last_window[1]' "$f")
		_d=$($3 "SELECT digest FROM windows WHERE partition = '$_p' AND window_start = '$_ws' AND window_end = '$_we'")
		[ -n "$_d" ] && [ "$_d" = "$(jq -r .last_digest "$f")" ] ||
		    { _ok=0; diag "$f names [$_ws, $_we), not in the warehouse"; }
		[ "$(jq -r .watermark "$f")" = "${END}T00:00:00Z" ] || { _ok=0; diag "$f: $(cat "$f")"; }
	done
	[ $_ok = 1 ] && pass "$1: every watermark names a window the warehouse has" ||
	    fail "$1: every watermark names a window the warehouse has"
}

# SQLite.
D=$T/lite
run_dir "$D" "$D/ledger.db"
run_prog bf-backfill -c "$D/conf" --to $DAY9
check_rc 0 "sqlite: 9 days"
sqlite3 "$D/ledger.db" ".backup '$D/backup.db'"
run_prog bf-backfill -c "$D/conf"
check_rc 0 "sqlite: to day 20"
cp "$D/backup.db" "$D/ledger.db"
rm -f "$D/ledger.db-wal" "$D/ledger.db-shm"
check_eq "$(sq "$D/ledger.db" 'SELECT count(*) FROM windows')" $((NP * 9)) \
    "sqlite: the restored warehouse has 9 days"
run_prog bf-backfill -c "$D/conf"
check_rc 0 "sqlite: the run after the restore"
grep -q "^bf-backfill: $((NP * missing)) windows committed, 0 failed, of $((NP * missing)) planned;" "$T/err" &&
    pass "sqlite: the $((NP * missing)) lost windows are planned and committed" ||
    { fail "sqlite: the lost windows are planned and committed"; diag "$(cat "$T/err")"; }
expect_warnings sqlite
check_eq "$(sq "$D/ledger.db" 'SELECT count(*) FROM windows')" $((NP * DAYS)) \
    "sqlite: every window is in the warehouse again"
wm_in_wh sqlite "$D" "sq $D/ledger.db"
export_wh "$D/ledger.db" >"$T/lite.exp"
same_as_clean sqlite "$T/lite.exp"
run_prog bf-ledger -d "$D/ledger.db" gaps -f 2026-01-01 -t $END
check_eq "$(cat "$T/out")" "" "sqlite: bf-ledger gaps: none left"

# PostgreSQL: a dump at day 9, restored over the later windows.
if command -v psql >/dev/null && command -v pg_dump >/dev/null &&
    command -v pg_restore >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	. "$BF_TOP/tests/lib/pg.sh"
	start_pg
	createdb r
	R="postgresql:///r?host=$PGHOST&port=$PGPORT"
	pq() { psql -X -q -A -t -d r -c "$1"; }
	D=$T/pg
	run_dir "$D" "$R"
	run_prog bf-backfill -c "$D/conf" --to $DAY9
	check_rc 0 "pg: 9 days"
	pg_dump -Fc -d r -f "$D/r.dump"
	run_prog bf-backfill -c "$D/conf"
	check_rc 0 "pg: to day 20"
	dropdb r && createdb r && pg_restore -d r "$D/r.dump"
	check_eq "$(pq 'SELECT count(*) FROM windows')" $((NP * 9)) \
	    "pg: the restored warehouse has 9 days"
	run_prog bf-backfill -c "$D/conf"
	check_rc 0 "pg: the run after the restore"
	grep -q "^bf-backfill: $((NP * missing)) windows committed, 0 failed, of $((NP * missing)) planned;" "$T/err" &&
	    pass "pg: the $((NP * missing)) lost windows are planned and committed" ||
	    { fail "pg: the lost windows are planned and committed"; diag "$(cat "$T/err")"; }
	expect_warnings pg
	check_eq "$(pq 'SELECT count(*) FROM windows')" $((NP * DAYS)) \
	    "pg: every window is in the warehouse again"
	wm_in_wh pg "$D" pq
	export_wh "$R" >"$T/pg.exp"
	same_as_clean pg "$T/pg.exp"
else
	pass "# SKIP PostgreSQL (server, psql, pg_dump, pg_restore) is not installed"
fi
done_testing
