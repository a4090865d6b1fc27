#!/bin/sh
# bf-validate --lookback: lookback samples ("lookback":true, bf(7)) are
# accepted only in [window_start - lookback, window_start), counted as
# lookback_accepted and lookback_rejected and never in accepted, rejected or
# the reject rate, passed on with "lookback":true last, hidden from a closed
# contract. The expected counts and lines are computed here, in python3,
# from the generated lines, not by bf.
. "$(dirname "$0")/../lib/common.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
C=$BF_TOP/tests/golden/bf-validate/lookback/contract.json

# gen LOOKBACK_SECONDS SEED: random windows of random samples (in the
# window, before it, after it; lookback true, false or absent; some with a
# bad value or unit), then the expected window counts and passed lines.
gen() {
	python3 - "$T" "$1" "$2" <<'PY'
import json, random, sys
from datetime import datetime, timedelta, timezone
d, lb, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
fmt = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
lines, passed, counts = [], [], []
for k in range(20):
    size = r.choice([300, 3600, 86400])
    ws = t0 + timedelta(seconds=k * 86400 * 2)
    we = ws + timedelta(seconds=size)
    env = {"partition": "db-%02d" % (k % 3), "window_start": fmt(ws),
           "window_end": fmt(we)}
    c = dict(accepted=0, rejected=0, lookback_accepted=0,
             lookback_rejected=0)
    for i in range(r.randrange(0, 12)):
        off = r.randrange(-2 * max(lb, 3600) - 5, size + 5)
        o = {"type": "sample", **env, "instance_id": "db-01",
             "metric": "storage_bytes", "ts": fmt(ws + timedelta(seconds=off)),
             "value": r.choice([1, 2, 3, -1]), "unit": r.choice(["Bytes"] * 5 + ["KiB", "Furlongs"])}
        kind = r.choice(["none", "none", "true", "true", "false"])
        if kind != "none":
            o["lookback"] = kind == "true"
        good = o["value"] >= 0 and o["unit"] != "Furlongs"
        if kind == "true":
            ok = good and -lb <= off < 0
            c["lookback_accepted" if ok else "lookback_rejected"] += 1
        else:
            ok = good and kind == "none" and 0 <= off < size
            c["accepted" if ok else "rejected"] += 1
        s = json.dumps(o, separators=(",", ":"))
        lines.append(s)
        if ok:
            if o["unit"] == "KiB":
                p = {kk: vv for kk, vv in o.items() if kk != "lookback"}
                p.update(value=o["value"] * 1024, unit="Bytes",
                         source_value=o["value"], source_unit="KiB")
                if kind == "true":
                    p["lookback"] = True
                s = json.dumps(p, separators=(",", ":"))
            passed.append(s)
    lines.append(json.dumps({"type": "window", **env}, separators=(",", ":")))
    counts.append(json.dumps([c[x] for x in ("accepted", "rejected",
        "lookback_accepted", "lookback_rejected")]).replace(" ", ""))
open(d + "/in.ndjson", "w").write("\n".join(lines) + "\n")
open(d + "/want.passed", "w").write("".join(x + "\n" for x in passed))
open(d + "/want.counts", "w").write("".join(x + "\n" for x in counts))
PY
}

for case in "3600 1 default" "3600 2 1h" "5400 3 90m" "0 4 0" "86400 5 1d"; do
	set -- $case
	gen "$1" "$2"
	flag="--lookback $3"
	[ "$3" = default ] && flag=
	rm -f "$T/dlq.ndjson"
	run_prog bf-validate -c "$C" -n 2026-06-01 -r 1 -d "$T/dlq.ndjson" $flag "$T/in.ndjson"
	check_rc 0 "lookback $3"
	grep -v '"type":"window"' "$T/out" >"$T/got.passed" || :
	check_file "$T/got.passed" "$T/want.passed" "lookback $3: the samples passed on, lookback:true last"
	jq -c 'select(.type == "window") | [.accepted, .rejected, .lookback_accepted, .lookback_rejected]' \
	    "$T/out" >"$T/got.counts"
	check_file "$T/got.counts" "$T/want.counts" "lookback $3: the four counts of every window"
	n_in=$(grep -c '"type":"sample"' "$T/in.ndjson")
	n_out=$(wc -l <"$T/got.passed")
	n_dlq=$(cat "$T/dlq.ndjson" 2>/dev/null | wc -l)
	check_eq "$((n_out + n_dlq))" "$n_in" "lookback $3: every sample passed on or in the DLQ"
done

# The reject rate ignores lookback samples: one good sample and five bad
# lookback samples pass at -r 0; one bad sample in the window fails.
W='"partition":"db-01","window_start":"2026-01-01T01:00:00Z","window_end":"2026-01-01T02:00:00Z","instance_id":"db-01","metric":"storage_bytes"'
{
	printf '{"type":"sample",%s,"ts":"2026-01-01T01:00:00Z","value":1,"unit":"Bytes"}\n' "$W"
	for i in 1 2 3 4 5; do
		printf '{"type":"sample",%s,"ts":"2025-01-01T00:00:0%sZ","value":1,"unit":"Bytes","lookback":true}\n' "$W" "$i"
	done
	printf '{"type":"window",%s}\n' "$W"
} >"$T/rate.ndjson"
run_prog bf-validate -c "$C" -n 2026-06-01 -r 0 -d "$T/dlq2.ndjson" "$T/rate.ndjson"
check_rc 0 "-r 0 with five rejected lookback samples"
check_eq "$(tail -n 1 "$T/out" | jq -c '[.status, .accepted, .rejected, .lookback_rejected]')" \
    '["ok",1,0,5]' "lookback rejects are not in the reject rate"
check_eq "$(wc -l <"$T/dlq2.ndjson")" 5 "but they are in the DLQ"

# Bad --lookback values are usage errors; 0 is allowed.
for bad in -1 1x 0x ""; do
	run_prog bf-validate -c "$C" --lookback "$bad" "$T/rate.ndjson"
	check_rc 2 "--lookback '$bad'"
done
{
	printf '{"type":"sample",%s,"ts":"2026-01-01T00:30:00Z","value":1,"unit":"Bytes","lookback":true}\n' "$W"
	printf '{"type":"window",%s}\n' "$W"
} >"$T/one.ndjson"
for zero in "" 0 0s 0m; do
	run_prog bf-validate -c "$C" -n 2026-06-01 -d "$T/dlq3.ndjson" \
	    ${zero:+--lookback "$zero"} "$T/one.ndjson"
	check_eq "$RC $(tail -n 1 "$T/out" | jq -c '[.lookback_accepted, .lookback_rejected]')" \
	    "0 $([ -z "$zero" ] && echo '[1,0]' || echo '[0,1]')" \
	    "--lookback '${zero:-(default 1h)}': a sample 30 minutes before the window"
done
done_testing
