/*
 * stream.c: line types of the bf stream and the window line rules (bf(7)).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "checkpoint.h"
#include "err.h"
#include "files.h"
#include "json.h"
#include "stream.h"
#include "timeutil.h"

int
bf_line_type(const struct bf_json *j)
{
	if (j->ntok == 0 || j->tok[0].type != BF_JSON_OBJECT)
		return BF_LINE_NOTYPE;
	return bf_line_type_of(j, bf_json_get(j, 0, "type"));
}

int
bf_line_type_of(const struct bf_json *j, int t)
{
	const struct bf_jtok *k;

	if (t < 0 || j->tok[t].type != BF_JSON_STRING)
		return BF_LINE_NOTYPE;
	/* most lines are samples: their type compared in place first */
	k = &j->tok[t];
	if (!k->esc && k->end - k->start == 8 &&
	    memcmp(j->s + k->start + 1, "sample", 6) == 0)
		return BF_LINE_SAMPLE;
	if (bf_json_streq(j, t, "sample"))
		return BF_LINE_SAMPLE;
	if (bf_json_streq(j, t, "window"))
		return BF_LINE_WINDOW;
	if (bf_json_streq(j, t, "usage"))
		return BF_LINE_USAGE;
	return BF_LINE_OTHER;
}

/* The slot of a key of length len and first 8 bytes w: multiplicative
 * hashing to 7 bits (BF_FIELDS_SLOTS). */
static inline unsigned
fslot(uint64_t mul, uint64_t w, int len)
{
	return (unsigned)(((w ^ (uint64_t)len) * mul) >> 57);
}

/* Places names[0..n) with multiplier mul: 0, or -1 when two names of
 * different length or first 8 bytes would share a slot. */
static int
place(struct bf_fields *fs, const char *const *names, int n, uint64_t mul)
{
	struct bf_fslot *sl;
	size_t len;
	uint64_t w;
	int i, k;

	for (i = 0; i < BF_FIELDS_SLOTS; i++)
		fs->slot[i].len = -1;
	for (i = 0; i < n; i++) {
		len = strlen(names[i]);
		w = bf_json_word(names[i], len);
		sl = &fs->slot[fslot(mul, w, (int)len)];
		fs->next[i] = -1;
		if (sl->len == (int)len && sl->w == w) {
			/* the same first 8 bytes: after the slot's name */
			for (k = sl->id; fs->next[k] >= 0; k = fs->next[k])
				;
			fs->next[k] = (signed char)i;
			continue;
		}
		if (sl->len >= 0)
			return -1;
		sl->w = w;
		sl->w2 = len > 8 ? bf_json_word(names[i] + 8, len - 8) : 0;
		sl->len = (int)len;
		sl->id = i;
	}
	fs->mul = mul;
	return 0;
}

int
bf_fields_init(struct bf_fields *fs, const char *const *names, int n)
{
	uint64_t mul = 0x9E3779B97F4A7C15u;
	int tries;

	memset(fs, 0, sizeof(*fs));
	if (n < 0 || n > BF_FIELDS_MAX)
		return -1;
	fs->names = names;
	fs->n = n;
	/* Odd multipliers until one keeps the names apart: for 32 names in
	 * 128 slots about 1 in 50 does. */
	for (tries = 0; tries < 1 << 16; tries++, mul += 0x5851F42D4C957F2Eu)
		if (place(fs, names, n, mul | 1) == 0)
			return 0;
	fs->n = 0;
	return -1;
}

/* bf_json_word of p[0..n) (n 1 to 8) when the bytes up to end may be
 * read: one load and a mask where that is the same. */
static inline uint64_t
word_at(const char *p, size_t n, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t w;

	if (end - p >= 8) {
		memcpy(&w, p, 8);
		return n >= 8 ? w : w & (((uint64_t)1 << (8 * n)) - 1);
	}
#endif
	(void)end;
	return bf_json_word(p, n);
}

/* 1 when key token t, whose length (over 8) and first 8 bytes are those of
 * slot sl's name, is that name: bytes 8 to 15 compared as a word. */
static inline int
key_rest_eq(const struct bf_json *j, int t, const struct bf_fslot *sl,
    const char *name)
{
	const struct bf_jtok *k = &j->tok[t];
	size_t len = (size_t)sl->len;
	const char *p;

	if (k->esc)
		return bf_json_streqn(j, t, name, len);
	p = j->s + k->start + 9;
	if (word_at(p, len - 8 > 8 ? 8 : len - 8, j->s + j->len) != sl->w2)
		return 0;
	return len <= 16 || memcmp(p + 8, name + 16, len - 16) == 0;
}

/* The id of a name after the slot's that key k equals (the same length
 * and first 8 bytes), or -1. */
static int
next_name(const struct bf_fields *fs, const struct bf_json *j,
    const struct bf_jkey *k, int id)
{
	for (id = fs->next[id]; id >= 0; id = fs->next[id])
		if (bf_json_streqn(j, k->tok, fs->names[id], (size_t)k->len))
			return id;
	return -1;
}

int
bf_line_scan(const struct bf_fields *fs, const struct bf_json *j, int *tok)
{
	const struct bf_jkey *k, *ke;
	const struct bf_fslot *sl;
	int i, n, nf = fs->n;

	for (i = 0; i < nf; i++)
		tok[i] = -1;
	if ((n = bf_json_root_keys(j, &k)) < 0)
		return BF_LINE_NOTYPE;
	for (ke = k + n; k < ke; k++) {
		/* Only one name of k's length and first 8 bytes can be
		 * there: an empty slot's length (-1) matches no key. */
		sl = &fs->slot[fslot(fs->mul, k->w, k->len)];
		if (sl->w != k->w || sl->len != k->len)
			continue;
		i = sl->id;
		if (k->len > 8 && !key_rest_eq(j, k->tok, sl, fs->names[i]) &&
		    (fs->next[i] < 0 || (i = next_name(fs, j, k, i)) < 0))
			continue;
		tok[i] = k->tok + 1;
	}
	return bf_line_type_of(j, tok[BF_F_TYPE]);
}

void *
bf_wcache_get(const struct bf_wcache *c, const struct bf_json *j,
    const int t[3])
{
	const struct bf_jtok *k;
	size_t n, off = 0;
	int i;

	if (c->hit == NULL)
		return NULL;
	for (i = 0; i < 3; i++) {
		if (t[i] < 0)
			return NULL;
		k = &j->tok[t[i]];
		n = (size_t)(k->end - k->start);
		/* a raw JSON value holds no NUL byte */
		if (n >= c->key.len - off ||
		    memcmp(c->key.s + off, j->s + k->start, n) != 0 ||
		    c->key.s[off + n] != '\0')
			return NULL;
		off += n + 1;
	}
	return off == c->key.len ? c->hit : NULL;
}

void
bf_wcache_set(struct bf_wcache *c, const struct bf_json *j, const int t[3],
    void *hit)
{
	const struct bf_jtok *k;
	int i;

	bf_buf_reset(&c->key);
	for (i = 0; i < 3; i++) {
		k = &j->tok[t[i]];
		bf_buf_add(&c->key, j->s + k->start,
		    (size_t)(k->end - k->start));
		bf_buf_putc(&c->key, '\0');
	}
	c->hit = hit;
}

void
bf_wcache_clear(struct bf_wcache *c)
{
	c->hit = NULL;
}

void
bf_wcache_free(struct bf_wcache *c)
{
	bf_buf_free(&c->key);
	c->hit = NULL;
}

/* The raw text of token t for a message (a string without its quotes),
 * control bytes as '?', cut to a readable length. */
static void
subject(const struct bf_json *j, int t, char *out, size_t outlen)
{
	size_t n, i, k = 0;
	const char *r = bf_json_raw(j, t, &n);

	if (j->tok[t].type == BF_JSON_STRING) {
		r++;
		n -= 2;
	}

	for (i = 0; i < n && k + 4 < outlen; i++) {
		unsigned char c = (unsigned char)r[i];

		out[k++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (i < n) {
		out[k++] = '.';
		out[k++] = '.';
		out[k++] = '.';
	}
	out[k] = '\0';
}

static int
get_time(const struct bf_json *j, const char *key, bf_time *tp,
    char out[BF_TIME_LEN], struct bf_err *e)
{
	struct bf_buf b = BF_BUF_INIT;
	char shown[64];
	int32_t nsec = 0;
	int t, r;

	t = bf_json_get(j, 0, key);
	if (t < 0)
		return bf_err_set(e, BF_EXIT_FAILED, "missing field '%s'",
		    key);
	if (j->tok[t].type != BF_JSON_STRING) {
		subject(j, t, shown, sizeof(shown));
		return bf_err_set(e, BF_EXIT_FAILED,
		    "field '%s' is not a string: '%s'", key, shown);
	}
	bf_json_str(j, t, &b);
	r = bf_time_parse(bf_buf_str(&b), b.len, tp, &nsec);
	bf_buf_free(&b);
	if (r < 0 || nsec != 0 || bf_time_format(*tp, out) == 0) {
		subject(j, t, shown, sizeof(shown));
		return bf_err_set(e, BF_EXIT_FAILED,
		    "bad timestamp '%s' in field '%s'", shown, key);
	}
	return 0;
}

int
bf_window_from_json(const struct bf_json *j, struct bf_window *w,
    struct bf_err *e)
{
	struct bf_buf b = BF_BUF_INIT;
	char shown[64];
	int t;

	memset(w, 0, sizeof(*w));
	if (j->ntok == 0 || j->tok[0].type != BF_JSON_OBJECT)
		return bf_err_set(e, BF_EXIT_FAILED, "line is not an object");
	t = bf_json_get(j, 0, "partition");
	if (t < 0)
		return bf_err_set(e, BF_EXIT_FAILED,
		    "missing field 'partition'");
	if (j->tok[t].type != BF_JSON_STRING) {
		subject(j, t, shown, sizeof(shown));
		return bf_err_set(e, BF_EXIT_FAILED,
		    "field 'partition' is not a string: '%s'", shown);
	}
	bf_json_str(j, t, &b);
	if (b.len == 0) {
		bf_buf_free(&b);
		return bf_err_set(e, BF_EXIT_FAILED, "empty partition name");
	}
	if (memchr(b.s, '\0', b.len) != NULL) {
		bf_buf_free(&b);
		subject(j, t, shown, sizeof(shown));
		return bf_err_set(e, BF_EXIT_FAILED,
		    "partition name holds a NUL byte '%s'", shown);
	}
	if (get_time(j, "window_start", &w->start, w->ws, e) < 0 ||
	    get_time(j, "window_end", &w->end, w->we, e) < 0) {
		bf_buf_free(&b);
		return -1;
	}
	if (w->end <= w->start) {
		bf_buf_free(&b);
		return bf_err_set(e, BF_EXIT_FAILED,
		    "window_end '%s' is not after window_start '%s'", w->we,
		    w->ws);
	}
	w->partition = bf_buf_detach(&b);
	return 0;
}

void
bf_window_free(struct bf_window *w)
{
	free(w->partition);
	w->partition = NULL;
}

int
bf_window_same(const struct bf_window *a, const struct bf_window *b)
{
	return a->start == b->start && a->end == b->end && a->partition &&
	    b->partition && strcmp(a->partition, b->partition) == 0;
}

int
bf_window_failed(const struct bf_json *j)
{
	if (j->ntok == 0 || j->tok[0].type != BF_JSON_OBJECT)
		return 0;
	return bf_json_streq(j, bf_json_get(j, 0, "status"), "failed");
}

/* Fills drop[] (room for max - 1 names plus NULL) with the keys of the
 * object text "{" counts "}", parsed into cj; the names are copied into
 * names (NUL-separated). */
static void
count_keys(const char *counts, struct bf_json *cj, struct bf_buf *text,
    struct bf_buf *names, const char **drop, int *nd, int max)
{
	size_t *offs;
	int i, m, nk = 0;

	bf_buf_putc(text, '{');
	bf_buf_puts(text, counts);
	bf_buf_putc(text, '}');
	if (bf_json_parse(cj, text->s, text->len, BF_JSON_WANT_OBJECT,
	    NULL) != BF_JSON_OK)
		return;
	offs = bf_xmalloc(sizeof(*offs) * (size_t)(cj->tok[0].size + 1));
	for (i = 1, m = 0; m < cj->tok[0].size; m++) {
		offs[nk++] = names->len;
		bf_json_str(cj, i, names);
		bf_buf_putc(names, '\0');
		i = bf_json_skip(cj, i + 1);
	}
	for (i = 0; i < nk && *nd < max - 1; i++)
		drop[(*nd)++] = names->s + offs[i];
	free(offs);
}

void
bf_window_emit(const char *s, size_t n, struct bf_buf *out,
    const char *stage, const char *status, const char *code,
    const char *message, const char *counts)
{
	struct bf_json wj = BF_JSON_INIT, cj = BF_JSON_INIT;
	const struct bf_json *j = &wj;
	struct bf_buf text = BF_BUF_INIT, names = BF_BUF_INIT;
	struct bf_buf extra = BF_BUF_INIT;
	const char *drop[64];
	int nd = 0, failed, fail_now;

	if (bf_json_parse(&wj, s, n, BF_JSON_WANT_OBJECT, NULL) !=
	    BF_JSON_OK) {
		bf_json_free(&wj);
		return;
	}
	failed = bf_window_failed(j);
	fail_now = !failed && status && strcmp(status, "failed") == 0;
	if (counts && *counts)
		count_keys(counts, &cj, &text, &names, drop, &nd, 60);
	if (!failed) {
		drop[nd++] = "status";
		drop[nd++] = "error";
	}
	drop[nd] = NULL;
	if (counts && *counts)
		bf_buf_puts(&extra, counts);
	if (!failed) {
		if (extra.len)
			bf_buf_putc(&extra, ',');
		bf_buf_puts(&extra, "\"status\":");
		if (fail_now) {
			bf_buf_puts(&extra, "\"failed\",\"error\":{\"stage\":");
			bf_json_put_str(&extra, stage ? stage : "",
			    stage ? strlen(stage) : 0);
			bf_buf_puts(&extra, ",\"code\":");
			bf_json_put_str(&extra, code ? code : "",
			    code ? strlen(code) : 0);
			bf_buf_puts(&extra, ",\"message\":");
			bf_json_put_str(&extra, message ? message : "",
			    message ? strlen(message) : 0);
			bf_buf_putc(&extra, '}');
		} else
			bf_json_put_str(&extra, status ? status : "ok",
			    status ? strlen(status) : 2);
	}
	bf_json_rewrite(j, out, drop, extra.s);
	bf_buf_putc(out, '\n');
	bf_buf_free(&extra);
	bf_buf_free(&names);
	bf_buf_free(&text);
	bf_json_free(&cj);
	bf_json_free(&wj);
}

int
bf_name_check(const char *field, const char *s, size_t n, struct bf_buf *why)
{
	struct bf_buf enc = BF_BUF_INIT;
	size_t i, max = BF_NAME_MAX;
	int ispart = strcmp(field, "partition") == 0;

	if (n == 0) {
		bf_buf_printf(why, "'%s' is empty", field);
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			bf_buf_printf(why, "'%s' holds the control character "
			    "U+%04X at byte %zu", field, c, i + 1);
			return -1;
		}
	}
	if (ispart) {
		bf_name_encode(s, n, &enc);
		n = enc.len;
		max = BF_PARTITION_ENC_MAX;
		bf_buf_free(&enc);
	}
	if (n > max) {
		bf_buf_printf(why, "'%s' is %zu bytes%s long, at most %zu",
		    field, n, ispart ? " (encoded for file names)" : "", max);
		return -1;
	}
	return 0;
}
