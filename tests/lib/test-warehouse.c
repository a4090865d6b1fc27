/*
 * test-warehouse.c: unit tests for the SQL text warehouse.c builds for
 * both sinks (warehouse-internal.h), against statements written out here
 * by hand for a small table of our own.
 */
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "tap.h"
#include "warehouse-internal.h"

static const struct bf_col cols[] = {
	{ "k", BF_COL_TEXT, BF_COL_KEY, 0 },
	{ "a", BF_COL_TEXT, 0, 0 },
	{ "b", BF_COL_TEXT, 0, 0 },
};
static const struct bf_table t = { "t", cols, 3, "k" };

static const struct bf_col one_col[] = {
	{ "only", BF_COL_TEXT, BF_COL_KEY, 0 },
};
static const struct bf_table one = { "one", one_col, 1, "only" };

static struct bf_buf b = BF_BUF_INIT;

/* bf_wh_insert_sql of tb with the parameter mark, from an empty b. */
static const char *
insert(const struct bf_table *tb, char mark)
{
	bf_buf_reset(&b);
	bf_wh_insert_sql(tb, mark, &b);
	return bf_buf_str(&b);
}

int
main(void)
{
	bf_wh_insert_head(&t, &b);
	is_str(bf_buf_str(&b), "INSERT INTO t (k, a, b)", "insert head");
	is_str(insert(&t, '?'), "INSERT INTO t (k, a, b) VALUES (?1, ?2, ?3)",
	    "insert, SQLite parameters");
	is_str(insert(&t, '$'), "INSERT INTO t (k, a, b) VALUES ($1, $2, $3)",
	    "insert, PostgreSQL parameters");
	is_str(insert(&one, '$'), "INSERT INTO one (only) VALUES ($1)",
	    "insert of one column: no separator");

	/* The upsert both sinks prepare: the insert, then the conflict
	 * clause, with and without a guard. */
	insert(&t, '?');
	bf_wh_conflict_sql(&t, "t.k <> ''", &b);
	is_str(bf_buf_str(&b), "INSERT INTO t (k, a, b) VALUES (?1, ?2, ?3) "
	    "ON CONFLICT (k) DO UPDATE SET a = excluded.a, b = excluded.b "
	    "WHERE t.k <> ''", "upsert with a guard");

	bf_buf_reset(&b);
	bf_wh_insert_head(&t, &b);
	bf_buf_puts(&b, " SELECT k, a, b FROM s");
	bf_wh_conflict_sql(&t, NULL, &b);
	is_str(bf_buf_str(&b), "INSERT INTO t (k, a, b) SELECT k, a, b FROM s "
	    "ON CONFLICT (k) DO UPDATE SET a = excluded.a, b = excluded.b",
	    "insert ... select, upsert without a guard");

	bf_buf_free(&b);
	return done_testing();
}
