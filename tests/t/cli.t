#!/bin/sh
# Every program's command-line layer (issue 19; bf(7) and each man page):
# -h and --help print the usage on stdout and exit 0; -V and --version
# print "NAME VERSION" and exit 0; either answer lost to a full disk
# exits 74; an unknown option exits 2 with the usage on stderr and
# nothing on stdout; and every usage is the one in the man page's
# SYNOPSIS, option for option.
. "$(dirname "$0")/../lib/common.sh"
version=$(sed -n 's/^VERSION *= *//p' "$BF_TOP/Makefile")
[ -n "$version" ] || fail "the Makefile's VERSION"
for p in bf-window bf-fetch bf-validate bf-aggregate bf-load bf-ledger bf-gen bf-backfill; do
	for h in -h --help; do
		run_prog "$p" "$h"
		check_eq "$RC $(head -c 7 "$T/out") $(wc -c <"$T/err")" "0 usage:  0" \
		    "$p $h: the usage on stdout, exit 0"
		rc=0; "$p" "$h" >/dev/full 2>/dev/null || rc=$?
		check_eq "$rc" 74 "$p $h to a full disk: exit 74"
	done
	for v in -V --version; do
		run_prog "$p" "$v"
		check_eq "$RC $(cat "$T/out")" "0 $p $version" "$p $v: name and version"
		rc=0; "$p" "$v" >/dev/full 2>/dev/null || rc=$?
		check_eq "$rc" 74 "$p $v to a full disk: exit 74"
	done
	run_prog "$p" --no-such-option
	check_eq "$RC $(wc -c <"$T/out") $(grep -c '^usage: ' "$T/err")" "2 0 1" \
	    "$p --no-such-option: exit 2, the usage on stderr"
	# Every option the usage names is in the man page's SYNOPSIS.
	"$p" -h | sed -n '/^usage:/,/^[^ u]/p' | grep -o -- '--[a-z][a-z-]*\|[[ |]-[a-zA-Z]\b' |
	    sed 's/^[[ |]//' | sort -u >"$T/u"
	if [ -s "$T/u" ]; then pass "$p: the usage names options"
	else fail "$p: the usage names options"; fi
	mandoc -Tutf8 "$BF_TOP/man/$p.1" 2>/dev/null | col -b |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | grep -o -- '--[a-z][a-z-]*\|-[a-zA-Z]\b' |
	    sort -u >"$T/m"
	check_eq "$(comm -23 "$T/u" "$T/m" | tr '\n' ' ')" "" \
	    "$p: every option of the usage is in $p(1)'s SYNOPSIS"
done
done_testing
