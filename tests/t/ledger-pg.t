#!/bin/sh
# bf-ledger on a real PostgreSQL (tests/lib/pg.sh): the reports of the
# known ledger (tests/lib/ledger.sh, numbers checked by hand there) are the
# same as on SQLite, byte for byte (the HTML report's figures too), and the
# tamper check catches the same damage done with psql.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/pg.sh"
. "$BF_TOP/tests/lib/ledger.sh"
start_pg

uri() { echo "postgresql:///$1?host=$PGHOST&port=$PGPORT"; }
createdb pristine
ledger_load "$(uri pristine)" "$T/pristine.st" || fail "load the known ledger into PostgreSQL"
ledger_load "$T/l.db" "$T/sq.st" || fail "load the known ledger into SQLite"

ledger_reports "$(uri pristine)" pg
ledger_check pg
ledger_reports "$T/l.db" sq
for r in cb cbcsv cbtable cbby cbfeb cb15 quota canon focus gaps verify html rcs; do
	check_file "$T/pg.$r" "$T/sq.$r" "$r: PostgreSQL as SQLite"
done

# The gaps of bf-ledger (warehouse) and bf-window --gaps (checkpoints).
bf-window -f 2026-01-01 -t 2026-02-03 -p db-1 -p db-2 -d "$T/pristine.st" --gaps >"$T/wgaps"
check_file "$T/pg.gaps" "$T/wgaps" "gaps: the same as bf-window --gaps"

fresh() {
	_db=t$(echo "$1" | tr -c 'a-z0-9\n' _)
	createdb -T pristine "$_db"
	rm -rf "$T/$1.st"; cp -R "$T/pristine.st" "$T/$1.st"
	uri "$_db"
}
sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "$UNGUARD_PG $2" >/dev/null; }
tamper_cases

# A password never goes on the command line.
run_prog bf-ledger -d "postgresql://bf:secret@localhost/bf" verify
check_rc 2 "a password in --db is refused"
grep -q secret "$T/err" && fail "the password is not echoed" || pass "the password is not echoed"
# A server that is not there.
run_prog bf-ledger -d "postgresql:///bf?host=$T/nowhere&port=1" chargeback -p 2026-01
check_rc 69 "a PostgreSQL server that is not there"
done_testing
