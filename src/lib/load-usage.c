/*
 * load-usage.c: usage lines into warehouse rows, every field checked
 * (load-internal.h).
 */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "load-internal.h"
#include "stream.h"


/* Usage lines. */

/* The members of a usage line that bf-load reads (bf_line_scan). */
enum {
	F_INSTANCE_ID = BF_F_NCOMMON, F_METRIC, F_TENANT, F_AGGREGATE,
	F_VALUE, F_SAMPLES, F_EXPECTED_SAMPLES, F_COVERAGE, F_QUANTITY,
	F_USAGE_UNIT, F_UNIT_PRICE, F_COST, F_CURRENCY, F_SOURCE,
	F_ALLOCATIONS, F_RESOLUTION, F_N
};

static const char *const fnames[F_N] = {
	BF_F_COMMON_NAMES, "instance_id", "metric", "tenant", "aggregate",
	"value", "samples", "expected_samples", "coverage", "quantity",
	"usage_unit", "unit_price", "cost", "currency", "source",
	"allocations", "resolution",
};

/* 1 when token t is absent or null. */
static int
absent(const struct bf_json *j, int t)
{
	return t == -1 || j->tok[t].type == BF_JSON_NULL;
}

/* The fields that are names (bf_name_check, bf(7) NAMES). */
static int
is_name(int f)
{
	return f == F_INSTANCE_ID || f == F_METRIC || f == F_TENANT;
}

/* 1 when field f is there (not absent, not null); else 0, or -1 with why
 * set when it is required. */
static int
present(const struct bf_load *l, const int tok[F_N], int f, int required,
    struct bf_buf *why)
{
	if (!absent(&l->j, tok[f]))
		return 1;
	if (required) {
		bf_buf_printf(why, "usage line without \"%s\"", fnames[f]);
		return -1;
	}
	return 0;
}

/* The string value of field f, copied into rs; NULL when absent or null.
 * Returns -1 with why set when it is there but no string, holds a NUL, or
 * is empty while required. */
static int
get_str(struct bf_load *l, const int tok[F_N], int f, int required,
    struct bf_rowset *rs, const char **out, struct bf_buf *why)
{
	const struct bf_jtok *jt;
	const char *s;
	size_t n;
	int t = tok[f], r;

	*out = NULL;
	if ((r = present(l, tok, f, required, why)) <= 0)
		return r;
	jt = &l->j.tok[t];
	if (jt->type != BF_JSON_STRING) {
		bf_buf_printf(why, "\"%s\" is not a string", fnames[f]);
		return -1;
	}
	if (!jt->esc) {
		/* Unescaped text holds no control character, but may be too
		 * long. */
		s = l->j.s + jt->start + 1;
		n = (size_t)(jt->end - jt->start - 2);
	} else {
		bf_buf_reset(&l->canon);
		bf_json_str(&l->j, t, &l->canon);
		s = bf_buf_str(&l->canon);
		n = l->canon.len;
		if (memchr(s, '\0', n) != NULL) {
			bf_buf_printf(why, "\"%s\" holds a NUL character",
			    fnames[f]);
			return -1;
		}
	}
	if (required && n == 0) {
		bf_buf_printf(why, "\"%s\" is empty", fnames[f]);
		return -1;
	}
	if (is_name(f) && n > 0 && bf_name_check(fnames[f], s, n, why) == -1)
		return -1;
	*out = bf_rowset_strn(rs, s, n);
	return 0;
}

/* A decimal given as a JSON string or number, as 9-place text. */
static int
get_dec(struct bf_load *l, const int tok[F_N], int f, int required,
    struct bf_rowset *rs, const char **out, struct bf_buf *why)
{
	int t = tok[f];
	char d[BF_DEC_LEN];
	const char *raw;
	size_t n;
	bf_dec x;
	int r;

	*out = NULL;
	if ((r = present(l, tok, f, required, why)) <= 0)
		return r;
	if (l->j.tok[t].type == BF_JSON_STRING) {
		bf_buf_reset(&l->canon);
		bf_json_str(&l->j, t, &l->canon);
		raw = bf_buf_str(&l->canon);
		n = l->canon.len;
		/* Already as bf_dec_format writes it: keep it. */
		if (memchr(raw, '\0', n) == NULL && bf_wh_dec_canonical(raw)) {
			*out = bf_rowset_strn(rs, raw, n);
			return 0;
		}
	} else if (l->j.tok[t].type == BF_JSON_NUMBER) {
		raw = bf_json_raw(&l->j, t, &n);
	} else {
		bf_buf_printf(why, "\"%s\" is not a decimal", fnames[f]);
		return -1;
	}
	if (bf_dec_parse(raw, n, &x) != BF_DEC_OK) {
		bf_buf_printf(why, "\"%s\" is not a decimal: '%.*s'", fnames[f],
		    (int)(n > 40 ? 40 : n), raw);
		return -1;
	}
	bf_dec_format(x, d);
	*out = bf_rowset_str(rs, d);
	return 0;
}

/* A non-negative integer given as a JSON number; with pos, a positive
 * one. */
static int
get_int(struct bf_load *l, const int tok[F_N], int f, int pos,
    struct bf_rowset *rs, const char **out, struct bf_buf *why)
{
	int t = tok[f];
	const char *raw;
	size_t n, i;

	*out = NULL;
	if (absent(&l->j, t))
		return 0;
	raw = bf_json_raw(&l->j, t, &n);
	if (l->j.tok[t].type != BF_JSON_NUMBER || n == 0 || n > 18)
		goto bad;
	for (i = 0; i < n; i++)
		if (raw[i] < '0' || raw[i] > '9')
			goto bad;
	if (raw[0] == '0' && (n > 1 || pos))
		goto bad;
	*out = bf_rowset_strn(rs, raw, n);
	return 0;
bad:
	bf_buf_printf(why, "\"%s\" is not a %s integer", fnames[f],
	    pos ? "positive" : "non-negative");
	return -1;
}

int
bf_load_parse_usage(struct bf_load *l, struct win *w, struct bf_buf *why)
{
	struct bf_rowset *rs = &w->rows;
	struct bf_row *r = bf_rowset_add(rs);
	const char **v = r->v;
	int tok[F_N], t;

	if (l->ufields.n == 0)
		bf_fields_init(&l->ufields, fnames, F_N);
	bf_line_scan(&l->ufields, &l->j, tok);
	v[BF_U_PARTITION] = w->p->name;
	v[BF_U_WINDOW_START] = w->ws;
	v[BF_U_WINDOW_END] = w->we;
	if (get_str(l, tok, F_INSTANCE_ID, 1, rs, &v[BF_U_INSTANCE_ID],
	    why) == -1 ||
	    get_str(l, tok, F_METRIC, 1, rs, &v[BF_U_METRIC], why) == -1 ||
	    get_str(l, tok, F_TENANT, 0, rs, &v[BF_U_TENANT], why) == -1 ||
	    get_str(l, tok, F_AGGREGATE, 0, rs, &v[BF_U_AGGREGATE],
	    why) == -1 ||
	    get_dec(l, tok, F_VALUE, 0, rs, &v[BF_U_VALUE], why) == -1 ||
	    get_int(l, tok, F_SAMPLES, 0, rs, &v[BF_U_SAMPLES], why) == -1 ||
	    get_int(l, tok, F_EXPECTED_SAMPLES, 0, rs,
	    &v[BF_U_EXPECTED_SAMPLES], why) == -1 ||
	    get_dec(l, tok, F_COVERAGE, 0, rs, &v[BF_U_COVERAGE], why) == -1 ||
	    get_dec(l, tok, F_QUANTITY, 0, rs, &v[BF_U_QUANTITY], why) == -1 ||
	    get_str(l, tok, F_USAGE_UNIT, 0, rs, &v[BF_U_USAGE_UNIT],
	    why) == -1 ||
	    get_dec(l, tok, F_UNIT_PRICE, 0, rs, &v[BF_U_UNIT_PRICE],
	    why) == -1 ||
	    get_dec(l, tok, F_COST, 1, rs, &v[BF_U_COST], why) == -1 ||
	    get_str(l, tok, F_CURRENCY, 1, rs, &v[BF_U_CURRENCY], why) == -1 ||
	    get_str(l, tok, F_SOURCE, 0, rs, &v[BF_U_SOURCE], why) == -1 ||
	    get_int(l, tok, F_RESOLUTION, 1, rs, &v[BF_U_RESOLUTION],
	    why) == -1) {
		rs->n--;
		return -1;
	}
	if (v[BF_U_TENANT] == NULL)
		v[BF_U_TENANT] = "";
	t = tok[F_ALLOCATIONS];
	if (!absent(&l->j, t)) {
		const char *raw;
		size_t n;

		if (l->j.tok[t].type != BF_JSON_ARRAY) {
			bf_buf_puts(why, "\"allocations\" is not an array");
			rs->n--;
			return -1;
		}
		raw = bf_json_raw(&l->j, t, &n);
		v[BF_U_ALLOCATIONS] = bf_rowset_strn(rs, raw, n);
	}
	/* The ledger follows the tenants' shares: they must add up. */
	{
		struct bf_share *sh = NULL;
		struct bf_err se;
		size_t nsh;

		bf_rowset_reset(&l->scratch);
		if (bf_ledger_shares(r, &l->scratch, &sh, &nsh, &se) == -1) {
			bf_buf_puts(why, se.msg);
			rs->n--;
			return -1;
		}
		free(sh);
	}
	return 0;
}

