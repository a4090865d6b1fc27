#!/usr/bin/env python3
"""tests/lib/forge.py: a forger, written from bf-load(1)'s documented
formats (HASH CHAIN, CANONICAL EXPORT, SCHEMA): it rewrites one charge of a
partition and recomputes every digest and hash after it, so that
bf-ledger verify without --state finds nothing.

usage: forge.py sqlite FILE PARTITION AMOUNT_DELTA
       forge.py pg PARTITION AMOUNT_DELTA   (psql reads PGHOST etc.)

The first charge of PARTITION whose usage key has that one entry gets
AMOUNT_DELTA added to its amount and to its usage row's cost (and to the
row's one allocation, when it has one); the row's
digest, its window's digest, every ledger hash from that entry on and the
windows' chain heads are recomputed. Prints "SEQ OLD NEW" (the entry, the
old and the new chain head)."""
import hashlib, json, sqlite3, subprocess, sys
from decimal import Decimal

USAGE = [("instance_id", "t"), ("metric", "t"), ("window_start", "t"),
         ("window_end", "t"), ("partition", "t"), ("tenant", "t"),
         ("aggregate", "t"), ("value", "d"), ("samples", "i"),
         ("expected_samples", "i"), ("coverage", "d"), ("quantity", "d"),
         ("usage_unit", "t"), ("unit_price", "d"), ("cost", "d"),
         ("currency", "t"), ("allocations", "t"), ("source", "t"),
         ("digest", "skip"), ("run_id", "skip"), ("loaded_at", "skip"),
         ("resolution", "sparse")]
LEDGER = [("partition", "t"), ("seq", "i"), ("kind", "t"), ("tenant", "t"),
          ("instance_id", "t"), ("metric", "t"), ("window_start", "t"),
          ("window_end", "t"), ("amount", "d"), ("currency", "t"),
          ("reason", "t"), ("source", "t"), ("run_id", "t"),
          ("usage_digest", "t"), ("program_version", "t"),
          ("recorded_at", "t"), ("prev_hash", "t")]


def canon(row, cols):
    out = []
    for name, ty in cols:
        v = row.get(name)
        if ty == "skip" or (ty == "sparse" and v is None):
            continue
        if v is None:
            s = "null"
        elif ty == "d":
            s = json.dumps("%.9f" % Decimal(v))
        elif ty in ("i", "sparse"):
            s = str(int(v))
        else:
            s = json.dumps(v, ensure_ascii=False)
        out.append(json.dumps(name) + ":" + s)
    return "{" + ",".join(out) + "}"


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


class DB:
    def __init__(self, kind, path=None):
        self.kind = kind
        if kind == "sqlite":
            self.c = sqlite3.connect(path)

    def query(self, sql):
        if self.kind == "sqlite":
            cur = self.c.execute(sql)
            names = [d[0] for d in cur.description]
            return [{n: (None if v is None else str(v))
                     for n, v in zip(names, r)} for r in cur]
        out = subprocess.run(["psql", "-XAt", "-v", "ON_ERROR_STOP=1", "-c",
                              "SELECT row_to_json(t) FROM (%s) t" % sql],
                             check=True, capture_output=True, text=True)
        return [json.loads(l, parse_float=str, parse_int=str)
                for l in out.stdout.splitlines() if l]

    def run(self, stmts):
        # The ledger is append-only by trigger (schema version 3): a
        # forger with the rights to rewrite it drops them first.
        if self.kind == "sqlite":
            stmts = ["DROP TRIGGER IF EXISTS ledger_append_only_update",
                     "DROP TRIGGER IF EXISTS ledger_append_only_delete"] + stmts
            self.c.executescript("BEGIN;" + ";".join(stmts) + ";COMMIT;")
            return
        stmts = ["SET client_min_messages = warning",
                 "DROP TRIGGER IF EXISTS ledger_append_only ON ledger",
                 "DROP TRIGGER IF EXISTS ledger_append_only_truncate ON ledger"
                 ] + stmts
        subprocess.run(["psql", "-Xq", "-v", "ON_ERROR_STOP=1", "-c",
                        "BEGIN;" + ";".join(stmts) + ";COMMIT;"],
                       check=True, capture_output=True, text=True)


def lit(v):
    return "NULL" if v is None else "'" + v.replace("'", "''") + "'"


def main():
    if sys.argv[1] == "sqlite":
        db, part, delta = DB("sqlite", sys.argv[2]), sys.argv[3], sys.argv[4]
    else:
        db, part, delta = DB("pg"), sys.argv[2], sys.argv[3]
    q = lit(part)
    led = db.query("SELECT * FROM ledger WHERE partition = %s ORDER BY seq" % q)
    keys = {}
    for e in led:
        k = (e["tenant"], e["instance_id"], e["metric"], e["window_start"])
        keys[k] = keys.get(k, 0) + 1
    t = next(e for e in led if e["kind"] == "charge" and
             keys[(e["tenant"], e["instance_id"], e["metric"],
                   e["window_start"])] == 1)
    where = ("instance_id = %s AND metric = %s AND window_start = %s AND "
             "window_end = %s" % (lit(t["instance_id"]), lit(t["metric"]),
                                  lit(t["window_start"]), lit(t["window_end"])))
    u = db.query("SELECT * FROM usage WHERE " + where)[0]
    u["cost"] = "%.9f" % (Decimal(u["cost"]) + Decimal(delta))
    if u["allocations"] not in (None, "", "[]"):
        al = json.loads(u["allocations"])
        assert len(al) == 1  # one share: the charge is all of it
        al[0]["cost"] = "%.9f" % (Decimal(al[0]["cost"]) + Decimal(delta))
        u["allocations"] = json.dumps(al, separators=(",", ":"),
                                      ensure_ascii=False)
    u["digest"] = sha(canon(u, USAGE))
    stmts = ["UPDATE usage SET cost = %s, allocations = %s, digest = %s "
             "WHERE %s" % (lit(u["cost"]), lit(u["allocations"]),
                           lit(u["digest"]), where)]
    wq = "partition = %s AND window_start = %s AND window_end = %s" % (
        q, lit(t["window_start"]), lit(t["window_end"]))
    rows = db.query("SELECT * FROM usage WHERE " + wq)
    rows = [u if (r["instance_id"], r["metric"]) ==
            (u["instance_id"], u["metric"]) else r for r in rows]
    rows.sort(key=lambda r: (r["instance_id"].encode(), r["metric"].encode()))
    wd = sha("".join(canon(r, USAGE) + "\n" for r in rows))
    stmts.append("UPDATE windows SET digest = %s WHERE %s" % (lit(wd), wq))
    remap, prev = {}, None
    for e in led:
        if e is t:
            e["amount"] = "%.9f" % (Decimal(e["amount"]) + Decimal(delta))
            e["usage_digest"] = u["digest"]
        if prev is not None:
            e["prev_hash"] = prev
        h = sha(canon(e, LEDGER))
        if h != e["hash"] or e is t:
            remap[e["hash"]] = h
            stmts.append("UPDATE ledger SET amount = %s, usage_digest = %s, "
                         "prev_hash = %s, hash = %s WHERE partition = %s AND "
                         "seq = %s" % (lit(e["amount"]), lit(e["usage_digest"]),
                                       lit(e["prev_hash"]), lit(h), q, e["seq"]))
        prev = h
    for old, new in remap.items():
        stmts.append("UPDATE windows SET chain_head = %s WHERE partition = %s "
                     "AND chain_head = %s" % (lit(new), q, lit(old)))
    db.run(stmts)
    rehash_windows(db, q)
    print(t["seq"], list(remap)[-1], prev)


WINDOWS = [("partition", "t"), ("window_start", "t"), ("window_end", "t"),
           ("grid", "t"), ("usage_rows", "i"), ("counts", "t"),
           ("digest", "t"), ("chain_head", "t"), ("run_id", "t"),
           ("loaded_at", "t")]


def rehash_windows(db, q):
    """Schema version 3 covers each windows row by its hash (the SHA-256 of
    the row's form without the hash): recompute it for the rows changed."""
    rows = db.query("SELECT * FROM windows WHERE partition = %s" % q)
    if not rows or "hash" not in rows[0]:
        return
    stmts = []
    for r in rows:
        h = sha(canon(r, WINDOWS))
        if h != r["hash"]:
            stmts.append("UPDATE windows SET hash = %s WHERE partition = %s "
                         "AND window_start = %s AND window_end = %s" % (
                             lit(h), q, lit(r["window_start"]),
                             lit(r["window_end"])))
    if stmts:
        db.run(stmts)


main()
