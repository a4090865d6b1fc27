#!/bin/sh
# bf-load crashes (SQLite): at every fault point (BF_FAULT), and by kill -9
# at random moments, then a rerun: the export, the checkpoints and their
# chain heads must be those of a clean run (no duplicate charge, no
# spurious correction, nothing lost).
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"

new_target() { echo "$T/$1.db"; }
head_of() { sq "$1" "select hash from ledger where partition = '$2' order by seq desc limit 1"; }

crash_inputs "$T/cin"
crash_clean
check_eq "$(jq -r 'select(.table=="ledger") | .kind' "$T/clean.exp" | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')" \
    "charge=48 correction=12 reversal=4 " "the clean run charges, corrects and reverses"

# A bad BF_FAULT is a usage error.
run_prog env BF_FAULT=nowhere:1 bf-load --db "$T/x.db" /dev/null
check_rc 2 "unknown fault point"

crash_points 1 "1 2" "p1 p2"
crash_points 4 2 p2
crash_random 20 20260101
done_testing
