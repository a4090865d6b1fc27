#!/bin/sh
# bf-ledger export --format focus against the FinOps Foundation's FOCUS 1.2
# rules (the validator's model-1.2.json and currency_codes.csv in
# ../shared/testdata/focus-validator-rules/), checked by
# tests/lib/focus-rules.jq: one TAP line per rule reached from the
# CostAndUsage dataset rule. Rules it does not check are listed as SKIP
# with the reason (criteria this dataset does not claim, MAY rules, Dynamic
# rules stated in prose only, columns left out); SHOULD rules that fail are
# TODO (recommended, not required).
#
# The dataset claims: SUB_ACCOUNT_SUPPORTED (tenants), USAGE_MEASUREMENT_
# SUPPORTED (quantities), BILLING_BASED_ON_PROVISIONED_RESOURCES_SUPPORTED
# (instances), ACCOUNT_NAMING_SUPPORTED; no discounts, public price lists,
# regions, tags, capacity reservations or currency conversions.
. "$(dirname "$0")/../lib/common.sh"
RULES=$SHARED/testdata/focus-validator-rules
[ -f "$RULES/model-1.2.json" ] ||
	skip_all "FOCUS rules not found in $RULES (../shared is absent, as in a user's clone)"
F=$BF_TOP/tests/man-fixtures
CLAIMS='["SUB_ACCOUNT_SUPPORTED","USAGE_MEASUREMENT_SUPPORTED","BILLING_BASED_ON_PROVISIONED_RESOURCES_SUPPORTED","ACCOUNT_NAMING_SUPPORTED"]'

bf-load -d "$T/l.db" "$F/ledger-usage.ndjson" >/dev/null
bf-load -d "$T/l.db" "$F/ledger-usage-v2.ndjson" >/dev/null
run_prog bf-ledger -d "$T/l.db" export --format focus
check_rc 0 "export --format focus"
cp "$T/out" "$T/focus.csv"

check_rules() { # CSV: runs the rules, writes $T/res.ndjson
	"$BF_TOOLS/tool-csvjson" "$1" >"$T/data.ndjson" &&
	jq -nc -f "$BF_TOP/tests/lib/focus-rules.jq" \
	    --slurpfile model "$RULES/model-1.2.json" \
	    --slurpfile data "$T/data.ndjson" \
	    --rawfile currencies "$RULES/currency_codes.csv" \
	    --argjson claims "$CLAIMS" >"$T/res.ndjson"
}

check_rules "$T/focus.csv" || fail "the rules ran"
while IFS='	' read -r id result strength fn why rows; do
	case $result in
	pass) pass "$id ($strength, $fn)" ;;
	skip) _n=$((_n + 1)); echo "ok $_n - $id # SKIP $why" ;;
	fail)
		if [ "$strength" = should ]; then
			_n=$((_n + 1))
			echo "not ok $_n - $id ($fn) # TODO recommended, not required"
		else
			fail "$id ($strength, $fn): $rows rows"
		fi ;;
	esac
done <<EOF
$(jq -r '[.id, .result, .strength // "-", .function // "-", .why // "-", .rows // 0] | @tsv' "$T/res.ndjson")
EOF
n=$(jq -s 'map(select(.result == "pass" and .strength == "must")) | length' "$T/res.ndjson")
[ "$n" -ge 100 ] && pass "$n MUST rules checked" || fail "only $n MUST rules checked"

# The checker can fail: a dataset with a broken date, an unknown currency,
# a missing column and a value FOCUS does not allow.
awk -F, 'BEGIN { OFS = "," } NR == 2 { $5 = "2026-02-01 00:00"; $4 = "ZZZ"; $7 = "Usages" } { print }' \
    "$T/focus.csv" | cut -d, -f2- >"$T/bad.csv"
check_rules "$T/bad.csv"
got=$(jq -r 'select(.result == "fail" and .strength == "must") | .id' "$T/res.ndjson" | sort | tr '\n' ' ')
check_eq "$got" "BillingCurrency-C-003-M BillingCurrency-C-006-M BillingPeriodEnd-C-001-M BillingPeriodEnd-C-002-M ChargeCategory-C-003-M ConsumedQuantity-C-004-C CostAndUsage-D-006-M " \
    "a broken dataset fails the rules it breaks"

# What the export says, checked by hand (tests/man-fixtures/ledger-*.ndjson):
# db-1: charge cpu 0.24 (6 vCPU-Hours, later corrected: quantity 0 here),
# charge storage 0.07584 (480 GiB-Hours), February charges cpu 0.2 and
# storage 0.07584 (that row later removed: quantity 0), the correction
# +0.01916 (carries the current 6.479), the reversal -0.07584 (no
# quantity); db-2's multi-owner charge 0.67 split 0.335 / 0.335 with
# 8.375 vCPU-Hours each (12 of 24 hours each).
"$BF_TOOLS/tool-csvjson" "$T/focus.csv" | tail -n +2 | jq -r \
    '[.x_Partition, .x_LedgerSeq, .ChargeClass // "-", .BilledCost, .PricingQuantity // "-", .SubAccountId // "-", .x_CostCenter // "-", .BillingPeriodStart] | join(" ")' >"$T/got"
cat >"$T/want" <<'EOF'
db-1 1 - 0.240000000 0.000000000 acme cc-1 2026-01-01T00:00:00Z
db-1 2 - 0.075840000 480.000000000 acme cc-1 2026-01-01T00:00:00Z
db-1 3 - 0.200000000 5.000000000 acme cc-1 2026-02-01T00:00:00Z
db-1 4 - 0.075840000 0.000000000 acme - 2026-02-01T00:00:00Z
db-1 5 Correction 0.019160000 6.479000000 acme cc-1 2026-01-01T00:00:00Z
db-1 6 Correction -0.075840000 - acme - 2026-02-01T00:00:00Z
db-2 1 - 0.335000000 8.375000000 globex cc-7 2026-01-01T00:00:00Z
db-2 2 - 0.335000000 8.375000000 initech cc-9 2026-01-01T00:00:00Z
EOF
check_file "$T/got" "$T/want" "FOCUS rows: amounts, classes, quantities, owners"

# Per owner, the FOCUS rows add up to the chargeback (January).
"$BF_TOOLS/tool-csvjson" "$T/focus.csv" | tail -n +2 | jq -rs \
    'map(select(.BillingPeriodStart == "2026-01-01T00:00:00Z")) | group_by(.SubAccountId)[]
     | [.[0].SubAccountId, (map(.BilledCost | tonumber) | add * 1e9 | round)] | join(" ")' >"$T/got"
bf-ledger -d "$T/l.db" chargeback -p 2026-01 |
    jq -r 'select(.type == "chargeback") | [.tenant, (.cost | tonumber * 1e9 | round)] | join(" ")' >"$T/want"
check_file "$T/got" "$T/want" "FOCUS rows add up to the chargeback per tenant"

# --period keeps the rows of one billing period; --billing-day moves it.
run_prog bf-ledger -d "$T/l.db" export -F focus -p 2026-02
check_eq "$(tail -n +2 "$T/out" | wc -l | tr -d ' ')" 3 "export -F focus -p 2026-02: 3 rows"
run_prog bf-ledger -d "$T/l.db" export -F focus -p 2025-12 -b 15
check_eq "$(tail -n +2 "$T/out" | cut -d, -f5,6 | sort -u)" \
    "2026-01-15T00:00:00Z,2025-12-15T00:00:00Z" "billing day 15: January 1 is in period 2025-12"
done_testing
