#!/bin/sh
# examples/audit.sh: an audit of a bf warehouse with jq and awk.
#
#   usage: audit.sh [-q dlq.ndjson] TARGET
#
# TARGET is a SQLite file or a PostgreSQL URI, as bf-load(1) takes it. The
# script reads the usage and ledger tables (sqlite3 or psql, one JSON
# object per row) and prints
#   1. the chargeback per billing month and tenant, from the usage rows'
#      allocations (months by window start: billing day 1);
#   2. the ledger per kind of entry: count and net amount;
#   3. every correction and reversal, with its reason and lineage;
#   4. a reconciliation: the ledger balance of every usage key (instance,
#      metric, window) and tenant equals that tenant's share of the usage
#      row's cost (its allocations, else the whole cost for the row's
#      tenant), and keys without a row balance to zero;
#   5. with -q, the dead-letter queue by stage and error code.
# Amounts are summed exactly, on their integer and 9-digit fraction parts
# apart, never as binary floating point. The exit status is 0 when the
# ledger reconciles, 1 when a balance differs, 2 on a usage error.
# (bf-ledger(1) verifies the hash chains; this script does not.)
set -eu
export LC_ALL=C
dlq=
while getopts q: opt; do
	case $opt in
	q) dlq=$OPTARG ;;
	*) echo "usage: audit.sh [-q dlq.ndjson] TARGET" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: audit.sh [-q dlq.ndjson] TARGET" >&2; exit 2; }
target=$1

# rows SQL: the rows of a query, one JSON object per line.
rows() {
	case $target in
	postgres://* | postgresql://* | *=*)
		psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$target" \
		    -c "SELECT row_to_json(r) FROM ($1) r" ;;
	*)
		[ -f "$target" ] || { echo "audit.sh: no warehouse '$target'" >&2; exit 2; }
		sqlite3 -json -readonly "$target" "$1" | jq -c '.[]' ;;
	esac
}

# sums: "KEY AMOUNT" lines in, "KEY SUM COUNT" lines out, exact.
sums() {
	awk '
	{
		k = $1; a = $2; neg = sub(/^-/, "", a); n[k]++
		split(a, p, "."); f = substr(p[2] "000000000", 1, 9)
		if (neg) { I[k] -= p[1]; F[k] -= f } else { I[k] += p[1]; F[k] += f }
		c = int(F[k] / 1e9); I[k] += c; F[k] -= c * 1e9
	}
	END {
		for (k in I) {
			i = I[k]; f = F[k]
			if (f < 0 && i > 0) { i--; f += 1e9 }
			if (f > 0 && i < 0) { i++; f -= 1e9 }
			s = (i < 0 || f < 0) ? "-" : ""
			printf "%s %s%.0f.%09.0f %d\n", k, s, (i < 0 ? -i : i), (f < 0 ? -f : f), n[k]
		}
	}' | sort
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/audit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
U=$tmp/usage L=$tmp/ledger
rows "SELECT instance_id, metric, window_start, window_end, tenant, cost,
    currency, allocations FROM usage" >"$U"
rows "SELECT kind, tenant, instance_id, metric, window_start, window_end,
    amount, currency, reason, run_id, usage_digest, recorded_at FROM ledger" >"$L"

echo "1. Chargeback per month and tenant (from the usage allocations)"
jq -r '.window_start[0:7] as $m | .currency as $c |
    (.allocations | fromjson)[] | "\($m)|\(.tenant)|\($c) \(.cost)"' "$U" |
	sums | awk '{ split($1, k, "|")
		printf "   %s  %-16s %18s %s  (%d allocations)\n", k[1], k[2], $2, k[3], $3 }'

echo "2. Ledger entries per kind"
jq -r '"\(.kind)|\(.currency) \(.amount)"' "$L" | sums |
	awk '{ split($1, k, "|"); printf "   %-11s %6d entries, net %18s %s\n", k[1], $3, $2, k[2] }'

echo "3. Corrections and reversals"
jq -r 'select(.kind != "charge") |
    "   \(.recorded_at) \(.kind) \(.instance_id) \(.metric) \(.window_start) \(.amount) \(.currency): \(.reason) (run \(.run_id))"' "$L" |
	sort | { grep . || echo "   none"; }

echo "4. Reconciliation: ledger balance = usage cost, per usage key and tenant"
{
	jq -r '"\(.instance_id)|\(.metric)|\(.window_start)|\(.window_end)|\(.tenant) \(.amount)"' "$L" |
		sums | sed 's/^/L /'
	jq -r '"\(.instance_id)|\(.metric)|\(.window_start)|\(.window_end)" as $k |
	    ((.allocations // "[]") | fromjson) as $a |
	    if ($a | length) > 0 then $a[] | "\($k)|\(.tenant) \(.cost)"
	    else "\($k)|\(.tenant) \(.cost)" end' "$U" |
		sums | sed 's/^/U /'
} | awk '
	$1 == "L" { bal[$2] = $3; keys[$2] = 1 }
	$1 == "U" { cost[$2] = $3; keys[$2] = 1 }
	END {
		for (k in keys) {
			n++
			b = (k in bal) ? bal[k] : "0.000000000"
			c = (k in cost) ? cost[k] : "0.000000000"
			sub(/^-0\.000000000$/, "0.000000000", b)
			if (b != c) { bad++; printf "   MISMATCH %s: ledger %s, usage %s\n", k, b, c }
		}
		printf "   %d keys, %d mismatched\n", n, bad
		exit (bad > 0)
	}' || status=1

if [ -n "$dlq" ]; then
	echo "5. Dead-letter queue by stage and code"
	if [ -s "$dlq" ]; then
		jq -r '"\(.stage) \(.error.code)"' "$dlq" | sort | uniq -c |
			awk '{ printf "   %6d %-14s %s\n", $1, $2, $3 }'
		echo "   $(jq -r .id "$dlq" | sort -u | wc -l) distinct records"
	else
		echo "   empty"
	fi
fi
exit "${status:-0}"
