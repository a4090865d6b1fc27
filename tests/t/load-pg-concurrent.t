#!/bin/sh
# Two bf-loads at once, into one warehouse, of two partitions that report
# the same instance on different grids (day windows at 00:00 and at 12:00,
# so every window of one overlaps two of the other): whichever commits a
# key first owns it, the other's overlapping window is refused with
# key_owned, and no instant of the shared instance is billed twice. Real
# concurrency: both loaders start together, one window per transaction,
# N windows each, several rounds, on the real PostgreSQL of tests/lib/pg.sh
# (advisory locks on the keys) and on SQLite (its file lock).
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/pg.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
start_pg

N=${BF_RACE_WINDOWS:-150}
ROUNDS=${BF_RACE_ROUNDS:-3}

# gen PART PHASE-HOURS: N day windows of PART starting at 2026-01-01 plus
# PHASE hours, each with a row of instance "shared" and one of PART-own,
# cost 1 each.
cat >"$T/gen.py" <<'EOF'
import sys, datetime as dt
part, phase, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = dt.datetime(2026, 1, 1) + dt.timedelta(hours=phase)
f = lambda t: t.strftime('%Y-%m-%dT%H:%M:%SZ')
for d in range(n):
    ws, we = f(t0 + dt.timedelta(days=d)), f(t0 + dt.timedelta(days=d + 1))
    for inst in ('shared', part + '-own'):
        print('{"type":"usage","partition":"%s","instance_id":"%s",'
              '"metric":"m1","window_start":"%s","window_end":"%s",'
              '"quantity":"1.000000000","usage_unit":"GiB-Hours",'
              '"unit_price":"1","cost":"1.000000000","currency":"USD",'
              '"tenant":"acme","source":"test"}' % (part, inst, ws, we))
    print('{"type":"window","partition":"%s","window_start":"%s",'
          '"window_end":"%s","grid":"size=86400 phase=%d billing_day=1",'
          '"status":"ok","usage_rows":2}' % (part, ws, we, phase * 3600))
EOF
python3 "$T/gen.py" pa 0 "$N" >"$T/pa.ndjson"
python3 "$T/gen.py" pb 12 "$N" >"$T/pb.ndjson"

# The pairs of usage rows of one instance and metric, held by two
# partitions, whose windows overlap: each is an instant billed twice.
OVERLAP="SELECT count(*) FROM usage a JOIN usage b ON
    a.instance_id = b.instance_id AND a.metric = b.metric AND
    a.partition < b.partition AND a.window_start < b.window_end AND
    b.window_start < a.window_end"
# Per partition: rows of "shared", and the sum of its ledger entries.
BILLED="SELECT partition, count(*) FROM usage WHERE instance_id = 'shared'
    GROUP BY partition ORDER BY partition"
LEDGER="SELECT partition, count(*) FROM ledger WHERE instance_id = 'shared'
    AND kind = 'charge' GROUP BY partition ORDER BY partition"

# race TARGET TAG QUERY-CMD: both loads at once, then the checks.
race() {
	_t=$1 _tag=$2 _q=$3
	rca=0 rcb=0
	bf-load -d "$_t" -s "$T/$_tag.st" "$T/pa.ndjson" >"$T/$_tag.a.out" 2>"$T/$_tag.a.err" &
	pida=$!
	bf-load -d "$_t" -s "$T/$_tag.st" "$T/pb.ndjson" >"$T/$_tag.b.out" 2>"$T/$_tag.b.err" &
	pidb=$!
	wait $pida || rca=$?
	wait $pidb || rcb=$?
	check_eq "$($_q "$_t" "$OVERLAP")" 0 "$_tag: no instant of a key billed by two partitions"
	# Every window is committed or refused as bf-load(1) documents.
	cat "$T/$_tag.a.out" "$T/$_tag.b.out" |
	    jq -r 'select(.type == "window") | .status + " " + (.error.code // "-")' |
	    sort | uniq -c | awk '{ print $2, $3 }' >"$T/got"
	bad=$(grep -v -e '^ok -$' -e '^failed key_owned$' "$T/got" || :)
	check_eq "$bad" "" "$_tag: each window ok or refused with key_owned"
	nlines=$(cat "$T/$_tag.a.out" "$T/$_tag.b.out" | jq -r 'select(.type == "window")' | grep -c '"partition"')
	check_eq "$nlines" $((2 * N)) "$_tag: a window line for each of the $((2 * N)) windows"
	oka=$(jq -r 'select(.type == "window" and .status == "ok") | .window_start' "$T/$_tag.a.out" | grep -c . || :)
	okb=$(jq -r 'select(.type == "window" and .status == "ok") | .window_start' "$T/$_tag.b.out" | grep -c . || :)
	refused=$(cat "$T/$_tag.a.err" "$T/$_tag.b.err" | grep -c "refused: the usage key of instance 'shared' metric 'm1' is owned by partition 'p[ab]' in that window" || :)
	check_eq "$refused" $((2 * N - oka - okb)) "$_tag: each refusal says which partition owns the key"
	want=$(printf 'pa|%s\npb|%s' "$oka" "$okb" | grep -v '|0$' || :)
	check_eq "$($_q "$_t" "$BILLED")" "$want" "$_tag: the shared instance is billed in the committed windows only"
	check_eq "$($_q "$_t" "$LEDGER")" "$want" "$_tag: one charge per committed window"
	[ "$oka" -gt 0 ] && [ "$okb" -gt 0 ] && [ $((oka + okb)) -lt $((2 * N)) ] ||
	    diag "$_tag: pa committed $oka, pb $okb of $N windows each"
	wa=1; [ "$oka" -eq "$N" ] && wa=0
	wb=1; [ "$okb" -eq "$N" ] && wb=0
	check_eq "$rca $rcb" "$wa $wb" "$_tag: exit 1 for a loader with refused windows, else 0"
	run_prog bf-ledger -d "$_t" verify -s "$T/$_tag.st"
	check_rc 0 "$_tag: the warehouse verifies"
}

pgq() { psql -X -A -t -F '|' -d "$1" -c "$2"; }
sqq() { sqlite3 -batch "$1" "$2"; }

r=1
while [ $r -le "$ROUNDS" ]; do
	race "$(pg_db race$r)" "pg$r" pgq
	r=$((r + 1))
done
# SQLite: its write lock makes each window's check and upsert one step.
r=1
while [ $r -le "$ROUNDS" ]; do
	race "$T/race$r.db" "sq$r" sqq
	r=$((r + 1))
done

# Loaded one after the other, the second partition is refused wherever it
# overlaps the first (bf-load(1), the ownership rule): pb is refused in
# every window, since each overlaps a committed pa window.
PGS=$(pg_db serial)
bf-load -d "$PGS" "$T/pa.ndjson" >/dev/null
run_prog bf-load -d "$PGS" "$T/pb.ndjson"
check_rc 1 "serial: the second load is refused"
check_eq "$(jq -r 'select(.type == "window") | .error.code' "$T/out" | sort -u)" key_owned \
    "serial: every window of the second partition refused with key_owned"
check_eq "$(pgq "$PGS" "$OVERLAP")" 0 "serial: nothing billed twice"
done_testing
