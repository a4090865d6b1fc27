# tests/lib/exporters.sh: Debian's postgres_exporter and node_exporter, and
# a Prometheus that scrapes them, for a test, on free loopback ports, stopped
# when the test exits. Source after common.sh, pg.sh and prom.sh, then:
#   need_exporters          skip_all when Prometheus or an exporter is missing
#   start_pg_exporter       exports the database of start_pg (pg.sh) on
#                           $PG_EXPORTER (127.0.0.1:PORT); the connection
#                           string is in the exporter's environment
#                           (DATA_SOURCE_NAME), the password-less local
#                           socket, never on its command line
#   start_node_exporter     the cpu collector only, on $NODE_EXPORTER
#   start_prom_scraping YML Prometheus with the configuration YML (copied;
#                           its storage in a private directory), on
#                           $PROM_URL; returns once it is ready
# Each server gets a port that was free a moment ago (free_port of prom.sh)
# and is started again on another one if that port was taken meanwhile.

PG_EXPORTER_BIN=/usr/bin/prometheus-postgres-exporter
NODE_EXPORTER_BIN=/usr/bin/prometheus-node-exporter

need_exporters() {
	command -v prometheus >/dev/null 2>&1 ||
		skip_all "prometheus is not installed (run .ci/deps)"
	for _b in "$PG_EXPORTER_BIN" "$NODE_EXPORTER_BIN"; do
		[ -x "$_b" ] ||
			skip_all "$_b is not installed (run .ci/deps)"
	done
}

# serve NAME READY-PATH CMD...: runs CMD --web.listen-address=127.0.0.1:PORT
# in the background, its output in $T/NAME.log, until http://ADDR/READY-PATH
# answers; sets SERVE_ADDR (127.0.0.1:PORT) and SERVE_PID.
serve() {
	_name=$1 _path=$2
	shift 2
	_try=0
	while [ $_try -lt 3 ]; do
		_try=$((_try + 1))
		SERVE_ADDR=127.0.0.1:$(free_port)
		"$@" --web.listen-address="$SERVE_ADDR" >"$T/$_name.log" 2>&1 &
		SERVE_PID=$!
		at_exit "kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
		_i=0
		while [ $_i -lt 300 ]; do
			curl -sf -o /dev/null "http://$SERVE_ADDR$_path" && return 0
			kill -0 "$SERVE_PID" 2>/dev/null || break
			sleep 0.1
			_i=$((_i + 1))
		done
		kill "$SERVE_PID" 2>/dev/null || :
		wait "$SERVE_PID" 2>/dev/null || :
		grep -q "address already in use" "$T/$_name.log" || break
	done
	cat "$T/$_name.log" >&2
	fail "$_name did not start"
	exit 1
}

start_pg_exporter() {
	DATA_SOURCE_NAME="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE sslmode=disable"
	export DATA_SOURCE_NAME
	serve pg-exporter /metrics "$PG_EXPORTER_BIN" --log.level=warn
	unset DATA_SOURCE_NAME
	PG_EXPORTER=$SERVE_ADDR
}

start_node_exporter() {
	serve node-exporter /metrics "$NODE_EXPORTER_BIN" --log.level=warn \
	    --collector.disable-defaults --collector.cpu
	NODE_EXPORTER=$SERVE_ADDR
}

start_prom_scraping() {
	mkdir -p "$T/prom"
	cp "$1" "$T/prom/prometheus.yml"
	serve prometheus /-/ready prometheus \
	    --config.file="$T/prom/prometheus.yml" \
	    --storage.tsdb.path="$T/prom/data" --log.level=warn
	PROM_URL=http://$SERVE_ADDR
	export PROM_URL
}
