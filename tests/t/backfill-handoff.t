#!/bin/sh
# Resume and hand-off: a rerun after a complete run plans nothing and exits
# 0; each complete partition gets a watermark file (the instant a real-time
# consumer takes over, the last window and its digest, the chain head);
# --on-complete runs once per partition with the watermark in its
# environment, again only when it failed or the watermark moved; a
# partition with an uncommitted window before the watermark gets none.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
small_data "$T" 2 3
# The hook records its environment, and fails for partitions named in
# $T/fail.
cat >"$T/hook.sh" <<'EOF2'
#!/bin/sh
printf '%s|%s|%s|%s|%s\n' "$BF_PARTITION" "$BF_WATERMARK" \
    "${BF_WATERMARK_FILE##*/}" "$BF_LAST_DIGEST" "$BF_STATE" >>"$(dirname "$0")/calls"
grep -qx "$BF_PARTITION" "$(dirname "$0")/fail" 2>/dev/null && exit 1
exit 0
EOF2
chmod +x "$T/hook.sh"
write_conf "$T/conf" "$T" size=6h on-complete="$T/hook.sh"
: >"$T/fail"
echo db-02 >"$T/fail"

run_prog bf-backfill -c "$T/conf"
check_rc 1 "a failed --on-complete makes the run exit 1"
grep -q "^bf-backfill: --on-complete failed for partition 'db-02'; it runs again next time$" "$T/err" &&
    pass "it says which partition" || { fail "it says which partition"; diag "$(cat "$T/err")"; }
check_eq "$(sq "$T/ledger.db" 'SELECT count(*) FROM windows')" 16 "every window committed"
for p in db-01 db-02; do
	wm=$T/state/watermarks/$p.json
	check_eq "$(jq -c '[.type, .partition, .watermark, .last_window]' "$wm")" \
	    "[\"watermark\",\"$p\",\"2026-01-03T00:00:00Z\",[\"2026-01-02T18:00:00Z\",\"2026-01-03T00:00:00Z\"]]" \
	    "$p: watermark at --to, after the last window"
	check_eq "$(jq -r .last_digest "$wm")" \
	    "$(sq "$T/ledger.db" "SELECT digest FROM windows WHERE partition = '$p' AND window_start = '2026-01-02T18:00:00Z'")" \
	    "$p: the last window's digest, as the warehouse has it"
	check_eq "$(jq -r .chain_head "$wm")" \
	    "$(sq "$T/ledger.db" "SELECT hash FROM ledger WHERE partition = '$p' ORDER BY seq DESC LIMIT 1")" \
	    "$p: the chain head is the ledger's last hash"
done
d1=$(jq -r .last_digest "$T/state/watermarks/db-01.json")
d2=$(jq -r .last_digest "$T/state/watermarks/db-02.json")
cat >"$T/calls.want" <<EOF2
db-01|2026-01-03T00:00:00Z|db-01.json|$d1|$T/state
db-02|2026-01-03T00:00:00Z|db-02.json|$d2|$T/state
EOF2
check_file "$T/calls" "$T/calls.want" "--on-complete ran once per partition with its environment"

# Resume: nothing planned; the hook runs again for db-02 only, now fixed.
: >"$T/fail"
: >"$T/calls"
cp "$T/state/watermarks/db-01.json" "$T/wm1"
run_prog bf-backfill -c "$T/conf"
check_rc 0 "rerun after completion"
check_eq "$(grep 'windows committed' "$T/err" | sed 's/; [0-9]*s$//')" \
    "bf-backfill: 0 windows committed, 0 failed, of 0 planned; 0 samples, 0 rejected" \
    "rerun: nothing planned"
check_eq "$(cut -d'|' -f1 "$T/calls")" "db-02" "rerun: the hook ran again only where it had failed"
check_file "$T/state/watermarks/db-01.json" "$T/wm1" "rerun: the watermark file is unchanged"
: >"$T/calls"
run_prog bf-backfill -c "$T/conf"
check_rc 0 "third run"
check_eq "$(cat "$T/calls")" "" "third run: the hook does not run again"

# A later --to moves the watermarks: the hook runs again for both.
run_prog bf-backfill -c "$T/conf" --to 2026-01-04
check_rc 0 "a run to a later --to"
check_eq "$(cut -d'|' -f1,2 "$T/calls")" "db-01|2026-01-04T00:00:00Z
db-02|2026-01-04T00:00:00Z" "the hook ran for each moved watermark"

# A gap before the watermark: no hand-off until it is filled.
mkdir "$T/g"
ln -s "$T/data.ndjson" "$T/g/data.ndjson"
write_conf "$T/g/conf" "$T/g" size=6h partition=db-01 on-complete="$T/hook.sh"
: >"$T/calls"
run_prog bf-backfill -c "$T/g/conf" --to 2026-01-02
check_rc 0 "gap: January 1"
check_eq "$(jq -r .watermark "$T/g/state/watermarks/db-01.json")" 2026-01-02T00:00:00Z \
    "gap: watermark at January 2"
run_prog bf-backfill -c "$T/g/conf" --from 2026-01-03 --to 2026-01-04
check_rc 0 "gap: January 3, January 2 left out"
grep -q "^bf-backfill: partition 'db-01': windows before 2026-01-03T00:00:00Z are not committed: no watermark yet$" "$T/err" &&
    pass "gap: it says why there is no new watermark" || { fail "gap: it says why"; diag "$(cat "$T/err")"; }
check_eq "$(jq -r .watermark "$T/g/state/watermarks/db-01.json")" 2026-01-02T00:00:00Z \
    "gap: the watermark stays"
run_prog bf-backfill -c "$T/g/conf" --from 2026-01-02 --to 2026-01-03
check_rc 0 "gap: January 2 filled"
check_eq "$(jq -r .watermark "$T/g/state/watermarks/db-01.json")" 2026-01-04T00:00:00Z \
    "gap: the watermark jumps to the end of the committed range"
check_eq "$(cut -d'|' -f1,2 "$T/calls")" "db-01|2026-01-02T00:00:00Z
db-01|2026-01-04T00:00:00Z" "gap: the hook ran for each watermark"
done_testing
