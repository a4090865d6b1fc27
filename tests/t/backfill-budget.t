#!/bin/sh
# bf-backfill rate and burst, and the budget every pipeline shares
# (bf-fetch --budget STATE/budget), against tests/lib/faultserver.py, whose
# log has the time of every request.
#  1. -j 4 --rate 2/s --burst 1 over 4 partitions: no 1-second span of the
#     server's log holds more than 3 requests (4 private buckets: 8 a
#     second).
#  2. A restart inside a cool-down sends no request before it ends.
#  3. fetch-arg --rate as well as the key is a usage error; --dry-run shows
#     the budget.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
. "$BF_TOP/tests/lib/faults.sh"
for p in jq sqlite3 python3; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done

start_faultserver
fault_metric_files 'bf_fault_metric{instance_id=${partition}}'
# conf NAME MODE [fetch-arg]...: a backfill of db-1 .. db-4 over three 1h
# windows each from the server in MODE.
conf() {
	_c=$1 _mode=$2
	shift 2
	mkdir -p "$T/$_c"
	write_conf "$T/$_c/conf" "$T/$_c" to=2026-01-01T03:00:00Z partition=db-1 \
	    source=prometheus fetch-arg= tenants= rates="$T/rates.csv" \
	    contract="$T/contract.json"
	for a in --url "$BASE/$_mode" --metrics "$T/m.csv" "$@"; do
		echo "fetch-arg = $a"
	done >>"$T/$_c/conf"
	printf 'partition = db-%s\n' 2 3 4 >>"$T/$_c/conf"
}
# times ID: the times of the requests (check and windows) of modes with ID
reqtimes() { awk -v id="id=$1" 'index($2, id) { print $1 }' "$T/log" | sort -n; }
# maxspan: the most of the times on stdin in any 1-second span [t, t + 1)
maxspan() {
	awk '{ t[NR] = $1 } END { for (i = 1; i <= NR; i++) { n = 0
		for (j = i; j <= NR && t[j] < t[i] + 1; j++) n++
		if (n > max) max = n } print max + 0 }'
}

# 1. -j 4 at 2/s, burst 1.
conf rate ok,id=rate
run_prog bf-backfill -c "$T/rate/conf" -j 4 --rate 2/s --burst 1
check_rc 0 "-j 4 --rate 2/s --burst 1: the backfill completes"
check_eq "$(sq "$T/rate/ledger.db" "SELECT count(*) FROM windows")" 12 "12 windows committed"
n=$(reqtimes rate | wc -l)
[ "$n" -ge 13 ] && pass "the server saw the check and 12 windows ($n requests)" ||
    fail "the server saw the check and 12 windows ($n requests)"
m=$(reqtimes rate | maxspan)
[ "$m" -le 3 ] && pass "no 1-second span holds more than 3 requests ($m)" ||
    fail "no 1-second span holds more than 3 requests ($m)"
[ -d "$T/rate/state/budget" ] && [ "$(ls "$T/rate/state/budget" | wc -l)" -eq 1 ] &&
    pass "one budget file under STATE/budget" ||
    fail "one budget file under STATE/budget: $(ls -R "$T/rate/state")"

# 2. A restart inside a cool-down: the check's first answer is 503, which
# opens the breaker (--breaker 1) for 5 s.
M=status=503,query,times=1,id=cool
conf cool $M --breaker 1 --retries 0 --cool-down 5s
run_prog bf-backfill -c "$T/cool/conf"
t0=$(date +%s.%N)
check_rc 69 "a 503 opens the breaker: the source is unavailable (69)"
check_eq "$(reqtimes cool | wc -l)" 1 "one request"
run_prog bf-backfill -c "$T/cool/conf"
check_rc 69 "a restart inside the cool-down: 69"
check_eq "$(reqtimes cool | wc -l)" 1 "a restart inside the cool-down sends no request"
grep -q breaker "$T/err" && pass "... and says the breaker is open" ||
    fail "says the breaker is open: $(cat "$T/err")"
sleep "$(awk -v t0="$t0" -v t="$(date +%s.%N)" 'BEGIN { w = t0 + 5.2 - t; print (w > 0 ? w : 0) }')"
# (the first range query is answered 503 too: retried this time, the
# breaker off)
run_prog bf-backfill -c "$T/cool/conf" --fetch-arg --retries --fetch-arg 2 \
    --fetch-arg --backoff --fetch-arg 10ms --fetch-arg --breaker --fetch-arg 0
check_rc 0 "after the cool-down the backfill completes"
[ "$RC" = 0 ] || diag "$(cat "$T/err")"
first=$(reqtimes cool | head -n 1)
check_eq "$(reqtimes cool | awk -v f="$first" 'NR > 1 && $1 < f + 5 { n++ } END { print n + 0 }')" 0 \
    "no request within the cool-down after the first"

# 3. Usage and the dry run.
run_prog bf-backfill -c "$T/rate/conf" --rate 1/s --fetch-arg --rate=5/s
check_rc 2 "--rate and fetch-arg --rate=5/s: usage error"
run_prog bf-backfill -c "$T/rate/conf" --burst 2 --fetch-arg --burst --fetch-arg 3
check_rc 2 "--burst and fetch-arg --burst: usage error"
run_prog bf-backfill -c "$T/rate/conf" --rate 2/x
check_rc 2 "--rate 2/x: usage error"
run_prog bf-backfill -c "$T/rate/conf" --rate 2/s --burst 1 --dry-run
check_rc 0 "dry run"
grep -q -- "--rate 2/s --burst 1 --budget $T/rate/state/budget" "$T/out" &&
    pass "the dry run shows the rate, burst and budget" ||
    fail "the dry run shows the rate, burst and budget: $(cat "$T/out")"
echo 'rate = 3/s' >>"$T/rate/conf"
run_prog bf-backfill -c "$T/rate/conf" --dry-run --db "postgresql:///bf?host=/nowhere"
grep -qF -- '--rate 3/s --budget postgresql:///bf\?host=/nowhere' "$T/out" &&
    pass "a PostgreSQL warehouse is the budget; the rate key from the config" ||
    fail "a PostgreSQL warehouse is the budget: $(cat "$T/out" "$T/err")"
done_testing
