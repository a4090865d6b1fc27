/*
 * metrics.c: the metrics map and ${name} templates (metrics.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

	for (i = 0; i < m->n; i++)
		BF_EACH(free, void, m->m[i].metric, m->m[i].unit,
		    m->m[i].query);
	BF_EACH(free, void, m->m, m->path);
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

/*
 * The raw forms (metrics.h). A small recursive-descent reader over the
 * expanded query: i is the position, always past whitespace and comments
 * between tokens.
 */
static size_t
pq_space(const char *q, size_t i)
{
	for (;;) {
		if (q[i] == ' ' || q[i] == '\t' || q[i] == '\n' ||
		    q[i] == '\r')
			i++;
		else if (q[i] == '#')
			while (q[i] != '\0' && q[i] != '\n')
				i++;
		else
			return i;
	}
}

/* The length of the identifier at q (metric names may hold ':'). */
static size_t
pq_ident(const char *q)
{
	size_t n = 0;

	if (!((q[0] >= 'a' && q[0] <= 'z') || (q[0] >= 'A' && q[0] <= 'Z') ||
	    q[0] == '_' || q[0] == ':'))
		return 0;
	while ((q[n] >= 'a' && q[n] <= 'z') || (q[n] >= 'A' && q[n] <= 'Z') ||
	    (q[n] >= '0' && q[n] <= '9') || q[n] == '_' || q[n] == ':')
		n++;
	return n;
}

static int
pq_word(const char *q, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(q, w, n) == 0;
}

/* The length of the string literal at q, quotes included, or 0. */
static size_t
pq_string(const char *q)
{
	size_t n = 1;
	char quote = q[0];

	if (quote != '"' && quote != '\'' && quote != '`')
		return 0;
	for (; q[n] != '\0' && q[n] != quote; n++)
		if (q[n] == '\\' && quote != '`' && q[++n] == '\0')
			return 0;
	return q[n] == quote ? n + 1 : 0;
}

/* The end of an item of a list that close ends, at q[j]: past the spaces,
 * then past a ',' and the spaces after it, or at close; 0 when neither
 * follows (no list item ends at q[0]). */
static size_t
pq_next(const char *q, size_t j, int close)
{
	j = pq_space(q, j);
	if (q[j] == ',')
		return pq_space(q, j + 1);
	return q[j] == close ? j : 0;
}

/* Reads {matchers} at q[*i]; 0, or -1 if it is not one. */
static int
pq_matchers(const char *q, size_t *i)
{
	size_t j = pq_space(q, *i + 1), n;

	while (q[j] != '}') {
		if ((n = pq_ident(q + j)) == 0 && (n = pq_string(q + j)) == 0)
			return -1;
		j = pq_space(q, j + n);
		if (q[j] == '=' && q[j + 1] != '~')
			j++;
		else if ((q[j] == '=' || q[j] == '!') && (q[j + 1] == '~' ||
		    q[j + 1] == '='))
			j += 2;
		else
			return -1;
		j = pq_space(q, j);
		if ((n = pq_string(q + j)) == 0)
			return -1;
		if ((j = pq_next(q, j + n, '}')) == 0)
			return -1;
	}
	*i = j + 1;
	return 0;
}

/* Reads a vector selector at q[*i] into r->sel, r->seln; 0 or -1. */
static int
pq_selector(const char *q, size_t *i, struct bf_promql_raw *r)
{
	size_t j = *i, n = pq_ident(q + j);

	if (n > 0 && (pq_word(q + j, n, "inf") || pq_word(q + j, n, "nan")))
		return -1;
	j += n;
	if (q[j] == '{' && pq_matchers(q, &j) < 0)
		return -1;
	if (j == *i)
		return -1;
	r->sel = *i;
	r->seln = j - *i;
	*i = pq_space(q, j);
	return q[*i] == '(' ? -1 : 0;
}

/* Reads "by (l1, ...)" or "without (...)" at q[*i] if there; 0 (none or
 * read), -1 malformed. */
static int
pq_grouping(const char *q, size_t *i, struct bf_promql_raw *r, int *seen)
{
	size_t j = *i, n = pq_ident(q + j);

	if (n == 0 || (!pq_word(q + j, n, "by") &&
	    !pq_word(q + j, n, "without")))
		return 0;
	if (*seen)
		return -1;
	*seen = 1;
	r->grouping = pq_word(q + j, n, "by") ? BF_PQ_BY : BF_PQ_WITHOUT;
	j = pq_space(q, j + n);
	if (q[j] != '(')
		return -1;
	j = pq_space(q, j + 1);
	while (q[j] != ')') {
		if ((n = pq_ident(q + j)) == 0)
			return -1;
		r->labels = bf_xrealloc(r->labels, (r->nlabels + 1) *
		    sizeof(*r->labels));
		r->labels[r->nlabels++] = bf_xstrndup(q + j, n);
		if ((j = pq_next(q, j + n, ')')) == 0)
			return -1;
	}
	*i = pq_space(q, j + 1);
	return 0;
}

static int
pq_sum(const char *q, size_t i, struct bf_promql_raw *r)
{
	size_t n = pq_ident(q + i);
	int seen = 0;

	if (n == 0 || !pq_word(q + i, n, "sum"))
		return -1;
	i = pq_space(q, i + n);
	if (pq_grouping(q, &i, r, &seen) < 0 || q[i] != '(')
		return -1;
	i = pq_space(q, i + 1);
	if (pq_selector(q, &i, r) < 0 || q[i] != ')')
		return -1;
	i = pq_space(q, i + 1);
	if (pq_grouping(q, &i, r, &seen) < 0)
		return -1;
	return q[i] == '\0' ? 0 : -1;
}

void
bf_promql_raw_free(struct bf_promql_raw *r)
{
	bf_strv_free(r->labels, r->nlabels);
	memset(r, 0, sizeof(*r));
}

int
bf_promql_raw_parse(const char *q, struct bf_promql_raw *r)
{
	size_t i = pq_space(q, 0);

	memset(r, 0, sizeof(*r));
	if (pq_sum(q, i, r) == 0)
		return r->kind = BF_PQ_SUM;
	bf_promql_raw_free(r);
	if (pq_selector(q, &i, r) == 0 && q[i] == '\0')
		return r->kind = BF_PQ_SELECTOR;
	bf_promql_raw_free(r);
	return BF_PQ_GRID;
}
