#!/bin/sh
# bf-load on SQLite: the exactly-once rules step by step (charge, rerun,
# correction, reversal, tenant change, refusals, failed and unfinished
# windows), checked by hand against the canonical export; batching; the
# schema version; checkpoints.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"

DB=$T/w.db
scenario_inputs "$T/in"
scenario "$DB" sq "$T/in"

check_eq "$(tr '\n' ' ' <"$T/sq.rcs")" \
    "01 0 02 0 03 0 04 0 05 0 06 1 07 1 08 1 09 1 10 0 11 1 12 1 13 1 14 0 15 0 16 0 17 0 18 1 " \
    "exit status of each step"

# 01: 3 windows x 2 instances x 2 metrics, one charge each.
check_eq "$(grep -c '"table":"usage"' "$T/sq.01.exp")" 12 "01: 12 usage rows"
check_eq "$(jq -r 'select(.table=="ledger") | .kind' "$T/sq.01.exp" | sort | uniq -c | tr -s ' ')" \
    " 12 charge" "01: 12 charges"
check_eq "$(jq -r 'select(.table=="ledger" and .instance_id=="db-1-i2" and .metric=="m1" and .window_start=="2026-01-01T00:00:00Z") | .amount' "$T/sq.01.exp")" \
    "0.211000000" "01: charge amount is the cost"
check_eq "$(jq -c 'select(.type=="window") | [.status,.loaded,.ledger_entries]' "$T/sq.01.out" | tr '\n' ' ')" \
    '["ok",4,4] ["ok",4,4] ["ok",4,4] ' "01: window lines re-emitted with counts"
test -s "$T/sq.01.err" && fail "01: quiet on stderr" || pass "01: quiet on stderr"

# 02: the same input again changes nothing.
check_file "$T/sq.02.exp" "$T/sq.01.exp" "02: rerun gives the same export"
check_eq "$(grep -c '"table":"ledger"' "$T/sq.02.exp")" 12 "02: no new ledger entry"
check_eq "$(jq -c 'select(.type=="window") | [.loaded,.unchanged,.ledger_entries]' "$T/sq.02.out" | sort -u)" \
    '[0,4,0]' "02: every row unchanged"

# 03: day 2 at three times the cost: corrections of the difference.
check_eq "$(jq -r 'select(.table=="ledger" and .kind=="correction") | .instance_id+" "+.metric+" "+.amount+" "+.reason' "$T/sq.03.exp")" \
"db-1-i1 m1 0.224000000 cost changed from 0.112000000 to 0.336000000
db-1-i1 m2 0.244000000 cost changed from 0.122000000 to 0.366000000
db-1-i2 m1 0.424000000 cost changed from 0.212000000 to 0.636000000
db-1-i2 m2 0.444000000 cost changed from 0.222000000 to 0.666000000" \
    "03: four corrections with difference and reason"
check_eq "$(jq -r 'select(.table=="usage" and .instance_id=="db-1-i1" and .metric=="m1" and .window_start=="2026-01-02T00:00:00Z") | .cost' "$T/sq.03.exp")" \
    "0.336000000" "03: usage row replaced"

# 04: day 3 without instance 2: its rows go, their charges reversed.
check_eq "$(jq -r 'select(.table=="ledger" and .kind=="reversal") | .instance_id+" "+.metric+" "+.amount+" "+.reason' "$T/sq.04.exp")" \
"db-1-i2 m1 -0.213000000 no longer produced
db-1-i2 m2 -0.223000000 no longer produced" "04: two reversals"
check_eq "$(jq -r 'select(.table=="usage" and .window_start=="2026-01-03T00:00:00Z") | .instance_id' "$T/sq.04.exp" | sort -u)" db-1-i1 \
    "04: the rows no longer produced are gone"

# 05: day 1 now belongs to tenant globex: reversal for acme, charge for globex.
check_eq "$(diff "$T/sq.04.exp" "$T/sq.05.exp" | sed -n 's/^> //p' | jq -r 'select(.table=="ledger") | .kind+" "+.tenant+" "+.amount+" "+.reason' | sort | head -2)" \
"charge globex 0.111000000 newly allocated to this tenant
charge globex 0.121000000 newly allocated to this tenant" "05: charges for the new tenant"
check_eq "$(diff "$T/sq.04.exp" "$T/sq.05.exp" | sed -n 's/^> //p' | jq -r 'select(.table=="ledger" and .kind=="reversal") | .tenant+" "+.amount+" "+.reason' | sort | head -1)" \
    "acme -0.111000000 no longer allocated to this tenant" "05: reversals for the old tenant"
check_eq "$(jq -r 'select(.table=="ledger") | .kind' "$T/sq.05.exp" | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')" \
    "charge=16 correction=4 reversal=6 " "05: ledger kinds after five steps"

# 06-09: refusals write nothing and say why.
for n in 06 07 08 09; do
	check_file "$T/sq.$n.exp" "$T/sq.05.exp" "$n: refused window wrote nothing"
done
grep -q "refused: it overlaps the committed window 2026-01-01T00:00:00Z/2026-01-02T00:00:00Z of the partition with other bounds" "$T/sq.06.err" &&
    pass "06: overlap message" || { fail "06: overlap message"; diag "$(cat "$T/sq.06.err")"; }
grep -q "refused: the usage key of instance 'db-1-i1' metric 'm1' is owned by partition 'db-1' in that window" "$T/sq.07.err" &&
    pass "07: key owned message" || { fail "07: key owned message"; diag "$(cat "$T/sq.07.err")"; }
grep -q "is owned by partition 'db-1'" "$T/sq.08.err" &&
    pass "08: key owned in an overlapping window" || { fail "08: key owned in an overlapping window"; diag "$(cat "$T/sq.08.err")"; }
grep -q "refused: no usage rows arrived for it and 4 rows are billed (--allow-empty removes them)" "$T/sq.09.err" &&
    pass "09: empty window message" || { fail "09: empty window message"; diag "$(cat "$T/sq.09.err")"; }
check_eq "$(jq -r 'select(.type=="window") | .status+" "+.error.stage+" "+.error.code' "$T/sq.09.out")" \
    "failed bf-load empty_window" "09: window line re-emitted as failed"

# 10: --allow-empty removes day 2 and reverses its (corrected) charges.
check_eq "$(diff "$T/sq.09.exp" "$T/sq.10.exp" | sed -n 's/^> //p' | jq -r '.kind+" "+.amount' | sort | tr '\n' ' ')" \
    "reversal -0.336000000 reversal -0.366000000 reversal -0.636000000 reversal -0.666000000 " \
    "10: --allow-empty reverses the window's balance"
check_eq "$(sq "$DB" "select usage_rows from windows where partition = 'db-1' and window_start = '2026-01-02T00:00:00Z'")" 0 \
    "10: window recorded with 0 rows"

# 11-13: failed, unfinished and bad windows write nothing.
for n in 11 12 13; do
	check_file "$T/sq.$n.exp" "$T/sq.10.exp" "$n: nothing written"
done
grep -q "window 'db-1' 2026-01-04T00:00:00Z/2026-01-05T00:00:00Z failed upstream (bf-fetch: timeout: source timed out): not committed" "$T/sq.11.err" &&
    pass "11: failed upstream reported" || { fail "11: failed upstream reported"; diag "$(cat "$T/sq.11.err")"; }
check_eq "$(cat "$T/sq.12.err")" \
    "bf-load: $T/in/12.ndjson:1: window 'db-1' 2026-01-04T00:00:00Z/2026-01-05T00:00:00Z: 2 usage lines without their window line: not committed" \
    "12: unfinished window reported"
grep -q '13.ndjson:1: "cost" is not a decimal' "$T/sq.13.err" &&
    pass "13: bad usage line reported" || { fail "13: bad usage line reported"; diag "$(cat "$T/sq.13.err")"; }
check_eq "$(head -1 "$T/sq.14.out")" '{"type":"sample","partition":"db-2","note":"passed through"}' \
    "14: other lines pass through"
check_eq "$(jq -r 'select(.table=="ledger" and .partition=="db-2") | .kind' "$T/sq.15.exp" | sort | uniq -c | tr -s ' ')" \
    " 5 charge" "15: interleaved windows of two partitions"
check_eq "$(sq "$DB" "select count(*) from windows")" 8 "8 windows recorded"

# 16-18: the ledger follows each tenant's share of a shared instance.
check_eq "$(jq -r 'select(.table=="ledger" and .partition=="db-3") | .kind+" "+.tenant+" "+.amount+" "+.reason' "$T/sq.16.exp")" \
"charge acme 0.600000000 first load
charge globex 0.400000000 first load" "16: one charge per tenant's share"
check_eq "$(diff "$T/sq.16.exp" "$T/sq.17.exp" | sed -n 's/^> //p' | jq -r 'select(.table=="ledger") | .kind+" "+.tenant+" "+.amount+" "+.reason')" \
"charge initech 0.400000000 newly allocated to this tenant
reversal globex -0.400000000 no longer allocated to this tenant" \
    "17: another split: acme's share unchanged, globex's moved to initech"
check_file "$T/sq.18.exp" "$T/sq.17.exp" "18: nothing written"
grep -q '18.ndjson:1: allocations add up to 0.500000000, not to the cost 1.000000000' "$T/sq.18.err" &&
    pass "18: allocations that do not add up are refused" ||
    { fail "18: allocations that do not add up are refused"; diag "$(cat "$T/sq.18.err")"; }

# Checkpoints: committed ranges, grid, digest and chain head of the db.
ck=$T/sq.state/db-1.ckpt
check_eq "$(jq -c '[.committed, .windows, .grid]' "$ck")" \
    '[[["2026-01-01T00:00:00Z","2026-01-04T00:00:00Z"],["2026-01-05T00:00:00Z","2026-01-06T00:00:00Z"]],4,"size=86400 phase=0 billing_day=1"]' \
    "checkpoint holds the committed windows"
check_eq "$(jq -r .chain_head "$ck")" \
    "$(sq "$DB" "select hash from ledger where partition = 'db-1' order by seq desc limit 1")" \
    "checkpoint chain head is the ledger's last hash"
check_eq "$(jq -r .last_digest "$ck")" \
    "$(sq "$DB" "select digest from windows where partition = 'db-1' and window_start = '2026-01-05T00:00:00Z'")" \
    "checkpoint last digest is the last window's"
check_eq "$(stat -c %a "$ck") $(stat -c %a "$DB")" "600 600" "checkpoint and warehouse are 0600"

# The hash chain links each entry to the previous one.
check_eq "$(sq "$DB" "select count(*) from ledger a join ledger b on a.partition = b.partition and b.seq = a.seq + 1 where b.prev_hash <> a.hash")" 0 \
    "each prev_hash is the previous entry's hash"
check_eq "$(sq "$DB" "select prev_hash from ledger where seq = 1 and partition = 'db-1'")" \
    0000000000000000000000000000000000000000000000000000000000000000 "the chain starts at 64 zeros"

# Batching: the ok steps in one run, at several batch sizes, give the same
# export as the step-by-step runs.
cat "$T"/in/01.ndjson "$T"/in/03.ndjson "$T"/in/04.ndjson "$T"/in/05.ndjson \
    "$T"/in/10.ndjson "$T"/in/14.ndjson "$T"/in/15.ndjson >"$T/all.ndjson"
for b in 1 3 100; do
	run_prog bf-load --db "$T/b$b.db" --allow-empty --batch "$b" "$T/all.ndjson"
	check_rc 0 "--batch $b"
	export_wh "$T/b$b.db" >"$T/b$b.exp"
	check_file "$T/b$b.exp" "$T/sq.15.exp" "--batch $b: same export as one run per step"
done

# Schema: versioned; a newer version is refused.
check_eq "$(sq "$DB" 'select version from schema_version')" 3 "schema version 3"
sq "$DB" 'update schema_version set version = 99'
run_prog bf-load --db "$DB" "$T/in/01.ndjson"
check_rc 2 "newer schema refused"
check_eq "$(cat "$T/err")" \
    "bf-load: warehouse '$DB' has schema version 99, newer than this program knows (3)" \
    "newer schema message"
done_testing
