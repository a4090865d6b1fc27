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
#include "err.h"
#include "json.h"
#include "rates.h"
#include "tenants.h"
#include "timeutil.h"

/* The type of the downsampled lines written with a step. */
#define BF_DOWNSAMPLE_TYPE "downsample"

/* One sample of a series: its value and its time (whole seconds and a
 * nanosecond fraction, 0..999999999). */
struct bf_sample {
	bf_dec v;
	int64_t sec;
	int32_t nsec;
};

/* Sorts s[0..n) by time (then value) and removes duplicates in place: of the
 * samples with one time, those with equal values are one sample (each extra
 * one adds 1 to *dups), and of different values the greatest is kept (each
 * other distinct value adds 1 to *conflicts). Returns the new count. */
size_t bf_samples_dedupe(struct bf_sample *s, size_t n, long *dups,
    long *conflicts);

/* Computes the aggregate fn (enum bf_aggfn) of the deduplicated samples
 * s[0..n), sorted by time, of the window [ws, we), into *out: count, min,
 * max, sum, avg (sum / count), last (the latest sample's), p95 (nearest
 * rank: the ceil(0.95 n)-th smallest value), integral (the sum of each value
 * times the seconds from its time to the next sample's, or to we for the
 * last: unit-seconds) or increase (the sum of the rises between consecutive
 * samples, where a fall is a counter reset that rose from 0 to the new
 * value). lb is the series' lookback sample (its time before ws), or NULL:
 * only integral and increase use it, the integral holding its value from ws
 * to the first sample and increase counting the step from it to the first
 * sample. With n == 0 every aggregate is 0. Returns BF_DEC_OK, or
 * BF_DEC_EOVERFLOW. */
int bf_aggregate(int fn, const struct bf_sample *s, size_t n,
    const struct bf_sample *lb, bf_time ws, bf_time we, bf_dec *out);

/* 1 when fn (enum bf_aggfn) is additive (sum, count, increase, integral):
 * its value over a window is the sum of its values over the pieces. */
int bf_aggfn_additive(int fn);

/* For an additive fn: the value of bf_aggregate over each piece
 * [c[i], c[i+1]) of the window [c[0], c[np]) (np >= 1, c strictly
 * increasing, every sample's time in the window), into pv[0..np): a sum or
 * count by each sample's time, an increase step in the piece of its later
 * sample, and the integral of each piece over the time in it (a value held
 * across a cut is split at the cut; the nanosecond parts are divided once
 * per piece). Returns BF_DEC_OK, BF_DEC_EOVERFLOW, or BF_DEC_ESYNTAX for a
 * fn that is not additive. */
int bf_aggregate_pieces(int fn, const struct bf_sample *s, size_t n,
    const struct bf_sample *lb, const bf_time *c, size_t np, bf_dec *pv);

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

/* The root members a sample line is read from, found in one pass over the
 * root object (rather than one bf_json_get per member, each a scan of the
 * members). */
enum bf_agg_field {
	BF_AGG_F_TYPE,
	BF_AGG_F_PARTITION,
	BF_AGG_F_WINDOW_START,
	BF_AGG_F_WINDOW_END,
	BF_AGG_F_INSTANCE_ID,
	BF_AGG_F_METRIC,
	BF_AGG_F_TS,
	BF_AGG_F_VALUE,
	BF_AGG_F_UNIT,
	BF_AGG_F_SOURCE,
	BF_AGG_F_RESOLUTION,
	BF_AGG_F_LOOKBACK,
	BF_AGG_NFIELDS
};
/* The member names, indexed by enum bf_agg_field ("type", "partition", ...). */
extern const char *const bf_agg_field_names[BF_AGG_NFIELDS];
/* Sets f[i] to the value token of member bf_agg_field_names[i] of the root
 * object of j, or -1 when it has none: the same as bf_json_get(j, 0, name)
 * for each name (keys compared after unescaping; the parser refuses
 * duplicate keys). All -1 when the root is not an object. scratch is for
 * unescaping keys; its contents are undefined afterwards. */
void bf_agg_fields(const struct bf_json *j, struct bf_buf *scratch,
    int f[BF_AGG_NFIELDS]);

/* BF_EXIT_OK when every window passed on was ok, else BF_EXIT_FAILED (a
 * window failed here or upstream, a window line was malformed or never
 * came). */
int bf_agg_status(const struct bf_agg *a);

#endif
