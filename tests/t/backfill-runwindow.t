#!/bin/sh
# bf-backfill --run-window: outside it nothing starts (exit 75); inside it
# with the end near, the windows in flight commit, no new one starts, the
# run exits 75, and the next run resumes and completes with the result of
# an uninterrupted run. BF_NOW sets the clock at the start of the run.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
small_data "$T" 2 1
slow_source "$T" 0.4
mkdir "$T/clean"
ln -s "$T/data.ndjson" "$T/clean/data.ndjson"
write_conf "$T/clean/conf" "$T/clean" to=2026-01-02
run_prog bf-backfill -c "$T/clean/conf"
check_rc 0 "clean run"
export_wh "$T/clean/ledger.db" >"$T/clean.exp"

# Outside the run window: nothing started, not even the state directory.
mkdir "$T/outside"
ln -s "$T/data.ndjson" "$T/outside/data.ndjson"
write_conf "$T/outside/conf" "$T/outside" to=2026-01-02 run-window=22:00-06:00
BF_NOW=2026-06-01T12:00:00Z run_prog bf-backfill -c "$T/outside/conf"
check_rc 75 "outside the run window"
check_eq "$(cat "$T/err")" \
    "bf-backfill: outside the run window 22:00-06:00 UTC: nothing started; run again later" \
    "outside: the message"
check_eq "$(ls "$T/outside")" "conf
data.ndjson" "outside: no state, no ledger, no DLQ"
BF_NOW=2026-06-01T06:00:00Z run_prog bf-backfill -c "$T/outside/conf"
check_rc 75 "the end of the run window is outside it"
BF_NOW=2026-06-01T12:00:00Z run_prog bf-backfill -c "$T/outside/conf" --run-window 11:00-13:00
check_rc 0 "--run-window on the command line over the config's: inside"

# Inside a window that wraps past midnight, far from its end: a whole run.
mkdir "$T/in"
ln -s "$T/data.ndjson" "$T/in/data.ndjson"
write_conf "$T/in/conf" "$T/in" to=2026-01-02
BF_NOW=2026-06-01T23:00:00Z run_prog bf-backfill -c "$T/in/conf" --run-window 22:00-06:00
check_rc 0 "inside a run window over midnight"
export_wh "$T/in/ledger.db" >"$T/in.exp"
check_file "$T/in.exp" "$T/clean.exp" "inside: the same result"

# near_end NAME JOBS: a run whose window ends 2 to 3 seconds after its
# start, over a source that takes 0.4 s per window (48 windows, one at a
# time per pipeline), then a run without a run window over the file
# source (the same samples, faster).
near_end() {
	d=$T/$1
	mkdir "$d"
	ln -s "$T/data.ndjson" "$d/data.ndjson"
	write_conf "$d/conf" "$d" to=2026-01-02 run-window=22:00-06:00 jobs="$2"
	cp "$d/conf" "$d/conf.file"
	use_exec "$d/conf" "$T/slow.sh" --jobs 1
	BF_NOW=2026-06-01T05:59:57Z run_prog bf-backfill -c "$d/conf"
	check_rc 75 "$1: the run window ends during the run"
	grep -q 'the run window 22:00-06:00 UTC ended at 2026-06-01T06:00:00Z: no new window started; run again later' "$T/err" &&
	    pass "$1: says so" || { fail "$1: says so"; diag "$(cat "$T/err")"; }
	n=$(sq "$d/ledger.db" 'SELECT count(*) FROM windows')
	[ "$n" -gt 0 ] && [ "$n" -lt 48 ] && pass "$1: $n of 48 windows committed" ||
	    fail "$1: some but not all windows committed ($n)"
	check_eq "$(grep -c '^bf-backfill: failed' "$T/err")" 0 "$1: no window failed: those in flight finished"
	check_eq "$(cat "$d"/state/*.ckpt | jq -s 'map(.windows) | add')" "$n" \
	    "$1: the checkpoints hold the committed windows"
	check_eq "$(ls "$d/state/watermarks")" "" "$1: no watermark for an incomplete partition"
	BF_NOW=2026-06-01T23:59:30Z run_prog bf-backfill -c "$d/conf" --run-window 00:00-23:59
	check_rc 75 "$1: the next run, outside its window, does nothing"
	check_eq "$(sq "$d/ledger.db" 'SELECT count(*) FROM windows')" "$n" "$1: nothing more committed"
	write_conf_keys "$d/conf.file" run-window=
	run_prog bf-backfill -c "$d/conf.file"
	check_rc 0 "$1: the next run completes"
	check_eq "$(grep 'windows committed' "$T/err" | sed 's/,.*//')" \
	    "bf-backfill: $((48 - n)) windows committed" "$1: it resumed after the committed windows"
	export_wh "$d/ledger.db" >"$d/exp"
	check_file "$d/exp" "$T/clean.exp" "$1: the result of an uninterrupted run"
	check_eq "$(corrections "$d/ledger.db")" 0 "$1: no correction"
}
near_end near 1
near_end near-j2 2
done_testing
