/*
 * budget.c: the shared budget of a source in a directory or in PostgreSQL
 * (budget.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "budget.h"
#include "hash.h"
#include "warehouse.h"

#define NUMS 11
#define BF_BUDGET_NAME_MAX 200 /* bytes of a file name, at most */

struct bf_budget {
	char *id;
	char *name;     /* the target, redacted, for messages */
	int fd;         /* directory store: the source's file; else -1 */
	char *path;
	PGconn *conn;   /* PostgreSQL store */
};

int64_t
bf_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t *
num_at(struct bf_budget_state *st, int i)
{
	int64_t *v[NUMS] = { &st->tokens, &st->last_ms, &st->started,
		&st->bstate, &st->fails, &st->probing, &st->opened_ms,
		&st->opened, &st->probe_ms, &st->hold_ms, NULL };

	return v[i];
}

void
bf_budget_format(const struct bf_budget_state *st, struct bf_buf *out)
{
	struct bf_budget_state c = *st;
	const char *r;
	int i;

	bf_buf_puts(out, "bf-budget 1");
	for (i = 0; num_at(&c, i) != NULL; i++)
		bf_buf_printf(out, " %" PRId64, *num_at(&c, i));
	bf_buf_putc(out, '\t');
	for (r = st->reason; *r != '\0' && r < st->reason +
	    sizeof(st->reason); r++)
		bf_buf_putc(out, *r == '\n' || *r == '\r' || *r == '\t' ?
		    ' ' : *r);
}

int
bf_budget_parse(const char *s, struct bf_budget_state *st)
{
	char *end;
	size_t n;
	int i;

	memset(st, 0, sizeof(*st));
	if (strncmp(s, "bf-budget 1", 11) != 0)
		return -1;
	s += 11;
	for (i = 0; num_at(st, i) != NULL; i++) {
		if (*s != ' ' || !(s[1] == '-' || (s[1] >= '0' && s[1] <= '9')))
			return -1;
		errno = 0;
		*num_at(st, i) = strtoll(s + 1, &end, 10);
		if (errno != 0 || end == s + 1)
			return -1;
		s = end;
	}
	if (*s != '\t')
		return -1;
	s++;
	n = strcspn(s, "\n");
	if (s[n] == '\n' && s[n + 1] != '\0')
		return -1;
	if (n >= sizeof(st->reason))
		n = sizeof(st->reason) - 1;
	memcpy(st->reason, s, n);
	st->reason[n] = '\0';
	return 0;
}

void
bf_budget_get(const struct bf_budget_state *st, struct bf_bucket *bk,
    struct bf_breaker *br)
{
	bk->tokens = st->tokens;
	bk->last_ms = st->last_ms;
	bk->started = st->started != 0;
	if (bk->tokens > bk->burst * bk->per_ms) /* the burst was lowered */
		bk->tokens = bk->burst * bk->per_ms;
	br->state = (int)st->bstate;
	if (br->state < BF_BREAKER_CLOSED || br->state > BF_BREAKER_HALF_OPEN)
		br->state = BF_BREAKER_CLOSED;
	br->fails = (int)st->fails;
	br->probing = st->probing != 0;
	br->opened_ms = st->opened_ms;
	br->opened = (long)st->opened;
}

void
bf_budget_put(struct bf_budget_state *st, const struct bf_bucket *bk,
    const struct bf_breaker *br)
{
	st->tokens = bk->tokens;
	st->last_ms = bk->last_ms;
	st->started = bk->started;
	st->bstate = br->state;
	st->fails = br->fails;
	st->probing = br->probing;
	st->opened_ms = br->opened_ms;
	st->opened = br->opened;
}

/*
 * Default ids.
 */

static void
url_id(const char *u, struct bf_buf *out)
{
	const char *p = strstr(u, "://"), *host, *at, *end;

	if (p == NULL) {
		bf_buf_add(out, u, strcspn(u, "?#"));
		return;
	}
	bf_buf_add(out, u, (size_t)(p + 3 - u));
	host = p + 3;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	while (at != NULL) { /* the last '@' before the path ends userinfo */
		host = at + 1;
		at = memchr(host, '@', (size_t)(end - host));
	}
	bf_buf_add(out, host, strcspn(host, "?#"));
}

static void
conninfo_id(const char *c, struct bf_buf *out)
{
	static const char *const keep[] = { "host", "hostaddr", "port",
		"dbname", NULL };
	PQconninfoOption *opts, *o;
	char *msg = NULL;
	int i, n = 0;

	opts = PQconninfoParse(c, &msg);
	if (opts == NULL) {
		PQfreemem(msg);
		bf_buf_puts(out, "?");
		return;
	}
	for (i = 0; keep[i] != NULL; i++)
		for (o = opts; o->keyword != NULL; o++)
			if (strcmp(o->keyword, keep[i]) == 0 && o->val != NULL &&
			    o->val[0] != '\0') {
				bf_buf_printf(out, "%s%s=%s", n++ ? " " : "",
				    keep[i], o->val);
			}
	PQconninfoFree(opts);
}

void
bf_budget_default_id(const char *kind, const char *locator,
    struct bf_buf *out)
{
	bf_buf_printf(out, "%s:", kind);
	if (locator == NULL)
		return;
	if (strcmp(kind, "postgres") == 0)
		conninfo_id(locator, out);
	else if (strstr(locator, "://") != NULL)
		url_id(locator, out);
	else
		bf_buf_puts(out, locator);
}

/*
 * The directory store.
 */

static int
dir_open(struct bf_budget *b, const char *dir, struct bf_err *e)
{
	struct bf_buf p = BF_BUF_INIT;
	const unsigned char *s;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return bf_err_set(e, BF_EXIT_UNAVAILABLE, "budget '%s': %s",
		    dir, strerror(errno));
	bf_buf_printf(&p, "%s/", dir);
	for (s = (const unsigned char *)b->id; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    (*s == '.' && s != (const unsigned char *)b->id))
			bf_buf_putc(&p, *s);
		else
			bf_buf_printf(&p, "%%%02X", *s);
	}
	/* a long id: its first bytes and its hash (NAME_MAX is 255) */
	if (p.len - strlen(dir) - 1 > BF_BUDGET_NAME_MAX) {
		p.len = strlen(dir) + 1 + BF_BUDGET_NAME_MAX - 17;
		if (p.s[p.len - 1] == '%')
			p.len--;
		else if (p.s[p.len - 2] == '%')
			p.len -= 2;
		bf_buf_printf(&p, "~%016llx", (unsigned long long)
		    bf_fnv1a64(b->id, strlen(b->id)));
	}
	b->path = bf_buf_detach(&p);
	b->fd = open(b->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (b->fd < 0)
		return bf_err_set(e, BF_EXIT_UNAVAILABLE, "budget '%s': %s",
		    b->path, strerror(errno));
	return 0;
}

/* Locks the source's file and reads its state into *st: 0, or -1 with e
 * set (and the file unlocked). */
static int
dir_load(struct bf_budget *b, struct bf_budget_state *st, struct bf_err *e)
{
	char raw[1024];
	ssize_t n;

	while (flock(b->fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return bf_err_set(e, BF_EXIT_UNAVAILABLE, "budget '%s': "
			    "lock: %s", b->path, strerror(errno));
	n = pread(b->fd, raw, sizeof(raw) - 1, 0);
	if (n < 0) {
		bf_err_set(e, BF_EXIT_UNAVAILABLE, "budget '%s': %s", b->path,
		    strerror(errno));
		goto fail;
	}
	raw[n] = '\0';
	if (n == 0)
		memset(st, 0, sizeof(*st));
	else if (bf_budget_parse(raw, st) < 0) {
		bf_err_set(e, BF_EXIT_UNAVAILABLE, "budget '%s': not a budget "
		    "file (remove it to start the source afresh)", b->path);
		goto fail;
	}
	return 0;
fail:
	flock(b->fd, LOCK_UN);
	return -1;
}

/* Writes st to the source's file and unlocks it: 0, or -1 with e set. */
static int
dir_store(struct bf_budget *b, const struct bf_budget_state *st,
    struct bf_err *e)
{
	struct bf_buf out = BF_BUF_INIT;
	int rc = 0;

	bf_budget_format(st, &out);
	bf_buf_putc(&out, '\n');
	if (pwrite(b->fd, out.s, out.len, 0) != (ssize_t)out.len ||
	    ftruncate(b->fd, (off_t)out.len) < 0)
		rc = bf_err_set(e, BF_EXIT_UNAVAILABLE, "budget '%s': write: "
		    "%s", b->path, strerror(errno));
	flock(b->fd, LOCK_UN);
	bf_buf_free(&out);
	return rc;
}

/*
 * The PostgreSQL store.
 */

static const char pg_cols[] = "tokens, last_ms, started, bstate, fails, "
    "probing, opened_ms, opened, probe_ms, hold_ms, reason";

static int
pg_err(struct bf_budget *b, PGresult *res, const char *what,
    struct bf_err *e)
{
	char msg[512];
	const char *m = res != NULL && PQresultErrorMessage(res)[0] != '\0' ?
	    PQresultErrorMessage(res) : PQerrorMessage(b->conn);
	size_t n;

	if (strncmp(m, "ERROR:  ", 8) == 0)
		m += 8;
	n = strcspn(m, "\n");
	if (n >= sizeof(msg))
		n = sizeof(msg) - 1;
	memcpy(msg, m, n);
	msg[n] = '\0';
	PQclear(res);
	if (PQstatus(b->conn) == CONNECTION_OK &&
	    PQtransactionStatus(b->conn) != PQTRANS_IDLE)
		PQclear(PQexec(b->conn, "ROLLBACK"));
	return bf_err_set(e, BF_EXIT_UNAVAILABLE, "budget '%s': %s: %s",
	    b->name, what, msg);
}

/* Runs sql with params; 0, or -1 with e set (rolled back). *out gets the
 * result when out is not NULL. */
static int
pg_run(struct bf_budget *b, const char *sql, int n, const char *const *v,
    PGresult **out, struct bf_err *e)
{
	PGresult *res = PQexecParams(b->conn, sql, n, NULL, v, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(res);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		return pg_err(b, res, "query", e);
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return 0;
}

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static int
pg_open(struct bf_budget *b, const char *target, struct bf_err *e)
{
	const char *kw[] = { "dbname", "fallback_application_name",
		"client_encoding", NULL };
	const char *val[] = { target, "bf-fetch", "UTF8", NULL };

	b->conn = PQconnectdbParams(kw, val, 1);
	if (b->conn == NULL)
		return bf_err_set(e, BF_EXIT_UNAVAILABLE, "budget '%s': out of "
		    "memory", b->name);
	if (PQstatus(b->conn) != CONNECTION_OK)
		return pg_err(b, NULL, "cannot connect", e);
	PQsetNoticeProcessor(b->conn, quiet, NULL);
	if (pg_run(b, "BEGIN", 0, NULL, NULL, e) < 0 ||
	    pg_run(b, "SELECT pg_advisory_xact_lock(hashtext('bf_budget'))",
	    0, NULL, NULL, e) < 0 ||
	    pg_run(b, "CREATE TABLE IF NOT EXISTS bf_budget ("
	    "source_id TEXT COLLATE \"C\" PRIMARY KEY, "
	    "tokens BIGINT NOT NULL DEFAULT 0, last_ms BIGINT NOT NULL DEFAULT 0, "
	    "started BIGINT NOT NULL DEFAULT 0, bstate BIGINT NOT NULL DEFAULT 0, "
	    "fails BIGINT NOT NULL DEFAULT 0, probing BIGINT NOT NULL DEFAULT 0, "
	    "opened_ms BIGINT NOT NULL DEFAULT 0, "
	    "opened BIGINT NOT NULL DEFAULT 0, "
	    "probe_ms BIGINT NOT NULL DEFAULT 0, "
	    "hold_ms BIGINT NOT NULL DEFAULT 0, "
	    "reason TEXT NOT NULL DEFAULT '')", 0, NULL, NULL, e) < 0 ||
	    pg_run(b, "COMMIT", 0, NULL, NULL, e) < 0)
		return -1;
	return 0;
}

/* Takes the source's row (inserted when absent) for update in a new
 * transaction and reads it into *st: 0, or -1 with e set (rolled
 * back). */
static int
pg_load(struct bf_budget *b, struct bf_budget_state *st, struct bf_err *e)
{
	struct bf_buf sql = BF_BUF_INIT;
	const char *v[1] = { b->id };
	PGresult *res;
	int i, rc;

	if (pg_run(b, "BEGIN", 0, NULL, NULL, e) < 0 ||
	    pg_run(b, "INSERT INTO bf_budget (source_id) VALUES ($1) "
	    "ON CONFLICT DO NOTHING", 1, v, NULL, e) < 0)
		return -1;
	bf_buf_printf(&sql, "SELECT %s FROM bf_budget WHERE source_id = $1 "
	    "FOR UPDATE", pg_cols);
	rc = pg_run(b, bf_buf_str(&sql), 1, v, &res, e);
	bf_buf_free(&sql);
	if (rc < 0)
		return -1;
	if (PQntuples(res) != 1)
		return pg_err(b, res, "the source's row is missing", e);
	memset(st, 0, sizeof(*st));
	for (i = 0; num_at(st, i) != NULL; i++)
		*num_at(st, i) = strtoll(PQgetvalue(res, 0, i), NULL, 10);
	snprintf(st->reason, sizeof(st->reason), "%s", PQgetvalue(res, 0, i));
	PQclear(res);
	return 0;
}

/* Writes st to the source's row and commits: 0, or -1 with e set
 * (rolled back). */
static int
pg_store(struct bf_budget *b, struct bf_budget_state *st, struct bf_err *e)
{
	char nums[NUMS - 1][24];
	const char *v[NUMS + 1];
	int i;

	v[0] = b->id;
	for (i = 0; num_at(st, i) != NULL; i++) {
		snprintf(nums[i], sizeof(nums[i]), "%" PRId64, *num_at(st, i));
		v[i + 1] = nums[i];
	}
	v[i + 1] = st->reason;
	if (pg_run(b, "UPDATE bf_budget SET tokens = $2, last_ms = $3, "
	    "started = $4, bstate = $5, fails = $6, probing = $7, "
	    "opened_ms = $8, opened = $9, probe_ms = $10, hold_ms = $11, "
	    "reason = $12 WHERE source_id = $1", NUMS + 1, v, NULL, e) < 0 ||
	    pg_run(b, "COMMIT", 0, NULL, NULL, e) < 0)
		return -1;
	return 0;
}

struct bf_budget *
bf_budget_open(const char *target, const char *id, struct bf_err *e)
{
	struct bf_budget *b;
	struct bf_buf name = BF_BUF_INIT;
	int rc;

	if (bf_target_check_arg("--budget", target, e) < 0)
		return NULL;
	b = bf_xcalloc(1, sizeof(*b));
	b->fd = -1;
	b->id = bf_xstrdup(id);
	bf_target_redact(target, &name);
	b->name = bf_buf_detach(&name);
	if (bf_target_is_pg(target))
		rc = pg_open(b, target, e);
	else
		rc = dir_open(b, target, e);
	if (rc < 0) {
		bf_budget_close(b);
		return NULL;
	}
	return b;
}

int
bf_budget_update(struct bf_budget *b,
    void (*fn)(struct bf_budget_state *st, void *ctx), void *ctx,
    struct bf_err *e)
{
	struct bf_budget_state st;
	int pg = b->conn != NULL;

	if ((pg ? pg_load(b, &st, e) : dir_load(b, &st, e)) < 0)
		return -1;
	fn(&st, ctx);
	return pg ? pg_store(b, &st, e) : dir_store(b, &st, e);
}

void
bf_budget_close(struct bf_budget *b)
{
	if (b == NULL)
		return;
	if (b->fd >= 0)
		close(b->fd);
	if (b->conn != NULL)
		PQfinish(b->conn);
	free(b->path);
	free(b->name);
	free(b->id);
	free(b);
}
