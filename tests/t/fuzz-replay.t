#!/bin/sh
# fuzz-replay: every fuzz harness (tests/fuzz/fuzz-NAME.c) replays its seed
# corpus (tests/fuzz/corpus/NAME/) and its crash regressions
# (tests/fuzz/regress/NAME/) through replay-NAME, built by `make` into
# $BF_REPLAYS (under ASan and UBSan with SANITIZE=1). One line per harness;
# it fails when a harness was not built, an input is missing, or any input
# crashes or breaks an invariant (the offending input is shown).
. "$(dirname "$0")/../lib/common.sh"

: "${BF_REPLAYS:=$BF_TOP/build/rel/fuzz}"
# Harnesses that read files make them here (gone with $T even after a crash).
BF_FUZZ_TMPDIR=$T
export BF_FUZZ_TMPDIR
fuzz=$BF_TOP/tests/fuzz
ls "$fuzz"/fuzz-*.c >/dev/null 2>&1 || skip_all "no fuzz harness"

for src in "$fuzz"/fuzz-*.c; do
	n=${src##*/fuzz-}; n=${n%.c}
	r=$BF_REPLAYS/replay-$n
	if [ ! -x "$r" ]; then
		fail "replay-$n built (missing in $BF_REPLAYS)"
		continue
	fi
	if [ ! -d "$fuzz/corpus/$n" ]; then
		fail "$n has a seed corpus (tests/fuzz/corpus/$n/ missing)"
		continue
	fi
	ncorp=$(ls "$fuzz/corpus/$n" | wc -l)
	nreg=0
	[ -d "$fuzz/regress/$n" ] && nreg=$(ls "$fuzz/regress/$n" | wc -l)
	RC=0
	"$r" -v "$fuzz/corpus/$n/" "$fuzz/regress/$n/" >"$T/out" 2>"$T/err" ||
		RC=$?
	want="replay-$n: $((ncorp + nreg)) inputs, 0 errors"
	if [ "$RC" -eq 0 ] && [ "$(tail -1 "$T/err")" = "$want" ]; then
		pass "$n: $ncorp seeds, $nreg regressions replayed"
	else
		fail "$n: $ncorp seeds, $nreg regressions replayed (exit $RC)"
		tail -25 "$T/err" | sed 's/^/# /' >&2
	fi
done
done_testing
