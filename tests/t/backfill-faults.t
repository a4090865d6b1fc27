#!/bin/sh
# A source that fails often: the backfill completes through bf-fetch's
# retries with the result of a clean run.
#  1. An exec source that fails 30% of its attempts (deterministically, by
#     a hash of the window and the attempt): it exits non-zero, or prints
#     half a window and then fails, or is throttled and answers too late.
#  2. The fault server (tests/lib/faultserver.py, Prometheus' HTTP API): a
#     burst of 503 answers, then throttling (429 with Retry-After).
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
. "$BF_TOP/tests/lib/faults.sh"
for p in jq sqlite3 flock cksum; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done

# 1. exec, 30% failures.
small_data "$T" 2 1
cat >"$T/flaky.sh" <<'EOF2'
#!/bin/sh
# flaky.sh PARTITION START END: src.sh, but attempt k of a window fails
# when a hash of (window, k) falls in 30% of its range, for k < 3.
dir=$(dirname "$0")
f=$dir/attempts/$1_$2
k=$(cat "$f" 2>/dev/null || echo 0)
echo $((k + 1)) >"$f"
h=$(printf '%s %s %s' "$1" "$2" "$k" | cksum | cut -d' ' -f1)
if [ "$k" -lt 3 ] && [ $((h % 100)) -lt 30 ]; then
	echo "$1 $2 $k" >>"$dir/failures"
	case $((h % 3)) in
	0) echo "flaky: unavailable, try again" >&2; exit 1 ;;
	1) "$dir/src.sh" "$@" | head -n 20; exit 75 ;;
	2) sleep 2; exit 0 ;;
	esac
fi
exec "$dir/src.sh" "$@"
EOF2
chmod +x "$T/flaky.sh"
mkdir "$T/attempts" "$T/clean"
ln -s "$T/data.ndjson" "$T/clean/data.ndjson"
write_conf "$T/clean/conf" "$T/clean" to=2026-01-02
run_prog bf-backfill -c "$T/clean/conf"
check_rc 0 "clean run"
export_wh "$T/clean/ledger.db" >"$T/clean.exp"

write_conf "$T/conf" "$T" to=2026-01-02
use_exec "$T/conf" "$T/flaky.sh" --retries 6 --backoff 10ms --backoff-cap 100ms \
    --timeout 1s --breaker 10
run_prog bf-backfill -c "$T/conf"
check_rc 0 "a source failing 30% of the time: the backfill completes"
attempts=$(cat "$T"/attempts/* | awk '{ n += $1 } END { print n }')
failures=$(wc -l <"$T/failures")
diag "$failures of $attempts attempts failed"
[ $((failures * 100 / attempts)) -ge 20 ] && pass "at least 20% of the attempts failed ($failures of $attempts)" ||
    fail "at least 20% of the attempts failed ($failures of $attempts)"
export_wh "$T/ledger.db" >"$T/flaky.exp"
check_file "$T/flaky.exp" "$T/clean.exp" "the same result as a clean run"
check_eq "$(corrections "$T/ledger.db")" 0 "no correction"

# 2. The fault server.
command -v python3 >/dev/null || { done_testing; exit; }
start_faultserver
# Its one series belongs to db-1 and counts minutes.
fault_metric_files 'bf_fault_metric'
# prom NAME MODE: a backfill of db-1 over 24 1h windows from the server in MODE.
prom() {
	mkdir "$T/$1"
	write_conf "$T/$1/conf" "$T/$1" to=2026-01-02 partition=db-1 \
	    source=prometheus fetch-arg= tenants= rates="$T/rates.csv" \
	    contract="$T/contract.json"
	for a in --url "$BASE/$2" --metrics "$T/m.csv" --retries 8 --backoff 10ms \
	    --backoff-cap 100ms --breaker 0; do
		echo "fetch-arg = $a"
	done >>"$T/$1/conf"
	run_prog bf-backfill -c "$T/$1/conf"
}
prom pclean ok,id=pclean
check_rc 0 "fault server, no faults"
check_eq "$(sq "$T/pclean/ledger.db" 'SELECT count(*) FROM usage')" 24 "24 usage rows"
export_wh "$T/pclean/ledger.db" >"$T/pclean.exp"
prom p503 status=503,times=12,id=p503
check_rc 0 "fault server: 12 answers 503 first"
check_eq "$(awk '$2 == "status=503,times=12,id=p503"' "$T/log" | wc -l)" 36 \
    "the server saw 12 failed and 24 good requests"
export_wh "$T/p503/ledger.db" >"$T/p503.exp"
check_file "$T/p503.exp" "$T/pclean.exp" "503 burst: the same result as a clean run"
prom p429 status=429,retry_after=1,times=4,id=p429
check_rc 0 "fault server: throttled with 429 and Retry-After"
export_wh "$T/p429/ledger.db" >"$T/p429.exp"
check_file "$T/p429.exp" "$T/pclean.exp" "throttled: the same result as a clean run"
done_testing
