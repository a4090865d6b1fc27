#!/bin/sh
# hostile: a long stream through bf-validate in constant memory. Streams
# generated samples (bf-gen, with its malformed lines and duplicates) into
# bf-validate -p against a JSON Schema of the sample lines, at three sizes
# up to BF_BENCH_SCALE GB (default 1: 0.1, 0.5 and 1 GB; 10 gives the 10 GB
# of issue 9), and prints bf-validate's own peak RSS at each size. The RSS
# must stay flat: the largest run may use at most 25% (and 4 MiB) more than
# the smallest, or this bench fails. Nothing is written to disk but the DLQ.
. "$(dirname "$0")/lib.sh"

for p in bf-gen bf-validate; do
	if ! command -v "$p" >/dev/null 2>&1; then
		echo "hostile: $p not built, skipped"
		exit 0
	fi
done
if [ ! -x /usr/bin/time ]; then
	echo "hostile: GNU time (/usr/bin/time) not installed, skipped"
	exit 0
fi

cat >"$W/schema.json" <<'EOF'
{
  "type": "object",
  "required": ["type", "instance_id", "metric", "ts", "value", "unit"],
  "properties": {
    "type": { "const": "sample" },
    "instance_id": { "type": "string", "pattern": "^db-[0-9]+$" },
    "metric": { "enum": ["cpu_utilization", "provisioned_iops",
      "storage_throughput", "connection_count", "backup_storage"] },
    "ts": { "type": "string", "format": "date-time" },
    "value": { "type": "number" },
    "unit": { "type": "string" },
    "source": { "type": "string" }
  }
}
EOF

# Bytes per generated line, from a sample of the stream.
per=$(bf-gen -n 99 -l 100000 | wc -c)
per=$((per / 100000))

# run GB: generates GB gigabytes (a decimal, 1e9 bytes each) of samples into
# bf-validate; sets SECS, RSS (KiB) and MBS.
run() {
	lines=$(awk -v g="$1" -v p="$per" 'BEGIN { printf "%d", g * 1e9 / p }')
	rm -f "$W/dlq"
	_s=$(date +%s.%N)
	bf-gen -d 36500 -n 99 -l "$lines" |
	    /usr/bin/time -f %M -o "$W/rss" bf-validate -p --format-assert \
	    -c "$W/schema.json" -d "$W/dlq" -r 1 >/dev/null 2>"$W/err" || {
		echo "hostile: bf-validate failed at $1 GB:"
		cat "$W/err"
		exit 1
	}
	_e=$(date +%s.%N)
	SECS=$(awk -v a="$_s" -v b="$_e" 'BEGIN { printf "%.2f", b - a }')
	RSS=$(tail -1 "$W/rss")
	MBS=$(awk -v g="$1" -v s="$SECS" 'BEGIN { if (s <= 0) s = 0.01;
		printf "%.0f", g * 1000 / s }')
	printf '%-40s %8s s %10s KiB %6s MB/s %6s rejects\n' \
	    "bf-gen | bf-validate, $1 GB" "$SECS" "$RSS" "$MBS" \
	    "$(wc -l <"$W/dlq")"
}

big=$BF_BENCH_SCALE
small=$(awk -v b="$big" 'BEGIN { print b / 10 }')
mid=$(awk -v b="$big" 'BEGIN { print b / 2 }')
echo "$per bytes per line; peak RSS of bf-validate alone"
run "$small"; rss_small=$RSS
run "$mid"
run "$big"; rss_big=$RSS
echo "peak RSS ratio ${big} GB / ${small} GB: $(ratio "$rss_big" "$rss_small")"
if [ "$rss_big" -gt $((rss_small * 5 / 4)) ] &&
    [ "$rss_big" -gt $((rss_small + 4096)) ]; then
	echo "hostile: memory grows with the stream ($rss_small KiB ->" \
	    "$rss_big KiB)"
	exit 1
fi
echo "memory flat: yes"
