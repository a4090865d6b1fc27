/*
 * source-internal.h: the interface between bf-fetch's window loop
 * (fetch.c) and its sources (source-prom.c, source-pg.c, source-file.c,
 * source-exec.c); source.h is what the command line sees.
 *
 * The loop hands each window to a source as a struct bf_job. A source
 * fetches all of the window's data (every page), appending one sample line
 * per point to job->out through bf_job_put_sample, or fails the job with
 * bf_job_fail; the loop then writes the samples and the window line, or only
 * the failed window line (a failed job's out is discarded). Network and
 * database calls go through bf_fetch_call, which applies the rate limit, the
 * circuit breaker, the retries and their backoff, the same for every source.
 *
 * Threads: fetch runs on -j worker threads at once, each with the state its
 * worker_open made (a libcurl handle, a database connection), so a source's
 * fetch must only touch its worker state, its job and the read-only parts of
 * the source. open, plan and close run on the main thread.
 *
 * Only fetch.c, the sources and the records they share include it (and
 * the unit tests of these); bf-fetch.c sees source.h and fetch.h.
 */
#ifndef BF_SOURCE_INTERNAL_H
#define BF_SOURCE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "metrics.h"
#include "retry.h"
#include "source.h"
#include "stream.h"
#include "timeutil.h"

struct bf_fetch; /* the loop's shared state (fetch.c) */

/* One window being fetched. */
struct bf_job {
	struct bf_window w;   /* identity; owned */
	int64_t resolution;   /* seconds the source used, 0 when unknown */
	struct bf_buf out;    /* the window's sample lines; owned */
	long fetched;         /* sample lines in out, lookback ones aside */
	long lookback;        /* lookback sample lines in out */
	long requests;        /* requests or commands made (attempts) */
	long retries;         /* of those, retries */
	long pages;           /* pages (requests that succeeded) */
	int failed;
	const char *code;     /* failure code (static string) */
	char msg[768];        /* failure message */
	int unavailable;      /* failed because the source is unavailable */
	uint64_t rng;         /* the worker's random state, for jitter */

	/* The loop's own: */
	char *line;           /* the window line, owned */
	size_t linelen;
	struct bf_buf prefix; /* the start of its sample lines, built once
	                         by bf_job_prefix */
	struct bf_job *next_work;
	int done;
};

/* A dry-run plan for one window, filled by a source's plan. -1: unknown. */
struct bf_plan {
	long requests;        /* at least this many requests */
	long pages;
	long points;          /* expected points (per series for prometheus) */
	int64_t resolution;
	struct bf_buf extra;  /* more fields, ",\"k\":v..." (owned) */
};

struct bf_source {
	const struct bf_source_ops *ops;
	const struct bf_fetch_opts *o;
	struct bf_metrics *metrics; /* the map, or NULL; owned by the loop */
	struct bf_fetch *f;
	void *priv;                 /* the source's own; freed by close */
};

struct bf_source_ops {
	const char *name;          /* "prometheus", ... */
	/* Checks options, loads what it needs. -1 with e set (usage: 2). */
	int (*open)(struct bf_source *s, struct bf_err *e);
	/* Per worker thread state (may stay NULL). */
	int (*worker_open)(struct bf_source *s, void **w, struct bf_err *e);
	void (*worker_close)(struct bf_source *s, void *w);
	/* Fetches job's window: samples into job->out, or bf_job_fail. */
	void (*fetch)(struct bf_source *s, void *w, struct bf_job *job);
	/* Dry run: fills plan without calling anything. */
	void (*plan)(struct bf_source *s, struct bf_job *job,
	    struct bf_plan *plan);
	void (*close)(struct bf_source *s);
	/* Asks the source to accept the queries of job's window before any
	 * window is fetched (--check, and once before the first window):
	 * 0, or -1 with e set, BF_EXIT_USAGE for a query refused as
	 * malformed (one message: the metric and the map's file:line where
	 * there is a map, the server's error, the expanded query) and
	 * BF_EXIT_UNAVAILABLE when the source does not answer, retries
	 * exhausted (one message naming the source, no secrets). Runs on the
	 * main thread with worker state of its own, through bf_fetch_call;
	 * job is a scratch job. NULL: nothing to check. */
	int (*check)(struct bf_source *s, struct bf_job *job,
	    struct bf_err *e);
};

extern const struct bf_source_ops bf_source_prometheus;
extern const struct bf_source_ops bf_source_postgres;
extern const struct bf_source_ops bf_source_file;
extern const struct bf_source_ops bf_source_exec;

/*
 * Helpers for sources (fetch.c).
 */

/* Marks job failed with code (a static string such as "unavailable") and the
 * formatted message; the first failure wins. */
void bf_job_fail(struct bf_job *job, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Builds job->prefix once (later calls do nothing): the members every
 * sample line of the window starts with, '{"type":"sample","partition":...,
 * "window_start":...,"window_end":...' (no trailing comma). */
void bf_job_prefix(struct bf_job *job);

/* How a value is written: as the raw JSON bytes given (already a JSON
 * value), or from text: as a JSON number when it is one, else as a string
 * (so "NaN", "+Inf" reach bf-validate as the strings they are). */
enum { BF_VAL_RAW = 0, BF_VAL_TEXT = 1 };
/* 1 when s[0..n) is a number by JSON's grammar (bf_num_scan). */
int bf_is_json_number(const char *s, size_t n);

/* A sample's fields, for bf_job_put_sample: instance and metric are
 * n-counted byte strings, unit and source NUL-terminated, value written
 * as valkind says. */
struct bf_sample_fields {
	const char *instance, *metric, *unit, *value, *source;
	size_t ilen, mlen, vlen;
	bf_time ts;
	int valkind;
};
/* Members of a sample line as JSON text, "k":v (several joined by ',',
 * no comma before or after), for bf_job_put_sample. */
struct bf_member {
	const char *s;
	size_t n;     /* 0: no member, nothing written */
};

/* The one sample-line writer (sample-line.c): appends one sample line of
 * job's window to job->out: job's prefix, then f's members when f is not
 * NULL, then each nonempty member of m[0..nm) after a ',', then
 * "resolution" when resolution > 0, then "}" and a newline; counts it in
 * job->fetched. */
void bf_job_put_sample(struct bf_job *job, const struct bf_sample_fields *f,
    const struct bf_member *m, int nm, int64_t resolution);
/* bf_job_put_sample of the fields given and no other member. */
void bf_job_sample(struct bf_job *job, const char *instance, size_t ilen,
    const char *metric, size_t mlen, const char *unit, bf_time ts,
    const char *value, size_t vlen, int valkind, const char *source,
    int64_t resolution);

/* Makes the sample line job->out[mark..len) (the last one appended, by
 * bf_job_sample or a source's own writer) a lookback sample: adds
 * "lookback":true as its last member and counts it in job->lookback
 * instead of job->fetched. A lookback sample is the last one of its
 * series (instance_id, metric) before the window's start, no older than
 * o->lookback (bf(7)). */
void bf_job_lookback(struct bf_job *job, size_t mark);

/* One attempt of a request, made by bf_fetch_call through a source's
 * callback, which fills the outcome. */
enum { BF_TRY_OK = 0, BF_TRY_RETRY, BF_TRY_FAIL };
struct bf_try {
	int outcome;
	int64_t retry_after_ms; /* the server's Retry-After, -1 for none */
	const char *code;       /* static failure code */
	int unavailable;        /* a transport failure: source unreachable */
	char msg[640];
};
typedef void (*bf_try_fn)(void *ctx, struct bf_job *job, struct bf_try *t);

/* Makes one request with the source's policy: waits for the rate limit,
 * asks the circuit breaker, calls fn, and on BF_TRY_RETRY waits the backoff
 * (honouring Retry-After) and tries again, up to the retry limit. Returns 0
 * after a BF_TRY_OK attempt, or -1 with job failed (the last attempt's code
 * and message, or "breaker_open" when the breaker refused). */
int bf_fetch_call(struct bf_source *s, struct bf_job *job, bf_try_fn fn,
    void *ctx);

/* bf_fetch_call for a source's check: 0; -1 with e set when the source
 * did not answer (BF_EXIT_UNAVAILABLE, job's message); 1 when it refused
 * the query (job's message says why), which the caller reports as
 * BF_EXIT_USAGE naming the query. */
int bf_fetch_check_call(struct bf_source *s, struct bf_job *job,
    bf_try_fn fn, void *ctx, struct bf_err *e);

/* Writes a diagnostic line "bf-fetch: msg" to stderr in one piece (safe
 * from worker threads); with verbose only when -v was given. */
void bf_fetch_log(struct bf_source *s, int verbose, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads a whole file into out; -1 with e set (BF_EXIT_IO). */
int bf_read_file(const char *path, size_t max, struct bf_buf *out,
    struct bf_err *e);

#endif
