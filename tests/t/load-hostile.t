#!/bin/sh
# bf-load stores hostile names verbatim and harms nothing: SQL injection in
# names, a partition called ../../etc/passwd, bytes that COPY escapes;
# passwords in --db are refused without being echoed.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"

mkdir "$T/state"
hostile_input >"$T/in.ndjson"
run_prog bf-load --db "$T/w.db" --state "$T/state" "$T/in.ndjson"
check_rc 0 "hostile names load"
check_eq "$(sq "$T/w.db" "select name from sqlite_master where type = 'table' order by name" | tr '\n' ' ')" \
    "ledger schema_version usage windows " "every table still there"
check_eq "$(export_wh "$T/w.db" | jq -r 'select(.table=="usage") | .instance_id' | sort | tr '\n' '|')" \
    "../../etc/passwd|x'); DROP TABLE usage;--|" "instance names stored verbatim"
check_eq "$(sq "$T/w.db" "select hex(metric) from usage order by instance_id")" \
    "$(printf '%s\n' '\.' | tr -d '\n' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
$(printf 'm \\N "q" \303\251' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" \
    "metric bytes stored verbatim"
check_eq "$(sq "$T/w.db" "select tenant from ledger where instance_id like 'x%'")" \
    "Robert'); DROP TABLE ledger;--" "tenant stored verbatim in the ledger"
check_eq "$(ls -A "$T/state" | sort | tr '\n' ' ')" \
    "%2E.%2F..%2Fetc%2Fpasswd.ckpt %2E.%2F..%2Fetc%2Fpasswd.lock " \
    "partition name encoded in the state directory"
check_eq "$(jq -r .partition "$T/state/%2E.%2F..%2Fetc%2Fpasswd.ckpt")" "../../etc/passwd" \
    "checkpoint names the partition verbatim"
test -e "$T/etc" && fail "nothing written outside the state directory" ||
    pass "nothing written outside the state directory"

# A name with a control character is refused (bf(7) NAMES), whichever
# field holds it; the window fails and nothing of it is written.
for f in instance_id metric tenant; do
	printf '%s\n' '{"type":"usage","partition":"c","instance_id":"i","metric":"m","tenant":"t","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","cost":"1","currency":"USD"}' \
	    '{"type":"window","partition":"c","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","status":"ok"}' |
	    jq -c "if .type == \"usage\" then .$f = \"a\\tb\" else . end" >"$T/ctl.ndjson"
	run_prog bf-load --db "$T/ctl.db" "$T/ctl.ndjson"
	check_eq "$RC $(jq -r .error.message "$T/out")" \
	    "1 has a bad usage line ($T/ctl.ndjson:1: '$f' holds the control character U+0009 at byte 2)" \
	    "a tab in $f: the window is refused"
	check_eq "$(sq "$T/ctl.db" "select count(*) from usage")" 0 "a tab in $f: nothing loaded"
done

# Messages quote names, with control bytes escaped.
printf '%s\n' '{"type":"usage","partition":"p\u001b[31m","instance_id":"i","metric":"m","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","cost":"1","currency":"USD"}' >"$T/esc.ndjson"
run_prog bf-load --db "$T/w.db" "$T/esc.ndjson"
check_rc 1 "unfinished window"
check_eq "$(cat "$T/err")" \
    "bf-load: $T/esc.ndjson:1: window 'p\\x1b[31m' 2026-01-01T00:00:00Z/2026-01-02T00:00:00Z: 1 usage line without their window line: not committed" \
    "control bytes escaped in messages"

# A password in --db is refused and never echoed.
for db in 'postgresql://bf:s3cret-pw@localhost/bf' 'host=/tmp password=s3cret-pw dbname=bf' \
    'postgres:///bf?password=s3cret-pw'; do
	run_prog bf-load --db "$db" "$T/in.ndjson"
	check_rc 2 "password in --db refused"
	grep -q s3cret "$T/err" && fail "password not echoed" || pass "password not echoed"
done
done_testing
