#!/bin/sh
# A summary that tells (bf-backfill(1), PROGRESS AND SUMMARY): at the end of
# a run, per cause, the number of windows and the first three, for
# duplicates, conflicts and low coverage (below 1 with min-coverage 0;
# below min-coverage, failed, with it), each count computed here from the
# input with awk; failed windows grouped by stage and code, one line each
# with a count; with the source down mid-run and -j 3 the messages do not
# grow with the number of windows.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done

# 2 instances, one day at 300 s, 1h windows. On top of bf-gen's data:
# db-01's first sample of hours 02 and 07 again (duplicates), db-02's
# first sample of hours 03, 05 and 08 again with value + 1 (conflicts),
# db-02's cpu_utilization without 12:05 (11 of 12 samples) and without
# 15:05, 15:10, 15:15 (9 of 12).
small_data "$T" 2 1
awk '
/"instance_id":"db-01"/ && /"ts":"2026-01-01T0[27]:00:00Z"/ && !d[substr($0, 1, 80)]++ { print }
' "$T/data.ndjson" >"$T/dups"
grep '"instance_id":"db-02".*"ts":"2026-01-01T0[358]:00:00Z"' "$T/data.ndjson" |
    awk '!s[substr($0, index($0, "\"ts\""), 28)]++' | jq -c '.value += 1' >"$T/confl"
grep -v '"instance_id":"db-02","metric":"cpu_utilization","ts":"2026-01-01T1\(2:05\|5:05\|5:10\|5:15\)' \
    "$T/data.ndjson" | cat - "$T/dups" "$T/confl" >"$T/d2"
mv "$T/d2" "$T/data.ndjson"

# The expected causes, from the input: a window (instance, hour) has
# duplicates when a series has two samples at one ts with one value,
# conflicts when with two values, low coverage when a series has fewer
# than 12 samples (below 0.9 when fewer than 11).
jq -r '[.instance_id, .metric, .ts, .value] | @tsv' "$T/data.ndjson" | awk -F '\t' '
{
	w = $1 " [" substr($3, 1, 13) ":00:00Z, "
	h = substr($3, 12, 2) + 1
	w = w sprintf("2026-01-%02dT%02d:00:00Z)", h == 24 ? 2 : 1, h % 24)
	if (($1, $2, $3, $4) in v) dup[w] = 1
	else if (($1, $2, $3) in t) confl[w] = 1
	v[$1, $2, $3, $4] = 1; t[$1, $2, $3] = 1
	n[w, $2]++; win[w] = 1; met[$2] = 1
}
END {
	for (w in win) for (m in met) {
		if (n[w, m] < 12) low[w] = 1
		if (n[w, m] < 11) low9[w] = 1
	}
	for (w in dup) print "duplicates\t" w
	for (w in confl) print "conflicts\t" w
	for (w in low) print "low\t" w
	for (w in low9) print "low9\t" w
}' | sort >"$T/want"
# want CAUSE: "N window(s): W1, W2, W3[ and K more]" of the expected.
want() {
	awk -F '\t' -v c="$1" '$1 == c { w[++n] = $2 }
	END { s = n " window" (n == 1 ? "" : "s") ": "
		for (i = 1; i <= n && i <= 3; i++) s = s (i > 1 ? ", " : "") w[i]
		if (n > 3) s = s " and " n - 3 " more"
		print s }' "$T/want"
}
# got CAUSE: the same from the summary's line of CAUSE.
got() {
	sed -n "s/^bf-backfill:   $1: \([0-9]* windows\{0,1\}\).*: \([^ ]* \[2026.*\)$/\1: \2/p" "$T/err"
}
diag "expected: $(cut -f 1 "$T/want" | uniq -c | tr '\n' ' ')"

write_conf "$T/conf" "$T" to=2026-01-02
run_prog bf-backfill -c "$T/conf"
check_rc 0 "min-coverage 0: every window committed"
check_eq "$(got duplicates)" "$(want duplicates)" "duplicates: the count and the first windows"
check_eq "$(got conflicts)" "$(want conflicts)" "conflicts: the count and the first windows"
check_eq "$(got 'low coverage')" "$(want low)" "low coverage below 1: the count and the first windows"
check_eq "$(grep -c '^bf-backfill:   low coverage: .*, committed: .*min-coverage is 0' "$T/err")" 1 \
    "said to be committed, with min-coverage 0"

write_conf "$T/conf9" "$T/m9" to=2026-01-02 min-coverage=0.9
sed -i "s|^fetch-arg = .*data.ndjson|fetch-arg = $T/data.ndjson|" "$T/conf9"
run_prog bf-backfill -c "$T/conf9"
check_rc 1 "min-coverage 0.9: the thinnest windows fail"
n9=$(grep -c '^low9' "$T/want")
check_eq "$(got 'low coverage')" "$(want low9)" "low coverage below 0.9: the count and the first windows"
check_eq "$(grep -c '^bf-backfill:   low coverage: .*, failed: .*min-coverage 0.9' "$T/err")" 1 \
    "said to have failed"
grep -q "^bf-backfill: [0-9]* windows committed, $n9 failed, of 48 planned" "$T/err" &&
    pass "the first line counts them as failed" || { fail "the first line counts them as failed"; diag "$(cat "$T/err")"; }
check_eq "$(grep -c '^bf-backfill:   failed: ' "$T/err")" 0 "not listed again under failed"

# The source down from 06:00 on January 1, -j 3 over 3 instances, for one
# day and for two: the failed windows are one summary line per stage and code, with
# their count, and the messages do not grow with the windows.
mkdir "$T/down"
small_data "$T/down" 3 2
printf 'db-01\ndb-02\ndb-03\n' >"$T/down/instances.txt"
cat >"$T/down/src-down.sh" <<'EOF'
#!/bin/sh
case $2 in
2026-01-01T0[0-5]:*) exec "$(dirname "$0")/src.sh" "$@" ;;
esac
echo "connection refused" >&2
exit 1
EOF
chmod +x "$T/down/src-down.sh"
for days in 1 2; do
	d=$T/down/d$days
	mkdir -p "$d"
	write_conf "$d/conf" "$d" to=2026-01-0$((days + 1)) partition= \
	    partitions="$T/down/instances.txt" jobs=3
	# (breaker off: the 3 pipelines share one, bf-fetch --budget, which
	# would fail a slower pipeline's windows before 06:00 too)
	use_exec "$d/conf" "$T/down/src-down.sh" --retries 1 --backoff 1ms \
	    --breaker 0
	RC=0
	bf-backfill -c "$d/conf" >"$d/out" 2>"$d/err" || RC=$?
	nfail=$(sed -n 's/^bf-backfill: [0-9]* windows committed, \([0-9]*\) failed, .*/\1/p' "$d/err")
	n=$((3 * (24 * days - 6)))
	check_eq "$nfail" "$n" "$days day(s): the windows from 06:00 on fail ($n)"
	check_eq "$(sed -n 's/^bf-backfill:   failed: \([0-9]*\) windows\{0,1\}, .*/\1/p' "$d/err" |
	    awk '{ n += $1 } END { print n + 0 }')" "$nfail" "$days day(s): the failed groups add up"
	wc -l <"$d/err" >"$d/lines"
	diag "$days day(s), exit $RC: $(cat "$d/lines") lines"
done
# At most: the first window of each of the 2 causes, once for the 3
# pipelines, from bf-fetch and from bf-load, each in up to 2 wordings (8;
# whether a message adds "circuit breaker opened" depends on timing), the
# breaker opening and closing (2), the 4 count lines of the two programs
# and 6 summary lines: 20, whatever the number of windows. Each pipeline
# saying its own would be more (25 were seen).
for days in 1 2; do
	[ "$(cat "$T/down/d$days/lines")" -le 20 ] &&
	    pass "$days day(s): at most 20 lines of messages for $((72 * days)) windows" ||
	    { fail "$days day(s): at most 20 lines of messages for $((72 * days)) windows"; diag "$(cat "$T/down/d$days/err")"; }
done
check_eq "$(grep -c 'next probe' "$T/down/d2/err")" 0 "nothing promises a next probe"
done_testing
