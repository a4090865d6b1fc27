#!/bin/sh
# tests/bench/load.sh: bf-load's speed against the bulk loaders of its
# warehouses, on the same N usage rows (default 100000 times
# BF_BENCH_SCALE, made by bf-aggregate from bf-gen telemetry: 99 instances,
# one partition, hourly windows of 495 rows; 1M rows took over 5 minutes
# here, too long for make bench):
#   - SQLite: bf-load (--batch 1 and --batch 100, with a state directory)
#     beside `sqlite3 .import` of the same rows as CSV into the same usage
#     table (created by bf-load, with its key and index);
#   - PostgreSQL (a throwaway cluster, tests/lib/pg.sh): bf-load beside
#     `psql \copy` of the CSV into the same table.
# bf-load writes usage, ledger (one charge per row, hashed into its chain)
# and windows, and checks every rule, in one transaction per batch; the
# import writes one table. The target is a ratio within 3.
# Usage: tests/bench/load.sh [N]
. "$(dirname "$0")/lib.sh"
n=${1:-$(scaled 100000)}

# bf-gen's 99 instances in one partition, hourly windows: bf-aggregate
# makes 495 usage rows (5 metrics) of each window's 12 samples a series.
# The same rows as NDJSON and as CSV (in the columns of the usage table).
per=495
windows=$(( (n + per - 1) / per ))
days=$(( (windows + 23) / 24 ))
GEN_HOURLY=1 GEN_PARTITION=fleet gen_stream -n 99 -d "$days" --malformed-ppm 0 \
    --duplicate-ppm 0 -l $((windows * per * 12)) |
bf-aggregate -r "$top/examples/demo/rates.csv" -t "$top/examples/demo/tenants.csv" \
    >"$W/usage.ndjson"
rows=$(grep -c '"type":"usage"' "$W/usage.ndjson")
windows=$(grep -c '"type":"window"' "$W/usage.ndjson")
jq -r 'select(.type == "usage") | [.instance_id, .metric, .window_start,
    .window_end, .partition, (.tenant // ""), .aggregate, .value, .samples,
    .expected_samples, .coverage, .quantity, .usage_unit, .unit_price, .cost,
    .currency, (.allocations | tojson), .source, ("0" * 64), "bench",
    "2026-01-01T00:00:00Z", .resolution] | @csv' "$W/usage.ndjson" >"$W/usage.csv"
echo "load: $rows usage rows in $windows windows," \
    "$(wc -c <"$W/usage.ndjson") bytes NDJSON, $(wc -c <"$W/usage.csv") bytes CSV"

# SQLite.
if command -v sqlite3 >/dev/null 2>&1; then
	bf-load --db "$W/ref.db" </dev/null
	measure "sqlite3 .import (CSV, usage only)" \
	    "sqlite3 '$W/ref.db' '.mode csv' '.import $W/usage.csv usage'"
	ref=$SECS
	test "$(sqlite3 "$W/ref.db" 'select count(*) from usage')" = $rows ||
	    echo "sqlite3 .import did not import every row"
	for b in 1 100; do
		rm -rf "$W/bf.db" "$W/bf.db-wal" "$W/bf.db-shm" "$W/state"
		measure "bf-load --batch $b (usage, ledger, windows)" \
		    "bf-load --db '$W/bf.db' --state '$W/state' --batch $b '$W/usage.ndjson'"
		echo "ratio bf-load --batch $b / sqlite3 .import: $(ratio "$SECS" "$ref")"
	done
	test "$(sqlite3 "$W/bf.db" 'select count(*) from ledger')" = $rows ||
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
test "$(psql -d ref -Atc 'select count(*) from usage')" = $rows ||
    echo "psql \\copy did not copy every row"
for b in 1 100; do
	createdb "bf$b"
	measure "bf-load --batch $b into PostgreSQL" \
	    "bf-load --db 'postgresql:///bf$b?host=$PGHOST&port=$PGPORT' --state '$W/pgstate$b' --batch $b '$W/usage.ndjson'"
	printf "ratio bf-load --batch %s / psql \\\\copy: %s\\n" "$b" "$(ratio "$SECS" "$ref")"
done
test "$(psql -d bf100 -Atc 'select count(*) from ledger')" = $rows ||
    echo "bf-load did not load every row into PostgreSQL"
