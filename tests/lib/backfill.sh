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
