#!/bin/sh
# bf-fetch --source prometheus against a real Prometheus loaded with known
# history: exact points (count, values, timestamps), window boundaries, the
# 11,000-point split, NaN/Inf passed on as strings, label mapping, PromQL
# string escaping of the partition, bad_data failing without retries,
# -j keeping input order, the lookback sample of each series, and
# multiple_series for a query that returns two label sets per instance.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/prom.sh"

# History from 2026-01-01T00:00:00Z (1767225600): storage every 60 s for
# 8 days and 2 hours, value 21474836480 + i; a gauge for db-2 with
# fractions and the special values NaN, +Inf, -Inf at minutes 7, 8, 9.
T0=1767225600
awk -v t0=$T0 'BEGIN {
	print "# TYPE pg_database_size_bytes gauge"
	for (i = 0; i < 11640; i++)
		printf "pg_database_size_bytes{instance_id=\"db-1\",server=\"pg-a\"} %.0f %d\n", 21474836480 + i, t0 + i * 60
	print "# TYPE bf_test_gauge gauge"
	for (i = 0; i < 120; i++) {
		v = i / 4
		if (i == 7) v = "NaN"
		if (i == 8) v = "+Inf"
		if (i == 9) v = "-Inf"
		printf "bf_test_gauge{instance_id=\"db-2\"} %s %d\n", v, t0 + i * 60
	}
	# two label sets for one instance: cpu 0 idle rising 1/s, cpu 1
	# user rising 2/s, every 60 s for 2 hours
	print "# TYPE node_cpu_seconds_total counter"
	for (i = 0; i < 120; i++) {
		printf "node_cpu_seconds_total{instance_id=\"db-3\",cpu=\"0\",mode=\"idle\"} %d %d\n", i * 60, t0 + i * 60
		printf "node_cpu_seconds_total{instance_id=\"db-3\",cpu=\"1\",mode=\"user\"} %d %d\n", i * 120, t0 + i * 60
	}
	# an instance whose name holds a quote, a backslash and an apostrophe
	# (OpenMetrics escapes the first two), 30 points, value i * 3
	print "# TYPE bf_quote_gauge gauge"
	for (i = 0; i < 30; i++)
		printf "bf_quote_gauge{instance_id=\"a\\\"b\\\\c'"'"'d\"} %d %d\n", i * 3, t0 + i * 60
	print "# EOF"
}' >"$T/history.om"
start_prom "$T/history.om"

cat >"$T/metrics.csv" <<'EOF'
metric,unit,query
storage_bytes,Bytes,pg_database_size_bytes{instance_id=${partition}}
EOF
cat >"$T/gauge.csv" <<'EOF'
metric,unit,query
test_gauge,Percent,bf_test_gauge{instance_id=${partition}}
EOF
cat >"$T/sum.csv" <<'EOF'
metric,unit,query
storage_sum,Bytes,"sum(pg_database_size_bytes{server=""pg-a""})"
EOF
cat >"$T/bad.csv" <<'EOF'
metric,unit,query
broken,Bytes,"rate(pg_database_size_bytes{instance_id=${partition}}[5m]"
EOF

win() {
	jq -nc --arg p "$1" --arg s "$2" --arg e "$3" \
	    '{type: "window", partition: $p, window_start: $s, window_end: $e}'
}
# epoch -> RFC 3339
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
samples() { jq -c 'select(.type == "sample") | [.ts, .value]' "$@"; }
# Sections 1 to 10 look at the window alone (--lookback 0); the lookback
# and multiple_series have their own sections after them.
fetch() { bf-fetch -s prometheus -u "$PROM_URL" --lookback 0 "$@"; }

# 1. One hour: exactly 60 points, 00:00 .. 00:59, values i = 0..59; the
# point at 01:00 (the window's end) is not emitted.
win db-1 2026-01-01T00:00:00Z 2026-01-01T01:00:00Z >"$T/w1"
run_prog fetch -m "$T/metrics.csv" "$T/w1"
check_rc 0 "one hour"
awk -v t0=$T0 'BEGIN { for (i = 0; i < 60; i++) printf "%d %.0f\n", t0 + i * 60, 21474836480 + i }' |
    while read -r t v; do printf '["%s",%s]\n' "$(iso "$t")" "$v"; done >"$T/want1"
samples "$T/out" >"$T/got1"
check_file "$T/got1" "$T/want1" "one hour: 60 exact points, end excluded"
check_eq "$(tail -n 1 "$T/out" | jq -c '[.type, .status, .fetched, .requests, .resolution]')" \
    '["window","ok",60,1,60]' "window line closes with counts"
check_eq "$(jq -r 'select(.type == "sample") | [.partition, .instance_id, .metric, .unit, .source, .resolution, .window_start, .window_end] | @tsv' "$T/out" | sort -u)" \
    "$(printf 'db-1\tdb-1\tstorage_bytes\tBytes\tprometheus\t60\t2026-01-01T00:00:00Z\t2026-01-01T01:00:00Z')" \
    "sample fields"

# 2. The next hour starts with the point the first one left out.
win db-1 2026-01-01T01:00:00Z 2026-01-01T02:00:00Z >"$T/w2"
run_prog fetch -m "$T/metrics.csv" "$T/w2"
check_eq "$(samples "$T/out" | head -n 1)" '["2026-01-01T01:00:00Z",21474836540]' \
    "the point at a window's end opens the next window"
check_eq "$(samples "$T/out" | wc -l | tr -d ' ')" 60 "next hour: 60 points"

# 3. Eight days at 60 s: 11,520 points per series, more than Prometheus's
# 11,000: two requests, every point once, in order.
win db-1 2026-01-01T00:00:00Z 2026-01-09T00:00:00Z >"$T/w3"
run_prog fetch -m "$T/metrics.csv" "$T/w3"
check_rc 0 "eight days"
check_eq "$(tail -n 1 "$T/out" | jq -c '[.fetched, .requests, .pages]')" '[11520,2,2]' \
    "eight days: split into two requests"
check_eq "$(jq -r 'select(.type == "sample") | .value' "$T/out" |
    awk 'NR == 1 { first = $1 } { if ($1 != first + NR - 1) bad++; n++ }
    END { print n, bad + 0 }')" "11520 0" "eight days: every value once, consecutive"
check_eq "$(jq -r 'select(.type == "sample") | .ts' "$T/out" | sed -n '1p;11000p;11001p;$p' | tr '\n' ' ')" \
    "2026-01-01T00:00:00Z 2026-01-08T15:19:00Z 2026-01-08T15:20:00Z 2026-01-08T23:59:00Z " \
    "eight days: first, split boundary, last"

# 4. A coarser step: 12 points an hour, resolution 300.
run_prog fetch -m "$T/metrics.csv" --step 5m "$T/w1"
check_eq "$(samples "$T/out" | sed -n '1p;$p' | tr '\n' ' ')" \
    '["2026-01-01T00:00:00Z",21474836480] ["2026-01-01T00:55:00Z",21474836535] ' \
    "step 5m: first and last point"
check_eq "$(jq -c 'select(.type == "window") | [.fetched, .resolution]' "$T/out")" '[12,300]' \
    "step 5m: 12 points, resolution 300"

# 5. Fractions stay numbers; NaN, +Inf, -Inf are passed on as strings.
win db-2 2026-01-01T00:05:00Z 2026-01-01T00:11:00Z >"$T/w5"
run_prog fetch -m "$T/gauge.csv" "$T/w5"
check_eq "$(jq -c 'select(.type == "sample") | .value' "$T/out" | tr '\n' ' ')" \
    '1.25 1.5 "NaN" "+Inf" "-Inf" 2.5 ' "fractions as numbers, NaN and Inf as strings"

# 6. Series labels map to instance_id: by default the instance_id label,
# --instance-label picks another; a series without it (an aggregate) is
# the window's partition's.
run_prog fetch -m "$T/metrics.csv" --instance-label server "$T/w1"
check_eq "$(jq -r 'select(.type == "sample") | .instance_id' "$T/out" | sort -u)" pg-a \
    "--instance-label server"
win tenant-x 2026-01-01T00:00:00Z 2026-01-01T00:02:00Z >"$T/w6"
run_prog fetch -m "$T/sum.csv" "$T/w6"
check_eq "$(jq -c 'select(.type == "sample") | [.instance_id, .value]' "$T/out" | tr '\n' ' ')" \
    '["tenant-x",21474836480] ["tenant-x",21474836481] ' "aggregate without label: the partition"

# 7. The partition is put in as a PromQL string literal: quotes and
# backslashes cannot change the query; it matches nothing and is ok.
win 'db-1"} or vector(1) or {x="' 2026-01-01T00:00:00Z 2026-01-01T00:10:00Z >"$T/w7"
run_prog fetch -m "$T/metrics.csv" "$T/w7"
check_rc 0 "hostile partition: exit status"
check_eq "$(jq -c 'select(.type == "window") | [.status, .fetched]' "$T/out")" '["ok",0]' \
    "hostile partition: no injected series"

# 8. A query Prometheus refuses (bad_data) fails its window at once: no
# retries, status failed with the reason, exit 1. (--no-check: the check
# before the first window would stop it first; see fetch-check.t.)
run_prog fetch -m "$T/bad.csv" --retries 3 --backoff 10ms --no-check "$T/w1"
check_rc 1 "bad_data"
check_eq "$(jq -c '[.status, .requests, .retries, .error.code, .error.stage]' "$T/out")" \
    '["failed",1,0,"bad_query","bf-fetch"]' "bad_data: not retried, failed with reason"
case $(jq -r .error.message "$T/out") in
*bad_data*) pass "bad_data: message names the error type" ;;
*) fail "bad_data: message names the error type"; diag "$(cat "$T/out")" ;;
esac

# 9. -j 8 over many windows writes the same bytes as -j 1, in input order,
# with other lines passed through at their place.
i=0
while [ $i -lt 24 ]; do
	s=$((T0 + i * 3600))
	win db-1 "$(iso $s)" "$(iso $((s + 3600)))"
	[ $((i % 5)) -eq 0 ] && printf '{"type":"note","n":%d}\n' $i
	i=$((i + 1))
done >"$T/w9"
fetch -m "$T/metrics.csv" -j 1 "$T/w9" >"$T/j1"
fetch -m "$T/metrics.csv" -j 8 "$T/w9" >"$T/j8"
check_file "$T/j8" "$T/j1" "-j 8 output equals -j 1 output"
check_eq "$(jq -c 'select(.type != "sample") | .type' "$T/j8" | tr -d '"\n')" \
    "$(jq -c .type "$T/w9" | tr -d '"\n')" "window and other lines keep input order"
check_eq "$(jq -r 'select(.type == "sample") | .ts' "$T/j8" | sort | uniq -d | wc -l | tr -d ' ')" 0 \
    "no point twice across windows"
check_eq "$(grep -c '"type":"sample"' "$T/j8")" 1440 "24 hours: 1440 points"

# 10. Dry run: the plan without a request (Prometheus would answer, but
# nothing may be asked: the port of a closed server works the same).
run_prog bf-fetch -s prometheus -u http://127.0.0.1:9 -m "$T/metrics.csv" -n --lookback 0 "$T/w3"
check_eq "$(jq -c 'select(.type == "plan") | [.requests, .points]' "$T/out")" '[2,11520]' \
    "dry run: two requests planned for eight days"

# 11. Lookback: the window 01:00-02:00 also gets, for its one series, the
# point at 00:59 (the last before window_start on the 60 s grid), marked
# "lookback":true as its last member, counted apart from fetched.
win db-1 2026-01-01T01:00:00Z 2026-01-01T02:00:00Z >"$T/w11"
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/metrics.csv" "$T/w11"
check_rc 0 "lookback: exit status"
check_eq "$(jq -c 'select(.lookback == true) | [.ts, .value, .instance_id, .metric, .window_start]' "$T/out")" \
    "[\"$(iso $((T0 + 3540)))\",$(awk 'BEGIN { printf "%.0f", 21474836480 + 59 }'),\"db-1\",\"storage_bytes\",\"2026-01-01T01:00:00Z\"]" \
    "lookback: the point at 00:59, not an earlier one"
check_eq "$(grep -c '"lookback":true}$' "$T/out")" 1 \
    "lookback: \"lookback\":true is the last member"
check_eq "$(tail -n 1 "$T/out" | jq -c '[.status, .fetched, .lookback, .requests]')" \
    '["ok",60,1,1]' "lookback: counted apart, in the same request"
check_eq "$(jq -r 'select(.type == "sample" and .lookback != true) | .ts' "$T/out" | sort | head -n 1)" \
    2026-01-01T01:00:00Z "lookback: the in-window points start at window_start"

# With --step 5m the grid point before the window is 00:55; with a
# lookback shorter than the step there is no grid point within it; with
# --lookback 0 there is none either.
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/metrics.csv" --step 5m "$T/w11"
check_eq "$(jq -c 'select(.lookback == true) | [.ts, .value, .resolution]' "$T/out")" \
    "[\"$(iso $((T0 + 3300)))\",$(awk 'BEGIN { printf "%.0f", 21474836480 + 55 }'),300]" \
    "lookback, step 5m: the point at 00:55"
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/metrics.csv" --lookback 30s "$T/w11"
check_eq "$(tail -n 1 "$T/out" | jq -c '[.fetched, .lookback]')" '[60,0]' \
    "lookback shorter than the step: none"
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/metrics.csv" --lookback 0 "$T/w11"
check_eq "$(tail -n 1 "$T/out" | jq -c '[.fetched, .lookback]')" '[60,0]' \
    "--lookback 0: none"
check_eq "$(grep -c '"lookback":true' "$T/out")" 0 "--lookback 0: no lookback line"

# A series whose data ended more than the lookback before the window gets
# none: db-2's gauge ends at 01:59 (Prometheus carries it 5 minutes), the
# window starts at 04:00.
win db-2 2026-01-01T04:00:00Z 2026-01-01T05:00:00Z >"$T/w11b"
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/gauge.csv" "$T/w11b"
check_eq "$(tail -n 1 "$T/out" | jq -c '[.status, .fetched, .lookback]')" '["ok",0,0]' \
    "lookback: none beyond the lookback"
# ... and with --lookback 3h it is the last point Prometheus gives before
# 04:00: 02:04, the sample of 01:59 (119 / 4) carried by the staleness
# window.
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/gauge.csv" --lookback 3h "$T/w11b"
check_eq "$(jq -c 'select(.lookback == true) | [.ts, .value]' "$T/out")" \
    "[\"$(iso $((T0 + 124 * 60)))\",$(awk 'BEGIN { print 119 / 4 }')]" \
    "--lookback 3h: the last point before the window"

# The dry run counts the lookback points: 60 more for one hour at 60 s.
run_prog bf-fetch -s prometheus -u http://127.0.0.1:9 -m "$T/metrics.csv" -n "$T/w11"
check_eq "$(jq -c 'select(.type == "plan") | [.requests, .points, .lookback_from]' "$T/out")" \
    '[1,120,"2026-01-01T00:00:00Z"]' "dry run: lookback points and start"

# 12. multiple_series: node_cpu_seconds_total without sum by has two label
# sets for db-3 (cpu and mode differ): the window fails, naming them and
# saying how to aggregate; with sum by (instance_id) it is one series
# whose values are the sums (i * 60 + i * 120).
printf '%s\n' 'metric,unit,query' \
    'cpu_seconds,Seconds,node_cpu_seconds_total{instance_id=${partition}}' >"$T/cpu.csv"
printf '%s\n' 'metric,unit,query' \
    'cpu_seconds,Seconds,"sum by (instance_id) (node_cpu_seconds_total{instance_id=${partition}})"' >"$T/cpusum.csv"
win db-3 2026-01-01T00:30:00Z 2026-01-01T01:00:00Z >"$T/w12"
run_prog fetch -m "$T/cpu.csv" --retries 2 "$T/w12"
check_rc 1 "multiple_series: exit status"
check_eq "$(jq -c '[.status, .error.code, .fetched, .lookback, .requests]' "$T/out")" \
    '["failed","multiple_series",0,0,1]' "multiple_series: window failed, not retried, no samples"
msg=$(jq -r .error.message "$T/out")
case $msg in
*"2 series for instance 'db-3'"*"labels differ: cpu, mode"*"sum by (instance_id)"*)
	pass "multiple_series: message names the instance, the labels and the fix" ;;
*) fail "multiple_series: message names the instance, the labels and the fix"; diag "$msg" ;;
esac
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/cpu.csv" "$T/w12"
check_eq "$(jq -c '[.status, .error.code]' "$T/out")" '["failed","multiple_series"]' \
    "multiple_series: also with the lookback"
run_prog bf-fetch -s prometheus -u "$PROM_URL" -m "$T/cpusum.csv" "$T/w12"
check_rc 0 "sum by: exit status"
awk 'BEGIN { for (i = 29; i < 60; i++) printf "%d %d\n", i, i * 180 }' >"$T/want12"
jq -r 'select(.type == "sample") | [((.ts | fromdateiso8601) - '"$T0"') / 60, .value] | @tsv' "$T/out" |
    tr '\t' ' ' | sort -n >"$T/got12"
check_file "$T/got12" "$T/want12" "sum by: one series, summed values, lookback at 00:29"
check_eq "$(tail -n 1 "$T/out" | jq -c '[.fetched, .lookback]')" '[30,1]' "sum by: counts"

# 13. A placeholder inside a PromQL string literal is replaced by the
# escaped contents, bare by a whole literal: the three spellings ask for
# the same series (instance a"b\c'd, a quote, a backslash and an
# apostrophe in its name) and get the same 30 points, i * 3.
printf '%s\n' 'metric,unit,query' 'q,Count,bf_quote_gauge{instance_id=${partition}}' >"$T/q-bare.csv"
printf '%s\n' 'metric,unit,query' 'q,Count,"bf_quote_gauge{instance_id=""${partition}""}"' >"$T/q-dq.csv"
printf '%s\n' 'metric,unit,query' "q,Count,bf_quote_gauge{instance_id='\${partition}'}" >"$T/q-sq.csv"
win 'a"b\c'"'"'d' 2026-01-01T00:00:00Z 2026-01-01T00:30:00Z >"$T/w13"
awk -v t0=$T0 'BEGIN { for (i = 0; i < 30; i++) printf "%d %d\n", t0 + i * 60, i * 3 }' |
    while read -r t v; do printf '["%s",%s]\n' "$(iso "$t")" "$v"; done >"$T/want13"
for sp in bare dq sq; do
	run_prog fetch -m "$T/q-$sp.csv" "$T/w13"
	check_rc 0 "quoted placeholder ($sp): exit status"
	samples "$T/out" >"$T/got13-$sp"
	check_file "$T/got13-$sp" "$T/want13" "quoted placeholder ($sp): the 30 points of the series"
done
check_eq "$(jq -r 'select(.type == "sample") | .instance_id' "$T/out" | sort -u)" 'a"b\c'"'"'d' \
    "quoted placeholder: the instance as Prometheus names it"
# Inside a `...` raw string a name holding a backquote cannot be written:
# the window fails, naming the variable and the way out, with no request.
printf '%s\n' 'metric,unit,query' 'q,Count,bf_quote_gauge{instance_id=`${partition}`}' >"$T/q-raw.csv"
win 'db`1' 2026-01-01T00:00:00Z 2026-01-01T01:00:00Z >"$T/w13b"
run_prog fetch -m "$T/q-raw.csv" --no-check "$T/w13b"
check_eq "$(jq -c '[.status, .error.code, .requests]' "$T/out")" '["failed","bad_query",0]' \
    "raw string: a backquote in the partition fails the window, unasked"
case $(jq -r .error.message "$T/out") in
*"cannot be written inside a \`...\` raw string"*) pass "raw string: the message says why" ;;
*) fail "raw string: the message says why"; diag "$(cat "$T/out")" ;;
esac

done_testing
