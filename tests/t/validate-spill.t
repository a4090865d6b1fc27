#!/bin/sh
# A line longer than --max-line reaches the DLQ whole (bf(7), DEAD-LETTER
# QUEUE): jq -r .raw gives it back byte for byte, from bf-validate and
# from bf-aggregate, while the process's peak RSS stays far below the
# line (the line is kept in a 0600 temporary file, not in memory).
. "$(dirname "$0")/../lib/common.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
rss_ok=0
if [ -x /usr/bin/time ] && [ "${BF_SANITIZE:-}" != 1 ] &&
    [ "${BF_VALGRIND:-}" != 1 ]; then
	rss_ok=1
fi
RSS_LIMIT_KB=20480
cd "$T"

# A 3 MB line of varied text: quotes, backslashes, tabs, non-ASCII.
python3 - <<'P' >big.line
import random
random.seed(14)
parts = ['a', 'Z', '9', ' ', '\\"', '\\\\', '\\t', '\u00e9', '\u20ac', '/']
body = ''.join(random.choice(parts) for _ in range(1300000))
s = '{"type":"sample","note":"' + body
s += 'y' * max(0, 3000000 - len(s.encode()) - 2) + '"}'
print(s)
P
size=$(head -1 big.line | wc -c)
size=$((size - 1))
[ "$size" -ge 3000000 ] && pass "the line is $size bytes" || fail "the line is $size bytes"
WL='{"type":"window","partition":"p","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z"}'
{ cat big.line; echo "$WL"; } >in.ndjson
printf '{}\n' >schema.json

# run NAME CMD...: runs CMD with peak RSS measured into NAME.rss
run() {
	_name=$1
	shift
	RC=0
	if [ $rss_ok = 1 ]; then
		/usr/bin/time -f %M -o "$_name.rss" "$@" >out 2>err || RC=$?
	else
		"$@" >out 2>err || RC=$?
	fi
}
check_whole() {
	check_rc 0 "$1: exit status"
	check_eq "$(jq -r .error.code "$1.dlq")" line_too_long "$1: line_too_long"
	jq -r .raw "$1.dlq" >"$1.raw"
	head -1 big.line >want.raw
	check_file "$1.raw" want.raw "$1: jq -r .raw gives the $size bytes back byte for byte"
	check_eq "$(stat -c %a "$1.dlq")" 600 "$1: the DLQ is 0600"
	if [ $rss_ok = 1 ]; then
		rss=$(tail -1 "$1.rss")
		if [ "$rss" -lt $RSS_LIMIT_KB ]; then
			pass "$1: peak RSS $rss KiB < $RSS_LIMIT_KB KiB"
		else
			fail "$1: peak RSS $rss KiB < $RSS_LIMIT_KB KiB"
		fi
	fi
}

run validate bf-validate -p -c schema.json --max-line 1M -r 1 -d validate.dlq in.ndjson
check_whole validate
check_eq "$(cat out)" "$WL" "validate: the next line passes"

printf '%s\n' metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to \
    "m,u,sum,q,,,1,USD,," >rates.csv
run aggregate bf-aggregate -r rates.csv -d aggregate.dlq in.ndjson
check_whole aggregate

# Two writers sharing one DLQ: whole records, never interleaved.
rm -f shared.dlq
bf-validate -p -c schema.json --max-line 1M -r 1 -d shared.dlq in.ndjson >/dev/null 2>&1 &
p1=$!
bf-aggregate -r rates.csv -d shared.dlq in.ndjson >/dev/null 2>&1 &
p2=$!
wait $p1 $p2 || :
check_eq "$(jq -r .error.code shared.dlq | tr '\n' ' ')" "line_too_long line_too_long " \
    "two writers: two whole records"
check_eq "$(jq -r .raw shared.dlq | sort -u | cmp - want.raw && echo same)" same \
    "two writers: each record holds the whole line"
done_testing
