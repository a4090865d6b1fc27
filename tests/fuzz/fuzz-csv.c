/*
 * fuzz-csv: bf_table_read on any bytes, written to a temporary file, with
 * the fixed header "metric,unit,price". Invariants:
 * - every row handed to the callback has as many fields as the header row,
 *   and the first fields of the header are the expected names;
 * - no field holds a NUL byte; line numbers never decrease and lie within
 *   the file (a lone CR also ends a row, so two rows may share a line);
 *   an error names the file and a line and carries an exit code;
 * - a row the callback refuses stops the reading with the callback's code;
 * - what was read, written back with bf_table_put_field, reads back the
 *   same rows (the writer and the reader agree).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "table.h"

#include "fuzz.h"

static const char *const header[] = { "metric", "unit", "price" };
#define NCOLS 3

struct rows {
	struct bf_buf text; /* each row: fields, each NUL-terminated */
	size_t nrows, nfields;
	long lastline, maxline;
	int refuse;         /* refuse a row whose first field is "refuse" */
};

static int
on_row(void *ctx, char **fields, size_t nfields, long line, struct bf_err *e)
{
	struct rows *r = ctx;
	size_t i;

	FUZZ_CHECK(nfields >= NCOLS);
	if (r->nrows == 0)
		r->nfields = nfields;
	FUZZ_CHECK(nfields == r->nfields);
	FUZZ_CHECK(line >= r->lastline && line >= 1 && line <= r->maxline);
	r->lastline = line;
	if (r->refuse && strcmp(fields[0], "refuse") == 0)
		return bf_err_set(e, BF_EXIT_QUOTA, "refused '%s'", fields[1]);
	for (i = 0; i < nfields; i++)
		bf_buf_add(&r->text, fields[i], strlen(fields[i]) + 1);
	r->nrows++;
	return 0;
}

static int
read_rows(const void *p, size_t n, struct rows *r, int refuse,
    struct bf_err *e)
{
	const char *s = p;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->refuse = refuse;
	r->maxline = 1;
	for (i = 0; i < n; i++)
		if (s[i] == '\n')
			r->maxline++;
	fuzz_file(p, n);
	bf_err_clear(e);
	return bf_table_read(fuzz_path, header, NCOLS, on_row, r, e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rows r, r2;
	struct bf_err e;
	struct bf_buf out = BF_BUF_INIT;
	const char *f;
	size_t i, k;
	int rc;

	rc = read_rows(data, size, &r, 1, &e);
	if (rc != 0) {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(e.code == BF_EXIT_USAGE || e.code == BF_EXIT_QUOTA);
		FUZZ_CHECK(strncmp(e.msg, fuzz_path, strlen(fuzz_path)) == 0);
		FUZZ_CHECK(e.msg[strlen(fuzz_path)] == ':');
		bf_buf_free(&r.text);
		return 0;
	}
	FUZZ_CHECK(e.code == 0);
	if (r.nrows == 0) {
		bf_buf_free(&r.text);
		return 0;
	}

	/* Write the rows back and read them again. */
	bf_buf_puts(&out, "metric,unit,price");
	for (k = NCOLS; k < r.nfields; k++)
		bf_buf_printf(&out, ",x%zu", k);
	bf_buf_putc(&out, '\n');
	f = r.text.s;
	for (i = 0; i < r.nrows; i++) {
		for (k = 0; k < r.nfields; k++) {
			if (k > 0)
				bf_buf_putc(&out, ',');
			bf_table_put_field(&out, f, strlen(f));
			f += strlen(f) + 1;
		}
		bf_buf_puts(&out, i % 2 ? "\r\n" : "\n");
	}
	rc = read_rows(out.s, out.len, &r2, 0, &e);
	if (rc != 0)
		fprintf(stderr, "fuzz-csv: rewritten table refused: %s\n",
		    e.msg);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(r2.nrows == r.nrows && r2.nfields == r.nfields);
	FUZZ_CHECK(r2.text.len == r.text.len &&
	    memcmp(r2.text.s, r.text.s, r.text.len) == 0);
	bf_buf_free(&r.text);
	bf_buf_free(&r2.text);
	bf_buf_free(&out);
	return 0;
}
