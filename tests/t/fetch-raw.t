#!/bin/sh
# bf-fetch --source prometheus, raw mode (bf-fetch(1)): a query that is a
# plain selector or a sum of one is read from the raw samples, each billed
# in the window of its own scrape time, against a real Prometheus loaded
# with samples at known, irregular times (fractions of a second, near the
# window edges). Expected values are computed here in python3 (decimal):
# in-window samples, the lookback sample (the last before window_start,
# within --lookback), sums by / without at the same and at different
# times, members that appear late; multiple groups for one instance fail
# with multiple_series; a query that is not a selector keeps the step
# grid; a long window is read in chunks, every sample once.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/prom.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"

T0=1767225600 # 2026-01-01T00:00:00Z
cat >"$T/data.py" <<'EOF'
# The samples: name -> [(labels, [(offset seconds as text, value text)])].
DATA = {
    'bf_raw_counter': [({'instance_id': 'db-1'}, list(zip(
        ['5.5', '30', '59.6', '60.2', '75', '119.9', '120', '150.3',
         '179.999', '180.001'],
        [str(2 ** k) for k in range(10)])))],
    'bf_raw_bytes': [
        ({'instance_id': 'db-2', 'dev': 'a', 'datid': '1'},
         [(str(10 * k), '0.%d' % (k % 9 + 1)) for k in range(18)]),
        ({'instance_id': 'db-2', 'dev': 'b', 'datid': '2'},
         [('%.1f' % (12.3 * k), '0.%d' % ((2 * k) % 9 + 1)) for k in range(15)]),
        ({'instance_id': 'db-2', 'dev': 'c', 'datid': '3'},
         [('%.3f' % (95.5 + 7.25 * k), str(1000 + k)) for k in range(12)]),
    ],
    'bf_raw_dense': [({'instance_id': 'db-3'},
                      [('%d.25' % k, str(k)) for k in range(30000)])],
    'bf_raw_wide': [({'instance_id': 'db-4', 'n': str(i)},
                     [('%d.5' % k, str(k * (i + 1))) for k in range(11000)])
                    for i in range(40)],
}
EOF
cat >"$T/gen.py" <<'EOF'
import sys
from decimal import Decimal as D
exec(open(sys.argv[1]).read())
t0 = int(sys.argv[2])
for name, series in DATA.items():
    print('# TYPE %s gauge' % name)
    for labels, pts in series:
        ls = ','.join('%s="%s"' % kv for kv in sorted(labels.items()))
        for off, v in pts:
            print('%s{%s} %s %s' % (name, ls, v, D(t0) + D(off)))
print('# EOF')
EOF
python3 "$T/gen.py" "$T/data.py" $T0 >"$T/history.om"
start_prom "$T/history.om"

# expect.py NAME INSTANCE WS WE LOOKBACK BY|WITHOUT|SEL [LABELS]: the sample
# lines bf-fetch must write for the window [WS, WE) (offsets from T0), as
# "offset value" sorted, the lookback one marked " lb": per series the
# samples in [WS - LOOKBACK, WE), floored to the second (the last of a
# second kept); per group (the output labels) at each second where a
# member has one, the sum of each member's last value at or before it.
cat >"$T/expect.py" <<'EOF'
import sys
from decimal import Decimal as D
exec(open(sys.argv[1]).read())
name, inst, ws, we, lb, mode = sys.argv[2:8]
ws, we, lb = int(ws), int(we), int(lb)
names = sys.argv[8].split(',') if len(sys.argv) > 8 else []
groups = {}
for labels, pts in DATA[name]:
    if labels['instance_id'] != inst:
        continue
    if mode == 'SEL':
        key = tuple(sorted(labels.items()))
    elif mode == 'BY':
        key = tuple(sorted((k, v) for k, v in labels.items() if k in names))
    else:
        key = tuple(sorted((k, v) for k, v in labels.items() if k not in names))
    sec = {}
    for off, v in pts:
        if ws - lb <= D(off) < we:
            sec[int(D(off) // 1)] = D(v)
    groups.setdefault(key, []).append(sec)
assert len(groups) <= 1, groups
out = []
for members in groups.values():
    secs = sorted(set(s for m in members for s in m))
    last = None
    for s in secs:
        val = sum((m[max(t for t in m if t <= s)] for m in members
                   if any(t <= s for t in m)), D(0))
        if s < ws:
            last = (s, val)
        else:
            out.append('%d %s' % (s, val.normalize()))
    if last:
        out.append('%d %s lb' % (last[0], last[1].normalize()))
print('\n'.join(out))
EOF
# got: bf-fetch's sample lines in expect.py's form.
cat >"$T/got.py" <<'EOF'
import json, sys, calendar, time
from decimal import Decimal as D
t0 = int(sys.argv[1])
for line in sys.stdin:
    r = json.loads(line, parse_float=D)
    if r['type'] != 'sample':
        continue
    t = calendar.timegm(time.strptime(r['ts'], '%Y-%m-%dT%H:%M:%SZ')) - t0
    print('%d %s%s' % (t, D(r['value']).normalize(),
                       ' lb' if r.get('lookback') else ''))
EOF
expect() { python3 "$T/expect.py" "$T/data.py" "$@"; }
got() { python3 "$T/got.py" $T0 <"$T/out"; }
win() {
	jq -nc --arg p "$1" --arg s "$(date -u -d "@$((T0 + $2))" +%Y-%m-%dT%H:%M:%SZ)" \
	    --arg e "$(date -u -d "@$((T0 + $3))" +%Y-%m-%dT%H:%M:%SZ)" \
	    '{type: "window", partition: $p, window_start: $s, window_end: $e}'
}
map() { printf 'metric,unit,query\nm,Count,"%s"\n' "$1" >"$T/map.csv"; }
fetch() { bf-fetch -s prometheus -u "$PROM_URL" -m "$T/map.csv" "$@"; }

# 1. Samples at irregular times near the edges land in the window of their
# own time: [60, 120) gets 60.2, 75, 119.9 and the lookback 59.6;
# [120, 180) gets 120, 150.3, 179.999 and the lookback 119.9; 180.001 is
# the next window's. The step (10 s) is the resolution, not a grid.
map 'bf_raw_counter{instance_id=${partition}}'
for w in "60 120" "120 180" "180 240"; do
	set -- $w
	win db-1 "$1" "$2" >"$T/w"
	run_prog fetch --step 10s --lookback 1h "$T/w"
	check_rc 0 "selector [$1, $2): exit status"
	expect bf_raw_counter db-1 "$1" "$2" 3600 SEL >"$T/want"
	got >"$T/got"
	check_file "$T/got" "$T/want" "selector [$1, $2): each sample at its own time"
done
check_eq "$(tr "\\n" " " <"$T/got")" "180 512 179 256 lb " \
    "selector [180, 240): 180.001 is here, 179.999 its lookback (by hand)"
check_eq "$(tail -n 1 "$T/out" | jq -c '[.status, .fetched, .lookback, .resolution]')" \
    '["ok",1,1,10]' "selector: counts and resolution"

# 2. The lookback sample is the last raw sample before window_start within
# --lookback: for [200, 260) it is 180.001 with 30 s, none with 10 s.
win db-1 200 260 >"$T/w"
run_prog fetch --lookback 30s "$T/w"
check_eq "$(got | tr '\n' ' ')" "180 512 lb " "lookback 30s: the sample at 180.001"
check_eq "$(tail -n 1 "$T/out" | jq -c '[.fetched, .lookback]')" '[0,1]' "lookback 30s: counts"
run_prog fetch --lookback 10s "$T/w"
check_eq "$(tail -n 1 "$T/out" | jq -c '[.status, .fetched, .lookback]')" '["ok",0,0]' \
    "lookback 10s: none"

# 3. Sums: members a (every 10 s), b (every 12.3 s: some at a's times,
# most not) and c (from 95.5 s: nothing before it); sum by, sum without,
# the postfix spelling and plain sum give one series whose values are the
# sums of the members' last samples, exact in decimal (0.1 + 0.2 is 0.3).
for q in 'sum by (instance_id) (bf_raw_bytes{instance_id=${partition}})|BY|instance_id' \
    'sum without (dev, datid) (bf_raw_bytes{instance_id=${partition}})|WITHOUT|dev,datid,__name__' \
    'sum(bf_raw_bytes{instance_id=${partition}}) by (instance_id)|BY|instance_id' \
    'SUM (bf_raw_bytes{instance_id=${partition}})|BY|'; do
	map "${q%%|*}"
	rest=${q#*|}
	for w in "0 60" "60 120" "120 180"; do
		set -- $w
		win db-2 "$1" "$2" >"$T/w"
		run_prog fetch --lookback 1h "$T/w"
		check_rc 0 "${q%%|*} [$1, $2): exit status"
		expect bf_raw_bytes db-2 "$1" "$2" 3600 "${rest%%|*}" "${rest#*|}" >"$T/want"
		got >"$T/got"
		check_file "$T/got" "$T/want" "${q%%|*} [$1, $2): the sums"
	done
done
check_eq "$(grep -c '"instance_id":"db-2"' "$T/out")" "$(wc -l <"$T/want")" \
    "sum: the group's instance"
# By hand: at 0 a and b both have a sample (0.1 + 0.1); at 10 a is 0.2, b
# still 0.1; at 12 b is 0.3.
map 'sum by (instance_id) (bf_raw_bytes{instance_id=${partition}})'
win db-2 0 13 >"$T/w"
run_prog fetch --lookback 0 "$T/w"
check_eq "$(got | tr '\n' ' ')" "0 0.2 10 0.3 12 0.5 " "sum: same and different times (by hand)"

# 4. Two groups for one instance: multiple_series, naming the labels.
map 'sum by (instance_id, dev) (bf_raw_bytes{instance_id=${partition}})'
win db-2 60 120 >"$T/w"
run_prog fetch --lookback 1h "$T/w"
check_rc 1 "sum by dev: exit status"
check_eq "$(jq -c '[.status, .error.code, .fetched]' "$T/out")" '["failed","multiple_series",0]' \
    "sum by dev: multiple_series"
case $(jq -r .error.message "$T/out") in
*"3 series for instance 'db-2' (labels differ: dev)"*) pass "sum by dev: the message" ;;
*) fail "sum by dev: the message"; diag "$(cat "$T/out")" ;;
esac
map 'bf_raw_bytes{instance_id=${partition}}'
run_prog fetch --lookback 1h "$T/w"
case $(jq -r '.error.code + ": " + .error.message' "$T/out") in
"multiple_series: "*"3 series for instance 'db-2' (labels differ: datid, dev)"*)
	pass "a selector with three series: multiple_series" ;;
*) fail "a selector with three series: multiple_series"; diag "$(cat "$T/out")" ;;
esac

# 5. A query that is not a selector keeps the step grid: 1 * SEL at 10 s
# has the points 60, 70, ... 110, each the last sample at or before it.
map '1 * bf_raw_counter{instance_id=${partition}}'
win db-1 60 120 >"$T/w"
run_prog fetch --step 10s --lookback 0 "$T/w"
check_eq "$(got | tr '\n' ' ')" "$(python3 -c '
import sys
exec(open(sys.argv[1]).read())
pts = [(float(o), v) for o, v in DATA["bf_raw_counter"][0][1]]
print(" ".join("%d %s" % (t, [v for o, v in pts if o <= t][-1]) for t in range(60, 120, 10)), end=" ")' "$T/data.py")" \
    "1 * SEL: the step grid"

# 6. A long window at 1 s is read in chunks of 11,000 s: three requests,
# each of the 30,000 samples once (values 0 .. 29999 at offsets k + 0.25:
# the chunk edges 11000 and 22000 fall between samples of one second).
map 'bf_raw_dense{instance_id=${partition}}'
win db-3 0 30000 >"$T/w"
run_prog fetch --step 1s --lookback 0 "$T/w"
check_rc 0 "30,000 s: exit status"
check_eq "$(tail -n 1 "$T/out" | jq -c '[.fetched, .requests, .pages]')" '[30000,3,3]' \
    "30,000 s: three chunks"
check_eq "$(got | awk '$1 != $2 || $1 != NR - 1 { bad++ } END { print NR, bad + 0 }')" \
    "30000 0" "30,000 s: every sample once, at its own second"
# An answer too large to parse (40 series of 11,000 samples: more than
# BF_JSON_MAXTOK tokens) is split in two and asked again: three requests,
# each second once, its sum k * (1 + 2 + ... + 40) = 820 k.
map 'sum by (instance_id) (bf_raw_wide{instance_id=${partition}})'
win db-4 0 11000 >"$T/w4"
run_prog fetch --step 1s --lookback 0 "$T/w4"
check_rc 0 "too large: exit status"
check_eq "$(tail -n 1 "$T/out" | jq -c '[.fetched, .requests, .pages]')" '[11000,3,3]' \
    "too large: split in two"
check_eq "$(got | awk '$2 != $1 * 820 || $1 != NR - 1 { bad++ } END { print NR, bad + 0 }')" \
    "11000 0" "too large: every second once, summed"

# The dry run plans the raw chunks: 30,000 s at 1 s, three requests (at
# 10 s, one); with the lookback of 1 h, 33,600 samples, four.
run_prog fetch -n --step 1s --lookback 0 "$T/w"
check_eq "$(jq -c 'select(.type == "plan") | [.requests, .points]' "$T/out")" '[3,30000]' \
    "dry run: three chunks at 1 s"
run_prog fetch -n --step 10s --lookback 0 "$T/w"
check_eq "$(jq -c 'select(.type == "plan") | [.requests, .points]' "$T/out")" '[1,3000]' \
    "dry run: one at 10 s"
run_prog fetch -n --step 1s --lookback 1h "$T/w"
check_eq "$(jq -c 'select(.type == "plan") | [.requests, .points]' "$T/out")" '[4,33600]' \
    "dry run: four with the lookback"

done_testing
