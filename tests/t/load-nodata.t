#!/bin/sh
# bf-load: empty is not complete. A partition whose windows all came
# without data (fetched 0, lookback 0) is not committed: no warehouse row,
# no checkpoint, no ledger entry; its windows are re-emitted as no_data,
# one message per partition, exit 1, and the next plan has them again.
# Windows without data before a window with data are committed, in order.
# --allow-no-data commits them as before. On SQLite and on the real
# PostgreSQL of tests/lib/pg.sh (skipped without it).
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"

# day P D: the window line of partition P, day 2026-01-D, with data (a
# usage line, fetched 12) or, with a third argument "empty", without.
day() {
	if [ "${3:-}" = empty ]; then
		gen "$1" "$2" 1 0 0 | sed 's/"status":"ok"/"fetched":0,"lookback":0,"status":"ok"/'
	else
		gen "$1" "$2" 1 1 1 | sed 's/"status":"ok"/"fetched":12,"lookback":1,"status":"ok"/'
	fi
}

# Input 1, as bf-fetch -j 1 writes it when partitions interleave: good
# partitions db-1 and db-2 with data every day, the misspelled app_db
# without data any day, for days 1 to 3.
for d in 1 2 3; do
	day db-1 $d; day app_db $d empty; day db-2 $d
done >"$T/mis.ndjson"
# Input 2, days 11 to 14: data only in the last window of db-1 (day 14); db-3 has a window
# without data, then one failed upstream, then data; db-4 a window without
# data, then one failed upstream, then nothing.
{ day db-1 11 empty; day db-3 11 empty; day db-4 11 empty
  day db-1 12 empty
  day db-3 12 | sed 's/"status":"ok"/"status":"failed","error":{"stage":"bf-fetch","code":"timeout","message":"timed out"}/'
  day db-4 12 empty | sed 's/"status":"ok"/"status":"failed","error":{"stage":"bf-fetch","code":"timeout","message":"timed out"}/'
  day db-1 13 empty; day db-3 13; day db-1 14; } >"$T/last.ndjson"

MSG="bf-load: partition 'app_db': no data in 3 windows [2026-01-01T00:00:00Z, 2026-01-04T00:00:00Z): not committed (--allow-no-data commits them)"

# count TARGET KIND SQL: one number from SQLite or PostgreSQL.
count() {
	case $2 in
	sq) sq "$1" "$3" ;;
	pg) psql -d "$1" -Atc "$3" ;;
	esac
}

# check_target KIND TARGET DBNAME(for count) LABEL
check_target() {
	kind=$1 tgt=$2 cdb=$3 lab=$4
	for b in 1 2; do
		st=$T/$lab.b$b.state
		[ $b = 1 ] || { eval "tgt=\$${lab}_tgt2"; eval "cdb=\$${lab}_cdb2"; }
		run_prog bf-load --db "$tgt" --state "$st" --batch $b "$T/mis.ndjson"
		check_rc 1 "$lab --batch $b: a partition without data"
		check_eq "$(cat "$T/err")" "$MSG" "$lab --batch $b: one message for app_db"
		check_eq "$(jq -r 'select(.type=="window") | .partition+" "+.status' "$T/out" | sort | uniq -c | tr -s ' ' | tr '\n' ';')" \
		    " 3 app_db no_data; 3 db-1 ok; 3 db-2 ok;" "$lab --batch $b: window lines"
		check_eq "$(jq -c 'select(.status=="no_data") | [.window_start, has("error")]' "$T/out" | tr '\n' ' ')" \
		    '["2026-01-01T00:00:00Z",false] ["2026-01-02T00:00:00Z",false] ["2026-01-03T00:00:00Z",false] ' \
		    "$lab --batch $b: no_data lines in order, without an error"
		check_eq "$(count "$cdb" $kind "select partition, count(*) from windows group by partition order by partition" | tr '\n' ' ')" \
		    "db-1|3 db-2|3 " "$lab --batch $b: warehouse windows of the good partitions only"
		check_eq "$(count "$cdb" $kind "select count(*) from usage where partition = 'app_db'")/$(count "$cdb" $kind "select count(*) from ledger where partition = 'app_db'")" \
		    "0/0" "$lab --batch $b: no usage row, no ledger entry for app_db"
		check_eq "$(count "$cdb" $kind "select count(*) from ledger")" 6 \
		    "$lab --batch $b: the good partitions' charges"
		test ! -e "$st/app_db.ckpt" && test -e "$st/db-1.ckpt" &&
		    pass "$lab --batch $b: no checkpoint for app_db" ||
		    fail "$lab --batch $b: no checkpoint for app_db"
	done
	# The next plan has app_db's windows again, not the others'.
	bf-window --from 2026-01-01 --to 2026-01-04 --size 24h -p app_db \
	    -p db-1 -p db-2 --state "$T/$lab.b1.state" --db "$2" --settle 0 \
	    >"$T/plan" 2>"$T/plan.err" || :
	check_eq "$(jq -r '.partition+" "+.window_start' "$T/plan" | tr '\n' ' ')" \
	    "app_db 2026-01-01T00:00:00Z app_db 2026-01-02T00:00:00Z app_db 2026-01-03T00:00:00Z " \
	    "$lab: the next run plans app_db's windows again"
	# A rerun with the data in the last window commits them all, in order.
	run_prog bf-load --db "$2" --state "$T/$lab.b1.state" "$T/last.ndjson"
	check_rc 1 "$lab: data in the last window (db-3 and db-4 failed a window)"
	check_eq "$(jq -r 'select(.type=="window") | .partition+" "+.window_start[8:10]+" "+.status' "$T/out" | tr '\n' ';')" \
	    "db-3 12 failed;db-4 12 failed;db-3 11 ok;db-3 13 ok;db-1 11 ok;db-1 12 ok;db-1 13 ok;db-1 14 ok;db-4 11 no_data;" \
	    "$lab: held windows committed in order before the first with data"
	check_eq "$(count "$3" $kind "select window_start from windows where partition = 'db-1' and window_start >= '2026-01-11' order by window_start" | cut -c9-10 | tr '\n' ' ')" \
	    "11 12 13 14 " "$lab: db-1's four windows committed"
	check_eq "$(count "$3" $kind "select window_start from windows where partition = 'db-3' order by window_start" | cut -c9-10 | tr '\n' ' ')" \
	    "11 13 " "$lab: db-3: the held window and the one with data, not the failed one"
	check_eq "$(count "$3" $kind "select count(*) from windows where partition = 'db-4'")" 0 \
	    "$lab: db-4 (no data, one window failed) committed nothing"
	check_eq "$(grep -c "partition 'db-4': no data in 1 window \[2026-01-11T00:00:00Z, 2026-01-12T00:00:00Z): not committed" "$T/err")" 1 \
	    "$lab: one message for db-4"
	check_eq "$(jq -c .committed "$T/$lab.b1.state/db-1.ckpt")" \
	    '[["2026-01-01T00:00:00Z","2026-01-04T00:00:00Z"],["2026-01-11T00:00:00Z","2026-01-15T00:00:00Z"]]' \
	    "$lab: db-1's checkpoint covers the four days"
	run_prog bf-ledger --db "$2" verify --state "$T/$lab.b1.state"
	check_rc 0 "$lab: bf-ledger verify: the chain verifies"
	# --allow-no-data commits app_db's empty windows, as before.
	run_prog bf-load --db "$2" --state "$T/$lab.b1.state" --allow-no-data "$T/mis.ndjson"
	check_rc 0 "$lab: --allow-no-data"
	check_eq "$(count "$3" $kind "select count(*) from windows where partition = 'app_db'")" 3 \
	    "$lab: --allow-no-data commits app_db's windows"
	test -s "$T/err" && fail "$lab: --allow-no-data is quiet" || pass "$lab: --allow-no-data is quiet"
}

sq_tgt2=$T/w2.db sq_cdb2=$T/w2.db
check_target sq "$T/w.db" "$T/w.db" sq

. "$BF_TOP/tests/lib/pg.sh"
start_pg
PG1=$(pg_db nodata1)
pg_tgt2=$(pg_db nodata2) pg_cdb2=nodata2
check_target pg "$PG1" nodata1 pg
done_testing
