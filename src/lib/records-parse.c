/*
 * records-parse.c: the data formats bf-fetch reads from files and command
 * output (NDJSON samples, AWS CLI CloudWatch get-metric-data and
 * get-metric-statistics JSON, CSV with a column map) into records
 * (records.c), and a large NDJSON file parsed in parts at once.
 */
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "records-internal.h"

int
bf_read_fd(int fd, const char *path, size_t max, struct bf_buf *out,
    struct bf_err *e)
{
	char tmp[65536];
	ssize_t r;

	for (;;) {
		r = read(fd, tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			bf_err_set(e, BF_EXIT_IO, "cannot read '%s': %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		if (max > 0 && out->len + (size_t)r > max) {
			close(fd);
			return bf_err_set(e, BF_EXIT_IO, "'%s' is larger than "
			    "%zu bytes", path, max);
		}
		bf_buf_add(out, tmp, (size_t)r);
	}
	close(fd);
	return 0;
}

int
bf_read_file(const char *path, size_t max, struct bf_buf *out,
    struct bf_err *e)
{
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bf_err_set(e, BF_EXIT_IO, "cannot open '%s': %s", path,
		    strerror(errno));
	return bf_read_fd(fd, path, max, out, e);
}

/*
 * Parsing.
 */

struct pctx {
	struct bf_source *s;
	const struct bf_recopts *ro;
	const char *name;
	struct bf_recs *rs;
	struct bf_err *e;
	struct bf_buf t1, t2, t3, t4, t5; /* scratch */
	struct member *mem; /* parse_ndjson's members of a line */
	int memcap;
	long lines;         /* parse_ndjson: the lines it read */
	char last[40];      /* parse_ndjson: the last good "ts" string */
	size_t lastn;       /* (its length, 0: none) */
	bf_time lastts;     /* (its time) */
	long errline;       /* parse_ndjson: its error, at this line */
	char errtail[256];  /* (the message after "name:line: ") */
};

static void
pctx_free(struct pctx *c)
{
	BF_EACH(bf_buf_free, struct bf_buf, &c->t1, &c->t2, &c->t3, &c->t4,
	    &c->t5);
	free(c->mem);
}

/* Maps the record's metric through the metrics map, setting its metric
 * and unit (both stay as given when there is no map). Returns 0, or 1 to
 * skip the record (a metric the map does not name). */
static int
map_metric(struct pctx *c, struct rec_in *ri)
{
	const struct bf_metric *m;

	if (c->s->metrics == NULL)
		return 0;
	m = bf_metrics_by_query(c->s->metrics, ri->metric, ri->metricn);
	if (m == NULL)
		return 1;
	ri->metric = m->metric;
	ri->metricn = strlen(m->metric);
	ri->unit = m->unit;
	ri->unitn = strlen(m->unit);
	return 0;
}

/* Fills in the instance from the options when the record names none.
 * Returns 0, or -1 when there is none to be had. */
static int
need_instance(struct pctx *c, struct rec_in *ri)
{
	if (ri->instance != NULL)
		return 0;
	if (c->ro->instance == NULL)
		return -1;
	ri->instance = c->ro->instance;
	ri->instancen = strlen(c->ro->instance);
	return 0;
}

/* Tells ro->span of the record ri just added, or with ri NULL of a CSV
 * header row: its key as add_rec routes it, and its bytes [p, q). */
static void
rec_span(struct pctx *c, const struct rec_in *ri, const char *p,
    const char *q)
{
	const char *k = ri == NULL ? NULL : ri->key != NULL ? ri->key :
	    ri->instance != NULL ? ri->instance : "";
	size_t kn = ri == NULL ? 0 : ri->key != NULL ? ri->keyn :
	    ri->instance != NULL ? ri->instancen : 0;

	if (c->ro->span != NULL)
		c->ro->span(c->ro->span_arg, k, k != NULL ? strnlen(k, kn) :
		    0, p, p != NULL ? (size_t)(q - p) : 0);
}

static int
tok_time(const struct bf_json *j, int t, struct bf_buf *scratch, bf_time *ts)
{
	const char *p;
	size_t n;

	if (j->tok[t].type == BF_JSON_NUMBER) {
		p = bf_json_raw(j, t, &n);
		return bf_time_from_number(p, n, ts, NULL);
	}
	if (j->tok[t].type != BF_JSON_STRING)
		return -1;
	bf_buf_reset(scratch);
	bf_json_str(j, t, scratch);
	return bf_time_parse_any(bf_buf_str(scratch), scratch->len, ts, NULL);
}

/* The unescaped string of t into b (reset first); -1 if not a string. */
static int
tok_str(const struct bf_json *j, int t, struct bf_buf *b)
{
	bf_buf_reset(b);
	if (t < 0 || j->tok[t].type != BF_JSON_STRING)
		return -1;
	bf_json_str(j, t, b);
	bf_buf_grow(b, 0);
	return 0;
}

/* The members of a sample line that parse_ndjson looks at, each key
 * classified once (after unescaping) in one pass over the root object. */
enum {
	K_OTHER, K_TYPE, K_PARTITION, K_WSTART, K_WEND, K_TS, K_METRIC,
	K_UNIT, K_INSTANCE, K_SOURCE, K_RESOLUTION, K_LOOKBACK, K_N
};
/* The members dropped from the record (it gets them from its window, or
 * rewritten; "lookback" is bf-fetch's to say), without and with a metrics
 * map. */
#define DROP_PLAIN (1u << K_TYPE | 1u << K_PARTITION | 1u << K_WSTART | \
	1u << K_WEND | 1u << K_TS | 1u << K_LOOKBACK)
#define DROP_MAPPED (DROP_PLAIN | 1u << K_METRIC | 1u << K_UNIT)

static int
key_class(const char *s, size_t n)
{
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(s, lit, n) == 0)
	switch (n) {
	case 2:
		return IS("ts") ? K_TS : K_OTHER;
	case 4:
		return IS("type") ? K_TYPE : IS("unit") ? K_UNIT : K_OTHER;
	case 6:
		return IS("metric") ? K_METRIC : IS("source") ? K_SOURCE :
		    K_OTHER;
	case 8:
		return IS("lookback") ? K_LOOKBACK : K_OTHER;
	case 9:
		return IS("partition") ? K_PARTITION : K_OTHER;
	case 10:
		return IS("window_end") ? K_WEND : IS("resolution") ?
		    K_RESOLUTION : K_OTHER;
	case 11:
		return IS("instance_id") ? K_INSTANCE : K_OTHER;
	case 12:
		return IS("window_start") ? K_WSTART : K_OTHER;
	}
	return K_OTHER;
#undef IS
}

/* The unescaped text of string token t: the bytes in the line when it has
 * no escapes, else a copy in scratch. */
static const char *
tok_unescape(const struct bf_json *j, int t, struct bf_buf *scratch,
    size_t *n)
{
	bf_buf_reset(scratch);
	bf_json_str(j, t, scratch);
	*n = scratch->len;
	return bf_buf_str(scratch);
}

static inline const char *
tok_text(const struct bf_json *j, int t, struct bf_buf *scratch, size_t *n)
{
	const struct bf_jtok *k = &j->tok[t];

	if (k->esc)
		return tok_unescape(j, t, scratch, n);
	*n = (size_t)(k->end - k->start - 2);
	return j->s + k->start + 1;
}

/* A member of the root object: its class and text [st, en). */
struct member {
	int cls, st, en;
};

/* One pass over j's root members: mem[] gets each member's class and
 * text, at[k] the value token of the member of class k (-1: none; keys
 * are unique). Returns the number of members. */
static int
scan_members(struct pctx *c, const struct bf_json *j, int at[K_N])
{
	const char *ks;
	size_t kn;
	int i, m, v, type, size = j->tok[0].size, k;

	for (k = 0; k < K_N; k++)
		at[k] = -1;
	if (size > c->memcap) {
		c->memcap = size;
		c->mem = bf_xrealloc(c->mem, (size_t)size * sizeof(*c->mem));
	}
	for (i = 1, m = 0; m < size; m++) {
		v = i + 1;
		ks = tok_text(j, i, &c->t3, &kn);
		k = key_class(ks, kn);
		if (k != K_OTHER)
			at[k] = v;
		c->mem[m].cls = k;
		c->mem[m].st = j->tok[i].start;
		c->mem[m].en = j->tok[v].end;
		type = j->tok[v].type;
		i = type == BF_JSON_OBJECT || type == BF_JSON_ARRAY ?
		    bf_json_skip(j, v) : v + 1;
	}
	return size;
}

/* The members of the line s that bf_json_rewrite would keep without the
 * classes in drop, as at most 3 runs of its text (members only a ','
 * apart share a run) into ri->run. Returns 0, or -1 when they need more
 * runs (the record is then copied). */
static int
find_runs(const struct pctx *c, const char *s, int nmem, unsigned drop,
    struct rec_in *ri)
{
	int m, nrun = 0, st, en, prev = -1;

	memset(ri->run, 0, sizeof(ri->run));
	for (m = 0; m < nmem; m++) {
		if (drop & 1u << c->mem[m].cls)
			continue;
		st = c->mem[m].st;
		en = c->mem[m].en;
		if (nrun > 0 && st == prev + 1 && s[prev] == ',') {
			ri->run[2 * nrun - 1] = (uint32_t)(en -
			    (int)ri->run[2 * nrun - 2]);
		} else {
			if (nrun == 3)
				return -1;
			ri->run[2 * nrun] = (uint32_t)st;
			ri->run[2 * nrun + 1] = (uint32_t)(en - st);
			nrun++;
		}
		prev = en;
	}
	return 0;
}

/* parse_ndjson's errors are kept as a line and the rest of the message,
 * so that a part of a file parsed on its own can name its line in the
 * whole file once the parts before it are counted (parse_parts). */
static void
ndjson_err(struct pctx *c, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ndjson_err(struct pctx *c, long line, const char *fmt, ...)
{
	va_list ap;

	c->errline = line;
	va_start(ap, fmt);
	vsnprintf(c->errtail, sizeof(c->errtail), fmt, ap);
	va_end(ap);
}

/* Sets c->e to parse_ndjson's error, its line counted from after line0. */
static int
ndjson_report(struct pctx *c, long line0)
{
	return bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: %s", c->name,
	    line0 + c->errline, c->errtail);
}

/* The "ts" of an NDJSON record (token t, -1 when missing) into *ts: 0, or
 * -1 (not reported). Lines in a row mostly share their time: a string
 * equal to the last one is not parsed again. */
static int
ndjson_ts(struct pctx *c, const struct bf_json *j, int t, bf_time *ts)
{
	const char *s;
	size_t n;

	if (t >= 0 && j->tok[t].type == BF_JSON_NUMBER) {
		s = bf_json_raw(j, t, &n);
		return bf_time_from_number(s, n, ts, NULL);
	}
	if (t < 0 || j->tok[t].type != BF_JSON_STRING)
		return -1;
	s = tok_text(j, t, &c->t1, &n);
	if (c->lastn > 0 && n == c->lastn && memcmp(s, c->last, n) == 0) {
		*ts = c->lastts;
		return 0;
	}
	if (bf_time_parse_any(s, n, ts, NULL) == -1)
		return -1;
	if (n < sizeof(c->last)) {
		memcpy(c->last, s, n);
		c->lastn = n;
		c->lastts = *ts;
	}
	return 0;
}

/* The names of an NDJSON record (metric mapped through the metrics map,
 * instance, partition) into ri, and into extra the members it gets after
 * its own. Returns 1 when the map drops the metric, -1 when the record
 * names no instance (reported), else 0; *mapped says the metric was
 * mapped. */
static int
ndjson_names(struct pctx *c, const struct bf_json *j, const int at[K_N],
    long line, struct rec_in *ri, struct bf_buf *extra, int *mapped)
{
	int t;

	*mapped = 0;
	if (c->s->metrics != NULL && (t = at[K_METRIC]) >= 0 &&
	    j->tok[t].type == BF_JSON_STRING) {
		ri->metric = tok_text(j, t, &c->t2, &ri->metricn);
		if (map_metric(c, ri))
			return 1;
		*mapped = 1;
		bf_json_put_kv_str(extra, "metric", ri->metric);
		bf_json_put_kv_str(extra, "unit", ri->unit);
	}
	if (!*mapped && (t = at[K_METRIC]) >= 0 &&
	    j->tok[t].type == BF_JSON_STRING)
		ri->smetric = tok_text(j, t, &c->t2, &ri->smetricn);
	if ((t = at[K_INSTANCE]) >= 0 && j->tok[t].type == BF_JSON_STRING) {
		ri->instance = tok_text(j, t, &c->t4, &ri->instancen);
	} else if (c->ro->instance != NULL) {
		bf_json_put_kv_str(extra, "instance_id", c->ro->instance);
		ri->instance = c->ro->instance;
		ri->instancen = strlen(ri->instance);
	}
	if ((t = at[K_PARTITION]) >= 0 && j->tok[t].type == BF_JSON_STRING)
		ri->key = tok_text(j, t, &c->t5, &ri->keyn);
	if (c->ro->key != NULL) {
		ri->key = c->ro->key;
		ri->keyn = strlen(ri->key);
	}
	if (ri->instance == NULL && ri->key == NULL) {
		ndjson_err(c, line, "record names no 'instance_id' (use "
		    "--instance)");
		return -1;
	}
	return 0;
}

/* One NDJSON line p[0..len) (line number line; its bytes with the newline
 * are lp..lend) into a record. 0, or -1 (reported). */
static int
ndjson_line(struct pctx *c, struct bf_json *j, const char *p, size_t len,
    long line, const char *lp, const char *lend, struct bf_buf *extra,
    struct bf_buf *body)
{
	static const char *const drop_plain[] = { "type", "partition",
		"window_start", "window_end", "ts", "lookback", NULL };
	static const char *const drop_mapped[] = { "type", "partition",
		"window_start", "window_end", "ts", "lookback", "metric",
		"unit", NULL };
	struct rec_in ri;
	char tsbuf[BF_TIME_LEN];
	size_t errpos;
	int rc, t, mapped, nmem, at[K_N];

	if ((rc = bf_json_parse(j, p, len, BF_JSON_WANT_OBJECT, &errpos)) !=
	    BF_JSON_OK) {
		ndjson_err(c, line, "%s at byte %zu", bf_json_strerror(rc),
		    errpos + 1);
		return -1;
	}
	nmem = scan_members(c, j, at);
	if ((t = at[K_TYPE]) >= 0 && !bf_json_streq(j, t, "sample"))
		return 0;
	memset(&ri, 0, sizeof(ri));
	if (ndjson_ts(c, j, at[K_TS], &ri.ts) == -1) {
		ndjson_err(c, line, "%s 'ts'", at[K_TS] < 0 ? "missing" :
		    "bad");
		return -1;
	}
	/* What the record gets after its own members (the "ts" member
	 * comes first, added below or when emitted). */
	bf_buf_reset(extra);
	if ((rc = ndjson_names(c, j, at, line, &ri, extra, &mapped)) != 0)
		return rc == 1 ? 0 : -1;
	if (at[K_SOURCE] < 0)
		bf_json_put_kv_str(extra, "source", c->s->ops->name);
	ri.addres = at[K_RESOLUTION] < 0;
	if (c->ro->borrow && find_runs(c, p, nmem, mapped ? DROP_MAPPED :
	    DROP_PLAIN, &ri) == 0) {
		ri.line = p;
		ri.body = bf_buf_str(extra);
		ri.bodyn = extra->len;
	} else {
		bf_buf_reset(body);
		bf_time_format(ri.ts, tsbuf);
		bf_buf_printf(body, "\"ts\":\"%s\"", tsbuf);
		bf_buf_add(body, extra->s, extra->len);
		bf_buf_reset(extra);
		bf_json_rewrite(j, extra, mapped ? drop_mapped : drop_plain,
		    body->s);
		/* without the braces */
		ri.body = extra->s + 1;
		ri.bodyn = extra->len - 2;
	}
	bf_rec_add(c->rs, &ri);
	rec_span(c, &ri, lp, lend);
	return 0;
}

/* NDJSON: each sample keeps its own members (so a record with a missing or
 * strange value, unit or metric reaches bf-validate as it is, and fields
 * this program does not know pass on); only what routes it must be good:
 * its time and its instance (or partition). The time is rewritten in
 * RFC 3339 UTC; the metrics map renames the metric and sets the unit. */
static int
parse_ndjson(struct pctx *c, const char *data, size_t n)
{
	struct bf_json j = BF_JSON_INIT;
	struct bf_buf extra = BF_BUF_INIT, body = BF_BUF_INIT;
	const char *p = data, *end = data + n, *nl, *lp;
	long line = 0;
	size_t len;
	int rc = 0;

	for (; p < end && rc == 0; p = nl + 1) {
		line++;
		lp = p;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		if (len > 0)
			rc = ndjson_line(c, &j, p, len, line, lp,
			    nl + (nl < end), &extra, &body);
	}
	if (rc == 0)
		c->lines = line;
	bf_json_free(&j);
	bf_buf_free(&extra);
	bf_buf_free(&body);
	return rc;
}

/* A "Period" member of object o (a whole positive number of seconds, as
 * in a MetricDataQuery or the options of get-metric-statistics), or 0. */
static int64_t
cw_stated_period(const struct bf_json *j, int o)
{
	const char *raw;
	char buf[24], *end;
	size_t n;
	long long v;
	int t;

	t = o >= 0 ? bf_json_get(j, o, "Period") : -1;
	if (t < 0 || j->tok[t].type != BF_JSON_NUMBER)
		return 0;
	raw = bf_json_raw(j, t, &n);
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, raw, n);
	buf[n] = '\0';
	v = strtoll(buf, &end, 10);
	return *end == '\0' && v > 0 ? (int64_t)v : 0;
}

/* get-metric-data: {"MetricDataResults":[{"Id","Label","Timestamps",
 * "Values","StatusCode"}...],"NextToken":...,"Messages":[...]} */
static int
parse_cw_data(struct pctx *c, const struct bf_json *j, char **next)
{
	int res, r, ts, vs, t, v, k, i, nt, partial = 0;
	size_t n0;
	int64_t per;

	res = bf_json_get(j, 0, "MetricDataResults");
	if (res < 0 || j->tok[res].type != BF_JSON_ARRAY)
		return bf_err_set(c->e, BF_EXIT_FAILED, "%s: no "
		    "'MetricDataResults' array", c->name);
	nt = bf_json_get(j, 0, "NextToken");
	if (nt >= 0 && j->tok[nt].type == BF_JSON_STRING && next != NULL) {
		bf_buf_reset(&c->t5);
		bf_json_str(j, nt, &c->t5);
		if (c->t5.len > 0)
			*next = bf_xstrndup(c->t5.s, c->t5.len);
	}
	for (r = res + 1, k = 0; k < j->tok[res].size;
	    k++, r = bf_json_skip(j, r)) {
		struct rec_in ri;
		int sc;

		memset(&ri, 0, sizeof(ri));
		if (j->tok[r].type != BF_JSON_OBJECT)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "MetricDataResults[%d] is not an object",
			    c->name, k);
		if (tok_str(j, bf_json_get(j, r, "Id"), &c->t1) < 0)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "MetricDataResults[%d] has no 'Id'", c->name, k);
		sc = bf_json_get(j, r, "StatusCode");
		if (sc >= 0 && !bf_json_streq(j, sc, "Complete")) {
			if (bf_json_streq(j, sc, "PartialData")) {
				partial = 1;
			} else {
				bf_buf_reset(&c->t2);
				bf_json_str(j, sc, &c->t2);
				return bf_err_set(c->e,
				    bf_json_streq(j, sc, "InternalError") ?
				    BF_EXIT_UNAVAILABLE : BF_EXIT_FAILED,
				    "%s: MetricDataResults[%d] ('%s') has "
				    "StatusCode '%s'", c->name, k, c->t1.s,
				    bf_buf_str(&c->t2));
			}
		}
		ri.metric = c->t1.s;
		ri.metricn = c->t1.len;
		if (map_metric(c, &ri))
			continue;
		if (ri.unit == NULL)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: no unit "
			    "for metric '%s': get-metric-data output has "
			    "none, give a metrics map", c->name, c->t1.s);
		if (c->ro->instance == NULL && c->ro->use_label &&
		    tok_str(j, bf_json_get(j, r, "Label"), &c->t3) == 0 &&
		    c->t3.len > 0) {
			ri.instance = c->t3.s;
			ri.instancen = c->t3.len;
		}
		if (need_instance(c, &ri) < 0)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "MetricDataResults[%d] ('%s') names no instance "
			    "(set its Label, or use --instance)", c->name, k,
			    c->t1.s);
		if (c->ro->key != NULL) {
			ri.key = c->ro->key;
			ri.keyn = strlen(ri.key);
		}
		ri.cwres = 1;
		ri.source = "cloudwatch";
		ri.sourcen = 10;
		ri.valkind = BF_VAL_RAW;
		ts = bf_json_get(j, r, "Timestamps");
		vs = bf_json_get(j, r, "Values");
		if (ts < 0 || vs < 0 || j->tok[ts].type != BF_JSON_ARRAY ||
		    j->tok[vs].type != BF_JSON_ARRAY)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "MetricDataResults[%d] lacks Timestamps or Values "
			    "arrays", c->name, k);
		if (j->tok[ts].size != j->tok[vs].size)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "MetricDataResults[%d]: %d Timestamps but %d "
			    "Values", c->name, k, j->tok[ts].size,
			    j->tok[vs].size);
		n0 = c->rs->n;
		for (i = 0, t = ts + 1, v = vs + 1; i < j->tok[ts].size;
		    i++, t = bf_json_skip(j, t), v = bf_json_skip(j, v)) {
			if (tok_time(j, t, &c->t4, &ri.ts) < 0)
				return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
				    "MetricDataResults[%d].Timestamps[%d]: "
				    "bad time", c->name, k, i);
			if (j->tok[v].type != BF_JSON_NUMBER &&
			    j->tok[v].type != BF_JSON_STRING)
				return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
				    "MetricDataResults[%d].Values[%d]: not a "
				    "number", c->name, k, i);
			ri.value = bf_json_raw(j, v, &ri.valuen);
			bf_rec_add(c->rs, &ri);
		}
		per = cw_stated_period(j, r);
		if (per <= 0)
			per = cw_stated_period(j, 0);
		if (per > 0)
			bf_recs_cw_series_period(c->rs, n0, per);
	}
	if (partial && (next == NULL || *next == NULL))
		return bf_err_set(c->e, BF_EXIT_FAILED, "%s: StatusCode "
		    "PartialData but no NextToken", c->name);
	return 0;
}

static const char *const cw_stats[] = { "Average", "Sum", "Minimum",
	"Maximum", "SampleCount", NULL };

/* get-metric-statistics: {"Label":"CPUUtilization","Datapoints":[{
 * "Timestamp":..., "Average":..., "Unit":"Percent"}...]} */
static int
parse_cw_stats(struct pctx *c, const struct bf_json *j)
{
	int dps, d, k, t, v, u, i, found;
	const char *stat = c->s->o->statistic;
	size_t n0 = c->rs->n;

	dps = bf_json_get(j, 0, "Datapoints");
	if (dps < 0 || j->tok[dps].type != BF_JSON_ARRAY)
		return bf_err_set(c->e, BF_EXIT_FAILED, "%s: no 'Datapoints' "
		    "array", c->name);
	if (tok_str(j, bf_json_get(j, 0, "Label"), &c->t1) < 0)
		return bf_err_set(c->e, BF_EXIT_FAILED, "%s: no 'Label'",
		    c->name);
	for (d = dps + 1, k = 0; k < j->tok[dps].size;
	    k++, d = bf_json_skip(j, d)) {
		struct rec_in ri;

		memset(&ri, 0, sizeof(ri));
		if (j->tok[d].type != BF_JSON_OBJECT)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "Datapoints[%d] is not an object", c->name, k);
		ri.metric = c->t1.s;
		ri.metricn = c->t1.len;
		if (tok_str(j, bf_json_get(j, d, "Unit"), &c->t2) == 0) {
			ri.unit = c->t2.s;
			ri.unitn = c->t2.len;
		}
		if (map_metric(c, &ri))
			return 0; /* the whole file is one metric */
		if (ri.unit == NULL)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "Datapoints[%d] has no 'Unit'", c->name, k);
		if (need_instance(c, &ri) < 0)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "get-metric-statistics output names no instance "
			    "(use --instance)", c->name);
		if (c->ro->key != NULL) {
			ri.key = c->ro->key;
			ri.keyn = strlen(ri.key);
		}
		t = bf_json_get(j, d, "Timestamp");
		if (t < 0 || tok_time(j, t, &c->t3, &ri.ts) < 0)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "Datapoints[%d]: missing or bad 'Timestamp'",
			    c->name, k);
		v = -1;
		if (stat != NULL) {
			v = bf_json_get(j, d, stat);
			if (v < 0 && (u = bf_json_get(j, d,
			    "ExtendedStatistics")) >= 0)
				v = bf_json_get(j, u, stat);
			if (v < 0)
				return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
				    "Datapoints[%d] has no statistic '%s'",
				    c->name, k, stat);
		} else {
			for (i = 0, found = 0; cw_stats[i] != NULL; i++)
				if ((u = bf_json_get(j, d, cw_stats[i])) >= 0) {
					v = u;
					found++;
				}
			if (found != 1)
				return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
				    "Datapoints[%d] has %s statistic (choose "
				    "one with --statistic)", c->name, k,
				    found ? "more than one" : "no");
		}
		ri.value = bf_json_raw(j, v, &ri.valuen);
		ri.valkind = BF_VAL_RAW;
		ri.cwres = 1;
		ri.source = "cloudwatch";
		ri.sourcen = 10;
		bf_rec_add(c->rs, &ri);
	}
	if (cw_stated_period(j, 0) > 0)
		bf_recs_cw_series_period(c->rs, n0, cw_stated_period(j, 0));
	return 0;
}

/* CSV: a header row names the columns; the column options say which is
 * which. Fed one line at a time so errors can name the line. */
struct csvctx {
	struct pctx *c;
	int col[5];            /* ts, value, metric, instance, unit; -1 */
	int ncols;
	int header;            /* still reading the header */
	char **hdr;            /* header names */
	int nhdr;
	struct bf_buf f[5];    /* this row's mapped fields */
	int has[5];
	int field;             /* index of the next field in the row */
	long line, rowline;
	long nls;              /* newlines inside this row's fields */
	int failed;
	const char *rowp, *rowend; /* the row's bytes (rowp NULL: unknown) */
};

enum { C_TS, C_VALUE, C_METRIC, C_INSTANCE, C_UNIT };

/* s cut to n - 1 bytes with control characters shown as '?', for
 * messages. */
static const char *
printable(const char *s, char *out, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && s[i] != '\0'; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	out[i] = '\0';
	return out;
}

static void
csv_field(void *s, size_t n, void *data)
{
	struct csvctx *x = data;
	int k;

	for (k = 0; s != NULL && (size_t)k < n; k++)
		if (((char *)s)[k] == '\n')
			x->nls++;
	if (x->header) {
		x->hdr = bf_xrealloc(x->hdr, (size_t)(x->nhdr + 1) *
		    sizeof(*x->hdr));
		x->hdr[x->nhdr++] = bf_xstrndup(s ? s : "", n);
	} else {
		for (k = 0; k < 5; k++)
			if (x->col[k] == x->field) {
				bf_buf_reset(&x->f[k]);
				bf_buf_add(&x->f[k], s ? s : "", n);
				x->has[k] = 1;
			}
	}
	x->field++;
}

static void
csv_row(int term, void *data)
{
	struct csvctx *x = data;
	struct pctx *c = x->c;
	const struct bf_fetch_opts *o = c->s->o;
	const char *names[5];
	struct rec_in ri;
	int k, i, nf = x->field;
	char shown[65];
	const char *rp = x->rowp;

	x->rowp = NULL;
	x->rowline = x->line - x->nls;
	x->field = 0;
	x->nls = 0;
	if (x->failed)
		return;
	if (x->header) {
		names[C_TS] = o->col_ts;
		names[C_VALUE] = o->col_value;
		names[C_METRIC] = o->col_metric;
		names[C_INSTANCE] = o->col_instance;
		names[C_UNIT] = o->col_unit;
		for (k = 0; k < 5; k++) {
			x->col[k] = -1;
			for (i = 0; i < x->nhdr; i++)
				if (strcmp(x->hdr[i], names[k]) == 0)
					x->col[k] = i;
			if (x->col[k] < 0 && k <= C_METRIC) {
				bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: no "
				    "column '%s' in the header", c->name,
				    x->rowline, names[k]);
				x->failed = 1;
				return;
			}
		}
		x->ncols = x->nhdr;
		x->header = 0;
		rec_span(c, NULL, rp, x->rowend);
		return;
	}
	if (nf != x->ncols) {
		bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: %d fields, expected "
		    "%d", c->name, x->rowline, nf, x->ncols);
		x->failed = 1;
		return;
	}
	memset(&ri, 0, sizeof(ri));
	if (bf_time_parse_any(bf_buf_str(&x->f[C_TS]), x->f[C_TS].len, &ri.ts,
	    NULL) < 0) {
		bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: bad time '%s'",
		    c->name, x->rowline, printable(bf_buf_str(&x->f[C_TS]),
		    shown, sizeof(shown)));
		x->failed = 1;
		return;
	}
	ri.value = bf_buf_str(&x->f[C_VALUE]);
	ri.valuen = x->f[C_VALUE].len;
	ri.valkind = BF_VAL_TEXT;
	ri.metric = bf_buf_str(&x->f[C_METRIC]);
	ri.metricn = x->f[C_METRIC].len;
	if (x->col[C_UNIT] >= 0) {
		ri.unit = bf_buf_str(&x->f[C_UNIT]);
		ri.unitn = x->f[C_UNIT].len;
	}
	if (x->col[C_INSTANCE] >= 0 && x->f[C_INSTANCE].len > 0) {
		ri.instance = bf_buf_str(&x->f[C_INSTANCE]);
		ri.instancen = x->f[C_INSTANCE].len;
	}
	if (map_metric(c, &ri))
		return;
	if (ri.unit == NULL) {
		bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: no unit for metric "
		    "'%s' (add a '%s' column or a metrics map)", c->name,
		    x->rowline, printable(ri.metric, shown, sizeof(shown)),
		    o->col_unit);
		x->failed = 1;
		return;
	}
	if (need_instance(c, &ri) < 0) {
		bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: row names no "
		    "instance (add a '%s' column or use --instance)", c->name,
		    x->rowline, o->col_instance);
		x->failed = 1;
		return;
	}
	if (c->ro->key != NULL) {
		ri.key = c->ro->key;
		ri.keyn = strlen(ri.key);
	}
	bf_rec_add(c->rs, &ri);
	rec_span(c, &ri, rp, x->rowend);
	(void)term;
}

static int
parse_csv(struct pctx *c, const char *data, size_t n)
{
	struct csv_parser p;
	struct csvctx x;
	const char *q = data, *end = data + n, *nl;
	int k, rc = 0;

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.header = 1;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return bf_err_set(c->e, BF_EXIT_FAILED, "out of memory");
	while (q < end && !x.failed) {
		size_t len;

		nl = memchr(q, '\n', (size_t)(end - q));
		len = nl != NULL ? (size_t)(nl - q) + 1 : (size_t)(end - q);
		x.line++;
		if (x.rowp == NULL)
			x.rowp = q;
		x.rowend = q + len;
		if (csv_parse(&p, q, len, csv_field, csv_row, &x) != len) {
			bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: %s", c->name,
			    x.line, csv_strerror(csv_error(&p)));
			x.failed = 1;
		}
		q += len;
	}
	if (!x.failed && csv_fini(&p, csv_field, csv_row, &x) != 0) {
		bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: %s", c->name, x.line,
		    csv_strerror(csv_error(&p)));
		x.failed = 1;
	}
	if (!x.failed && x.header)
		bf_err_set(c->e, BF_EXIT_FAILED, "%s: no header row", c->name),
		    x.failed = 1;
	csv_free(&p);
	for (k = 0; k < x.nhdr; k++)
		free(x.hdr[k]);
	free(x.hdr);
	for (k = 0; k < 5; k++)
		bf_buf_free(&x.f[k]);
	if (x.failed)
		rc = -1;
	return rc;
}

const char *const bf_format_names[] = { "auto", "ndjson", "cw-data",
	"cw-stats", "csv", NULL };

/* The format of data[0..n): CSV unless it starts with '{', then a
 * CloudWatch export when it is one JSON object naming its array (parsed
 * into j, *jrc the result), else NDJSON. */
int
bf_records_detect(const char *data, size_t n, struct bf_json *j, int *jrc,
    size_t *errpos)
{
	size_t i;

	for (i = 0; i < n && (data[i] == ' ' || data[i] == '\t' ||
	    data[i] == '\r' || data[i] == '\n'); i++)
		;
	if (i == n)
		return BF_FMT_NDJSON;
	if (data[i] != '{')
		return BF_FMT_CSV;
	*jrc = bf_json_parse(j, data, n, BF_JSON_WANT_OBJECT, errpos);
	if (*jrc == BF_JSON_OK && bf_json_get(j, 0, "MetricDataResults") >= 0)
		return BF_FMT_CW_DATA;
	if (*jrc == BF_JSON_OK && bf_json_get(j, 0, "Datapoints") >= 0)
		return BF_FMT_CW_STATS;
	return BF_FMT_NDJSON;
}

int
bf_records_parse(struct bf_source *s, const struct bf_recopts *ro,
    const char *name, const char *data, size_t n, int fmt,
    struct bf_recs *rs, char **next_token, struct bf_err *e)
{
	struct pctx c = { .s = s, .ro = ro, .name = name, .rs = rs, .e = e };
	struct bf_json j = BF_JSON_INIT;
	size_t errpos = 0, saved_n = rs->n, saved_len = rs->arena.len;
	int rc = 0, jrc = -1;

	if (next_token != NULL)
		*next_token = NULL;
	if (fmt == BF_FMT_AUTO)
		fmt = bf_records_detect(data, n, &j, &jrc, &errpos);
	switch (fmt) {
	case BF_FMT_NDJSON:
		rc = parse_ndjson(&c, data, n);
		if (rc < 0)
			ndjson_report(&c, 0);
		break;
	case BF_FMT_CSV:
		rc = parse_csv(&c, data, n);
		break;
	default:
		if (jrc < 0)
			jrc = bf_json_parse(&j, data, n, BF_JSON_WANT_OBJECT,
			    &errpos);
		if (jrc != BF_JSON_OK) {
			rc = bf_err_set(e, BF_EXIT_FAILED, "%s: %s at byte %zu",
			    name, bf_json_strerror(jrc), errpos + 1);
			break;
		}
		if (fmt == BF_FMT_CW_DATA)
			rc = parse_cw_data(&c, &j, next_token);
		else
			rc = parse_cw_stats(&c, &j);
	}
	bf_json_free(&j);
	pctx_free(&c);
	if (rc < 0) {
		bf_recs_rollback(rs, saved_n, saved_len);
		if (next_token != NULL) {
			free(*next_token);
			*next_token = NULL;
		}
	}
	return rc;
}

/*
 * Parsing a large NDJSON file in parts at once.
 */

/* bf_records_parts: the parts of a file (0: one per processor) and the
 * fewest bytes of a part. */
static int file_parts = 0;
static size_t file_part_min = (size_t)1 << 20;

void
bf_records_parts(int parts, size_t part_min)
{
	file_parts = parts;
	file_part_min = part_min;
}

/* 1 when the file source reads data[0..n) as NDJSON in parts: format fmt
 * says so, or detects it in a file large enough to be cut. */
int
bf_records_in_parts(int fmt, const char *data, size_t n)
{
	struct bf_json j = BF_JSON_INIT;
	size_t errpos;
	int jrc;

	if (fmt == BF_FMT_AUTO && n / 2 >= file_part_min)
		fmt = bf_records_detect(data, n, &j, &jrc, &errpos);
	bf_json_free(&j);
	return fmt == BF_FMT_NDJSON;
}

struct part {
	struct pctx c;
	struct bf_recs rs;  /* parts after the first: their records */
	struct bf_err e;
	const char *p;
	size_t n;
	int rc;
	pthread_t th;
	int started;
};

static void *
part_run(void *arg)
{
	struct part *pt = arg;

	pt->rc = parse_ndjson(&pt->c, pt->p, pt->n);
	return NULL;
}

/* Parses the NDJSON data[0..n) like bf_records_parse (same records in the
 * same order, the same error: the first bad line in the file), cut at
 * newlines into parts parsed on threads at once: the load phase is serial
 * and everything downstream waits for it. */
int
bf_records_parse_parts(struct bf_source *s, const struct bf_recopts *ro,
    const char *name, const char *data, size_t n, struct bf_recs *rs,
    int file, struct bf_err *e)
{
	size_t budget = rs->budget;
	struct part pt[BF_FILE_MAXPARTS];
	const char *q, *nl, *end = data + n;
	size_t saved_n = rs->n, saved_len = rs->arena.len;
	long lines = 0;
	long ncpu;
	int np, k, rc = 0, spilled;

	np = file_parts;
	if (np <= 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		np = ncpu < 1 ? 1 : ncpu > BF_FILE_MAXPARTS ?
		    BF_FILE_MAXPARTS : (int)ncpu;
	}
	if (np > BF_FILE_MAXPARTS)
		np = BF_FILE_MAXPARTS;
	if (file_part_min > 0 && (size_t)np > n / file_part_min)
		np = (int)(n / file_part_min);
	if (np < 2)
		return bf_records_parse(s, ro, name, data, n, BF_FMT_NDJSON,
		    rs, NULL, e);
	memset(pt, 0, sizeof(pt));
	for (k = 0, q = data; k < np; k++) {
		pt[k].p = q;
		/* The part ends after the first newline past its share. */
		nl = k == np - 1 ? NULL : data + n / (size_t)np * (size_t)(k + 1);
		if (nl != NULL && nl < q)
			nl = q;
		if (nl != NULL)
			nl = memchr(nl, '\n', (size_t)(end - nl));
		q = nl != NULL ? nl + 1 : end;
		pt[k].n = (size_t)(q - pt[k].p);
		pt[k].c.s = s;
		pt[k].c.ro = ro;
		pt[k].c.name = name;
		pt[k].c.rs = k == 0 ? rs : &pt[k].rs;
		pt[k].c.e = &pt[k].e;
		if (rs->spill != NULL) {
			/* each part its own runs and share of the bound */
			bf_spill_share(pt[k].c.rs, budget / (size_t)np);
			if (k > 0) {
				pt[k].rs.spill = rs->spill;
				pt[k].rs.mapid = rs->spill->nmap + (uint32_t)k;
				pt[k].rs.order = (uint64_t)file << 40 |
				    (uint64_t)k << 32;
			}
		}
	}
	for (k = 1; k < np; k++)
		pt[k].started = pthread_create(&pt[k].th, NULL, part_run,
		    &pt[k]) == 0;
	part_run(&pt[0]);
	for (k = 1; k < np; k++) {
		if (pt[k].started)
			pthread_join(pt[k].th, NULL);
		else
			part_run(&pt[k]);
	}
	spilled = rs->spill != NULL && rs->spill->nrun > 0;
	for (k = 0; k < np; k++) {
		if (rc == 0 && pt[k].rc < 0) {
			pt[k].c.e = e;
			rc = ndjson_report(&pt[k].c, lines);
		}
		lines += pt[k].c.lines;
		if (rc == 0 && k > 0 && spilled) {
			bf_spill_absorb(rs, &pt[k].rs);
		} else if (rc == 0 && k > 0) {
			bf_recs_unspill(&pt[k].rs);
			bf_recs_append(rs, &pt[k].rs);
		}
		bf_recs_free(&pt[k].rs);
		pctx_free(&pt[k].c);
	}
	if (rs->spill != NULL) {
		bf_spill_share(rs, budget);
		if (spilled && rc == 0)
			bf_recs_spill(rs);
	}
	if (rc < 0)
		bf_recs_rollback(rs, saved_n, saved_len);
	return rc;
}

