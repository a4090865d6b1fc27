# tests/lib/backfill.sh: helpers for the bf-backfill tests (source after
# common.sh).
#   DEMO                  examples/demo (contract, rates, tenants)
#   small_data DIR [N D]  bf-gen -n N -d D (default 2 instances, 2 days)
#                         into DIR/data.ndjson, and DIR/src.sh PART START
#                         END, an exec source printing one window of it
#   write_conf FILE DIR [KEY=VALUE]...
#                         a config over the small data set: 2026-01-01 to
#                         2026-01-03, 1h windows, db-01 and db-02, state,
#                         ledger and DLQ under DIR, the file source over
#                         DIR/data.ndjson; each KEY=VALUE replaces every
#                         line of KEY by one (KEY= removes them), or is
#                         added when KEY is not there
#   write_conf_keys FILE KEY=VALUE...   only the key editing of write_conf
#   slow_source DIR S     DIR/slow.sh: sleeps S seconds, then src.sh
#   use_exec CONF SCRIPT [ARG]...
#                         CONF fetches with the exec source, SCRIPT
#                         PARTITION START END per window, and bf-fetch ARGs
#   export_wh TARGET      the canonical export (bf-load(1)) through
#                         $BF_TOOLS/tool-export
#   decsum                reads "KEY AMOUNT" lines, prints "KEY SUM" per
#                         key, sorted, exact to 9 decimals (awk on the
#                         integer and fraction parts apart: no binary
#                         floating point rounding below 2^53 units)
#   sq TARGET SQL         a sqlite3 query
#   tree_pids PID         PID's descendants, one a line
#   corrections TARGET    ledger entries other than charges (SQLite)
#   integral_costs DATA RATES FROM TO SECONDS
#                         the cost of each (instance, metric, window) of
#                         bf-gen DATA, in python3 Decimal (see below)
DEMO=$BF_TOP/examples/demo

small_data() {
	bf-gen -n "${2:-2}" -d "${3:-2}" >"$1/data.ndjson"
	cat >"$1/src.sh" <<'EOF'
#!/bin/sh
# src.sh PARTITION START END: the samples of one window of data.ndjson
awk -v p="\"instance_id\":\"$1\"" -v s="\"ts\":\"$2" -v e="\"ts\":\"$3" '
index($0, p) { i = index($0, "\"ts\":\""); t = substr($0, i, 26)
	if (t >= s && t < e) print }' "$(dirname "$0")/data.ndjson"
EOF
	chmod +x "$1/src.sh"
}

write_conf() {
	_f=$1 _d=$2
	shift 2
	cat >"$_f" <<EOF
# written by tests/lib/backfill.sh
from = 2026-01-01
to = 2026-01-03
size = 1h
partition = db-01
partition = db-02
state = $_d/state
db = $_d/ledger.db
source = file
fetch-arg = --data
fetch-arg = $_d/data.ndjson
contract = $DEMO/contract.json
rates = $DEMO/rates.csv
tenants = $DEMO/tenants.csv
dlq = $_d/dlq.ndjson
EOF
	write_conf_keys "$_f" "$@"
}

# write_conf_keys FILE KEY=VALUE...: the key editing of write_conf.
write_conf_keys() {
	_f=$1
	shift
	for _kv in "$@"; do
		_k=${_kv%%=*} _v=${_kv#*=}
		awk -v k="$_k" -v v="$_v" '
		$1 == k && $2 == "=" { if (!done && v != "") print k " = " v
			done = 1; next }
		{ print }
		END { if (!done && v != "") print k " = " v }' "$_f" >"$_f.new"
		mv "$_f.new" "$_f"
	done
}

# demo_run: the demo backfill as make demo runs it, in $T (the config's
# paths are relative to the top of the repository): samples of bf-gen -d 31
# in demo/, then bf-backfill -c examples/demo/backfill.conf (run_prog: its
# status, stdout and stderr for check_rc and the rest). Leaves the shell in $T.
demo_run() {
	cd "$T" || return
	ln -s "$BF_TOP/examples" examples
	mkdir -m 700 demo
	bf-gen -d 31 >demo/samples.ndjson
	run_prog bf-backfill -c examples/demo/backfill.conf
}

export_wh() { "$BF_TOOLS/tool-export" "$1"; }

decsum() {
	awk '
	{
		c = $1; a = $2; neg = sub(/^-/, "", a)
		n = split(a, p, ".")
		f = substr((n > 1 ? p[2] : "") "000000000", 1, 9)
		if (neg) { I[c] -= p[1]; F[c] -= f } else { I[c] += p[1]; F[c] += f }
		k = int(F[c] / 1e9); I[c] += k; F[c] -= k * 1e9
	}
	END {
		for (c in I) {
			i = I[c]; f = F[c]
			if (f < 0 && i > 0) { i--; f += 1e9 }
			if (f > 0 && i < 0) { i++; f -= 1e9 }
			s = (i < 0 || f < 0) ? "-" : ""
			printf "%s %s%.0f.%09.0f\n", c, s, (i < 0 ? -i : i), (f < 0 ? -f : f)
		}
	}' | sort
}

sq() { sqlite3 -batch "$1" "$2"; }

tree_pids() {
	for _c in $(pgrep -P "$1"); do
		echo "$_c"
		tree_pids "$_c"
	done
}

corrections() { sq "$1" "SELECT count(*) FROM ledger WHERE kind <> 'charge'"; }

# slow_source DIR SECONDS: DIR/slow.sh, the exec source src.sh after a
# sleep; prints the config lines (fetch-arg=... for write_conf) that use it.
slow_source() {
	printf '#!/bin/sh\nsleep %s\nexec "$(dirname "$0")/src.sh" "$@"\n' "$2" >"$1/slow.sh"
	chmod +x "$1/slow.sh"
}
# use_exec CONF SCRIPT [FETCH-ARG]...: CONF fetches with the exec source
# running SCRIPT PARTITION START END per window.
use_exec() {
	_c=$1 _s=$2
	shift 2
	write_conf_keys "$_c" source=exec fetch-arg=
	{
		echo "fetch-arg = --command"
		echo "fetch-arg = $_s \${partition} \${window_start} \${window_end}"
		for _a in "$@"; do echo "fetch-arg = $_a"; done
	} >>"$_c"
}

# integral_costs DATA RATES FROM TO SECONDS: the cost of every (instance,
# metric, window) of DATA (bf-gen sample lines) over windows of SECONDS
# from FROM to TO (RFC 3339), as "INSTANCE|METRIC|WINDOW_START COST" lines,
# sorted, computed in python3 Decimal from the raw samples, not by bf: for
# the integral rates of RATES (a rate card without a change inside a
# window), each series' samples in the window (of several at one ts, the
# greatest), the last sample before it (at most 1h before) held from the
# window start, the last one held to the window end; quantity = round9(
# integral * multiplier / divisor), cost = round9(quantity * unit_price),
# half to even. A line that is not a clean sample stops it (exit 1).
integral_costs() {
	python3 - "$@" <<'PY'
import csv, json, sys
from datetime import datetime, timezone
from decimal import Decimal, ROUND_HALF_EVEN
data, rates_f, f, t, size = sys.argv[1:6]
def ep(s):
    fmt = "%Y-%m-%dT%H:%M:%SZ" if "T" in s else "%Y-%m-%d"
    return int(datetime.strptime(s, fmt).replace(tzinfo=timezone.utc).timestamp())
def iso(e):
    return datetime.fromtimestamp(e, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
f, t, size = ep(f), ep(t), int(size)
rates = list(csv.DictReader(open(rates_f)))
def rate(m, s, e):
    for r in rates:
        if r["metric"] == m and ep(r["effective_from"]) <= s and \
                (not r["effective_to"] or e <= ep(r["effective_to"])):
            if r["aggregate"] != "integral":
                sys.exit("not an integral rate: " + m)
            return r
    sys.exit("no single rate for %s in [%s, %s)" % (m, iso(s), iso(e)))
series = {}
for line in open(data):
    x = json.loads(line, parse_float=Decimal, parse_int=Decimal)
    v = x.get("value")
    if not isinstance(v, Decimal) or not v.is_finite() or v < 0:
        sys.exit("not a clean sample: " + line)
    k, ts = (x["instance_id"], x["metric"]), ep(x["ts"])
    p = series.setdefault(k, {})
    p[ts] = max(p.get(ts, v), v)
q9 = Decimal("1e-9")
out = []
for (inst, m), p in series.items():
    pts = sorted(p.items())
    for s in range(f, t, size):
        e = s + size
        inside = [x for x in pts if s <= x[0] < e]
        if not inside:
            continue
        before = [x for x in pts if s - 3600 <= x[0] < s]
        integral = before[-1][1] * (inside[0][0] - s) if before else 0
        for (a, v), (b, _) in zip(inside, inside[1:] + [(e, 0)]):
            integral += v * (b - a)
        r = rate(m, s, e)
        qty = (integral * Decimal(r["multiplier"] or 1) /
               Decimal(r["divisor"])).quantize(q9, ROUND_HALF_EVEN)
        cost = (qty * Decimal(r["unit_price"])).quantize(q9, ROUND_HALF_EVEN)
        out.append("%s|%s|%s %s" % (inst, m, iso(s), cost))
print("\n".join(sorted(out)))
PY
}
