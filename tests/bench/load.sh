#!/bin/sh
# tests/bench/load.sh: bf-load's speed against the bulk loaders of its
# warehouses, on the same N usage rows (default 1000000 times
# BF_BENCH_SCALE; 10 partitions, windows of 1000 rows):
#   - SQLite: bf-load (--batch 1 and --batch 100, with a state directory)
#     beside `sqlite3 .import` of the same rows as CSV into the same usage
#     table (created by bf-load, with its key and index);
#   - PostgreSQL (a throwaway cluster, tests/lib/pg.sh): bf-load beside
#     `psql \copy` of the CSV into the same table.
# bf-load writes usage, ledger (one charge per row, hashed into its chain)
# and windows, and checks every rule, in one transaction per batch; the
# import writes one table. The target is a ratio within 3.
# Usage: tests/bench/load.sh [N]
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/bench/lib.sh"
: "${BF_TOOLS:=$top/build/rel/tools}"
n=${1:-$((1000000 * BF_BENCH_SCALE))}
rows=1000
windows=$(( (n + rows - 1) / rows ))

# Window k: partition db-(k % 10), hour k / 10 from 2026-01-01; 100
# instances x 10 metrics per window. The same rows as NDJSON and as CSV.
awk -v nw="$windows" -v rows="$rows" -v ndj="$W/usage.ndjson" \
    -v csv="$W/usage.csv" 'BEGIN {
	split("31 28 31 30 31 30 31 31 30 31 30 31", mdays, " ")
	for (k = 0; k < nw; k++) {
		p = sprintf("db-%d", k % 10)
		h = int(k / 10)
		t0 = h; t1 = h + 1
		ws = stamp(t0); we = stamp(t1)
		for (r = 0; r < rows; r++) {
			inst = sprintf("%s-i%d", p, int(r / 10))
			m = sprintf("metric_%d", r % 10)
			q = (r * 7 + k) % 1000 + 1
			printf "{\"type\":\"usage\",\"partition\":\"%s\",\"instance_id\":\"%s\",\"metric\":\"%s\",\"window_start\":\"%s\",\"window_end\":\"%s\",\"aggregate\":\"integral\",\"value\":\"%d.000000000\",\"samples\":12,\"expected_samples\":12,\"coverage\":\"1.000000000\",\"quantity\":\"%d.000000000\",\"usage_unit\":\"GiB-Hours\",\"unit_price\":\"0.000158000\",\"cost\":\"0.%09d\",\"currency\":\"USD\",\"tenant\":\"acme\",\"allocations\":[{\"tenant\":\"acme\",\"cost_center\":\"cc-1\",\"cost\":\"0.%09d\"}]}\n", p, inst, m, ws, we, q * 3600, q, q * 158, q * 158 > ndj
			printf "%s,%s,%s,%s,%s,acme,integral,%d.000000000,12,12,1.000000000,%d.000000000,GiB-Hours,0.000158000,0.%09d,USD,\"[{\"\"tenant\"\":\"\"acme\"\",\"\"cost_center\"\":\"\"cc-1\"\",\"\"cost\"\":\"\"0.%09d\"\"}]\",,%064d,bench,2026-01-01T00:00:00Z\n", inst, m, ws, we, p, q * 3600, q, q * 158, q * 158, r > csv
		}
		printf "{\"type\":\"window\",\"partition\":\"%s\",\"window_start\":\"%s\",\"window_end\":\"%s\",\"grid\":\"size=3600 phase=0 billing_day=1\",\"status\":\"ok\",\"usage_rows\":%d}\n", p, ws, we, rows > ndj
	}
}
function stamp(hours,   d, mo) {
	d = int(hours / 24); mo = 1
	while (d >= mdays[mo]) { d -= mdays[mo]; mo++ }
	return sprintf("2026-%02d-%02dT%02d:00:00Z", mo, d + 1, hours % 24)
}'
echo "load: $((windows * rows)) usage rows in $windows windows of $rows," \
    "$(wc -c <"$W/usage.ndjson") bytes NDJSON, $(wc -c <"$W/usage.csv") bytes CSV"

# SQLite.
if command -v sqlite3 >/dev/null 2>&1; then
	bf-load --db "$W/ref.db" </dev/null
	measure "sqlite3 .import (CSV, usage only)" \
	    "sqlite3 '$W/ref.db' '.mode csv' '.import $W/usage.csv usage'"
	ref=$SECS
	test "$(sqlite3 "$W/ref.db" 'select count(*) from usage')" = $((windows * rows)) ||
	    echo "sqlite3 .import did not import every row"
	for b in 1 100; do
		rm -rf "$W/bf.db" "$W/bf.db-wal" "$W/bf.db-shm" "$W/state"
		measure "bf-load --batch $b (usage, ledger, windows)" \
		    "bf-load --db '$W/bf.db' --state '$W/state' --batch $b '$W/usage.ndjson'"
		echo "ratio bf-load --batch $b / sqlite3 .import: $(ratio "$SECS" "$ref")"
	done
	test "$(sqlite3 "$W/bf.db" 'select count(*) from ledger')" = $((windows * rows)) ||
	    echo "bf-load did not load every row"
	rm -f "$W"/*.db "$W"/*.db-wal "$W"/*.db-shm
else
	echo "sqlite3 not installed: no SQLite ratio"
fi

# PostgreSQL, in a throwaway cluster.
_at_exit=
at_exit() { _at_exit="$1; $_at_exit"; }
trap 'eval "$_at_exit" >/dev/null 2>&1; rm -rf "$W"' EXIT
skip_all() { echo "PostgreSQL: $*"; exit 0; }
fail() { echo "PostgreSQL: $*"; }
. "$top/tests/lib/pg.sh"
start_pg
createdb ref
bf-load --db "postgresql:///ref?host=$PGHOST&port=$PGPORT" </dev/null
measure "psql \\copy (CSV, usage only)" \
    "psql -q -d ref -c '\\copy usage FROM ''$W/usage.csv'' CSV'"
ref=$SECS
for b in 1 100; do
	createdb "bf$b"
	measure "bf-load --batch $b into PostgreSQL" \
	    "bf-load --db 'postgresql:///bf$b?host=$PGHOST&port=$PGPORT' --state '$W/pgstate$b' --batch $b '$W/usage.ndjson'"
	printf "ratio bf-load --batch %s / psql \\\\copy: %s\\n" "$b" "$(ratio "$SECS" "$ref")"
done
test "$(psql -d bf100 -Atc 'select count(*) from ledger')" = $((windows * rows)) ||
    echo "bf-load did not load every row into PostgreSQL"
