#!/bin/sh
# A password anywhere in --db is refused (exit 2) and never echoed: also
# inside a dbname that is itself a URI or conninfo (libpq expands it), and
# as sslpassword (the key file's passphrase). Either would show in ps.
. "$(dirname "$0")/../lib/common.sh"

: >"$T/in.ndjson"
# The secret is assembled here so that it is in no argv of this script.
pw=s3cret-$$
for db in "dbname=postgresql://u:$pw@localhost/bf" \
    "dbname=postgres://u:$pw@localhost/bf host=/nonexistent" \
    "dbname='host=/nonexistent password=$pw'" \
    "dbname='dbname=''postgresql://u:$pw@h/bf'''" \
    "host=/nonexistent sslpassword=$pw dbname=bf" \
    "postgresql://localhost/bf?sslpassword=$pw" \
    "postgresql:///bf?dbname=postgresql://u:$pw@h/bf"; do
	run_prog bf-load --db "$db" "$T/in.ndjson"
	check_rc 2 "bf-load refuses a password in --db ($(printf '%s' "$db" | sed "s/$pw/PW/"))"
	grep -q "$pw" "$T/err" "$T/out" && fail "bf-load: password not echoed" ||
	    pass "bf-load: password not echoed"
	run_prog bf-ledger verify --db "$db"
	check_rc 2 "bf-ledger refuses it too"
	grep -q "$pw" "$T/err" "$T/out" && fail "bf-ledger: password not echoed" ||
	    pass "bf-ledger: password not echoed"
done

# No password: not refused as one (the server is not there: 69).
for db in "dbname=postgresql://u@localhost/bf host=/nonexistent" \
    "host=/nonexistent dbname=bf sslmode=disable"; do
	run_prog bf-load --db "$db" "$T/in.ndjson"
	check_rc 69 "no password in '$db': tried, unavailable"
done
done_testing
