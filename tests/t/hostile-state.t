#!/bin/sh
# The state directory: bf-backfill's run lock is created 0600 whatever the
# umask; a read-only state directory makes bf-load fail (74) before it
# creates the SQLite warehouse, so nothing is left behind. Root ignores
# chmod, so the read-only directory is a read-only bind mount (skipped
# where mount is not allowed).
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done

# 1. The run lock, with a umask that would make it 0644.
# Data for both partitions of write_conf: a partition without any is
# not committed (bf-load(1), Empty is not complete).
small_data "$T" 2 1
write_conf "$T/conf" "$T" to=2026-01-02
umask 022
run_prog bf-backfill -c "$T/conf"
check_rc 0 "a backfill"
check_eq "$(stat -c %a "$T/state/.bf-backfill.lock")" 600 "the run lock is 0600"
check_eq "$(touch "$T/probe" && stat -c %a "$T/probe")" 644 "the umask was 022 (files are 0644 by default)"

# 2. bf-load with a read-only state directory.
mkdir -p "$T/ro/state"
printf '%s\n' '{"type":"window","partition":"p","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","status":"ok"}' >"$T/in.ndjson"
if mount --bind "$T/ro/state" "$T/ro/state" 2>/dev/null &&
    mount -o remount,bind,ro "$T/ro/state" 2>/dev/null; then
	at_exit "umount '$T/ro/state'"
	run_prog bf-load --db "$T/ro/new.db" --state "$T/ro/state" "$T/in.ndjson"
	check_rc 74 "read-only state: an I/O error"
	check_eq "$(cat "$T/err")" \
	    "bf-load: state directory '$T/ro/state' is not writable: Read-only file system" \
	    "read-only state: says so"
	[ -e "$T/ro/new.db" ] && fail "read-only state: no warehouse created" ||
	    pass "read-only state: no warehouse created"
	umount "$T/ro/state"
	run_prog bf-load --db "$T/ro/new.db" --state "$T/ro/state" "$T/in.ndjson"
	check_rc 0 "writable again: it loads"
	[ -e "$T/ro/new.db" ] && pass "writable again: the warehouse is created" ||
	    fail "writable again: the warehouse is created"
else
	echo "ok $((_n += 1)) - read-only state # SKIP cannot bind-mount read-only here"
fi
done_testing
