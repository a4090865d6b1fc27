#!/usr/bin/env python3
"""tests/bench/peers/pipeline.py: the bf pipeline's job without bf, for
make bench (tests/bench/pipeline.sh), in Python 3 with the standard library
only (json, decimal, sqlite3, csv, hashlib).

It does what bf-window | bf-fetch --source file | bf-validate |
bf-aggregate | bf-load do on bf-gen output, the way a careful user would
write it by hand:

  - windows: daily windows [from, to) per instance of the instance list;
    a sample belongs to the window of its instance and UTC day;
  - validation against the data contract (the JSON Schema subset the demo
    contract uses: required, type, const, minLength, pattern, format
    date-time, minimum; and x-bf-metrics: canonical unit, accepted units
    with exact factors, bounds, integer), values read as exact decimals
    (json parse_float=Decimal) and rounded half-even to 9 places, rejects
    written to a DLQ with the original line and an error code;
  - aggregation with Decimal: per (instance, metric, window) samples made
    unique by time (equal values are duplicates, otherwise the greatest
    wins), the time-weighted integral, fidelity (resolution, expected
    samples, coverage), quantity = integral x multiplier / divisor, priced
    with the effective-dated rate card and split between the tenants
    owning the instance: where a price or the owner changes inside the
    window, the window is cut into pieces at each change, each piece's
    quantity is the integral of the part of the window in it (bf(7) "Price
    and owner changes inside a window"; the demo rate card has integral
    metrics only, the one aggregate this peer knows), the last piece takes
    the remainder, each piece's cost is its quantity at its price, and the
    row's cost and each tenant's allocation are sums of pieces' costs;
  - loading into SQLite (WAL, synchronous=FULL, the same tables as bf-load):
    per window one transaction that upserts its usage rows (each with the
    SHA-256 digest of its canonical form), appends a charge to the ledger
    per row with a SHA-256 hash chain per partition, records the window;
    after the commit a checkpoint file per partition, written to a
    temporary file, fsync'd and renamed.

Usage: pipeline.py --from DAY --to DAY --instances FILE --data FILE
       --contract FILE --rates FILE --tenants FILE --db FILE --state DIR
       --dlq FILE [--now TIME]
"""
import argparse
import csv
import datetime
import decimal
import hashlib
import json
import os
import re
import sqlite3
import sys
from decimal import Decimal

decimal.getcontext().prec = 80
Q9 = Decimal("1e-9")
DAY = 86400
LIMIT = Decimal("1.7e29")
ZERO64 = "0" * 64


def r9(d):
    return d.quantize(Q9, rounding=decimal.ROUND_HALF_EVEN)


def f9(d):
    return format(r9(d), "f")


DT_RE = re.compile(r"^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$")


def epoch(s):
    """RFC 3339 (or a date) to epoch seconds."""
    if len(s) == 10:
        s += "T00:00:00Z"
    return int(datetime.datetime.fromisoformat(s.replace("z", "Z")).timestamp())


def stamp(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


class Reject(Exception):
    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code


def is_number(v):
    return (isinstance(v, (int, Decimal)) and not isinstance(v, bool))


JSON_TYPES = {
    "string": lambda v: isinstance(v, str),
    "number": is_number,
    "integer": lambda v: (is_number(v) and v == int(v)),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
}


class Contract:
    def __init__(self, path):
        with open(path) as f:
            c = json.load(f, parse_float=Decimal)
        self.required = c.get("required", [])
        self.props = []
        for name, p in c.get("properties", {}).items():
            pat = re.compile(p["pattern"]) if "pattern" in p else None
            self.props.append((name, p.get("type"), p.get("const"),
                               p.get("minLength"), pat, p.get("format"),
                               p.get("minimum")))
        self.metrics = {}
        for m, r in c.get("x-bf-metrics", {}).items():
            units = {r["unit"]: Decimal(1)}
            for u, fac in r.get("units", {}).items():
                units[u] = Decimal(fac)
            mn = Decimal(str(r["minimum"])) if "minimum" in r else None
            mx = Decimal(str(r["maximum"])) if "maximum" in r else None
            self.metrics[m] = (r["unit"], units, mn, mx, r.get("integer", False))

    def check(self, s):
        """Check sample s; return (value, unit, factor) after conversion."""
        metric = s.get("metric")
        rule = self.metrics.get(metric) if isinstance(metric, str) else None
        if rule is None:
            raise Reject("unknown_metric", "metric %r is not in the contract" % (metric,))
        v = s.get("value")
        if v is None and "value" not in s:
            raise Reject("missing_field", "required field 'value' is missing")
        if not is_number(v):
            raise Reject("wrong_type", "value %r is not a number" % (v,))
        if abs(v) >= LIMIT:
            raise Reject("number_overflow", "value %s is out of range" % (v,))
        canon, units, mn, mx, integer = rule
        unit = s.get("unit")
        fac = units.get(unit) if isinstance(unit, str) else None
        if fac is None:
            raise Reject("unknown_unit", "unit %r is not accepted for %s" % (unit, metric))
        for name in self.required:
            if name not in s:
                raise Reject("missing_field", "required field %r is missing" % name)
        for name, typ, const, minlen, pat, fmt, minimum in self.props:
            if name not in s:
                continue
            x = s[name]
            if typ is not None and not JSON_TYPES[typ](x):
                raise Reject("wrong_type", "%s is not of type %s" % (name, typ))
            if const is not None and x != const:
                raise Reject("const", "%s is not %r" % (name, const))
            if minlen is not None and len(x) < minlen:
                raise Reject("too_short", "%s is too short" % name)
            if pat is not None and not pat.search(x):
                raise Reject("pattern", "%s %r does not match" % (name, x))
            if fmt == "date-time" and not DT_RE.match(x):
                raise Reject("format", "%s %r is not a date-time" % (name, x))
            if minimum is not None and x < minimum:
                raise Reject("out_of_range", "%s is below %s" % (name, minimum))
        val = r9(Decimal(v))
        if unit != canon:
            val = r9(val * fac)
        if mn is not None and val < mn:
            raise Reject("out_of_range", "value %s is below the minimum %s" % (val, mn))
        if mx is not None and val > mx:
            raise Reject("out_of_range", "value %s is above the maximum %s" % (val, mx))
        if integer and val != val.to_integral_value():
            raise Reject("not_integer", "value %s is not an integer" % val)
        return val, canon


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [(i + 2, r) for i, r in enumerate(rows[1:]) if r]


def interval(a, b):
    return (epoch(a) if a else -(1 << 62), epoch(b) if b else (1 << 62))


def load_rates(path):
    head, rows = read_csv(path)
    rates = {}
    for line, r in rows:
        d = dict(zip(head, r))
        lo, hi = interval(d["effective_from"], d["effective_to"])
        rates.setdefault(d["metric"], []).append({
            "line": line, "from": lo, "to": hi, "unit": d["unit"],
            "aggregate": d["aggregate"], "usage_unit": d["usage_unit"],
            "mult": Decimal(d["multiplier"] or 1), "div": Decimal(d["divisor"] or 1),
            "price": Decimal(d["unit_price"]), "currency": d["currency"]})
    return rates


def load_tenants(path):
    head, rows = read_csv(path)
    owners = {}
    for line, r in rows:
        d = dict(zip(head, r))
        lo, hi = interval(d["effective_from"], d["effective_to"])
        owners.setdefault(d["instance_id"], []).append(
            (lo, hi, d["tenant"], d["cost_center"]))
    for v in owners.values():
        v.sort()
    return owners


def pieces(ws, we, rs, own):
    """The window cut at each price and owner change inside it (bf(7)
    "Price and owner changes inside a window"): [(a, b, rate, owner span
    index)] in time order, each with one price and one owner."""
    cuts = {ws, we}
    for r in rs:
        cuts.update(x for x in (r["from"], r["to"]) if ws < x < we)
    for a, b, _, _ in own:
        cuts.update(x for x in (a, b) if ws < x < we)
    cuts = sorted(cuts)
    out = []
    for a, b in zip(cuts, cuts[1:]):
        r = next(r for r in rs if r["from"] <= a < r["to"])
        o = next(i for i, (lo, hi, _, _) in enumerate(own) if lo <= a < hi)
        out.append((a, b, r, o))
    return out


def piece_integrals(series, ts, we, cuts):
    """The integral of the series over each piece [a, b) of cuts: each
    sample's value held from its ts to the next sample (or the window end),
    split at the cuts."""
    vals = [Decimal(0)] * len(cuts)
    for i, t in enumerate(ts):
        nxt = ts[i + 1] if i + 1 < len(ts) else we
        v = series[t][0]
        for k, (a, b) in enumerate(cuts):
            lo, hi = max(a, t), min(b, nxt)
            if lo < hi:
                vals[k] += v * (hi - lo)
    return vals


def owners_over(owners, inst, ws, we):
    spans, t = [], ws
    for lo, hi, tenant, cc in owners.get(inst, []):
        a, b = max(lo, ws), min(hi, we)
        if a >= b:
            continue
        if a > t:
            spans.append((t, a, "unallocated", ""))
        spans.append((a, b, tenant, cc))
        t = b
    if t < we:
        spans.append((t, we, "unallocated", ""))
    return spans


def canon(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def usage_rows(part, ws, we, metrics, rates, owners):
    """The usage rows of one window, sorted by metric; None when it fails."""
    rows = []
    for metric in sorted(metrics):
        series = metrics[metric]
        rs = [r for r in rates.get(metric, []) if r["from"] < we and r["to"] > ws]
        if not rs or sum(min(r["to"], we) - max(r["from"], ws) for r in rs) != we - ws:
            return None  # missing_rate: the window fails
        rate = rs[0]
        units = {u for (_, u, _, _) in series.values()}
        if units != {rate["unit"]}:
            return None  # unit_mismatch
        ts = sorted(series)
        integral = Decimal(0)
        covered = 0
        res = min(series[t][2] for t in ts)
        for i, t in enumerate(ts):
            nxt = ts[i + 1] if i + 1 < len(ts) else we
            integral += series[t][0] * (nxt - t)
            covered += min(nxt - t, series[t][2])
        qty = r9(integral * rate["mult"] / rate["div"])
        # Cut at the price and owner changes: each piece's quantity by its
        # own integral (the last piece takes the remainder), its cost at
        # its price; the row's cost and each owner's allocation are the
        # sums of their pieces' costs.
        own = owners_over(owners, part, ws, we)
        ps = pieces(ws, we, rs, own)
        if len(ps) == 1:
            pvals = [integral]
        else:
            pvals = piece_integrals(series, ts, we, [(a, b) for a, b, _, _ in ps])
        cost, acc = Decimal(0), Decimal(0)
        ocost = [Decimal(0)] * len(own)
        for k, ((a, b, r, o), v) in enumerate(zip(ps, pvals)):
            q = qty - acc if k == len(ps) - 1 else r9(v * r["mult"] / r["div"])
            acc += q
            c = r9(q * r["price"])
            cost += c
            ocost[o] += c
        allocs = [{"tenant": t, "cost_center": cc, "from": stamp(a), "to": stamp(b),
                   "cost": f9(c)} for (a, b, t, cc), c in zip(own, ocost)]
        nprices = len({id(r) for _, _, r, _ in ps})
        sources = sorted({series[t][3] for t in ts if series[t][3]})
        row = {
            "instance_id": part, "metric": metric, "window_start": stamp(ws),
            "window_end": stamp(we), "partition": part,
            "tenant": own[0][2] if len(own) == 1 else "",
            "aggregate": rate["aggregate"], "value": f9(integral),
            "samples": len(ts), "expected_samples": -(-(we - ws) // res),
            "coverage": f9(Decimal(covered) / (we - ws)),
            "quantity": f9(qty), "usage_unit": rate["usage_unit"],
            "unit_price": f9(rate["price"]) if nprices == 1 else None,
            "cost": f9(cost), "currency": rate["currency"],
            "allocations": canon(allocs), "source": ",".join(sources) or None,
        }
        row["digest"] = hashlib.sha256(canon(row).encode()).hexdigest()
        rows.append(row)
    return rows


SCHEMA = """
CREATE TABLE IF NOT EXISTS usage (instance_id TEXT NOT NULL, metric TEXT NOT NULL, window_start TEXT NOT NULL, window_end TEXT NOT NULL, partition TEXT NOT NULL, tenant TEXT NOT NULL, aggregate TEXT, value TEXT, samples INTEGER, expected_samples INTEGER, coverage TEXT, quantity TEXT, usage_unit TEXT, unit_price TEXT, cost TEXT NOT NULL, currency TEXT NOT NULL, allocations TEXT, source TEXT, digest TEXT NOT NULL, run_id TEXT NOT NULL, loaded_at TEXT NOT NULL, PRIMARY KEY (instance_id, metric, window_start, window_end));
CREATE INDEX IF NOT EXISTS usage_by_window ON usage (partition, window_start, window_end);
CREATE TABLE IF NOT EXISTS ledger (partition TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, tenant TEXT NOT NULL, instance_id TEXT NOT NULL, metric TEXT NOT NULL, window_start TEXT NOT NULL, window_end TEXT NOT NULL, amount TEXT NOT NULL, currency TEXT NOT NULL, reason TEXT NOT NULL, source TEXT, run_id TEXT NOT NULL, usage_digest TEXT NOT NULL, program_version TEXT NOT NULL, recorded_at TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (partition, seq));
CREATE TABLE IF NOT EXISTS windows (partition TEXT NOT NULL, window_start TEXT NOT NULL, window_end TEXT NOT NULL, grid TEXT, usage_rows INTEGER NOT NULL, counts TEXT NOT NULL, digest TEXT NOT NULL, chain_head TEXT NOT NULL, run_id TEXT NOT NULL, loaded_at TEXT NOT NULL, PRIMARY KEY (partition, window_start, window_end));
"""
UPSERT = ("INSERT INTO usage VALUES (:instance_id, :metric, :window_start, :window_end, "
          ":partition, :tenant, :aggregate, :value, :samples, :expected_samples, :coverage, "
          ":quantity, :usage_unit, :unit_price, :cost, :currency, :allocations, :source, "
          ":digest, :run_id, :loaded_at) ON CONFLICT (instance_id, metric, window_start, "
          "window_end) DO UPDATE SET partition = excluded.partition, tenant = excluded.tenant, "
          "aggregate = excluded.aggregate, value = excluded.value, samples = excluded.samples, "
          "expected_samples = excluded.expected_samples, coverage = excluded.coverage, "
          "quantity = excluded.quantity, usage_unit = excluded.usage_unit, "
          "unit_price = excluded.unit_price, cost = excluded.cost, currency = excluded.currency, "
          "allocations = excluded.allocations, source = excluded.source, digest = excluded.digest, "
          "run_id = excluded.run_id, loaded_at = excluded.loaded_at "
          "WHERE usage.digest <> excluded.digest")


def write_checkpoint(state, part, ckpt):
    path = os.path.join(state, part + ".ckpt")
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(canon(ckpt) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)
    dfd = os.open(state, os.O_RDONLY)
    os.fsync(dfd)
    os.close(dfd)


def main():
    ap = argparse.ArgumentParser()
    for a in ("from", "to", "instances", "data", "contract", "rates", "tenants",
              "db", "state", "dlq"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--now", default=None)
    o = ap.parse_args()
    t0, t1 = epoch(o.__dict__["from"]), epoch(o.to)
    now = epoch(o.now) if o.now else int(datetime.datetime.now().timestamp())
    with open(o.instances) as f:
        instances = {l.strip() for l in f if l.strip()}
    contract = Contract(o.contract)
    rates = load_rates(o.rates)
    owners = load_tenants(o.tenants)
    run_id = stamp(int(datetime.datetime.now().timestamp())) + "-%d" % os.getpid()

    # Read, window, validate, group.
    windows = {}   # (partition, ws) -> {metric: {ts: (value, unit, res, source)}}
    counts = {}    # (partition, ws) -> [fetched, accepted, rejected, duplicates, conflicts]
    for part in instances:
        for ws in range(t0 - t0 % DAY, t1, DAY):
            windows[(part, ws)] = {}
            counts[(part, ws)] = [0, 0, 0, 0, 0]
    stamps = {}    # ws -> (window_start, window_end) as text
    dlq = open(o.dlq, "a")
    with open(o.data, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            try:
                s = json.loads(line, parse_float=Decimal)
            except ValueError as e:
                dlq.write(canon({"type": "reject", "stage": "peer", "error": {
                    "code": "invalid_json", "message": str(e)}, "line": lineno,
                    "raw": line.rstrip("\n")}) + "\n")
                continue
            if not isinstance(s, dict) or s.get("type") != "sample":
                continue
            inst, ts = s.get("instance_id"), s.get("ts")
            if inst not in instances or not isinstance(ts, str) or not DT_RE.match(ts):
                continue  # no window: bf-fetch would not route it
            t = epoch(ts)
            if t < t0 or t >= t1:
                continue
            ws = t - t % DAY
            key = (inst, ws)
            c = counts[key]
            c[0] += 1
            st = stamps.get(ws)
            if st is None:
                st = stamps[ws] = (stamp(ws), stamp(ws + DAY))
            s["partition"] = inst
            s["window_start"], s["window_end"] = st
            try:
                if t > now:
                    raise Reject("in_future", "ts %s is after now" % ts)
                val, unit = contract.check(s)
            except Reject as r:
                c[2] += 1
                dlq.write(canon({"type": "reject", "stage": "peer", "error": {
                    "code": r.code, "message": str(r)}, "line": lineno,
                    "partition": inst, "window_start": s["window_start"],
                    "window_end": s["window_end"], "raw": line.rstrip("\n")}) + "\n")
                continue
            c[1] += 1
            series = windows[key].setdefault(s["metric"], {})
            res = s.get("resolution") or DAY
            old = series.get(t)
            if old is not None:
                if old[0] == val:
                    c[3] += 1
                    continue
                c[4] += 1
                if old[0] > val:
                    continue
            series[t] = (val, unit, res, s.get("source"))
    dlq.flush()
    os.fsync(dlq.fileno())
    dlq.close()

    # Aggregate and load, one transaction per window.
    os.makedirs(o.state, mode=0o700, exist_ok=True)
    db = sqlite3.connect(o.db, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(SCHEMA)
    chain, seqs, ckpts = {}, {}, {}
    failed = 0
    for (part, ws) in sorted(windows):
        we = ws + DAY
        rows = usage_rows(part, ws, we, windows.pop((part, ws)), rates, owners)
        if rows is None:
            failed += 1
            continue
        now_s = stamp(int(datetime.datetime.now().timestamp()))
        head = chain.get(part, ZERO64)
        seq = seqs.get(part, 0)
        db.execute("BEGIN")
        for r in rows:
            r["run_id"] = run_id
            r["loaded_at"] = now_s
        db.executemany(UPSERT, rows)
        for r in rows:
            seq += 1
            e = {"partition": part, "seq": seq, "kind": "charge", "tenant": r["tenant"],
                 "instance_id": r["instance_id"], "metric": r["metric"],
                 "window_start": r["window_start"], "window_end": r["window_end"],
                 "amount": r["cost"], "currency": r["currency"], "reason": "first load",
                 "source": r["source"], "run_id": run_id, "usage_digest": r["digest"],
                 "program_version": "peer 1", "recorded_at": now_s, "prev_hash": head}
            head = hashlib.sha256(canon(e).encode()).hexdigest()
            db.execute("INSERT INTO ledger VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       tuple(e.values()) + (head,))
        wdigest = hashlib.sha256("".join(r["digest"] + "\n" for r in rows).encode()).hexdigest()
        c = counts[(part, ws)]
        db.execute("INSERT OR REPLACE INTO windows VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (part, stamp(ws), stamp(we), "size=86400 phase=0 billing_day=1",
                    len(rows), canon({"fetched": c[0], "accepted": c[1], "rejected": c[2],
                                      "duplicates": c[3], "conflicts": c[4]}),
                    wdigest, head, run_id, now_s))
        db.execute("COMMIT")
        chain[part], seqs[part] = head, seq
        ck = ckpts.setdefault(part, {"partition": part, "committed": [], "windows": 0})
        if ck["committed"] and ck["committed"][-1][1] == stamp(ws):
            ck["committed"][-1][1] = stamp(we)
        else:
            ck["committed"].append([stamp(ws), stamp(we)])
        ck["windows"] += 1
        ck["last_window"] = [stamp(ws), stamp(we)]
        ck["last_digest"], ck["chain_head"] = wdigest, head
        write_checkpoint(o.state, part, ck)
    db.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
