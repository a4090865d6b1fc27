#!/bin/sh
# The ledger is append-only and the tamper check has no holes, in both
# warehouses (a SQLite file and the real PostgreSQL of tests/lib/pg.sh):
# - UPDATE and DELETE of ledger entries (and TRUNCATE on PostgreSQL) are
#   refused by the warehouse itself, while bf-load, which only appends,
#   loads charges, corrections and reversals as before;
# - an upgrade from schema version 2 (tests/fixtures/wh-v2.*.sql, made by
#   the version-2 bf-load) adds the triggers and the windows rows' hash,
#   each hash being the SHA-256 of the row's JSON form, computed here by
#   python3;
# - what a superuser does after dropping the triggers is still found: a
#   windows row's grid or counts edited (with or without its hash), an
#   amount or a cost whose text is not the canonical form: exit 3, a
#   report line for every partition, the damage named.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/pg.sh"
. "$BF_TOP/tests/lib/ledger.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
start_pg
FX=$BF_TOP/tests/fixtures

# q KIND DB SQL: runs SQL as it is (no trigger dropped); output on stdout,
# errors on stderr, the client's exit status.
q() {
	case $1 in
	sq) sqlite3 -batch "$2" "$3" ;;
	pg) psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$2" -c "$3" ;;
	esac
}
# su KIND DB SQL: the same, as a superuser who first drops the triggers.
su() {
	case $1 in
	sq) q sq "$2" "$UNGUARD_SQLITE $3" ;;
	pg) q pg "$2" "$UNGUARD_PG $3" ;;
	esac
}
target() {
	case $1 in
	sq) echo "$2" ;;
	pg) echo "postgresql:///$2?host=$PGHOST&port=$PGPORT" ;;
	esac
}
# fresh KIND NAME: the known ledger (tests/lib/ledger.sh) copied from the
# pristine one of KIND, its checkpoints into $T/NAME.st; prints DB.
fresh() {
	rm -rf "$T/$2.st"; cp -R "$T/$1-pristine.st" "$T/$2.st"
	case $1 in
	sq) cp "$T/pristine.db" "$T/$2.db"; echo "$T/$2.db" ;;
	pg) createdb -T pristine "$2"; echo "$2" ;;
	esac
}

# The hash of every windows row, as bf-load(1) defines it: SHA-256 of the
# row's JSON object, columns in table order, hash left out, usage_rows a
# number. Prints "ok" when each stored hash is that, else the rows that
# differ.
WINSQL="select partition, window_start, window_end, grid, usage_rows, counts,
    digest, chain_head, run_id, loaded_at, hash from windows"
cat >"$T/hash.py" <<'EOF'
import hashlib, json, sys
bad = n = 0
for line in sys.stdin:
    f = line.rstrip('\n').split('|')
    if len(f) != 11:
        continue
    n += 1
    names = ['partition', 'window_start', 'window_end', 'grid', 'usage_rows',
             'counts', 'digest', 'chain_head', 'run_id', 'loaded_at']
    row = dict(zip(names, f[:10]))
    row['usage_rows'] = int(row['usage_rows'])
    text = json.dumps(row, separators=(',', ':'), ensure_ascii=False)
    if hashlib.sha256(text.encode()).hexdigest() != f[10]:
        bad += 1
        print('differs:', f[0], f[1], f[10] or 'NULL')
if bad == 0 and n > 0:
    print('ok %d' % n)
EOF
hashes() { q "$1" "$2" "$WINSQL" 2>/dev/null | python3 "$T/hash.py" || :; }

# verify_report KIND DB TAG: verify --state $T/TAG.st into $T/out, $RC;
# sets REPORT to "partition status check problem seq;" per partition.
verify_report() {
	run_prog bf-ledger -d "$(target "$1" "$2")" verify --state "$T/$3.st"
	REPORT=$(jq -r '[.partition, .status, .first.check // "-",
	    .first.problem // "-", (.first.seq // "-" | tostring)] |
	    join(" ")' "$T/out" | tr '\n' ';')
}

ledger_load "$T/pristine.db" "$T/sq-pristine.st" || fail "sq: load the known ledger"
createdb pristine
ledger_load "$(target pg pristine)" "$T/pg-pristine.st" || fail "pg: load the known ledger"

for k in sq pg; do
	# bf-load appended charges, corrections and a reversal under the
	# triggers (ledger_load above), and the ledger is what bf-load wrote.
	db=$(fresh $k $k-ao)
	check_eq "$(q $k "$db" "select count(*) || ' ' || sum(case when kind = 'charge' then 1 else 0 end) from ledger")" \
	    "8 6" "$k: bf-load appends charges, a correction and a reversal under the triggers"
	verify_report $k "$db" $k-ao
	check_eq "$RC $REPORT" "0 db-1 ok - - -;db-2 ok - - -;" \
	    "$k: and the ledger verifies"

	# UPDATE and DELETE are refused by the warehouse.
	rc=0; q $k "$db" "UPDATE ledger SET amount = '0.300000000' WHERE partition = 'db-1' AND seq = 3" \
	    >/dev/null 2>"$T/err" || rc=$?
	check_eq "$([ $rc -ne 0 ] && echo refused)" refused "$k: UPDATE ledger is refused"
	grep -q 'the ledger is append-only: UPDATE refused' "$T/err" && pass "$k: the error says why" ||
	    { fail "$k: the error says why"; diag "$(cat "$T/err")"; }
	rc=0; q $k "$db" "DELETE FROM ledger WHERE partition = 'db-1' AND seq >= 5" \
	    >/dev/null 2>"$T/err" || rc=$?
	check_eq "$([ $rc -ne 0 ] && echo refused)" refused "$k: DELETE FROM ledger is refused"
	grep -q 'the ledger is append-only: DELETE refused' "$T/err" && pass "$k: the error says why" ||
	    { fail "$k: the error says why"; diag "$(cat "$T/err")"; }
	if [ $k = pg ]; then
		rc=0; q $k "$db" "TRUNCATE ledger" >/dev/null 2>"$T/err" || rc=$?
		check_eq "$([ $rc -ne 0 ] && echo refused)" refused "pg: TRUNCATE ledger is refused"
	fi
	check_eq "$(q $k "$db" "select count(*) from ledger where partition = 'db-1'") $(q $k "$db" "select amount from ledger where partition = 'db-1' and seq = 3")" \
	    "6 0.200000000" "$k: the ledger is unchanged (db-1: 6 entries, entry 3 still 0.200000000)"

	# Every windows row has the hash of its columns.
	check_eq "$(hashes $k "$db")" "ok 3" "$k: each windows row's hash is the SHA-256 of its JSON form"

	# A superuser drops the triggers and edits a window's grid, its
	# counts, or its counts and hash: each found (exit 3), every
	# partition reported, the edited window named.
	for edit in "grid = 'size=43200 phase=0 billing_day=1'" \
	    "counts = '{\"fetched\":1}'" \
	    "counts = '{}', hash = NULL"; do
		db=$(fresh $k $k-w$(printf '%s' "$edit" | cksum | cut -c1-6))
		su $k "$db" "UPDATE windows SET $edit WHERE partition = 'db-2'" >/dev/null ||
		    fail "$k: UPDATE windows SET $edit"
		verify_report $k "$db" "$(basename "$db" .db)"
		check_eq "$RC $REPORT" "3 db-1 ok - - -;db-2 failed window edited -;" \
		    "$k: windows $edit: found, every partition reported"
	done
	grep -q "partition 'db-2': window 2026-01-01T00:00:00Z/2026-01-02T00:00:00Z was edited: its hash was removed" "$T/err" &&
	    pass "$k: a removed hash is named" ||
	    { fail "$k: a removed hash is named"; diag "$(cat "$T/err")"; }

	# Amounts whose text is not the canonical form (PostgreSQL's NUMERIC
	# keeps only canonical text: the superuser makes the column text).
	for amt in 2.3280302061 +0.157554583 ' 0.1' 0.240000000x; do
		n=$k-a$(printf '%s' "$amt" | cksum | cut -c1-6)
		db=$(fresh $k $n)
		[ $k = pg ] && su pg "$db" "ALTER TABLE ledger ALTER COLUMN amount TYPE text" >/dev/null
		su $k "$db" "UPDATE ledger SET amount = '$amt' WHERE partition = 'db-1' AND seq = 1" >/dev/null
		check_eq "$(q $k "$db" "select '[' || amount || ']' from ledger where partition = 'db-1' and seq = 1")" \
		    "[$amt]" "$k: amount '$amt' stored as typed"
		verify_report $k "$db" $n
		check_eq "$RC $REPORT" "3 db-1 failed chain edited 1;db-2 ok - - -;" \
		    "$k: amount '$amt': an edit (exit 3), every partition reported"
		grep -q "partition 'db-1': entry 1 was edited: its amount is not written in the canonical form" "$T/err" &&
		    pass "$k: amount '$amt': the message says so" ||
		    { fail "$k: amount '$amt': the message says so"; diag "$(cat "$T/err")"; }
	done
	# A usage row's cost, the same number in another form.
	db=$(fresh $k $k-cost)
	[ $k = pg ] && su pg "$db" "ALTER TABLE usage ALTER COLUMN cost TYPE text" >/dev/null
	su $k "$db" "UPDATE usage SET cost = '+0.200000000' WHERE window_start = '2026-02-01T00:00:00Z'" >/dev/null
	verify_report $k "$db" $k-cost
	check_eq "$RC $REPORT" "3 db-1 failed usage edited -;db-2 ok - - -;" \
	    "$k: a cost of '+0.200000000' for 0.200000000 is an edit"
done

# An upgrade from version 2 adds the triggers and hashes the rows loaded
# before; they verify unchanged.
for k in sq pg; do
	case $k in
	sq) db=$T/v2.db; sqlite3 -batch "$db" <"$FX/wh-v2.sqlite.sql" ;;
	pg) db=v2; createdb v2
	    psql -d v2 -XqtA -v ON_ERROR_STOP=1 -f "$FX/wh-v2.pg.sql" >/dev/null ;;
	esac
	check_eq "$(q $k "$db" 'select version from schema_version')" 2 "$k: the fixture is version 2"
	q $k "$db" "UPDATE ledger SET reason = reason WHERE seq = 1" &&
	    pass "$k: version 2 lets UPDATE ledger through" || fail "$k: version 2 lets UPDATE ledger through"
	run_prog bf-load -d "$(target $k "$db")" "$FX/wh-v1-2.ndjson"
	check_eq "$RC $(sed "s|$(target $k "$db")|TARGET|" "$T/err")" \
	    "0 bf-load: warehouse 'TARGET': schema upgraded from version 2 to 3 (windows.hash and the ledger's append-only triggers added; rows loaded before keep their digests)" \
	    "$k: bf-load upgrades version 2 and says so"
	check_eq "$(q $k "$db" 'select version from schema_version')" 3 "$k: now version 3"
	check_eq "$(hashes $k "$db")" "ok 3" "$k: the rows loaded before the upgrade got their hash"
	rc=0; q $k "$db" "DELETE FROM ledger WHERE seq = 1" >/dev/null 2>&1 || rc=$?
	check_eq "$([ $rc -ne 0 ] && echo refused)" refused "$k: the upgraded ledger refuses DELETE"
	run_prog bf-ledger -d "$(target $k "$db")" verify
	check_rc 0 "$k: the upgraded warehouse verifies"
	su $k "$db" "UPDATE windows SET grid = NULL WHERE partition = 'db-1' AND window_start = '2026-01-02T00:00:00Z'" >/dev/null ||
	    fail "$k: UPDATE windows SET grid"
	run_prog bf-ledger -d "$(target $k "$db")" verify
	check_rc 3 "$k: a grid edited after the upgrade is found"
done
# A version-2 windows row edited beyond reading (usage_rows not a number,
# which SQLite keeps as text) does not stop the upgrade: it gets no hash,
# and verify reports it.
db=$T/v2bad.db
sqlite3 -batch "$db" <"$FX/wh-v2.sqlite.sql"
q sq "$db" "UPDATE windows SET usage_rows = 'x' WHERE partition = 'db-2'"
run_prog bf-load -d "$db" "$FX/wh-v1-2.ndjson"
check_eq "$RC $(q sq "$db" 'select version from schema_version')" "0 3" \
    "sq: an unreadable windows row does not stop the upgrade"
run_prog bf-ledger -d "$db" verify
check_eq "$RC $(jq -r 'select(.status == "failed") | .partition + " " + .first.check' "$T/out")" \
    "3 db-2 window" "sq: and verify reports it"
grep -q "partition 'db-2': window 2026-01-01T00:00:00Z/2026-01-02T00:00:00Z was edited: its hash was removed" "$T/err" &&
    pass "sq: as a window without its hash" || { fail "sq: as a window without its hash"; diag "$(cat "$T/err")"; }
done_testing
