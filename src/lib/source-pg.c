/*
 * source-pg.c: the postgres source: a telemetry table read over libpq with
 * keyset pagination (source-internal.h).
 *
 * Per window it runs, one page at a time,
 *
 *   SELECT floor(extract(epoch FROM ts))::bigint, ts, id, metric,
 *          value::text [, unit]
 *   FROM table
 *   WHERE instance = $1 AND ts >= $2 AND ts < $3 [AND metric IN ($5, ...)]
 *         [AND (ts, id) > ($k, $k+1)]
 *   ORDER BY ts, id LIMIT $4
 *
 * and, with a lookback, before the pages, the last row of each metric
 * before the window and no older than the lookback:
 *
 *   SELECT DISTINCT ON (metric) ... FROM table
 *   WHERE instance = $1 AND ts >= $2 AND ts < $3 [AND metric IN ($4, ...)]
 *   ORDER BY metric, ts DESC, id DESC
 *
 * with every value bound as a parameter and the names quoted as
 * identifiers, selecting only the mapped columns, so an index on
 * (instance, ts, id) serves every page and no page scans from the start.
 * Each worker thread has its own connection (made lazily, remade after a
 * failure) with statement_timeout set.
 */
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source-internal.h"

enum { SQL_FIRST, SQL_NEXT, SQL_LOOKBACK };

struct pgsrc {
	char *sql_first; /* owned */
	char *sql_next;  /* owned */
	char *sql_lookback; /* owned */
	char *who;       /* "postgres host=H port=P dbname=D": the prefix of
	                    every message, without user or password */
	int nmetrics;    /* metric parameters (0 without a map) */
	int unitcol;     /* a unit column is selected */
};

struct pgw {
	PGconn *conn;
};

/* Appends name as a quoted SQL identifier; "a.b" becomes "a"."b" when
 * dotted is set. */
static void
put_ident(struct bf_buf *b, const char *name, int dotted)
{
	const char *p;

	bf_buf_putc(b, '"');
	for (p = name; *p != '\0'; p++) {
		if (*p == '"')
			bf_buf_putc(b, '"');
		if (dotted && *p == '.') {
			bf_buf_puts(b, "\".\"");
			continue;
		}
		bf_buf_putc(b, *p);
	}
	bf_buf_putc(b, '"');
}

/* Appends fmt with each '@' replaced by the next argument (a const char *)
 * as a quoted identifier, each '#' by the next as a dotted one. */
static void
put_sql(struct bf_buf *b, const char *fmt, ...)
{
	va_list ap;
	const char *p;

	va_start(ap, fmt);
	for (p = fmt; *p != '\0'; p++)
		if (*p == '@' || *p == '#')
			put_ident(b, va_arg(ap, const char *), *p == '#');
		else
			bf_buf_putc(b, *p);
	va_end(ap);
}

static char *
build_sql(const struct bf_fetch_opts *o, int nmetrics, int unitcol, int mode)
{
	struct bf_buf b = BF_BUF_INIT;
	int i, k;

	bf_buf_puts(&b, "SELECT ");
	if (mode == SQL_LOOKBACK)
		put_sql(&b, "DISTINCT ON (@) ", o->col_metric);
	put_sql(&b, "floor(extract(epoch FROM @))::bigint, @, @, @, @::text",
	    o->col_ts, o->col_ts, o->col_id, o->col_metric, o->col_value);
	if (unitcol)
		put_sql(&b, ", @", o->col_unit);
	put_sql(&b, " FROM # WHERE @ = $1 AND @ >= $2 AND @ < $3", o->table,
	    o->col_instance, o->col_ts, o->col_ts);
	k = mode == SQL_LOOKBACK ? 4 : 5;
	if (nmetrics > 0) {
		put_sql(&b, " AND @ IN (", o->col_metric);
		for (i = 0; i < nmetrics; i++)
			bf_buf_printf(&b, "%s$%d", i ? ", " : "", k++);
		bf_buf_puts(&b, ")");
	}
	if (mode == SQL_LOOKBACK) {
		put_sql(&b, " ORDER BY @, @ DESC, @ DESC", o->col_metric,
		    o->col_ts, o->col_id);
		return bf_buf_detach(&b);
	}
	if (mode == SQL_NEXT) {
		put_sql(&b, " AND (@, @)", o->col_ts, o->col_id);
		bf_buf_printf(&b, " > ($%d, $%d)", k, k + 1);
	}
	put_sql(&b, " ORDER BY @, @ LIMIT $4", o->col_ts, o->col_id);
	return bf_buf_detach(&b);
}

/* The value of key in opts, or NULL when unset or empty. */
static const char *
opt_val(const PQconninfoOption *opts, const char *key)
{
	for (; opts != NULL && opts->keyword != NULL; opts++)
		if (strcmp(opts->keyword, key) == 0)
			return opts->val != NULL && opts->val[0] != '\0' ?
			    opts->val : NULL;
	return NULL;
}

/* "postgres host=H port=P dbname=D" for the parsed --db opts, libpq's
 * defaults (its environment variables) filling what they leave out;
 * without the user, the password or any other option. */
static char *
make_who(const PQconninfoOption *opts)
{
	static const char *const keys[] = { "host", "hostaddr", "port",
		"dbname" };
	struct bf_buf b = BF_BUF_INIT;
	PQconninfoOption *def = PQconndefaults();
	const char *v;
	size_t i;

	bf_buf_puts(&b, "postgres");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((v = opt_val(opts, keys[i])) == NULL)
			v = opt_val(def, keys[i]);
		if (v != NULL)
			bf_buf_printf(&b, " %s=%.200s", keys[i], v);
	}
	PQconninfoFree(def);
	return bf_buf_detach(&b);
}

static int
pg_open(struct bf_source *s, struct bf_err *e)
{
	const struct bf_fetch_opts *o = s->o;
	struct pgsrc *p;
	PQconninfoOption *opts, *op;
	char *errmsg = NULL;
	const char *db = o->db != NULL ? o->db : "";

	opts = PQconninfoParse(db, &errmsg);
	if (opts == NULL) {
		PQfreemem(errmsg);
		return bf_err_set(e, BF_EXIT_USAGE, "--db: not a valid "
		    "connection string or URI");
	}
	for (op = opts; op->keyword != NULL; op++)
		if (strcmp(op->keyword, "password") == 0 && op->val != NULL &&
		    op->val[0] != '\0') {
			PQconninfoFree(opts);
			return bf_err_set(e, BF_EXIT_USAGE, "--db holds a "
			    "password: put it in PGPASSWORD or a PGPASSFILE, "
			    "never on the command line");
		}
	if (o->page < 1) {
		PQconninfoFree(opts);
		return bf_err_set(e, BF_EXIT_USAGE, "--page must be at least 1");
	}
	p = bf_xcalloc(1, sizeof(*p));
	p->who = make_who(opts);
	PQconninfoFree(opts);
	p->nmetrics = s->metrics != NULL ? (int)s->metrics->n : 0;
	p->unitcol = s->metrics == NULL;
	p->sql_first = build_sql(o, p->nmetrics, p->unitcol, SQL_FIRST);
	p->sql_next = build_sql(o, p->nmetrics, p->unitcol, SQL_NEXT);
	p->sql_lookback = build_sql(o, p->nmetrics, p->unitcol,
	    SQL_LOOKBACK);
	s->priv = p;
	return 0;
}

static void
pg_close(struct bf_source *s)
{
	struct pgsrc *p = s->priv;

	if (p == NULL)
		return;
	BF_EACH(free, void, p->sql_first, p->sql_next, p->sql_lookback,
	    p->who, p);
	s->priv = NULL;
}

static int
pg_worker_open(struct bf_source *s, void **wp, struct bf_err *e)
{
	*wp = bf_xcalloc(1, sizeof(struct pgw));
	return 0;
}

static void
pg_worker_close(struct bf_source *s, void *wp)
{
	struct pgw *w = wp;

	if (w != NULL && w->conn != NULL)
		PQfinish(w->conn);
	free(w);
}

/* The first line of libpq's message. */
static void
first_line(char *dst, size_t n, const char *msg)
{
	size_t k = strcspn(msg, "\n");

	snprintf(dst, n, "%.*s", (int)(k > 400 ? 400 : k), msg);
}

static int
connect_worker(struct bf_source *s, struct pgw *w, struct bf_try *t)
{
	const struct bf_fetch_opts *o = s->o;
	const char *keys[4], *vals[4];
	const char *pv[1];
	char ct[24], st[24];
	PGresult *r;

	if (w->conn != NULL && PQstatus(w->conn) == CONNECTION_OK)
		return 0;
	if (w->conn != NULL)
		PQfinish(w->conn);
	snprintf(ct, sizeof(ct), "%lld",
	    (long long)((o->connect_timeout_ms + 999) / 1000));
	keys[0] = "dbname";
	vals[0] = o->db != NULL ? o->db : "";
	keys[1] = "connect_timeout";
	vals[1] = ct;
	keys[2] = "fallback_application_name";
	vals[2] = "bf-fetch";
	keys[3] = vals[3] = NULL;
	w->conn = PQconnectdbParams(keys, vals, 1);
	if (w->conn == NULL || PQstatus(w->conn) != CONNECTION_OK) {
		t->outcome = BF_TRY_RETRY;
		t->code = "unavailable";
		t->unavailable = 1;
		snprintf(t->msg, sizeof(t->msg), "%s: cannot connect: ",
		    ((struct pgsrc *)s->priv)->who);
		first_line(t->msg + strlen(t->msg),
		    sizeof(t->msg) - strlen(t->msg),
		    w->conn ? PQerrorMessage(w->conn) : "out of memory");
		return -1;
	}
	snprintf(st, sizeof(st), "%lld", (long long)o->statement_timeout_ms);
	pv[0] = st;
	r = PQexecParams(w->conn, "SELECT set_config('statement_timeout', $1, "
	    "false), set_config('TimeZone', 'UTC', false), "
	    "set_config('DateStyle', 'ISO', false)", 1, NULL, pv, NULL, NULL,
	    0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		t->outcome = BF_TRY_RETRY;
		t->code = "unavailable";
		snprintf(t->msg, sizeof(t->msg), "%s: session setup: ",
		    ((struct pgsrc *)s->priv)->who);
		first_line(t->msg + strlen(t->msg),
		    sizeof(t->msg) - strlen(t->msg), PQerrorMessage(w->conn));
		PQclear(r);
		PQfinish(w->conn);
		w->conn = NULL;
		return -1;
	}
	PQclear(r);
	return 0;
}

struct page {
	struct bf_source *s;
	struct pgw *w;
	char limit[24];
	char *last_ts, *last_id; /* the cursor; NULL before the first page */
	int rows;
	int lookback;            /* the lookback query, not a page */
	char lbfrom[BF_TIME_LEN];
};

static int
retryable_state(const char *st)
{
	if (st == NULL)
		return 1;
	return strncmp(st, "08", 2) == 0 || strncmp(st, "53", 2) == 0 ||
	    strncmp(st, "57P", 3) == 0 || strcmp(st, "57014") == 0 ||
	    strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0;
}

/* Fills t from the failed result r of a statement on conn: retried when
 * the connection broke or the SQLSTATE is transient, else query_failed;
 * the message is "who: SQLSTATE: the server's first line". */
static void
query_error(const struct pgsrc *p, PGconn *conn, const PGresult *r,
    struct bf_try *t)
{
	const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	if (PQstatus(conn) != CONNECTION_OK) {
		t->outcome = BF_TRY_RETRY;
		t->code = "unavailable";
		t->unavailable = 1;
	} else if (retryable_state(st)) {
		t->outcome = BF_TRY_RETRY;
		t->code = st != NULL && strcmp(st, "57014") == 0 ?
		    "timeout" : "unavailable";
	} else {
		t->outcome = BF_TRY_FAIL;
		t->code = "query_failed";
	}
	snprintf(t->msg, sizeof(t->msg), "%s: %s%s", p->who,
	    st != NULL ? st : "", st != NULL ? ": " : "");
	first_line(t->msg + strlen(t->msg), sizeof(t->msg) - strlen(t->msg),
	    PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r) :
	    PQerrorMessage(conn));
}

static void
try_page(void *ctx, struct bf_job *job, struct bf_try *t)
{
	struct page *pg = ctx;
	struct bf_source *s = pg->s;
	struct pgsrc *p = s->priv;
	const char **pv;
	PGresult *r;
	int np, i, k, n;
	size_t mark;

	if (connect_worker(s, pg->w, t) < 0)
		return;
	np = 4 + p->nmetrics + (pg->last_ts != NULL ? 2 : 0);
	pv = bf_xcalloc((size_t)np, sizeof(*pv));
	pv[0] = job->w.partition;
	pv[1] = pg->lookback ? pg->lbfrom : job->w.ws;
	pv[2] = pg->lookback ? job->w.ws : job->w.we;
	k = 3;
	if (!pg->lookback)
		pv[k++] = pg->limit;
	for (i = 0; i < p->nmetrics; i++)
		pv[k++] = s->metrics->m[i].query;
	if (pg->last_ts != NULL && !pg->lookback) {
		pv[k++] = pg->last_ts;
		pv[k++] = pg->last_id;
	}
	np = k;
	r = PQexecParams(pg->w->conn, pg->lookback ? p->sql_lookback :
	    pg->last_ts != NULL ? p->sql_next : p->sql_first, np, NULL, pv,
	    NULL, NULL, 0);
	free(pv);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		query_error(p, pg->w->conn, r, t);
		PQclear(r);
		return;
	}
	n = PQntuples(r);
	for (i = 0; i < n; i++) {
		const char *metric = PQgetvalue(r, i, 3), *unit;
		const char *val = PQgetvalue(r, i, 4);
		size_t vlen = (size_t)PQgetlength(r, i, 4);
		const struct bf_metric *m = NULL;
		int valkind = BF_VAL_TEXT;
		char *end;
		long long epoch = strtoll(PQgetvalue(r, i, 0), &end, 10);

		if (s->metrics != NULL)
			m = bf_metrics_by_query(s->metrics, metric,
			    (size_t)PQgetlength(r, i, 3));
		if (m != NULL) {
			metric = m->metric;
			unit = m->unit;
		} else {
			unit = p->unitcol ? PQgetvalue(r, i, 5) : "";
		}
		if (PQgetisnull(r, i, 4)) {
			val = "null";
			vlen = 4;
			valkind = BF_VAL_RAW;
		}
		mark = job->out.len;
		bf_job_sample(job, job->w.partition, strlen(job->w.partition),
		    metric, strlen(metric), unit, (bf_time)epoch, val, vlen,
		    valkind, "postgres", job->resolution);
		if (pg->lookback)
			bf_job_lookback(job, mark);
	}
	if (pg->lookback) {
		pg->rows = n;
		PQclear(r);
		t->outcome = BF_TRY_OK;
		return;
	}
	if (n > 0) {
		free(pg->last_ts);
		free(pg->last_id);
		pg->last_ts = bf_xstrdup(PQgetvalue(r, n - 1, 1));
		pg->last_id = bf_xstrdup(PQgetvalue(r, n - 1, 2));
	}
	pg->rows = n;
	PQclear(r);
	t->outcome = BF_TRY_OK;
}

static void
pg_fetch(struct bf_source *s, void *wp, struct bf_job *job)
{
	const struct bf_fetch_opts *o = s->o;
	struct page pg;
	long page;

	memset(&pg, 0, sizeof(pg));
	pg.s = s;
	pg.w = wp;
	snprintf(pg.limit, sizeof(pg.limit), "%ld", o->page);
	job->resolution = o->step;
	if (o->lookback > 0) {
		pg.lookback = 1;
		bf_time_format(job->w.start - o->lookback, pg.lbfrom);
		if (bf_fetch_call(s, job, try_page, &pg) < 0)
			return;
		pg.lookback = 0;
	}
	for (page = 0;; page++) {
		if (page >= o->max_pages) {
			bf_job_fail(job, "too_many_pages", "more than %ld pages "
			    "of %ld rows for one window", o->max_pages,
			    o->page);
			break;
		}
		if (bf_fetch_call(s, job, try_page, &pg) < 0)
			break;
		if (pg.rows < o->page)
			break;
	}
	free(pg.last_ts);
	free(pg.last_id);
}

/* The check: one statement to prepare. */
struct prep {
	struct bf_source *s;
	struct pgw *w;
	const char *sql;
};

static void
try_prepare(void *ctx, struct bf_job *job, struct bf_try *t)
{
	struct prep *pr = ctx;
	PGresult *r;

	if (connect_worker(pr->s, pr->w, t) < 0)
		return;
	r = PQprepare(pr->w->conn, "", pr->sql, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		query_error(pr->s->priv, pr->w->conn, r, t);
	else
		t->outcome = BF_TRY_OK;
	PQclear(r);
}

/* Connects and prepares the statements a window runs: an unknown table
 * or column is a configuration error (2), no server 69. */
static int
pg_check(struct bf_source *s, struct bf_job *job, struct bf_err *e)
{
	struct pgsrc *p = s->priv;
	const char *sql[3] = { p->sql_first, p->sql_next, p->sql_lookback };
	struct prep pr;
	void *w;
	int i, n = s->o->lookback > 0 ? 3 : 2, rc = 0;

	if (pg_worker_open(s, &w, e) < 0)
		return -1;
	pr.s = s;
	pr.w = w;
	for (i = 0; i < n && rc == 0; i++) {
		pr.sql = sql[i];
		if ((rc = bf_fetch_check_call(s, job, try_prepare, &pr, e)) > 0)
			rc = bf_err_set(e, BF_EXIT_USAGE, "%.600s; query: "
			    "%.380s", job->msg, pr.sql);
	}
	pg_worker_close(s, w);
	return rc;
}

static void
pg_plan(struct bf_source *s, struct bf_job *job, struct bf_plan *pl)
{
	const struct bf_fetch_opts *o = s->o;
	struct pgsrc *p = s->priv;
	int64_t points;

	pl->resolution = o->step;
	if (o->step > 0 && s->metrics != NULL) {
		points = (job->w.end - job->w.start + o->step - 1) / o->step *
		    (int64_t)s->metrics->n;
		pl->points = (long)points;
		/* a full last page is followed by an empty one */
		pl->pages = (long)(points / o->page + 1);
		pl->requests = pl->pages;
	} else {
		pl->requests = 1;
	}
	if (o->lookback > 0) {
		/* the lookback query */
		pl->requests++;
		if (pl->pages >= 0)
			pl->pages++;
		bf_buf_puts(&pl->extra, ",\"lookback_query\":");
		bf_json_put_str(&pl->extra, p->sql_lookback,
		    strlen(p->sql_lookback));
	}
	bf_buf_puts(&pl->extra, ",\"query\":");
	bf_json_put_str(&pl->extra, p->sql_first, strlen(p->sql_first));
	bf_buf_puts(&pl->extra, ",\"next_query\":");
	bf_json_put_str(&pl->extra, p->sql_next, strlen(p->sql_next));
}

const struct bf_source_ops bf_source_postgres = {
	"postgres", pg_open, pg_worker_open, pg_worker_close, pg_fetch,
	pg_plan, pg_close, pg_check,
};
