#!/bin/sh
# bf-fetch against real faults from tests/lib/faultserver.py (127.0.0.1
# only): retry counts, growing backoff, Retry-After, connection resets,
# slow answers past the timeout, truncated and invalid bodies, the circuit
# breaker opening and closing, the rate limit, connection reuse, and that a
# failed window never leaves partial samples behind.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/faults.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"

start_faultserver

printf 'metric,unit,query\nfault_metric,Count,bf_fault_metric\n' >"$T/m.csv"
win() {
	printf '{"type":"window","partition":"db-1","window_start":"%s","window_end":"%s"}\n' "$1" "$2"
}
win 2026-01-01T00:00:00Z 2026-01-01T01:00:00Z >"$T/w1"
# fetch MODE [bf-fetch options]: one source, its mode in the URL path
fetch() {
	_m=$1
	shift
	bf-fetch -s prometheus -u "$BASE/$_m" -m "$T/m.csv" "$@"
}
# requests MODE: how many requests the server saw for MODE
# gaps MODE: seconds between consecutive requests of MODE, one a line
gaps() { awk -v m="$1" '$2 == m { if (n++) printf "%.3f\n", $1 - last; last = $1 }' "$T/log"; }
# window lines of $T/out, as [status, fetched, requests, retries, code]
wins() { jq -c 'select(.type == "window") | [.status, .fetched, .requests, .retries, .error.code]' "$T/out"; }
samples() { grep -c '"type":"sample"' "$T/out" || :; }

# 1. 503 three times, then ok: four requests, three retries, 60 samples.
M=status=503,times=3,id=retry
run_prog fetch $M --retries 4 --backoff 10ms "$T/w1"
check_rc 0 "503 burst: recovered"
check_eq "$(requests $M)" 4 "503 burst: the server saw 4 requests"
check_eq "$(wins)" '["ok",60,4,3,null]' "503 burst: window ok with 3 retries"

# 2. Retries exhausted: the window fails with the reason and no samples.
M=status=500,id=exhaust
run_prog fetch $M --retries 2 --backoff 5ms "$T/w1"
check_rc 69 "500 always: every window failed, source unavailable (69)"
check_eq "$(requests $M)" 3 "500 always: 1 try + 2 retries"
check_eq "$(wins)" '["failed",0,3,2,"unavailable"]' "500 always: window failed"
check_eq "$(jq -r .error.message "$T/out")" \
    "prometheus $BASE/$M: http 500: unavailable: injected 500 (3 attempts)" \
    "500 always: the message names the source and its URL"

# 3. The backoff grows: 9 retries with a 5 ms base; full jitter draws each
# wait from [0, 5 ms * 2^(k-1)], so the last three waits (ceilings 320,
# 640, 1280 ms) add up to far more than the first three (5, 10, 20 ms).
# Each wait is also at most its ceiling (plus scheduling slack).
M=status=503,times=9,id=backoff
run_prog fetch $M --retries 9 --backoff 5ms --backoff-cap 10s --breaker 0 -v "$T/w1"
check_eq "$(requests $M)" 10 "backoff: 10 requests"
gaps $M >"$T/gaps"
check_eq "$(awk 'NR <= 3 { a += $1 } NR >= 7 { b += $1 } END { print (b > a) ? "grew" : "flat " a " " b }' "$T/gaps")" \
    grew "backoff: later waits longer than the first ones"
check_eq "$(awk '{ c = 0.005 * 2 ^ (NR - 1); if ($1 > c + 0.25) bad = bad " " NR ":" $1 } END { print bad "" }' "$T/gaps")" \
    "" "backoff: each wait within its full-jitter ceiling"
check_eq "$(grep -c 'retry [0-9]*/9 in' "$T/err")" 9 "backoff: -v logs every retry"

# 4. Retry-After is honoured even when the backoff would be shorter.
M=status=429,times=1,retry_after=1,id=ra
run_prog fetch $M --backoff 1ms "$T/w1"
check_eq "$(wins)" '["ok",60,2,1,null]' "429: retried once, then ok"
check_eq "$(gaps $M | awk '{ print ($1 >= 0.95) ? "waited" : "too early " $1 }')" waited \
    "429: waited the Retry-After second"

# 5. Connection resets are retried.
M=reset,times=2,id=reset
run_prog fetch $M --backoff 5ms "$T/w1"
check_eq "$(wins)" '["ok",60,3,2,null]' "connection reset twice: then ok"

# 6. A slow answer past the timeout is abandoned and retried.
M=slow=3,times=1,id=slow
start=$(date +%s)
run_prog fetch $M --timeout 500ms --backoff 5ms "$T/w1"
took=$(( $(date +%s) - start ))
check_eq "$(wins)" '["ok",60,2,1,null]' "slow answer: timed out, retried, ok"
check_eq "$([ $took -lt 3 ] && echo fast || echo "slow ${took}s")" fast \
    "slow answer: did not wait for it"
M=slow=3,id=slowfail
run_prog fetch $M --timeout 300ms --retries 1 --backoff 5ms "$T/w1"
check_eq "$(wins)" '["failed",0,2,1,"timeout"]' "always slow: failed with code timeout"

# 7. Truncated bodies and invalid JSON are retried; when they persist the
# window fails and nothing of it is written.
M=truncate,times=1,id=trunc
run_prog fetch $M --backoff 5ms "$T/w1"
check_eq "$(wins)" '["ok",60,2,1,null]' "truncated body once: retried, ok"
M=truncate,id=truncfail
run_prog fetch $M --retries 1 --backoff 5ms "$T/w1"
check_eq "$(wins)/$(samples)" '["failed",0,2,1,"unavailable"]/0' \
    "truncated always: failed, no samples"
M=badjson,id=badjson
run_prog fetch $M --retries 1 --backoff 5ms "$T/w1"
check_eq "$(wins)/$(samples)" '["failed",0,2,1,"bad_response"]/0' \
    "invalid JSON: failed, no samples"

# 8. No partial window: eight days need two requests; the first succeeds,
# the second keeps failing: the window is failed and none of the 11,000
# points of the first request is written.
win 2026-01-01T00:00:00Z 2026-01-09T00:00:00Z >"$T/w8"
M=status=503,after=1,id=partial
run_prog fetch $M --retries 1 --backoff 5ms "$T/w8"
check_eq "$(wins)" '["failed",0,3,1,"unavailable"]' "second page failed: window failed"
check_eq "$(samples)" 0 "second page failed: no partial window written"
check_eq "$(wc -l <"$T/out" | tr -d ' ')" 1 "second page failed: only the window line"

# 9. Error bodies: bad_data is not retried, a timeout errorType is.
M=status=400,id=baddata
run_prog fetch $M --retries 3 --backoff 5ms "$T/w1"
check_eq "$(wins)" '["failed",0,1,0,"bad_query"]' "bad_data: failed at once"
M=status=503,errortype=timeout,times=1,id=etimeout
run_prog fetch $M --retries 3 --backoff 5ms "$T/w1"
check_eq "$(wins)" '["ok",60,2,1,null]' "errorType timeout: retried"

# 10. The circuit breaker: 3 consecutive failures open it; the windows that
# follow fail fast (no request reaches the server) with the reason; after
# the cool-down one probe goes through, succeeds and closes it.
M=status=503,times=3,id=breaker
{
	win 2026-01-01T00:00:00Z 2026-01-01T01:00:00Z
	win 2026-01-01T01:00:00Z 2026-01-01T02:00:00Z
	win 2026-01-01T02:00:00Z 2026-01-01T03:00:00Z
	sleep 1.5
	win 2026-01-01T03:00:00Z 2026-01-01T04:00:00Z
	win 2026-01-01T04:00:00Z 2026-01-01T05:00:00Z
} | { RC=0; fetch $M -j 1 --retries 5 --backoff 5ms --breaker 3 --cool-down 1s \
    >"$T/out" 2>"$T/err" || RC=$?; echo $RC >"$T/rc"; }
check_eq "$(cat "$T/rc")" 1 "breaker: some windows failed (exit 1)"
check_eq "$(wins | tr '\n' ' ')" \
    '["failed",0,3,2,"unavailable"] ["failed",0,0,0,"breaker_open"] ["failed",0,0,0,"breaker_open"] ["ok",60,1,0,null] ["ok",60,1,0,null] ' \
    "breaker: opened after 3 failures, failed fast, closed after the cool-down"
check_eq "$(requests $M)" 5 "breaker: no request while open"
check_eq "$(jq -r 'select(.error.code == "breaker_open") | .error.message' "$T/out" | sort -u)" \
    "circuit breaker open after 3 consecutive failures (last: prometheus $BASE/$M: http 503: unavailable: injected 503)" \
    "breaker: the reason is in the window line, no next probe promised"
check_eq "$(grep -c 'circuit breaker open after 3 .*; cool-down 1s$' "$T/err")/$(grep -c 'circuit breaker closed' "$T/err")" \
    1/1 "breaker: opening and closing logged"

# 11. The rate limit spaces requests, across -j 4 workers.
M=ok,id=rate
i=0
while [ $i -lt 6 ]; do
	win "2026-01-01T0$i:00:00Z" "2026-01-01T0$i:30:00Z"
	i=$((i + 1))
done >"$T/w11"
run_prog fetch $M -j 4 --rate 10/s "$T/w11"
check_eq "$(wins | sort -u)" '["ok",30,1,0,null]' "rate: all windows ok"
# (arrival times jitter a little, so: 5 intervals take at least ~0.5 s and
# no two requests come together)
check_eq "$(gaps $M | awk '{ sum += $1 } $1 < 0.05 { bad = bad " " $1 }
    END { print (sum >= 0.45 && bad == "") ? "spaced" : "sum " sum ", close:" bad }')" \
    spaced "rate 10/s: requests about 100 ms apart"

# 12. Connection reuse: one worker makes every request on one connection.
M=ok,id=reuse
run_prog fetch $M -j 1 "$T/w11"
check_eq "$(awk -v m=$M '$2 == m { print $5 }' "$T/log" | sort -u | wc -l | tr -d ' ')" 1 \
    "-j 1: six requests over one connection"

# 13. A bearer token from a file (never argv); without it, 401 fails the
# window at once.
printf 'tok-%s\n' $$ >"$T/token"
M=ok,auth=tok-$$,id=auth
run_prog fetch $M --bearer-token-file "$T/token" "$T/w1"
check_eq "$(wins)" '["ok",60,1,0,null]' "bearer token: accepted"
run_prog fetch $M --retries 3 --no-check "$T/w1"
check_eq "$(wins)" '["failed",0,1,0,"unauthorized"]' "no token: 401, not retried"
run_prog fetch $M --retries 3 "$T/w1"
check_rc 2 "no token: the check stops before the first window (exit 2)"
check_eq "$(wc -l <"$T/out" | tr -d ' ')/$(wc -l <"$T/err" | tr -d ' ')" 0/1 \
    "no token: nothing written, one message"

# 14. A finished window is written at once, not when the next line or the
# end of the input arrives (a slow upstream must not hold it back).
M=ok,id=prompt
{ cat "$T/w1"; sleep 3; } | fetch $M >"$T/prompt" 2>&1 &
pid=$!
i=0
while [ $i -lt 25 ] && ! grep -qs '"type":"window"' "$T/prompt"; do
	sleep 0.1
	i=$((i + 1))
done
check_eq "$(grep -c '"type":"window"' "$T/prompt")" 1 \
    "a window is written while the input is still open"
wait $pid || :

# 15. Nothing listens: every window fails, the source is unavailable (69).
# (--no-check: the check before the first window would stop it first;
# tests/t/fetch-check.t has that.)
port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run_prog bf-fetch -s prometheus -u "http://127.0.0.1:$port" -m "$T/m.csv" \
    --retries 1 --backoff 5ms --no-check "$T/w1"
check_rc 69 "no server: exit 69"
check_eq "$(wins)" '["failed",0,2,1,"unavailable"]' "no server: window failed"

done_testing
