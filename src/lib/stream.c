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
bf_window_emit(const struct bf_json *j, struct bf_buf *out,
    const char *stage, const char *status, const char *code,
    const char *message, const char *counts)
{
	struct bf_json cj = BF_JSON_INIT;
	struct bf_buf text = BF_BUF_INIT, names = BF_BUF_INIT;
	struct bf_buf extra = BF_BUF_INIT;
	const char *drop[64];
	int nd = 0, failed = bf_window_failed(j), fail_now;

	if (j->ntok == 0 || j->tok[0].type != BF_JSON_OBJECT)
		return;
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
