#!/bin/sh
# bf-backfill against a real Prometheus (tests/lib/prom.sh) and the fault
# server (tests/lib/faultserver.py):
# 1. step is the query step: with data every 5 s and step = 5s, each 1h
#    window has 720 samples and the counter's increase is the rise of the
#    raw samples from the one before the window to its last one, both
#    computed here with awk from the history written; had the step not
#    reached bf-fetch (its default is 60s), both would be other numbers.
#    A query that matches two series of one instance: its windows are
#    listed under "multiple series" in the summary.
# 2. The queries are checked once, before the pipelines: a malformed query
#    is exit 2 with one message and no window fetched, with -j 3 too; a
#    source that does not answer is exit 69 with one message naming its
#    URL; a good run with -j 3 asks the check's instant query once.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/prom.sh"
. "$BF_TOP/tests/lib/backfill.sh"
. "$BF_TOP/tests/lib/faults.sh"
for p in jq sqlite3 flock python3 curl; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done

# History: a counter of db-1 every 5 s from 2026-01-01T00:00:00Z - 10 min
# to 02:00, rising by 1 to 11 at a time (irregularly).
T0=1767225600
awk -v t0=$T0 'BEGIN {
	print "# TYPE pg_stat_database_xact_commit counter"
	v = 1000
	for (t = t0 - 600; t < t0 + 7200; t += 5) {
		i = (t - t0) / 5 + 1000
		v += (i * i) % 17 + 1
		printf "pg_stat_database_xact_commit{datname=\"db-1\"} %d %d\n", v, t
	}
	# Two series of db-1 (two exporters, told apart by instance), for
	# the multiple series case.
	print "# TYPE pg_up gauge"
	for (t = t0 - 600; t < t0 + 7200; t += 60)
		printf "pg_up{datname=\"db-1\",instance=\"a:9187\"} 1 %d\n", t
	for (t = t0 - 600; t < t0 + 7200; t += 60)
		printf "pg_up{datname=\"db-1\",instance=\"b:9187\"} 1 %d\n", t
	print "# EOF"
}' >"$T/history.om"
start_prom "$T/history.om"

# The expected usage, from the history: per window [s, s + 1h), the
# samples in it, and the rise from the last sample before s to the last
# one before s + 1h.
sed -n 's/^pg_stat_database_xact_commit{[^}]*} \([0-9]*\) \([0-9]*\)$/\2 \1/p' "$T/history.om" |
    awk -v t0=$T0 '{ v[$1] = $2 }
    END {
	for (w = 0; w < 2; w++) {
		s = t0 + w * 3600; e = s + 3600; n = 0
		for (t = s; t < e; t += 5) if (t in v) n++
		printf "%d %d %d\n", w, n, v[e - 5] - v[s - 5]
	}
    }' >"$T/want"

cat >"$T/map.csv" <<'EOF'
metric,unit,query
commits,Count,"pg_stat_database_xact_commit{datname=""${partition}""}"
commit_samples,Count,"pg_stat_database_xact_commit{datname=""${partition}""}"
EOF
cat >"$T/contract.json" <<'EOF'
{
  "type": "object",
  "required": ["type", "partition", "window_start", "window_end",
               "instance_id", "metric", "ts", "value", "unit"],
  "properties": { "value": { "type": "number" } },
  "x-bf-metrics": {
    "commits": { "unit": "Count", "minimum": 0 },
    "commit_samples": { "unit": "Count", "minimum": 0 }
  }
}
EOF
cat >"$T/rates.csv" <<'EOF'
metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to
commits,Count,increase,Commits,,1,0.001000,USD,2025-01-01,
commit_samples,Count,count,Samples,,1,0.000001,USD,2025-01-01,
EOF
printf 'instance_id,tenant,cost_center,effective_from,effective_to\ndb-1,acme,cc-1,2025-01-01,\n' >"$T/tenants.csv"
# conf DIR URL [KEY=VALUE]...: a config over the Prometheus at URL.
conf() {
	_d=$1 _u=$2
	shift 2
	mkdir -p "$_d"
	cat >"$_d/conf" <<EOF
from = 2026-01-01T00:00:00Z
to = 2026-01-01T02:00:00Z
size = 1h
partition = db-1
state = $_d/state
db = $_d/ledger.db
source = prometheus
fetch-arg = --url
fetch-arg = $_u
fetch-arg = --metrics
fetch-arg = $T/map.csv
fetch-arg = --retries
fetch-arg = 1
fetch-arg = --backoff
fetch-arg = 5ms
contract = $T/contract.json
rates = $T/rates.csv
tenants = $T/tenants.csv
settle = 0
now = 2026-01-02T00:00:00Z
EOF
	write_conf_keys "$_d/conf" "$@"
}

# 1. step = 5s reaches bf-fetch.
conf "$T/step" "$PROM_URL" step=5s
run_prog bf-backfill -c "$T/step/conf"
check_rc 0 "step 5s: the backfill"
[ $RC = 0 ] || diag "$(cat "$T/err")"
sq "$T/step/ledger.db" "SELECT window_start, metric, samples, quantity FROM usage ORDER BY 1, 2" |
    awk -F '|' -v t0=$T0 '{ q = $4; sub(/\.0*$/, "", q)
	w = ($1 == "2026-01-01T00:00:00Z") ? 0 : 1
	if ($2 == "commit_samples") n[w] = q; else inc[w] = q; ns[w] = $3 }
    END { for (w = 0; w < 2; w++) printf "%d %d %d\n", w, n[w], inc[w] }' >"$T/got"
check_file "$T/got" "$T/want" "step 5s: 720 samples a window, the raw counter's rise"
diag "window samples increase: $(tr '\n' ' ' <"$T/want")"

# A query that matches two series of one instance fails its windows
# (multiple_series, bf-fetch(1)): the summary lists them under their cause,
# with their number, 2 (the windows of the range).
cat >"$T/dup.csv" <<'EOF'
metric,unit,query
commits,Count,"pg_up{datname=""${partition}""}"
EOF
conf "$T/dup" "$PROM_URL" step=60s
sed -i "s|^fetch-arg = $T/map.csv|fetch-arg = $T/dup.csv|" "$T/dup/conf"
run_prog bf-backfill -c "$T/dup/conf"
check_rc 1 "two series for one instance: the windows fail"
check_eq "$(grep -c '^bf-backfill:   multiple series: 2 windows, failed: .*: db-1 \[2026-01-01T00:00:00Z, 2026-01-01T01:00:00Z), db-1 \[2026-01-01T01:00:00Z, 2026-01-01T02:00:00Z)$' "$T/err")" 1 \
    "the summary lists the 2 windows under multiple series"
check_eq "$(grep -c '^bf-backfill:   failed: ' "$T/err")" 0 "not again under failed"

# 2. The check. A malformed query (an unclosed parenthesis), on line 3.
cat >"$T/bad.csv" <<'EOF'
metric,unit,query
commits,Count,"pg_stat_database_xact_commit{datname=""${partition}""}"
commit_samples,Count,"rate(pg_stat_database_xact_commit{datname=""${partition}""}[5m]"
EOF
printf 'db-1\ndb-2\ndb-3\n' >"$T/parts"
want_err=$(curl -s "$PROM_URL/api/v1/query" \
    --data-urlencode 'query=rate(pg_stat_database_xact_commit{datname="db-1"}[5m]' \
    --data-urlencode "time=$T0" | jq -r .error)
for j in 1 3; do
	conf "$T/bad$j" "$PROM_URL" step=5s jobs=$j partition= partitions="$T/parts"
	sed -i "s|^fetch-arg = $T/map.csv|fetch-arg = $T/bad.csv|" "$T/bad$j/conf"
	run_prog bf-backfill -c "$T/bad$j/conf"
	check_rc 2 "-j $j, a malformed query: exit 2"
	check_eq "$(cat "$T/err")" \
	    "bf-fetch: $T/bad.csv:3: metric 'commit_samples': prometheus $PROM_URL: http 400: bad_data: $want_err; query: rate(pg_stat_database_xact_commit{datname=\"db-1\"}[5m]" \
	    "-j $j, a malformed query: one message, with the expanded query"
	check_eq "$(sq "$T/bad$j/ledger.db" 'SELECT count(*) FROM windows' 2>/dev/null || echo 0)" 0 \
	    "-j $j, a malformed query: nothing committed"
	check_eq "$(ls -A "$T/bad$j/state" | grep -c '^\.run\.' || :)" 0 "-j $j: no run directory left"
done

# The fault server counts the requests: the check's instant query is asked
# once for the run, and when it is refused no range query follows.
start_faultserver
printf 'metric,unit,query\ncommits,Count,bf_fault_metric\n' >"$T/fault.csv"
for M in ok,id=good status=400,errortype=bad_data,query,id=bad; do
	conf "$T/f$M" "$BASE/$M" jobs=3 partition= partitions="$T/parts"
	sed -i "s|^fetch-arg = $T/map.csv|fetch-arg = $T/fault.csv|" "$T/f$M/conf"
	run_prog bf-backfill -c "$T/f$M/conf"
	case $M in
	ok*)
		check_eq "$(requests "query:$M")" 1 "-j 3 over 3 partitions: the check asks once"
		check_eq "$(requests "$M")" 6 "and each pipeline's bf-fetch fetches its windows without a check of its own" ;;
	*)
		check_rc 2 "the fault server refuses the query: exit 2"
		check_eq "$(requests "query:$M")/$(requests "$M")" 1/0 "refused: asked once, no window fetched"
		check_eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "refused: one message" ;;
	esac
done

# The source down mid-run: the fault server answers the first 6 windows,
# then 503, over 1 and 2 days of 1h windows (24 and 48): the messages do
# not grow with the windows, the URL is said as often in both, and no line
# promises a "next probe".
for days in 1 2; do
	M=after=6,status=503,id=down$days
	d=$T/down$days
	conf "$d" "$BASE/$M" to=2026-01-0$((days + 1))T00:00:00Z now=2026-01-04T00:00:00Z
	sed -i "s|^fetch-arg = $T/map.csv|fetch-arg = $T/fault.csv|" "$d/conf"
	RC=0
	bf-backfill -c "$d/conf" >"$d/out" 2>"$d/err" || RC=$?
	check_eq "$RC" 1 "$days day(s), the source down after 6 windows: exit 1"
	grep -q "^bf-backfill: 6 windows committed, $((24 * days - 6)) failed, of $((24 * days)) planned" "$d/err" &&
	    pass "$days day(s): 6 committed, $((24 * days - 6)) failed" ||
	    { fail "$days day(s): 6 committed, $((24 * days - 6)) failed"; diag "$(cat "$d/err")"; }
	wc -l <"$d/err" | tr -d ' ' >"$d/lines"
	grep -c "prometheus $BASE/$M:" "$d/err" >"$d/urls" || :
	check_eq "$(grep -c 'next probe' "$d/err")" 0 "$days day(s): nothing promises a next probe"
	check_eq "$(grep -c "$M?\|$M&" "$d/err")" 0 "$days day(s): the URL without its query string"
done
# Bounds, not equality: which failures come first on a loaded machine
# (4 windows in flight, the breaker opening among them) may add a line.
# 18 and 42 failed windows, at most 12 lines and the URL at most 6 times
# in both: per cause, not per window.
for days in 1 2; do
	[ "$(cat "$T/down$days/lines")" -le 12 ] &&
	    pass "$days day(s): $(cat "$T/down$days/lines") lines of messages (at most 12)" ||
	    { fail "$days day(s): at most 12 lines of messages"; diag "$(cat "$T/down$days/err")"; }
	[ "$(cat "$T/down$days/urls")" -le 6 ] &&
	    pass "$days day(s): the URL said $(cat "$T/down$days/urls") times (at most 6)" ||
	    { fail "$days day(s): the URL said at most 6 times"; diag "$(cat "$T/down$days/err")"; }
done
M=after=6,status=503,id=down2
check_eq "$(grep '^bf-backfill:   failed: ' "$T/down2/err" | grep -c "prometheus $BASE/$M: ")" \
    "$(grep -c '^bf-backfill:   failed: ' "$T/down2/err")" "the summary's failed lines name the URL"
check_eq "$(sed -n 's/^bf-backfill:   failed: \([0-9]*\) windows, .*/\1/p' "$T/down2/err" | awk '{ n += $1 } END { print n }')" \
    42 "they count the 42 failed windows, a line per cause"

# A source that does not answer: exit 69, one message with its URL.
port=$(free_port)
conf "$T/down" "http://127.0.0.1:$port" jobs=3 partition= partitions="$T/parts"
run_prog bf-backfill -c "$T/down/conf"
check_rc 69 "a closed port: exit 69"
check_eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "a closed port: one message"
grep -q "prometheus http://127.0.0.1:$port" "$T/err" && pass "it names the URL" ||
    { fail "it names the URL"; diag "$(cat "$T/err")"; }

# --dry-run shows the check.
run_prog bf-backfill -c "$T/step/conf" --dry-run
check_eq "$(grep -c '^bf-window .* | head -n 1 | bf-fetch .* --check$' "$T/out")" 1 "--dry-run: the check"
check_eq "$(grep -c '^| bf-fetch .* --no-check \\$' "$T/out")" 1 "--dry-run: the pipeline's bf-fetch skips it"
done_testing
