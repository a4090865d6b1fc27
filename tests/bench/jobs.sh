#!/bin/sh
# tests/bench/jobs.sh: bf-backfill -j 2 against -j 1 with the file source,
# on the demo's data (make demo: bf-gen -d 31, 20 instances, January 2026)
# and configuration (examples/demo/backfill.conf), each run in a directory
# of its own from scratch (the config's relative paths: demo/samples.ndjson,
# demo/state, demo/ledger.db), the fastest of BF_BENCH_JOBS_RUNS runs
# (default 3) counting. Prints wall and CPU time of each and the ratio
# -j 2 / -j 1; checks that both ledgers hold the same usage rows.
# Target (issue 18): -j 2 no slower than -j 1, within 10 % (ratio <= 1.10);
# a miss is printed, not an error. Exit status 1 when a run fails or the
# ledgers differ.
#   BF_BENCH_DEMO_DAYS  days of demo data (default 31: the demo's; times
#                       BF_BENCH_SCALE)
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed: skipped"; exit 0; }
for c in bf-gen bf-backfill sqlite3 bash; do
	command -v $c >/dev/null || { echo "$c is not installed: skipped"; exit 0; }
done
days=$(scaled "${BF_BENCH_DEMO_DAYS:-31}")
runs=${BF_BENCH_JOBS_RUNS:-3}
status=0
mkdir -p "$W/data"
"$BF_BIN/bf-gen" -d "$days" >"$W/data/samples.ndjson"
lines=$(wc -l <"$W/data/samples.ndjson" | tr -d ' ')
echo "demo data: bf-gen -d $days, $lines lines," \
    "$(mib_per_sec "$(wc -c <"$W/data/samples.ndjson")" 1) MiB;" \
    "bf-backfill -c examples/demo/backfill.conf, the fastest of $runs runs"
printf '%-22s %8s %8s %10s\n' "" "wall s" "cpu s" "RSS KiB"

# backfill JOBS: one run from scratch in $W/jJOBS; sets SECS, CPU, RSS, RC
backfill() {
	_r=$W/j$1
	rm -rf "$_r"; mkdir -p "$_r/demo"; chmod 700 "$_r/demo"
	ln -s "$top/examples" "$_r/examples"
	ln -s "$W/data/samples.ndjson" "$_r/demo/samples.ndjson"
	sync
	timed "-j $1" "cd '$_r' && bf-backfill -c examples/demo/backfill.conf -j $1 --no-progress >'$_r/out' 2>'$_r/err'"
}

for j in 1 2; do
	b= bc= br=
	i=0
	while [ $i -lt "$runs" ]; do
		backfill $j
		if [ "$RC" != 0 ]; then
			echo "bf-backfill -j $j exited with status $RC: $(tail -n 1 "$W/j$j/err")"
			status=1; break
		fi
		if [ -z "$b" ] || awk -v a="$SECS" -v b="$b" 'BEGIN { exit !(a < b) }'; then
			b=$SECS bc=$CPU br=$RSS
		fi
		i=$((i + 1))
	done
	printf '%-22s %8.2f %8.2f %10s\n' "bf-backfill -j $j" "${b:-0}" "${bc:-0}" "${br:-0}"
	eval "wall_$j=\${b:-0}"
	sqlite3 "$W/j$j/demo/ledger.db" "SELECT instance_id, metric, window_start, tenant, value,
	    samples, coverage, quantity, cost, allocations FROM usage ORDER BY 1, 2, 3" \
	    >"$W/rows.$j" 2>&1 || :
done
if cmp -s "$W/rows.1" "$W/rows.2" && [ -s "$W/rows.1" ]; then
	echo "the ledgers of -j 1 and -j 2 hold the same $(wc -l <"$W/rows.1" | tr -d ' ') usage rows"
else
	echo "the ledgers of -j 1 and -j 2 differ"; status=1
fi
r=$(ratio "$wall_2" "$wall_1")
echo "bf-backfill -j 2 / -j 1 wall time with the file source: $r (target <= 1.10):" \
    "$(awk -v r="$r" 'BEGIN { print (r <= 1.10 ? "met" : "MISSED") }')"
exit $status
