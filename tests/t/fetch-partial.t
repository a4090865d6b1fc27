#!/bin/sh
# A partial Prometheus answer ("warnings", what Thanos and Cortex send when
# a store did not answer, or "status":"partial") fails the window with
# partial_response, unless bf-fetch --accept-partial; served by the real
# HTTP server of tests/lib/faultserver.py.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/faults.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"

start_faultserver 60

printf 'metric,unit,query\nfault_metric,Count,bf_fault_metric\n' >"$T/m.csv"
printf '{"type":"window","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-01T01:00:00Z"}\n' >"$T/w1"
fetch() {
	_m=$1
	shift
	bf-fetch -s prometheus -u "$BASE/$_m" -m "$T/m.csv" --lookback 0 \
	    --retries 2 --backoff 5ms "$@" "$T/w1"
}
wins() { jq -c 'select(.type == "window") | [.status, .fetched, .error.code]' "$T/out"; }
samples() { grep -c '"type":"sample"' "$T/out" || :; }
# the values the server sends: one a minute over [00:00, 01:00), t / 60
want=$(awk 'BEGIN { for (t = 1767225600; t < 1767229200; t += 60) s += int(t / 60); print s }')

for M in warnings partial; do
	run_prog fetch $M
	check_rc 1 "$M: the window failed (exit 1)"
	check_eq "$(wins)" '["failed",0,"partial_response"]' "$M: failed with partial_response"
	check_eq "$(samples)" 0 "$M: no sample of the partial answer is passed on"
	check_eq "$(requests $M)" 1 "$M: not retried"

	run_prog fetch $M,id=accept --accept-partial
	check_rc 0 "$M: --accept-partial bills it"
	check_eq "$(wins)" '["ok",60,null]' "$M: --accept-partial: window ok"
	check_eq "$(jq -s 'map(select(.type == "sample") | .value) | add' "$T/out")" \
	    "$want" "$M: --accept-partial: the served values"
done
run_prog fetch warnings
check_eq "$(jq -r 'select(.type == "window") | .error.message' "$T/out")" \
    "prometheus $BASE/warnings: partial answer: store 10.0.0.7:10901 unavailable: partial response (--accept-partial bills it)" \
    "the message gives the first warning"

run_prog fetch ok
check_eq "$(wins)" '["ok",60,null]' "a complete answer is billed as before"

run_prog bf-fetch -s file -d /dev/null --accept-partial "$T/w1"
check_rc 2 "--accept-partial is for prometheus only"
done_testing
