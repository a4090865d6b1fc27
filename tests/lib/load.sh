# tests/lib/load.sh: helpers for the bf-load tests (source after common.sh).
#   gen PART DAY NDAYS NINST NMETRICS [MULT] [TENANT] [SKIP]
#       usage lines and window lines (status ok) of partition PART for the
#       day windows 2026-01-DAY .. DAY+NDAYS-1; instances PART-i1..,
#       metrics m1..; cost = (100 i + 10 m + day) * MULT / 1000 USD;
#       SKIP (an instance number) leaves that instance out.
#   export_wh TARGET     the canonical export (bf-load(1), CANONICAL EXPORT)
#                        through $BF_TOOLS/tool-export, a test tool that is
#                        not installed (bf-ledger export --canonical is the
#                        user's way to the same bytes)
#   sq TARGET SQL        a sqlite3 query
#   scenario_inputs, scenario, hostile_input, pg_db, crash_*: see below.
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
	# (07 also has a key of its own, sorted first: written, then rolled back)
	{ gen db-1 1 1 1 1 | sed '1!d; s/"partition":"db-1"/"partition":"db-2"/; s/"instance_id":"db-1-i1"/"instance_id":"a-own"/'
	  gen db-1 1 1 1 1 | sed 's/"partition":"db-1"/"partition":"db-2"/'; } >"$d/07.ndjson"
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
	# 16: an instance shared by two tenants (allocations); 17: another
	# split; 18: allocations that do not add up to the cost
	alloc db-3 '"tenant":"acme","cost_center":"cc-1","cost":"0.600000000"},{"tenant":"globex","cost_center":"cc-9","cost":"0.400000000"' >"$d/16.ndjson"
	alloc db-3 '"tenant":"acme","cost_center":"cc-1","cost":"0.300000000"},{"tenant":"acme","cost_center":"cc-2","cost":"0.300000000"},{"tenant":"initech","cost":"0.400000000"' >"$d/17.ndjson"
	alloc db-3 '"tenant":"acme","cost":"0.5"' >"$d/18.ndjson"
}

# alloc PART MEMBERS: one window of PART whose one usage row (cost 1) has
# the allocations [{MEMBERS}].
alloc() {
	printf '{"type":"usage","partition":"%s","instance_id":"%s-shared","metric":"m1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","quantity":"1000","usage_unit":"GiB-Hours","unit_price":"0.001","cost":"1.000000000","currency":"USD","allocations":[{%s}]}\n' "$1" "$1" "$2"
	printf '{"type":"window","partition":"%s","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","status":"ok"}\n' "$1"
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
{"type":"usage","partition":"../../etc/passwd","instance_id":"x'); DROP TABLE usage;--","metric":"m \\N \"q\" \u00e9","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","cost":"1.000000000","currency":"USD","tenant":"Robert'); DROP TABLE ledger;--"}
{"type":"usage","partition":"../../etc/passwd","instance_id":"../../etc/passwd","metric":"\\.","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","cost":"2.000000000","currency":"USD","source":"\\.\r\t\n"}
{"type":"window","partition":"../../etc/passwd","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","status":"ok"}
HOSTILE
}

# pg_db NAME: creates database NAME in the test cluster (pg.sh) and prints
# its URI for --db.
pg_db() {
	createdb "$1"
	echo "postgresql:///$1?host=$PGHOST&port=$PGPORT"
}

# Crash tests. The caller defines new_target NAME (prints a fresh empty
# TARGET) and pg_head/sq_head via head_of TARGET PARTITION (the hash of the
# partition's last ledger entry).
#   crash_inputs DIR   phase 1 (first loads of db-1 and db-2) and phase 2
#                      (corrections, reversals, unchanged and new windows)
#   crash_clean        the clean run: $T/clean.exp and $T/clean.state
#   crash_check MSG TARGET STATE   compares with the clean run
crash_inputs() {
	mkdir -p "$1"
	{ gen db-1 1 4 3 2; gen db-2 1 3 2 2; } >"$1/p1.ndjson"
	{ gen db-1 1 2 3 2 2; gen db-2 1 3 2 2; gen db-1 3 2 3 2 1 acme 3
	  gen db-1 5 2 3 2; } >"$1/p2.ndjson"
}

crash_clean() {
	_t=$(new_target clean)
	bf-load --db "$_t" --state "$T/clean.state" "$T/cin/p1.ndjson" >/dev/null
	bf-load --db "$_t" --state "$T/clean.state" "$T/cin/p2.ndjson" >/dev/null
	export_wh "$_t" >"$T/clean.exp"
}

crash_check() {
	_ok=1
	export_wh "$2" >"$T/got.exp"
	cmp -s "$T/got.exp" "$T/clean.exp" || { _ok=0; diag "$1: export differs:" \
	    "$(diff "$T/clean.exp" "$T/got.exp" | head -6)"; }
	for _p in db-1 db-2; do
		_ck1=$(jq -c '[.committed,.windows,.last_digest,.grid]' "$3/$_p.ckpt")
		_ck2=$(jq -c '[.committed,.windows,.last_digest,.grid]' "$T/clean.state/$_p.ckpt")
		[ "$_ck1" = "$_ck2" ] || { _ok=0; diag "$1: $_p checkpoint: $_ck1" "want: $_ck2"; }
		_h=$(jq -r .chain_head "$3/$_p.ckpt")
		[ "$_h" = "$(head_of "$2" "$_p")" ] ||
		    { _ok=0; diag "$1: $_p chain head $_h is not the ledger's"; }
	done
	if [ $_ok = 1 ]; then pass "$1"; else fail "$1"; fi
}

# crash_points BATCHES COUNTS PHASES: for each fault point, crash there and
# rerun; the result must be the clean run's.
crash_points() {
	for _b in $1; do
	for _pt in after-delete after-insert after-ledger before-commit after-commit after-checkpoint; do
	for _c in $2; do
	for _ph in $3; do
		_fi=$((${_fi:-0} + 1))
		_t=$(new_target "f$_fi") _s=$T/f$_fi.state
		[ "$_ph" = p2 ] && bf-load --db "$_t" --state "$_s" --batch "$_b" "$T/cin/p1.ndjson" >/dev/null
		_rc=0
		BF_FAULT=$_pt:$_c bf-load --db "$_t" --state "$_s" --batch "$_b" \
		    "$T/cin/$_ph.ndjson" >/dev/null 2>&1 || _rc=$?
		if [ "$_rc" != 137 ]; then
			fail "$_pt:$_c batch $_b $_ph: crashed (exit $_rc)"; continue
		fi
		bf-load --db "$_t" --state "$_s" --batch "$_b" "$T/cin/$_ph.ndjson" >/dev/null 2>"$T/rerun.err" ||
		    { fail "$_pt:$_c batch $_b $_ph: rerun"; diag "$(cat "$T/rerun.err")"; continue; }
		[ "$_ph" = p1 ] && bf-load --db "$_t" --state "$_s" --batch "$_b" "$T/cin/p2.ndjson" >/dev/null
		crash_check "crash at $_pt:$_c, batch $_b, $_ph, then rerun: as a clean run" "$_t" "$_s"
	done; done; done; done
}

# crash_random N SEED: kill -9 bf-load (phase 2, random batch size) at
# random moments within the clean run's duration, rerun, compare.
crash_random() {
	_t=$(new_target timing) _s=$T/timing.state
	bf-load --db "$_t" --state "$_s" "$T/cin/p1.ndjson" >/dev/null
	_t0=$(date +%s%N)
	bf-load --db "$_t" --state "$_s" "$T/cin/p2.ndjson" >/dev/null
	_dur=$(( ($(date +%s%N) - _t0) / 1000000 ))
	awk -v n="$1" -v seed="$2" -v d="$_dur" 'BEGIN { srand(seed)
	    for (i = 0; i < n; i++) printf "%.3f %d\n", rand() * d * 0.9 / 1000, 1 + int(rand() * 2) }' >"$T/delays"
	_killed=0 _k=0
	while read -r _d _b; do
		_k=$((_k + 1))
		_t=$(new_target "k$_k") _s=$T/k$_k.state
		bf-load --db "$_t" --state "$_s" "$T/cin/p1.ndjson" >/dev/null
		bf-load --db "$_t" --state "$_s" --batch "$_b" "$T/cin/p2.ndjson" >/dev/null 2>&1 &
		_pid=$!
		sleep "$_d"
		kill -9 $_pid 2>/dev/null || :
		_rc=0; wait $_pid 2>/dev/null || _rc=$?
		[ "$_rc" = 137 ] && _killed=$((_killed + 1))
		bf-load --db "$_t" --state "$_s" --batch "$_b" "$T/cin/p2.ndjson" >/dev/null 2>"$T/rerun.err" ||
		    { fail "kill -9 after ${_d}s (batch $_b): rerun"; diag "$(cat "$T/rerun.err")"; continue; }
		crash_check "kill -9 after ${_d}s (batch $_b), rerun: as a clean run" "$_t" "$_s"
	done <"$T/delays"
	diag "$_killed of $1 runs were killed before they finished (clean run: ${_dur} ms)"
	[ "$_killed" -gt 0 ] && pass "some kills landed inside the run" ||
	    fail "some kills landed inside the run"
}

# The chain anchor (bf-load(1), ANCHOR): a restore, a forgery, a hand-edited
# checkpoint, a lost state directory. The caller defines
#   tgt NAME          the --db TARGET of warehouse NAME
#   mk NAME           an empty warehouse NAME
#   backup NAME COPY  a copy of NAME's committed state
#   restore NAME COPY NAME becomes COPY again
#   forge NAME PART   tests/lib/forge.py on NAME: one charge of PART + 1
#   q NAME SQL        one query, rows as text
#   UNGUARD           the SQL that drops the ledger's append-only triggers
#                     (tests/lib/unguard.sh), for a tamperer's UPDATE
# anchor_cost DAY0 NDAYS: the sum of gen's costs of one partition with 2
# instances and 2 metrics over those days, by awk.
anchor_cost() {
	awk -v d0="$1" -v nd="$2" 'BEGIN { s = 0
	for (d = d0; d < d0 + nd; d++) for (i = 1; i <= 2; i++)
		for (m = 1; m <= 2; m++) s += i * 100 + m * 10 + d
	printf "%d.%03d000000\n", int(s / 1000), s % 1000 }'
}
anchor_cases() {
	gen db-1 1 3 2 2 >"$T/d13.nd"; gen db-2 1 3 2 2 >>"$T/d13.nd"
	gen db-1 4 3 2 2 >"$T/d46.nd"; gen db-2 4 3 2 2 >>"$T/d46.nd"
	gen db-1 4 1 2 2 >"$T/d4.nd"; gen db-1 5 2 2 2 >"$T/d56.nd"
	cat "$T/d13.nd" "$T/d46.nd" >"$T/d16.nd"
	ld() { _w=$1; shift; bf-load -d "$(tgt "$_w")" -s "$T/$_w.st" "$@"; }
	ver() { run_prog bf-ledger -d "$(tgt "$1")" verify -s "$T/$1.st"; }
	last_hash() { q "$1" "SELECT hash FROM ledger WHERE partition = '$2' ORDER BY seq DESC LIMIT 1"; }
	usage_of() { "$BF_TOOLS/tool-export" "$(tgt "$1")" | jq -c 'select(.table == "usage")'; }

	# A clean run of days 1-6, to compare with.
	mk clean; ld clean "$T/d16.nd" >/dev/null || fail "the clean run"
	usage_of clean >"$T/clean.usage"

	# 1. A restore: the warehouse goes back to its state after day 3.
	mk rs; ld rs "$T/d13.nd" >/dev/null
	backup rs rs_bk
	ld rs "$T/d46.nd" >/dev/null
	h3=$(q rs_bk "SELECT hash FROM ledger WHERE partition = 'db-1' ORDER BY seq DESC LIMIT 1")
	n3=$(q rs_bk "SELECT count(*) FROM ledger WHERE partition = 'db-1'")
	restore rs rs_bk
	run_prog ld rs "$T/d4.nd"
	check_rc 0 "restore: the load goes on"
	check_eq "$(grep -c "warning: partition 'db-1': the warehouse is behind its checkpoint.*went back to entry $n3; windows missing: \[2026-01-04T00:00:00Z, 2026-01-07T00:00:00Z)" "$T/err")" 1 \
	    "restore: a warning names the missing windows"
	check_eq "$(q rs "SELECT seq || ' ' || kind || ' ' || window_start || ' ' || window_end || ' ' || amount || ' ' || prev_hash FROM ledger WHERE partition = 'db-1' AND kind = 'restore'")" \
	    "$((n3 + 1)) restore 2026-01-04T00:00:00Z 2026-01-07T00:00:00Z 0.000000000 $h3" \
	    "restore: recorded in the ledger after the head it went back to"
	check_eq "$(q rs "SELECT count(*) FROM ledger WHERE kind = 'restore' AND reason LIKE '%entry $n3 (head $(echo "$h3" | cut -c1-12)...)%windows missing: [2026-01-04T00:00:00Z, 2026-01-07T00:00:00Z)'")" 1 \
	    "restore: the entry's reason names the head and the windows"
	check_eq "$(jq -c '.committed' "$T/rs.st/db-1.ckpt")" \
	    '[["2026-01-01T00:00:00Z","2026-01-05T00:00:00Z"]]' \
	    "restore: the checkpoint is cut back (days 1-3, then day 4 loaded)"
	check_eq "$(jq -r '.chain_head' "$T/rs.st/db-1.ckpt")" "$(last_hash rs db-1)" \
	    "restore: the checkpoint's head is the warehouse's"
	run_prog ld rs "$T/d56.nd"
	check_eq "$RC $(cat "$T/err")" "0 " "restore: the next load goes on quietly"
	check_eq "$(q rs "SELECT count(*) FROM ledger WHERE kind = 'restore'")" 1 "restore: recorded once"
	ld rs "$T/d46.nd" >"$T/out" 2>"$T/err" # db-2's days 4-6 too
	check_eq "$(grep -c "warning: partition 'db-2': the warehouse is behind" "$T/err")" 1 \
	    "restore: db-2 went back too"
	ver rs
	check_rc 0 "restore: verify --state passes after the reload"
	check_eq "$(bf-ledger -d "$(tgt rs)" export --canonical | jq -r 'select(.table == "ledger" and .kind == "restore") | .partition + " " + .window_start' | tr '\n' ' ')" \
	    "db-1 2026-01-04T00:00:00Z db-2 2026-01-04T00:00:00Z " \
	    "restore: the events (db-2 went back too) are in the canonical export"
	usage_of rs >"$T/rs.usage"
	check_file "$T/rs.usage" "$T/clean.usage" "restore: the usage billed is a clean run's"
	# The events bill nothing: the reports of the restored warehouse are
	# the clean run's.
	# (The FOCUS rows without the ledger's sequence numbers and entry
	# hashes, which the events moved.)
	for r in "chargeback -p 2026-01 -F ndjson" "export -F focus -p 2026-01"; do
		for w in clean rs; do
			bf-ledger -d "$(tgt $w)" $r 2>&1 | python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
if len(rows) < 2 or "x_EntryHash" not in rows[0]:
    sys.stdout.write("".join(",".join(r) + "\n" for r in rows)); sys.exit()
drop = {rows[0].index("x_LedgerSeq"), rows[0].index("x_EntryHash")}
for r in rows:
    print(",".join(v for i, v in enumerate(r) if i not in drop))' >"$T/$w.rep"
		done
		check_file "$T/rs.rep" "$T/clean.rep" "restore: bf-ledger $r: the clean run's"
	done
	check_eq "$(q rs "SELECT amount FROM ledger WHERE partition = 'db-1' AND kind = 'charge' AND window_start >= '2026-01-04'" | awk '{ split($1, a, "."); s += a[1] * 1000000000 + a[2] } END { printf "%d.%09d\n", s / 1000000000, s % 1000000000 }')" \
	    "$(anchor_cost 4 3)" "restore: days 4-6 charged once more, by hand"

	# 2. A forger rewrites one charge and recomputes every digest and hash.
	mk fg; ld fg "$T/d13.nd" >/dev/null
	nf=$(q fg "SELECT count(*) FROM ledger WHERE partition = 'db-1'")
	forge fg db-1 >/dev/null || fail "the forger ran"
	run_prog bf-ledger -d "$(tgt fg)" verify
	check_rc 0 "forgery: the forged warehouse verifies on its own"
	ver fg
	check_rc 3 "forgery: verify --state catches it"
	cp "$T/fg.st/db-1.ckpt" "$T/fg.ck"
	for run in 1 2; do
		run_prog ld fg "$T/d46.nd"
		check_rc 3 "forgery: routine load $run refused"
		check_eq "$(jq -r 'select(.type == "window") | .partition + " " + .status + " " + (.error.code // "-")' "$T/out" | sort | uniq -c | awk '{ printf "%s ", $0 }' | tr -s ' ')" \
		    " 3 db-1 failed chain_mismatch 3 db-2 ok - " \
		    "forgery: db-1's windows refused (chain_mismatch), db-2's loaded ($run)"
		check_eq "$(grep -c "partition 'db-1' refused: chain_mismatch" "$T/err")" 1 \
		    "forgery: the refusal is said ($run)"
		check_file "$T/fg.st/db-1.ckpt" "$T/fg.ck" "forgery: the checkpoint is left alone ($run)"
		check_eq "$(q fg "SELECT count(*) FROM ledger WHERE partition = 'db-1'")" "$nf" \
		    "forgery: nothing written to db-1's chain ($run)"
		ver fg
		check_rc 3 "forgery: verify --state still fails ($run)"
	done
	run_prog bf-ledger -d "$(tgt fg)" reanchor -s "$T/fg.st" --partition db-1 --operator alice
	check_rc 2 "reanchor: --reason is required"
	run_prog bf-ledger -d "$(tgt fg)" reanchor -s "$T/fg.st" --partition db-1 \
	    --operator alice --reason "ticket 42: the charge was corrected by hand"
	check_rc 0 "reanchor: done"
	check_eq "$(q fg "SELECT seq || ' ' || kind || ' ' || amount || ' ' || reason FROM ledger WHERE partition = 'db-1' AND seq = $((nf + 1))" | cut -d'(' -f1)" \
	    "$((nf + 1)) reanchor 0.000000000 re-anchored by alice: ticket 42: the charge was corrected by hand " \
	    "reanchor: who and why in the ledger"
	check_eq "$(q fg "SELECT count(*) FROM ledger WHERE kind = 'reanchor' AND window_start = recorded_at AND recorded_at = '$(jq -r .recorded_at "$T/out")'")" 1 \
	    "reanchor: when, in the ledger"
	check_eq "$(jq -r .chain_head "$T/fg.st/db-1.ckpt")" "$(last_hash fg db-1)" \
	    "reanchor: the checkpoint's anchor is the warehouse's head"
	ver fg
	check_rc 0 "reanchor: verify --state passes"
	run_prog ld fg "$T/d46.nd"
	check_rc 0 "reanchor: the refusal is cleared"
	ver fg
	check_rc 0 "reanchor: and the ledger still verifies"

	# 3. A hand-edited chain head in a checkpoint.
	mk he; ld he "$T/d13.nd" >/dev/null
	jq -c '.chain_head = "'"$(printf x | sha256sum | cut -c1-64)"'"' "$T/he.st/db-1.ckpt" >"$T/he.ck"
	cp "$T/he.ck" "$T/he.st/db-1.ckpt"
	ver he
	check_rc 3 "edited head: verify --state catches it"
	run_prog ld he "$T/d46.nd"
	check_rc 3 "edited head: the load is refused"
	check_eq "$(jq -r 'select(.partition == "db-1") | .error.code' "$T/out" | sort -u)" chain_mismatch \
	    "edited head: chain_mismatch"
	check_file "$T/he.st/db-1.ckpt" "$T/he.ck" "edited head: the checkpoint is left alone"
	ver he
	check_rc 3 "edited head: verify --state still fails"

	# 4. A lost state directory: the warehouse is trusted once its chain
	# verifies, and not when it does not.
	mk ls; ld ls "$T/d13.nd" >/dev/null
	rm -rf "$T/ls.st"
	run_prog ld ls "$T/d46.nd"
	check_rc 0 "lost state: the load goes on"
	check_eq "$(grep -c "partition 'db-1' has no chain head in its checkpoint.*verifies, up to entry 12, and is trusted" "$T/err")" 1 \
	    "lost state: said on stderr"
	check_eq "$(jq -r .chain_head "$T/ls.st/db-1.ckpt")" "$(last_hash ls db-1)" \
	    "lost state: anchored at the warehouse's head"
	mk lt; ld lt "$T/d13.nd" >/dev/null
	q lt "$UNGUARD UPDATE ledger SET amount = amount + 1 WHERE partition = 'db-1' AND seq = 2" >/dev/null
	rm -rf "$T/lt.st"
	run_prog ld lt "$T/d46.nd"
	check_rc 3 "lost state: a chain that does not verify is refused"
	check_eq "$(grep -c "partition 'db-1' refused: chain_mismatch: the warehouse's chain does not verify (entry 2: hash does not match the entry)" "$T/err")" 1 \
	    "lost state: the broken link is named"
}
