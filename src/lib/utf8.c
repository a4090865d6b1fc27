/* utf8.c: see utf8.h. */
#include <stddef.h>
#include <stdint.h>

#include "utf8.h"

void
bf_utf8_put(struct bf_buf *b, uint32_t cp)
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
uint32_t
bf_utf8_get(const char *s, size_t n, size_t *i)
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

size_t
bf_utf8_count(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			k++;
	return k;
}
