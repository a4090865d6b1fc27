#!/bin/sh
# Schema version 2 in both warehouses (a SQLite file and the real
# PostgreSQL of tests/lib/pg.sh): coverage and resolution land in the usage
# table from the usage lines; a genuine version-1 warehouse
# (tests/fixtures/wh-v1.*.sql, made by the version-1 bf-load, see
# make-wh-v1.sh) is read as it is by bf-ledger, upgraded once by bf-load,
# keeps every old row's digest, and verifies after new rows are loaded on
# top; an edit of a resolution is caught by verify (exit 3); the canonical
# and FOCUS exports carry coverage and resolution.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/pg.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
start_pg
FX=$BF_TOP/tests/fixtures

# q KIND DB SQL: one query, rows as a|b|c, NULL as empty.
q() {
	case $1 in
	sq) sqlite3 -batch "$2" "$3" ;;
	pg) psql -d "$2" -XAtqc "$3" ;;
	esac
}
# target KIND DB: the --db of database DB.
target() {
	case $1 in
	sq) echo "$2" ;;
	pg) echo "postgresql:///$2?host=$PGHOST&port=$PGPORT" ;;
	esac
}
# new_db KIND NAME: an empty database, prints DB (a path or a name).
new_db() {
	case $1 in
	sq) echo "$T/$2.db" ;;
	pg) createdb "$2"; echo "$2" ;;
	esac
}
# restore_v1 KIND NAME: the version-1 fixture restored, prints DB.
restore_v1() {
	case $1 in
	sq) sqlite3 -batch "$T/$2.db" <"$FX/wh-v1.sqlite.sql"; echo "$T/$2.db" ;;
	pg) createdb "$2"
	    psql -d "$2" -XqtA -v ON_ERROR_STOP=1 -f "$FX/wh-v1.pg.sql" >/dev/null
	    echo "$2" ;;
	esac
}

# What the usage lines say, by jq: key, coverage, resolution ("" for null
# or none), sorted as the table is.
KEYSQL="select instance_id, metric, window_start, coverage, resolution from usage order by instance_id, metric, window_start"
want_fidelity() {
	jq -r 'select(.type == "usage") | [.instance_id, .metric, .window_start,
	    .coverage, (.resolution // "" | tostring)] | join("|")' "$@" | sort
}

# New rows after the upgrade: db-1's 2026-01-03 (resolution 300,
# coverage 0.5) and db-2's 2026-01-01 again, now with its resolution.
cat >"$T/v2.ndjson" <<'EOF'
{"type":"usage","partition":"db-1","instance_id":"db-1","metric":"cpu_seconds","window_start":"2026-01-03T00:00:00Z","window_end":"2026-01-04T00:00:00Z","aggregate":"increase","value":"43200.000000000","samples":144,"expected_samples":288,"resolution":300,"coverage":"0.500000000","source":"prometheus","tenant":"acme","quantity":"12.000000000","usage_unit":"vCPU-Hours","unit_price":"0.040000000","cost":"0.480000000","currency":"USD"}
{"type":"window","partition":"db-1","window_start":"2026-01-03T00:00:00Z","window_end":"2026-01-04T00:00:00Z","grid":"size=86400 phase=0 billing_day=1","status":"ok","usage_rows":1}
EOF
grep db-2 "$FX/wh-v1-1.ndjson" >>"$T/v2.ndjson"

for k in sq pg; do
	# Coverage and resolution land in the table of a new warehouse.
	db=$(new_db $k new)
	t=$(target $k "$db")
	run_prog bf-load --db "$t" "$FX/wh-v1-1.ndjson"
	check_rc 0 "$k: load into a new warehouse"
	check_eq "$(cat "$T/err")" "" "$k: a new warehouse is no upgrade"
	check_eq "$(q $k "$db" 'select version from schema_version')" 3 \
	    "$k: a new warehouse has schema version 3"
	check_eq "$(q $k "$db" "$KEYSQL")" "$(want_fidelity "$FX/wh-v1-1.ndjson")" \
	    "$k: coverage and resolution as the usage lines say"
	check_eq "$(q $k "$db" "select count(*) from usage where resolution is null")" 1 \
	    "$k: a null resolution is NULL"
	# The canonical export: resolution where known, left out where null.
	export_wh "$t" >"$T/$k.exp"
	check_eq "$(jq -r 'select(.table == "usage") | [.instance_id, .metric,
	    .window_start, .coverage, (if has("resolution") then .resolution
	    | tostring else "" end)] | join("|")' "$T/$k.exp" | sort)" \
	    "$(want_fidelity "$FX/wh-v1-1.ndjson")" \
	    "$k: the canonical export carries coverage and resolution"
	# FOCUS: x_Coverage and x_Resolution of the entry's usage row.
	bf-ledger -d "$t" export -F focus >"$T/$k.focus"
	"$BF_TOOLS/tool-csvjson" "$T/$k.focus" | tail -n +2 | jq -r \
	    '[.x_Partition, .x_LedgerSeq, .x_Coverage // "-", .x_Resolution // "-"] | join(" ")' >"$T/got"
	q $k "$db" "select l.partition, l.seq, coalesce(u.coverage || '', '-'),
	    coalesce(u.resolution || '', '-') from ledger l join usage u on
	    u.digest = l.usage_digest order by l.partition, l.seq" | tr '|' ' ' >"$T/want"
	check_eq "$(wc -l <"$T/got")" 6 "$k: FOCUS rows (6 entries)"
	check_file "$T/got" "$T/want" "$k: FOCUS x_Coverage and x_Resolution are the row's"

	# A version-1 warehouse, as the version-1 bf-load left it.
	db=$(restore_v1 $k up)
	t=$(target $k "$db")
	q $k "$db" 'select instance_id, metric, window_start, digest from usage order by 1, 2, 3' >"$T/$k.d1"
	q $k "$db" 'select partition, seq, hash from ledger order by 1, 2' >"$T/$k.h1"
	check_eq "$(q $k "$db" 'select version from schema_version')" 1 \
	    "$k: the fixture is a version-1 warehouse"
	check_eq "$(wc -l <"$T/$k.d1") $(wc -l <"$T/$k.h1")" "4 8" \
	    "$k: the fixture holds 4 usage rows and 8 entries"
	# bf-ledger reads it as it is and does not upgrade it.
	run_prog bf-ledger -d "$t" verify
	check_rc 0 "$k: bf-ledger verifies a version-1 warehouse"
	run_prog bf-ledger -d "$t" export -F ndjson --table usage
	check_eq "$(jq -sc 'map(has("resolution")) | unique' "$T/out")" \
	    '[false]' "$k: version 1 rows read without resolution"
	check_eq "$(q $k "$db" 'select version from schema_version')" 1 \
	    "$k: bf-ledger leaves the version alone"
	# bf-load upgrades it, says so once, and loads on top.
	run_prog bf-load --db "$t" "$T/v2.ndjson"
	check_rc 0 "$k: bf-load on a version-1 warehouse"
	check_eq "$(sed "s|$t|TARGET|" "$T/err")" \
	    "bf-load: warehouse 'TARGET': schema upgraded from version 1 to 3 (usage.resolution, windows.hash and the ledger's append-only triggers added; rows loaded before keep their digests)" \
	    "$k: the upgrade is said once"
	check_eq "$(q $k "$db" 'select version from schema_version')" 3 \
	    "$k: upgraded to version 3 (the current one)"
	check_eq "$(q $k "$db" 'select count(*) from schema_version')" 1 \
	    "$k: one schema_version row"
	# Old rows not reloaded: the same digests; ledger entries unchanged.
	q $k "$db" "select instance_id, metric, window_start, digest from usage
	    where partition = 'db-1' and window_start < '2026-01-03' order by 1, 2, 3" >"$T/$k.d2"
	grep -v '^db-2|' "$T/$k.d1" >"$T/$k.d1o"
	check_file "$T/$k.d2" "$T/$k.d1o" "$k: rows loaded before the upgrade keep their digests"
	q $k "$db" "select partition, seq, hash from ledger where partition = 'db-2' or seq <= 7 order by 1, 2" >"$T/$k.h2"
	check_file "$T/$k.h2" "$T/$k.h1" "$k: the ledger entries before the upgrade are unchanged"
	check_eq "$(q $k "$db" "select coverage, resolution from usage where window_start = '2026-01-03T00:00:00Z'") $(q $k "$db" "select resolution from usage where partition = 'db-2'")" \
	    "0.500000000|300 60" "$k: new rows carry their coverage and resolution"
	check_eq "$(q $k "$db" "select count(*) from usage where resolution is null")" 3 \
	    "$k: the three old rows have no resolution"
	run_prog bf-ledger -d "$t" verify
	check_rc 0 "$k: verify passes on the upgraded warehouse with new rows"
	run_prog bf-load --db "$t" "$T/v2.ndjson"
	check_eq "$RC $(cat "$T/err")" "0 " "$k: a second bf-load says nothing"
	# The canonical export: no resolution for the old rows.
	export_wh "$t" >"$T/$k.exp2"
	check_eq "$(jq -r 'select(.table == "usage") | [.window_start, .instance_id, (.resolution // "-" | tostring)] | join(" ")' "$T/$k.exp2" | sort | tr '\n' ' ')" \
	    "2026-01-01T00:00:00Z db-1 - 2026-01-01T00:00:00Z db-1 - 2026-01-01T00:00:00Z db-2 60 2026-01-02T00:00:00Z db-1 - 2026-01-03T00:00:00Z db-1 300 " \
	    "$k: the export of the upgraded warehouse"

	# Tampering with a resolution: changed, set where NULL, cleared.
	for edit in "set resolution = 61 where partition = 'db-2'" \
	    "set resolution = 300 where metric = 'storage_bytes'" \
	    "set resolution = NULL where window_start = '2026-01-03T00:00:00Z'"; do
		q $k "$db" "update usage $edit"
		run_prog bf-ledger -d "$t" verify
		check_rc 3 "$k: verify catches: $edit"
		grep -q 'was edited: its digest does not match its content' "$T/err" &&
		    pass "$k: the message names the edited row" ||
		    { fail "$k: the message names the edited row"; diag "$(cat "$T/err")"; }
		# Put it back (the value loaded), and it verifies again.
		q $k "$db" "update usage set resolution = case
		    when partition = 'db-2' then 60 when window_start = '2026-01-03T00:00:00Z' then 300
		    else NULL end"
	done
	run_prog bf-ledger -d "$t" verify
	check_rc 0 "$k: verifies again once the values are back"
done

# Two bf-loads on one version-1 SQLite file at once: one upgrades. (The
# file is put in WAL mode first, as any bf-load leaves it: switching a
# file to WAL while another process holds it is busy, exit 75.)
restore_v1 sq race >/dev/null
q sq "$T/race.db" 'PRAGMA journal_mode=WAL' >/dev/null
gen db-3 1 1 1 1 >"$T/a.ndjson"
gen db-4 1 1 1 1 >"$T/b.ndjson"
bf-load --db "$T/race.db" "$T/a.ndjson" >/dev/null 2>"$T/a.err" &
bf-load --db "$T/race.db" "$T/b.ndjson" >/dev/null 2>"$T/b.err"
wait $!
check_eq "$(cat "$T/a.err" "$T/b.err" | grep -c 'schema upgraded')" 1 \
    "of two bf-loads at once, one upgrades and says so"
check_eq "$(q sq "$T/race.db" 'select count(*) from usage')" 6 "both loaded"
# The same on PostgreSQL (the schema advisory lock).
restore_v1 pg race >/dev/null
t=$(target pg race)
bf-load --db "$t" "$T/a.ndjson" >/dev/null 2>"$T/a.err" &
bf-load --db "$t" "$T/b.ndjson" >/dev/null 2>"$T/b.err"
wait $!
check_eq "$(cat "$T/a.err" "$T/b.err" | grep -c 'schema upgraded')" 1 \
    "pg: of two bf-loads at once, one upgrades and says so"
check_eq "$(q pg race 'select count(*) from usage') $(q pg race 'select version from schema_version')" \
    "6 3" "pg: both loaded, version 3"
done_testing
