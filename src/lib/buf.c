/*
 * buf.c: growable byte buffers and allocation helpers (buf.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

static void
oom(void)
{
	fprintf(stderr, "%s: out of memory\n", bf_progname);
	abort();
}

void *
bf_xmalloc(size_t n)
{
	void *p = malloc(n != 0 ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
bf_xcalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	p = calloc(n, size);
	if (p == NULL)
		oom();
	return p;
}

void *
bf_xrealloc(void *p, size_t n)
{
	p = realloc(p, n != 0 ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
bf_grow_to(void *p, size_t *cap, size_t i, size_t size, size_t first)
{
	size_t c = *cap ? *cap : first ? first : 1;

	while (c <= i) {
		if (c > SIZE_MAX / 2)
			oom();
		c *= 2;
	}
	if (size != 0 && c > SIZE_MAX / size)
		oom();
	*cap = c;
	return bf_xrealloc(p, c * size);
}

char *
bf_xstrdup(const char *s)
{
	return bf_xstrndup(s, strlen(s));
}

char *
bf_xstrndup(const char *s, size_t n)
{
	char *p;

	n = strnlen(s, n);
	if (n == SIZE_MAX)
		oom();
	p = bf_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
bf_buf_grow(struct bf_buf *b, size_t extra)
{
	size_t need, cap;

	if (extra > SIZE_MAX - 1 - b->len)
		oom();
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	cap = b->cap != 0 ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->s = bf_xrealloc(b->s, cap);
	b->cap = cap;
	if (b->len == 0)
		b->s[0] = '\0';
}

void
bf_buf_add(struct bf_buf *b, const void *p, size_t n)
{
	/* bf_buf_grow only when the room (with the NUL) may be short */
	if (n >= b->cap - b->len || b->len >= b->cap)
		bf_buf_grow(b, n);
	if (n != 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
bf_buf_puts(struct bf_buf *b, const char *s)
{
	bf_buf_add(b, s, strlen(s));
}

void
bf_buf_putc(struct bf_buf *b, int c)
{
	if (b->len + 2 > b->cap)
		bf_buf_grow(b, 1);
	b->s[b->len++] = (char)c;
	b->s[b->len] = '\0';
}

void
bf_buf_printf(struct bf_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bf_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
bf_buf_vprintf(struct bf_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	/* Once, or twice when the text did not fit: then it has room. */
	for (bf_buf_grow(b, 64);; bf_buf_grow(b, (size_t)n)) {
		va_copy(cp, ap);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, cp);
		va_end(cp);
		if (n < 0) {
			b->s[b->len] = '\0';
			return;
		}
		if ((size_t)n < b->cap - b->len)
			break;
	}
	b->len += (size_t)n;
}

void
bf_buf_reset(struct bf_buf *b)
{
	b->len = 0;
	if (b->s != NULL)
		b->s[0] = '\0';
}

const char *
bf_buf_str(const struct bf_buf *b)
{
	return b->s != NULL ? b->s : "";
}

char *
bf_buf_detach(struct bf_buf *b)
{
	char *s = b->s;

	if (s == NULL) {
		s = bf_xmalloc(1);
		s[0] = '\0';
	}
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void
bf_buf_free(struct bf_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

void
bf_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
