/*
 * samples.h: the aggregates of one series' samples over a window (or its
 * pieces), exact (decimal.h): the arithmetic of bf-aggregate(1), apart
 * from its stream (aggregate.h).
 */
#ifndef BF_SAMPLES_H
#define BF_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include "decimal.h"
#include "timeutil.h"

/* The aggregates (a rate asks for one: rates.h). */
enum bf_aggfn {
	BF_AGG_COUNT,
	BF_AGG_MIN,
	BF_AGG_MAX,
	BF_AGG_SUM,
	BF_AGG_AVG,
	BF_AGG_LAST,
	BF_AGG_P95,
	BF_AGG_INTEGRAL,
	BF_AGG_INCREASE,
};

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

/* Orders two samples by time, then value (qsort's comparator). */
int bf_sample_cmp(const void *a, const void *b);

#endif
