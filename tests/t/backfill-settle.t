#!/bin/sh
# bf-backfill and settling (issue 13): a run up to "now" does not bill the
# window that is still running or not settled; its summary says how many
# wait, its exit is 0, no watermark passes them; a later run (now past
# their end plus settle) plans and bills them, and the warehouse is then
# what one run over the whole range gives. Also: the keys lookback,
# settle, min-coverage and now reach the programs (--dry-run), bad values
# are refused, and windows with conflicts are named in the summary.
# Expected counts are computed here from the window arithmetic.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
small_data "$T" 2 2

# 1. Up to 2026-01-02T12:30:00Z with the default settle (1h): hourly
# windows ending at or before 11:30 are planned, 24 + 11 per partition;
# the other 13 per partition wait.
write_conf "$T/conf" "$T"
run_prog bf-backfill -c "$T/conf" --now 2026-01-02T12:30:00Z
check_rc 0 "a run whose only unplanned windows wait to settle"
check_eq "$(sq "$T/ledger.db" 'SELECT count(*) FROM windows')" $((2 * (24 + 11))) \
    "the settled windows are committed"
check_eq "$(sq "$T/ledger.db" 'SELECT max(window_end) FROM windows')" 2026-01-02T11:00:00Z \
    "none that ends after now - 1h"
grep -q "^bf-backfill: $((2 * (24 + 11))) windows committed, 0 failed, of $((2 * (24 + 11))) planned;" "$T/err" &&
    pass "summary: committed of planned" || { fail "summary: committed of planned"; diag "$(cat "$T/err")"; }
grep -q "^bf-backfill:   $((2 * 13)) windows wait to settle (not planned; settle 1h, now 2026-01-02T12:30:00Z): the first can be planned from 2026-01-02T13:00:00Z$" "$T/err" &&
    pass "summary: how many wait to settle, and from when" ||
    { fail "summary: how many wait to settle, and from when"; diag "$(cat "$T/err")"; }
check_eq "$(grep -c 'bf-window: .* wait.* to settle' "$T/err")" 0 "bf-window's own note is not repeated"
check_eq "$(ls "$T/state/watermarks" 2>/dev/null | wc -l)" 0 "no watermark passes the windows that wait"

# 2. The running window with --settle 0: 12:00-13:00 is not over at 12:30.
write_conf "$T/conf0" "$T/zero" settle=0
write_conf_keys "$T/conf0" fetch-arg=
printf 'fetch-arg = --data\nfetch-arg = %s\n' "$T/data.ndjson" >>"$T/conf0"
run_prog bf-backfill -c "$T/conf0" --now 2026-01-02T12:30:00Z -j 2
check_rc 0 "--settle 0, -j 2"
check_eq "$(sq "$T/zero/ledger.db" 'SELECT max(window_end) FROM windows')" 2026-01-02T12:00:00Z \
    "settle 0: every window that is over, not the running one"
check_eq "$(sq "$T/zero/ledger.db" 'SELECT count(*) FROM windows')" $((2 * 36)) "36 windows a partition"

# 3. Later, now past the last window's end plus settle: the rest is
# planned and billed, the partitions are complete, and the warehouse is
# the one a single run over the range gives.
run_prog bf-backfill -c "$T/conf" --now 2026-01-03T01:00:00Z
check_rc 0 "the later run"
check_eq "$(sq "$T/ledger.db" 'SELECT count(*) FROM windows')" 96 "every window committed now"
grep -q "^bf-backfill: 26 windows committed, 0 failed, of 26 planned;" "$T/err" &&
    pass "the 26 that waited are planned now" || { fail "the 26 that waited are planned now"; diag "$(cat "$T/err")"; }
grep -q "wait to settle" "$T/err" && fail "nothing waits now" || pass "nothing waits now"
for p in db-01 db-02; do
	check_eq "$(jq -r .watermark "$T/state/watermarks/$p.json" 2>/dev/null)" 2026-01-03T00:00:00Z \
	    "$p: watermark at --to once complete"
done
write_conf "$T/conf1" "$T/one"
write_conf_keys "$T/conf1" fetch-arg=
printf 'fetch-arg = --data\nfetch-arg = %s\n' "$T/data.ndjson" >>"$T/conf1"
run_prog bf-backfill -c "$T/conf1"
check_rc 0 "one run over the range, on the wall clock"
export_wh "$T/ledger.db" >"$T/two.export"
export_wh "$T/one/ledger.db" >"$T/one.export"
check_file "$T/two.export" "$T/one.export" "settled in two runs = one run (canonical export)"

# 4. Pass-through, seen in --dry-run: lookback to bf-fetch and
# bf-validate, settle and now to bf-window, min-coverage to bf-aggregate.
# The plan after the pipeline lines reads the data (bf-fetch --dry-run).
mkdir -p "$T/dry" && : >"$T/dry/data.ndjson"
write_conf "$T/conf2" "$T/dry" lookback=2h settle=0 min-coverage=0.9 now=2026-02-01
run_prog bf-backfill -c "$T/conf2" --dry-run
check_rc 0 "dry run with the new keys"
check_eq "$(grep -c -- '^bf-window .* --now 2026-02-01T00:00:00Z --settle 0 ' "$T/out")" 2 "bf-window --now --settle (the check's and the pipeline's)"
check_eq "$(grep -c -- '^| bf-fetch .* --lookback 2h ' "$T/out")" 1 "bf-fetch --lookback"
check_eq "$(grep -c -- '^| bf-validate .* --lookback 2h ' "$T/out")" 1 "bf-validate --lookback"
check_eq "$(grep -c -- '^| bf-aggregate .* --min-coverage 0.9 ' "$T/out")" 1 "bf-aggregate --min-coverage"
run_prog bf-backfill -c "$T/conf2" --dry-run --lookback 0 --settle 15m --min-coverage 1 --now 2026-03-01T00:00:00Z
check_eq "$(grep -c -- '--lookback 0\b' "$T/out")" 2 "--lookback 0 over the config, to both"
check_eq "$(grep -c -- '--now 2026-03-01T00:00:00Z --settle 15m' "$T/out")" 2 "--now and --settle over the config"
check_eq "$(grep -c -- '--min-coverage 1 ' "$T/out")" 1 "--min-coverage over the config"
write_conf "$T/conf3" "$T/dry"
run_prog bf-backfill -c "$T/conf3" --dry-run
check_eq "$(grep -c -- '--lookback\|--min-coverage\|--settle' "$T/out")" 0 "unset keys are not passed"
for bad in "lookback=0x" "lookback=-1h" "settle=soon" "min-coverage=1.5" "min-coverage=-0.1" "now=never"; do
	write_conf "$T/conf4" "$T/dry" "$bad"
	run_prog bf-backfill -c "$T/conf4" --dry-run
	check_rc 2 "config $bad"
	grep -q "bad value" "$T/err" && pass "config $bad: says why" || { fail "config $bad: says why"; diag "$(cat "$T/err")"; }
done

# 5. A window with conflicts is named in the summary: one sample of db-01
# given again at the same ts with another value.
mkdir -p "$T/cf"
cp "$T/data.ndjson" "$T/cf/data.ndjson"
line=$(grep -m 1 '"instance_id":"db-01".*"ts":"2026-01-01T05:' "$T/data.ndjson")
printf '%s\n' "$line" | jq -c '.value += 1' >>"$T/cf/data.ndjson"
ws=$(printf '%s\n' "$line" | jq -r .window_start)
write_conf "$T/conf5" "$T/cf" to=2026-01-02
run_prog bf-backfill -c "$T/conf5"
check_rc 0 "a run with one conflicting sample"
grep -q "^bf-backfill:   conflicts: 1 window (.*): db-01 \[2026-01-01T05:00:00Z, 2026-01-01T06:00:00Z)$" "$T/err" &&
    pass "summary: one window with conflicts, named" || { fail "summary: one window with conflicts, named"; diag "$(cat "$T/err")"; }
# 6. A range that ended a moment ago (the last whole 10 minutes of the
# system clock), --settle 0: its partitions are listed for the hand-off
# too, complete, with their watermark at the range's end.
e=$(($(date +%s) / 600 * 600))
mkdir "$T/recent"
bf-gen -n 2 -d 1 -f "$(date -u -d "@$((e - 86400))" +%Y-%m-%dT%H:%M:%SZ)" >"$T/recent/data.ndjson"
write_conf "$T/recent/conf" "$T/recent" from=$((e - 3600)) to=$e size=10m settle=0
run_prog bf-backfill -c "$T/recent/conf"
check_rc 0 "a range that ended a moment ago"
end=$(date -u -d "@$e" +%Y-%m-%dT%H:%M:%SZ)
check_eq "$(tail -n 1 "$T/err")" \
    "bf-backfill: 2 of 2 partitions complete up to $end; 2 watermarks in $T/recent/state/watermarks" \
    "its partitions are complete"
check_eq "$(jq -r .watermark "$T/recent/state/watermarks/db-02.json")" "$end" "the watermark is its end"
done_testing
