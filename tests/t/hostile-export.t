#!/bin/sh
# CSV exports are opened in spreadsheets: a text cell that starts with =,
# +, -, @, tab or CR (a formula a spreadsheet would run) is written with a
# leading ' (the OWASP rule for CSV injection), in the FOCUS dataset, the
# CSV tables and the CSV reports; numbers (amounts such as -0.07584) stay
# numbers; ndjson is not touched.
. "$(dirname "$0")/../lib/common.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
F=$BF_TOP/tests/man-fixtures

# The fixtures (with a reversal of -0.075840000) and a window whose names
# are formulas (a CR, which no name may hold, in a free-text field).
WIN='"partition":"=HYPERLINK(\"http://x\")","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z"'
{
	printf '%s\n' '{"type":"usage",'"$WIN"',"instance_id":"+1+cmd|'"' /C calc'"'!A1","metric":"@SUM(A1:A9)","aggregate":"sum","value":"1.000000000","quantity":"1.000000000","usage_unit":"-2+3","unit_price":"1.000000000","cost":"1.000000000","currency":"USD","tenant":"=cmd|'"' /C calc'"'!A1","allocations":[{"tenant":"=cmd|'"' /C calc'"'!A1","cost_center":"\tcc","cost":"1.000000000"}]}' \
	    '{"type":"usage",'"$WIN"',"instance_id":"-5","metric":"=1","aggregate":"\r=1","value":"1.000000000","quantity":"1.000000000","usage_unit":"-","unit_price":"1.000000000","cost":"1.000000000","currency":"USD","tenant":"t"}' \
	    '{"type":"window",'"$WIN"',"grid":"size=86400 phase=0 billing_day=1","status":"ok"}'
} >"$T/evil.ndjson"
bf-load -d "$T/l.db" "$F/ledger-usage.ndjson" >/dev/null
bf-load -d "$T/l.db" "$F/ledger-usage-v2.ndjson" >/dev/null
run_prog bf-load -d "$T/l.db" "$T/evil.ndjson"
check_rc 0 "formula names load (stored verbatim)"

# cells FILE: every cell of a CSV, decoded (tool-csvjson), one a line
cells() { "$BF_TOOLS/tool-csvjson" "$1" | jq -r '.[]? // (to_entries[] | .value) | select(. != null) | tostring'; }
# The rule, checked on the decoded cells by a regular expression of its
# own: no cell starts with a formula character unless it is a number.
check_cells() {
	cells "$1" >"$T/cells"
	bad=$(grep -E '^[-=+@	]' "$T/cells" | grep -vE '^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$' | head -3 || :)
	cr=$(grep -c "^$(printf '\r')" "$T/cells" || :)
	check_eq "$cr" 0 "$2: no cell starts with CR"
	check_eq "$bad" "" "$2: no cell starts a formula"
	for v in "'=cmd|' /C calc'!A1" "'+1+cmd|' /C calc'!A1" "'@SUM(A1:A9)" "'-2+3" "'-"; do
		grep -qxF "$v" "$T/cells" && pass "$2: $v written with a leading '" ||
		    fail "$2: $v written with a leading '"
	done
}

run_prog bf-ledger -d "$T/l.db" export -F focus
check_rc 0 "export -F focus"
cp "$T/out" "$T/focus.csv"
check_cells "$T/focus.csv" "focus"
"$BF_TOOLS/tool-csvjson" "$T/focus.csv" | jq -r 'select(.x_Partition? == "db-1") | .BilledCost' >"$T/costs" || :
grep -qx -- "-0.075840000" "$T/costs" && pass "focus: the reversal -0.075840000 stays a number" ||
    fail "focus: the reversal -0.075840000 stays a number"
grep -q "^'-" "$T/costs" && fail "focus: no amount quoted" || pass "focus: no amount quoted"

run_prog bf-ledger -d "$T/l.db" export -F csv --table usage
check_rc 0 "export -F csv --table usage"
cp "$T/out" "$T/usage.csv"
check_cells "$T/usage.csv" "csv usage"

run_prog bf-ledger -d "$T/l.db" chargeback -p 2026-01 -F csv
check_rc 0 "chargeback -F csv"
cp "$T/out" "$T/cb.csv"
check_eq "$(cells "$T/cb.csv" | grep -E '^[=@]|^[-+][^0-9.]' | head -3)" "" "chargeback csv: no cell starts a formula"
grep -qF "'=cmd|' /C calc'!A1" "$T/cb.csv" && pass "chargeback csv: the tenant with a leading '" ||
    fail "chargeback csv: the tenant with a leading '"

run_prog bf-ledger -d "$T/l.db" export -F ndjson --table usage
check_eq "$(jq -r 'select(.metric == "@SUM(A1:A9)") | .tenant' "$T/out")" \
    "=cmd|' /C calc'!A1" "ndjson keeps the names as they are"
done_testing
