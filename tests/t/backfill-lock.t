#!/bin/sh
# bf-backfill locks its state directory for the run: a second backfill on
# the same state refuses with exit 75 and starts nothing while the first
# runs; the first completes as if alone. Another state directory is not
# locked out.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
small_data "$T" 2 1
slow_source "$T" 0.2
write_conf "$T/conf" "$T" to=2026-01-02 jobs=2
use_exec "$T/conf" "$T/slow.sh"

bf-backfill -c "$T/conf" >"$T/first.out" 2>"$T/first.err" &
first=$!
i=0
while ! pgrep -f -- "--db $T/ledger.db" >/dev/null && [ $i -lt 500 ]; do
	sleep 0.01; i=$((i + 1))
done
kill -0 $first 2>/dev/null && pass "the first backfill is running" ||
    fail "the first backfill is running"
run_prog bf-backfill -c "$T/conf"
check_rc 75 "a second backfill on the same state"
check_eq "$(cat "$T/err")" \
    "bf-backfill: state directory '$T/state' is locked by another bf-backfill; run again later" \
    "it says why"
check_eq "$(cat "$T/out")" "" "nothing on standard output"
# A dry run takes no lock: it only prints the pipeline.
run_prog bf-backfill -c "$T/conf" --dry-run
check_rc 0 "a dry run while it runs"
# Another state directory over the same data is not locked out.
write_conf "$T/other.conf" "$T/other" to=2026-01-02
sed -i "s|^fetch-arg = .*data.ndjson|fetch-arg = $T/data.ndjson|" "$T/other.conf"
run_prog bf-backfill -c "$T/other.conf"
check_rc 0 "a backfill on another state directory runs alongside"
kill -0 $first 2>/dev/null && pass "(the first one still ran then)" ||
    diag "the first backfill ended before the second: the lock was tested against a finished run"
rc=0
wait $first || rc=$?
check_eq "$rc" 0 "the first backfill completes"
check_eq "$(sq "$T/ledger.db" 'SELECT count(*) FROM windows')" 48 "all its windows committed"
check_eq "$(sq "$T/ledger.db" 'SELECT count(DISTINCT run_id) FROM ledger')" 1 \
    "all by the first run: the second loaded nothing"
export_wh "$T/ledger.db" >"$T/first.exp"
export_wh "$T/other/ledger.db" >"$T/other.exp"
check_file "$T/first.exp" "$T/other.exp" "with the same result as the other"
# The lock goes with its process.
run_prog bf-backfill -c "$T/conf"
check_rc 0 "afterwards the state is free again"

# SIGTERM stops the pipelines; what was committed stays, a rerun completes.
write_conf "$T/term.conf" "$T/term" to=2026-01-02 jobs=2
sed -i "s|^fetch-arg = .*data.ndjson|fetch-arg = $T/data.ndjson|" "$T/term.conf"
use_exec "$T/term.conf" "$T/slow.sh" --jobs 1
mkdir "$T/term"
bf-backfill -c "$T/term.conf" >"$T/term.out" 2>"$T/term.err" &
pid=$!
i=0
while ! pgrep -f -- "--db $T/term/ledger.db" >/dev/null && [ $i -lt 500 ]; do
	sleep 0.01; i=$((i + 1))
done
# Until a window is committed (at most 20 s; the slow source keeps the
# rest in flight): a signal before that would test nothing, and on a
# loaded machine one second is not always enough.
i=0
while [ "$(sq "$T/term/ledger.db" 'SELECT count(*) FROM windows' 2>/dev/null || echo 0)" -lt 1 ] &&
    [ $i -lt 200 ]; do
	sleep 0.1; i=$((i + 1))
done
kill -TERM $pid
rc=0
wait $pid || rc=$?
check_eq "$rc" 143 "SIGTERM: exit 143"
check_eq "$(head -n 1 "$T/term.err")" \
    "bf-backfill: interrupted: stopping the pipelines; committed windows stay committed, run again to resume" \
    "SIGTERM: says so (stages cut mid-line may say more)"
sleep 0.2
check_eq "$(pgrep -f -- "--db $T/term/ledger.db" | wc -l)" 0 "SIGTERM: no stage left running"
n=$(sq "$T/term/ledger.db" 'SELECT count(*) FROM windows' 2>/dev/null || echo 0)
[ "$n" -lt 48 ] && pass "SIGTERM: stopped after $n of 48 windows" || fail "SIGTERM: stopped early ($n)"
run_prog bf-backfill -c "$T/term.conf"
check_rc 0 "SIGTERM: the next run completes"
export_wh "$T/term/ledger.db" >"$T/term.exp"
check_file "$T/term.exp" "$T/first.exp" "SIGTERM: the result of an uninterrupted run"
done_testing
