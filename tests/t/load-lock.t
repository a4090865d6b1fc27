#!/bin/sh
# Two bf-load processes on the same partition: the second refuses with a
# clear message (exit 75) and writes nothing; a load of another partition
# runs beside the first; the first then finishes.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v flock >/dev/null || skip_all "flock is not installed"

DB=$T/w.db S=$T/state
mkfifo "$T/fifo"
bf-load --db "$DB" --state "$S" <"$T/fifo" >"$T/first.out" 2>"$T/first.err" &
pid=$!
exec 3>"$T/fifo"
gen db-1 1 2 2 1 >"$T/db1.ndjson"
head -1 "$T/db1.ndjson" >&3
# Wait until the first holds the lock of db-1.
i=0
while { [ ! -f "$S/db-1.lock" ] || flock -n "$S/db-1.lock" true; } 2>/dev/null && [ $i -lt 200 ]; do
	sleep 0.05; i=$((i + 1))
done
if [ -f "$S/db-1.lock" ] && ! flock -n "$S/db-1.lock" true 2>/dev/null; then
	pass "first bf-load holds the lock"
else
	fail "first bf-load holds the lock"
fi

run_prog bf-load --db "$DB" --state "$S" "$T/db1.ndjson"
check_rc 75 "second bf-load of db-1 refuses"
check_eq "$(cat "$T/err")" \
    "bf-load: partition 'db-1' is locked by another bf-load: its windows are not loaded here (run again later)" \
    "second bf-load says why"
check_eq "$(jq -r '.status+" "+.error.code' "$T/out" | sort -u)" "failed partition_locked" \
    "its window lines say failed"

gen db-2 1 2 1 1 >"$T/db2.ndjson"
run_prog bf-load --db "$DB" --state "$S" "$T/db2.ndjson"
check_rc 0 "db-2 loads beside the first bf-load"

# A stream with both: db-2 loads, db-1 is left for later; exit 75.
cat "$T/db1.ndjson" "$T/db2.ndjson" >"$T/both.ndjson"
run_prog bf-load --db "$DB" --state "$S" "$T/both.ndjson"
check_rc 75 "mixed stream: exit 75 for the locked partition"
check_eq "$(jq -r 'select(.type=="window") | .partition+" "+.status' "$T/out" | tr '\n' ' ')" \
    "db-1 failed db-1 failed db-2 ok db-2 ok " "mixed stream: the other partition loaded"

tail -n +2 "$T/db1.ndjson" >&3
exec 3>&-
rc=0; wait $pid || rc=$?
check_eq "$rc" 0 "first bf-load finishes"
check_eq "$(jq -r '.status' "$T/first.out" | tr '\n' ' ')" "ok ok " "first bf-load loaded both windows"
check_eq "$("$BF_TOOLS/tool-export" "$DB" | jq -r 'select(.table=="ledger") | .partition' | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')" \
    "db-1=4 db-2=2 " "one charge per key, nothing interleaved"

# Two loaders that create one new SQLite warehouse at the same moment (a
# bf-backfill -j 2 on a fresh ledger): neither is turned away with
# 'database is locked' (exit 75) while the other switches the file to WAL.
i=0 busy=0
while [ $i -lt 8 ]; do
	bf-load --db "$T/new$i.db" "$T/db1.ndjson" >/dev/null 2>"$T/n1.err" & p1=$!
	bf-load --db "$T/new$i.db" "$T/db2.ndjson" >/dev/null 2>"$T/n2.err" & p2=$!
	r1=0; wait $p1 || r1=$?
	r2=0; wait $p2 || r2=$?
	[ "$r1 $r2" = "0 0" ] || { busy=$((busy + 1)); diag "round $i: $r1 $r2" "$(cat "$T/n1.err" "$T/n2.err")"; }
	i=$((i + 1))
done
check_eq "$busy" 0 "two loaders creating one SQLite warehouse together: both load (8 rounds)"
done_testing
