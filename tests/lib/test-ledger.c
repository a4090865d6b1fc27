/*
 * test-ledger: the ledger's canonical form and hash chain, the entries a
 * change of a usage key makes, and the warehouse's target strings.
 */
#include <string.h>

#include "buf.h"
#include "err.h"
#include "ledger.h"
#include "tap.h"
#include "warehouse.h"

static void
usage_row(struct bf_row *r, const char *tenant, const char *cost)
{
	memset(r, 0, sizeof(*r));
	r->v[BF_U_INSTANCE_ID] = "db-1";
	r->v[BF_U_METRIC] = "storage_bytes";
	r->v[BF_U_WINDOW_START] = "2026-01-01T00:00:00Z";
	r->v[BF_U_WINDOW_END] = "2026-01-02T00:00:00Z";
	r->v[BF_U_PARTITION] = "db-1";
	r->v[BF_U_TENANT] = tenant ? tenant : "";
	r->v[BF_U_COST] = cost;
	r->v[BF_U_CURRENCY] = "USD";
	r->v[BF_U_DIGEST] = "d";
}

static void
test_canon(void)
{
	struct bf_ledger_chain c = { "db-1", "r1", "bf-load 0.1.0",
		"2026-01-03T00:00:00Z", 0, "" };
	struct bf_rowset out = BF_ROWSET_INIT;
	struct bf_buf b = BF_BUF_INIT;
	struct bf_row u, tampered;
	struct bf_err e;
	char why[160];
	int n;

	usage_row(&u, "acme", "0.07584");
	n = bf_ledger_diff(&c, NULL, &u, &out, &e);
	is_int(n, 1, "first load: one entry");
	is_str(out.rows[0].v[BF_L_KIND], "charge", "first load: a charge");
	is_str(out.rows[0].v[BF_L_AMOUNT], "0.075840000", "charge amount");
	is_str(out.rows[0].v[BF_L_SEQ], "1", "first seq is 1");
	is_str(out.rows[0].v[BF_L_PREV_HASH], BF_LEDGER_GENESIS,
	    "first prev_hash is the genesis");
	bf_ledger_canon(&out.rows[0], &b, &e);
	is_str(bf_buf_str(&b), "{\"partition\":\"db-1\",\"seq\":1,"
	    "\"kind\":\"charge\",\"tenant\":\"acme\",\"instance_id\":\"db-1\","
	    "\"metric\":\"storage_bytes\","
	    "\"window_start\":\"2026-01-01T00:00:00Z\","
	    "\"window_end\":\"2026-01-02T00:00:00Z\","
	    "\"amount\":\"0.075840000\",\"currency\":\"USD\","
	    "\"reason\":\"first load\",\"source\":null,\"run_id\":\"r1\","
	    "\"usage_digest\":\"d\",\"program_version\":\"bf-load 0.1.0\","
	    "\"recorded_at\":\"2026-01-03T00:00:00Z\",\"prev_hash\":\""
	    BF_LEDGER_GENESIS "\"}", "canonical form");
	/* printf '%s' CANONICAL | sha256sum */
	is_str(out.rows[0].v[BF_L_HASH],
	    "3b583ddfa61b5af2747602ec6e8f140d7a0b1f56b876e0eaf3044590a8524cee",
	    "hash is SHA-256 of the canonical form");
	is_str(c.head, out.rows[0].v[BF_L_HASH], "chain head advanced");
	ok(bf_ledger_check(&out.rows[0], 0, NULL, why, sizeof(why)) == 0,
	    "check: first entry is good");

	tampered = out.rows[0];
	tampered.v[BF_L_AMOUNT] = "0.075840001";
	ok(bf_ledger_check(&tampered, 0, NULL, why, sizeof(why)) == -1,
	    "check: an edited amount is caught");
	is_str(why, "hash does not match the entry", "check: says why");
	ok(bf_ledger_check(&out.rows[0], 1, NULL, why, sizeof(why)) == -1,
	    "check: a missing entry before is caught");
	ok(bf_ledger_check(&out.rows[0], 0, out.rows[0].v[BF_L_HASH], why,
	    sizeof(why)) == -1, "check: a wrong prev_hash is caught");

	/* Same cost: nothing. Other cost: a correction of the difference. */
	{
		struct bf_row u2;

		usage_row(&u2, "acme", "0.075840000");
		is_int(bf_ledger_diff(&c, &u, &u2, &out, &e), 0,
		    "unchanged cost: no entry");
		usage_row(&u2, "acme", "0.1");
		is_int(bf_ledger_diff(&c, &u, &u2, &out, &e), 1,
		    "changed cost: one entry");
		is_str(out.rows[1].v[BF_L_KIND], "correction", "a correction");
		is_str(out.rows[1].v[BF_L_AMOUNT], "0.024160000",
		    "correction: the difference");
		is_str(out.rows[1].v[BF_L_REASON],
		    "cost changed from 0.075840000 to 0.100000000",
		    "correction: the reason");
		is_str(out.rows[1].v[BF_L_PREV_HASH], out.rows[0].v[BF_L_HASH],
		    "second entry links to the first");
		ok(bf_ledger_check(&out.rows[1], 1, out.rows[0].v[BF_L_HASH],
		    why, sizeof(why)) == 0, "check: second entry is good");
		is_int(bf_ledger_diff(&c, &u2, NULL, &out, &e), 1,
		    "row gone: one entry");
		is_str(out.rows[2].v[BF_L_KIND], "reversal", "a reversal");
		is_str(out.rows[2].v[BF_L_AMOUNT], "-0.100000000",
		    "reversal: minus the cost");
		usage_row(&u, "globex", "0.1");
		is_int(bf_ledger_diff(&c, &u2, &u, &out, &e), 2,
		    "tenant change: two entries");
		is_str(out.rows[3].v[BF_L_TENANT], "acme",
		    "tenant change: the old tenant first");
		is_str(out.rows[3].v[BF_L_REASON],
		    "no longer allocated to this tenant",
		    "tenant change: reversal reason");
		is_str(out.rows[4].v[BF_L_TENANT], "globex",
		    "tenant change: charge to the new tenant");
		is_str(out.rows[4].v[BF_L_REASON],
		    "newly allocated to this tenant",
		    "tenant change: charge reason");
		is_str(out.rows[4].v[BF_L_SEQ], "5", "seq counts on");
		usage_row(&u2, "acme", "x");
		ok(bf_ledger_diff(&c, NULL, &u2, &out, &e) == -1,
		    "a cost that is no decimal is an error");
	}
	/* Allocations: the ledger follows each tenant's share. */
	{
		struct bf_row a1, a2;
		size_t n0 = out.n;

		usage_row(&a1, NULL, "1.000000000");
		a1.v[BF_U_ALLOCATIONS] = "[{\"tenant\":\"b\",\"cost_center\":"
		    "\"x\",\"cost\":\"0.25\"},{\"tenant\":\"a\",\"cost\":"
		    "\"0.5\"},{\"tenant\":\"b\",\"cost_center\":\"y\","
		    "\"cost\":\"0.25\"}]";
		is_int(bf_ledger_diff(&c, NULL, &a1, &out, &e), 2,
		    "two tenants: two charges");
		is_str(out.rows[n0].v[BF_L_TENANT], "a", "tenant a first");
		is_str(out.rows[n0].v[BF_L_AMOUNT], "0.500000000", "a's share");
		is_str(out.rows[n0 + 1].v[BF_L_AMOUNT], "0.500000000",
		    "b's cost centres together");
		usage_row(&a2, NULL, "1.000000000");
		a2.v[BF_U_ALLOCATIONS] = "[{\"tenant\":\"a\",\"cost\":"
		    "\"0.7\"},{\"tenant\":\"b\",\"cost\":\"0.3\"}]";
		is_int(bf_ledger_diff(&c, &a1, &a2, &out, &e), 2,
		    "split changed: two corrections");
		is_str(out.rows[n0 + 2].v[BF_L_AMOUNT], "0.200000000",
		    "a's correction");
		is_str(out.rows[n0 + 3].v[BF_L_AMOUNT], "-0.200000000",
		    "b's correction");
		a2.v[BF_U_CURRENCY] = "EUR";
		is_int(bf_ledger_diff(&c, &a1, &a2, &out, &e), 4,
		    "currency change: reversals and charges");
		is_str(out.rows[n0 + 4].v[BF_L_REASON],
		    "currency changed from 'USD' to 'EUR'",
		    "currency change: reason");
		is_str(out.rows[n0 + 7].v[BF_L_CURRENCY], "EUR",
		    "currency change: charged in the new currency");
		a2.v[BF_U_ALLOCATIONS] = "[{\"tenant\":\"a\",\"cost\":"
		    "\"0.7\"}]";
		ok(bf_ledger_diff(&c, NULL, &a2, &out, &e) == -1,
		    "allocations that do not add up are an error");
		is_str(e.msg, "allocations add up to 0.700000000, not to the "
		    "cost 1.000000000", "and say so");
		a2.v[BF_U_ALLOCATIONS] = "[{\"cost\":\"1\"}]";
		ok(bf_ledger_diff(&c, NULL, &a2, &out, &e) == -1,
		    "an allocation without tenant is an error");
		a2.v[BF_U_ALLOCATIONS] = "[]";
		a2.v[BF_U_TENANT] = "solo";
		is_int(bf_ledger_diff(&c, NULL, &a2, &out, &e), 1,
		    "empty allocations: the row's tenant");
		is_str(out.rows[out.n - 1].v[BF_L_TENANT], "solo",
		    "the row's tenant charged");
	}
	bf_buf_free(&b);
	bf_rowset_free(&out);
}

static void
test_targets(void)
{
	struct bf_buf b = BF_BUF_INIT;

	ok(!bf_target_is_pg("ledger.db"), "a path is SQLite");
	ok(!bf_target_is_pg("./a=b.db"), "a path with '=' after '/' is SQLite");
	ok(bf_target_is_pg("postgresql:///bf"), "postgresql:// URI");
	ok(bf_target_is_pg("postgres://h/bf"), "postgres:// URI");
	ok(bf_target_is_pg("host=/tmp dbname=bf"), "conninfo");
	ok(!bf_target_has_password("postgresql://bf@h/bf"),
	    "user, no password");
	ok(bf_target_has_password("postgresql://bf:pw@h/bf"), "URI password");
	ok(bf_target_has_password("postgresql:///bf?password=pw"),
	    "URI password parameter");
	ok(bf_target_has_password("dbname=bf password='p w'"),
	    "conninfo password");
	ok(!bf_target_has_password("x/password=1.db"), "SQLite path");
	bf_target_redact("postgresql://bf:pw@h:5/bf?password=pw&x=1", &b);
	is_str(bf_buf_str(&b), "postgresql://bf:***@h:5/bf?password=***&x=1",
	    "URI redacted");
	bf_buf_reset(&b);
	bf_target_redact("host=h password='p \\' w' dbname=bf", &b);
	is_str(bf_buf_str(&b), "host=h password=*** dbname=bf",
	    "conninfo redacted");
	bf_buf_reset(&b);
	bf_target_redact("dir/password=x.db", &b);
	is_str(bf_buf_str(&b), "dir/password=x.db", "SQLite path as it is");
	bf_buf_free(&b);
}

static void
test_rowset(void)
{
	struct bf_rowset s = BF_ROWSET_INIT;
	struct bf_row *r;
	char big[100000];
	int i;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 1000; i++) {
		r = bf_rowset_add(&s);
		r->v[0] = bf_rowset_str(&s, i == 500 ? big : "value");
	}
	is_int(s.n, 1000, "rowset holds 1000 rows");
	is_str(s.rows[999].v[0], "value", "values stay");
	is_int(strlen(s.rows[500].v[0]), sizeof(big) - 1, "big value");
	ok(s.rows[0].v[1] == NULL, "unset values are NULL");
	bf_rowset_reset(&s);
	is_int(s.n, 0, "reset empties");
	bf_rowset_free(&s);
}

/* An event entry (a restore): amount 0, empty key, chained and checked
 * like any entry, its hash the SHA-256 of its canonical form. */
static void
test_event(void)
{
	struct bf_ledger_chain c = { "db-1", "r2", "bf-load 0.1.0",
		"2026-01-09T00:00:00Z", 0, "" };
	struct bf_rowset out = BF_ROWSET_INIT;
	struct bf_buf b = BF_BUF_INIT, w = BF_BUF_INIT;
	struct bf_row u;
	struct bf_err e;
	char why[160], want[BF_SHA256_HEX];

	usage_row(&u, "acme", "1");
	bf_ledger_diff(&c, NULL, &u, &out, &e);
	ok(bf_ledger_event(&c, BF_LEDGER_RESTORE, "2026-01-04T00:00:00Z",
	    "2026-01-07T00:00:00Z", "restore: gone back", &out, &e) == 0,
	    "an event entry is made");
	is_str(out.rows[1].v[BF_L_SEQ], "2", "it follows the chain");
	bf_ledger_canon(&out.rows[1], &b, &e);
	bf_buf_printf(&w, "%s%s\"}", "{\"partition\":\"db-1\",\"seq\":2,"
	    "\"kind\":\"restore\",\"tenant\":\"\",\"instance_id\":\"\","
	    "\"metric\":\"\",\"window_start\":\"2026-01-04T00:00:00Z\","
	    "\"window_end\":\"2026-01-07T00:00:00Z\","
	    "\"amount\":\"0.000000000\",\"currency\":\"\","
	    "\"reason\":\"restore: gone back\",\"source\":null,"
	    "\"run_id\":\"r2\",\"usage_digest\":\"\","
	    "\"program_version\":\"bf-load 0.1.0\","
	    "\"recorded_at\":\"2026-01-09T00:00:00Z\",\"prev_hash\":\"",
	    out.rows[0].v[BF_L_HASH]);
	is_str(bf_buf_str(&b), bf_buf_str(&w),
	    "event: canonical form, amount 0, key empty");
	bf_sha256_hex(b.s, b.len, want);
	is_str(out.rows[1].v[BF_L_HASH], want, "event: its hash");
	is_str(c.head, want, "event: the chain head moves to it");
	ok(bf_ledger_check(&out.rows[1], 1, out.rows[0].v[BF_L_HASH], why,
	    sizeof(why)) == 0, "event: checked like any entry");
	ok(bf_ledger_is_event("restore") && bf_ledger_is_event("reanchor") &&
	    !bf_ledger_is_event("charge") && !bf_ledger_is_event(NULL),
	    "event kinds");
	bf_buf_free(&b);
	bf_buf_free(&w);
	bf_rowset_free(&out);
}

int
main(void)
{
	test_canon();
	test_event();
	test_targets();
	test_rowset();
	return done_testing();
}
