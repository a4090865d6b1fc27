/*
 * buf.h: growable byte buffers (in the manner of git's strbuf) and the
 * allocation helpers every module uses.
 *
 * A struct bf_buf owns its memory; initialise it with BF_BUF_INIT (or zero
 * it), release it with bf_buf_free. After any append, s is NUL-terminated
 * (the NUL is not counted in len), so s can be passed to C string functions
 * when the content holds no NUL. Appends may move s: pointers into the
 * buffer are invalidated by every append.
 *
 * Allocation failure is not recoverable in these tools: the bf_x* helpers
 * (and so every append) print "prog: out of memory" and abort().
 */
#ifndef BF_BUF_H
#define BF_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

struct bf_buf {
	char *s;     /* NULL until the first append */
	size_t len;  /* bytes used, without the terminating NUL */
	size_t cap;  /* bytes allocated */
};
#define BF_BUF_INIT { NULL, 0, 0 }

void *bf_xmalloc(size_t n);
void *bf_xcalloc(size_t n, size_t size);
void *bf_xrealloc(void *p, size_t n);
char *bf_xstrdup(const char *s);
/* Room for element i of the array p of *cap elements of size bytes (git's
 * ALLOC_GROW): returns p when i < *cap, else p reallocated with *cap
 * doubled (from first when 0) until it exceeds i. The new elements are
 * not initialised. Exits as bf_xrealloc on out-of-memory or overflow. */
void *bf_grow_to(void *p, size_t *cap, size_t i, size_t size, size_t first);
static inline void *
bf_grow(void *p, size_t *cap, size_t i, size_t size, size_t first)
{
	return i < *cap ? p : bf_grow_to(p, cap, i, size, first);
}
/* Calls fn on each of the pointers of type T, in order (systemd's
 * free_many): one statement for a struct's members that are released the
 * same way, e.g. BF_EACH(bf_buf_free, struct bf_buf, &a->k, &a->line) or
 * BF_EACH(free, void, a->name, a->path). NULL pointers are passed on. */
#define BF_EACH(fn, T, ...) do {					\
	T *const bf_each_[] = { __VA_ARGS__ };				\
	for (size_t bf_i_ = 0;						\
	    bf_i_ < sizeof(bf_each_) / sizeof(bf_each_[0]); bf_i_++)	\
		fn(bf_each_[bf_i_]);					\
} while (0)
/* Copies at most n bytes of s, stopping at a NUL (like strndup(3)). */
char *bf_xstrndup(const char *s, size_t n);

/* Ensures room for extra more bytes (plus the NUL). */
void bf_buf_grow(struct bf_buf *b, size_t extra);
void bf_buf_add(struct bf_buf *b, const void *p, size_t n);
void bf_buf_puts(struct bf_buf *b, const char *s);
void bf_buf_putc(struct bf_buf *b, int c);
void bf_buf_printf(struct bf_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void bf_buf_vprintf(struct bf_buf *b, const char *fmt, va_list ap);
/* Empties the buffer but keeps its memory; s stays a valid "" if allocated. */
void bf_buf_reset(struct bf_buf *b);
/* Returns s (never NULL: "" for an empty buffer that never grew). */
const char *bf_buf_str(const struct bf_buf *b);
/* Hands the memory to the caller (who frees it) and empties b. */
char *bf_buf_detach(struct bf_buf *b);
void bf_buf_free(struct bf_buf *b);

/* Frees the n strings of v, then v itself (an owned array of owned
 * strings: argument vectors, name lists). v may be NULL when n is 0. */
void bf_strv_free(char **v, size_t n);

#endif
