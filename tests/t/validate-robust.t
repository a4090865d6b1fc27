#!/bin/sh
# Bad input never crashes bf-validate and never disappears: every line of a
# few thousand mutated samples is either passed on or in the DLQ (or an
# empty line, counted). Hostile sizes: a 16 MiB line, a line of a million
# tokens, deep nesting.
. "$(dirname "$0")/../lib/common.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
C=$BF_TOP/tests/man-fixtures/validate-contract.json

# Mutations of a good sample: bytes dropped, doubled, replaced (seeded, so
# the same lines every run).
awk 'BEGIN {
	srand(7)
	good = "{\"type\":\"sample\",\"partition\":\"db-01\",\"window_start\":\"2026-01-01T00:00:00Z\",\"window_end\":\"2026-01-02T00:00:00Z\",\"instance_id\":\"db-01\",\"metric\":\"cpu_utilization\",\"ts\":\"2026-01-01T00:05:00Z\",\"value\":42.5,\"unit\":\"Percent\"}"
	split("{ } [ ] \" : , 0 1 - . e E \\\\ n t f u x \t", pool, " ")
	pool[21] = " "
	for (i = 0; i < 3000; i++) {
		s = good
		k = int(rand() * 3) + 1
		for (m = 0; m < k; m++) {
			p = int(rand() * length(s)) + 1
			r = int(rand() * 3)
			c = pool[int(rand() * 21) + 1]
			if (r == 0) s = substr(s, 1, p - 1) substr(s, p + 1)
			else if (r == 1) s = substr(s, 1, p) substr(s, p)
			else s = substr(s, 1, p - 1) c substr(s, p + 1)
		}
		print s
	}
	print "{\"type\":\"window\",\"partition\":\"db-01\",\"window_start\":\"2026-01-01T00:00:00Z\",\"window_end\":\"2026-01-02T00:00:00Z\"}"
}' >"$T/mut.ndjson"

run_prog bf-validate -c "$C" -n 2026-06-01 -r 1 -d "$T/dlq.ndjson" "$T/mut.ndjson"
check_rc 0 "3000 mutated lines: no crash"
lines=$(wc -l <"$T/mut.ndjson")
out=$(grep -c '"type"' "$T/out" || true)
rej=$(wc -l <"$T/dlq.ndjson")
empty=$(sed -n 's/.*skipped \([0-9]*\) empty line.*/\1/p' "$T/err")
check_eq "$((out + rej + ${empty:-0}))" "$lines" \
    "every line is passed on, in the DLQ, or a counted empty line"
check_eq "$(jq -r .type "$T/dlq.ndjson" | sort -u)" reject "the DLQ is valid JSON"
# Each accepted line must be valid JSON that jq reads back.
check_eq "$(head -n -1 "$T/out" | jq -c . 2>/dev/null | wc -l)" "$((out - 1))" \
    "every line passed on is valid JSON"
codes=$(jq -r .error.code "$T/dlq.ndjson" | sort -u | tr '\n' ' ')
case $codes in
*invalid_json*truncated*) pass "several codes seen: $codes" ;;
*) fail "several codes seen: $codes" ;;
esac

# A 16 MiB line (default --max-line 1M): refused, memory stays small.
{ printf '{"type":"sample","x":"'; head -c 16777216 /dev/zero | tr '\0' a;
  printf '"}\n{"type":"usage"}\n'; } >"$T/big.ndjson"
run_prog bf-validate -c "$C" -n 2026-06-01 -d "$T/dlq2.ndjson" "$T/big.ndjson"
check_rc 0 "a 16 MiB line"
check_eq "$(jq -r .error.code "$T/dlq2.ndjson")" line_too_long "line_too_long"
check_eq "$(jq -r '.raw | length' "$T/dlq2.ndjson")" 16777240 \
    "its DLQ entry holds the whole line (16 MiB and 24 bytes)"
check_eq "$(cat "$T/out")" '{"type":"usage"}' "the next line is read normally"

# A million tokens in one line (under a raised --max-line).
awk 'BEGIN { printf "{\"type\":\"sample\",\"a\":["; for (i = 0; i < 1100000; i++) printf "0,"; print "0]}" }' \
    >"$T/tokens.ndjson"
run_prog bf-validate -c "$C" -n 2026-06-01 -m 4M -d "$T/dlq3.ndjson" "$T/tokens.ndjson"
check_rc 0 "a line of a million tokens"
check_eq "$(jq -r .error.code "$T/dlq3.ndjson")" too_many_tokens "too_many_tokens"

# Deep nesting in plain mode, against a recursive schema.
printf '%s\n' '{"$defs":{"n":{"type":["array","integer"],"items":{"$ref":"#/$defs/n"}}},"$ref":"#/$defs/n"}' >"$T/rec.json"
{ i=0; while [ $i -lt 60 ]; do printf '['; i=$((i + 1)); done; printf '1';
  i=0; while [ $i -lt 60 ]; do printf ']'; i=$((i + 1)); done; printf '\n';
  i=0; while [ $i -lt 60 ]; do printf '['; i=$((i + 1)); done; printf '"x"';
  i=0; while [ $i -lt 60 ]; do printf ']'; i=$((i + 1)); done; printf '\n'; } >"$T/deep.ndjson"
run_prog bf-validate -p -c "$T/rec.json" -r 1 -d "$T/dlq4.ndjson" "$T/deep.ndjson"
check_rc 0 "deep nesting against a recursive schema"
check_eq "$(wc -l <"$T/out")" 1 "the integer leaf passes"
check_eq "$(jq -r '.error.pointer | split("/") | length' "$T/dlq4.ndjson")" 61 \
    "the string leaf is refused with its 60-level pointer"
done_testing
