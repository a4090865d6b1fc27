#!/bin/sh
# bf-load crashes on PostgreSQL: at every fault point (BF_FAULT) and by
# kill -9 at random moments, then a rerun: the export, the checkpoints and
# their chain heads must be those of a clean run.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/pg.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
start_pg

new_target() { pg_db "$1"; }
head_of() { psql -d "$1" -Atc "select hash from ledger where partition = '$2' order by seq desc limit 1"; }

crash_inputs "$T/cin"
crash_clean
check_eq "$(jq -r 'select(.table=="ledger") | .kind' "$T/clean.exp" | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')" \
    "charge=48 correction=12 reversal=4 " "the clean run charges, corrects and reverses"

crash_points 1 2 p2
crash_points 3 1 p1
crash_random 10 20260102
done_testing
