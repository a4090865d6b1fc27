/*
 * source.h: the interface between bf-fetch's window loop (fetch.c) and its
 * sources (source-prom.c, source-pg.c, source-file.c, source-exec.c).
 *
 * The loop hands each window to a source as a struct bf_job. A source
 * fetches all of the window's data (every page), appending one sample line
 * per point to job->out through bf_job_sample, or fails the job with
 * bf_job_fail; the loop then writes the samples and the window line, or only
 * the failed window line (a failed job's out is discarded). Network and
 * database calls go through bf_fetch_call, which applies the rate limit, the
 * circuit breaker, the retries and their backoff, the same for every source.
 *
 * Threads: fetch runs on -j worker threads at once, each with the state its
 * worker_open made (a libcurl handle, a database connection), so a source's
 * fetch must only touch its worker state, its job and the read-only parts of
 * the source. open, plan and close run on the main thread.
 */
#ifndef BF_SOURCE_H
#define BF_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "metrics.h"
#include "retry.h"
#include "stream.h"
#include "timeutil.h"

enum bf_source_kind {
	BF_SRC_PROMETHEUS = 1,
	BF_SRC_POSTGRES,
	BF_SRC_FILE,
	BF_SRC_EXEC,
};

/* Data formats of the file and exec sources. */
enum bf_format {
	BF_FMT_AUTO = 0,
	BF_FMT_NDJSON,
	BF_FMT_CW_DATA,  /* aws cloudwatch get-metric-data */
	BF_FMT_CW_STATS, /* aws cloudwatch get-metric-statistics */
	BF_FMT_CSV,
};
/* "auto", "ndjson", "cw-data", "cw-stats", "csv" and back; -1 unknown. */
int bf_format_parse(const char *s);
const char *bf_format_name(int fmt);

/* When the queries are checked (bf-fetch(1)): once before the first window
 * is fetched (the default), only (--check: nothing is fetched), or never
 * (--no-check). */
enum bf_check {
	BF_CHECK_FIRST = 0,
	BF_CHECK_ONLY,
	BF_CHECK_NONE,
};

/* Everything the command line sets; read-only once the loop starts. */
struct bf_fetch_opts {
	int kind;                  /* enum bf_source_kind */
	const char *metrics_path;  /* --metrics, or NULL */
	int jobs;                  /* -j: windows in flight */
	int64_t rate_n, rate_per_ms, burst; /* --rate, --burst; rate_n 0: none */
	struct bf_backoff backoff; /* --retries, --backoff, --backoff-cap */
	int64_t timeout_ms;        /* --timeout: one request, whole */
	int64_t connect_timeout_ms;/* --connect-timeout */
	int breaker;               /* --breaker K: failures that open it */
	int64_t cooldown_ms;       /* --cool-down */
	const char *budget;        /* --budget: shared state, or NULL */
	const char *source_id;     /* --source-id or the default (budget.h) */
	int dry_run;
	int check;                 /* enum bf_check */
	int verbose;
	bf_time now;               /* --now, or the clock */
	int64_t step;              /* --step in seconds, 0 when not given */
	int64_t lookback;          /* --lookback in seconds, 0: none */
	size_t max_body;           /* largest response or command output */
	long max_pages;            /* bound on pages of one window */

	/* prometheus */
	const char *url;           /* without credentials */
	const char *instance_label;
	const char *bearer_token_file; /* a file holding the token */
	int accept_partial;        /* bill answers with warnings or partial */

	/* postgres */
	const char *db;            /* conninfo without a password */
	const char *table;
	const char *col_ts, *col_id, *col_instance, *col_metric, *col_value,
	    *col_unit;
	long page;                 /* rows per page */
	int64_t statement_timeout_ms;

	/* file and exec */
	char **data;               /* --data files (file source) */
	int ndata;
	int format;                /* enum bf_format */
	const char *instance;      /* --instance: for records naming none */
	const char *statistic;     /* --statistic for get-metric-statistics */
	const char *command;       /* --command template (exec) */
	const char *next_args;     /* --next-args template (exec) */
	size_t memory;             /* --memory: file source's record bytes
	                              in memory (0: BF_FILE_MEMORY) */
	const char *tmpdir;        /* --tmpdir, or NULL: $TMPDIR or /tmp */
};

struct bf_fetch; /* the loop's shared state (fetch.c) */
struct bf_keymap;

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
/* 1 when s[0..n) is a number by JSON's grammar. */
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

/* Writes a diagnostic line "bf-fetch: msg" to stderr in one piece (safe
 * from worker threads); with verbose only when -v was given. */
void bf_fetch_log(struct bf_source *s, int verbose, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* CloudWatch's retention tiers: the finest period in seconds still kept for
 * data starting at t when it is now (60 up to 15 days old, 300 up to 63
 * days, 3600 up to 455 days), or 0 when older than that. */
int64_t bf_cw_period(bf_time now, bf_time t);
/* The period the CloudWatch formats and exec use for job: the tier of the
 * window's start, but not finer than --step; 3600 beyond retention. */
int64_t bf_cw_job_period(const struct bf_fetch_opts *o,
    const struct bf_job *job);

/* Records read from files or command output (source-file.c), for the file
 * and exec sources. Strings are offsets into arena (NO_STR: none); the
 * same string (an instance, a metric, a unit, a source) is mostly stored
 * once and shared by the records naming it. Partition keys are stored once
 * each in keys (compared as C strings, like the window's partition) and
 * records name them by index. */
#define BF_NO_STR ((size_t)-1)
enum { BF_REC_FIELDS = 0, BF_REC_BODY, BF_REC_BORROWED };
struct bf_rec {
	bf_time ts;
	uint32_t key;       /* partition the record belongs to: keys[key] */
	uint8_t kind;       /* BF_REC_*: which member of the union */
	uint8_t valkind;    /* fields: BF_VAL_RAW or BF_VAL_TEXT */
	uint8_t cwres;      /* fields: 0 the default resolution; 1
	                       CloudWatch's retention tier for the window;
	                       k >= 2 the period its export showed,
	                       cwper[k - 2] of its bf_recs */
	uint8_t addres;     /* body: append the default resolution */
	union {
		/* BF_REC_FIELDS: the sample's fields */
		struct {
			size_t instance, metric, unit, source, value;
		} f;
		/* BF_REC_BODY: body is the whole rewritten text (the
		 * record's own members). BF_REC_BORROWED (records parsed
		 * with borrow): the text is the members
		 * line[run[2k]..+run[2k+1]) for the runs of nonzero length,
		 * joined by ',', then the "ts" member, then the string at
		 * body (",..." or ""). */
		struct {
			size_t body;
			const char *line;
			uint32_t run[6];
		} b;
	};
};
#define BF_REC_ICACHE 256
struct bf_recs {
	struct bf_rec *r; /* owned; n used of cap, in input order (after
	                     spilling: the sorted file, mapped, and ser
	                     too; spill owns both) */
	size_t n, cap;
	size_t *ord;      /* owned: after bf_recs_sort, the records in order
	                     are r[ord[0]], r[ord[1]]... (NULL: r's order) */
	struct bf_buf arena;
	size_t icache[BF_REC_ICACHE]; /* shared strings: offset + 1, 0 none */
	size_t *keys;     /* owned: arena offsets of the distinct keys */
	uint32_t nkeys, keycap;
	uint32_t klast;   /* the key found last (valid when nkeys > 0) */
	uint32_t *khash;  /* owned: open hash of key index + 1, 0 empty */
	uint32_t khcap;   /* slots, a power of 2 (0: none yet) */
	int64_t cwper[254]; /* CloudWatch periods found (bf_rec.cwres) */
	uint32_t ncwper;
	uint32_t *ser;    /* owned: ser[i] is r[i]'s series (instance_id,
	                     metric), an index of sermap; cap entries */
	struct bf_keymap *sermap; /* owned: the distinct series */

	/* Spilling (the file source under --memory, source-file.c): with
	 * spill set, records go in sorted runs to temporary files whenever
	 * climit are held, and strings of one record only (CSV values,
	 * rewritten bodies) are kept in sbuf, then in the spill's strings
	 * file (sstr once mapped). NULL spill: everything in memory. */
	struct bf_spill *spill; /* owned by the records with mapid 0 */
	uint32_t mapid;   /* 0: the source's records; k: a part's (remapped
	                     into them when merged) */
	uint64_t order;   /* the input order of this one's runs: file << 40
	                     | part << 32, plus the runs it wrote */
	size_t climit;    /* records held at most before a run is written */
	size_t budget;    /* bytes of records and sbuf before a run */
	struct bf_buf sbuf; /* the own strings not yet in a run */
	const char *sstr; /* the strings file, mapped, or NULL */
	struct bf_keymap *strmap; /* owned, spilling: every shared string, */
	size_t *stroff;   /* owned: its arena offset (so the arena holds
	                     each distinct string once) */
};
void bf_recs_free(struct bf_recs *rs);
/* The NUL-terminated string at offset off. */
const char *bf_recs_str(const struct bf_recs *rs, size_t off);

/* How records without an instance get one. */
struct bf_recopts {
	const char *instance; /* forced/fallback instance, or NULL */
	int use_label;        /* get-metric-data: the Label is the instance */
	const char *key;      /* routing key for all records, or NULL */
	int borrow;           /* NDJSON records may point into the data,
	                         which the caller keeps unchanged while the
	                         records live (else they hold copies) */
	/* When set, called for each NDJSON or CSV record as it is added,
	 * with its partition key key[0..keyn) (as rs->keys has it) and the
	 * input it was parsed from, p[0..n): its line or CSV row, the line
	 * end included when there is one (p NULL when not known: CSV rows
	 * not ended by a line feed); and once with key NULL for a CSV
	 * header row. Not called for CloudWatch records (one document).
	 * Strings are valid during the call only. bf-fetch --split's
	 * (split.h); parse_parts' threads would call it at once, in no
	 * order: the file source leaves it NULL. */
	void (*span)(void *arg, const char *key, size_t keyn, const char *p,
	    size_t n);
	void *span_arg;
};

/* Parses data[0..n) (a file's or a command's output, named name in
 * messages) in format fmt (BF_FMT_AUTO: detected) and appends its records to
 * rs, mapped through s->metrics. *next_token receives a copy of a
 * get-metric-data NextToken (the caller frees), or NULL. Returns 0, or -1
 * with e set naming name and the position: code BF_EXIT_UNAVAILABLE for a
 * transient error worth a retry (a StatusCode InternalError), else
 * BF_EXIT_FAILED; rs is then as it was before the call. */
int bf_records_parse(struct bf_source *s, const struct bf_recopts *ro,
    const char *name, const char *data, size_t n, int fmt,
    struct bf_recs *rs, char **next_token, struct bf_err *e);
/* Gives each CloudWatch record whose export states no Period the spacing
 * its series (key, instance, metric) shows around it as its period
 * (cwres): the smaller of the gaps to the series' previous and next times,
 * once all its records (every page, every file) are in; a record with no
 * neighbour within a day keeps the retention tier. Local, so that an
 * export spanning two tiers (60 s recent, 3600 s older data) gives each
 * part its own. */
void bf_recs_cw_periods(struct bf_recs *rs);
/* Sorts rs by (key, ts, input order): sets rs->ord. */
void bf_recs_sort(struct bf_recs *rs);
/* The i-th record of rs in sorted order. */
static inline const struct bf_rec *
bf_recs_at(const struct bf_recs *rs, size_t i)
{
	return &rs->r[rs->ord != NULL ? rs->ord[i] : i];
}
/* Appends the records [from..to) of rs in sorted order whose ts is in
 * job's window as samples; returns how many. */
long bf_recs_emit(struct bf_source *s, const struct bf_recs *rs, size_t from,
    size_t to, struct bf_job *job, int64_t resolution);
/* Appends, for each series (instance_id, metric) of job's partition, its
 * last record before the window's start and no older than the lookback
 * (s->o->lookback) as a lookback sample (bf_job_lookback). The records
 * looked at are those in sorted order [lo, from) (from: the first at or
 * after the window's start; lo: any earlier bound), scanned from the
 * latest back. Returns how many. */
long bf_recs_emit_lookback(struct bf_source *s, const struct bf_recs *rs,
    size_t lo, size_t from, struct bf_job *job, int64_t resolution);
/* The file source parses a large NDJSON --data file in parts on threads
 * at once: in bf_file_parts parts (0: one per online processor), at most
 * BF_FILE_MAXPARTS, each of at least bf_file_part_min bytes. The output is
 * the same whatever they are (tests change them). */
#define BF_FILE_MAXPARTS 4
/* --memory's default: 64 MiB. */
#define BF_FILE_MEMORY ((size_t)64 << 20)
extern int bf_file_parts;
extern size_t bf_file_part_min;
/* A data file's bytes: mapped read-only when it is a regular file, else
 * read whole (a pipe, a device). */
struct bf_data {
	const char *p;
	size_t n;
	void *map;          /* the mapping, or NULL */
	struct bf_buf buf;  /* what was read, when not mapped */
};
/* Maps or reads path into d; -1 with e set (BF_EXIT_IO). */
int bf_data_load(const char *path, struct bf_data *d, struct bf_err *e);
void bf_data_free(struct bf_data *d);
/* Reads a whole file into out; -1 with e set (BF_EXIT_IO). */
int bf_read_file(const char *path, size_t max, struct bf_buf *out,
    struct bf_err *e);

#endif
