/*
 * sink-pg.c: the PostgreSQL warehouse (warehouse.h) over libpq. Usage rows
 * go through COPY into a temporary table and one INSERT ... SELECT ... ON
 * CONFLICT DO UPDATE in the caller's transaction; ledger entries are
 * appended with COPY. Every statement that carries a value is prepared and
 * takes it as a parameter (COPY data is data, never SQL text). A lost
 * connection is BF_EXIT_UNAVAILABLE.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "err.h"
#include "warehouse-internal.h"

/* Serialises schema creation between concurrent first runs. */
#define SCHEMA_LOCK "7310313"
/* The class (first key) of the advisory locks on usage keys: two int4 keys,
 * a space apart from the one-bigint SCHEMA_LOCK. */
#define KEY_LOCK_CLASS "7310314"
/* The session locks on partitions (bf_wh_pg_lock_partition) are one-bigint
 * keys with the top bit set: negative, so never SCHEMA_LOCK, and apart from
 * the two-int4 key locks. */
#define PART_LOCK_BIT 0x8000000000000000ULL

struct pg {
	PGconn *conn;
	size_t nstage;
	long long wseq;   /* the staged window: rows of bf_stage with it */
	char wseqtext[24];
};

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* The first line of a libpq message, without the "ERROR:  " prefix. */
static void
first_line(const char *msg, char *out, size_t n)
{
	size_t len;

	if (msg == NULL)
		msg = "";
	if (strncmp(msg, "ERROR:  ", 8) == 0)
		msg += 8;
	len = strcspn(msg, "\n");
	if (len >= n)
		len = n - 1;
	memcpy(out, msg, len);
	out[len] = '\0';
}

static int
pg_fail(struct bf_wh *w, PGresult *res, const char *what, struct bf_err *e)
{
	struct pg *p = w->impl;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) :
	    NULL;
	char msg[512];
	int code = BF_EXIT_FAILED;

	first_line(res && PQresultErrorMessage(res)[0] ?
	    PQresultErrorMessage(res) : PQerrorMessage(p->conn), msg,
	    sizeof(msg));
	if (res != NULL)
		PQclear(res);
	if (PQstatus(p->conn) == CONNECTION_BAD ||
	    (state != NULL && (strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "57P", 3) == 0)))
		return bf_err_set(e, BF_EXIT_UNAVAILABLE,
		    "lost connection to warehouse '%s': %s", w->name, msg);
	if (state != NULL && (strcmp(state, "40001") == 0 ||
	    strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0))
		code = BF_EXIT_TEMPFAIL;
	return bf_err_set(e, code, "warehouse '%s': %s: %s", w->name, what,
	    msg);
}

/* Runs sql (no parameters); returns the result when its status is want,
 * else NULL with e set. */
static PGresult *
pg_run(struct bf_wh *w, const char *sql, ExecStatusType want,
    const char *what, struct bf_err *e)
{
	struct pg *p = w->impl;
	PGresult *res = PQexec(p->conn, sql);

	if (res == NULL || PQresultStatus(res) != want) {
		pg_fail(w, res, what, e);
		return NULL;
	}
	return res;
}

static int
pg_exec(struct bf_wh *w, const char *sql, struct bf_err *e)
{
	PGresult *res = pg_run(w, sql, PGRES_COMMAND_OK, sql, e);

	if (res == NULL)
		return -1;
	/* A COMMIT of a failed transaction answers ROLLBACK. */
	if (strcmp(sql, "COMMIT") == 0 &&
	    strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		PQclear(res);
		return bf_err_set(e, BF_EXIT_FAILED,
		    "warehouse '%s': the transaction was rolled back", w->name);
	}
	PQclear(res);
	return 0;
}

static PGresult *
pg_prepared(struct bf_wh *w, const char *name, int n,
    const char *const *params, ExecStatusType want, const char *what,
    struct bf_err *e)
{
	struct pg *p = w->impl;
	PGresult *res = PQexecPrepared(p->conn, name, n, params, NULL, NULL, 0);

	if (res == NULL || PQresultStatus(res) != want) {
		pg_fail(w, res, what, e);
		return NULL;
	}
	return res;
}

/* pg_prepared for a statement whose result is not read: 0, or -1 with e
 * set. */
static int
pg_do(struct bf_wh *w, const char *name, int n, const char *const *params,
    ExecStatusType want, const char *what, struct bf_err *e)
{
	PGresult *res = pg_prepared(w, name, n, params, want, what, e);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static int
pg_prepare(struct bf_wh *w, const char *name, const char *sql, int nparams,
    struct bf_err *e)
{
	struct pg *p = w->impl;
	PGresult *res = PQprepare(p->conn, name, sql, nparams, NULL);

	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_fail(w, res, "prepare", e);
		return -1;
	}
	PQclear(res);
	return 0;
}

static void
select_sql(const struct bf_wh *w, const struct bf_table *t, const char *where,
    struct bf_buf *sql)
{
	bf_wh_select_sql(w, t, sql);
	bf_buf_printf(sql, " %s", where);
}

static int
pg_statements(struct bf_wh *w, struct bf_err *e)
{
	struct bf_buf sql = BF_BUF_INIT;
	int rc = -1;

	if (pg_prepare(w, "bf_conflict", "SELECT window_start, window_end "
	    "FROM windows WHERE partition = $1 AND window_start < $3 "
	    "AND window_end > $2 AND NOT (window_start = $2 AND "
	    "window_end = $3) ORDER BY window_start LIMIT 1", 3, e) == -1)
		goto done;
	select_sql(w, &bf_tbl_windows, "WHERE partition = $1 AND "
	    "window_start = $2 AND window_end = $3", &sql);
	if (pg_prepare(w, "bf_window_get", bf_buf_str(&sql), 3, e) == -1)
		goto done;
	bf_buf_reset(&sql);
	select_sql(w, &bf_tbl_usage, "WHERE partition = $1 AND "
	    "window_start = $2 AND window_end = $3 "
	    "ORDER BY instance_id, metric", &sql);
	if (pg_prepare(w, "bf_window_usage", bf_buf_str(&sql), 3, e) == -1)
		goto done;
	/* Rows of one instance_id and metric never overlap (this check
	 * keeps it so): the row with the latest start before a window's end
	 * is the only one that can overlap the window. */
	if (pg_prepare(w, "bf_owner", "SELECT s.ord, m.partition "
	    "FROM bf_stage s CROSS JOIN LATERAL (SELECT u.partition, "
	    "u.window_end FROM usage u WHERE u.instance_id = s.instance_id "
	    "AND u.metric = s.metric AND u.window_start < s.window_end "
	    "ORDER BY u.window_start DESC LIMIT 1) m "
	    "WHERE s.wseq = $2 AND m.window_end > s.window_start AND "
	    "m.partition <> $1 ORDER BY s.ord LIMIT 1", 2, e) == -1)
		goto done;
	bf_buf_reset(&sql);
	bf_wh_insert_head(&bf_tbl_usage, &sql);
	bf_buf_puts(&sql, " SELECT ");
	bf_wh_collist(&bf_tbl_usage, NULL, &sql);
	bf_buf_puts(&sql, " FROM bf_stage WHERE wseq = $1");
	bf_wh_conflict_sql(&bf_tbl_usage,
	    "usage.partition = excluded.partition", &sql);
	if (pg_prepare(w, "bf_upsert", bf_buf_str(&sql), 1, e) == -1)
		goto done;
	/* The ownership rule under concurrent loaders: every loader locks
	 * each (instance_id, metric) it is about to write, in one order
	 * (the hash's) so that two windows cannot deadlock, until its
	 * transaction ends; the checks that follow then see what any other
	 * loader committed for those keys. A hash collision only makes two
	 * keys share a lock. */
	if (pg_prepare(w, "bf_lock_keys", "SELECT count(pg_advisory_xact_lock("
	    KEY_LOCK_CLASS ", k.h)) FROM (SELECT DISTINCT "
	    "hashtext(length(instance_id) || ':' || instance_id || metric) "
	    "AS h FROM bf_stage WHERE wseq = $1 ORDER BY h) k", 1, e) == -1)
		goto done;
	if (pg_prepare(w, "bf_foreign", "SELECT 1 FROM windows "
	    "WHERE window_end > $2 AND window_start < $3 AND partition <> $1 "
	    "AND NOT (window_start = $2 AND window_end = $3) LIMIT 1", 3,
	    e) == -1)
		goto done;
	if (pg_prepare(w, "bf_key_owner", "SELECT s.ord, u.partition "
	    "FROM bf_stage s JOIN usage u ON u.instance_id = s.instance_id "
	    "AND u.metric = s.metric AND u.window_start = s.window_start "
	    "AND u.window_end = s.window_end WHERE s.wseq = $2 AND "
	    "u.partition <> $1 ORDER BY s.ord LIMIT 1", 2, e) == -1)
		goto done;
	if (pg_prepare(w, "bf_delete", "DELETE FROM usage WHERE "
	    "instance_id = $1 AND metric = $2 AND window_start = $3 AND "
	    "window_end = $4", 4, e) == -1)
		goto done;
	if (pg_prepare(w, "bf_head", "SELECT seq, hash FROM ledger "
	    "WHERE partition = $1 ORDER BY seq DESC LIMIT 1", 1, e) == -1)
		goto done;
	bf_buf_reset(&sql);
	bf_wh_insert_sql(&bf_tbl_windows, '$', &sql);
	bf_wh_conflict_sql(&bf_tbl_windows, NULL, &sql);
	if (pg_prepare(w, "bf_window_put", bf_buf_str(&sql),
	    bf_tbl_windows.ncols, e) == -1)
		goto done;
	rc = 0;
done:
	bf_buf_free(&sql);
	return rc;
}

/* The upgrade to version 3: sets the hash of windows row r. */
static int
pg_set_hash(struct bf_wh *w, const struct bf_row *r, const char *hash,
    struct bf_err *e)
{
	struct pg *p = w->impl;
	const char *param[4] = { hash, r->v[BF_W_PARTITION],
		r->v[BF_W_WINDOW_START], r->v[BF_W_WINDOW_END] };
	PGresult *res = PQexecParams(p->conn, "UPDATE windows SET hash = $1 "
	    "WHERE partition = $2 AND window_start = $3 AND window_end = $4",
	    4, NULL, param, NULL, NULL, 0);

	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		return pg_fail(w, res, "upgrading windows", e);
	PQclear(res);
	return 0;
}

static int
pg_schema(struct bf_wh *w, int flags, struct bf_err *e)
{
	struct bf_buf sql = BF_BUF_INIT;
	PGresult *res;
	const char *param[1];
	char vbuf[16];
	int exists, ver;

	if (pg_exec(w, "BEGIN", e) == -1)
		return -1;
	w->in_tx = 1;
	if ((res = pg_run(w, "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK ")",
	    PGRES_TUPLES_OK, "locking the schema", e)) == NULL)
		goto fail;
	PQclear(res);
	if ((res = pg_run(w, "SELECT to_regclass('schema_version') IS NOT "
	    "NULL", PGRES_TUPLES_OK, "reading the schema", e)) == NULL)
		goto fail;
	exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!exists) {
		if (!(flags & BF_WH_CREATE)) {
			bf_err_set(e, BF_EXIT_UNAVAILABLE,
			    "warehouse '%s' has no bf schema", w->name);
			goto fail;
		}
		if (bf_wh_create_tables(w, e) == -1)
			goto fail;
		snprintf(vbuf, sizeof(vbuf), "%d", BF_SCHEMA_VERSION);
		param[0] = vbuf;
		res = PQexecParams(((struct pg *)w->impl)->conn,
		    "INSERT INTO schema_version (version) VALUES ($1)", 1,
		    NULL, param, NULL, NULL, 0);
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_fail(w, res, "creating the schema", e);
			goto fail;
		}
		PQclear(res);
		ver = BF_SCHEMA_VERSION;
	} else {
		if ((res = pg_run(w, "SELECT coalesce(max(version), 0) FROM "
		    "schema_version", PGRES_TUPLES_OK,
		    "reading the schema version", e)) == NULL)
			goto fail;
		ver = atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
		/* Under the schema lock: of two processes, one upgrades. */
		if (ver >= 1 && ver < BF_SCHEMA_VERSION &&
		    (flags & BF_WH_UPGRADE)) {
			bf_wh_upgrade_sql(ver, 1, &sql);
			if (pg_exec(w, bf_buf_str(&sql), e) == -1)
				goto fail;
			if (ver < 3 && bf_wh_rehash_windows(w, pg_set_hash,
			    e) == -1)
				goto fail;
			w->upgraded = ver;
			ver = BF_SCHEMA_VERSION;
		}
	}
	if (pg_exec(w, "COMMIT", e) == -1)
		goto fail;
	w->in_tx = 0;
	bf_buf_free(&sql);
	return bf_wh_check_version(w, ver, e);
fail:
	bf_wh_rollback(w);
	w->upgraded = 0;
	bf_buf_free(&sql);
	return -1;
}

static void
pg_close(struct bf_wh *w)
{
	struct pg *p = w->impl;

	PQfinish(p->conn);
	free(p);
}

static int
pg_open(struct bf_wh *w, const char *target, int flags, struct bf_err *e)
{
	struct pg *p = bf_xcalloc(1, sizeof(*p));
	const char *kw[] = { "dbname", "fallback_application_name",
		"client_encoding", NULL };
	const char *val[] = { target, bf_progname, "UTF8", NULL };
	char msg[512];

	w->impl = p;
	p->conn = PQconnectdbParams(kw, val, 1);
	if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK) {
		first_line(p->conn ? PQerrorMessage(p->conn) : "out of memory",
		    msg, sizeof(msg));
		return bf_err_set(e, BF_EXIT_UNAVAILABLE,
		    "cannot connect to warehouse '%s': %s", w->name, msg);
	}
	PQsetNoticeProcessor(p->conn, quiet, NULL);
	if (pg_schema(w, flags, e) == -1)
		return -1;
	/* An older schema is only read (bf_wh_begin refuses it): no
	 * staging table, no statements that write. */
	if (w->version < BF_SCHEMA_VERSION)
		return 0;
	/* The staging table: each window's rows under their own wseq, so
	 * that a batch of windows needs no TRUNCATE (a new file each time);
	 * the commit empties it. */
	if (pg_exec(w, "SET temp_buffers = '64MB'", e) == -1 ||
	    pg_exec(w, "CREATE TEMP TABLE IF NOT EXISTS bf_stage "
	    "(LIKE usage, ord BIGINT NOT NULL, wseq BIGINT NOT NULL) "
	    "ON COMMIT DELETE ROWS", e) == -1 ||
	    pg_exec(w, "CREATE INDEX IF NOT EXISTS bf_stage_wseq "
	    "ON bf_stage (wseq)", e) == -1)
		return -1;
	return pg_statements(w, e);
}

static int
pg_window_conflict(struct bf_wh *w, const char *partition, const char *ws,
    const char *we, char ows[32], char owe[32], struct bf_err *e)
{
	const char *param[3] = { partition, ws, we };
	PGresult *res = pg_prepared(w, "bf_conflict", 3, param,
	    PGRES_TUPLES_OK, "reading windows", e);
	int found;

	if (res == NULL)
		return -1;
	found = PQntuples(res) > 0;
	if (found) {
		snprintf(ows, 32, "%s", PQgetvalue(res, 0, 0));
		snprintf(owe, 32, "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return found;
}

static void
fetch_rows(PGresult *res, struct bf_rowset *out)
{
	int i, j, n = PQntuples(res), nf = PQnfields(res);

	for (i = 0; i < n; i++) {
		struct bf_row *r = bf_rowset_add(out);

		for (j = 0; j < nf && j < BF_MAXCOLS; j++)
			if (!PQgetisnull(res, i, j))
				r->v[j] = bf_rowset_strn(out,
				    PQgetvalue(res, i, j),
				    (size_t)PQgetlength(res, i, j));
	}
}

/* Runs the prepared query name over one window (partition, ws, we):
 * 1 when it finds rows, copied into out unless out is NULL, 0 when not,
 * -1 with e set. */
static int
pg_window_rows(struct bf_wh *w, const char *name, const char *what,
    const char *partition, const char *ws, const char *we,
    struct bf_rowset *out, struct bf_err *e)
{
	const char *param[3] = { partition, ws, we };
	PGresult *res = pg_prepared(w, name, 3, param, PGRES_TUPLES_OK, what,
	    e);
	int found;

	if (res == NULL)
		return -1;
	found = PQntuples(res) > 0;
	if (out != NULL)
		fetch_rows(res, out);
	PQclear(res);
	return found;
}

static int
pg_window_get(struct bf_wh *w, const char *partition, const char *ws,
    const char *we, struct bf_rowset *out, struct bf_err *e)
{
	return pg_window_rows(w, "bf_window_get", "reading windows",
	    partition, ws, we, out, e);
}

static int
pg_window_usage(struct bf_wh *w, const char *partition, const char *ws,
    const char *we, struct bf_rowset *out, struct bf_err *e)
{
	return pg_window_rows(w, "bf_window_usage", "reading usage",
	    partition, ws, we, out, e) == -1 ? -1 : 0;
}

/* COPY text format: backslash escapes for the bytes that delimit. */
static void
copy_field(struct bf_buf *b, const char *v)
{
	size_t n;

	if (v == NULL) {
		bf_buf_add(b, "\\N", 2);
		return;
	}
	for (;;) {
		n = strcspn(v, "\\\n\r\t");
		bf_buf_add(b, v, n);
		v += n;
		switch (*v) {
		case '\0':
			return;
		case '\\':
			bf_buf_add(b, "\\\\", 2);
			break;
		case '\n':
			bf_buf_add(b, "\\n", 2);
			break;
		case '\r':
			bf_buf_add(b, "\\r", 2);
			break;
		default:
			bf_buf_add(b, "\\t", 2);
			break;
		}
		v++;
	}
}

/* COPY table (its columns [, ord, wseq]) FROM STDIN with n rows. */
static int
pg_copy(struct bf_wh *w, const char *table, const struct bf_table *t,
    const struct bf_row *rows, size_t n, int ord, struct bf_err *e)
{
	struct pg *p = w->impl;
	struct bf_buf sql = BF_BUF_INIT, data = BF_BUF_INIT;
	PGresult *res;
	size_t i;
	int j, rc = -1;

	bf_buf_printf(&sql, "COPY %s (", table);
	bf_wh_collist(t, NULL, &sql);
	bf_buf_printf(&sql, "%s) FROM STDIN", ord ? ", ord, wseq" : "");
	res = pg_run(w, bf_buf_str(&sql), PGRES_COPY_IN, "COPY", e);
	if (res == NULL)
		goto done;
	PQclear(res);
	for (i = 0; i < n; i++) {
		for (j = 0; j < t->ncols; j++) {
			if (j > 0)
				bf_buf_putc(&data, '\t');
			copy_field(&data, rows[i].v[j]);
		}
		if (ord)
			bf_buf_printf(&data, "\t%zu\t%lld", i, p->wseq);
		bf_buf_putc(&data, '\n');
		if (data.len >= 65536 || i + 1 == n) {
			if (PQputCopyData(p->conn, data.s,
			    (int)data.len) != 1) {
				pg_fail(w, NULL, "COPY", e);
				PQputCopyEnd(p->conn, "failed");
				while ((res = PQgetResult(p->conn)) != NULL)
					PQclear(res);
				goto done;
			}
			bf_buf_reset(&data);
		}
	}
	if (PQputCopyEnd(p->conn, NULL) != 1) {
		pg_fail(w, NULL, "COPY", e);
		goto done;
	}
	rc = 0;
	while ((res = PQgetResult(p->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			if (rc == 0)
				pg_fail(w, res, "COPY", e);
			else
				PQclear(res);
			rc = -1;
			continue;
		}
		PQclear(res);
	}
done:
	bf_buf_free(&sql);
	bf_buf_free(&data);
	return rc;
}

static int
pg_foreign_overlap(struct bf_wh *w, const char *partition, const char *ws,
    const char *we, struct bf_err *e)
{
	return pg_window_rows(w, "bf_foreign", "reading windows", partition,
	    ws, we, NULL, e);
}

/* Runs the owner query name over the staged window: 1 with *idx and owner
 * set when it finds a row, 0 when not, -1 on error. */
static int
pg_owner_query(struct bf_wh *w, const char *name, const char *partition,
    size_t *idx, struct bf_buf *owner, struct bf_err *e)
{
	struct pg *p = w->impl;
	const char *param[2] = { partition, p->wseqtext };
	PGresult *res = pg_prepared(w, name, 2, param, PGRES_TUPLES_OK,
	    "reading usage", e);

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	*idx = (size_t)strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	bf_buf_reset(owner);
	bf_buf_puts(owner, PQgetvalue(res, 0, 1));
	PQclear(res);
	return 1;
}

/* Takes the advisory locks of the staged window's keys (bf_lock_keys),
 * waiting for any loader that holds one to end its transaction. */
static int
pg_lock_keys(struct bf_wh *w, struct bf_err *e)
{
	struct pg *p = w->impl;
	const char *param[1] = { p->wseqtext };
	return pg_do(w, "bf_lock_keys", 1, param,
	    PGRES_TUPLES_OK, "locking usage keys", e);
}

static int
pg_stage(struct bf_wh *w, const char *partition, const struct bf_row *rows,
    size_t n, int check, size_t *idx, struct bf_buf *owner,
    struct bf_err *e)
{
	struct pg *p = w->impl;

	p->nstage = 0;
	if (n == 0)
		return 0;
	p->wseq++;
	snprintf(p->wseqtext, sizeof(p->wseqtext), "%lld", p->wseq);
	if (pg_copy(w, "bf_stage", &bf_tbl_usage, rows, n, 1, e) == -1)
		return -1;
	p->nstage = n;
	if (pg_lock_keys(w, e) == -1)
		return -1;
	/* The caller's look at the windows table was before the locks: a
	 * loader that committed a window meanwhile is seen only now. */
	if (!check && (check = pg_foreign_overlap(w, partition,
	    rows[0].v[BF_U_WINDOW_START], rows[0].v[BF_U_WINDOW_END],
	    e)) == -1)
		return -1;
	if (!check)
		return 0;
	return pg_owner_query(w, "bf_owner", partition, idx, owner, e);
}

static int
pg_stage_upsert(struct bf_wh *w, const char *partition, size_t *idx,
    struct bf_buf *owner, struct bf_err *e)
{
	struct pg *p = w->impl;
	const char *param[1] = { p->wseqtext };
	PGresult *res;
	size_t done;

	if (p->nstage == 0)
		return 0;

	res = pg_prepared(w, "bf_upsert", 1, param, PGRES_COMMAND_OK,
	    "writing usage", e);
	if (res == NULL)
		return -1;
	done = (size_t)strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	if (done == p->nstage) {
		p->nstage = 0;
		return 0;
	}
	p->nstage = 0;
	/* The guard kept rows of another partition: name the first. */
	switch (pg_owner_query(w, "bf_key_owner", partition, idx, owner, e)) {
	case -1:
		return -1;
	case 0:
		return bf_err_set(e, BF_EXIT_FAILED, "warehouse '%s': usage "
		    "rows were not written", w->name);
	}
	return 1;
}

static int
pg_usage_delete(struct bf_wh *w, const struct bf_row *r, struct bf_err *e)
{
	const char *param[4] = { r->v[BF_U_INSTANCE_ID], r->v[BF_U_METRIC],
		r->v[BF_U_WINDOW_START], r->v[BF_U_WINDOW_END] };
	return pg_do(w, "bf_delete", 4, param,
	    PGRES_COMMAND_OK, "deleting usage", e);
}

static int
pg_chain_head(struct bf_wh *w, const char *partition, int64_t *seq,
    char hash[BF_SHA256_HEX], struct bf_err *e)
{
	const char *param[1] = { partition };
	PGresult *res = pg_prepared(w, "bf_head", 1, param, PGRES_TUPLES_OK,
	    "reading the ledger", e);

	*seq = 0;
	hash[0] = '\0';
	if (res == NULL)
		return -1;
	if (PQntuples(res) > 0) {
		*seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		snprintf(hash, BF_SHA256_HEX, "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return 0;
}

static int
pg_ledger_append(struct bf_wh *w, const struct bf_row *rows, size_t n,
    struct bf_err *e)
{
	return pg_copy(w, "ledger", &bf_tbl_ledger, rows, n, 0, e);
}

static int
pg_window_put(struct bf_wh *w, const struct bf_row *row, struct bf_err *e)
{
	return pg_do(w, "bf_window_put", bf_tbl_windows.ncols,
	    row->v, PGRES_COMMAND_OK, "writing windows", e);
}

static int
pg_scan(struct bf_wh *w, const struct bf_table *t, bf_wh_row_fn fn,
    void *ctx, struct bf_err *e)
{
	struct pg *p = w->impl;
	struct bf_buf sql = BF_BUF_INIT;
	struct bf_row row;
	PGresult *res;
	int rc = 0, i;

	bf_wh_select_sql(w, t, &sql);
	bf_buf_printf(&sql, " ORDER BY %s", t->order);
	if (!PQsendQuery(p->conn, bf_buf_str(&sql))) {
		bf_buf_free(&sql);
		return pg_fail(w, NULL, "reading", e);
	}
	bf_buf_free(&sql);
	PQsetSingleRowMode(p->conn);
	while ((res = PQgetResult(p->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_SINGLE_TUPLE && rc == 0) {
			memset(&row, 0, sizeof(row));
			for (i = 0; i < t->ncols && i < PQnfields(res); i++)
				row.v[i] = PQgetisnull(res, 0, i) ? NULL :
				    PQgetvalue(res, 0, i);
			if (fn(ctx, &row, e) == -1)
				rc = -1;
		} else if (st != PGRES_SINGLE_TUPLE &&
		    st != PGRES_TUPLES_OK && rc == 0) {
			pg_fail(w, res, "reading", e);
			rc = -1;
			continue;
		}
		PQclear(res);
	}
	return rc;
}

/* The advisory lock key of partition: the first 64 bits of the SHA-256 of
 * its name, with PART_LOCK_BIT set, as a signed decimal. */
static void
part_lock_key(const char *partition, char out[24])
{
	char hex[BF_SHA256_HEX];
	uint64_t k;

	bf_sha256_hex(partition, strlen(partition), hex);
	hex[16] = '\0';
	k = strtoull(hex, NULL, 16) | PART_LOCK_BIT;
	snprintf(out, 24, "%" PRId64, (int64_t)k);
}

int
bf_wh_pg_lock_partition(struct bf_wh *w, const char *partition,
    struct bf_err *e)
{
	struct pg *p = w->impl;
	char key[24];
	const char *param[1] = { key };
	PGresult *res;
	int got;

	part_lock_key(partition, key);
	res = PQexecParams(p->conn, "SELECT pg_try_advisory_lock($1::bigint)",
	    1, NULL, param, NULL, NULL, 0);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
		return pg_fail(w, res, "locking a partition", e);
	got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!got)
		return bf_err_set(e, BF_EXIT_TEMPFAIL, "partition '%s' is "
		    "locked by another bf-load", partition);
	return 0;
}

const struct bf_wh_ops bf_wh_pg_ops = {
	pg_open, pg_close, pg_exec, pg_window_conflict, pg_window_get,
	pg_window_usage, pg_foreign_overlap, pg_stage, pg_stage_upsert,
	pg_usage_delete,
	pg_chain_head, pg_ledger_append, pg_window_put, pg_scan,
};

int
bf_wh_pg_exists(const char *target, const char *name, struct bf_err *e)
{
	const char *kw[] = { "dbname", "fallback_application_name",
		"client_encoding", NULL };
	const char *val[] = { target, bf_progname, "UTF8", NULL };
	char msg[512];
	PGconn *c;
	PGresult *res = NULL;
	int r = -1;

	c = PQconnectdbParams(kw, val, 1);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		first_line(c ? PQerrorMessage(c) : "out of memory", msg,
		    sizeof(msg));
		bf_err_set(e, BF_EXIT_UNAVAILABLE,
		    "cannot connect to warehouse '%s': %s", name, msg);
		goto done;
	}
	PQsetNoticeProcessor(c, quiet, NULL);
	res = PQexec(c, "SELECT to_regclass('schema_version') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		first_line(PQerrorMessage(c), msg, sizeof(msg));
		bf_err_set(e, BF_EXIT_UNAVAILABLE,
		    "warehouse '%s': reading the schema: %s", name, msg);
		goto done;
	}
	r = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
done:
	PQclear(res);
	PQfinish(c);
	return r;
}

int
bf_wh_pg_select_eq(struct bf_wh *w, const struct bf_table *t, int col,
    const char *value, bf_wh_row_fn fn, void *ctx, struct bf_err *e)
{
	struct pg *p = w->impl;
	struct bf_buf sql = BF_BUF_INIT;
	const char *param[1] = { value };
	struct bf_row row;
	PGresult *res;
	int rc = 0, i, k, n;

	bf_wh_select_sql(w, t, &sql);
	bf_buf_printf(&sql, " WHERE %s = $1 ORDER BY %s", t->cols[col].name,
	    t->order);
	res = PQexecParams(p->conn, bf_buf_str(&sql), 1, NULL, param, NULL,
	    NULL, 0);
	bf_buf_free(&sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_fail(w, res, "reading", e);
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	for (k = 0; k < n && rc == 0; k++) {
		memset(&row, 0, sizeof(row));
		for (i = 0; i < t->ncols && i < PQnfields(res); i++)
			row.v[i] = PQgetisnull(res, k, i) ? NULL :
			    PQgetvalue(res, k, i);
		rc = fn(ctx, &row, e);
	}
	PQclear(res);
	return rc;
}
