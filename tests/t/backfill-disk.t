#!/bin/sh
# A full disk and a read-only state directory: a clear error, no checkpoint
# that claims an uncommitted window, and the next run with space (or write
# access) completes with the result of a clean run. CI runs as root, for
# whom chmod does not make a directory read-only: the test uses a small
# tmpfs and a read-only bind mount, and skips where mount is not allowed.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
mkdir "$T/mnt"
mount -t tmpfs -o size=512k,mode=700 bf-test "$T/mnt" 2>/dev/null ||
	skip_all "cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)"
at_exit "umount '$T/mnt'"
small_data "$T" 2 1
mkdir "$T/clean"
ln -s "$T/data.ndjson" "$T/clean/data.ndjson"
write_conf "$T/clean/conf" "$T/clean" to=2026-01-02
run_prog bf-backfill -c "$T/clean/conf"
check_rc 0 "clean run"
export_wh "$T/clean/ledger.db" >"$T/clean.exp"

# consistent DIR: every window a checkpoint claims is in the warehouse.
consistent() {
	for f in "$1"/state/*.ckpt; do
		[ -f "$f" ] || continue
		_p=$(jq -r .partition "$f")
		_w=$(jq -r .windows "$f")
		_wn=$(sq "$1/ledger.db" "SELECT count(*) FROM windows WHERE partition = '$_p'") || return 1
		[ "$_w" -le "$_wn" ] || return 1
	done
}

# 1. The warehouse, the state and the DLQ on a 512 KiB file system, one
# window a transaction (batch 1: bf-load's group commit of all 48 windows
# writes each page to the WAL once, and the run fits).
d=$T/mnt/full
mkdir "$d"
ln -s "$T/data.ndjson" "$d/data.ndjson"
write_conf "$d/conf" "$d" to=2026-01-02 batch=1
run_prog bf-backfill -c "$d/conf"
check_rc 74 "disk full: an I/O error"
grep -q 'database or disk is full' "$T/err" && pass "disk full: says so" ||
    { fail "disk full: says so"; diag "$(cat "$T/err")"; }
n=$(sq "$d/ledger.db" 'SELECT count(*) FROM windows')
[ "$n" -lt 48 ] && pass "disk full: stopped after $n windows" || fail "disk full: stopped early ($n)"
consistent "$d" && pass "disk full: no checkpoint beyond the warehouse" ||
    fail "disk full: no checkpoint beyond the warehouse"
check_eq "$(ls "$d/state/watermarks")" "" "disk full: no watermark"
mount -o remount,size=16m "$T/mnt"
run_prog bf-backfill -c "$d/conf"
check_rc 0 "with space: the next run completes"
export_wh "$d/ledger.db" >"$T/full.exp"
check_file "$T/full.exp" "$T/clean.exp" "with space: the result of a clean run"
check_eq "$(corrections "$d/ledger.db")" 0 "with space: no correction"

# 2. Only the state directory full: the warehouse commits, the checkpoint
# cannot follow; the next run loads those windows again, unchanged.
umount "$T/mnt"
mount -t tmpfs -o size=64k,mode=700 bf-test "$T/mnt"
mkdir "$T/s2"
ln -s "$T/data.ndjson" "$T/s2/data.ndjson"
write_conf "$T/s2/conf" "$T/s2" to=2026-01-02 state="$T/mnt/state"
mkdir "$T/mnt/state"
dd if=/dev/zero of="$T/mnt/filler" bs=1k count=64 2>/dev/null || :
run_prog bf-backfill -c "$T/s2/conf"
[ "$RC" != 0 ] && pass "state dir full: the run fails (exit $RC)" ||
    fail "state dir full: the run fails"
check_eq "$(ls "$T/mnt/state" | grep -c '\.ckpt$')" 0 "state dir full: no checkpoint written"
rm -f "$T/mnt/filler"
run_prog bf-backfill -c "$T/s2/conf"
check_rc 0 "state dir with space: the next run completes"
export_wh "$T/s2/ledger.db" >"$T/s2.exp"
check_file "$T/s2.exp" "$T/clean.exp" "state dir with space: the result of a clean run"
check_eq "$(corrections "$T/s2/ledger.db")" 0 "state dir with space: no correction"

# 3. A read-only state directory (bind mount), after half a run.
mkdir -p "$T/ro/state"
ln -s "$T/data.ndjson" "$T/ro/data.ndjson"
write_conf "$T/ro/conf" "$T/ro" to=2026-01-02
run_prog bf-backfill -c "$T/ro/conf" --to 2026-01-01T12:00:00Z
check_rc 0 "read-only: the first half"
cp -R "$T/ro/state" "$T/ro.state.before"
export_wh "$T/ro/ledger.db" >"$T/ro.before"
if mount --bind "$T/ro/state" "$T/ro/state" 2>/dev/null &&
    mount -o remount,bind,ro "$T/ro/state" 2>/dev/null; then
	at_exit "umount '$T/ro/state'"
	run_prog bf-backfill -c "$T/ro/conf"
	check_rc 74 "read-only state: an I/O error"
	check_eq "$(cat "$T/err")" "bf-backfill: state directory '$T/ro/state' is not writable" \
	    "read-only state: says so, before anything runs"
	diff -r "$T/ro/state" "$T/ro.state.before" >/dev/null &&
	    pass "read-only state: nothing changed in it" || fail "read-only state: nothing changed in it"
	export_wh "$T/ro/ledger.db" >"$T/ro.after"
	check_file "$T/ro.after" "$T/ro.before" "read-only state: nothing loaded"
	umount "$T/ro/state"
	run_prog bf-backfill -c "$T/ro/conf"
	check_rc 0 "writable again: the next run completes"
	check_eq "$(grep 'windows committed' "$T/err" | sed 's/,.*//')" \
	    "bf-backfill: 24 windows committed" "writable again: the second half"
	export_wh "$T/ro/ledger.db" >"$T/ro.exp"
	check_file "$T/ro.exp" "$T/clean.exp" "writable again: the result of a clean run"
else
	echo "ok $((_n += 1)) - read-only state # SKIP cannot bind-mount read-only here"
fi
done_testing
