/*
 * report-quality.c: the data-quality section of bf-ledger report
 * (report-quality.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "input.h"
#include "json.h"
#include "report.h"
#include "report-quality.h"
#include "window.h"

/* Coverage. */

/* Grows *v (cap *cap) to hold index i, new slots set to one. */
static void
grow_dec(bf_dec **v, size_t *cap, size_t i)
{
	size_t n = *cap;

	if (i < n)
		return;
	*cap = n ? 2 * n : 64;
	while (*cap <= i)
		*cap *= 2;
	*v = bf_xrealloc(*v, *cap * sizeof(**v));
}

void
bf_cov_row(struct bf_cov *c, const struct bf_row *row)
{
	const char *in = row->v[BF_U_INSTANCE_ID];
	const char *ws = row->v[BF_U_WINDOW_START];
	const char *cv = row->v[BF_U_COVERAGE];
	bf_dec d;
	size_t i;
	int added;

	if (in == NULL || ws == NULL || strlen(ws) < 10 || cv == NULL ||
	    bf_dec_parse(cv, strlen(cv), &d) != BF_DEC_OK)
		return;
	bf_buf_reset(&c->k);
	bf_buf_puts(&c->k, in);
	bf_buf_putc(&c->k, '\0');
	bf_buf_add(&c->k, ws, 10);
	i = bf_keymap_put(&c->cell, c->k.s, c->k.len, &added);
	grow_dec(&c->min, &c->mcap, i);
	if (added || bf_dec_cmp(d, c->min[i]) < 0)
		c->min[i] = d;
	i = bf_keymap_put(&c->inst, in, strlen(in), &added);
	grow_dec(&c->worst, &c->wcap, i);
	if (added || bf_dec_cmp(d, c->worst[i]) < 0)
		c->worst[i] = d;
}

void
bf_cov_free(struct bf_cov *c)
{
	bf_keymap_free(&c->cell);
	bf_keymap_free(&c->inst);
	free(c->min);
	free(c->worst);
	bf_buf_free(&c->k);
	memset(c, 0, sizeof(*c));
}

static const struct bf_cov *cov_sort;

/* Worst coverage first, then the name bytewise. */
static int
cmp_worst(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const struct bf_keymap_ent *ex = &cov_sort->inst.v[x];
	const struct bf_keymap_ent *ey = &cov_sort->inst.v[y];
	size_t n = ex->len < ey->len ? ex->len : ey->len;
	int k = bf_dec_cmp(cov_sort->worst[x], cov_sort->worst[y]);

	if (k != 0)
		return k;
	if ((k = memcmp(ex->key, ey->key, n)) != 0)
		return k;
	return ex->len < ey->len ? -1 : ex->len > ey->len;
}

/* Coverage d (0..1) as a percentage rounded down to 2 places. */
static void
put_pct(struct bf_buf *b, bf_dec d)
{
	long long h = d.v > 0 ? (long long)(d.v / 100000) : 0;

	bf_buf_printf(b, "%lld.%02lld %%", h / 100, h % 100);
}

/* The band of coverage d: its fill, and whether its text is white. */
static const char *
band(bf_dec d, int *dark)
{
	bf_dec one = bf_dec_from_int(1);

	*dark = 0;
	if (bf_dec_cmp(d, one) >= 0)
		return "#e3f1e6";
	if (d.v >= BF_DEC_ONE / 100 * 99)
		return "#f7e08a";
	if (d.v >= BF_DEC_ONE / 10 * 9)
		return "#ec9a55";
	*dark = 1;
	return "#b03030";
}

/* The instance's label: at most 28 bytes of its name (whole UTF-8
 * characters), then an ellipsis. */
static void
put_label(struct bf_buf *b, const char *name)
{
	struct bf_buf t = BF_BUF_INIT;
	size_t n = strlen(name);

	if (n <= 28) {
		bf_html_esc(b, name);
		return;
	}
	for (n = 27; n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80; n--)
		;
	bf_buf_add(&t, name, n);
	bf_html_esc(b, bf_buf_str(&t));
	bf_buf_puts(b, "\xe2\x80\xa6");
	bf_buf_free(&t);
}

#define CW_L 180.0 /* label width */
#define CW_T 16.0  /* day header height */
#define CW_H 14.0  /* row height */

static void
put_cov_cell(struct bf_buf *b, const struct bf_cov *c, const char *inst,
    const char *day, double x, double y, double cw)
{
	struct bf_buf k = BF_BUF_INIT;
	char s[BF_DEC_LEN];
	const char *fill;
	long i;
	int dark;

	bf_buf_puts(&k, inst);
	bf_buf_putc(&k, '\0');
	bf_buf_add(&k, day, 10);
	i = bf_keymap_get(&c->cell, k.s, k.len);
	bf_buf_free(&k);
	if (i == -1) {
		bf_buf_printf(b, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
		    "height=\"%.0f\" fill=\"#fff\" stroke=\"#bbb\" "
		    "stroke-dasharray=\"2 2\"><title>", x, y, cw, CW_H);
		bf_html_esc(b, inst);
		bf_buf_printf(b, " %.10s: no usage row</title></rect>\n", day);
		return;
	}
	fill = band(c->min[i], &dark);
	bf_dec_format(c->min[i], s);
	bf_buf_printf(b, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
	    "height=\"%.0f\" fill=\"%s\" stroke=\"#fff\" "
	    "data-bf-cov-instance=\"", x, y, cw, CW_H, fill);
	bf_html_esc(b, inst);
	bf_buf_printf(b, "\" data-bf-cov-day=\"%.10s\" data-bf-coverage=\"%s\">"
	    "<title>", day, s);
	bf_html_esc(b, inst);
	bf_buf_printf(b, " %.10s: coverage ", day);
	put_pct(b, c->min[i]);
	bf_buf_puts(b, "</title></rect>\n");
	if (c->min[i].v < BF_DEC_ONE)
		bf_buf_printf(b, "<text x=\"%.2f\" y=\"%.1f\" font-size=\"7\" "
		    "text-anchor=\"middle\" fill=\"%s\">%lld</text>\n",
		    x + cw / 2, y + CW_H - 4, dark ? "#fff" : "#000",
		    c->min[i].v > 0 ? (long long)(c->min[i].v /
		    (BF_DEC_ONE / 100)) : 0LL);
}

static void
put_cov_legend(struct bf_buf *b)
{
	static const struct {
		const char *fill, *text;
	} l[] = {
		{ "#e3f1e6", "100 % (no number)" },
		{ "#f7e08a", "99 to 99.99 %" },
		{ "#ec9a55", "90 to 98.99 %" },
		{ "#b03030", "below 90 %" },
		{ "#fff", "no usage row (dashed)" },
	};
	size_t i;

	bf_buf_puts(b, "<p class=\"legend\">");
	for (i = 0; i < sizeof(l) / sizeof(l[0]); i++)
		bf_buf_printf(b, "<span><svg xmlns=\"http://www.w3.org/2000/svg\" "
		    "width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\" "
		    "fill=\"%s\" stroke=\"#999\"/></svg> %s</span> ", l[i].fill,
		    l[i].text);
	bf_buf_puts(b, "</p>\n<p>A cell is the lowest coverage of the "
	    "instance's usage rows (every metric) whose window starts that "
	    "day; below 100 % it carries its value in whole percent, rounded "
	    "down, and its tooltip the value to 0.01 %.</p>\n");
}

static void
put_cov_grid(struct bf_buf *b, const struct bf_cov *c, const size_t *ord,
    size_t n, bf_time from, size_t ndays)
{
	const double W = 720;
	double cw = (W - CW_L - 4) / (double)ndays;
	char day[BF_TIME_LEN];
	size_t i, j;

	bf_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-labelledby=\"cov-t\" "
	    "class=\"chart heat\"><title id=\"cov-t\">Coverage per instance and day, "
	    "lowest first</title>\n", W, CW_T + n * CW_H + 2);
	for (j = 0; j < ndays; j++) {
		bf_time_format(from + (bf_time)j * 86400, day);
		bf_buf_printf(b, "<text x=\"%.2f\" y=\"%.0f\" font-size=\"7\" "
		    "text-anchor=\"middle\">%.2s</text>\n",
		    CW_L + j * cw + cw / 2, CW_T - 5, day + 8);
	}
	for (i = 0; i < n; i++) {
		const char *inst = c->inst.v[ord[i]].key;
		double y = CW_T + i * CW_H;

		bf_buf_printf(b, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"9\" "
		    "text-anchor=\"end\">", CW_L - 4, y + CW_H - 4);
		put_label(b, inst);
		bf_buf_puts(b, "</text>\n");
		for (j = 0; j < ndays; j++) {
			bf_time_format(from + (bf_time)j * 86400, day);
			put_cov_cell(b, c, inst, day, CW_L + j * cw, y, cw);
		}
	}
	bf_buf_puts(b, "</svg>\n");
}

void
bf_html_coverage(struct bf_buf *b, const struct bf_cov *c, bf_time from,
    bf_time to)
{
	size_t *ord, i, n = c->inst.n, shown, ndays;
	char s[BF_DEC_LEN];

	bf_buf_puts(b, "<h3 id=\"coverage\">Coverage per instance and day</h3>"
	    "\n");
	if (n == 0) {
		bf_buf_puts(b, "<p data-bf-cov-instances=\"0\">No coverage "
		    "figures in this period.</p>\n");
		return;
	}
	from -= ((from % 86400) + 86400) % 86400;
	ndays = (size_t)((to - from + 86399) / 86400);
	ord = bf_xcalloc(n, sizeof(*ord));
	for (i = 0; i < n; i++)
		ord[i] = i;
	cov_sort = c;
	qsort(ord, n, sizeof(*ord), cmp_worst);
	shown = n < BF_COV_TOPN ? n : BF_COV_TOPN;
	bf_buf_printf(b, "<p data-bf-cov-instances=\"%zu\">%zu instance%s; "
	    "the %zu of lowest coverage, worst first:</p>\n", n, n,
	    n == 1 ? "" : "s", shown);
	put_cov_grid(b, c, ord, shown, from, ndays);
	put_cov_legend(b);
	if (shown < n) {
		bf_dec_format(c->worst[ord[shown]], s);
		bf_buf_printf(b, "<p data-bf-cov-more=\"%zu\" "
		    "data-bf-cov-more-min=\"%s\">%zu more instance%s, every day "
		    "of each at or above ", n - shown, s, n - shown,
		    n - shown == 1 ? "" : "s");
		put_pct(b, c->worst[ord[shown]]);
		bf_buf_puts(b, " coverage.</p>\n");
	}
	free(ord);
}

/* Rejects per DLQ code. */

#define DLQ_MAXLINE (64 * 1024)

struct dlqc {
	struct bf_keymap code;
	long (*n)[2];   /* per code: in the period, without a window */
	size_t cap;
	long lines, other, malformed, first_bad;
	struct bf_buf tmp, s;
	struct bf_json j;
};

/* The record's JSON text: the line, or for a line longer than
 * DLQ_MAXLINE, its start up to the "raw" or "raw_base64" key, which
 * comes last in every record (bf(7)), closed with a brace. NULL when a
 * long line has no such key in its start. */
static const char *
dlq_text(struct dlqc *q, const struct bf_input *in, size_t *len)
{
	const char *s = in->line.s, *k = s, *end = s + in->line.len;

	*len = in->line.len;
	if (!in->toolong)
		return s != NULL ? s : "";
	while ((k = memchr(k, ',', (size_t)(end - k))) != NULL &&
	    (end - k < 5 || memcmp(k, ",\"raw", 5) != 0))
		k++;
	if (k == NULL)
		return NULL;
	bf_buf_reset(&q->tmp);
	bf_buf_add(&q->tmp, s, (size_t)(k - s));
	bf_buf_putc(&q->tmp, '}');
	*len = q->tmp.len;
	return q->tmp.s;
}

/* Counts the current line of in; 0, or -1 for a malformed record. */
static int
dlq_count(struct dlqc *q, const struct bf_input *in, bf_time from,
    bf_time to)
{
	const char *s;
	size_t len, i;
	bf_time ws;
	int t, added, slot;

	if ((s = dlq_text(q, in, &len)) == NULL || bf_json_parse(&q->j, s,
	    len, BF_JSON_WANT_OBJECT, NULL) != BF_JSON_OK ||
	    !bf_json_streq(&q->j, bf_json_get(&q->j, 0, "type"), "reject"))
		return -1;
	t = bf_json_get(&q->j, 0, "error");
	bf_buf_reset(&q->s);
	if (t < 0 || q->j.tok[t].type != BF_JSON_OBJECT || bf_json_str(&q->j,
	    bf_json_get(&q->j, t, "code"), &q->s) == -1 || q->s.len == 0 ||
	    memchr(q->s.s, '\0', q->s.len) != NULL)
		return -1;
	t = bf_json_get(&q->j, 0, "window_start");
	if (t < 0 || q->j.tok[t].type == BF_JSON_NULL)
		slot = 1;
	else {
		struct bf_buf w = BF_BUF_INIT;
		int bad = bf_json_str(&q->j, t, &w) == -1 ||
		    bf_time_parse(w.s, w.len, &ws, NULL) == -1;

		bf_buf_free(&w);
		if (bad)
			return -1;
		if (ws < from || ws >= to) {
			q->other++;
			return 0;
		}
		slot = 0;
	}
	i = bf_keymap_put(&q->code, q->s.s, q->s.len, &added);
	q->n = bf_grow(q->n, &q->cap, i, sizeof(*q->n), 16);
	if (added)
		q->n[i][0] = q->n[i][1] = 0;
	q->n[i][slot]++;
	return 0;
}

static void
put_dlq(struct bf_buf *b, const struct dlqc *q, const char *path)
{
	size_t *ord, i;

	bf_buf_puts(b, "<h3 id=\"rejects\">Rejects per DLQ code</h3>\n"
	    "<p data-bf-dlq-file=\"");
	bf_html_esc(b, path);
	bf_buf_printf(b, "\" data-bf-dlq-lines=\"%ld\" data-bf-dlq-other="
	    "\"%ld\">The dead-letter queue <code>", q->lines, q->other);
	bf_html_esc(b, strcmp(path, "-") == 0 ? "<stdin>" : path);
	bf_buf_printf(b, "</code> has %ld line%s. A reject counts in the "
	    "period when its window_start is in it; rejects that name no "
	    "window are counted apart; %ld reject%s of other periods %s not "
	    "counted.</p>\n", q->lines, q->lines == 1 ? "" : "s", q->other,
	    q->other == 1 ? "" : "s", q->other == 1 ? "is" : "are");
	if (q->code.n == 0 && q->malformed == 0)
		return;
	/* codes hold no NUL (dlq_count): bytewise is strcmp's order */
	ord = bf_keymap_sorted(&q->code);
	bf_buf_puts(b, "<table class=\"num\"><thead><tr><th>code</th>"
	    "<th>in the period</th><th>without a window</th></tr></thead>"
	    "<tbody>\n");
	for (i = 0; i < q->code.n; i++) {
		const long *n = q->n[ord[i]];

		bf_buf_puts(b, "<tr data-bf-dlq-code=\"");
		bf_html_esc(b, q->code.v[ord[i]].key);
		bf_buf_printf(b, "\" data-bf-dlq-count=\"%ld\" "
		    "data-bf-dlq-unplaced=\"%ld\"><td><code>", n[0], n[1]);
		bf_html_esc(b, q->code.v[ord[i]].key);
		bf_buf_printf(b, "</code></td><td class=\"r\">%ld</td>"
		    "<td class=\"r\">%ld</td></tr>\n", n[0], n[1]);
	}
	if (q->malformed > 0)
		bf_buf_printf(b, "<tr class=\"malformed\" data-bf-dlq-malformed="
		    "\"%ld\" data-bf-dlq-malformed-line=\"%ld\"><td><strong>"
		    "malformed DLQ lines</strong> (not a reject record; the "
		    "first at line %ld)</td><td class=\"r\" colspan=\"2\">%ld"
		    "</td></tr>\n", q->malformed, q->first_bad, q->first_bad,
		    q->malformed);
	bf_buf_puts(b, "</tbody></table>\n");
	free(ord);
}

int
bf_html_dlq(struct bf_buf *b, const char *path, bf_time from, bf_time to,
    struct bf_err *e)
{
	static const struct bf_json j0 = BF_JSON_INIT;
	struct dlqc q;
	struct bf_input in;
	struct stat st;
	char *files[1];
	int rc;

	if (strcmp(path, "-") != 0 && stat(path, &st) == -1 &&
	    errno == ENOENT)
		return bf_err_set(e, BF_EXIT_USAGE, "cannot open DLQ '%s': %s",
		    path, strerror(errno));
	memset(&q, 0, sizeof(q));
	q.j = j0;
	files[0] = (char *)path;
	bf_input_init(&in, files, 1, DLQ_MAXLINE);
	while ((rc = bf_input_next(&in, e)) == 1) {
		q.lines++;
		if (dlq_count(&q, &in, from, to) == -1 && q.malformed++ == 0)
			q.first_bad = in.lineno;
	}
	bf_input_free(&in);
	if (rc == 0)
		put_dlq(b, &q, path);
	bf_keymap_free(&q.code);
	bf_buf_free(&q.tmp);
	bf_buf_free(&q.s);
	bf_json_free(&q.j);
	free(q.n);
	return rc;
}

/* Gaps, and the windows waiting to settle. */

void
bf_html_open_note(struct bf_buf *b, const struct bf_settle_view *s)
{
	char now[BF_TIME_LEN], lim[BF_TIME_LEN], d[32];

	if (!s->open)
		return;
	bf_time_format(s->now, now);
	if (bf_time_format(s->limit, lim) == 0)
		strcpy(lim, "-");
	if (s->settle == 0)
		strcpy(d, "0");
	else
		bf_duration_format(s->settle, d, sizeof(d));
	bf_buf_printf(b, "<p class=\"open\" data-bf-settle-open=\"\" "
	    "data-bf-settle-now=\"%s\" data-bf-settle-limit=\"%s\" "
	    "data-bf-settle=\"%s\"><strong>Open period, as of %s.</strong> "
	    "Windows that end after %s (now less the settle time, %s) cannot "
	    "be billed yet: the figures of this page will change; see "
	    "<a href=\"#settle\">windows waiting to settle</a>.</p>\n", now,
	    lim, d, now, lim, d);
}

/* The longest committed window of each partition: its grid's size. */
struct sizes {
	struct bf_keymap p;
	int64_t *v;
	size_t cap;
};

static int
size_row(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct sizes *z = ctx;
	struct bf_window_row w;
	size_t i;
	int added;

	(void)e;
	if (bf_window_row_read(row, &w) == -1 || w.partition == NULL)
		return 0; /* bf_report_gaps says so */
	i = bf_keymap_put(&z->p, w.partition, strlen(w.partition), &added);
	z->v = bf_grow(z->v, &z->cap, i, sizeof(*z->v), 16);
	if (added || w.to - w.from > z->v[i])
		z->v[i] = w.to - w.from;
	return 0;
}

/* Where gap [gs, ge) of a partition of window size sz stops being a gap
 * and starts waiting to settle: the start of the first window of the grid
 * from gs that ends after limit (or ge). */
static bf_time
settle_split(bf_time gs, bf_time ge, int64_t sz, bf_time limit)
{
	bf_time s;

	if (ge <= limit)
		return ge;
	if (sz <= 0)
		return gs > limit ? gs : limit;
	if (gs > limit - sz)
		return gs;
	s = gs + ((limit - sz - gs) / sz + 1) * sz;
	return s < ge ? s : ge;
}

static void
put_range(struct bf_buf *b, const char *kind, const char *p, bf_time a,
    bf_time c)
{
	char s1[BF_TIME_LEN], s2[BF_TIME_LEN];

	bf_time_format(a, s1);
	bf_time_format(c, s2);
	bf_buf_printf(b, "<tr><td data-bf-%s-partition=\"", kind);
	bf_html_esc(b, p);
	bf_buf_puts(b, "\">");
	bf_html_esc(b, p);
	bf_buf_printf(b, "</td><td data-bf-%s-start=\"%s\">%s</td>"
	    "<td data-bf-%s-end=\"%s\">%s</td></tr>\n", kind, s1, s1, kind,
	    s2, s2);
}

struct gapsplit {
	struct bf_buf gaps, wait;
	long ngaps, nwait;
	struct sizes z;
};

/* Splits one line of bf_report_gaps into gap and waiting rows. */
static void
split_line(struct gapsplit *g, struct bf_json *j, const char *line,
    const struct bf_settle_view *s)
{
	struct bf_buf p = BF_BUF_INIT, t1 = BF_BUF_INIT, t2 = BF_BUF_INIT;
	bf_time gs, ge, cut;
	long i;

	if (bf_json_parse(j, line, strlen(line), BF_JSON_WANT_OBJECT,
	    NULL) != BF_JSON_OK || bf_json_get_str(j, "partition", &p) == -1 ||
	    bf_json_get_str(j, "gap_start", &t1) == -1 ||
	    bf_json_get_str(j, "gap_end", &t2) == -1 ||
	    bf_time_parse(t1.s, t1.len, &gs, NULL) == -1 ||
	    bf_time_parse(t2.s, t2.len, &ge, NULL) == -1)
		goto done;
	cut = ge;
	if (s->open) {
		i = bf_keymap_get(&g->z.p, p.s, p.len);
		cut = settle_split(gs, ge, i == -1 ? 0 : g->z.v[i], s->limit);
	}
	if (gs < cut) {
		put_range(&g->gaps, "gap", bf_buf_str(&p), gs, cut);
		g->ngaps++;
	}
	if (cut < ge) {
		put_range(&g->wait, "settle", bf_buf_str(&p), cut, ge);
		g->nwait++;
	}
done:
	bf_buf_free(&p);
	bf_buf_free(&t1);
	bf_buf_free(&t2);
}

/* A section of put_split: the heading h3, then the rows (partition,
 * from, to) as a table when there are n > 0. */
static void
put_ranges(struct bf_buf *b, const char *h3, long n,
    const struct bf_buf *rows)
{
	bf_buf_puts(b, h3);
	if (n > 0) {
		bf_buf_puts(b, "<table class=\"num\"><thead><tr><th>"
		    "partition</th><th>from</th><th>to</th></tr></thead>"
		    "<tbody>\n");
		bf_buf_add(b, rows->s, rows->len);
		bf_buf_puts(b, "</tbody></table>\n");
	}
}

static void
put_split(struct bf_buf *b, const struct gapsplit *g,
    const struct bf_settle_view *s)
{
	put_ranges(b, "<h3 id=\"gaps\">Gaps</h3>\n", g->ngaps, &g->gaps);
	bf_buf_printf(b, "<p data-bf-gaps=\"%ld\">%ld gap%s in the committed "
	    "windows of the period (bf-ledger gaps)%s.</p>\n", g->ngaps,
	    g->ngaps, g->ngaps == 1 ? "" : "s", s->open ? ", before what "
	    "waits to settle" : "");
	if (!s->open)
		return;
	put_ranges(b, "<h3 id=\"settle\">Windows waiting to settle</h3>\n",
	    g->nwait, &g->wait);
	bf_buf_printf(b, "<p data-bf-settle-waiting=\"%ld\">%ld part%s of "
	    "the period, per partition, not committed and not billable yet: "
	    "from the first window of the partition's grid (its longest "
	    "committed window) that ends after the settle limit.</p>\n",
	    g->nwait, g->nwait, g->nwait == 1 ? "" : "s");
}

int
bf_html_gaps(struct bf_buf *b, struct bf_wh *w, bf_time from, bf_time to,
    const struct bf_settle_view *s, struct bf_err *e)
{
	struct gapsplit g;
	struct bf_json j = BF_JSON_INIT;
	FILE *f;
	char *text = NULL, *line, *nl;
	size_t len = 0;
	int rc = 0;

	memset(&g, 0, sizeof(g));
	if (s->open) {
		if (bf_wh_begin_read(w, e) == -1)
			return -1;
		rc = bf_wh_scan(w, &bf_tbl_windows, size_row, &g.z, e);
		bf_wh_rollback(w);
	}
	if (rc == 0 && (f = open_memstream(&text, &len)) == NULL)
		rc = bf_err_set(e, BF_EXIT_IO, "out of memory");
	else if (rc == 0) {
		rc = bf_report_gaps(w, from, to, NULL, 0, f, e);
		if (fclose(f) == EOF && rc != -1)
			rc = bf_err_set(e, BF_EXIT_IO, "out of memory");
	}
	for (line = text; rc == 0 && line != NULL && *line != '\0';
	    line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		split_line(&g, &j, line, s);
	}
	if (rc == 0)
		put_split(b, &g, s);
	bf_json_free(&j);
	bf_buf_free(&g.gaps);
	bf_buf_free(&g.wait);
	bf_keymap_free(&g.z.p);
	free(g.z.v);
	free(text);
	return rc;
}
