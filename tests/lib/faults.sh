# tests/lib/faults.sh: the fault server of tests/lib/faultserver.py for a
# test (source after common.sh). It answers Prometheus' HTTP API on a free
# loopback port, its behaviour chosen by the URL path, and logs every
# request (mode, time) to $T/log.

# start_faultserver [SECONDS]: starts it (it exits after SECONDS, 120 by
# default) and sets BASE to its URL and SRV to its pid; it is stopped when
# the test exits. A server that does not start fails the test.
start_faultserver() {
	python3 "$BF_TOP/tests/lib/faultserver.py" "$T/port" "$T/log" "${1:-120}" \
	    2>"$T/server.err" &
	SRV=$!
	at_exit "kill $SRV 2>/dev/null; wait $SRV 2>/dev/null"
	_fs_i=0
	while [ ! -s "$T/port" ] && [ $_fs_i -lt 100 ]; do
		sleep 0.1
		_fs_i=$((_fs_i + 1))
	done
	[ -s "$T/port" ] || {
		fail "faultserver started"
		diag "$(cat "$T/server.err")"
		done_testing
		exit 1
	}
	BASE="http://127.0.0.1:$(cat "$T/port")"
}

# requests MODE: how many requests the server logged in MODE.
requests() { awk -v m="$1" '$2 == m { n++ } END { print n + 0 }' "$T/log"; }

# fault_metric_files QUERY: the metrics file $T/m.csv (fault_metric, unit
# Count, by the PromQL QUERY), $T/rates.csv (its average billed in minutes
# at 0.000001 USD) and $T/contract.json of a backfill from the server.
fault_metric_files() {
	printf 'metric,unit,query\nfault_metric,Count,%s\n' "$1" >"$T/m.csv"
	cat >"$T/rates.csv" <<'EOF2'
metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to
fault_metric,Count,avg,Minutes,,,0.000001,USD,2025-01-01,
EOF2
	cat >"$T/contract.json" <<'EOF2'
{"$schema": "https://json-schema.org/draft/2020-12/schema",
 "type": "object", "required": ["instance_id", "metric", "ts", "value"],
 "properties": {"value": {"type": "number"}},
 "x-bf-metrics": {"fault_metric": {"unit": "Count"}}}
EOF2
}
