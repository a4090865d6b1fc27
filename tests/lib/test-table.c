/*
 * test-table.c: unit tests for table.c.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table.h"
#include "tap.h"

static char dir[] = "/tmp/bf-test-table.XXXXXX";
static const char *const hdr[] = { "instance_id", "tenant", "cost_center" };

/* Collects rows as "line:f1|f2|f3;" */
struct rows {
	struct bf_buf b;
	int stop_at;   /* refuse the row on this line */
};

static int
collect(void *ctx, char **f, size_t n, long line, struct bf_err *e)
{
	struct rows *r = ctx;
	size_t i;

	if (line == r->stop_at)
		return bf_err_set(e, BF_EXIT_USAGE, "unknown tenant '%s'",
		    f[1]);
	bf_buf_printf(&r->b, "%ld:", line);
	for (i = 0; i < n; i++) {
		if (i)
			bf_buf_putc(&r->b, '|');
		bf_buf_puts(&r->b, f[i]);
	}
	bf_buf_putc(&r->b, ';');
	return 0;
}

static char *
mkfile(const char *data, size_t n)
{
	static char path[256];
	static int k;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/t%d.csv", dir, k++);
	fp = fopen(path, "w");
	fwrite(data, 1, n, fp);
	fclose(fp);
	return path;
}

/* Reads data as a table; returns rows or "ERR(code):msg" with the file
 * name replaced by F. */
static const char *
run(const char *data, size_t ncols, int stop_at)
{
	static char out[4096];
	struct rows r = { BF_BUF_INIT, stop_at };
	struct bf_err e;
	char *path = mkfile(data, strlen(data));
	size_t pl = strlen(path);

	if (bf_table_read(path, hdr, ncols, collect, &r, &e) == 0)
		snprintf(out, sizeof(out), "%s", bf_buf_str(&r.b));
	else if (strncmp(e.msg, path, pl) == 0)
		snprintf(out, sizeof(out), "ERR(%d):F%s", e.code, e.msg + pl);
	else
		snprintf(out, sizeof(out), "ERR(%d):%s", e.code, e.msg);
	bf_buf_free(&r.b);
	return out;
}

int
main(void)
{
	struct bf_buf b = BF_BUF_INIT;
	struct rows r = { BF_BUF_INIT, 0 };
	struct bf_err e;
	int fd, saved;

	if (mkdtemp(dir) == NULL)
		return 1;

	is_str(run("instance_id,tenant,cost_center\ndb-1,acme,cc-1\n"
	    "db-2,beta,cc-2\n", 3, 0), "2:db-1|acme|cc-1;3:db-2|beta|cc-2;",
	    "plain table");
	is_str(run("instance_id,tenant,cost_center\r\ndb-1,acme,cc-1\r\n", 3,
	    0), "2:db-1|acme|cc-1;", "CRLF line ends");
	is_str(run("instance_id,tenant,cost_center\ndb-1,acme,cc-1", 3, 0),
	    "2:db-1|acme|cc-1;", "no newline at the end");
	is_str(run("instance_id,tenant,cost_center\n\ndb-1,acme,cc-1\n\n  \n"
	    "db-2,b,c\n\n", 3, 0), "3:db-1|acme|cc-1;6:db-2|b|c;",
	    "blank lines skipped, line numbers kept");
	is_str(run("\n\ninstance_id,tenant,cost_center\ndb-1,a,b\n", 3, 0),
	    "4:db-1|a|b;", "blank lines before the header");
	is_str(run("instance_id,tenant,cost_center,note\ndb-1,a,b,x\n", 3, 0),
	    "2:db-1|a|b|x;", "extra columns after the expected ones pass on");
	is_str(run("instance_id,tenant\ndb-1,a\n", 2, 0), "2:db-1|a;",
	    "a prefix of the header list");
	is_str(run("\xef\xbb\xbfinstance_id,tenant,cost_center\na,b,c\n", 3,
	    0), "2:a|b|c;", "byte order mark ignored");
	is_str(run("instance_id,tenant,cost_center\n a , b ,\" c \"\n", 3, 0),
	    "2:a|b| c ;", "unquoted fields trimmed, quoted kept");
	is_str(run("instance_id,tenant,cost_center\na,,\n", 3, 0), "2:a||;",
	    "empty fields");

	/* Quoted fields. */
	is_str(run("instance_id,tenant,cost_center\n\"db,1\",\"say \"\"hi\"\"\","
	    "\"two\nlines\"\nnext,x,y\n", 3, 0),
	    "2:db,1|say \"hi\"|two\nlines;4:next|x|y;",
	    "quoted commas, quotes, newlines; line count goes on");
	is_str(run("instance_id,tenant,cost_center\na,b,c\n\"x\n\n\",\"y\","
	    "z,extra\n", 3, 0), "ERR(2):F:3: 4 fields, expected 3",
	    "wrong count is reported at the line the row starts");

	/* Header errors. */
	is_str(run("instance_id,tenant\na,b\n", 3, 0),
	    "ERR(2):F:1: missing column 'cost_center' in the header "
	    "(2 columns, expected 3)", "short header");
	is_str(run("instance_id,owner,cost_center\na,b,c\n", 3, 0),
	    "ERR(2):F:1: header column 2 is 'owner', expected 'tenant'",
	    "wrong header name");
	is_str(run("\n\ntenant,instance_id,cost_center\n", 3, 0),
	    "ERR(2):F:3: header column 1 is 'tenant', expected 'instance_id'",
	    "header error on its line");
	is_str(run("", 3, 0), "ERR(2):F: no header row (empty file)",
	    "empty file");
	is_str(run("\n \n", 3, 0), "ERR(2):F: no header row (empty file)",
	    "blank file");
	is_str(run("instance_id,tenant,cost_center\n", 3, 0), "",
	    "header only: no rows, no error");

	/* Row errors. */
	is_str(run("instance_id,tenant,cost_center\na,b,c\na,b\n", 3, 0),
	    "ERR(2):F:3: 2 fields, expected 3", "too few fields");
	is_str(run("instance_id,tenant,cost_center\na,b,c,d\n", 3, 0),
	    "ERR(2):F:2: 4 fields, expected 3", "too many fields");
	is_str(run("instance_id,tenant,cost_center,note\na,b,c\n", 3, 0),
	    "ERR(2):F:2: 3 fields, expected 4",
	    "field count follows the file's header");
	is_str(run("instance_id,tenant,cost_center\na,b\"x,c\n", 3, 0),
	    "ERR(2):F:2: malformed CSV: misplaced quote",
	    "quote inside an unquoted field");
	is_str(run("instance_id,tenant,cost_center\n\"a\"b,b,c\n", 3, 0),
	    "ERR(2):F:2: malformed CSV: misplaced quote",
	    "text after a closing quote");
	is_str(run("instance_id,tenant,cost_center\na,b,c\n\"a,b,c\n\n", 3,
	    0), "ERR(2):F:3: malformed CSV: unterminated quoted field",
	    "unterminated quote at the end");
	is_str(run("instance_id,tenant,cost_center\na,b,c\nd,e,f\n", 3, 3),
	    "ERR(2):F:3: unknown tenant 'e'",
	    "callback error gets file and line");
	{
		static const char nul[] = "instance_id,tenant,cost_center\n"
		    "a,b\0x,c\n";
		char *path = mkfile(nul, sizeof(nul) - 1);

		ok(bf_table_read(path, hdr, 3, collect, &r, &e) == -1 &&
		    strstr(e.msg, ":2: NUL byte") != NULL,
		    "NUL byte refused: %s", e.msg);
	}

	/* Missing file. */
	ok(bf_table_read("/nonexistent/rates.csv", hdr, 3, collect, &r,
	    &e) == -1, "missing file fails");
	is_int(e.code, BF_EXIT_USAGE, "missing file: usage error");
	is_str(e.msg, "cannot open '/nonexistent/rates.csv': No such file or "
	    "directory", "missing file message");

	/* Standard input. */
	saved = dup(0);
	fd = open(mkfile("instance_id,tenant,cost_center\nx,y\n", 34),
	    O_RDONLY);
	dup2(fd, 0);
	close(fd);
	ok(bf_table_read("-", hdr, 3, collect, &r, &e) == -1 &&
	    strcmp(e.msg, "<stdin>:2: 2 fields, expected 3") == 0,
	    "'-' reads stdin, named <stdin>: %s", e.msg);
	dup2(saved, 0);
	close(saved);

	/* Writing fields, and reading them back. */
	bf_table_put_field(&b, "plain", 5);
	is_str(b.s, "plain", "plain field unquoted");
	bf_buf_reset(&b);
	bf_table_put_field(&b, "a,b", 3);
	is_str(b.s, "\"a,b\"", "comma quoted");
	bf_buf_reset(&b);
	bf_table_put_field(&b, "say \"hi\"", 8);
	is_str(b.s, "\"say \"\"hi\"\"\"", "quotes doubled");
	bf_buf_reset(&b);
	bf_table_put_field(&b, "a\nb", 3);
	is_str(b.s, "\"a\nb\"", "newline quoted");
	bf_buf_reset(&b);
	bf_table_put_field(&b, "a\rb", 3);
	is_str(b.s, "\"a\rb\"", "CR quoted");
	bf_buf_reset(&b);
	bf_table_put_field(&b, " x", 2);
	is_str(b.s, "\" x\"", "leading space quoted");
	bf_buf_reset(&b);
	bf_table_put_field(&b, "x\t", 2);
	is_str(b.s, "\"x\t\"", "trailing tab quoted");
	bf_buf_reset(&b);
	bf_table_put_field(&b, "", 0);
	is_str(bf_buf_str(&b), "", "empty field");

	bf_buf_reset(&b);
	bf_buf_puts(&b, "instance_id,tenant,cost_center\n");
	bf_table_put_field(&b, " a,\"b\"\r\n ", 9);
	bf_buf_putc(&b, ',');
	bf_table_put_field(&b, "  ", 2);
	bf_buf_putc(&b, ',');
	bf_table_put_field(&b, "caf\xc3\xa9", 5);
	bf_buf_putc(&b, '\n');
	is_str(run(b.s, 3, 0), "2: a,\"b\"\r\n |  |caf\xc3\xa9;",
	    "written fields read back unchanged");

	/* Cells for spreadsheets: formulas neutralised, numbers kept. */
	{
		static const char *const cell[][2] = {
			{ "=cmd|' /C calc'!A1", "'=cmd|' /C calc'!A1" },
			{ "+1+x", "'+1+x" }, { "-2+3", "'-2+3" },
			{ "@SUM(A1)", "'@SUM(A1)" }, { "\tx", "'\tx" },
			{ "\rx", "\"'\rx\"" }, { "-", "'-" }, { "+", "'+" },
			{ "-0.500000000", "-0.500000000" }, { "+1", "+1" },
			{ "-1e5", "-1e5" }, { "-.5", "-.5" }, { "-1e", "'-1e" },
			{ "-1.2.3", "'-1.2.3" }, { "a=b", "a=b" }, { "", "" },
			{ "db-1", "db-1" }, { "=a,b", "\"'=a,b\"" },
		};
		size_t k;

		for (k = 0; k < sizeof(cell) / sizeof(cell[0]); k++) {
			bf_buf_reset(&b);
			bf_table_put_cell(&b, cell[k][0], strlen(cell[k][0]));
			is_str(b.s ? b.s : "", cell[k][1], "put_cell %zu", k);
		}
	}

	bf_buf_free(&b);
	bf_buf_free(&r.b);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		system(cmd);
	}
	return done_testing();
}
