# tests/lib/ledger.sh: the small known ledger of the bf-ledger tests, and
# its reports checked by hand (source after common.sh).
#
# The ledger (tests/man-fixtures/ledger-usage.ndjson, then
# ledger-usage-v2.ndjson), USD, billing day 1:
#   db-1 (tenant acme, cost centre cc-1), window 2026-01-01:
#     storage_bytes 480 GiB-Hours x 0.000158 = 0.075840000
#     cpu_seconds   6 vCPU-Hours  x 0.04     = 0.240000000,
#                   re-measured (v2) 6.479   = 0.259160000: correction
#                   +0.019160000
#   db-1, window 2026-02-01: cpu 5 x 0.04 = 0.200000000; storage
#     0.075840000, gone in v2: reversal -0.075840000
#   db-2, window 2026-01-01, two owners (no tenant): cpu 16.75 x 0.04 =
#     0.670000000, allocations globex (cc-7, 00:00-12:00) 0.335000000 and
#     initech (cc-9, 12:00-24:00) 0.335000000, one ledger charge each; the
#     quantity splits by
#     seconds: 8.375 each.
# January per tenant: acme 0.075840000 + 0.259160000 = 0.335000000,
# globex 0.335000000, initech 0.335000000; total 1.005000000. In cents the
# total rounds (half to even) to 1.00; each part rounded down is 0.33
# (0.99), the missing cent goes to the largest remainder, all three equal
# (0.005), so to the first line: acme 0.34, globex 0.33, initech 0.33.
# February: acme 0.200000000.
# Quotas (tests/man-fixtures/ledger-quotas.csv), January: acme cpu limit 6,
# used 6.479: 107.98 %, overage 0.479 costing 0.479 x 0.259160000 / 6.479
# = 0.019160000, exceeded; globex cpu limit 10, used 8.375: 83.75 %;
# initech storage limit 100, used 0; acme storage applies to 2026-02 only.

LF=$BF_TOP/tests/man-fixtures

# ledger_load TARGET STATE: the two loads.
ledger_load() {
	bf-load -d "$1" -s "$2" "$LF/ledger-usage.ndjson" >/dev/null &&
	bf-load -d "$1" -s "$2" "$LF/ledger-usage-v2.ndjson" >/dev/null
}

# ledger_reports TARGET TAG: every report into $T/TAG.NAME, exit statuses
# into $T/TAG.rcs. Run-specific values (chain hashes, entry hashes) are
# left out, so that two warehouses loaded alike compare equal.
ledger_reports() {
	_d=$1 _o=$T/$2; : >"$_o.rcs"
	_r() { _n2=$1; shift; _rc=0; "$@" >"$_o.$_n2" 2>"$_o.$_n2.err" || _rc=$?; echo "$_n2 $_rc" >>"$_o.rcs"; }
	_r cb bf-ledger -d "$_d" chargeback -p 2026-01 --cents
	_r cbcsv bf-ledger -d "$_d" chargeback -p 2026-01 -c -F csv
	_r cbtable bf-ledger -d "$_d" chargeback -p 2026-01 -c -F table
	_r cbby bf-ledger -d "$_d" chargeback -p 2026-01 -B cost-center,instance,metric -F table
	_r cbfeb bf-ledger -d "$_d" chargeback -p 2026-02 -F csv
	_r cb15 bf-ledger -d "$_d" chargeback -p 2026-01 -b 15 -F csv
	_r quota bf-ledger -d "$_d" quota -q "$LF/ledger-quotas.csv" -p 2026-01 -F csv
	_r canon bf-ledger -d "$_d" export --canonical
	_r focus sh -c 'bf-ledger -d "$1" export -F focus | rev | cut -d, -f2- | rev' sh "$_d"
	_r gaps bf-ledger -d "$_d" gaps -f 2026-01-01 -t 2026-02-03
	_r verify sh -c 'bf-ledger -d "$1" verify | jq -c "del(.chain_head)"' sh "$_d"
	# The report's figures (its data-bf-* markup), but for what names the
	# warehouse itself or its load: its target, the run ids, when the
	# corrections were recorded, and the chain heads.
	_r html sh -c 'rc=0; bf-ledger -d "$1" report -p 2026-01 -q "$2" \
	    --now 2026-03-01 -o "$3" || rc=$?
	    grep -o "data-bf-[a-z-]*=\"[^\"]*\"" "$3" |
	    grep -v "^data-bf-\(warehouse\|run-id\|corr-run-id\|corr-recorded-at\|verify-chain-head\)="
	    exit $rc' sh "$_d" "$LF/ledger-quotas.csv" "$_o.page.html"
}

# ledger_check TAG: the reports against the numbers above.
ledger_check() {
	_o=$T/$1
	cat >"$T/want" <<'EOF'
cb 0
cbcsv 0
cbtable 0
cbby 0
cbfeb 0
cb15 0
quota 4
canon 0
focus 0
gaps 0
verify 0
html 4
EOF
	check_file "$_o.rcs" "$T/want" "$1: exit statuses (quota exceeded: 4)"
	check_eq "$(sed -n 's/^data-bf-cents="\(.*\)"$/\1/p' "$_o.html" | tr '\n' ' ')" \
	    "34 33 33 100 34 33 33 100 " \
	    "$1: the report's cents per tenant, per cost centre, and totals"
	jq -r '[.type, .tenant // "-", .usage_rows, .cost, .rounded] | join(" ")' "$_o.cb" >"$T/got"
	cat >"$T/want" <<'EOF'
chargeback acme 2 0.335000000 0.34
chargeback globex 1 0.335000000 0.33
chargeback initech 1 0.335000000 0.33
total - 4 1.005000000 1.00
EOF
	check_file "$T/got" "$T/want" "$1: chargeback January in cents: the tied cent goes to the first line"
	cat >"$T/want" <<'EOF'
type,period,period_start,period_end,tenant,currency,usage_rows,cost,rounded
chargeback,2026-01,2026-01-01T00:00:00Z,2026-02-01T00:00:00Z,acme,USD,2,0.335000000,0.34
chargeback,2026-01,2026-01-01T00:00:00Z,2026-02-01T00:00:00Z,globex,USD,1,0.335000000,0.33
chargeback,2026-01,2026-01-01T00:00:00Z,2026-02-01T00:00:00Z,initech,USD,1,0.335000000,0.33
total,2026-01,2026-01-01T00:00:00Z,2026-02-01T00:00:00Z,,USD,4,1.005000000,1.00
EOF
	check_file "$_o.cbcsv" "$T/want" "$1: chargeback as CSV"
	cat >"$T/want" <<'EOF'
TENANT   CURRENCY  USAGE ROWS         COST  ROUNDED
acme     USD                2  0.335000000     0.34
globex   USD                1  0.335000000     0.33
initech  USD                1  0.335000000     0.33
TOTAL    USD                4  1.005000000     1.00
EOF
	check_file "$_o.cbtable" "$T/want" "$1: chargeback as a table"
	cat >"$T/want" <<'EOF'
TENANT   COST CENTER  INSTANCE ID  METRIC         CURRENCY  USAGE ROWS         COST
acme     cc-1         db-1         cpu_seconds    USD                1  0.259160000
acme     cc-1         db-1         storage_bytes  USD                1  0.075840000
globex   cc-7         db-2         cpu_seconds    USD                1  0.335000000
initech  cc-9         db-2         cpu_seconds    USD                1  0.335000000
TOTAL    -            -            -              USD                4  1.005000000
EOF
	check_file "$_o.cbby" "$T/want" "$1: chargeback by cost centre, instance and metric"
	cat >"$T/want" <<'EOF'
type,period,period_start,period_end,tenant,currency,usage_rows,cost
chargeback,2026-02,2026-02-01T00:00:00Z,2026-03-01T00:00:00Z,acme,USD,1,0.200000000
total,2026-02,2026-02-01T00:00:00Z,2026-03-01T00:00:00Z,,USD,1,0.200000000
EOF
	check_file "$_o.cbfeb" "$T/want" "$1: chargeback February: the reversed storage row is not billed"
	cat >"$T/want" <<'EOF'
type,period,period_start,period_end,tenant,currency,usage_rows,cost
chargeback,2026-01,2026-01-15T00:00:00Z,2026-02-15T00:00:00Z,acme,USD,1,0.200000000
total,2026-01,2026-01-15T00:00:00Z,2026-02-15T00:00:00Z,,USD,1,0.200000000
EOF
	check_file "$_o.cb15" "$T/want" "$1: billing day 15: period 2026-01 holds February 1"
	cat >"$T/want" <<'EOF'
type,period,tenant,metric,unit,limit,used,percent,overage,overage_cost,currency,status
quota,2026-01,acme,cpu_seconds,vCPU-Hours,6.000000000,6.479000000,107.98,0.479000000,0.019160000,USD,exceeded
quota,2026-01,globex,cpu_seconds,vCPU-Hours,10.000000000,8.375000000,83.75,0.000000000,0.000000000,USD,ok
quota,2026-01,initech,storage_bytes,GiB-Hours,100.000000000,0.000000000,0.00,0.000000000,0.000000000,,ok
EOF
	check_file "$_o.quota" "$T/want" "$1: quotas January"
	jq -r 'select(.table == "ledger") | [.partition, .kind, .metric, .window_start[5:10], .amount] | join(" ")' "$_o.canon" >"$T/got"
	cat >"$T/want" <<'EOF'
db-1 charge cpu_seconds 01-01 0.240000000
db-1 charge cpu_seconds 02-01 0.200000000
db-1 charge storage_bytes 01-01 0.075840000
db-1 charge storage_bytes 02-01 0.075840000
db-1 correction cpu_seconds 01-01 0.019160000
db-1 reversal storage_bytes 02-01 -0.075840000
db-2 charge cpu_seconds 01-01 0.335000000
db-2 charge cpu_seconds 01-01 0.335000000
EOF
	check_file "$T/got" "$T/want" "$1: canonical export: the ledger, sorted"
	check_eq "$(jq -r 'select(.table == "usage") | .cost' "$_o.canon" | tr '\n' ' ')" \
	    "0.259160000 0.200000000 0.075840000 0.670000000 " "$1: canonical export: the usage rows"
	cat >"$T/want" <<'EOF'
{"type":"gap","partition":"db-1","gap_start":"2026-01-02T00:00:00Z","gap_end":"2026-02-01T00:00:00Z"}
{"type":"gap","partition":"db-1","gap_start":"2026-02-02T00:00:00Z","gap_end":"2026-02-03T00:00:00Z"}
{"type":"gap","partition":"db-2","gap_start":"2026-01-02T00:00:00Z","gap_end":"2026-02-03T00:00:00Z"}
EOF
	check_file "$_o.gaps" "$T/want" "$1: gaps"
	cat >"$T/want" <<'EOF'
{"partition":"db-1","status":"ok","entries":6,"windows":2,"usage_rows":3,"checkpoint":"none","problems":0}
{"partition":"db-2","status":"ok","entries":2,"windows":1,"usage_rows":1,"checkpoint":"none","problems":0}
EOF
	check_file "$_o.verify" "$T/want" "$1: verify"
	check_eq "$(cut -d, -f1 "$_o.focus" | tail -n +2 | tr '\n' ' ')" \
	    "0.240000000 0.075840000 0.200000000 0.075840000 0.019160000 -0.075840000 0.335000000 0.335000000 " \
	    "$1: FOCUS BilledCost per entry (multi-owner split)"
}

. "$BF_TOP/tests/lib/unguard.sh"

# Tampering. The caller defines fresh NAME (prints a new TARGET holding the
# known ledger, its checkpoints copied to $T/NAME.st) and sql TARGET STMT.
# tamper NAME EXPECT STMT...: runs the statements, then verify --state;
# EXPECT is "partition check problem seq" of the first problem reported.
tamper() {
	_name=$1 _want=$2; shift 2
	_t=$(fresh "$_name")
	for _s in "$@"; do sql "$_t" "$_s" || fail "$_name: $_s"; done
	run_prog bf-ledger -d "$_t" verify --state "$T/$_name.st"
	check_rc 3 "$_name: verify fails"
	_got=$(jq -r 'select(.status == "failed") | [.partition, .first.check, .first.problem, .first.seq // "-"] | join(" ")' "$T/out" | head -1)
	check_eq "$_got" "$_want" "$_name: names the first damage"
}

tamper_cases() {
	tamper edit "db-1 chain edited 3" \
	    "UPDATE ledger SET amount = '0.300000000' WHERE partition = 'db-1' AND seq = 3"
	tamper delete "db-1 chain deleted 3" \
	    "DELETE FROM ledger WHERE partition = 'db-1' AND seq = 3"
	tamper reorder "db-1 chain out_of_order 2" \
	    "UPDATE ledger SET seq = -seq WHERE partition = 'db-1' AND seq IN (2, 3)" \
	    "UPDATE ledger SET seq = 5 + seq WHERE partition = 'db-1' AND seq IN (-2, -3)"
	tamper insert "db-1 chain out_of_order 7" \
	    "INSERT INTO ledger SELECT partition, 7, kind, tenant, instance_id, metric, window_start, window_end, amount, currency, reason, source, run_id, usage_digest, program_version, recorded_at, prev_hash, hash FROM ledger WHERE partition = 'db-1' AND seq = 2"
	tamper tail "db-1 window tail_deleted 5" \
	    "DELETE FROM ledger WHERE partition = 'db-1' AND seq >= 5"
	# The tail deleted and the windows made to agree: the checkpoint,
	# outside the database, still tells.
	tamper tail-hidden "db-1 checkpoint tail_deleted 5" \
	    "UPDATE windows SET chain_head = (SELECT hash FROM ledger WHERE partition = 'db-1' AND seq = 4) WHERE partition = 'db-1'" \
	    "DELETE FROM ledger WHERE partition = 'db-1' AND seq >= 5"
	tamper usage-edit "db-1 usage edited -" \
	    "UPDATE usage SET cost = '0.300000000' WHERE metric = 'cpu_seconds' AND window_start = '2026-02-01T00:00:00Z'"
	tamper window-deleted "db-2 usage orphan -" \
	    "DELETE FROM windows WHERE partition = 'db-2'"
}
