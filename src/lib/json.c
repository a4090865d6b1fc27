/*
 * json.c: a strict single-pass JSON tokenizer for NDJSON lines, and JSON
 * writing.
 *
 * The tokenizer checks the whole RFC 8259 grammar while it records tokens
 * (jsmn's layout, in document order): separators, number and literal
 * grammar, string escapes, UTF-8 (RFC 3629: no overlongs, no surrogates, no
 * code point above U+10FFFF), \u escapes that pair surrogates, trailing
 * bytes, nesting depth, and duplicate keys compared after unescaping. One
 * pass over the bytes does both jobs, so a line is read once; see the commit
 * that introduced it for the measurements against jsmn.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

/* Byte classes inside a string: 0 plain, 1 quote, 2 backslash, 3 control,
 * 4 start of a multibyte sequence (or an invalid byte). */
static const unsigned char strclass[256] = {
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

#define ISWS(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')
#define ISDIGIT(c) ((unsigned)(c) - '0' < 10u)

/* Objects with more keys than this are checked for duplicates by sorting
 * their key hashes at the close; smaller ones compare each new key with the
 * keys before it (through a filter, see parse). */
#define DUP_LINEAR 16

/* The keys of the open objects are struct bf_jkey (json.h): h is filled in
 * only by dup_check_sorted. */

/* Parser state, local to one bf_json_parse call (the scanning position
 * lives in parse's locals). */
struct parser {
	struct bf_json *j;
	const unsigned char *s, *e;
	struct bf_jkey *keys; /* keys of the open objects, innermost last */
	int keycap;
	int err;
	const unsigned char *errp;
};

static const char *const codes[] = {
	"ok", "empty_line", "invalid_json", "truncated", "trailing_data",
	"invalid_utf8", "duplicate_key", "not_object", "too_deep",
	"too_many_tokens",
};

static const char *const messages[] = {
	"no error",
	"empty line",
	"invalid JSON",
	"truncated JSON",
	"trailing data after the JSON value",
	"invalid UTF-8",
	"duplicate key",
	"not a JSON object",
	"JSON nested too deeply",
	"JSON value too large",
};

const char *
bf_json_code(int err)
{
	if (err < 0 || err > BF_JSON_ETOOBIG)
		return "invalid_json";
	return codes[err];
}

const char *
bf_json_strerror(int err)
{
	if (err < 0 || err > BF_JSON_ETOOBIG)
		return "invalid JSON";
	return messages[err];
}

void
bf_json_free(struct bf_json *j)
{
	free(j->tok);
	free(j->aux);
	j->tok = NULL;
	j->aux = NULL;
	j->ntok = j->cap = j->auxcap = 0;
	j->s = NULL;
	j->len = 0;
}

/*
 * UTF-8 (RFC 3629). Returns the length of the valid sequence at p (p < e,
 * *p >= 0x80), 0 if it is invalid, or -1 if it is valid so far but cut short
 * by e.
 */
static int
utf8_seq(const unsigned char *p, const unsigned char *e)
{
	unsigned c = p[0], lo = 0x80, hi = 0xBF;
	int n, i;

	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if (p + i >= e)
			return -1;
		if (p[i] < lo || p[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
	}
	return n;
}

int
bf_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	int k;

	while (p < e) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((k = utf8_seq(p, e)) <= 0)
			return 0;
		p += k;
	}
	return 1;
}

/* Reads 4 hex digits at p. Returns the value, -1 for a non-hex digit (at
 * *bad), -2 when e cuts them short. */
static long
hex4(const unsigned char *p, const unsigned char *e,
    const unsigned char **bad)
{
	long v = 0;
	int i, h;

	for (i = 0; i < 4; i++) {
		if (p + i >= e)
			return -2;
		if ((h = bf_hexval(p[i])) < 0) {
			*bad = p + i;
			return -1;
		}
		v = v << 4 | h;
	}
	return v;
}

static int
fail(struct parser *ps, int err, const unsigned char *at)
{
	ps->err = err;
	ps->errp = at;
	return -1;
}

/* fail for the scanners, which return the position after what they read. */
static const unsigned char *
failp(struct parser *ps, int err, const unsigned char *at)
{
	fail(ps, err, at);
	return NULL;
}

static int
growtok(struct bf_json *j)
{
	int cap;

	if (j->cap >= BF_JSON_MAXTOK)
		return -1;
	cap = j->cap ? j->cap * 2 : 64;
	if (cap > BF_JSON_MAXTOK)
		cap = BF_JSON_MAXTOK;
	j->tok = bf_xrealloc(j->tok, (size_t)cap * sizeof(*j->tok));
	j->cap = cap;
	return 0;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    defined(__GNUC__)
#define LITTLE_CTZ 1 /* loads put the first byte lowest; __builtin_ctzll */
#endif
#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#endif
#ifdef __GNUC__
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* Skips plain string bytes from p: returns the first quote, backslash,
 * control character or non-ASCII byte at or after p, or e. */
static inline const unsigned char *
skip_plain(const unsigned char *p, const unsigned char *e)
{
#if defined(__SSE2__) && defined(__GNUC__)
	/* Sixteen bytes at a time: as signed bytes, both the control
	 * characters and the bytes >= 0x80 are less than 0x20. */
	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
		    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));

		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	/* Eight bytes at a time while none is a quote, a backslash, a
	 * control character or non-ASCII (see "Bit Twiddling Hacks": haszero
	 * and hasless). A borrow can only mark a byte above a byte that is
	 * marked rightly, so the lowest mark is exact: with little-endian
	 * loads, it says where to stop. */
	while (e - p >= 8) {
		uint64_t x, q, b, m;

		memcpy(&x, p, 8);
		q = x ^ 0x2222222222222222u;
		b = x ^ 0x5C5C5C5C5C5C5C5Cu;
		m = (((x - 0x2020202020202020u) & ~x) |
		    ((q - 0x0101010101010101u) & ~q) |
		    ((b - 0x0101010101010101u) & ~b) | x) &
		    0x8080808080808080u;
		if (m) {
#ifdef LITTLE_CTZ
			p += __builtin_ctzll(m) >> 3;
#endif
			break;
		}
		p += 8;
	}
	while (p < e && !strclass[*p])
		p++;
	return p;
}

/* The rest of a string from p, where skip_plain stopped short of a
 * closing quote: escapes, UTF-8, errors. Returns the position past the
 * closing quote, or NULL on error; sets *esc on an escape. */
static NOINLINE const unsigned char *
scan_string_slow(struct parser *ps, const unsigned char *p, int *esc)
{
	const unsigned char *e = ps->e, *bad = NULL;
	long u, u2;
	int k;

	for (;;) {
		p = skip_plain(p, e);
		if (p >= e)
			return failp(ps, BF_JSON_ETRUNCATED, e);
		switch (strclass[*p]) {
		case 1:
			return p + 1;
		case 2:
			*esc = 1;
			if (p + 1 >= e)
				return failp(ps, BF_JSON_ETRUNCATED, e);
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p += 2;
				break;
			case 'u':
				u = hex4(p + 2, e, &bad);
				if (u == -2)
					return failp(ps, BF_JSON_ETRUNCATED, e);
				if (u < 0)
					return failp(ps, BF_JSON_ESYNTAX, bad);
				if (u >= 0xDC00 && u <= 0xDFFF)
					return failp(ps, BF_JSON_EUTF8, p);
				if (u >= 0xD800 && u <= 0xDBFF) {
					/* A high surrogate needs a low one. */
					if (p + 6 >= e || (p + 7 >= e &&
					    p[6] == '\\'))
						return failp(ps,
						    BF_JSON_ETRUNCATED, e);
					if (p[6] != '\\' || p[7] != 'u')
						return failp(ps, BF_JSON_EUTF8,
						    p);
					u2 = hex4(p + 8, e, &bad);
					if (u2 == -2)
						return failp(ps,
						    BF_JSON_ETRUNCATED, e);
					if (u2 < 0)
						return failp(ps,
						    BF_JSON_ESYNTAX, bad);
					if (u2 < 0xDC00 || u2 > 0xDFFF)
						return failp(ps, BF_JSON_EUTF8,
						    p);
					p += 12;
				} else
					p += 6;
				break;
			default:
				return failp(ps, BF_JSON_ESYNTAX, p + 1);
			}
			break;
		case 3:
			return failp(ps, BF_JSON_ESYNTAX, p);
		default:
			k = utf8_seq(p, e);
			if (k < 0)
				return failp(ps, BF_JSON_ETRUNCATED, e);
			if (k == 0)
				return failp(ps, BF_JSON_EUTF8, p);
			p += k;
		}
	}
}

/* Scans the string whose opening quote is at p. Returns the position past
 * the closing quote, or NULL on error. Sets *esc when the text holds an
 * escape. The common case, plain bytes up to the quote, is inline. */
static inline const unsigned char *
scan_string(struct parser *ps, const unsigned char *p, int *esc)
{
	*esc = 0;
	p = skip_plain(p + 1, ps->e);
	if (p < ps->e && *p == '"')
		return p + 1;
	return scan_string_slow(ps, p, esc);
}

/* Number grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
 * Returns the position past the number, or NULL on error. */
static const unsigned char *
scan_number(struct parser *ps, const unsigned char *p)
{
	const unsigned char *e = ps->e;

	if (*p == '-')
		p++;
	if (p >= e)
		return failp(ps, BF_JSON_ETRUNCATED, e);
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (++p < e && ISDIGIT(*p))
			;
	else
		return failp(ps, BF_JSON_ESYNTAX, p);
	if (p < e && *p == '.') {
		if (++p >= e)
			return failp(ps, BF_JSON_ETRUNCATED, e);
		if (!ISDIGIT(*p))
			return failp(ps, BF_JSON_ESYNTAX, p);
		while (++p < e && ISDIGIT(*p))
			;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		if (++p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e)
			return failp(ps, BF_JSON_ETRUNCATED, e);
		if (!ISDIGIT(*p))
			return failp(ps, BF_JSON_ESYNTAX, p);
		while (++p < e && ISDIGIT(*p))
			;
	}
	/* "01", "1.2.3", "1e5e" and "1x" are malformed numbers, not a
	 * number followed by trailing data. */
	if (p < e && (ISDIGIT(*p) || *p == '.' || *p == 'e' || *p == 'E' ||
	    *p == '+' || *p == '-' || (*p >= 'a' && *p <= 'z') ||
	    (*p >= 'A' && *p <= 'Z')))
		return failp(ps, BF_JSON_ESYNTAX, p);
	return p;
}

static const unsigned char *
scan_literal(struct parser *ps, const unsigned char *p, const char *lit,
    size_t n)
{
	const unsigned char *e = ps->e;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p + i >= e)
			return failp(ps, BF_JSON_ETRUNCATED, e);
		if (p[i] != (unsigned char)lit[i])
			return failp(ps, BF_JSON_ESYNTAX, p + i);
	}
	p += n;
	if (p < e && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    ISDIGIT(*p)))
		return failp(ps, BF_JSON_ESYNTAX, p);
	return p;
}

/*
 * Unescaped string content, one byte at a time, from a string token's text
 * (already validated by the tokenizer).
 */
struct sit {
	const unsigned char *p, *e;
	unsigned char buf[4];
	int bi, bn;
};

static void
sit_init(struct sit *it, const struct bf_json *j, const struct bf_jtok *t)
{
	it->p = (const unsigned char *)j->s + t->start + 1;
	it->e = (const unsigned char *)j->s + t->end - 1;
	it->bi = it->bn = 0;
}

static int
utf8_put(unsigned char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Decodes the escape at p (p[0] == '\\') into out; returns the bytes
 * written and advances *pp past the escape. */
static int
unescape_one(const unsigned char **pp, unsigned char *out)
{
	const unsigned char *p = *pp;
	unsigned long u, u2;

	switch (p[1]) {
	case 'b': out[0] = '\b'; break;
	case 'f': out[0] = '\f'; break;
	case 'n': out[0] = '\n'; break;
	case 'r': out[0] = '\r'; break;
	case 't': out[0] = '\t'; break;
	case 'u':
		u = (unsigned long)bf_hexval(p[2]) << 12 | bf_hexval(p[3]) << 8 |
		    bf_hexval(p[4]) << 4 | bf_hexval(p[5]);
		if (u >= 0xD800 && u <= 0xDBFF) {
			u2 = (unsigned long)bf_hexval(p[8]) << 12 |
			    bf_hexval(p[9]) << 8 | bf_hexval(p[10]) << 4 |
			    bf_hexval(p[11]);
			u = 0x10000 + ((u - 0xD800) << 10) + (u2 - 0xDC00);
			*pp = p + 12;
		} else
			*pp = p + 6;
		return utf8_put(out, u);
	default: out[0] = p[1]; break; /* " \ / */
	}
	*pp = p + 2;
	return 1;
}

static int
sit_next(struct sit *it)
{
	if (it->bi < it->bn)
		return it->buf[it->bi++];
	if (it->p >= it->e)
		return -1;
	if (*it->p != '\\')
		return *it->p++;
	it->bn = unescape_one(&it->p, it->buf);
	it->bi = 1;
	return it->buf[0];
}

/* A cheap hash of a key's unescaped bytes: its length and up to 8 bytes
 * from each end. Collisions only cost a full comparison. */
static uint32_t
hash_bytes(const unsigned char *p, size_t n)
{
	uint64_t a = 0, b = 0;

	if (n >= 8) {
		memcpy(&a, p, 8);
		memcpy(&b, p + n - 8, 8);
	} else {
		size_t i;

		for (i = 0; i < n; i++)
			a = a << 8 | p[i];
	}
	a = (a ^ (b * 0x9E3779B97F4A7C15u) ^ n) * 0xFF51AFD7ED558CCDu;
	return (uint32_t)(a >> 32) ^ (uint32_t)a;
}

static uint32_t
key_hash(const struct bf_json *j, const struct bf_jtok *t)
{
	const unsigned char *p = (const unsigned char *)j->s + t->start + 1;
	size_t n = (size_t)(t->end - t->start - 2);
	unsigned char small[256], *buf;
	struct sit it;
	uint32_t h;
	size_t k = 0;
	int c;

	if (!t->esc)
		return hash_bytes(p, n);
	/* Unescaped text is never longer than its escaped form. */
	buf = n <= sizeof(small) ? small : bf_xmalloc(n);
	sit_init(&it, j, t);
	while ((c = sit_next(&it)) >= 0)
		buf[k++] = (unsigned char)c;
	h = hash_bytes(buf, k);
	if (buf != small)
		free(buf);
	return h;
}

/* 1 when string tokens a and b hold the same text after unescaping. */
static int
str_tok_eq(const struct bf_json *j, const struct bf_jtok *a,
    const struct bf_jtok *b)
{
	struct sit ia, ib;
	int c;

	if (!a->esc && !b->esc)
		return a->end - a->start == b->end - b->start &&
		    memcmp(j->s + a->start, j->s + b->start,
		    (size_t)(a->end - a->start)) == 0;
	sit_init(&ia, j, a);
	sit_init(&ib, j, b);
	do {
		c = sit_next(&ia);
		if (c != sit_next(&ib))
			return 0;
	} while (c >= 0);
	return 1;
}

static int
keycmp(const void *va, const void *vb)
{
	const struct bf_jkey *a = va, *b = vb;

	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return (a->tok > b->tok) - (a->tok < b->tok);
}

/* Orders string tokens a and b by their bytes after unescaping. */
static int
str_tok_cmp(const struct bf_json *j, const struct bf_jtok *a,
    const struct bf_jtok *b)
{
	struct sit ia, ib;
	int ca, cb;

	if (!a->esc && !b->esc) {
		size_t na = (size_t)(a->end - a->start - 2);
		size_t nb = (size_t)(b->end - b->start - 2);
		int c = memcmp(j->s + a->start + 1, j->s + b->start + 1,
		    na < nb ? na : nb);

		if (c != 0)
			return c < 0 ? -1 : 1;
		return (na > nb) - (na < nb);
	}
	sit_init(&ia, j, a);
	sit_init(&ib, j, b);
	do {
		ca = sit_next(&ia);
		cb = sit_next(&ib);
		if (ca != cb)
			return ca < cb ? -1 : 1;
	} while (ca >= 0);
	return 0;
}

/* Orders keys by text, then by token index. */
static int
key_text_cmp(const struct bf_json *j, const struct bf_jkey *a,
    const struct bf_jkey *b)
{
	int c = str_tok_cmp(j, &j->tok[a->tok], &j->tok[b->tok]);

	if (c != 0)
		return c;
	return (a->tok > b->tok) - (a->tok < b->tok);
}

static void
sift_down(const struct bf_json *j, struct bf_jkey *k, int i, int n)
{
	struct bf_jkey t;
	int c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && key_text_cmp(j, &k[c], &k[c + 1]) < 0)
			c++;
		if (key_text_cmp(j, &k[i], &k[c]) >= 0)
			return;
		t = k[i];
		k[i] = k[c];
		k[c] = t;
		i = c;
	}
}

/* Heapsort of the n keys k by text (qsort has no context argument). */
static void
sort_by_text(const struct bf_json *j, struct bf_jkey *k, int n)
{
	struct bf_jkey t;
	int i;

	for (i = n / 2 - 1; i >= 0; i--)
		sift_down(j, k, i, n);
	for (i = n - 1; i > 0; i--) {
		t = k[0];
		k[0] = k[i];
		k[i] = t;
		sift_down(j, k, 0, i);
	}
}

/* Checks the n keys k of a closing object when there are more than
 * DUP_LINEAR of them: sorted by hash, then each run of equal hashes by text,
 * so that duplicates are neighbours. Sorting the runs (rather than comparing
 * all pairs in a run) keeps keys crafted to share a hash from costing
 * quadratic time. */
static int
dup_check_sorted(struct parser *ps, struct bf_jkey *k, int n)
{
	const struct bf_json *j = ps->j;
	int i, m, a, dup = -1;

	for (i = 0; i < n; i++)
		k[i].h = key_hash(j, &j->tok[k[i].tok]);
	qsort(k, (size_t)n, sizeof(*k), keycmp);
	for (i = 0; i < n; i = m) {
		for (m = i + 1; m < n && k[m].h == k[i].h; m++)
			;
		if (m - i < 2)
			continue;
		sort_by_text(j, k + i, m - i);
		/* In a run of equal texts the first has the lowest index;
		 * the others repeat it. */
		for (a = i + 1; a < m; a++)
			if (str_tok_eq(j, &j->tok[k[a - 1].tok],
			    &j->tok[k[a].tok]) && (dup < 0 || k[a].tok < dup))
				dup = k[a].tok;
	}
	if (dup >= 0)
		return fail(ps, BF_JSON_EDUPKEY, ps->s + j->tok[dup].start);
	return 0;
}

/* The length and first 8 bytes (struct bf_jkey) of key token t, which
 * holds an escape, after unescaping. */
static void
key_word_esc(const struct bf_json *j, const struct bf_jtok *t,
    struct bf_jkey *k)
{
	struct sit it;
	uint64_t w = 0;
	int c, n = 0;

	sit_init(&it, j, t);
	while ((c = sit_next(&it)) >= 0) {
		if (n < 8)
			w |= (uint64_t)c << (8 * n);
		n++;
	}
	k->w = w;
	k->len = n;
}

/* The first 8 bytes of p[0..n) (zero-padded, first byte lowest), reading
 * only those bytes. */
static inline uint64_t
word_of(const unsigned char *p, size_t n)
{
	uint64_t w = 0;

#ifdef LITTLE_CTZ
	uint32_t lo, hi;

	if (n >= 8) {
		memcpy(&w, p, 8);
	} else if (n >= 4) {
		/* Two loads that overlap on equal bytes. */
		memcpy(&lo, p, 4);
		memcpy(&hi, p + n - 4, 4);
		w = lo | (uint64_t)hi << (8 * (n - 4));
	} else if (n > 0) {
		/* First, middle and last byte (some the same). */
		w = p[0] | (uint64_t)p[n / 2] << (8 * (n / 2)) |
		    (uint64_t)p[n - 1] << (8 * (n - 1));
	}
#else
	size_t i;

	for (i = 0; i < n && i < 8; i++)
		w |= (uint64_t)p[i] << (8 * i);
#endif
	return w;
}

/* 1 when a[0..n) equals b[0..n): for keys, which are short, without a
 * call. */
static inline int
bytes_eq(const unsigned char *a, const unsigned char *b, size_t n)
{
	for (; n >= 8; a += 8, b += 8, n -= 8)
		if (word_of(a, 8) != word_of(b, 8))
			return 0;
	return word_of(a, n) == word_of(b, n);
}

/* word_of for a key inside the line: when 8 bytes may be read (e bounds
 * them), one load and a mask. */
static inline uint64_t
key_word(const unsigned char *p, size_t n, const unsigned char *e)
{
	uint64_t w;

#ifdef LITTLE_CTZ
	if (e - p >= 8) {
		memcpy(&w, p, 8);
		return n >= 8 ? w : w & (((uint64_t)1 << (8 * n)) - 1);
	}
#endif
	w = word_of(p, n);
	return w;
}

static struct bf_jkey *
growkeys(struct parser *ps)
{
	ps->keycap = ps->keycap ? ps->keycap * 2 : 64;
	ps->keys = bf_xrealloc(ps->keys,
	    (size_t)ps->keycap * sizeof(*ps->keys));
	return ps->keys;
}

/* An open object or array, saved while a nested one is parsed. */
struct frame {
	int tok;       /* its token, -1 outside the root */
	int size;      /* members (keys) or elements so far */
	int isobj;
	uint64_t seen; /* objects: filter of the keys so far, see below */
};

/* The tokenizer: a state machine on labels (value, key, after), the
 * innermost open container in locals (cur, size, isobj, seen), outer ones
 * on stack. Everything hot stays in locals: stores into tokens cannot then
 * force counters to be re-read from memory. Duplicate keys: keys of the
 * open objects are in keys[0..nkeys), innermost object's last; each new key
 * of an object with fewer than DUP_LINEAR keys before it is compared with
 * them, unless its bit in seen (64 bits, one per key length and first 8
 * bytes' hash) is clear; bigger objects are checked at their close. */
static int
parse(struct parser *ps, const unsigned char *p)
{
	struct bf_json *j = ps->j;
	const unsigned char *const s = ps->s, *const e = ps->e;
	const unsigned char *q;
	struct bf_jtok *tok = j->tok, *t;
	struct bf_jkey *keys = ps->keys, *k;
	struct frame stack[BF_JSON_MAXDEPTH];
	uint64_t seen = 0, bit;
	int ntok = 0, cap = j->cap, nkeys = 0, keycap = ps->keycap;
	int depth = 0, cur = -1, size = 0, isobj = 0, esc, i;
	unsigned c;

/* A new token of type ty at p, as t; fails with ETOOBIG at p when there
 * are BF_JSON_MAXTOK tokens already. */
/* p past white space, at the byte c; else ETRUNCATED at the end or ESYNTAX
 * at another byte (a key's quote, its colon). */
#define EXPECT(c) do {							\
	while (p < e && ISWS(*p))					\
		p++;							\
	if (p >= e)							\
		return fail(ps, BF_JSON_ETRUNCATED, e);			\
	if (*p != (c))							\
		return fail(ps, BF_JSON_ESYNTAX, p);			\
} while (0)
#define NEWTOK(ty) do {							\
	if (ntok == cap) {						\
		if (growtok(j) < 0)					\
			return fail(ps, BF_JSON_ETOOBIG, p);		\
		tok = j->tok;						\
		cap = j->cap;						\
	}								\
	t = &tok[ntok++];						\
	t->type = (ty);							\
	t->start = (int)(p - s);					\
	t->size = 0;							\
	t->parent = cur;						\
	t->esc = 0;							\
} while (0)

value:
	while (p < e && ISWS(*p))
		p++;
	if (p >= e)
		return fail(ps, BF_JSON_ETRUNCATED, e);
	c = *p;
	switch (c) {
	case '"':
		NEWTOK(BF_JSON_STRING);
		if ((q = scan_string(ps, p, &esc)) == NULL)
			return -1;
		t->esc = esc;
		break;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		NEWTOK(BF_JSON_NUMBER);
		if ((q = scan_number(ps, p)) == NULL)
			return -1;
		break;
	case '{':
	case '[':
		if (depth == BF_JSON_MAXDEPTH)
			return fail(ps, BF_JSON_EDEPTH, p);
		NEWTOK(c == '{' ? BF_JSON_OBJECT : BF_JSON_ARRAY);
		if (!isobj)
			size++; /* an element of the enclosing array */
		stack[depth].tok = cur;
		stack[depth].size = size;
		stack[depth].isobj = isobj;
		stack[depth].seen = seen;
		depth++;
		cur = ntok - 1;
		size = 0;
		seen = 0;
		isobj = c == '{';
		p++;
		while (p < e && ISWS(*p))
			p++;
		if (p < e && *p == (isobj ? '}' : ']')) {
			p++;
			goto close;
		}
		if (isobj)
			goto key;
		goto value;
	case 't':
		NEWTOK(BF_JSON_TRUE);
		if ((q = scan_literal(ps, p, "true", 4)) == NULL)
			return -1;
		break;
	case 'f':
		NEWTOK(BF_JSON_FALSE);
		if ((q = scan_literal(ps, p, "false", 5)) == NULL)
			return -1;
		break;
	case 'n':
		NEWTOK(BF_JSON_NULL);
		if ((q = scan_literal(ps, p, "null", 4)) == NULL)
			return -1;
		break;
	default:
		if (c >= 0x80 && utf8_seq(p, e) == 0)
			return fail(ps, BF_JSON_EUTF8, p);
		return fail(ps, BF_JSON_ESYNTAX, p);
	}
	/* A scalar from p to q. */
	t->end = (int)(q - s);
	p = q;
	if (!isobj)
		size++;
after:
	/* A value is complete: a separator, a close or the end follows. */
	if (depth == 0) {
		while (p < e && ISWS(*p))
			p++;
		if (p < e)
			return fail(ps, BF_JSON_ETRAILING, p);
		j->ntok = ntok;
		return 0;
	}
	while (p < e && ISWS(*p))
		p++;
	if (p >= e)
		return fail(ps, BF_JSON_ETRUNCATED, e);
	c = *p++;
	if (c == ',') {
		if (isobj)
			goto key;
		goto value;
	}
	if (c != (isobj ? '}' : ']'))
		return fail(ps, BF_JSON_ESYNTAX, p - 1);
close:
	/* The container cur closes at p - 1. */
	if (isobj) {
		if (size > DUP_LINEAR &&
		    dup_check_sorted(ps, keys + nkeys - size, size) < 0)
			return -1;
		nkeys -= size;
	}
	tok[cur].end = (int)(p - s);
	tok[cur].size = size;
	depth--;
	cur = stack[depth].tok;
	size = stack[depth].size;
	isobj = stack[depth].isobj;
	seen = stack[depth].seen;
	goto after;

key:
	EXPECT('"');
	NEWTOK(BF_JSON_STRING);
	if ((q = scan_string(ps, p, &esc)) == NULL)
		return -1;
	t->end = (int)(q - s);
	t->esc = esc;
	if (nkeys == keycap) {
		keys = growkeys(ps);
		keycap = ps->keycap;
	}
	k = &keys[nkeys];
	k->tok = ntok - 1;
	if (!esc) {
		k->len = (int)(q - p - 2);
		k->w = key_word(p + 1, (size_t)k->len, e);
	} else
		key_word_esc(j, t, k);
	bit = (uint64_t)1 << (((k->w ^ (uint64_t)k->len) *
	    0x9E3779B97F4A7C15u) >> 58);
	if (size < DUP_LINEAR && (seen & bit))
		for (i = nkeys - size; i < nkeys; i++)
			if (keys[i].w == k->w && keys[i].len == k->len &&
			    (k->len <= 8 || str_tok_eq(j, &tok[keys[i].tok],
			    t)))
				return fail(ps, BF_JSON_EDUPKEY, p);
	seen |= bit;
	nkeys++;
	size++;
	p = q;
	EXPECT(':');
	p++;
	goto value;
#undef NEWTOK
#undef EXPECT
}

int
bf_json_parse(struct bf_json *j, const char *s, size_t len, int flags,
    size_t *errpos)
{
	struct parser ps;
	const unsigned char *p, *e;

	j->s = s;
	j->len = len;
	j->ntok = 0;
	p = (const unsigned char *)s;
	e = p + len;
	while (p < e && ISWS(*p))
		p++;
	if (p == e) {
		if (errpos)
			*errpos = len;
		return BF_JSON_EEMPTY;
	}
	if (len > INT_MAX - 1) {
		if (errpos)
			*errpos = 0;
		return BF_JSON_ETOOBIG;
	}
	ps.j = j;
	ps.s = (const unsigned char *)s;
	ps.e = e;
	ps.keys = (struct bf_jkey *)j->aux;
	ps.keycap = j->auxcap;
	ps.err = BF_JSON_OK;
	ps.errp = NULL;
	if (parse(&ps, p) < 0) {
		j->aux = ps.keys;
		j->auxcap = ps.keycap;
		j->ntok = 0;
		if (errpos)
			*errpos = (size_t)(ps.errp - ps.s);
		return ps.err;
	}
	j->aux = ps.keys;
	j->auxcap = ps.keycap;
	if ((flags & BF_JSON_WANT_OBJECT) && j->tok[0].type != BF_JSON_OBJECT) {
		if (errpos)
			*errpos = (size_t)j->tok[0].start;
		return BF_JSON_ENOTOBJECT;
	}
	if (errpos)
		*errpos = 0;
	return BF_JSON_OK;
}

/* The external definition of the inline bf_json_skip (json.h). */
extern inline int bf_json_skip(const struct bf_json *j, int t);

/* 1 when the string token t equals s[0..n) after unescaping. */
static int
tok_eq(const struct bf_json *j, const struct bf_jtok *t, const char *s,
    size_t n)
{
	struct sit it;
	size_t i;
	int c;

	if (!t->esc)
		return (size_t)(t->end - t->start - 2) == n &&
		    memcmp(j->s + t->start + 1, s, n) == 0;
	sit_init(&it, j, t);
	for (i = 0; (c = sit_next(&it)) >= 0; i++)
		if (i >= n || (unsigned char)s[i] != c)
			return 0;
	return i == n;
}

int
bf_json_streqn(const struct bf_json *j, int t, const char *s, size_t n)
{
	if (t < 0 || t >= j->ntok || j->tok[t].type != BF_JSON_STRING)
		return 0;
	return tok_eq(j, &j->tok[t], s, n);
}

/* The external definition of the inline bf_json_root_keys (json.h). */
extern inline int bf_json_root_keys(const struct bf_json *j,
    const struct bf_jkey **keys);

/* The external definition of the inline bf_json_get (json.h). */
extern inline int bf_json_get(const struct bf_json *j, int obj,
    const char *key);

/* bf_json_get of the root: after a successful parse whose root is an
 * object, its keys are the first tok[0].size entries of the key table
 * (parse leaves them there, in document order or, over DUP_LINEAR keys, in
 * dup_check_sorted's order: keys are unique, so the order does not matter).
 * Entries hold each key's length and first 8 bytes after unescaping, so
 * most keys are ruled out by one comparison. */
static int
get_root(const struct bf_json *j, const char *key, size_t n)
{
	const struct bf_jkey *k = j->aux, *ke;
	const struct bf_jtok *t;
	uint64_t w;

	if (j->tok[0].size == 0) /* (then aux may be NULL) */
		return -1;
	ke = k + j->tok[0].size;
	w = word_of((const unsigned char *)key, n);
	for (; k < ke; k++) {
		if (k->w != w || (size_t)k->len != n)
			continue;
		if (n <= 8)
			return k->tok + 1;
		t = &j->tok[k->tok];
		if (!t->esc ? bytes_eq((const unsigned char *)j->s +
		    t->start + 9, (const unsigned char *)key + 8, n - 8) :
		    tok_eq(j, t, key, n))
			return k->tok + 1;
	}
	return -1;
}

int
bf_json_getn(const struct bf_json *j, int obj, const char *key, size_t n)
{
	const struct bf_jtok *k;
	int i, m, size, type;

	if (obj < 0 || obj >= j->ntok || j->tok[obj].type != BF_JSON_OBJECT)
		return -1;
	if (obj == 0)
		return get_root(j, key, n);
	size = j->tok[obj].size;
	for (i = obj + 1, m = 0; m < size; m++) {
		k = &j->tok[i];
		if (!k->esc ? (size_t)(k->end - k->start - 2) == n &&
		    (n == 0 || (j->s[k->start + 1] == key[0] &&
		    memcmp(j->s + k->start + 1, key, n) == 0)) :
		    tok_eq(j, k, key, n))
			return i + 1;
		type = j->tok[i + 1].type;
		i = type == BF_JSON_OBJECT || type == BF_JSON_ARRAY ?
		    bf_json_skip(j, i + 1) : i + 2;
	}
	return -1;
}

const char *
bf_json_raw(const struct bf_json *j, int t, size_t *n)
{
	if (t < 0 || t >= j->ntok) {
		if (n)
			*n = 0;
		return NULL;
	}
	if (n)
		*n = (size_t)(j->tok[t].end - j->tok[t].start);
	return j->s + j->tok[t].start;
}

int
bf_json_streq(const struct bf_json *j, int t, const char *s)
{
	if (t < 0 || t >= j->ntok || j->tok[t].type != BF_JSON_STRING)
		return 0;
	return tok_eq(j, &j->tok[t], s, strlen(s));
}

int
bf_json_str(const struct bf_json *j, int t, struct bf_buf *out)
{
	const struct bf_jtok *tk;
	const unsigned char *p, *e, *q;
	unsigned char tmp[4];

	if (t < 0 || t >= j->ntok || j->tok[t].type != BF_JSON_STRING)
		return -1;
	tk = &j->tok[t];
	p = (const unsigned char *)j->s + tk->start + 1;
	e = (const unsigned char *)j->s + tk->end - 1;
	if (!tk->esc) {
		bf_buf_add(out, p, (size_t)(e - p));
		return 0;
	}
	bf_buf_grow(out, (size_t)(e - p));
	while (p < e) {
		for (q = p; q < e && *q != '\\'; q++)
			;
		bf_buf_add(out, p, (size_t)(q - p));
		if (q >= e)
			break;
		p = q;
		bf_buf_add(out, tmp, (size_t)unescape_one(&p, tmp));
	}
	return 0;
}

int
bf_json_get_str(const struct bf_json *j, const char *key, struct bf_buf *out)
{
	int t;

	bf_buf_reset(out);
	if (j->ntok == 0 || (t = bf_json_get(j, 0, key)) < 0 ||
	    j->tok[t].type != BF_JSON_STRING)
		return -1;
	return bf_json_str(j, t, out);
}

int
bf_json_int(const struct bf_json *j, int t, long long *v)
{
	const char *p, *e;
	unsigned long long u = 0, lim;
	int neg = 0;

	if (t < 0 || t >= j->ntok || j->tok[t].type != BF_JSON_NUMBER)
		return -1;
	p = j->s + j->tok[t].start;
	e = j->s + j->tok[t].end;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
	for (; p < e; p++) {
		if (!ISDIGIT(*p))
			return -1;
		if (u > (lim - (unsigned)(*p - '0')) / 10)
			return -1;
		u = u * 10 + (unsigned)(*p - '0');
	}
	if (neg)
		*v = u == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN :
		    -(long long)u;
	else
		*v = (long long)u;
	return 0;
}

void
bf_json_put_str(struct bf_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *e = p + n, *q;
	char esc[6];

	bf_buf_grow(out, n + 2);
	bf_buf_putc(out, '"');
	while (p < e) {
		for (q = p; q < e && *q >= 0x20 && *q != '"' && *q != '\\';
		    q++)
			;
		bf_buf_add(out, p, (size_t)(q - p));
		if (q >= e)
			break;
		esc[0] = '\\';
		switch (*q) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[*q >> 4];
			esc[5] = hex[*q & 15];
			bf_buf_add(out, esc, 6);
			p = q + 1;
			continue;
		}
		bf_buf_add(out, esc, 2);
		p = q + 1;
	}
	bf_buf_putc(out, '"');
}

void
bf_json_put_kv_str(struct bf_buf *out, const char *key, const char *val)
{
	bf_buf_putc(out, ',');
	bf_json_put_str(out, key, strlen(key));
	bf_buf_putc(out, ':');
	bf_json_put_str(out, val, strlen(val));
}

/* Drop lists longer than this still work, measured per comparison. */
#define REWRITE_MAXDROP 32

void
bf_json_rewrite(const struct bf_json *j, struct bf_buf *out,
    const char *const *drop, const char *extra)
{
	const struct bf_jtok *o, *k;
	int i, m, v, next, first = 1, nd = 0, di;
	const char *const *d;
	size_t dlen[REWRITE_MAXDROP], klen;

	if (j->ntok == 0)
		return;
	o = &j->tok[0];
	if (o->type != BF_JSON_OBJECT) {
		bf_buf_add(out, j->s + o->start, (size_t)(o->end - o->start));
		return;
	}
	/* The drop keys' lengths, once per call (a longer list falls back to
	 * strlen per comparison). */
	if (drop)
		for (d = drop; *d && nd < REWRITE_MAXDROP; d++)
			dlen[nd++] = strlen(*d);
	bf_buf_grow(out, (size_t)(o->end - o->start) +
	    (extra ? strlen(extra) : 0) + 2);
	bf_buf_putc(out, '{');
	for (i = 1, m = 0; m < o->size; m++, i = next) {
		v = i + 1;
		next = bf_json_skip(j, v);
		if (drop) {
			k = &j->tok[i];
			/* Unescaped, a key is at most as long as its raw
			 * text; without escapes, exactly as long. */
			klen = (size_t)(k->end - k->start - 2);
			for (d = drop, di = 0; *d; d++, di++) {
				size_t n = di < nd ? dlen[di] : strlen(*d);

				if (!k->esc ? n == klen && (n == 0 ||
				    (j->s[k->start + 1] == (*d)[0] &&
				    memcmp(j->s + k->start + 1, *d, n) == 0)) :
				    n <= klen && tok_eq(j, k, *d, n))
					break;
			}
			if (*d)
				continue;
		}
		if (!first)
			bf_buf_putc(out, ',');
		first = 0;
		bf_buf_add(out, j->s + j->tok[i].start,
		    (size_t)(j->tok[v].end - j->tok[i].start));
	}
	if (extra && *extra) {
		if (!first)
			bf_buf_putc(out, ',');
		bf_buf_puts(out, extra);
	}
	bf_buf_putc(out, '}');
}
