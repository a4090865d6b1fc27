#!/bin/sh
# A killed bf-backfill stops its pipelines (bf-backfill(1), STOPPING): after
# kill -9, SIGTERM or SIGINT of bf-backfill in the middle of a run, with -j 1
# and -j 3, within 5 seconds no process of that run is left, the state
# directory's lock is free, and no run directory is left, neither under
# TMPDIR nor in the state directory; SIGTERM and SIGINT print the summary
# so far (its count is the warehouse's) and exit 143 and 130. Every time a
# resume completes with the result of a one-shot run (canonical export),
# without a correction, and bf-ledger verify passes: nothing billed twice.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock pgrep; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
[ "${BF_VALGRIND:-}" != 1 ] || skip_all "the stages under valgrind take too long to stop"

# 3 instances, one day, 1h windows: 72 windows; the slow source takes
# 0.3 s a window, one window at a time per bf-fetch, so that a run lasts.
small_data "$T" 3 1
slow_source "$T" 0.3
printf 'db-01\ndb-02\ndb-03\n' >"$T/instances.txt"
# conf DIR [KEY=VALUE]...: the run's config, DIR/conf, over the slow source.
conf() {
	_cd=$1
	shift
	mkdir -p "$_cd/tmp"
	write_conf "$_cd/conf" "$_cd" to=2026-01-02 partition= \
	    partitions="$T/instances.txt" "$@"
	use_exec "$_cd/conf" "$T/slow.sh" --jobs 1
}

# The one-shot run, with the fast source.
mkdir "$T/ref"
write_conf "$T/ref/conf" "$T/ref" to=2026-01-02 partition= \
    partitions="$T/instances.txt"
use_exec "$T/ref/conf" "$T/src.sh"
run_prog bf-backfill -c "$T/ref/conf"
check_rc 0 "the one-shot run"
export_wh "$T/ref/ledger.db" >"$T/ref.exp"
check_eq "$(grep -c '"table":"usage"' "$T/ref.exp")" 360 "the one-shot run: 72 windows of 5 metrics"

# leftovers DIR: what is left of a run over DIR, one word a line: "proc"
# while a process has DIR in its argv (the stages, their exec sources,
# bf-backfill's watchdog), "lock" while the lock is held, "tmp" while
# DIR/tmp (the run's TMPDIR) is not empty, "rundir" while the state
# directory holds a run directory.
leftovers() {
	pgrep -f -- "$1/" >/dev/null && echo proc
	flock -n "$1/state/.bf-backfill.lock" true || echo lock
	[ -z "$(ls -A "$1/tmp")" ] || echo tmp
	ls -A "$1/state" | grep -q '^\.run\.' && echo rundir
	return 0
}

# trial NAME SIGNAL [KEY=VALUE]...: a run over $T/NAME, SIGNAL sent to
# bf-backfill once 3 windows are committed; then the checks above. Sets
# rc to bf-backfill's exit status and stopped to the windows committed.
trial() {
	tr_name=$1 tr_sig=$2
	shift 2
	d=$T/$tr_name
	conf "$d" "$@"
	# SIGINT is ignored by a background job of this shell: env resets it,
	# as an interactive shell's foreground job has it.
	TMPDIR=$d/tmp env --default-signal=INT \
	    bf-backfill -c "$d/conf" --no-progress >"$d/out" 2>"$d/err" &
	tr_pid=$!
	_i=0
	while [ "$(sq "$d/ledger.db" 'SELECT count(*) FROM windows' 2>/dev/null || echo 0)" -lt 3 ] &&
	    [ $_i -lt 600 ] && kill -0 $tr_pid 2>/dev/null; do
		sleep 0.05; _i=$((_i + 1))
	done
	kill -"$tr_sig" $tr_pid
	rc=0
	wait $tr_pid || rc=$?
	_i=0
	while [ -n "$(leftovers "$d")" ] && [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	check_eq "$(leftovers "$d" | tr '\n' ' ')" "" \
	    "$tr_name: 5 s after the $tr_sig no process, lock or run directory left"
	tr_count=$(sq "$d/ledger.db" 'SELECT count(*) FROM windows')
	[ "$tr_count" -lt 72 ] && pass "$tr_name: stopped mid-run ($tr_count of 72 windows)" ||
	    fail "$tr_name: stopped mid-run ($tr_count of 72 windows)"
	stopped=$tr_count
	# A stale run directory (as a kill during the summary could leave)
	# goes with the next run.
	mkdir -m 700 "$d/state/.run.Zz09aB"
	# The resume, with the fast source.
	sed -i "s|$T/slow.sh|$T/src.sh|" "$d/conf"
	RC=0
	TMPDIR=$d/tmp bf-backfill -c "$d/conf" >"$d/out2" 2>"$d/err2" || RC=$?
	check_rc 0 "$tr_name: the resume completes"
	[ $RC = 0 ] || diag "$(cat "$d/err2")"
	check_eq "$(leftovers "$d" | tr '\n' ' ')" "" "$tr_name: the resume leaves nothing behind"
	export_wh "$d/ledger.db" >"$d/exp"
	check_file "$d/exp" "$T/ref.exp" "$tr_name: the result of the one-shot run"
	check_eq "$(corrections "$d/ledger.db")" 0 "$tr_name: no correction in the ledger"
	RC=0
	bf-ledger -d "$d/ledger.db" verify -s "$d/state" >/dev/null 2>"$d/verify.err" || RC=$?
	check_rc 0 "$tr_name: bf-ledger verify"
}

trial kill9-j1 KILL
check_eq "$rc" 137 "kill9-j1: bf-backfill died of SIGKILL"
trial kill9-j3 KILL jobs=3
check_eq "$rc" 137 "kill9-j3: bf-backfill died of SIGKILL"

# summary_ok NAME: the summary so far is printed, and its count of
# committed windows is what the warehouse holds.
summary_ok() {
	_l=$(grep ' windows committed, ' "$T/$1/err" || :)
	_w=$(printf '%s\n' "$_l" | sed -n 's/^bf-backfill: \([0-9]*\) windows committed, [0-9]* failed, of 72 planned; .*/\1/p')
	[ -n "$_w" ] && pass "$1: the summary so far" ||
	    { fail "$1: the summary so far"; diag "$(cat "$T/$1/err")"; }
	check_eq "$_w" "$stopped" "$1: it counts the windows the stopped run committed"
	grep -q 'partitions complete' "$T/$1/err" &&
	    fail "$1: no hand-off after a stop" || pass "$1: no hand-off after a stop"
}
trial term-j3 TERM jobs=3
check_eq "$rc" 143 "term-j3: exit 143"
summary_ok term-j3
trial int-j1 INT
check_eq "$rc" 130 "int-j1: exit 130"
summary_ok int-j1
done_testing
