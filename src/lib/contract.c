/*
 * contract.c: loading and checking the data contract (see contract.h).
 *
 * The contract document stays in memory, parsed once (struct bf_json); the
 * compiled schema nodes point into it for enum and const values. Instances
 * are checked directly on their tokens: nothing is copied or re-serialised
 * except strings with escapes, which are unescaped when a keyword needs
 * their value.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contract.h"
#include "hash.h"
#include "timeutil.h"
#include "units.h"

/* Instance types as a bit set. */
enum {
	T_NULL = 1,
	T_BOOL = 2,
	T_OBJECT = 4,
	T_ARRAY = 8,
	T_NUMBER = 16,
	T_STRING = 32,
	T_INTEGER = 64,
};

/* An exact number: (neg ? -1 : 1) * 0.d[0]d[1]...d[nd-1] * 10^e, with no
 * leading or trailing zero digit; nd == 0 for zero. */
struct num {
	int neg;
	long e;
	size_t nd;
	const char *d;
};

enum { FMT_NONE, FMT_ANNOTATION, FMT_DATE_TIME, FMT_DATE };

/* Which numeric keywords a node has. */
enum { N_MIN = 1, N_MAX = 2, N_XMIN = 4, N_XMAX = 8, N_MULT = 16 };

/* Which checks a node has besides $ref and type (struct snode's checks),
 * set when the contract is loaded: a node without them, such as
 * {"type": "string"}, is done after its type. */
enum {
	C_ENUM = 1,   /* enum */
	C_CONST = 2,  /* const */
	C_NUM = 4,    /* a numeric keyword */
	C_STR = 8,    /* minLength, maxLength, pattern, an asserted format */
	C_OBJ = 16,   /* an object keyword */
	C_ARR = 32,   /* an array keyword */
	C_APPL = 64,  /* allOf, anyOf, oneOf, not, if */
};

/* Results of recent matches: telemetry strings (instance ids, sources)
 * repeat, and regexec in a UTF-8 locale is slow. Exact strings only. */
#define RC_SLOTS 256
#define RC_MAXLEN 56
struct rcache {
	unsigned char len;  /* 0: empty slot (the empty string is not cached) */
	signed char match;
	char s[RC_MAXLEN];
};

struct re {
	regex_t re;
	char *src;          /* the ECMA-262 source, for messages; owned */
	int ok;             /* re was compiled (regfree needed) */
	struct rcache *cache; /* RC_SLOTS entries; owned */
};

/* The raw text of the last value that passed a node's value checks
 * (enum, const, numeric and string keywords): they depend on nothing else,
 * and telemetry repeats values (a window's bounds, the instance, the
 * source), which then cost a comparison. Written while checking, like a
 * regex's cache. */
struct vmemo {
	size_t len;         /* 0: empty (no value has empty text) */
	char s[48];
};

struct prop {
	char *key;          /* unescaped; owned */
	size_t len;
	struct snode *s;
};

struct pprop {
	struct re re;
	struct snode *s;
};

struct dep {
	char *key;
	size_t len;
	char **names;       /* dependentRequired */
	size_t *lens;
	int n;
	struct snode *s;    /* dependentSchemas */
	int keyid;          /* key's entry in the node's name table */
	int *ids;           /* names' entries (dependentRequired) */
};

/* One name an object schema looks members up by. */
struct oname {
	const char *s;      /* borrowed from the node's lists */
	size_t len;
	int prop;           /* its index in props, or -1 */
};

struct snode {
	int tok;            /* its token in the contract document */
	int boolval;        /* -1, or 0/1 for the schemas false/true */
	char *loc;          /* JSON pointer in the contract; owned */
	unsigned types;     /* 0: no "type" keyword */
	struct prop *props;
	int nprops;
	struct pprop *pprops;
	int npprops;
	struct snode *addl, *propnames;
	char **req;
	size_t *reqlen;
	int nreq;
	struct dep *depreq, *depsch;
	int ndepreq, ndepsch;
	long minprops, maxprops;
	int has_enum, nenum;
	int *enumtok;
	int consttok;       /* -1 when no const */
	unsigned numflags;
	struct num min, max, xmin, xmax, mult;
	long minlen, maxlen;
	struct re *pattern;
	int format;
	struct snode *items, **prefix;
	int nprefix;
	struct snode *contains;
	long mincontains, maxcontains;
	long minitems, maxitems;
	int unique;
	struct snode **allof, **anyof, **oneof;
	int nallof, nanyof, noneof;
	struct snode *not, *if_, *then_, *else_;
	struct snode *ref;
	int color;          /* for the loop check */
	/* Every name of properties, required, dependentRequired and
	 * dependentSchemas once, and a hash table of them (nslot entries,
	 * a power of two; -1 empty), built when the contract is loaded:
	 * v_object reads an instance's members once and finds each one's
	 * name here instead of searching the object for every name. */
	struct oname *names;
	int nnames;
	int *slots;
	int nslot;
	int *reqid;         /* required[i]'s entry in names */
	unsigned checks;    /* C_* */
	struct vmemo *memo; /* when checks are only value checks; owned */
};

struct resource {
	char *uri;          /* absolute, without fragment; owned */
	int tok;
};

struct anchor {
	char *uri;          /* of the resource it belongs to; owned */
	char *name;
	int tok;
};

struct pendref {
	struct snode *s;
	char *uri;          /* absolute, with fragment; owned */
	int tok;            /* the $ref value's token, for messages */
};

struct pathel {
	int key;            /* key token, or -1 for an array index */
	long idx;
};

struct bf_contract {
	char *name;
	char *text;
	size_t len;
	struct bf_json doc;
	int flags;
	int assert_format;
	struct snode *root;
	struct snode **node_at;   /* per token of doc; borrowed pointers */
	struct snode **all;       /* every node, owned */
	int nall, capall;
	struct resource *res;
	int nres;
	struct anchor *anchors;
	int nanchors;
	struct pendref *refs;
	int nrefs;
	struct bf_metric_rule *metrics;
	int nmetrics;
	int *mhash;               /* open addressing, -1 empty */
	int mhcap;
	int allow_unknown;
	locale_t utf8;
	/* Scratch for checking, reset (not freed) per use so that a line
	 * costs no allocation; each is used only by leaf code that runs no
	 * v_node while it holds data. Trimmed after each check when one grew
	 * beyond SCRATCH_KEEP. sn1: v_number's value; sn2: v_node's integer
	 * test; ss: v_string's value; st: v_object's member names; sm, sm2:
	 * failure message parts; se1, se2: json_eq's operands. */
	struct bf_buf sn1, sn2, ss, st, sm, sm2, se1, se2;
	struct pathel path[BF_JSON_MAXDEPTH * 2 + 8];
	int depth;
};

#define DEFAULT_BASE "urn:bf:contract"
#define WORD_CLASS "A-Za-z0-9_"
/* ECMA-262 WhiteSpace and LineTerminator, as UTF-8. */
#define SPACE_CLASS " \t\n\r\f\v\xc2\xa0\xe1\x9a\x80\xe2\x80\x80\xe2\x80\x81" \
	"\xe2\x80\x82\xe2\x80\x83\xe2\x80\x84\xe2\x80\x85\xe2\x80\x86"    \
	"\xe2\x80\x87\xe2\x80\x88\xe2\x80\x89\xe2\x80\x8a\xe2\x80\xa8"    \
	"\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\x9f\xe3\x80\x80\xef\xbb\xbf"

/* ---- numbers ---------------------------------------------------------- */

/* Parses JSON number text s[0..n) into *x. Its digits point into s when
 * the number has no fraction, else into buf; either must stay alive and
 * unchanged while x is used. Returns -1 for text that is no number. */
static int
num_parse(const char *s, size_t n, struct bf_buf *buf, struct num *x)
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

static int
num_is_int(const struct num *x)
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

/* ---- UTF-8 ------------------------------------------------------------ */

static void
utf8_put(struct bf_buf *b, uint32_t cp)
{
	if (cp < 0x80)
		bf_buf_putc(b, (int)cp);
	else if (cp < 0x800) {
		bf_buf_putc(b, (int)(0xc0 | (cp >> 6)));
		bf_buf_putc(b, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		bf_buf_putc(b, (int)(0xe0 | (cp >> 12)));
		bf_buf_putc(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		bf_buf_putc(b, (int)(0x80 | (cp & 0x3f)));
	} else {
		bf_buf_putc(b, (int)(0xf0 | (cp >> 18)));
		bf_buf_putc(b, (int)(0x80 | ((cp >> 12) & 0x3f)));
		bf_buf_putc(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		bf_buf_putc(b, (int)(0x80 | (cp & 0x3f)));
	}
}

/* Decodes one code point at s[*i] (valid UTF-8 assumed; a stray byte is
 * taken as itself). */
static uint32_t
utf8_get(const char *s, size_t n, size_t *i)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c = u[*i];
	int more = 0;

	if (c >= 0xf0) {
		c &= 0x07;
		more = 3;
	} else if (c >= 0xe0) {
		c &= 0x0f;
		more = 2;
	} else if (c >= 0xc0) {
		c &= 0x1f;
		more = 1;
	}
	(*i)++;
	while (more-- > 0 && *i < n && (u[*i] & 0xc0) == 0x80)
		c = (c << 6) | (u[(*i)++] & 0x3f);
	return c;
}

static size_t
utf8_count(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			k++;
	return k;
}

/* Appends s[0..n), cut to at most max bytes on a character boundary, with
 * "..." when cut. */
static void
put_trunc(struct bf_buf *b, const char *s, size_t n, size_t max)
{
	size_t k = n;

	if (n > max) {
		k = max;
		while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
	}
	bf_buf_add(b, s, k);
	if (k < n)
		bf_buf_puts(b, "...");
}

/* Appends a JSON pointer segment (with ~0 and ~1). */
static void
put_ptr_seg(struct bf_buf *b, const char *s, size_t n)
{
	size_t i;

	bf_buf_putc(b, '/');
	for (i = 0; i < n; i++) {
		if (s[i] == '~')
			bf_buf_puts(b, "~0");
		else if (s[i] == '/')
			bf_buf_puts(b, "~1");
		else
			bf_buf_putc(b, s[i]);
	}
}

/* ---- regular expressions ---------------------------------------------- */

static int
hexn(const char *s, size_t n, size_t i, int k, uint32_t *v)
{
	int d;

	*v = 0;
	if (i + (size_t)k > n)
		return -1;
	while (k-- > 0) {
		if ((d = bf_hexval((unsigned char)s[i++])) < 0)
			return -1;
		*v = *v * 16 + (uint32_t)d;
	}
	return 0;
}

/* The character an escape stands for: s[*i] is the character after the
 * backslash. Returns the code point, or -1 with *why set. Class escapes
 * (\d ...) are handled by the callers. */
static long
escape_char(const char *s, size_t n, size_t *i, const char **why)
{
	uint32_t v, lo;
	size_t j;
	int c = (unsigned char)s[*i];

	(*i)++;
	switch (c) {
	case 't':
		return '\t';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 'f':
		return '\f';
	case 'v':
		return '\v';
	case 'c':
		if (*i < n && ((s[*i] >= 'A' && s[*i] <= 'Z') ||
		    (s[*i] >= 'a' && s[*i] <= 'z')))
			return s[(*i)++] % 32;
		*why = "malformed control escape \\c";
		return -1;
	case 'x':
		if (hexn(s, n, *i, 2, &v) < 0) {
			*why = "malformed escape \\x";
			return -1;
		}
		*i += 2;
		return v ? (long)v : (*why = "NUL character", -1);
	case 'u':
		if (*i < n && s[*i] == '{') {
			j = *i + 1;
			v = 0;
			while (j < n && bf_hexval((unsigned char)s[j]) >= 0 &&
			    v <= 0x10ffff)
				v = v * 16 +
				    (uint32_t)bf_hexval((unsigned char)s[j++]);
			if (j >= n || s[j] != '}' || j == *i + 1 ||
			    v > 0x10ffff) {
				*why = "malformed escape \\u{...}";
				return -1;
			}
			*i = j + 1;
		} else {
			if (hexn(s, n, *i, 4, &v) < 0) {
				*why = "malformed escape \\u";
				return -1;
			}
			*i += 4;
			if (v >= 0xd800 && v <= 0xdbff) {
				if (*i + 6 <= n && s[*i] == '\\' &&
				    s[*i + 1] == 'u' &&
				    hexn(s, n, *i + 2, 4, &lo) == 0 &&
				    lo >= 0xdc00 && lo <= 0xdfff) {
					*i += 6;
					v = 0x10000 + ((v - 0xd800) << 10) +
					    (lo - 0xdc00);
				} else {
					*why = "lone surrogate escape";
					return -1;
				}
			} else if (v >= 0xdc00 && v <= 0xdfff) {
				*why = "lone surrogate escape";
				return -1;
			}
		}
		return v ? (long)v : (*why = "NUL character", -1);
	case '0':
		*why = "NUL character \\0";
		return -1;
	case 'p':
	case 'P':
		*why = "Unicode property escape \\p{...}";
		return -1;
	case 'k':
		*why = "named backreference \\k<...>";
		return -1;
	default:
		if (c >= '1' && c <= '9') {
			*why = "backreference";
			return -1;
		}
		if (c >= 0x80) {
			(*i)--;
			return (long)utf8_get(s, n, i);
		}
		return c;
	}
}

/* Appends code point cp as a literal outside brackets. */
static void
put_lit(struct bf_buf *o, uint32_t cp)
{
	if (cp < 0x80 && strchr(".[]()*+?{}|^$\\", (int)cp) != NULL)
		bf_buf_putc(o, '\\');
	utf8_put(o, cp);
}

struct crange {
	uint32_t lo, hi;
};

static void
add_range(struct crange **r, int *nr, uint32_t lo, uint32_t hi)
{
	*r = bf_xrealloc(*r, sizeof(**r) * (size_t)(*nr + 1));
	(*r)[*nr].lo = lo;
	(*r)[*nr].hi = hi;
	(*nr)++;
}

static void
add_class(struct crange **r, int *nr, int c)
{
	switch (c) {
	case 'd':
		add_range(r, nr, '0', '9');
		break;
	case 'w':
		add_range(r, nr, 'A', 'Z');
		add_range(r, nr, 'a', 'z');
		add_range(r, nr, '0', '9');
		add_range(r, nr, '_', '_');
		break;
	case 's': {
		static const uint32_t sp[] = { ' ', '\t', '\n', '\r', '\f',
			'\v', 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
			0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009,
			0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
			0xfeff };
		size_t k;

		for (k = 0; k < sizeof(sp) / sizeof(sp[0]); k++)
			add_range(r, nr, sp[k], sp[k]);
		break;
	}
	}
}

/* Emits a POSIX bracket expression for the ranges: ']' first, '[' '^' '-'
 * at the end, so that none of them takes a special meaning. */
static void
emit_bracket(struct bf_buf *o, int neg, const struct crange *r, int nr)
{
	static const uint32_t special[] = { ']', '[', '^', '-' };
	int has[4] = { 0, 0, 0, 0 }, i, k, other = 0;
	uint32_t lo, hi, c;
	struct bf_buf body = BF_BUF_INIT;

	for (i = 0; i < nr; i++) {
		lo = r[i].lo;
		hi = r[i].hi;
		/* Pull the special characters out of the range. */
		while (lo <= hi) {
			c = lo;
			while (c <= hi) {
				for (k = 0; k < 4; k++)
					if (c == special[k])
						break;
				if (k < 4)
					break;
				c++;
			}
			if (c > lo) {
				utf8_put(&body, lo);
				if (c - 1 > lo) {
					bf_buf_putc(&body, '-');
					utf8_put(&body, c - 1);
				}
				other = 1;
			}
			if (c <= hi) {
				has[k] = 1;
				c++;
			}
			lo = c;
			if (c == 0)
				break;
		}
	}
	if (!neg && !has[0] && !other && !has[1] && has[2]) {
		/* Only '^' (and maybe '-'): a bracket cannot start with it. */
		bf_buf_puts(o, has[3] ? "(\\^|-)" : "\\^");
		bf_buf_free(&body);
		return;
	}
	bf_buf_putc(o, '[');
	if (neg)
		bf_buf_putc(o, '^');
	if (has[0])
		bf_buf_putc(o, ']');
	if (body.len)
		bf_buf_add(o, body.s, body.len);
	if (has[1])
		bf_buf_putc(o, '[');
	if (has[2])
		bf_buf_putc(o, '^');
	if (has[3])
		bf_buf_putc(o, '-');
	bf_buf_putc(o, ']');
	bf_buf_free(&body);
}

/* Translates a class "[...]"; s[*i] is just past the '['. */
static int
translate_class(const char *s, size_t n, size_t *i, struct bf_buf *o,
    const char **why)
{
	struct crange *r = NULL;
	int nr = 0, neg = 0, c;
	long a, b;

	if (*i < n && s[*i] == '^') {
		neg = 1;
		(*i)++;
	}
	if (*i < n && s[*i] == ']') {
		(*i)++;
		if (neg) {
			bf_buf_putc(o, '.');
			return 0;
		}
		*why = "empty class []";
		return -1;
	}
	for (;;) {
		if (*i >= n) {
			*why = "unterminated class [";
			goto fail;
		}
		if (s[*i] == ']') {
			(*i)++;
			break;
		}
		if (s[*i] == '\\' && *i + 1 < n) {
			c = (unsigned char)s[*i + 1];
			if (c == 'd' || c == 'w' || c == 's') {
				add_class(&r, &nr, c);
				*i += 2;
				continue;
			}
			if (c == 'D' || c == 'W' || c == 'S') {
				*why = "negated class escape inside brackets";
				goto fail;
			}
			*i += 1;
			if (c == 'b') {
				(*i)++;
				a = '\b';
			} else if (c == '-') {
				(*i)++;
				a = '-';
			} else if ((a = escape_char(s, n, i, why)) < 0)
				goto fail;
		} else if (s[*i] == '\\') {
			*why = "trailing backslash";
			goto fail;
		} else
			a = (long)utf8_get(s, n, i);
		if (*i + 1 < n && s[*i] == '-' && s[*i + 1] != ']') {
			(*i)++;
			if (s[*i] == '\\' && *i + 1 >= n) {
				*why = "trailing backslash";
				goto fail;
			}
			if (s[*i] == '\\') {
				c = (unsigned char)s[*i + 1];
				if (strchr("dwsDWS", c) != NULL && c != 0) {
					*why = "class escape in a range";
					goto fail;
				}
				(*i)++;
				if (c == 'b') {
					(*i)++;
					b = '\b';
				} else if (c == '-') {
					(*i)++;
					b = '-';
				} else if ((b = escape_char(s, n, i, why)) < 0)
					goto fail;
			} else
				b = (long)utf8_get(s, n, i);
			if (b < a) {
				*why = "range out of order";
				goto fail;
			}
			add_range(&r, &nr, (uint32_t)a, (uint32_t)b);
		} else
			add_range(&r, &nr, (uint32_t)a, (uint32_t)a);
	}
	emit_bracket(o, neg, r, nr);
	free(r);
	return 0;
fail:
	free(r);
	return -1;
}

/* Length of a quantifier {n}, {n,}, {n,m} at s[i], or 0. */
static size_t
quantifier_len(const char *s, size_t n, size_t i)
{
	size_t j = i + 1;

	if (j >= n || s[j] < '0' || s[j] > '9')
		return 0;
	while (j < n && s[j] >= '0' && s[j] <= '9')
		j++;
	if (j < n && s[j] == ',') {
		j++;
		while (j < n && s[j] >= '0' && s[j] <= '9')
			j++;
	}
	if (j < n && s[j] == '}')
		return j + 1 - i;
	return 0;
}

#define RX_MAXDEPTH 64
#define RX_MAXEXPAND 1000UL
#define RX_MAXEXPAND_S "1000"

/* The largest count of a quantifier {m}, {m,} or {m,n} at s[0..q) (at least
 * 1; values are capped, which only makes the caller refuse sooner). */
static unsigned long
quantifier_max(const char *s, size_t q)
{
	unsigned long a = 0, b = 0, *v = &a;
	size_t i;

	for (i = 1; i + 1 < q; i++) {
		if (s[i] == ',') {
			v = &b;
			continue;
		}
		if (*v < 1000000)
			*v = *v * 10 + (unsigned long)(s[i] - '0');
	}
	if (b > a)
		a = b;
	return a > 0 ? a : 1;
}

int
bf_regex_translate(const char *s, size_t n, struct bf_buf *o,
    const char **why)
{
	size_t i = 0, q;
	long cp;
	int c, d = 0;
	/* What glibc's regcomp expands: a counted repetition copies its atom,
	 * so nested ones multiply (exponential memory at load time). last is
	 * the expansion of the atom a quantifier would apply to (0: none,
	 * e.g. after another quantifier, which ECMA-262 refuses too); top[d]
	 * the largest expansion inside the group at depth d. */
	unsigned long last = 0, top[RX_MAXDEPTH], u;

	top[0] = 1;
	static const char *cls[] = {
		"[0-9]", "[^0-9]", "[" WORD_CLASS "]", "[^" WORD_CLASS "]",
		"[" SPACE_CLASS "]", "[^" SPACE_CLASS "]",
	};

	*why = NULL;
	while (i < n) {
		c = (unsigned char)s[i];
		switch (c) {
		case '\\':
			if (i + 1 >= n) {
				*why = "trailing backslash";
				return -1;
			}
			c = (unsigned char)s[i + 1];
			if (c != 0 && strchr("dDwWsS", c) != NULL) {
				bf_buf_puts(o, cls[strchr("dDwWsS", c) -
				    "dDwWsS"]);
				i += 2;
				last = 1;
				break;
			}
			if (c == 'b' || c == 'B') {
				bf_buf_putc(o, '\\');
				bf_buf_putc(o, c);
				i += 2;
				last = 0;
				break;
			}
			i++;
			if ((cp = escape_char(s, n, &i, why)) < 0)
				return -1;
			put_lit(o, (uint32_t)cp);
			last = 1;
			break;
		case '[':
			i++;
			if (translate_class(s, n, &i, o, why) < 0)
				return -1;
			last = 1;
			break;
		case '(':
			if (i + 1 < n && s[i + 1] == '?') {
				if (i + 2 < n && s[i + 2] == ':') {
					i += 3;
				} else if (i + 2 < n &&
				    (s[i + 2] == '=' || s[i + 2] == '!')) {
					*why = "lookahead (?= (?!";
					return -1;
				} else if (i + 3 < n && s[i + 2] == '<' &&
				    (s[i + 3] == '=' || s[i + 3] == '!')) {
					*why = "lookbehind (?<= (?<!";
					return -1;
				} else if (i + 2 < n && s[i + 2] == '<') {
					q = i + 3;
					while (q < n && s[q] != '>')
						q++;
					if (q >= n) {
						*why = "malformed group name";
						return -1;
					}
					i = q + 1;
				} else {
					*why = "group modifier (?";
					return -1;
				}
			} else
				i++;
			if (d + 1 >= RX_MAXDEPTH) {
				*why = "groups nested too deeply";
				return -1;
			}
			top[++d] = 1;
			last = 0;
			bf_buf_putc(o, '(');
			break;
		case ')':
			bf_buf_putc(o, c);
			i++;
			if (d > 0) {
				last = top[d--];
				if (last > top[d])
					top[d] = last;
			}
			break;
		case '|':
			bf_buf_putc(o, c);
			i++;
			last = 0;
			break;
		case '*':
		case '+':
		case '?':
			if (last == 0) {
				*why = "a quantifier with nothing to repeat";
				return -1;
			}
			last = 0;
			bf_buf_putc(o, c);
			i++;
			if (i < n && s[i] == '?') {
				*why = "lazy quantifier";
				return -1;
			}
			break;
		case '{':
			if ((q = quantifier_len(s, n, i)) > 0) {
				if (last == 0) {
					*why = "a quantifier with nothing to "
					    "repeat";
					return -1;
				}
				u = quantifier_max(s + i, q);
				if (u > RX_MAXEXPAND / last) {
					*why = "counted repetitions too large "
					    "(over " RX_MAXEXPAND_S " copies)";
					return -1;
				}
				if (last * u > top[d])
					top[d] = last * u;
				last = 0;
				bf_buf_add(o, s + i, q);
				i += q;
				if (i < n && s[i] == '?') {
					*why = "lazy quantifier";
					return -1;
				}
			} else {
				bf_buf_puts(o, "\\{");
				i++;
				last = 1;
			}
			break;
		case '}':
			bf_buf_puts(o, "\\}");
			i++;
			break;
		case ']':
			bf_buf_puts(o, "\\]");
			i++;
			break;
		case '.':
			bf_buf_puts(o, "[^\n\r\xe2\x80\xa8\xe2\x80\xa9]");
			i++;
			last = 1;
			break;
		case '\0':
			*why = "NUL character";
			return -1;
		case '^':
		case '$':
			bf_buf_putc(o, c);
			i++;
			last = 0;
			break;
		default:
			bf_buf_putc(o, c);
			i++;
			last = 1;
			break;
		}
	}
	return 0;
}

/* ---- formats ---------------------------------------------------------- */

/* The number of the two digits at s, or -1 when they are not both digits.
 * (Called on every date-time of every line: no loops, few branches.) */
static inline int
d2(const char *s)
{
	unsigned a = (unsigned)((unsigned char)s[0] - '0');
	unsigned b = (unsigned)((unsigned char)s[1] - '0');

	return a <= 9 && b <= 9 ? (int)(a * 10 + b) : -1;
}

/* s[0..10) is YYYY-MM-DD, a real day. */
static int
full_date(const char *s)
{
	int y1 = d2(s), y2 = d2(s + 2), m = d2(s + 5), d = d2(s + 8);

	if (y1 < 0 || y2 < 0 || s[4] != '-' || s[7] != '-' || m < 1 ||
	    m > 12 || d < 1)
		return 0;
	return d <= 28 || d <= bf_days_in_month(y1 * 100 + y2, m);
}

int
bf_format_date_time(const char *s, size_t n)
{
	int hh, mm, ss, oh = 0, om = 0, sign = 0, mod;
	size_t p;

	if (n < 20 || !full_date(s) || (s[10] != 'T' && s[10] != 't'))
		return 0;
	hh = d2(s + 11);
	mm = d2(s + 14);
	ss = d2(s + 17);
	if (hh < 0 || mm < 0 || ss < 0 || s[13] != ':' || s[16] != ':' ||
	    hh > 23 || mm > 59 || ss > 60)
		return 0;
	p = 19;
	if (s[p] == '.') {
		p++;
		if (p >= n || s[p] < '0' || s[p] > '9')
			return 0;
		while (p < n && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	if (p < n && (s[p] == 'Z' || s[p] == 'z'))
		p++;
	else if (p + 6 == n && (s[p] == '+' || s[p] == '-')) {
		sign = s[p] == '+' ? 1 : -1;
		oh = d2(s + p + 1);
		om = d2(s + p + 4);
		if (oh < 0 || om < 0 || s[p + 3] != ':' || oh > 23 || om > 59)
			return 0;
		p += 6;
	} else
		return 0;
	if (p != n)
		return 0;
	if (ss == 60) {
		mod = hh * 60 + mm - sign * (oh * 60 + om);
		mod = ((mod % 1440) + 1440) % 1440;
		if (mod != 23 * 60 + 59)
			return 0;
	}
	return 1;
}

static int
format_date(const char *s, size_t n)
{
	return n == 10 && full_date(s);
}

/* ---- URIs (RFC 3986 reference resolution) ------------------------------ */

struct uri {
	const char *scheme, *auth, *path, *query, *frag;
	size_t sl, al, pl, ql, fl;
	int has_scheme, has_auth, has_query, has_frag;
};

static void
uri_parse(const char *s, struct uri *u)
{
	size_t i = 0, n = strlen(s), k;

	memset(u, 0, sizeof(*u));
	for (k = 0; k < n; k++) {
		char c = s[k];

		if (c == ':') {
			if (k > 0 && ((s[0] >= 'a' && s[0] <= 'z') ||
			    (s[0] >= 'A' && s[0] <= 'Z'))) {
				u->has_scheme = 1;
				u->scheme = s;
				u->sl = k;
				i = k + 1;
			}
			break;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '-' ||
		    c == '.'))
			break;
	}
	if (i + 1 < n && s[i] == '/' && s[i + 1] == '/') {
		u->has_auth = 1;
		i += 2;
		u->auth = s + i;
		while (i < n && s[i] != '/' && s[i] != '?' && s[i] != '#')
			i++;
		u->al = (size_t)(s + i - u->auth);
	}
	u->path = s + i;
	while (i < n && s[i] != '?' && s[i] != '#')
		i++;
	u->pl = (size_t)(s + i - u->path);
	if (i < n && s[i] == '?') {
		u->has_query = 1;
		u->query = s + ++i;
		while (i < n && s[i] != '#')
			i++;
		u->ql = (size_t)(s + i - u->query);
	}
	if (i < n && s[i] == '#') {
		u->has_frag = 1;
		u->frag = s + i + 1;
		u->fl = n - i - 1;
	}
}

/* RFC 3986 5.2.4. */
static void
remove_dots(const char *p, size_t n, struct bf_buf *out)
{
	struct bf_buf in = BF_BUF_INIT;
	size_t i = 0, k;

	bf_buf_add(&in, p, n);
	bf_buf_putc(&in, '\0');
	in.len--;
	while (i < in.len) {
		const char *s = in.s + i;
		size_t left = in.len - i;

		if (left >= 3 && strncmp(s, "../", 3) == 0)
			i += 3;
		else if (left >= 2 && strncmp(s, "./", 2) == 0)
			i += 2;
		else if (left >= 3 && strncmp(s, "/./", 3) == 0)
			i += 2;
		else if (left == 2 && strncmp(s, "/.", 2) == 0) {
			in.s[i + 1] = '/';
			i += 1;
		} else if ((left >= 4 && strncmp(s, "/../", 4) == 0) ||
		    (left == 3 && strncmp(s, "/..", 3) == 0)) {
			if (left == 3) {
				in.s[i + 2] = '/';
				i += 2;
			} else
				i += 3;
			while (out->len > 0 && out->s[out->len - 1] != '/')
				out->len--;
			if (out->len > 0)
				out->len--;
		} else if ((left == 1 && s[0] == '.') ||
		    (left == 2 && strncmp(s, "..", 2) == 0))
			i += left;
		else {
			k = s[0] == '/' ? 1 : 0;
			while (k < left && s[k] != '/')
				k++;
			bf_buf_add(out, s, k);
			i += k;
		}
	}
	bf_buf_free(&in);
}

/* Resolves reference ref against the absolute URI base into out. */
static void
uri_resolve(const char *base, const char *ref, struct bf_buf *out)
{
	struct uri b, r;
	struct bf_buf path = BF_BUF_INIT, m = BF_BUF_INIT;
	const struct uri *auth;
	const char *q = NULL;
	size_t ql = 0, k;
	int hq = 0;

	uri_parse(base, &b);
	uri_parse(ref, &r);
	bf_buf_reset(out);
	if (r.has_scheme) {
		bf_buf_add(out, r.scheme, r.sl);
		bf_buf_putc(out, ':');
		auth = &r;
		remove_dots(r.path, r.pl, &path);
		hq = r.has_query, q = r.query, ql = r.ql;
	} else {
		bf_buf_add(out, b.scheme, b.sl);
		if (b.has_scheme)
			bf_buf_putc(out, ':');
		if (r.has_auth) {
			auth = &r;
			remove_dots(r.path, r.pl, &path);
			hq = r.has_query, q = r.query, ql = r.ql;
		} else {
			auth = &b;
			if (r.pl == 0) {
				bf_buf_add(&path, b.path, b.pl);
				if (r.has_query)
					hq = 1, q = r.query, ql = r.ql;
				else
					hq = b.has_query, q = b.query,
					ql = b.ql;
			} else {
				if (r.path[0] == '/')
					remove_dots(r.path, r.pl, &path);
				else {
					if (b.has_auth && b.pl == 0)
						bf_buf_putc(&m, '/');
					else {
						k = b.pl;
						while (k > 0 &&
						    b.path[k - 1] != '/')
							k--;
						bf_buf_add(&m, b.path, k);
					}
					bf_buf_add(&m, r.path, r.pl);
					remove_dots(m.s, m.len, &path);
				}
				hq = r.has_query, q = r.query, ql = r.ql;
			}
		}
	}
	if (auth->has_auth) {
		bf_buf_puts(out, "//");
		bf_buf_add(out, auth->auth, auth->al);
	}
	bf_buf_add(out, path.s ? path.s : "", path.len);
	if (hq) {
		bf_buf_putc(out, '?');
		bf_buf_add(out, q, ql);
	}
	if (r.has_frag) {
		bf_buf_putc(out, '#');
		bf_buf_add(out, r.frag, r.fl);
	}
	bf_buf_free(&path);
	bf_buf_free(&m);
}

/* ---- compiling -------------------------------------------------------- */

struct comp {
	struct bf_contract *c;
	const struct bf_json *j;
	struct bf_err *e;
	struct bf_buf key;  /* scratch: the current key, unescaped */
};

static long
line_of(const struct bf_contract *c, int tok)
{
	long line = 1;
	int i, end = tok >= 0 ? c->doc.tok[tok].start : 0;

	for (i = 0; i < end; i++)
		if (c->text[i] == '\n')
			line++;
	return line;
}

static int
cerr(struct comp *k, int tok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
cerr(struct comp *k, int tok, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bf_err_set(k->e, BF_EXIT_USAGE, "%s:%ld: %s", k->c->name,
	    line_of(k->c, tok), msg);
}

static char *
loc_join(const char *loc, const char *seg, size_t n)
{
	struct bf_buf b = BF_BUF_INIT;

	bf_buf_puts(&b, loc);
	put_ptr_seg(&b, seg, n);
	return bf_buf_detach(&b);
}

static char *
loc_idx(const char *loc, const char *kw, int idx)
{
	struct bf_buf b = BF_BUF_INIT;

	bf_buf_printf(&b, "%s/%s/%d", loc, kw, idx);
	return bf_buf_detach(&b);
}

/* The unescaped text of string token t into b (reset first); 0 or -1. */
static int
tok_str(const struct bf_json *j, int t, struct bf_buf *b)
{
	bf_buf_reset(b);
	if (j->tok[t].type != BF_JSON_STRING)
		return -1;
	if (!j->tok[t].esc) {
		bf_buf_add(b, j->s + j->tok[t].start + 1,
		    (size_t)(j->tok[t].end - j->tok[t].start - 2));
		if (b->s == NULL)
			bf_buf_puts(b, "");
		return 0;
	}
	if (bf_json_str(j, t, b) < 0)
		return -1;
	if (b->s == NULL)
		bf_buf_puts(b, "");
	return 0;
}

static char *
tok_strdup(const struct bf_json *j, int t, size_t *len)
{
	struct bf_buf b = BF_BUF_INIT;

	tok_str(j, t, &b);
	if (len)
		*len = b.len;
	if (b.s == NULL)
		return bf_xstrdup("");
	return bf_buf_detach(&b);
}

static struct snode *
new_node(struct bf_contract *c, int tok, char *loc)
{
	struct snode *s = bf_xcalloc(1, sizeof(*s));

	s->tok = tok;
	s->boolval = -1;
	s->loc = loc;
	s->consttok = -1;
	s->minprops = s->maxprops = -1;
	s->minlen = s->maxlen = -1;
	s->minitems = s->maxitems = -1;
	s->mincontains = -1;
	s->maxcontains = -1;
	if (c->nall == c->capall) {
		c->capall = c->capall ? c->capall * 2 : 64;
		c->all = bf_xrealloc(c->all, sizeof(*c->all) *
		    (size_t)c->capall);
	}
	c->all[c->nall++] = s;
	if (tok >= 0)
		c->node_at[tok] = s;
	return s;
}

static struct snode *compile(struct comp *k, int tok, char *loc,
    const char *base);

/* A non-negative integer keyword value. */
static int
get_count(struct comp *k, int v, const char *kw, long *out)
{
	struct bf_buf b = BF_BUF_INIT;
	struct num x;
	size_t n;
	const char *raw;
	long val = 0;
	size_t i;
	int rc = -1;

	if (k->j->tok[v].type == BF_JSON_NUMBER) {
		raw = bf_json_raw(k->j, v, &n);
		if (num_parse(raw, n, &b, &x) == 0 && num_is_int(&x) &&
		    !x.neg) {
			rc = 0;
			if (x.e > 18)
				val = LONG_MAX;
			else {
				for (i = 0; i < (size_t)x.e; i++)
					val = val * 10 +
					    (i < x.nd ? x.d[i] - '0' : 0);
			}
		}
	}
	bf_buf_free(&b);
	if (rc < 0)
		return cerr(k, v, "'%s' must be a non-negative integer", kw);
	*out = val;
	return 0;
}

static int
get_num(struct comp *k, int v, const char *kw, struct num *out)
{
	struct bf_buf b = BF_BUF_INIT;
	const char *raw;
	size_t n;

	if (k->j->tok[v].type != BF_JSON_NUMBER)
		return cerr(k, v, "'%s' must be a number", kw);
	raw = bf_json_raw(k->j, v, &n);
	if (num_parse(raw, n, &b, out) < 0) {
		bf_buf_free(&b);
		return cerr(k, v, "'%s' must be a number", kw);
	}
	/* The digits move into memory of their own. */
	out->d = out->nd ? bf_xstrndup(out->d, out->nd) : NULL;
	bf_buf_free(&b);
	return 0;
}

static int
compile_re(struct comp *k, int tok, const char *src, size_t n, struct re *re)
{
	struct bf_buf ere = BF_BUF_INIT;
	const char *why;
	locale_t old;
	char msg[256];
	int rc;

	re->src = bf_xstrndup(src, n);
	if (memchr(src, '\0', n) != NULL)
		return cerr(k, tok, "regular expression '%s': NUL character",
		    re->src);
	if (bf_regex_translate(src, n, &ere, &why) < 0) {
		bf_buf_free(&ere);
		return cerr(k, tok, "regular expression '%s': "
		    "unsupported ECMA-262 feature: %s", re->src, why);
	}
	if (k->c->utf8 == (locale_t)0) {
		bf_buf_free(&ere);
		return cerr(k, tok, "regular expression '%s': no UTF-8 locale "
		    "(C.UTF-8) to match in", re->src);
	}
	old = uselocale(k->c->utf8);
	rc = regcomp(&re->re, bf_buf_str(&ere), REG_EXTENDED | REG_NOSUB);
	uselocale(old);
	bf_buf_free(&ere);
	if (rc != 0) {
		regerror(rc, &re->re, msg, sizeof(msg));
		return cerr(k, tok, "regular expression '%s': %s", re->src,
		    msg);
	}
	re->ok = 1;
	return 0;
}

static int
schema_array(struct comp *k, int v, const char *kw, struct snode *s,
    const char *base, struct snode ***out, int *nout)
{
	const struct bf_json *j = k->j;
	int t, i, n;

	if (j->tok[v].type != BF_JSON_ARRAY || j->tok[v].size == 0)
		return cerr(k, v, "'%s' must be a non-empty array of schemas",
		    kw);
	n = j->tok[v].size;
	*out = bf_xcalloc((size_t)n, sizeof(**out));
	*nout = n;
	for (i = 0, t = v + 1; i < n; i++, t = bf_json_skip(j, t))
		if (((*out)[i] = compile(k, t, loc_idx(s->loc, kw, i),
		    base)) == NULL)
			return -1;
	return 0;
}

static int
string_list(struct comp *k, int v, const char *kw, char ***names,
    size_t **lens, int *count)
{
	const struct bf_json *j = k->j;
	int t, i, a, n;

	if (j->tok[v].type != BF_JSON_ARRAY)
		return cerr(k, v, "'%s' must be an array of strings", kw);
	n = j->tok[v].size;
	*names = bf_xcalloc((size_t)n + 1, sizeof(**names));
	*lens = bf_xcalloc((size_t)n + 1, sizeof(**lens));
	*count = n;
	for (i = 0, t = v + 1; i < n; i++, t = bf_json_skip(j, t)) {
		if (j->tok[t].type != BF_JSON_STRING)
			return cerr(k, t, "'%s' must be an array of strings",
			    kw);
		(*names)[i] = tok_strdup(j, t, &(*lens)[i]);
		for (a = 0; a < i; a++)
			if ((*lens)[a] == (*lens)[i] &&
			    memcmp((*names)[a], (*names)[i], (*lens)[i]) == 0)
				return cerr(k, t, "'%s' lists '%s' twice", kw,
				    (*names)[i]);
	}
	return 0;
}

static void
add_ref(struct bf_contract *c, struct snode *s, const char *uri, int tok)
{
	c->refs = bf_xrealloc(c->refs, sizeof(*c->refs) *
	    (size_t)(c->nrefs + 1));
	c->refs[c->nrefs].s = s;
	c->refs[c->nrefs].uri = bf_xstrdup(uri);
	c->refs[c->nrefs].tok = tok;
	c->nrefs++;
}

static int
is_anchor_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	    *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.'))
			return 0;
	return 1;
}

static const char *const annotations[] = {
	"$schema", "$comment", "title", "description", "default",
	"examples", "deprecated", "readOnly", "writeOnly", "contentEncoding",
	"contentMediaType", "$id", NULL,
};

/* Keywords of JSON Schema that bf-validate knows and refuses. */
static const char *const unsupported[] = {
	"unevaluatedProperties", "unevaluatedItems", "$dynamicRef",
	"$dynamicAnchor", "$vocabulary", "$recursiveRef", "$recursiveAnchor",
	"dependencies", "definitions", "additionalItems", NULL,
};

static int
in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (strcmp(*l, s) == 0)
			return 1;
	return 0;
}

static int compile_metrics(struct comp *k, int v);

static int
compile_keyword(struct comp *k, struct snode *s, const char *kw, int v,
    const char *base)
{
	struct bf_contract *c = k->c;
	const struct bf_json *j = k->j;
	int t, i, n, type = j->tok[v].type;
	struct bf_buf b = BF_BUF_INIT;

	if (strcmp(kw, "type") == 0) {
		static const char *names[] = { "null", "boolean", "object",
			"array", "number", "string", "integer" };
		int cnt = type == BF_JSON_ARRAY ? j->tok[v].size : 1;

		if (type != BF_JSON_ARRAY && type != BF_JSON_STRING)
			return cerr(k, v,
			    "'type' must be a string or an array");
		t = type == BF_JSON_ARRAY ? v + 1 : v;
		for (i = 0; i < cnt; i++, t = bf_json_skip(j, t)) {
			int m;

			for (m = 0; m < 7; m++)
				if (bf_json_streq(j, t, names[m]))
					break;
			if (m == 7) {
				tok_str(j, t, &b);
				cerr(k, t, "unknown type '%s'", bf_buf_str(&b));
				bf_buf_free(&b);
				return -1;
			}
			s->types |= 1u << m;
		}
		if (s->types == 0)
			s->types = 1u << 7; /* an empty list: nothing */
	} else if (strcmp(kw, "properties") == 0 ||
	    strcmp(kw, "patternProperties") == 0 ||
	    strcmp(kw, "$defs") == 0 || strcmp(kw, "dependentSchemas") == 0) {
		int pat = kw[0] == 'p' && kw[1] == 'a';

		if (type != BF_JSON_OBJECT)
			return cerr(k, v, "'%s' must be an object", kw);
		n = j->tok[v].size;
		for (i = 0, t = v + 1; i < n; i++, t = bf_json_skip(j, t + 1)) {
			size_t klen;
			char *key = tok_strdup(j, t, &klen);
			char *l1 = loc_join(s->loc, kw, strlen(kw));
			char *loc = loc_join(l1, key, klen);
			struct snode *sub;

			free(l1);
			if ((sub = compile(k, t + 1, loc, base)) == NULL) {
				free(key);
				return -1;
			}
			if (kw[0] == '$') {
				free(key);
				continue;
			}
			if (kw[0] == 'd') {
				s->depsch = bf_xrealloc(s->depsch,
				    sizeof(*s->depsch) * (size_t)(i + 1));
				memset(&s->depsch[i], 0, sizeof(s->depsch[i]));
				s->depsch[i].key = key;
				s->depsch[i].len = klen;
				s->depsch[i].s = sub;
				s->ndepsch = i + 1;
			} else if (pat) {
				s->pprops = bf_xrealloc(s->pprops,
				    sizeof(*s->pprops) * (size_t)(i + 1));
				memset(&s->pprops[i], 0, sizeof(s->pprops[i]));
				s->pprops[i].s = sub;
				s->npprops = i + 1;
				if (compile_re(k, t, key, klen,
				    &s->pprops[i].re) < 0) {
					free(key);
					return -1;
				}
				free(key);
			} else {
				s->props = bf_xrealloc(s->props,
				    sizeof(*s->props) * (size_t)(i + 1));
				s->props[i].key = key;
				s->props[i].len = klen;
				s->props[i].s = sub;
				s->nprops = i + 1;
			}
		}
	} else if (strcmp(kw, "additionalProperties") == 0) {
		if ((s->addl = compile(k, v, loc_join(s->loc, kw, strlen(kw)),
		    base)) == NULL)
			return -1;
	} else if (strcmp(kw, "propertyNames") == 0) {
		if ((s->propnames = compile(k, v, loc_join(s->loc, kw,
		    strlen(kw)), base)) == NULL)
			return -1;
	} else if (strcmp(kw, "items") == 0) {
		if ((s->items = compile(k, v, loc_join(s->loc, kw, strlen(kw)),
		    base)) == NULL)
			return -1;
	} else if (strcmp(kw, "contains") == 0) {
		if ((s->contains = compile(k, v, loc_join(s->loc, kw,
		    strlen(kw)), base)) == NULL)
			return -1;
	} else if (strcmp(kw, "not") == 0) {
		if ((s->not = compile(k, v, loc_join(s->loc, kw, strlen(kw)),
		    base)) == NULL)
			return -1;
	} else if (strcmp(kw, "if") == 0) {
		if ((s->if_ = compile(k, v, loc_join(s->loc, kw, strlen(kw)),
		    base)) == NULL)
			return -1;
	} else if (strcmp(kw, "then") == 0) {
		if ((s->then_ = compile(k, v, loc_join(s->loc, kw, strlen(kw)),
		    base)) == NULL)
			return -1;
	} else if (strcmp(kw, "else") == 0) {
		if ((s->else_ = compile(k, v, loc_join(s->loc, kw, strlen(kw)),
		    base)) == NULL)
			return -1;
	} else if (strcmp(kw, "contentSchema") == 0) {
		/* An annotation; compiled so that its keywords are checked. */
		if (compile(k, v, loc_join(s->loc, kw, strlen(kw)), base) ==
		    NULL)
			return -1;
	} else if (strcmp(kw, "prefixItems") == 0) {
		return schema_array(k, v, kw, s, base, &s->prefix, &s->nprefix);
	} else if (strcmp(kw, "allOf") == 0) {
		return schema_array(k, v, kw, s, base, &s->allof, &s->nallof);
	} else if (strcmp(kw, "anyOf") == 0) {
		return schema_array(k, v, kw, s, base, &s->anyof, &s->nanyof);
	} else if (strcmp(kw, "oneOf") == 0) {
		return schema_array(k, v, kw, s, base, &s->oneof, &s->noneof);
	} else if (strcmp(kw, "required") == 0) {
		return string_list(k, v, kw, &s->req, &s->reqlen, &s->nreq);
	} else if (strcmp(kw, "dependentRequired") == 0) {
		if (type != BF_JSON_OBJECT)
			return cerr(k, v, "'%s' must be an object", kw);
		n = j->tok[v].size;
		s->depreq = bf_xcalloc((size_t)n + 1, sizeof(*s->depreq));
		s->ndepreq = n;
		for (i = 0, t = v + 1; i < n; i++, t = bf_json_skip(j, t + 1)) {
			s->depreq[i].key = tok_strdup(j, t, &s->depreq[i].len);
			if (string_list(k, t + 1, kw, &s->depreq[i].names,
			    &s->depreq[i].lens, &s->depreq[i].n) < 0)
				return -1;
		}
	} else if (strcmp(kw, "minProperties") == 0) {
		return get_count(k, v, kw, &s->minprops);
	} else if (strcmp(kw, "maxProperties") == 0) {
		return get_count(k, v, kw, &s->maxprops);
	} else if (strcmp(kw, "minLength") == 0) {
		return get_count(k, v, kw, &s->minlen);
	} else if (strcmp(kw, "maxLength") == 0) {
		return get_count(k, v, kw, &s->maxlen);
	} else if (strcmp(kw, "minItems") == 0) {
		return get_count(k, v, kw, &s->minitems);
	} else if (strcmp(kw, "maxItems") == 0) {
		return get_count(k, v, kw, &s->maxitems);
	} else if (strcmp(kw, "minContains") == 0) {
		return get_count(k, v, kw, &s->mincontains);
	} else if (strcmp(kw, "maxContains") == 0) {
		return get_count(k, v, kw, &s->maxcontains);
	} else if (strcmp(kw, "uniqueItems") == 0) {
		if (type != BF_JSON_TRUE && type != BF_JSON_FALSE)
			return cerr(k, v, "'uniqueItems' must be a boolean");
		s->unique = type == BF_JSON_TRUE;
	} else if (strcmp(kw, "enum") == 0) {
		if (type != BF_JSON_ARRAY)
			return cerr(k, v, "'enum' must be an array");
		s->has_enum = 1;
		s->nenum = j->tok[v].size;
		s->enumtok = bf_xcalloc((size_t)s->nenum + 1, sizeof(int));
		for (i = 0, t = v + 1; i < s->nenum;
		    i++, t = bf_json_skip(j, t))
			s->enumtok[i] = t;
	} else if (strcmp(kw, "const") == 0) {
		s->consttok = v;
	} else if (strcmp(kw, "minimum") == 0) {
		s->numflags |= N_MIN;
		return get_num(k, v, kw, &s->min);
	} else if (strcmp(kw, "maximum") == 0) {
		s->numflags |= N_MAX;
		return get_num(k, v, kw, &s->max);
	} else if (strcmp(kw, "exclusiveMinimum") == 0) {
		s->numflags |= N_XMIN;
		return get_num(k, v, kw, &s->xmin);
	} else if (strcmp(kw, "exclusiveMaximum") == 0) {
		s->numflags |= N_XMAX;
		return get_num(k, v, kw, &s->xmax);
	} else if (strcmp(kw, "multipleOf") == 0) {
		s->numflags |= N_MULT;
		if (get_num(k, v, kw, &s->mult) < 0)
			return -1;
		if (s->mult.nd == 0 || s->mult.neg)
			return cerr(k, v, "'multipleOf' must be above 0");
		if (s->mult.nd > 36)
			return cerr(k, v, "'multipleOf' with more than 36 "
			    "significant digits is not supported");
	} else if (strcmp(kw, "pattern") == 0) {
		if (tok_str(j, v, &b) < 0)
			return cerr(k, v, "'pattern' must be a string");
		s->pattern = bf_xcalloc(1, sizeof(*s->pattern));
		i = compile_re(k, v, b.s, b.len, s->pattern);
		bf_buf_free(&b);
		return i;
	} else if (strcmp(kw, "format") == 0) {
		if (tok_str(j, v, &b) < 0)
			return cerr(k, v, "'format' must be a string");
		if (strcmp(b.s, "date-time") == 0)
			s->format = FMT_DATE_TIME;
		else if (strcmp(b.s, "date") == 0)
			s->format = FMT_DATE;
		else if (c->assert_format) {
			cerr(k, v, "unsupported format '%s': only 'date-time' "
			    "and 'date' are asserted", b.s);
			bf_buf_free(&b);
			return -1;
		} else
			s->format = FMT_ANNOTATION;
		bf_buf_free(&b);
		if (!c->assert_format)
			s->format = FMT_ANNOTATION;
	} else if (strcmp(kw, "$ref") == 0) {
		if (tok_str(j, v, &b) < 0)
			return cerr(k, v, "'$ref' must be a string");
		{
			struct bf_buf abs = BF_BUF_INIT;

			uri_resolve(base, b.s, &abs);
			add_ref(c, s, bf_buf_str(&abs), v);
			bf_buf_free(&abs);
		}
		bf_buf_free(&b);
	} else if (strcmp(kw, "$anchor") == 0) {
		if (tok_str(j, v, &b) < 0 || !is_anchor_name(b.s)) {
			bf_buf_free(&b);
			return cerr(k, v, "'$anchor' must be a plain name");
		}
		c->anchors = bf_xrealloc(c->anchors, sizeof(*c->anchors) *
		    (size_t)(c->nanchors + 1));
		c->anchors[c->nanchors].uri = bf_xstrdup(base);
		c->anchors[c->nanchors].name = bf_buf_detach(&b);
		c->anchors[c->nanchors].tok = s->tok;
		c->nanchors++;
	} else if (strcmp(kw, "x-bf-metrics") == 0 ||
	    strcmp(kw, "x-bf-allow-unknown-metrics") == 0) {
		if ((c->flags & BF_CONTRACT_PLAIN) || s->tok != 0)
			return cerr(k, v, "'%s' belongs at the top of a "
			    "contract (not in --plain mode)", kw);
		if (kw[5] == 'm')
			return compile_metrics(k, v);
		if (type != BF_JSON_TRUE && type != BF_JSON_FALSE)
			return cerr(k, v, "'%s' must be a boolean", kw);
		c->allow_unknown = type == BF_JSON_TRUE;
	} else if (strcmp(kw, "$schema") == 0) {
		/* Another dialect would be read with the wrong meanings. */
		if (tok_str(j, v, &b) < 0 ||
		    (strcmp(b.s, "https://json-schema.org/draft/2020-12/schema")
		    != 0 && strcmp(b.s,
		    "https://json-schema.org/draft/2020-12/schema#") != 0)) {
			cerr(k, v, "unsupported $schema '%s': the contract is "
			    "read as JSON Schema draft 2020-12", bf_buf_str(&b));
			bf_buf_free(&b);
			return -1;
		}
		bf_buf_free(&b);
	} else if (in_list(annotations, kw)) {
		/* Accepted, no effect on validation. */
	} else if (in_list(unsupported, kw)) {
		return cerr(k, v, "unsupported keyword '%s' at '%s'", kw,
		    *s->loc ? s->loc : "/");
	} else {
		return cerr(k, v, "unknown keyword '%s' at '%s'", kw,
		    *s->loc ? s->loc : "/");
	}
	return 0;
}

/* Compiles the schema at token tok; takes ownership of loc. */
static struct snode *
compile(struct comp *k, int tok, char *loc, const char *base)
{
	struct bf_contract *c = k->c;
	const struct bf_json *j = k->j;
	struct snode *s;
	struct bf_buf nb = BF_BUF_INIT;
	int i, n, t, type = j->tok[tok].type;

	if (c->node_at[tok] != NULL) {
		free(loc);
		return c->node_at[tok];
	}
	if (type == BF_JSON_TRUE || type == BF_JSON_FALSE) {
		s = new_node(c, tok, loc);
		s->boolval = type == BF_JSON_TRUE;
		return s;
	}
	if (type != BF_JSON_OBJECT) {
		cerr(k, tok, "a schema must be an object or a boolean at '%s'",
		    *loc ? loc : "/");
		free(loc);
		return NULL;
	}
	s = new_node(c, tok, loc);
	n = j->tok[tok].size;
	/* $id first: it sets the base URI of the keywords beside it. */
	if ((t = bf_json_get(j, tok, "$id")) >= 0) {
		struct bf_buf id = BF_BUF_INIT;
		struct uri u;

		if (tok_str(j, t, &id) < 0) {
			cerr(k, t, "'$id' must be a string");
			bf_buf_free(&id);
			return NULL;
		}
		uri_resolve(base, id.s, &nb);
		uri_parse(nb.s, &u);
		if (u.has_frag) {
			if (u.fl != 0) {
				cerr(k, t, "'$id' must not have a fragment");
				bf_buf_free(&id);
				bf_buf_free(&nb);
				return NULL;
			}
			nb.len -= 1;
			nb.s[nb.len] = '\0';
		}
		bf_buf_free(&id);
		c->res = bf_xrealloc(c->res, sizeof(*c->res) *
		    (size_t)(c->nres + 1));
		c->res[c->nres].uri = bf_xstrdup(nb.s);
		c->res[c->nres].tok = tok;
		c->nres++;
		base = c->res[c->nres - 1].uri;
	}
	for (i = 0, t = tok + 1; i < n; i++, t = bf_json_skip(j, t + 1)) {
		if (tok_str(j, t, &k->key) < 0 ||
		    memchr(k->key.s, '\0', k->key.len) != NULL) {
			cerr(k, t, "unknown keyword at '%s'", *loc ? loc : "/");
			bf_buf_free(&nb);
			return NULL;
		}
		{
			char *kw = bf_xstrdup(k->key.s);
			int rc = compile_keyword(k, s, kw, t + 1, base);

			free(kw);
			if (rc < 0) {
				bf_buf_free(&nb);
				return NULL;
			}
		}
	}
	bf_buf_free(&nb);
	return s;
}

/* Percent-decodes a URI fragment. */
static void
pct_decode(const char *s, size_t n, struct bf_buf *out)
{
	size_t i;

	bf_buf_reset(out);
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    bf_hexval((unsigned char)s[i + 1]) >= 0 &&
		    bf_hexval((unsigned char)s[i + 2]) >= 0) {
			bf_buf_putc(out, bf_hexval((unsigned char)s[i + 1]) * 16 +
			    bf_hexval((unsigned char)s[i + 2]));
			i += 2;
		} else
			bf_buf_putc(out, s[i]);
	}
	if (out->s == NULL)
		bf_buf_puts(out, "");
}

/* Walks JSON pointer p from token t; returns the token or -1. */
static int
pointer_walk(const struct bf_json *j, int t, const char *p, size_t n)
{
	struct bf_buf seg = BF_BUF_INIT, key = BF_BUF_INIT;
	size_t i = 0;
	int m, c, found;

	while (i < n && t >= 0) {
		if (p[i] != '/') {
			t = -1;
			break;
		}
		i++;
		bf_buf_reset(&seg);
		while (i < n && p[i] != '/') {
			if (p[i] == '~' && i + 1 < n &&
			    (p[i + 1] == '0' || p[i + 1] == '1')) {
				bf_buf_putc(&seg, p[i + 1] == '0' ? '~' : '/');
				i += 2;
			} else
				bf_buf_putc(&seg, p[i++]);
		}
		if (seg.s == NULL)
			bf_buf_puts(&seg, "");
		found = -1;
		if (j->tok[t].type == BF_JSON_OBJECT) {
			c = t + 1;
			for (m = 0; m < j->tok[t].size; m++) {
				tok_str(j, c, &key);
				if (key.len == seg.len &&
				    memcmp(key.s, seg.s, seg.len) == 0) {
					found = c + 1;
					break;
				}
				c = bf_json_skip(j, c + 1);
			}
		} else if (j->tok[t].type == BF_JSON_ARRAY) {
			char *end;
			long idx = strtol(seg.s, &end, 10);

			if (seg.len > 0 && *end == '\0' && idx >= 0 &&
			    idx < j->tok[t].size &&
			    (seg.s[0] != '0' || seg.len == 1)) {
				c = t + 1;
				while (idx-- > 0)
					c = bf_json_skip(j, c);
				found = c;
			}
		}
		t = found;
	}
	bf_buf_free(&seg);
	bf_buf_free(&key);
	return t;
}

static int
resolve_refs(struct comp *k)
{
	struct bf_contract *c = k->c;
	struct bf_buf frag = BF_BUF_INIT, doc = BF_BUF_INIT;
	int i, r, target;

	for (i = 0; i < c->nrefs; i++) {
		const char *u = c->refs[i].uri, *h = strchr(u, '#');
		size_t dl = h ? (size_t)(h - u) : strlen(u);
		struct snode *node;

		bf_buf_reset(&doc);
		bf_buf_add(&doc, u, dl);
		pct_decode(h ? h + 1 : "", h ? strlen(h + 1) : 0, &frag);
		for (r = 0; r < c->nres; r++)
			if (strcmp(c->res[r].uri, bf_buf_str(&doc)) == 0)
				break;
		if (r == c->nres) {
			cerr(k, c->refs[i].tok, "unsupported $ref '%s': only "
			    "references within the contract are resolved", u);
			goto fail;
		}
		target = -1;
		if (frag.len == 0)
			target = c->res[r].tok;
		else if (frag.s[0] == '/')
			target = pointer_walk(k->j, c->res[r].tok, frag.s,
			    frag.len);
		else {
			int a;

			for (a = 0; a < c->nanchors; a++)
				if (strcmp(c->anchors[a].uri,
				    c->res[r].uri) == 0 &&
				    strcmp(c->anchors[a].name, frag.s) == 0)
					target = c->anchors[a].tok;
		}
		if (target < 0) {
			cerr(k, c->refs[i].tok, "unresolvable $ref '%s'", u);
			goto fail;
		}
		node = c->node_at[target];
		if (node == NULL) {
			struct bf_buf l = BF_BUF_INIT;

			bf_buf_puts(&l, bf_buf_str(&frag));
			node = compile(k, target, bf_buf_detach(&l),
			    c->res[r].uri);
			if (node == NULL)
				goto fail;
		}
		c->refs[i].s->ref = node;
	}
	bf_buf_free(&frag);
	bf_buf_free(&doc);
	return 0;
fail:
	bf_buf_free(&frag);
	bf_buf_free(&doc);
	return -1;
}

/* A loop of keywords that apply to the same value (a $ref to itself, an
 * allOf holding its parent...) would never end: refused at load time. */
static int
loop_check(struct comp *k, struct snode *s)
{
	int i;

	if (s == NULL || s->color == 2)
		return 0;
	if (s->color == 1)
		return cerr(k, s->tok, "schema loop at '%s': a $ref that "
		    "comes back to itself without reaching into the data",
		    *s->loc ? s->loc : "/");
	s->color = 1;
	if (loop_check(k, s->ref) < 0 || loop_check(k, s->not) < 0 ||
	    loop_check(k, s->if_) < 0 || loop_check(k, s->then_) < 0 ||
	    loop_check(k, s->else_) < 0)
		return -1;
	for (i = 0; i < s->nallof; i++)
		if (loop_check(k, s->allof[i]) < 0)
			return -1;
	for (i = 0; i < s->nanyof; i++)
		if (loop_check(k, s->anyof[i]) < 0)
			return -1;
	for (i = 0; i < s->noneof; i++)
		if (loop_check(k, s->oneof[i]) < 0)
			return -1;
	for (i = 0; i < s->ndepsch; i++)
		if (loop_check(k, s->depsch[i].s) < 0)
			return -1;
	s->color = 2;
	return 0;
}

/* ---- x-bf-metrics ----------------------------------------------------- */

static int
get_dec(struct comp *k, int v, const char *what, bf_dec *out)
{
	struct bf_buf b = BF_BUF_INIT;
	const char *raw;
	size_t n;
	int rc;

	if (k->j->tok[v].type == BF_JSON_NUMBER) {
		raw = bf_json_raw(k->j, v, &n);
		rc = bf_dec_parse(raw, n, out);
	} else if (tok_str(k->j, v, &b) == 0) {
		rc = bf_dec_parse(b.s, b.len, out);
	} else
		rc = -1;
	bf_buf_free(&b);
	if (rc != BF_DEC_OK)
		return cerr(k, v, "%s must be an exact decimal number", what);
	return 0;
}

/* A unit factor: an exact decimal string ("1024", "0.125") or an exact
 * fraction of two ("1/1024"), above 0. */
static int
get_factor(struct comp *k, int v, const char *unit, bf_dec *num, bf_dec *den)
{
	struct bf_buf b = BF_BUF_INIT;
	const char *slash;
	int inexact = 0, rc;

	if (tok_str(k->j, v, &b) < 0) {
		bf_buf_free(&b);
		return cerr(k, v, "the factor of unit '%s' must be a string "
		    "such as \"1024\" or \"1/1024\"", unit);
	}
	*den = bf_dec_from_int(1);
	slash = memchr(b.s, '/', b.len);
	if (slash == NULL)
		rc = bf_dec_parse_x(b.s, b.len, num, &inexact);
	else {
		int i2 = 0;

		rc = bf_dec_parse_x(b.s, (size_t)(slash - b.s), num, &inexact);
		if (rc == BF_DEC_OK)
			rc = bf_dec_parse_x(slash + 1,
			    b.len - (size_t)(slash - b.s) - 1, den, &i2);
		inexact |= i2;
	}
	if (rc != BF_DEC_OK || inexact || bf_dec_sign(*num) <= 0 ||
	    bf_dec_sign(*den) <= 0) {
		rc = cerr(k, v, "the factor '%s' of unit '%s' must be an exact "
		    "decimal above 0 with at most 9 decimal places, or a "
		    "fraction such as \"1/1024\"", b.s, unit);
		bf_buf_free(&b);
		return rc;
	}
	bf_buf_free(&b);
	return 0;
}

static void
metric_add_unit(struct bf_metric_rule *r, const char *name, size_t len,
    bf_dec num, bf_dec den)
{
	r->units = bf_xrealloc(r->units, sizeof(*r->units) *
	    (size_t)(r->nunits + 1));
	r->units[r->nunits].name = bf_xstrndup(name, len);
	r->units[r->nunits].len = len;
	r->units[r->nunits].num = num;
	r->units[r->nunits].den = den;
	r->nunits++;
}

static int
compile_metric(struct comp *k, struct bf_metric_rule *r, int v)
{
	const struct bf_json *j = k->j;
	struct bf_buf b = BF_BUF_INIT;
	int i, t, n, ut = -1, unitst = -1;
	bf_dec one = bf_dec_from_int(1);

	if (j->tok[v].type != BF_JSON_OBJECT)
		return cerr(k, v, "metric '%s' must be an object", r->name);
	n = j->tok[v].size;
	for (i = 0, t = v + 1; i < n; i++, t = bf_json_skip(j, t + 1)) {
		tok_str(j, t, &b);
		if (strcmp(b.s, "unit") == 0)
			ut = t + 1;
		else if (strcmp(b.s, "units") == 0)
			unitst = t + 1;
		else if (strcmp(b.s, "minimum") == 0) {
			r->has_min = 1;
			if (get_dec(k, t + 1, "'minimum'", &r->min) < 0)
				goto fail;
		} else if (strcmp(b.s, "maximum") == 0) {
			r->has_max = 1;
			if (get_dec(k, t + 1, "'maximum'", &r->max) < 0)
				goto fail;
		} else if (strcmp(b.s, "integer") == 0) {
			if (j->tok[t + 1].type != BF_JSON_TRUE &&
			    j->tok[t + 1].type != BF_JSON_FALSE) {
				cerr(k, t + 1, "'integer' must be a boolean");
				goto fail;
			}
			r->integer = j->tok[t + 1].type == BF_JSON_TRUE;
		} else if (strcmp(b.s, "description") == 0 ||
		    strcmp(b.s, "$comment") == 0) {
			;
		} else {
			cerr(k, t, "unknown key '%s' in metric '%s'", b.s,
			    r->name);
			goto fail;
		}
	}
	if (ut < 0 || tok_str(j, ut, &b) < 0 || b.len == 0) {
		cerr(k, ut < 0 ? v : ut, "metric '%s' needs a 'unit' string",
		    r->name);
		goto fail;
	}
	r->unit = bf_xstrndup(b.s, b.len);
	r->unitlen = b.len;
	metric_add_unit(r, r->unit, r->unitlen, one, one);
	if (unitst >= 0) {
		r->explicit_units = 1;
		if (j->tok[unitst].type != BF_JSON_OBJECT) {
			cerr(k, unitst, "'units' of metric '%s' must be an "
			    "object", r->name);
			goto fail;
		}
		n = j->tok[unitst].size;
		for (i = 0, t = unitst + 1; i < n;
		    i++, t = bf_json_skip(j, t + 1)) {
			bf_dec f;

			bf_dec d = one;

			tok_str(j, t, &b);
			if (get_factor(k, t + 1, b.s, &f, &d) < 0)
				goto fail;
			if (b.len == r->unitlen &&
			    memcmp(b.s, r->unit, b.len) == 0) {
				if (bf_dec_cmp(f, d) != 0) {
					cerr(k, t + 1, "the canonical unit "
					    "'%s' must have the factor \"1\"",
					    b.s);
					goto fail;
				}
				continue;
			}
			metric_add_unit(r, b.s, b.len, f, d);
		}
	} else {
		const struct bf_unit *can = bf_unit_find(r->unit, r->unitlen);
		const struct bf_unit *tab;
		size_t nt, x;

		if (can == NULL) {
			cerr(k, ut, "metric '%s': unit '%s' is not a known "
			    "unit; give its 'units' with factors", r->name,
			    r->unit);
			goto fail;
		}
		tab = bf_unit_table(&nt);
		for (x = 0; x < nt; x++) {
			bf_dec num, den;

			if (&tab[x] == can ||
			    bf_unit_conversion(&tab[x], can, &num, &den) < 0)
				continue;
			metric_add_unit(r, tab[x].name, strlen(tab[x].name),
			    num, den);
		}
	}
	bf_buf_free(&b);
	return 0;
fail:
	bf_buf_free(&b);
	return -1;
}

/* For the tables of names (metrics, an object schema's names). Cheap:
 * the length and the first and last bytes, mixed by a multiplication whose
 * high half is returned (the callers keep the low bits). Names that
 * collide are told apart by comparing them: a poor spread costs probes. */
static size_t
name_hash(const char *s, size_t n)
{
	size_t h = n;

	if (n > 0)
		h = (h << 16) ^ ((size_t)(unsigned char)s[0] << 8) ^
		    (unsigned char)s[n - 1];
	return (size_t)(((uint64_t)h * 0x9e3779b97f4a7c15u) >> 32);
}


static int
compile_metrics(struct comp *k, int v)
{
	struct bf_contract *c = k->c;
	const struct bf_json *j = k->j;
	int i, t, n;
	size_t h;

	if (j->tok[v].type != BF_JSON_OBJECT)
		return cerr(k, v, "'x-bf-metrics' must be an object");
	n = j->tok[v].size;
	c->metrics = bf_xcalloc((size_t)n + 1, sizeof(*c->metrics));
	c->mhcap = 16;
	while (c->mhcap < 2 * n)
		c->mhcap *= 2;
	c->mhash = bf_xcalloc((size_t)c->mhcap, sizeof(int));
	for (i = 0; i < c->mhcap; i++)
		c->mhash[i] = -1;
	for (i = 0, t = v + 1; i < n; i++, t = bf_json_skip(j, t + 1)) {
		struct bf_metric_rule *r = &c->metrics[i];
		struct bf_buf l = BF_BUF_INIT;

		r->name = tok_strdup(j, t, &r->len);
		bf_buf_puts(&l, "/x-bf-metrics");
		put_ptr_seg(&l, r->name, r->len);
		r->loc = bf_buf_detach(&l);
		c->nmetrics = i + 1;
		if (compile_metric(k, r, t + 1) < 0)
			return -1;
		h = name_hash(r->name, r->len) & (size_t)(c->mhcap - 1);
		while (c->mhash[h] >= 0)
			h = (h + 1) & (size_t)(c->mhcap - 1);
		c->mhash[h] = i;
	}
	return 0;
}

const struct bf_metric_rule *
bf_contract_metric(const struct bf_contract *c, const char *name, size_t n)
{
	size_t h;
	const struct bf_metric_rule *r;

	if (c->mhash == NULL)
		return NULL;
	h = name_hash(name, n) & (size_t)(c->mhcap - 1);
	while (c->mhash[h] >= 0) {
		r = &c->metrics[c->mhash[h]];
		if (r->len == n && memcmp(r->name, name, n) == 0)
			return r;
		h = (h + 1) & (size_t)(c->mhcap - 1);
	}
	return NULL;
}

const struct bf_metric_unit *
bf_metric_unit(const struct bf_metric_rule *r, const char *u, size_t n)
{
	int i;

	for (i = 0; i < r->nunits; i++)
		if (r->units[i].len == n && memcmp(r->units[i].name, u, n) == 0)
			return &r->units[i];
	return NULL;
}

int
bf_contract_allow_unknown(const struct bf_contract *c)
{
	return c->allow_unknown;
}

/* ---- object name tables ------------------------------------------------ */

/* The entry of name s[0..n) in node sn's table, or -1. */
static inline int
name_find(const struct snode *sn, const char *s, size_t n)
{
	size_t h, mask = (size_t)sn->nslot - 1;
	int i;

	h = name_hash(s, n) & mask;
	while ((i = sn->slots[h]) >= 0) {
		if (sn->names[i].len == n &&
		    (n == 0 || memcmp(sn->names[i].s, s, n) == 0))
			return i;
		h = (h + 1) & mask;
	}
	return -1;
}

/* Adds name s[0..n) to the node's table (once); returns its entry. */
static int
name_add(struct snode *sn, const char *s, size_t n)
{
	size_t h, mask = (size_t)sn->nslot - 1;
	int i;

	if ((i = name_find(sn, s, n)) >= 0)
		return i;
	sn->names[sn->nnames].s = s;
	sn->names[sn->nnames].len = n;
	sn->names[sn->nnames].prop = -1;
	h = name_hash(s, n) & mask;
	while (sn->slots[h] >= 0)
		h = (h + 1) & mask;
	sn->slots[h] = sn->nnames;
	return sn->nnames++;
}

/* Which C_* checks node sn has. */
static unsigned
node_checks(const struct snode *sn)
{
	unsigned m = 0;

	if (sn->has_enum)
		m |= C_ENUM;
	if (sn->consttok >= 0)
		m |= C_CONST;
	if (sn->numflags)
		m |= C_NUM;
	if (sn->minlen >= 0 || sn->maxlen >= 0 || sn->pattern ||
	    sn->format == FMT_DATE_TIME || sn->format == FMT_DATE)
		m |= C_STR;
	if (sn->nprops || sn->npprops || sn->addl || sn->propnames ||
	    sn->nreq || sn->ndepreq || sn->ndepsch || sn->minprops >= 0 ||
	    sn->maxprops >= 0)
		m |= C_OBJ;
	if (sn->minitems >= 0 || sn->maxitems >= 0 || sn->nprefix ||
	    sn->items || sn->contains || sn->unique)
		m |= C_ARR;
	if (sn->nallof || sn->nanyof || sn->noneof || sn->not || sn->if_)
		m |= C_APPL;
	return m;
}

static void
build_names(struct snode *sn)
{
	int i, m, max = sn->nprops + sn->nreq + sn->ndepsch;

	for (i = 0; i < sn->ndepreq; i++)
		max += 1 + sn->depreq[i].n;
	if (max == 0)
		return;
	sn->nslot = 8;
	while (sn->nslot < 2 * max)
		sn->nslot *= 2;
	sn->slots = bf_xmalloc(sizeof(int) * (size_t)sn->nslot);
	for (i = 0; i < sn->nslot; i++)
		sn->slots[i] = -1;
	sn->names = bf_xcalloc((size_t)max, sizeof(*sn->names));
	for (i = 0; i < sn->nprops; i++)
		sn->names[name_add(sn, sn->props[i].key,
		    sn->props[i].len)].prop = i;
	sn->reqid = bf_xcalloc((size_t)sn->nreq + 1, sizeof(int));
	for (i = 0; i < sn->nreq; i++)
		sn->reqid[i] = name_add(sn, sn->req[i], sn->reqlen[i]);
	for (i = 0; i < sn->ndepreq; i++) {
		struct dep *d = &sn->depreq[i];

		d->keyid = name_add(sn, d->key, d->len);
		d->ids = bf_xcalloc((size_t)d->n + 1, sizeof(int));
		for (m = 0; m < d->n; m++)
			d->ids[m] = name_add(sn, d->names[m], d->lens[m]);
	}
	for (i = 0; i < sn->ndepsch; i++)
		sn->depsch[i].keyid = name_add(sn, sn->depsch[i].key,
		    sn->depsch[i].len);
}

/* ---- loading ---------------------------------------------------------- */

struct bf_contract *
bf_contract_parse(const char *text, size_t len, const char *name, int flags,
    struct bf_err *e)
{
	struct bf_contract *c = bf_xcalloc(1, sizeof(*c));
	struct comp k;
	size_t errpos = 0, n = len;
	int rc, i;

	c->name = bf_xstrdup(name);
	c->text = bf_xmalloc(len + 1);
	memcpy(c->text, text, len);
	c->text[len] = '\0';
	c->len = len;
	c->flags = flags;
	c->assert_format = !(flags & BF_CONTRACT_PLAIN) ||
	    (flags & BF_CONTRACT_FORMAT_ASSERT);
	c->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (c->utf8 == (locale_t)0)
		c->utf8 = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
	memset(&k, 0, sizeof(k));
	k.c = c;
	k.j = &c->doc;
	k.e = e;
	while (n > 0 && strchr(" \t\r\n", c->text[n - 1]) != NULL)
		n--;
	rc = bf_json_parse(&c->doc, c->text, n,
	    (flags & BF_CONTRACT_PLAIN) ? 0 : BF_JSON_WANT_OBJECT, &errpos);
	if (rc != BF_JSON_OK) {
		long line = 1;
		size_t i;

		for (i = 0; i < errpos && i < len; i++)
			if (text[i] == '\n')
				line++;
		bf_err_set(e, BF_EXIT_USAGE, "%s:%ld: %s%s", name, line,
		    rc == BF_JSON_ENOTOBJECT ? "a contract must be a JSON "
		    "object; " : "", bf_json_strerror(rc));
		bf_contract_free(c);
		return NULL;
	}
	c->node_at = bf_xcalloc((size_t)c->doc.ntok + 1, sizeof(*c->node_at));
	/* The document itself is the first resource. */
	c->res = bf_xcalloc(1, sizeof(*c->res));
	c->res[0].uri = bf_xstrdup(DEFAULT_BASE);
	c->res[0].tok = 0;
	c->nres = 1;
	c->root = compile(&k, 0, bf_xstrdup(""), DEFAULT_BASE);
	if (c->root == NULL || resolve_refs(&k) < 0 ||
	    loop_check(&k, c->root) < 0) {
		bf_buf_free(&k.key);
		bf_contract_free(c);
		return NULL;
	}
	for (i = 0; i < c->nall; i++)
		if (c->all[i]->color == 0 && loop_check(&k, c->all[i]) < 0) {
			bf_buf_free(&k.key);
			bf_contract_free(c);
			return NULL;
		}
	bf_buf_free(&k.key);
	for (i = 0; i < c->nall; i++) {
		build_names(c->all[i]);
		c->all[i]->checks = node_checks(c->all[i]);
		if (c->all[i]->checks != 0 && !(c->all[i]->checks &
		    (C_OBJ | C_ARR | C_APPL)))
			c->all[i]->memo = bf_xcalloc(1, sizeof(struct vmemo));
	}
	return c;
}

struct bf_contract *
bf_contract_load(const char *path, int flags, struct bf_err *e)
{
	struct bf_buf b = BF_BUF_INIT;
	struct bf_contract *c;
	char chunk[65536];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		bf_err_set(e, BF_EXIT_USAGE, "cannot open contract '%s': %s",
		    path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		bf_buf_add(&b, chunk, n);
	if (ferror(fp)) {
		bf_err_set(e, BF_EXIT_IO, "cannot read contract '%s': %s",
		    path, strerror(errno));
		fclose(fp);
		bf_buf_free(&b);
		return NULL;
	}
	fclose(fp);
	c = bf_contract_parse(b.s ? b.s : "", b.len, path, flags, e);
	bf_buf_free(&b);
	return c;
}

static void
free_re(struct re *re)
{
	if (re->ok)
		regfree(&re->re);
	free(re->src);
	free(re->cache);
}

static void
free_node(struct snode *s)
{
	int i, m;

	free(s->loc);
	for (i = 0; i < s->nprops; i++)
		free(s->props[i].key);
	free(s->props);
	for (i = 0; i < s->npprops; i++)
		free_re(&s->pprops[i].re);
	free(s->pprops);
	for (i = 0; i < s->nreq; i++)
		free(s->req[i]);
	free(s->req);
	free(s->reqlen);
	for (i = 0; i < s->ndepreq; i++) {
		free(s->depreq[i].key);
		for (m = 0; m < s->depreq[i].n; m++)
			free(s->depreq[i].names[m]);
		free(s->depreq[i].names);
		free(s->depreq[i].lens);
		free(s->depreq[i].ids);
	}
	free(s->depreq);
	for (i = 0; i < s->ndepsch; i++)
		free(s->depsch[i].key);
	free(s->depsch);
	free(s->memo);
	free(s->names);
	free(s->slots);
	free(s->reqid);
	free(s->enumtok);
	free((char *)s->min.d);
	free((char *)s->max.d);
	free((char *)s->xmin.d);
	free((char *)s->xmax.d);
	free((char *)s->mult.d);
	if (s->pattern) {
		free_re(s->pattern);
		free(s->pattern);
	}
	free(s->prefix);
	free(s->allof);
	free(s->anyof);
	free(s->oneof);
	free(s);
}

void
bf_contract_free(struct bf_contract *c)
{
	int i, u;

	if (c == NULL)
		return;
	for (i = 0; i < c->nall; i++)
		free_node(c->all[i]);
	free(c->all);
	free(c->node_at);
	for (i = 0; i < c->nres; i++)
		free(c->res[i].uri);
	free(c->res);
	for (i = 0; i < c->nanchors; i++) {
		free(c->anchors[i].uri);
		free(c->anchors[i].name);
	}
	free(c->anchors);
	for (i = 0; i < c->nrefs; i++)
		free(c->refs[i].uri);
	free(c->refs);
	for (i = 0; i < c->nmetrics; i++) {
		free(c->metrics[i].name);
		free(c->metrics[i].unit);
		free(c->metrics[i].loc);
		for (u = 0; u < c->metrics[i].nunits; u++)
			free(c->metrics[i].units[u].name);
		free(c->metrics[i].units);
	}
	free(c->metrics);
	free(c->mhash);
	if (c->utf8 != (locale_t)0)
		freelocale(c->utf8);
	bf_json_free(&c->doc);
	bf_buf_free(&c->sn1);
	bf_buf_free(&c->sn2);
	bf_buf_free(&c->ss);
	bf_buf_free(&c->st);
	bf_buf_free(&c->sm);
	bf_buf_free(&c->sm2);
	bf_buf_free(&c->se1);
	bf_buf_free(&c->se2);
	free(c->text);
	free(c->name);
	free(c);
}

/* ---- checking --------------------------------------------------------- */

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
			tok_str(x->j, x->c->path[i].key, &k);
			put_ptr_seg(b, k.s, k.len);
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
		put_ptr_seg(&ve->rule, kw, strlen(kw));
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
	put_trunc(b, raw, n, 64);
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
	put_trunc(b, raw, n, 64);
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
	tok_str(j, t, b);
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
		num_parse(r1, n1, &c->se1, &x);
		num_parse(r2, n2, &c->se2, &y);
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
	if (num_parse(raw, n, &c->sn1, &v) < 0)
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
		len = utf8_count(str, n);
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
		    !format_date(str, n))
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
			put_trunc(m, key, klen, 64);
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
			put_trunc(m, key, klen, 64);
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
				put_ptr_seg(&x->ve->pointer, s->req[i],
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
					put_ptr_seg(&x->ve->pointer,
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

		if (num_parse(raw, n, &x->c->sn2, &v) == 0 && num_is_int(&v))
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
	switch (type) {
	case BF_JSON_NUMBER:
		if ((s->checks & C_NUM) && !v_number(x, s, t))
			return 0;
		break;
	case BF_JSON_STRING:
		if ((s->checks & C_STR) && !v_string(x, s, t))
			return 0;
		break;
	case BF_JSON_OBJECT:
		if ((s->checks & C_OBJ) && !v_object(x, s, t))
			return 0;
		break;
	case BF_JSON_ARRAY:
		if ((s->checks & C_ARR) && !v_array(x, s, t))
			return 0;
		break;
	}
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
