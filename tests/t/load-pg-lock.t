#!/bin/sh
# The partition lock lives in the PostgreSQL warehouse: two bf-load with
# DIFFERENT state directories (two machines, or a shard rerun with a fresh
# one) on one partition: the second refuses it (exit 75, the file lock's
# message) while the first holds it; another partition loads beside it; a
# loader killed with SIGKILL loses its lock with its session, and the
# partition then loads. The lock's key is checked against the SHA-256 of
# the name, computed here (bf-load(1), EXACTLY ONCE).
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/pg.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
start_pg
DB=$PG_URI
q() { psql -XAtq -c "$1"; }

# The key of db-1 as pg_locks shows a one-bigint advisory lock: its high
# and low 32 bits (classid, objid), objsubid 1.
key=$(python3 -c 'import hashlib; k = int(hashlib.sha256(b"db-1").hexdigest()[:16], 16) | 1 << 63; print("%d %d" % (k >> 32, k & 0xffffffff))')
HELD="SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
    AND objsubid = 1 AND classid::text || ' ' || objid::text = '$key'"

gen db-1 1 2 2 1 >"$T/db1.ndjson"
gen db-2 1 2 1 1 >"$T/db2.ndjson"
mkfifo "$T/fifo"
bf-load --db "$DB" --state "$T/s1" <"$T/fifo" >"$T/first.out" 2>"$T/first.err" &
pid=$!
exec 3>"$T/fifo"
head -1 "$T/db1.ndjson" >&3
i=0
while [ "$(q "$HELD")" != 1 ] && [ $i -lt 200 ]; do
	sleep 0.05; i=$((i + 1))
done
check_eq "$(q "$HELD")" 1 "the first bf-load holds the advisory lock of db-1 (key from its SHA-256)"

run_prog bf-load --db "$DB" --state "$T/s2" "$T/db1.ndjson"
check_rc 75 "a bf-load with another state directory refuses db-1"
check_eq "$(cat "$T/err")" \
    "bf-load: partition 'db-1' is locked by another bf-load: its windows are not loaded here (run again later)" \
    "it says why, naming the partition"
check_eq "$(jq -r '.status+" "+.error.code' "$T/out" | sort -u)" "failed partition_locked" \
    "its window lines say failed, partition_locked"
check_eq "$(q "SELECT count(*) FROM ledger")" 0 "it wrote nothing"

run_prog bf-load --db "$DB" "$T/db1.ndjson"
check_rc 75 "a bf-load without a state directory refuses db-1 too"

run_prog bf-ledger --db "$DB" reanchor --state "$T/s2" --partition db-1 \
    --operator ops --reason "restore"
check_rc 75 "bf-ledger reanchor with another state directory refuses db-1 too"
grep -q "partition 'db-1' is locked" "$T/err" && pass "reanchor says the partition is locked" ||
    { fail "reanchor says the partition is locked"; diag "$(cat "$T/err")"; }

run_prog bf-load --db "$DB" --state "$T/s2" "$T/db2.ndjson"
check_rc 0 "db-2 loads beside the first bf-load"

# A crash: the lock goes with the session.
kill -9 $pid
wait $pid 2>/dev/null || :
exec 3>&-
i=0
while [ "$(q "$HELD")" != 0 ] && [ $i -lt 200 ]; do
	sleep 0.05; i=$((i + 1))
done
check_eq "$(q "$HELD")" 0 "the killed loader's lock is gone with its session"
run_prog bf-load --db "$DB" --state "$T/s2" "$T/db1.ndjson"
check_rc 0 "db-1 then loads with the other state directory"
check_eq "$(jq -r '.status' "$T/out" | tr '\n' ' ')" "ok ok " "both its windows ok"
check_eq "$(export_wh "$DB" | jq -r 'select(.table=="ledger") | .partition' | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')" \
    "db-1=4 db-2=2 " "one charge per key"
check_eq "$(q "$HELD")" 0 "a loader that exits leaves no lock behind"
done_testing
