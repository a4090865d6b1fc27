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
				if (c == 'b') {
					(*i)++;
					b = '\b';
				} else if (c == '-') {
					(*i)++;
					b = '-';
				} else if ((b = escape_char(s, n, i, why)) < 0)
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
