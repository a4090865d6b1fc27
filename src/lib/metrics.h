/*
 * metrics.h: the metrics map of bf-fetch, and ${name} templates.
 *
 * The metrics map is a CSV file whose header starts with metric,unit,query:
 *
 *   metric,unit,query
 *   storage_bytes,Bytes,"max_over_time(pg_database_size_bytes{instance_id=${partition}}[${step}])"
 *   cpu_percent,Percent,cpu
 *
 * metric is the name samples get, unit their unit, and query what to ask the
 * source: a PromQL expression for prometheus (a template, see below), or for
 * the other sources the name the data itself uses for the metric (a
 * CloudWatch query Id or statistics Label, the value of the metric column of
 * a table or CSV file, the "metric" of an NDJSON record). Rows keep their
 * file order; metric names are unique.
 *
 * Templates: "${name}" is replaced by the variable's value; "$" not followed
 * by "{" is kept. In the metrics map the variables are partition, step,
 * window_start and window_end. ${partition} written bare is replaced by a
 * complete PromQL double-quoted string literal (quotes included, backslash,
 * quote and control characters escaped), so the map writes
 * {instance_id=${partition}}; written inside a PromQL string literal,
 * {datname="${partition}"} or '${partition}', it is replaced by the
 * escaped contents only (backslash, that literal's quote and control
 * characters escaped), the way PromQL users write it. Inside a `...` raw
 * string, which has no escapes, a value holding '`' or a carriage return
 * is refused. Either way no partition name can change the query's
 * meaning. (The literal a placeholder stands in is found by reading the
 * template as PromQL: strings with their escapes, and # comments.)
 */
#ifndef BF_METRICS_H
#define BF_METRICS_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct bf_metric {
	char *metric; /* owned */
	char *unit;   /* owned */
	char *query;  /* owned */
	long line;    /* line in the map file, for messages */
};

struct bf_metrics {
	struct bf_metric *m; /* owned; n used of cap */
	size_t n, cap;
	char *path;          /* owned copy of the file name */
};

/* Loads the map at path into m (initialised by the call). Checks the header,
 * that metric, unit and query are not empty, metric names are unique, and
 * that the query templates name only known variables when check_vars is set
 * (prometheus). Returns 0, or -1 with e set (BF_EXIT_USAGE) naming file and
 * line; m is then empty. */
int bf_metrics_load(const char *path, int check_vars, struct bf_metrics *m,
    struct bf_err *e);
void bf_metrics_free(struct bf_metrics *m);

/* The row whose query equals q[0..n), or NULL. */
const struct bf_metric *bf_metrics_by_query(const struct bf_metrics *m,
    const char *q, size_t n);

/* A template variable: name and value; promql set means the value is put in
 * as a PromQL string literal, or as its escaped contents inside one (see
 * above). */
struct bf_var {
	const char *name;
	const char *value;
	int promql;
};

/* Appends tmpl to out with every ${name} replaced. Returns 0, or -1 with e
 * set (BF_EXIT_USAGE) for an unknown variable, an unterminated "${" or a
 * promql value that cannot be written inside a `...` raw string. With
 * vars == NULL only the names are checked against names (a NULL-terminated
 * list) and nothing is appended. */
int bf_template_expand(const char *tmpl, const struct bf_var *vars,
    size_t nvars, struct bf_buf *out, struct bf_err *e);
int bf_template_check(const char *tmpl, const char *const *names,
    struct bf_err *e);

/* Appends s[0..n) as a PromQL double-quoted string literal. */
void bf_promql_quote(struct bf_buf *out, const char *s, size_t n);

/* Expands a metrics-map query for one window. */
int bf_metrics_expand(const char *query, const char *partition,
    const char *step, const char *window_start, const char *window_end,
    struct bf_buf *out, struct bf_err *e);

#endif
