/*
 * report-html.c: bf-ledger report as one HTML file (report-html.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "decimal.h"
#include "json.h"
#include "keymap.h"
#include "ledger.h"
#include "report-html.h"
#include "report-quality.h"
#include "timeutil.h"
#include "verify.h"
#include "window.h"

#define TOPN 10

static const char *const colors[] = {
	"#1b6ca8", "#e07b39", "#3a9b5c", "#b8405e", "#7a5cad", "#8c6d31",
	"#d16ba5", "#5f6b73",
};
#define NCOLORS (sizeof(colors) / sizeof(colors[0]))

/* A texture over each series' colour, so that the stacked bars read
 * without colour too (printed in black and white, or by a reader who does
 * not tell the colours apart): 5 textures against 8 colours, so no two of
 * the first 40 series look alike. White strokes over the fill. */
static const char *const textures[] = {
	"",
	"<path d=\"M0 8L8 0\" stroke=\"#fff\" stroke-width=\"1.5\"/>",
	"<circle cx=\"4\" cy=\"4\" r=\"1.5\" fill=\"#fff\"/>",
	"<path d=\"M0 4H8\" stroke=\"#fff\" stroke-width=\"1.5\"/>",
	"<path d=\"M0 0L8 8M0 8L8 0\" stroke=\"#fff\" stroke-width=\"1\"/>",
};
#define NTEXTURES (sizeof(textures) / sizeof(textures[0]))

/* The fill of series j: a pattern defined by put_fills. */
#define SERIES_FILL "url(#bf-series-%zu)"

/* The <defs> of the fills of n series, one pattern each: its colour under
 * its texture. Referenced from the chart and from its legend. */
static void
put_fills(struct bf_buf *b, size_t n)
{
	size_t j;

	bf_buf_puts(b, "<defs>");
	for (j = 0; j < n; j++)
		bf_buf_printf(b, "<pattern id=\"bf-series-%zu\" width=\"8\" "
		    "height=\"8\" patternUnits=\"userSpaceOnUse\"><rect "
		    "width=\"8\" height=\"8\" fill=\"%s\"/>%s</pattern>", j,
		    colors[j % NCOLORS], textures[j % NTEXTURES]);
	bf_buf_puts(b, "</defs>\n");
}

void
bf_html_esc(struct bf_buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		switch (*s) {
		case '<': bf_buf_puts(b, "&lt;"); break;
		case '>': bf_buf_puts(b, "&gt;"); break;
		case '&': bf_buf_puts(b, "&amp;"); break;
		case '"': bf_buf_puts(b, "&quot;"); break;
		case '\'': bf_buf_puts(b, "&#39;"); break;
		default: bf_buf_putc(b, *s);
		}
}

static void
esc(struct bf_buf *b, const char *s)
{
	bf_html_esc(b, s);
}

/* "-12.05" (2 places) as integer cents "-1205". */
static void
put_cents(struct bf_buf *b, const char *amount)
{
	const char *p = amount;
	int neg = 0, any = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (neg)
		bf_buf_putc(b, '-');
	for (; *p != '\0'; p++) {
		if (*p == '.' || (*p == '0' && !any))
			continue;
		bf_buf_putc(b, *p);
		any = 1;
	}
	if (!any) {
		if (neg)
			b->len--;
		bf_buf_putc(b, '0');
	}
}

static double
dbl(bf_dec d)
{
	char s[BF_DEC_LEN];

	bf_dec_format(d, s);
	return strtod(s, NULL);
}

/* Costs per day and series (tenant, currency), and the run ids. */
struct days {
	struct bf_keymap day, ser, cell, run;
	bf_dec *v;
	size_t cap;
	struct bf_buf k;
	struct bf_cov cov;
};

/* The cost of series s (a key of d->ser) on day (its first 10 bytes),
 * zero when new; valid until the next call. */
static bf_dec *
cell_of(struct days *d, const struct bf_keymap_ent *s, const char *day)
{
	size_t i;
	int added;

	bf_buf_reset(&d->k);
	bf_buf_add(&d->k, s->key, s->len);
	bf_buf_putc(&d->k, '\0');
	bf_buf_add(&d->k, day, 10);
	i = bf_keymap_put(&d->cell, d->k.s, d->k.len, &added);
	if (added) {
		d->v = bf_grow(d->v, &d->cap, i, sizeof(*d->v), 64);
		d->v[i] = bf_dec_from_int(0);
	}
	return &d->v[i];
}

static int
day_row(void *ctx, const struct bf_row *row, const struct bf_shares *sh,
    struct bf_err *e)
{
	struct days *d = ctx;
	const char *ws = row->v[BF_U_WINDOW_START];
	const char *cur = row->v[BF_U_CURRENCY] ? row->v[BF_U_CURRENCY] : "";
	size_t i, j;
	bf_dec *c;
	int added;

	if (row->v[BF_U_RUN_ID] != NULL)
		bf_keymap_put(&d->run, row->v[BF_U_RUN_ID],
		    strlen(row->v[BF_U_RUN_ID]), &added);
	bf_keymap_put(&d->day, ws, 10, &added);
	bf_cov_row(&d->cov, row);
	for (i = 0; i < sh->n; i++) {
		bf_buf_reset(&d->k);
		bf_buf_puts(&d->k, sh->v[i].tenant);
		bf_buf_putc(&d->k, '\0');
		bf_buf_puts(&d->k, cur);
		j = bf_keymap_put(&d->ser, d->k.s, d->k.len, &added);
		c = cell_of(d, &d->ser.v[j], ws);
		if (bf_dec_add(*c, sh->v[i].cost, c) != BF_DEC_OK)
			return bf_err_set(e, BF_EXIT_FAILED, "cost overflow");
	}
	return 0;
}

static void
put_series(struct bf_buf *b, const struct bf_keymap_ent *x)
{
	esc(b, x->key[0] ? x->key : "(none)");
	bf_buf_puts(b, " (");
	esc(b, x->key + strlen(x->key) + 1);
	bf_buf_putc(b, ')');
}

static void
put_chart(struct bf_buf *b, struct days *d)
{
	size_t *od = bf_keymap_sorted(&d->day);
	size_t *os = bf_keymap_sorted(&d->ser), i, j;
	double max = 0, bw, x, y, h, top;
	const double W = 720, H = 260, L = 60, T = 10, Bm = 40;
	char s[BF_DEC_LEN];

	for (i = 0; i < d->day.n; i++) {
		double sum = 0;

		for (j = 0; j < d->ser.n; j++) {
			double v = dbl(*cell_of(d, &d->ser.v[os[j]],
			    d->day.v[od[i]].key));

			if (v > 0)
				sum += v;
		}
		if (sum > max)
			max = sum;
	}
	bf_buf_puts(b, "<h2 id=\"daily\">Cost per day by tenant</h2>\n");
	if (d->day.n == 0) {
		bf_buf_puts(b, "<p>No usage in this period.</p>\n");
		goto done;
	}
	bw = (W - L - 10) / (double)d->day.n;
	bf_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	    "aria-labelledby=\"daily-t\" class=\"chart\">"
	    "<title id=\"daily-t\">Cost per day by tenant (positive costs "
	    "stacked; negative corrections in the table)</title>\n",
	    W, H);
	put_fills(b, d->ser.n);
	bf_buf_printf(b, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" "
	    "y2=\"%.0f\" stroke=\"#000\"/>\n", L, H - Bm, W - 10, H - Bm);
	bf_buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"10\" "
	    "text-anchor=\"end\">%.2f</text>\n", L - 4, T + 10, max);
	/* Half the highest day, with a grid line to read the bars by. */
	bf_buf_printf(b, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" "
	    "y2=\"%.1f\" stroke=\"#bbb\" stroke-dasharray=\"3 3\"/>\n"
	    "<text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" "
	    "text-anchor=\"end\">%.2f</text>\n", L, T + (H - Bm - T) / 2,
	    W - 10, T + (H - Bm - T) / 2, L - 4, T + (H - Bm - T) / 2 + 3,
	    max / 2);
	bf_buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"10\" "
	    "text-anchor=\"end\">0</text>\n", L - 4, H - Bm);
	for (i = 0; i < d->day.n; i++) {
		const char *day = d->day.v[od[i]].key;

		x = L + i * bw;
		top = H - Bm;
		for (j = 0; j < d->ser.n; j++) {
			bf_dec c = *cell_of(d, &d->ser.v[os[j]], day);
			double v = dbl(c);

			if (v <= 0 || max <= 0)
				continue;
			h = v / max * (H - Bm - T);
			y = top - h;
			bf_dec_format_places(c, 2, s);
			bf_buf_printf(b, "<rect x=\"%.2f\" y=\"%.2f\" "
			    "width=\"%.2f\" height=\"%.2f\" fill=\""
			    SERIES_FILL "\" stroke=\"#fff\" "
			    "stroke-width=\"0.5\"><title>%.10s ", x + bw * 0.1,
			    y, bw * 0.8, h, j, day);
			put_series(b, &d->ser.v[os[j]]);
			bf_buf_printf(b, ": %s</title></rect>\n", s);
			top = y;
		}
		if (d->day.n <= 31 && (d->day.n <= 10 || i % 5 == 0))
			bf_buf_printf(b, "<text x=\"%.2f\" y=\"%.0f\" "
			    "font-size=\"9\" text-anchor=\"middle\">"
			    "%.5s</text>\n", x + bw / 2, H - Bm + 12,
			    day + 5);
	}
	bf_buf_puts(b, "</svg>\n<p class=\"legend\">");
	for (j = 0; j < d->ser.n; j++) {
		bf_buf_printf(b, "<span><svg xmlns=\"http://www.w3.org/2000/"
		    "svg\" width=\"16\" height=\"16\"><rect width=\"16\" "
		    "height=\"16\" fill=\"" SERIES_FILL "\"/></svg> ", j);
		put_series(b, &d->ser.v[os[j]]);
		bf_buf_puts(b, "</span> ");
	}
	bf_buf_puts(b, "</p>\n<table class=\"num\"><thead><tr><th>day</th>");
	for (j = 0; j < d->ser.n; j++) {
		bf_buf_puts(b, "<th>");
		put_series(b, &d->ser.v[os[j]]);
		bf_buf_puts(b, "</th>");
	}
	bf_buf_puts(b, "</tr></thead><tbody>\n");
	for (i = 0; i < d->day.n; i++) {
		const char *day = d->day.v[od[i]].key;

		bf_buf_printf(b, "<tr><td>%.10s</td>", day);
		for (j = 0; j < d->ser.n; j++) {
			const struct bf_keymap_ent *x = &d->ser.v[os[j]];

			bf_dec_format(*cell_of(d, x, day), s);
			bf_buf_printf(b, "<td data-bf-day=\"%.10s\" "
			    "data-bf-tenant=\"", day);
			esc(b, x->key);
			bf_buf_puts(b, "\" data-bf-cost=\"");
			bf_buf_puts(b, s);
			bf_buf_puts(b, "\">");
			bf_buf_puts(b, s);
			bf_buf_puts(b, "</td>");
		}
		bf_buf_puts(b, "</tr>\n");
	}
	bf_buf_puts(b, "</tbody></table>\n");
done:
	free(od);
	free(os);
}

static void
put_amount_cell(struct bf_buf *b, const char *attrs, const char *cur,
    const char *rounded)
{
	bf_buf_printf(b, "<td class=\"r\"%s data-bf-currency=\"", attrs);
	esc(b, cur);
	bf_buf_puts(b, "\" data-bf-cents=\"");
	put_cents(b, rounded);
	bf_buf_puts(b, "\">");
	bf_buf_puts(b, rounded);
	bf_buf_puts(b, " ");
	esc(b, cur);
	bf_buf_puts(b, "</td>");
}

/* The headline: chargeback --cents per tenant (by 0) or per tenant and
 * cost centre (by BF_BY_COST_CENTER). */
static int
put_headline(struct bf_buf *b, struct bf_wh *w,
    const struct bf_report_opts *o, int by, struct bf_err *e)
{
	struct bf_report_opts c = *o;
	struct bf_sheet sh;
	size_t i;
	int rc, cc = by != 0;

	c.by = by;
	c.cents = 1;
	c.format = BF_FMT_NDJSON;
	if ((rc = bf_report_chargeback_sheet(w, &c, &sh, e)) == -1)
		return -1;
	if (cc)
		bf_buf_puts(b, "<h2 id=\"cost-centers\">Per cost centre</h2>\n"
		    "<table class=\"num\"><thead><tr><th>tenant</th>"
		    "<th>cost centre</th><th>windows</th><th>amount</th>"
		    "</tr></thead><tbody>\n");
	else
		bf_buf_puts(b, "<h2 id=\"headline\">Per tenant</h2>\n"
		    "<table class=\"num\"><thead><tr><th>tenant</th>"
		    "<th>windows</th><th>amount</th></tr></thead><tbody>\n");
	for (i = 0; i < sh.rows.n; i++) {
		const char *const *v = (const char *const *)sh.rows.rows[i].v;
		int total = strcmp(v[0], "total") == 0;
		const char *cur = v[5 + cc], *rows = v[6 + cc];
		const char *rnd = v[8 + cc];
		struct bf_buf a = BF_BUF_INIT;

		if (total) {
			bf_buf_printf(b, "<tr class=\"total\"><th%s>Total</th>",
			    cc ? " colspan=\"2\"" : "");
			bf_buf_puts(&a, cc ? " data-bf-cc-total=\"\"" :
			    " data-bf-total=\"\"");
		} else {
			bf_buf_puts(b, "<tr><td>");
			esc(b, v[4][0] ? v[4] : "(none)");
			bf_buf_puts(b, "</td>");
			bf_buf_puts(&a, " data-bf-tenant=\"");
			esc(&a, v[4]);
			bf_buf_putc(&a, '"');
			if (cc) {
				bf_buf_puts(b, "<td>");
				esc(b, v[5] && v[5][0] ? v[5] : "(none)");
				bf_buf_puts(b, "</td>");
				bf_buf_puts(&a, " data-bf-cost-center=\"");
				esc(&a, v[5]);
				bf_buf_putc(&a, '"');
			}
		}
		bf_buf_printf(b, "<td class=\"r\">%s</td>", rows);
		put_amount_cell(b, bf_buf_str(&a), cur, rnd);
		bf_buf_puts(b, "</tr>\n");
		bf_buf_free(&a);
	}
	bf_buf_puts(b, "</tbody></table>\n");
	bf_sheet_free(&sh);
	return rc;
}

/* The chargeback of o's period by tenant and one more key (by: a BF_BY_*
 * bit), exact (no cents), as NDJSON-ordered rows: type period
 * period_start period_end tenant KEY currency usage_rows cost. */
static int
sheet_by(struct bf_wh *w, const struct bf_report_opts *o, int by,
    struct bf_sheet *sh, struct bf_err *e)
{
	struct bf_report_opts c = *o;

	c.by = by;
	c.cents = 0;
	c.format = BF_FMT_NDJSON;
	return bf_report_chargeback_sheet(w, &c, sh, e);
}

/* Per tenant by metric: chargeback -B metric, as horizontal bars (positive
 * costs; every cost in the table beside them). */
static int
put_metrics(struct bf_buf *b, struct bf_wh *w,
    const struct bf_report_opts *o, struct bf_err *e)
{
	struct bf_sheet sh;
	size_t i, n = 0;
	double max = 0, v, y;
	const double W = 720, L = 300, RH = 18;

	if (sheet_by(w, o, BF_BY_METRIC, &sh, e) == -1)
		return -1;
	/* v: type period ps pe tenant metric currency rows cost */
	for (i = 0; i < sh.rows.n; i++) {
		const char *const *r = (const char *const *)sh.rows.rows[i].v;

		if (strcmp(r[0], "chargeback") != 0)
			continue;
		n++;
		if ((v = strtod(r[8], NULL)) > max)
			max = v;
	}
	bf_buf_puts(b, "<h2 id=\"metrics\">Per tenant by metric</h2>\n");
	if (n == 0) {
		bf_buf_puts(b, "<p>No usage in this period.</p>\n");
		bf_sheet_free(&sh);
		return 0;
	}
	bf_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	    "aria-labelledby=\"metrics-t\" class=\"chart\">"
	    "<title id=\"metrics-t\">Cost per tenant and metric (positive "
	    "costs; every cost in the table)</title>\n", W, n * RH + 4);
	for (i = 0, y = 2; i < sh.rows.n; i++) {
		const char *const *r = (const char *const *)sh.rows.rows[i].v;

		if (strcmp(r[0], "chargeback") != 0)
			continue;
		v = strtod(r[8], NULL);
		bf_buf_printf(b, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"11\" "
		    "text-anchor=\"end\">", L - 6, y + RH - 6);
		esc(b, r[4]);
		bf_buf_puts(b, " / ");
		esc(b, r[5]);
		bf_buf_puts(b, "</text>");
		if (v > 0 && max > 0) {
			bf_buf_printf(b, "<rect x=\"%.0f\" y=\"%.1f\" "
			    "width=\"%.2f\" height=\"%.0f\" fill=\"%s\"><title>",
			    L, y + 2, v / max * (W - L - 10), RH - 4,
			    colors[0]);
			esc(b, r[4]);
			bf_buf_puts(b, " / ");
			esc(b, r[5]);
			bf_buf_printf(b, ": %s ", r[8]);
			esc(b, r[6]);
			bf_buf_puts(b, "</title></rect>");
		}
		bf_buf_puts(b, "\n");
		y += RH;
	}
	bf_buf_puts(b, "</svg>\n<table class=\"num\"><thead><tr><th>tenant"
	    "</th><th>metric</th><th>windows</th><th>cost</th></tr></thead>"
	    "<tbody>\n");
	for (i = 0; i < sh.rows.n; i++) {
		const char *const *r = (const char *const *)sh.rows.rows[i].v;

		if (strcmp(r[0], "chargeback") != 0)
			continue;
		bf_buf_puts(b, "<tr><td>");
		esc(b, r[4][0] ? r[4] : "(none)");
		bf_buf_puts(b, "</td><td>");
		esc(b, r[5]);
		bf_buf_printf(b, "</td><td class=\"r\">%s</td><td class=\"r\" "
		    "data-bf-metric-tenant=\"", r[7]);
		esc(b, r[4]);
		bf_buf_puts(b, "\" data-bf-metric=\"");
		esc(b, r[5]);
		bf_buf_printf(b, "\" data-bf-cost=\"%s\" data-bf-currency=\"",
		    r[8]);
		esc(b, r[6]);
		bf_buf_printf(b, "\">%s ", r[8]);
		esc(b, r[6]);
		bf_buf_puts(b, "</td></tr>\n");
	}
	bf_buf_puts(b, "</tbody></table>\n");
	bf_sheet_free(&sh);
	return 0;
}

/* Corrections and reversals of the period's windows, from the ledger. */
struct corr {
	struct bf_buf *b;
	const char *from, *to;
	long n;
};

static int
corr_row(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	static const int cols[] = { BF_L_RECORDED_AT, BF_L_PARTITION,
		BF_L_SEQ, BF_L_KIND, BF_L_TENANT, BF_L_INSTANCE_ID,
		BF_L_METRIC, BF_L_WINDOW_START, BF_L_AMOUNT, BF_L_CURRENCY,
		BF_L_REASON, BF_L_RUN_ID };
	static const char *const names[] = { "recorded-at", "partition",
		"seq", "kind", "tenant", "instance", "metric", "window-start",
		"amount", "currency", "reason", "run-id" };
	struct corr *c = ctx;
	const char *ws = row->v[BF_L_WINDOW_START];
	const char *k = row->v[BF_L_KIND];
	size_t i;

	(void)e;
	if (ws == NULL || k == NULL || strcmp(ws, c->from) < 0 ||
	    strcmp(ws, c->to) >= 0 || (strcmp(k, BF_LEDGER_CORRECTION) != 0 &&
	    strcmp(k, BF_LEDGER_REVERSAL) != 0))
		return 0;
	bf_buf_puts(c->b, "<tr>");
	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		bf_buf_printf(c->b, "<td data-bf-corr-%s=\"", names[i]);
		esc(c->b, row->v[cols[i]]);
		bf_buf_puts(c->b, "\">");
		esc(c->b, row->v[cols[i]] ? row->v[cols[i]] : "-");
		bf_buf_puts(c->b, "</td>");
	}
	bf_buf_puts(c->b, "</tr>\n");
	c->n++;
	return 0;
}

static int
put_corrections(struct bf_buf *b, struct bf_wh *w, const char *from,
    const char *to, struct bf_err *e)
{
	struct bf_buf rows = BF_BUF_INIT;
	struct corr c = { &rows, from, to, 0 };
	int rc;

	if (bf_wh_begin_read(w, e) == -1)
		return -1;
	rc = bf_wh_scan(w, &bf_tbl_ledger, corr_row, &c, e);
	bf_wh_rollback(w);
	if (rc == -1) {
		bf_buf_free(&rows);
		return -1;
	}
	bf_buf_printf(b, "<h2 id=\"corrections\">Corrections and reversals"
	    "</h2>\n<p data-bf-corrections=\"%ld\">%ld ledger entr%s of this "
	    "period's windows changed what the first load charged.</p>\n",
	    c.n, c.n, c.n == 1 ? "y" : "ies");
	if (c.n > 0) {
		bf_buf_puts(b, "<table class=\"num\"><thead><tr><th>recorded"
		    "</th><th>partition</th><th>seq</th><th>kind</th>"
		    "<th>tenant</th><th>instance</th><th>metric</th>"
		    "<th>window</th><th>amount</th><th>currency</th>"
		    "<th>reason</th><th>run</th></tr></thead><tbody>\n");
		bf_buf_add(b, rows.s, rows.len);
		bf_buf_puts(b, "</tbody></table>\n");
	}
	bf_buf_free(&rows);
	return 0;
}

/* Top instances by cost (per currency), the rest as "others". */

/* The keys of m by cost[key], the largest first, equal costs in key order:
 * an array of m->n ranks whose i is the key's index (the caller frees
 * it). */
static struct bf_dec_rank *
rank_by_cost(const struct bf_keymap *m, const bf_dec *cost)
{
	struct bf_dec_rank *v = bf_xcalloc(m->n + 1, sizeof(*v));
	size_t *ord = bf_keymap_sorted(m), i;

	/* ranked by place in key order, then each place made its key */
	for (i = 0; i < m->n; i++) {
		v[i].v = cost[ord[i]];
		v[i].i = i;
	}
	qsort(v, m->n, sizeof(*v), bf_dec_rank_cmp);
	for (i = 0; i < m->n; i++)
		v[i].i = ord[v[i].i];
	free(ord);
	return v;
}

/* Row rank of the top instances: x is "instance NUL currency", own the
 * "instance NUL currency NUL tenant" of every owner it had. */
static void
put_instance_row(struct bf_buf *b, size_t rank, const struct bf_keymap_ent *x,
    const struct bf_keymap *own, bf_dec cost)
{
	const char *cur = x->key + strlen(x->key) + 1;
	char s[BF_DEC_LEN];
	size_t j;

	bf_dec_format(cost, s);
	bf_buf_printf(b, "<tr><td class=\"r\">%zu</td><td "
	    "data-bf-instance=\"", rank);
	esc(b, x->key);
	bf_buf_puts(b, "\">");
	esc(b, x->key);
	bf_buf_puts(b, "</td><td>");
	for (j = 0; j < own->n; j++) {
		const struct bf_keymap_ent *y = &own->v[j];

		if (y->len > x->len && memcmp(y->key, x->key, x->len + 1) ==
		    0) {
			esc(b, y->key + x->len + 1);
			bf_buf_puts(b, " ");
		}
	}
	bf_buf_printf(b, "</td><td class=\"r\" data-bf-cost=\"%s\" "
	    "data-bf-currency=\"", s);
	esc(b, cur);
	bf_buf_printf(b, "\">%s ", s);
	esc(b, cur);
	bf_buf_puts(b, "</td></tr>\n");
}

/* The instances after the top ones (v[0..n)), one "others" row per
 * currency, in the order met. */
static void
put_others(struct bf_buf *b, const struct bf_keymap *m,
    const struct bf_dec_rank *v, size_t n)
{
	struct bf_keymap oc = { 0 };
	bf_dec *cost = bf_xcalloc(n, sizeof(*cost));
	long *count = bf_xcalloc(n, sizeof(*count));
	char s[BF_DEC_LEN];
	size_t i, j;
	int added;

	for (i = 0; i < n; i++) {
		const struct bf_keymap_ent *x = &m->v[v[i].i];
		const char *cur = x->key + strlen(x->key) + 1;

		j = bf_keymap_put(&oc, cur, strlen(cur), &added);
		bf_dec_add(cost[j], v[i].v, &cost[j]);
		count[j]++;
	}
	for (j = 0; j < oc.n; j++) {
		bf_dec_format(cost[j], s);
		bf_buf_printf(b, "<tr class=\"others\"><td></td>"
		    "<td data-bf-others=\"%ld\">%ld others</td><td></td>"
		    "<td class=\"r\" data-bf-cost=\"%s\" "
		    "data-bf-currency=\"", count[j], count[j], s);
		esc(b, oc.v[j].key);
		bf_buf_printf(b, "\">%s ", s);
		esc(b, oc.v[j].key);
		bf_buf_puts(b, "</td></tr>\n");
	}
	bf_keymap_free(&oc);
	free(cost);
	free(count);
}

static int
put_instances(struct bf_buf *b, struct bf_wh *w,
    const struct bf_report_opts *o, struct bf_err *e)
{
	struct bf_sheet sh;
	struct bf_keymap m = { 0 };
	struct bf_keymap own = { 0 };
	struct bf_buf k = BF_BUF_INIT;
	struct bf_dec_rank *v;
	bf_dec *cost = NULL;
	size_t i, n, cap = 0, idx;
	int added;

	if (sheet_by(w, o, BF_BY_INSTANCE, &sh, e) == -1)
		return -1;
	/* v: type period ps pe tenant instance currency rows cost */
	for (i = 0; i < sh.rows.n; i++) {
		const char *const *r = (const char *const *)sh.rows.rows[i].v;
		bf_dec d;

		if (strcmp(r[0], "chargeback") != 0)
			continue;
		bf_buf_reset(&k);
		bf_buf_puts(&k, r[5]);
		bf_buf_putc(&k, '\0');
		bf_buf_puts(&k, r[6]);
		idx = bf_keymap_put(&m, k.s, k.len, &added);
		if (added) {
			cost = bf_grow(cost, &cap, idx, sizeof(*cost), 64);
			cost[idx] = bf_dec_from_int(0);
		}
		bf_dec_parse(r[8], strlen(r[8]), &d);
		bf_dec_add(cost[idx], d, &cost[idx]);
		bf_buf_putc(&k, '\0');
		bf_buf_puts(&k, r[4]);
		bf_keymap_put(&own, k.s, k.len, &added);
	}
	v = rank_by_cost(&m, cost);
	n = m.n;
	bf_buf_printf(b, "<h2 id=\"instances\">Top %d instances</h2>\n"
	    "<table class=\"num\"><thead><tr><th>#</th><th>instance</th>"
	    "<th>tenants</th><th>cost</th></tr></thead><tbody>\n", TOPN);
	for (i = 0; i < n && i < TOPN; i++)
		put_instance_row(b, i + 1, &m.v[v[i].i], &own, v[i].v);
	if (n > TOPN)
		put_others(b, &m, v + TOPN, n - TOPN);
	bf_buf_puts(b, "</tbody></table>\n");
	bf_sheet_free(&sh);
	bf_keymap_free(&m);
	bf_keymap_free(&own);
	bf_buf_free(&k);
	free(cost);
	free(v);
	return 0;
}

static int
put_quota(struct bf_buf *b, struct bf_wh *w, const struct bf_report_opts *o,
    const char *quotas, int *exceeded, struct bf_err *e)
{
	static const char *const names[] = { "period", "tenant", "metric",
		"unit", "limit", "used", "percent", "overage", "overage-cost",
		"currency", "status" };
	struct bf_sheet sh;
	size_t i;
	int k;

	if (bf_report_quota_sheet(w, quotas, o, exceeded, &sh, e) == -1)
		return -1;
	bf_buf_puts(b, "<h2 id=\"quota\">Quota</h2>\n<table class=\"num\">"
	    "<thead><tr><th>tenant</th><th>metric</th><th>unit</th>"
	    "<th>limit</th><th>used</th><th>percent</th><th>overage</th>"
	    "<th>overage cost</th><th>currency</th><th>status</th></tr>"
	    "</thead><tbody>\n");
	for (i = 0; i < sh.rows.n; i++) {
		const char *const *v = (const char *const *)sh.rows.rows[i].v;
		int ex = strcmp(v[11], "exceeded") == 0;

		bf_buf_printf(b, "<tr%s data-bf-quota-tenant=\"",
		    ex ? " class=\"exceeded\"" : "");
		esc(b, v[2]);
		bf_buf_puts(b, "\" data-bf-quota-metric=\"");
		esc(b, v[3]);
		bf_buf_puts(b, "\">");
		for (k = 2; k <= 11; k++) {
			if (k <= 3)
				bf_buf_puts(b, "<td>");
			else {
				bf_buf_printf(b, "<td data-bf-%s=\"",
				    names[k - 1]);
				esc(b, v[k]);
				bf_buf_puts(b, "\">");
			}
			if (k == 11 && ex)
				bf_buf_puts(b, "<strong>EXCEEDED</strong>");
			else
				esc(b, v[k] ? v[k] : "-");
			bf_buf_puts(b, "</td>");
		}
		bf_buf_puts(b, "</tr>\n");
	}
	bf_buf_puts(b, "</tbody></table>\n");
	bf_sheet_free(&sh);
	return 0;
}

/* The verify result and chain head of every partition (bf_verify's lines,
 * in its own read snapshot). */
static int
put_verify(struct bf_buf *b, struct bf_wh *w, struct bf_err *e)
{
	static const char *const keys[] = { "partition", "status", "entries",
		"windows", "chain_head", "problems" };
	struct bf_verify_opts vo = { 0 };
	struct bf_json j = BF_JSON_INIT;
	struct bf_buf v = BF_BUF_INIT;
	char *text = NULL, *line, *nl;
	size_t len = 0;
	long n;
	int k;

	if ((vo.out = open_memstream(&text, &len)) == NULL)
		return bf_err_set(e, BF_EXIT_IO, "out of memory");
	n = bf_verify(w, &vo, e);
	if (fclose(vo.out) == EOF && n != -1)
		n = bf_err_set(e, BF_EXIT_IO, "out of memory");
	if (n == -1) {
		free(text);
		return -1;
	}
	bf_buf_printf(b, "<dt>verify</dt><dd data-bf-verify=\"%s\" "
	    "data-bf-problems=\"%ld\">%s</dd>\n", n == 0 ? "ok" : "failed",
	    n, n == 0 ? "the ledger verifies (bf-ledger verify)" :
	    "the ledger does NOT verify (bf-ledger verify)");
	bf_buf_puts(b, "<dt>chain heads</dt><dd><table class=\"num\"><thead>"
	    "<tr><th>partition</th><th>status</th><th>entries</th>"
	    "<th>windows</th><th>chain head</th><th>problems</th></tr>"
	    "</thead><tbody>\n");
	for (line = text; line != NULL && *line != '\0'; line = nl) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		if (bf_json_parse(&j, line, strlen(line), BF_JSON_WANT_OBJECT,
		    NULL) != BF_JSON_OK)
			continue;
		bf_buf_puts(b, "<tr>");
		for (k = 0; k < 6; k++) {
			int t = bf_json_get(&j, 0, keys[k]);
			size_t rn;
			const char *raw;

			bf_buf_reset(&v);
			if (t >= 0 && bf_json_str(&j, t, &v) == -1) {
				raw = bf_json_raw(&j, t, &rn);
				bf_buf_add(&v, raw, rn);
			}
			bf_buf_puts(b, "<td data-bf-verify-");
			for (raw = keys[k]; *raw != '\0'; raw++)
				bf_buf_putc(b, *raw == '_' ? '-' : *raw);
			bf_buf_puts(b, "=\"");
			esc(b, bf_buf_str(&v));
			bf_buf_puts(b, "\"><code>");
			esc(b, bf_buf_str(&v));
			bf_buf_puts(b, "</code></td>");
		}
		bf_buf_puts(b, "</tr>\n");
	}
	bf_buf_puts(b, "</tbody></table></dd>\n");
	bf_json_free(&j);
	bf_buf_free(&v);
	free(text);
	return 0;
}

static const char css[] =
    "body{font-family:sans-serif;margin:1em auto;max-width:60em;"
    "padding:0 .5em;color:#111}\n"
    "table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em}\n"
    "th,td{border:1px solid #999;padding:.2em .5em;text-align:left}\n"
    "td.r{text-align:right;font-variant-numeric:tabular-nums}\n"
    "tr.total th,tr.total td{font-weight:bold;border-top:2px solid #000}\n"
    "tr.exceeded,tr.malformed{background:#fde2e2}\n"
    "p.open{border-left:4px solid #b03030;padding-left:.5em}\n"
    "svg.chart{width:100%;height:auto;max-height:20em}\n"
    "svg.heat{max-height:none}\n"
    "td code{word-break:break-all}\n"
    "p code{white-space:nowrap}\n"
    ".legend span{margin-right:1em;white-space:nowrap}\n"
    "@media print{body{max-width:none}h2{break-after:avoid}"
    "table,svg{break-inside:avoid}}\n"
    "@page{size:A4;margin:1.5cm}\n"
    "@media screen and (max-width:40em){"
    "table{display:block;overflow-x:auto;max-width:100%}}\n";

/* The page's head, title and period (marked open when it is). */
static void
put_head(struct bf_buf *b, const struct bf_report_opts *o, const char *ps,
    const char *pe, const struct bf_settle_view *sv)
{
	bf_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<title>Chargeback ");
	esc(b, o->period);
	bf_buf_printf(b, "%s</title>\n<style>\n%s</style>\n</head>\n<body>\n",
	    sv->open ? " (open)" : "", css);
	bf_buf_puts(b, "<h1>Chargeback <span data-bf-period=\"");
	esc(b, o->period);
	bf_buf_puts(b, "\">");
	esc(b, o->period);
	bf_buf_printf(b, "</span>%s</h1>\n<p>Billing period "
	    "<span data-bf-period-start=\"%s\">%s</span> to "
	    "<span data-bf-period-end=\"%s\">%s</span> (billing day %d); "
	    "amounts rounded to the cent as <code>bf-ledger chargeback "
	    "--cents</code> allocates them.</p>\n", sv->open ? " (open)" : "",
	    ps, ps, pe, pe, o->billing_day);
	bf_html_open_note(b, sv);
}

static int
put_provenance(struct bf_buf *b, struct bf_wh *w,
    const struct bf_html_opts *h, const struct bf_keymap *runs,
    struct bf_err *e)
{
	size_t *or = bf_keymap_sorted(runs), i;
	int rc;

	bf_buf_puts(b, "<h2 id=\"provenance\">Provenance</h2>\n<dl>\n"
	    "<dt>warehouse</dt><dd data-bf-warehouse=\"");
	esc(b, h->warehouse);
	bf_buf_puts(b, "\">");
	esc(b, h->warehouse);
	bf_buf_puts(b, "</dd>\n<dt>program</dt><dd data-bf-program=\"");
	esc(b, h->program);
	bf_buf_puts(b, "\">");
	esc(b, h->program);
	bf_buf_puts(b, "</dd>\n<dt>runs that loaded the period's usage</dt>"
	    "<dd><ul>");
	for (i = 0; i < runs->n; i++) {
		bf_buf_puts(b, "<li data-bf-run-id=\"");
		esc(b, runs->v[or[i]].key);
		bf_buf_puts(b, "\">");
		esc(b, runs->v[or[i]].key);
		bf_buf_puts(b, "</li>");
	}
	bf_buf_puts(b, "</ul></dd>\n");
	free(or);
	if ((rc = put_verify(b, w, e)) == 0)
		bf_buf_puts(b, "</dl>\n");
	return rc;
}

/* Data quality: coverage, rejects, gaps, windows waiting to settle
 * (report-quality.h). */
static int
put_quality(struct bf_buf *b, struct bf_wh *w, const struct bf_html_opts *h,
    const struct bf_cov *cov, bf_time from, bf_time to,
    const struct bf_settle_view *sv, struct bf_err *e)
{
	bf_buf_puts(b, "<h2 id=\"quality\">Data quality</h2>\n");
	bf_html_coverage(b, cov, from, to);
	if (h->dlq != NULL && bf_html_dlq(b, h->dlq, from, to, e) == -1)
		return -1;
	return bf_html_gaps(b, w, from, to, sv, e);
}

int
bf_report_html(struct bf_wh *w, const struct bf_report_opts *o,
    const struct bf_html_opts *h, FILE *out, int *exceeded,
    struct bf_err *e)
{
	struct bf_buf b = BF_BUF_INIT;
	struct bf_settle_view sv;
	struct days d;
	bf_time from, to;
	char ps[BF_TIME_LEN], pe[BF_TIME_LEN];
	int rc = -1, found;

	memset(&d, 0, sizeof(d));
	*exceeded = 0;
	if (bf_billing_period(o->period, o->billing_day, &from, &to) == -1)
		return bf_err_set(e, BF_EXIT_USAGE, "bad billing period '%s': "
		    "expected YYYY-MM", o->period);
	bf_time_format(from, ps);
	bf_time_format(to, pe);
	sv.now = h->now;
	sv.settle = h->settle;
	sv.limit = bf_settle_limit(h->now, h->settle);
	sv.open = !bf_settled(to, sv.limit);
	if (bf_report_scan(w, o, day_row, &d, e) == -1)
		goto done;
	put_head(&b, o, ps, pe, &sv);
	if ((found = put_headline(&b, w, o, 0, e)) == -1)
		goto done;
	if (!found)
		bf_buf_puts(&b, "<p data-bf-empty=\"\">No usage rows in this "
		    "period: nothing to charge back.</p>\n");
	if (put_headline(&b, w, o, BF_BY_COST_CENTER, e) == -1)
		goto done;
	put_chart(&b, &d);
	if (put_metrics(&b, w, o, e) == -1 || put_instances(&b, w, o, e) == -1 ||
	    put_corrections(&b, w, ps, pe, e) == -1)
		goto done;
	if (h->quotas != NULL && put_quota(&b, w, o, h->quotas, exceeded,
	    e) == -1)
		goto done;
	if (put_quality(&b, w, h, &d.cov, from, to, &sv, e) == -1 ||
	    put_provenance(&b, w, h, &d.run, e) == -1)
		goto done;
	bf_buf_puts(&b, "</body>\n</html>\n");
	if (fwrite(b.s, 1, b.len, out) != b.len || fflush(out) == EOF)
		bf_err_set(e, BF_EXIT_IO, "write error");
	else
		rc = found;
done:
	BF_EACH(bf_buf_free, struct bf_buf, &b, &d.k);
	BF_EACH(bf_keymap_free, struct bf_keymap, &d.day, &d.ser, &d.cell,
	    &d.run);
	bf_cov_free(&d.cov);
	free(d.v);
	return rc;
}
