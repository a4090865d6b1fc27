#!/bin/sh
# bf-fetch --source postgres against a real PostgreSQL: keyset pagination
# across page boundaries inside runs of equal timestamps, the window's
# half-open bounds, exact numeric text, the metrics map as a filtered
# projection, EXPLAIN showing the index serves every page (no Seq Scan),
# the statement timeout, the password coming only from the environment,
# and the lookback row of each metric.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/pg.sh"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"
start_pg password
export PGPASSWORD="$PG_PASSWORD"

psql -q -v ON_ERROR_STOP=1 >/dev/null <<'EOF'
CREATE TABLE telemetry (
	id bigserial PRIMARY KEY,
	ts timestamptz NOT NULL,
	instance_id text NOT NULL,
	metric text NOT NULL,
	value numeric,
	unit text,
	note text
);
-- history of 50 other instances, so the planner has a real choice
INSERT INTO telemetry (ts, instance_id, metric, value, unit)
SELECT timestamptz '2025-12-01' + (g % 50000) * interval '1 minute',
       'bg-' || (g % 50), 'cpu', g % 100, 'Percent'
FROM generate_series(1, 100000) g;
-- db-1 on 2026-01-01: runs of equal timestamps across metrics, and the
-- same metric twice at one instant (ids tell them apart)
INSERT INTO telemetry (ts, instance_id, metric, value, unit) VALUES
 ('2025-12-31 23:59:59+00', 'db-1', 'cpu', 1, 'Percent'),
 ('2026-01-01 00:00:00+00', 'db-1', 'cpu', 12.5, 'Percent'),
 ('2026-01-01 00:00:00+00', 'db-1', 'connections', 7, 'Count'),
 ('2026-01-01 00:00:00+00', 'db-1', 'storage', 21474836480, 'Bytes'),
 ('2026-01-01 00:05:00+00', 'db-1', 'cpu', 12.345678901234567890, 'Percent'),
 ('2026-01-01 00:05:00+00', 'db-1', 'cpu', 12.345678901234567891, 'Percent'),
 ('2026-01-01 00:05:00+00', 'db-1', 'connections', 8, 'Count'),
 ('2026-01-01 00:05:00+00', 'db-1', 'storage', 'NaN', 'Bytes'),
 ('2026-01-01 00:05:00.250+00', 'db-1', 'cpu', 13, 'Percent'),
 ('2026-01-01 00:10:00+00', 'db-1', 'cpu', NULL, 'Percent'),
 ('2026-01-01 00:10:00+00', 'db-1', 'connections', 9, 'Count'),
 ('2026-01-01 23:59:59+00', 'db-1', 'storage', 21474836481, 'Bytes'),
 ('2026-01-02 00:00:00+00', 'db-1', 'cpu', 99, 'Percent'),
 ('2026-01-01 00:00:00+00', 'db-2', 'cpu', 50, 'Percent');
CREATE INDEX telemetry_keyset ON telemetry (instance_id, ts, id);
ANALYZE telemetry;
-- a view that is slow to read, for the statement timeout
CREATE VIEW telemetry_slow AS
SELECT t.* FROM telemetry t, (SELECT pg_sleep(0.5)) s;
EOF
[ $? -eq 0 ] || { fail "schema"; done_testing; exit 1; }

printf '{"type":"window","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z"}\n' >"$T/w"
# Sections 1 to 7 look at the window alone (--lookback 0); section 8 at
# the lookback.
fetch() { bf-fetch -s postgres --db "$PG_URI" --lookback 0 "$@"; }
# rows: the samples of $T/out as "ts metric value unit"; the value is the
# exact text bf-fetch wrote (jq would round it through a double).
rows() {
	grep '"type":"sample"' "$T/out" >"$T/s" || :
	jq -r '.ts + " " + .metric' "$T/s" >"$T/s1"
	sed 's/.*"value":\(.*\),"unit":.*/\1/; s/^"\(.*\)"$/\1/' "$T/s" >"$T/s2"
	jq -r .unit "$T/s" >"$T/s3"
	paste -d ' ' "$T/s1" "$T/s2" "$T/s3"
}
win() { jq -c 'select(.type == "window") | [.status, .fetched, .pages, .error.code]' "$T/out"; }

# What the window holds, in (ts, id) order, as the database says it.
psql -At -F ' ' >"$T/want.tsv" <<'EOF'
SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), metric,
       coalesce(value::text, 'null'), unit
FROM telemetry
WHERE instance_id = 'db-1' AND ts >= '2026-01-01T00:00:00Z' AND ts < '2026-01-02T00:00:00Z'
ORDER BY ts, id
EOF
n=$(wc -l <"$T/want.tsv" | tr -d ' ')
check_eq "$n" 11 "fixture: 11 rows in the window"

# 1. Page size 2 cuts the runs of equal timestamps: every row once, in
# order, exact numeric text (NaN as a string, NULL as null).
run_prog fetch --page 2 "$T/w"
check_rc 0 "page 2: exit status"
rows >"$T/got.tsv"
check_file "$T/got.tsv" "$T/want.tsv" "page 2: every row once, in (ts, id) order"
check_eq "$(win)" '["ok",11,6,null]' "page 2: 6 pages (the last one short)"
check_eq "$(grep -o '"value":12.345[0-9]*' "$T/out" | tr '\n' ' ')" \
    '"value":12.345678901234567890 "value":12.345678901234567891 ' \
    "numeric digits kept exactly"
check_eq "$(jq -c 'select(.type == "sample") | [.instance_id, .source, .partition]' "$T/out" | sort -u)" \
    '["db-1","postgres","db-1"]' "instance, source and partition"

# 2. The same rows whatever the page size.
for p in 1 3 11 10000; do
	run_prog fetch --page $p "$T/w"
	rows >"$T/got.$p"
	check_file "$T/got.$p" "$T/want.tsv" "page $p: the same rows"
done
run_prog fetch --page 11 "$T/w"
check_eq "$(win)" '["ok",11,2,null]' "a full last page is followed by one empty page"

# 3. The metrics map selects and renames: only mapped metrics are asked
# for (metric IN (...)), units from the map, no unit column read.
printf 'metric,unit,query\ncpu_percent,Percent,cpu\nstorage_bytes,Bytes,storage\n' >"$T/m.csv"
run_prog fetch --page 2 -m "$T/m.csv" "$T/w"
check_eq "$(jq -r 'select(.type == "sample") | .metric' "$T/out" | sort | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' ')" \
    "cpu_percent=5 storage_bytes=3 " "map: only mapped metrics, renamed"
run_prog fetch -n -m "$T/m.csv" --step 5m "$T/w"
case $(jq -r .query "$T/out" | head -n 1) in
*'"metric" IN ($5, $6)'*'"unit"'*) fail "map: the unit column is not selected" ;;
*'"metric" IN ($5, $6)'*) pass "map: filtered projection in the query" ;;
*) fail "map: filtered projection in the query"; diag "$(cat "$T/out")" ;;
esac

# 4. EXPLAIN: both statements, with the values bf-fetch binds, are served
# by the index on (instance_id, ts, id); no Seq Scan anywhere.
jq -r 'select(.type == "plan") | .query' "$T/out" >"$T/q1"
jq -r 'select(.type == "plan") | .next_query' "$T/out" >"$T/q2"
psql -At >"$T/explain" 2>&1 <<EOF
PREPARE first_page AS $(cat "$T/q1");
PREPARE next_page AS $(cat "$T/q2");
EXPLAIN EXECUTE first_page('db-1', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 2, 'cpu', 'storage');
EXPLAIN EXECUTE next_page('db-1', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 2, 'cpu', 'storage', '2026-01-01 00:05:00+00', 5);
EOF
if grep -q 'Seq Scan' "$T/explain"; then
	fail "EXPLAIN: no Seq Scan"; diag "$(cat "$T/explain")"
else
	pass "EXPLAIN: no Seq Scan"
fi
check_eq "$(grep -c 'Index Scan using telemetry_keyset' "$T/explain")" 2 \
    "EXPLAIN: both pages use the (instance_id, ts, id) index"
case $(cat "$T/explain") in
*'Index Cond: ((instance_id = '*'ROW(ts, id) > ROW('*) pass "EXPLAIN: the keyset is an index condition" ;;
*) fail "EXPLAIN: the keyset is an index condition"; diag "$(cat "$T/explain")" ;;
esac

# 5. The statement timeout cancels a slow query; it is retried, then the
# window fails with the reason.
run_prog fetch --table telemetry_slow --statement-timeout 100ms --retries 1 --backoff 5ms "$T/w"
check_eq "$(win)" '["failed",0,0,"timeout"]' "statement timeout: window failed"
case $(jq -r .error.message "$T/out") in
*"57014: ERROR:  canceling statement due to statement timeout"*) pass "statement timeout: reason" ;;
*) fail "statement timeout: reason"; diag "$(cat "$T/out")" ;;
esac

# 6. A bad column is not retried: the query itself is wrong. (--no-check:
# the check before the first window would stop it first; see
# fetch-check.t.)
run_prog fetch --value-column nope --retries 3 --no-check "$T/w"
check_eq "$(jq -c '[.status, .requests, .error.code]' "$T/out")" '["failed",1,"query_failed"]' \
    "undefined column: failed at once"

# 7. The password comes from PGPASSWORD or a PGPASSFILE, never argv; without
# it the source is unavailable, and the message holds no secret.
run_prog env -u PGPASSWORD PGPASSFILE=/nonexistent bf-fetch -s postgres --db "$PG_URI" \
    --retries 0 "$T/w"
check_rc 69 "no password: source unavailable"
check_eq "$(grep -c "$PG_PASSWORD" "$T/out" "$T/err" | awk -F: '{ s += $2 } END { print s }')" 0 \
    "no secret in any output"
printf '*:*:*:bf:%s\n' "$PG_PASSWORD" >"$T/pgpass"
chmod 600 "$T/pgpass"
run_prog env -u PGPASSWORD PGPASSFILE="$T/pgpass" bf-fetch -s postgres --db "$PG_URI" --lookback 0 "$T/w"
check_eq "$(win)" '["ok",11,1,null]' "PGPASSFILE: connected"
run_prog fetch --db "$PG_URI&password=$PG_PASSWORD" "$T/w"
check_rc 2 "a password in --db is refused"
check_eq "$(grep -c "$PG_PASSWORD" "$T/err")" 0 "the refusal does not echo it"

# 8. Lookback: one query more per window gives each metric's last row
# before window_start within the lookback, marked "lookback":true, counted
# apart from fetched. More history before the window: an earlier cpu row
# (not the last), connections 2 hours back (beyond the default 1h), two
# storage rows at one instant (the later id is the last), and db-2's row
# (another instance).
psql -q -v ON_ERROR_STOP=1 >/dev/null <<'EOF'
INSERT INTO telemetry (ts, instance_id, metric, value, unit) VALUES
 ('2025-12-31 23:30:00+00', 'db-1', 'cpu', 2, 'Percent'),
 ('2025-12-31 22:00:00+00', 'db-1', 'connections', 5, 'Count'),
 ('2025-12-31 23:15:00+00', 'db-1', 'storage', 100, 'Bytes'),
 ('2025-12-31 23:15:00+00', 'db-1', 'storage', 101, 'Bytes'),
 ('2025-12-31 23:50:00+00', 'db-2', 'cpu', 77, 'Percent');
EOF
# The want: every db-1 row before the window, in (ts, id) order; per
# metric the last one no older than the lookback, by awk.
psql -At -F ' ' >"$T/before.tsv" <<'EOF'
SELECT extract(epoch FROM ts)::bigint, to_char(ts AT TIME ZONE 'UTC',
       'YYYY-MM-DD"T"HH24:MI:SS"Z"'), metric, value::text, unit
FROM telemetry
WHERE instance_id = 'db-1' AND ts < '2026-01-01T00:00:00Z'
ORDER BY ts, id
EOF
lookback_want() {
	awk -v from=$((1767225600 - $1)) '$1 >= from { last[$3] = $2 " " $3 " " $4 " " $5 }
	    END { for (m in last) print last[m] }' "$T/before.tsv" | sort
}
lookback_got() {
	grep '"lookback":true}$' "$T/out" | jq -r '[.ts, .metric, .value, .unit] | join(" ")' | sort
}
run_prog bf-fetch -s postgres --db "$PG_URI" "$T/w"
check_rc 0 "lookback: exit status"
lookback_want 3600 >"$T/lbwant"
lookback_got >"$T/lbgot"
check_file "$T/lbgot" "$T/lbwant" "lookback 1h: the last row of each metric"
check_eq "$(wc -l <"$T/lbwant" | tr -d ' ')" 2 "fixture: cpu and storage within 1h"
check_eq "$(jq -c 'select(.type == "window") | [.status, .fetched, .lookback, .pages]' "$T/out")" \
    '["ok",11,2,2]' "lookback 1h: counted apart, one query more"
check_eq "$(jq -r 'select(.lookback == true) | [.instance_id, .partition, .window_start, .source] | join(" ")' "$T/out" | sort -u)" \
    "db-1 db-1 2026-01-01T00:00:00Z postgres" "lookback: lines of the window"
run_prog bf-fetch -s postgres --db "$PG_URI" --lookback 3h "$T/w"
lookback_want 10800 >"$T/lbwant"
lookback_got >"$T/lbgot"
check_file "$T/lbgot" "$T/lbwant" "lookback 3h: connections too"
check_eq "$(jq -c 'select(.type == "window") | .lookback' "$T/out")" 3 "lookback 3h: 3"
run_prog bf-fetch -s postgres --db "$PG_URI" -m "$T/m.csv" --lookback 3h "$T/w"
check_eq "$(grep '"lookback":true}$' "$T/out" | jq -r '[.metric, .value] | join(" ")' | sort | tr '\n' ' ')" \
    "cpu_percent 1 storage_bytes 101 " "lookback with a map: mapped metrics only, renamed"
run_prog bf-fetch -s postgres --db "$PG_URI" --lookback 0 "$T/w"
check_eq "$(jq -c 'select(.type == "window") | [.fetched, .lookback, .pages]' "$T/out")" \
    '[11,0,1]' "--lookback 0: no lookback query, none"

done_testing
