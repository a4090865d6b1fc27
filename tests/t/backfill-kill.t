#!/bin/sh
# The kill test: a clean backfill, then the same backfill from scratch
# while a random stage (bf-window, bf-fetch, bf-validate, bf-aggregate,
# bf-load, found under bf-backfill's process tree) is killed with SIGKILL
# at a random moment; rerun until it exits 0, then once more. Every time the canonical
# export must equal the clean run's byte for byte, with no correction in the
# ledger, the same checkpoints (or none for a partition whose first
# checkpoint the kill cut off), chain heads that are the ledger's, and a
# ledger that bf-ledger verify passes against the checkpoints.
#   BF_KILL_TRIALS  kills to land (default 30; tests/soak runs hundreds)
#   BF_KILL_SEED    the seed of the random points (default fixed)
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/backfill.sh"
for p in jq sqlite3 flock pgrep; do
	command -v $p >/dev/null || skip_all "$p is not installed"
done
[ "${BF_VALGRIND:-}" != 1 ] || skip_all "stages under valgrind have other names and take too long"
TRIALS=${BF_KILL_TRIALS:-30}
SEED=${BF_KILL_SEED:-20260131}
diag "seed $SEED, $TRIALS kills"

# 2 instances, one day, 1h windows: 48 windows, 240 usage rows.
small_data "$T" 2 1
# start_run DIR: bf-backfill over DIR in the background ($bpid), once
# bf-load has started (its --db names DIR, unique among running tests).
# The samples come from the exec source (src.sh: an awk over the data per
# window), so that the pipeline lives some 50 processes long rather than
# the few milliseconds the file source takes: a kill at a random moment
# then finds a stage alive, however fast the stages become.
start_run() {
	mkdir "$1"
	ln -s "$T/data.ndjson" "$1/data.ndjson"
	write_conf "$1/conf" "$1" to=2026-01-02
	use_exec "$1/conf" "$T/src.sh"
	bf-backfill -c "$1/conf" --no-progress >"$1/out" 2>"$1/err" &
	bpid=$!
	_i=0
	while ! pgrep -f -- "bf-load --db $1/ledger.db" >/dev/null && [ $_i -lt 500 ] &&
	    kill -0 $bpid 2>/dev/null; do
		sleep 0.01; _i=$((_i + 1))
	done
}
# The clean run, and how long its pipeline ran (bf-load alive).
start_run "$T/clean"
t0=$(date +%s%N)
while pgrep -f -- "bf-load --db $T/clean/ledger.db" >/dev/null; do sleep 0.01; done
dur=$((($(date +%s%N) - t0) / 1000000))
rc=0; wait $bpid || rc=$?
check_eq "$rc" 0 "clean run"
export_wh "$T/clean/ledger.db" >"$T/clean.exp"
ckpts() { for f in "$1"/state/*.ckpt; do [ -e "$f" ] || continue; jq -c '[.partition, .committed, .windows, .grid]' "$f"; done; }
ckpts "$T/clean" >"$T/clean.ckpt"
check_eq "$(wc -l <"$T/clean.ckpt")" 2 "clean run: two checkpoints"
check_eq "$(grep -c '"table":"usage"' "$T/clean.exp")" 240 "clean run: 48 windows of 5 metrics"
jq -r .id "$T/clean/dlq.ndjson" 2>/dev/null | sort -u >"$T/clean.dlq"

# stages_under PID: "pid name" of the pipeline stages under PID, from one
# ps(1) snapshot (walking the tree with a process per level is too slow
# for a pipeline that lives a fraction of a second). A process of a
# stage's name whose parent is a stage is not one: under the sanitizers,
# LeakSanitizer's tracer, which a stage forks at exit and waits for
# forever when it is killed.
stages_under() {
	ps -e -o pid=,ppid=,comm= | awk -v root="$1" '
	{ pp[$1] = $2; name[$1] = $3 }
	END {
		for (p in pp) {
			if (name[p] !~ /^bf-(window|fetch|validate|aggregate|load)$/ ||
			    name[pp[p]] ~ /^bf-(window|fetch|validate|aggregate|load)$/)
				continue
			for (q = pp[p]; q > 1; q = pp[q])
				if (q == root) { print p, name[p]; break }
		}
	}' | sort -n
}

# ckpts_ok DIR: each checkpoint is the clean run's. A partition whose first
# commit the kill cut off before its checkpoint was written may have none:
# the warehouse is the truth, bf-window plans from it alone, and bf-load
# writes the checkpoint when it next commits (bf-window(1), --db).
ckpts_ok() {
	ckpts "$1" >"$1/ckpt"
	grep -vxFf "$T/clean.ckpt" "$1/ckpt" | grep -q . && return 1
	return 0
}

# heads_ok DIR: each checkpoint's chain head is its partition's last hash.
heads_ok() {
	for f in "$1"/state/*.ckpt; do
		[ -e "$f" ] || continue
		_p=$(jq -r .partition "$f")
		[ "$(jq -r .chain_head "$f")" = "$(sq "$1/ledger.db" "SELECT hash FROM ledger WHERE partition = '$_p' ORDER BY seq DESC LIMIT 1")" ] || return 1
	done
}

# Random moments (up to ten per kill wanted, since a moment may find no
# stage alive on a busy machine) within the first 70% of the clean
# pipeline's time (from
# bf-load's start to its end), and a random pick among
# the stages alive at that moment, from one seeded stream.
awk -v seed="$SEED" -v n=$((TRIALS * 10)) -v d="$dur" 'BEGIN { srand(seed)
	for (i = 0; i < n; i++) printf "%.3f %.6f\n", rand() * d * 0.7 / 1000, rand() }' >"$T/points"
landed=0 tried=0 bad=0
while read -r delay pick && [ $landed -lt "$TRIALS" ]; do
	tried=$((tried + 1))
	d=$T/k$tried
	start_run "$d"
	sleep "$delay"
	victim=
	alive=$(stages_under $bpid)
	if [ -n "$alive" ]; then
		n=$(printf '%s\n' "$alive" | wc -l)
		victim=$(printf '%s\n' "$alive" | sed -n "$(awk -v p="$pick" -v n="$n" 'BEGIN { print 1 + int(p * n) }')p")
		kill -KILL "${victim% *}" 2>/dev/null && landed=$((landed + 1)) || victim=
	fi
	rc=0
	wait $bpid || rc=$?
	what="kill -9 ${victim#* } after ${delay}s (trial $tried)"
	[ -n "$victim" ] || what="no stage alive after ${delay}s (trial $tried)"
	case $rc in 0 | 1) ;; *) bad=1; fail "$what: exit $rc"; diag "$(tail -5 "$d/err")"; continue ;; esac
	reruns=0
	while [ $rc -ne 0 ] && [ $reruns -lt 3 ]; do
		reruns=$((reruns + 1))
		rc=0
		bf-backfill -c "$d/conf" --no-progress >"$d/out" 2>"$d/err" || rc=$?
	done
	if [ $rc -ne 0 ]; then
		fail "$what: rerun exits $rc"; diag "$(tail -5 "$d/err")"; continue
	fi
	# One more routine run: a window committed whose checkpoint the kill
	# cut off, in a partition whose checkpoint a rerun then wrote, is
	# planned again (bf-window(1), --db) and brings the checkpoint up to
	# date.
	bf-backfill -c "$d/conf" --no-progress >"$d/out" 2>"$d/err" ||
	    { fail "$what: the routine run after exits $?"; diag "$(tail -5 "$d/err")"; continue; }
	export_wh "$d/ledger.db" >"$d/exp"
	ok=1
	cmp -s "$d/exp" "$T/clean.exp" || { ok=0; diag "$what: export differs" "$(diff "$T/clean.exp" "$d/exp" | head -5)"; }
	[ "$(corrections "$d/ledger.db")" = 0 ] || { ok=0; diag "$what: ledger corrections"; }
	ckpts_ok "$d" || { ok=0; diag "$what: checkpoints differ" "$(cat "$d/ckpt")" "$(cat "$d/err")"; }
	heads_ok "$d" || { ok=0; diag "$what: a chain head is not the ledger's"; }
	# verify -s needs every partition's checkpoint.
	_vs="-s $d/state"
	[ "$(wc -l <"$d/ckpt")" = 2 ] || _vs=
	bf-ledger -d "$d/ledger.db" verify $_vs >/dev/null 2>"$d/verify.err" ||
	    { ok=0; diag "$what: bf-ledger verify" "$(head -3 "$d/verify.err")"; }
	jq -r .id "$d/dlq.ndjson" 2>/dev/null | sort -u | comm -23 "$T/clean.dlq" - | grep -q . &&
	    { ok=0; diag "$what: DLQ records of the clean run missing"; }
	if [ $ok = 1 ]; then
		# One TAP line per landed kill; misses are only counted.
		[ -n "$victim" ] && pass "$what, $reruns rerun(s): as the clean run"
		rm -rf "$d"
	else
		fail "$what, $reruns rerun(s): as the clean run"
	fi
done <"$T/points"
diag "$landed kills landed in $tried runs (the clean pipeline ran $dur ms)"
check_eq "$landed" "$TRIALS" "$TRIALS kills landed"

# A kill may also land on the hand-off's bf-window --gaps, after the
# pipelines: that is a failure like a killed stage's (exit 1, the next run
# hands off), not an I/O error (74). Here a bf-window of its own, first in
# PATH, kills itself on the run's second --gaps.
mkdir "$T/wrap" "$T/gapkill"
cat >"$T/wrap/bf-window" <<EOF
#!/bin/sh
case " \$* " in
*" --gaps "*) [ -e "$T/wrap/seen" ] && kill -KILL \$\$; : >"$T/wrap/seen" ;;
esac
exec "$BF_BIN/bf-window" "\$@"
EOF
chmod +x "$T/wrap/bf-window"
ln -s "$T/data.ndjson" "$T/gapkill/data.ndjson"
write_conf "$T/gapkill/conf" "$T/gapkill" to=2026-01-02
rc=0
PATH="$T/wrap:$PATH" bf-backfill -c "$T/gapkill/conf" --no-progress >"$T/gapkill/out" 2>"$T/gapkill/err" || rc=$?
check_eq "$rc" 1 "the hand-off's bf-window killed: exit 1, as a killed stage"
grep -q "cannot list the gaps left: no hand-off" "$T/gapkill/err" && pass "it says there was no hand-off" ||
    { fail "it says there was no hand-off"; diag "$(cat "$T/gapkill/err")"; }
bf-backfill -c "$T/gapkill/conf" --no-progress >"$T/gapkill/out" 2>"$T/gapkill/err" &&
    pass "the next run hands off (exit 0)" || { fail "the next run hands off"; diag "$(cat "$T/gapkill/err")"; }
done_testing
