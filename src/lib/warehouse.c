/*
 * warehouse.c: the warehouse interface (warehouse.h): the table
 * descriptions, target strings, row sets, the JSON row writer and the
 * canonical export; everything else is dispatched to sink-sqlite.c or
 * sink-pg.c.
 */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "decimal.h"
#include "err.h"
#include "json.h"
#include "warehouse-internal.h"

#define K BF_COL_KEY
#define NN BF_COL_NOTNULL
#define NX BF_COL_NOEXPORT

static const struct bf_col usage_cols[BF_U_NCOLS] = {
	[BF_U_INSTANCE_ID] = { "instance_id", BF_COL_TEXT, K | NN },
	[BF_U_METRIC] = { "metric", BF_COL_TEXT, K | NN },
	[BF_U_WINDOW_START] = { "window_start", BF_COL_TIME, K | NN },
	[BF_U_WINDOW_END] = { "window_end", BF_COL_TIME, K | NN },
	[BF_U_PARTITION] = { "partition", BF_COL_TEXT, NN },
	[BF_U_TENANT] = { "tenant", BF_COL_TEXT, NN },
	[BF_U_AGGREGATE] = { "aggregate", BF_COL_TEXT, 0 },
	[BF_U_VALUE] = { "value", BF_COL_DEC, 0 },
	[BF_U_SAMPLES] = { "samples", BF_COL_INT, 0 },
	[BF_U_EXPECTED_SAMPLES] = { "expected_samples", BF_COL_INT, 0 },
	[BF_U_COVERAGE] = { "coverage", BF_COL_DEC, 0 },
	[BF_U_QUANTITY] = { "quantity", BF_COL_DEC, 0 },
	[BF_U_USAGE_UNIT] = { "usage_unit", BF_COL_TEXT, 0 },
	[BF_U_UNIT_PRICE] = { "unit_price", BF_COL_DEC, 0 },
	[BF_U_COST] = { "cost", BF_COL_DEC, NN },
	[BF_U_CURRENCY] = { "currency", BF_COL_TEXT, NN },
	[BF_U_ALLOCATIONS] = { "allocations", BF_COL_TEXT, 0 },
	[BF_U_SOURCE] = { "source", BF_COL_TEXT, 0 },
	[BF_U_DIGEST] = { "digest", BF_COL_TEXT, NN },
	[BF_U_RUN_ID] = { "run_id", BF_COL_TEXT, NN | NX },
	[BF_U_LOADED_AT] = { "loaded_at", BF_COL_TIME, NN | NX },
	[BF_U_RESOLUTION] = { "resolution", BF_COL_INT, BF_COL_SPARSE, 2 },
};

static const struct bf_col ledger_cols[BF_L_NCOLS] = {
	[BF_L_PARTITION] = { "partition", BF_COL_TEXT, K | NN },
	[BF_L_SEQ] = { "seq", BF_COL_INT, K | NN | NX },
	[BF_L_KIND] = { "kind", BF_COL_TEXT, NN },
	[BF_L_TENANT] = { "tenant", BF_COL_TEXT, NN },
	[BF_L_INSTANCE_ID] = { "instance_id", BF_COL_TEXT, NN },
	[BF_L_METRIC] = { "metric", BF_COL_TEXT, NN },
	[BF_L_WINDOW_START] = { "window_start", BF_COL_TIME, NN },
	[BF_L_WINDOW_END] = { "window_end", BF_COL_TIME, NN },
	[BF_L_AMOUNT] = { "amount", BF_COL_DEC, NN },
	[BF_L_CURRENCY] = { "currency", BF_COL_TEXT, NN },
	[BF_L_REASON] = { "reason", BF_COL_TEXT, NN },
	[BF_L_SOURCE] = { "source", BF_COL_TEXT, 0 },
	[BF_L_RUN_ID] = { "run_id", BF_COL_TEXT, NN | NX },
	[BF_L_USAGE_DIGEST] = { "usage_digest", BF_COL_TEXT, NN },
	[BF_L_PROGRAM_VERSION] = { "program_version", BF_COL_TEXT, NN },
	[BF_L_RECORDED_AT] = { "recorded_at", BF_COL_TIME, NN | NX },
	[BF_L_PREV_HASH] = { "prev_hash", BF_COL_TEXT, NN | NX },
	[BF_L_HASH] = { "hash", BF_COL_TEXT, NN | NX },
};

static const struct bf_col windows_cols[BF_W_NCOLS] = {
	[BF_W_PARTITION] = { "partition", BF_COL_TEXT, K | NN },
	[BF_W_WINDOW_START] = { "window_start", BF_COL_TIME, K | NN },
	[BF_W_WINDOW_END] = { "window_end", BF_COL_TIME, K | NN },
	[BF_W_GRID] = { "grid", BF_COL_TEXT, 0 },
	[BF_W_USAGE_ROWS] = { "usage_rows", BF_COL_INT, NN },
	[BF_W_COUNTS] = { "counts", BF_COL_TEXT, NN },
	[BF_W_DIGEST] = { "digest", BF_COL_TEXT, NN },
	[BF_W_CHAIN_HEAD] = { "chain_head", BF_COL_TEXT, NN },
	[BF_W_RUN_ID] = { "run_id", BF_COL_TEXT, NN | NX },
	[BF_W_LOADED_AT] = { "loaded_at", BF_COL_TIME, NN | NX },
	[BF_W_HASH] = { "hash", BF_COL_TEXT, NX | BF_COL_SPARSE, 3 },
};

const struct bf_table bf_tbl_usage = { "usage", usage_cols, BF_U_NCOLS,
	"instance_id, metric, window_start, window_end" };
const struct bf_table bf_tbl_ledger = { "ledger", ledger_cols, BF_L_NCOLS,
	"partition, seq" };
const struct bf_table bf_tbl_windows = { "windows", windows_cols,
	BF_W_NCOLS, "partition, window_start, window_end" };

/* Targets. */

static int
has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

int
bf_target_is_pg(const char *target)
{
	const char *eq, *sl;

	if (has_prefix(target, "postgresql://") ||
	    has_prefix(target, "postgres://"))
		return 1;
	eq = strchr(target, '=');
	sl = strchr(target, '/');
	return eq != NULL && (sl == NULL || eq < sl);
}

/* bf_target_has_password at nesting depth: a dbname may itself be a
 * conninfo or URI (libpq expands it), and may hold a password in turn. */
static int
has_password(const char *target, int depth)
{
	PQconninfoOption *opts, *o;
	char *err = NULL;
	int has = 0;

	if (!bf_target_is_pg(target))
		return 0;
	opts = depth < 4 ? PQconninfoParse(target, &err) : NULL;
	if (opts == NULL) {
		/* Unparseable: look for the obvious forms by hand. */
		PQfreemem(err);
		return strstr(target, "password") != NULL ||
		    (strstr(target, "://") != NULL &&
		    strchr(target, '@') != NULL);
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "password") == 0 ||
		    strcmp(o->keyword, "sslpassword") == 0 ||
		    (strcmp(o->keyword, "dbname") == 0 &&
		    has_password(o->val, depth + 1)))
			has = 1;
	}
	PQconninfoFree(opts);
	return has;
}

int
bf_target_has_password(const char *target)
{
	return has_password(target, 0);
}

int
bf_target_check_arg(const char *opt, const char *target, struct bf_err *e)
{
	/* Never echo it: the target holds a secret. */
	if (bf_target_has_password(target))
		return bf_err_set(e, BF_EXIT_USAGE, "%s must not hold a "
		    "password: give it in PGPASSWORD or PGPASSFILE", opt);
	return 0;
}

/* Replaces "password=VALUE" (a URI query parameter or a conninfo keyword)
 * in s by "password=***". */
static void
redact_kw(const char *s, struct bf_buf *out)
{
	const char *p = s, *q;

	while ((q = strstr(p, "password")) != NULL) {
		const char *r = q + 8;
		int atstart = q == s || q[-1] == ' ' || q[-1] == '\t' ||
		    q[-1] == '?' || q[-1] == '&';

		while (*r == ' ' || *r == '\t')
			r++;
		if (!atstart || *r != '=') {
			bf_buf_add(out, p, (size_t)(q - p) + 8);
			p = q + 8;
			continue;
		}
		r++;
		while (*r == ' ' || *r == '\t')
			r++;
		bf_buf_add(out, p, (size_t)(q - p));
		bf_buf_puts(out, "password=***");
		if (*r == '\'') {
			for (r++; *r != '\0' && *r != '\''; r++)
				if (*r == '\\' && r[1] != '\0')
					r++;
			if (*r == '\'')
				r++;
		} else {
			while (*r != '\0' && *r != ' ' && *r != '\t' &&
			    *r != '&' && *r != '#')
				r++;
		}
		p = r;
	}
	bf_buf_puts(out, p);
}

void
bf_target_redact(const char *target, struct bf_buf *out)
{
	const char *auth, *end, *at, *colon;
	struct bf_buf tmp = BF_BUF_INIT;

	if (!bf_target_is_pg(target)) {
		bf_buf_puts(out, target);
		return;
	}
	auth = strstr(target, "://");
	if (auth != NULL) {
		auth += 3;
		end = auth + strcspn(auth, "/?#");
		at = NULL;
		for (const char *c = auth; c < end; c++)
			if (*c == '@')
				at = c;
		colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) :
		    NULL;
		if (colon != NULL) {
			bf_buf_add(&tmp, target, (size_t)(colon - target));
			bf_buf_puts(&tmp, ":***");
			bf_buf_puts(&tmp, at);
		} else {
			bf_buf_puts(&tmp, target);
		}
	} else {
		bf_buf_puts(&tmp, target);
	}
	redact_kw(bf_buf_str(&tmp), out);
	bf_buf_free(&tmp);
}

/* Row sets. */

struct chunk {
	struct chunk *next;
	size_t used, cap;
	char data[];
};

#define CHUNK_MIN 65536

const char *
bf_rowset_strn(struct bf_rowset *s, const char *p, size_t n)
{
	struct chunk *c = s->mem;
	char *d;

	if (p == NULL)
		return NULL;
	if (c == NULL || c->cap - c->used < n + 1) {
		size_t cap = n + 1 > CHUNK_MIN ? n + 1 : CHUNK_MIN;

		c = bf_xmalloc(sizeof(*c) + cap);
		c->next = s->mem;
		c->used = 0;
		c->cap = cap;
		s->mem = c;
	}
	d = c->data + c->used;
	if (n > 0)
		memcpy(d, p, n);
	d[n] = '\0';
	c->used += n + 1;
	return d;
}

const char *
bf_rowset_str(struct bf_rowset *s, const char *p)
{
	return p == NULL ? NULL : bf_rowset_strn(s, p, strlen(p));
}

struct bf_row *
bf_rowset_add(struct bf_rowset *s)
{
	s->rows = bf_grow(s->rows, &s->cap, s->n, sizeof(*s->rows), 16);
	memset(&s->rows[s->n], 0, sizeof(s->rows[0]));
	return &s->rows[s->n++];
}

static struct bf_row *
rowset_copy(struct bf_rowset *s, const struct bf_row *row, int ncols)
{
	struct bf_row *r = bf_rowset_add(s);
	int i;

	for (i = 0; i < ncols; i++)
		r->v[i] = bf_rowset_str(s, row->v[i]);
	return r;
}

void
bf_rowset_reset(struct bf_rowset *s)
{
	struct chunk *c = s->mem, *next;

	/* Keep the newest chunk for reuse, free the others. */
	if (c != NULL) {
		for (next = c->next; next != NULL; next = c->next) {
			c->next = next->next;
			free(next);
		}
		c->used = 0;
	}
	s->n = 0;
}

void
bf_rowset_free(struct bf_rowset *s)
{
	struct chunk *c = s->mem, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(s->rows);
	memset(s, 0, sizeof(*s));
}

/* SQL text shared by the sinks. */

/* "k1, k2, ...": t's key columns. */
static void
keylist(const struct bf_table *t, struct bf_buf *out)
{
	int i, n = 0;

	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].flags & BF_COL_KEY)
			bf_buf_printf(out, "%s%s", n++ ? ", " : "",
			    t->cols[i].name);
}

void
bf_wh_conflict_sql(const struct bf_table *t, const char *guard,
    struct bf_buf *out)
{
	int i, n = 0;

	bf_buf_puts(out, " ON CONFLICT (");
	keylist(t, out);
	bf_buf_puts(out, ") DO UPDATE SET ");
	for (i = 0; i < t->ncols; i++)
		if (!(t->cols[i].flags & BF_COL_KEY))
			bf_buf_printf(out, "%s%s = excluded.%s",
			    n++ ? ", " : "", t->cols[i].name,
			    t->cols[i].name);
	if (guard != NULL)
		bf_buf_printf(out, " WHERE %s", guard);
}

void
bf_wh_collist(const struct bf_table *t, const char *prefix,
    struct bf_buf *out)
{
	int i;

	for (i = 0; i < t->ncols; i++)
		bf_buf_printf(out, "%s%s%s", i ? ", " : "",
		    prefix ? prefix : "", t->cols[i].name);
}

void
bf_wh_insert_head(const struct bf_table *t, struct bf_buf *out)
{
	bf_buf_printf(out, "INSERT INTO %s (", t->name);
	bf_wh_collist(t, NULL, out);
	bf_buf_putc(out, ')');
}

void
bf_wh_insert_sql(const struct bf_table *t, char mark, struct bf_buf *out)
{
	int i;

	bf_wh_insert_head(t, out);
	bf_buf_puts(out, " VALUES (");
	for (i = 0; i < t->ncols; i++)
		bf_buf_printf(out, "%s%c%d", i ? ", " : "", mark, i + 1);
	bf_buf_putc(out, ')');
}

void
bf_wh_select_sql(const struct bf_wh *w, const struct bf_table *t,
    struct bf_buf *out)
{
	int i;

	bf_buf_puts(out, "SELECT ");
	for (i = 0; i < t->ncols; i++)
		bf_buf_printf(out, "%s%s", i ? ", " : "",
		    t->cols[i].since > w->version ? "NULL" : t->cols[i].name);
	bf_buf_printf(out, " FROM %s", t->name);
}

const char *const bf_wh_ddl_after[] = {
	"CREATE INDEX IF NOT EXISTS usage_by_window "
	    "ON usage (partition, window_start, window_end)",
	"CREATE INDEX IF NOT EXISTS windows_by_end ON windows (window_end)",
	"CREATE TABLE schema_version (version INTEGER NOT NULL)",
	NULL
};

/* The ledger is append-only: bf-load only inserts into it. A superuser can
 * drop these triggers; bf-ledger verify still finds what is done then. */
static const char *const guard_sqlite[] = {
	"CREATE TRIGGER IF NOT EXISTS ledger_append_only_update "
	    "BEFORE UPDATE ON ledger BEGIN SELECT RAISE(ABORT, "
	    "'the ledger is append-only: UPDATE refused'); END",
	"CREATE TRIGGER IF NOT EXISTS ledger_append_only_delete "
	    "BEFORE DELETE ON ledger BEGIN SELECT RAISE(ABORT, "
	    "'the ledger is append-only: DELETE refused'); END",
	NULL
};

static const char *const guard_pg[] = {
	"CREATE OR REPLACE FUNCTION bf_ledger_append_only() RETURNS trigger "
	    "LANGUAGE plpgsql AS $bf$BEGIN RAISE EXCEPTION "
	    "'the ledger is append-only: % refused', TG_OP "
	    "USING ERRCODE = 'restrict_violation'; END$bf$",
	"CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger "
	    "FOR EACH ROW EXECUTE PROCEDURE bf_ledger_append_only()",
	"CREATE TRIGGER ledger_append_only_truncate BEFORE TRUNCATE ON ledger "
	    "FOR EACH STATEMENT EXECUTE PROCEDURE bf_ledger_append_only()",
	NULL
};

const char *const *
bf_wh_guard_sql(int pg)
{
	return pg ? guard_pg : guard_sqlite;
}

int
bf_wh_create_tables(struct bf_wh *w, struct bf_err *e)
{
	static const struct bf_table *const tabs[] = { &bf_tbl_usage,
		&bf_tbl_ledger, &bf_tbl_windows };
	const int pg = w->kind == BF_WH_PG;
	const char *const *guard = bf_wh_guard_sql(pg);
	struct bf_buf sql = BF_BUF_INIT;
	int rc = 0;
	size_t i;

	for (i = 0; rc == 0 && i < sizeof(tabs) / sizeof(tabs[0]); i++) {
		bf_buf_reset(&sql);
		bf_wh_ddl(tabs[i], pg, &sql);
		rc = w->ops->exec(w, bf_buf_str(&sql), e);
	}
	bf_buf_free(&sql);
	for (i = 0; rc == 0 && bf_wh_ddl_after[i] != NULL; i++)
		rc = w->ops->exec(w, bf_wh_ddl_after[i], e);
	for (i = 0; rc == 0 && guard[i] != NULL; i++)
		rc = w->ops->exec(w, guard[i], e);
	return rc;
}

static const char *
coltype(const struct bf_col *c, int pg)
{
	switch (c->type) {
	case BF_COL_DEC:
		return pg ? "NUMERIC(40,9)" : "TEXT";
	case BF_COL_INT:
		return pg ? "BIGINT" : "INTEGER";
	default:
		return pg ? "TEXT COLLATE \"C\"" : "TEXT";
	}
}

void
bf_wh_ddl(const struct bf_table *t, int pg, struct bf_buf *out)
{
	int i;

	bf_buf_printf(out, "CREATE TABLE IF NOT EXISTS %s (", t->name);
	for (i = 0; i < t->ncols; i++) {
		const struct bf_col *c = &t->cols[i];

		bf_buf_printf(out, "%s%s %s%s", i ? ", " : "", c->name,
		    coltype(c, pg), c->flags & BF_COL_NOTNULL ?
		    " NOT NULL" : "");
	}
	bf_buf_puts(out, ", PRIMARY KEY (");
	keylist(t, out);
	bf_buf_puts(out, "))");
}

void
bf_wh_upgrade_sql(int from, int pg, struct bf_buf *out)
{
	const struct bf_table *tabs[] = { &bf_tbl_usage, &bf_tbl_ledger,
		&bf_tbl_windows };
	size_t k;
	int i;

	/* Columns in table order: ALTER TABLE appends each one, so an
	 * upgraded warehouse has the columns of a new one, in its order
	 * (every added column is last in its table). */
	for (k = 0; k < sizeof(tabs) / sizeof(tabs[0]); k++)
		for (i = 0; i < tabs[k]->ncols; i++) {
			const struct bf_col *c = &tabs[k]->cols[i];

			if (c->since > from)
				bf_buf_printf(out, "ALTER TABLE %s ADD COLUMN "
				    "%s %s; ", tabs[k]->name, c->name,
				    coltype(c, pg));
		}
	if (from < 3) {
		const char *const *g = bf_wh_guard_sql(pg);

		for (; *g != NULL; g++)
			bf_buf_printf(out, "%s; ", *g);
	}
	bf_buf_printf(out, "UPDATE schema_version SET version = %d",
	    BF_SCHEMA_VERSION);
}

const char *
bf_wh_upgrade_what(int from)
{
	return from < 2 ? "usage.resolution, windows.hash and the ledger's "
	    "append-only triggers added" : "windows.hash and the ledger's "
	    "append-only triggers added";
}

struct rehash {
	struct bf_rowset rows;
};

static int
rehash_row(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct rehash *r = ctx;

	(void)e;
	rowset_copy(&r->rows, row, bf_tbl_windows.ncols);
	return 0;
}

int
bf_wh_rehash_windows(struct bf_wh *w, int (*set)(struct bf_wh *w,
    const struct bf_row *row, const char *hash, struct bf_err *e),
    struct bf_err *e)
{
	struct rehash r = { BF_ROWSET_INIT };
	char h[BF_SHA256_HEX];
	int version = w->version, rc = -1;
	size_t i;

	/* Read all first: a PostgreSQL scan holds the connection. */
	w->version = BF_SCHEMA_VERSION;
	if (bf_wh_scan(w, &bf_tbl_windows, rehash_row, &r, e) == -1)
		goto done;
	/* A row that has no JSON form (an integer column that is not one:
	 * edited) keeps no hash, for verify to report, rather than stop
	 * the upgrade and with it every load. */
	for (i = 0; i < r.rows.n; i++) {
		struct bf_err ignore;

		if (bf_wh_window_hash(&r.rows.rows[i], h, &ignore) == 0 &&
		    set(w, &r.rows.rows[i], h, e) == -1)
			goto done;
	}
	rc = 0;
done:
	w->version = version;
	bf_rowset_free(&r.rows);
	return rc;
}

int
bf_wh_check_version(struct bf_wh *w, int ver, struct bf_err *e)
{
	if (ver > BF_SCHEMA_VERSION)
		return bf_err_set(e, BF_EXIT_USAGE, "warehouse '%s' has "
		    "schema version %d, newer than this program knows (%d)",
		    w->name, ver, BF_SCHEMA_VERSION);
	if (ver < 1)
		return bf_err_set(e, BF_EXIT_USAGE, "warehouse '%s' has no "
		    "valid schema version", w->name);
	w->version = ver;
	return 0;
}

/* JSON rows. */

static int
is_int_text(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] != '\0'))
		return 0;
	for (; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return p - s < 21;
}

/* 1 when s is already what bf_dec_format writes (so the common case
 * skips a parse and a format): -?(0|[1-9][0-9]*)\.[0-9]{9} with at
 * most 20 integer digits, not -0. */
int
bf_wh_dec_canonical(const char *s)
{
	const char *p = s, *d;

	if (*p == '-')
		p++;
	d = p;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return 0;
	if (*p++ != '.')
		return 0;
	if (p - s > 22 || strspn(p, "0123456789") != 9 || p[9] != '\0')
		return 0;
	if (*s == '-' && d[0] == '0' && strcmp(p, "000000000") == 0)
		return 0;
	return 1;
}

int
bf_wh_row_json(const struct bf_table *t, const struct bf_row *row,
    unsigned long skip, const char *tag, struct bf_buf *out,
    struct bf_err *e)
{
	int i, first = 1;

	bf_buf_putc(out, '{');
	if (tag != NULL) {
		bf_buf_puts(out, "\"table\":");
		bf_json_put_str(out, tag, strlen(tag));
		first = 0;
	}
	for (i = 0; i < t->ncols; i++) {
		const struct bf_col *c = &t->cols[i];
		const char *v = row->v[i];

		if (skip & (1UL << i) ||
		    (v == NULL && c->flags & BF_COL_SPARSE))
			continue;
		if (!first)
			bf_buf_putc(out, ',');
		first = 0;
		bf_json_put_str(out, c->name, strlen(c->name));
		bf_buf_putc(out, ':');
		if (v == NULL) {
			bf_buf_puts(out, "null");
		} else if (c->type == BF_COL_DEC && bf_wh_dec_canonical(v)) {
			bf_buf_putc(out, '"');
			bf_buf_puts(out, v);
			bf_buf_putc(out, '"');
		} else if (c->type == BF_COL_DEC) {
			char d[BF_DEC_LEN];
			bf_dec x;

			if (bf_dec_parse(v, strlen(v), &x) != BF_DEC_OK)
				return bf_err_set(e, BF_EXIT_FAILED,
				    "%s.%s: not a decimal '%.40s'", t->name,
				    c->name, v);
			bf_dec_format(x, d);
			bf_json_put_str(out, d, strlen(d));
		} else if (c->type == BF_COL_INT) {
			if (!is_int_text(v))
				return bf_err_set(e, BF_EXIT_FAILED,
				    "%s.%s: not an integer '%.40s'", t->name,
				    c->name, v);
			bf_buf_puts(out, v);
		} else {
			bf_json_put_str(out, v, strlen(v));
		}
	}
	bf_buf_putc(out, '}');
	return 0;
}

int
bf_wh_usage_canon(const struct bf_row *row, struct bf_buf *out,
    struct bf_err *e)
{
	return bf_wh_row_json(&bf_tbl_usage, row, 1UL << BF_U_DIGEST |
	    1UL << BF_U_RUN_ID | 1UL << BF_U_LOADED_AT, NULL, out, e);
}

unsigned long
bf_wh_noexport(const struct bf_table *t)
{
	unsigned long m = 0;
	int i;

	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].flags & BF_COL_NOEXPORT)
			m |= 1UL << i;
	return m;
}

/* The canonical export: lines collected in one buffer, sorted by offset. */

struct export {
	struct bf_buf text;
	size_t *off;
	size_t n, cap;
	const struct bf_table *t;
};

static int
export_row(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct export *x = ctx;

	x->off = bf_grow(x->off, &x->cap, x->n, sizeof(*x->off), 1024);
	x->off[x->n++] = x->text.len;
	if (bf_wh_row_json(x->t, row, bf_wh_noexport(x->t), x->t->name,
	    &x->text, e) == -1)
		return -1;
	bf_buf_putc(&x->text, '\0');
	return 0;
}

static const char *sort_base;

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(sort_base + *(const size_t *)a,
	    sort_base + *(const size_t *)b);
}

int
bf_wh_export(struct bf_wh *w, FILE *out, struct bf_err *e)
{
	struct export x = { BF_BUF_INIT, NULL, 0, 0, NULL };
	size_t i;
	int rc = -1;

	x.t = &bf_tbl_usage;
	if (bf_wh_scan(w, x.t, export_row, &x, e) == -1)
		goto done;
	x.t = &bf_tbl_ledger;
	if (bf_wh_scan(w, x.t, export_row, &x, e) == -1)
		goto done;
	sort_base = x.text.s;
	if (x.n > 0)
		qsort(x.off, x.n, sizeof(*x.off), cmp_line);
	for (i = 0; i < x.n; i++) {
		fputs(x.text.s + x.off[i], out);
		putc('\n', out);
	}
	if (fflush(out) == EOF || ferror(out)) {
		bf_err_set(e, BF_EXIT_IO, "write error on the export");
		goto done;
	}
	rc = 0;
done:
	bf_buf_free(&x.text);
	free(x.off);
	return rc;
}

/* Dispatch. */

struct bf_wh *
bf_wh_open(const char *target, int flags, struct bf_err *e)
{
	struct bf_wh *w = bf_xcalloc(1, sizeof(*w));
	struct bf_buf name = BF_BUF_INIT;

	bf_target_redact(target, &name);
	w->name = bf_buf_detach(&name);
	if (bf_target_is_pg(target)) {
		w->kind = BF_WH_PG;
		w->ops = &bf_wh_pg_ops;
	} else {
		w->kind = BF_WH_SQLITE;
		w->ops = &bf_wh_sqlite_ops;
	}
	if (target[0] == '\0') {
		bf_err_set(e, BF_EXIT_USAGE, "empty warehouse target");
		goto fail;
	}
	if (bf_target_has_password(target)) {
		bf_err_set(e, BF_EXIT_USAGE,
		    "warehouse '%s' holds a password: give it in PGPASSWORD "
		    "or PGPASSFILE instead", w->name);
		goto fail;
	}
	if (w->ops->open(w, target, flags, e) == -1) {
		w->ops->close(w);
		goto fail;
	}
	return w;
fail:
	free(w->name);
	free(w);
	return NULL;
}

int
bf_wh_exists(const char *target, struct bf_err *e)
{
	struct bf_buf name = BF_BUF_INIT;
	int r;

	bf_target_redact(target, &name);
	if (target[0] == '\0')
		r = bf_err_set(e, BF_EXIT_USAGE, "empty warehouse target");
	else if (bf_target_has_password(target))
		r = bf_err_set(e, BF_EXIT_USAGE, "warehouse '%s' holds a "
		    "password: give it in PGPASSWORD or PGPASSFILE instead",
		    bf_buf_str(&name));
	else if (bf_target_is_pg(target))
		r = bf_wh_pg_exists(target, bf_buf_str(&name), e);
	else
		r = bf_wh_sqlite_exists(target, bf_buf_str(&name), e);
	bf_buf_free(&name);
	return r;
}

int
bf_wh_select_eq(struct bf_wh *w, const struct bf_table *t, int col,
    const char *value, bf_wh_row_fn fn, void *ctx, struct bf_err *e)
{
	if (w->kind == BF_WH_PG)
		return bf_wh_pg_select_eq(w, t, col, value, fn, ctx, e);
	return bf_wh_sqlite_select_eq(w, t, col, value, fn, ctx, e);
}

int
bf_wh_lock_partition(struct bf_wh *w, const char *partition,
    struct bf_err *e)
{
	if (w->kind == BF_WH_PG)
		return bf_wh_pg_lock_partition(w, partition, e);
	return 0;
}

int
bf_wh_windows_of(struct bf_wh *w, const char *partition, bf_wh_row_fn fn,
    void *ctx, struct bf_err *e)
{
	return bf_wh_select_eq(w, &bf_tbl_windows, BF_W_PARTITION, partition,
	    fn, ctx, e);
}

/* The sums of bf_wh_run_cost: one per currency, in insertion order. */
#define RUN_CUR_MAX 64
struct run_cost {
	struct {
		char cur[16];
		bf_dec sum;
		long n;
	} v[RUN_CUR_MAX];
	int n;
};

static int
run_cost_row(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct run_cost *rc = ctx;
	const char *a = row->v[BF_L_AMOUNT], *c = row->v[BF_L_CURRENCY];
	bf_dec d;
	int i;

	if (a == NULL || c == NULL || strlen(c) >= sizeof(rc->v[0].cur) ||
	    bf_dec_parse(a, strlen(a), &d) == -1)
		return bf_err_set(e, BF_EXIT_FAILED, "ledger entry %s of "
		    "partition '%s' has no amount or currency",
		    row->v[BF_L_SEQ] ? row->v[BF_L_SEQ] : "?",
		    row->v[BF_L_PARTITION] ? row->v[BF_L_PARTITION] : "");
	for (i = 0; i < rc->n && strcmp(rc->v[i].cur, c) != 0; i++)
		;
	if (i == rc->n) {
		if (rc->n == RUN_CUR_MAX)
			return bf_err_set(e, BF_EXIT_FAILED, "more than %d "
			    "currencies in one run", RUN_CUR_MAX);
		strcpy(rc->v[i].cur, c);
		rc->v[i].sum.v = 0;
		rc->v[i].n = 0;
		rc->n++;
	}
	if (bf_dec_add(rc->v[i].sum, d, &rc->v[i].sum) == -1)
		return bf_err_set(e, BF_EXIT_FAILED, "the run's %s total is "
		    "out of range", c);
	rc->v[i].n++;
	return 0;
}

static int
cmp_cur(const void *a, const void *b)
{
	return strcmp(a, b);
}

int
bf_wh_run_cost(struct bf_wh *w, const char *run_id, FILE *out,
    struct bf_err *e)
{
	struct run_cost *rc = bf_xcalloc(1, sizeof(*rc));
	struct bf_buf b = BF_BUF_INIT;
	char amt[BF_DEC_LEN];
	int i, r;

	if ((r = bf_wh_begin_read(w, e)) == 0)
		r = bf_wh_select_eq(w, &bf_tbl_ledger, BF_L_RUN_ID, run_id,
		    run_cost_row, rc, e);
	bf_wh_rollback(w);
	if (r == 0) {
		qsort(rc->v, (size_t)rc->n, sizeof(rc->v[0]), cmp_cur);
		for (i = 0; i < rc->n; i++) {
			bf_dec_format(rc->v[i].sum, amt);
			bf_buf_puts(&b, "{\"type\":\"cost\",\"run_id\":");
			bf_json_put_str(&b, run_id, strlen(run_id));
			bf_buf_puts(&b, ",\"currency\":");
			bf_json_put_str(&b, rc->v[i].cur,
			    strlen(rc->v[i].cur));
			bf_buf_printf(&b, ",\"amount\":\"%s\",\"entries\":%ld}\n",
			    amt, rc->v[i].n);
		}
		if ((b.len > 0 && fwrite(b.s, 1, b.len, out) != b.len) ||
		    fflush(out) == EOF || ferror(out))
			r = bf_err_set(e, BF_EXIT_IO, "write error on the "
			    "cost");
	}
	bf_buf_free(&b);
	free(rc);
	return r;
}

void
bf_wh_close(struct bf_wh *w)
{
	if (w == NULL)
		return;
	bf_wh_rollback(w);
	w->ops->close(w);
	free(w->name);
	free(w);
}

int
bf_wh_kind(const struct bf_wh *w)
{
	return w->kind;
}

const char *
bf_wh_name(const struct bf_wh *w)
{
	return w->name;
}

int
bf_wh_version(const struct bf_wh *w)
{
	return w->version;
}

int
bf_wh_upgraded(const struct bf_wh *w)
{
	return w->upgraded;
}

/* Opens a transaction with the statement of w's sink: sqlite's or pg's. */
static int
begin(struct bf_wh *w, const char *sqlite, const char *pg, struct bf_err *e)
{
	if (w->ops->exec(w, w->kind == BF_WH_SQLITE ? sqlite : pg, e) == -1)
		return -1;
	w->in_tx = 1;
	return 0;
}

int
bf_wh_begin(struct bf_wh *w, struct bf_err *e)
{
	if (w->version < BF_SCHEMA_VERSION)
		return bf_err_set(e, BF_EXIT_USAGE, "warehouse '%s' has "
		    "schema version %d: run bf-load on it to upgrade it to %d "
		    "before writing", w->name, w->version, BF_SCHEMA_VERSION);
	return begin(w, "BEGIN IMMEDIATE", "BEGIN", e);
}

int
bf_wh_begin_read(struct bf_wh *w, struct bf_err *e)
{
	return begin(w, "BEGIN",
	    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", e);
}

int
bf_wh_commit(struct bf_wh *w, struct bf_err *e)
{
	int rc = w->ops->exec(w, "COMMIT", e);

	if (rc == -1)
		bf_wh_rollback(w);
	w->in_tx = 0;
	return rc;
}

void
bf_wh_rollback(struct bf_wh *w)
{
	struct bf_err ignore;

	if (w->in_tx)
		(void)w->ops->exec(w, "ROLLBACK", &ignore);
	w->in_tx = 0;
}

int
bf_wh_window_conflict(struct bf_wh *w, const char *partition,
    const char *ws, const char *we, char ows[32], char owe[32],
    struct bf_err *e)
{
	return w->ops->window_conflict(w, partition, ws, we, ows, owe, e);
}

int
bf_wh_window_get(struct bf_wh *w, const char *partition, const char *ws,
    const char *we, struct bf_rowset *out, struct bf_err *e)
{
	bf_rowset_reset(out);
	return w->ops->window_get(w, partition, ws, we, out, e);
}

int
bf_wh_window_usage(struct bf_wh *w, const char *partition, const char *ws,
    const char *we, struct bf_rowset *out, struct bf_err *e)
{
	return w->ops->window_usage(w, partition, ws, we, out, e);
}

int
bf_wh_foreign_overlap(struct bf_wh *w, const char *partition,
    const char *ws, const char *we, struct bf_err *e)
{
	return w->ops->foreign_overlap(w, partition, ws, we, e);
}

int
bf_wh_stage(struct bf_wh *w, const char *partition,
    const struct bf_row *rows, size_t n, int check, size_t *idx,
    struct bf_buf *owner, struct bf_err *e)
{
	return w->ops->stage(w, partition, rows, n, check, idx, owner, e);
}

int
bf_wh_stage_upsert(struct bf_wh *w, const char *partition, size_t *idx,
    struct bf_buf *owner, struct bf_err *e)
{
	return w->ops->stage_upsert(w, partition, idx, owner, e);
}

int
bf_wh_savepoint(struct bf_wh *w, struct bf_err *e)
{
	return w->ops->exec(w, "SAVEPOINT bf_window", e);
}

int
bf_wh_release(struct bf_wh *w, struct bf_err *e)
{
	return w->ops->exec(w, "RELEASE SAVEPOINT bf_window", e);
}

int
bf_wh_rollback_savepoint(struct bf_wh *w, struct bf_err *e)
{
	if (w->ops->exec(w, "ROLLBACK TO SAVEPOINT bf_window", e) == -1)
		return -1;
	return w->ops->exec(w, "RELEASE SAVEPOINT bf_window", e);
}

int
bf_wh_usage_delete(struct bf_wh *w, const struct bf_row *row,
    struct bf_err *e)
{
	return w->ops->usage_delete(w, row, e);
}

int
bf_wh_chain_head(struct bf_wh *w, const char *partition, int64_t *seq,
    char hash[BF_SHA256_HEX], struct bf_err *e)
{
	return w->ops->chain_head(w, partition, seq, hash, e);
}

int
bf_wh_ledger_append(struct bf_wh *w, const struct bf_row *rows, size_t n,
    struct bf_err *e)
{
	return n == 0 ? 0 : w->ops->ledger_append(w, rows, n, e);
}

int
bf_wh_window_hash(const struct bf_row *row, char out[BF_SHA256_HEX],
    struct bf_err *e)
{
	struct bf_buf b = BF_BUF_INIT;
	int rc = bf_wh_row_json(&bf_tbl_windows, row, 1UL << BF_W_HASH, NULL,
	    &b, e);

	if (rc == 0)
		bf_sha256_hex(b.s, b.len, out);
	bf_buf_free(&b);
	return rc;
}

int
bf_wh_window_put(struct bf_wh *w, const struct bf_row *row,
    struct bf_err *e)
{
	struct bf_row r = *row;
	char h[BF_SHA256_HEX];

	if (bf_wh_window_hash(row, h, e) == -1)
		return -1;
	r.v[BF_W_HASH] = h;
	return w->ops->window_put(w, &r, e);
}

int
bf_wh_scan(struct bf_wh *w, const struct bf_table *t, bf_wh_row_fn fn,
    void *ctx, struct bf_err *e)
{
	return w->ops->scan(w, t, fn, ctx, e);
}
