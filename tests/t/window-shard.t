#!/bin/sh
# bf-window --shard I/N: for N = 1..5 the shards are disjoint and their union
# is the whole plan, the same in every run; the shard of a name is FNV-1a 64
# of its bytes mod N (checked against an independent implementation).
. "$(dirname "$0")/../lib/common.sh"

# 60 partitions, some with hostile names; three windows each.
: >"$T/parts"
i=0
while [ $i -lt 50 ]; do echo "db-$i" >>"$T/parts"; i=$((i + 1)); done
printf '%s\n' 'say "hi"' 'back\slash' '../../etc' 'tenant/acme' 'x y' \
    '%2E' '-' 'a,b' '  db-x  ' >>"$T/parts"
printf 'caf\303\251\n' >>"$T/parts"
plan() { bf-window -f 2026-01-01 -t 2026-01-04 -s 1d -P "$T/parts" "$@"; }

run_prog plan
check_rc 0 "full plan"
sort "$T/out" >"$T/full"
check_eq "$(wc -l <"$T/full" | tr -d ' ')" 180 "full plan has 60 x 3 windows"

for n in 1 2 3 4 5; do
	: >"$T/union"
	i=0 rcs=
	while [ $i -lt $n ]; do
		run_prog plan --shard "$i/$n"
		rcs="$rcs$RC"
		cp "$T/out" "$T/shard.$i"
		cat "$T/out" >>"$T/union"
		i=$((i + 1))
	done
	check_eq "$rcs" "$(printf "%0${n}d" 0)" "N=$n: every shard exits 0"
	sort "$T/union" >"$T/union.sorted"
	check_file "$T/union.sorted" "$T/full" "N=$n: the union of the shards is the plan"
	check_eq "$(uniq -d <"$T/union.sorted" | wc -l | tr -d ' ')" 0 \
	    "N=$n: no window in two shards"
	# A partition's windows all land in one shard.
	i=0
	: >"$T/owners"
	while [ $i -lt $n ]; do
		jq -r --arg i "$i" '[.partition, $i] | @json' "$T/shard.$i" |
		    sort -u >>"$T/owners"
		i=$((i + 1))
	done
	check_eq "$(jq -r '.[0]' "$T/owners" | sort | uniq -d | wc -l | tr -d ' ')" 0 \
	    "N=$n: every partition in exactly one shard"
	run_prog plan --shard "$((n - 1))/$n"
	check_file "$T/out" "$T/shard.$((n - 1))" "N=$n: the same shard again is the same"
done

# The shard of a name is FNV-1a 64 of its bytes mod N.
if command -v python3 >/dev/null; then
	python3 - "$T/parts" 5 >"$T/want" <<'PY'
import sys
n = int(sys.argv[2])
for raw in open(sys.argv[1], 'rb').read().split(b'\n'):
    name = raw.strip(b' \t\r')
    if not name:
        continue
    h = 0xcbf29ce484222325
    for b in name:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    sys.stdout.write('%s\t%d\n' % (name.decode('utf-8'), h % n))
PY
	i=0
	: >"$T/got"
	while [ $i -lt 5 ]; do
		jq -r --arg i "$i" '"\(.partition)\t\($i)"' "$T/shard.$i" | uniq >>"$T/got"
		i=$((i + 1))
	done
	sort "$T/got" >"$T/got.s"
	sort "$T/want" >"$T/want.s"
	check_file "$T/got.s" "$T/want.s" "shard of each name is FNV-1a 64 mod 5"
else
	fail "python3 is needed to check FNV-1a 64 independently"
fi

# Time order gives the same set per shard.
run_prog plan --shard 1/3 --order time
sort "$T/out" >"$T/a"
run_prog plan --shard 1/3
sort "$T/out" >"$T/b"
check_file "$T/a" "$T/b" "--order time selects the same windows"
done_testing
