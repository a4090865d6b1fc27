#!/bin/sh
# The demo's report in a real browser. The demo is built as make demo
# builds it (bf-gen -d 31, bf-backfill -c examples/demo/backfill.conf,
# then examples/demo/show, which writes demo/report.html with the demo's
# quotas), here in the test's directory; Debian's headless Chromium loads
# the page, driven over the DevTools protocol by tests/lib/cdp.py. The page
# must load with no network request but its own file:// URL and no console
# error; its screenshot must not be blank; it must print to an A4 PDF and
# fit a 390 px wide phone without horizontal scrolling; and the figures read
# from its DOM (the data-bf-* contract of bf-ledger(1)) must equal, as
# strings, bf-ledger chargeback --cents and bf-ledger quota, and the cents
# and quota figures computed here from the usage rows in python3 Decimal.
# A page built to fail every check shows that the checks can fail.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
[ "${BF_SANITIZE:-}" != 1 ] ||
	skip_all "Chromium renders the report once, in the plain make check"
[ "${BF_VALGRIND:-}" != 1 ] ||
	skip_all "Chromium renders the report once, in the plain make check"
CHROMIUM=${BF_CHROMIUM:-chromium}
command -v "$CHROMIUM" >/dev/null ||
	skip_all "$CHROMIUM is not installed (run .ci/deps)"
for p in jq sqlite3 flock python3; do
	command -v $p >/dev/null || skip_all "$p is not installed (run .ci/deps)"
done
CDP=$BF_TOP/tests/lib/cdp.py

# The figures of the page, one per line, as the DOM holds them:
#   tenant TENANT CURRENCY CENTS TEXT      headline per tenant
#   total CURRENCY CENTS TEXT              its total
#   cc TENANT CENTRE CURRENCY CENTS TEXT   per cost centre
#   cctotal CURRENCY CENTS TEXT            its total
#   quota TENANT METRIC UNIT LIMIT USED PERCENT OVERAGE OVERAGE_COST CURRENCY STATUS
# TEXT is the cell's visible text: what people read must be what scripts read.
FIG_JS='(() => {
	const out = [], q = s => [...document.querySelectorAll(s)];
	for (const e of q("[data-bf-cents]")) {
		const d = e.dataset, t = e.textContent.trim(), v = [d.bfCurrency, d.bfCents, t];
		if ("bfCostCenter" in d) out.push(["cc", d.bfTenant, d.bfCostCenter, ...v]);
		else if ("bfTenant" in d) out.push(["tenant", d.bfTenant, ...v]);
		else if ("bfTotal" in d) out.push(["total", ...v]);
		else if ("bfCcTotal" in d) out.push(["cctotal", ...v]);
		else out.push(["unknown", e.outerHTML]);
	}
	for (const r of q("[data-bf-quota-tenant]")) {
		const f = a => { const c = r.querySelector("[data-bf-" + a + "]");
			return c ? c.getAttribute("data-bf-" + a) : "MISSING"; };
		out.push(["quota", r.dataset.bfQuotaTenant, r.dataset.bfQuotaMetric,
		    ...["unit", "limit", "used", "percent", "overage", "overage-cost",
		    "currency", "status"].map(f)]);
	}
	return out.map(l => l.join(" "));
})()'

# render NAME FILE: FILE in a fresh Chromium (its own profile), at 1280x900,
# then as a 390 px phone; $T/NAME.json is cdp.py's report, $T/NAME.png the
# screenshot, $T/NAME.pdf the A4 print. Chromium's process group is killed
# on exit if cdp.py could not do it (its pid file is gone once it did).
render() {
	mkdir -m 700 "$T/$1.profile"
	at_exit "[ ! -s '$T/$1.pid' ] || kill -KILL -- -\$(cat '$T/$1.pid')"
	RC=0
	python3 "$CDP" render --chromium "$CHROMIUM" --profile "$T/$1.profile" \
	    --pidfile "$T/$1.pid" --size 1280x900 --screenshot "$T/$1.png" \
	    --pdf "$T/$1.pdf" --phone 390 --eval "fig=$FIG_JS" "$2" \
	    >"$T/$1.json" 2>"$T/$1.err" || RC=$?
}
# problems NAME CHECK: what is wrong with the page NAME for CHECK, one line
# per problem; nothing when all is well (and a problem when there is
# nothing to judge).
problems() {
	case $2 in requests | errors | phone)
		jq -e .url "$T/$1.json" >/dev/null 2>&1 || {
			echo "cdp.py wrote no report"
			return 0
		}
	esac
	case $2 in
	requests) # the page's own URL, once, and nothing else
		jq -r '.requests - [.url] | .[]' "$T/$1.json"
		jq -r '[.requests[] | select(. == $u)] | length |
		    select(. != 1) | "the page was requested \(.) times"' \
		    --arg u "$(jq -r .url "$T/$1.json")" "$T/$1.json" ;;
	errors)
		jq -r '.errors[]' "$T/$1.json" ;;
	blank) # a few colours are a blank page or a flat one
		python3 "$CDP" png "$T/$1.png" >"$T/$1.stat" 2>&1 ||
			echo "no PNG: $(cat "$T/$1.stat")"
		jq -r 'select(.colours < 16 or .nonwhite < 0.05) |
		    "blank: \(.colours) colours, \(.nonwhite) not white"' "$T/$1.stat" 2>/dev/null ;;
	pdf) # a PDF of A4 pages (595 x 842 points, to the point)
		head -c 5 "$T/$1.pdf" | grep -qx '%PDF-' || echo "not a PDF"
		grep -ao '/MediaBox *\[[^]]*\]' "$T/$1.pdf" | awk '
		    { gsub(/[^0-9. ]/, " "); n++
		      if (int($3 + .5) != 595 || int($4 + .5) != 842) print "page", n, "not A4:", $3, $4 }
		    END { if (!n) print "no page" }' ;;
	phone)
		jq -r '.phone | select(.scrollWidth > .width) |
		    "\(.scrollWidth) px wide on a \(.width) px phone"' "$T/$1.json" ;;
	esac
}

# The demo, as make demo builds it, in the test's directory.
demo_run
check_rc 0 "the demo backfill"
run_prog sh examples/demo/show
check_rc 0 "examples/demo/show (make demo's last step)"
ok=$(grep -cx '  demo/report.html' "$T/out") || :
check_eq "$ok" 1 "make demo prints the report's path"
check_eq "$(grep -c 'data-bf-cents' demo/report.html)" 10 \
    "demo/report.html: 4 tenants and a total, twice (tenants, cost centres)"

render report demo/report.html
check_rc 0 "Chromium loads the report, screenshot, A4 PDF, phone (cdp.py)"
[ "$RC" -eq 0 ] || diag "$(cat "$T/report.err")" "$(tail -5 "$T/report.profile/chromium.log")"
check_eq "$(problems report requests)" "" "no network request but the page itself"
check_eq "$(problems report errors)" "" "no console error, exception or error log entry"
check_eq "$(problems report blank)" "" "the screenshot is not blank"
check_eq "$(problems report pdf)" "" "the page prints to A4 PDF pages"
check_eq "$(problems report phone)" "" "no horizontal scrolling on a 390 px phone"
jq -r '.eval.fig[]' "$T/report.json" >"$T/fig"

# What bf-ledger says: chargeback --cents per tenant and per cost centre,
# and quota, as fig lines (cents: the rounded amount without its point).
chargeback() {
	k=$1
	shift
	bf-ledger -d demo/ledger.db chargeback -p 2026-01 -c -F ndjson "$@" |
	    jq -r '(.rounded | sub("\\."; "") | tonumber) as $c |
		if .type == "total" then [if $k == "cc" then "cctotal" else "total" end] else
		    [$k, .tenant] + (if $k == "cc" then [.cost_center] else [] end) end +
		[.currency, $c, "\(.rounded) \(.currency)"] | join(" ")' --arg k "$k"
}
{
	chargeback tenant
	chargeback cc -B cost-center
	RC=0
	bf-ledger -d demo/ledger.db quota -p 2026-01 -q examples/demo/quotas.csv \
	    -F ndjson >"$T/quota" || RC=$?
	check_rc 4 "bf-ledger quota: the demo's quotas exceeded" >&3
	jq -r '["quota", .tenant, .metric, .unit, .limit, .used, .percent,
	    .overage, .overage_cost, .currency, .status] | map(tostring) | join(" ")' \
	    "$T/quota"
} 3>&1 >"$T/bf.fig"
check_eq "$(grep -c . "$T/fig")" 15 \
    "the page: 4 tenants and a total, twice, and 5 quotas"
check_file "$T/fig" "$T/bf.fig" \
    "the page's figures equal bf-ledger chargeback --cents and quota, exactly"

# The same figures from the usage rows, computed here: each row's cost
# charged to its allocations' tenants and cost centres, summed in Decimal;
# cents by bf-ledger(1)'s CENTS rule (each line floored to the cent, the
# cents missing to the total rounded half to even given to the largest
# remainders, ties in output order); quota used by its QUOTAS rule (a
# multi-owner row's quantity split by the allocations' seconds, every share
# but the last rounded to 9 places half to even, the last the rest).
cat >"$T/indep.py" <<'PY'
import csv, json, sqlite3, sys
from datetime import datetime
from decimal import Decimal as D, ROUND_FLOOR, ROUND_HALF_EVEN
db, quotas, start, end = sys.argv[1:5]
CENT, NANO = D("0.01"), D("1e-9")
f = lambda x: format(x, "f")
ep = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").timestamp()
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
cost, used, mcost, mcur = {}, {}, {}, {}
def add(m, k, v):
    m[k] = m.get(k, D(0)) + v
for metric, cur, q, c, allocs in con.execute(
        "SELECT metric, currency, quantity, cost, allocations FROM usage"
        " WHERE window_start >= ? AND window_start < ?", (start, end)):
    allocs, q = json.loads(allocs), D(q)
    secs = [ep(a["to"]) - ep(a["from"]) for a in allocs]
    left = q
    for i, a in enumerate(allocs):
        share = left if i == len(allocs) - 1 else \
            (q * D(secs[i]) / D(sum(secs))).quantize(NANO, ROUND_HALF_EVEN)
        left -= share
        add(cost, (a["tenant"], a["cost_center"], cur), D(a["cost"]))
        add(used, (a["tenant"], metric), share)
        add(mcost, (a["tenant"], metric), D(a["cost"]))
        mcur[a["tenant"], metric] = cur
def cents(kind, lines):
    for cur in sorted({k[-1] for k in lines}):
        keys = sorted(k for k in lines if k[-1] == cur)
        total = sum(lines[k] for k in keys).quantize(CENT, ROUND_HALF_EVEN)
        fl = {k: lines[k].quantize(CENT, ROUND_FLOOR) for k in keys}
        missing = int((total - sum(fl.values())) / CENT)
        order = sorted(keys, key=lambda k: (-(lines[k] - fl[k]), keys.index(k)))
        for k in order[:missing]:
            fl[k] += CENT
        for k in keys:
            print(kind, *k, int(fl[k] / CENT), f(fl[k]), cur)
        print(kind + "total" if kind == "cc" else "total", cur,
              int(total / CENT), f(total), cur)
bytenant = {}
for (t, cc, cur), v in cost.items():
    add(bytenant, (t, cur), v)
cents("tenant", bytenant)
cents("cc", cost)
period = start[:7]
for r in csv.DictReader(open(quotas)):
    if r["period"] not in ("", period):
        continue
    k = (r["tenant"], r["metric"])
    u, lim = used[k], D(r["limit"])
    over = max(u - lim, D(0))
    print("quota", r["tenant"], r["metric"], r["unit"], f(lim.quantize(NANO)),
          f(u), f((u * 100 / lim).quantize(CENT, ROUND_HALF_EVEN)),
          f(over.quantize(NANO)),
          f((over * mcost[k] / u).quantize(NANO, ROUND_HALF_EVEN)), mcur[k],
          "exceeded" if u > lim else "ok")
PY
python3 "$T/indep.py" demo/ledger.db examples/demo/quotas.csv \
    2026-01-01T00:00:00Z 2026-02-01T00:00:00Z >"$T/want.fig"
check_file "$T/fig" "$T/want.fig" \
    "the page's figures equal those computed here from the usage rows"
check_eq "$(grep -c ' exceeded$' "$T/want.fig")" 2 \
    "the demo's quotas: two exceeded (initech's vCPU-Hours, umbrella's connections)"

# The checks fail when they should: a page that fetches an image over HTTP,
# logs a console error, throws, is white and wider than a phone, and holds
# no figure.
cat >"$T/bad.html" <<'HTML'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>bad</title></head>
<body style="margin:0"><div style="width:1000px;height:1px"></div>
<img src="http://127.0.0.1:65534/bf-test.png" width="1" height="1" alt="">
<script>console.error("bf-test: boom"); throw new Error("bf-test: bang");</script>
</body></html>
HTML
render bad "$T/bad.html"
check_rc 0 "Chromium loads the bad page too"
check_eq "$(problems bad requests)" "http://127.0.0.1:65534/bf-test.png" \
    "the check sees a network request"
problems bad errors >"$T/bad.errors"
check_eq "$(grep -c 'console.error: bf-test: boom' "$T/bad.errors")" 1 "the check sees console.error"
check_eq "$(grep -c 'exception: .*bf-test: bang' "$T/bad.errors")" 1 "the check sees an exception"
check_eq "$(grep -c '^log: .*bf-test.png' "$T/bad.errors")" 1 \
    "the check sees the failed load in the error log"
check_eq "$(problems bad blank | cut -d: -f1)" blank "the check sees a blank screenshot"
check_eq "$(problems bad phone | sed 's/^1[0-9][0-9][0-9] px/N px/')" "N px wide on a 390 px phone" \
    "the check sees the overflow"
check_eq "$(jq '.eval.fig | length' "$T/bad.json")" 0 "no figure on the bad page"
printf 'not a pdf' >"$T/bad.pdf"
check_eq "$(problems bad pdf)" "not a PDF
no page" "the check sees a PDF that is none"
check_eq "$(ls "$T"/*.pid 2>/dev/null)" "" "cdp.py killed Chromium both times"

# The README's picture of the report (make screenshot): there, a PNG of the
# page at 1024 px, not blank, under 300 KB.
png=$(sed -n 's/^!\[[^]]*\](\(doc\/[^)]*\.png\))$/\1/p' "$BF_TOP/README.md")
check_eq "$png" doc/report.png "README.md shows doc/report.png"
cp "$BF_TOP/doc/report.png" "$T/readme.png" 2>/dev/null || :
check_eq "$(problems readme blank)" "" "doc/report.png is not blank"
check_eq "$(python3 "$CDP" png "$T/readme.png" | jq .width)" 1024 "doc/report.png: 1024 px wide"
check_eq "$(find "$BF_TOP/doc/report.png" -size -300k)" "$BF_TOP/doc/report.png" \
    "doc/report.png: under 300 KB"
done_testing
