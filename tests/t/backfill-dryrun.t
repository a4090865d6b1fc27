#!/bin/sh
# bf-backfill --dry-run: the bill of the plan (bf-backfill(1), DRY RUN).
# After the pipeline lines, one "plan" line per partition and a
# "plan_total" line, every figure computed here from the range, the data
# and the step:
# 1. The file source: windows from the range arithmetic, points the
#    records of each partition in the range (jq over the data); --now and
#    --settle, -p, --shard (FNV-1a 64 in python3) and --force select what
#    the pipelines would plan. A dry run creates neither the state
#    directory nor the warehouse, and changes nothing in them when they
#    exist.
# 2. Prometheus, asked nothing: requests = windows x metrics x chunks of
#    11,000 points, points = windows x metrics x (window / step), seconds
#    at --rate 2/s with --burst 3 = (requests - 3) / 2; the total's
#    seconds from the total requests. A server that logs every request
#    logs none; a closed port plans the same.
# 3. A plan that cannot be made (no data file) prints no NDJSON line and
#    exits with bf-fetch's status.
# Every NDJSON line parses; the totals are the sums of the partitions.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock python3 curl; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done

epoch() { date -u -d "$1" +%s; }

# plan_of OUT: the NDJSON lines of a dry run's output, after checking
# that they all come after the pipeline (whose last line is bf-load's
# stage) and that each is a JSON object.
plan_of() {
	awk '/^\{/ { json = 1; print; next }
	    json { print "not JSON after the plan: " $0 > "/dev/stderr"; exit 1 }
	    { last = $0 }
	    END { if (last !~ /^\| bf-load /) {
		print "the last pipeline line is not bf-load: " last > "/dev/stderr"; exit 1 } }' "$1"
}
# check_plan OUT WANT MSG: the plan lines as
# "partition windows requests points seconds" against WANT, every line
# parses, and the total is the sum of the partitions.
check_plan() {
	if plan_of "$1" >"$T/plan" 2>"$T/plan.err" && jq -e . "$T/plan" >/dev/null 2>&1; then
		pass "$3: the plan lines parse, after the pipeline"
	else
		fail "$3: the plan lines parse, after the pipeline"; diag "$(cat "$T/plan.err" "$1")"
	fi
	check_eq "$(jq -r 'select(.type == "plan") |
	    "\(.partition) \(.windows) \(.requests) \(.points) \(.seconds)"' "$T/plan")" \
	    "$2" "$3: per partition"
	check_eq "$(jq -s -c '[map(select(.type == "plan")) as $p |
	    ($p | length), ($p | map(.windows) | add // 0),
	    ($p | map(.requests) | add // 0), ($p | map(.points) | add // 0)]' "$T/plan")" \
	    "$(jq -c 'select(.type == "plan_total") |
	    [.partitions, .windows, .requests, .points]' "$T/plan")" \
	    "$3: the total is the sum"
	check_eq "$(grep -c '"type":"plan_total"' "$T/plan")" 1 "$3: one plan_total line"
}

# --- 1. the file source -------------------------------------------------------
mkdir "$T/f"
small_data "$T/f"
write_conf "$T/f.conf" "$T/f" now=2026-06-01
# points WHO FROM TO: the records of WHO in [FROM, TO), from the data.
points() {
	jq -r --arg p "$1" --arg f "$2" --arg t "$3" \
	    'select(.instance_id == $p and .ts >= $f and .ts < $t) | .ts' \
	    "$T/f/data.ndjson" | wc -l | tr -d ' '
}
from=2026-01-01T00:00:00Z to=2026-01-03T00:00:00Z
w=$((($(epoch $to) - $(epoch $from)) / 3600))
want="db-01 $w 0 $(points db-01 $from $to) null
db-02 $w 0 $(points db-02 $from $to) null"
run_prog bf-backfill -c "$T/f.conf" --dry-run
check_rc 0 "file: dry run"
check_plan "$T/out" "$want" "file"
check_eq "$(jq -c 'select(.type == "plan_total") | [.seconds, .rate]' "$T/plan")" \
    "[null,null]" "file: no rate: seconds and rate null"
check_eq "$(ls "$T/f")" "data.ndjson
src.sh" "file: neither the state directory nor the warehouse created"
# The pipeline lines are those of a dry run before the plan: the check,
# then the five stages.
check_eq "$(grep -c '^bf-window .* | head -n 1 | bf-fetch .* --check$' "$T/out")" 1 \
    "file: the check's line stays"
check_eq "$(grep -c '^| bf-\(fetch\|validate\|aggregate\|load\) ' "$T/out")" 4 \
    "file: the pipeline's lines stay"

# A rate through fetch-arg: the file source sends no request, so 0 s.
run_prog bf-backfill -c "$T/f.conf" --dry-run --fetch-arg=--rate=2/s
check_eq "$(plan_of "$T/out" | jq -c 'select(.type == "plan_total") | [.seconds, .rate]')" \
    '[0,{"requests":2,"per_ms":1000,"burst":1}]' "file: --rate 2/s: 0 requests take 0 s"

# --now: the windows over and settled (1h) then; --settle 0: one more.
now=2026-01-02T12:00:00Z
for settle in 1h 0; do
	s=3600; [ $settle = 0 ] && s=0
	end=$(($(epoch $now) - s))
	w=$(((end - $(epoch $from)) / 3600))
	e=$(date -u -d @$end +%Y-%m-%dT%H:%M:%SZ)
	run_prog bf-backfill -c "$T/f.conf" --dry-run --now $now --settle $settle
	check_plan "$T/out" "db-01 $w 0 $(points db-01 $from $e) null
db-02 $w 0 $(points db-02 $from $e) null" "file: --now $now --settle $settle"
done

# -p over the config's partitions.
run_prog bf-backfill -c "$T/f.conf" --dry-run -p db-02
check_plan "$T/out" "db-02 48 0 $(points db-02 $from $to) null" "file: -p db-02"

# --shard I/2: the partitions whose FNV-1a 64 mod 2 is I.
for i in 0 1; do
	sel=$(python3 -c '
import sys
i = int(sys.argv[1])
for p in ("db-01", "db-02"):
    h = 0xcbf29ce484222325
    for b in p.encode():
        h = ((h ^ b) * 0x100000001b3) % 2**64
    if h % 2 == i:
        print(p)' $i)
	want=
	for p in $sel; do
		want="$want${want:+
}$p 48 0 $(points $p $from $to) null"
	done
	run_prog bf-backfill -c "$T/f.conf" --dry-run --shard $i/2
	check_rc 0 "file: --shard $i/2"
	check_plan "$T/out" "$want" "file: --shard $i/2 ($(echo $sel))"
done

# After a run: nothing to plan, but with --force everything; the state
# directory and the warehouse are left as they were.
run_prog bf-backfill -c "$T/f.conf"
check_rc 0 "file: the run"
# Every file and directory in it (but itself: SQLite creates and removes
# the warehouse's -wal and -shm files beside it when it reads it).
snapshot() {
	(cd "$T/f" && find . -mindepth 1 -printf '%p %s %m %T@\n' | sort && find . -type f -exec sha256sum {} + | sort)
}
snapshot >"$T/before"
run_prog bf-backfill -c "$T/f.conf" --dry-run
check_plan "$T/out" "" "file: after the run"
check_eq "$(jq -c 'select(.type == "plan_total") | [.partitions, .windows]' "$T/plan")" \
    "[0,0]" "file: after the run: nothing planned"
run_prog bf-backfill -c "$T/f.conf" --dry-run --force
check_plan "$T/out" "db-01 48 0 $(points db-01 $from $to) null
db-02 48 0 $(points db-02 $from $to) null" "file: --force"
snapshot >"$T/after"
check_file "$T/after" "$T/before" "file: the state directory and the warehouse unchanged"

# --- 2. Prometheus, asked nothing --------------------------------------------
python3 "$BF_TOP/tests/lib/faultserver.py" "$T/port" "$T/log" 120 2>"$T/server.err" &
server=$!
at_exit "kill $server"
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$T/port" ] || { fail "faultserver started"; diag "$(cat "$T/server.err")"; done_testing; exit 1; }
port=$(cat "$T/port")
cat >"$T/map.csv" <<'EOF'
metric,unit,query
commits,Count,"pg_stat_database_xact_commit{datname=""${partition}""}"
conns,Count,"avg_over_time(pg_stat_activity_count{datname=""${partition}""}[5m])"
EOF
mkdir "$T/p"
write_conf "$T/p.conf" "$T/p" source=prometheus to=2026-01-02 size=6h step=1s \
    lookback=0 now=2026-06-01 fetch-arg=
printf 'fetch-arg = --url=http://127.0.0.1:%s/ok\nfetch-arg = --metrics=%s\n' \
    "$port" "$T/map.csv" >>"$T/p.conf"
# The figures: 4 windows of 6 h a partition, 2 queries, a point a second.
awk -v from="$(epoch 2026-01-01)" -v to="$(epoch 2026-01-02)" 'BEGIN {
	size = 6 * 3600; step = 1; metrics = 2; rate = 2; burst = 3
	w = (to - from) / size
	pts = size / step; chunks = int((pts + 10999) / 11000)
	req = w * metrics * chunks
	s = req - burst; if (s < 0) s = 0
	for (i = 1; i <= 2; i++)
		printf "db-0%d %d %d %d %s\n", i, w, req, w * metrics * pts, s / rate
	s = 2 * req - burst; if (s < 0) s = 0
	printf "total %d %s\n", 2 * req, s / rate
}' >"$T/p.want"
run_prog bf-backfill -c "$T/p.conf" --dry-run --fetch-arg=--rate=2/s --fetch-arg=--burst=3
check_rc 0 "prometheus: dry run"
check_plan "$T/out" "$(grep -v '^total' "$T/p.want")" "prometheus"
check_eq "$(jq -r 'select(.type == "plan_total") | "total \(.requests) \(.seconds)"' "$T/plan")" \
    "$(grep '^total' "$T/p.want")" "prometheus: the total's seconds from the total requests"
check_eq "$(wc -l <"$T/log" | tr -d ' ')" 0 "prometheus: no request reached the server"
curl -s "http://127.0.0.1:$port/ok/api/v1/query?query=up&time=1767225600" >/dev/null
check_eq "$(wc -l <"$T/log" | tr -d ' ')" 1 "(the server logs a request it gets)"
# The rate and burst keys (bf-backfill's own, when it has them) are
# what bf-fetch gets: the same plan.
cp "$T/p.conf" "$T/pk.conf"
printf 'rate = 2/s\nburst = 3\n' >>"$T/pk.conf"
run_prog bf-backfill -c "$T/pk.conf" --dry-run
if [ "$RC" = 2 ] && grep -q "unknown key 'rate'" "$T/err"; then
	echo "ok $((_n += 1)) - prometheus: the rate and burst keys # SKIP no rate key in this bf-backfill"
else
	check_rc 0 "prometheus: the rate and burst keys"
	check_plan "$T/out" "$(grep -v '^total' "$T/p.want")" "prometheus: the rate and burst keys"
fi
# Without a rate: seconds null. At a closed port: the same plan.
run_prog bf-backfill -c "$T/p.conf" --dry-run
check_eq "$(plan_of "$T/out" | jq -r 'select(.type == "plan") | .seconds' | sort -u)" "null" \
    "prometheus: no rate: seconds null"
sed -i "s|--url=.*|--url=http://127.0.0.1:1|" "$T/p.conf"
run_prog bf-backfill -c "$T/p.conf" --dry-run --fetch-arg=--rate=2/s --fetch-arg=--burst=3
check_rc 0 "prometheus at a closed port: dry run"
check_plan "$T/out" "$(grep -v '^total' "$T/p.want")" "prometheus at a closed port"
check_eq "$(ls "$T/p")" "" "prometheus: no state directory, no warehouse"

# --- 3. a plan that cannot be made ---------------------------------------------
write_conf "$T/n.conf" "$T/none" now=2026-06-01
run_prog bf-backfill -c "$T/n.conf" --dry-run
check_rc 2 "no data file: bf-fetch's status"
check_eq "$(grep -c '^{' "$T/out")" 0 "no data file: no plan line"
check_eq "$(tail -n 1 "$T/err")" "bf-backfill: --dry-run: cannot compute the plan" \
    "no data file: it says so, after bf-fetch's message"
grep -q "^bf-fetch: .*$T/none/data.ndjson" "$T/err" && pass "no data file: bf-fetch names it" ||
    { fail "no data file: bf-fetch names it"; diag "$(cat "$T/err")"; }
done_testing
