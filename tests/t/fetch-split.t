#!/bin/sh
# bf-fetch --split DIR: the --data files split by partition once (for
# bf-backfill -j N), and --split-part FILE, which reads a part instead of
# the data (bf-fetch(1), "Splitting by partition").
# 1. Each part holds the input lines (CSV rows, under the header row) of
#    its partition's records, verbatim and in input order: compared with
#    the parts python3 computes from the data (the routing rule of
#    bf-fetch(1): the partition field, else instance_id, else --instance;
#    lines of another type and metrics the map lacks left out); bf-gen
#    data sorted and shuffled, NDJSON and CSV, and lines of many shapes in
#    two files with a metrics map.
# 2. For every partition, bf-fetch over its windows writes the same bytes
#    given --split-part as given the data (lookback samples included); so
#    do the windows of two partitions given their two parts.
# 3. File names: partitions with '/', '..', a leading '.', a blank, '%'
#    and UTF-8 encoded as the state directory encodes them (python3 does
#    it here), files 0600 and the directory 0700 under umask 000; a record
#    whose key cannot be a partition (empty) is left out and counted.
# 4. Not split, nothing written, and said so: a CloudWatch export, data
#    files of two formats, CSV with a bare carriage return. A malformed
#    file: exit 2 and the message bf-fetch gives without --split, nothing
#    written. Usage errors; an unwritable directory: exit 74.
# 5. --split-part keeps the source id of the --data files (the budget).
. "$(dirname "$0")/../lib/common.sh"
for p in jq python3; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
cd "$T"

# parts DIR EXT [INSTANCE] [MAP] <DATA...: the expected parts into DIR,
# one file per partition (the name as encoded in bf-fetch(1)), and the
# list "PARTITION RECORDS" sorted by partition bytes on stdout.
cat >parts.py <<'PY'
import csv, io, json, os, sys
out, ext, inst, mapf = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
files = sys.argv[5:]
mapped = None
if mapf:
    mapped = {r["query"] for r in csv.DictReader(open(mapf))}
def enc(k):
    b = k.encode()
    s = ""
    for i, c in enumerate(b):
        ch = chr(c)
        if (ch.isascii() and (ch.isalnum() or ch in "-_.")) and not (i == 0 and ch == "."):
            s += ch
        else:
            s += "%%%02X" % c
    return s
parts, header = {}, None
for f in files:
    data = open(f, "rb").read()
    if ext == "csv":
        lines = data.split(b"\n")
        header = lines[0] + b"\n"
        text = data[len(header):]
        # rows: csv.reader over the text, with their raw bytes
        raw, rows, cur = [], [], b""
        for ln in text.split(b"\n"):
            cur += ln + b"\n"
            if cur.count(b'"') % 2 == 0:
                if cur.strip():
                    raw.append(cur)
                cur = b""
        cols = next(csv.reader([header.decode().strip()]))
        for r in raw:
            row = dict(zip(cols, next(csv.reader(io.StringIO(r.decode())))))
            if mapped is not None and row["metric"] not in mapped:
                continue
            key = row.get("instance_id") or inst
            parts.setdefault(key, []).append(r)
        continue
    for ln in data.split(b"\n"):
        if not ln.strip():
            continue
        x = json.loads(ln)
        if x.get("type", "sample") != "sample":
            continue
        if mapped is not None and isinstance(x.get("metric"), str) and x["metric"] not in mapped:
            continue
        key = x.get("partition")
        if not isinstance(key, str):
            key = x.get("instance_id")
        if not isinstance(key, str):
            key = inst
        key = key.split("\0")[0]
        parts.setdefault(key, []).append(ln + b"\n")
os.makedirs(out, exist_ok=True)
for k in sorted(parts, key=lambda k: k.encode()):
    if k == "":
        print("(empty) %d" % len(parts[k]))
        continue
    with open(os.path.join(out, enc(k) + "." + ext), "wb") as f:
        if header is not None:
            f.write(header)
        f.write(b"".join(parts[k]))
    print("%s %d" % (k, len(parts[k])))
PY
# windows P...: 6-hour window lines of each partition over the data's
# range.
windows() {
	for p in "$@"; do
		for s in 2026-01-01T00 2026-01-01T06 2026-01-01T12 2026-01-01T18 \
		    2026-01-02T00 2026-01-02T06 2026-01-02T12 2026-01-02T18; do
			e=$(date -u -d "${s%T*} ${s#*T}:00 6 hours" +%Y-%m-%dT%H)
			jq -nc --arg p "$p" --arg s "$s:00:00Z" --arg e "$e:00:00Z" \
			    '{type: "window", partition: $p, window_start: $s, window_end: $e}'
		done
	done
}
# same_output NAME FMT ARGS...: for every part listed in $T/list (the
# --split output), bf-fetch ARGS over the windows of its partition, with
# the data and with --split-part: the same bytes.
same_output() {
	_name=$1 _fmt=$2
	shift 2
	_bad=
	for _p in $(jq -r 'select(.type == "split") | .partition | @base64' "$T/list"); do
		_p=$(printf %s "$_p" | base64 -d)
		_f=$(jq -r --arg p "$_p" 'select(.type == "split" and .partition == $p) | .file' "$T/list")
		windows "$_p" >"$T/w"
		bf-fetch "$@" <"$T/w" >"$T/o.data" 2>&1 || _bad="$_bad $_p(data)"
		bf-fetch "$@" --split-part "$_f" --format "$_fmt" <"$T/w" >"$T/o.part" 2>&1 ||
		    _bad="$_bad $_p(part)"
		cmp -s "$T/o.data" "$T/o.part" || _bad="$_bad $_p"
		grep -q '"type":"sample"' "$T/o.data" || _bad="$_bad $_p(no samples)"
	done
	check_eq "$_bad" "" "$_name: each partition's windows: the same output from its part"
}
# split_case NAME EXT INSTANCE MAP FETCH-ARGS... -- DATA...: splits DATA,
# checks the parts and the list against python3's, then same_output.
split_case() {
	_name=$1 _ext=$2 _inst=$3 _map=$4
	shift 4
	_args=
	while [ "$1" != -- ]; do _args="$_args $1"; shift; done
	shift
	_d=
	for _x in "$@"; do _d="$_d -d $_x"; done
	rm -rf "$T/split" "$T/want"
	# (split into words on purpose)
	run_prog bf-fetch -s file $_args $_d --split "$T/split"
	check_rc 0 "$_name: --split"
	cp "$T/out" "$T/list"
	python3 parts.py "$T/want" "$_ext" "$_inst" "$_map" "$@" >"$T/want.list"
	check_eq "$(cd "$T/split" && ls | sort)" "$(cd "$T/want" && ls | sort)" \
	    "$_name: one part per partition, named by its encoded name"
	_diff=
	for _f in "$T"/want/*; do
		cmp -s "$_f" "$T/split/${_f##*/}" || _diff="$_diff ${_f##*/}"
	done
	check_eq "$_diff" "" "$_name: each part: its records' lines, verbatim, in input order"
	check_eq "$(jq -r 'select(.type == "split") | "\(.partition) \(.records)"' "$T/list")" \
	    "$(grep -v '^(empty) ' "$T/want.list")" "$_name: the list of parts"
	check_eq "$(jq -c 'select(.type == "split_total") | [.split, .format, .partitions, .records, .skipped]' "$T/list")" \
	    "$(awk -v f="$_ext" '$1 == "(empty)" { s += $NF; next }
	    { n++; r += $NF } END { printf "[true,\"%s\",%d,%d,%d]\n", f, n, r, s }' "$T/want.list")" \
	    "$_name: the total line"
	# (split into words on purpose)
	same_output "$_name" "$_ext" -s file $_args $_d
}

# --- 1, 2: bf-gen data, sorted and shuffled, NDJSON and CSV ----------------
bf-gen -n 4 -d 2 --duplicate-ppm 2000 --malformed-ppm 2000 >gen.ndjson
python3 -c '
import random, sys
lines = open(sys.argv[1]).read().splitlines(True)
random.Random(7).shuffle(lines)
sys.stdout.write("".join(lines))' gen.ndjson >shuf.ndjson
split_case "ndjson sorted" ndjson "" "" -- gen.ndjson
# --split-part twice: the windows of two partitions from their parts.
windows db-01 db-03 >w2
bf-fetch -s file -d gen.ndjson <w2 >o2.data
run_prog bf-fetch -s file -d gen.ndjson --split-part split/db-03.ndjson \
    --split-part split/db-01.ndjson --format ndjson <w2
check_file "$T/out" o2.data "--split-part twice: two partitions' windows as from the data"
split_case "ndjson shuffled" ndjson "" "" -- shuf.ndjson
# CSV: the clean samples' fields, a row with a quoted line feed, CR LF
# rows and a last row without a line feed.
for f in gen shuf; do
	{
		printf 'ts,instance_id,metric,value,unit\r\n'
		jq -r 'select((.ts | type) == "string" and (.value | type) == "number" and
		    (.unit | type) == "string") | [.ts, .instance_id, .metric, .value, .unit] | @csv' $f.ndjson |
		    awk 'NR % 5 == 0 { printf "%s\r\n", $0; next } { print }'
		printf '"2026-01-01T01:00:00Z",db-02,cpu_utilization,1,"Per\ncent"\n'
		printf '"2026-01-01T02:00:00Z",db-03,cpu_utilization,2,Percent'
	} >$f.csv
done
split_case "csv sorted" csv "" "" -- gen.csv
split_case "csv shuffled" csv "" "" -- shuf.csv
check_eq "$(head -n 1 "$T/split/db-02.csv" | tr '\r' R)" "ts,instance_id,metric,value,unitR" \
    "csv: the header row as it is, CR LF"

# Lines of many shapes (bf-fetch(1): fetch-file.t's), two files, a
# fallback instance and a metrics map.
cat >shapes.ndjson <<'DATA'
{"type":"sample","instance_id":"db-1","metric":"cpu","ts":"2026-01-01T00:00:00Z","value":1,"unit":"Percent"}
{ "ts" : 1767225660 , "instance_id" : "db-1" , "metric":"cpu","value":2,"unit":"Percent","x":{"a":[1,2]},"source":"s"}
{"a":1, "b":2, "c":3, "d":4,"ts":"2026-01-01T00:02:00Z","instance_id":"db-1","resolution":60}

{"ts":"2026-01-01T00:03:00Z","partition":"db-2"}
{"type":"window","partition":"db-2"}
{"window_start":"x","\u0074s":"2026-01-01T00:04:00Z","instance_id":"db-1","window_end":"y","metric":"m\"q","type":"sample"}
{"ts":"2026-01-01T00:05:00Z","metric":"conns","unit":"Count","value":"NaN"}
{"instance_id":"db-2","metric":"cpu","value":7,"unit":"Percent","ts":"2026-01-01T23:59:59Z"}
{"instance_id":"db-2","metric":"cpu","value":8,"unit":"Percent","ts":"2026-01-02T00:00:00Z","partition":"db-3\u0000x"}
DATA
printf '{"instance_id":"db-1","metric":"cpu","value":0,"unit":"Percent","ts":"2025-12-31T23:59:00Z"}\r\n  {"instance_id":"db-1","metric":"cpu","value":3,"unit":"Percent","ts":"2026-01-01T00:00:00Z","source":"other"}' >shapes2.ndjson
printf 'metric,unit,query\ncpu_pct,Percent,cpu\nconnections,Count,conns\n' >m.csv
split_case "shapes, two files" ndjson db-1 "" --instance db-1 -- shapes.ndjson shapes2.ndjson
split_case "shapes, a metrics map" ndjson db-1 m.csv --instance db-1 -m m.csv -- shapes.ndjson shapes2.ndjson

# --- 3: names that need encoding, modes ---------------------------------------
for p in "a/b" ".." ".hidden" "x y" "50%" "é" "plain" ""; do
	jq -nc --arg p "$p" '{instance_id: $p, metric: "cpu", unit: "Percent",
	    value: 1, ts: "2026-01-01T00:00:00Z"}'
	jq -nc --arg p "$p" '{instance_id: $p, metric: "cpu", unit: "Percent",
	    value: 2, ts: "2026-01-01T07:00:00Z"}'
done >names.ndjson
mask=$(umask)
umask 000
split_case "names" ndjson "" "" -- names.ndjson
umask "$mask"
check_eq "$(cd split && ls | sort | tr '\n' ' ')" \
    "%2E..ndjson %2Ehidden.ndjson %C3%A9.ndjson 50%25.ndjson a%2Fb.ndjson plain.ndjson x%20y.ndjson " \
    "names: encoded as the state directory encodes partitions"
check_eq "$(stat -c %a split; stat -c %a split/* | sort -u)" "700
600" "names: under umask 000, the directory 0700, the parts 0600"
check_eq "$(jq -c 'select(.type == "split_total") | .skipped' list)" 2 \
    "names: the 2 records of the empty instance left out, counted"

# --- 4: not split; errors ---------------------------------------------------
# nosplit NAME REASON ARGS...: exit 0, the total line alone, nothing written.
nosplit() {
	_name=$1 _why=$2
	shift 2
	rm -rf "$T/split"
	run_prog bf-fetch -s file "$@" --split "$T/split"
	check_rc 0 "$_name: --split"
	check_eq "$(cat "$T/out")" \
	    "{\"type\":\"split_total\",\"split\":false,\"reason\":\"$_why\"}" \
	    "$_name: not split, and why"
	check_eq "$(ls -d "$T/split" 2>&1 | grep -c 'No such file')" 1 "$_name: nothing written"
}
for f in fetch-cw-page1.json fetch-cw-page2.json fetch-metrics.csv; do
	cp "$BF_TOP/tests/man-fixtures/$f" .
done
nosplit "cloudwatch" "a CloudWatch export" -m fetch-metrics.csv \
    -d fetch-cw-page1.json -d fetch-cw-page2.json
nosplit "ndjson and csv" "data files of different formats" -d gen.ndjson -d gen.csv
printf 'ts,instance_id,metric,value,unit\n2026-01-01T00:00:00Z,a,cpu,1,Percent\r2026-01-01T00:01:00Z,b,cpu,1,Percent\n' >cr.csv
nosplit "csv, bare CR" "CSV with a carriage return that ends no line" -d cr.csv
{ head -n 2 gen.ndjson; echo '{"ts":"2026-01-01T00:00:00Z"}'; } >bad.ndjson
run_prog bf-fetch -s file -d gen.ndjson -d bad.ndjson </dev/null
cp err bad.want
rm -rf split
run_prog bf-fetch -s file -d gen.ndjson -d bad.ndjson --split split
check_rc 2 "malformed: exit 2"
check_file "$T/err" "$T/bad.want" "malformed: the message of bf-fetch without --split"
check_eq "$(cat out; ls -d split 2>/dev/null)" "" "malformed: nothing written, nothing listed"
run_prog bf-fetch -s file -d gen.ndjson --split split --check
check_rc 2 "--split --check: usage"
run_prog bf-fetch -s file -d gen.ndjson --split split w.ndjson
check_rc 2 "--split with a FILE argument: usage"
run_prog bf-fetch -s prometheus -u http://127.0.0.1:9/ --split split
check_rc 2 "--split with --source prometheus: usage"
grep -q "does not apply" err && pass "(it says so)" || fail "(it says so)"
# A directory under a regular file: no one can create it.
run_prog bf-fetch -s file -d gen.ndjson --split gen.ndjson/split
check_rc 74 "a directory that cannot be created: exit 74"
check_eq "$(cat out)" "" "(nothing listed)"

# --- 5: the source id -------------------------------------------------------
mkdir b1 b2
rm -rf split
bf-fetch -s file -d gen.ndjson --split split >list
windows db-01 | bf-fetch -s file -d gen.ndjson --budget b1 >/dev/null
windows db-01 | bf-fetch -s file -d gen.ndjson --budget b2 \
    --split-part split/db-01.ndjson >/dev/null
check_eq "$(ls b2)" "$(ls b1)" "--split-part: the budget of the --data files"
done_testing
