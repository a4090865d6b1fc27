#!/bin/sh
# bf-load reports windows that failed upstream once per cause (the error's
# stage and code): one line when a cause is first seen, and at the end one
# line per cause with its number of windows; the window lines on standard
# output keep every window's own error.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"

# 4 partitions x 25 days: day 5 and every 4th day ok, the others failed by
# bf-fetch (source_unavailable, a message per window) on even days and by
# bf-validate (reject_rate) on odd days.
for d in $(seq 1 25); do
	for p in db-1 db-2 db-3 db-4; do
		if [ $((d % 4)) = 1 ]; then
			gen $p 1 1 1 1 | sed "s/2026-01-01/2025-12-$d/g; s/2026-01-02/2025-12-$((d + 1))/g; s/2025-12-\([0-9]\)T/2025-12-0\1T/g"
		elif [ $((d % 2)) = 0 ]; then
			gen $p 1 1 0 0 | sed "s/2026-01-01/2025-12-$d/g; s/2026-01-02/2025-12-$((d + 1))/g; s/2025-12-\([0-9]\)T/2025-12-0\1T/g; s/\"status\":\"ok\"/\"status\":\"failed\",\"error\":{\"stage\":\"bf-fetch\",\"code\":\"source_unavailable\",\"message\":\"window $p $d: connection refused\"}/"
		else
			gen $p 1 1 0 0 | sed "s/2026-01-01/2025-12-$d/g; s/2026-01-02/2025-12-$((d + 1))/g; s/2025-12-\([0-9]\)T/2025-12-0\1T/g; s/\"status\":\"ok\"/\"status\":\"failed\",\"error\":{\"stage\":\"bf-validate\",\"code\":\"reject_rate\",\"message\":\"window $p $d: too many rejects\"}/"
		fi
	done
done >"$T/in.ndjson"
nfetch=$(jq -r 'select(.error.code=="source_unavailable") | 1' "$T/in.ndjson" | wc -l)
nval=$(jq -r 'select(.error.code=="reject_rate") | 1' "$T/in.ndjson" | wc -l)
nok=$(jq -r 'select(.type=="window" and .status=="ok") | 1' "$T/in.ndjson" | wc -l)
first_fetch=$(grep -n source_unavailable "$T/in.ndjson" | head -1 | cut -d: -f1)
first_val=$(grep -n reject_rate "$T/in.ndjson" | head -1 | cut -d: -f1)

run_prog bf-load --db "$T/w.db" "$T/in.ndjson"
check_rc 1 "windows failed upstream"
check_eq "$(grep -c . "$T/err")" 4 "four lines on stderr, not one per window"
check_eq "$(sed -n 1p "$T/err")" \
    "bf-load: $T/in.ndjson:$first_fetch: window 'db-1' 2025-12-02T00:00:00Z/2025-12-03T00:00:00Z failed upstream (bf-fetch: source_unavailable: window db-1 2: connection refused): not committed" \
    "the first window of the first cause, with its message"
check_eq "$(sed -n 2p "$T/err")" \
    "bf-load: $T/in.ndjson:$first_val: window 'db-1' 2025-12-03T00:00:00Z/2025-12-04T00:00:00Z failed upstream (bf-validate: reject_rate: window db-1 3: too many rejects): not committed" \
    "the first window of the second cause"
check_eq "$(sed -n '3,4p' "$T/err")" \
    "bf-load: $nfetch windows failed upstream (bf-fetch: source_unavailable): not committed
bf-load: $nval windows failed upstream (bf-validate: reject_rate): not committed" \
    "at the end, one line per cause with its count ($nfetch, $nval)"
check_eq "$(jq -r 'select(.status=="failed") | .error.message' "$T/out" | sort)" \
    "$(jq -r 'select(.status=="failed") | .error.message' "$T/in.ndjson" | sort)" \
    "every failed window line keeps its own error on stdout"
check_eq "$(sq "$T/w.db" 'select count(*) from windows')" "$nok" "the $nok ok windows are committed"
done_testing
