/*
 * source.h: bf-fetch's sources as its command line sees them: the kinds of
 * source, the data formats, when the queries are checked, and the options
 * (struct bf_fetch_opts). bf-fetch.c fills the options and hands them to
 * the loop (fetch.h) or to --split (split.h), which read them only; so the
 * struct stays public, as one plain record of the command line, rather
 * than a setter per option.
 *
 * How the loop and the sources work together is source-internal.h; the
 * file and exec sources' records are records.h.
 */
#ifndef BF_SOURCE_H
#define BF_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "retry.h"
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
/* The formats' names in enum bf_format's order, NULL-terminated (for
 * bf_cli_choice): "auto", "ndjson", "cw-data", "cw-stats", "csv"
 * (records-parse.c). */
extern const char *const bf_format_names[];

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

#endif
