/*
 * metrics.c: the metrics map and ${name} templates (metrics.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "table.h"

static const char *const map_vars[] = { "partition", "step", "window_start",
	"window_end", NULL };

struct load_ctx {
	struct bf_metrics *m;
	int check_vars;
};

static int
add_row(void *ctx, char **f, size_t nf, long line, struct bf_err *e)
{
	struct load_ctx *c = ctx;
	struct bf_metrics *m = c->m;
	struct bf_metric *r;
	size_t i;

	if (f[0][0] == '\0')
		return bf_err_set(e, BF_EXIT_USAGE, "empty metric name");
	if (f[1][0] == '\0')
		return bf_err_set(e, BF_EXIT_USAGE, "empty unit for metric '%s'",
		    f[0]);
	if (f[2][0] == '\0')
		return bf_err_set(e, BF_EXIT_USAGE,
		    "empty query for metric '%s'", f[0]);
	for (i = 0; i < m->n; i++)
		if (strcmp(m->m[i].metric, f[0]) == 0)
			return bf_err_set(e, BF_EXIT_USAGE,
			    "duplicate metric '%s' (first on line %ld)", f[0],
			    m->m[i].line);
	if (c->check_vars && bf_template_check(f[2], map_vars, e) < 0)
		return -1;
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 8;
		m->m = bf_xrealloc(m->m, m->cap * sizeof(*m->m));
	}
	r = &m->m[m->n++];
	r->metric = bf_xstrdup(f[0]);
	r->unit = bf_xstrdup(f[1]);
	r->query = bf_xstrdup(f[2]);
	r->line = line;
	(void)nf;
	return 0;
}

int
bf_metrics_load(const char *path, int check_vars, struct bf_metrics *m,
    struct bf_err *e)
{
	static const char *const header[] = { "metric", "unit", "query" };
	struct load_ctx c;

	memset(m, 0, sizeof(*m));
	c.m = m;
	c.check_vars = check_vars;
	if (bf_table_read(path, header, 3, add_row, &c, e) < 0) {
		bf_metrics_free(m);
		return -1;
	}
	if (m->n == 0) {
		bf_metrics_free(m);
		return bf_err_set(e, BF_EXIT_USAGE, "%s: no metrics", path);
	}
	m->path = bf_xstrdup(path);
	return 0;
}

void
bf_metrics_free(struct bf_metrics *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->m[i].metric);
		free(m->m[i].unit);
		free(m->m[i].query);
	}
	free(m->m);
	free(m->path);
	memset(m, 0, sizeof(*m));
}

const struct bf_metric *
bf_metrics_by_query(const struct bf_metrics *m, const char *q, size_t n)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strlen(m->m[i].query) == n &&
		    memcmp(m->m[i].query, q, n) == 0)
			return &m->m[i];
	return NULL;
}

/* Appends s[0..n) escaped for the inside of a PromQL string literal
 * opened by quote ('"' or '\''): backslash, that quote and control
 * characters escaped. */
static void
promql_escape(struct bf_buf *out, const char *s, size_t n, char quote)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == (unsigned char)quote || c == '\\') {
			bf_buf_putc(out, '\\');
			bf_buf_putc(out, c);
		} else if (c == '\n') {
			bf_buf_puts(out, "\\n");
		} else if (c == '\r') {
			bf_buf_puts(out, "\\r");
		} else if (c == '\t') {
			bf_buf_puts(out, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			bf_buf_puts(out, "\\x");
			bf_buf_putc(out, hex[c >> 4]);
			bf_buf_putc(out, hex[c & 15]);
		} else {
			bf_buf_putc(out, c);
		}
	}
}

void
bf_promql_quote(struct bf_buf *out, const char *s, size_t n)
{
	bf_buf_putc(out, '"');
	promql_escape(out, s, n, '"');
	bf_buf_putc(out, '"');
}

/* PromQL's lexical state at a point of a template: outside any literal
 * (0), inside a string opened by '"', '\'' or '`', or in a '#' comment. */
struct lexstate {
	char in;  /* 0, '"', '\'', '`' or '#' */
	int esc;  /* the previous byte was a backslash inside '"' or '\'' */
};

/* Advances st over the template text s[0..n). */
static void
lex(struct lexstate *st, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (st->esc) {
			st->esc = 0;
		} else if (st->in == 0) {
			if (c == '"' || c == '\'' || c == '`' || c == '#')
				st->in = c;
		} else if (st->in == '#') {
			if (c == '\n')
				st->in = 0;
		} else if (c == st->in) {
			st->in = 0;
		} else if (c == '\\' && st->in != '`') {
			st->esc = 1;
		}
	}
}

/* Walks tmpl; for each ${name} calls fn with the PromQL string literal
 * the placeholder stands in ('"', '\'', '`'), or 0 outside one. */
static int
walk(const char *tmpl, int (*fn)(void *, const char *, size_t, char,
    struct bf_buf *, struct bf_err *), void *ctx, struct bf_buf *out,
    struct bf_err *e)
{
	const char *p = tmpl, *q, *end;
	struct lexstate st = { 0, 0 };

	while ((q = strstr(p, "${")) != NULL) {
		if (out != NULL)
			bf_buf_add(out, p, (size_t)(q - p));
		lex(&st, p, (size_t)(q - p));
		end = strchr(q + 2, '}');
		if (end == NULL)
			return bf_err_set(e, BF_EXIT_USAGE,
			    "unterminated '${' in '%s'", tmpl);
		if (fn(ctx, q + 2, (size_t)(end - q - 2),
		    st.in == '#' ? 0 : st.in, out, e) < 0)
			return -1;
		p = end + 1;
	}
	if (out != NULL)
		bf_buf_puts(out, p);
	return 0;
}

struct expand_ctx {
	const struct bf_var *vars;
	size_t nvars;
	const char *const *names;
};

/* Puts value v for a promql variable whose placeholder stands in the
 * literal quote (0: none): a whole literal, or its escaped contents. A raw
 * `...` string has no escapes: a value holding '`' (or '\r', which PromQL
 * drops there) cannot be written in one. */
static int
put_promql(struct bf_buf *out, const struct bf_var *v, char quote,
    struct bf_err *e)
{
	size_t n = strlen(v->value);

	if (quote == 0) {
		bf_promql_quote(out, v->value, n);
	} else if (quote != '`') {
		promql_escape(out, v->value, n, quote);
	} else if (strpbrk(v->value, "`\r") != NULL) {
		return bf_err_set(e, BF_EXIT_USAGE, "${%s}: the value '%.100s' "
		    "cannot be written inside a `...` raw string (it holds a "
		    "backquote or a carriage return): write \"${%s}\" or "
		    "${%s} instead", v->name, v->value, v->name, v->name);
	} else {
		bf_buf_add(out, v->value, n);
	}
	return 0;
}

static int
subst(void *ctx, const char *name, size_t n, char quote, struct bf_buf *out,
    struct bf_err *e)
{
	struct expand_ctx *c = ctx;
	size_t i;

	if (c->vars == NULL) {
		for (i = 0; c->names != NULL && c->names[i] != NULL; i++)
			if (strlen(c->names[i]) == n &&
			    memcmp(c->names[i], name, n) == 0)
				return 0;
	} else {
		for (i = 0; i < c->nvars; i++) {
			const struct bf_var *v = &c->vars[i];

			if (strlen(v->name) != n || memcmp(v->name, name, n))
				continue;
			if (v->promql)
				return put_promql(out, v, quote, e);
			bf_buf_puts(out, v->value);
			return 0;
		}
	}
	return bf_err_set(e, BF_EXIT_USAGE, "unknown variable '${%.*s}'",
	    (int)(n > 64 ? 64 : n), name);
}

int
bf_template_expand(const char *tmpl, const struct bf_var *vars, size_t nvars,
    struct bf_buf *out, struct bf_err *e)
{
	struct expand_ctx c = { vars, nvars, NULL };

	return walk(tmpl, subst, &c, out, e);
}

int
bf_template_check(const char *tmpl, const char *const *names,
    struct bf_err *e)
{
	struct expand_ctx c = { NULL, 0, names };

	return walk(tmpl, subst, &c, NULL, e);
}

int
bf_metrics_expand(const char *query, const char *partition, const char *step,
    const char *window_start, const char *window_end, struct bf_buf *out,
    struct bf_err *e)
{
	struct bf_var v[4] = {
		{ "partition", partition, 1 },
		{ "step", step, 0 },
		{ "window_start", window_start, 0 },
		{ "window_end", window_end, 0 },
	};

	return bf_template_expand(query, v, 4, out, e);
}
