#!/bin/sh
# bf-load on a real PostgreSQL (a throwaway cluster, tests/lib/pg.sh): the
# same scenario as on SQLite gives the same exit statuses, messages, window
# lines and canonical exports at every step; hostile names; batching; the
# schema version; a lost connection.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/pg.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
start_pg

scenario_inputs "$T/in"
PG=$(pg_db scen)
scenario "$PG" pg "$T/in"
scenario "$T/w.db" sq "$T/in"
check_file "$T/pg.rcs" "$T/sq.rcs" "same exit status at every step"
for f in "$T"/sq.*.exp; do
	n=${f#"$T"/sq.}; n=${n%.exp}
	check_file "$T/pg.$n.exp" "$f" "step $n: same export"
	check_file "$T/pg.$n.out" "$T/sq.$n.out" "step $n: same window lines"
	sed "s|$PG|TARGET|g" "$T/pg.$n.err" >"$T/pg.err"
	sed "s|$T/w.db|TARGET|g" "$T/sq.$n.err" >"$T/sq.err"
	check_file "$T/pg.err" "$T/sq.err" "step $n: same messages"
done
check_eq "$(grep -c . "$T/pg.15.exp")" 48 "the final export has 48 lines"
check_eq "$(jq -c '[.committed,.windows,.last_digest]' "$T/pg.state/db-1.ckpt")" \
    "$(jq -c '[.committed,.windows,.last_digest]' "$T/sq.state/db-1.ckpt")" \
    "same checkpoint ranges and digest"
check_eq "$(jq -r .chain_head "$T/pg.state/db-1.ckpt")" \
    "$(psql -d scen -Atc "select hash from ledger where partition = 'db-1' order by seq desc limit 1")" \
    "checkpoint chain head is the ledger's last hash"

# Batching on PostgreSQL.
cat "$T"/in/01.ndjson "$T"/in/03.ndjson "$T"/in/04.ndjson "$T"/in/05.ndjson \
    "$T"/in/10.ndjson "$T"/in/14.ndjson "$T"/in/15.ndjson >"$T/all.ndjson"
PGB=$(pg_db batch)
run_prog bf-load --db "$PGB" --allow-empty --batch 4 "$T/all.ndjson"
check_rc 0 "--batch 4"
export_wh "$PGB" >"$T/pgb.exp"
check_file "$T/pgb.exp" "$T/sq.15.exp" "--batch 4 on PostgreSQL: same export"

# Hostile names.
hostile_input >"$T/h.ndjson"
PGH=$(pg_db hostile)
run_prog bf-load --db "$PGH" "$T/h.ndjson"
check_rc 0 "hostile names on PostgreSQL"
bf-load --db "$T/h.db" "$T/h.ndjson" >/dev/null
export_wh "$PGH" >"$T/pgh.exp"
export_wh "$T/h.db" >"$T/sqh.exp"
check_file "$T/pgh.exp" "$T/sqh.exp" "hostile names: same export"
check_eq "$(psql -d hostile -Atc "select count(*) from usage where instance_id = 'x''); DROP TABLE usage;--'")" 1 \
    "injection attempt stored verbatim"
check_eq "$(psql -d hostile -Atc "select encode(convert_to(metric, 'UTF8'), 'hex') || ' ' || encode(convert_to(source, 'UTF8'), 'hex') from usage where instance_id = '../../etc/passwd'")" \
    "5c2e 5c2e0d090a" "backslash-dot, CR, tab and newline survive COPY (a name holds no control character: in the source)"

# Schema version.
check_eq "$(psql -d scen -Atc 'select version from schema_version')" 3 "schema version 3"
psql -d scen -qc 'update schema_version set version = 4'
run_prog bf-load --db "$PG" "$T/in/01.ndjson"
check_rc 2 "newer schema refused"
check_eq "$(cat "$T/err")" \
    "bf-load: warehouse '$PG' has schema version 4, newer than this program knows (3)" \
    "newer schema message"

# Unreachable server: exit 69.
run_prog bf-load --db "postgresql:///nosuchdb?host=$PGHOST&port=$PGPORT" "$T/in/01.ndjson"
check_rc 69 "missing database"
grep -q "cannot connect to warehouse" "$T/err" && pass "cannot connect message" ||
    { fail "cannot connect message"; diag "$(cat "$T/err")"; }

# A connection lost in the middle: the committed window stays, the next
# one is not committed nor checkpointed, exit 69.
PGL=$(pg_db lost)
mkfifo "$T/fifo"
bf-load --db "$PGL" --state "$T/lost.state" <"$T/fifo" >"$T/lost.out" 2>"$T/lost.err" &
pid=$!
exec 3>"$T/fifo"
gen db-1 1 1 1 1 >&3
gen db-1 2 1 2 1 | head -2 >&3
i=0
while [ ! -f "$T/lost.state/db-1.ckpt" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check_eq "$(jq -c .committed "$T/lost.state/db-1.ckpt")" \
    '[["2026-01-01T00:00:00Z","2026-01-02T00:00:00Z"]]' "first window committed"
psql -d lost -Atc "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'bf-load'" >/dev/null
gen db-1 2 1 2 1 | tail -1 >&3
exec 3>&-
rc=0; wait $pid || rc=$?
check_eq "$rc" 69 "lost connection: exit 69"
grep -q "lost connection to warehouse '$PGL'" "$T/lost.err" && pass "lost connection message" ||
    { fail "lost connection message"; diag "$(cat "$T/lost.err")"; }
grep -q "window 'db-1' 2026-01-02T00:00:00Z/2026-01-03T00:00:00Z not committed" "$T/lost.err" &&
    pass "window reported not committed" || { fail "window reported not committed"; diag "$(cat "$T/lost.err")"; }
check_eq "$(jq -c .committed "$T/lost.state/db-1.ckpt")" \
    '[["2026-01-01T00:00:00Z","2026-01-02T00:00:00Z"]]' "nothing checkpointed after the loss"
check_eq "$(psql -d lost -Atc 'select count(*) from windows')" 1 "nothing committed after the loss"
done_testing
