#!/bin/sh
# bf-validate's dead-letter queue: created 0600 and appended to, the raw line
# given back byte for byte (raw or raw_base64), ids stable when a window is
# validated again, duplicates recognisable by id.
. "$(dirname "$0")/../lib/common.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
C=$BF_TOP/tests/man-fixtures/validate-contract.json
W='"partition":"db-01","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","instance_id":"db-01"'
WL='{"type":"window","partition":"db-01","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z"}'

# Input: good and bad samples, with awkward bytes in the bad ones.
{
	printf '{"type":"sample",%s,"metric":"cpu_utilization","ts":"2026-01-01T00:00:00Z","value":1,"unit":"Percent"}\n' "$W"
	printf '{"type":"sample",%s,"metric":"cpu_utilization","ts":"2026-01-01T00:00:00Z","value":"NaN","unit":"Percent","note":"tab\\t \\u00e9 \\"q\\" \\\\ /"}\n' "$W"
	printf '{"type":"sample",%s,"metric":"cpu","value":1}\t  \n' "$W"
	printf '{"type":"sample","note":"caf\351"}\n'
	printf '{"type":"sample","x":"a\001b"}\n'
	printf '{"type":"sample","x":"a\000b"}\n'
	printf '\357\273\277{"type":"sample"}\n'
	printf '{"type":"sample",%s,"metric":"cpu_utilization","ts":"2026-01-01T00:00:00Z","value":250,"unit":"Percent"}\n' "$W"
	printf '%s\n' "$WL"
} >"$T/in.ndjson"

umask 022
run_prog bf-validate -c "$C" -n 2026-06-01 -r 1 -d "$T/dlq.ndjson" "$T/in.ndjson"
check_rc 0 "a run with rejects"
check_eq "$(stat -c %a "$T/dlq.ndjson")" 600 "the DLQ is created 0600"

# A DLQ on /dev/null or a pipe: nothing to sync, not an I/O error.
run_prog bf-validate -c "$C" -n 2026-06-01 -r 1 -d /dev/null "$T/in.ndjson"
check_rc 0 "--dlq /dev/null"
bf-validate -c "$C" -n 2026-06-01 -r 1 -d /dev/stdout "$T/in.ndjson" 2>/dev/null |
    grep -c '"type":"reject"' >"$T/n" || :
check_eq "$(cat "$T/n")" 7 "--dlq /dev/stdout into a pipe: the rejects come out"

# A DLQ torn by an earlier writer (a kill, a full disk): the torn bytes
# become a torn_record record of their own, and the file is JSON again.
printf '{"type":"reject","id":"ab' >"$T/torn.ndjson"
run_prog bf-validate -c "$C" -n 2026-06-01 -r 1 -d "$T/torn.ndjson" "$T/in.ndjson"
check_eq "$RC $(jq -r .error.code "$T/torn.ndjson" | sort | uniq -c | awk '$2 == "torn_record" { print $1 }')" \
    "0 1" "a torn DLQ is repaired: one torn_record, every line JSON"
check_eq "$(jq -r 'select(.error.code == "torn_record") | .raw_base64' "$T/torn.ndjson" | base64 -d)" \
    '{"type":"reject","id":"ab' "the torn bytes are kept"
check_eq "$(grep -c 'repaired a torn record' "$T/err")" 1 "and a warning says so"
check_eq "$(wc -l <"$T/dlq.ndjson")" 7 "seven rejects"
check_eq "$(jq -r .type "$T/dlq.ndjson" | sort -u)" reject "every DLQ line is JSON of type reject"

# Give every line back: raw as it is, raw_base64 decoded; together with the
# accepted samples and the window line, that is the input again.
: >"$T/back"
n=$(wc -l <"$T/dlq.ndjson")
i=1
while [ "$i" -le "$n" ]; do
	sed -n "${i}p" "$T/dlq.ndjson" >"$T/one"
	if [ "$(jq -r 'has("raw")' "$T/one")" = true ]; then
		jq -j '.raw + "\n"' "$T/one" >>"$T/back"
	else
		jq -r .raw_base64 "$T/one" | base64 -d >>"$T/back"
		printf '\n' >>"$T/back"
	fi
	i=$((i + 1))
done
{ cat "$T/back"; grep -a '"value":1,"unit":"Percent"}$' "$T/in.ndjson"; \
    tail -n 1 "$T/in.ndjson"; } | LC_ALL=C sort >"$T/got"
LC_ALL=C sort "$T/in.ndjson" >"$T/want"
check_file "$T/got" "$T/want" "DLQ raw + accepted = the input, byte for byte"
check_eq "$(jq -r 'select(.raw_base64) | .error.code' "$T/dlq.ndjson")" \
    invalid_utf8 "only the invalid UTF-8 line is kept as raw_base64"
check_eq "$(jq -j 'select(.line == 3) | .raw' "$T/dlq.ndjson" | tail -c 4 | od -An -c | tr -d ' ')" \
    '}\t' "trailing tab and spaces kept in raw"

# Appending and stable ids: the same window validated again, behind other
# lines, appends the same ids.
{ printf '%s\n' '{"type":"usage","x":1}' '{"type":"usage","x":2}'; cat "$T/in.ndjson"; } \
    >"$T/in2.ndjson"
run_prog bf-validate -c "$C" -n 2026-06-01 -r 1 -d "$T/dlq.ndjson" "$T/in2.ndjson"
check_rc 0 "second run"
check_eq "$(wc -l <"$T/dlq.ndjson")" 14 "the DLQ is appended to"
jq -r 'select(.partition) | .id' "$T/dlq.ndjson" | sort | uniq -d >"$T/dups"
check_eq "$(wc -l <"$T/dups")" 3 "the three rejects of the window have the same ids in both runs"
check_eq "$(jq -c -s 'unique_by(.id) | length' "$T/dlq.ndjson")" 11 \
    "dedupe by id: lines without a window are told apart by file and line"
check_eq "$(jq -r 'select(.partition) | .id' "$T/dlq.ndjson" | sort -u | wc -l)" 3 \
    "sort -u on the ids of windowed rejects"
check_eq "$(jq -r .id "$T/dlq.ndjson" | grep -cE '^[0-9a-f]{32}$')" 14 \
    "ids are 32 hex digits"

# Without --dlq, rejects go to standard error.
run_prog bf-validate -c "$C" -n 2026-06-01 -r 1 "$T/in.ndjson"
check_eq "$(jq -r .error.code "$T/err" | wc -l)" 7 "rejects on stderr without --dlq"
check_eq "$(wc -l <"$T/out")" 2 "the valid sample and the window line on stdout"
done_testing
