#!/bin/sh
# bf-window --settle and --now: a window is planned only when its end is at
# or before now - settle; the others are counted (stderr note, --count).
# Expected plans are computed here in python3 from the grid arithmetic,
# not by bf.
. "$(dirname "$0")/../lib/common.sh"
command -v python3 >/dev/null || skip_all "python3 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"

# cases SEED: "FROM TO SIZE_S NOW SETTLE_S" lines inside March 2026 (no
# billing-cycle cut), and for each the expected windows and wait count.
python3 - "$T" <<'PY'
import random, sys
from datetime import datetime, timezone
d = sys.argv[1]
r = random.Random(13)
base = int(datetime(2026, 3, 1, tzinfo=timezone.utc).timestamp())
fmt = lambda t: datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
with open(d + "/cases", "w") as f:
    for k in range(40):
        size = r.choice([300, 3600, 21600, 86400])
        frm = base + r.randrange(0, 5) * 86400 + r.randrange(0, 24) * 3600
        to = frm + r.randrange(1, 3 * 86400)
        now = frm + r.randrange(-3600, 4 * 86400)
        settle = r.choice([0, 60, 3600, 7200, 86400])
        mid = frm - frm % 86400
        wins, wait = [], 0
        s = frm
        while s < to:
            e = min(mid + ((s - mid) // size + 1) * size, to)
            if e <= now - settle:
                wins.append((s, e))
            else:
                wait += 1
            s = e
        f.write("%d %d %d %d %d\n" % (frm, to, size, now, settle))
        with open("%s/want.%d" % (d, k), "w") as w:
            for s, e in wins:
                w.write("%s %s\n" % (fmt(s), fmt(e)))
        with open("%s/wait.%d" % (d, k), "w") as w:
            w.write("%d\n" % wait)
PY

k=0
while read -r frm to size now settle; do
	st=$settle; [ "$st" = 0 ] || st=${settle}s
	run_prog bf-window -f "$frm" -t "$to" -s "${size}s" -p db-1 --now "$now" --settle "$st"
	check_rc 0 "case $k"
	jq -r '"\(.window_start) \(.window_end)"' "$T/out" >"$T/got"
	check_file "$T/got" "$T/want.$k" "case $k: the settled windows, and only they"
	wait=$(cat "$T/wait.$k")
	if [ "$wait" -gt 0 ]; then
		check_eq "$(sed -n 's/^bf-window: \([0-9]*\) windows* waits* to settle .*/\1/p' "$T/err")" \
		    "$wait" "case $k: stderr counts the windows that wait"
	else
		check_eq "$(cat "$T/err")" "" "case $k: nothing waits, nothing said"
	fi
	run_prog bf-window -f "$frm" -t "$to" -s "${size}s" -p db-1 --now "$now" --settle "$st" --count
	check_eq "$(jq -c '[.windows, .settling]' "$T/out")" \
	    "[$(wc -l <"$T/want.$k"),$wait]" "case $k: --count"
	k=$((k + 1))
done <"$T/cases"

# BF_NOW stands in for the clock without --now; --now wins over it.
run_prog env BF_NOW=2026-03-01T07:00:00Z bf-window -f 2026-03-01 -t 2026-03-02 -s 6h -p a
check_eq "$(jq -r .window_end "$T/out")" 2026-03-01T06:00:00Z "BF_NOW is the clock"
run_prog env BF_NOW=2026-03-01T07:00:00Z bf-window -f 2026-03-01 -t 2026-03-02 -s 6h -p a --now 2026-03-02T01:00:00Z
check_eq "$(wc -l <"$T/out")" 4 "--now over BF_NOW"
# The wall clock by default (the hour now running starts at h): the
# running window is not planned, nor the one that ended less than an hour
# ago; the ones before are.
t=$(date +%s)
h=$((t - t % 3600))
run_prog bf-window -f $h -t $((h + 3600)) -s 1h -p a
check_eq "$(wc -l <"$T/out")" 0 "the running window is not planned on the wall clock"
run_prog bf-window -f $((h - 4 * 3600)) -t $h -s 1h -p a
check_eq "$(jq -r .window_end "$T/out" | tail -n 1)" "$(date -u -d @$((h - 3600)) +%Y-%m-%dT%H:%M:%SZ)" \
    "the last window planned on the wall clock ended at least an hour ago"
done_testing
