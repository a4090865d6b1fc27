/*
 * aggregate.h: bf-aggregate's engine: samples in, usage lines out, one
 * window at a time (bf-aggregate(1) is the reference for the rules).
 *
 * Samples are grouped per (instance_id, metric) inside their window
 * (partition, window_start, window_end). When the window line comes, the
 * window's groups are deduplicated, aggregated and priced, their usage lines
 * written sorted by instance_id then metric (then, with a step, the
 * downsample lines), then the window line with this stage's counts; the
 * window's memory is freed. Only open windows are held.
 *
 * Arithmetic is exact (decimal.h): values enter rounded half-even to 9
 * places, everything after is integer arithmetic with one half-even rounding
 * wherever a division happens, and every result is independent of the
 * order of the samples.
 */
#ifndef BF_AGGREGATE_H
#define BF_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "decimal.h"
#include "dlq.h"
#include "samples.h"
#include "err.h"
#include "json.h"
#include "rates.h"
#include "tenants.h"
#include "timeutil.h"

/* The type of the downsampled lines written with a step. */
#define BF_DOWNSAMPLE_TYPE "downsample"

struct bf_agg_opts {
	const struct bf_rates *rates;     /* borrowed; required */
	const struct bf_tenants *tenants; /* borrowed; NULL: no map */
	int64_t step;                     /* downsampling step in s; 0: none */
	bf_dec min_coverage;              /* 0..1; a series below fails its
	                                     window (low_coverage); 0: off */
	struct bf_dlq *dlq;               /* borrowed; required */
	FILE *out;                        /* borrowed; the output stream */
};

struct bf_agg;

/* A new engine (the caller frees it with bf_agg_free). The options are
 * copied; what they point to must outlive the engine. */
struct bf_agg *bf_agg_new(const struct bf_agg_opts *o);
void bf_agg_free(struct bf_agg *a);

/* Handles one input line s[0..len) (without its newline) read from file at
 * line lineno; toolong is NULL, or the whole of a line longer than the
 * maximum (bf_input_spill, borrowed for the call), of which s[0..len) is
 * the start: its DLQ record keeps the whole line. Writes what is due to
 * the output stream, refused records to the DLQ. Returns 0, or -1 with e set
 * when going on is impossible (a DLQ write failed: BF_EXIT_IO). */
int bf_agg_line(struct bf_agg *a, const char *s, size_t len,
    const struct bf_spill *toolong, const char *file, long lineno,
    struct bf_err *e);

/* At the end of the input: discards the windows whose window line never
 * came, appending one message per window to warnings (lines ending in '\n',
 * sorted), and syncs the DLQ. Returns 0 or -1 with e set. */
int bf_agg_finish(struct bf_agg *a, struct bf_buf *warnings,
    struct bf_err *e);

/* BF_EXIT_OK when every window passed on was ok, else BF_EXIT_FAILED (a
 * window failed here or upstream, a window line was malformed or never
 * came). */
int bf_agg_status(const struct bf_agg *a);

#endif
