#!/bin/sh
# bf-window --db: the plan comes from the warehouse's windows table (no
# state directory: the warehouse alone), a warehouse not created yet has
# nothing committed and is not created, a password in --db is refused, an
# unreachable warehouse is exit 69; bf-window --gaps --db agrees with
# bf-ledger gaps; bf-ledger watermark answers from the windows table.
# Expected plans are computed here (python3 over the grid, minus what
# sqlite3 reads from the windows table), not by bf.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock python3; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
small_data "$T" 3 2
DB=$T/ledger.db
# A warehouse with holes: db-01 and db-02 from 00:00 to 12:00 on January 1
# and from 06:00 on January 2 to January 3; db-03 nothing.
write_conf "$T/conf" "$T" size=6h
run_prog bf-backfill -c "$T/conf" --to 2026-01-01T12:00:00Z
check_rc 0 "the first part"
run_prog bf-backfill -c "$T/conf" --from 2026-01-02T06:00:00Z
check_rc 0 "the second part"
check_eq "$(sq "$DB" 'SELECT count(*) FROM windows')" 10 "10 windows in the warehouse"

# want FILE: the 6h windows of [2026-01-01, 2026-01-03) of db-01..db-03
# that the windows table lacks, as "partition start end" lines.
want() {
	sq "$DB" "SELECT partition || ' ' || window_start || ' ' || window_end FROM windows" | sort >"$T/have"
	python3 - >"$T/all" <<'PY'
from datetime import datetime, timedelta, timezone
t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
for p in ("db-01", "db-02", "db-03"):
    for k in range(8):
        a, b = t0 + timedelta(hours=6 * k), t0 + timedelta(hours=6 * (k + 1))
        print(p, a.strftime("%Y-%m-%dT%H:%M:%SZ"), b.strftime("%Y-%m-%dT%H:%M:%SZ"))
PY
	sort "$T/all" | comm -23 - "$T/have" >"$1"
}
want "$T/want"
check_eq "$(wc -l <"$T/want")" 14 "14 windows are not committed"
plan() { jq -r '"\(.partition) \(.window_start) \(.window_end)"' "$T/out" | sort; }

run_prog bf-window -f 2026-01-01 -t 2026-01-03 -s 6h -p db-01 -p db-02 -p db-03 \
    --settle 0 --db "$DB"
check_rc 0 "--db without --state"
check_eq "$(plan)" "$(cat "$T/want")" "without a state directory the plan is the warehouse's gaps"
run_prog bf-window -f 2026-01-01 -t 2026-01-03 -s 6h -p db-01 -p db-02 -p db-03 \
    --settle 0 --db "$DB" --state "$T/empty"
check_eq "$(plan)" "$(cat "$T/want")" "the same with an empty state directory"
check_eq "$(cat "$T/err")" "" "no warning without checkpoints"

# A checkpoint that claims the whole range: the windows it claims and the
# warehouse lacks are planned again, and a warning names them.
write_conf "$T/full.conf" "$T/full" size=6h
echo "partition = db-03" >>"$T/full.conf"
mkdir "$T/full"
ln -s "$T/data.ndjson" "$T/full/data.ndjson"
run_prog bf-backfill -c "$T/full.conf"
check_rc 0 "a full run elsewhere"
run_prog bf-window -f 2026-01-01 -t 2026-01-03 -s 6h -p db-01 -p db-02 -p db-03 \
    --settle 0 --db "$DB" --state "$T/full/state"
check_rc 0 "checkpoints ahead of the warehouse"
check_eq "$(plan)" "$(cat "$T/want")" "what the warehouse lacks is planned again"
check_eq "$(grep -c warning "$T/err")" 3 "one warning per partition"
grep -qxF "bf-window: warning: partition 'db-01': 3 windows the checkpoint calls committed are not in the warehouse (restored or failed over?): planned again: [2026-01-01T12:00:00Z, 2026-01-01T18:00:00Z), [2026-01-01T18:00:00Z, 2026-01-02T00:00:00Z), [2026-01-02T00:00:00Z, 2026-01-02T06:00:00Z)" "$T/err" &&
    pass "the warning names db-01's 3 windows" || { fail "the warning names db-01's 3 windows"; diag "$(cat "$T/err")"; }
grep -qxF "bf-window: warning: partition 'db-03': 8 windows the checkpoint calls committed are not in the warehouse (restored or failed over?): planned again: [2026-01-01T00:00:00Z, 2026-01-01T06:00:00Z), [2026-01-01T06:00:00Z, 2026-01-01T12:00:00Z), [2026-01-01T12:00:00Z, 2026-01-01T18:00:00Z) and 5 more" "$T/err" &&
    pass "the warning names db-03's first 3 windows and counts the rest" || { fail "db-03's warning"; diag "$(cat "$T/err")"; }
ls -l --time-style=+%s "$T/full/state"/*.ckpt >"$T/ck.before"
cksum "$T/full/state"/*.ckpt >>"$T/ck.before"
run_prog bf-window -f 2026-01-01 -t 2026-01-03 -s 6h -p db-01 --db "$DB" --state "$T/full/state" --count
ls -l --time-style=+%s "$T/full/state"/*.ckpt >"$T/ck.after"
cksum "$T/full/state"/*.ckpt >>"$T/ck.after"
check_file "$T/ck.after" "$T/ck.before" "bf-window writes no checkpoint"

# --gaps --db and bf-ledger gaps agree.
run_prog bf-window -f 2026-01-01 -t 2026-01-03 -p db-01 -p db-02 -p db-03 --db "$DB" --gaps
cp "$T/out" "$T/wgaps"
run_prog bf-ledger -d "$DB" gaps -f 2026-01-01 -t 2026-01-03 --partition db-01 --partition db-02 --partition db-03
check_file "$T/out" "$T/wgaps" "bf-window --gaps --db and bf-ledger gaps agree"
check_eq "$(jq -c '[.partition, .gap_start, .gap_end]' "$T/wgaps")" \
'["db-01","2026-01-01T12:00:00Z","2026-01-02T06:00:00Z"]
["db-02","2026-01-01T12:00:00Z","2026-01-02T06:00:00Z"]
["db-03","2026-01-01T00:00:00Z","2026-01-03T00:00:00Z"]' "the gaps are the warehouse's"

# bf-ledger watermark.
run_prog bf-ledger -d "$DB" watermark --partition db-01 --partition db-03
check_rc 0 "watermark"
d=$(sq "$DB" "SELECT digest FROM windows WHERE partition = 'db-01' AND window_start = '2026-01-01T06:00:00Z'")
h=$(sq "$DB" "SELECT chain_head FROM windows WHERE partition = 'db-01' AND window_start = '2026-01-01T06:00:00Z'")
check_eq "$(cat "$T/out")" "{\"type\":\"watermark\",\"partition\":\"db-01\",\"encoded\":\"db-01\",\"committed_from\":\"2026-01-01T00:00:00Z\",\"watermark\":\"2026-01-01T12:00:00Z\",\"last_window\":[\"2026-01-01T06:00:00Z\",\"2026-01-01T12:00:00Z\"],\"last_digest\":\"$d\",\"chain_head\":\"$h\"}
{\"type\":\"watermark\",\"partition\":\"db-03\",\"encoded\":\"db-03\",\"committed_from\":null,\"watermark\":null}" \
    "watermark: the first committed range and its last window, as the windows table has them"
run_prog bf-ledger -d "$DB" watermark
check_eq "$(jq -r .partition "$T/out" | tr '\n' ' ')" "db-01 db-02 " "watermark: every partition of the warehouse"
run_prog bf-ledger -d "$T/none.db" watermark -p x
check_rc 2 "watermark takes no --period"
run_prog bf-ledger -d "$T/none.db" watermark --partition x
check_rc 0 "watermark: a warehouse not created yet"
check_eq "$(jq -c '[.watermark]' "$T/out")" "[null]" "watermark: nothing committed"

# A warehouse not created yet: everything planned, nothing created.
run_prog bf-window -f 2026-01-01 -t 2026-01-02 -s 6h -p db-01 --settle 0 --db "$T/none.db"
check_rc 0 "a SQLite file that does not exist"
check_eq "$(wc -l <"$T/out")" 4 "every window is planned"
[ ! -e "$T/none.db" ] && pass "the file is not created" || fail "the file is not created"

# A password is refused before anything; an unreachable warehouse is 69.
run_prog bf-window -f 2026-01-01 -t 2026-01-02 -s 6h -p db-01 --db "postgresql://u:s3cret@localhost/bf"
check_rc 2 "a password in --db"
grep -q s3cret "$T/err" && fail "the password is not echoed" || pass "the password is not echoed"
run_prog bf-window -f 2026-01-01 -t 2026-01-02 -s 6h -p db-01 --db "host=$T/nosocket port=1 dbname=bf"
check_rc 69 "an unreachable warehouse"
check_eq "$(cat "$T/out")" "" "nothing is planned"
done_testing
