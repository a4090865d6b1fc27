#!/bin/sh
# make install and make uninstall into a DESTDIR: the installed bf-backfill
# runs a real backfill when called through a symlink in another directory,
# with no bf program elsewhere in PATH; the examples are installed under
# share/doc/bf/examples, as the man pages cite them; make uninstall removes
# everything it installed.
. "$(dirname "$0")/../lib/common.sh"
command -v make >/dev/null || skip_all "make is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"

# The build of the run: a sanitizer run installs its own programs rather
# than building the release ones.
san=
[ "${BF_SANITIZE:-}" = 1 ] && san=SANITIZE=1
root=$T/root
pfx=$root/usr/local
RC=0
make -C "$BF_TOP" -s install DESTDIR="$root" PREFIX=/usr/local $san \
    >"$T/make.out" 2>&1 || RC=$?
check_eq "$RC" 0 "make install DESTDIR PREFIX=/usr/local"
[ "$RC" = 0 ] || diag "$(tail -20 "$T/make.out")"
missing=
for p in bf-window bf-fetch bf-validate bf-aggregate bf-load bf-backfill \
    bf-ledger bf-gen; do
	[ -x "$pfx/bin/$p" ] || missing="$missing $p"
done
check_eq "$missing" "" "programs installed in bin"
ok=1
for m in "$BF_TOP"/man/*.[0-9]; do
	[ -f "$pfx/share/man/man${m##*.}/${m##*/}" ] || ok=0
done
check_eq "$ok" 1 "man pages installed in share/man/manN"

# The examples: the same files as the source tree's, executables still
# executable.
doc=$pfx/share/doc/bf/examples
(cd "$BF_TOP/examples" && find . -type f | sort) >"$T/want.files"
if [ -d "$doc" ]; then
	(cd "$doc" && find . -type f | sort) >"$T/got.files"
else
	: >"$T/got.files"
fi
check_file "$T/got.files" "$T/want.files" "examples installed in share/doc/bf/examples"
ok=1
for f in kubernetes/Dockerfile kubernetes/job.yaml slurm/backfill.sbatch; do
	[ -f "$doc/$f" ] || ok=0
done
check_eq "$ok" 1 "the engine examples are among them"
if [ -f "$doc/audit.sh" ] && [ -x "$doc/audit.sh" ]; then pass "audit.sh stays executable"
else fail "audit.sh stays executable"; fi
# What the man pages cite is where make install puts it.
cited=$(grep -ho '/usr/local/share/doc/bf/examples[^ ]*' "$BF_TOP"/man/*.[0-9] |
	sed 's/[.,;:)]*$//' | sort -u)
ok=1
for c in $cited; do
	[ -e "$root$c" ] || { ok=0; diag "cited, not installed: $c"; }
done
[ -n "$cited" ] || { ok=0; diag "no man page cites /usr/local/share/doc/bf/examples"; }
check_eq "$ok" 1 "every share/doc path the man pages cite is installed"

# A symlink to the installed bf-backfill in another directory, and a PATH
# with no bf program: it must find its programs next to its real file.
mkdir "$T/links" "$T/run"
ln -s "$pfx/bin/bf-backfill" "$T/links/bf-backfill"
cp "$BF_TOP"/tests/man-fixtures/backfill-* "$T/run/"
cd "$T/run"
"$pfx/bin/bf-gen" -n 2 -d 2 >samples.ndjson
RC=0
env -u BF_BIN PATH=/usr/bin:/bin "$T/links/bf-backfill" -c backfill-demo.conf \
    >"$T/out" 2>"$T/err" || RC=$?
check_eq "$RC" 0 "bf-backfill through a symlink: exit status"
[ "$RC" = 0 ] || diag "$(tail -5 "$T/err")"
# 2 instances x 2 days of daily windows, every sample of the file loaded.
nwin=$(sqlite3 ledger.db 'SELECT count(*) FROM windows' 2>/dev/null || echo none)
check_eq "$nwin" 4 "through a symlink: 4 windows committed"
want=$(awk 'END { print NR }' samples.ndjson)
got=$(sqlite3 ledger.db "SELECT sum(json_extract(counts, '\$.fetched')) FROM windows" \
    2>/dev/null || echo none)
check_eq "$got" "$want" "through a symlink: every sample of the file fetched"
cd "$T"

RC=0
make -C "$BF_TOP" -s uninstall DESTDIR="$root" PREFIX=/usr/local $san \
    >"$T/make.out" 2>&1 || RC=$?
check_eq "$RC" 0 "make uninstall"
left=$(cd "$root" && find . ! -type d | sort | tr '\n' ' ')
check_eq "$left" "" "make uninstall leaves no file behind"
if [ -e "$pfx/share/doc/bf" ]; then fail "make uninstall removes share/doc/bf"
else pass "make uninstall removes share/doc/bf"; fi
done_testing
