#!/bin/sh
# hostile-json: the JSON reader (bf_json_parse through tool-jsoncheck) on
# input built to hurt: a 100 MB line, a million fields in one object, a
# million nested arrays, a million array elements, and an object whose keys
# all share one 32-bit FNV-1a hash (the hash of the duplicate-key check), so
# that a quadratic duplicate search would take minutes. Every answer must
# come, be right, and come within a generous time limit (a guard against a
# hang or a complexity attack, far above the normal time: `make bench`
# measures speed). The inputs are generated into $T, never committed.
. "$(dirname "$0")/../lib/common.sh"

check=$BF_TOOLS/tool-jsoncheck
[ -x "$check" ] || skip_all "$check not built"
command -v timeout >/dev/null 2>&1 || skip_all "timeout(1) not installed"
# Under the sanitizers and valgrind everything is slower.
limit=60
[ "${BF_SANITIZE:-}" = 1 ] && limit=300

# jcheck NAME WANT [FLAGS]: runs tool-jsoncheck -p on $T/in, expects the
# single answer WANT ("valid" or "invalid CODE OFFSET").
jcheck() {
	RC=0
	timeout "$limit" "$check" -p ${3:-} <"$T/in" >"$T/out" 2>"$T/err" || RC=$?
	if [ "$RC" -eq 124 ]; then
		fail "$1: no answer within $limit s"
	elif [ "$RC" -ne 0 ]; then
		fail "$1: tool-jsoncheck exit $RC"
		sed 's/^/# /' "$T/err" >&2
	else
		check_eq "$(cat "$T/out")" "$2" "$1"
	fi
}

MB100=100000000

# A 100 MB line: one string value.
{ printf '{"a":"'; head -c $MB100 /dev/zero | tr '\0' x; printf '"}\n'; } \
    >"$T/in"
jcheck "100 MB string value" "valid" -o
# The same without its closing quote: truncated, found at the end.
{ printf '{"a":"'; head -c $MB100 /dev/zero | tr '\0' x; printf '\n'; } \
    >"$T/in"
jcheck "100 MB unterminated string" "invalid truncated $((MB100 + 6))"
# 100 MB of garbage: refused at once.
head -c $MB100 /dev/zero | tr '\0' x >"$T/in"
echo >>"$T/in"
jcheck "100 MB of garbage" "invalid invalid_json 0"
# 100 MB of one number: valid JSON (RFC 8259 sets no limit).
{ head -c $MB100 /dev/zero | tr '\0' 7; echo; } >"$T/in"
jcheck "100 MB number" "valid"
rm -f "$T/in"

# A million fields in one object: 2000001 tokens, over BF_JSON_MAXTOK
# (1048576): refused as too large, at the first token past the limit (the
# 1048577th: the value of field 524287).
awk 'BEGIN { printf "{"; for (i = 0; i < 1000000; i++)
	printf "%s\"k%d\":%d", i ? "," : "", i, i; print "}" }' >"$T/in"
off=$(awk 'BEGIN { n = 1; for (i = 0; i < 524287; i++) {
	n += length(sprintf("\"k%d\":%d", i, i)) + 1 }; print n + 10 }')
jcheck "a million fields" "invalid too_many_tokens $off"
# Half a million fields fit, all distinct...
awk 'BEGIN { printf "{"; for (i = 0; i < 500000; i++)
	printf "%s\"k%d\":%d", i ? "," : "", i, i; print "}" }' >"$T/in"
jcheck "half a million fields" "valid" -o
# ...and a repeated key among them, written with an escape, is found.
awk 'BEGIN { printf "{"; for (i = 0; i < 499999; i++)
	printf "%s\"k%d\":%d", i ? "," : "", i, i; printf ",\"\\u006b7\":0}\n" }' \
    >"$T/in"
off=$(($(wc -c <"$T/in") - 13))
jcheck "half a million fields, one duplicate" "invalid duplicate_key $off"

# A million nested arrays: refused at depth 65, without recursion.
awk 'BEGIN { s = "[[[[[[[[[["; for (i = 0; i < 100000; i++) printf "%s", s;
	s = "]]]]]]]]]]"; for (i = 0; i < 100000; i++) printf "%s", s; print "" }' \
    >"$T/in"
jcheck "a million nested arrays" "invalid too_deep 64"
# ...and objects.
awk 'BEGIN { for (i = 0; i < 1000000; i++) printf "{\"a\":"; print "1" }' \
    >"$T/in"
jcheck "a million nested objects" "invalid too_deep 320"
# Exactly 64 levels are fine.
awk 'BEGIN { for (i = 0; i < 64; i++) printf "["; for (i = 0; i < 64; i++)
	printf "]"; print "" }' >"$T/in"
jcheck "64 nested arrays" "valid"

# A million array elements: over the token limit; 1048575 fit.
awk 'BEGIN { printf "["; for (i = 0; i < 1000000; i++) printf "%s0",
	i ? "," : ""; print "]" }' >"$T/in"
jcheck "a million elements" "valid"
awk 'BEGIN { printf "["; for (i = 0; i < 1048576; i++) printf "%s0",
	i ? "," : ""; print "]" }' >"$T/in"
jcheck "2^20 elements (2^20 + 1 tokens)" \
    "invalid too_many_tokens $((1 + 2 * 1048575))"

# Hash flooding: 2^17 keys (a 10 MB line) with one 32-bit FNV-1a hash, the
# hash of the duplicate-key check. Each pair below is two 5-byte blocks that
# take FNV-1a from the state the blocks before them left to one same state,
# so any choice of one block per pair gives the same hash. A duplicate
# search that compares every pair of keys with equal hashes needs 8.6e9
# comparisons here (over a minute; seconds already for the 13000 such keys
# a 1 MiB line holds); sorting them by text takes milliseconds.
pairs="alCxh/ap2la azEnS/aBcZa afCpj/aB0ta ah3lh/aDBxa akM8f/aw2La afCxh/az2la azEnS/aBcZa afCpj/aB0ta ah3lh/aDBxa akM8f/aw2La afCxh/az2la azEnS/aBcZa afCpj/aB0ta ah3lh/aDBxa akM8f/aw2La afCxh/az2la azEnS/aBcZa"
printf '\n' >"$T/keys"
for p in $pairs; do
	x=${p%/*} y=${p#*/}
	awk -v x="$x" -v y="$y" '{ print $0 x; print $0 y }' "$T/keys" \
	    >"$T/keys2"
	mv "$T/keys2" "$T/keys"
done
check_eq "$(wc -l <"$T/keys")" 131072 "2^17 colliding keys generated"
awk 'BEGIN { printf "{" } { printf "%s\"%s\":0", (NR > 1 ? "," : ""), $0 }
	END { print "}" }' "$T/keys" >"$T/in"
limit=20
[ "${BF_SANITIZE:-}" = 1 ] && limit=120
jcheck "2^17 keys of one hash" "valid" -o
# The same with the first key repeated at the end.
first=$(head -1 "$T/keys")
awk -v f="$first" 'BEGIN { printf "{" } { printf "%s\"%s\":0",
	(NR > 1 ? "," : ""), $0 } END { printf ",\"%s\":1}\n", f }' "$T/keys" \
    >"$T/in"
off=$(($(wc -c <"$T/in") - ${#first} - 6))
jcheck "2^17 keys of one hash, one duplicate" "invalid duplicate_key $off"

done_testing
