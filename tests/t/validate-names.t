#!/bin/sh
# A name that bf-load would refuse is refused by bf-validate first, into
# the DLQ with code bad_name (bf(7), NAMES): one bad sample no longer
# fails its whole window on every rerun.
. "$(dirname "$0")/../lib/common.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"

cd "$T"
WS=2026-03-10T00:00:00Z WE=2026-03-11T00:00:00Z
cat >contract.json <<'J'
{ "type": "object",
  "required": ["type", "partition", "window_start", "window_end",
               "instance_id", "metric", "ts", "value", "unit"],
  "properties": { "instance_id": { "type": "string" },
                  "metric": { "type": "string" } },
  "x-bf-metrics": { "cpu_utilization": { "unit": "Percent", "minimum": 0, "maximum": 100 } } }
J
printf '%s\n' metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to \
    "cpu_utilization,Percent,sum,Percent,,,0.001,USD,," >rates.csv

# one sample a minute for a day (1440), the 700th with a NUL in instance_id
python3 - "$WS" "$WE" <<'P' >in.ndjson
import sys
ws, we = sys.argv[1], sys.argv[2]
for m in range(1440):
    iid = "db-1\\u0000x" if m == 699 else "db-1"
    print('{"type":"sample","partition":"p","window_start":"%s","window_end":"%s",'
          '"instance_id":"%s","metric":"cpu_utilization","ts":"2026-03-10T%02d:%02d:00Z",'
          '"value":%d,"unit":"Percent"}' % (ws, we, iid, m // 60, m % 60, m % 7 + 1))
print('{"type":"window","partition":"p","window_start":"%s","window_end":"%s"}' % (ws, we))
P
# the sum of the good samples, by awk from the input
want=$(grep -v 'u0000' in.ndjson | grep '"sample"' |
    sed 's/.*"value":\([0-9]*\).*/\1/' | awk '{ s += $1 } END { print s }')

mkdir state
pipeline() {
	RC=0
	bf-validate -c contract.json -n 2026-06-01 -d dlq.ndjson in.ndjson |
	    bf-aggregate -r rates.csv -d dlq.ndjson |
	    bf-load --db w.db --state state >out 2>err || RC=$?
}
pipeline
check_rc 0 "the window with one bad name commits"
check_eq "$(sqlite3 w.db "select count(*) from windows")" 1 "one window in the warehouse"
check_eq "$(sqlite3 w.db "select instance_id || ' ' || samples || ' ' || value from usage")" \
    "db-1 1439 $want.000000000" "its usage holds the 1439 good samples, summed"
check_eq "$(jq -r '.error.code + " " + .error.pointer' dlq.ndjson)" "bad_name /instance_id" \
    "the bad sample is in the DLQ with bad_name"
check_eq "$(jq -r .raw dlq.ndjson)" "$(sed -n 700p in.ndjson)" "the DLQ keeps it byte for byte"
pipeline
check_rc 0 "a rerun succeeds too"
check_eq "$(sqlite3 w.db "select count(*) from windows")" 1 "still one window"

# Each kind of bad name, in each field, alone: control characters (C0 and
# DEL, escaped or raw), empty, too long.
long=$(python3 -c 'print("i" * 1025)')
ok=$(python3 -c 'print("i" * 1024)')
longpart=$(python3 -c 'print("p" * 239)')
s() { printf '{"type":"sample","partition":"%s","window_start":"%s","window_end":"%s","instance_id":"%s","metric":"%s","ts":"2026-03-10T00:00:00Z","value":1,"unit":"Percent"}\n' "$1" "$WS" "$WE" "$2" "$3"; }
cat >contract2.json <<'J'
{ "type": "object", "x-bf-metrics": {}, "x-bf-allow-unknown-metrics": true }
J
{
	s p 'a\u0001b' m
	s p 'a\u001fb' m
	s p 'a\u007fb' m
	printf '{"type":"sample","partition":"p","window_start":"%s","window_end":"%s","instance_id":"a\177b","metric":"m","ts":"2026-03-10T00:00:00Z","value":1,"unit":"Percent"}\n' "$WS" "$WE"
	s p '' m
	s p "$long" m
	s p i 'm\tx'
	s p i 'm\r'
	s 'p\u0000' i m
	s "$longpart" i m
	s p "$ok" 'caf\u00e9 m'
	s p 'db-1 (x; é)' m
} >bad.ndjson
run_prog bf-validate -c contract2.json -n 2026-06-01 -r 1 -d dlq2.ndjson bad.ndjson
check_rc 0 "bad names are rejects, not failures"
check_eq "$(jq -r '(.line|tostring) + " " + .error.code + " " + .error.pointer' dlq2.ndjson | tr '\n' '|')" \
    "1 bad_name /instance_id|2 bad_name /instance_id|3 bad_name /instance_id|4 bad_name /instance_id|5 bad_name /instance_id|6 bad_name /instance_id|7 bad_name /metric|8 bad_name /metric|9 missing_window |10 bad_name /partition|" \
    "every bad name refused with bad_name and its field"
check_eq "$(wc -l <out | tr -d ' ')" 2 "names of 1024 bytes and any other character pass"
check_eq "$(jq -r 'select(.line == 6) | .error.message' dlq2.ndjson)" \
    "'instance_id' is 1025 bytes long, at most 1024" "the message says how long"
check_eq "$(jq -r 'select(.line == 1) | .error.message' dlq2.ndjson)" \
    "'instance_id' holds the control character U+0001 at byte 2" "the message says which character"
done_testing
