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
