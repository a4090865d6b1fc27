#!/bin/sh
# bf-backfill runs no SQL of its own (issue 14): it asks bf-window, bf-load
# and bf-ledger. sqlite3 and psql put first in PATH are tripwires that
# record any call and fail; a run and a rerun call neither, and the
# summary's cost loaded is still the exact net amount of the run's ledger
# entries (summed here with sqlite3 and awk, outside the run).
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
small_data "$T" 2 2
write_conf "$T/conf" "$T" size=6h
mkdir "$T/trip"
for p in sqlite3 psql; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\nexit 1\n' "$p" "$T" >"$T/trip/$p"
	chmod +x "$T/trip/$p"
done
: >"$T/calls"
RC=0
PATH="$T/trip:$PATH" bf-backfill -c "$T/conf" >"$T/out" 2>"$T/err" || RC=$?
check_rc 0 "a backfill"
check_eq "$(cat "$T/calls")" "" "no sqlite3 or psql call"
run=$(sq "$T/ledger.db" "SELECT DISTINCT run_id FROM ledger")
want=$(sq "$T/ledger.db" "SELECT currency || ' ' || amount FROM ledger WHERE run_id = '$run'" | decsum |
    awk '{ print $2 " " $1 }')
check_eq "$(sed -n 's/^bf-backfill:   cost loaded: //p' "$T/err")" "$want" \
    "the cost loaded is the run's ledger entries' net amount"
RC=0
PATH="$T/trip:$PATH" bf-backfill -c "$T/conf" >"$T/out" 2>"$T/err" || RC=$?
check_rc 0 "a rerun (the hand-off)"
check_eq "$(cat "$T/calls")" "" "no sqlite3 or psql call"
run_prog bf-ledger -d "$T/ledger.db" cost --run-id "$run"
check_eq "$(jq -r '"\(.currency) \(.amount) \(.entries)"' "$T/out")" \
    "USD $(echo "$want" | cut -d' ' -f1) $(sq "$T/ledger.db" "SELECT count(*) FROM ledger WHERE run_id = '$run'")" \
    "bf-ledger cost: the net amount and the number of entries"
run_prog bf-ledger -d "$T/ledger.db" cost --run-id no-such-run
check_eq "$RC $(cat "$T/out")" "0 " "bf-ledger cost: a run without entries"
run_prog bf-ledger -d "$T/ledger.db" cost
check_rc 2 "bf-ledger cost needs --run-id"
done_testing
