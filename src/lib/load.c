/*
 * load.c: bf-load's per-window logic (load.h).
 */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anchor.h"
#include "ledger.h"
#include "load-internal.h"
#include "stream.h"

static const char *const fault_points[] = {
	"after-delete", "after-insert", "after-ledger", "before-commit",
	"after-commit", "after-checkpoint",
	"journal-hot", /* sink-sqlite.c's, when bf-load opens the warehouse */
	NULL
};

static void
fault(struct bf_load *l, const char *point)
{
	if (l->fault_point == NULL || strcmp(point, l->fault_point) != 0)
		return;
	if (++l->fault_hits == l->fault_count) {
		raise(SIGKILL);
		_exit(137);
	}
}

/* Appends s as a quoted name for messages: control bytes as \xNN. */
static void
qname(struct bf_buf *b, const char *s)
{
	const unsigned char *p;

	bf_buf_putc(b, '\'');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			bf_buf_printf(b, "\\x%02x", *p);
		else
			bf_buf_putc(b, *p);
	}
	bf_buf_putc(b, '\'');
}

void
bf_load_report(struct bf_load *l, const char *file, long line,
    const char *fmt, ...)
{
	struct bf_buf b = BF_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	bf_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (l->o.report != NULL)
		l->o.report(l->o.report_ctx, file, line, bf_buf_str(&b));
	bf_buf_free(&b);
}

/* "window 'P' START/END" for messages. */
static const char *
wname(struct bf_load *l, const struct win *w)
{
	bf_buf_reset(&l->tmp);
	bf_buf_puts(&l->tmp, "window ");
	qname(&l->tmp, w->p->name);
	bf_buf_printf(&l->tmp, " %s/%s", w->ws, w->we);
	return bf_buf_str(&l->tmp);
}

/* Partitions. */

/* Takes p's locks: the state directory's file lock, then the warehouse's
 * (bf_wh_lock_partition: PostgreSQL's advisory lock, which keeps out a
 * loader with another state directory). When another loader holds either,
 * p is refused (locked -1: its windows fail "partition_locked", exit 75)
 * and reported; -1 with e set on any other error. */
static int
take_locks(struct bf_load *l, struct part *p, struct bf_err *e)
{
	struct bf_buf b = BF_BUF_INIT;

	if ((l->o.state == NULL || bf_lock_partition(l->o.state, p->name,
	    &p->fd, e) == 0) && bf_wh_lock_partition(l->w, p->name, e) == 0) {
		p->locked = 1;
		return 0;
	}
	if (e->code != BF_EXIT_TEMPFAIL)
		return -1;
	bf_unlock(p->fd);
	p->fd = -1;
	qname(&b, p->name);
	bf_load_report(l, NULL, 0, "partition %s is locked by another bf-load: "
	    "its windows are not loaded here (run again later)",
	    bf_buf_str(&b));
	bf_buf_free(&b);
	bf_err_clear(e);
	p->locked = -1;
	l->locked = 1;
	return 0;
}

/* The partition called name, added (locked, its checkpoint loaded) when it
 * is new; NULL with e set (naming file:line for a name the state directory
 * cannot hold). */
static struct part *
part_get(struct bf_load *l, const char *name, const char *file, long line,
    struct bf_err *e)
{
	size_t n = strlen(name);
	uint64_t hash = bf_fnv1a64(name, n);
	struct part *p;
	struct bf_err pe;

	if ((p = (struct part *)bf_htab_find(&l->parts, hash, name, n)) != NULL)
		return p;
	if (l->o.state != NULL && bf_partition_check(name, &pe) == -1) {
		bf_err_set(e, pe.code, "%s:%ld: %s", file, line, pe.msg);
		return NULL;
	}
	p = bf_xcalloc(1, sizeof(*p));
	p->name = bf_xstrdup(name);
	p->h.key = p->name;
	p->h.klen = n;
	p->h.hash = hash;
	p->fd = -1;
	bf_htab_insert(&l->parts, &p->h);
	if (l->plast != NULL)
		l->plast->onext = p;
	else
		l->pfirst = p;
	l->plast = p;
	bf_ckpt_init(&p->ck, name);
	if (take_locks(l, p, e) == -1)
		return NULL;
	if (p->locked < 0 || l->o.state == NULL)
		return p;
	bf_ckpt_free(&p->ck);
	if (bf_ckpt_load(l->o.state, name, &p->ck, e) == -1) {
		bf_ckpt_init(&p->ck, name);
		return NULL;
	}
	return p;
}

/* Pending windows: a map by identity and a list in arrival order. */

static uint64_t
whash(const char *part, bf_time s, bf_time e)
{
	uint64_t h = bf_fnv1a64(part, strlen(part));

	h = bf_fnv1a64_more(h, &s, sizeof(s));
	return bf_fnv1a64_more(h, &e, sizeof(e));
}

static int
win_eq(const struct bf_hent *e, const void *arg)
{
	const struct win *w = (const struct win *)e;
	const struct bf_window *id = arg;

	return w->start == id->start && w->end == id->end &&
	    strcmp(w->p->name, id->partition) == 0;
}

static struct win *
win_find(struct bf_load *l, const struct bf_window *id, int take)
{
	struct win *w;

	w = (struct win *)bf_htab_find_by(&l->wins, whash(id->partition,
	    id->start, id->end), win_eq, id);
	if (w != NULL && take) {
		bf_htab_remove(&l->wins, &w->h);
		if (w->prev)
			w->prev->next = w->next;
		else
			l->pending = w->next;
		if (w->next)
			w->next->prev = w->prev;
		else
			l->pending_tail = w->prev;
		w->prev = w->next = NULL;
	}
	return w;
}

static struct win *
win_new(struct part *p, const struct bf_window *id, const char *file,
    long line)
{
	struct win *w = bf_xcalloc(1, sizeof(*w));

	w->p = p;
	w->start = id->start;
	w->end = id->end;
	memcpy(w->ws, id->ws, sizeof(w->ws));
	memcpy(w->we, id->we, sizeof(w->we));
	w->file = bf_xstrdup(file);
	w->line = line;
	return w;
}

static void
win_add(struct bf_load *l, struct win *w)
{
	w->h.hash = whash(w->p->name, w->start, w->end);
	bf_htab_insert(&l->wins, &w->h);
	w->prev = l->pending_tail;
	if (l->pending_tail)
		l->pending_tail->next = w;
	else
		l->pending = w;
	l->pending_tail = w;
}

static void
win_free(struct win *w)
{
	if (w == NULL)
		return;
	bf_rowset_free(&w->rows);
	BF_EACH(free, void, w->file, w->bad, w->wline, w->wfile, w->grid,
	    w->source, w->counts, w->why, w);
}

/* Output: held in outq while a batch is open, so that lines keep their
 * order around the window lines written after the commit. */

/* Writes the held output to out; with sync also flushes, so that the
 * next stage sees a committed window's line at once. */
static void
flush_out(struct bf_load *l, int sync)
{
	if (l->outq.len > 0 && l->o.out != NULL)
		fwrite(l->outq.s, 1, l->outq.len, l->o.out);
	bf_buf_reset(&l->outq);
	if (sync && l->o.out != NULL)
		fflush(l->o.out);
}

/* Re-emits the window line of w into out with its result. */
static void
emit_window(struct bf_load *l, struct win *w, const char *status,
    const char *code, const char *msg, struct bf_buf *out)
{
	char counts[160];

	if (w->wline == NULL)
		return;
	snprintf(counts, sizeof(counts), "\"loaded\":%ld,\"unchanged\":%ld,"
	    "\"deleted\":%ld,\"ledger_entries\":%ld", w->loaded, w->unchanged,
	    w->deleted, w->entries);
	bf_window_emit(w->wline, w->wlen, out, "bf-load", status, code, msg,
	    strcmp(status, "ok") == 0 ? counts : NULL);
}

/* A window that is not loaded: reported (unless quiet), its line
 * re-emitted as failed. */
static void
win_fail(struct bf_load *l, struct win *w, const char *code,
    const char *msg, int quiet)
{
	struct bf_buf b = BF_BUF_INIT;

	l->failed++;
	if (!quiet) {
		bf_buf_printf(&b, "%s %s: not committed", wname(l, w), msg);
		bf_load_report(l, w->wfile ? w->wfile : w->file,
		    w->wfile ? w->wlineno : w->line, "%s", bf_buf_str(&b));
		bf_buf_free(&b);
	}
	emit_window(l, w, "failed", code, msg, &l->outq);
}

/* The per-window work. */

static int
cmp_key(const struct bf_row *a, const struct bf_row *b)
{
	int c = strcmp(a->v[BF_U_INSTANCE_ID], b->v[BF_U_INSTANCE_ID]);

	return c ? c : strcmp(a->v[BF_U_METRIC], b->v[BF_U_METRIC]);
}

static int
qcmp_key(const void *a, const void *b)
{
	return cmp_key(a, b);
}

static void
refuse(struct bf_load *l, struct win *w, const char *code, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
refuse(struct bf_load *l, struct win *w, const char *code, const char *fmt,
    ...)
{
	struct bf_buf b = BF_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	bf_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	w->refused = 1;
	w->code = code;
	w->why = bf_buf_detach(&b);
	bf_load_report(l, w->wfile, w->wlineno, "%s refused: %s", wname(l, w), w->why);
}

/* Sets each new row's source (else the window line's), run id, load time
 * and digest, and the window's digest (SHA-256 over the rows' canonical
 * forms, each followed by a newline, in key order). */
static int
finish_rows(struct bf_load *l, struct win *w, struct bf_err *e)
{
	struct bf_sha256 wh;
	char d[BF_SHA256_HEX];
	size_t i;

	bf_sha256_init(&wh);
	for (i = 0; i < w->rows.n; i++) {
		struct bf_row *r = &w->rows.rows[i];

		if (r->v[BF_U_SOURCE] == NULL)
			r->v[BF_U_SOURCE] = w->source;
		r->v[BF_U_RUN_ID] = l->o.run_id;
		r->v[BF_U_LOADED_AT] = l->now;
		bf_buf_reset(&l->canon);
		if (bf_wh_usage_canon(r, &l->canon, e) == -1) {
			bf_sha256_final(&wh, d);
			return -1;
		}
		bf_sha256_hex(l->canon.s, l->canon.len, d);
		r->v[BF_U_DIGEST] = bf_rowset_str(&w->rows, d);
		bf_buf_putc(&l->canon, '\n');
		bf_sha256_update(&wh, l->canon.s, l->canon.len);
	}
	bf_sha256_final(&wh, w->digest);
	return 0;
}

static void
push_up(struct bf_load *l, size_t *n, const struct bf_row *r)
{
	if (*n == l->upcap) {
		l->upcap = l->upcap ? 2 * l->upcap : 256;
		l->ups = bf_xrealloc(l->ups, l->upcap * sizeof(*l->ups));
	}
	l->ups[(*n)++] = *r;
}

static void
push_del(struct bf_load *l, size_t *n, const struct bf_row *r)
{
	if (*n == l->delcap) {
		l->delcap = l->delcap ? 2 * l->delcap : 64;
		l->dels = bf_xrealloc(l->dels, l->delcap * sizeof(*l->dels));
	}
	l->dels[(*n)++] = r;
}

/* Refuses w because another partition owns the key of r. */
static void
refuse_owned(struct bf_load *l, struct win *w, const struct bf_row *r)
{
	struct bf_buf a = BF_BUF_INIT, b = BF_BUF_INIT, o = BF_BUF_INIT;

	qname(&a, r->v[BF_U_INSTANCE_ID]);
	qname(&b, r->v[BF_U_METRIC]);
	qname(&o, bf_buf_str(&l->owner));
	refuse(l, w, "key_owned", "the usage key of instance %s metric %s is "
	    "owned by partition %s in that window", bf_buf_str(&a),
	    bf_buf_str(&b), bf_buf_str(&o));
	bf_buf_free(&a);
	bf_buf_free(&b);
	bf_buf_free(&o);
}

/* The warehouse went back behind p's checkpoint (anchor.h, RESTORE): the
 * checkpoint is cut back to the warehouse's windows and head, the event is
 * appended to the ledger, and a warning names the windows missing. */
static int
restore(struct bf_load *l, struct part *p, const struct bf_anchor *a,
    struct bf_err *e)
{
	struct bf_ckpt present;
	struct bf_ledger_chain c;
	struct bf_buf miss = BF_BUF_INIT, why = BF_BUF_INIT, n = BF_BUF_INIT;
	bf_time from, to;
	char fs[BF_TIME_LEN], ts[BF_TIME_LEN];
	size_t nmiss;
	int rc = -1;

	bf_ckpt_init(&present, p->name);
	if (bf_anchor_windows(l->w, p->name, &present, e) == -1)
		goto out;
	nmiss = bf_anchor_missing(&p->ck, &present, &miss, &from, &to);
	bf_ckpt_cut_heads(&p->ck, a->index);
	bf_anchor_take_windows(&p->ck, &present);
	if (nmiss > 0) {
		bf_time_format(from, fs);
		bf_time_format(to, ts);
	} else {
		memcpy(fs, l->now, sizeof(fs));
		memcpy(ts, l->now, sizeof(ts));
	}
	bf_buf_printf(&why, "restore: the warehouse went back to entry "
	    "%" PRId64 " (head %.12s...), behind its checkpoint; windows "
	    "missing: %s", a->seq, a->head[0] ? a->head : "(none)",
	    nmiss > 0 ? bf_buf_str(&miss) : "none");
	c.partition = p->name;
	c.run_id = l->o.run_id;
	c.program_version = l->o.version;
	c.recorded_at = l->now;
	c.seq = a->seq;
	memcpy(c.head, a->head, sizeof(c.head));
	bf_rowset_reset(&l->entries);
	if (bf_ledger_event(&c, BF_LEDGER_RESTORE, fs, ts, bf_buf_str(&why),
	    &l->entries, e) == -1 ||
	    bf_wh_ledger_append(l->w, l->entries.rows, l->entries.n, e) == -1)
		goto out;
	bf_ckpt_set_head(&p->ck, c.head);
	p->ckmoved = 1;
	qname(&n, p->name);
	bf_load_report(l, NULL, 0, "warning: partition %s: the warehouse is behind "
	    "its checkpoint (restored, failed over, or its ledger tail "
	    "deleted): it went back to entry %" PRId64 "; windows missing: "
	    "%s: they are planned and billed again (recorded as ledger entry "
	    "%" PRId64 ")", bf_buf_str(&n), a->seq, nmiss > 0 ?
	    bf_buf_str(&miss) : "none", c.seq);
	rc = 0;
out:
	bf_ckpt_free(&present);
	bf_buf_free(&miss);
	bf_buf_free(&why);
	bf_buf_free(&n);
	return rc;
}

/* The first time a transaction touches p: its anchor (anchor.h). Sets
 * p->anchor; -1 with e set on a warehouse error. */
static int
check_anchor(struct bf_load *l, struct part *p, struct bf_err *e)
{
	struct bf_anchor a;
	struct bf_buf n = BF_BUF_INIT;

	if (l->o.state == NULL) {
		p->anchor = 1;
		return 0;
	}
	if (bf_anchor_check(l->w, p->name, &p->ck, &a, e) == -1)
		return -1;
	qname(&n, p->name);
	p->anchor = 1;
	switch (a.verdict) {
	case BF_ANCHOR_FIRST_USE:
		bf_load_report(l, NULL, 0, "warning: partition %s has no chain head in "
		    "its checkpoint (a new or lost state directory): the "
		    "warehouse's chain verifies, up to entry %" PRId64 ", and "
		    "is trusted from here", bf_buf_str(&n), a.seq);
		bf_ckpt_set_head(&p->ck, a.head);
		p->ckmoved = 1;
		break;
	case BF_ANCHOR_RESTORE:
		if (restore(l, p, &a, e) == -1) {
			bf_buf_free(&n);
			return -1;
		}
		break;
	case BF_ANCHOR_MISMATCH:
		p->anchor = -1;
		p->mismatch = bf_xstrdup(a.why);
		l->mismatch = 1;
		bf_load_report(l, NULL, 0, "partition %s refused: chain_mismatch: %s: "
		    "tampering, or a checkpoint edited; it stays refused until "
		    "the ledger is checked (bf-ledger verify) and the "
		    "partition re-anchored (bf-ledger reanchor)", bf_buf_str(&n),
		    a.why);
		break;
	default:
		break;
	}
	bf_buf_free(&n);
	return 0;
}

/* What refuses w before anything is read: a partition whose chain is
 * refused, a window overlapping a committed one with other bounds, two
 * usage lines of one key (w's rows are sorted here). Returns 1 when w is
 * refused, 0 to go on, -1 with e set. */
static int
precheck(struct bf_load *l, struct win *w, struct bf_err *e)
{
	struct bf_row *rows = w->rows.rows;
	size_t n = w->rows.n, i;
	char ows[32], owe[32];
	int rc;

	if (w->p->anchor == 0 && check_anchor(l, w->p, e) == -1)
		return -1;
	if (w->p->anchor < 0) {
		refuse(l, w, "chain_mismatch", "%s", w->p->mismatch);
		return 1;
	}
	rc = bf_wh_window_conflict(l->w, w->p->name, w->ws, w->we, ows, owe,
	    e);
	if (rc != 0) {
		if (rc == 1)
			refuse(l, w, "window_overlap", "it overlaps the "
			    "committed window %s/%s of the partition with other "
			    "bounds", ows, owe);
		return rc;
	}
	if (n > 1)
		qsort(rows, n, sizeof(*rows), qcmp_key);
	for (i = 1; i < n; i++)
		if (cmp_key(&rows[i - 1], &rows[i]) == 0) {
			struct bf_buf a = BF_BUF_INIT, b = BF_BUF_INIT;

			qname(&a, rows[i].v[BF_U_INSTANCE_ID]);
			qname(&b, rows[i].v[BF_U_METRIC]);
			refuse(l, w, "duplicate_key", "two usage lines for "
			    "instance %s metric %s", bf_buf_str(&a),
			    bf_buf_str(&b));
			bf_buf_free(&a);
			bf_buf_free(&b);
			return 1;
		}
	return 0;
}

/* Merges w's sorted rows with the warehouse's (l->old, sorted): rows to
 * upsert (l->ups, *nup) and delete (l->dels, *ndel), and the ledger
 * entries of the difference (l->entries) on chain c. */
static int
diff_rows(struct bf_load *l, struct win *w, struct bf_ledger_chain *c,
    size_t *nup, size_t *ndel, struct bf_err *e)
{
	const struct bf_row *rows = w->rows.rows;
	size_t nnew = w->rows.n, nold = l->old.n, i, k;

	for (i = 0, k = 0; i < nnew || k < nold;) {
		const struct bf_row *nr = i < nnew ? &rows[i] : NULL;
		const struct bf_row *orow = k < nold ? &l->old.rows[k] : NULL;
		int cmp = nr == NULL ? 1 : orow == NULL ? -1 :
		    cmp_key(nr, orow);

		if (cmp < 0) {
			push_up(l, nup, nr);
			i++;
		} else if (cmp > 0) {
			push_del(l, ndel, orow);
			nr = NULL;
			k++;
		} else {
			i++;
			k++;
			if (strcmp(nr->v[BF_U_DIGEST], orow->v[BF_U_DIGEST] ?
			    orow->v[BF_U_DIGEST] : "") == 0) {
				w->unchanged++;
				continue;
			}
			push_up(l, nup, nr);
		}
		if (bf_ledger_diff(c, cmp < 0 ? NULL : orow,
		    cmp > 0 ? NULL : nr, &l->entries, e) == -1)
			return -1;
	}
	return 0;
}

/* Writes the difference: the upserts staged (refused when another
 * partition owns a key), the deletes, the upserts, the ledger entries.
 * Returns 1 when w is refused, 0, or -1 with e set. */
static int
write_rows(struct bf_load *l, struct win *w, size_t nup, size_t ndel,
    struct bf_err *e)
{
	struct bf_wh *wh = l->w;
	const char *P = w->p->name;
	size_t i, idx = 0;
	int rc, check;

	if (nup > 0) {
		if ((check = bf_wh_foreign_overlap(wh, P, w->ws, w->we, e)) ==
		    -1)
			return -1;
		rc = bf_wh_stage(wh, P, l->ups, nup, check, &idx, &l->owner,
		    e);
		if (rc == 1)
			refuse_owned(l, w, &l->ups[idx]);
		if (rc != 0)
			return rc;
	}
	if (bf_wh_savepoint(wh, e) == -1)
		return -1;
	for (i = 0; i < ndel; i++)
		if (bf_wh_usage_delete(wh, l->dels[i], e) == -1)
			return -1;
	fault(l, "after-delete");
	if (nup > 0) {
		rc = bf_wh_stage_upsert(wh, P, &idx, &l->owner, e);
		if (rc == -1)
			return -1;
		if (rc == 1) {
			if (bf_wh_rollback_savepoint(wh, e) == -1)
				return -1;
			refuse_owned(l, w, &l->ups[idx]);
			return 1;
		}
	}
	fault(l, "after-insert");
	if (bf_wh_ledger_append(wh, l->entries.rows, l->entries.n, e) == -1)
		return -1;
	fault(l, "after-ledger");
	return 0;
}

/* The window's row in the windows table, unless nothing changed and the
 * row there has w's digest already. */
static int
put_window_row(struct bf_load *l, struct win *w, int changed,
    struct bf_err *e)
{
	struct bf_wh *wh = l->w;
	struct bf_row wr;
	char nrows[24];
	int exists;

	exists = bf_wh_window_get(wh, w->p->name, w->ws, w->we, &l->wrow, e);
	if (exists == -1)
		return -1;
	if (!changed && exists && l->wrow.rows[0].v[BF_W_DIGEST] != NULL &&
	    strcmp(l->wrow.rows[0].v[BF_W_DIGEST], w->digest) == 0)
		return 0;
	memset(&wr, 0, sizeof(wr));
	snprintf(nrows, sizeof(nrows), "%zu", w->rows.n);
	wr.v[BF_W_PARTITION] = w->p->name;
	wr.v[BF_W_WINDOW_START] = w->ws;
	wr.v[BF_W_WINDOW_END] = w->we;
	wr.v[BF_W_GRID] = w->grid;
	wr.v[BF_W_USAGE_ROWS] = nrows;
	wr.v[BF_W_COUNTS] = w->counts ? w->counts : "{}";
	wr.v[BF_W_DIGEST] = w->digest;
	wr.v[BF_W_CHAIN_HEAD] = w->head;
	wr.v[BF_W_RUN_ID] = l->o.run_id;
	wr.v[BF_W_LOADED_AT] = l->now;
	return bf_wh_window_put(wh, &wr, e);
}

/* Loads one window inside the open transaction. Returns 0 (loaded or
 * refused: w->refused says), or -1 with e set on a warehouse error. */
static int
process(struct bf_load *l, struct win *w, struct bf_err *e)
{
	struct bf_wh *wh = l->w;
	struct bf_ledger_chain c;
	size_t nold, nup = 0, ndel = 0;
	int rc;

	if ((rc = precheck(l, w, e)) != 0)
		return rc == 1 ? 0 : -1;
	bf_rowset_reset(&l->old);
	if (bf_wh_window_usage(wh, w->p->name, w->ws, w->we, &l->old, e) ==
	    -1)
		return -1;
	if ((nold = l->old.n) > 1)
		qsort(l->old.rows, nold, sizeof(*l->old.rows), qcmp_key);
	if (w->rows.n == 0 && nold > 0 && !l->o.allow_empty) {
		refuse(l, w, "empty_window", "no usage rows arrived for it "
		    "and %zu row%s billed (--allow-empty removes them)", nold,
		    nold == 1 ? " is" : "s are");
		return 0;
	}
	if (finish_rows(l, w, e) == -1)
		return -1;
	c.partition = w->p->name;
	c.run_id = l->o.run_id;
	c.program_version = l->o.version;
	c.recorded_at = l->now;
	if (bf_wh_chain_head(wh, w->p->name, &c.seq, c.head, e) == -1)
		return -1;
	bf_rowset_reset(&l->entries);
	if (diff_rows(l, w, &c, &nup, &ndel, e) == -1)
		return -1;
	if ((rc = write_rows(l, w, nup, ndel, e)) != 0)
		return rc == 1 ? 0 : -1;
	memcpy(w->head, c.head, sizeof(c.head));
	w->loaded = (long)nup;
	w->deleted = (long)ndel;
	w->entries = (long)l->entries.n;
	if (put_window_row(l, w, nup > 0 || ndel > 0, e) == -1)
		return -1;
	return bf_wh_release(wh, e);
}

/* Reports the queued windows as not committed (after a fatal error). */
static void
abandon_queue(struct bf_load *l, const char *why)
{
	struct win *w, *next;

	for (w = l->qhead; w != NULL; w = next) {
		next = w->qnext;
		l->failed++;
		bf_load_report(l, w->wfile, w->wlineno, "%s not committed: %s",
		    wname(l, w), why);
		win_free(w);
	}
	l->qhead = l->qtail = NULL;
	l->qn = 0;
}

static void
now_text(char out[BF_TIME_LEN])
{
	bf_time_format((bf_time)time(NULL), out);
}

/* After the commit: the checkpoint of each partition with windows in the
 * batch, written once. */
static int
save_checkpoints(struct bf_load *l, struct bf_err *e)
{
	struct part **dirty;
	size_t ndirty = 0, i;
	struct win *w;
	int rc = 0;

	if (l->o.state == NULL)
		return 0;
	dirty = bf_xcalloc((size_t)l->qn, sizeof(*dirty));
	for (w = l->qhead; w != NULL; w = w->qnext) {
		struct part *p = w->p;

		if (w->refused)
			continue;
		if (!bf_ckpt_covers(&p->ck, w->start, w->end))
			p->ck.windows++;
		bf_ckpt_add(&p->ck, w->start, w->end);
		if (w->grid != NULL && w->grid[0] != '\0') {
			free(p->ck.grid);
			p->ck.grid = bf_xstrdup(w->grid);
		}
		p->ck.last_from = w->start;
		p->ck.last_to = w->end;
		memcpy(p->ck.last_digest, w->digest, sizeof(w->digest));
		bf_ckpt_set_head(&p->ck, w->head);
		if (!p->dirty)
			dirty[ndirty++] = p;
		p->dirty = 1;
	}
	/* A partition whose anchor check moved its checkpoint (a restore
	 * recorded, a warehouse trusted on first use) with every window
	 * refused. */
	for (w = l->qhead; w != NULL; w = w->qnext)
		if (w->p->ckmoved && !w->p->dirty) {
			dirty[ndirty++] = w->p;
			w->p->dirty = 1;
		}
	for (i = 0; i < ndirty; i++)
		dirty[i]->ckmoved = 0;
	for (i = 0; i < ndirty; i++) {
		dirty[i]->dirty = 0;
		if (rc == 0 && bf_ckpt_save(l->o.state, &dirty[i]->ck, e) == -1)
			rc = -1;
	}
	free(dirty);
	return rc;
}

/* Writes the output held during the batch, each window's line after the
 * lines that came before it, and frees the batch. */
static void
emit_batch(struct bf_load *l)
{
	struct bf_buf out = BF_BUF_INIT;
	const char *held = l->outq.s != NULL ? l->outq.s : "";
	struct win *w, *next;
	size_t pos = 0;

	for (w = l->qhead; w != NULL; w = next) {
		next = w->qnext;
		bf_buf_add(&out, held + pos, w->outpos - pos);
		pos = w->outpos;
		if (w->refused) {
			l->failed++;
			emit_window(l, w, "failed", w->code, w->why, &out);
		} else {
			emit_window(l, w, "ok", NULL, NULL, &out);
		}
		win_free(w);
	}
	bf_buf_add(&out, held + pos, l->outq.len - pos);
	bf_buf_reset(&l->outq);
	bf_buf_add(&l->outq, bf_buf_str(&out), out.len);
	bf_buf_free(&out);
	l->qhead = l->qtail = NULL;
	l->qn = 0;
	flush_out(l, 1);
}

/* Commits the queued windows in one transaction, then their checkpoints,
 * then writes their lines. */
static int
run_batch(struct bf_load *l, struct bf_err *e)
{
	struct win *w;

	if (l->qn == 0)
		return 0;
	now_text(l->now);
	if (bf_wh_begin(l->w, e) == -1)
		goto fatal;
	for (w = l->qhead; w != NULL; w = w->qnext)
		if (process(l, w, e) == -1) {
			bf_wh_rollback(l->w);
			goto fatal;
		}
	fault(l, "before-commit");
	if (bf_wh_commit(l->w, e) == -1)
		goto fatal;
	fault(l, "after-commit");
	if (save_checkpoints(l, e) == -1) {
		/* The windows are committed; only their checkpoint lags,
		 * which a rerun repairs. Still an error that ends the run. */
		l->fatal = 1;
		emit_batch(l);
		return -1;
	}
	fault(l, "after-checkpoint");
	emit_batch(l);
	return 0;
fatal:
	l->fatal = 1;
	abandon_queue(l, e->msg);
	flush_out(l, 1);
	return -1;
}

/* Input. */

static void
poison(struct bf_load *l, const char *file, long line, const char *why)
{
	struct win *w;

	bf_load_report(l, file, line, "%s", why);
	l->failed++;
	if (l->poison == NULL) {
		struct bf_buf b = BF_BUF_INIT;

		bf_buf_printf(&b, "comes after an unreadable input line "
		    "(%s:%ld)", file, line);
		l->poison = bf_buf_detach(&b);
	}
	/* Windows open now may have lost that line: none of them is
	 * committed. */
	for (w = l->pending; w != NULL; w = w->next)
		if (w->bad == NULL)
			w->bad = bf_xstrdup(l->poison);
}

/* The window a usage or window line (what) names, into *id, and its
 * partition, into *p: 1; 0 when the line names no valid window (the input
 * is poisoned from here: poison()); -1 with e set when the partition cannot
 * be taken (part_get). */
static int
line_window(struct bf_load *l, const char *file, long line, const char *what,
    struct bf_window *id, struct part **p, struct bf_err *e)
{
	struct bf_buf why = BF_BUF_INIT;
	struct bf_err we;

	if (bf_window_from_json(&l->j, id, &we) == -1) {
		bf_buf_printf(&why, "%s line without a valid window: %s", what,
		    we.msg);
		poison(l, file, line, bf_buf_str(&why));
		bf_buf_free(&why);
		return 0;
	}
	if ((*p = part_get(l, id->partition, file, line, e)) == NULL) {
		bf_window_free(id);
		return -1;
	}
	return 1;
}

static int
on_usage(struct bf_load *l, const char *file, long line, struct bf_err *e)
{
	struct bf_window id = { 0 };
	struct bf_buf why = BF_BUF_INIT;
	struct part *p;
	struct win *w;
	int rc;

	if ((rc = line_window(l, file, line, "usage", &id, &p, e)) <= 0)
		return rc;
	if (p->locked < 0) {
		bf_window_free(&id);
		return 0;
	}
	if ((w = win_find(l, &id, 0)) == NULL) {
		w = win_new(p, &id, file, line);
		if (l->poison != NULL)
			w->bad = bf_xstrdup(l->poison);
		win_add(l, w);
	}
	bf_window_free(&id);
	if (w->bad != NULL)
		return 0;
	if (bf_load_parse_usage(l, w, &why) == -1) {
		struct bf_buf b = BF_BUF_INIT;

		bf_load_report(l, file, line, "%s", bf_buf_str(&why));
		bf_buf_printf(&b, "has a bad usage line (%s:%ld: %s)", file,
		    line, bf_buf_str(&why));
		w->bad = bf_buf_detach(&b);
	}
	bf_buf_free(&why);
	return 0;
}

/* 1 when the window line j says the source returned nothing for its
 * window: "fetched" 0 and "lookback" 0 or absent. */
static int
says_no_data(const struct bf_json *j)
{
	long long v;
	int t = bf_json_get(j, 0, "fetched");

	if (bf_json_int(j, t, &v) == -1 || v != 0)
		return 0;
	t = bf_json_get(j, 0, "lookback");
	return t == -1 || (bf_json_int(j, t, &v) == 0 && v == 0);
}

/* 1 when the window line j says "status":"ok". */
static int
says_ok(const struct bf_json *j)
{
	struct bf_buf st = BF_BUF_INIT;
	int ok = bf_json_get_str(j, "status", &st) != -1 &&
	    strcmp(bf_buf_str(&st), "ok") == 0;

	bf_buf_free(&st);
	return ok;
}

/* Holds w, a window without data, until a window of its partition with
 * data comes (release_held) or the input ends (end_held). */
static void
hold(struct part *p, struct win *w)
{
	w->qnext = NULL;
	if (p->held_tail != NULL)
		p->held_tail->qnext = w;
	else
		p->held = w;
	p->held_tail = w;
	p->nheld++;
}

/* Queues w for the next transaction; runs the batch when it is full. */
static int
enqueue(struct bf_load *l, struct win *w, struct bf_err *e)
{
	w->outpos = l->outq.len;
	w->qnext = NULL;
	if (l->qtail)
		l->qtail->qnext = w;
	else
		l->qhead = w;
	l->qtail = w;
	l->qn++;
	if (l->qn >= (l->o.group > 0 ? l->o.group : l->o.batch))
		return run_batch(l, e);
	return 0;
}

int
bf_load_idle(struct bf_load *l, struct bf_err *e)
{
	if (l->o.group <= 0 || l->fatal)
		return 0;
	return run_batch(l, e);
}

/* Queues p's held windows, in arrival order, ahead of its first window
 * with data. On -1 (e set, the run over) the rest stay held. */
static int
release_held(struct bf_load *l, struct part *p, struct bf_err *e)
{
	struct win *w;

	while ((w = p->held) != NULL) {
		p->held = w->qnext;
		if (p->held == NULL)
			p->held_tail = NULL;
		p->nheld--;
		if (enqueue(l, w, e) == -1)
			return -1;
	}
	return 0;
}

/* At the end of input: the windows held for partitions that never had
 * data are not committed; each is re-emitted with status "no_data" (not
 * when the run stopped early: data may have been still to come), and one
 * message per partition says so. */
static void
end_held(struct bf_load *l)
{
	struct bf_buf n = BF_BUF_INIT;
	struct part *p;
	struct win *w, *next;
	bf_time from, to;
	char fs[BF_TIME_LEN], ts[BF_TIME_LEN];

	for (p = l->pfirst; p != NULL; p = p->onext) {
		if (p->held == NULL)
			continue;
		from = p->held->start;
		to = p->held->end;
		for (w = p->held; w != NULL; w = w->qnext) {
			from = w->start < from ? w->start : from;
			to = w->end > to ? w->end : to;
		}
		bf_time_format(from, fs);
		bf_time_format(to, ts);
		bf_buf_reset(&n);
		qname(&n, p->name);
		if (l->fatal)
			bf_load_report(l, NULL, 0, "partition %s: %ld window%s without "
			    "data [%s, %s) held: not committed: the run stopped",
			    bf_buf_str(&n), p->nheld, p->nheld == 1 ? "" : "s",
			    fs, ts);
		else
			bf_load_report(l, NULL, 0, "partition %s: no data in %ld "
			    "window%s [%s, %s): not committed (--allow-no-data "
			    "commits them)", bf_buf_str(&n), p->nheld,
			    p->nheld == 1 ? "" : "s", fs, ts);
		l->failed += p->nheld;
		for (w = p->held; w != NULL; w = next) {
			next = w->qnext;
			if (!l->fatal)
				emit_window(l, w, "no_data", NULL, NULL,
				    &l->outq);
			win_free(w);
		}
		p->held = p->held_tail = NULL;
		p->nheld = 0;
	}
	bf_buf_free(&n);
}

static int
on_window(struct bf_load *l, const char *file, long line, const char *s,
    size_t n, struct bf_err *e)
{
	struct bf_window id = { 0 };
	struct part *p;
	struct win *w;
	int rc;

	if ((rc = line_window(l, file, line, "window", &id, &p, e)) <= 0)
		return rc;
	if ((w = win_find(l, &id, 1)) == NULL)
		w = win_new(p, &id, file, line);
	bf_window_free(&id);
	w->wline = bf_xstrndup(s, n);
	w->wlen = n;
	w->wfile = bf_xstrdup(file);
	w->wlineno = line;
	if (p->locked < 0) {
		emit_window(l, w, "failed", "partition_locked", "partition "
		    "locked by another bf-load", &l->outq);
		win_free(w);
		goto out;
	}
	if (bf_window_failed(&l->j)) {
		char *up = bf_load_upstream_error(&l->j);

		win_fail(l, w, NULL, up, !bf_load_cause_count(l, &l->j));
		free(up);
		win_free(w);
		goto out;
	}
	if (!says_ok(&l->j)) {
		win_fail(l, w, "not_ok", "has no status ok", 0);
		win_free(w);
		goto out;
	}
	if (w->bad != NULL || l->poison != NULL) {
		win_fail(l, w, "bad_input", w->bad ? w->bad : l->poison, 0);
		win_free(w);
		goto out;
	}
	w->grid = bf_load_opt_str(&l->j, "grid");
	w->source = bf_load_opt_str(&l->j, "source");
	w->counts = bf_load_window_counts(&l->j);
	if (!l->o.allow_no_data && !p->hasdata) {
		if (w->rows.n == 0 && says_no_data(&l->j)) {
			hold(p, w);
			goto out;
		}
		p->hasdata = 1;
		if (release_held(l, p, e) == -1) {
			w->qnext = l->qhead;
			l->qhead = w;
			l->qn++;
			abandon_queue(l, e->msg);
			return -1;
		}
	}
	return enqueue(l, w, e);
out:
	if (l->qn == 0)
		flush_out(l, 1);
	return 0;
}

int
bf_load_line(struct bf_load *l, const char *file, long line, const char *s,
    size_t n, int toolong, struct bf_err *e)
{
	size_t pos = 0;
	int rc;

	if (l->fatal)
		return bf_err_set(e, BF_EXIT_FAILED, "load already failed");
	if (toolong) {
		poison(l, file, line, "line too long");
		return 0;
	}
	rc = bf_json_parse(&l->j, s, n, BF_JSON_WANT_OBJECT, &pos);
	if (rc != BF_JSON_OK) {
		struct bf_buf b = BF_BUF_INIT;

		bf_buf_printf(&b, "%s at byte %zu", bf_json_strerror(rc),
		    pos + 1);
		poison(l, file, line, bf_buf_str(&b));
		bf_buf_free(&b);
		return 0;
	}
	switch (bf_line_type(&l->j)) {
	case BF_LINE_USAGE:
		return on_usage(l, file, line, e);
	case BF_LINE_WINDOW:
		return on_window(l, file, line, s, n, e);
	case BF_LINE_NOTYPE:
		poison(l, file, line, "line without a \"type\"");
		return 0;
	default:
		bf_buf_add(&l->outq, s, n);
		bf_buf_putc(&l->outq, '\n');
		if (l->qn == 0)
			flush_out(l, 0);
		return 0;
	}
}

int
bf_load_finish(struct bf_load *l, struct bf_err *e)
{
	struct win *w, *next;
	int rc = 0;

	if (!l->fatal)
		rc = run_batch(l, e);
	else
		abandon_queue(l, "the run stopped");
	end_held(l);
	bf_load_cause_report(l);
	for (w = l->pending; w != NULL; w = next) {
		next = w->next;
		l->failed++;
		bf_load_report(l, w->file, w->line, "%s: %zu usage line%s without "
		    "their window line: not committed", wname(l, w),
		    w->rows.n, w->rows.n == 1 ? "" : "s");
		win_free(w);
	}
	l->pending = l->pending_tail = NULL;
	bf_htab_free(&l->wins);
	flush_out(l, 1);
	return rc;
}

int
bf_load_status(const struct bf_load *l)
{
	if (l->mismatch)
		return BF_EXIT_VERIFY;
	if (l->failed > 0)
		return BF_EXIT_FAILED;
	if (l->locked)
		return BF_EXIT_TEMPFAIL;
	return BF_EXIT_OK;
}

struct bf_load *
bf_load_new(struct bf_wh *w, const struct bf_load_opts *o, struct bf_err *e)
{
	struct bf_load *l = bf_xcalloc(1, sizeof(*l));
	const char *f = getenv("BF_FAULT");

	l->w = w;
	l->o = *o;
	if (l->o.batch < 1)
		l->o.batch = 1;
	if (f != NULL && f[0] != '\0') {
		const char *colon = strrchr(f, ':');
		char *end;
		int i, ok = 0;

		if (colon != NULL) {
			l->fault_point = bf_xstrndup(f, (size_t)(colon - f));
			l->fault_count = strtol(colon + 1, &end, 10);
			for (i = 0; fault_points[i] != NULL; i++)
				ok |= strcmp(fault_points[i],
				    l->fault_point) == 0;
			ok = ok && *end == '\0' && l->fault_count > 0 &&
			    end != colon + 1;
		}
		if (!ok) {
			free(l->fault_point);
			free(l);
			bf_err_set(e, BF_EXIT_USAGE, "BF_FAULT '%s' is not "
			    "POINT:COUNT with a known point", f);
			return NULL;
		}
	}
	return l;
}

void
bf_load_free(struct bf_load *l)
{
	struct win *w, *next;
	struct part *p, *pn;

	if (l == NULL)
		return;
	for (w = l->qhead; w != NULL; w = next) {
		next = w->qnext;
		win_free(w);
	}
	for (w = l->pending; w != NULL; w = next) {
		next = w->next;
		win_free(w);
	}
	for (p = l->pfirst; p != NULL; p = pn) {
		pn = p->onext;
		for (w = p->held; w != NULL; w = next) {
			next = w->qnext;
			win_free(w);
		}
		if (p->fd >= 0)
			bf_unlock(p->fd);
		bf_ckpt_free(&p->ck);
		free(p->mismatch);
		free(p->name);
		free(p);
	}
	bf_keymap_free(&l->causes);
	free(l->ncause);
	bf_htab_free(&l->parts);
	bf_htab_free(&l->wins);
	free(l->poison);
	free(l->fault_point);
	bf_json_free(&l->j);
	BF_EACH(bf_buf_free, struct bf_buf, &l->tmp, &l->canon, &l->owner,
	    &l->outq);
	BF_EACH(bf_rowset_free, struct bf_rowset, &l->old, &l->entries,
	    &l->wrow, &l->scratch);
	BF_EACH(free, void, l->ups, l->dels, l);
}

int
bf_load_export(struct bf_wh *w, FILE *out, struct bf_err *e)
{
	return bf_wh_export(w, out, e);
}

