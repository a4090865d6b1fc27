/*
 * contract-check.c: checking an instance against a compiled contract, and
 * the exact numbers loading and checking use (see contract-internal.h).
 */

#include <locale.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "contract-internal.h"
#include "format.h"
#include "hash.h"
#include "utf8.h"

/* Parses JSON number text s[0..n) into *x. Its digits point into s when
 * the number has no fraction, else into buf; either must stay alive and
 * unchanged while x is used. Returns -1 for text that is no number. */
int
bf_ct_num_parse(const char *s, size_t n, struct bf_buf *buf, struct num *x)
{
	size_t i = 0, i0, i1, f0, f1, nd, lead = 0, k;
	const char *d;
	long ex = 0;
	int eneg = 0;

	x->neg = 0;
	if (i < n && s[i] == '-') {
		x->neg = 1;
		i++;
	}
	for (i0 = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	i1 = f0 = f1 = i;
	if (i < n && s[i] == '.') {
		for (f0 = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		f1 = i;
	}
	if (i1 == i0 && f1 == f0)
		return -1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (i >= n)
			return -1;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (ex < 1000000000000000L)
				ex = ex * 10 + (s[i] - '0');
			i++;
		}
	}
	if (i != n)
		return -1;
	if (eneg)
		ex = -ex;
	/* The digits of the integer and the fraction part as one run. */
	if (f1 == f0) {
		d = s + i0;
		nd = i1 - i0;
	} else {
		bf_buf_reset(buf);
		bf_buf_add(buf, s + i0, i1 - i0);
		bf_buf_add(buf, s + f0, f1 - f0);
		d = buf->s;
		nd = buf->len;
	}
	while (lead < nd && d[lead] == '0')
		lead++;
	k = nd;
	while (k > lead && d[k - 1] == '0')
		k--;
	if (k == lead) {
		x->neg = 0;
		x->nd = 0;
		x->e = 0;
		x->d = d;
		return 0;
	}
	x->d = d + lead;
	x->nd = k - lead;
	x->e = (long)(i1 - i0) - (long)lead + ex;
	return 0;
}

static int
num_cmp(const struct num *a, const struct num *b)
{
	int sa, sb, m;
	size_t k;

	sa = a->nd == 0 ? 0 : a->neg ? -1 : 1;
	sb = b->nd == 0 ? 0 : b->neg ? -1 : 1;
	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == 0)
		return 0;
	if (a->e != b->e)
		m = a->e < b->e ? -1 : 1;
	else {
		k = a->nd < b->nd ? a->nd : b->nd;
		m = memcmp(a->d, b->d, k);
		if (m == 0)
			m = a->nd == b->nd ? 0 : a->nd < b->nd ? -1 : 1;
		else
			m = m < 0 ? -1 : 1;
	}
	return sa * m;
}

int
bf_ct_num_is_int(const struct num *x)
{
	return x->nd == 0 || x->e >= (long)x->nd;
}

/* a * b mod m, for a, b < m < 2^125. */
static unsigned __int128
mulmod(unsigned __int128 a, unsigned __int128 b, unsigned __int128 m)
{
	unsigned __int128 r = 0;

	while (b) {
		if (b & 1)
			r = (r + a) % m;
		a = (a << 1) % m;
		b >>= 1;
	}
	return r;
}

/* 1 when x is an integer multiple of m (m > 0 with at most 36 digits). */
static int
num_multiple(const struct num *x, const struct num *m)
{
	unsigned __int128 mod = 0, r = 0, p = 1, b = 10;
	long k;
	size_t i;

	if (x->nd == 0)
		return 1;
	/* x = X * 10^(x->e - nd), m = M * 10^(m->e - m->nd); X and M end
	 * in a non-zero digit, so x/m can only be an integer when the power
	 * of ten of x is at least that of m. */
	k = (x->e - (long)x->nd) - (m->e - (long)m->nd);
	if (k < 0)
		return 0;
	for (i = 0; i < m->nd; i++)
		mod = mod * 10 + (unsigned)(m->d[i] - '0');
	for (i = 0; i < x->nd; i++)
		r = (r * 10 + (unsigned)(x->d[i] - '0')) % mod;
	b %= mod;
	while (k > 0) {
		if (k & 1)
			p = mulmod(p, b, mod);
		b = mulmod(b, b, mod);
		k >>= 1;
	}
	p %= mod;
	return mulmod(r, p, mod) == 0;
}

struct vctx {
	struct bf_contract *c;
	const struct bf_json *j;
	struct bf_verror *ve;
	int quiet;
};

static void
put_pointer(struct vctx *x, struct bf_buf *b)
{
	struct bf_buf k = BF_BUF_INIT;
	int i;

	bf_buf_reset(b);
	for (i = 0; i < x->c->depth &&
	    i < (int)(sizeof(x->c->path) / sizeof(x->c->path[0])); i++) {
		if (x->c->path[i].key >= 0) {
			bf_ct_tok_str(x->j, x->c->path[i].key, &k);
			bf_ct_put_ptr_seg(b, k.s, k.len);
		} else
			bf_buf_printf(b, "/%ld", x->c->path[i].idx);
	}
	if (b->s == NULL)
		bf_buf_puts(b, "");
	bf_buf_free(&k);
}

static int
fail(struct vctx *x, const struct snode *s, const char *kw, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
fail(struct vctx *x, const struct snode *s, const char *kw, const char *code,
    const char *fmt, ...)
{
	struct bf_verror *ve = x->ve;
	va_list ap;

	if (x->quiet || ve->code != NULL)
		return 0;
	ve->code = code;
	bf_buf_reset(&ve->rule);
	bf_buf_puts(&ve->rule, s->loc);
	if (kw && *kw)
		bf_ct_put_ptr_seg(&ve->rule, kw, strlen(kw));
	if (ve->rule.len == 0)
		bf_buf_puts(&ve->rule, "/");
	put_pointer(x, &ve->pointer);
	bf_buf_reset(&ve->message);
	va_start(ap, fmt);
	bf_buf_vprintf(&ve->message, fmt, ap);
	va_end(ap);
	return 0;
}

static void
push(struct vctx *x, int key, long idx)
{
	struct bf_contract *c = x->c;

	if (c->depth < (int)(sizeof(c->path) / sizeof(c->path[0]))) {
		c->path[c->depth].key = key;
		c->path[c->depth].idx = idx;
	}
	c->depth++;
}

static void
pop(struct vctx *x)
{
	x->c->depth--;
}

/* The raw text of token t cut for a message. */
static const char *
show(struct vctx *x, int t, struct bf_buf *b)
{
	size_t n;
	const char *raw = bf_json_raw(x->j, t, &n);

	bf_buf_reset(b);
	bf_ct_put_trunc(b, raw, n, 64);
	return bf_buf_str(b);
}

static const char *
show_num(const struct bf_contract *c, const struct snode *s, int which,
    struct bf_buf *b)
{
	/* The keyword's own text in the contract. */
	static const char *kws[] = { "minimum", "maximum", "exclusiveMinimum",
		"exclusiveMaximum", "multipleOf" };
	int t = bf_json_get(&c->doc, s->tok, kws[which]);
	size_t n;
	const char *raw;

	bf_buf_reset(b);
	if (t < 0)
		return "";
	raw = bf_json_raw(&c->doc, t, &n);
	bf_ct_put_trunc(b, raw, n, 64);
	return bf_buf_str(b);
}

static const char *
type_name(int type)
{
	switch (type) {
	case BF_JSON_OBJECT:
		return "an object";
	case BF_JSON_ARRAY:
		return "an array";
	case BF_JSON_STRING:
		return "a string";
	case BF_JSON_NUMBER:
		return "a number";
	case BF_JSON_TRUE:
	case BF_JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

static void
put_types(struct bf_buf *b, unsigned types)
{
	static const char *names[] = { "null", "boolean", "object", "array",
		"number", "string", "integer" };
	int m, first = 1;

	for (m = 0; m < 7; m++)
		if (types & (1u << m)) {
			if (!first)
				bf_buf_puts(b, " or ");
			bf_buf_puts(b, names[m]);
			first = 0;
		}
	if (first)
		bf_buf_puts(b, "nothing");
}

/* String token t's value: raw bytes when it has no escape, else unescaped
 * into b. */
static const char *
str_val(const struct bf_json *j, int t, struct bf_buf *b, size_t *n)
{
	if (!j->tok[t].esc) {
		*n = (size_t)(j->tok[t].end - j->tok[t].start - 2);
		return j->s + j->tok[t].start + 1;
	}
	bf_ct_tok_str(j, t, b);
	*n = b->len;
	return b->s;
}

static int
re_search(struct bf_contract *c, struct re *re, const char *s, size_t n)
{
	struct rcache *slot = NULL;
	regmatch_t m;
	locale_t old;
	int rc;

	if (n > 0 && n <= RC_MAXLEN) {
		if (re->cache == NULL)
			re->cache = bf_xcalloc(RC_SLOTS, sizeof(*re->cache));
		slot = &re->cache[bf_fnv1a64(s, n) & (RC_SLOTS - 1)];
		if (slot->len == n && memcmp(slot->s, s, n) == 0)
			return slot->match;
	}
	m.rm_so = 0;
	m.rm_eo = (regoff_t)n;
	old = uselocale(c->utf8);
	rc = regexec(&re->re, s ? s : "", 0, &m, REG_STARTEND);
	uselocale(old);
	if (slot) {
		slot->len = (unsigned char)n;
		memcpy(slot->s, s, n);
		slot->match = rc == 0;
	}
	return rc == 0;
}

static int
str_eq2(struct bf_contract *c, const struct bf_json *a, int ta,
    const struct bf_json *b, int tb)
{
	const char *sa, *sb;
	size_t na, nb;

	sa = str_val(a, ta, &c->se1, &na);
	sb = str_val(b, tb, &c->se2, &nb);
	return na == nb && (na == 0 || memcmp(sa, sb, na) == 0);
}

/* Deep equality of JSON values (numbers by value, objects by members). */
static int
json_eq(struct bf_contract *c, const struct bf_json *a, int ta,
    const struct bf_json *b, int tb)
{
	int ka = a->tok[ta].type, kb = b->tok[tb].type, i, m, ca, cb;

	if (ka != kb)
		return 0;
	switch (ka) {
	case BF_JSON_NUMBER: {
		struct num x, y;
		const char *r1, *r2;
		size_t n1, n2;

		r1 = bf_json_raw(a, ta, &n1);
		r2 = bf_json_raw(b, tb, &n2);
		if (n1 == n2 && memcmp(r1, r2, n1) == 0)
			return 1;
		bf_ct_num_parse(r1, n1, &c->se1, &x);
		bf_ct_num_parse(r2, n2, &c->se2, &y);
		return num_cmp(&x, &y) == 0;
	}
	case BF_JSON_STRING:
		return str_eq2(c, a, ta, b, tb);
	case BF_JSON_ARRAY:
		if (a->tok[ta].size != b->tok[tb].size)
			return 0;
		ca = ta + 1;
		cb = tb + 1;
		for (i = 0; i < a->tok[ta].size; i++) {
			if (!json_eq(c, a, ca, b, cb))
				return 0;
			ca = bf_json_skip(a, ca);
			cb = bf_json_skip(b, cb);
		}
		return 1;
	case BF_JSON_OBJECT:
		if (a->tok[ta].size != b->tok[tb].size)
			return 0;
		ca = ta + 1;
		for (i = 0; i < a->tok[ta].size; i++) {
			cb = tb + 1;
			for (m = 0; m < b->tok[tb].size; m++) {
				if (str_eq2(c, a, ca, b, cb))
					break;
				cb = bf_json_skip(b, cb + 1);
			}
			if (m == b->tok[tb].size ||
			    !json_eq(c, a, ca + 1, b, cb + 1))
				return 0;
			ca = bf_json_skip(a, ca + 1);
		}
		return 1;
	default:
		return 1;
	}
}

/* The token after value token v (its next sibling, if any): what
 * bf_json_skip returns, without the call for a scalar, the common case. */
static inline int
next_tok(const struct bf_json *j, int v)
{
	if (j->tok[v].type != BF_JSON_OBJECT && j->tok[v].type != BF_JSON_ARRAY)
		return v + 1;
	return bf_json_skip(j, v);
}

static int v_node(struct vctx *x, const struct snode *s, int t);

static int
v_number(struct vctx *x, const struct snode *s, int t)
{
	struct bf_contract *c = x->c;
	struct bf_buf *m = &c->sm, *m2 = &c->sm2;
	const char *raw;
	size_t n;
	struct num v;
	int ok = 1;

	raw = bf_json_raw(x->j, t, &n);
	if (bf_ct_num_parse(raw, n, &c->sn1, &v) < 0)
		return 1;
	if ((s->numflags & N_MIN) && num_cmp(&v, &s->min) < 0)
		ok = fail(x, s, "minimum", "out_of_range",
		    "%s is below the minimum %s", show(x, t, m),
		    show_num(c, s, 0, m2));
	else if ((s->numflags & N_MAX) && num_cmp(&v, &s->max) > 0)
		ok = fail(x, s, "maximum", "out_of_range",
		    "%s is above the maximum %s", show(x, t, m),
		    show_num(c, s, 1, m2));
	else if ((s->numflags & N_XMIN) && num_cmp(&v, &s->xmin) <= 0)
		ok = fail(x, s, "exclusiveMinimum", "out_of_range",
		    "%s is not above %s", show(x, t, m),
		    show_num(c, s, 2, m2));
	else if ((s->numflags & N_XMAX) && num_cmp(&v, &s->xmax) >= 0)
		ok = fail(x, s, "exclusiveMaximum", "out_of_range",
		    "%s is not below %s", show(x, t, m),
		    show_num(c, s, 3, m2));
	else if ((s->numflags & N_MULT) && !num_multiple(&v, &s->mult))
		ok = fail(x, s, "multipleOf", "not_multiple",
		    "%s is not a multiple of %s", show(x, t, m),
		    show_num(c, s, 4, m2));
	return ok;
}

static int
v_string(struct vctx *x, const struct snode *s, int t)
{
	struct bf_buf *m = &x->c->sm;
	const char *str;
	size_t n, len;
	int ok = 1;

	str = str_val(x->j, t, &x->c->ss, &n);
	if (s->minlen >= 0 || s->maxlen >= 0) {
		len = bf_utf8_count(str, n);
		if (s->minlen >= 0 && len < (size_t)s->minlen)
			ok = fail(x, s, "minLength", "bad_length",
			    "string of %zu characters is shorter than %ld",
			    len, s->minlen);
		else if (s->maxlen >= 0 && len > (size_t)s->maxlen)
			ok = fail(x, s, "maxLength", "bad_length",
			    "string of %zu characters is longer than %ld",
			    len, s->maxlen);
	}
	if (ok && s->pattern && !re_search(x->c, s->pattern, str, n))
		ok = fail(x, s, "pattern", "pattern_mismatch",
		    "%s does not match the pattern '%s'", show(x, t, m),
		    s->pattern->src);
	if (ok && (s->format == FMT_DATE_TIME || s->format == FMT_DATE)) {
		if (s->format == FMT_DATE_TIME ? !bf_format_date_time(str, n) :
		    !bf_format_date(str, n))
			ok = fail(x, s, "format", "bad_format",
			    "%s is not a %s", show(x, t, m),
			    s->format == FMT_DATE_TIME ? "date-time" : "date");
	}
	return ok;
}

/* The keywords of object schema s that look at the name of member key
 * token k: patternProperties, additionalProperties (when matched says no
 * property matched), propertyNames. kb is the caller's buffer for a name
 * with escapes. */
static int
v_member(struct vctx *x, const struct snode *s, int k, int matched,
    struct bf_buf *kb)
{
	struct bf_buf *m = &x->c->sm;
	const char *key;
	size_t klen;
	int p, ok = 1;

	key = str_val(x->j, k, kb, &klen);
	for (p = 0; ok && p < s->npprops; p++)
		if (re_search(x->c, &s->pprops[p].re, key, klen)) {
			matched = 1;
			ok = v_node(x, s->pprops[p].s, k + 1);
		}
	if (ok && !matched && s->addl) {
		if (s->addl->boolval == 0) {
			bf_buf_reset(m);
			bf_ct_put_trunc(m, key, klen, 64);
			ok = fail(x, s, "additionalProperties",
			    "unexpected_field", "field '%s' is not allowed",
			    bf_buf_str(m));
		} else
			ok = v_node(x, s->addl, k + 1);
	}
	if (ok && s->propnames) {
		x->quiet++;
		ok = v_node(x, s->propnames, k);
		x->quiet--;
		if (!ok) {
			bf_buf_reset(m);
			bf_ct_put_trunc(m, key, klen, 64);
			fail(x, s, "propertyNames", "bad_field_name",
			    "field name '%s' is not allowed", bf_buf_str(m));
		}
	}
	return ok;
}

/* Members of an object up to this many are looked up without allocating. */
#define OBJ_LOCAL 32

static int
v_object(struct vctx *x, const struct snode *s, int t)
{
	const struct bf_json *j = x->j;
	/* kb holds a key across v_node calls: this frame's own. */
	struct bf_buf *tmp = &x->c->st, kb = BF_BUF_INIT;
	int i, p, k, e, n = j->tok[t].size, matched, ok = 1;
	/* kt[i]: member i's key token; pr[i]: its entry in s->props or -1;
	 * has[e]: entry e of s->names is a member. */
	int locl[2 * OBJ_LOCAL], hasl[OBJ_LOCAL], *kt, *pr, *has = hasl;
	/* Keywords that look at every member's name. */
	int more = s->npprops || s->addl || s->propnames;
	const char *key;
	size_t klen;

	kt = n <= OBJ_LOCAL ? locl : bf_xmalloc(sizeof(int) * 2 * (size_t)n);
	pr = kt + n;
	if (s->nnames > OBJ_LOCAL)
		has = bf_xmalloc(sizeof(int) * (size_t)s->nnames);
	if (s->nnames > 0)
		memset(has, 0, sizeof(int) * (size_t)s->nnames);
	for (i = 0, k = t + 1; i < n; i++, k = next_tok(j, k + 1)) {
		kt[i] = k;
		pr[i] = -1;
		if (s->nnames > 0) {
			key = str_val(j, k, tmp, &klen);
			if ((e = name_find(s, key, klen)) >= 0) {
				has[e] = 1;
				pr[i] = s->names[e].prop;
			}
		}
	}
	for (i = 0; ok && i < s->nreq; i++)
		if (!has[s->reqid[i]]) {
			if (!x->quiet && x->ve->code == NULL) {
				fail(x, s, "required", "missing_field",
				    "required field '%s' is missing",
				    s->req[i]);
				bf_ct_put_ptr_seg(&x->ve->pointer, s->req[i],
				    s->reqlen[i]);
			}
			ok = 0;
		}
	if (ok && s->minprops >= 0 && n < s->minprops)
		ok = fail(x, s, "minProperties", "bad_size",
		    "object has %d fields, fewer than %ld", n, s->minprops);
	if (ok && s->maxprops >= 0 && n > s->maxprops)
		ok = fail(x, s, "maxProperties", "bad_size",
		    "object has %d fields, more than %ld", n, s->maxprops);
	for (i = 0; ok && i < s->ndepreq; i++) {
		if (!has[s->depreq[i].keyid])
			continue;
		for (p = 0; ok && p < s->depreq[i].n; p++)
			if (!has[s->depreq[i].ids[p]]) {
				if (!x->quiet && x->ve->code == NULL) {
					fail(x, s, "dependentRequired",
					    "missing_field", "field '%s' is "
					    "required when '%s' is present",
					    s->depreq[i].names[p],
					    s->depreq[i].key);
					bf_ct_put_ptr_seg(&x->ve->pointer,
					    s->depreq[i].names[p],
					    s->depreq[i].lens[p]);
				}
				ok = 0;
			}
	}
	for (i = 0; ok && i < n; i++) {
		k = kt[i];
		push(x, k, 0);
		if ((matched = pr[i] >= 0))
			ok = v_node(x, s->props[pr[i]].s, k + 1);
		if (ok && more)
			ok = v_member(x, s, k, matched, &kb);
		pop(x);
	}
	for (i = 0; ok && i < s->ndepsch; i++)
		if (has[s->depsch[i].keyid])
			ok = v_node(x, s->depsch[i].s, t);
	if (kb.s != NULL)	/* only a key with escapes used it */
		bf_buf_free(&kb);
	if (kt != locl)
		free(kt);
	if (has != hasl)
		free(has);
	return ok;
}

static int
v_array(struct vctx *x, const struct snode *s, int t)
{
	const struct bf_json *j = x->j;
	int i, k, k2, n = j->tok[t].size, ok = 1, a;
	long hits = 0, lo;

	if (s->minitems >= 0 && n < s->minitems)
		return fail(x, s, "minItems", "bad_size",
		    "array has %d items, fewer than %ld", n, s->minitems);
	if (s->maxitems >= 0 && n > s->maxitems)
		return fail(x, s, "maxItems", "bad_size",
		    "array has %d items, more than %ld", n, s->maxitems);
	for (i = 0, k = t + 1; ok && i < n; i++, k = next_tok(j, k)) {
		push(x, -1, i);
		if (i < s->nprefix)
			ok = v_node(x, s->prefix[i], k);
		else if (s->items)
			ok = v_node(x, s->items, k);
		pop(x);
	}
	if (!ok)
		return 0;
	if (s->contains) {
		x->quiet++;
		for (i = 0, k = t + 1; i < n; i++, k = bf_json_skip(j, k)) {
			push(x, -1, i);
			if (v_node(x, s->contains, k))
				hits++;
			pop(x);
		}
		x->quiet--;
		lo = s->mincontains >= 0 ? s->mincontains : 1;
		if (hits < lo)
			return fail(x, s, s->mincontains >= 0 ? "minContains" :
			    "contains", "no_match", "array has %ld matching "
			    "items, fewer than %ld", hits, lo);
		if (s->maxcontains >= 0 && hits > s->maxcontains)
			return fail(x, s, "maxContains", "no_match",
			    "array has %ld matching items, more than %ld", hits,
			    s->maxcontains);
	}
	if (s->unique) {
		for (i = 0, k = t + 1; i < n; i++, k = bf_json_skip(j, k))
			for (a = i + 1, k2 = bf_json_skip(j, k); a < n;
			    a++, k2 = bf_json_skip(j, k2))
				if (json_eq(x->c, j, k, j, k2))
					return fail(x, s, "uniqueItems",
					    "not_unique", "items %d and %d are "
					    "equal", i, a);
	}
	return 1;
}

/* The "type" keyword, when the token's own type is not listed: an integer
 * test of a number, or the failure. */
static int
v_type(struct vctx *x, const struct snode *s, int t)
{
	const struct bf_json *j = x->j;
	struct bf_buf *m = &x->c->sm;
	int type = j->tok[t].type;

	if (type == BF_JSON_NUMBER && (s->types & T_INTEGER)) {
		struct num v;
		size_t n;
		const char *raw = bf_json_raw(j, t, &n);

		if (bf_ct_num_parse(raw, n, &x->c->sn2, &v) == 0 &&
		    bf_ct_num_is_int(&v))
			return 1;
	}
	bf_buf_reset(m);
	bf_buf_puts(m, "expected ");
	put_types(m, s->types);
	bf_buf_printf(m, ", got %s", type_name(type));
	fail(x, s, "type", "wrong_type", "%s", bf_buf_str(m));
	return 0;
}

static int v_checks(struct vctx *x, const struct snode *s, int t);

/* v_checks for a node with a memo: a value with the raw text of the last
 * one that passed passes. */
static int
v_memo(struct vctx *x, const struct snode *s, int t)
{
	struct vmemo *vm = s->memo;
	const char *raw = x->j->s + x->j->tok[t].start;
	size_t n = (size_t)(x->j->tok[t].end - x->j->tok[t].start);

	if (vm->len == n && memcmp(vm->s, raw, n) == 0)
		return 1;
	if (!v_checks(x, s, t))
		return 0;
	if (n <= sizeof(vm->s)) {
		memcpy(vm->s, raw, n);
		vm->len = n;
	}
	return 1;
}

/* Every node is checked here: the common cases (a boolean schema, a type
 * that matches, no other keyword) stay in this small function, the rest
 * is in v_checks. */
static int
v_node(struct vctx *x, const struct snode *s, int t)
{
	/* The T_* bit of each token type (enum bf_json_type). */
	static const unsigned have[] = { 0, T_OBJECT, T_ARRAY, T_STRING,
		T_NUMBER, T_BOOL, T_BOOL, T_NULL };
	int type = x->j->tok[t].type;

	if (s->boolval >= 0) {
		if (s->boolval)
			return 1;
		return fail(x, s, NULL, "not_allowed",
		    "no value is allowed here");
	}
	if (s->ref && !v_node(x, s->ref, t))
		return 0;
	if (s->types && !(have[type] & s->types) && !v_type(x, s, t))
		return 0;
	if (s->checks == 0)
		return 1;
	if (s->memo == NULL)
		return v_checks(x, s, t);
	return v_memo(x, s, t);
}

/* The keywords of node s after $ref and type. */
static int
v_checks(struct vctx *x, const struct snode *s, int t)
{
	/* The keywords that apply to a value of each type (enum
	 * bf_json_type) and their check. */
	static const struct {
		unsigned checks;
		int (*fn)(struct vctx *, const struct snode *, int);
	} bytype[BF_JSON_NULL + 1] = {
		[BF_JSON_OBJECT] = { C_OBJ, v_object },
		[BF_JSON_ARRAY] = { C_ARR, v_array },
		[BF_JSON_STRING] = { C_STR, v_string },
		[BF_JSON_NUMBER] = { C_NUM, v_number },
	};
	const struct bf_json *j = x->j;
	struct bf_buf *m = &x->c->sm;
	int type = j->tok[t].type, i, hits, first;

	if (s->checks & C_ENUM) {
		for (i = 0; i < s->nenum; i++)
			if (json_eq(x->c, j, t, &x->c->doc, s->enumtok[i]))
				break;
		if (i == s->nenum) {
			fail(x, s, "enum", "not_allowed",
			    "%s is not one of the allowed values",
			    show(x, t, m));
			return 0;
		}
	}
	if ((s->checks & C_CONST) &&
	    !json_eq(x->c, j, t, &x->c->doc, s->consttok)) {
		fail(x, s, "const", "not_allowed", "%s is not the allowed "
		    "value", show(x, t, m));
		return 0;
	}
	if ((s->checks & bytype[type].checks) && !bytype[type].fn(x, s, t))
		return 0;
	if (!(s->checks & C_APPL))
		return 1;
	for (i = 0; i < s->nallof; i++)
		if (!v_node(x, s->allof[i], t))
			return 0;
	if (s->nanyof) {
		x->quiet++;
		for (i = 0; i < s->nanyof; i++)
			if (v_node(x, s->anyof[i], t))
				break;
		x->quiet--;
		if (i == s->nanyof)
			return fail(x, s, "anyOf", "no_match",
			    "matches none of the %d anyOf schemas", s->nanyof);
	}
	if (s->noneof) {
		hits = 0;
		first = -1;
		x->quiet++;
		for (i = 0; i < s->noneof && hits < 2; i++)
			if (v_node(x, s->oneof[i], t)) {
				if (hits == 0)
					first = i;
				hits++;
			}
		x->quiet--;
		if (hits == 0)
			return fail(x, s, "oneOf", "no_match",
			    "matches none of the %d oneOf schemas", s->noneof);
		if (hits > 1)
			return fail(x, s, "oneOf", "multiple_match",
			    "matches oneOf schemas %d and %d", first, i - 1);
	}
	if (s->not) {
		x->quiet++;
		i = v_node(x, s->not, t);
		x->quiet--;
		if (i)
			return fail(x, s, "not", "no_match",
			    "matches the schema under 'not'");
	}
	if (s->if_) {
		x->quiet++;
		i = v_node(x, s->if_, t);
		x->quiet--;
		if (i && s->then_ && !v_node(x, s->then_, t))
			return 0;
		if (!i && s->else_ && !v_node(x, s->else_, t))
			return 0;
	}
	return 1;
}

/* Scratch that one long value made large is let go after the check, so
 * that memory stays bounded by SCRATCH_KEEP between lines. */
#define SCRATCH_KEEP 65536

static void
scratch_trim(struct bf_contract *c)
{
	struct bf_buf *b[] = { &c->sn1, &c->sn2, &c->ss, &c->st, &c->sm,
	    &c->sm2, &c->se1, &c->se2 };
	size_t i;

	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		if (b[i]->cap > SCRATCH_KEEP)
			bf_buf_free(b[i]);
}

int
bf_contract_check(struct bf_contract *c, const struct bf_json *j,
    struct bf_verror *ve)
{
	struct vctx x;
	int ok;

	ve->code = NULL;
	bf_buf_reset(&ve->rule);
	bf_buf_reset(&ve->pointer);
	bf_buf_reset(&ve->message);
	x.c = c;
	x.j = j;
	x.ve = ve;
	x.quiet = 0;
	c->depth = 0;
	if (j->ntok == 0)
		return 1;
	ok = v_node(&x, c->root, 0);
	scratch_trim(c);
	if (ok)
		return 1;
	if (ve->code == NULL) {
		ve->code = "no_match";
		bf_buf_puts(&ve->rule, "/");
		bf_buf_puts(&ve->message, "does not match the schema");
	}
	return 0;
}
