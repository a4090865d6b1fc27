#!/bin/sh
# Sums in SQLite (bf-ledger(1), SUMS IN SQL): amounts are text, sum()
# adds them as binary floats and is wrong in the last places, while the
# sqlite3 shell's decimal_sum() and bf-ledger chargeback give the exact
# sum, here computed by python3's decimal module from the input.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
sqlite3 :memory: "select decimal_sum('0.1')" >/dev/null 2>&1 ||
    skip_all "this sqlite3 shell has no decimal_sum() (SQLite before 3.35)"

# 25 daily windows of 4 rows (100 charges), costs of 7 to 8 digits and 9 places.
gen db-1 1 25 2 2 | awk 'BEGIN { srand(15) }
/"type":"usage"/ { c = sprintf("%d.%09d", 1000000 + int(rand() * 90000000), int(rand() * 1000000000))
	sub(/"cost":"[^"]*"/, "\"cost\":\"" c "\"") } { print }' >"$T/in.ndjson"
python3 - "$T/in.ndjson" >"$T/exact" <<'PY'
import decimal, json, sys
decimal.getcontext().prec = 60
s = sum(decimal.Decimal(json.loads(l)["cost"]) for l in open(sys.argv[1])
        if '"type":"usage"' in l)
print(s.quantize(decimal.Decimal("0.000000001")))
PY
exact=$(cat "$T/exact")
run_prog bf-load --db "$T/w.db" "$T/in.ndjson"
check_rc 0 "load 100 rows"

float=$(sqlite3 "$T/w.db" 'select sum(amount) from ledger')
dsum=$(sqlite3 "$T/w.db" 'select decimal_sum(amount) from ledger')
same() { python3 -c 'import decimal, sys; sys.exit(decimal.Decimal(sys.argv[1]) != decimal.Decimal(sys.argv[2]))' "$1" "$2"; }
same "$float" "$exact" && fail "sum(amount) is not exact ($float vs $exact)" ||
    pass "sum(amount) is not exact ($float vs $exact)"
same "$dsum" "$exact" && pass "decimal_sum(amount) is the exact sum $exact" ||
    { fail "decimal_sum(amount) is the exact sum"; diag "got $dsum, want $exact"; }
check_eq "$(bf-ledger -d "$T/w.db" chargeback -p 2026-01 | jq -r 'select(.type == "total") | .cost')" \
    "$exact" "bf-ledger chargeback's total is the exact sum"
done_testing
