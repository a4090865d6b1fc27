#!/bin/sh
# bf-load without --batch into SQLite: a group commit of the windows
# already waiting in its input (at most 64 in one transaction), each window
# committed at once when the input pauses; --batch 1 commits one window a
# transaction as before. The crash point after the first commit
# (BF_FAULT=after-commit:1) tells how many windows that commit held.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"

# 6 day windows of db-1 and 6 of db-2, 4 usage rows each
{ gen db-1 1 6 2 2; gen db-2 1 6 2 2; } >"$T/in"
nwin=$(grep -c '"type":"window"' "$T/in")
nrows=$(grep -c '"type":"usage"' "$T/in")
check_eq "$nwin $nrows" "12 48" "the input: 12 windows, 48 usage rows"

# A file: every window is waiting; the first commit holds them all.
run_prog env BF_FAULT=after-commit:1 bf-load -d "$T/g.db" -s "$T/gs" "$T/in"
check_rc 137 "killed after the first commit"
check_eq "$(sq "$T/g.db" 'SELECT count(*) FROM windows') $(sq "$T/g.db" 'SELECT count(*) FROM usage')" \
    "$nwin $nrows" "without --batch the first commit holds every waiting window"

# --batch 1: one window a transaction, as before.
run_prog env BF_FAULT=after-commit:1 bf-load --batch 1 -d "$T/b.db" -s "$T/bs" "$T/in"
check_rc 137 "--batch 1: killed after the first commit"
check_eq "$(sq "$T/b.db" 'SELECT count(*) FROM windows') $(sq "$T/b.db" 'SELECT count(*) FROM usage')" \
    "1 4" "--batch 1: the first commit holds one window"

# At most 64 windows a transaction: 70 windows, the first commit has 64.
{ for p in 1 2 3 4 5 6 7; do gen "db-x$p" 1 10 1 1; done; } >"$T/in70"
check_eq "$(grep -c '"type":"window"' "$T/in70")" 70 "70 windows"
run_prog env BF_FAULT=after-commit:1 bf-load -d "$T/c.db" -s "$T/cs" "$T/in70"
check_rc 137 "70 windows: killed after the first commit"
check_eq "$(sq "$T/c.db" 'SELECT count(*) FROM windows')" 64 \
    "the first commit holds 64 windows, the most"
run_prog bf-load -d "$T/c.db" -s "$T/cs" "$T/in70"
check_rc 0 "the rerun"
check_eq "$(sq "$T/c.db" 'SELECT count(*) FROM windows')" 70 "the rerun commits the rest"

# The same warehouse as one window a transaction (the rows, the ledger).
run_prog bf-load -d "$T/g.db" -s "$T/gs" "$T/in"
check_rc 0 "the rerun of the grouped load"
run_prog bf-load --batch 1 -d "$T/b.db" -s "$T/bs" "$T/in"
check_rc 0 "the rerun of the --batch 1 load"
q='SELECT instance_id, metric, window_start, cost, tenant FROM usage ORDER BY 1, 2, 3'
l='SELECT partition, seq, kind, amount FROM ledger ORDER BY 1, 2'
check_eq "$(sq "$T/g.db" "$q" | cksum) $(sq "$T/g.db" "$l" | cksum)" \
    "$(sq "$T/b.db" "$q" | cksum) $(sq "$T/b.db" "$l" | cksum)" \
    "grouped or not, the same usage rows and ledger"

# A pipe that pauses after each window: each is committed before the next
# comes (the test waits for it; a window held for a group never is).
mkfifo "$T/fifo"
bf-load -d "$T/p.db" -s "$T/ps" "$T/fifo" >"$T/pout" 2>"$T/perr" &
pid=$!
exec 3>"$T/fifo"
committed=0
for d in 1 2 3; do
	gen db-1 "$d" 1 2 2 >&3
	i=0
	while [ "$(sq "$T/p.db" 'SELECT count(*) FROM windows' 2>/dev/null)" != "$d" ] && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(sq "$T/p.db" 'SELECT count(*) FROM windows' 2>/dev/null)" = "$d" ] && committed=$((committed + 1))
done
exec 3>&-
RC=0; wait $pid || RC=$?
check_rc 0 "bf-load through a pausing pipe"
check_eq "$committed" 3 "each window committed while the input waits for the next"
check_eq "$(grep -c '"status":"ok"' "$T/pout")" 3 "three window lines out"
done_testing
