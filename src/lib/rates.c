/*
 * rates.c: the rate card and effective-dated rows (see rates.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rates.h"
#include "table.h"

static const char *const aggnames[] = {
	"count", "min", "max", "sum", "avg", "last", "p95", "integral",
	"increase",
};

const char *
bf_aggfn_name(int fn)
{
	if (fn < 0 || fn >= (int)(sizeof(aggnames) / sizeof(aggnames[0])))
		return "?";
	return aggnames[fn];
}

int
bf_aggfn_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(aggnames) / sizeof(aggnames[0]); i++)
		if (strcmp(s, aggnames[i]) == 0)
			return (int)i;
	return -1;
}

static int
parse_date(const char *s, const char *name, bf_time *t, struct bf_err *e)
{
	int32_t nsec = 0;

	if (bf_time_parse(s, strlen(s), t, &nsec) == -1)
		return bf_err_set(e, BF_EXIT_USAGE, "bad %s '%s'", name, s);
	if (nsec != 0)
		return bf_err_set(e, BF_EXIT_USAGE,
		    "%s '%s' is not a whole second", name, s);
	return 0;
}

int
bf_eff_set(struct bf_eff *eff, const char *key, const char *from,
    const char *to, long line, struct bf_err *e)
{
	eff->from = BF_TIME_MIN;
	eff->to = BF_TIME_MAX;
	if (*from != '\0' &&
	    parse_date(from, "effective_from", &eff->from, e) == -1)
		return -1;
	if (*to != '\0' && parse_date(to, "effective_to", &eff->to, e) == -1)
		return -1;
	if (eff->to <= eff->from)
		return bf_err_set(e, BF_EXIT_USAGE,
		    "effective_to '%s' is not after effective_from '%s'", to,
		    from);
	eff->key = bf_xstrdup(key);
	eff->line = line;
	return 0;
}

static int
keycmp(const char *a, const char *b, size_t blen)
{
	size_t alen = strlen(a);
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int
effcmp(const void *pa, const void *pb)
{
	const struct bf_eff *a = pa, *b = pb;
	int c = strcmp(a->key, b->key);

	if (c != 0)
		return c;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

#define ROW(base, i, size) ((struct bf_eff *)((char *)(base) + (i) * (size)))

static void
fmt_from(bf_time t, char out[BF_TIME_LEN])
{
	if (t == BF_TIME_MIN)
		strcpy(out, "the start");
	else if (bf_time_format(t, out) == 0)
		strcpy(out, "?");
}

int
bf_eff_sort(void *rows, size_t n, size_t size, const char *path,
    const char *what, struct bf_err *e)
{
	size_t i;
	char ts[BF_TIME_LEN];

	if (n > 1)
		qsort(rows, n, size, effcmp);
	for (i = 1; i < n; i++) {
		struct bf_eff *p = ROW(rows, i - 1, size), *r = ROW(rows, i,
		    size);

		if (strcmp(p->key, r->key) != 0 || r->from >= p->to)
			continue;
		/* Name the row that comes later in the file. */
		if (r->line < p->line) {
			struct bf_eff *x = p;
			p = r;
			r = x;
		}
		fmt_from(r->from, ts);
		return bf_err_set(e, BF_EXIT_USAGE,
		    "%s:%ld: %s '%s' from %s overlaps line %ld", path, r->line,
		    what, r->key, ts, p->line);
	}
	return 0;
}

size_t
bf_eff_find(const void *rows, size_t n, size_t size, const char *key,
    size_t klen, bf_time from, bf_time to, size_t *first, int *any)
{
	size_t lo = 0, hi = n, i, k = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (keycmp(ROW(rows, mid, size)->key, key, klen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (any)
		*any = lo < n && keycmp(ROW(rows, lo, size)->key, key,
		    klen) == 0;
	*first = lo;
	for (i = lo; i < n; i++) {
		const struct bf_eff *r = ROW(rows, i, size);

		if (keycmp(r->key, key, klen) != 0 || r->from >= to)
			break;
		if (r->to <= from) {
			*first = i + 1;
			continue;
		}
		k++;
	}
	return k;
}

/* Parses a decimal field exactly (at most 9 decimal places). */
static int
parse_num(const char *s, const char *name, bf_dec *d, struct bf_err *e)
{
	int inexact = 0;

	if (bf_dec_parse_x(s, strlen(s), d, &inexact) != BF_DEC_OK)
		return bf_err_set(e, BF_EXIT_USAGE, "bad %s '%s'", name, s);
	if (inexact)
		return bf_err_set(e, BF_EXIT_USAGE,
		    "%s '%s' has more than 9 decimal places", name, s);
	return 0;
}

static int
parse_factor(const char *s, const char *name, bf_dec *d, struct bf_err *e)
{
	if (*s == '\0') {
		*d = bf_dec_from_int(1);
		return 0;
	}
	if (parse_num(s, name, d, e) == -1)
		return -1;
	if (bf_dec_sign(*d) <= 0)
		return bf_err_set(e, BF_EXIT_USAGE, "%s '%s' is not positive",
		    name, s);
	return 0;
}

enum {
	F_METRIC, F_UNIT, F_AGGREGATE, F_USAGE_UNIT, F_MULTIPLIER, F_DIVISOR,
	F_UNIT_PRICE, F_CURRENCY, F_FROM, F_TO, F_NCOLS
};

static const char *const header[F_NCOLS] = {
	"metric", "unit", "aggregate", "usage_unit", "multiplier", "divisor",
	"unit_price", "currency", "effective_from", "effective_to",
};

/* A rate row's fields into r (its prices and units; the interval is
 * bf_eff_set's), checked in column order. */
static int
read_rate(const struct bf_rates *rc, char **f, struct bf_rate *r,
    struct bf_err *e)
{
	if (*f[F_METRIC] == '\0')
		return bf_err_set(e, BF_EXIT_USAGE, "empty metric");
	if ((r->aggregate = bf_aggfn_parse(f[F_AGGREGATE])) == -1)
		return bf_err_set(e, BF_EXIT_USAGE, "unknown aggregate '%s'",
		    f[F_AGGREGATE]);
	if (*f[F_USAGE_UNIT] == '\0')
		return bf_err_set(e, BF_EXIT_USAGE, "empty usage_unit");
	if (parse_factor(f[F_MULTIPLIER], "multiplier", &r->multiplier, e) ==
	        -1 ||
	    parse_factor(f[F_DIVISOR], "divisor", &r->divisor, e) == -1)
		return -1;
	if (*f[F_UNIT_PRICE] == '\0')
		return bf_err_set(e, BF_EXIT_USAGE, "empty unit_price");
	if (parse_num(f[F_UNIT_PRICE], "unit_price", &r->unit_price, e) == -1)
		return -1;
	if (bf_dec_sign(r->unit_price) < 0)
		return bf_err_set(e, BF_EXIT_USAGE, "negative unit_price '%s'",
		    f[F_UNIT_PRICE]);
	if (*f[F_CURRENCY] == '\0')
		return bf_err_set(e, BF_EXIT_USAGE, "empty currency");
	if (rc->currency && strcmp(rc->currency, f[F_CURRENCY]) != 0)
		return bf_err_set(e, BF_EXIT_USAGE,
		    "mixed currencies '%s' and '%s'", rc->currency,
		    f[F_CURRENCY]);
	return 0;
}

static int
rate_row(void *ctx, char **f, size_t nf, long line, struct bf_err *e)
{
	struct bf_rates *rc = ctx;
	struct bf_rate r = { 0 };

	if (read_rate(rc, f, &r, e) == -1 ||
	    bf_eff_set(&r.eff, f[F_METRIC], f[F_FROM], f[F_TO], line, e) == -1)
		return -1;
	r.unit = bf_xstrdup(f[F_UNIT]);
	r.usage_unit = bf_xstrdup(f[F_USAGE_UNIT]);
	r.currency = bf_xstrdup(f[F_CURRENCY]);
	rc->r = bf_grow(rc->r, &rc->cap, rc->n, sizeof(*rc->r), 16);
	rc->r[rc->n++] = r;
	if (!rc->currency)
		rc->currency = r.currency;
	return 0;
}

int
bf_rates_load(struct bf_rates *rc, const char *path, struct bf_err *e)
{
	*rc = (struct bf_rates){ .path = bf_xstrdup(path) };
	if (bf_table_read(path, header, F_NCOLS, rate_row, rc, e) == -1)
		return -1;
	return bf_eff_sort(rc->r, rc->n, sizeof(*rc->r), path,
	    "rate of metric", e);
}

void
bf_rates_free(struct bf_rates *rc)
{
	size_t i;

	for (i = 0; i < rc->n; i++)
		BF_EACH(free, void, rc->r[i].eff.key, rc->r[i].unit,
		    rc->r[i].usage_unit, rc->r[i].currency);
	BF_EACH(free, void, rc->r, rc->path);
	memset(rc, 0, sizeof(*rc));
}

static int
same_definition(const struct bf_rate *a, const struct bf_rate *b)
{
	return strcmp(a->unit, b->unit) == 0 && a->aggregate == b->aggregate &&
	    strcmp(a->usage_unit, b->usage_unit) == 0 &&
	    bf_dec_cmp(a->multiplier, b->multiplier) == 0 &&
	    bf_dec_cmp(a->divisor, b->divisor) == 0;
}

size_t
bf_rates_window(const struct bf_rates *rc, const char *metric, size_t mlen,
    bf_time from, bf_time to, size_t *first, const char **code,
    struct bf_err *e)
{
	size_t n, i;
	int any;
	bf_time t = from;
	char a[BF_TIME_LEN], b[BF_TIME_LEN];

	*code = "missing_rate";
	n = bf_eff_find(rc->r, rc->n, sizeof(*rc->r), metric, mlen, from, to,
	    first, &any);
	if (!any) {
		bf_err_set(e, BF_EXIT_FAILED, "no rate for metric '%.*s' in %s",
		    (int)mlen, metric, rc->path);
		return 0;
	}
	for (i = 0; i <= n; i++) {
		bf_time next = i < n ? rc->r[*first + i].eff.from : to;

		if (next > t) {
			bf_time_format(t, a);
			bf_time_format(next, b);
			bf_err_set(e, BF_EXIT_FAILED,
			    "no rate for metric '%.*s' from %s to %s in %s",
			    (int)mlen, metric, a, b, rc->path);
			return 0;
		}
		if (i < n)
			t = rc->r[*first + i].eff.to;
	}
	for (i = 1; i < n; i++) {
		const struct bf_rate *p = &rc->r[*first], *r = &rc->r[*first + i];

		if (!same_definition(p, r)) {
			*code = "rate_changes_in_window";
			bf_err_set(e, BF_EXIT_FAILED,
			    "the rates of metric '%.*s' at %s:%ld and line %ld "
			    "differ in unit, aggregate, usage_unit, multiplier "
			    "or divisor inside the window",
			    (int)mlen, metric, rc->path, p->eff.line,
			    r->eff.line);
			return 0;
		}
	}
	return n;
}
