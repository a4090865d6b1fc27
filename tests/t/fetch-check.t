#!/bin/sh
# bf-fetch checks its queries once, before any window (bf-fetch --check,
# and by default before the first window is fetched): a malformed query is
# exit 2 with one message (metric, map file:line, the server's error, the
# expanded query), a source that does not answer exit 69 with one message
# naming its URL and no secret; --no-check skips it. A source that fails
# window after window is reported once per cause, with a count at the end,
# and nothing promises a "next probe". Against the real Prometheus of
# tests/lib/prom.sh, tests/lib/faultserver.py for 500s and resets, a
# closed port, and the real PostgreSQL of tests/lib/pg.sh.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/prom.sh"
. "$BF_TOP/tests/lib/pg.sh"
. "$BF_TOP/tests/lib/faults.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"

# History: db-1's size every 60 s for 2 hours from 2026-01-01T00:00:00Z.
T0=1767225600
awk -v t0=$T0 'BEGIN {
	print "# TYPE pg_database_size_bytes gauge"
	for (i = 0; i < 120; i++)
		printf "pg_database_size_bytes{datname=\"db-1\"} %d %d\n", 1000 + i, t0 + i * 60
	print "# EOF"
}' >"$T/history.om"
start_prom "$T/history.om"

# 100 windows of 1 minute each for db-1; lines: the lines of a file
win() {
	printf '{"type":"window","partition":"%s","window_start":"%s","window_end":"%s"}\n' "$@"
}
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
i=0
while [ $i -lt 100 ]; do
	win db-1 "$(iso $((T0 + i * 60)))" "$(iso $((T0 + i * 60 + 60)))"
	i=$((i + 1))
done >"$T/w100"
lines() { wc -l <"$1" | tr -d ' '; }

# The malformed query of issue 15: an unclosed parenthesis, the
# placeholder inside quotes as PromQL users write it, on line 3.
cat >"$T/bad.csv" <<'EOF'
metric,unit,query
size,Bytes,"max_over_time(pg_database_size_bytes{datname=""${partition}""}[${step}])"
broken,Bytes,"rate(pg_database_size_bytes{datname=""${partition}""}[5m]"
EOF
cat >"$T/good.csv" <<'EOF'
metric,unit,query
size,Bytes,"max_over_time(pg_database_size_bytes{datname=""${partition}""}[${step}])"
EOF
# what Prometheus itself says of the broken query (no bf in between)
want_err=$(curl -s "$PROM_URL/api/v1/query" \
    --data-urlencode 'query=rate(pg_database_size_bytes{datname="db-1"}[5m]' \
    --data-urlencode "time=$T0" | jq -r .error)
[ -n "$want_err" ] && [ "$want_err" != null ] || { fail "prometheus refuses the broken query"; done_testing; exit 1; }
# ... and as a range query (its text differs)
want_rerr=$(curl -s "$PROM_URL/api/v1/query_range" \
    --data-urlencode 'query=rate(pg_database_size_bytes{datname="db-1"}[5m]' \
    --data-urlencode "start=$T0" --data-urlencode "end=$T0" --data-urlencode step=60 | jq -r .error)

# 1. Without --check: 100 windows, a malformed query: exit 2 before any
# window, nothing on stdout, one line on stderr with the metric, the map's
# file:line, the server's error and the expanded query.
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/bad.csv" --retries 3 --backoff 5ms "$T/w100"
check_rc 2 "malformed query: exit 2"
check_eq "$(lines "$T/out")/$(lines "$T/err")" 0/1 "malformed query: nothing fetched, one message"
check_eq "$(cat "$T/err")" \
    "bf-fetch: $T/bad.csv:3: metric 'broken': prometheus $PROM_URL: http 400: bad_data: $want_err; query: rate(pg_database_size_bytes{datname=\"db-1\"}[5m]" \
    "malformed query: metric, file:line, the server's error, the expanded query"
cp "$T/err" "$T/err1"

# 2. --check says the same and writes nothing.
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/bad.csv" --check "$T/w100"
check_rc 2 "--check, malformed query: exit 2"
check_eq "$(lines "$T/out")" 0 "--check: nothing on stdout"
check_file "$T/err" "$T/err1" "--check: the same one message"

# 3. --check of good queries: exit 0, nothing written; no window at all is
# nothing to check (exit 0).
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/good.csv" --check "$T/w100"
check_rc 0 "--check, good queries"
check_eq "$(lines "$T/out")/$(lines "$T/err")" 0/0 "--check, good queries: silent"
printf '{"type":"note"}\n' >"$T/nowin"
run_prog bf-fetch -s prometheus -u http://127.0.0.1:9 -m "$T/bad.csv" --check "$T/nowin"
check_rc 0 "--check without a window line: nothing to check"
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/good.csv" "$T/w100"
check_rc 0 "good queries: fetched"
check_eq "$(jq -s 'map(select(.type == "sample" and .lookback != true)) | length' "$T/out")" 100 \
    "good queries: one point per window"

# 4. --no-check: the windows fail one by one, as before the check, but
# stderr says the cause once and counts it at the end: 2 lines, not 100.
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/bad.csv" --no-check -j 2 "$T/w100"
check_rc 1 "--no-check: the windows fail (exit 1)"
check_eq "$(jq -r 'select(.type == "window") | .status + " " + .error.code' "$T/out" | sort | uniq -c | tr -s ' ')" \
    " 100 failed bad_query" "--no-check: 100 windows failed with bad_query"
check_eq "$(lines "$T/err")" 2 "--no-check: two lines on stderr, not one per window"
check_eq "$(sed -n 1p "$T/err")" \
    "bf-fetch: db-1 2026-01-01T00:00:00Z: bad_query: prometheus $PROM_URL: http 400: bad_data: $want_rerr" \
    "--no-check: the cause when first seen"
check_eq "$(sed -n 2p "$T/err")" \
    "bf-fetch: 100 windows failed: bad_query: prometheus $PROM_URL: http 400: bad_data: $want_rerr" \
    "--no-check: one summary line with the count"
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/bad.csv" --no-check -v "$T/w100"
check_eq "$(grep -c ': bad_query: ' "$T/err")" 101 "-v: a line per window, and the summary"

# Flags that do not go together.
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/good.csv" --check --no-check "$T/w100"
check_rc 2 "--check with --no-check: usage"
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/good.csv" --check -n "$T/w100"
check_rc 2 "--check with --dry-run: usage"

# 5. The fault server: the check asks once per metric, at the first
# window's start, and only for the first window.
start_faultserver
printf 'metric,unit,query\na,Count,bf_fault_metric\nb,Count,bf_fault_metric\n' >"$T/m2.csv"
asked_at() { awk -v m="$1" '$2 == m { print $3 }' "$T/log" | sort -u | tr '\n' ' '; }
head -n 5 "$T/w100" | tail -n 3 >"$T/w3"
M=ok,id=count
run_prog bf-fetch -s prometheus -u "$BASE/$M" -m "$T/m2.csv" --check "$T/w3"
check_rc 0 "--check: ok"
check_eq "$(requests "query:$M")/$(requests "$M")" 2/0 "--check: one instant query per metric, no range query"
check_eq "$(asked_at "query:$M")" "$((T0 + 120)) " "--check: at the first window's start"
M=ok,id=first
run_prog bf-fetch -s prometheus -u "$BASE/$M" -m "$T/m2.csv" "$T/w3"
check_eq "$(requests "query:$M")/$(requests "$M")" 2/6 "without --check: checked once, then 3 windows x 2 metrics"

# 6. 500 for every request: exit 69 after the retries, nothing fetched,
# one message naming the source's URL; the bearer token is nowhere.
printf 'tok-%s\n' $$ >"$T/token"
M=status=500,query,id=down
run_prog bf-fetch -s prometheus -u "$BASE/$M" -m "$T/m2.csv" --retries 2 --backoff 5ms \
    --bearer-token-file "$T/token" "$T/w100"
check_rc 69 "500 always: exit 69"
check_eq "$(requests "query:$M")/$(requests "$M")" 3/0 "500 always: 1 try + 2 retries, no window fetched"
check_eq "$(lines "$T/out")/$(cat "$T/err")" \
    "0/bf-fetch: prometheus $BASE/$M: http 500: unavailable: injected 500 (3 attempts)" \
    "500 always: one message with the URL"
check_eq "$(cat "$T/out" "$T/err" | grep -c "tok-$$" || :)" 0 "500 always: no token in any output"
M=status=500,query,id=downcheck
run_prog bf-fetch -s prometheus -u "$BASE/$M" -m "$T/m2.csv" --retries 1 --backoff 5ms --check "$T/w100"
check_rc 69 "--check, 500 always: exit 69"
check_eq "$(lines "$T/err")" 1 "--check, 500 always: one message"
# A burst of 500s within the retries: the check passes, the windows are fetched.
M=status=500,times=2,query,id=burst
run_prog bf-fetch -s prometheus -u "$BASE/$M" -m "$T/m2.csv" --retries 3 --backoff 5ms --check "$T/w3"
check_rc 0 "--check, two 500s then ok: exit 0"

# 7. Connection resets.
M=reset,query,id=reset
run_prog bf-fetch -s prometheus -u "$BASE/$M" -m "$T/m2.csv" --retries 1 --backoff 5ms "$T/w100"
check_rc 69 "reset: exit 69"
check_eq "$(lines "$T/out")/$(lines "$T/err")" 0/1 "reset: nothing fetched, one message"
case $(cat "$T/err") in
"bf-fetch: prometheus $BASE/$M: "*"(2 attempts)") pass "reset: the message names the URL" ;;
*) fail "reset: the message names the URL"; diag "$(cat "$T/err")" ;;
esac

# 8. Nothing listens on the port: exit 69, one message.
port=$(free_port)
run_prog bf-fetch -s prometheus -u "http://127.0.0.1:$port" -m "$T/m2.csv" --retries 1 --backoff 5ms "$T/w100"
check_rc 69 "closed port: exit 69"
check_eq "$(lines "$T/out")/$(cat "$T/err")" \
    "0/bf-fetch: prometheus http://127.0.0.1:$port: Couldn't connect to server (2 attempts)" \
    "closed port: one message with the URL"

# 9. A source that fails window after window (the check passed: its
# instant query answers, its range queries fail): each cause once when
# first seen, the breaker's opening, and at the end one line per cause
# with the number of windows, as the window lines count them; no "next
# probe" anywhere.
M=status=500,id=windows
head -n 20 "$T/w100" >"$T/w20"
run_prog bf-fetch -s prometheus -u "$BASE/$M" -m "$T/m2.csv" -j 1 --retries 0 --breaker 3 "$T/w20"
check_rc 69 "failing windows: exit 69"
check_eq "$(grep -c 'next probe' "$T/out" "$T/err" | awk -F: '{ s += $2 } END { print s }')" 0 \
    "failing windows: no next probe promised"
jq -r 'select(.type == "window") | .error.code' "$T/out" | sort | uniq -c |
    awk '{ print $2, $1 }' >"$T/counts"
check_eq "$(tr '\n' ' ' <"$T/counts")" "breaker_open 17 unavailable 3 " \
    "failing windows: 3 failed, then the breaker refused 17"
sed -n 's/^bf-fetch: \([0-9]*\) windows\{0,1\} failed: \([a-z_]*\): .*/\2 \1/p' "$T/err" | sort >"$T/summary"
check_file "$T/summary" "$T/counts" "failing windows: one summary line per cause, with its count"
check_eq "$(lines "$T/err")" 5 \
    "failing windows: 5 lines (2 causes first seen, the breaker opening, 2 summaries)"
check_eq "$(grep -c "prometheus $BASE/$M: http 500" "$T/err")" 5 \
    "failing windows: every line names the URL"

# 10. PostgreSQL: the check connects and prepares the query: an unknown
# table is exit 2 with the server's message and the query; no server is
# 69 with the database's address and no password.
start_pg password
export PGPASSWORD="$PG_PASSWORD"
psql -q -v ON_ERROR_STOP=1 >/dev/null <<'EOF'
CREATE TABLE telemetry (id bigserial PRIMARY KEY, ts timestamptz NOT NULL,
	instance_id text NOT NULL, metric text NOT NULL, value numeric,
	unit text);
INSERT INTO telemetry (ts, instance_id, metric, value, unit) VALUES
 ('2026-01-01 00:00:30+00', 'db-1', 'cpu', 5, 'Percent');
EOF
run_prog bf-fetch -s postgres --db "$PG_URI" --table nope --retries 2 "$T/w100"
check_rc 2 "postgres, unknown table: exit 2"
check_eq "$(lines "$T/out")/$(lines "$T/err")" 0/1 "postgres, unknown table: nothing fetched, one message"
case $(cat "$T/err") in
"bf-fetch: postgres host=$PGHOST port=$PGPORT dbname=bf: 42P01: ERROR:  relation \"nope\" does not exist"*"; query: SELECT "*"FROM \"nope\""*)
	pass "postgres, unknown table: the server's message and the query" ;;
*) fail "postgres, unknown table: the server's message and the query"; diag "$(cat "$T/err")" ;;
esac
run_prog bf-fetch -s postgres --db "$PG_URI" --value-column nope --check "$T/w100"
check_rc 2 "postgres --check, unknown column: exit 2"
check_eq "$(grep -c '42703: ERROR:  column "nope" does not exist' "$T/err")" 1 \
    "postgres --check, unknown column: the server's message"
run_prog bf-fetch -s postgres --db "$PG_URI" --check "$T/w100"
check_rc 0 "postgres --check: ok"
check_eq "$(lines "$T/out")/$(lines "$T/err")" 0/0 "postgres --check: silent"
run_prog bf-fetch -s postgres --db "$PG_URI" --lookback 0 "$T/w100"
check_eq "$(jq -s 'map(select(.type == "sample")) | length' "$T/out")" 1 "postgres: fetched after the check"
run_prog bf-fetch -s postgres --db "postgresql:///bf?host=$T/none&port=1" --retries 1 --backoff 5ms "$T/w100"
check_rc 69 "postgres, no server: exit 69"
check_eq "$(lines "$T/out")/$(lines "$T/err")" 0/1 "postgres, no server: one message"
case $(cat "$T/err") in
"bf-fetch: postgres host=$T/none port=1 dbname=bf: cannot connect: "*"(2 attempts)") pass "postgres, no server: names the database" ;;
*) fail "postgres, no server: names the database"; diag "$(cat "$T/err")" ;;
esac
check_eq "$(cat "$T/out" "$T/err" | grep -c "$PG_PASSWORD" || :)" 0 "postgres: no password in any output"

# 11. exec: an unknown variable in the command template is exit 2 before
# anything runs.
run_prog bf-fetch -s exec --command 'echo ${nope}' --check "$T/w100"
check_rc 2 "exec, unknown variable: exit 2"
check_eq "$(cat "$T/err")" "bf-fetch: unknown variable '\${nope}'" "exec, unknown variable: the message"

done_testing
