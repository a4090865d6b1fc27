#!/bin/sh
# The chain anchor on PostgreSQL: load-anchor.t's cases against the real
# server of tests/lib/pg.sh (a backup is a copy of the database made with
# createdb -T, a restore puts it back).
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/pg.sh"
. "$BF_TOP/tests/lib/load.sh"
. "$BF_TOP/tests/lib/unguard.sh"
UNGUARD=$UNGUARD_PG
command -v jq >/dev/null || skip_all "jq is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
start_pg

tgt() { echo "postgresql:///$1?host=$PGHOST&port=$PGPORT"; }
mk() { createdb "$1"; }
backup() { createdb -T "$1" "$2"; }
restore() { dropdb "$1" && createdb -T "$2" "$1"; }
forge() { PGDATABASE=$1 python3 "$BF_TOP/tests/lib/forge.py" pg "$2" 1; }
q() { psql -XAtq -d "$1" -c "$2"; }

anchor_cases
done_testing
