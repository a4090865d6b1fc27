#!/bin/sh
# -j N: one pipeline per partition, N at a time, with the result of -j 1;
# a partition whose source fails delays and fails only itself: the others
# commit and get their watermarks, the summary names the failed windows,
# the exit status says so, and a rerun with the source back completes.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
small_data "$T" 4 1
printf 'db-01\ndb-02\ndb-03\ndb-04\n' >"$T/instances.txt"
# conf NAME [KEY=VALUE]...: 4 instances, one day, 3h windows.
conf() {
	_cn=$1
	shift
	mkdir -p "$T/$_cn"
	write_conf "$T/$_cn.conf" "$T/$_cn" to=2026-01-02 size=3h partition= \
	    partitions="$T/instances.txt" "$@"
	sed -i "s|^fetch-arg = .*data.ndjson|fetch-arg = $T/data.ndjson|" "$T/$_cn.conf"
}
conf j1
run_prog bf-backfill -c "$T/j1.conf"
check_rc 0 "-j 1"
export_wh "$T/j1/ledger.db" >"$T/j1.exp"
conf j3 jobs=3
run_prog bf-backfill -c "$T/j3.conf"
check_rc 0 "-j 3"
export_wh "$T/j3/ledger.db" >"$T/j3.exp"
check_file "$T/j3.exp" "$T/j1.exp" "-j 3 and -j 1: the same result"
check_eq "$(jq -r .id "$T/j3/dlq.ndjson" | sort | md5sum)" \
    "$(jq -r .id "$T/j1/dlq.ndjson" | sort | md5sum)" "-j 3 and -j 1: the same DLQ records"

# db-02's source is down; the others are fine.
cat >"$T/down.sh" <<'EOF2'
#!/bin/sh
[ "$1" = db-02 ] && { echo "connection refused" >&2; exit 1; }
exec "$(dirname "$0")/src.sh" "$@"
EOF2
chmod +x "$T/down.sh"
# -j 1: one bf-fetch for every partition; after 5 failed requests in a
# row its circuit breaker opens and the partitions after db-02 fail too.
# -j 2: db-02's pipeline alone finds its source unavailable. (Its breaker
# is off: the pipelines of a source share one breaker, bf-fetch --budget,
# so db-02's failures could open it for db-03 and db-04 too, or db-01's
# successes keep it closed, as timing goes.)
for j in 1 2; do
	conf "down$j" jobs=$j
	cp "$T/down$j.conf" "$T/down$j.conf.file"
	brk=; [ $j = 2 ] && brk="--breaker 0"
	use_exec "$T/down$j.conf" "$T/down.sh" --retries 1 --backoff 1ms $brk
	run_prog bf-backfill -c "$T/down$j.conf"
	case $j in
	1)
		check_rc 1 "-j 1, one partition's source down: some windows failed"
		committed="db-01|8" nfail=24 wm="db-01.json " ;;
	2)
		check_rc 69 "-j 2, one partition's source down: its pipeline found the source unavailable"
		committed="db-01|8
db-03|8
db-04|8" nfail=8 wm="db-01.json db-03.json db-04.json " ;;
	esac
	check_eq "$(sq "$T/down$j/ledger.db" 'SELECT partition, count(*) FROM windows GROUP BY 1')" \
	    "$committed" "-j $j: what committed"
	# The summary groups the failed windows by stage and code, one line
	# each with its count: bf-fetch's exec_failed until the breaker
	# opened, breaker_open after (with -j 1 for db-03 as well).
	check_eq "$(sed -n 's/^bf-backfill:   failed: \([0-9]*\) windows\{0,1\}, \(bf-fetch [a-z_]*\): .*/\2 \1/p' "$T/err" |
	    awk '{ n += $3; c[$2] = 1 } END { for (k in c) printf "%s ", k; print n }' | tr ' ' '\n' | sort | tr '\n' ' ')" \
	    "$(printf '%s\n' ${brk:+-}breaker_open exec_failed $nfail | grep -v '^-' | sort | tr '\n' ' ')" \
	    "-j $j: the summary groups the $nfail failed windows by cause"
	grep -q "windows committed, $nfail failed, of 32 planned" "$T/err" && pass "-j $j: the summary counts them" ||
	    { fail "-j $j: the summary counts them"; diag "$(grep windows "$T/err")"; }
	check_eq "$(ls "$T/down$j/state/watermarks" | tr '\n' ' ')" "$wm" \
	    "-j $j: watermarks for the complete partitions only"
	run_prog bf-backfill -c "$T/down$j.conf.file"
	check_rc 0 "-j $j: the source back, a rerun completes"
	export_wh "$T/down$j/ledger.db" >"$T/down$j.exp"
	check_file "$T/down$j.exp" "$T/j1.exp" "-j $j: the result of a clean run"
done
done_testing
