#!/bin/sh
# bf-ledger report: the HTML chargeback. Its figures, read from the markup
# (the data-bf-* contract of bf-ledger(1)) with python3's html.parser,
# equal chargeback --cents and quota; every <svg> is well-formed XML;
# names are escaped; edge cases: an empty period, one tenant, 500
# instances, negative costs.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/ledger.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v python3 >/dev/null || skip_all "python3 is not installed"

# fig.py HTML: the figures of the page, one per line:
#   cents TENANT CURRENCY CENTS     (headline per tenant; TOTAL for the total)
#   cc TENANT CENTRE CURRENCY CENTS (per cost centre)
#   quota TENANT METRIC USED STATUS
#   instance NAME COST | others N COST
#   svg N  (well-formed <svg> elements)   text: the visible text, on a line
cat >"$T/fig.py" <<'PY'
import re, sys, html.parser, xml.etree.ElementTree as ET
src = open(sys.argv[1], encoding="utf-8").read()
out = []
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.q = None; s.text = []; s.style = False
    def handle_starttag(s, tag, a):
        a = dict(a); s.style = tag == "style"
        if "data-bf-cents" in a:
            if "data-bf-cost-center" in a:
                out.append("cc %s %s %s %s" % (a["data-bf-tenant"], a["data-bf-cost-center"], a["data-bf-currency"], a["data-bf-cents"]))
            elif "data-bf-tenant" in a:
                out.append("cents %s %s %s" % (a["data-bf-tenant"], a["data-bf-currency"], a["data-bf-cents"]))
            elif "data-bf-total" in a:
                out.append("cents TOTAL %s %s" % (a["data-bf-currency"], a["data-bf-cents"]))
        if "data-bf-quota-tenant" in a:
            s.q = [a["data-bf-quota-tenant"], a["data-bf-quota-metric"]]
        if s.q is not None and "data-bf-used" in a:
            s.q.append(a["data-bf-used"])
        if s.q is not None and "data-bf-status" in a:
            out.append("quota " + " ".join(s.q + [a["data-bf-status"]])); s.q = None
        if "data-bf-instance" in a:
            s.inst = a["data-bf-instance"]
        if "data-bf-others" in a:
            s.inst = "others " + a["data-bf-others"]
        if "data-bf-cost" in a and getattr(s, "inst", None):
            out.append(("instance %s %s" if not s.inst.startswith("others") else "%s %s") % (s.inst, a["data-bf-cost"])); s.inst = None
    def handle_endtag(s, tag):
        s.style = False
    def handle_data(s, d):
        if not s.style: s.text.append(d)
p = P(); p.feed(src); p.close()
n = 0
for m in re.finditer(r"<svg\b.*?</svg>", src, re.S):
    ET.fromstring(m.group(0)); n += 1
out.append("svg %d" % n)
out.append("text " + " ".join(" ".join(p.text).split()))
print("\n".join(out))
PY
fig() { python3 "$T/fig.py" "$1"; }
# want_cents NDJSON: chargeback --cents's figures as fig.py writes them.
want_cents() {
	jq -r 'if .type == "total" then "cents TOTAL \(.currency) \(.rounded)"
	    elif .cost_center != null then "cc \(.tenant) \(.cost_center) \(.currency) \(.rounded)"
	    else "cents \(.tenant) \(.currency) \(.rounded)" end' "$1" |
	    awk '{ c = $NF; neg = sub(/^-/, "", c); sub(/\./, "", c); sub(/^0+/, "", c);
	        if (c == "") c = "0"; else if (neg) c = "-" c; $NF = c; print }'
}

# The known ledger: the headline and the quota table are chargeback's and
# quota's figures, to the cent.
ledger_load "$T/l.db" "$T/st" || fail "load the known ledger"
run_prog bf-ledger -d "$T/l.db" report -p 2026-01 -q "$LF/ledger-quotas.csv" -o "$T/r.html"
check_eq "$RC $(wc -c <"$T/out") $(cat "$T/err")" "4 0 " \
    "report with an exceeded quota: quota's exit status, nothing on stdout"
(umask 022; bf-ledger -d "$T/l.db" report -p 2026-01 -o "$T/mode.html"; touch "$T/probe")
check_eq "$(stat -c %a "$T/mode.html") $(stat -c %a "$T/probe")" "600 644" \
    "the page (costs per tenant) is created 0600 under umask 022"
fig "$T/r.html" >"$T/fig" || fail "the report parses"
bf-ledger -d "$T/l.db" chargeback -p 2026-01 --cents >"$T/cb.nd"
bf-ledger -d "$T/l.db" chargeback -p 2026-01 --cents -B cost-center >"$T/cbcc.nd"
{ want_cents "$T/cb.nd"; want_cents "$T/cbcc.nd" | grep -v '^cents TOTAL'; } >"$T/want"
grep '^cents \|^cc ' "$T/fig" | grep -v '^cc TOTAL' >"$T/got"
check_file "$T/got" "$T/want" "headline: chargeback --cents per tenant and cost centre"
check_eq "$(grep -c '^cents TOTAL USD 100$' "$T/fig")" 1 "the total in cents"
bf-ledger -d "$T/l.db" quota -q "$LF/ledger-quotas.csv" -p 2026-01 -F csv |
    awk -F, 'NR > 1 { print "quota", $3, $4, $7, $12 }' >"$T/want"
grep '^quota ' "$T/fig" >"$T/got"
check_file "$T/got" "$T/want" "quota table: quota's figures and status"
bf-ledger -d "$T/l.db" chargeback -p 2026-01 -B metric | jq -r 'select(.type == "chargeback") | "\(.tenant) \(.metric) \(.cost)"' >"$T/want"
grep -o 'data-bf-metric-tenant="[^"]*" data-bf-metric="[^"]*" data-bf-cost="[^"]*"' "$T/r.html" |
    cut -d'"' -f2,4,6 | tr '"' ' ' >"$T/got"
check_file "$T/got" "$T/want" "per tenant by metric: chargeback -B metric"
check_eq "$(grep -c 'class="exceeded"' "$T/r.html")" 1 "the exceeded quota is marked"
check_eq "$(grep '^instance' "$T/fig" | tr '\n' '|')" \
    "instance db-2 0.670000000|instance db-1 0.335000000|" "top instances by cost"
check_eq "$(grep '^svg' "$T/fig")" "svg 11" \
    "the three charts, three legend swatches and five coverage bands are well-formed SVG"
grep -qi '<script\|<img\|<link\|@import' "$T/r.html" && fail "no script, image, link or import" ||
    pass "no script, image, link or import"
check_eq "$(grep -c 'http' "$T/r.html")" "$(grep -c 'http://www.w3.org/2000/svg' "$T/r.html")" \
    "the only URL is the SVG namespace"
bf-ledger -d "$T/l.db" report -p 2026-01 -q "$LF/ledger-quotas.csv" >"$T/r2.html" 2>/dev/null || :
bf-ledger -d "$T/l.db" report -p 2026-01 -o "$T/r0.html" || :
check_file "$T/r2.html" "$T/r.html" "the same warehouse gives the same bytes (stdout or --out)"
check_eq "$(grep -o 'data-bf-verify="[a-z]*" data-bf-problems="[0-9]*"' "$T/r.html")" \
    'data-bf-verify="ok" data-bf-problems="0"' "provenance: the ledger verifies"
bf-ledger -d "$T/l.db" verify | jq -r '"\(.partition) \(.chain_head)"' >"$T/want"
grep -o 'data-bf-verify-partition="[^"]*"\|data-bf-verify-chain-head="[^"]*"' "$T/r.html" |
    cut -d'"' -f2 | paste -d' ' - - >"$T/got"
check_file "$T/got" "$T/want" "provenance: the chain heads are verify's"
check_eq "$(grep -o 'data-bf-corr-kind="[a-z]*"\|data-bf-corr-metric="[^"]*"\|data-bf-corr-amount="[^"]*"' "$T/r.html" | cut -d'"' -f2 | tr '\n' ' ')" \
    "correction cpu_seconds 0.019160000 " "corrections: January's re-measured cpu"
check_eq "$(grep -o 'data-bf-corrections="[0-9]*"' "$T/r.html")" 'data-bf-corrections="1"' \
    "corrections: one entry"
bf-ledger -d "$T/l.db" gaps -f 2026-01-01 -t 2026-02-01 |
    jq -r '"\(.partition) \(.gap_start) \(.gap_end)"' >"$T/want"
grep -o 'data-bf-gap-[a-z]*="[^"]*"' "$T/r.html" | cut -d'"' -f2 | paste -d' ' - - - >"$T/got"
check_file "$T/got" "$T/want" "gaps: bf-ledger gaps over the period"
# Golden of the text content (not the bytes), run ids left out.
grep '^text ' "$T/fig" | sed "s/T00:00:00Z/T-MIDNIGHT/g; s/ [0-9T:-]*Z-[0-9]*//g; s/ [0-9-]*T[0-9:]*Z/ TIME/g; s/T-MIDNIGHT/T00:00:00Z/g; s/ [0-9a-f]\{64\}//g; s|$T/|T/|g; s/bf-ledger [0-9][0-9.]*/bf-ledger VERSION/" | tr -s ' ' '\n' >"$T/text"
check_file "$T/text" "$BF_TOP/tests/fixtures/ledger-html.text" \
    "text content: as tests/fixtures/ledger-html.text (one word a line)"

# One tenant (February: acme only).
run_prog bf-ledger -d "$T/l.db" report -p 2026-02 -o "$T/feb.html"
fig "$T/feb.html" >"$T/fig"
bf-ledger -d "$T/l.db" chargeback -p 2026-02 --cents >"$T/cb.nd"
want_cents "$T/cb.nd" >"$T/want"
grep '^cents ' "$T/fig" >"$T/got"
check_eq "$RC $(cat "$T/got" | tr '\n' '|')" "0 $(tr '\n' '|' <"$T/want")" "one tenant: as chargeback --cents"

check_eq "$(grep -o 'data-bf-corr-kind="[a-z]*"\|data-bf-corr-amount="[^"]*"' "$T/feb.html" | cut -d'"' -f2 | tr '\n' ' ')" \
    "reversal -0.075840000 " "corrections: February's storage, gone in v2, reversed"

# An empty period: exit 1 as chargeback, a page that says so.
run_prog bf-ledger -d "$T/l.db" report -p 2026-05 -o "$T/empty.html"
check_eq "$RC $(grep -c 'data-bf-empty' "$T/empty.html")" "1 1" "empty period: exit 1, the page says so"
check_eq "$(fig "$T/empty.html" | grep -c '^cents ')" 0 "empty period: no headline figures"
run_prog bf-ledger -d "$T/l.db" report -p 2026-01 -F csv
check_rc 2 "--format csv: a usage error"

# Names with <, & and quotes: escaped in the markup, read back as they are.
{ gen db-1 1 2 2 1 1 'TENANTX'; gen db-2 1 2 1 1 1 globex; } |
    sed 's/TENANTX/a<b\&\\"c'"'"'d/g; s/db-2-i1/i<\&\\">/g' >"$T/n.ndjson"
bf-load -d "$T/n.db" -s "$T/n.st" "$T/n.ndjson" >/dev/null || fail "load the names"
run_prog bf-ledger -d "$T/n.db" report -p 2026-01 -o "$T/n.html"
check_eq "$RC $(grep -c 'a<b\|i<&' "$T/n.html")" "0 0" "names: no raw < or & in the page"
fig "$T/n.html" >"$T/fig"
check_eq "$(grep '^cents ' "$T/fig" | sed 1q)" "cents a<b&\"c'd USD $(bf-ledger -d "$T/n.db" chargeback -p 2026-01 -c | jq -r 'select(.tenant == "a<b&\"c'"'"'d") | .rounded' | tr -d . | sed 's/^0*//')" \
    "names: the tenant reads back as it is, with its cents"
check_eq "$(grep -c '^instance i<&"> ' "$T/fig")" 1 "names: the instance reads back as it is"
check_eq "$(grep '^svg' "$T/fig")" "svg 10" "names: the SVG stays well-formed"

# 500 instances: the top 10 and the others; the costs add up.
gen db-1 1 2 500 1 >"$T/big.ndjson"
bf-load -d "$T/big.db" -s "$T/big.st" "$T/big.ndjson" >/dev/null || fail "load 500 instances"
run_prog bf-ledger -d "$T/big.db" report -p 2026-01 -o "$T/big.html"
fig "$T/big.html" >"$T/fig"
check_eq "$RC $(grep -c '^instance ' "$T/fig") $(grep '^others' "$T/fig" | cut -d' ' -f2)" "0 10 490" \
    "500 instances: the top 10 and 490 others"
check_eq "$(grep '^instance ' "$T/fig" | sed 1q)" "instance db-1-i500 100.023000000" "the most expensive instance first"
check_eq "$(grep '^instance \|^others' "$T/fig" | awk '{ s += $NF } END { printf "%.9f", s }')" \
    "$(bf-ledger -d "$T/big.db" chargeback -p 2026-01 | jq -r 'select(.type == "total") | .cost')" \
    "500 instances: top 10 plus others is the total"
check_eq "$(grep -o 'data-bf-cov-instance="[^"]*"' "$T/big.html" | sort -u | wc -l) $(grep -o 'data-bf-cov-more="[0-9]*"' "$T/big.html")" \
    '20 data-bf-cov-more="480"' "500 instances: the coverage map draws 20, and says 480 more"

# Negative costs (a credit line) and a negative correction (a reload at a
# lower cost): the page agrees with chargeback --cents.
{ gen db-1 1 3 2 1 1 acme; gen db-2 1 1 1 1 1 globex |
    sed 's/"cost":"[0-9.]*"/"cost":"-0.255000000"/'; } >"$T/neg.ndjson"
bf-load -d "$T/neg.db" -s "$T/neg.st" "$T/neg.ndjson" >/dev/null || fail "load a credit"
gen db-1 2 1 2 1 1 acme | sed 's/"cost":"0\./"cost":"0.0/' >"$T/neg2.ndjson"
bf-load -d "$T/neg.db" -s "$T/neg.st" "$T/neg2.ndjson" >/dev/null || fail "reload lower"
run_prog bf-ledger -d "$T/neg.db" report -p 2026-01 -o "$T/neg.html"
fig "$T/neg.html" | grep '^cents ' >"$T/got"
bf-ledger -d "$T/neg.db" chargeback -p 2026-01 --cents >"$T/cb.nd"
want_cents "$T/cb.nd" >"$T/want"
check_file "$T/got" "$T/want" "negative costs: as chargeback --cents"
check_eq "$(grep -c '^cents globex USD -' "$T/got")" 1 "the credit is negative"
fig "$T/neg.html" >"$T/fig"; grep -q '^svg 10$' "$T/fig" && pass "negative costs: the SVG stays well-formed" ||
    fail "negative costs: the SVG stays well-formed"

# Coverage: 25 instances, 3 days, 2 metrics, some rows thin, db-1-i24
# without rows on day 3. The heat map shows the 20 instances of lowest
# coverage (an instance's worst day), worst first, each cell the lowest
# coverage of the instance's rows that day, as python3 reads the warehouse
# with sqlite3; a cell below 100 % prints its whole percent, rounded down.
{ gen db-1 1 2 25 2; gen db-1 3 1 25 2 1 acme 24; } |
    awk '/"usage"/ { split($0, a, "\"instance_id\":\"db-1-i"); i = a[2] + 0
	    split($0, b, "\"window_start\":\"2026-01-0"); d = b[2] + 0
	    m = ($0 ~ /"metric":"m2"/) ? 2 : 1
	    if ((i * 7 + d * 3 + m) % 5 == 0) {
		    c = sprintf("0.%09d", 990000000 - i * 4000000 - d * 1000 - m)
		    sub(/"coverage":"1.000000000"/, "\"coverage\":\"" c "\"") } }
	{ print }' >"$T/cov.ndjson"
bf-load -d "$T/cov.db" -s "$T/cov.st" "$T/cov.ndjson" >/dev/null || fail "load the coverage case"
run_prog bf-ledger -d "$T/cov.db" report -p 2026-01 -o "$T/cov.html"
check_rc 0 "coverage: the report"
cat >"$T/cov.py" <<'PY'
import sqlite3, sys, re, html.parser
db = sqlite3.connect(sys.argv[1])
src = open(sys.argv[2], encoding="utf-8").read()
cells = {}
for inst, day, cov in db.execute("SELECT instance_id, substr(window_start, 1, 10), coverage FROM usage"):
    k = (inst, day); cells[k] = min(cells.get(k, cov), cov, key=float)
worst = {}
for (inst, day), cov in cells.items():
    worst[inst] = min(worst.get(inst, cov), cov, key=float)
rank = sorted(worst, key=lambda i: (float(worst[i]), i.encode()))
top = rank[:20]
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.cells = []; s.rows = []; s.more = None
    def handle_starttag(s, tag, a):
        a = dict(a)
        if "data-bf-coverage" in a:
            s.cells.append((a["data-bf-cov-instance"], a["data-bf-cov-day"], a["data-bf-coverage"]))
            if a["data-bf-cov-instance"] not in s.rows: s.rows.append(a["data-bf-cov-instance"])
        if "data-bf-cov-more" in a:
            s.more = (int(a["data-bf-cov-more"]), a["data-bf-cov-more-min"])
p = P(); p.feed(src)
want = sorted((i, d, "%.9f" % float(c)) for (i, d), c in cells.items() if i in top)
print("rows", p.rows == top, len(p.rows))
print("cells", sorted(p.cells) == want, len(p.cells))
print("more", p.more == (len(rank) - 20, "%.9f" % float(worst[rank[20]])), p.more[0])
missing = ["%s %s" % (i, d) for i in top for d in ["2026-01-%02d" % k for k in range(1, 32)] if (i, d) not in cells]
shown = re.findall(r"<title>(db-1-i[0-9]+ 2026-01-[0-9]+): no usage row</title>", src)
print("no-row", sorted(shown) == sorted(missing), len(missing))
thin = sorted(str(int(float(c) * 100)) for (i, d), c in cells.items() if i in top and float(c) < 1)
printed = re.findall(r'<text [^>]*font-size="7" text-anchor="middle" fill="[^"]*">([0-9]+)</text>', src)
print("printed", sorted(printed) == thin, len(thin) > 0)
PY
python3 "$T/cov.py" "$T/cov.db" "$T/cov.html" >"$T/got"
check_eq "$(sed -n 1,2p "$T/got" | tr '\n' '|')" "rows True 20|cells True 59|" \
    "coverage: the 20 worst instances, worst first, each day's lowest coverage"
check_eq "$(sed -n 3p "$T/got")" "more True 5" \
    "coverage: 5 more instances, all at or above the 21st worst"
check_eq "$(sed -n 4p "$T/got")" "no-row True 561" \
    "coverage: days without rows (db-1-i24's day 3, days 4 to 31) are drawn as no usage row"
check_eq "$(sed -n 5p "$T/got")" "printed True True" \
    "coverage: every thin cell prints its value (no colour needed)"
check_eq "$(grep -c 'data-bf-cov-day="2026-01-[1-3]\|data-bf-cov-day="2026-01-0[4-9]' "$T/cov.html")" 0 \
    "coverage: days without usage carry no figure"

# --dlq: rejects per code from a DLQ that bf-validate wrote: January's
# window, February's (not counted), lines that name no window (counted
# apart), records longer than the 64 KiB the report reads of a line (a
# NaN with a long pad, in its window; a line_too_long, without one), then
# two malformed lines. python3 counts the same lines.
C=$BF_TOP/tests/man-fixtures/validate-contract.json
for ws in 2026-01-01 2026-02-01; do
	W='"partition":"db-01","window_start":"'$ws'T00:00:00Z","window_end":"'$ws'T06:00:00Z","instance_id":"db-01"'
	printf '{"type":"sample",%s,"metric":"cpu_utilization","ts":"%sT00:00:00Z","value":"NaN","unit":"Percent","pad":"%s"}\n' \
	    "$W" "$ws" "$(head -c 70000 /dev/zero | tr '\0' x)"
	printf '{"type":"sample",%s,"metric":"cpu_utilization","ts":"%sT00:00:00Z","value":250,"unit":"Percent"}\n' "$W" "$ws"
	printf '{"type":"sample",%s,"metric":"cpu","value":1}\n' "$W"
	printf '{"type":"sample",%s,"metric":"cpu_utilization","ts":"%sT00:00:00Z","value":1,"unit":"Percent","pad":"%s"}\n' \
	    "$W" "$ws" "$(head -c 120000 /dev/zero | tr '\0' x)"
	printf '{"type":"window",%s}\n' "$W"
done >"$T/dlq-in.ndjson"
printf '{"type":"sample","note":"caf\351"}\nnot json\n' >>"$T/dlq-in.ndjson"
bf-validate -c "$C" -n 2026-06-01 -m 100000 -d "$T/dlq.ndjson" "$T/dlq-in.ndjson" >/dev/null 2>&1 || :
printf '{"type":"reject","error":{"message":"no code"}}\ngarbage {\n' >>"$T/dlq.ndjson"
cat >"$T/dlq.py" <<'PY'
import json, sys, html.parser
want = {}; other = 0; bad = []; n = 0
for i, line in enumerate(open(sys.argv[1], "rb").read().split(b"\n")[:-1], 1):
    n += 1
    try:
        r = json.loads(line)
        code = r["error"]["code"]; assert r["type"] == "reject" and isinstance(code, str) and code
    except Exception:
        bad.append(i); continue
    ws = r.get("window_start")
    if ws is not None and not ("2026-01-01" <= ws < "2026-02-01"):
        other += 1; continue
    c = want.setdefault(code, [0, 0]); c[0 if ws is not None else 1] += 1
class P(html.parser.HTMLParser):
    got = {}; head = None; mal = None
    def handle_starttag(s, tag, a):
        a = dict(a)
        if "data-bf-dlq-code" in a:
            s.got[a["data-bf-dlq-code"]] = [int(a["data-bf-dlq-count"]), int(a["data-bf-dlq-unplaced"])]
        if "data-bf-dlq-lines" in a:
            s.head = (int(a["data-bf-dlq-lines"]), int(a["data-bf-dlq-other"]))
        if "data-bf-dlq-malformed" in a:
            s.mal = (int(a["data-bf-dlq-malformed"]), int(a["data-bf-dlq-malformed-line"]))
p = P(); p.feed(open(sys.argv[2], encoding="utf-8").read())
print("codes", p.got == want, sorted(want))
print("lines", p.head == (n, other), other > 0)
print("malformed", p.mal == (len(bad), bad[0]), len(bad))
PY
run_prog bf-ledger -d "$T/l.db" report -p 2026-01 --dlq "$T/dlq.ndjson" -o "$T/dlq.html"
check_rc 0 "--dlq: the report"
python3 "$T/dlq.py" "$T/dlq.ndjson" "$T/dlq.html" >"$T/got"
check_eq "$(sed -n 1p "$T/got")" \
    "codes True ['invalid_json', 'invalid_utf8', 'line_too_long', 'nan_or_inf', 'out_of_range', 'unknown_metric']" \
    "--dlq: rejects per code in the period and without a window, as python3 counts them"
check_eq "$(sed -n 2,3p "$T/got" | tr '\n' '|')" "lines True True|malformed True 2|" \
    "--dlq: lines read, other periods left out, malformed lines counted with the first's number"
check_eq "$(grep -o 'data-bf-dlq-code="[a-z_]*" data-bf-dlq-count="[0-9]*" data-bf-dlq-unplaced="[0-9]*"' "$T/dlq.html" |
    grep 'nan_or_inf\|line_too_long' | tr '\n' ' ')" \
    'data-bf-dlq-code="line_too_long" data-bf-dlq-count="0" data-bf-dlq-unplaced="2" data-bf-dlq-code="nan_or_inf" data-bf-dlq-count="1" data-bf-dlq-unplaced="0" ' \
    "--dlq: records longer than 64 KiB are counted by their window, or apart"
bf-ledger -d "$T/l.db" report -p 2026-01 --dlq - -o "$T/dlq2.html" <"$T/dlq.ndjson" || :
check_eq "$(grep -o 'data-bf-dlq-[a-z-]*="[^"]*"' "$T/dlq2.html" | grep -v dlq-file)" \
    "$(grep -o 'data-bf-dlq-[a-z-]*="[^"]*"' "$T/dlq.html" | grep -v dlq-file)" "--dlq -: standard input"
: >"$T/dlq0.ndjson"
run_prog bf-ledger -d "$T/l.db" report -p 2026-01 --dlq "$T/dlq0.ndjson" -o "$T/dlq0.html"
check_eq "$RC $(grep -o 'data-bf-dlq-lines="[0-9]*"' "$T/dlq0.html") $(grep -c 'data-bf-dlq-code' "$T/dlq0.html")" \
    '0 data-bf-dlq-lines="0" 0' "--dlq: an empty DLQ, no rejects"
run_prog bf-ledger -d "$T/l.db" report -p 2026-01 --dlq "$T/nonesuch" -o "$T/dlqx.html"
check_eq "$RC $(cat "$T/err") $(test -e "$T/dlqx.html" && echo page)" \
    "2 bf-ledger: cannot open DLQ '$T/nonesuch': No such file or directory " "--dlq: a missing file is a usage error, no page"
run_prog bf-ledger -d "$T/l.db" report -p 2026-01 --dlq "$T" -o "$T/dlqx.html"
check_eq "$RC $(cat "$T/err")" "74 bf-ledger: cannot read '$T': Is a directory" "--dlq: an unreadable DLQ is an I/O error"
run_prog bf-ledger -d "$T/l.db" chargeback -p 2026-01 --dlq "$T/dlq.ndjson"
check_rc 2 "--dlq goes with report only"

# Settling (--now, --settle; bf-window's rule: a window is billable once it
# ended at least the settle time before now). January is settled at any
# now from 2026-02-01T01:00:00Z on (1h default): the page has no time of
# its own, the same bytes at any such now, without --now too.
for now in 2026-02-01T01:00:00Z 2031-06-01T00:00:00Z; do
	bf-ledger -d "$T/l.db" report -p 2026-01 --now "$now" -o "$T/s-$now.html" || :
	check_file "$T/s-$now.html" "$T/r0.html" "settled period: the same bytes with --now $now"
	check_eq "$(grep -c 'data-bf-settle\|as of\|(open)' "$T/s-$now.html")" 0 "settled period: no time, no open mark ($now)"
done
# The ledger: db-1 and db-2 committed [01-01, 01-02) (db-1 also 02-01),
# daily windows. At 2026-01-15T12:00:00Z the limit is 11:00: the window
# [01-14, 01-15) ended before it, so [01-02, 01-15) is a gap, and
# [01-15, 02-01) waits to settle, per partition. --settle 13h moves the
# limit to 01-14T23:00: [01-14, 01-15) waits too. At 02-01T00:30 only the
# last day waits.
settle_of() {
	grep -o 'data-bf-\(gap\|settle\)-\(partition\|start\|end\)="[^"]*"' "$1" | cut -d'"' -f1,2 |
	    sed 's/data-bf-//; s/-[a-z]*="/ /' | paste -d' ' - - - | awk '{ print $1, $2, $4, $6 }'
}
run_prog bf-ledger -d "$T/l.db" report -p 2026-01 --now 2026-01-15T12:00:00Z -o "$T/open.html"
check_eq "$RC $(grep -o 'data-bf-settle-open="" data-bf-settle-now="[^"]*" data-bf-settle-limit="[^"]*"' "$T/open.html")" \
    '0 data-bf-settle-open="" data-bf-settle-now="2026-01-15T12:00:00Z" data-bf-settle-limit="2026-01-15T11:00:00Z"' \
    "open period: marked open, now and the settle limit"
check_eq "$(grep -c 'Open period, as of 2026-01-15T12:00:00Z' "$T/open.html") $(grep -c '<h1>.*(open)</h1>' "$T/open.html")" "1 1" \
    "open period: the page says as of now, the title says open"
settle_of "$T/open.html" >"$T/got"
cat >"$T/want" <<'EOF2'
gap db-1 2026-01-02T00:00:00Z 2026-01-15T00:00:00Z
gap db-2 2026-01-02T00:00:00Z 2026-01-15T00:00:00Z
settle db-1 2026-01-15T00:00:00Z 2026-02-01T00:00:00Z
settle db-2 2026-01-15T00:00:00Z 2026-02-01T00:00:00Z
EOF2
check_file "$T/got" "$T/want" "open period: gaps, then what waits to settle, apart"
check_eq "$(grep -o 'data-bf-gaps="[0-9]*"\|data-bf-settle-waiting="[0-9]*"' "$T/open.html" | tr '\n' ' ')" \
    'data-bf-gaps="2" data-bf-settle-waiting="2" ' "open period: the counts"
bf-ledger -d "$T/l.db" report -p 2026-01 --now 2026-01-15T12:00:00Z --settle 13h -o "$T/open13.html" || :
check_eq "$(settle_of "$T/open13.html" | awk '{ print $1, $3, $4 }' | sort -u | tr '\n' '|')" \
    "gap 2026-01-02T00:00:00Z 2026-01-14T00:00:00Z|settle 2026-01-14T00:00:00Z 2026-02-01T00:00:00Z|" \
    "--settle 13h: the window of 01-14 waits too"
BF_NOW=2026-02-01T00:30:00Z bf-ledger -d "$T/l.db" report -p 2026-01 -o "$T/open-last.html" || :
check_eq "$(settle_of "$T/open-last.html" | awk '{ print $1, $3, $4 }' | sort -u | tr '\n' '|')" \
    "gap 2026-01-02T00:00:00Z 2026-01-31T00:00:00Z|settle 2026-01-31T00:00:00Z 2026-02-01T00:00:00Z|" \
    "BF_NOW half an hour after the period: only its last day waits"
bf-ledger -d "$T/l.db" report -p 2026-01 --now 2026-01-15T12:00:00Z --settle 0 -o "$T/open0.html" || :
check_eq "$(settle_of "$T/open0.html" | awk '{ print $1, $3, $4 }' | sort -u | tr '\n' '|')" \
    "gap 2026-01-02T00:00:00Z 2026-01-15T00:00:00Z|settle 2026-01-15T00:00:00Z 2026-02-01T00:00:00Z|" \
    "--settle 0: the running window waits"
run_prog bf-ledger -d "$T/l.db" report -p 2026-01 --settle 1x
check_eq "$RC $(cat "$T/err")" "2 bf-ledger: bad --settle '1x': expected 0 or a duration such as 1h, 90m, 1d" \
    "--settle: a bad duration is a usage error"
run_prog bf-ledger -d "$T/l.db" report -p 2026-01 --now yesterday
check_rc 2 "--now: a bad time is a usage error"
run_prog bf-ledger -d "$T/l.db" chargeback -p 2026-01 --now 2026-01-15
check_rc 2 "--now goes with report only"
done_testing
