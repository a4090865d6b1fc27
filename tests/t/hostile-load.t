#!/bin/sh
# hostile-load: bf-load with SQL metacharacters, COPY's special characters
# (backslash, \N; tab, newline and CR only where names are not: bf(7)
# NAMES), quotes, path names and non-ASCII text in
# every string field of usage and window lines (partition, instance_id,
# metric, aggregate, usage_unit, currency, tenant, cost_center, source).
# Each is stored verbatim, harms no table, and becomes a checkpoint file
# only through the name encoding, inside the state directory. NUL escapes
# are refused with nothing written; a name too long for a file name is
# either committed or refused, never half done. SQLite always; PostgreSQL
# too when it is installed (the COPY path), compared with SQLite.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pg.sh"

command -v bf-load >/dev/null 2>&1 ||
	skip_all "bf-load not built (not on this branch yet)"
command -v jq >/dev/null 2>&1 || skip_all "jq not installed"
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 not installed"

WS=2026-01-01T00:00:00Z
WE=2026-01-02T00:00:00Z
# gen: for each line of stdin (a JSON string body, escapes allowed), one
# window of that partition with one usage line that has the string in
# every string field.
gen() {
	while IFS= read -r e; do
		printf '%s\n' '{"type":"usage","partition":"'"$e"'","instance_id":"'"$e"'","metric":"'"$e"'","window_start":"'$WS'","window_end":"'$WE'","aggregate":"'"$e"'","value":"1.000000000","samples":288,"expected_samples":288,"coverage":"1.000000000","quantity":"480.000000000","usage_unit":"'"$e"'","unit_price":"0.000158","cost":"0.075840000","currency":"'"$e"'","tenant":"'"$e"'","allocations":[{"tenant":"'"$e"'","cost_center":"'"$e"'","cost":"0.075840000"}],"source":"'"$e"'"}' \
		    '{"type":"window","partition":"'"$e"'","window_start":"'$WS'","window_end":"'$WE'","grid":"size=86400 phase=0 billing_day=1","status":"ok","source":"'"$e"'"}'
	done
}

# JSON string bodies: SQL injection, COPY's delimiters and escapes, LIKE
# wildcards, placeholders, paths, quotes, non-ASCII (with a surrogate pair).
cat >"$T/evil" <<'EOF'
x'); DROP TABLE usage;--
'; DELETE FROM ledger; --
\" OR 1=1 --
a\\b\\N
\\N
tab here,newline|CR;
%_*?$1:name @x
../../etc/passwd
/abs
..
.hidden
-rf
d\u00e9-\u20ac-\ud83d\ude00
EOF
n=$(wc -l <"$T/evil")
gen <"$T/evil" >"$T/in"

# The strings as they must come back: each usage line's fields, decoded.
fields='partition, instance_id, metric, aggregate, usage_unit, currency,
    tenant, source, allocations'
jq -c 'select(.type == "usage") | [.partition, .instance_id, .metric,
    .aggregate, .usage_unit, .currency, .tenant, .source,
    (.allocations | tojson)]' "$T/in" | sort >"$T/want"

# sqlite_rows DB: the usage rows' string fields, one JSON array per row.
sqlite_rows() {
	sqlite3 -json "$1" "select $fields from usage" |
	    jq -c '.[] | [.partition, .instance_id, .metric, .aggregate,
	    .usage_unit, .currency, .tenant, .source,
	    (.allocations | fromjson | tojson)]' | sort
}

# The state directory is deep enough in $T/w that a name joined to it
# without encoding (../../etc/passwd) would still land inside $T/w.
ST=$T/w/x/y/state
mkdir -p "$T/w/x/y"
touch "$T/w/.marker"
run_prog bf-load -d "$T/w/ledger.db" -s "$ST" "$T/in"
check_rc 0 "hostile strings: loaded"
check_eq "$(jq -s 'map(select(.status == "ok")) | length' "$T/out")" \
    "$n" "hostile strings: every window ok"
sqlite_rows "$T/w/ledger.db" >"$T/got"
check_file "$T/got" "$T/want" "hostile strings: stored verbatim in SQLite"
check_eq "$(sqlite3 "$T/w/ledger.db" "select count(*) from ledger;
    select count(*) from windows;
    select group_concat(name, ' ') from (select name from sqlite_master
    where type = 'table' and name in ('usage', 'ledger', 'windows',
    'schema_version') order by name)" | tr '\n' ' ')" \
    "$n $n ledger schema_version usage windows " \
    "hostile strings: ledger, windows and tables intact"
# Files: the database and the state directory only, checkpoints named by
# the encoding, each holding its partition.
find "$T/w" ! -type d | sed "s|^$T/w/||" |
    grep -v -e '^\.marker$' -e '^ledger\.db' \
    -e '^x/y/state/[A-Za-z0-9_.%-]*\.\(ckpt\|lock\)$' >"$T/stray" || :
check_eq "$(cat "$T/stray")" "" "hostile strings: no file outside the state dir"
check_eq "$(ls "$ST" | grep -c '\.ckpt$')" "$n" \
    "hostile strings: one checkpoint per partition"
for f in "$ST"/*.ckpt; do jq -r .partition "$f"; done | sort \
    >"$T/got"
jq -r 'select(.type == "window") | .partition' "$T/in" | sort >"$T/wantp"
check_file "$T/got" "$T/wantp" "hostile strings: checkpoints name their partitions"

# Loading again changes nothing.
run_prog bf-load -d "$T/w/ledger.db" -s "$ST" "$T/in"
check_rc 0 "hostile strings: loaded again"
check_eq "$(jq -s 'map(.unchanged) | add' "$T/out"),$(sqlite3 \
    "$T/w/ledger.db" 'select count(*) from ledger')" "$n,$n" \
    "hostile strings: second load unchanged, no new ledger entry"

# bf-window reads those checkpoints back: the committed day is skipped.
if command -v bf-window >/dev/null 2>&1; then
	# -p for each (a file cannot hold a name with a newline).
	jq -c 'select(.type == "window") | .partition' "$T/in" | sort \
	    >"$T/parts"
	set --
	while IFS= read -r j; do
		set -- "$@" -p "$(printf '%s' "$j" | jq -r .)"
	done <"$T/parts"
	run_prog bf-window -f $WS -t 2026-01-03 -s 1d -d "$ST" "$@"
	check_rc 0 "hostile strings: bf-window --state"
	check_eq "$(jq -r .window_start "$T/out" | sort -u)" \
	    2026-01-02T00:00:00Z \
	    "hostile strings: bf-window skips every committed window"
	check_eq "$(jq -c .partition "$T/out" | sort)" "$(cat "$T/parts")" \
	    "hostile strings: bf-window plans each partition's next window"
fi

# Control characters in a name (instance_id, metric, tenant): refused,
# nothing written (bf(7) NAMES); in the other fields, stored verbatim.
for f in instance_id metric tenant; do
	echo ok-ctl | gen | sed "s/\"$f\":\"ok-ctl\"/\"$f\":\"a\\\\tb\\\\r\\\\n\"/g" \
	    >"$T/ctl"
	run_prog bf-load -d "$T/c.db" "$T/ctl"
	check_eq "$RC,$(sqlite3 "$T/c.db" 'select count(*) from usage;
	    select count(*) from ledger' | tr '\n' ,)" "1,0,0," \
	    "tab, CR, LF in $f: refused, nothing written"
done
echo ctl-ok | gen | sed 's/"\(aggregate\|usage_unit\|source\)":"ctl-ok"/"\1":"t\\tn\\nr\\r"/g' >"$T/ctl"
run_prog bf-load -d "$T/c.db" "$T/ctl"
check_eq "$RC $(sqlite3 "$T/c.db" "select hex(aggregate || usage_unit || source)
    from usage where instance_id = 'ctl-ok'")" \
    "0 $(printf 't\tn\nr\rt\tn\nr\rt\tn\nr\r' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" \
    "tab, CR, LF in the free-text fields: stored verbatim"

# NUL escapes: refused with nothing written, except inside allocations,
# which are stored as JSON text where the escape stays an escape.
for f in partition instance_id metric tenant; do
	echo ok-nul | gen | sed "s/\"$f\":\"ok-nul\"/\"$f\":\"a\\\\u0000b\"/g" \
	    >"$T/nul"
	run_prog bf-load -d "$T/w/ledger.db" -s "$ST" "$T/nul"
	check_eq "$RC,$(sqlite3 "$T/w/ledger.db" 'select count(*) from usage;
	    select count(*) from ledger' | tr '\n' ,)" "1,$n,$n," \
	    "NUL in $f: refused, nothing written"
done
check_eq "$(ls "$ST" | grep -c '\.ckpt$')" "$n" \
    "NUL escapes: no checkpoint written"
echo ok-nul | gen | sed 's/"cost_center":"ok-nul"/"cost_center":"a\\u0000b"/' \
    >"$T/nul"
run_prog bf-load -d "$T/w/ledger.db" -s "$ST" "$T/nul"
alloc=$(sqlite3 "$T/w/ledger.db" "select allocations from usage where
    partition = 'ok-nul'")
if [ "$RC" -eq 0 ]; then
	check_eq "$(printf '%s' "$alloc" | jq -c '.[0].cost_center')" \
	    '"a\u0000b"' "NUL in cost_center: kept escaped in allocations"
else
	check_eq "$RC,$alloc" "1," "NUL in cost_center: refused, nothing written"
fi

# A partition name whose encoding is longer than a file name may be is
# refused before anything is written, with its position and length; one at
# the limit (238 bytes encoded: NAME_MAX less ".ckpt" and the temporary
# file's affixes) is committed, with its checkpoint in the state directory.
long=$(head -c 300 /dev/zero | tr '\0' a)
echo "$long" | gen >"$T/long"
run_prog bf-load -d "$T/w/ledger.db" -s "$ST" "$T/long"
rows=$(sqlite3 "$T/w/ledger.db" "select count(*) from usage where
    partition = '$long'")
check_eq "$RC,$rows" "2,0" "300-byte partition name: refused, nothing written"
check_eq "$(cat "$T/err")" "bf-load: $T/long:1: partition name '$(printf '%.40s' "$long")...' (encoded) is too long for the state directory: 300 bytes encoded, at most 238" \
    "300-byte partition name: the message says where and how long"
edge=$(head -c 235 /dev/zero | tr '\0' b)/
echo "$edge" | gen >"$T/edge"
run_prog bf-load -d "$T/w/ledger.db" -s "$ST" "$T/edge"
check_eq "$RC,$(sqlite3 "$T/w/ledger.db" "select count(*) from usage where
    partition = '$edge'")" "0,1" "partition name of 238 bytes encoded: committed"
check_eq "$(ls "$ST" | grep -c "^b\{235\}%2F\.ckpt\$")" 1 \
    "partition name of 238 bytes encoded: its checkpoint file"
echo "b$edge" | gen >"$T/edge2"
run_prog bf-load -d "$T/w/ledger.db" -s "$ST" "$T/edge2"
check_eq "$RC" 2 "partition name of 239 bytes encoded: refused"

# PostgreSQL: the same strings through COPY, compared with SQLite.
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 &&
    command -v psql >/dev/null 2>&1; then
	start_pg
	run_prog bf-load -d "$PG_URI" "$T/in"
	check_rc 0 "hostile strings: loaded into PostgreSQL"
	psql -X -q -At -c "select json_agg(json_build_array($fields))
	    from usage" | jq -c '.[] | .[8] |= (fromjson | tojson)' |
	    sort >"$T/got"
	check_file "$T/got" "$T/want" \
	    "hostile strings: stored verbatim in PostgreSQL"
	check_eq "$(psql -X -At -c 'select count(*) from ledger')" "$n" \
	    "hostile strings: PostgreSQL ledger intact"
fi

done_testing
