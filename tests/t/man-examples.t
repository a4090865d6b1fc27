#!/bin/sh
# The EXAMPLES of every man page run as tests, and every page passes
# mandoc -Tlint.
#
# In a page's EXAMPLES section, each ".Bd -literal" block is one example.
# Its lines that start with "$ " are commands (a line ending in "\e" goes on
# to the next); other lines are output shown to the reader and not compared.
# The commands of a block run with bash -e -o pipefail in a fresh copy of
# tests/man-fixtures/, with the programs under test first in PATH. A comment
# line just before the block may say what to expect:
#   .\" test: exit N      the block's last command exits N (default 0)
#   .\" test: skip REASON not run (say why: e.g. needs a PostgreSQL server)
#   .\" test: needs PROG  run only where PROG is installed (.ci/deps installs
#                         it), else skipped with that reason; exit 0 expected
. "$(dirname "$0")/../lib/common.sh"
command -v mandoc >/dev/null || skip_all "mandoc is not installed"
for page in "$BF_TOP"/man/*.[0-9]; do
	[ -f "$page" ] || continue
	base=${page##*/}
	if mandoc -Tlint -Wwarning "$page" >"$T/lint" 2>&1; then
		pass "$base: mandoc -Tlint"
	else
		fail "$base: mandoc -Tlint"; diag "$(cat "$T/lint")"
	fi
	# Split EXAMPLES into one script per block: $T/ex/N.sh and N.expect.
	rm -rf "$T/ex"; mkdir "$T/ex"
	awk -v dir="$T/ex" '
	/^\.Sh / { inex = ($0 ~ /^\.Sh EXAMPLES/); next }
	!inex { next }
	/^\.\\" test: / { sub(/^\.\\" test: /, ""); directive = $0; next }
	/^\.Bd -literal/ { n++; inblk = 1; cont = 0
		f = dir "/" n ".sh"; printf "" > f
		printf "%s\n", (directive == "" ? "exit 0" : directive) > (dir "/" n ".expect")
		directive = ""; next }
	/^\.Ed/ { inblk = 0; next }
	inblk {
		line = $0; gsub(/\\e/, "\\", line); gsub(/\\-/, "-", line)
		gsub(/\\\(aq/, "\047", line); gsub(/\\&/, "", line)
		if (cont) { print line > f; cont = (line ~ /\\$/); next }
		if (line ~ /^\$ /) { sub(/^\$ /, "", line); print line > f
			cont = (line ~ /\\$/) }
	}' "$page"
	for s in "$T"/ex/*.sh; do
		[ -f "$s" ] || continue
		k=${s##*/}; k=${k%.sh}
		expect=$(cat "$T/ex/$k.expect")
		case $expect in
		skip*) echo "ok $((_n += 1)) - $base: example $k # SKIP ${expect#skip}"
			continue ;;
		needs\ *) if ! command -v "${expect#needs }" >/dev/null 2>&1; then
				echo "ok $((_n += 1)) - $base: example $k # SKIP ${expect#needs } is not installed"
				continue
			fi
			expect="exit 0" ;;
		esac
		want=${expect#exit }
		rm -rf "$T/run"; mkdir "$T/run"
		cp -R "$BF_TOP"/tests/man-fixtures/. "$T/run/"
		RC=0
		(cd "$T/run" && bash -e -o pipefail "$s") >"$T/out" 2>&1 </dev/null || RC=$?
		if [ "$RC" = "$want" ]; then pass "$base: example $k"
		else
			fail "$base: example $k (exit $RC, want $want)"
			diag "$(cat "$s")" "--- output:" "$(tail -20 "$T/out")"
		fi
	done
done
done_testing
