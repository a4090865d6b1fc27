# tests/lib/load.sh: helpers for the bf-load tests (source after common.sh).
#   gen PART DAY NDAYS NINST NMETRICS [MULT] [TENANT] [SKIP]
#       usage lines and window lines (status ok) of partition PART for the
#       day windows 2026-01-DAY .. DAY+NDAYS-1; instances PART-i1..,
#       metrics m1..; cost = (100 i + 10 m + day) * MULT / 1000 USD;
#       SKIP (an instance number) leaves that instance out.
#   export TARGET        the canonical export (tool-export)
#   ledger_count TARGET  number of ledger entries
#   sq TARGET SQL        sqlite3 query
gen() {
	awk -v p="$1" -v d0="$2" -v nd="$3" -v ni="$4" -v nm="$5" \
	    -v mult="${6:-1}" -v ten="${7:-acme}" -v skip="${8:-0}" 'BEGIN {
	for (d = d0; d < d0 + nd; d++) {
		ws = sprintf("2026-01-%02dT00:00:00Z", d)
		we = sprintf("2026-01-%02dT00:00:00Z", d + 1)
		n = 0
		for (i = 1; i <= ni; i++) {
			if (i == skip) continue
			for (m = 1; m <= nm; m++) {
				c = (i * 100 + m * 10 + d) * mult
				printf "{\"type\":\"usage\",\"partition\":\"%s\",\"instance_id\":\"%s-i%d\",\"metric\":\"m%d\",\"window_start\":\"%s\",\"window_end\":\"%s\",\"aggregate\":\"avg\",\"value\":\"%d\",\"samples\":288,\"expected_samples\":288,\"coverage\":\"1.000000000\",\"quantity\":\"%d.000000000\",\"usage_unit\":\"GiB-Hours\",\"unit_price\":\"0.001\",\"cost\":\"%d.%03d000000\",\"currency\":\"USD\",\"tenant\":\"%s\",\"source\":\"test\"}\n", p, p, i, m, ws, we, c, c, int(c / 1000), c % 1000, ten
				n++
			}
		}
		printf "{\"type\":\"window\",\"partition\":\"%s\",\"window_start\":\"%s\",\"window_end\":\"%s\",\"grid\":\"size=86400 phase=0 billing_day=1\",\"status\":\"ok\",\"usage_rows\":%d}\n", p, ws, we, n
	}}'
}

export_wh() { "$BF_TOOLS/tool-export" "$1"; }

sq() { sqlite3 -batch "$1" "$2"; }

# scenario_inputs DIR: writes the inputs of the shared scenario, one file
# per step, DIR/NN.ndjson, and DIR/NN.flags (extra bf-load flags).
scenario_inputs() {
	d=$1; mkdir -p "$d"
	gen db-1 1 3 2 2 >"$d/01.ndjson"                  # first load
	cp "$d/01.ndjson" "$d/02.ndjson"                    # rerun: nothing
	gen db-1 2 1 2 2 3 >"$d/03.ndjson"                # day 2 x3: corrections
	gen db-1 3 1 2 2 1 acme 2 >"$d/04.ndjson"         # day 3 without i2
	gen db-1 1 1 2 2 1 globex >"$d/05.ndjson"         # day 1: tenant change
	# 06: overlaps day 1/2 with other bounds
	gen db-1 1 1 1 1 | sed 's/01T00:00:00Z/01T12:00:00Z/g; s/02T00:00:00Z/02T12:00:00Z/g' >"$d/06.ndjson"
	# 07: db-2 claims db-1's key, same window; 08: in an overlapping window
	gen db-1 1 1 1 1 | sed 's/"partition":"db-1"/"partition":"db-2"/' >"$d/07.ndjson"
	gen db-1 1 1 1 1 | sed 's/"partition":"db-1"/"partition":"db-2"/; s/01T00:00:00Z/01T06:00:00Z/g; s/02T00:00:00Z/01T18:00:00Z/g' >"$d/08.ndjson"
	# 09: day 2 arrives empty; 10: the same with --allow-empty
	gen db-1 2 1 0 0 >"$d/09.ndjson"
	cp "$d/09.ndjson" "$d/10.ndjson"; echo --allow-empty >"$d/10.flags"
	# 11: failed upstream; 12: no window line; 13: a bad cost
	gen db-1 4 1 1 1 | sed 's/"status":"ok"/"status":"failed","error":{"stage":"bf-fetch","code":"timeout","message":"source timed out"}/' >"$d/11.ndjson"
	gen db-1 4 1 2 1 | grep -v '"type":"window"' >"$d/12.ndjson"
	gen db-1 4 1 2 1 | sed '1s/"cost":"[^"]*"/"cost":"abc"/' >"$d/13.ndjson"
	# 14: another partition, passing a sample line through
	{ echo '{"type":"sample","partition":"db-2","note":"passed through"}'
	  gen db-2 1 2 1 2; } >"$d/14.ndjson"
	# 15: two windows of db-1 and db-2 interleaved, one of them corrected
	{ gen db-2 3 1 1 1 | head -1; gen db-1 5 1 1 1 5 | head -1
	  gen db-2 3 1 1 1 | tail -1; gen db-1 5 1 1 1 5 | tail -1; } >"$d/15.ndjson"
}

# scenario TARGET TAG DIR: runs the steps of DIR against TARGET, one bf-load
# each (state in $T/TAG.state); writes "NN rc" lines to $T/TAG.rcs and the
# export after each step to $T/TAG.NN.exp, stdout to $T/TAG.NN.out.
scenario() {
	: >"$T/$2.rcs"
	for f in "$3"/*.ndjson; do
		n=${f##*/}; n=${n%.ndjson}
		flags=; [ -f "$3/$n.flags" ] && flags=$(cat "$3/$n.flags")
		rc=0
		bf-load --db "$1" --state "$T/$2.state" $flags "$f" \
		    >"$T/$2.$n.out" 2>"$T/$2.$n.err" || rc=$?
		echo "$n $rc" >>"$T/$2.rcs"
		export_wh "$1" >"$T/$2.$n.exp"
	done
}

# hostile_input: usage lines whose names try SQL injection, path traversal
# and the bytes COPY and CSV escape.
hostile_input() {
	cat <<'HOSTILE'
{"type":"usage","partition":"../../etc/passwd","instance_id":"x'); DROP TABLE usage;--","metric":"m\t\\N \"q\" \u00e9\n","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","cost":"1.000000000","currency":"USD","tenant":"Robert'); DROP TABLE ledger;--"}
{"type":"usage","partition":"../../etc/passwd","instance_id":"../../etc/passwd","metric":"\\.\r","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","cost":"2.000000000","currency":"USD"}
{"type":"window","partition":"../../etc/passwd","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","status":"ok"}
HOSTILE
}

# pg_db NAME: creates database NAME in the test cluster (pg.sh) and prints
# its URI for --db.
pg_db() {
	createdb "$1"
	echo "postgresql:///$1?host=$PGHOST&port=$PGPORT"
}
