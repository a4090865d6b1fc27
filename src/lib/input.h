/*
 * input.h: the line reader every filter uses for its [FILE...] arguments.
 *
 * Files are read in order; no files, or "-", means standard input (named
 * "<stdin>" in messages). Each line is returned without its newline, with
 * the file name and 1-based line number for messages and DLQ positions.
 * Lines longer than maxline bytes are consumed up to their newline but only
 * the first maxline bytes are kept in memory, and toolong is set: the caller
 * rejects them without running out of memory on hostile input. The whole of
 * such a line goes to an unlinked 0600 temporary file (in $TMPDIR, else
 * /tmp) as it is read, so that its DLQ record can keep it whole
 * (bf_input_spill, struct bf_reject's spill).
 */
#ifndef BF_INPUT_H
#define BF_INPUT_H

#include <stdio.h>

#include "buf.h"
#include "dlq.h"
#include "err.h"

#define BF_MAXLINE_DEFAULT (1024 * 1024)

struct bf_input {
	char **files;       /* borrowed from the caller (argv) */
	int nfiles, idx;
	FILE *fp;
	const char *name;   /* current file name, or "<stdin>" */
	long lineno;        /* number of the current line in its file */
	size_t maxline;
	struct bf_buf line; /* the current line, without '\n'; owned */
	int no_newline;     /* the current line ended at EOF without '\n' */
	int toolong;        /* the current line was longer than maxline */
	struct bf_spill spill; /* with toolong: the whole line; owned (fd -1
	                          until a line first needs it) */
	/* Private: the read buffer. Input is read with read(2) on fileno(fp),
	 * so a line is returned as soon as it arrives through a pipe. */
	char *rbuf;
	size_t rpos, rend;
};

/* Sets up reading files[0..nfiles) (nfiles 0: standard input). maxline 0
 * means BF_MAXLINE_DEFAULT. Nothing is opened before the first
 * bf_input_next. */
void bf_input_init(struct bf_input *in, char **files, int nfiles,
    size_t maxline);
/* Reads the next line into in->line: returns 1 for a line, 0 at the end of
 * all input, -1 on an error (a file that cannot be opened or read: e is set
 * with BF_EXIT_IO and reading moves on to the next file on the next call).
 * Before a read that would wait (a pipe with nothing in it yet), stdout is
 * flushed, so that a filter's output never waits in its buffer for input
 * that may be slow to come. */
int bf_input_next(struct bf_input *in, struct bf_err *e);
/* 1 when the next line can be read without waiting: it is in the read
 * buffer already, or the current file is a regular file, at its end, or a
 * pipe with data in it (poll); 0 when bf_input_next would wait for more
 * input. A caller holding work back for more input (bf-load's groups of
 * windows) finishes it first then. */
int bf_input_ready(const struct bf_input *in);
/* The whole of the current line when it is longer than maxline (valid until
 * the next bf_input_next), else NULL: what a DLQ record of it takes as its
 * spill. */
const struct bf_spill *bf_input_spill(const struct bf_input *in);
/* Closes the current file (never standard input) and frees the buffers. */
void bf_input_free(struct bf_input *in);

#endif
