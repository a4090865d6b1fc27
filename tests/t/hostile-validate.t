#!/bin/sh
# hostile-validate: bf-validate on input built to hurt. A 100 MB line (with
# and without a final newline) is refused as line_too_long while the lines
# around it pass, and bf-validate's peak RSS stays under 64 MB (it must not
# hold the line); a million fields and a million nested arrays are refused
# with their codes; partition names with slashes, dots and quotes pass
# byte for byte, ones with a newline, CR or tab are refused as bad_name and
# one with a NUL escape as missing_window, never cut short or crashed on.
# The inputs are generated into $T, never committed. A 10 GB stream in
# constant memory is a benchmark: tests/bench/hostile.sh.
. "$(dirname "$0")/../lib/common.sh"

command -v bf-validate >/dev/null 2>&1 ||
	skip_all "bf-validate not built (not on this branch yet)"
command -v jq >/dev/null 2>&1 || skip_all "jq not installed"

# Peak RSS is measured with GNU time, and only for the plain build: ASan's
# shadow memory and valgrind are not bf-validate's own.
rss_ok=0
if [ -x /usr/bin/time ] && [ "${BF_SANITIZE:-}" != 1 ] &&
    [ "${BF_VALGRIND:-}" != 1 ]; then
	rss_ok=1
fi
RSS_LIMIT_KB=65536

printf '{}\n' >"$T/schema.json"
W='"partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z"'
S1='{"type":"sample",'$W',"instance_id":"db-1","metric":"m","ts":"2026-01-01T00:05:00Z","value":1,"unit":"Count"}'
S3='{"type":"sample",'$W',"instance_id":"db-1","metric":"m","ts":"2026-01-01T00:10:00Z","value":3,"unit":"Count"}'

# validate_big NAME NEWLINE: S1, a 100 MB line, S3 (NEWLINE=no: the big line
# is the last one and has no newline).
validate_big() {
	{
		echo "$S1"
		[ "$2" = no ] || echo "$S3"
		printf '{"type":"sample","pad":"'
		head -c 100000000 /dev/zero | tr '\0' x
		printf '"}'
		[ "$2" = no ] || echo
	} >"$T/in"
	rm -f "$T/dlq"
	RC=0
	if [ $rss_ok = 1 ]; then
		/usr/bin/time -f %M -o "$T/rss" bf-validate -p -c "$T/schema.json" \
		    -d "$T/dlq" -r 1 "$T/in" >"$T/out" 2>"$T/err" || RC=$?
	else
		bf-validate -p -c "$T/schema.json" -d "$T/dlq" -r 1 "$T/in" \
		    >"$T/out" 2>"$T/err" || RC=$?
	fi
	rm -f "$T/in"
	check_rc 0 "$1"
	if [ "$2" = no ]; then
		check_eq "$(cat "$T/out")" "$S1" "$1: the other line passes"
		line=2
	else
		check_eq "$(cat "$T/out")" "$S1
$S3" "$1: the other lines pass"
		line=3
	fi
	check_eq "$(jq -c '[.error.code, .line]' "$T/dlq")" \
	    "[\"line_too_long\",$line]" "$1: refused as line_too_long"
	if [ $rss_ok = 1 ]; then
		rss=$(tail -1 "$T/rss")
		if [ "$rss" -lt $RSS_LIMIT_KB ]; then
			pass "$1: peak RSS $rss KiB < $RSS_LIMIT_KB KiB"
		else
			fail "$1: peak RSS $rss KiB < $RSS_LIMIT_KB KiB"
		fi
	fi
}
validate_big "100 MB line" yes
validate_big "100 MB last line without newline" no

# A million fields (with a line limit that lets the 14 MB line in), and a
# million nested arrays: refused with their codes, the next line passes.
{
	awk 'BEGIN { printf "{\"type\":\"sample\""; for (i = 0; i < 1000000; i++)
		printf ",\"k%d\":%d", i, i; print "}" }'
	awk 'BEGIN { for (i = 0; i < 1000000; i++) printf "["; print "" }'
	echo "$S1"
} >"$T/in"
run_prog bf-validate -p -c "$T/schema.json" -d "$T/dlq2" -r 1 -m 32M "$T/in"
check_rc 0 "a million fields, a million ["
check_eq "$(cat "$T/out")" "$S1" "a million fields, a million [: next line passes"
check_eq "$(jq -c '[.error.code, .line]' "$T/dlq2" | tr -d '\n')" \
    '["too_many_tokens",1]["too_deep",2]' \
    "a million fields, a million [: refused with their codes"
rm -f "$T/in"

# Hostile partition names in contract mode (printf, not echo: dash's echo
# would turn the JSON escapes into bytes): slashes, a newline, quotes and
# backslashes pass byte for byte; a NUL escape is refused (missing_window),
# for a sample and for a window line alike, and nothing is cut at the NUL.
cat >"$T/contract.json" <<'EOF'
{"type":"object","x-bf-metrics":{"m":{"unit":"Count"}}}
EOF
: >"$T/in"
for p in '../../etc/passwd' '/abs/path' 'a\nb' 'q\"uo\\te' '.' '..' \
    'd\u00e9-\u20ac' ' lead' 'x\r\ty'; do
	w='"partition":"'$p'","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z"'
	printf '%s\n' '{"type":"sample",'"$w"',"instance_id":"db-1","metric":"m","ts":"2026-01-01T00:05:00Z","value":1,"unit":"Count"}' \
	    '{"type":"window",'"$w"'}' >>"$T/in"
done
grep -v -e 'a\\nb' -e 'x\\r' "$T/in" >"$T/good"
nul='"partition":"a\u0000b","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z"'
printf '%s\n' '{"type":"sample",'"$nul"',"instance_id":"db-1","metric":"m","ts":"2026-01-01T00:05:00Z","value":1,"unit":"Count"}' \
    '{"type":"window",'"$nul"'}' >>"$T/in"
run_prog bf-validate -c "$T/contract.json" -d "$T/dlq3" -n 2026-06-01 -r 1 \
    "$T/in"
check_rc 0 "hostile partition names"
# The samples pass byte for byte; each window line follows its sample.
grep '"type":"sample"' "$T/good" >"$T/want"
# (control characters: their window lines pass with the sample rejected)
grep '"type":"sample"' "$T/out" >"$T/got" || :
check_file "$T/got" "$T/want" "hostile partition names: samples byte for byte"
check_eq "$(jq -r 'select(.type == "window") | [.partition, .accepted] |
    @json' "$T/out" | tr -d '\n')" \
    "$(jq -r 'select(.type == "window") | [.partition,
    if (.partition | test("[\\n\\r\\t]")) then 0 else 1 end] | @json' \
    "$T/in" | sed '$d' | tr -d '\n')" \
    "hostile partition names: window lines, one sample accepted each"
check_eq "$(jq -c '[.error.code, .line, has("partition")]' "$T/dlq3" |
    tr -d '\n')" '["bad_name",5,true]["bad_name",17,true]["missing_window",19,false]["missing_window",20,false]' \
    "control characters in a partition name: the sample refused, NUL: sample and window line refused"
check_eq "$(jq -r 'select(.error.code == "missing_window") | .raw' "$T/dlq3" | tr -d '\n' | wc -c)" \
    "$(tail -2 "$T/in" | tr -d '\n' | wc -c)" \
    "NUL in a partition name: raw lines kept whole"

done_testing
