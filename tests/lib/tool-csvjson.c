/*
 * tool-csvjson: `tool-csvjson FILE` turns a CSV file (RFC 4180, libcsv's
 * strict mode) into NDJSON for jq: first the header as a JSON array of the
 * column names, then one object per row with those names as keys, an
 * empty field as null. A test tool ($BF_TOOLS): the FOCUS test checks
 * bf-ledger's CSV with jq through it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "buf.h"
#include "err.h"
#include "json.h"

struct st {
	char **head;
	size_t nhead, cap;
	int inhead;
	size_t col;
	struct bf_buf line;
	int bad;
};

static void
on_field(void *s, size_t n, void *data)
{
	struct st *x = data;

	if (x->inhead) {
		if (x->nhead == x->cap) {
			x->cap = x->cap ? 2 * x->cap : 64;
			x->head = bf_xrealloc(x->head, x->cap *
			    sizeof(*x->head));
		}
		x->head[x->nhead++] = bf_xstrndup(s, n);
		return;
	}
	if (x->col >= x->nhead) {
		x->bad = 1;
		return;
	}
	bf_buf_putc(&x->line, x->col ? ',' : '{');
	bf_json_put_str(&x->line, x->head[x->col], strlen(x->head[x->col]));
	bf_buf_putc(&x->line, ':');
	if (n == 0)
		bf_buf_puts(&x->line, "null");
	else
		bf_json_put_str(&x->line, s, n);
	x->col++;
}

static void
on_row(int c, void *data)
{
	struct st *x = data;
	size_t i;

	(void)c;
	if (x->inhead) {
		x->inhead = 0;
		fputc('[', stdout);
		for (i = 0; i < x->nhead; i++) {
			struct bf_buf b = BF_BUF_INIT;

			bf_json_put_str(&b, x->head[i], strlen(x->head[i]));
			printf("%s%s", i ? "," : "", b.s);
			bf_buf_free(&b);
		}
		fputs("]\n", stdout);
		return;
	}
	if (x->col != x->nhead)
		x->bad = 1;
	if (x->line.len > 0)
		printf("%s}\n", x->line.s);
	bf_buf_reset(&x->line);
	x->col = 0;
}

int
main(int argc, char *argv[])
{
	struct csv_parser p;
	struct st x;
	char buf[65536];
	size_t n, i;
	FILE *f;

	bf_setprogname(argv[0]);
	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", bf_progname);
		return BF_EXIT_USAGE;
	}
	if ((f = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return BF_EXIT_IO;
	}
	memset(&x, 0, sizeof(x));
	x.inhead = 1;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return BF_EXIT_IO;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (csv_parse(&p, buf, n, on_field, on_row, &x) != n) {
			fprintf(stderr, "%s: %s: %s\n", bf_progname, argv[1],
			    csv_strerror(csv_error(&p)));
			return 1;
		}
	if (csv_fini(&p, on_field, on_row, &x) != 0) {
		fprintf(stderr, "%s: %s: unterminated field\n", bf_progname,
		    argv[1]);
		return 1;
	}
	csv_free(&p);
	fclose(f);
	for (i = 0; i < x.nhead; i++)
		free(x.head[i]);
	free(x.head);
	bf_buf_free(&x.line);
	if (x.bad) {
		fprintf(stderr, "%s: %s: a row with another number of fields "
		    "than the header\n", bf_progname, argv[1]);
		return 1;
	}
	return bf_close_stdout();
}
