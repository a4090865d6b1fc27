#!/bin/sh
# tests/bench/memory.sh: the memory series of bf-fetch --source file
# (issue 18): at each size (default 100k, 1M and 10M samples of bf-gen, the
# pipeline bench's telemetry: 20 instances, daily windows of the demo's
# instance list) bf-fetch --source file alone, its windows from a file and
# its output to cksum, on the data in time order (as bf-gen writes it) and
# shuffled (shuf, seeded by the data file: the same order every run). For
# each: wall and CPU time, the peak of its anonymous memory (RssAnon of
# /proc/PID/status, sampled every millisecond by tests/bench/peakmem.py:
# heap and private maps, not the pages of the mapped data file), its peak
# resident set (the kernel's, mapped file pages included), the output's
# bytes and cksum (the same input gives the same output: compare them
# between two branches' runs).
# Target (issue 18): under 64 MiB of anonymous memory at 10M samples, in
# time order and shuffled; a miss is printed, not an error. Exit status 1
# when bf-fetch fails.
#   BF_BENCH_MEM_SIZES  the sizes in samples (default "100000 1000000
#                       10000000"), each times BF_BENCH_SCALE
#   BF_FETCH_ARGS       more arguments for bf-fetch (e.g. "--memory 32M")
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "python3 is not installed: skipped"; exit 0; }
[ -r /proc/self/status ] || { echo "no /proc: skipped"; exit 0; }
for c in bf-gen bf-window bf-fetch shuf; do
	command -v $c >/dev/null || { echo "$c is not installed: skipped"; exit 0; }
done
DEMO=$top/examples/demo
PEAK=$top/tests/bench/peakmem.py
TARGET_MIB=64
status=0
largest=0

printf '%10s %-10s %8s %8s %12s %12s %12s %12s\n' samples order "wall s" "cpu s" \
    "anon MiB" "RSS MiB" "out bytes" cksum
for n0 in ${BF_BENCH_MEM_SIZES:-100000 1000000 10000000}; do
	n=$(scaled "$n0")
	d=$W/m$n
	mkdir -p "$d"
	"$BF_BIN/bf-gen" -n 20 -d 3650 --fine-from-day 2 -l "$n" >"$d/time"
	set -- $(gen_range "$d/time")
	bf-window -f "$1" -t "$2" -s 24h -P "$DEMO/instances.txt" >"$d/windows"
	shuf --random-source="$d/time" "$d/time" >"$d/shuffled"
	for order in time shuffled; do
		sync
		# shellcheck disable=SC2086
		python3 "$PEAK" "$d/peak" "$BF_BIN/bf-fetch" --source file \
		    ${BF_FETCH_ARGS:-} --data "$d/$order" "$d/windows" | cksum >"$d/sum"
		read -r wall cpu anon rss _samples rc <"$d/peak"
		printf '%10d %-10s %8.2f %8.2f %12.1f %12.1f %12s %12s\n' "$n" "$order" \
		    "$wall" "$cpu" "$(awk -v k="$anon" 'BEGIN { print k / 1024 }')" \
		    "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$(cut -d' ' -f2 "$d/sum")" \
		    "$(cut -d' ' -f1 "$d/sum")"
		[ "$rc" = 0 ] || { echo "bf-fetch exited with status $rc"; status=1; }
		eval "anon_$order=\$anon"
	done
	if [ "$n" -gt "$largest" ]; then
		largest=$n big_time=$anon_time big_shuf=$anon_shuffled
	fi
	rm -rf "$d"
done
echo "(anon: peak RssAnon, sampled every ms; RSS: the kernel's peak resident set, mapped data file pages included)"
echo
awk -v n="$largest" -v a="$big_time" -v b="$big_shuf" -v t="$TARGET_MIB" 'BEGIN {
	printf "peak anonymous memory of bf-fetch --source file at %d samples: %.1f MiB in time order, %.1f MiB shuffled (target < %d MiB): %s\n",
	    n, a / 1024, b / 1024, t, (a < t * 1024 && b < t * 1024) ? "met" : "MISSED"
}'
exit $status
