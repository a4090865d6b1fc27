#!/bin/sh
# bf-backfill -j N with the file source reads the data once: the data
# files are split by partition before the pipelines (bf-fetch --split)
# and each pipeline reads its partition's part (bf-backfill(1), PARALLEL
# RUNS).
# 1. The warehouse (canonical export) and the DLQ of -j 4 are those of
#    -j 1, on bf-gen data with duplicates and malformed lines, sorted and
#    shuffled, NDJSON and CSV; a partition of the selection without data
#    too.
# 2. The data file is opened once in a -j 4 run (strace -f counts the
#    openat calls naming it), against 1 + 1 + one per pipeline when it
#    cannot be split (CSV with a bare CR): the same warehouse then too.
# 3. Partition names that need encoding ('/', '..', a blank): the result
#    of -j 1.
# 4. While the pipelines run the split directory is 0700 and its parts
#    0600, one per partition (seen by a bf-validate wrapper first in
#    PATH); it is gone after the run. -j 2 runs 2 pipelines, which share
#    the parts, each part read by one of them (a bf-fetch wrapper logs its
#    arguments).
# 5. A malformed data file: exit 2 with bf-fetch's message once, before
#    any pipeline; nothing committed.
# 6. --dry-run -j 2 shows the split instead of the check.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock python3; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
cd "$T"
printf 'db-01\ndb-02\ndb-03\ndb-04\ndb-05\ndb-06\n' >instances.txt
bf-gen -n 5 -d 2 --duplicate-ppm 3000 --malformed-ppm 3000 >gen.ndjson
python3 -c '
import random, sys
lines = open(sys.argv[1]).read().splitlines(True)
random.Random(11).shuffle(lines)
sys.stdout.write("".join(lines))' gen.ndjson >shuf.ndjson
# CSV: the samples whose fields a row can carry, some rows CR LF.
for f in gen shuf; do
	{
		echo 'ts,instance_id,metric,value,unit'
		jq -r 'select((.ts | type) == "string" and (.value | type) == "number" and
		    (.unit | type) == "string") | [.ts, .instance_id, .metric, .value, .unit] | @csv' $f.ndjson |
		    awk 'NR % 7 == 0 { printf "%s\r\n", $0; next } { print }'
	} >$f.csv
done

# run NAME DATA JOBS [KEY=VALUE]...: a backfill of DATA with -j JOBS
# into NAME/ (6 partitions, db-06 without data, 6h windows); its export
# in NAME.exp, its DLQ's ids in NAME.dlq.
run() {
	_n1=$1 _data=$2 _j=$3
	shift 3
	rm -rf "$_n1" && mkdir "$_n1"
	write_conf "$_n1.conf" "$T/$_n1" size=6h partition= \
	    partitions="$T/instances.txt" jobs="$_j" "$@"
	sed -i "s|^fetch-arg = .*data.ndjson|fetch-arg = $T/$_data|" "$_n1.conf"
	run_prog bf-backfill -c "$_n1.conf" --no-progress
	cp "$T/err" "$_n1.err"
	export_wh "$_n1/ledger.db" >"$_n1.exp"
	jq -r .id "$_n1/dlq.ndjson" 2>/dev/null | sort >"$_n1.dlq"
}

# --- 1. -j 4 = -j 1 -----------------------------------------------------------
for d in gen.ndjson shuf.ndjson gen.csv shuf.csv; do
	run j1 $d 1
	check_rc 1 "$d, -j 1 (db-06 has no data: not committed)"
	run j4 $d 4
	check_rc 1 "$d, -j 4"
	check_file j4.exp j1.exp "$d: -j 4 gives the warehouse of -j 1"
	check_file j4.dlq j1.dlq "$d: -j 4 gives the DLQ of -j 1"
	check_eq "$(sq j4/ledger.db 'SELECT partition, count(*) FROM windows GROUP BY 1' | tr '\n' ' ')" \
	    "db-01|8 db-02|8 db-03|8 db-04|8 db-05|8 " "$d, -j 4: 8 windows committed for each partition with data"
	check_eq "$(grep -c "no data: partition 'db-06', 8 windows" j4.err)" 1 \
	    "$d, -j 4: db-06, without data, has none (as with -j 1)"
	[ "$(wc -l <j1.exp)" -gt 100 ] && pass "$d: (the export is not empty)" ||
	    fail "$d: (the export is not empty)"
done

# --- 2. the data file opened once ---------------------------------------------
# opens NAME DATA: the openat calls of a -j 4 run naming DATA.
opens() {
	rm -rf "$1" && mkdir "$1"
	write_conf "$1.conf" "$T/$1" size=6h partition= \
	    partitions="$T/instances.txt" jobs=4
	sed -i "s|^fetch-arg = .*data.ndjson|fetch-arg = $T/$2|" "$1.conf"
	RC=0
	strace -f -qq -e trace=openat,open -o "$T/strace.$1" \
	    bf-backfill -c "$1.conf" --no-progress >"$T/out" 2>"$T/err" || RC=$?
	grep -c "open[a-z]*(.*\"$T/$2\"" "$T/strace.$1"
}
if ! command -v strace >/dev/null; then
	echo "ok $((_n += 1)) - the data file opened once # SKIP strace is not installed"
elif [ "${BF_SANITIZE:-}" = 1 ] ||
    ! strace -f -qq -o /dev/null bf-fetch --version >/dev/null 2>&1; then
	# (LeakSanitizer does not run under ptrace.)
	echo "ok $((_n += 1)) - the data file opened once # SKIP strace cannot trace bf-fetch here"
else
	check_eq "$(opens s1 shuf.ndjson)" 1 "-j 4, NDJSON: the data file opened once"
	check_rc 1 "(the run)"
	export_wh s1/ledger.db >s1.exp
	run j1 shuf.ndjson 1
	check_file s1.exp j1.exp "(the warehouse of -j 1)"
	check_eq "$(opens s2 gen.csv)" 1 "-j 4, CSV: the data file opened once"
	# A bare CR: every pipeline reads the data (the split, the check,
	# and 6 pipelines).
	{ head -n 3 gen.csv | tr '\n' '\r'; echo; tail -n +4 gen.csv; } >cr.csv
	check_eq "$(opens s3 cr.csv)" 8 "-j 4, CSV with a bare CR: not split, read by each pipeline"
	export_wh s3/ledger.db >s3.exp
	run j1 cr.csv 1
	check_file s3.exp j1.exp "-j 4, CSV with a bare CR: the warehouse of -j 1"
fi

# --- 3. names that need encoding ------------------------------------------------
jq -c 'if (.instance_id | type) == "string" then .instance_id |=
    ({"db-01": "a/b", "db-02": "..", "db-03": "x y"}[.] // .) else . end' \
    gen.ndjson >names.ndjson
printf 'a/b\n..\nx y\ndb-04\n' >instances.txt
jq 'del(.properties.instance_id.pattern)' "$DEMO/contract.json" >contract.json
run n1 names.ndjson 1 contract="$T/contract.json" tenants=
check_rc 0 "names, -j 1"
run n3 names.ndjson 3 contract="$T/contract.json" tenants=
check_rc 0 "names, -j 3"
check_file n3.exp n1.exp "names: -j 3 gives the warehouse of -j 1"
check_eq "$(sq n3/ledger.db 'SELECT partition, count(*) FROM windows GROUP BY 1 ORDER BY 1' | tr '\n' ' ')" \
    "..|8 a/b|8 db-04|8 x y|8 " "names: every partition committed"
printf 'db-01\ndb-02\ndb-03\ndb-04\ndb-05\ndb-06\n' >instances.txt

# --- 4. the modes of the split, while the pipelines run -------------------------
mkdir wrap
cat >wrap/bf-validate <<EOF
#!/bin/sh
for d in "$T"/m/state/.run.*/split; do
	stat -c '%a %n' "\$d" "\$d"/* | sed "s|\$d|SPLIT|"
done >>"$T/modes"
PATH=\${PATH#*:} exec bf-validate "\$@"
EOF
chmod +x wrap/bf-validate
cat >wrap/bf-fetch <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$T/fetches"
PATH=\${PATH#*:} exec bf-fetch "\$@"
EOF
chmod +x wrap/bf-fetch
path=$PATH
PATH="$T/wrap:$PATH"
run m gen.ndjson 2
PATH=$path
check_rc 1 "modes: the run"
check_eq "$(sort -u modes | tr '\n' ' ')" \
    "600 SPLIT/db-01.ndjson 600 SPLIT/db-02.ndjson 600 SPLIT/db-03.ndjson 600 SPLIT/db-04.ndjson 600 SPLIT/db-05.ndjson 700 SPLIT " \
    "the split: directory 0700, one part per partition with data, 0600"
check_eq "$(ls -a m/state | grep -c '^\.run\.')" 0 "the split removed with the run directory"
check_eq "$(grep -c -- ' --split ' fetches) $(grep -c -- ' --check' fetches) $(grep -c -- '--split-part' fetches)" \
    "1 0 2" "-j 2: one split, no check, 2 pipelines"
check_eq "$(grep -o -- '--split-part [^ ]*' fetches | sed 's|.*/||' | sort | tr '\n' ' ')" \
    "db-01.ndjson db-02.ndjson db-03.ndjson db-04.ndjson db-05.ndjson " \
    "-j 2: each part read by one pipeline"
check_eq "$(grep -- '--split-part' fetches | awk '{ print gsub(/--split-part/, "") }' | sort | tr '\n' ' ')" \
    "2 3 " "-j 2: the 5 parts (of about the same size) shared 3 and 2"

# --- 5. a malformed data file -----------------------------------------------------
{ head -n 5 gen.ndjson; echo '{"ts":"2026-01-01T00:00:00Z"}'; cat gen.ndjson; } >bad.ndjson
run_prog bf-fetch -s file -d "$T/bad.ndjson" </dev/null
msg=$(cat err)
mkdir b
write_conf b.conf "$T/b" size=6h partition= partitions="$T/instances.txt" jobs=4
sed -i "s|^fetch-arg = .*data.ndjson|fetch-arg = $T/bad.ndjson|" b.conf
run_prog bf-backfill -c b.conf --no-progress
check_rc 2 "malformed, -j 4: exit 2"
check_eq "$(cat err)" "$msg" "malformed, -j 4: bf-fetch's message, once, and nothing else"
check_eq "$(sq b/ledger.db 'SELECT count(*) FROM windows' 2>/dev/null || echo 0)" 0 \
    "malformed, -j 4: nothing committed"

# --- 6. the dry run -------------------------------------------------------------
write_conf dry.conf "$T/dry" partition= partitions="$T/instances.txt" jobs=2
sed -i "s|^fetch-arg = .*data.ndjson|fetch-arg = $T/gen.ndjson|" dry.conf
run_prog bf-backfill -c dry.conf --dry-run
check_rc 0 "--dry-run -j 2"
check_eq "$(grep -c -- '^bf-fetch --source file --data .*/gen.ndjson --split .*/\.run\.XXXXXX/split$' out)" 1 \
    "--dry-run -j 2: the split's line"
check_eq "$(grep -c -- '--check$' out)" 0 "--dry-run -j 2: no check (the split checks the data)"
done_testing
