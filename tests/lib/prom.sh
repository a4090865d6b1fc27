# tests/lib/prom.sh: a throwaway Prometheus for a test, on a free loopback
# port, with a private storage directory loaded with known history, stopped
# and removed when the test exits. Source after common.sh, then:
#   start_prom FILE   FILE is OpenMetrics text (ending in "# EOF"); it is
#                     turned into TSDB blocks with promtool
#                     tsdb create-blocks-from openmetrics before the server
#                     starts; skip_all when Prometheus is not installed.
# It sets PROM_URL (http://127.0.0.1:PORT) and PROM_DIR. Retention is 100
# years: the 15-day default would delete the old blocks at start. No scrape
# jobs are configured, so the server makes no traffic of its own.

# A TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

start_prom() {
	command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 ||
		skip_all "prometheus is not installed (run .ci/deps)"
	PROM_DIR=$(mktemp -d /tmp/bf-prom.XXXXXX)
	at_exit "rm -rf '$PROM_DIR'"
	if ! promtool tsdb create-blocks-from openmetrics "$1" "$PROM_DIR/data" \
	    >"$PROM_DIR/promtool.log" 2>&1; then
		cat "$PROM_DIR/promtool.log" >&2
		fail "promtool tsdb create-blocks-from openmetrics"
		exit 1
	fi
	printf 'global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\n' \
	    >"$PROM_DIR/prometheus.yml"
	_try=0
	while [ $_try -lt 3 ]; do
		_try=$((_try + 1))
		_port=$(free_port)
		prometheus --config.file="$PROM_DIR/prometheus.yml" \
		    --storage.tsdb.path="$PROM_DIR/data" \
		    --storage.tsdb.retention.time=100y \
		    --web.listen-address="127.0.0.1:$_port" \
		    --log.level=warn >"$PROM_DIR/log" 2>&1 &
		PROM_PID=$!
		at_exit "kill $PROM_PID 2>/dev/null; wait $PROM_PID 2>/dev/null"
		PROM_URL="http://127.0.0.1:$_port"
		_i=0
		while [ $_i -lt 300 ]; do
			if curl -sf "$PROM_URL/-/ready" >/dev/null 2>&1; then
				export PROM_URL PROM_DIR
				return 0
			fi
			kill -0 "$PROM_PID" 2>/dev/null || break
			sleep 0.1
			_i=$((_i + 1))
		done
		kill "$PROM_PID" 2>/dev/null || :
		wait "$PROM_PID" 2>/dev/null || :
		grep -q "address already in use" "$PROM_DIR/log" || break
	done
	cat "$PROM_DIR/log" >&2
	fail "prometheus did not become ready"
	exit 1
}
