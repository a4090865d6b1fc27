// tests/bench/peers/pipeline-duckdb.mjs: the bf pipeline's job without bf,
// for make bench (tests/bench/pipeline.sh), with DuckDB through its node
// client (the npm package @duckdb/node-api, installed by the bench into a
// cache directory: --modules names the directory that holds node_modules).
//
// It does the job of peers/pipeline.py, the way a DuckDB user would: SQL
// where SQL does it exactly, node's BigInt where DuckDB would not (DuckDB
// divides DECIMALs in DOUBLE):
//
//   - DuckDB reads the NDJSON file as lines (read_csv, one column), parses
//     each with its JSON functions and validates it against the data
//     contract (the SQL checks are made from the contract: required, type,
//     const, minLength, pattern, format date-time, minimum; x-bf-metrics:
//     canonical unit, accepted units with their factors, bounds, integer);
//     values are read from the line's own text into DECIMAL(38,9), never
//     through a double; rejects go to the DLQ file (COPY ... FORMAT json)
//     with the line, its number and an error code;
//   - samples made unique by time (equal values are duplicates, otherwise
//     the greatest wins), and per instance, metric and daily window the
//     exact DECIMAL(38,9) time-weighted integral, the samples, the finest
//     resolution, the covered seconds and the sources, in SQL;
//   - where a price or the owner changes inside a window, the window cut
//     at each change into pieces and each piece's exact integral (the
//     part of the window in it) in SQL, as bf(7) "Price and owner changes
//     inside a window" says (the demo rate card has integral metrics only,
//     the one aggregate this peer knows);
//   - the rate card (effective-dated: each piece's quantity from its own
//     integral, the last piece taking the remainder, priced at its price)
//     and the tenants owning the instance (each one's allocation the sum
//     of its pieces' costs): BigInt nine-place decimals rounded half even,
//     as bf and the Python peer do;
//   - loading into its own DuckDB file: per window one transaction that
//     upserts the usage rows (DECIMAL(38,9) columns, a SHA-256 digest of
//     each row's canonical form), appends a charge per row to the ledger
//     with a SHA-256 hash chain per partition and records the window; after
//     the commit a checkpoint file per partition (written, fsync'd,
//     renamed).
//
// DuckDB's cast of a text to DECIMAL(38,9) rounds a tie in the tenth
// decimal away from zero where bf rounds it to even: bf-gen's values have
// at most two decimals.
//
// Usage: pipeline-duckdb.mjs --modules DIR --from DAY --to DAY
//        --instances FILE --data FILE --contract FILE --rates FILE
//        --tenants FILE --db FILE --state DIR --dlq FILE [--now TIME]
//        pipeline-duckdb.mjs --modules DIR --dump DB
// --dump prints the usage rows of DB as sqlite3 prints bf's (instance_id,
// metric, window_start, tenant, value, samples, expected_samples, coverage,
// quantity, unit_price, cost, allocations; "|" between them, sorted).
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const DAY = 86400;
// BF_PEER_TRACE=1: on standard error, the milliseconds since the previous
// mark at each mark (the mark names the step that starts)
let tlast = Date.now();
const T = (w) => {
	if (process.env.BF_PEER_TRACE) console.error(`${Date.now() - tlast} ms, then ${w}`);
	tlast = Date.now();
};
const ZERO64 = '0'.repeat(64);
const DT_RE = '^\\d{4}-\\d\\d-\\d\\d[Tt]\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?([Zz]|[+-]\\d\\d:\\d\\d)$';

function args(argv) {
	const o = {};
	for (let i = 0; i < argv.length; i += 2) {
		if (!argv[i].startsWith('--') || i + 1 >= argv.length)
			throw new Error(`usage: bad argument ${argv[i]}`);
		o[argv[i].slice(2)] = argv[i + 1];
	}
	return o;
}

// --- nine-place decimals as BigInt (the value times 10^9) ---
const E9 = 1000000000n;
function dec(s) {
	s = String(s).trim();
	let neg = false;
	if (s[0] === '-' || s[0] === '+') { neg = s[0] === '-'; s = s.slice(1); }
	let [i, f = ''] = s.split('.');
	if (f.length > 9) throw new Error(`more than nine decimals: ${s}`);
	const v = BigInt(i || '0') * E9 + BigInt((f + '000000000').slice(0, 9));
	return neg ? -v : v;
}
function f9(v) {
	const neg = v < 0n;
	if (neg) v = -v;
	return (neg ? '-' : '') + (v / E9).toString() + '.' + (v % E9).toString().padStart(9, '0');
}
function divHalfEven(n, d) { // n / d rounded half even, d > 0
	let q = n / d, r = n % d;
	if (r < 0n) { q -= 1n; r += d; }
	const twice = 2n * r;
	if (twice > d || (twice === d && (q & 1n) === 1n)) q += 1n;
	return q;
}

const epoch = (s) => Math.floor(Date.parse(s.length === 10 ? s + 'T00:00:00Z' : s) / 1000);
const stamp = (t) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const sqlstr = (s) => "'" + String(s).replace(/'/g, "''") + "'";
const canon = (o) => JSON.stringify(o);
const sha256 = (s) => createHash('sha256').update(s).digest('hex');

function readCsv(file) {
	const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length);
	const head = lines[0].split(',');
	return lines.slice(1).map((l, i) => {
		const r = l.split(','), d = { line: i + 2 };
		head.forEach((h, j) => { d[h] = r[j] ?? ''; });
		return d;
	});
}
const interval = (a, b) => [a ? epoch(a) : -(2 ** 52), b ? epoch(b) : 2 ** 52];

function loadRates(file) {
	const rates = new Map();
	for (const d of readCsv(file)) {
		const [lo, hi] = interval(d.effective_from, d.effective_to);
		if (!rates.has(d.metric)) rates.set(d.metric, []);
		rates.get(d.metric).push({ line: d.line, from: lo, to: hi, unit: d.unit,
		    aggregate: d.aggregate, usage_unit: d.usage_unit,
		    mult: dec(d.multiplier || '1'), div: dec(d.divisor || '1'),
		    price: dec(d.unit_price), currency: d.currency });
	}
	return rates;
}
function loadTenants(file) {
	const owners = new Map();
	for (const d of readCsv(file)) {
		const [lo, hi] = interval(d.effective_from, d.effective_to);
		if (!owners.has(d.instance_id)) owners.set(d.instance_id, []);
		owners.get(d.instance_id).push([lo, hi, d.tenant, d.cost_center]);
	}
	for (const v of owners.values())
		v.sort((a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2]));
	return owners;
}
function ownersOver(owners, inst, ws, we) {
	const spans = [];
	let t = ws;
	for (const [lo, hi, tenant, cc] of owners.get(inst) ?? []) {
		const a = Math.max(lo, ws), b = Math.min(hi, we);
		if (a >= b) continue;
		if (a > t) spans.push([t, a, 'unallocated', '']);
		spans.push([a, b, tenant, cc]);
		t = b;
	}
	if (t < we) spans.push([t, we, 'unallocated', '']);
	return spans;
}

// The rates of a metric over [ws, we), the owners' spans and the pieces
// the window is cut into at each price and owner change inside it
// ([a, b, rate, index of the owner span], in time order); null when the
// rates do not cover the window (missing_rate).
function windowPieces(part, metric, ws, we, rates, owners) {
	const rs = (rates.get(metric) ?? []).filter((r) => r.from < we && r.to > ws);
	let covered = 0;
	for (const r of rs) covered += Math.min(r.to, we) - Math.max(r.from, ws);
	if (!rs.length || covered !== we - ws) return null;
	const own = ownersOver(owners, part, ws, we);
	const cuts = new Set([ws, we]);
	for (const r of rs) for (const x of [r.from, r.to]) if (x > ws && x < we) cuts.add(x);
	for (const [a, b] of own) for (const x of [a, b]) if (x > ws && x < we) cuts.add(x);
	const cs = [...cuts].sort((x, y) => x - y), ps = [];
	for (let i = 0; i + 1 < cs.length; i++) {
		const a = cs[i];
		ps.push([a, cs[i + 1], rs.find((r) => r.from <= a && a < r.to),
		    own.findIndex(([lo, hi]) => lo <= a && a < hi)]);
	}
	return { rs, own, ps };
}

// The contract's checks as one SQL CASE giving the error code (NULL: the
// sample passes), in the order of the Python peer. The sample is the JSON
// text in column "line"; its metric rule is joined as m (m_* columns).
function fieldsOf(c) {
	const f = ['type', 'instance_id', 'metric', 'ts', 'value', 'unit', 'source', 'resolution'];
	for (const p of [...(c.required ?? []), ...Object.keys(c.properties ?? {})])
		if (!f.includes(p)) f.push(p);
	return f;
}
function contractSql(c) {
	const f = fieldsOf(c);
	const jt = (p) => `jt[${f.indexOf(p) + 1}]`;
	const js = (p) => `js[${f.indexOf(p) + 1}]`;
	const num = (p) => `${jt(p)} IN ('BIGINT', 'UBIGINT', 'DOUBLE')`;
	const types = {
		string: (p) => `${jt(p)} = 'VARCHAR'`,
		number: num,
		integer: (p) => `(${jt(p)} IN ('BIGINT', 'UBIGINT') OR (${jt(p)} = 'DOUBLE' AND ` +
		    `TRY_CAST(${js(p)} AS DOUBLE) = floor(TRY_CAST(${js(p)} AS DOUBLE))))`,
		object: (p) => `${jt(p)} = 'OBJECT'`,
		array: (p) => `${jt(p)} = 'ARRAY'`,
		boolean: (p) => `${jt(p)} = 'BOOLEAN'`,
	};
	const w = [];
	const when = (cond, code) => w.push(`WHEN ${cond} THEN ${sqlstr(code)}`);
	when('m_canon IS NULL', 'unknown_metric');
	when(`${jt('value')} IS NULL`, 'missing_field');
	when(`NOT (${num('value')})`, 'wrong_type');
	when('NOT (abs(TRY_CAST(vtext AS DOUBLE)) < 1.7e29)', 'number_overflow');
	when('m_fac IS NULL', 'unknown_unit');
	// partition, window_start and window_end: what bf-fetch adds, the
	// peer's own well-formed values
	const ours = new Set(['partition', 'window_start', 'window_end']);
	for (const r of c.required ?? [])
		if (!ours.has(r)) when(`${jt(r)} IS NULL`, 'missing_field');
	for (const [p, d] of Object.entries(c.properties ?? {})) {
		if (ours.has(p)) continue;
		const pre = `${jt(p)} IS NOT NULL AND `;
		if (d.type) when(pre + `NOT (${types[d.type](p)})`, 'wrong_type');
		if (d.const !== undefined) {
			const eq = typeof d.const === 'string' ?
			    `${jt(p)} = 'VARCHAR' AND ${js(p)} = ${sqlstr(d.const)}` :
			    `json_extract(line, ${sqlstr('$.' + p)})::VARCHAR = ${sqlstr(JSON.stringify(d.const))}`;
			when(pre + `NOT (${eq})`, 'const');
		}
		if (d.minLength !== undefined)
			when(pre + `length(${js(p)}) < ${d.minLength}`, 'too_short');
		if (d.pattern !== undefined)
			when(pre + `NOT regexp_matches(${js(p)}, ${sqlstr(d.pattern)})`, 'pattern');
		if (d.format === 'date-time')
			when(pre + `NOT regexp_full_match(${js(p)}, ${sqlstr(DT_RE)})`, 'format');
		if (d.minimum !== undefined)
			when(pre + `TRY_CAST(${js(p)} AS DOUBLE) < ${Number(d.minimum)}`, 'out_of_range');
	}
	when('val IS NULL', 'number_overflow');
	when('m_min IS NOT NULL AND val < m_min', 'out_of_range');
	when('m_max IS NOT NULL AND val > m_max', 'out_of_range');
	when('m_integer AND val <> trunc(val)', 'not_integer');
	return `CASE ${w.join('\n\t')} END`;
}

function metricRows(c) {
	const rows = [];
	for (const [m, r] of Object.entries(c['x-bf-metrics'] ?? {})) {
		const units = { [r.unit]: '1', ...(r.units ?? {}) };
		for (const [u, fac] of Object.entries(units))
			rows.push(`(${sqlstr(m)}, ${sqlstr(r.unit)}, ${sqlstr(u)}, ${sqlstr(fac)}::DECIMAL(38,9), ` +
			    `${r.minimum ?? 'NULL'}::DECIMAL(38,9), ${r.maximum ?? 'NULL'}::DECIMAL(38,9), ${!!r.integer})`);
	}
	return rows.join(',\n');
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS usage (instance_id VARCHAR NOT NULL, metric VARCHAR NOT NULL,
  window_start VARCHAR NOT NULL, window_end VARCHAR NOT NULL, partition VARCHAR NOT NULL,
  tenant VARCHAR NOT NULL, aggregate VARCHAR, value DECIMAL(38,9), samples INTEGER,
  expected_samples INTEGER, coverage DECIMAL(38,9), quantity DECIMAL(38,9), usage_unit VARCHAR,
  unit_price DECIMAL(38,9), cost DECIMAL(38,9) NOT NULL, currency VARCHAR NOT NULL,
  allocations VARCHAR, source VARCHAR, digest VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
  loaded_at VARCHAR NOT NULL, PRIMARY KEY (instance_id, metric, window_start, window_end));
CREATE TABLE IF NOT EXISTS ledger (partition VARCHAR NOT NULL, seq INTEGER NOT NULL,
  kind VARCHAR NOT NULL, tenant VARCHAR NOT NULL, instance_id VARCHAR NOT NULL,
  metric VARCHAR NOT NULL, window_start VARCHAR NOT NULL, window_end VARCHAR NOT NULL,
  amount DECIMAL(38,9) NOT NULL, currency VARCHAR NOT NULL, reason VARCHAR NOT NULL,
  source VARCHAR, run_id VARCHAR NOT NULL, usage_digest VARCHAR NOT NULL,
  program_version VARCHAR NOT NULL, recorded_at VARCHAR NOT NULL, prev_hash VARCHAR NOT NULL,
  hash VARCHAR NOT NULL, PRIMARY KEY (partition, seq));
CREATE TABLE IF NOT EXISTS windows (partition VARCHAR NOT NULL, window_start VARCHAR NOT NULL,
  window_end VARCHAR NOT NULL, grid VARCHAR, usage_rows INTEGER NOT NULL, counts VARCHAR NOT NULL,
  digest VARCHAR NOT NULL, chain_head VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
  loaded_at VARCHAR NOT NULL, PRIMARY KEY (partition, window_start, window_end));`;

const UPSERT = `
  ON CONFLICT (instance_id, metric, window_start, window_end) DO UPDATE SET
  partition = excluded.partition, tenant = excluded.tenant, aggregate = excluded.aggregate,
  value = excluded.value, samples = excluded.samples, expected_samples = excluded.expected_samples,
  coverage = excluded.coverage, quantity = excluded.quantity, usage_unit = excluded.usage_unit,
  unit_price = excluded.unit_price, cost = excluded.cost, currency = excluded.currency,
  allocations = excluded.allocations, source = excluded.source, digest = excluded.digest,
  run_id = excluded.run_id, loaded_at = excluded.loaded_at
  WHERE usage.digest <> excluded.digest`;

// The usage rows of one window from its aggregates (sorted by metric) and
// the integrals of the pieces of the windows cut at a change (pieceVals:
// BigInts by instance, window and metric); null when the window fails (a
// metric without a rate over all of it, or in another unit than its
// rate's).
function usageRows(part, ws, we, aggs, rates, owners, pieceVals) {
	const rows = [];
	for (const a of aggs) {
		const wp = windowPieces(part, a.metric, ws, we, rates, owners);
		if (wp === null) return null; // missing_rate
		const { rs, own, ps } = wp;
		const rate = rs[0];
		if (a.units !== rate.unit) return null; // unit_mismatch
		const integral = dec(a.integral);
		const qty = divHalfEven(integral * rate.mult, rate.div);
		// each piece's quantity from its own integral, the last piece
		// the remainder; each piece's cost at its price; the cost and
		// each owner's allocation the sums of their pieces' costs
		const vals = ps.length === 1 ? [integral] :
		    pieceVals.get(part + '\0' + ws + '\0' + a.metric) ?? [];
		const ocost = own.map(() => 0n);
		let cost = 0n, acc = 0n;
		ps.forEach(([, , r, oi], i) => {
			const q = i === ps.length - 1 ? qty - acc :
			    divHalfEven((vals[i] ?? 0n) * r.mult, r.div);
			acc += q;
			const c = divHalfEven(q * r.price, E9);
			cost += c;
			ocost[oi] += c;
		});
		const allocs = own.map(([x, y, t, cc], i) => ({ tenant: t, cost_center: cc,
		    from: stamp(x), to: stamp(y), cost: f9(ocost[i]) }));
		const nprices = new Set(ps.map(([, , r]) => r)).size;
		const row = {
			instance_id: part, metric: a.metric, window_start: stamp(ws),
			window_end: stamp(we), partition: part,
			tenant: own.length === 1 ? own[0][2] : '',
			aggregate: rate.aggregate, value: f9(integral),
			samples: Number(a.samples),
			expected_samples: Math.ceil((we - ws) / Number(a.res)),
			coverage: f9(divHalfEven(BigInt(a.covered) * E9, BigInt(we - ws))),
			quantity: f9(qty), usage_unit: rate.usage_unit,
			unit_price: nprices === 1 ? f9(rate.price) : null,
			cost: f9(cost), currency: rate.currency,
			allocations: canon(allocs), source: a.sources || null,
		};
		row.digest = sha256(canon(row));
		rows.push(row);
	}
	return rows;
}

function writeCheckpoint(state, part, ck) {
	const file = path.join(state, part + '.ckpt'), tmp = file + '.tmp';
	const fd = fs.openSync(tmp, 'w', 0o600);
	fs.writeSync(fd, canon(ck) + '\n');
	fs.fsyncSync(fd);
	fs.closeSync(fd);
	fs.renameSync(tmp, file);
	const dfd = fs.openSync(state, 'r');
	fs.fsyncSync(dfd);
	fs.closeSync(dfd);
}

async function dump(duckdb, db) {
	const inst = await duckdb.DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
	const c = await inst.connect();
	const r = await c.runAndReadAll(`SELECT concat_ws('|', instance_id, metric, window_start,
	  tenant, value::VARCHAR, samples::VARCHAR, expected_samples::VARCHAR, coverage::VARCHAR,
	  quantity::VARCHAR, coalesce(unit_price::VARCHAR, ''), cost::VARCHAR, allocations)
	  FROM usage ORDER BY instance_id, metric, window_start`);
	const out = r.getRows().map((x) => x[0] + '\n').join('');
	process.stdout.write(out);
}

async function run(duckdb, o) {
	const t0 = epoch(o.from), t1 = epoch(o.to);
	const now = o.now ? epoch(o.now) : Math.floor(Date.now() / 1000);
	const instances = [...new Set(fs.readFileSync(o.instances, 'utf8').split('\n')
	    .map((l) => l.trim()).filter((l) => l))].sort();
	const contract = JSON.parse(fs.readFileSync(o.contract, 'utf8'));
	const rates = loadRates(o.rates), owners = loadTenants(o.tenants);
	const runId = stamp(Math.floor(Date.now() / 1000)) + '-' + process.pid;

	const inst = await duckdb.DuckDBInstance.create(o.db);
	const c = await inst.connect();
	await c.run(SCHEMA);
	await c.run(`CREATE TEMP TABLE instances (id VARCHAR PRIMARY KEY);
	  INSERT INTO instances VALUES ${instances.map((i) => `(${sqlstr(i)})`).join(', ')};
	  CREATE TEMP TABLE rules (m_metric VARCHAR, m_canon VARCHAR, m_unit VARCHAR,
	    m_fac DECIMAL(38,9), m_min DECIMAL(38,9), m_max DECIMAL(38,9), m_integer BOOLEAN);
	  INSERT INTO rules VALUES ${metricRows(contract)};`);
	// A number's text to DECIMAL(38,9). DuckDB's own cast from text to a
	// 128-bit DECIMAL is slow (some 10 us a value here): up to 18 digits
	// on either side of the point it goes through two 64-bit ones.
	await c.run(`CREATE TEMP MACRO dec9(x) AS CASE
	  WHEN regexp_full_match(x, '-?[0-9]{1,18}(\\.[0-9]{1,18})?') THEN
	    (CASE WHEN starts_with(x, '-') THEN -1 ELSE 1 END) *
	    (CAST(regexp_extract(x, '([0-9]+)', 1) AS DECIMAL(18,0))::DECIMAL(38,9) +
	     coalesce(CAST('0.' || nullif(regexp_extract(x, '\\.([0-9]+)', 1), '') AS DECIMAL(18,9)), 0))
	  ELSE TRY_CAST(x AS DECIMAL(38,9)) END`);
	// Read and route: the lines that are samples of a known instance with
	// a good time inside [from, to), each with its window.
	T('lines');
	await c.run(`CREATE TEMP TABLE lines AS
	  SELECT row_number() OVER () AS lineno, line FROM read_csv(${sqlstr(o.data)},
	    columns = {'line': 'VARCHAR'}, header = false, delim = E'\\x01', quote = '',
	    escape = '', auto_detect = false, new_line = '\\n')`);
	T('bad');
	await c.run(`CREATE TEMP TABLE bad AS SELECT lineno, line FROM lines WHERE NOT json_valid(line)`);
	T('valid');
	await c.run(`CREATE TEMP TABLE valid AS SELECT lineno, line FROM lines WHERE json_valid(line)`);
	await c.run('DROP TABLE lines');
	const paths = '[' + fieldsOf(contract).map((p) => sqlstr('$.' + p)).join(', ') + ']';
	const at = (p) => fieldsOf(contract).indexOf(p) + 1;
	T('routed');
	await c.run(`CREATE TEMP TABLE routed AS
	  SELECT lineno, line, jt, js, js[${at('instance_id')}] AS inst, t, t - t % ${DAY} AS ws,
	    vtext FROM (
	    SELECT lineno, line, jt, js,
	      regexp_extract(line, '"value"\\s*:\\s*(-?[0-9][0-9.eE+-]*)', 1) AS vtext,
	      epoch(TRY_CAST(js[${at('ts')}] AS TIMESTAMPTZ))::BIGINT AS t
	    FROM (SELECT lineno, line, json_type(line, ${paths}) AS jt,
	        json_extract_string(line, ${paths}) AS js FROM valid)
	    WHERE jt[${at('type')}] = 'VARCHAR' AND js[${at('type')}] = 'sample')
	  WHERE inst IN (SELECT id FROM instances) AND regexp_full_match(js[${at('ts')}], ${sqlstr(DT_RE)})
	    AND t >= ${t0} AND t < ${t1}`);
	await c.run('DROP TABLE valid');
	T('checked');
	await c.run(`CREATE TEMP TABLE checked AS
	  SELECT *, CASE WHEN t > ${now} THEN 'in_future' ELSE ${contractSql(contract)} END AS code
	  FROM (SELECT r.*, k.m_canon, m.m_fac, m.m_unit, m.m_min, m.m_max, m.m_integer,
	      CASE WHEN m.m_fac IS NULL THEN NULL
	        WHEN m.m_unit = m.m_canon THEN dec9(vtext)::DECIMAL(38,9)
	        ELSE try(round(dec9(vtext)::DECIMAL(38,9) * m.m_fac, 9)::DECIMAL(38,9)) END AS val
	    FROM routed r LEFT JOIN (SELECT DISTINCT m_metric AS mm, m_canon FROM rules) k
	      ON k.mm = r.js[${at('metric')}] AND r.jt[${at('metric')}] = 'VARCHAR'
	    LEFT JOIN rules m ON m.m_metric = r.js[${at('metric')}]
	      AND m.m_unit = r.js[${at('unit')}] AND r.jt[${at('unit')}] = 'VARCHAR')`);
	T('dlq');
	await c.run(`COPY (
	    SELECT 'reject' AS type, 'peer' AS stage, {'code': 'invalid_json',
	      'message': 'not a JSON text'} AS error, lineno AS line, NULL AS partition,
	      NULL AS window_start, NULL AS window_end, line AS raw FROM bad
	    UNION ALL
	    SELECT 'reject', 'peer', {'code': code, 'message': code}, lineno, inst,
	      strftime(to_timestamp(ws), '%Y-%m-%dT%H:%M:%SZ'),
	      strftime(to_timestamp(ws + ${DAY}), '%Y-%m-%dT%H:%M:%SZ'), line
	    FROM checked WHERE code IS NOT NULL ORDER BY line
	  ) TO ${sqlstr(o.dlq)} (FORMAT json)`);
	// Unique by time: the greatest value wins, the first of equal ones;
	// a later sample equal to the greatest so far is a duplicate, another
	// value a conflict.
	T('good');
	await c.run(`CREATE TEMP TABLE good AS
	  SELECT inst, js[${at('metric')}] AS metric, t, ws, val, m_canon AS unit,
	    coalesce(TRY_CAST(js[${at('resolution')}] AS BIGINT), ${DAY}) AS res,
	    js[${at('source')}] AS source, lineno
	  FROM checked WHERE code IS NULL`);
	T('uniq');
	await c.run(`CREATE TEMP TABLE uniq AS
	  SELECT inst, metric, t, ws, arg_max({'val': val, 'unit': unit, 'res': res, 'source': source},
	      (val, -lineno)) AS w FROM good GROUP BY inst, metric, t, ws`);
	T('counts');
	await c.run(`CREATE TEMP TABLE counts AS
	  SELECT inst, ws, count(*) AS fetched, count(*) FILTER (code IS NULL) AS accepted,
	    count(*) FILTER (code IS NOT NULL) AS rejected, sum(dup) AS duplicates,
	    sum(conflict) AS conflicts FROM (
	    SELECT *, CASE WHEN prev IS NOT NULL AND prev = val THEN 1 ELSE 0 END AS dup,
	      CASE WHEN prev IS NOT NULL AND prev <> val THEN 1 ELSE 0 END AS conflict FROM (
	      SELECT inst, ws, code, val, CASE WHEN code IS NULL THEN max(val) OVER (
	          PARTITION BY inst, js[${at('metric')}], t, code IS NULL
	          ORDER BY lineno ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) END AS prev
	      FROM checked))
	  GROUP BY inst, ws`);
	// The exact integral per instance, metric and window.
	T('aggregates');
	const aggs = await c.runAndReadAll(`
	  SELECT inst, ws, metric, sum(val * (nxt - t))::DECIMAL(38,9)::VARCHAR AS integral,
	    count(*) AS samples, min(res) AS res, sum(least(nxt - t, res)) AS covered,
	    string_agg(DISTINCT unit, ',') AS units,
	    string_agg(DISTINCT source, ',' ORDER BY source) AS sources
	  FROM (SELECT inst, ws, metric, t, w.val AS val, w.unit AS unit, w.res AS res, w.source AS source,
	      coalesce(lead(t) OVER (PARTITION BY inst, metric, ws ORDER BY t), ws + ${DAY}) AS nxt
	    FROM uniq)
	  GROUP BY inst, ws, metric ORDER BY inst, ws, metric`);
	const byWindow = new Map();
	for (const a of aggs.getRowObjectsJson()) {
		const k = a.inst + '\0' + a.ws;
		if (!byWindow.has(k)) byWindow.set(k, []);
		byWindow.get(k).push(a);
	}
	// The windows cut at a price or owner change inside them, and the
	// exact integral of each piece: each sample's value held from its
	// time to the next sample's (or the window end), cut at the pieces.
	T('pieces');
	const pieceRows = [];
	const metrics = [...rates.keys()].sort();
	for (const part of instances) {
		const at = new Set();
		for (const m of metrics)
			for (const r of rates.get(m)) at.add(r.from).add(r.to);
		for (const [lo, hi] of owners.get(part) ?? []) at.add(lo).add(hi);
		const wss = new Set([...at].filter((x) => x % DAY !== 0 && x >= t0 && x < t1)
		    .map((x) => x - (x % DAY)));
		for (const ws of wss) {
			for (const m of metrics) {
				const wp = windowPieces(part, m, ws, ws + DAY, rates, owners);
				if (wp === null || wp.ps.length < 2) continue;
				wp.ps.forEach(([a, b], k) => pieceRows.push(
				    `(${sqlstr(part)}, ${sqlstr(m)}, ${ws}, ${k}, ${a}, ${b})`));
			}
		}
	}
	const pieceVals = new Map();
	if (pieceRows.length) {
		await c.run(`CREATE TEMP TABLE pieces (inst VARCHAR, metric VARCHAR, ws BIGINT,
		    k INTEGER, a BIGINT, b BIGINT);
		  INSERT INTO pieces VALUES ${pieceRows.join(', ')}`);
		const pv = await c.runAndReadAll(`
		  SELECT p.inst, p.ws, p.metric, p.k,
		    sum(s.val * (least(s.nxt, p.b) - greatest(s.t, p.a)))::DECIMAL(38,9)::VARCHAR AS integral
		  FROM (SELECT u.inst, u.ws, u.metric, u.t, u.w.val AS val,
		      coalesce(lead(u.t) OVER (PARTITION BY u.inst, u.metric, u.ws ORDER BY u.t),
		        u.ws + ${DAY}) AS nxt
		    FROM uniq u JOIN (SELECT DISTINCT inst, metric, ws FROM pieces) w
		      ON u.inst = w.inst AND u.metric = w.metric AND u.ws = w.ws) s
		  JOIN pieces p ON p.inst = s.inst AND p.metric = s.metric AND p.ws = s.ws
		    AND s.t < p.b AND s.nxt > p.a
		  GROUP BY p.inst, p.ws, p.metric, p.k`);
		for (const x of pv.getRowObjectsJson()) {
			const key = x.inst + '\0' + x.ws + '\0' + x.metric;
			if (!pieceVals.has(key)) pieceVals.set(key, []);
			pieceVals.get(key)[Number(x.k)] = dec(x.integral);
		}
	}
	const countsOf = new Map();
	for (const x of (await c.runAndReadAll('SELECT * FROM counts')).getRowObjectsJson())
		countsOf.set(x.inst + '\0' + x.ws, x);

	T('load');
	// Load, one transaction per window.
	fs.mkdirSync(o.state, { recursive: true, mode: 0o700 });
	// insert(HEAD, TYPES, ROWS, TAIL): one statement for all ROWS, each
	// value a parameter cast to its column's type
	const insert = async (head, types, rows, tail = '') => {
		if (!rows.length) return;
		const vals = [], tuples = [];
		for (const r of rows) {
			tuples.push('(' + r.map((v, i) => {
				vals.push(v);
				return `$${vals.length}::${types[i]}`;
			}).join(', ') + ')');
		}
		await c.run(`${head} VALUES ${tuples.join(', ')} ${tail}`, vals);
	};
	const V = 'VARCHAR', D = 'DECIMAL(38,9)', I = 'INTEGER';
	const usageTypes = [V, V, V, V, V, V, V, D, I, I, D, D, V, D, D, V, V, V, V, V, V];
	const ledgerTypes = [V, I, V, V, V, V, V, V, D, V, V, V, V, V, V, V, V, V];
	const windowTypes = [V, V, V, V, I, V, V, V, V, V];
	const chain = new Map(), seqs = new Map(), ckpts = new Map();
	let failed = 0;
	for (const part of instances) {
		for (let ws = t0 - (t0 % DAY); ws < t1; ws += DAY) {
			const we = ws + DAY;
			const rows = usageRows(part, ws, we, byWindow.get(part + '\0' + ws) ?? [], rates, owners,
			    pieceVals);
			if (rows === null) { failed++; continue; }
			const nowS = stamp(Math.floor(Date.now() / 1000));
			let head = chain.get(part) ?? ZERO64, seq = seqs.get(part) ?? 0;
			await c.run('BEGIN');
			await insert('INSERT INTO usage', usageTypes, rows.map((r) => [r.instance_id,
			    r.metric, r.window_start, r.window_end, r.partition, r.tenant, r.aggregate,
			    r.value, r.samples, r.expected_samples, r.coverage, r.quantity, r.usage_unit,
			    r.unit_price, r.cost, r.currency, r.allocations, r.source, r.digest, runId,
			    nowS]), UPSERT);
			const charges = [];
			for (const r of rows) {
				seq++;
				const e = { partition: part, seq, kind: 'charge', tenant: r.tenant,
				    instance_id: r.instance_id, metric: r.metric, window_start: r.window_start,
				    window_end: r.window_end, amount: r.cost, currency: r.currency,
				    reason: 'first load', source: r.source, run_id: runId,
				    usage_digest: r.digest, program_version: 'peer 1', recorded_at: nowS,
				    prev_hash: head };
				head = sha256(canon(e));
				charges.push([...Object.values(e), head]);
			}
			await insert('INSERT INTO ledger', ledgerTypes, charges);
			const wdigest = sha256(rows.map((r) => r.digest + '\n').join(''));
			const n = countsOf.get(part + '\0' + ws) ?? {};
			await insert('INSERT OR REPLACE INTO windows', windowTypes, [[part, stamp(ws),
			    stamp(we), 'size=86400 phase=0 billing_day=1',
			    rows.length, canon({ fetched: Number(n.fetched ?? 0), accepted: Number(n.accepted ?? 0),
			      rejected: Number(n.rejected ?? 0), duplicates: Number(n.duplicates ?? 0),
			      conflicts: Number(n.conflicts ?? 0) }), wdigest, head, runId, nowS]]);
			await c.run('COMMIT');
			chain.set(part, head);
			seqs.set(part, seq);
			if (!ckpts.has(part)) ckpts.set(part, { partition: part, committed: [], windows: 0 });
			const ck = ckpts.get(part), last = ck.committed[ck.committed.length - 1];
			if (last && last[1] === stamp(ws)) last[1] = stamp(we);
			else ck.committed.push([stamp(ws), stamp(we)]);
			ck.windows++;
			ck.last_window = [stamp(ws), stamp(we)];
			ck.last_digest = wdigest;
			ck.chain_head = head;
			writeCheckpoint(o.state, part, ck);
		}
	}
	T('close');
	c.closeSync?.();
	inst.closeSync?.();
	return failed ? 1 : 0;
}

const o = args(process.argv.slice(2));
if (!o.modules) throw new Error('usage: --modules DIR is required');
const duckdb = createRequire(path.resolve(o.modules) + '/')('@duckdb/node-api');
if (o.dump) {
	await dump(duckdb, o.dump);
} else {
	for (const a of ['from', 'to', 'instances', 'data', 'contract', 'rates', 'tenants', 'db', 'state', 'dlq'])
		if (!o[a]) throw new Error(`usage: --${a} is required`);
	process.exitCode = await run(duckdb, o);
}
