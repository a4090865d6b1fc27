/*
 * input.c: the line reader for [FILE...] arguments (input.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"

#define RBUFSZ 65536

static char *stdin_args[] = { "-" };

void
bf_input_init(struct bf_input *in, char **files, int nfiles, size_t maxline)
{
	memset(in, 0, sizeof(*in));
	if (nfiles <= 0) {
		files = stdin_args;
		nfiles = 1;
	}
	in->files = files;
	in->nfiles = nfiles;
	in->idx = 0;
	in->fp = NULL;
	in->name = NULL;
	in->maxline = maxline != 0 ? maxline : BF_MAXLINE_DEFAULT;
	in->spill.fd = -1;
}

static void
close_current(struct bf_input *in)
{
	if (in->fp != NULL && in->fp != stdin)
		fclose(in->fp);
	in->fp = NULL;
	in->rpos = in->rend = 0;
	in->idx++;
}

static int
open_next(struct bf_input *in, struct bf_err *e)
{
	const char *f = in->files[in->idx];

	in->lineno = 0;
	in->rpos = in->rend = 0;
	if (strcmp(f, "-") == 0) {
		in->fp = stdin;
		in->name = "<stdin>";
		return 0;
	}
	in->name = f;
	in->fp = fopen(f, "r");
	if (in->fp == NULL) {
		bf_err_set(e, BF_EXIT_IO, "cannot open '%s': %s", f,
		    strerror(errno));
		in->idx++;
		return -1;
	}
	return 0;
}

/* Refills the read buffer: 1 with data, 0 at end of file, -1 on error. */
static int
refill(struct bf_input *in, struct bf_err *e)
{
	struct pollfd pfd;
	ssize_t n;

	/* Output waiting in stdout's buffer goes on before a read that would
	 * wait: what this stage has done reaches the next one whenever its
	 * own input pauses (bf_stdout_init makes the buffer large). */
	pfd.fd = fileno(in->fp);
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) == 0)
		fflush(stdout);
	for (;;) {
		n = read(fileno(in->fp), in->rbuf, RBUFSZ);
		if (n >= 0)
			break;
		if (errno != EINTR) {
			bf_err_set(e, BF_EXIT_IO, "cannot read '%s': %s",
			    in->name, strerror(errno));
			return -1;
		}
	}
	in->rpos = 0;
	in->rend = (size_t)n;
	return n > 0;
}

/* Appends p[0..n) to the spill file of an over-long line. A failure is
 * kept in spill.err, for the DLQ record to report. */
static void
spill_add(struct bf_input *in, const char *p, size_t n)
{
	struct bf_spill *sp = &in->spill;

	while (n > 0 && sp->err == 0) {
		ssize_t w = pwrite(sp->fd, p, n, (off_t)sp->len);

		if (w < 0) {
			if (errno != EINTR)
				sp->err = errno;
			continue;
		}
		p += w;
		n -= (size_t)w;
		sp->len += w;
	}
}

/* The line just became too long: its spill file starts with what was
 * kept so far. */
static void
spill_start(struct bf_input *in)
{
	struct bf_spill *sp = &in->spill;
	const char *dir = getenv("TMPDIR");
	char tmpl[4096];

	sp->len = 0;
	sp->err = 0;
	if (sp->fd < 0) {
		snprintf(tmpl, sizeof(tmpl), "%s/bf-line.XXXXXX",
		    dir != NULL && *dir != '\0' ? dir : "/tmp");
		if ((sp->fd = mkstemp(tmpl)) < 0) {
			sp->err = errno;
			return;
		}
		unlink(tmpl);
	} else if (ftruncate(sp->fd, 0) != 0) {
		sp->err = errno;
		return;
	}
	spill_add(in, in->line.s, in->line.len);
}

/* Appends p[0..n) to the line, keeping at most maxline bytes in memory and
 * the whole of a longer line in its spill file. */
static void
keep(struct bf_input *in, const char *p, size_t n)
{
	size_t room = in->maxline - in->line.len;

	if (!in->toolong && n <= room) {
		if (n != 0)
			bf_buf_add(&in->line, p, n);
		return;
	}
	if (!in->toolong) {
		in->toolong = 1;
		spill_start(in);
		if (room != 0)
			bf_buf_add(&in->line, p, room);
	}
	spill_add(in, p, n);
}

const struct bf_spill *
bf_input_spill(const struct bf_input *in)
{
	return in->toolong ? &in->spill : NULL;
}

int
bf_input_next(struct bf_input *in, struct bf_err *e)
{
	const char *p, *nl;
	size_t n;
	int r, got;

	if (in->rbuf == NULL)
		in->rbuf = bf_xmalloc(RBUFSZ);
	bf_buf_reset(&in->line);
	bf_buf_grow(&in->line, 0);
	in->no_newline = 0;
	in->toolong = 0;
	for (;;) {
		if (in->fp == NULL) {
			if (in->idx >= in->nfiles)
				return 0;
			if (open_next(in, e) < 0)
				return -1;
		}
		got = 0;
		for (;;) {
			if (in->rpos == in->rend) {
				r = refill(in, e);
				if (r < 0) {
					close_current(in);
					bf_buf_reset(&in->line);
					in->toolong = 0;
					return -1;
				}
				if (r == 0)
					break;
			}
			got = 1;
			p = in->rbuf + in->rpos;
			n = in->rend - in->rpos;
			nl = memchr(p, '\n', n);
			if (nl != NULL) {
				keep(in, p, (size_t)(nl - p));
				in->rpos += (size_t)(nl - p) + 1;
				in->lineno++;
				return 1;
			}
			keep(in, p, n);
			in->rpos = in->rend;
		}
		/* End of this file: a last line without newline, if any
		 * (name and lineno stay those of this file). */
		close_current(in);
		if (got) {
			in->lineno++;
			in->no_newline = 1;
			return 1;
		}
	}
}

int
bf_input_ready(const struct bf_input *in)
{
	struct pollfd pfd;

	if (in->rpos < in->rend && memchr(in->rbuf + in->rpos, '\n',
	    in->rend - in->rpos) != NULL)
		return 1;
	if (in->fp == NULL)
		return 1;
	pfd.fd = fileno(in->fp);
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) != 0;
}

void
bf_input_free(struct bf_input *in)
{
	if (in->fp != NULL && in->fp != stdin)
		fclose(in->fp);
	in->fp = NULL;
	free(in->rbuf);
	in->rbuf = NULL;
	bf_buf_free(&in->line);
	if (in->spill.fd >= 0)
		close(in->spill.fd);
	in->spill.fd = -1;
}
