#!/bin/sh
# bf-fetch --source file: records of several shapes (compact, blanks
# between members, dropped members in between, escaped keys, routing by
# partition, a fallback instance, a metrics map) come out byte for byte as
# before the data files were mapped instead of copied; a pipe gives the same
# as a regular file; an empty file gives empty windows; a bad record in a
# later file names that file and line. The record of db-1 at 23:59 the day
# before is the window's lookback sample (the 1h default).
. "$(dirname "$0")/../lib/common.sh"

cat >"$T/data.ndjson" <<'DATA'
{"type":"sample","instance_id":"db-1","metric":"cpu","ts":"2026-01-01T00:00:00Z","value":1,"unit":"Percent"}
{ "ts" : 1767225660 , "instance_id" : "db-1" , "metric":"cpu","value":2,"unit":"Percent","x":{"a":[1,2]},"source":"s"}
{"a":1, "b":2, "c":3, "d":4,"ts":"2026-01-01T00:02:00Z","instance_id":"db-1","resolution":60}
{"ts":"2026-01-01T00:03:00Z","partition":"db-2"}
{"type":"window","partition":"db-2"}
{"window_start":"x","\u0074s":"2026-01-01T00:04:00Z","instance_id":"db-1","window_end":"y","metric":"m\"q","type":"sample"}
{"ts":"2026-01-01T00:05:00Z","metric":"conns","unit":"Count","value":"NaN"}
{"instance_id":"db-2","metric":"cpu","value":7,"unit":"Percent","ts":"2026-01-01T23:59:59Z"}
{"instance_id":"db-2","metric":"cpu","value":8,"unit":"Percent","ts":"2026-01-02T00:00:00Z"}
DATA
printf '{"instance_id":"db-1","metric":"cpu","value":0,"unit":"Percent","ts":"2025-12-31T23:59:00Z"}\r\n  {"instance_id":"db-1","metric":"cpu","value":3,"unit":"Percent","ts":"2026-01-01T00:00:00Z","source":"other"}\n' >"$T/data2.ndjson"
for p in db-1 db-2; do
	printf '{"type":"window","partition":"%s","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z"}\n' $p
done >"$T/w.ndjson"
printf 'metric,unit,query\ncpu_pct,Percent,cpu\nconnections,Count,conns\n' >"$T/m.csv"

cat >"$T/want1" <<'WANT'
{"type":"sample","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","instance_id":"db-1","metric":"cpu","value":0,"unit":"Percent","ts":"2025-12-31T23:59:00Z","source":"file","lookback":true}
{"type":"sample","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","instance_id":"db-1","metric":"cpu","value":1,"unit":"Percent","ts":"2026-01-01T00:00:00Z","source":"file"}
{"type":"sample","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","instance_id":"db-1","metric":"cpu","value":3,"unit":"Percent","source":"other","ts":"2026-01-01T00:00:00Z"}
{"type":"sample","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","instance_id" : "db-1","metric":"cpu","value":2,"unit":"Percent","x":{"a":[1,2]},"source":"s","ts":"2026-01-01T00:01:00Z"}
{"type":"sample","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","a":1,"b":2,"c":3,"d":4,"instance_id":"db-1","resolution":60,"ts":"2026-01-01T00:02:00Z","source":"file"}
{"type":"sample","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","instance_id":"db-1","metric":"m\"q","ts":"2026-01-01T00:04:00Z","source":"file"}
{"type":"sample","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","metric":"conns","unit":"Count","value":"NaN","ts":"2026-01-01T00:05:00Z","instance_id":"db-1","source":"file"}
{"type":"window","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","fetched":6,"lookback":1,"requests":0,"retries":0,"pages":0,"status":"ok"}
{"type":"sample","partition":"db-2","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","ts":"2026-01-01T00:03:00Z","instance_id":"db-1","source":"file"}
{"type":"sample","partition":"db-2","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","instance_id":"db-2","metric":"cpu","value":7,"unit":"Percent","ts":"2026-01-01T23:59:59Z","source":"file"}
{"type":"window","partition":"db-2","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","fetched":2,"lookback":0,"requests":0,"retries":0,"pages":0,"status":"ok"}
WANT
cat >"$T/want2" <<'WANT'
{"type":"sample","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","instance_id":"db-1","value":0,"ts":"2025-12-31T23:59:00Z","metric":"cpu_pct","unit":"Percent","source":"file","lookback":true}
{"type":"sample","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","instance_id":"db-1","value":1,"ts":"2026-01-01T00:00:00Z","metric":"cpu_pct","unit":"Percent","source":"file"}
{"type":"sample","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","instance_id":"db-1","value":3,"source":"other","ts":"2026-01-01T00:00:00Z","metric":"cpu_pct","unit":"Percent"}
{"type":"sample","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","instance_id" : "db-1","value":2,"x":{"a":[1,2]},"source":"s","ts":"2026-01-01T00:01:00Z","metric":"cpu_pct","unit":"Percent"}
{"type":"sample","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","a":1,"b":2,"c":3,"d":4,"instance_id":"db-1","resolution":60,"ts":"2026-01-01T00:02:00Z","source":"file"}
{"type":"sample","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","value":"NaN","ts":"2026-01-01T00:05:00Z","metric":"connections","unit":"Count","instance_id":"db-1","source":"file"}
{"type":"window","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","fetched":5,"lookback":1,"requests":0,"retries":0,"pages":0,"status":"ok"}
{"type":"sample","partition":"db-2","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","ts":"2026-01-01T00:03:00Z","instance_id":"db-1","source":"file"}
{"type":"sample","partition":"db-2","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","instance_id":"db-2","value":7,"ts":"2026-01-01T23:59:59Z","metric":"cpu_pct","unit":"Percent","source":"file"}
{"type":"window","partition":"db-2","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","fetched":2,"lookback":0,"requests":0,"retries":0,"pages":0,"status":"ok"}
WANT

cd "$T" || exit 1
run_prog bf-fetch -s file --instance db-1 -d data.ndjson -d data2.ndjson w.ndjson
check_rc 0 "two files"
check_file "$T/out" "$T/want1" "two files: the samples, byte for byte"

run_prog bf-fetch -s file --instance db-1 -m m.csv -d data.ndjson \
    -d data2.ndjson w.ndjson
check_rc 0 "metrics map"
check_file "$T/out" "$T/want2" "metrics map: renamed, unit set, others left out"

run_prog bf-fetch -s file --instance db-1 -j 3 -d data.ndjson \
    -d data2.ndjson w.ndjson
check_file "$T/out" "$T/want1" "-j 3: the same"

mkfifo fifo || { fail "mkfifo"; done_testing; exit 1; }
cat data.ndjson >fifo &
run_prog bf-fetch -s file --instance db-1 -d fifo -d data2.ndjson w.ndjson
wait
check_rc 0 "data from a pipe"
check_file "$T/out" "$T/want1" "data from a pipe: the same as from a file"

: >empty.ndjson
run_prog bf-fetch -s file -d empty.ndjson w.ndjson
check_rc 0 "empty data file"
check_eq "$(grep -c '"type":"window".*"fetched":0,' out)" 2 \
    "empty data file: both windows, nothing fetched"

printf '{"ts":"2026-01-01T00:00:00Z","instance_id":"db-1"}\n{"ts":"bad","instance_id":"db-1"}\n' >bad.ndjson
run_prog bf-fetch -s file --instance db-1 -d data.ndjson -d bad.ndjson \
    w.ndjson
check_rc 2 "bad record in the second file"
check_eq "$(cat err)" "bf-fetch: bad.ndjson:2: bad 'ts'" \
    "bad record: its file and line"
check_eq "$(wc -c <out | tr -d ' ')" 0 "bad record: no window written"

done_testing
