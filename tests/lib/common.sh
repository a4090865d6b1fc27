# tests/lib/common.sh: shared setup for scripted tests (tests/t/*.t).
# Source it first: it sets -eu, LC_ALL=C and a private temp dir $T removed on
# exit, puts $BF_BIN first in PATH, and provides TAP helpers:
#   ok COND-CMD... -- MSG     (use the functions below instead when possible)
#   check_eq GOT WANT MSG     string equality, diff shown on failure
#   check_file GOTFILE WANTFILE MSG
#   run_prog CMD...           runs with stdout->$T/out, stderr->$T/err, rc->$RC
#   skip_all REASON
#   at_exit CMD               cleanup to run on exit (servers started, ...)
#   done_testing              prints the plan; exit status says if all passed
# BF_VALGRIND=1 runs every compiled bf-* program under valgrind memcheck
# (through wrappers first in PATH); a memory error or a definite leak makes
# the program exit 99, which fails the test that ran it.
set -eu
export LC_ALL=C TZ=UTC
: "${BF_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BF_BIN:=$BF_TOP/bin}"
: "${BF_TOOLS:=$BF_TOP/build/rel/tools}"
export BF_TOP BF_BIN BF_TOOLS
T=$(mktemp -d "${TMPDIR:-/tmp}/bf-test.XXXXXX")
# at_exit CMD: run CMD (a shell string) when the test exits, before $T goes.
_at_exit=
at_exit() { _at_exit="$1; $_at_exit"; }
_cleanup() { eval "$_at_exit" >/dev/null 2>&1 || :; rm -rf "$T"; }
trap _cleanup EXIT
trap 'exit 130' INT TERM
chmod 700 "$T"
PATH="$BF_BIN:$BF_TOP/bin:$PATH"
if [ "${BF_VALGRIND:-}" = 1 ]; then
	mkdir "$T/.vg"
	for p in "$BF_BIN"/bf-*; do
		[ -f "$p" ] && head -c 4 "$p" | grep -q ELF || continue
		printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "%s" "$@"\n' \
		    "$p" >"$T/.vg/${p##*/}"
		chmod +x "$T/.vg/${p##*/}"
	done
	PATH="$T/.vg:$PATH"
fi
export PATH
_n=0 _failed=0
SHARED=${BF_SHARED:-$BF_TOP/../shared}

pass() { _n=$((_n + 1)); echo "ok $_n - $*"; }
fail() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /' >&2; }

check_eq() {
	if [ "$1" = "$2" ]; then pass "$3"; else
		fail "$3"; diag "got:  $1" "want: $2"; fi
}
check_file() {
	if cmp -s "$1" "$2"; then pass "$3"; else
		fail "$3"; diff -u "$2" "$1" | head -40 | sed 's/^/# /' >&2; fi
}
check_rc() { check_eq "$RC" "$1" "$2 (exit status)"; }

run_prog() {
	RC=0
	"$@" >"$T/out" 2>"$T/err" || RC=$?
}

skip_all() { echo "1..0 # SKIP $*"; exit 0; }

done_testing() {
	echo "1..$_n"
	[ "$_failed" -eq 0 ]
}
