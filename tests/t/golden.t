#!/bin/sh
# Golden tests: each directory tests/golden/PROGRAM/CASE/ holds
#   cmd    one shell command line (bash), run in a private copy of the case
#          directory, so it can name the case's own files (rates.csv, ...)
#   stdin  optional: fed to the command's standard input (else /dev/null)
#   out    expected standard output, byte for byte
#   err    optional: expected standard error (not compared when absent)
#   rc     optional: expected exit status (default 0)
# Each case gives one TAP line per thing compared; a difference is shown.
. "$(dirname "$0")/../lib/common.sh"
for dir in "$BF_TOP"/tests/golden/*/*/; do
	[ -f "$dir/cmd" ] || continue
	name=${dir%/}; name=${name#"$BF_TOP"/tests/golden/}
	rm -rf "$T/case"; cp -R "$dir" "$T/case"
	in=/dev/null; [ -f "$dir/stdin" ] && in="$T/case/stdin"
	RC=0
	(cd "$T/case" && exec bash -o pipefail -c "$(cat cmd)") \
	    <"$in" >"$T/out" 2>"$T/err" || RC=$?
	want_rc=0; [ -f "$dir/rc" ] && want_rc=$(cat "$dir/rc")
	check_eq "$RC" "$want_rc" "$name: exit status"
	check_file "$T/out" "$dir/out" "$name: stdout"
	if [ -f "$dir/err" ]; then
		check_file "$T/err" "$dir/err" "$name: stderr"
	elif [ "$RC" != "$want_rc" ]; then
		diag "stderr:" "$(head -5 "$T/err")"
	fi
done
done_testing
