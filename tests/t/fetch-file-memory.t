#!/bin/sh
# bf-fetch --source file under --memory: NDJSON (records of several shapes:
# kept members, rewritten bodies, routing by partition) and CSV data files,
# in time order, reversed and shuffled (python3, seeded), read at bounds
# small enough to write many sorted runs (64K, 1M) and at the default (all
# in memory, the path of the unchanged program): the output is byte for
# byte the default bound's, and the samples of each window (and its
# lookback samples) are those python3 computes from the records. A bad
# record stops bf-fetch with exit 2 and its file and line before any
# window; a --tmpdir that cannot hold the files or a write that fails
# gives exit 74; the temporary files are gone from the directory while
# bf-fetch runs and after it is killed. On 1M samples shuffled, the
# process's anonymous memory (RssAnon polled in /proc/PID/status) stays
# under the bound plus 8 MiB, also with 10000 instances of long names.
. "$(dirname "$0")/../lib/common.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
cd "$T" || exit 1

python3 - <<'EOF'
import json, random
random.seed(18)
t0 = 1767225600  # 2026-01-01T00:00:00Z
nd, csv = [], []
for m in range(0, 1500):
    for p in range(1, 5):
        for k in range(3):
            t = t0 + m * 60 + (17 if k == 2 else 0)
            v = random.randint(0, 999)
            if k == 0:
                nd.append('{"instance_id":"db-%d","metric":"m%d","value":%d,'
                          '"unit":"Count","ts":%d}' % (p, k, v, t))
            elif k == 1:  # more than three runs: a rewritten body
                nd.append('{"a":1, "b":2, "c":3, "metric":"m%d","value":%d,'
                          '"ts":%d,"partition":"db-%d","instance_id":"i"}'
                          % (k, v, t, p))
            else:
                nd.append('{"\\u0074s":"%s","instance_id":"db-%d",'
                          '"metric":"m\\"q","value":%d}'
                          % (__import__("time").strftime(
                              "%Y-%m-%dT%H:%M:%SZ",
                              __import__("time").gmtime(t)), p, v))
            csv.append("%d,db-%d,c%d,%d.%d,Count" % (t, p, k, v, m % 7))
rnd = random.Random(5)
for name, lines, head in (("nd", nd, ""), ("csv", csv, "ts,instance_id,metric,value,unit\n")):
    sh = lines[:]
    rnd.shuffle(sh)
    for order, ls in (("sorted", lines), ("reversed", lines[::-1]),
                      ("shuffled", sh)):
        with open("%s.%s" % (name, order), "w") as f:
            f.write(head + "\n".join(ls) + "\n")
# Hourly windows over the data and an hour either side, per partition.
with open("w", "w") as f:
    for p in range(1, 5):
        for h in range(-1, 27):
            s = t0 + h * 3600
            fmt = lambda t: __import__("time").strftime(
                "%Y-%m-%dT%H:%M:%SZ", __import__("time").gmtime(t))
            f.write(json.dumps({"type": "window", "partition": "db-%d" % p,
                "window_start": fmt(s), "window_end": fmt(s + 3600)},
                separators=(",", ":")) + "\n")
EOF

# The want of one data file, by python3: per window (partition, start), the
# sorted (ts, value) of its samples and of its lookback samples (the last
# record of each series before the start, at most 1h old).
want() {
	python3 - "$1" "$2" <<'EOF'
import sys, json, calendar, time
fmt, path = sys.argv[1], sys.argv[2]
def ts(v):
    if isinstance(v, str):
        return calendar.timegm(time.strptime(v, "%Y-%m-%dT%H:%M:%SZ"))
    return int(v)
recs = []
for l in open(path):
    if fmt == "csv":
        if l.startswith("ts,"):
            continue
        t, inst, met, val, unit = l.rstrip("\n").split(",")
        recs.append((inst, inst, met, int(t), val))
    else:
        o = json.loads(l)
        t = o["ts"]
        recs.append((o.get("partition", o.get("instance_id")),
                     o.get("instance_id"), o.get("metric"), ts(t),
                     str(o.get("value"))))
for w in open("w"):
    w = json.loads(w)
    p, s, e = w["partition"], ts(w["window_start"]), ts(w["window_end"])
    mine = [r for r in recs if r[0] == p]
    inw = sorted((r[3], r[4]) for r in mine if s <= r[3] < e)
    last = {}
    for r in mine:
        k = (r[1], r[2])
        if s - 3600 <= r[3] < s and (k not in last or last[k][0] < r[3]):
            last[k] = (r[3], r[4])
    lb = sorted(last.values())
    print(p, s, "in", inw)
    print(p, s, "lookback", lb)
EOF
}
# The same from bf-fetch's output.
got() {
	python3 - "$1" <<'EOF'
import sys, json, calendar, time
def ts(v):
    return calendar.timegm(time.strptime(v, "%Y-%m-%dT%H:%M:%SZ"))
inw, lb, order = {}, {}, []
for l in open(sys.argv[1]):
    o = json.loads(l)
    k = (o["partition"], ts(o["window_start"]))
    if o["type"] == "window":
        order.append(k)
        continue
    v = o.get("value")
    (lb if o.get("lookback") else inw).setdefault(k, []).append(
        (ts(o["ts"]), str(v)))
for k in order:
    print(k[0], k[1], "in", sorted(inw.get(k, [])))
    print(k[0], k[1], "lookback", sorted(lb.get(k, [])))
EOF
}

mkdir tmp
for fmt in nd csv; do
	for order in sorted reversed shuffled; do
		d=$fmt.$order
		run_prog bf-fetch -s file -d "$d" -v w
		check_rc 0 "$d: the default bound"
		mv out "$d.default"
		check_eq "$(grep -c 'sorted in' err || :)" 0 \
		    "$d: the default bound keeps every record in memory"
		want "$fmt" "$d" >"$d.want"
		got "$d.default" >"$d.got"
		check_file "$d.got" "$d.want" \
		    "$d: every window's samples and lookback samples"
		for m in 64K 1M; do
			run_prog bf-fetch -s file -d "$d" -v --memory $m \
			    --tmpdir "$T/tmp" w
			check_rc 0 "$d --memory $m"
			runs=$(sed -n 's/.* in \([0-9]*\) runs in .*/\1/p' err)
			ok=$(awk -v r="${runs:-0}" 'BEGIN { print (r > 1) }')
			check_eq "$ok" 1 "$d --memory $m: sorted runs written ($runs)"
			check_file out "$d.default" \
			    "$d --memory $m: the default bound's output, byte for byte"
			check_eq "$(ls -A tmp)" "" "$d --memory $m: nothing left in --tmpdir"
		done
	done
done
# Several files at once, of both formats: the same as at the default.
run_prog bf-fetch -s file -d csv.shuffled -d nd.reversed -d nd.sorted w
check_rc 0 "three files"
mv out multi.default
run_prog bf-fetch -s file -d csv.shuffled -d nd.reversed -d nd.sorted \
    --memory 64K w
check_file out multi.default "three files --memory 64K: the same output"

# A bad record late in a shuffled file, after runs were written: exit 2,
# its file and line, no window written, nothing left behind.
{ sed -n 1,16000p nd.shuffled; echo '{"instance_id":"db-1","ts":"soon"}'; \
    sed -n '16001,$p' nd.shuffled; } >bad.nd
run_prog bf-fetch -s file -d bad.nd --memory 64K --tmpdir "$T/tmp" w
check_rc 2 "a bad record after runs were written"
check_eq "$(cat err)" "bf-fetch: bad.nd:16001: bad 'ts'" "its file and line"
check_eq "$(wc -c <out | tr -d ' ')" 0 "no window written"
check_eq "$(ls -A tmp)" "" "nothing left in --tmpdir"

# A --tmpdir that cannot hold a directory: exit 74, a clear message.
: >notadir
run_prog bf-fetch -s file -d nd.shuffled --memory 64K --tmpdir "$T/notadir" w
check_rc 74 "--tmpdir not a directory"
check_eq "$(cat err)" "bf-fetch: cannot make a temporary directory in '$T/notadir': Not a directory" \
    "--tmpdir not a directory: the message"
check_eq "$(wc -c <out | tr -d ' ')" 0 "--tmpdir not a directory: no window"
run_prog bf-fetch -s file -d nd.shuffled --memory 0 w
check_rc 2 "--memory 0"
run_prog bf-fetch -s file -d nd.shuffled --memory 12X w
check_rc 2 "--memory 12X"
check_eq "$(cat err)" "bf-fetch: bad --memory '12X': expected a byte count such as 65536, 64K or 1M" \
    "--memory 12X: the message"
# A run that cannot be written (a file size limit standing in for a full
# disk; SIGXFSZ ignored, so the write fails with EFBIG): exit 74.
(trap '' XFSZ; ulimit -f 100; bf-fetch -s file -d nd.shuffled \
    --memory 64K --tmpdir "$T/tmp" w >/dev/null 2>err; echo $? >rc) || :
check_eq "$(cat rc)" 74 "a failed write of a run (exit status)"
check_eq "$(cat err)" "bf-fetch: cannot write a temporary file in '$T/tmp': File too large" \
    "a failed write of a run: the message"
check_eq "$(ls -A tmp)" "" "a failed write: nothing left in --tmpdir"

# While bf-fetch waits for windows (the data sorted, its runs open), the
# files are already gone from the directory; and after SIGTERM too.
mkfifo fifo
bf-fetch -s file -d nd.shuffled --memory 64K --tmpdir "$T/tmp" fifo \
    >/dev/null 2>&1 &
pid=$!
exec 7>fifo
i=0 held=0
while [ $i -lt 600 ]; do
	held=$(ls -l /proc/$pid/fd 2>/dev/null | grep -c "$T/tmp/bf-fetch\..*(deleted)" || :)
	[ "$held" -ge 4 ] && break
	sleep 0.1
	i=$((i + 1))
done
check_eq "$([ "$held" -ge 4 ] && echo yes)" yes \
    "while it runs, bf-fetch holds its run files, deleted"
check_eq "$(ls -A tmp)" "" "while it runs, nothing in --tmpdir"
kill -TERM $pid 2>/dev/null || :
exec 7>&-
wait $pid 2>/dev/null || :
check_eq "$(ls -A tmp)" "" "after SIGTERM, nothing in --tmpdir"

# Anonymous memory on 1M samples, shuffled: RssAnon polled every
# millisecond stays under the bound plus 8 MiB; the output is the same at
# both bounds.
if [ "${BF_SANITIZE:-}" = 1 ] || [ "${BF_VALGRIND:-}" = 1 ]; then
	pass "# SKIP memory bound: not measured under sanitizers or valgrind"
else
	python3 - <<'EOF'
import random
random.seed(1)
t0 = 1767225600
lines = []
for m in range(50000):
    for p in range(1, 5):
        for k in range(5):
            lines.append('{"instance_id":"db-%d","metric":"m%d","value":%d,'
                         '"unit":"Count","ts":%d}' % (p, k,
                         random.randint(0, 999), t0 + m * 60))
random.shuffle(lines)
with open("big", "w") as f:
    f.write("\n".join(lines) + "\n")
with open("bigw", "w") as f:
    for p in range(1, 5):
        for h in range(834):
            s = t0 + h * 3600
            fmt = lambda t: __import__("time").strftime(
                "%Y-%m-%dT%H:%M:%SZ", __import__("time").gmtime(t))
            f.write('{"type":"window","partition":"db-%d","window_start":'
                    '"%s","window_end":"%s"}\n' % (p, fmt(s), fmt(s + 3600)))
EOF
	cat >poll.py <<'EOF'
import subprocess, sys, time, hashlib
out = open(sys.argv[1], "wb")
p = subprocess.Popen(sys.argv[2:], stdout=out)
peak = 0
while p.poll() is None:
    try:
        for l in open("/proc/%d/status" % p.pid):
            if l.startswith("RssAnon:"):
                peak = max(peak, int(l.split()[1]))
    except OSError:
        pass
    time.sleep(0.001)
print(peak, p.returncode)
EOF
	for m in 8M 64M; do
		set -- $(python3 poll.py big.$m bf-fetch -s file -d big \
		    --memory $m --tmpdir "$T/tmp" bigw)
		kb=$1 rc=$2
		check_eq "$rc" 0 "1M samples --memory $m (exit status)"
		lim=$(( ${m%M} * 1024 + 8192 ))
		ok=$(awk -v k="$kb" -v l="$lim" 'BEGIN { print (k > 0 && k <= l) }')
		check_eq "$ok" 1 "1M samples --memory $m: peak RssAnon $kb KiB <= $lim KiB"
	done
	check_eq "$(cmp big.8M big.64M && echo same)" same \
	    "1M samples: the same output at 8M and 64M"
	n=$(awk -F'"fetched":' '/"type":"window"/ { split($2, a, ","); s += a[1] } END { print s }' big.8M)
	check_eq "$n" 1000000 "1M samples: every sample in its window"
	rm -f big big.8M big.64M
	# A fleet: 10000 instances with long names, 100 samples each, in
	# CSV: the distinct strings are held once, not once a record.
	awk 'BEGIN { print "ts,instance_id,metric,value,unit"
		for (m = 0; m < 100; m++) for (p = 1; p <= 10000; p++)
			printf "%d,db-prod-eu-west-1-instance-%06d,m%d,%d,Count\n",
			    1767225600 + m * 60, p, p % 3, (m * p) % 1000 }' >wide
	printf '{"type":"window","partition":"db-prod-eu-west-1-instance-000007","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-01T02:00:00Z"}\n' >widew
	set -- $(python3 poll.py wide.out bf-fetch -s file -d wide \
	    --memory 8M --tmpdir "$T/tmp" widew)
	check_eq "$2" 0 "10000 instances --memory 8M (exit status)"
	ok=$(awk -v k="$1" 'BEGIN { print (k > 0 && k <= 16384) }')
	check_eq "$ok" 1 "10000 instances --memory 8M: peak RssAnon $1 KiB <= 16384 KiB"
	check_eq "$(grep -c '"type":"sample"' wide.out)" 100 \
	    "10000 instances: the window's 100 samples"
	rm -f wide wide.out
fi
done_testing
