#!/bin/sh
# tests/bench/waits.sh: where the pipeline waits (issue 18, item 3). The
# pipeline of the pipeline bench (bf-window | bf-fetch --source file |
# bf-validate | bf-aggregate | bf-load, the demo configuration, bf-gen
# telemetry) at 247k and 1M samples, run by tests/bench/stagetimes.py,
# which samples each stage's CPU time every millisecond: per stage its
# start and end, wall, CPU, time waiting for a CPU (runq: 2 cores, 5
# stages, other load), time blocked (waiting for input, for room in its
# output or for the disk), when it had done 5 %, 50 % and 95 % of its CPU
# work, and its CPU use over the pipeline's time. Then the waits it finds:
#   - the start: the first stage after bf-fetch starts its work (5 %) only
#     when bf-fetch's first window comes out; before that nothing
#     downstream can run;
#   - the tail: how long bf-load runs after bf-aggregate has ended;
# and the pipeline's wall time / the sum of the stages' CPU time (the
# lower, the more the stages run together; 1 / cores is the floor). The
# fastest of BF_BENCH_WAIT_RUNS runs (default 3) counts.
# Before and after, in the same run: bf-load --batch 1 (a commit, and a
# sync of the disk, for every window, as bf-load did without --batch
# before its group commit) beside bf-load as it is.
#   BF_BENCH_WAIT_SIZES  the sizes in samples (default "247000 1000000"),
#                        each times BF_BENCH_SCALE
#   BF_FETCH_ARGS        more arguments for bf-fetch
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "python3 is not installed: skipped"; exit 0; }
[ -r /proc/self/schedstat ] || { echo "no /proc/PID/schedstat: skipped"; exit 0; }
for c in bf-gen bf-window bf-fetch bf-validate bf-aggregate bf-load; do
	command -v $c >/dev/null || { echo "$c is not installed: skipped"; exit 0; }
done
DEMO=$top/examples/demo
ST=$top/tests/bench/stagetimes.py
NOW=2027-01-01T00:00:00Z
runs=${BF_BENCH_WAIT_RUNS:-3}
status=0
summary=

# pipeline DATA FROM TO DIR [BF-LOAD-ARGS]: one run into DIR (from
# scratch); its report in DIR/report
pipeline() {
	rm -rf "$4"; mkdir -p "$4"
	sync
	# shellcheck disable=SC2086
	python3 "$ST" -o "$4/out" \
	    "$BF_BIN/bf-window" -f "$2" -t "$3" -s 24h -P "$DEMO/instances.txt" -d "$4/state" ::: \
	    "$BF_BIN/bf-fetch" --source file ${BF_FETCH_ARGS:-} --data "$1" ::: \
	    "$BF_BIN/bf-validate" -c "$DEMO/contract.json" -d "$4/dlq" -n $NOW ::: \
	    "$BF_BIN/bf-aggregate" -r "$DEMO/rates.csv" -t "$DEMO/tenants.csv" ::: \
	    "$BF_BIN/bf-load" ${5:-} -d "$4/bf.db" -s "$4/state" >"$4/report" 2>"$4/err"
}

for n0 in ${BF_BENCH_WAIT_SIZES:-247000 1000000}; do
	n=$(scaled "$n0")
	d=$W/w$n
	mkdir -p "$d"
	"$BF_BIN/bf-gen" -n 20 -d 3650 --fine-from-day 2 -l "$n" >"$d/samples.ndjson"
	set -- $(gen_range "$d/samples.ndjson")
	from=$1 to=$2
	for variant in before after; do
		largs=
		[ $variant = before ] && largs="--batch 1"
		best=
		i=0
		while [ $i -lt "$runs" ]; do
			rc=0
			pipeline "$d/samples.ndjson" "$from" "$to" "$d/run" "$largs" || rc=$?
			if [ $rc != 0 ]; then
				echo "the pipeline at $n samples exited with status $rc: $(tail -n 1 "$d/run/err")"
				status=1; break
			fi
			w=$(sed -n 's/^wall_ms=\([0-9]*\) .*/\1/p' "$d/run/report")
			if [ -z "$best" ] || [ "$w" -lt "$best" ]; then
				best=$w; cp "$d/run/report" "$d/best"
			fi
			i=$((i + 1))
		done
		[ -n "$best" ] || continue
		echo
		echo "### $n samples, [$from, $to), bf-load ${largs:-as it is}: the fastest of $runs runs (ms)"
		grep -v '^wall_ms=' "$d/best"
		line=$(awk '
		$1 ~ /^bf-/ { name[++k] = $1; start[k] = $2; end[k] = $3; p5[k] = $8 }
		/^wall_ms=/ { split($0, a, /[= ]/); wall = a[2]; cpu = a[4]; r = a[6] }
		END {
			printf "%d samples, bf-load %s: wall / CPU %s (wall %d ms, CPU %d ms); start: %s begins its work at %d ms, %.0f %% of the wall, when bf-fetch'"'"'s first window comes out; tail: %s ends %d ms after %s\n",
			    n, v, r, wall, cpu, name[3], p5[3], (wall > 0 ? 100 * p5[3] / wall : 0),
			    name[k], end[k] - end[k - 1], name[k - 1]
		}' n="$n" v="${largs:-as it is}" "$d/best")
		echo "$line"
		summary="$summary$line
"
	done
	rm -rf "$d"
done
echo
echo "### waits (the pipeline's wall time over the sum of its stages' CPU time; the floor is 1/$(nproc))"
printf '%s' "$summary"
exit $status
