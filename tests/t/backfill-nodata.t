#!/bin/sh
# Empty is not complete (bf-backfill(1), PROGRESS AND SUMMARY): a misspelled
# partition, for which the source has nothing in any window, is listed as
# "no data" with its number of windows, its windows are not committed, it
# is not complete and gets no watermark, and the run exits 1; the next run
# plans it again. Windows without samples in a partition that has samples
# elsewhere are committed and counted. --allow-no-data (and the key
# allow-no-data) commits the empty partition.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done

# db-02 for one day, without its samples from 10:00 to 12:59.
small_data "$T" 2 1
grep -v '"instance_id":"db-02".*"ts":"2026-01-01T1[0-2]:' "$T/data.ndjson" |
    grep '"instance_id":"db-02"' >"$T/d2"
mv "$T/d2" "$T/data.ndjson"
# The hours of the day in which db-02 has no sample, by awk over the data.
empty_hours=$(awk '{ i = index($0, "\"ts\":\"2026-01-01T"); if (i) h[substr($0, i + 17, 2)] = 1 }
    END { for (i = 0; i < 24; i++) if (!(sprintf("%02d", i) in h)) n++; print n + 0 }' "$T/data.ndjson")
check_eq "$empty_hours" 3 "the data: db-02 has no sample in 3 hours"
# app_db: a misspelled partition, next to a good one.
write_conf "$T/conf" "$T" to=2026-01-02 partition=db-02
echo "partition = app_db" >>"$T/conf"

run_prog bf-backfill -c "$T/conf"
check_rc 1 "a partition without data: exit 1"
check_eq "$(grep -c "^bf-backfill:   no data: partition 'app_db', 24 windows \[2026-01-01T00:00:00Z, 2026-01-02T00:00:00Z): .*not committed, not complete (--allow-no-data commits them)$" "$T/err")" 1 \
    "the summary lists app_db with its 24 windows"
check_eq "$(grep -c 'app_db' "$T/err")" 1 "said once, by the summary (bf-load's note is left out)"
check_eq "$(grep -c '^bf-backfill:   no samples: 3 windows, committed: ' "$T/err")" 1 \
    "the windows without samples of db-02, which has samples elsewhere, are counted"
grep -q '^bf-backfill:   no samples: .*: db-02 \[2026-01-01T10:00:00Z, 2026-01-01T11:00:00Z), db-02 \[2026-01-01T11:00:00Z, 2026-01-01T12:00:00Z), db-02 \[2026-01-01T12:00:00Z, 2026-01-01T13:00:00Z)$' "$T/err" &&
    pass "and named" || { fail "and named"; diag "$(cat "$T/err")"; }
check_eq "$(sq "$T/ledger.db" 'SELECT partition, count(*) FROM windows GROUP BY 1')" "db-02|24" \
    "db-02's 24 windows are committed, the 3 empty ones too; none of app_db"
check_eq "$(sq "$T/ledger.db" "SELECT count(*) FROM ledger WHERE partition = 'app_db'")" 0 \
    "no ledger entry for app_db"
check_eq "$(ls "$T/state/watermarks")" "db-02.json" "a watermark for db-02 only"
check_eq "$(tail -n 1 "$T/err")" \
    "bf-backfill: 1 of 2 partitions complete up to 2026-01-02T00:00:00Z; 1 watermarks in $T/state/watermarks" \
    "app_db is not complete"

run_prog bf-backfill -c "$T/conf"
check_rc 1 "the next run: exit 1 again"
grep -q '^bf-backfill: 0 windows committed, 0 failed, of 24 planned; ' "$T/err" &&
    pass "it plans app_db's 24 windows again" || { fail "it plans app_db's 24 windows again"; diag "$(cat "$T/err")"; }

# The key, in the config: bf-load gets --allow-no-data.
cp "$T/conf" "$T/conf.yes"
echo "allow-no-data = yes" >>"$T/conf.yes"
run_prog bf-backfill -c "$T/conf.yes" --dry-run
check_eq "$(grep -c '^| bf-load .* --allow-no-data$' "$T/out")" 1 "allow-no-data = yes: bf-load --allow-no-data"
run_prog bf-backfill -c "$T/conf" --dry-run
check_eq "$(grep -c 'allow-no-data' "$T/out")" 0 "without it: not passed"

run_prog bf-backfill -c "$T/conf" --allow-no-data
check_rc 0 "--allow-no-data: exit 0"
check_eq "$(sq "$T/ledger.db" 'SELECT partition, count(*) FROM windows GROUP BY 1')" "app_db|24
db-02|24" "--allow-no-data: app_db's windows are committed, empty"
check_eq "$(sq "$T/ledger.db" "SELECT count(*) FROM usage WHERE instance_id = 'app_db'")" 0 \
    "--allow-no-data: without usage"
check_eq "$(grep -c '^bf-backfill:   no samples: 24 windows, committed: ' "$T/err")" 1 \
    "--allow-no-data: counted as windows without samples"
check_eq "$(ls "$T/state/watermarks" | tr '\n' ' ')" "app_db.json db-02.json " \
    "--allow-no-data: app_db is complete"
done_testing
