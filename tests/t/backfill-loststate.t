#!/bin/sh
# A lost state directory costs no fetch (issue 14, item 4): after a
# backfill the state directory is removed (a pod rescheduled); the rerun
# plans from the warehouse alone: the source is asked nothing, the run
# exits 0, the warehouse is unchanged, and bf-window --gaps and bf-ledger
# gaps agree that nothing is left. On SQLite and the real PostgreSQL.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
small_data "$T" 2 2
# The exec source counts its requests, one line each, in DIR/requests.
cat >"$T/count.sh" <<'EOF2'
#!/bin/sh
echo "$1 $2 $3" >>"$(dirname "$0")/requests"
exec "$(dirname "$0")/src.sh" "$@"
EOF2
chmod +x "$T/count.sh"
# Windows of the config: 2 partitions, 2 days, 6h windows.
NW=$((2 * 2 * 24 / 6))

lost_state() { # NAME DB
	_ls=$1 _db=$2
	write_conf "$T/$_ls.conf" "$T/$_ls" size=6h db="$_db"
	use_exec "$T/$_ls.conf" "$T/count.sh"
	mkdir -p "$T/$_ls"
	: >"$T/requests"
	run_prog bf-backfill -c "$T/$_ls.conf"
	check_rc 0 "$_ls: the backfill"
	check_eq "$(wc -l <"$T/requests")" $NW "$_ls: one request per window"
	export_wh "$_db" >"$T/$_ls.before"
	rm -rf "$T/$_ls/state"
	: >"$T/requests"
	run_prog bf-backfill -c "$T/$_ls.conf"
	check_rc 0 "$_ls: the rerun without a state directory"
	check_eq "$(wc -l <"$T/requests")" 0 "$_ls: the rerun asks the source nothing"
	grep -q '^bf-backfill: 0 windows committed, 0 failed, of 0 planned;' "$T/err" &&
	    pass "$_ls: nothing planned" || { fail "$_ls: nothing planned"; diag "$(cat "$T/err")"; }
	export_wh "$_db" >"$T/$_ls.after"
	check_file "$T/$_ls.after" "$T/$_ls.before" "$_ls: the warehouse is unchanged"
	run_prog bf-window -f 2026-01-01 -t 2026-01-03 -s 6h -p db-01 -p db-02 \
	    --state "$T/$_ls/state" --db "$_db" --gaps
	check_rc 0 "$_ls: bf-window --gaps"
	check_eq "$(cat "$T/out")" "" "$_ls: bf-window --gaps: no gap"
	run_prog bf-ledger -d "$_db" gaps -f 2026-01-01 -t 2026-01-03 \
	    --partition db-01 --partition db-02
	check_eq "$(cat "$T/out")" "" "$_ls: bf-ledger gaps: no gap"
	check_eq "$(ls "$T/$_ls/state/watermarks")" "db-01.json
db-02.json" "$_ls: the watermarks are written again, from the warehouse"
}

lost_state lite "$T/lite/ledger.db"

if command -v psql >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	. "$BF_TOP/tests/lib/pg.sh"
	start_pg
	lost_state pg "$PG_URI"
	check_file "$T/pg.after" "$T/lite.after" "pg and sqlite: the same warehouse"
else
	pass "# SKIP PostgreSQL is not installed"
fi
done_testing
