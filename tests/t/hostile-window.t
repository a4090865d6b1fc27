#!/bin/sh
# hostile-window: bf-window with partition names built to hurt: slashes,
# dot names, option-like names, quotes, backslashes, control characters
# (a newline through -p), non-ASCII, a 10000-byte name. Each is written
# escaped as JSON requires and reads back exactly; with --state, a
# checkpoint planted where a name joined to the state directory without
# encoding would point is never read. A NUL byte or invalid UTF-8 in a
# partition file is refused with nothing on stdout.
. "$(dirname "$0")/../lib/common.sh"

command -v bf-window >/dev/null 2>&1 ||
	skip_all "bf-window not built (not on this branch yet)"
command -v jq >/dev/null 2>&1 || skip_all "jq not installed"

long=$(head -c 10000 /dev/zero | tr '\0' L)
nl=$(printf 'a\nb')
ctl=$(printf 'c\001\037\177d\ttab')
set -- '../../etc/passwd' '/abs/path' '.' '..' '.hidden' '-rf' '--help' \
    'q"uo\te' '\\' "$nl" "$ctl" 'dé-€-😀' ' spaced ' "$long"
np=$#
for p in "$@"; do printf '%s' "$p" | jq -Rsc .; done >"$T/want"
# The argument list: -p NAME for each.
for p in "$@"; do
	set -- "$@" -p "$p"
done
shift $np

run_prog bf-window -f 2026-01-01 -t 2026-01-02 -s 1d "$@"
check_rc 0 "hostile names planned"
check_eq "$(wc -l <"$T/out" | tr -d ' ')" "$np" "one window line per name"
if "$BF_TOOLS/tool-jsoncheck" -o <"$T/out" | grep -qv '^valid$'; then
	fail "every line is one valid JSON object"
else
	pass "every line is one valid JSON object"
fi
jq -c .partition "$T/out" >"$T/got"
check_file "$T/got" "$T/want" "names read back exactly"

# A checkpoint where a naive join would look: "$T/s/state" + "../x"
# is "$T/s/x.ckpt". It claims the day is committed; bf-window must not read
# it, and plans the window. (The real file name is encoded, inside state.)
mkdir -p "$T/s/state"
printf '%s\n' '{"partition":"../x","grid":"size=86400 phase=0 billing_day=1","committed":[["2026-01-01T00:00:00Z","2026-01-02T00:00:00Z"]],"windows":1,"last_window":["2026-01-01T00:00:00Z","2026-01-02T00:00:00Z"],"last_digest":"","chain_head":"","updated":"2026-01-02T00:00:00Z"}' \
    >"$T/s/x.ckpt"
cp "$T/s/x.ckpt" "$T/s/state/..%2Fx.ckpt"
run_prog bf-window -f 2026-01-01 -t 2026-01-02 -s 1d -p ../x \
    -d "$T/s/state"
check_rc 0 "--state with partition ../x"
check_eq "$(jq -c '[.partition, .window_start]' "$T/out")" \
    '["../x","2026-01-01T00:00:00Z"]' \
    "--state reads no checkpoint outside the state dir"

# Partition files: NUL bytes and invalid UTF-8 are refused, nothing planned.
printf 'db-1\na\000b\n' >"$T/nul.txt"
run_prog bf-window -f 2026-01-01 -t 2026-01-02 -s 1d -P "$T/nul.txt"
check_eq "$RC,$(wc -c <"$T/out" | tr -d ' ')" "2,0" \
    "NUL byte in a partition file: usage error, nothing planned"
grep -q 'nul.txt:2:' "$T/err" && pass "NUL byte: file and line named" ||
	fail "NUL byte: file and line named"
printf 'db-1\n\377\376\n' >"$T/bad.txt"
run_prog bf-window -f 2026-01-01 -t 2026-01-02 -s 1d -P "$T/bad.txt"
check_eq "$RC,$(wc -c <"$T/out" | tr -d ' ')" "2,0" \
    "invalid UTF-8 in a partition file: usage error, nothing planned"
# A 100 MB partition file of one line: refused or planned, never a crash.
{ head -c 100000000 /dev/zero | tr '\0' p; echo; } >"$T/big.txt"
run_prog bf-window -f 2026-01-01 -t 2026-01-02 -s 1d -P "$T/big.txt"
rm -f "$T/big.txt"
case $RC in
0) check_eq "$(jq -r '.partition | length' "$T/out")" 100000000 \
	"100 MB partition name: planned whole" ;;
2) check_eq "$(wc -c <"$T/out" | tr -d ' ')" 0 \
	"100 MB partition name: refused, nothing planned" ;;
*) fail "100 MB partition name: exit $RC"; sed 's/^/# /' "$T/err" >&2 ;;
esac

done_testing
