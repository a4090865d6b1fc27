#!/bin/sh
# examples/prometheus end to end against the real thing: a PostgreSQL server,
# Debian's postgres_exporter and node_exporter, and a Prometheus scraping
# both every second with the example's prometheus.yml, all on loopback in
# the test's directory; a pgbench load, and reports dropped and created
# again (a new datid for the same datname); then bf-backfill with the example's
# backfill.conf, metrics map, contract, rates and tenants over 3 windows of
# 10 s that ended a moment ago (--settle 0, --now).
#
# The figures are checked against the raw samples read back from Prometheus
# with range-vector queries (metric[RANGE] at a fixed time), not against
# increase(), which extrapolates. The map's queries are selectors and sums
# of selectors, which bf-fetch reads raw (bf-fetch(1)): a window [s, e)
# holds the samples scraped in [s, e), at their scrape times to the
# second, and its counter's rise starts at the last sample before s (the
# lookback sample). The test computes that from the raw samples (python3,
# decimal), adding up the series of each scrape as the map's sums do: per
# window and counter the increase (a fall is a reset), per gauge the
# integral, the quantity and cost under the rate card; and per counter the
# sum over the windows against last - first of the range. The same map
# written as other queries (0 + ...) is read on the step grid, and is
# checked against the grid rule: a window holds the points s ... e - 1,
# each the last sample at or before it.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/pg.sh"
. "$BF_TOP/tests/lib/prom.sh"
. "$BF_TOP/tests/lib/exporters.sh"
[ "${BF_SANITIZE:-}" != 1 ] ||
	skip_all "PostgreSQL, two exporters and Prometheus run once, in the plain make check"
[ "${BF_VALGRIND:-}" != 1 ] ||
	skip_all "PostgreSQL, two exporters and Prometheus run once, in the plain make check"
need_exporters
for p in jq sqlite3 python3 pgbench psql curl; do
	command -v $p >/dev/null || skip_all "$p is not installed (run .ci/deps)"
done
EX=$BF_TOP/examples/prometheus
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# promq QUERY [TIME]: the JSON answer of an instant query.
promq() {
	curl -sf "$PROM_URL/api/v1/query" --data-urlencode "query=$1" \
	    ${2:+--data-urlencode "time=$2"}
}
# wait_for QUERY: until the instant query QUERY returns a sample (at most
# 20 s, else the test fails).
wait_for() {
	_i=0
	while [ $_i -lt 200 ]; do
		[ "$(promq "$1" | jq '.data.result | length')" -gt 0 ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	fail "Prometheus has no answer to $1"
	exit 1
}

# The databases of examples/prometheus/databases.txt, on one server: app
# gets the load and owns the host's CPU (prometheus.yml), reports is idle
# but for one table it creates.
start_pg
createdb app
createdb reports
start_pg_exporter
start_node_exporter
sed -e 's/scrape_interval: 5s/scrape_interval: 1s/' \
    -e "s/'127.0.0.1:9187'/'$PG_EXPORTER'/" \
    -e "s/'127.0.0.1:9100'/'$NODE_EXPORTER'/" "$EX/prometheus.yml" >"$T/prometheus.yml"
check_eq "$(grep -c "'$PG_EXPORTER'\|'$NODE_EXPORTER'\|interval: 1s" "$T/prometheus.yml")" 3 \
    "the example's prometheus.yml, with the test's ports and a 1 s scrape"
start_prom_scraping "$T/prometheus.yml"
wait_for 'pg_stat_database_xact_commit{datname="reports"}'
wait_for 'node_cpu_seconds_total{datname="app"}'

# The range: 3 windows of 10 s from the first multiple of 10 s at least 2 s
# after both exporters were scraped, the load in the first two.
now=$(date +%s)
from=$(((now + 2 + 9) / 10 * 10))
to=$((from + 30))
pgbench -i -q app >"$T/pgbench.log" 2>&1 || { cat "$T/pgbench.log" >&2; exit 1; }
while [ "$(date +%s)" -lt $((from + 1)) ]; do sleep 0.1; done
pgbench -T 8 -c 2 app >>"$T/pgbench.log" 2>&1 || { cat "$T/pgbench.log" >&2; exit 1; }
psql -q reports -c 'CREATE TABLE t AS SELECT g FROM generate_series(1, 100000) g'
# reports is dropped and created again (a restore): a new datid, the same
# datname, its counters from 0.
psql -q -c 'DROP DATABASE reports' -c 'CREATE DATABASE reports'
psql -q reports -c 'CREATE TABLE t AS SELECT 1 AS one'
# Until both targets were scraped after the range's end: a scrape's samples
# are stored together, so every sample of the range is there.
wait_for "count(timestamp(up) >= $to) == 2"

check_eq "$(promq "count(count by (datid) (count_over_time(pg_stat_database_xact_commit{datname=\"reports\"}[$((to - from))s])))" $to |
    jq -r '.data.result[0].value[1]')" 2 "reports was created again inside the range: 2 datids"

# The example as a user copies it; only the URL changes.
mkdir -p "$T/examples"
cp -R "$EX" "$T/examples/prometheus"
sed -i "s|http://127.0.0.1:9090|$PROM_URL|" "$T/examples/prometheus/backfill.conf"
cd "$T"
# backfill NAME [FLAG]...: the example's backfill of the range, its state,
# warehouse and DLQ under NAME/.
backfill() {
	_bn=$1
	shift
	run_prog bf-backfill -c examples/prometheus/backfill.conf \
	    --from "$(iso $from)" --to "$(iso $to)" --size 10s --step 1s \
	    --settle 0 --now "$(iso $((to + 1)))" --no-progress \
	    --state "$_bn/state" --db "$_bn/ledger.db" --dlq "$_bn/dlq.ndjson" "$@"
}
backfill run
check_rc 0 "bf-backfill of the example"
[ "$RC" -eq 0 ] || cat "$T/err" >&2
check_eq "$(grep -c '6 windows committed, 0 failed' "$T/err")" 1 \
    "the summary: 6 windows committed, 0 failed"
check_eq "$(sqlite3 run/ledger.db 'SELECT partition, count(*), sum(usage_rows) FROM windows GROUP BY 1')" \
    "app|3|15
reports|3|12" "every window committed: app 5 metrics, reports 4 (the host's CPU is app's)"
check_eq "$(cd run/state/watermarks 2>/dev/null && jq -r '.partition + " " + .watermark' app.json reports.json 2>/dev/null)" \
    "app $(iso $to)
reports $(iso $to)" "both partitions complete: watermarks at the range's end"
check_eq "$(test -s run/dlq.ndjson && wc -l <run/dlq.ndjson || echo 0)" 0 \
    "no sample rejected by the contract"

cat >"$T/check.py" <<'EOF'
# check.py MODE URL FROM TO SIZE RATES [DB]: what the windows of [FROM, TO)
# come to from the raw samples in Prometheus. A scrape stamps all its
# samples with one time; per metric the test adds up, scrape by scrape,
# the series it selects (none: no value), as the map's sum does: on the
# grid (PromQL) a series missing from a scrape is stale, in the raw sum
# of bf-fetch(1) it keeps its last value (see scrapes()). MODE grid:
# a window [s, e) sees the points s ... e-1 (1 s step), each the value of
# the last scrape at or before it, and the last point before s with a
# value (lookback 15m); MODE window: it sees the scrapes in [s, e) and the
# last one with a value before s. Counters: the sum of the rises, a fall
# being a reset; gauges: the integral, each value holding until the next
# (the first from s). Prints "partition|metric|window_start|aggregate|
# quantity|cost", sorted. MODE totals: per counter of app, "partition|
# metric|sum over the windows in DB|last - first of the range".
import bisect, csv, json, sqlite3, sys, time, urllib.parse, urllib.request
from decimal import Decimal as D, ROUND_FLOOR, ROUND_HALF_EVEN, getcontext
getcontext().prec = 80
mode, url, frm, to, size, rates_file = sys.argv[1:7]
frm, to, size = int(frm), int(to), int(size)
LOOKBACK = 900
r9 = lambda x: format(x.quantize(D('1e-9'), rounding=ROUND_HALF_EVEN), 'f')
# The test's own selectors, not the map's: metric -> (job, selector,
# kind); %s is the database. The host's CPU, every busy mode of every CPU,
# is app's alone.
metrics = {
    'pg_commits': ('postgres', 'pg_stat_database_xact_commit{datname="%s"}', 'counter'),
    'pg_blocks_read': ('postgres', 'pg_stat_database_blks_read{datname="%s"}', 'counter'),
    'pg_database_size': ('postgres', 'pg_database_size_bytes{datname="%s"}', 'gauge'),
    'pg_connections': ('postgres', 'pg_stat_database_numbackends{datname="%s"}', 'gauge'),
    'cpu_seconds': ('node', 'node_cpu_seconds_total{job="node",mode!~"idle|iowait"}', 'counter'),
}
parts = {'app': list(metrics), 'reports': [m for m in metrics if m != 'cpu_seconds']}
rates = {r['metric']: r for r in csv.DictReader(open(rates_file))}

def raw(sel):
    """each series' samples [(ts, value)] up to TO, from a range vector"""
    q = urllib.parse.urlencode({'query': '%s[%ds]' % (sel, to - frm + 2 * LOOKBACK),
                                'time': str(to)})
    with urllib.request.urlopen(url + '/api/v1/query?' + q) as f:
        ans = json.load(f)
    assert ans['status'] == 'success' and ans['data']['result'], (sel, ans)
    return [[(D(str(t)), D(v)) for t, v in s['values']]
            for s in ans['data']['result']]

def scrapes(job, sel, carry):
    """[(ts, the sum of the series' values at that scrape, or None)]. Not
    carry (PromQL on the grid): a series missing from a scrape is stale.
    carry (bf-fetch(1)'s raw sum): each series counts with its last value
    at or before the scrape, so one that stops (a database dropped) keeps
    its last value and one that starts (created again) adds from its first
    value on."""
    times = sorted({ts for se in raw('up{job="%s"}' % job) for ts, v in se})
    series = [dict(se) for se in raw(sel)]
    last, out = [None] * len(series), []
    for ts in times:
        for i, se in enumerate(series):
            last[i] = se.get(ts, last[i] if carry else None)
        seen = [v for v in last if v is not None]
        out.append((ts, sum(seen, D(0)) if seen else None))
    return out

def increase(vals):
    return sum((b if b < a else b - a for a, b in zip(vals, vals[1:])), D(0))

def grid_window(sc, kind, s, e):
    times = [ts for ts, v in sc]
    at = lambda t: sc[bisect.bisect_right(times, D(t)) - 1][1] \
        if bisect.bisect_right(times, D(t)) else None
    start = next((at(t) for t in range(s - 1, s - 1 - LOOKBACK, -1)
                  if at(t) is not None), None)
    pts = [at(t) for t in range(s, e)]
    if kind == 'counter':
        return increase([v for v in [start] + pts if v is not None])
    agg, hold = D(0), start
    for v in pts:
        hold = v if v is not None else hold
        agg += hold if hold is not None else 0
    return agg

def own_window(sc, kind, s, e):
    # bf's times are whole seconds: a scrape at ts is billed at floor(ts),
    # which keeps it in its window
    sc = [(ts.to_integral_value(ROUND_FLOOR), v) for ts, v in sc
          if v is not None]
    before = [v for ts, v in sc if ts < s][-1:]
    inside = [(ts, v) for ts, v in sc if s <= ts < e]
    if kind == 'counter':
        return increase(before + [v for ts, v in inside])
    held = ([(D(s), before[0])] if before else []) + inside
    ends = [ts for ts, v in held[1:]] + [D(e)]
    return sum(((b - ts) * v for (ts, v), b in zip(held, ends)), D(0))

out = []
for part, ms in parts.items():
    for m in ms:
        job, sel, kind = metrics[m]
        sc = scrapes(job, sel % part if '%s' in sel else sel, mode != 'grid')
        if mode == 'totals':
            if kind != 'counter' or part != 'app':
                continue
            db = sqlite3.connect(sys.argv[7])
            got = sum((D(v) for (v,) in db.execute(
                'SELECT value FROM usage WHERE instance_id = ? AND metric = ?',
                (part, m))), D(0))
            last = lambda t: [v for ts, v in sc if v is not None and ts < t][-1]
            out.append('%s|%s|%s|%s' % (part, m, r9(got),
                                        r9(last(to) - last(frm))))
            continue
        r = rates[m]
        for s in range(frm, to, size):
            f = grid_window if mode == 'grid' else own_window
            agg = f(sc, kind, s, s + size)
            q = (agg * D(r['multiplier'] or 1) / D(r['divisor'] or 1)).quantize(
                D('1e-9'), rounding=ROUND_HALF_EVEN)
            out.append('|'.join((part, m, time.strftime('%Y-%m-%dT%H:%M:%SZ',
                time.gmtime(s)), r9(agg), r9(q), r9(q * D(r['unit_price'])))))
print('\n'.join(sorted(out)))
EOF
# expect MODE [DB]: check.py's figures for the range.
expect() {
	python3 "$T/check.py" "$1" "$PROM_URL" $from $to 10 \
	    examples/prometheus/rates.csv ${2:+"$2"}
}
# usage DB: what bf billed, in check.py's columns.
usage() {
	sqlite3 "$1" 'SELECT partition, metric, window_start, value, quantity,
	    cost FROM usage ORDER BY 1, 2, 3'
}
expect window >"$T/want"
usage run/ledger.db >"$T/got"
check_eq "$(wc -l <"$T/got")" 27 "27 usage rows: 3 windows, app 5 metrics, reports 4"
check_file "$T/got" "$T/want" \
    "every window's increase, integral, quantity and cost as the samples scraped in [s, e) say"
# Not a test of nothing: the load is there.
check_eq "$(awk -F'|' -v w="$(iso $from)" '
    $1 == "app" && $3 == w && ($2 == "pg_commits" && $4 > 1000 || $2 == "cpu_seconds" && $4 > 0)
    ' "$T/want" | wc -l)" 2 "under pgbench, app's first window: over 1000 commits, CPU seconds"
expect totals run/ledger.db >"$T/totals"
check_eq "$(awk -F'|' '$3 != $4' "$T/totals")" "" \
    "per counter of app, the windows add up to last - first of the range"
check_eq "$(wc -l <"$T/totals")" 3 "the totals of app's 3 counters"
# The ledger's charges are the usage rows' costs.
check_eq "$(sqlite3 run/ledger.db "SELECT count(*) FROM ledger WHERE kind = 'charge'")" 27 \
    "one ledger charge per usage row"

# The README's walk-through shows the map's queries as they are.
check_eq "$(python3 -c 'import csv, sys
readme = open(sys.argv[2]).read().replace("\\|", "|")
for r in csv.DictReader(open(sys.argv[1])):
    if "`%s` | `%s`" % (r["metric"], r["query"]) not in readme:
        print(r["metric"])' examples/prometheus/metrics.csv "$BF_TOP/README.md")" "" \
    "README.md shows each query of metrics.csv"

# The bare spelling of the placeholder, {datname=${partition}}, gives the
# same bill.
sed 's/""\${partition}""/${partition}/g' examples/prometheus/metrics.csv >bare.csv
check_eq "$(grep -c 'datname=\${partition}' bare.csv)" 5 "the map with bare placeholders"
sed "s|examples/prometheus/metrics.csv|bare.csv|" \
    examples/prometheus/backfill.conf >bare.conf
run_prog bf-backfill -c bare.conf --from "$(iso $from)" --to "$(iso $to)" \
    --size 10s --step 1s --settle 0 --now "$(iso $((to + 1)))" --no-progress \
    --state bare/state --db bare/ledger.db --dlq bare/dlq.ndjson
check_rc 0 "bf-backfill with bare placeholders"
usage bare/ledger.db >"$T/got.bare"
check_file "$T/got.bare" "$T/got" "bare and quoted placeholders: the same usage rows"

# The walk-through's troubles (README.md). A query Prometheus refuses, a
# brace left out: one message with the map's line, the metric and the
# expanded query; exit 2; nothing committed.
sed 's/xact_commit{datname=""\${partition}""}/xact_commit{datname=""${partition}""/' \
    examples/prometheus/metrics.csv >typo.csv
sed "s|examples/prometheus/metrics.csv|typo.csv|" \
    examples/prometheus/backfill.conf >typo.conf
run_prog bf-backfill -c typo.conf --from "$(iso $from)" --to "$(iso $to)" \
    --size 10s --step 1s --settle 0 --now "$(iso $((to + 1)))" --no-progress \
    --state typo/state --db typo/ledger.db --dlq typo/dlq.ndjson
check_rc 2 "a query Prometheus refuses"
check_eq "$(grep -c 'parse error' "$T/err")" 1 "said once"
check_eq "$(grep 'parse error' "$T/err" | grep -c "typo.csv:2: metric 'pg_commits'.*query: sum without (datid) (pg_stat_database_xact_commit{datname=\"app\")")" 1 \
    "with the map's line, the metric and the expanded query"
check_eq "$(sqlite3 typo/ledger.db 'SELECT count(*) FROM windows' 2>/dev/null || echo 0)" 0 \
    "nothing committed"
# A misspelt partition: Prometheus has nothing for it; it is not committed
# (exit 1), the other one is.
printf 'app_db\nreports\n' >misspelt.txt
backfill misspelt --partitions misspelt.txt
check_rc 1 "a partition Prometheus has no series for"
check_eq "$(grep -c "app_db" "$T/err")" 1 "said once"
check_eq "$(sqlite3 misspelt/ledger.db 'SELECT partition, count(*) FROM windows GROUP BY 1')" \
    "reports|3" "its windows are not committed, the other partition's are"

# The same map as queries that are not selectors (0 + ...): read on the
# step grid, a window's bill is what the grid rule says, and the check of
# the raw samples finds it wrong (a sample scraped at s - 0.4 s is a rise
# of [s - 10, s), billed on the grid in [s, s + 10)).
sed 's/,"\(.*\)"$/,"0 + \1"/' examples/prometheus/metrics.csv >grid.csv
check_eq "$(grep -c ',"0 + ' grid.csv)" 5 "the map as 0 + ... queries"
sed "s|examples/prometheus/metrics.csv|grid.csv|" \
    examples/prometheus/backfill.conf >grid.conf
run_prog bf-backfill -c grid.conf --from "$(iso $from)" --to "$(iso $to)" \
    --size 10s --step 1s --settle 0 --now "$(iso $((to + 1)))" --no-progress \
    --state grid/state --db grid/ledger.db --dlq grid/dlq.ndjson
check_rc 0 "bf-backfill of the map on the step grid"
usage grid/ledger.db >"$T/got.grid"
expect grid >"$T/want.grid"
check_file "$T/got.grid" "$T/want.grid" \
    "on the grid: each window as the points s ... e - 1 say"
if cmp -s "$T/got.grid" "$T/want"; then
	fail "on the grid: found wrong by the check of the raw samples"
else
	pass "on the grid: found wrong by the check of the raw samples"
fi

done_testing
