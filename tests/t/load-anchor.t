#!/bin/sh
# The chain anchor on SQLite (issue 14, item 2): a warehouse restored from
# a backup is recognised, recorded and billed again; a forged chain
# (tests/lib/forge.py) and a hand-edited checkpoint head are refused with
# exit 3 chain_mismatch until bf-ledger reanchor; a lost state directory
# trusts a chain that verifies. load-pg-anchor.t runs the same on
# PostgreSQL.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/load.sh"
. "$BF_TOP/tests/lib/unguard.sh"
UNGUARD=$UNGUARD_SQLITE
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"

tgt() { echo "$T/$1.db"; }
mk() { :; }
backup() { sqlite3 "$T/$1.db" ".backup '$T/$2.db'"; }
restore() { rm -f "$T/$1.db-wal" "$T/$1.db-shm"; cp "$T/$2.db" "$T/$1.db"; }
forge() { python3 "$BF_TOP/tests/lib/forge.py" sqlite "$T/$1.db" "$2" 1; }
q() { sqlite3 -batch "$T/$1.db" "$2"; }

anchor_cases

# The same through bf-backfill: a routine run after the forgery exits 3
# and leaves the anchor alone.
. "$BF_TOP/tests/lib/backfill.sh"
mkdir "$T/bf"
small_data "$T/bf"
write_conf "$T/bf.conf" "$T/bf" to=2026-01-02
run_prog bf-backfill -c "$T/bf.conf"
check_rc 0 "backfill: the first day"
python3 "$BF_TOP/tests/lib/forge.py" sqlite "$T/bf/ledger.db" db-01 1 >/dev/null ||
    fail "the forger ran on the backfill's warehouse"
cp "$T/bf/state/db-01.ckpt" "$T/bf.ck"
write_conf_keys "$T/bf.conf" to=2026-01-03
run_prog bf-backfill -c "$T/bf.conf"
check_rc 3 "backfill: the routine run after the forgery is refused"
grep -q "partition 'db-01' refused: chain_mismatch" "$T/err" &&
    pass "backfill: chain_mismatch said" || fail "backfill: chain_mismatch said"
check_eq "$(jq -c '[.chain_head, .committed]' "$T/bf/state/db-01.ckpt")" \
    "$(jq -c '[.chain_head, .committed]' "$T/bf.ck")" "backfill: db-01's anchor left alone"
run_prog bf-ledger -d "$T/bf/ledger.db" verify -s "$T/bf/state"
check_rc 3 "backfill: verify --state still fails"
done_testing
