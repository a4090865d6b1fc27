#!/bin/sh
# bf-validate on bf-gen's telemetry with its malformed lines mixed in: every
# kind of malformed line is refused with its own code, every good sample is
# accepted, and the window lines count them.
. "$(dirname "$0")/../lib/common.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v bf-gen >/dev/null || skip_all "no bf-gen"
C=$BF_TOP/tests/man-fixtures/validate-contract.json

# One day of two instances, 5% malformed lines, windowed per instance.
bf-gen -d 1 -n 2 --malformed-ppm 50000 --duplicate-ppm 0 >"$T/raw.ndjson"
sed 's/^{"type":"sample","instance_id":"\([^"]*\)"/{"type":"sample","partition":"\1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","instance_id":"\1"/' \
    "$T/raw.ndjson" >"$T/in.ndjson"
for p in db-01 db-02; do
	printf '{"type":"window","partition":"%s","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z"}\n' "$p"
done >>"$T/in.ndjson"
check_eq "$(grep -c '"partition"' "$T/in.ndjson")" "$(($(wc -l <"$T/raw.ndjson") + 2))" \
    "every line got its window"

run_prog bf-validate -c "$C" -n 2026-06-01 -d "$T/dlq.ndjson" "$T/in.ndjson"
check_rc 0 "bf-gen's telemetry validates"

jq -r '[(.raw | fromjson | .metric), (.raw | fromjson | .value | tostring), .error.code] | @tsv' \
    "$T/dlq.ndjson" | sort -u >"$T/kinds"
want=$(printf '%s\t%s\t%s\n' \
    backup_storage 42 unknown_unit \
    connection_count -3 out_of_range \
    connection_count 1.7976931348623157e+308 number_overflow \
    cpu_utilization 250 out_of_range \
    cpu_utilization NaN nan_or_inf \
    cpu_utilization null missing_field \
    provisioned_iops true wrong_type | sort)
# jq reads 1e400 as the largest double; the DLQ raw itself says 1e400.
check_eq "$(cat "$T/kinds")" "$want" "each malformed kind has its own code"
check_eq "$(jq -r 'select(.error.code == "number_overflow") | .raw' "$T/dlq.ndjson" | grep -c '"value":1e400,')" \
    "$(jq -r 'select(.error.code == "number_overflow") | .id' "$T/dlq.ndjson" | wc -l)" \
    "the raw line keeps 1e400 as it was"

good=$(grep -v -e '"NaN"' -e '"value":250,' -e '"value":-3,' -e Furlongs \
    -e '"value":true' -e '"value":1e400' "$T/raw.ndjson" | grep -c '"value"')
acc=$(jq -s '[.[] | select(.type == "window") | .accepted] | add' "$T/out")
rej=$(jq -s '[.[] | select(.type == "window") | .rejected] | add' "$T/out")
check_eq "$acc" "$good" "every good sample is accepted"
check_eq "$rej" "$(wc -l <"$T/dlq.ndjson")" "the window lines count every reject"
check_eq "$(jq -r 'select(.type == "window") | .status' "$T/out" | sort -u)" ok \
    "5% rejects: the windows are ok"
done_testing
