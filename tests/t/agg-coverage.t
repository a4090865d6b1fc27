#!/bin/sh
# bf-aggregate --min-coverage: a window in which a series covers less than
# the given share fails (low_coverage), so that nothing of it is billed.
. "$(dirname "$0")/../lib/common.sh"

cd "$T"
printf '%s\n' metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to \
    "m,u,avg,q,,,1,USD,," >rates.csv
# s INSTANCE MINUTE: a sample of [00:00, 01:00) at resolution 300.
s() {
	printf '{"type":"sample","partition":"p","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-01T01:00:00Z","instance_id":"%s","metric":"m","ts":"2026-01-01T00:%02d:00Z","value":1,"unit":"u","resolution":300}\n' "$1" "$2"
}
{
	# full: every 5 minutes (coverage 1); thin: 00:00 to 00:40, 9
	# samples of 300 s each = 2700 s of 3600 = 0.75.
	for m in 0 5 10 15 20 25 30 35 40 45 50 55; do s full $m; done
	for m in 0 5 10 15 20 25 30 35 40; do s thin $m; done
	echo '{"type":"window","partition":"p","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-01T01:00:00Z","status":"ok"}'
} >in.ndjson

run_prog bf-aggregate -r rates.csv in.ndjson
check_eq "$(jq -r 'select(.type == "usage") | .instance_id + " " + .coverage' "$T/out" | tr '\n' ' ')" \
    "full 1.000000000 thin 0.750000000 " "coverages 1 and 9 * 300 / 3600 = 0.75"

# The window line's coverage_min: the lowest coverage of its usage rows,
# as the usage lines write it; absent without rows and on a failed window.
check_eq "$(jq -r 'select(.type == "window") | .coverage_min' "$T/out")" \
    "$(awk 'BEGIN { printf "%.9f", 9 * 300 / 3600 }')" "window line: coverage_min 0.75"
{
	# half (sorted first, 6 samples: 1800 s = 0.5), then full.
	for m in 0 5 10 15 20 25; do s half $m; done
	for m in 0 5 10 15 20 25 30 35 40 45 50 55; do s full $m; done
	echo '{"type":"window","partition":"p","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-01T01:00:00Z","status":"ok"}'
	echo '{"type":"window","partition":"p","window_start":"2026-01-01T01:00:00Z","window_end":"2026-01-01T02:00:00Z","status":"ok"}'
} >in2.ndjson
run_prog bf-aggregate -r rates.csv in2.ndjson
check_eq "$(jq -c 'select(.type == "window") | [.usage_rows, .coverage_min]' "$T/out" | tr '\n' ' ')" \
    "[2,\"$(awk 'BEGIN { printf "%.9f", 6 * 300 / 3600 }')\"] [0,null] " \
    "coverage_min is the lowest (not the last) row's; absent without rows"
run_prog bf-aggregate -m 0.8 -r rates.csv in.ndjson
check_eq "$(jq -c 'select(.type == "window") | [.status, has("coverage_min")]' "$T/out")" \
    '["failed",false]' "coverage_min absent on a failed window"

for r in 0.75 0.7500000001 7.5e-1 0; do
	run_prog bf-aggregate -m "$r" -r rates.csv in.ndjson
	check_rc 0 "--min-coverage $r: passes"
	check_eq "$(jq -r 'select(.type == "window") | [.status, .usage_rows] | join(" ")' "$T/out")" \
	    "ok 2" "--min-coverage $r: the window is billed"
done

for r in 0.750000001 0.8 1; do
	run_prog bf-aggregate --min-coverage="$r" -r rates.csv in.ndjson
	check_rc 1 "--min-coverage $r: fails"
	check_eq "$(jq -c 'select(.type == "window") | [.status, .usage_rows, .error.code]' "$T/out")" \
	    '["failed",0,"low_coverage"]' "--min-coverage $r: the window fails, no usage"
	check_eq "$(grep -c '"type":"usage"' "$T/out" || :)" 0 "--min-coverage $r: no usage line"
done
check_eq "$(jq -r 'select(.type == "window") | .error.message' "$T/out")" \
    "coverage 0.750000000 of metric 'm' of instance 'thin' is below the minimum 1.000000000" \
    "the message names the instance, the metric and the coverage"

for r in 1.000000001 -0.1 abc '' 0.5x nan; do
	run_prog bf-aggregate -m "$r" -r rates.csv in.ndjson
	check_rc 2 "--min-coverage '$r': usage error"
	check_eq "$(head -n 1 "$T/err")" \
	    "bf-aggregate: bad --min-coverage '$r': expected a decimal from 0 to 1" \
	    "--min-coverage '$r': the message"
done

done_testing
