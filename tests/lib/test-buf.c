/*
 * test-buf.c: unit tests for buf.c.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

static size_t order_n;
static const char **order_seen;

static void
note_order(const char *p)
{
	order_seen[order_n++] = p;
}

int
main(void)
{
	struct bf_buf b = BF_BUF_INIT;
	char *p;
	size_t i;

	is_str(bf_buf_str(&b), "", "empty buffer reads as \"\"");
	ok(b.s == NULL && b.len == 0, "BF_BUF_INIT is empty and unallocated");
	bf_buf_reset(&b);
	ok(b.s == NULL, "reset of an unallocated buffer is fine");

	bf_buf_puts(&b, "abc");
	is_str(b.s, "abc", "puts");
	is_int(b.len, 3, "len after puts");
	bf_buf_putc(&b, 'd');
	is_str(b.s, "abcd", "putc");
	bf_buf_add(&b, "e\0f", 3);
	is_int(b.len, 7, "add counts NUL bytes");
	ok(memcmp(b.s, "abcde\0f", 8) == 0, "add copies NUL and terminates");
	bf_buf_add(&b, NULL, 0);
	is_int(b.len, 7, "adding nothing changes nothing");

	bf_buf_reset(&b);
	is_int(b.len, 0, "reset empties");
	is_str(b.s, "", "reset leaves a valid empty string");
	ok(b.cap > 0, "reset keeps memory");

	bf_buf_printf(&b, "%d-%s", 42, "x");
	is_str(b.s, "42-x", "printf");
	bf_buf_printf(&b, "%s", "");
	is_str(b.s, "42-x", "printf of empty appends nothing");
	{
		char big[5000];

		memset(big, 'q', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		bf_buf_printf(&b, "[%s]", big);
		is_int(b.len, 4 + 2 + 4999, "printf longer than the spare room");
		ok(b.s[4] == '[' && b.s[b.len - 1] == ']' &&
		    b.s[b.len] == '\0', "printf grows and terminates");
	}

	bf_buf_reset(&b);
	for (i = 0; i < 100000; i++)
		bf_buf_putc(&b, 'a' + (int)(i % 26));
	is_int(b.len, 100000, "many putc");
	ok(b.s[99999] == 'a' + 99999 % 26 && b.s[100000] == '\0',
	    "content after growth");
	ok(b.cap > b.len, "cap exceeds len (room for NUL)");

	p = bf_buf_detach(&b);
	ok(p != NULL && strlen(p) == 100000, "detach hands over the string");
	ok(b.s == NULL && b.len == 0 && b.cap == 0, "detach empties the buffer");
	free(p);
	p = bf_buf_detach(&b);
	is_str(p, "", "detach of an empty buffer gives \"\"");
	free(p);

	bf_buf_grow(&b, 10);
	ok(b.cap >= 11 && b.s != NULL && b.s[0] == '\0',
	    "grow allocates a terminated buffer");
	bf_buf_free(&b);
	ok(b.s == NULL && b.len == 0 && b.cap == 0, "free resets");
	bf_buf_free(&b);
	ok(1, "double free is harmless");

	p = bf_xstrdup("hello");
	is_str(p, "hello", "xstrdup");
	free(p);
	p = bf_xstrndup("hello", 3);
	is_str(p, "hel", "xstrndup cuts");
	free(p);
	p = bf_xstrndup("hi", 10);
	is_str(p, "hi", "xstrndup stops at NUL");
	free(p);
	p = bf_xcalloc(4, 4);
	ok(p[0] == 0 && p[15] == 0, "xcalloc zeroes");
	p = bf_xrealloc(p, 100);
	p[99] = 1;
	free(p);
	p = bf_xmalloc(0);
	ok(p != NULL, "xmalloc(0) gives a pointer");
	free(p);
	{
		long *v = NULL, *same;
		size_t cap = 0, n, bad = 0;

		v = bf_grow(v, &cap, 0, sizeof(*v), 4);
		is_int(cap, 4, "grow from nothing takes first");
		same = v;
		v = bf_grow(v, &cap, 3, sizeof(*v), 4);
		ok(v == same && cap == 4, "grow within cap changes nothing");
		v = bf_grow(v, &cap, 4, sizeof(*v), 4);
		is_int(cap, 8, "grow past cap doubles");
		v = bf_grow(v, &cap, 40, sizeof(*v), 4);
		is_int(cap, 64, "grow far past cap doubles until it holds i");
		for (n = 0; n < 1000; n++) {
			v = bf_grow(v, &cap, n, sizeof(*v), 4);
			v[n] = (long)n * 7;
		}
		for (n = 0; n < 1000; n++)
			bad += v[n] != (long)n * 7;
		ok(bad == 0 && cap == 1024, "appends through grow keep values");
		free(v);
		cap = 0;
		v = bf_grow(NULL, &cap, 0, sizeof(*v), 0);
		ok(v != NULL && cap == 1, "grow with first 0 starts at 1");
		free(v);
	}
	{
		/* BF_EACH: every pointer, in order, NULL passed on. */
		struct bf_buf x = BF_BUF_INIT, y = BF_BUF_INIT;
		const char *seen[4] = { 0 };

		bf_buf_puts(&x, "x");
		bf_buf_puts(&y, "yy");
		order_n = 0;
		order_seen = seen;
		BF_EACH(note_order, const char, "a", NULL, "c");
		ok(order_n == 3 && strcmp(seen[0], "a") == 0 &&
		    seen[1] == NULL && strcmp(seen[2], "c") == 0,
		    "BF_EACH calls fn on each pointer in order");
		BF_EACH(bf_buf_free, struct bf_buf, &x, &y);
		ok(x.s == NULL && x.len == 0 && y.s == NULL && y.cap == 0,
		    "BF_EACH frees every buffer");
		/* free takes NULL; a leak here fails the valgrind pass. */
		BF_EACH(free, void, bf_xstrdup("p"), NULL);
	}
	{
		/* bf_strv_free: the n strings and the array, nothing past n
		 * (v[3] is not the heap's: freeing it would abort). A leak
		 * fails the valgrind and sanitizer passes. */
		static char keep[] = "keep";
		char **v = bf_xcalloc(4, sizeof(*v));
		size_t i;

		for (i = 0; i < 3; i++)
			v[i] = bf_xstrdup("s");
		v[3] = keep;
		bf_strv_free(v, 3);
		bf_strv_free(NULL, 0);
		ok(strcmp(keep, "keep") == 0,
		    "bf_strv_free frees n strings and the array");
	}
	return done_testing();
}
