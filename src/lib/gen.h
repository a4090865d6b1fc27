/*
 * gen.h: the seeded generator of realistic database telemetry, shared by the
 * demo, the tests and the benchmarks (bf-gen(1)).
 *
 * It writes raw samples as a telemetry store would export them, one NDJSON
 * line each, in time order (then instance, then metric):
 *
 *   {"type":"sample","instance_id":"db-01","metric":"cpu_utilization",
 *    "ts":"2026-01-01T00:05:00Z","value":37.25,"unit":"Percent",
 *    "source":"bf-gen","resolution":300}
 *
 * The five cost signals: cpu_utilization (Percent), provisioned_iops
 * (Count), storage_throughput (Bytes/Second), connection_count (Count) and
 * backup_storage (Bytes). The same options and seed always give the same
 * bytes. A share of malformed lines (each of a known kind) and exact
 * duplicates are mixed in, in addition to the good samples, so the good
 * samples, and so the cost, do not depend on those shares.
 */
#ifndef BF_GEN_H
#define BF_GEN_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "timeutil.h"

struct bf_gen_opts {
	uint64_t seed;       /* default 1 */
	bf_time from;        /* first sample instant */
	int64_t days;        /* length of the history */
	int instances;       /* db-01 ... */
	int64_t resolution;  /* seconds between samples of a series */
	int64_t fine_from_day; /* from this day on, every 4th instance is
	                          sampled at 60 s (mixed resolutions); -1: never */
	uint32_t malformed_ppm; /* malformed lines per million samples */
	uint32_t duplicate_ppm; /* duplicated samples per million */
	int64_t limit;       /* stop after this many lines; 0: no limit */
};

void bf_gen_defaults(struct bf_gen_opts *o);
/* Writes the samples to out. Returns 0, or -1 with e set on a write error. */
int bf_gen_run(const struct bf_gen_opts *o, FILE *out, struct bf_err *e);

#endif
