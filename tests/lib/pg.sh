# tests/lib/pg.sh: a throwaway PostgreSQL cluster for a test, on a Unix socket
# in a private directory (no TCP), stopped and removed when the test exits.
# Source after common.sh, then:
#   start_pg            starts it, or skip_all when PostgreSQL is not installed
#   start_pg password   the same, but the role bf must log in with the
#                       password in $PG_PASSWORD (scram), for tests of
#                       PGPASSWORD / PGPASSFILE handling
# It exports PGHOST (the socket dir), PGPORT, PGUSER=bf, PGDATABASE=bf, and
# sets PG_URI=postgresql:///bf?host=$PGHOST&port=$PGPORT for bf's --db.
# initdb refuses to run as root: as root the cluster belongs to the
# 'postgres' system user (from the Debian package) and runs through runuser.
start_pg() {
	_pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$_pgbin" ] && [ -x "$_pgbin/initdb" ] ||
		skip_all "PostgreSQL server is not installed (run .ci/deps)"
	PG_DIR=$(mktemp -d /tmp/bf-pg.XXXXXX)
	_as=
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$PG_DIR"
		_as="runuser -u postgres --"
	fi
	at_exit "$_as '$_pgbin/pg_ctl' -D '$PG_DIR/data' -m immediate stop; rm -rf '$PG_DIR'"
	PG_PASSWORD=bf-secret-$$
	_auth=trust
	if [ "${1:-}" = password ]; then
		_auth=scram-sha-256
		printf '%s\n' "$PG_PASSWORD" >"$PG_DIR/pw"
		[ -n "$_as" ] && chown postgres "$PG_DIR/pw"
		_pwopt="--pwfile=$PG_DIR/pw"
	else
		_pwopt=
	fi
	$_as "$_pgbin/initdb" -D "$PG_DIR/data" -U bf --auth="$_auth" \
	    $_pwopt -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 ||
	    { cat "$PG_DIR/initdb.log" >&2; fail "initdb"; exit 1; }
	PGPORT=$((20000 + $$ % 20000))
	$_as "$_pgbin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
	    -o "-c listen_addresses='' -c unix_socket_directories='$PG_DIR' -p $PGPORT -c fsync=off" \
	    start >/dev/null 2>&1 ||
	    { cat "$PG_DIR/log" >&2; fail "pg_ctl start"; exit 1; }
	PGHOST=$PG_DIR PGUSER=bf PGDATABASE=bf
	export PGHOST PGPORT PGUSER PGDATABASE
	if [ "$_auth" = trust ]; then
		createdb bf
	else
		PGPASSWORD=$PG_PASSWORD createdb bf
	fi
	PG_URI="postgresql:///bf?host=$PGHOST&port=$PGPORT"
	export PG_URI
}
