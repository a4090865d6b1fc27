/*
 * sink-sqlite.c: the SQLite warehouse (warehouse.h): one file in WAL mode,
 * synchronous=FULL (a commit is on disk before bf-load writes its
 * checkpoint), a busy timeout for concurrent writers and readers, and
 * prepared statements for everything that carries data.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "err.h"
#include "warehouse-internal.h"

enum {
	ST_CONFLICT, ST_WINDOW_GET, ST_WINDOW_USAGE, ST_OWNER, ST_UPSERT,
	ST_DELETE, ST_HEAD, ST_LEDGER, ST_WINDOW_PUT, ST_FOREIGN, ST_KEY_OWNER,
	ST_NST
};

struct sq {
	sqlite3 *db;
	sqlite3_stmt *st[ST_NST];
	const struct bf_row *stage; /* borrowed until stage_upsert */
	size_t nstage;
};

static int
sq_err(struct bf_wh *w, int rc, const char *what, struct bf_err *e)
{
	struct sq *q = w->impl;
	const char *msg = q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc);
	int code;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = BF_EXIT_TEMPFAIL;
		break;
	case SQLITE_IOERR:
	case SQLITE_FULL:
		code = BF_EXIT_IO;
		break;
	case SQLITE_CANTOPEN:
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_PERM:
	case SQLITE_READONLY:
		code = BF_EXIT_UNAVAILABLE;
		break;
	default:
		code = BF_EXIT_FAILED;
		break;
	}
	return bf_err_set(e, code, "warehouse '%s': %s: %s", w->name, what,
	    msg);
}

static int
sq_exec(struct bf_wh *w, const char *sql, struct bf_err *e)
{
	struct sq *q = w->impl;
	int rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return sq_err(w, rc, sql, e);
	return 0;
}

static sqlite3_stmt *
sq_prep(struct bf_wh *w, int id, const char *sql, struct bf_err *e)
{
	struct sq *q = w->impl;
	int rc;

	if (q->st[id] != NULL) {
		sqlite3_reset(q->st[id]);
		sqlite3_clear_bindings(q->st[id]);
		return q->st[id];
	}
	rc = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &q->st[id], NULL);
	if (rc != SQLITE_OK) {
		sq_err(w, rc, "prepare", e);
		return NULL;
	}
	return q->st[id];
}

static int
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* Binds ?1..?4 to the key of usage row r: instance_id, metric,
 * window_start, window_end. */
static void
bind_usage_key(sqlite3_stmt *st, const struct bf_row *r)
{
	bind_text(st, 1, r->v[BF_U_INSTANCE_ID]);
	bind_text(st, 2, r->v[BF_U_METRIC]);
	bind_text(st, 3, r->v[BF_U_WINDOW_START]);
	bind_text(st, 4, r->v[BF_U_WINDOW_END]);
}

/* Binds every column of row (table t) to parameters 1..ncols. */
static int
bind_row(sqlite3_stmt *st, const struct bf_table *t, const struct bf_row *r)
{
	int i, rc;

	for (i = 0; i < t->ncols; i++) {
		const char *v = r->v[i];

		if (v != NULL && t->cols[i].type == BF_COL_INT)
			rc = sqlite3_bind_int64(st, i + 1,
			    strtoll(v, NULL, 10));
		else
			rc = bind_text(st, i + 1, v);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* Copies the current result row's first ncols columns into a new row of
 * out. */
static void
fetch_row(sqlite3_stmt *st, int ncols, struct bf_rowset *out)
{
	struct bf_row *r = bf_rowset_add(out);
	int i;

	for (i = 0; i < ncols; i++)
		if (sqlite3_column_type(st, i) != SQLITE_NULL)
			r->v[i] = bf_rowset_strn(out,
			    (const char *)sqlite3_column_text(st, i),
			    (size_t)sqlite3_column_bytes(st, i));
}

/* The schema version of the open database into *ver: 0 when it has no
 * schema_version table. */
static int
sq_read_version(struct bf_wh *w, int *ver, struct bf_err *e)
{
	struct sq *q = w->impl;
	sqlite3_stmt *st = NULL;
	int rc, exists;

	*ver = 0;
	rc = sqlite3_prepare_v2(q->db, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name = 'schema_version'", -1, &st, NULL);
	if (rc != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_ROW)
		goto fail;
	exists = sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	st = NULL;
	if (!exists)
		return 0;
	rc = sqlite3_prepare_v2(q->db, "SELECT max(version) FROM "
	    "schema_version", -1, &st, NULL);
	if (rc != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_ROW)
		goto fail;
	*ver = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
fail:
	sqlite3_finalize(st);
	return sq_err(w, rc, "reading the schema version", e);
}

/* The upgrade to version 3: sets the hash of windows row r. */
static int
sq_set_hash(struct bf_wh *w, const struct bf_row *r, const char *hash,
    struct bf_err *e)
{
	struct sq *q = w->impl;
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(q->db, "UPDATE windows SET hash = ?1 "
	    "WHERE partition = ?2 AND window_start = ?3 AND window_end = ?4",
	    -1, &st, NULL);
	if (rc == SQLITE_OK) {
		bind_text(st, 1, hash);
		bind_text(st, 2, r->v[BF_W_PARTITION]);
		bind_text(st, 3, r->v[BF_W_WINDOW_START]);
		bind_text(st, 4, r->v[BF_W_WINDOW_END]);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_err(w, rc, "upgrading windows", e);
	return 0;
}

/* Creates the schema (flags & BF_WH_CREATE) or upgrades it (flags &
 * BF_WH_UPGRADE) when it needs it, under the write lock and after looking
 * again once the lock is held: of two processes, one does it. */
static int
sq_schema(struct bf_wh *w, int flags, struct bf_err *e)
{
	struct sq *q = w->impl;
	struct bf_buf sql = BF_BUF_INIT;
	sqlite3_stmt *ins;
	int rc, ver, began = 0;

	for (;;) {
		if (sq_read_version(w, &ver, e) == -1)
			goto fail;
		if (began || (ver != 0 && (ver >= BF_SCHEMA_VERSION ||
		    !(flags & BF_WH_UPGRADE))))
			break;
		if (ver == 0 && !(flags & BF_WH_CREATE)) {
			bf_err_set(e, BF_EXIT_UNAVAILABLE,
			    "warehouse '%s' has no bf schema", w->name);
			goto fail;
		}
		if (sq_exec(w, "BEGIN IMMEDIATE", e) == -1)
			goto fail;
		began = 1;
	}
	if (ver == 0) {
		if (bf_wh_create_tables(w, e) == -1)
			goto fail;
		rc = sqlite3_prepare_v2(q->db, "INSERT INTO schema_version "
		    "(version) VALUES (?1)", -1, &ins, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int(ins, 1, BF_SCHEMA_VERSION);
			rc = sqlite3_step(ins);
			sqlite3_finalize(ins);
		}
		if (rc != SQLITE_DONE && rc != SQLITE_OK) {
			sq_err(w, rc, "creating the schema", e);
			goto fail;
		}
		ver = BF_SCHEMA_VERSION;
	} else if (ver >= 1 && ver < BF_SCHEMA_VERSION &&
	    (flags & BF_WH_UPGRADE)) {
		bf_wh_upgrade_sql(ver, 0, &sql);
		if (sq_exec(w, bf_buf_str(&sql), e) == -1)
			goto fail;
		if (ver < 3 && bf_wh_rehash_windows(w, sq_set_hash, e) == -1)
			goto fail;
		w->upgraded = ver;
		ver = BF_SCHEMA_VERSION;
	}
	if (began && sq_exec(w, "COMMIT", e) == -1)
		goto fail;
	began = 0;
	bf_buf_free(&sql);
	return bf_wh_check_version(w, ver, e);
fail:
	if (began)
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	w->upgraded = 0;
	bf_buf_free(&sql);
	return -1;
}

/* BF_FAULT=journal-hot:COUNT (load.h): SQLite's unlink(2) through
 * jfault_unlink, which kills the process the COUNT-th time SQLite deletes a
 * rollback journal: the moment its transaction is on disk but the journal
 * not yet gone, the hot journal a writer killed there leaves. */
static sqlite3_syscall_ptr jfault_real;
static long jfault_count, jfault_hits;

static int
jfault_unlink(const char *path)
{
	size_t n = strlen(path);

	if (n > 8 && strcmp(path + n - 8, "-journal") == 0 &&
	    ++jfault_hits == jfault_count) {
		raise(SIGKILL);
		_exit(137);
	}
	return ((int (*)(const char *))jfault_real)(path);
}

static void
jfault_setup(void)
{
	const char *f = getenv("BF_FAULT"), *p = "journal-hot:";
	sqlite3_vfs *vfs;

	if (jfault_real != NULL || f == NULL ||
	    strncmp(f, p, strlen(p)) != 0 ||
	    (jfault_count = strtol(f + strlen(p), NULL, 10)) <= 0 ||
	    (vfs = sqlite3_vfs_find(NULL)) == NULL ||
	    vfs->iVersion < 3 || vfs->xGetSystemCall == NULL)
		return;
	jfault_real = vfs->xGetSystemCall(vfs, "unlink");
	if (jfault_real != NULL)
		vfs->xSetSystemCall(vfs, "unlink",
		    (sqlite3_syscall_ptr)jfault_unlink);
}

static void
sq_close(struct bf_wh *w)
{
	struct sq *q = w->impl;
	int i;

	for (i = 0; i < ST_NST; i++)
		sqlite3_finalize(q->st[i]);
	sqlite3_close(q->db);
	free(q);
}

static int
sq_open(struct bf_wh *w, const char *path, int flags, struct bf_err *e)
{
	struct sq *q = bf_xcalloc(1, sizeof(*q));
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int rc, waited;

	w->impl = q;
	if (flags & BF_WH_CREATE) {
		/* The warehouse holds telemetry: create it 0600 (SQLite gives
		 * its WAL and shm files the same mode). */
		int fd;

		jfault_setup();
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd == -1)
			return bf_err_set(e, BF_EXIT_UNAVAILABLE,
			    "cannot open warehouse '%s': %s", w->name,
			    strerror(errno));
		close(fd);
	}
	rc = sqlite3_open_v2(path, &q->db, oflags, NULL);
	if (rc != SQLITE_OK)
		return bf_err_set(e, BF_EXIT_UNAVAILABLE,
		    "cannot open warehouse '%s': %s", w->name,
		    q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, BF_WH_BUSY_MS);
	/* Switching a new file to WAL needs it alone and does not wait on
	 * the busy handler: two loaders that create one warehouse together
	 * would see 'database is locked'. Wait as the busy timeout would. */
	for (waited = 0;; waited += 10) {
		rc = sqlite3_exec(q->db, "PRAGMA journal_mode=WAL", NULL, NULL,
		    NULL);
		if ((rc & 0xff) != SQLITE_BUSY || waited >= BF_WH_BUSY_MS)
			break;
		usleep(10000);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(q->db, "PRAGMA synchronous=FULL", NULL, NULL,
		    NULL);
	/* A batch of windows touches many pages: keep them in memory
	 * (64 MiB) rather than spill and read them back. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(q->db, "PRAGMA cache_size=-65536", NULL, NULL,
		    NULL);
	if (rc != SQLITE_OK)
		return bf_err_set(e, (rc & 0xff) == SQLITE_BUSY ?
		    BF_EXIT_TEMPFAIL : BF_EXIT_UNAVAILABLE,
		    "cannot open warehouse '%s': %s", w->name,
		    sqlite3_errmsg(q->db));
	return sq_schema(w, flags, e);
}

/* The rows of one window, its partition, start and end bound by
 * bind_window. */
#define WHERE_WINDOW \
	"WHERE partition = ?1 AND window_start = ?2 AND window_end = ?3"

/* Binds a window's partition, start and end to ?1, ?2, ?3 of st: 0, or -1
 * when st is NULL (preparing it failed, e set). */
static int
bind_window(sqlite3_stmt *st, const char *partition, const char *ws,
    const char *we)
{
	if (st == NULL)
		return -1;
	bind_text(st, 1, partition);
	bind_text(st, 2, ws);
	bind_text(st, 3, we);
	return 0;
}

/* bind_window, then one step of st: 1 for a row, 0 for none, -1 with e
 * set. */
static int
step_window(struct bf_wh *w, sqlite3_stmt *st, const char *partition,
    const char *ws, const char *we, const char *what, struct bf_err *e)
{
	int rc;

	if (bind_window(st, partition, ws, we) == -1)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sq_err(w, rc, what, e);
}

static int
sq_window_conflict(struct bf_wh *w, const char *partition, const char *ws,
    const char *we, char ows[32], char owe[32], struct bf_err *e)
{
	sqlite3_stmt *st = sq_prep(w, ST_CONFLICT,
	    "SELECT window_start, window_end FROM windows "
	    "WHERE partition = ?1 AND window_start < ?3 AND window_end > ?2 "
	    "AND NOT (window_start = ?2 AND window_end = ?3) "
	    "ORDER BY window_start LIMIT 1", e);
	int rc = step_window(w, st, partition, ws, we, "reading windows", e);

	if (rc != 1)
		return rc;
	snprintf(ows, 32, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(owe, 32, "%s", (const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	return 1;
}

/* What prep_table builds. */
enum { SQL_SELECT, SQL_INSERT, SQL_UPSERT };

/* The statement id over table t, its SQL built the first time: a SELECT
 * of t's columns followed by text (how SQL_SELECT), an INSERT of a row of
 * t (SQL_INSERT), or one that updates every non-key column on conflict,
 * but only where text holds (SQL_UPSERT; text may be NULL). */
static sqlite3_stmt *
prep_table(struct bf_wh *w, int id, const struct bf_table *t, int how,
    const char *text, struct bf_err *e)
{
	struct sq *q = w->impl;
	struct bf_buf sql = BF_BUF_INIT;
	sqlite3_stmt *st;

	if (q->st[id] != NULL)
		return sq_prep(w, id, NULL, e);
	if (how == SQL_SELECT) {
		bf_wh_select_sql(w, t, &sql);
		bf_buf_printf(&sql, " %s", text);
	} else
		bf_wh_insert_sql(t, '?', &sql);
	if (how == SQL_UPSERT)
		bf_wh_conflict_sql(t, text, &sql);
	st = sq_prep(w, id, bf_buf_str(&sql), e);
	bf_buf_free(&sql);
	return st;
}

static int
sq_window_get(struct bf_wh *w, const char *partition, const char *ws,
    const char *we, struct bf_rowset *out, struct bf_err *e)
{
	sqlite3_stmt *st = prep_table(w, ST_WINDOW_GET, &bf_tbl_windows,
	    SQL_SELECT, WHERE_WINDOW, e);
	int rc = step_window(w, st, partition, ws, we, "reading windows", e);

	if (rc != 1)
		return rc;
	fetch_row(st, bf_tbl_windows.ncols, out);
	sqlite3_reset(st);
	return 1;
}

static int
sq_window_usage(struct bf_wh *w, const char *partition, const char *ws,
    const char *we, struct bf_rowset *out, struct bf_err *e)
{
	sqlite3_stmt *st = prep_table(w, ST_WINDOW_USAGE, &bf_tbl_usage,
	    SQL_SELECT, WHERE_WINDOW " ORDER BY instance_id, metric", e);
	int rc;

	if (bind_window(st, partition, ws, we) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fetch_row(st, bf_tbl_usage.ncols, out);
	if (rc != SQLITE_DONE)
		return sq_err(w, rc, "reading usage", e);
	return 0;
}

/* The owner check of one key. Rows of one instance_id and metric never
 * overlap (this check keeps it so), so the row with the latest start
 * before the window's end is the only one that can overlap the window. */
static int
sq_owner(struct bf_wh *w, const char *partition, const struct bf_row *r,
    struct bf_buf *owner, struct bf_err *e)
{
	sqlite3_stmt *st = sq_prep(w, ST_OWNER,
	    "SELECT partition, window_end FROM usage "
	    "WHERE instance_id = ?1 AND metric = ?2 AND window_start < ?3 "
	    "ORDER BY window_start DESC LIMIT 1", e);
	const char *p, *end;
	int rc, found = 0;

	if (st == NULL)
		return -1;
	bind_text(st, 1, r->v[BF_U_INSTANCE_ID]);
	bind_text(st, 2, r->v[BF_U_METRIC]);
	bind_text(st, 3, r->v[BF_U_WINDOW_END]);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return sq_err(w, rc, "reading usage", e);
	p = (const char *)sqlite3_column_text(st, 0);
	end = (const char *)sqlite3_column_text(st, 1);
	if (p != NULL && end != NULL &&
	    strcmp(end, r->v[BF_U_WINDOW_START]) > 0 &&
	    strcmp(p, partition) != 0) {
		bf_buf_reset(owner);
		bf_buf_puts(owner, p);
		found = 1;
	}
	sqlite3_reset(st);
	return found;
}

static int
sq_foreign_overlap(struct bf_wh *w, const char *partition, const char *ws,
    const char *we, struct bf_err *e)
{
	sqlite3_stmt *st = sq_prep(w, ST_FOREIGN, "SELECT 1 FROM windows "
	    "WHERE window_end > ?2 AND window_start < ?3 AND partition <> ?1 "
	    "AND NOT (window_start = ?2 AND window_end = ?3) LIMIT 1", e);
	int rc = step_window(w, st, partition, ws, we, "reading windows", e);

	if (rc != 1)
		return rc;
	sqlite3_reset(st);
	return 1;
}

static int
sq_stage(struct bf_wh *w, const char *partition, const struct bf_row *rows,
    size_t n, int check, size_t *idx, struct bf_buf *owner,
    struct bf_err *e)
{
	struct sq *q = w->impl;
	size_t i;
	int rc;

	q->stage = rows;
	q->nstage = n;
	for (i = 0; check && i < n; i++) {
		rc = sq_owner(w, partition, &rows[i], owner, e);
		if (rc != 0) {
			*idx = i;
			return rc;
		}
	}
	return 0;
}

static int
step_done(struct bf_wh *w, sqlite3_stmt *st, const char *what,
    struct bf_err *e)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		return sq_err(w, rc, what, e);
	return 0;
}

/* The partition holding the exact key of r, into owner. */
static int
sq_key_owner(struct bf_wh *w, const struct bf_row *r, struct bf_buf *owner,
    struct bf_err *e)
{
	sqlite3_stmt *st = sq_prep(w, ST_KEY_OWNER, "SELECT partition FROM "
	    "usage WHERE instance_id = ?1 AND metric = ?2 AND "
	    "window_start = ?3 AND window_end = ?4", e);
	int rc;

	if (st == NULL)
		return -1;
	bind_usage_key(st, r);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return sq_err(w, rc, "reading usage", e);
	bf_buf_reset(owner);
	bf_buf_puts(owner, (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return 0;
}

static int
sq_stage_upsert(struct bf_wh *w, const char *partition, size_t *idx,
    struct bf_buf *owner, struct bf_err *e)
{
	struct sq *q = w->impl;
	sqlite3_stmt *st;
	size_t i;
	int rc;

	(void)partition;
	for (i = 0; i < q->nstage; i++) {
		const struct bf_row *r = &q->stage[i];

		st = prep_table(w, ST_UPSERT, &bf_tbl_usage, SQL_UPSERT,
		    "usage.partition = excluded.partition", e);
		if (st == NULL)
			return -1;
		if ((rc = bind_row(st, &bf_tbl_usage, r)) != SQLITE_OK)
			return sq_err(w, rc, "binding usage", e);
		if (step_done(w, st, "writing usage", e) == -1)
			return -1;
		if (sqlite3_changes(q->db) != 1) {
			/* The guard kept another partition's row. */
			q->stage = NULL;
			q->nstage = 0;
			*idx = i;
			if (sq_key_owner(w, r, owner, e) == -1)
				return -1;
			return 1;
		}
	}
	q->stage = NULL;
	q->nstage = 0;
	return 0;
}

static int
sq_usage_delete(struct bf_wh *w, const struct bf_row *r, struct bf_err *e)
{
	sqlite3_stmt *st = sq_prep(w, ST_DELETE, "DELETE FROM usage "
	    "WHERE instance_id = ?1 AND metric = ?2 AND window_start = ?3 "
	    "AND window_end = ?4", e);

	if (st == NULL)
		return -1;
	bind_usage_key(st, r);
	return step_done(w, st, "deleting usage", e);
}

static int
sq_chain_head(struct bf_wh *w, const char *partition, int64_t *seq,
    char hash[BF_SHA256_HEX], struct bf_err *e)
{
	sqlite3_stmt *st = sq_prep(w, ST_HEAD, "SELECT seq, hash FROM ledger "
	    "WHERE partition = ?1 ORDER BY seq DESC LIMIT 1", e);
	int rc;

	*seq = 0;
	hash[0] = '\0';
	if (st == NULL)
		return -1;
	bind_text(st, 1, partition);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return sq_err(w, rc, "reading the ledger", e);
	*seq = sqlite3_column_int64(st, 0);
	snprintf(hash, BF_SHA256_HEX, "%s",
	    (const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	return 0;
}

static int
sq_ledger_append(struct bf_wh *w, const struct bf_row *rows, size_t n,
    struct bf_err *e)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		st = prep_table(w, ST_LEDGER, &bf_tbl_ledger, SQL_INSERT, NULL,
		    e);
		if (st == NULL)
			return -1;
		if ((rc = bind_row(st, &bf_tbl_ledger, &rows[i])) != SQLITE_OK)
			return sq_err(w, rc, "binding ledger", e);
		if (step_done(w, st, "writing the ledger", e) == -1)
			return -1;
	}
	return 0;
}

static int
sq_window_put(struct bf_wh *w, const struct bf_row *row, struct bf_err *e)
{
	sqlite3_stmt *st = prep_table(w, ST_WINDOW_PUT, &bf_tbl_windows,
	    SQL_UPSERT, NULL, e);
	int rc;

	if (st == NULL)
		return -1;
	if ((rc = bind_row(st, &bf_tbl_windows, row)) != SQLITE_OK)
		return sq_err(w, rc, "binding windows", e);
	return step_done(w, st, "writing windows", e);
}

/* The rows of t, all of them (col < 0) or those whose column col equals
 * value, in t's order, each passed to fn. */
static int
sq_select(struct bf_wh *w, const struct bf_table *t, int col,
    const char *value, bf_wh_row_fn fn, void *ctx, struct bf_err *e)
{
	struct sq *q = w->impl;
	struct bf_buf sql = BF_BUF_INIT;
	struct bf_row row;
	sqlite3_stmt *st;
	int rc, i;

	bf_wh_select_sql(w, t, &sql);
	if (col >= 0)
		bf_buf_printf(&sql, " WHERE %s = ?1", t->cols[col].name);
	bf_buf_printf(&sql, " ORDER BY %s", t->order);
	rc = sqlite3_prepare_v2(q->db, bf_buf_str(&sql), -1, &st, NULL);
	bf_buf_free(&sql);
	if (rc != SQLITE_OK)
		return sq_err(w, rc, "reading", e);
	if (col >= 0 && (rc = bind_text(st, 1, value)) != SQLITE_OK) {
		sqlite3_finalize(st);
		return sq_err(w, rc, "reading", e);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		for (i = 0; i < t->ncols; i++)
			row.v[i] = sqlite3_column_type(st, i) == SQLITE_NULL ?
			    NULL : (const char *)sqlite3_column_text(st, i);
		if (fn(ctx, &row, e) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	if (rc != SQLITE_DONE)
		sq_err(w, rc, "reading", e);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
sq_scan(struct bf_wh *w, const struct bf_table *t, bf_wh_row_fn fn,
    void *ctx, struct bf_err *e)
{
	return sq_select(w, t, -1, NULL, fn, ctx, e);
}

const struct bf_wh_ops bf_wh_sqlite_ops = {
	sq_open, sq_close, sq_exec, sq_window_conflict, sq_window_get,
	sq_window_usage, sq_foreign_overlap, sq_stage, sq_stage_upsert,
	sq_usage_delete,
	sq_chain_head, sq_ledger_append, sq_window_put, sq_scan,
};

/* Opens path (oflags: SQLITE_OPEN_READONLY or _READWRITE, never _CREATE)
 * into *db and asks it whether it has a schema_version table: SQLITE_ROW
 * (yes), SQLITE_DONE (no) or an extended error code. */
static int
sq_probe(const char *path, int oflags, sqlite3 **db)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_open_v2(path, db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(*db, 1);
		sqlite3_busy_timeout(*db, BF_WH_BUSY_MS);
		rc = sqlite3_prepare_v2(*db, "SELECT 1 FROM sqlite_master "
		    "WHERE type = 'table' AND name = 'schema_version'", -1,
		    &st, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc;
}

int
bf_wh_sqlite_exists(const char *path, const char *name, struct bf_err *e)
{
	sqlite3 *db = NULL;
	struct stat sb;
	int rc, r = -1;

	if (stat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		return bf_err_set(e, BF_EXIT_UNAVAILABLE,
		    "cannot open warehouse '%s': %s", name, strerror(errno));
	}
	rc = sq_probe(path, SQLITE_OPEN_READONLY, &db);
	if (rc == SQLITE_READONLY_ROLLBACK) {
		/* A writer killed while it committed in rollback-journal
		 * mode (bf-load switching a new warehouse to WAL) left a hot
		 * journal, which only a read-write connection may roll back:
		 * open one (never creating the file), which rolls it back
		 * under SQLite's locks as the next writer would, and read. */
		sqlite3_close(db);
		db = NULL;
		rc = sq_probe(path, SQLITE_OPEN_READWRITE, &db);
	}
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		r = rc == SQLITE_ROW;
	else if (rc == SQLITE_READONLY_ROLLBACK)
		bf_err_set(e, BF_EXIT_UNAVAILABLE, "cannot open warehouse "
		    "'%s': a killed writer left a journal to roll back, and "
		    "it is not writable: run bf-load on it", name);
	else
		bf_err_set(e, (rc & 0xff) == SQLITE_BUSY ? BF_EXIT_TEMPFAIL :
		    BF_EXIT_UNAVAILABLE, "cannot open warehouse '%s': %s",
		    name, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	sqlite3_close(db);
	return r;
}

int
bf_wh_sqlite_select_eq(struct bf_wh *w, const struct bf_table *t, int col,
    const char *value, bf_wh_row_fn fn, void *ctx, struct bf_err *e)
{
	return sq_select(w, t, col, value, fn, ctx, e);
}
