/*
 * load-causes.c: what the window lines of windows that failed upstream
 * say, counted per cause (load-internal.h).
 */
#include <stdlib.h>
#include <string.h>

#include "load-internal.h"


/* The string member key of the "error" object of the window line j, into
 * b (reset first; empty when absent or no string). */
static void
error_member(const struct bf_json *j, const char *key, struct bf_buf *b)
{
	int t = bf_json_get(j, 0, "error");

	bf_buf_reset(b);
	if (t != -1)
		t = bf_json_get(j, t, key);
	if (t != -1 && j->tok[t].type == BF_JSON_STRING)
		bf_json_str(j, t, b);
}

/* Counts one more window failed upstream for the window line j's cause
 * (its error's stage and code); returns 1 when the cause is new. */
int
bf_load_cause_count(struct bf_load *l, const struct bf_json *j)
{
	struct bf_buf st = BF_BUF_INIT, co = BF_BUF_INIT, k = BF_BUF_INIT;
	size_t i;
	int added;

	error_member(j, "stage", &st);
	error_member(j, "code", &co);
	/* Each up to a NUL it may hold, as the report shows it. */
	bf_buf_puts(&k, bf_buf_str(&st));
	bf_buf_putc(&k, '\0');
	bf_buf_puts(&k, bf_buf_str(&co));
	i = bf_keymap_put(&l->causes, k.s, k.len, &added);
	if (added) {
		l->ncause = bf_xrealloc(l->ncause, l->causes.n *
		    sizeof(*l->ncause));
		l->ncause[i] = 0;
	}
	l->ncause[i]++;
	bf_buf_free(&st);
	bf_buf_free(&co);
	bf_buf_free(&k);
	return added;
}

/* At the end: one line per cause of upstream failures, with its count. */
void
bf_load_cause_report(struct bf_load *l)
{
	size_t i;

	for (i = 0; i < l->causes.n; i++) {
		const char *stage = l->causes.v[i].key;
		long n = l->ncause[i];

		bf_load_report(l, NULL, 0, "%ld window%s failed upstream (%s: %s): "
		    "not committed", n, n == 1 ? "" : "s", stage,
		    stage + strlen(stage) + 1);
	}
}

/* The members of the window line with number values, as a JSON object. */
char *
bf_load_window_counts(const struct bf_json *j)
{
	struct bf_buf b = BF_BUF_INIT;
	int t, n = 0, k;

	bf_buf_putc(&b, '{');
	for (t = 1, k = 0; k < j->tok[0].size; k++) {
		const char *raw;
		size_t len;

		if (j->tok[t + 1].type == BF_JSON_NUMBER) {
			if (n++)
				bf_buf_putc(&b, ',');
			raw = bf_json_raw(j, t, &len);
			bf_buf_add(&b, raw, len);
			bf_buf_putc(&b, ':');
			raw = bf_json_raw(j, t + 1, &len);
			bf_buf_add(&b, raw, len);
		}
		t = bf_json_skip(j, t + 1);
	}
	bf_buf_putc(&b, '}');
	return bf_buf_detach(&b);
}

/* "failed upstream (STAGE: CODE: MESSAGE)" from a failed window line. */
char *
bf_load_upstream_error(const struct bf_json *j)
{
	struct bf_buf b = BF_BUF_INIT, v = BF_BUF_INIT;
	const char *keys[] = { "stage", "code", "message" };
	int t = bf_json_get(j, 0, "error"), k, n = 0, x;

	bf_buf_puts(&b, "failed upstream");
	for (k = 0; t != -1 && k < 3; k++) {
		x = bf_json_get(j, t, keys[k]);
		if (x == -1 || j->tok[x].type != BF_JSON_STRING)
			continue;
		bf_buf_reset(&v);
		bf_json_str(j, x, &v);
		bf_buf_puts(&b, n++ ? ": " : " (");
		bf_buf_add(&b, v.s, strnlen(bf_buf_str(&v), v.len));
	}
	if (n)
		bf_buf_putc(&b, ')');
	bf_buf_free(&v);
	return bf_buf_detach(&b);
}

char *
bf_load_opt_str(const struct bf_json *j, const char *key)
{
	struct bf_buf b = BF_BUF_INIT;

	if (bf_json_get_str(j, key, &b) == -1 ||
	    memchr(bf_buf_str(&b), '\0', b.len) != NULL) {
		bf_buf_free(&b);
		return NULL;
	}
	if (b.s == NULL)
		return bf_xstrdup("");
	return bf_buf_detach(&b);
}

