/*
 * table.c: CSV inputs and outputs over libcsv (table.h).
 *
 * The parser is fed one byte at a time so that every row is known by the
 * line it starts on (libcsv reports no positions); the tables are
 * configuration files, small enough for this to cost nothing noticeable.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "table.h"

struct reader {
	const char *name;           /* for messages */
	const char *const *header;
	size_t ncols;               /* expected leading columns */
	size_t nhead;               /* columns in the file's header, once read */
	bf_table_row_fn fn;
	void *ctx;
	struct bf_err *e;
	char **f;                   /* fields of the current row */
	size_t nf, capf;
	int nul;                    /* a field of this row held a NUL byte */
	long line;                  /* line being fed */
	long rowline;               /* line the current row started on */
	int atrow;                  /* next non-terminator byte starts a row */
	int seenheader;
	int failed;                 /* e is set: stop */
};

static void
on_field(void *s, size_t n, void *data)
{
	struct reader *r = data;

	if (r->failed)
		return;
	if (n != 0 && memchr(s, '\0', n) != NULL)
		r->nul = 1;
	if (r->nf == r->capf) {
		r->capf = r->capf ? r->capf * 2 : 16;
		r->f = bf_xrealloc(r->f, r->capf * sizeof(*r->f));
	}
	r->f[r->nf] = bf_xmalloc(n + 1);
	if (n != 0)
		memcpy(r->f[r->nf], s, n);
	r->f[r->nf][n] = '\0';
	r->nf++;
}

static void
clear_row(struct reader *r)
{
	size_t i;

	for (i = 0; i < r->nf; i++)
		free(r->f[i]);
	r->nf = 0;
	r->nul = 0;
}

static void fail(struct reader *, long, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static void
fail(struct reader *r, long line, int code, const char *fmt, ...)
{
	char msg[sizeof(r->e->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bf_err_set(r->e, code, "%s:%ld: %s", r->name, line, msg);
	r->failed = 1;
}

static void
check_header(struct reader *r)
{
	size_t i;

	for (i = 0; i < r->ncols; i++) {
		if (i >= r->nf) {
			fail(r, r->rowline, BF_EXIT_USAGE, "missing column "
			    "'%s' in the header (%zu columns, expected %zu)",
			    r->header[i], r->nf, r->ncols);
			return;
		}
		if (strcmp(r->f[i], r->header[i]) != 0) {
			fail(r, r->rowline, BF_EXIT_USAGE, "header column %zu "
			    "is '%.200s', expected '%.200s'", i + 1, r->f[i],
			    r->header[i]);
			return;
		}
	}
	r->nhead = r->nf;
	r->seenheader = 1;
}

static void
on_row(int c, void *data)
{
	struct reader *r = data;
	struct bf_err sub;

	r->atrow = 1;
	if (r->failed)
		goto out;
	/* A line of nothing but spaces comes as one empty field. */
	if (r->nf == 0 || (r->nf == 1 && r->f[0][0] == '\0'))
		goto out;
	if (r->nul) {
		fail(r, r->rowline, BF_EXIT_USAGE, "NUL byte in a field");
		goto out;
	}
	if (!r->seenheader) {
		check_header(r);
		goto out;
	}
	if (r->nf != r->nhead) {
		fail(r, r->rowline, BF_EXIT_USAGE, "%zu fields, expected %zu",
		    r->nf, r->nhead);
		goto out;
	}
	bf_err_clear(&sub);
	if (r->fn(r->ctx, r->f, r->nf, r->rowline, &sub) != 0) {
		bf_err_set(r->e, sub.code != 0 ? sub.code : BF_EXIT_USAGE,
		    "%s:%ld: %s", r->name, r->rowline,
		    sub.msg[0] != '\0' ? sub.msg : "row refused");
		r->failed = 1;
	}
out:
	clear_row(r);
}

static int
feed(struct csv_parser *p, struct reader *r, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && !r->failed; i++) {
		if (r->atrow && s[i] != '\n' && s[i] != '\r' &&
		    s[i] != ' ' && s[i] != '\t') {
			r->atrow = 0;
			r->rowline = r->line;
		}
		if (csv_parse(p, s + i, 1, on_field, on_row, r) != 1) {
			fail(r, r->line, BF_EXIT_USAGE, "malformed CSV: %s",
			    csv_error(p) == CSV_EPARSE ? "misplaced quote" :
			    csv_strerror(csv_error(p)));
			return -1;
		}
		if (s[i] == '\n')
			r->line++;
	}
	return r->failed ? -1 : 0;
}

int
bf_table_read(const char *path, const char *const *header, size_t ncols,
    bf_table_row_fn fn, void *ctx, struct bf_err *e)
{
	struct csv_parser p;
	struct reader r = {
		.header = header, .ncols = ncols, .fn = fn, .ctx = ctx, .e = e,
		.line = 1, .atrow = 1,
	};
	char buf[65536];
	size_t n, off;
	FILE *fp;
	int first = 1, rc = -1;

	if (strcmp(path, "-") == 0) {
		fp = stdin;
		r.name = "<stdin>";
	} else {
		r.name = path;
		fp = fopen(path, "r");
		if (fp == NULL)
			return bf_err_set(e, BF_EXIT_USAGE, "cannot open '%s': "
			    "%s", path, strerror(errno));
	}
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		bf_err_set(e, BF_EXIT_IO, "%s: cannot set up the CSV parser",
		    r.name);
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		off = 0;
		/* A UTF-8 byte order mark (spreadsheet exports) is no data. */
		if (first && n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
			off = 3;
		first = 0;
		if (feed(&p, &r, buf + off, n - off) != 0)
			goto done;
	}
	if (ferror(fp)) {
		bf_err_set(e, BF_EXIT_IO, "cannot read '%s': %s", r.name,
		    strerror(errno));
		goto done;
	}
	if (csv_fini(&p, on_field, on_row, &r) != 0) {
		fail(&r, r.rowline, BF_EXIT_USAGE, "malformed CSV: "
		    "unterminated quoted field");
		goto done;
	}
	if (r.failed)
		goto done;
	if (!r.seenheader) {
		bf_err_set(e, BF_EXIT_USAGE, "%s: no header row (empty file)",
		    r.name);
		goto done;
	}
	rc = 0;
done:
	csv_free(&p);
out:
	clear_row(&r);
	free(r.f);
	if (fp != stdin)
		fclose(fp);
	return rc;
}

int
bf_table_is_number(const char *s, size_t n)
{
	size_t i = 0, d = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		d++;
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			d++;
	if (d == 0)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			d++;
		if (d == 0)
			return 0;
	}
	return i == n;
}

void
bf_table_put_cell(struct bf_buf *out, const char *s, size_t n)
{
	struct bf_buf b = BF_BUF_INIT;

	if (n == 0 || strchr("=+-@\t\r", s[0]) == NULL || s[0] == '\0' ||
	    bf_table_is_number(s, n)) {
		bf_table_put_field(out, s, n);
		return;
	}
	bf_buf_grow(&b, n + 1);
	bf_buf_putc(&b, '\'');
	bf_buf_add(&b, s, n);
	bf_table_put_field(out, b.s, b.len);
	bf_buf_free(&b);
}

void
bf_table_put_field(struct bf_buf *out, const char *s, size_t n)
{
	size_t i;
	int quote = 0;

	if (n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' ||
	    s[n - 1] == '\t'))
		quote = 1;
	for (i = 0; i < n && !quote; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			quote = 1;
	if (!quote) {
		bf_buf_add(out, s, n);
		return;
	}
	bf_buf_grow(out, n + 2);
	bf_buf_putc(out, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			bf_buf_putc(out, '"');
		bf_buf_putc(out, s[i]);
	}
	bf_buf_putc(out, '"');
}
