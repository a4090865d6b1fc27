#!/bin/sh
# tests/bench/window.sh: bf-window streams. Peak RSS and speed at 10k, 100k
# and 1M windows (times BF_BENCH_SCALE), for one partition with 1h windows
# over many years, and for 100 partitions in --order time. The RSS series
# must stay flat: the run fails when the largest plan needs more than 1.5
# times the memory of the smallest (plus 1 MiB of slack).
. "$(dirname "$0")/lib.sh"
command -v bf-window >/dev/null || { echo "bf-window not built"; exit 1; }
status=0

series() { # title, then the bf-window arguments for N windows use $n
	title=$1 args=$2
	first=
	printf '%s\n' "$title"
	for n in 10000 100000 1000000; do
		n=$(scaled "$n")
		eval "a=\"$args\""
		got=$(eval "bf-window $a" | wc -l | tr -d ' ')
		if [ "$got" != "$n" ]; then
			echo "  expected $n windows, got $got"; status=1
		fi
		measure "  $n windows" "bf-window $a"
		printf '%-40s %8s windows/s\n' "    speed" \
		    "$(awk -v n="$n" -v s="$SECS" 'BEGIN { if (s <= 0) s = 0.01; printf "%d", n / s }')"
		[ -n "$first" ] || first=$RSS
		last=$RSS
	done
	printf '  RSS at the largest / the smallest plan: %s\n' "$(ratio "$last" "$first")"
	if [ "$RSS" != 0 ] && [ "$last" -gt $((first * 3 / 2 + 1024)) ]; then
		echo "  memory grows with the number of windows"; status=1
	fi
}

# Every window has ended by FUTURE (--now): none waits to settle.
FUTURE=2200-01-01T00:00:00Z
# One partition: n hourly windows from the epoch on (1M hours is 114 years).
series "one partition, 1h windows" '-f 0 -t $((n * 3600)) -s 1h -p db-1 --now $FUTURE'
# 100 partitions, n/100 windows each, interleaved.
i=0; : >"$W/parts"
while [ $i -lt 100 ]; do echo "db-$i" >>"$W/parts"; i=$((i + 1)); done
series "100 partitions, 1h windows, --order time" \
    '-f 0 -t $((n / 100 * 3600)) -s 1h -P $W/parts --order time --now $FUTURE'
exit $status
