/*
 * test-input.c: unit tests for input.c.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "tap.h"

static char dir[] = "/tmp/bf-test-input.XXXXXX";

static char *
mkfile(const char *name, const char *data, size_t n)
{
	static char paths[16][256];
	static int k;
	char *p = paths[k++ % 16];
	FILE *fp;

	snprintf(p, 256, "%s/%s", dir, name);
	fp = fopen(p, "w");
	fwrite(data, 1, n, fp);
	fclose(fp);
	return p;
}

/* Reads all of in into one string "name:line:text|..." for comparison. */
static char *
slurp(struct bf_input *in, int *errs)
{
	static struct bf_buf all;
	struct bf_err e;
	int r;

	bf_buf_reset(&all);
	*errs = 0;
	while ((r = bf_input_next(in, &e)) != 0) {
		if (r < 0) {
			(*errs)++;
			bf_buf_printf(&all, "ERR(%d)|", e.code);
			continue;
		}
		bf_buf_printf(&all, "%s:%ld:", in->name, in->lineno);
		bf_buf_add(&all, in->line.s, in->line.len);
		if (in->no_newline)
			bf_buf_puts(&all, "<eof>");
		if (in->toolong)
			bf_buf_puts(&all, "<long>");
		bf_buf_putc(&all, '|');
	}
	return all.s;
}

int
main(void)
{
	struct bf_input in;
	struct bf_err e;
	char *files[8], *s;
	int errs, r, fd, saved, pfd[2];
	char *big;
	size_t i;

	if (mkdtemp(dir) == NULL)
		return 1;

	files[0] = mkfile("a", "one\ntwo\n", 8);
	files[1] = mkfile("b", "three\nfour", 10);
	files[2] = mkfile("c", "", 0);
	files[3] = mkfile("d", "\n\nlast\n", 7);
	bf_input_init(&in, files, 4, 0);
	is_int(in.maxline, BF_MAXLINE_DEFAULT, "maxline 0 means the default");
	s = slurp(&in, &errs);
	{
		char want[1024];

		snprintf(want, sizeof(want),
		    "%s:1:one|%s:2:two|%s:1:three|%s:2:four<eof>|"
		    "%s:1:|%s:2:|%s:3:last|", files[0], files[0], files[1],
		    files[1], files[3], files[3], files[3]);
		is_str(s, want, "several files, line numbers per file, "
		    "no newline at the end, empty file, blank lines");
	}
	is_int(errs, 0, "no errors");
	is_int(bf_input_next(&in, &e), 0, "end stays the end");
	bf_input_free(&in);

	/* A missing file in the middle: error, then the next file. */
	files[0] = mkfile("e", "x\n", 2);
	files[1] = "/nonexistent/bf-input-test";
	files[2] = mkfile("f", "y\n", 2);
	bf_input_init(&in, files, 3, 0);
	is_int(bf_input_next(&in, &e), 1, "first file read");
	r = bf_input_next(&in, &e);
	is_int(r, -1, "missing file is an error");
	is_int(e.code, BF_EXIT_IO, "missing file: BF_EXIT_IO");
	ok(strstr(e.msg, "/nonexistent/bf-input-test") != NULL,
	    "message names the file: %s", e.msg);
	is_int(bf_input_next(&in, &e), 1, "reading goes on after the error");
	is_str(in.line.s, "y", "line from the next file");
	is_int(bf_input_next(&in, &e), 0, "then the end");
	bf_input_free(&in);

	/* A directory: opens but cannot be read. */
	files[0] = dir;
	files[1] = mkfile("g", "z\n", 2);
	bf_input_init(&in, files, 2, 0);
	is_int(bf_input_next(&in, &e), -1, "a directory is a read error");
	is_int(e.code, BF_EXIT_IO, "directory: BF_EXIT_IO");
	is_int(bf_input_next(&in, &e), 1, "next file after the directory");
	is_str(in.line.s, "z", "its line");
	bf_input_free(&in);

	/* CRLF is kept, NUL bytes are kept. */
	files[0] = mkfile("h", "a\r\nb\0c\n\r\n", 9);
	bf_input_init(&in, files, 1, 0);
	bf_input_next(&in, &e);
	ok(in.line.len == 2 && memcmp(in.line.s, "a\r", 2) == 0,
	    "CR stays in the line");
	bf_input_next(&in, &e);
	ok(in.line.len == 3 && memcmp(in.line.s, "b\0c", 3) == 0,
	    "NUL bytes stay in the line (length 3)");
	bf_input_next(&in, &e);
	ok(in.line.len == 1 && in.line.s[0] == '\r', "a lone CR line");
	is_int(bf_input_next(&in, &e), 0, "end");
	bf_input_free(&in);

	/* Over-long lines: truncated to maxline, next line intact. */
	files[0] = mkfile("i", "0123456789abc\nok\n0123456789\n01234567890"
	    , 14 + 3 + 11 + 11);
	bf_input_init(&in, files, 1, 10);
	s = slurp(&in, &errs);
	{
		char want[512];

		snprintf(want, sizeof(want), "%s:1:0123456789<long>|%s:2:ok|"
		    "%s:3:0123456789|%s:4:0123456789<eof><long>|", files[0],
		    files[0], files[0], files[0]);
		is_str(s, want, "too long lines truncated and flagged; "
		    "exactly maxline is not too long");
	}
	bf_input_free(&in);

	/* A huge line across many read buffers, limited to 1000 bytes. */
	big = malloc(300001);
	for (i = 0; i < 300000; i++)
		big[i] = 'a' + (char)(i % 26);
	big[300000] = '\n';
	files[0] = mkfile("j", "", 0);
	fd = open(files[0], O_WRONLY);
	write(fd, big, 300001);
	write(fd, "next\n", 5);
	write(fd, big, 300001);
	close(fd);
	bf_input_init(&in, files, 1, 1000);
	bf_input_next(&in, &e);
	ok(in.toolong && in.line.len == 1000 &&
	    memcmp(in.line.s, big, 1000) == 0,
	    "huge line kept to its first 1000 bytes");
	ok(in.line.cap < 70000, "memory stays bounded (cap %zu)",
	    in.line.cap);
	{
		const struct bf_spill *sp = bf_input_spill(&in);
		char *whole = malloc(300000);

		ok(sp != NULL && sp->err == 0 && sp->len == 300000 &&
		    pread(sp->fd, whole, 300000, 0) == 300000 &&
		    memcmp(whole, big, 300000) == 0,
		    "the whole huge line is in its spill file");
		free(whole);
	}
	bf_input_next(&in, &e);
	ok(!in.toolong && strcmp(in.line.s, "next") == 0 && in.lineno == 2,
	    "line after a huge line is read whole");
	ok(bf_input_spill(&in) == NULL, "and has no spill");
	bf_input_next(&in, &e);
	ok(in.toolong && in.lineno == 3, "second huge line");
	ok(bf_input_spill(&in) != NULL && bf_input_spill(&in)->len == 300000,
	    "its spill holds it alone");
	is_int(bf_input_next(&in, &e), 0, "end");
	bf_input_free(&in);
	/* The same with a large limit: kept whole across buffers. */
	bf_input_init(&in, files, 1, 0);
	bf_input_next(&in, &e);
	ok(!in.toolong && in.line.len == 300000 &&
	    memcmp(in.line.s, big, 300000) == 0,
	    "a 300000-byte line across read buffers is whole");
	bf_input_free(&in);
	free(big);

	/* "-" and no files: standard input, named <stdin>. */
	saved = dup(0);
	fd = open(mkfile("k", "s1\ns2\n", 6), O_RDONLY);
	dup2(fd, 0);
	close(fd);
	files[0] = mkfile("l", "f1\n", 3);
	files[1] = "-";
	bf_input_init(&in, files, 2, 0);
	s = slurp(&in, &errs);
	{
		char want[512];

		snprintf(want, sizeof(want), "%s:1:f1|<stdin>:1:s1|"
		    "<stdin>:2:s2|", files[0]);
		is_str(s, want, "'-' reads standard input as <stdin>");
	}
	bf_input_free(&in);
	fd = open(mkfile("m", "only\n", 5), O_RDONLY);
	dup2(fd, 0);
	close(fd);
	bf_input_init(&in, NULL, 0, 0);
	s = slurp(&in, &errs);
	is_str(s, "<stdin>:1:only|", "no files: standard input");
	bf_input_free(&in);
	ok(fcntl(0, F_GETFD) != -1, "standard input is not closed");

	/* A pipe: a line comes back before the writer closes. */
	if (pipe(pfd) == 0) {
		dup2(pfd[0], 0);
		close(pfd[0]);
		write(pfd[1], "early\n", 6);
		alarm(10);
		bf_input_init(&in, NULL, 0, 0);
		r = bf_input_next(&in, &e);
		ok(r == 1 && strcmp(in.line.s, "early") == 0,
		    "a line from a pipe is returned as it arrives");
		write(pfd[1], "late", 4);
		close(pfd[1]);
		r = bf_input_next(&in, &e);
		ok(r == 1 && strcmp(in.line.s, "late") == 0 &&
		    in.no_newline, "then the rest at EOF");
		is_int(bf_input_next(&in, &e), 0, "end of the pipe");
		alarm(0);
		bf_input_free(&in);
	}
	dup2(saved, 0);
	close(saved);

	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		system(cmd);
	}
	return done_testing();
}
