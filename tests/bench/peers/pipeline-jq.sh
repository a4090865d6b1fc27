#!/bin/sh
# tests/bench/peers/pipeline-jq.sh: the bf pipeline's job without bf, as a
# shell user would write it with jq and sqlite3, for make bench
# (tests/bench/pipeline.sh). Three processes in a pipe, like bf's stages:
#
#  1. jq -n -R (one line at a time, with `inputs`, so that the contract,
#     the instance list and the range are prepared once): parse each line, keeping it raw for the
#     DLQ; route a sample to its window (instance, UTC day) when the
#     instance is in the list and the day in [from, to); check it against
#     the data contract (required, type, const, minLength, pattern, format
#     date-time, minimum of the JSON Schema; x-bf-metrics: unit, accepted
#     units and factors, bounds, integer); write a reject object (code,
#     line, window, raw line) or a compact array of the sample's fields.
#     The rejects are split off to the DLQ by grep through a FIFO.
#  2. jq -s (slurps the valid samples): group_by instance, metric, day;
#     unique by time (the greatest value wins); the time-weighted integral,
#     resolution, expected samples and coverage; quantity = integral x
#     multiplier / divisor; priced with the effective-dated rate card and
#     allocated to the tenants owning the instance, the window cut at each
#     price and owner change inside it, each piece's quantity its own
#     integral, as bf(7) "Price and owner changes inside a window" says;
#     one TSV row per usage row. Arithmetic in binary floating point (jq
#     has nothing else), rounded to 9 places: close to bf's exact figures,
#     not equal to them (pipeline.sh compares the rows and the total within
#     a tolerance).
#  3. sqlite3 (WAL, synchronous=FULL, the tables of bf-load): .import of
#     the rows into a staging table, then in one transaction an upsert into
#     usage (with a SHA3 digest per row), a ledger charge per row (numbered
#     per partition, SHA3-hashed, no chain) and a row per window.
#
# Usage: pipeline-jq.sh FROM TO INSTANCES DATA CONTRACT RATES TENANTS DB DLQ NOW
set -eu
[ $# -eq 10 ] || { echo "usage: $0 from to instances data contract rates tenants db dlq now" >&2; exit 2; }
from=$1 to=$2 instances=$3 data=$4 contract=$5 rates=$6 tenants=$7 db=$8 dlq=$9
shift 9; now=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/peer-jq.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/validate.jq" <<'EOF'
def dtre: "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$";
def epoch: if length == 10 then . + "T00:00:00Z" else . end
	| if test("[.]") then sub("[.][0-9]+"; "") else . end | fromdateiso8601;
def stamp: todate;
def typeok($t): if $t == null then true
	elif $t == "integer" then type == "number" and . == floor
	else type == $t end;
# the first schema error of the line, or null
def schema($c; $props):
	. as $s
	| first(($c.required[] | select(. as $k | $s | has($k) | not) | "missing_field"),
	    ($props[] | .key as $k | .value as $p
	     | select($s | has($k)) | $s[$k]
	     | if typeok($p.type) | not then "wrong_type"
	       elif $p.const != null and . != $p.const then "const"
	       elif $p.minLength != null and length < $p.minLength then "too_short"
	       elif $p.pattern != null and (test($p.pattern) | not) then "pattern"
	       elif $p.format == "date-time" and (test(dtre) | not) then "format"
	       elif $p.minimum != null and . < $p.minimum then "out_of_range"
	       else empty end),
	    null);
def r9: . * 1e9 | round / 1e9;
$C[0] as $c | ($c.properties | to_entries) as $props
| ($inst | split("\n") | map(select(length > 0)) | map({(.): true}) | add) as $known
| ($from | epoch) as $t0 | ($to | epoch) as $t1 | ($now | epoch) as $tnow
| inputs | . as $raw | input_line_number as $n
| (try fromjson catch null) as $s
| if $s == null then {type: "reject", error: {code: "invalid_json"}, line: $n, raw: $raw}
  elif ($s | type) != "object" or $s.type != "sample" then empty
  elif ($known[$s.instance_id | tostring] | not) or ($s.ts | type) != "string"
      or ($s.ts | test(dtre) | not) then empty
  else ($s.ts | epoch) as $t
  | select($t >= $t0 and $t < $t1)
  | ($t - $t % 86400) as $ws
  | ($s + {partition: $s.instance_id, window_start: ($ws | stamp),
      window_end: ($ws + 86400 | stamp)}) as $s
  | $c["x-bf-metrics"][$s.metric | tostring] as $r
  | (if $r == null then "unknown_metric"
     elif ($s | has("value") | not) then "missing_field"
     elif ($s.value | type) != "number" then "wrong_type"
     elif ($s.value | fabs) >= 1.7e29 then "number_overflow"
     elif $s.unit != $r.unit and ($r.units // {} | has($s.unit | tostring) | not) then "unknown_unit"
     elif $t > $tnow then "in_future"
     else ($s | schema($c; $props)) // (
       (if $s.unit == $r.unit then $s.value
        else $s.value * ($r.units[$s.unit] | tonumber) end | r9) as $v
       | if $r.minimum != null and $v < $r.minimum then "out_of_range"
         elif $r.maximum != null and $v > $r.maximum then "out_of_range"
         elif $r.integer == true and $v != ($v | floor) then "not_integer"
         else null end)
     end) as $err
  | if $err != null then
      {type: "reject", error: {code: $err}, line: $n, partition: $s.partition,
       window_start: $s.window_start, window_end: $s.window_end, raw: $raw}
    else
      [$s.instance_id, $s.metric, $ws, $t,
       (if $s.unit == $r.unit then $s.value
        else $s.value * ($r.units[$s.unit] | tonumber) end | r9),
       $r.unit, ($s.resolution // 86400), ($s.source // "")]
    end
  end
EOF

cat >"$tmp/aggregate.jq" <<'EOF'
def epoch: if length == 10 then . + "T00:00:00Z" else . end | fromdateiso8601;
def r9: . * 1e9 | round / 1e9;
def f9: r9 | tostring;
def csv: split("\n") | map(select(length > 0) | split(",")) | .[0] as $h
	| .[1:] | to_entries | map(.key as $i | .value
	| [$h, .] | transpose | map({(.[0]): .[1]}) | add + {line: ($i + 2)});
def span: {from: (if .effective_from == "" then -1e18 else .effective_from | epoch end),
	to: (if .effective_to == "" then 1e18 else .effective_to | epoch end)};
# the owners' spans over [ws, we) in time order, the gaps unallocated
def owners($ws; $we):
	map(select(.from < $we and .to > $ws))
	| reduce .[] as $o ({t: $ws, out: []};
	    ([$o.from, $ws] | max) as $a | ([$o.to, $we] | min) as $b
	    | (if $a > .t then .out += [[.t, $a, "unallocated", ""]] else . end)
	    | .out += [[$a, $b, $o.tenant, $o.cost_center]] | .t = $b)
	| if .t < $we then .out + [[.t, $we, "unallocated", ""]] else .out end;
# the window cut at each price and owner change inside it (bf(7) "Price
# and owner changes inside a window"): [from, to, rate, owner index]
def pieces($ws; $we; $rs; $own):
	([$ws, $we] + ($rs | map(.from, .to)) + ($own | map(.[0], .[1]))
	 | map(select(. >= $ws and . <= $we)) | unique) as $c
	| [range(0; ($c | length) - 1) | $c[.] as $a
	   | [$a, $c[. + 1], first($rs[] | select(.from <= $a and $a < .to)),
	      first(range(0; $own | length) | select($own[.][0] <= $a and $a < $own[.][1]))]];
($rates | csv | map(. + span + {mult: (.multiplier | if . == "" then 1 else tonumber end),
	div: (.divisor | if . == "" then 1 else tonumber end),
	price: (.unit_price | tonumber)}) | group_by(.metric)
	| map({(.[0].metric): .}) | add) as $R
| ($tenants | csv | map(. + span) | group_by(.instance_id)
	| map({(.[0].instance_id): sort_by(.from)}) | add) as $T
| map(select(type == "array"))
| group_by([.[0], .[2], .[1]])[]
| .[0][0] as $inst | .[0][1] as $metric | .[0][2] as $ws | ($ws + 86400) as $we
| group_by(.[3]) | map(max_by(.[4]))
| . as $s | length as $n
| ($R[$metric] // [] | map(select(.from < $we and .to > $ws))) as $rs
| select(($rs | length) > 0 and $rs[0].unit == $s[0][5])
| $rs[0] as $rate
| (map(.[6]) | min) as $res
| ([range(0; $n) | ((if . + 1 < $n then $s[. + 1][3] else $we end) - $s[.][3]) as $dt
	| [$s[.][4] * $dt, ([$dt, $s[.][6]] | min)]]
	| {integral: (map(.[0]) | add), covered: (map(.[1]) | add)}) as $a
| ($a.integral * $rate.mult / $rate.div | r9) as $q
| (($T[$inst] // []) | owners($ws; $we)) as $own
| pieces($ws; $we; $rs; $own) as $ps
# each piece's integral: each sample's value held until the next sample
# (or the window end), cut at the pieces
| (if ($ps | length) == 1 then [$a.integral]
   else [range(0; $n) | [$s[.][3], (if . + 1 < $n then $s[. + 1][3] else $we end), $s[.][4]]]
   as $seg | $ps | map(.[0] as $pa | .[1] as $pb
	| [$seg[] | (([.[1], $pb] | min) - ([.[0], $pa] | max)) as $dt
	   | select($dt > 0) | .[2] * $dt] | add // 0)
   end) as $pv
# each piece's quantity from its integral, the last takes the remainder;
# its cost at its price; the cost and the allocations sum the pieces'
| (reduce range(0; $ps | length) as $i ({acc: 0, cost: 0, own: ($own | map(0))};
    $ps[$i] as [$pa, $pb, $pr, $po]
    | (if $i == ($ps | length) - 1 then $q - .acc | r9
       else $pv[$i] * $pr.mult / $pr.div | r9 end) as $pq
    | ($pq * $pr.price | r9) as $pc
    | .acc += $pq | .cost += $pc | .own[$po] += $pc)) as $split
| ($split.cost | r9) as $cost
| ($ps | map(.[2].line) | unique | length) as $nprices
| [$inst, $metric, ($ws | todate), ($we | todate), $inst,
   (if ($own | length) == 1 then $own[0][2] else "" end), $rate.aggregate,
   ($a.integral | f9), $n, ((86400 + $res - 1) / $res | floor),
   ($a.covered / 86400 | f9), ($q | f9), $rate.usage_unit,
   (if $nprices == 1 then $rate.price | f9 else "" end), ($cost | f9),
   $rate.currency,
   ([range(0; $own | length) | {tenant: $own[.][2], cost_center: $own[.][3],
     from: ($own[.][0] | todate), to: ($own[.][1] | todate), cost: ($split.own[.] | f9)}]
    | tojson),
   ($s | map(.[7]) | unique | map(select(. != "")) | join(","))]
| @tsv
EOF

cat >"$tmp/schema.sql" <<'EOF'
PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
CREATE TABLE IF NOT EXISTS usage (instance_id TEXT NOT NULL, metric TEXT NOT NULL, window_start TEXT NOT NULL, window_end TEXT NOT NULL, partition TEXT NOT NULL, tenant TEXT NOT NULL, aggregate TEXT, value TEXT, samples INTEGER, expected_samples INTEGER, coverage TEXT, quantity TEXT, usage_unit TEXT, unit_price TEXT, cost TEXT NOT NULL, currency TEXT NOT NULL, allocations TEXT, source TEXT, digest TEXT NOT NULL, run_id TEXT NOT NULL, loaded_at TEXT NOT NULL, PRIMARY KEY (instance_id, metric, window_start, window_end));
CREATE INDEX IF NOT EXISTS usage_by_window ON usage (partition, window_start, window_end);
CREATE TABLE IF NOT EXISTS ledger (partition TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, tenant TEXT NOT NULL, instance_id TEXT NOT NULL, metric TEXT NOT NULL, window_start TEXT NOT NULL, window_end TEXT NOT NULL, amount TEXT NOT NULL, currency TEXT NOT NULL, reason TEXT NOT NULL, source TEXT, run_id TEXT NOT NULL, usage_digest TEXT NOT NULL, program_version TEXT NOT NULL, recorded_at TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (partition, seq));
CREATE TABLE IF NOT EXISTS windows (partition TEXT NOT NULL, window_start TEXT NOT NULL, window_end TEXT NOT NULL, grid TEXT, usage_rows INTEGER NOT NULL, counts TEXT NOT NULL, digest TEXT NOT NULL, chain_head TEXT NOT NULL, run_id TEXT NOT NULL, loaded_at TEXT NOT NULL, PRIMARY KEY (partition, window_start, window_end));
CREATE TEMP TABLE staging (instance_id, metric, window_start, window_end, partition, tenant, aggregate, value, samples INTEGER, expected_samples INTEGER, coverage, quantity, usage_unit, unit_price, cost, currency, allocations, source);
EOF
cat >"$tmp/merge.sql" <<'EOF'
BEGIN;
CREATE TEMP TABLE run AS SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now') AS now, 'jq-' || hex(randomblob(4)) AS id;
CREATE TEMP TABLE rows AS SELECT s.*, lower(hex(sha3(json_array(instance_id, metric, window_start, window_end, partition, tenant, aggregate, value, samples, expected_samples, coverage, quantity, usage_unit, unit_price, cost, currency, allocations, source), 256))) AS digest FROM staging s;
INSERT INTO usage SELECT instance_id, metric, window_start, window_end, partition, tenant, aggregate, value, samples, expected_samples, coverage, quantity, usage_unit, nullif(unit_price, ''), cost, currency, allocations, nullif(source, ''), digest, (SELECT id FROM run), (SELECT now FROM run) FROM rows WHERE true
ON CONFLICT (instance_id, metric, window_start, window_end) DO UPDATE SET partition = excluded.partition, tenant = excluded.tenant, aggregate = excluded.aggregate, value = excluded.value, samples = excluded.samples, expected_samples = excluded.expected_samples, coverage = excluded.coverage, quantity = excluded.quantity, usage_unit = excluded.usage_unit, unit_price = excluded.unit_price, cost = excluded.cost, currency = excluded.currency, allocations = excluded.allocations, source = excluded.source, digest = excluded.digest, run_id = excluded.run_id, loaded_at = excluded.loaded_at WHERE usage.digest <> excluded.digest;
INSERT INTO ledger SELECT partition, seq, kind, tenant, instance_id, metric, window_start, window_end, amount, currency, reason, source, run_id, usage_digest, program_version, recorded_at, '', lower(hex(sha3(json_array(partition, seq, kind, tenant, instance_id, metric, window_start, window_end, amount, currency, reason, source, run_id, usage_digest, program_version, recorded_at), 256)))
FROM (SELECT r.partition, coalesce((SELECT max(seq) FROM ledger l WHERE l.partition = r.partition), 0) + row_number() OVER (PARTITION BY r.partition ORDER BY r.window_start, r.instance_id, r.metric) AS seq, 'charge' AS kind, r.tenant, r.instance_id, r.metric, r.window_start, r.window_end, r.cost AS amount, r.currency, 'first load' AS reason, nullif(r.source, '') AS source, (SELECT id FROM run) AS run_id, r.digest AS usage_digest, 'peer-jq 1' AS program_version, (SELECT now FROM run) AS recorded_at FROM rows r);
INSERT OR REPLACE INTO windows SELECT partition, window_start, window_end, 'size=86400 phase=0 billing_day=1', count(*), '{}', lower(hex(sha3(group_concat(digest || char(10), ''), 256))), '', (SELECT id FROM run), (SELECT now FROM run) FROM (SELECT * FROM rows ORDER BY partition, window_start, instance_id, metric) GROUP BY partition, window_start, window_end;
COMMIT;
EOF

mkfifo "$tmp/rejects"
grep '^{' <"$tmp/rejects" >>"$dlq" &
jq -n -R -c --slurpfile C "$contract" --rawfile inst "$instances" \
    --arg from "$from" --arg to "$to" --arg now "$now" \
    -f "$tmp/validate.jq" "$data" |
tee "$tmp/rejects" |
grep '^\[' |
jq -s -r --rawfile rates "$rates" --rawfile tenants "$tenants" -f "$tmp/aggregate.jq" |
sqlite3 "$db" -cmd ".read $tmp/schema.sql" -cmd '.mode tabs' \
    '.import /dev/stdin staging' ".read $tmp/merge.sql"
wait
