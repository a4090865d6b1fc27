#!/bin/sh
# The Indexed Job's command line as 4 local processes (issue 16, item 2):
# `bf-backfill -c CONFIG --shard I/4`, each with its own empty state
# directory, into one PostgreSQL warehouse, a slow source; two shards
# chosen at random are killed with SIGKILL after their first commit, then
# run again with FRESH state directories. The canonical export equals the
# one of a single process that ran everything into another database, and
# bf-ledger verify passes. One budget, shared through the warehouse
# (the config's rate 5/s and burst 1; bf-backfill passes the PostgreSQL
# warehouse as bf-fetch's --budget), holds for all of them: the source,
# which logs the time of each request, never sees more than 6 requests in
# a second (5 per process would let 4 processes send 13: each sends one
# every 0.3 s).
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq psql flock; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
[ "${BF_SANITIZE:-}" != 1 ] ||
	skip_all "PostgreSQL and 7 runs of a slow source, in the plain make check"
[ "${BF_VALGRIND:-}" != 1 ] ||
	skip_all "PostgreSQL and 7 runs of a slow source, in the plain make check"
. "$BF_TOP/tests/lib/pg.sh"
start_pg
createdb ref
REF="postgresql:///ref?host=$PGHOST&port=$PGPORT"

# 8 partitions, 2 days, 6h windows: 64 windows, 16 a shard (the FNV-1a
# split of db-01..db-08 in 4 is 2 partitions each); 0.3 s a request,
# one window in flight per pipeline.
small_data "$T" 8 2
printf 'db-0%s\n' 1 2 3 4 5 6 7 8 >"$T/partitions"
slow_source "$T" 0.3
# The source logs each request's time, then answers after 0.3 s.
sed -i "2i date +%s.%N >>'$T/requests'" "$T/slow.sh"
write_conf "$T/c.conf" "$T" size=6h partition= partitions="$T/partitions" \
    db="$PG_URI" dlq= rate=5/s burst=1
use_exec "$T/c.conf" "$T/slow.sh" -j 1
NW=64

# The one-process run.
run_prog bf-backfill -c "$T/c.conf" -j 4 --db "$REF" --state "$T/ref-state"
check_rc 0 "one process: the backfill"
export_wh "$REF" >"$T/ref.export"
check_eq "$(jq -r 'select(.table == "usage") | .partition' "$T/ref.export" | sort -u | wc -l)" 8 \
    "one process: usage of the 8 partitions"

# shard I NAME: the Indexed Job's command, state directory T/NAME.
shard() {
	exec bf-backfill -c "$T/c.conf" --shard "$1/4" --state "$T/$2" \
	    >"$T/$2.out" 2>"$T/$2.err"
}
# committed I: the windows the warehouse has of shard I's partitions.
committed() {
	_parts=$(bf-window -f 2026-01-01 -t 2026-01-02 -s 24h \
	    --partitions "$T/partitions" --shard "$1/4" | jq -r .partition |
	    sed "s/.*/'&'/" | paste -sd, -)
	psql -XAtq -c "SELECT count(*) FROM windows WHERE partition IN ($_parts)" 2>/dev/null || echo 0
}

: >"$T/requests"
for i in 0 1 2 3; do
	(shard $i s$i) & eval "pid$i=\$!"
done
victims=$(printf '0\n1\n2\n3\n' | shuf -n 2 | sort | tr '\n' ' ')
diag "killing shards $victims"
# Both victims are killed once each has committed a window.
n=0
for v in $victims; do
	while [ "$(committed $v)" -lt 1 ] && [ $n -lt 600 ]; do
		sleep 0.05; n=$((n + 1))
	done
done
pids=
for v in $victims; do
	eval "pid=\$pid$v"
	pids="$pids $pid $(tree_pids $pid)"
	kill -9 $pid 2>/dev/null || :
	wait $pid 2>/dev/null || :
done
for v in $victims; do
	got=$(committed $v)
	if [ "$got" -ge 1 ] && [ "$got" -lt 16 ]; then
		pass "shard $v killed mid-run ($got of 16 windows committed)"
	else
		fail "shard $v killed mid-run"; diag "$got of 16 windows committed"
	fi
done
# Their stages die with them (bf-backfill(1), STOPPING): wait for them.
for p in $pids; do
	n=0
	while kill -0 "$p" 2>/dev/null && [ $n -lt 200 ]; do
		sleep 0.05; n=$((n + 1))
	done
done
for v in $victims; do
	left=$((16 - $(committed $v)))
	rc=0; (shard $v fresh$v) || rc=$?
	check_eq "$rc" 0 "shard $v: the rerun with a fresh state directory"
	[ "$rc" = 0 ] || diag "$(cat "$T/fresh$v.err")"
	check_eq "$(sed -n 's/^bf-backfill: \([0-9]*\) windows committed.*/\1/p' "$T/fresh$v.err")" \
	    "$left" "shard $v: the rerun commits the $left windows the warehouse lacked"
	check_eq "$(committed $v)" 16 "shard $v: its 16 windows committed"
done
for i in 0 1 2 3; do
	case " $victims" in *" $i "*) continue ;; esac
	eval "pid=\$pid$i"
	rc=0; wait $pid || rc=$?
	check_eq "$rc" 0 "shard $i: ran to the end"
	[ "$rc" = 0 ] || diag "$(cat "$T/s$i.err")"
done

check_eq "$(psql -XAtq -c 'SELECT count(*) FROM windows')" $NW "the $NW windows committed"
export_wh "$PG_URI" >"$T/shards.export"
check_file "$T/shards.export" "$T/ref.export" \
    "4 shards, 2 killed and rerun: the canonical export of one process"
run_prog bf-ledger -d "$PG_URI" verify
check_rc 0 "bf-ledger verify"

# The most requests in any second [t, t + 1) of the source's log.
max=$(sort -n "$T/requests" | awk '{ t[NR] = $1 } END {
	j = 1; m = 0
	for (i = 1; i <= NR; i++) {
		while (t[i] - t[j] >= 1) j++
		if (i - j + 1 > m) m = i - j + 1
	}
	print m }')
n=$(wc -l <"$T/requests")
[ "$n" -ge $NW ] && pass "the source saw the shards' $n requests" ||
    fail "the source saw the shards' requests ($n < $NW)"
[ "$max" -le 6 ] && pass "one shared budget: at most $max requests in a second (5/s, burst 1)" ||
    fail "one shared budget: $max requests in one second (5/s, burst 1: at most 6)"
done_testing
