#!/bin/sh
# bf-ledger verify on SQLite: a clean ledger verifies against its
# checkpoints; an amount edited with sqlite3, a row deleted, entries
# reordered or inserted, the tail deleted (also with the windows table made
# to agree), a usage row edited and a window deleted are each caught (exit
# 3) and the first damage named. ledger-pg.t runs the same on PostgreSQL.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/ledger.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"

ledger_load "$T/pristine.db" "$T/pristine.st" || fail "load the known ledger"
fresh() {
	cp "$T/pristine.db" "$T/$1.db"
	rm -rf "$T/$1.st"; cp -R "$T/pristine.st" "$T/$1.st"
	echo "$T/$1.db"
}
sql() { sqlite3 -batch "$1" "$UNGUARD_SQLITE $2"; }

run_prog bf-ledger -d "$T/pristine.db" verify --state "$T/pristine.st"
check_rc 0 "a clean ledger verifies"
check_eq "$(jq -r '[.partition, .status, .checkpoint, .entries] | join(" ")' "$T/out" | tr '\n' ';')" \
    "db-1 ok match 6;db-2 ok match 2;" "each partition ok, its chain head the checkpoint's"
check_eq "$(cat "$T/err")" "" "nothing on stderr"

tamper_cases

# The messages name the damage.
t=$(fresh msg)
sql "$t" "DELETE FROM ledger WHERE partition = 'db-1' AND seq = 3"
run_prog bf-ledger -d "$t" verify -s "$T/msg.st"
check_eq "$(head -1 "$T/err")" \
    "bf-ledger: partition 'db-1': entry 3 is missing (deleted): entry 4 follows entry 2" \
    "the deleted entry is named"
check_eq "$(tail -1 "$T/err")" "bf-ledger: 2 problems found: the ledger does not verify" \
    "the count of problems (the chain and the key's balance)"

# The reports warn when the period's ledger entries and usage disagree.
run_prog bf-ledger -d "$t" chargeback -p 2026-02
check_eq "$RC $(cat "$T/err")" "0 bf-ledger: warning: the usage of period 2026-02 costs 0.200000000 USD, but its ledger entries add up to 0.000000000: the warehouse does not verify (bf-ledger verify)" \
    "chargeback warns when the ledger does not add up to the usage"

# Without a state directory the chain, windows and balances are still
# checked; a checkpoint file missing from a given state directory is a
# problem (it could hide a deleted tail).
t=$(fresh nock)
run_prog bf-ledger -d "$t" verify
check_rc 0 "verify without --state"
rm "$T/nock.st/db-2.ckpt"
run_prog bf-ledger -d "$t" verify -s "$T/nock.st"
check_rc 3 "a missing checkpoint"
check_eq "$(jq -r 'select(.status == "failed") | .partition + " " + .first.problem' "$T/out")" \
    "db-2 missing" "names the partition without a checkpoint"

# A bf-load killed after its commit, before its checkpoint: the ledger is
# ahead of the checkpoint until the rerun writes it.
t=$(fresh crash)
sed 's/2026-02-01/2026-02-02/g; s/2026-02-02T00:00:00Z","grid/2026-02-03T00:00:00Z","grid/; s/"window_end":"2026-02-02T00:00:00Z"/"window_end":"2026-02-03T00:00:00Z"/g' \
    "$LF/ledger-usage-v2.ndjson" | grep -v 2026-01-01 >"$T/feb2.ndjson"
rc=0; BF_FAULT=after-commit:1 bf-load -d "$t" -s "$T/crash.st" "$T/feb2.ndjson" >/dev/null 2>&1 || rc=$?
check_eq "$rc" 137 "bf-load killed after its commit"
run_prog bf-ledger -d "$t" verify -s "$T/crash.st"
check_rc 3 "the ledger is ahead of the checkpoint"
check_eq "$(jq -r 'select(.status == "failed") | [.first.check, .first.problem, .first.seq] | join(" ")' "$T/out")" \
    "checkpoint appended 7" "entries after the checkpoint's head are named"
grep -q "run it again" "$T/err" && pass "the message says to run bf-load again" ||
    fail "the message says to run bf-load again"
bf-load -d "$t" -s "$T/crash.st" "$T/feb2.ndjson" >/dev/null
run_prog bf-ledger -d "$t" verify -s "$T/crash.st"
check_rc 0 "after the rerun the ledger verifies"

# Exit statuses: a warehouse that is not there, an unreadable state dir.
run_prog bf-ledger -d "$T/none.db" verify
check_rc 69 "a missing warehouse"
run_prog bf-ledger -d "$T/pristine.db" verify -s "$T/none"
check_rc 74 "a missing state directory"
done_testing
