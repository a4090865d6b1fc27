#!/bin/sh
# Scale-out: four shards (--shard I/4), run in parallel as four machines
# would (each with its own state directory), into one PostgreSQL warehouse
# give the same canonical export as one run into PostgreSQL, and as one run
# into SQLite.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
. "$BF_TOP/tests/lib/pg.sh"
for p in jq sqlite3 flock psql; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
start_pg
pg_uri() {
	createdb "$1"
	echo "postgresql:///$1?host=$PGHOST&port=$PGPORT"
}
small_data "$T" 8 1
printf 'db-%02d\n' 1 2 3 4 5 6 7 8 >"$T/instances.txt"
# conf NAME DB [KEY=VALUE]...: 8 instances, one day, 3h windows.
conf() {
	_cn=$1 _db=$2
	shift 2
	mkdir -p "$T/$_cn"
	write_conf "$T/$_cn.conf" "$T/$_cn" to=2026-01-02 size=3h partition= \
	    partitions="$T/instances.txt" db="$_db" "$@"
	sed -i "s|^fetch-arg = .*data.ndjson|fetch-arg = $T/data.ndjson|" "$T/$_cn.conf"
}

conf lite "$T/lite/ledger.db"
run_prog bf-backfill -c "$T/lite.conf"
check_rc 0 "one run into SQLite"
export_wh "$T/lite/ledger.db" >"$T/lite.exp"
check_eq "$(grep -c '"table":"usage"' "$T/lite.exp")" 320 "64 windows of 5 metrics"

ONE=$(pg_uri one)
conf one "$ONE"
run_prog bf-backfill -c "$T/one.conf"
check_rc 0 "one run into PostgreSQL"
export_wh "$ONE" >"$T/one.exp"
check_file "$T/one.exp" "$T/lite.exp" "PostgreSQL and SQLite: the same export"

SH=$(pg_uri shards)
for i in 0 1 2 3; do
	conf "s$i" "$SH" shard="$i/4" jobs=2
	bf-backfill -c "$T/s$i.conf" >"$T/s$i.out" 2>"$T/s$i.err" &
	eval "pid$i=\$!"
done
for i in 0 1 2 3; do
	rc=0
	eval "wait \$pid$i" || rc=$?
	check_eq "$rc" 0 "shard $i/4"
	[ "$rc" = 0 ] || diag "$(cat "$T/s$i.err")"
	check_eq "$(ls "$T/s$i/state/watermarks" | wc -l)" 2 "shard $i/4: two partitions, two watermarks"
done
export_wh "$SH" >"$T/shards.exp"
check_file "$T/shards.exp" "$T/one.exp" "four shards in parallel: the same export as one run"
check_eq "$(psql -X -A -t -d "$SH" -c "SELECT count(*) FROM ledger WHERE kind <> 'charge'")" 0 \
    "no correction"
check_eq "$(ls "$T"/s?/state/*.ckpt | sed 's|.*/||' | sort | tr '\n' ' ')" \
    "db-01.ckpt db-02.ckpt db-03.ckpt db-04.ckpt db-05.ckpt db-06.ckpt db-07.ckpt db-08.ckpt " \
    "each partition checkpointed by exactly one shard"
# Running every shard again does nothing.
for i in 0 1 2 3; do
	run_prog bf-backfill -c "$T/s$i.conf"
	check_eq "$RC $(grep -c 'of 0 planned' "$T/err")" "0 1" "shard $i/4 again: nothing planned"
done
done_testing
