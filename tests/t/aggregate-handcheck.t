#!/bin/sh
# An independent check of bf-aggregate's costs: a small data set whose
# quantities, costs and owner shares are worked out by hand below, with the
# rounding rule of bf-aggregate(1) (half to even, 9 places, once per division
# or product), and compared string for string.
. "$(dirname "$0")/../lib/common.sh"

cd "$T"
cat >rates.csv <<'EOF'
metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,effective_from,effective_to
storage_bytes,Bytes,integral,GiB-Hours,,3865470566400,0.000158,USD,2026-01-01,2026-03-01T18:00:00Z
storage_bytes,Bytes,integral,GiB-Hours,,3865470566400,0.000200,USD,2026-03-01T18:00:00Z,
cpu_seconds,s,increase,vCPU-Hours,,3600,0.045,USD,,
iops,Count,avg,IOPS-Months,,720,0.10,USD,,
EOF
cat >tenants.csv <<'EOF'
instance_id,tenant,cost_center,effective_from,effective_to
db-7,acme,cc-1,,2026-03-01T08:00:00Z
db-7,globex,cc-7,2026-03-01T08:00:00Z,
EOF
W1='"partition":"db-7","window_start":"2026-03-01T00:00:00Z","window_end":"2026-03-02T00:00:00Z","instance_id":"db-7"'
W2='"partition":"db-7","window_start":"2026-03-02T00:00:00Z","window_end":"2026-03-03T00:00:00Z","instance_id":"db-7"'
s() { printf '{"type":"sample",%s,"metric":"%s","ts":"%s","value":%s,"unit":"%s"}\n' "$@"; }
{
	# Storage: 100 GiB from 00:00, 250 GiB from 12:00; 06:00 twice (a
	# duplicate); 12:00 also at 200 GiB (a conflict: the greater wins).
	s "$W1" storage_bytes 2026-03-01T18:00:00Z 268435456000 Bytes
	s "$W1" storage_bytes 2026-03-01T06:00:00Z 107374182400 Bytes
	s "$W1" storage_bytes 2026-03-01T00:00:00Z 107374182400 Bytes
	s "$W1" storage_bytes 2026-03-01T12:00:00Z 214748364800 Bytes
	s "$W1" storage_bytes 2026-03-01T12:00:00Z 268435456000 Bytes
	s "$W1" storage_bytes 2026-03-01T06:00:00Z 107374182400 Bytes
	# A counter that resets between 08:00 and 16:00.
	s "$W1" cpu_seconds 2026-03-01T00:00:00Z 5000 s
	s "$W1" cpu_seconds 2026-03-01T16:00:00Z 800 s
	s "$W1" cpu_seconds 2026-03-01T08:00:00Z 12200 s
	s "$W1" cpu_seconds 2026-03-01T23:00:00Z 4400 s
	# A gauge, one value as a string.
	s "$W1" iops 2026-03-01T12:00:00Z 2000.25 Count
	s "$W1" iops 2026-03-01T00:00:00Z 1000.5 Count
	s "$W1" iops 2026-03-01T18:00:00Z '"3000.1"' Count
	echo '{"type":"window","partition":"db-7","window_start":"2026-03-01T00:00:00Z","window_end":"2026-03-02T00:00:00Z","status":"ok"}'
	s "$W2" storage_bytes 2026-03-02T00:00:00Z 268435456000 Bytes
	echo '{"type":"window","partition":"db-7","window_start":"2026-03-02T00:00:00Z","window_end":"2026-03-03T00:00:00Z","status":"ok"}'
} >in.ndjson

run_prog bf-aggregate -r rates.csv -t tenants.csv in.ndjson
check_rc 0 "bf-aggregate"
cp "$T/out" result
get() { jq -r --arg ws "$1" --arg m "$2" \
    "select(.type == \"usage\" and .window_start == \$ws and .metric == \$m) | $3" result; }
D1=2026-03-01T00:00:00Z D2=2026-03-02T00:00:00Z

# Window 1, storage_bytes, integral of bytes over seconds:
#   100 GiB (107374182400 B) for 12 h + 250 GiB (268435456000 B) for 12 h
#   = 107374182400 * 43200 + 268435456000 * 43200
#   = 4638564679680000 + 11596411699200000 = 16234976378880000 B*s
# quantity = 16234976378880000 / 3865470566400 (= 2^30 * 3600)
#   = 100 * 12 + 250 * 12 = 4200 GiB-hours, exactly.
check_eq "$(get $D1 storage_bytes .value)" 16234976378880000.000000000 "storage: integral"
check_eq "$(get $D1 storage_bytes .quantity)" 4200.000000000 "storage: GiB-hours"
# The price changes at 18:00 and the owner at 08:00: the window is cut into
# [00,08) acme at 0.000158, [08,18) globex at 0.000158, [18,24) globex at
# 0.0002, and an integral is billed where the storage was held:
#   [00,08): 100 GiB * 8 h = 800;  [08,18): 100 * 4 + 250 * 6 = 1900;
#   [18,24): 250 * 6 = 1500 (the last piece: 4200 - 800 - 1900)
#   costs: 800 * 0.000158 = 0.1264; 1900 * 0.000158 = 0.3002;
#   1500 * 0.0002 = 0.3
#   price line 2: 800 + 1900 = 2700 GiB-h, 0.1264 + 0.3002 = 0.4266
#   price line 3: 1500, 0.3; cost = 0.7266
#   acme 0.1264; globex 0.3002 + 0.3 = 0.6002
check_eq "$(get $D1 storage_bytes '[.prices[] | .quantity, .cost] | join(" ")')" \
    "2700.000000000 0.426600000 1500.000000000 0.300000000" "storage: price split"
check_eq "$(get $D1 storage_bytes .cost)" 0.726600000 "storage: cost"
check_eq "$(get $D1 storage_bytes '[.allocations[] | .tenant, .cost] | join(" ")')" \
    "acme 0.126400000 globex 0.600200000" "storage: owner split"

# cpu_seconds, increase: 5000 -> 12200 (+7200), -> 800 (a reset: +800),
#   -> 4400 (+3600) = 11600 s
# quantity = round9(11600 / 3600) = round9(3.2222...) = 3.222222222
# Each step goes to the piece of its later sample: +7200 (08:00) and +800
# (16:00) to [08,18), +3600 (23:00) to [18,24); nothing to acme's [00,08).
#   [00,08): 0; [08,18): round9(8000 / 3600) = 2.222222222;
#   [18,24): 3.222222222 - 2.222222222 = 1
#   costs: 0; round9(2.222222222 * 0.045) = round9(0.09999999999) = 0.1;
#   1 * 0.045 = 0.045; cost = 0.145, acme 0, globex 0.145
check_eq "$(get $D1 cpu_seconds '[.value, .quantity, .cost] | join(" ")')" \
    "11600.000000000 3.222222222 0.145000000" "cpu: increase, quantity, cost"
check_eq "$(get $D1 cpu_seconds '[.allocations[].cost] | join(" ")')" \
    "0.000000000 0.145000000" "cpu: owner split"

# iops, avg (not additive: split by time share; its price does not change,
# so the pieces are acme's 8 h and globex's 16 h):
#   (1000.5 + 2000.25 + 3000.1) / 3 = 6000.85 / 3
#   = 2000.28333... -> 2000.283333333
# quantity = round9(2000.283333333 / 720) = round9(2.77817129629...)
#   = 2.778171296
# pieces: acme round9(2.778171296 * 8 / 24) = round9(0.926057098666...)
#   = 0.926057099; globex 2.778171296 - 0.926057099 = 1.852114197
# costs: round9(0.0926057099) = 0.092605710; round9(0.1852114197)
#   = 0.185211420; cost = 0.27781713 (= round9(2.778171296 * 0.10) here)
check_eq "$(get $D1 iops '[.value, .quantity, .cost] | join(" ")')" \
    "2000.283333333 2.778171296 0.277817130" "iops: avg, quantity, cost"
check_eq "$(get $D1 iops '[.allocations[].cost] | join(" ")')" \
    "0.092605710 0.185211420" "iops: owner split"

# Window 2: 250 GiB for 24 h = 6000 GiB-hours at 0.0002 = 1.2, all globex.
check_eq "$(get $D2 storage_bytes '[.quantity, .cost, .tenant] | join(" ")')" \
    "6000.000000000 1.200000000 globex" "window 2: storage"

# The window lines: window 1 had 1 duplicate and 1 conflict.
check_eq "$(jq -c 'select(.type == "window") | [.usage_rows, .duplicates, .conflicts]' result | tr '\n' ' ')" \
    "[3,1,1] [1,0,0] " "window counts"

# In all: 0.7266 + 0.145 + 0.27781713 + 1.2 = 2.34941713; acme 0.1264 + 0 +
# 0.09260571 = 0.21900571; globex 0.6002 + 0.145 + 0.18521142 + 1.2 =
# 2.13041142; together 2.34941713 again: the shares add up to the costs
# exactly, which the strings above already show line by line.

done_testing
