/*
 * fetch.h: bf-fetch's window loop.
 *
 * Reads the stream from files (input.h), and for each window line fetches
 * the window from the source on one of o->jobs worker threads. Output keeps
 * input order: a window's samples are written contiguously, followed by its
 * window line (bf_window_emit: "fetched", "requests", "retries", "pages",
 * "resolution" and status ok), and only once all its pages arrived; a window
 * that failed gets only its window line, status failed with the error. Lines
 * of other types pass through unchanged at their place; a window line that
 * is already failed is passed on without fetching. With o->dry_run nothing
 * is fetched: one "plan" line per window and a "plan_total" line are written
 * instead.
 *
 * Before the first window is fetched the source's check runs once, for the
 * first valid window line (o->check: BF_CHECK_FIRST); BF_CHECK_ONLY runs
 * it alone, reading no further than that line and writing nothing;
 * BF_CHECK_NONE skips it. Failed windows are reported on stderr once per
 * cause (error code) when first seen, each with -v, and at the end one
 * line per cause with the number of windows.
 */
#ifndef BF_FETCH_H
#define BF_FETCH_H

#include "err.h"
#include "source.h"

/* Default knobs (bf-fetch(1) documents them). */
#define BF_FETCH_JOBS 4
#define BF_FETCH_TIMEOUT_MS 30000
#define BF_FETCH_CONNECT_TIMEOUT_MS 10000
#define BF_FETCH_BREAKER 5
#define BF_FETCH_COOLDOWN_MS 30000
#define BF_FETCH_STEP 60
#define BF_FETCH_LOOKBACK 3600
#define BF_FETCH_PAGE 10000
#define BF_FETCH_STATEMENT_TIMEOUT_MS 60000
#define BF_FETCH_MAX_BODY ((size_t)256 << 20)
#define BF_FETCH_MAX_PAGES 1000

/* Sets every option to its default (kind 0: none chosen). */
void bf_fetch_opts_init(struct bf_fetch_opts *o);

/* Opens the source of o (loading the metrics map): -1 with e set when the
 * options do not fit together or a file is unusable (BF_EXIT_USAGE), before
 * any input is read. Then runs the loop over files (argv style; none means
 * stdin). Returns the exit status: 0 every window ok, 1 some failed (or an
 * input line was not a JSON object), 69 every window failed with the source
 * unavailable, 74 an input file could not be read; or -1 with e set when the
 * source could not be opened or the check failed (e->code 2: a query
 * refused, 69: the source did not answer; nothing fetched). */
int bf_fetch_run(const struct bf_fetch_opts *o, char **files, int nfiles,
    struct bf_err *e);

#endif
