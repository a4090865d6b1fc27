/* ecma-regex.c: see ecma-regex.h. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ecma-regex.h"
#include "json.h"
#include "utf8.h"

#define WORD_CLASS "A-Za-z0-9_"
/* ECMA-262 WhiteSpace and LineTerminator, as UTF-8. */
#define SPACE_CLASS " \t\n\r\f\v\xc2\xa0\xe1\x9a\x80\xe2\x80\x80\xe2\x80\x81" \
	"\xe2\x80\x82\xe2\x80\x83\xe2\x80\x84\xe2\x80\x85\xe2\x80\x86"    \
	"\xe2\x80\x87\xe2\x80\x88\xe2\x80\x89\xe2\x80\x8a\xe2\x80\xa8"    \
	"\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\x9f\xe3\x80\x80\xef\xbb\xbf"

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
			return (long)bf_utf8_get(s, n, i);
		}
		return c;
	}
}

/* The character of an escape inside brackets, s[*i] the byte after the
 * backslash: \b is backspace and \- a hyphen there, else as escape_char.
 * Advances *i past it; -1 with *why set when it is no escape. */
static long
class_escape(const char *s, size_t n, size_t *i, const char **why)
{
	if (s[*i] == 'b' || s[*i] == '-')
		return s[(*i)++] == 'b' ? '\b' : '-';
	return escape_char(s, n, i, why);
}

/* Appends code point cp as a literal outside brackets. */
static void
put_lit(struct bf_buf *o, uint32_t cp)
{
	if (cp < 0x80 && strchr(".[]()*+?{}|^$\\", (int)cp) != NULL)
		bf_buf_putc(o, '\\');
	bf_utf8_put(o, cp);
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
				bf_utf8_put(&body, lo);
				if (c - 1 > lo) {
					bf_buf_putc(&body, '-');
					bf_utf8_put(&body, c - 1);
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
			if ((a = class_escape(s, n, i, why)) < 0)
				goto fail;
		} else if (s[*i] == '\\') {
			*why = "trailing backslash";
			goto fail;
		} else
			a = (long)bf_utf8_get(s, n, i);
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
				if ((b = class_escape(s, n, i, why)) < 0)
					goto fail;
			} else
				b = (long)bf_utf8_get(s, n, i);
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

/* The translation of one expression: where it is, and what glibc's
 * regcomp will expand. A counted repetition copies its atom, so nested
 * ones multiply (exponential memory at load time): last is the expansion
 * of the atom a quantifier would apply to (0: none, e.g. after another
 * quantifier, which ECMA-262 refuses too); top[d] the largest expansion
 * inside the group at depth d. */
struct rx {
	const char *s;
	size_t n, i;
	struct bf_buf *o;
	const char **why;
	unsigned long last, top[RX_MAXDEPTH];
	int d;
};

/* Sets the reason and returns -1. */
static int
rx_refuse(struct rx *x, const char *why)
{
	*x->why = why;
	return -1;
}

/* A backslash at s[i]: a class escape, a word boundary or a character. */
static int
rx_escape(struct rx *x)
{
	static const char *cls[] = {
		"[0-9]", "[^0-9]", "[" WORD_CLASS "]", "[^" WORD_CLASS "]",
		"[" SPACE_CLASS "]", "[^" SPACE_CLASS "]",
	};
	long cp;
	int c;

	if (x->i + 1 >= x->n)
		return rx_refuse(x, "trailing backslash");
	c = (unsigned char)x->s[x->i + 1];
	if (c != 0 && strchr("dDwWsS", c) != NULL) {
		bf_buf_puts(x->o, cls[strchr("dDwWsS", c) - "dDwWsS"]);
		x->i += 2;
		x->last = 1;
		return 0;
	}
	if (c == 'b' || c == 'B') {
		bf_buf_putc(x->o, '\\');
		bf_buf_putc(x->o, c);
		x->i += 2;
		x->last = 0;
		return 0;
	}
	x->i++;
	if ((cp = escape_char(x->s, x->n, &x->i, x->why)) < 0)
		return -1;
	put_lit(x->o, (uint32_t)cp);
	x->last = 1;
	return 0;
}

/* A '(' at s[i]: a group, non-capturing or named; lookaround and other
 * modifiers are refused. */
static int
rx_open(struct rx *x)
{
	const char *s = x->s;
	size_t i = x->i, n = x->n, q;

	if (i + 1 < n && s[i + 1] == '?') {
		if (i + 2 < n && s[i + 2] == ':')
			i += 3;
		else if (i + 2 < n && (s[i + 2] == '=' || s[i + 2] == '!'))
			return rx_refuse(x, "lookahead (?= (?!");
		else if (i + 3 < n && s[i + 2] == '<' &&
		    (s[i + 3] == '=' || s[i + 3] == '!'))
			return rx_refuse(x, "lookbehind (?<= (?<!");
		else if (i + 2 < n && s[i + 2] == '<') {
			for (q = i + 3; q < n && s[q] != '>'; q++)
				;
			if (q >= n)
				return rx_refuse(x, "malformed group name");
			i = q + 1;
		} else
			return rx_refuse(x, "group modifier (?");
	} else
		i++;
	if (x->d + 1 >= RX_MAXDEPTH)
		return rx_refuse(x, "groups nested too deeply");
	x->i = i;
	x->top[++x->d] = 1;
	x->last = 0;
	bf_buf_putc(x->o, '(');
	return 0;
}

/* A '{' at s[i]: a counted quantifier, or a literal brace. */
static int
rx_count(struct rx *x)
{
	size_t q = quantifier_len(x->s, x->n, x->i);
	unsigned long u;

	if (q == 0) {
		bf_buf_puts(x->o, "\\{");
		x->i++;
		x->last = 1;
		return 0;
	}
	if (x->last == 0)
		return rx_refuse(x, "a quantifier with nothing to repeat");
	u = quantifier_max(x->s + x->i, q);
	if (u > RX_MAXEXPAND / x->last)
		return rx_refuse(x, "counted repetitions too large (over "
		    RX_MAXEXPAND_S " copies)");
	if (x->last * u > x->top[x->d])
		x->top[x->d] = x->last * u;
	x->last = 0;
	bf_buf_add(x->o, x->s + x->i, q);
	x->i += q;
	if (x->i < x->n && x->s[x->i] == '?')
		return rx_refuse(x, "lazy quantifier");
	return 0;
}

/* One character that stands for itself or for one POSIX token: emits
 * out, and sets last (1: an atom a quantifier may follow). */
static void
rx_put(struct rx *x, const char *out, unsigned long last)
{
	bf_buf_puts(x->o, out);
	x->i++;
	x->last = last;
}

/* The character at s[i], whatever it starts. */
static int
rx_step(struct rx *x)
{
	char lit[2] = { x->s[x->i], '\0' };

	switch (lit[0]) {
	case '\\':
		return rx_escape(x);
	case '[':
		x->i++;
		x->last = 1;
		return translate_class(x->s, x->n, &x->i, x->o, x->why);
	case '(':
		return rx_open(x);
	case ')':
		rx_put(x, ")", x->last);
		if (x->d > 0) {
			x->last = x->top[x->d--];
			if (x->last > x->top[x->d])
				x->top[x->d] = x->last;
		}
		return 0;
	case '*':
	case '+':
	case '?':
		if (x->last == 0)
			return rx_refuse(x, "a quantifier with nothing to "
			    "repeat");
		rx_put(x, lit, 0);
		if (x->i < x->n && x->s[x->i] == '?')
			return rx_refuse(x, "lazy quantifier");
		return 0;
	case '{':
		return rx_count(x);
	case '}':
		rx_put(x, "\\}", x->last);
		return 0;
	case ']':
		rx_put(x, "\\]", x->last);
		return 0;
	case '.':
		rx_put(x, "[^\n\r\xe2\x80\xa8\xe2\x80\xa9]", 1);
		return 0;
	case '\0':
		return rx_refuse(x, "NUL character");
	case '|':
	case '^':
	case '$':
		rx_put(x, lit, 0);
		return 0;
	default:
		rx_put(x, lit, 1);
		return 0;
	}
}

int
bf_regex_translate(const char *s, size_t n, struct bf_buf *o,
    const char **why)
{
	struct rx x = { .s = s, .n = n, .o = o, .why = why, .top = { 1 } };

	*why = NULL;
	while (x.i < n)
		if (rx_step(&x) == -1)
			return -1;
	return 0;
}
