/*
 * window.c: planning windows; see window.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "checkpoint.h"
#include "err.h"
#include "hash.h"
#include "input.h"
#include "json.h"
#include "files.h"
#include "keymap.h"
#include "timeutil.h"
#include "warehouse.h"
#include "window.h"

/* The mathematical a mod m, for m > 0: 0 <= result < m. */
static int64_t
floormod(int64_t a, int64_t m)
{
	int64_t r = a % m;

	return r < 0 ? r + m : r;
}

static bf_time
tmax(bf_time a, bf_time b)
{
	return a > b ? a : b;
}

static bf_time
tmin(bf_time a, bf_time b)
{
	return a < b ? a : b;
}

int
bf_grid_init(struct bf_grid *g, int64_t size, bf_time align, int billing_day,
    struct bf_err *e)
{
	if (size <= 0)
		return bf_err_set(e, BF_EXIT_USAGE,
		    "window size must be positive");
	if (size > BF_GRID_SIZE_MAX)
		return bf_err_set(e, BF_EXIT_USAGE,
		    "window size of %" PRId64 " seconds is too large", size);
	if (billing_day < 1 || billing_day > 28)
		return bf_err_set(e, BF_EXIT_USAGE,
		    "billing day %d is not between 1 and 28", billing_day);
	g->size = size;
	g->phase = floormod(align, size);
	g->billing_day = billing_day;
	return 0;
}

void
bf_grid_format(const struct bf_grid *g, char out[BF_GRID_LEN])
{
	snprintf(out, BF_GRID_LEN, "size=%" PRId64 " phase=%" PRId64
	    " billing_day=%d", g->size, g->phase, g->billing_day);
}

/* Reads "key=digits" at *s, digits without a leading zero (unless "0"),
 * and moves *s past it. */
static int
grid_field(const char **s, const char *key, int64_t max, int64_t *v)
{
	size_t kl = strlen(key);
	const char *p = *s;
	int64_t x = 0;

	if (strncmp(p, key, kl) != 0 || p[kl] != '=')
		return -1;
	p += kl + 1;
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (max - (*p - '0')) / 10)
			return -1;
		x = x * 10 + (*p - '0');
	}
	*v = x;
	*s = p;
	return 0;
}

int
bf_grid_parse(const char *s, struct bf_grid *g)
{
	int64_t size, phase, bd;

	if (grid_field(&s, "size", BF_GRID_SIZE_MAX, &size) == -1 ||
	    *s++ != ' ' ||
	    grid_field(&s, "phase", BF_GRID_SIZE_MAX, &phase) == -1 ||
	    *s++ != ' ' ||
	    grid_field(&s, "billing_day", 28, &bd) == -1 || *s != '\0')
		return -1;
	if (size < 1 || phase >= size || bd < 1)
		return -1;
	g->size = size;
	g->phase = phase;
	g->billing_day = (int)bd;
	return 0;
}

void
bf_grid_piece(const struct bf_grid *g, bf_time t, bf_time *start,
    bf_time *end)
{
	bf_time cs = t - floormod(t - g->phase, g->size);

	*start = tmax(cs, bf_billing_start(t, g->billing_day));
	*end = tmin(cs + g->size, bf_billing_next(t, g->billing_day));
}

int
bf_plan_init(struct bf_plan *p, bf_time from, bf_time to, int64_t size,
    const bf_time *align, int billing_day, struct bf_err *e)
{
	char buf[BF_TIME_LEN];
	bf_time a;

	if (bf_time_format(from, buf) == 0)
		return bf_err_set(e, BF_EXIT_USAGE,
		    "--from is outside the years 0000 to 9999");
	if (bf_time_format(to, buf) == 0)
		return bf_err_set(e, BF_EXIT_USAGE,
		    "--to is outside the years 0000 to 9999");
	if (from >= to)
		return bf_err_set(e, BF_EXIT_USAGE,
		    "--from must be before --to");
	if (align != NULL) {
		if (bf_time_format(*align, buf) == 0)
			return bf_err_set(e, BF_EXIT_USAGE,
			    "--align is outside the years 0000 to 9999");
		a = *align;
	} else
		a = from - floormod(from, 86400);
	if (bf_grid_init(&p->grid, size, a, billing_day, e) == -1)
		return -1;
	p->from = from;
	p->to = to;
	bf_grid_format(&p->grid, p->name);
	return 0;
}

void
bf_plan_window_at(const struct bf_plan *p, bf_time t, bf_time *start,
    bf_time *end)
{
	bf_grid_piece(&p->grid, t, start, end);
	*start = tmax(*start, p->from);
	*end = tmin(*end, p->to);
}

void
bf_plan_iter_init(struct bf_plan_iter *it, const struct bf_plan *p)
{
	it->p = p;
	it->cur = p->from;
	it->bill = bf_billing_next(p->from, p->grid.billing_day);
}

int
bf_plan_iter_next(struct bf_plan_iter *it, bf_time *start, bf_time *end)
{
	const struct bf_grid *g = &it->p->grid;
	bf_time cur = it->cur, e;

	if (cur >= it->p->to)
		return 0;
	if (it->bill <= cur)
		it->bill = bf_billing_next(cur, g->billing_day);
	e = cur - floormod(cur - g->phase, g->size) + g->size;
	e = tmin(tmin(e, it->bill), it->p->to);
	*start = cur;
	*end = e;
	it->cur = e;
	return 1;
}

int64_t
bf_plan_count(const struct bf_plan *p)
{
	struct bf_plan_iter it;
	bf_time s, e;
	int64_t n = 0;

	bf_plan_iter_init(&it, p);
	while (bf_plan_iter_next(&it, &s, &e))
		n++;
	return n;
}

/* "'name'" for messages, escaped by bf_plan_put_name. */
static const char *
qname(struct bf_buf *b, const char *name)
{
	bf_buf_reset(b);
	bf_buf_putc(b, '\'');
	bf_plan_put_name(b, name, strlen(name));
	bf_buf_putc(b, '\'');
	return bf_buf_str(b);
}

int
bf_plan_check(const struct bf_plan *p, const struct bf_ckpt *c, int force,
    struct bf_err *e)
{
	struct bf_buf nb = BF_BUF_INIT;
	char r1[BF_RANGE_LEN], r2[BF_RANGE_LEN];
	size_t k;
	int rc = 0;

	for (k = 0; k < c->n && rc == 0; k++) {
		const struct bf_range *r = &c->r[k];
		bf_time ws, we, ps, pe, x;
		char tx[BF_TIME_LEN];
		int j;

		if (r->to <= p->from || r->from >= p->to)
			continue;
		if (c->grid == NULL) {
			rc = bf_err_set(e, BF_EXIT_USAGE, "partition %s: "
			    "committed range %s has no grid in its "
			    "checkpoint", qname(&nb, c->partition),
			    bf_time_range(r->from, r->to, r1));
			break;
		}
		if (strcmp(c->grid, p->name) != 0) {
			rc = bf_err_set(e, BF_EXIT_USAGE, "partition %s: "
			    "committed range %s is on grid '%s', not on this "
			    "plan's grid '%s'", qname(&nb, c->partition),
			    bf_time_range(r->from, r->to, r1), c->grid,
			    p->name);
			break;
		}
		for (j = 0; j < 2 && rc == 0; j++) {
			x = j == 0 ? r->from : r->to;
			if (x <= p->from || x >= p->to)
				continue;
			bf_plan_window_at(p, x, &ws, &we);
			if (ws == x)
				continue;
			bf_time_format(x, tx);
			rc = bf_err_set(e, BF_EXIT_USAGE, "partition %s: "
			    "window %s overlaps the committed range %s in "
			    "part (%s %s leaves it out)",
			    qname(&nb, c->partition),
			    bf_time_range(ws, we, r1),
			    bf_time_range(r->from, r->to, r2),
			    j == 0 ? "--to" : "--from", tx);
		}
		for (j = 0; j < 2 && rc == 0 && force; j++) {
			x = j == 0 ? p->from : p->to;
			if (x <= r->from || x >= r->to)
				continue;
			bf_grid_piece(&p->grid, x, &ps, &pe);
			if (ps == x)
				continue;
			bf_plan_window_at(p, j == 0 ? x : x - 1, &ws, &we);
			bf_time_format(j == 0 ? tmax(r->from, ps) :
			    tmin(r->to, pe), tx);
			rc = bf_err_set(e, BF_EXIT_USAGE, "partition %s: "
			    "window %s would cut through the committed "
			    "window %s (--force needs %s %s)",
			    qname(&nb, c->partition),
			    bf_time_range(ws, we, r1),
			    bf_time_range(tmax(r->from, ps),
			    tmin(r->to, pe), r2),
			    j == 0 ? "--from" : "--to", tx);
		}
	}
	bf_buf_free(&nb);
	return rc;
}

void
bf_plan_skip_init(struct bf_plan_skip *s, const struct bf_plan *p,
    const struct bf_ckpt *c, int force)
{
	s->i = 0;
	s->c = NULL;
	if (c != NULL && !force && c->n > 0 && c->grid != NULL &&
	    strcmp(c->grid, p->name) == 0)
		s->c = c;
}

int
bf_plan_skip(struct bf_plan_skip *s, bf_time start, bf_time end)
{
	const struct bf_ckpt *c = s->c;

	if (c == NULL)
		return 0;
	while (s->i < c->n && c->r[s->i].to <= start)
		s->i++;
	return s->i < c->n && c->r[s->i].from <= start &&
	    end <= c->r[s->i].to;
}

int
bf_window_row_read(const struct bf_row *row, struct bf_window_row *w)
{
	const char *ws = row->v[BF_W_WINDOW_START];
	const char *we = row->v[BF_W_WINDOW_END];

	w->partition = row->v[BF_W_PARTITION];
	if (ws == NULL || we == NULL ||
	    bf_time_parse(ws, strlen(ws), &w->from, NULL) == -1 ||
	    bf_time_parse(we, strlen(we), &w->to, NULL) == -1)
		return -1;
	return 0;
}

/* Reads a windows row into *w; -1 with e set for bounds that are no
 * times or not in order. */
static int
row_read(const struct bf_row *row, struct bf_window_row *w,
    struct bf_err *e)
{
	if (bf_window_row_read(row, w) == -1 || w->from >= w->to)
		return bf_err_set(e, BF_EXIT_FAILED, "windows row of "
		    "partition '%s' has bad bounds", w->partition ?
		    w->partition : "");
	return 0;
}

/* One windows row of the partition of ctx, a struct bf_ckpt. */
static int
whc_row(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct bf_ckpt *c = ctx;
	const char *g = row->v[BF_W_GRID];
	struct bf_window_row w;

	if (row_read(row, &w, e) == -1)
		return -1;
	bf_ckpt_add(c, w.from, w.to);
	if (g != NULL && g[0] != '\0' &&
	    (c->grid == NULL || strcmp(c->grid, g) != 0)) {
		free(c->grid);
		c->grid = bf_xstrdup(g);
	}
	return 0;
}

int
bf_plan_wh_committed(const char *target, struct bf_ckpt *ck, size_t n,
    struct bf_err *e)
{
	struct bf_wh *w;
	size_t i;
	int rc;

	if ((rc = bf_wh_exists(target, e)) <= 0)
		return rc;
	if ((w = bf_wh_open(target, 0, e)) == NULL)
		return -1;
	rc = bf_wh_begin_read(w, e);
	for (i = 0; i < n && rc == 0; i++)
		rc = bf_wh_windows_of(w, ck[i].partition, whc_row, &ck[i], e);
	bf_wh_close(w);
	return rc;
}

/* What bf_plan_missing gathers: the count, the first few windows. */
#define MISSING_SHOWN 3
struct missing {
	struct bf_grid g;
	int hasgrid;
	long n;
	struct bf_buf *list;
};

static void
missing_cb(void *ctx, bf_time a, bf_time b)
{
	struct missing *m = ctx;
	char r[BF_RANGE_LEN];
	bf_time t = a, ps, pe;

	while (t < b) {
		pe = b;
		if (m->hasgrid) {
			bf_grid_piece(&m->g, t, &ps, &pe);
			pe = tmin(pe, b);
		}
		if (m->n++ < MISSING_SHOWN)
			bf_buf_printf(m->list, "%s%s", m->n > 1 ? ", " : "",
			    bf_time_range(t, pe, r));
		t = pe;
	}
}

long
bf_plan_missing(const struct bf_ckpt *c, const struct bf_ckpt *wh,
    struct bf_buf *msg)
{
	struct bf_buf list = BF_BUF_INIT, nb = BF_BUF_INIT;
	struct missing m;
	size_t k;

	memset(&m, 0, sizeof(m));
	m.list = &list;
	m.hasgrid = c->grid != NULL && bf_grid_parse(c->grid, &m.g) == 0;
	for (k = 0; k < c->n; k++)
		bf_ckpt_gaps(wh, c->r[k].from, c->r[k].to, missing_cb, &m);
	if (m.n > 0) {
		bf_buf_printf(msg, "partition %s: %ld window%s the checkpoint "
		    "calls committed %s not in the warehouse (restored or "
		    "failed over?): planned again: %s",
		    qname(&nb, c->partition), m.n, m.n == 1 ? "" : "s",
		    m.n == 1 ? "is" : "are", bf_buf_str(&list));
		if (m.n > MISSING_SHOWN)
			bf_buf_printf(msg, " and %ld more",
			    m.n - MISSING_SHOWN);
	}
	bf_buf_free(&list);
	bf_buf_free(&nb);
	return m.n;
}

void
bf_plan_basis(const struct bf_ckpt *c, struct bf_ckpt *wh)
{
	struct bf_ckpt both;
	size_t i = 0, j = 0;

	if (c == NULL || c->n == 0)
		return;
	bf_ckpt_init(&both, wh->partition);
	while (i < c->n && j < wh->n) {
		bf_ckpt_add(&both, tmax(c->r[i].from, wh->r[j].from),
		    tmin(c->r[i].to, wh->r[j].to));
		if (c->r[i].to < wh->r[j].to)
			i++;
		else
			j++;
	}
	free(wh->r);
	wh->r = both.r;
	wh->n = both.n;
	wh->cap = both.cap;
	both.r = NULL;
	both.n = both.cap = 0;
	bf_ckpt_free(&both);
}

/* Watermarks: per partition, its first contiguous committed range and the
 * window that ends it. */
struct wmark {
	bf_time a, b;
	int state; /* 0 no window yet, 1 in the first range, 2 past it */
	const char *ws, *we, *digest, *head; /* in mem */
};

struct wmarks {
	struct bf_keymap names;
	struct wmark *v;
	size_t cap;
	int fixed;
	struct bf_rowset mem;
};

static int
wm_row(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct wmarks *x = ctx;
	const char *p = row->v[BF_W_PARTITION];
	struct wmark *m;
	struct bf_window_row w;
	long i;

	if (p == NULL)
		return 0;
	if ((i = bf_keymap_get(&x->names, p, strlen(p))) == -1) {
		if (x->fixed)
			return 0;
		i = (long)bf_keymap_put(&x->names, p, strlen(p), NULL);
		if ((size_t)i >= x->cap) {
			x->cap = x->cap ? 2 * x->cap : 16;
			x->v = bf_xrealloc(x->v, x->cap * sizeof(*x->v));
		}
		memset(&x->v[i], 0, sizeof(x->v[i]));
	}
	m = &x->v[i];
	if (m->state == 2)
		return 0;
	if (row_read(row, &w, e) == -1)
		return -1;
	if (m->state == 1 && w.from > m->b) {
		m->state = 2;
		return 0;
	}
	if (m->state == 0) {
		m->a = w.from;
		m->state = 1;
	}
	if (m->ws == NULL || w.to >= m->b) {
		m->b = w.to;
		m->ws = bf_rowset_str(&x->mem, row->v[BF_W_WINDOW_START]);
		m->we = bf_rowset_str(&x->mem, row->v[BF_W_WINDOW_END]);
		m->digest = bf_rowset_str(&x->mem, row->v[BF_W_DIGEST]);
		m->head = bf_rowset_str(&x->mem, row->v[BF_W_CHAIN_HEAD]);
	}
	return 0;
}

/* "key":"text" or "key":null. */
static void
put_kv(struct bf_buf *b, const char *key, const char *v)
{
	bf_buf_printf(b, ",\"%s\":", key);
	if (v == NULL)
		bf_buf_puts(b, "null");
	else
		bf_json_put_str(b, v, strlen(v));
}

static void
wm_put(struct bf_buf *b, const char *name, size_t len, const struct wmark *m)
{
	char ta[BF_TIME_LEN], tb[BF_TIME_LEN];

	bf_buf_puts(b, "{\"type\":\"watermark\",\"partition\":");
	bf_json_put_str(b, name, len);
	bf_buf_puts(b, ",\"encoded\":\"");
	bf_name_encode(name, len, b);
	bf_buf_putc(b, '"');
	if (m->state == 0) {
		bf_buf_puts(b, ",\"committed_from\":null,\"watermark\":null}\n");
		return;
	}
	bf_time_format(m->a, ta);
	bf_time_format(m->b, tb);
	bf_buf_printf(b, ",\"committed_from\":\"%s\",\"watermark\":\"%s\","
	    "\"last_window\":[", ta, tb);
	bf_json_put_str(b, m->ws, strlen(m->ws));
	bf_buf_putc(b, ',');
	bf_json_put_str(b, m->we, strlen(m->we));
	bf_buf_putc(b, ']');
	put_kv(b, "last_digest", m->digest);
	put_kv(b, "chain_head", m->head);
	bf_buf_puts(b, "}\n");
}

int
bf_part_names(struct bf_keymap *m, const char *const *names, size_t n,
    struct bf_err *e)
{
	size_t i;
	int added;

	for (i = 0; i < n; i++) {
		bf_keymap_put(m, names[i], strlen(names[i]), &added);
		if (!added)
			return bf_err_set(e, BF_EXIT_USAGE, "partition '%s' "
			    "named twice", names[i]);
	}
	return 0;
}

int
bf_plan_watermarks(struct bf_wh *w, const char *const *names, size_t n,
    FILE *out, struct bf_err *e)
{
	struct wmarks x = { .cap = n, .fixed = n > 0 };
	struct bf_buf b = BF_BUF_INIT;
	size_t i;
	int rc = -1;

	if (n > 0) {
		x.v = bf_xcalloc(n, sizeof(*x.v));
		if (bf_part_names(&x.names, names, n, e) == -1)
			goto done;
	}
	if (w != NULL) {
		if (bf_wh_begin_read(w, e) == -1)
			goto done;
		rc = n > 0 ? 0 : bf_wh_scan(w, &bf_tbl_windows, wm_row, &x,
		    e);
		for (i = 0; i < n && rc == 0; i++)
			rc = bf_wh_windows_of(w, names[i], wm_row, &x, e);
		bf_wh_rollback(w);
		if (rc == -1)
			goto done;
	}
	rc = 0;
	for (i = 0; i < x.names.n; i++)
		wm_put(&b, x.names.v[i].key, x.names.v[i].len, &x.v[i]);
	if ((b.len > 0 && fwrite(b.s, 1, b.len, out) != b.len) ||
	    fflush(out) == EOF || ferror(out))
		rc = bf_err_set(e, BF_EXIT_IO, "write error on the "
		    "watermarks");
done:
	free(x.v);
	bf_keymap_free(&x.names);
	bf_rowset_free(&x.mem);
	bf_buf_free(&b);
	return rc;
}

bf_time
bf_settle_limit(bf_time now, int64_t settle)
{
	bf_time limit;

	if (__builtin_sub_overflow(now, settle, &limit))
		return INT64_MIN;
	return limit;
}

int
bf_settled(bf_time end, bf_time limit)
{
	return end <= limit;
}

/* Decimal digits only, no sign, at most max; *end past them. */
static int
parse_u64(const char *s, const char **end, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (x > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*end = s;
	*v = x;
	return 0;
}

int
bf_shard_parse(const char *s, struct bf_shard *sh, struct bf_err *e)
{
	const uint64_t nmax = UINT64_C(1) << 31;
	struct bf_buf nb = BF_BUF_INIT;
	const char *p;
	uint64_t i, n;

	if (parse_u64(s, &p, nmax, &i) == -1 || *p++ != '/' ||
	    parse_u64(p, &p, nmax, &n) == -1 || *p != '\0') {
		bf_plan_put_name(&nb, s, strlen(s));
		bf_err_set(e, BF_EXIT_USAGE, "bad shard '%s': expected I/N "
		    "with 0 <= I < N <= 2147483648", bf_buf_str(&nb));
		bf_buf_free(&nb);
		return -1;
	}
	if (n == 0)
		return bf_err_set(e, BF_EXIT_USAGE, "bad shard '%s': N must "
		    "be at least 1", s);
	if (i >= n)
		return bf_err_set(e, BF_EXIT_USAGE, "bad shard '%s': I must "
		    "be below N (shards are numbered from 0)", s);
	sh->i = i;
	sh->n = n;
	return 0;
}

uint64_t
bf_shard_of(const char *name, size_t len, uint64_t n)
{
	return bf_fnv1a64(name, len) % n;
}

int
bf_shard_has(const struct bf_shard *sh, const char *name, size_t len)
{
	return sh->n == 0 || bf_shard_of(name, len, sh->n) == sh->i;
}

void
bf_plan_put_name(struct bf_buf *out, const char *name, size_t len)
{
	int utf8 = bf_utf8_valid(name, len);
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '\n')
			bf_buf_puts(out, "\\n");
		else if (c == '\t')
			bf_buf_puts(out, "\\t");
		else if (c == '\\')
			bf_buf_puts(out, "\\\\");
		else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
			bf_buf_printf(out, "\\x%02X", c);
		else
			bf_buf_putc(out, c);
	}
}

int
bf_partlist_has(const struct bf_partlist *l, const char *name, size_t len)
{
	return bf_htab_find(&l->tab, bf_fnv1a64(name, len), name, len) != NULL;
}

static int
part_refuse(struct bf_err *e, const char *file, long line, const char *what,
    const char *name, size_t len)
{
	struct bf_buf nb = BF_BUF_INIT;

	bf_plan_put_name(&nb, name, len);
	if (file != NULL)
		bf_err_set(e, BF_EXIT_USAGE, "%s:%ld: %s '%s'", file, line,
		    what, bf_buf_str(&nb));
	else
		bf_err_set(e, BF_EXIT_USAGE, "%s '%s'", what,
		    bf_buf_str(&nb));
	bf_buf_free(&nb);
	return -1;
}

int
bf_partlist_add(struct bf_partlist *l, const char *name, size_t len,
    const char *file, long line, struct bf_err *e)
{
	uint64_t hash = bf_fnv1a64(name, len);
	struct bf_part *p;

	if (len == 0)
		return part_refuse(e, file, line, "empty partition name", "",
		    0);
	if (memchr(name, '\0', len) != NULL)
		return part_refuse(e, file, line,
		    "partition name holds a NUL byte", name, len);
	if (!bf_utf8_valid(name, len))
		return part_refuse(e, file, line,
		    "partition name is not valid UTF-8", name, len);
	if (bf_htab_find(&l->tab, hash, name, len) != NULL)
		return part_refuse(e, file, line, "duplicate partition", name,
		    len);
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = bf_xrealloc(l->v, l->cap * sizeof(*l->v));
		bf_htab_refill(&l->tab, l->v, l->n, sizeof(*l->v));
	}
	p = &l->v[l->n++];
	p->name = bf_xstrndup(name, len);
	p->len = len;
	p->h.key = p->name;
	p->h.klen = len;
	p->h.hash = hash;
	bf_htab_insert(&l->tab, &p->h);
	return 0;
}

static int
blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int
bf_partlist_read(struct bf_partlist *l, const char *path, struct bf_err *e)
{
	char *files[1];
	struct bf_input in;
	int r, rc = 0;

	files[0] = (char *)path;
	bf_input_init(&in, files, 1, 64 * 1024);
	while ((r = bf_input_next(&in, e)) != 0) {
		const char *s;
		size_t n;

		if (r == -1) {
			e->code = BF_EXIT_USAGE;
			rc = -1;
			break;
		}
		if (in.toolong) {
			rc = bf_err_set(e, BF_EXIT_USAGE, "%s:%ld: line too "
			    "long for a partition name", in.name, in.lineno);
			break;
		}
		s = in.line.s ? in.line.s : "";
		n = in.line.len;
		while (n > 0 && blank((unsigned char)*s)) {
			s++;
			n--;
		}
		while (n > 0 && blank((unsigned char)s[n - 1]))
			n--;
		if (n == 0 || *s == '#')
			continue;
		if (bf_partlist_add(l, s, n, in.name, in.lineno, e) == -1) {
			rc = -1;
			break;
		}
	}
	bf_input_free(&in);
	return rc;
}

void
bf_partlist_free(struct bf_partlist *l)
{
	size_t k;

	for (k = 0; k < l->n; k++)
		free(l->v[k].name);
	free(l->v);
	bf_htab_free(&l->tab);
	l->v = NULL;
	l->n = l->cap = 0;
}

void
bf_plan_put_window(struct bf_buf *out, const char *part, size_t partlen,
    bf_time start, bf_time end, const char *grid)
{
	char ts[BF_TIME_LEN], te[BF_TIME_LEN];

	bf_time_format(start, ts);
	bf_time_format(end, te);
	bf_buf_puts(out, "{\"type\":\"window\",\"partition\":");
	bf_buf_add(out, part, partlen);
	bf_buf_printf(out, ",\"window_start\":\"%s\",\"window_end\":\"%s\","
	    "\"grid\":\"%s\"}\n", ts, te, grid);
}

void
bf_plan_put_gap(struct bf_buf *out, const char *part, size_t partlen,
    bf_time start, bf_time end)
{
	char ts[BF_TIME_LEN], te[BF_TIME_LEN];

	bf_time_format(start, ts);
	bf_time_format(end, te);
	bf_buf_puts(out, "{\"type\":\"gap\",\"partition\":");
	bf_buf_add(out, part, partlen);
	bf_buf_printf(out, ",\"gap_start\":\"%s\",\"gap_end\":\"%s\"}\n", ts,
	    te);
}
