/*
 * report.c: chargeback, quotas and gaps out of the warehouse (report.h).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "checkpoint.h"
#include "decimal.h"
#include "json.h"
#include "keymap.h"
#include "ledger.h"
#include "report.h"
#include "table.h"
#include "timeutil.h"
#include "window.h"

/* Sheets. */

int
bf_sheet_format(const char *s)
{
	if (strcmp(s, "ndjson") == 0)
		return BF_FMT_NDJSON;
	if (strcmp(s, "csv") == 0)
		return BF_FMT_CSV;
	if (strcmp(s, "table") == 0)
		return BF_FMT_TABLE;
	return -1;
}

void
bf_sheet_init(struct bf_sheet *s, const struct bf_sheet_col *cols,
    int ncols)
{
	memset(s, 0, sizeof(*s));
	s->cols = cols;
	s->ncols = ncols;
}

void
bf_sheet_add(struct bf_sheet *s, const char *type, const char *const *v)
{
	struct bf_row *r = bf_rowset_add(&s->rows);
	int i;

	r->v[0] = bf_rowset_str(&s->rows, type);
	for (i = 0; i < s->ncols && i + 1 < BF_MAXCOLS; i++)
		r->v[i + 1] = bf_rowset_str(&s->rows, v[i]);
}

void
bf_sheet_free(struct bf_sheet *s)
{
	bf_rowset_free(&s->rows);
}

/* Display width of a UTF-8 string: its code points. */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static void
pad(struct bf_buf *b, size_t n)
{
	while (n-- > 0)
		bf_buf_putc(b, ' ');
}

/* The cell as shown: control characters from data escaped (they would
 * break the layout), NULL as "-". */
static void
cell(const char *v, struct bf_buf *out)
{
	bf_buf_reset(out);
	if (v == NULL)
		bf_buf_putc(out, '-');
	else
		bf_plan_put_name(out, v, strlen(v));
	bf_buf_putc(out, '\0');
}

static void
put_table(const struct bf_sheet *s, struct bf_buf *b)
{
	size_t *w = bf_xcalloc((size_t)s->ncols, sizeof(*w)), i, n;
	struct bf_buf c = BF_BUF_INIT;
	int k;

	for (k = 0; k < s->ncols; k++)
		w[k] = width(s->cols[k].name);
	for (i = 0; i < s->rows.n; i++)
		for (k = 0; k < s->ncols; k++) {
			cell(s->rows.rows[i].v[k + 1], &c);
			if ((n = width(c.s)) > w[k])
				w[k] = n;
		}
	for (i = 0; i <= s->rows.n; i++) {
		for (k = 0; k < s->ncols; k++) {
			int right = s->cols[k].flags & BF_SHEET_RIGHT;

			if (i == 0) {
				const char *p;

				bf_buf_reset(&c);
				for (p = s->cols[k].name; *p != '\0'; p++)
					bf_buf_putc(&c, *p == '_' ? ' ' :
					    *p >= 'a' && *p <= 'z' ? *p - 32 :
					    *p);
				bf_buf_putc(&c, '\0');
			} else {
				cell(s->rows.rows[i - 1].v[k + 1], &c);
			}
			n = width(c.s);
			if (k > 0)
				bf_buf_puts(b, "  ");
			if (right)
				pad(b, w[k] - n);
			bf_buf_puts(b, c.s);
			if (!right && k + 1 < s->ncols)
				pad(b, w[k] - n);
		}
		bf_buf_putc(b, '\n');
	}
	bf_buf_free(&c);
	free(w);
}

int
bf_sheet_write(const struct bf_sheet *s, int fmt, FILE *out,
    struct bf_err *e)
{
	struct bf_buf b = BF_BUF_INIT;
	size_t i;
	int c;

	if (fmt == BF_FMT_TABLE) {
		put_table(s, &b);
	} else if (fmt == BF_FMT_CSV) {
		bf_buf_puts(&b, "type");
		for (c = 0; c < s->ncols; c++) {
			bf_buf_putc(&b, ',');
			bf_table_put_field(&b, s->cols[c].name,
			    strlen(s->cols[c].name));
		}
		bf_buf_putc(&b, '\n');
		for (i = 0; i < s->rows.n; i++) {
			const struct bf_row *r = &s->rows.rows[i];

			bf_table_put_cell(&b, r->v[0], strlen(r->v[0]));
			for (c = 0; c < s->ncols; c++) {
				const char *v = r->v[c + 1];

				bf_buf_putc(&b, ',');
				if (v != NULL)
					bf_table_put_cell(&b, v, strlen(v));
			}
			bf_buf_putc(&b, '\n');
		}
	} else {
		for (i = 0; i < s->rows.n; i++) {
			const struct bf_row *r = &s->rows.rows[i];

			bf_buf_puts(&b, "{\"type\":");
			bf_json_put_str(&b, r->v[0], strlen(r->v[0]));
			for (c = 0; c < s->ncols; c++) {
				const char *v = r->v[c + 1];

				bf_buf_putc(&b, ',');
				bf_json_put_str(&b, s->cols[c].name,
				    strlen(s->cols[c].name));
				bf_buf_putc(&b, ':');
				if (v == NULL)
					bf_buf_puts(&b, "null");
				else if (s->cols[c].flags & BF_SHEET_NUM)
					bf_buf_puts(&b, v);
				else
					bf_json_put_str(&b, v, strlen(v));
			}
			bf_buf_puts(&b, "}\n");
		}
	}
	if (b.len > 0)
		fwrite(b.s, 1, b.len, out);
	bf_buf_free(&b);
	if (fflush(out) == EOF || ferror(out))
		return bf_err_set(e, BF_EXIT_IO, "write error on the report");
	return 0;
}

/* Splits and cents. */

int
bf_report_split(bf_dec amount, const bf_dec *w, size_t n, bf_dec *out)
{
	bf_dec total = bf_dec_from_int(0), done = bf_dec_from_int(0);
	size_t i;
	int even = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (bf_dec_add(total, w[i], &total) != BF_DEC_OK)
			return -1;
	if (bf_dec_sign(total) == 0) {
		even = 1;
		total = bf_dec_from_int((int64_t)n);
	}
	for (i = 0; i + 1 < n; i++) {
		bf_dec wi = even ? bf_dec_from_int(1) : w[i];

		if (bf_dec_muldiv(amount, wi, total, &out[i]) != BF_DEC_OK ||
		    bf_dec_add(done, out[i], &done) != BF_DEC_OK)
			return -1;
	}
	return bf_dec_sub(amount, done, &out[n - 1]) == BF_DEC_OK ? 0 : -1;
}

int
bf_report_cents(const bf_dec *a, size_t n, int places, bf_dec *out,
    bf_dec *total)
{
	bf_dec sum = bf_dec_from_int(0), floors = bf_dec_from_int(0), unit;
	bf_dec missing;
	struct bf_dec_rank *r;
	int64_t k, j;
	size_t i;
	int p;

	if (places < 0)
		places = 0;
	if (places > 9)
		places = 9;
	unit.v = 1;
	for (p = 0; p < 9 - places; p++)
		unit.v *= 10;
	for (i = 0; i < n; i++)
		if (bf_dec_add(sum, a[i], &sum) != BF_DEC_OK)
			return -1;
	if (bf_dec_round_to(sum, places, total) != BF_DEC_OK)
		return -1;
	r = bf_xcalloc(n ? n : 1, sizeof(*r));
	for (i = 0; i < n; i++) {
		__int128 q = a[i].v / unit.v, m = a[i].v % unit.v;

		if (m < 0) {
			q--;
			m += unit.v;
		}
		out[i].v = q * unit.v;
		r[i].i = i;
		r[i].v.v = m;
		if (bf_dec_add(floors, out[i], &floors) != BF_DEC_OK) {
			free(r);
			return -1;
		}
	}
	if (bf_dec_sub(*total, floors, &missing) != BF_DEC_OK) {
		free(r);
		return -1;
	}
	k = (int64_t)(missing.v / unit.v);
	if (n > 0)
		qsort(r, n, sizeof(*r), bf_dec_rank_cmp);
	for (j = 0; j < k && (size_t)j < n; j++)
		out[r[j].i].v += unit.v;
	free(r);
	return 0;
}

/* Shares. */

void
bf_shares_free(struct bf_shares *s)
{
	free(s->v);
	bf_buf_free(&s->text);
	memset(s, 0, sizeof(*s));
}

static struct bf_owner_share *
share_add(struct bf_shares *s)
{
	s->v = bf_grow(s->v, &s->cap, s->n, sizeof(*s->v), 8);
	memset(&s->v[s->n], 0, sizeof(s->v[0]));
	return &s->v[s->n++];
}

static int
dec_of(const char *v, const char *what, bf_dec *d, struct bf_err *e)
{
	if (v == NULL) {
		*d = bf_dec_from_int(0);
		return 0;
	}
	if (bf_dec_parse(v, strlen(v), d) != BF_DEC_OK)
		return bf_err_set(e, BF_EXIT_FAILED, "usage %s '%.40s' is not "
		    "a decimal", what, v);
	return 0;
}

/* Where a share's strings start in s->text (pointers are taken once the
 * text stops growing). */
struct pend {
	size_t tenant, cc;
	int has_cc;
};

/* One share of the whole row, for its own tenant; why (if not NULL) is the
 * warning. */
static void
whole_row(const char *tenant, bf_dec cost, bf_dec qty, const char *why,
    struct bf_shares *s)
{
	struct bf_owner_share *x;
	size_t off;

	s->n = 0;
	bf_buf_reset(&s->text);
	bf_buf_puts(&s->text, tenant);
	bf_buf_putc(&s->text, '\0');
	off = s->text.len;
	if (why != NULL)
		bf_buf_printf(&s->text, "%s: the row is charged to its tenant",
		    why);
	x = share_add(s);
	x->tenant = s->text.s;
	x->cost = cost;
	x->quantity = qty;
	s->warning = why != NULL ? s->text.s + off : NULL;
}

/* A decimal member (a string, or a number) of object token t. */
static int
get_dec(const struct bf_json *j, int t, const char *key, struct bf_buf *tmp,
    bf_dec *d)
{
	int k = bf_json_get(j, t, key);
	const char *raw;
	size_t n;

	if (k == -1)
		return -1;
	if (j->tok[k].type == BF_JSON_NUMBER) {
		raw = bf_json_raw(j, k, &n);
		return bf_dec_parse(raw, n, d) == BF_DEC_OK ? 0 : -1;
	}
	bf_buf_reset(tmp);
	if (bf_json_str(j, k, tmp) == -1)
		return -1;
	return bf_dec_parse(tmp->s ? tmp->s : "", tmp->len, d) == BF_DEC_OK ?
	    0 : -1;
}

static int
get_time(const struct bf_json *j, int t, const char *key, struct bf_buf *tmp,
    bf_time *v)
{
	int k = bf_json_get(j, t, key);

	if (k == -1)
		return -1;
	bf_buf_reset(tmp);
	if (bf_json_str(j, k, tmp) == -1)
		return -1;
	return bf_time_parse(tmp->s ? tmp->s : "", tmp->len, v, NULL);
}

/* The allocations of one usage row being read: per allocation its names
 * (offsets in the shares' text), cost and seconds; na of them, plus one
 * for the row's own tenant when they do not add up to its cost. */
struct allocs {
	struct pend *pd;
	bf_dec *w, *secs, sum;
	size_t na;
	int all_time;        /* every allocation has from and to */
	struct bf_buf tmp;
	struct bf_buf why;   /* a reason to charge the whole row, or the
	                        warning of a difference */
};

/* Allocation i, at token t of j, into a (its names into s->text); sets
 * a->why when it is not one. */
static void
read_allocation(const struct bf_json *j, int t, size_t i, struct allocs *a,
    struct bf_shares *s)
{
	bf_time from, to;
	int k;

	if (j->tok[t].type != BF_JSON_OBJECT) {
		bf_buf_printf(&a->why, "allocation %zu is not an object", i + 1);
		return;
	}
	k = bf_json_get(j, t, "tenant");
	a->pd[i].tenant = s->text.len;
	if (k == -1 || bf_json_str(j, k, &s->text) == -1) {
		bf_buf_printf(&a->why, "allocation %zu has no \"tenant\"", i + 1);
		return;
	}
	bf_buf_putc(&s->text, '\0');
	k = bf_json_get(j, t, "cost_center");
	a->pd[i].cc = s->text.len;
	if (k != -1 && bf_json_str(j, k, &s->text) == 0)
		a->pd[i].has_cc = 1;
	bf_buf_putc(&s->text, '\0');
	if (get_dec(j, t, "cost", &a->tmp, &a->w[i]) == -1) {
		bf_buf_printf(&a->why, "allocation %zu has no decimal \"cost\"",
		    i + 1);
		return;
	}
	if (get_time(j, t, "from", &a->tmp, &from) == 0 &&
	    get_time(j, t, "to", &a->tmp, &to) == 0 && to >= from)
		a->secs[i] = bf_dec_from_int(to - from);
	else
		a->all_time = 0;
	if (bf_dec_add(a->sum, a->w[i], &a->sum) != BF_DEC_OK)
		bf_buf_puts(&a->why, "allocations overflow");
}

/* Allocations that do not add up to the row's cost: the difference goes
 * to the row's own tenant, as one more share, with a warning. -1 on
 * overflow. */
static int
rest_to_tenant(struct allocs *a, const char *tenant, bf_dec cost,
    struct bf_shares *s)
{
	char x[BF_DEC_LEN], y[BF_DEC_LEN];

	if (bf_dec_cmp(a->sum, cost) == 0)
		return 0;
	if (bf_dec_sub(cost, a->sum, &a->w[a->na]) != BF_DEC_OK)
		return -1;
	a->pd[a->na].tenant = s->text.len;
	bf_buf_puts(&s->text, tenant);
	bf_buf_putc(&s->text, '\0');
	a->all_time = 0;
	bf_dec_format(a->sum, x);
	bf_dec_format(cost, y);
	bf_buf_printf(&a->why, "allocations add up to %s, not to the cost %s: "
	    "the difference is charged to the row's tenant", x, y);
	a->na++;
	return 0;
}

/* The shares of a row whose allocations were read and add up (a->why
 * holds the warning of a difference, if any): its quantity split by the
 * allocations' seconds when they all have them, else by their costs. */
static int
put_shares(struct allocs *a, bf_dec qty, struct bf_shares *s,
    struct bf_err *e)
{
	bf_dec *q = bf_xcalloc(a->na + 1, sizeof(*q));
	size_t i;

	if (bf_report_split(qty, a->all_time ? a->secs : a->w, a->na, q) ==
	    -1) {
		free(q);
		return bf_err_set(e, BF_EXIT_FAILED, "quantity overflow");
	}
	if (a->why.len > 0) {
		a->pd[a->na].tenant = s->text.len; /* the warning */
		bf_buf_puts(&s->text, a->why.s);
	}
	for (i = 0; i < a->na; i++) {
		struct bf_owner_share *x = share_add(s);

		x->tenant = s->text.s + a->pd[i].tenant;
		x->cost_center = a->pd[i].has_cc ? s->text.s + a->pd[i].cc :
		    NULL;
		x->cost = a->w[i];
		x->quantity = q[i];
	}
	if (a->why.len > 0)
		s->warning = s->text.s + a->pd[a->na].tenant;
	free(q);
	return 0;
}

int
bf_report_shares(const struct bf_row *row, struct bf_shares *s,
    struct bf_err *e)
{
	const char *al = row->v[BF_U_ALLOCATIONS];
	const char *tenant = row->v[BF_U_TENANT] ? row->v[BF_U_TENANT] : "";
	struct bf_json j = BF_JSON_INIT;
	struct allocs a;
	bf_dec cost, qty;
	size_t i;
	int t, rc = 0;

	s->n = 0;
	s->warning = NULL;
	if (dec_of(row->v[BF_U_COST], "cost", &cost, e) == -1 ||
	    dec_of(row->v[BF_U_QUANTITY], "quantity", &qty, e) == -1)
		return -1;
	if (al == NULL) {
		whole_row(tenant, cost, qty, NULL, s);
		return 0;
	}
	if (bf_json_parse(&j, al, strlen(al), 0, NULL) != BF_JSON_OK ||
	    j.tok[0].type != BF_JSON_ARRAY || j.tok[0].size == 0) {
		whole_row(tenant, cost, qty, j.ntok > 0 && j.tok[0].type ==
		    BF_JSON_ARRAY ? NULL : "allocations are not a JSON array",
		    s);
		bf_json_free(&j);
		return 0;
	}
	memset(&a, 0, sizeof(a));
	a.na = (size_t)j.tok[0].size;
	a.pd = bf_xcalloc(a.na + 2, sizeof(*a.pd));
	a.w = bf_xcalloc(a.na + 1, sizeof(*a.w));
	a.secs = bf_xcalloc(a.na + 1, sizeof(*a.secs));
	a.sum = bf_dec_from_int(0);
	a.all_time = 1;
	bf_buf_reset(&s->text);
	for (i = 0, t = 1; i < a.na && a.why.len == 0;
	    i++, t = bf_json_skip(&j, t))
		read_allocation(&j, t, i, &a, s);
	if (a.why.len > 0)
		whole_row(tenant, cost, qty, bf_buf_str(&a.why), s);
	else if (rest_to_tenant(&a, tenant, cost, s) == -1)
		whole_row(tenant, cost, qty, "allocations overflow", s);
	else
		rc = put_shares(&a, qty, s, e);
	free(a.pd);
	free(a.w);
	free(a.secs);
	bf_buf_free(&a.tmp);
	bf_buf_free(&a.why);
	bf_json_free(&j);
	return rc;
}

/* Scanning the usage of one period. */

struct period {
	char from[BF_TIME_LEN], to[BF_TIME_LEN];
	const struct bf_report_opts *o;
	struct bf_shares sh;
	struct bf_keymap cur;    /* currencies */
	bf_dec (*sum)[2];        /* per currency: usage cost, ledger sum */
	size_t scap;
	long straddling;
	int (*fn)(void *ctx, const struct bf_row *row,
	    const struct bf_shares *sh, struct bf_err *e);
	void *ctx;
};

static void
warn(const struct bf_report_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
warn(const struct bf_report_opts *o, const char *fmt, ...)
{
	struct bf_buf b = BF_BUF_INIT;
	va_list ap;

	if (o->warn == NULL)
		return;
	va_start(ap, fmt);
	bf_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	o->warn(o->warn_ctx, bf_buf_str(&b));
	bf_buf_free(&b);
}

void
bf_report_usage_name(const struct bf_row *r, struct bf_buf *b)
{
	bf_buf_puts(b, "instance '");
	bf_plan_put_name(b, r->v[BF_U_INSTANCE_ID],
	    strlen(r->v[BF_U_INSTANCE_ID]));
	bf_buf_puts(b, "' metric '");
	bf_plan_put_name(b, r->v[BF_U_METRIC], strlen(r->v[BF_U_METRIC]));
	bf_buf_printf(b, "' window %s/%s", r->v[BF_U_WINDOW_START],
	    r->v[BF_U_WINDOW_END]);
}

/* The period's totals per currency, from the usage (which) and from the
 * ledger (which 1): they agree unless the warehouse was tampered with. */
static int
add_sum(struct period *p, const char *cur, const char *amount, int which,
    struct bf_err *e)
{
	size_t i;
	int added;
	bf_dec d;

	if (cur == NULL || amount == NULL)
		return 0;
	i = bf_keymap_put(&p->cur, cur, strlen(cur), &added);
	if (added) {
		p->sum = bf_grow(p->sum, &p->scap, i, sizeof(*p->sum), 4);
		p->sum[i][0] = p->sum[i][1] = bf_dec_from_int(0);
	}
	if (bf_dec_parse(amount, strlen(amount), &d) != BF_DEC_OK ||
	    bf_dec_add(p->sum[i][which], d, &p->sum[i][which]) != BF_DEC_OK)
		return bf_err_set(e, BF_EXIT_FAILED, "amount '%.40s' is not a "
		    "decimal, or overflows", amount);
	return 0;
}

static int
period_ledger(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct period *p = ctx;
	const char *ws = row->v[BF_L_WINDOW_START];

	if (ws == NULL || strcmp(ws, p->from) < 0 || strcmp(ws, p->to) >= 0 ||
	    bf_ledger_is_event(row->v[BF_L_KIND]))
		return 0;
	return add_sum(p, row->v[BF_L_CURRENCY], row->v[BF_L_AMOUNT], 1, e);
}

static int
period_row(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct period *p = ctx;
	const char *ws = row->v[BF_U_WINDOW_START];
	const char *we = row->v[BF_U_WINDOW_END];

	if (ws == NULL || strcmp(ws, p->from) < 0 || strcmp(ws, p->to) >= 0)
		return 0;
	if (we != NULL && strcmp(we, p->to) > 0) {
		struct bf_buf b = BF_BUF_INIT;

		bf_report_usage_name(row, &b);
		warn(p->o, "%s straddles the end of billing period %s: "
		    "counted in the period of its start", bf_buf_str(&b),
		    p->o->period);
		bf_buf_free(&b);
	}
	if (add_sum(p, row->v[BF_U_CURRENCY], row->v[BF_U_COST], 0, e) == -1 ||
	    bf_report_shares(row, &p->sh, e) == -1)
		return -1;
	if (p->sh.warning != NULL) {
		struct bf_buf b = BF_BUF_INIT;

		bf_report_usage_name(row, &b);
		warn(p->o, "%s: %s", bf_buf_str(&b), p->sh.warning);
		bf_buf_free(&b);
	}
	return p->fn(p->ctx, row, &p->sh, e);
}

static int
scan_period(struct bf_wh *w, const struct bf_report_opts *o,
    int (*fn)(void *, const struct bf_row *, const struct bf_shares *,
    struct bf_err *), void *ctx, struct bf_err *e)
{
	struct period p;
	bf_time from, to;
	size_t i;
	int rc;

	memset(&p, 0, sizeof(p));
	if (bf_billing_period(o->period, o->billing_day, &from, &to) == -1)
		return bf_err_set(e, BF_EXIT_USAGE, "bad billing period '%s': "
		    "expected YYYY-MM", o->period);
	bf_time_format(from, p.from);
	bf_time_format(to, p.to);
	p.o = o;
	p.fn = fn;
	p.ctx = ctx;
	if (bf_wh_begin_read(w, e) == -1)
		return -1;
	rc = bf_wh_scan(w, &bf_tbl_usage, period_row, &p, e);
	if (rc == 0)
		rc = bf_wh_scan(w, &bf_tbl_ledger, period_ledger, &p, e);
	bf_wh_rollback(w);
	for (i = 0; rc == 0 && i < p.cur.n; i++)
		if (bf_dec_cmp(p.sum[i][0], p.sum[i][1]) != 0) {
			char a[BF_DEC_LEN], b[BF_DEC_LEN];

			bf_dec_format(p.sum[i][0], a);
			bf_dec_format(p.sum[i][1], b);
			warn(o, "the usage of period %s costs %s %s, but its "
			    "ledger entries add up to %s: the warehouse does "
			    "not verify (bf-ledger verify)", o->period, a,
			    p.cur.v[i].key, b);
		}
	bf_shares_free(&p.sh);
	bf_keymap_free(&p.cur);
	free(p.sum);
	return rc;
}

/* Chargeback. */

int
bf_report_parse_by(const char *s, int *by, struct bf_err *e)
{
	const char *p = s;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (n == 11 && strncmp(p, "cost-center", n) == 0)
			*by |= BF_BY_COST_CENTER;
		else if (n == 8 && strncmp(p, "instance", n) == 0)
			*by |= BF_BY_INSTANCE;
		else if (n == 6 && strncmp(p, "metric", n) == 0)
			*by |= BF_BY_METRIC;
		else
			return bf_err_set(e, BF_EXIT_USAGE, "bad --by '%s': "
			    "expected cost-center, instance or metric, "
			    "separated by commas", s);
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

struct group {
	bf_dec cost;
	long rows;
};

struct charge {
	int by;
	struct bf_keymap keys;
	struct group *g;
	size_t cap;
	struct bf_buf k;
};

static void
key_add(struct bf_buf *k, const char *s)
{
	bf_buf_puts(k, s != NULL ? s : "");
	bf_buf_putc(k, '\0');
}

static int
charge_row(void *ctx, const struct bf_row *row, const struct bf_shares *sh,
    struct bf_err *e)
{
	struct charge *c = ctx;
	size_t i, idx;
	int added;

	for (i = 0; i < sh->n; i++) {
		bf_buf_reset(&c->k);
		key_add(&c->k, sh->v[i].tenant);
		if (c->by & BF_BY_COST_CENTER)
			key_add(&c->k, sh->v[i].cost_center);
		if (c->by & BF_BY_INSTANCE)
			key_add(&c->k, row->v[BF_U_INSTANCE_ID]);
		if (c->by & BF_BY_METRIC)
			key_add(&c->k, row->v[BF_U_METRIC]);
		key_add(&c->k, row->v[BF_U_CURRENCY]);
		idx = bf_keymap_put(&c->keys, c->k.s, c->k.len, &added);
		if (added) {
			c->g = bf_grow(c->g, &c->cap, idx, sizeof(*c->g), 64);
			c->g[idx].cost = bf_dec_from_int(0);
			c->g[idx].rows = 0;
		}
		if (bf_dec_add(c->g[idx].cost, sh->v[i].cost,
		    &c->g[idx].cost) != BF_DEC_OK)
			return bf_err_set(e, BF_EXIT_FAILED, "cost overflow");
		c->g[idx].rows++;
	}
	return 0;
}

/* The currency of a group: its key's last field. */
static const char *
key_currency(const struct bf_keymap_ent *x)
{
	const char *p = x->key + x->len - 1; /* the last NUL */

	while (p > x->key && p[-1] != '\0')
		p--;
	return p;
}

/* Whether the optional column k (4 cost_center, 5 instance_id, 6 metric,
 * 10 rounded) of the chargeback is in o's sheet. */
static int
has_col(const struct bf_report_opts *o, int k)
{
	switch (k) {
	case 4:
		return (o->by & BF_BY_COST_CENTER) != 0;
	case 5:
		return (o->by & BF_BY_INSTANCE) != 0;
	case 6:
		return (o->by & BF_BY_METRIC) != 0;
	case 10:
		return o->cents;
	}
	return 1;
}

/* One chargeback sheet being written: the period's bounds, the groups in
 * their order, and the currency walked now. */
struct cbsheet {
	const struct bf_report_opts *o;
	struct bf_sheet *out;
	struct charge *c;
	const size_t *ord;
	char ps[BF_TIME_LEN], pe[BF_TIME_LEN];
};

/* The leading cells of a row: the period (not in a table) and, for a
 * total, the label; returns how many. */
static int
lead_cells(const struct cbsheet *s, const char **v, int total)
{
	int vi = 0;

	if (s->o->format != BF_FMT_TABLE) {
		v[vi++] = s->o->period;
		v[vi++] = s->ps;
		v[vi++] = s->pe;
		if (total)
			v[vi++] = NULL;
	} else if (total)
		v[vi++] = "TOTAL";
	return vi;
}

/* The rows of the groups of one currency (cur, from ord[lo] on), with
 * their cents as bf_report_cents allocates them, then its total row. */
static int
put_currency(struct cbsheet *s, size_t lo, const char *cur, bf_dec *amt,
    bf_dec *cents, struct bf_err *e)
{
	const struct charge *c = s->c;
	const char *v[11];
	char cost[BF_DEC_LEN], rnd[BF_DEC_LEN], nrows[24];
	bf_dec total = bf_dec_from_int(0), rt;
	size_t hi, n = 0, m = 0;
	long rows = 0;
	int vi, k;

	for (hi = lo; hi < c->keys.n; hi++)
		if (strcmp(key_currency(&c->keys.v[s->ord[hi]]), cur) == 0)
			amt[n++] = c->g[s->ord[hi]].cost;
	if (bf_report_cents(amt, n, 2, cents, &rt) == -1)
		return bf_err_set(e, BF_EXIT_FAILED, "cost overflow");
	for (hi = lo; hi < c->keys.n; hi++) {
		const struct bf_keymap_ent *x = &c->keys.v[s->ord[hi]];
		const struct group *g = &c->g[s->ord[hi]];
		const char *f = x->key;

		if (strcmp(key_currency(x), cur) != 0)
			continue;
		vi = lead_cells(s, v, 0);
		/* The key: the tenant, then the optional fields o->by has. */
		v[vi++] = f;
		f += strlen(f) + 1;
		for (k = 4; k <= 6; k++) {
			if (!has_col(s->o, k))
				continue;
			v[vi++] = f;
			f += strlen(f) + 1;
		}
		v[vi++] = cur;
		snprintf(nrows, sizeof(nrows), "%ld", g->rows);
		v[vi++] = nrows;
		bf_dec_format(g->cost, cost);
		v[vi++] = cost;
		bf_dec_format_places(cents[m++], 2, rnd);
		if (s->o->cents)
			v[vi++] = rnd;
		rows += g->rows;
		if (bf_dec_add(total, g->cost, &total) != BF_DEC_OK)
			return bf_err_set(e, BF_EXIT_FAILED, "cost overflow");
		bf_sheet_add(s->out, "chargeback", v);
	}
	vi = lead_cells(s, v, 1);
	for (k = 4; k <= 6; k++)
		if (has_col(s->o, k))
			v[vi++] = NULL;
	v[vi++] = cur;
	snprintf(nrows, sizeof(nrows), "%ld", rows);
	v[vi++] = nrows;
	bf_dec_format(total, cost);
	v[vi++] = cost;
	bf_dec_format_places(rt, 2, rnd);
	if (s->o->cents)
		v[vi++] = rnd;
	bf_sheet_add(s->out, "total", v);
	return 0;
}

/* 1 when a group before ord[lo] has the currency of ord[lo]'s: that
 * currency is written already. */
static int
currency_done(const struct charge *c, const size_t *ord, size_t lo)
{
	const char *cur = key_currency(&c->keys.v[ord[lo]]);
	size_t hi;

	for (hi = 0; hi < lo; hi++)
		if (strcmp(key_currency(&c->keys.v[ord[hi]]), cur) == 0)
			return 1;
	return 0;
}

static int
chargeback(struct bf_wh *w, const struct bf_report_opts *o,
    struct bf_sheet *out, struct bf_sheet_col *use, struct bf_err *e)
{
	static const struct bf_sheet_col cols[] = {
		{ "period", 0 }, { "period_start", 0 }, { "period_end", 0 },
		{ "tenant", 0 }, { "cost_center", 0 }, { "instance_id", 0 },
		{ "metric", 0 }, { "currency", 0 },
		{ "usage_rows", BF_SHEET_NUM | BF_SHEET_RIGHT },
		{ "cost", BF_SHEET_RIGHT }, { "rounded", BF_SHEET_RIGHT },
	};
	struct charge c;
	struct cbsheet s;
	bf_dec *amt = NULL, *cents = NULL;
	size_t *ord = NULL, lo;
	bf_time from, to;
	int nc = 0, rc = -1, k;

	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	c.by = o->by;
	if (scan_period(w, o, charge_row, &c, e) == -1)
		goto done;
	bf_billing_period(o->period, o->billing_day, &from, &to);
	for (k = 0; k < 11; k++)
		if (has_col(o, k) && (o->format != BF_FMT_TABLE || k > 2))
			use[nc++] = cols[k];
	bf_sheet_init(out, use, nc);
	ord = bf_keymap_sorted(&c.keys);
	amt = bf_xcalloc(c.keys.n + 1, sizeof(*amt));
	cents = bf_xcalloc(c.keys.n + 1, sizeof(*cents));
	s.o = o;
	s.out = out;
	s.c = &c;
	s.ord = ord;
	bf_time_format(from, s.ps);
	bf_time_format(to, s.pe);
	/* Groups of one currency are contiguous only when the currency is
	 * the sort key's first field; walk each currency on its own. */
	for (lo = 0; lo < c.keys.n; lo++)
		if (!currency_done(&c, ord, lo) && put_currency(&s, lo,
		    key_currency(&c.keys.v[ord[lo]]), amt, cents, e) == -1)
			goto done;
	rc = c.keys.n > 0;
done:
	free(ord);
	free(amt);
	free(cents);
	free(c.g);
	bf_keymap_free(&c.keys);
	bf_buf_free(&c.k);
	if (rc == -1)
		bf_sheet_free(out);
	return rc;
}

int
bf_report_chargeback_sheet(struct bf_wh *w, const struct bf_report_opts *o,
    struct bf_sheet *out, struct bf_err *e)
{
	struct bf_sheet_col use[11];
	int rc = chargeback(w, o, out, use, e);

	out->cols = NULL; /* use[] dies here */
	return rc;
}

int
bf_report_chargeback(struct bf_wh *w, const struct bf_report_opts *o,
    struct bf_err *e)
{
	struct bf_sheet_col use[11];
	struct bf_sheet sh;
	int rc = chargeback(w, o, &sh, use, e);

	if (rc == -1)
		return -1;
	if (bf_sheet_write(&sh, o->format, o->out, e) == -1)
		rc = -1;
	bf_sheet_free(&sh);
	return rc;
}

/* Quotas. */

struct quota {
	long line;
	const char *tenant, *metric, *unit, *period;
	bf_dec limit, used, cost;
	const char *currency; /* the first row's, in q->mem */
	int mixed;            /* more than one currency */
	const char *badunit;  /* a usage_unit that is not unit */
};

struct quotas {
	const char *file;
	const struct bf_report_opts *o;
	struct quota *v;
	size_t n, cap;
	struct bf_rowset mem;
	struct bf_keymap keys; /* tenant NUL metric -> index */
	struct bf_buf k;
};

static int
quota_line(void *ctx, char **f, size_t nf, long line, struct bf_err *e)
{
	struct quotas *q = ctx;
	struct quota *x;
	bf_time a, b;
	bf_dec lim;
	int added;
	size_t idx;

	if (f[0][0] == '\0' || f[1][0] == '\0')
		return bf_err_set(e, BF_EXIT_USAGE, "empty tenant or metric");
	if (bf_dec_parse(f[2], strlen(f[2]), &lim) != BF_DEC_OK ||
	    bf_dec_sign(lim) < 0)
		return bf_err_set(e, BF_EXIT_USAGE, "bad limit '%s': expected "
		    "a decimal not below 0", f[2]);
	if (f[4][0] != '\0' &&
	    bf_billing_period(f[4], q->o->billing_day, &a, &b) == -1)
		return bf_err_set(e, BF_EXIT_USAGE, "bad period '%s': "
		    "expected YYYY-MM or nothing (every period)", f[4]);
	if (f[4][0] != '\0' && strcmp(f[4], q->o->period) != 0)
		return 0;
	bf_buf_reset(&q->k);
	key_add(&q->k, f[0]);
	key_add(&q->k, f[1]);
	idx = bf_keymap_put(&q->keys, q->k.s, q->k.len, &added);
	if (!added)
		return bf_err_set(e, BF_EXIT_USAGE, "a second quota of tenant "
		    "'%s' metric '%s' for period %s (first on line %ld)",
		    f[0], f[1], q->o->period, q->v[idx].line);
	q->v = bf_grow(q->v, &q->cap, q->n, sizeof(*q->v), 16);
	x = &q->v[q->n++];
	memset(x, 0, sizeof(*x));
	x->line = line;
	x->tenant = bf_rowset_str(&q->mem, f[0]);
	x->metric = bf_rowset_str(&q->mem, f[1]);
	x->unit = bf_rowset_str(&q->mem, f[3]);
	x->period = bf_rowset_str(&q->mem, f[4]);
	x->limit = lim;
	return 0;
}

static int
quota_row(void *ctx, const struct bf_row *row, const struct bf_shares *sh,
    struct bf_err *e)
{
	struct quotas *q = ctx;
	const char *unit = row->v[BF_U_USAGE_UNIT] ? row->v[BF_U_USAGE_UNIT] :
	    "";
	size_t i;
	long idx;

	for (i = 0; i < sh->n; i++) {
		struct quota *x;

		bf_buf_reset(&q->k);
		key_add(&q->k, sh->v[i].tenant);
		key_add(&q->k, row->v[BF_U_METRIC]);
		if ((idx = bf_keymap_get(&q->keys, q->k.s, q->k.len)) == -1)
			continue;
		x = &q->v[idx];
		if (strcmp(unit, x->unit) != 0 && x->badunit == NULL)
			x->badunit = bf_rowset_str(&q->mem, unit);
		if (x->currency == NULL)
			x->currency = bf_rowset_str(&q->mem,
			    row->v[BF_U_CURRENCY]);
		else if (strcmp(x->currency, row->v[BF_U_CURRENCY]) != 0)
			x->mixed = 1;
		if (bf_dec_add(x->used, sh->v[i].quantity, &x->used) !=
		    BF_DEC_OK || bf_dec_add(x->cost, sh->v[i].cost,
		    &x->cost) != BF_DEC_OK)
			return bf_err_set(e, BF_EXIT_FAILED, "quantity "
			    "overflow");
	}
	return 0;
}

int
bf_report_quota_sheet(struct bf_wh *w, const char *quotas,
    const struct bf_report_opts *o, int *exceeded, struct bf_sheet *out,
    struct bf_err *e)
{
	static const char *const header[] = { "tenant", "metric", "limit",
		"unit", "period" };
	static const struct bf_sheet_col cols[] = {
		{ "period", 0 }, { "tenant", 0 }, { "metric", 0 },
		{ "unit", 0 }, { "limit", BF_SHEET_RIGHT },
		{ "used", BF_SHEET_RIGHT }, { "percent", BF_SHEET_RIGHT },
		{ "overage", BF_SHEET_RIGHT },
		{ "overage_cost", BF_SHEET_RIGHT }, { "currency", 0 },
		{ "status", 0 },
	};
	struct quotas q;
	struct bf_sheet *sh = out;
	bf_time a, b;
	size_t i;
	int rc = -1;

	memset(&q, 0, sizeof(q));
	memset(out, 0, sizeof(*out));
	q.file = quotas;
	q.o = o;
	*exceeded = 0;
	if (bf_billing_period(o->period, o->billing_day, &a, &b) == -1)
		return bf_err_set(e, BF_EXIT_USAGE, "bad billing period '%s': "
		    "expected YYYY-MM", o->period);
	if (bf_table_read(quotas, header, 5, quota_line, &q, e) == -1)
		goto done;
	if (scan_period(w, o, quota_row, &q, e) == -1)
		goto done;
	for (i = 0; i < q.n; i++)
		if (q.v[i].badunit != NULL || q.v[i].mixed) {
			struct quota *x = &q.v[i];

			if (x->badunit != NULL)
				bf_err_set(e, BF_EXIT_USAGE, "%s:%ld: quota of "
				    "tenant '%s' metric '%s' is in '%s', but "
				    "the usage is in '%s'", quotas, x->line,
				    x->tenant, x->metric, x->unit,
				    x->badunit);
			else
				bf_err_set(e, BF_EXIT_USAGE, "%s:%ld: usage of "
				    "tenant '%s' metric '%s' is in more than "
				    "one currency", quotas, x->line,
				    x->tenant, x->metric);
			goto done;
		}
	bf_sheet_init(sh, cols, 11);
	for (i = 0; i < q.n; i++) {
		struct quota *x = &q.v[i];
		char lim[BF_DEC_LEN], used[BF_DEC_LEN], pct[BF_DEC_LEN];
		char over[BF_DEC_LEN], ocost[BF_DEC_LEN];
		bf_dec ov = bf_dec_from_int(0), oc = bf_dec_from_int(0), p;
		const char *v[11];
		int ex = bf_dec_cmp(x->used, x->limit) > 0;

		if (ex) {
			bf_dec_sub(x->used, x->limit, &ov);
			if (bf_dec_muldiv(ov, x->cost, x->used, &oc) !=
			    BF_DEC_OK) {
				bf_err_set(e, BF_EXIT_FAILED, "overage cost "
				    "overflow");
				bf_sheet_free(sh);
				goto done;
			}
			(*exceeded)++;
		}
		bf_dec_format(x->limit, lim);
		bf_dec_format(x->used, used);
		bf_dec_format(ov, over);
		bf_dec_format(oc, ocost);
		v[0] = o->period;
		v[1] = x->tenant;
		v[2] = x->metric;
		v[3] = x->unit;
		v[4] = lim;
		v[5] = used;
		v[6] = NULL;
		if (bf_dec_sign(x->limit) > 0 && bf_dec_muldiv(x->used,
		    bf_dec_from_int(100), x->limit, &p) == BF_DEC_OK) {
			bf_dec_format_places(p, 2, pct);
			v[6] = pct;
		}
		v[7] = over;
		v[8] = ocost;
		v[9] = x->currency;
		v[10] = ex ? "exceeded" : "ok";
		bf_sheet_add(sh, "quota", v);
	}
	rc = 0;
done:
	free(q.v);
	bf_rowset_free(&q.mem);
	bf_keymap_free(&q.keys);
	bf_buf_free(&q.k);
	return rc;
}

int
bf_report_quota(struct bf_wh *w, const char *quotas,
    const struct bf_report_opts *o, int *exceeded, struct bf_err *e)
{
	struct bf_sheet sh;
	int rc;

	if (bf_report_quota_sheet(w, quotas, o, exceeded, &sh, e) == -1)
		return -1;
	rc = bf_sheet_write(&sh, o->format, o->out, e);
	bf_sheet_free(&sh);
	return rc;
}

int
bf_report_scan(struct bf_wh *w, const struct bf_report_opts *o,
    int (*fn)(void *ctx, const struct bf_row *row,
    const struct bf_shares *sh, struct bf_err *e), void *ctx,
    struct bf_err *e)
{
	return scan_period(w, o, fn, ctx, e);
}

/* Gaps. */

struct gaps {
	struct bf_keymap names;
	struct bf_ckpt *ck;
	size_t cap;
	int fixed; /* only the partitions named */
};

static int
gap_window(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct gaps *g = ctx;
	struct bf_window_row w;
	long idx;

	if (bf_window_row_read(row, &w) == -1)
		return bf_err_set(e, BF_EXIT_FAILED, "windows row of '%s' has "
		    "bad bounds '%s' '%s'", w.partition,
		    row->v[BF_W_WINDOW_START], row->v[BF_W_WINDOW_END]);
	idx = bf_keymap_get(&g->names, w.partition, strlen(w.partition));
	if (idx == -1) {
		if (g->fixed)
			return 0;
		idx = (long)bf_keymap_put(&g->names, w.partition,
		    strlen(w.partition), NULL);
		g->ck = bf_grow(g->ck, &g->cap, (size_t)idx,
		    sizeof(*g->ck), 16);
		bf_ckpt_init(&g->ck[idx], w.partition);
	}
	bf_ckpt_add(&g->ck[idx], w.from, w.to);
	return 0;
}

struct gapout {
	struct bf_buf *b;
	const char *json;
	size_t jlen;
};

static void
gap_cb(void *ctx, bf_time from, bf_time to)
{
	struct gapout *x = ctx;

	bf_plan_put_gap(x->b, x->json, x->jlen, from, to);
}

int
bf_report_gaps(struct bf_wh *w, bf_time from, bf_time to,
    const char *const *names, size_t n, FILE *out, struct bf_err *e)
{
	struct gaps g = { .cap = n, .fixed = n > 0 };
	struct bf_buf b = BF_BUF_INIT, js = BF_BUF_INIT;
	size_t i, *ord = NULL;
	int rc = -1;

	if (n > 0) {
		g.ck = bf_xcalloc(n, sizeof(*g.ck));
		if (bf_part_names(&g.names, names, n, e) == -1)
			goto done;
		for (i = 0; i < n; i++)
			bf_ckpt_init(&g.ck[i], names[i]);
	}
	if (bf_wh_begin_read(w, e) == -1)
		goto done;
	rc = bf_wh_scan(w, &bf_tbl_windows, gap_window, &g, e);
	bf_wh_rollback(w);
	if (rc == -1)
		goto done;
	rc = -1;
	if (!g.fixed)
		ord = bf_keymap_sorted(&g.names);
	else {
		ord = bf_xcalloc(g.names.n + 1, sizeof(*ord));
		for (i = 0; i < g.names.n; i++)
			ord[i] = i;
	}
	for (i = 0; i < g.names.n; i++) {
		struct gapout x;

		bf_buf_reset(&js);
		bf_json_put_str(&js, g.names.v[ord[i]].key,
		    g.names.v[ord[i]].len);
		x.b = &b;
		x.json = js.s;
		x.jlen = js.len;
		bf_ckpt_gaps(&g.ck[ord[i]], from, to, gap_cb, &x);
	}
	if (b.len > 0)
		fwrite(b.s, 1, b.len, out);
	if (fflush(out) == EOF || ferror(out)) {
		bf_err_set(e, BF_EXIT_IO, "write error on the gaps");
		goto done;
	}
	rc = 0;
done:
	for (i = 0; i < g.names.n; i++)
		bf_ckpt_free(&g.ck[i]);
	free(g.ck);
	free(ord);
	bf_keymap_free(&g.names);
	bf_buf_free(&b);
	bf_buf_free(&js);
	return rc;
}
