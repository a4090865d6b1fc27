#!/bin/sh
# bf-load takes the PostgreSQL password from PGPASSWORD or PGPASSFILE, never
# from argv, and never prints it (the cluster requires scram passwords).
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/pg.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
start_pg password
unset PGPASSWORD
export PGPASSFILE=$T/none

gen db-1 1 1 1 1 >"$T/in.ndjson"
run_prog bf-load --db "$PG_URI" "$T/in.ndjson"
check_rc 69 "no password: warehouse unavailable"
grep -q "cannot connect to warehouse" "$T/err" && pass "no password: message" ||
    { fail "no password: message"; diag "$(cat "$T/err")"; }

run_prog env PGPASSWORD=wrong-pw-$$ bf-load --db "$PG_URI" "$T/in.ndjson"
check_rc 69 "wrong password: warehouse unavailable"
grep -q "wrong-pw" "$T/err" && fail "wrong password not printed" || pass "wrong password not printed"

run_prog env PGPASSWORD="$PG_PASSWORD" bf-load --db "$PG_URI" "$T/in.ndjson"
check_rc 0 "PGPASSWORD works"
grep -q "$PG_PASSWORD" "$T/out" "$T/err" && fail "password not printed" || pass "password not printed"

printf '*:*:*:bf:%s\n' "$PG_PASSWORD" >"$T/pgpass"
chmod 600 "$T/pgpass"
run_prog env PGPASSFILE="$T/pgpass" bf-load --db "$PG_URI" "$T/in.ndjson"
check_rc 0 "PGPASSFILE works"

# While it runs, the password is not in its argv.
mkfifo "$T/fifo"
PGPASSWORD=$PG_PASSWORD bf-load --db "$PG_URI" <"$T/fifo" >/dev/null 2>&1 &
pid=$!
exec 3>"$T/fifo"
sleep 0.3
tr '\0' ' ' </proc/$pid/cmdline >"$T/cmdline"
grep -q -- "--db" "$T/cmdline" && pass "argv read" || fail "argv read"
grep -q "$PG_PASSWORD" "$T/cmdline" && fail "password not in argv" || pass "password not in argv"
exec 3>&-
wait $pid
done_testing
