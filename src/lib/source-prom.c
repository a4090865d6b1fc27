/*
 * source-prom.c: the prometheus source: /api/v1/query_range over libcurl,
 * one easy handle per worker thread so connections are reused
 * (source-internal.h).
 *
 * For each metric of the map and each window [start, end) it asks for the
 * points start, start+step, ... up to the last one before end: query_range
 * includes its end, and a point at end belongs to the next window. The
 * points are asked for in chunks of at most 11,000 (Prometheus refuses more
 * per series), and a chunk whose answer is too large to parse is split in
 * two and asked again.
 *
 * With a lookback, the first chunk starts that many whole steps earlier
 * (on the window's step grid, not before window_start - lookback), and of
 * the points before the window only each series' last is kept, as its
 * lookback sample. One answer holding two series with the same instance
 * fails the window (multiple_series): a series is (instance_id, metric).
 *
 * That is the grid mode, for any query. A query that is a plain vector
 * selector or a sum of one (metrics.h: bf_promql_raw_parse) is read in raw
 * mode instead (raw_fetch below): every sample at its own scrape time.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "decimal.h"
#include "fetch.h"
#include "keymap.h"
#include "source-internal.h"

#define PROM_MAX_POINTS 11000
#define PROM_SPLIT_DEPTH 12

struct promsrc {
	char *base;    /* the URL without a trailing '/' */
	char *who;     /* "prometheus URL", the URL without a query string
	                  or fragment (it has no userinfo): the prefix of
	                  every message */
	char *token;   /* bearer token, or NULL */
	int64_t step;
	int accept_partial; /* --accept-partial */
	char stepd[24]; /* as a PromQL duration, for ${step} */
};

struct promw {
	CURL *h;
	struct bf_buf body;
	int64_t retry_after_ms;
	size_t max;
	int over;
};

static int
prom_open(struct bf_source *s, struct bf_err *e)
{
	const struct bf_fetch_opts *o = s->o;
	struct promsrc *p;
	struct bf_buf tok = BF_BUF_INIT;
	const char *auth;
	size_t n;

	if (o->url == NULL)
		return bf_err_set(e, BF_EXIT_USAGE, "--source prometheus "
		    "needs --url URL");
	if (strncmp(o->url, "http://", 7) != 0 &&
	    strncmp(o->url, "https://", 8) != 0)
		return bf_err_set(e, BF_EXIT_USAGE, "--url must start with "
		    "http:// or https://");
	auth = strchr(o->url, ':') + 3;
	n = strcspn(auth, "/?#");
	if (memchr(auth, '@', n) != NULL)
		return bf_err_set(e, BF_EXIT_USAGE, "--url holds credentials: "
		    "put them in ~/.netrc or use --bearer-token-file, never on "
		    "the command line");
	if (s->metrics == NULL)
		return bf_err_set(e, BF_EXIT_USAGE, "--source prometheus "
		    "needs --metrics FILE (metric,unit,query)");
	if (o->bearer_token_file != NULL) {
		if (bf_read_file(o->bearer_token_file, 65536, &tok, e) < 0) {
			e->code = BF_EXIT_USAGE;
			return -1;
		}
		while (tok.len > 0 && (tok.s[tok.len - 1] == '\n' ||
		    tok.s[tok.len - 1] == '\r' || tok.s[tok.len - 1] == ' '))
			tok.s[--tok.len] = '\0';
		if (tok.len == 0 || memchr(tok.s, '\n', tok.len) != NULL) {
			bf_buf_free(&tok);
			return bf_err_set(e, BF_EXIT_USAGE, "%s: expected one "
			    "line holding the token", o->bearer_token_file);
		}
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		bf_buf_free(&tok);
		return bf_err_set(e, BF_EXIT_UNAVAILABLE, "cannot initialise "
		    "libcurl");
	}
	p = bf_xcalloc(1, sizeof(*p));
	p->token = tok.len > 0 ? bf_buf_detach(&tok) : NULL;
	bf_buf_free(&tok);
	p->base = bf_xstrdup(o->url);
	n = strlen(p->base);
	while (n > 0 && p->base[n - 1] == '/')
		p->base[--n] = '\0';
	n = strcspn(p->base, "?#");
	p->who = bf_xmalloc(n + sizeof("prometheus "));
	snprintf(p->who, n + sizeof("prometheus "), "prometheus %.*s", (int)n,
	    p->base);
	p->step = o->step > 0 ? o->step : BF_FETCH_STEP;
	p->accept_partial = o->accept_partial;
	bf_duration_format(p->step, p->stepd, sizeof(p->stepd));
	s->priv = p;
	return 0;
}

static void
prom_close(struct bf_source *s)
{
	struct promsrc *p = s->priv;

	if (p != NULL) {
		if (p->token != NULL) {
			explicit_bzero(p->token, strlen(p->token));
			free(p->token);
		}
		free(p->base);
		free(p->who);
		free(p);
		s->priv = NULL;
		curl_global_cleanup();
	}
}

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct promw *w = ud;
	size_t n = size * nmemb;

	if (w->max > 0 && w->body.len + n > w->max) {
		w->over = 1;
		return 0;
	}
	bf_buf_add(&w->body, ptr, n);
	return n;
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct promw *w = ud;
	size_t n = size * nmemb;

	if (n > 12 && strncasecmp(ptr, "Retry-After:", 12) == 0)
		w->retry_after_ms = bf_retry_after_parse(ptr + 12, n - 12,
		    (int64_t)time(NULL));
	return n;
}

static int
prom_worker_open(struct bf_source *s, void **wp, struct bf_err *e)
{
	const struct bf_fetch_opts *o = s->o;
	struct promw *w;

	w = bf_xcalloc(1, sizeof(*w));
	w->h = curl_easy_init();
	if (w->h == NULL) {
		free(w);
		return bf_err_set(e, BF_EXIT_UNAVAILABLE, "cannot make a "
		    "libcurl handle");
	}
	w->max = o->max_body;
	curl_easy_setopt(w->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(w->h, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(w->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(w->h, CURLOPT_HEADERDATA, w);
	curl_easy_setopt(w->h, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(w->h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)o->connect_timeout_ms);
	curl_easy_setopt(w->h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(w->h, CURLOPT_USERAGENT, "bf-fetch/" BF_VERSION);
	curl_easy_setopt(w->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(w->h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(w->h, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
	if (((struct promsrc *)s->priv)->token != NULL) {
		curl_easy_setopt(w->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(w->h, CURLOPT_XOAUTH2_BEARER,
		    ((struct promsrc *)s->priv)->token);
	}
	*wp = w;
	return 0;
}

static void
prom_worker_close(struct bf_source *s, void *wp)
{
	struct promw *w = wp;

	if (w == NULL)
		return;
	curl_easy_cleanup(w->h);
	bf_buf_free(&w->body);
	free(w);
}

/* The last point before the window of one series (instance). */
struct lbpoint {
	bf_time ts;
	char *value; /* owned */
	size_t vn;
};

/* A request for one metric over a range of time, which ask_range halves
 * while the answer is too big: the first member of a chunk and a raw. */
struct ask {
	struct bf_source *s;
	struct promw *w;
	const struct bf_metric *m;
	int64_t from, to;    /* chunk: the first and the last point asked
	                        for; raw: [from, to), seconds */
	int64_t unit;        /* chunk: the step; raw: 1 (a second) */
	int raw;             /* to is past the end: a raw's */
	int too_big;
};

struct chunk {
	struct ask a;
	const char *query;   /* expanded */
	/* lookback points by instance, over all chunks of the metric */
	struct bf_keymap lbmap;
	struct lbpoint *lb;  /* owned; lbmap.n of them */
	size_t lbcap;
};

static void
chunk_free(struct chunk *c)
{
	size_t i;

	for (i = 0; i < c->lbmap.n; i++)
		free(c->lb[i].value);
	free(c->lb);
	bf_keymap_free(&c->lbmap);
}

/* Keeps (when, v) as inst's lookback point if it is the latest yet. */
static void
keep_lookback(struct chunk *c, const struct bf_buf *inst, bf_time when,
    const char *v, size_t vn)
{
	struct lbpoint *p;
	size_t i;
	int added;

	i = bf_keymap_put(&c->lbmap, bf_buf_str(inst), inst->len, &added);
	if (added) {
		if (i >= c->lbcap) {
			c->lbcap = c->lbcap ? c->lbcap * 2 : 8;
			c->lb = bf_xrealloc(c->lb, c->lbcap * sizeof(*c->lb));
		}
		memset(&c->lb[i], 0, sizeof(c->lb[i]));
	} else if (c->lb[i].ts > when) {
		return;
	}
	p = &c->lb[i];
	free(p->value);
	p->ts = when;
	p->value = bf_xstrndup(v, vn);
	p->vn = vn;
}

/* Appends the kept lookback points as lookback samples. */
static void
emit_lookback(struct chunk *c, struct bf_job *job)
{
	struct promsrc *p = c->a.s->priv;
	size_t i, mark;

	for (i = 0; i < c->lbmap.n; i++) {
		mark = job->out.len;
		bf_job_sample(job, c->lbmap.v[i].key, c->lbmap.v[i].len,
		    c->a.m->metric, strlen(c->a.m->metric), c->a.m->unit,
		    c->lb[i].ts, c->lb[i].value, c->lb[i].vn, BF_VAL_TEXT,
		    "prometheus", p->step);
		bf_job_lookback(job, mark);
	}
}

/* Appends to out (", "-separated) the names of the labels whose values
 * differ between label sets a and b (object tokens of j, or -1), each
 * name once (named holds those already there). */
static void
label_diff(const struct bf_json *j, int a, int b, struct bf_keymap *named,
    struct bf_buf *out)
{
	struct bf_buf name = BF_BUF_INIT, va = BF_BUF_INIT, vb = BF_BUF_INIT;
	int pass, k, key, self, other, ot, added;

	for (pass = 0; pass < 2; pass++) {
		self = pass == 0 ? a : b;
		other = pass == 0 ? b : a;
		if (self < 0 || j->tok[self].type != BF_JSON_OBJECT)
			continue;
		for (key = self + 1, k = 0; k < j->tok[self].size;
		    k++, key = bf_json_skip(j, key + 1)) {
			bf_buf_reset(&name);
			bf_buf_reset(&va);
			bf_buf_reset(&vb);
			bf_json_str(j, key, &name);
			bf_buf_grow(&name, 0);
			ot = other >= 0 ? bf_json_getn(j, other, name.s,
			    name.len) : -1;
			bf_json_str(j, key + 1, &va);
			if (ot >= 0)
				bf_json_str(j, ot, &vb);
			if (ot >= 0 && va.len == vb.len && (va.len == 0 ||
			    memcmp(va.s, vb.s, va.len) == 0))
				continue;
			bf_keymap_put(named, name.s, name.len, &added);
			if (!added)
				continue;
			if (out->len > 0)
				bf_buf_puts(out, ", ");
			bf_buf_add(out, name.s, name.len);
		}
	}
	bf_buf_free(&name);
	bf_buf_free(&va);
	bf_buf_free(&vb);
}

/* Fails job with multiple_series: the query of metric m returned n series
 * (label sets) for instance inst, whose labels differ in diff. */
static void
fail_multiple(struct bf_source *s, struct bf_job *job,
    const struct bf_metric *m, int n, const char *inst,
    const struct bf_buf *diff)
{
	bf_job_fail(job, "multiple_series", "%s: the query of metric '%s' "
	    "returned %d series for instance '%.100s' (labels differ: %.200s); "
	    "a series is (instance_id, metric): aggregate them in the query, "
	    "e.g. sum by (%s) (...)", ((struct promsrc *)s->priv)->who,
	    m->metric, n, inst, diff->len > 0 ? diff->s : "none",
	    s->o->instance_label);
}

/* The instance of a series whose "metric" object is token met (-1:
 * none) into inst: its instance label, else the window's partition. */
static void
series_instance(const struct bf_fetch_opts *o, const struct bf_job *job,
    const struct bf_json *j, int met, struct bf_buf *inst)
{
	int lab;

	bf_buf_reset(inst);
	lab = met >= 0 ? bf_json_get(j, met, o->instance_label) : -1;
	if (lab >= 0 && j->tok[lab].type == BF_JSON_STRING)
		bf_json_str(j, lab, inst);
	else
		bf_buf_puts(inst, job->w.partition);
}

/* 0 when every series of the matrix result res has its own instance;
 * else fails job with multiple_series and returns -1. */
static int
check_series(struct chunk *c, struct bf_job *job, const struct bf_json *j,
    int res)
{
	const struct bf_fetch_opts *o = c->a.s->o;
	struct bf_keymap seen = BF_KEYMAP_INIT, named = BF_KEYMAP_INIT;
	struct bf_buf inst = BF_BUF_INIT, diff = BF_BUF_INIT, first_inst =
	    BF_BUF_INIT;
	int *met = NULL, ser, k, m, first = -1, n = 0, added;
	size_t i;

	met = bf_xcalloc((size_t)j->tok[res].size + 1, sizeof(*met));
	for (ser = res + 1, k = 0; k < j->tok[res].size;
	    k++, ser = bf_json_skip(j, ser)) {
		m = j->tok[ser].type == BF_JSON_OBJECT ?
		    bf_json_get(j, ser, "metric") : -1;
		series_instance(o, job, j, m, &inst);
		i = bf_keymap_put(&seen, bf_buf_str(&inst), inst.len, &added);
		if (added) {
			met[i] = m;
			continue;
		}
		if (first < 0) {
			first = (int)i;
			bf_buf_add(&first_inst, bf_buf_str(&inst), inst.len);
		}
		if ((int)i == first) {
			label_diff(j, met[i], m, &named, &diff);
			n++;
		}
	}
	if (first >= 0)
		fail_multiple(c->a.s, job, c->a.m, n + 1,
		    bf_buf_str(&first_inst), &diff);
	free(met);
	bf_keymap_free(&seen);
	bf_keymap_free(&named);
	bf_buf_free(&inst);
	bf_buf_free(&diff);
	bf_buf_free(&first_inst);
	return first >= 0 ? -1 : 0;
}

/* The message of an error body {"status":"error","errorType":...,
 * "error":...}: fills type and text; 0 if the body is one. */
static int
error_body(const struct bf_json *j, struct bf_buf *type, struct bf_buf *text)
{
	int t;

	t = bf_json_get(j, 0, "status");
	if (t < 0 || !bf_json_streq(j, t, "error"))
		return -1;
	bf_buf_reset(type);
	bf_buf_reset(text);
	if ((t = bf_json_get(j, 0, "errorType")) >= 0 &&
	    j->tok[t].type == BF_JSON_STRING)
		bf_json_str(j, t, type);
	if ((t = bf_json_get(j, 0, "error")) >= 0 &&
	    j->tok[t].type == BF_JSON_STRING)
		bf_json_str(j, t, text);
	bf_buf_grow(type, 0);
	bf_buf_grow(text, 0);
	return 0;
}

static int
retryable_type(const char *t)
{
	return strcmp(t, "timeout") == 0 || strcmp(t, "unavailable") == 0 ||
	    strcmp(t, "internal") == 0 || strcmp(t, "canceled") == 0;
}

/* The token of the answer's data.result, a matrix; -1 with t->msg set
 * when it is not one. */
static int
matrix_result(const struct promsrc *p, const struct bf_json *j,
    struct bf_try *t)
{
	int data, res, rt;

	data = bf_json_get(j, 0, "data");
	res = data >= 0 ? bf_json_get(j, data, "result") : -1;
	rt = data >= 0 ? bf_json_get(j, data, "resultType") : -1;
	if (res < 0 || j->tok[res].type != BF_JSON_ARRAY || rt < 0 ||
	    !bf_json_streq(j, rt, "matrix")) {
		snprintf(t->msg, sizeof(t->msg), "%s: the answer is not a "
		    "matrix (data.resultType, data.result)", p->who);
		return -1;
	}
	return res;
}

/* Emits the points of the matrix in j; -1 with t filled when the shape is
 * wrong. */
static int
emit_matrix(struct chunk *c, struct bf_job *job, const struct bf_json *j,
    struct bf_try *t)
{
	const struct bf_fetch_opts *o = c->a.s->o;
	struct promsrc *p = c->a.s->priv;
	struct bf_buf inst = BF_BUF_INIT;
	int res, ser, k, met, vals, pt, i;
	int rc = -1;

	if ((res = matrix_result(p, j, t)) < 0)
		goto out;
	if (check_series(c, job, j, res) < 0) {
		t->code = "multiple_series";
		snprintf(t->msg, sizeof(t->msg), "%.600s", job->msg);
		goto out;
	}
	for (ser = res + 1, k = 0; k < j->tok[res].size;
	    k++, ser = bf_json_skip(j, ser)) {
		met = bf_json_get(j, ser, "metric");
		vals = bf_json_get(j, ser, "values");
		if (j->tok[ser].type != BF_JSON_OBJECT || vals < 0 ||
		    j->tok[vals].type != BF_JSON_ARRAY) {
			snprintf(t->msg, sizeof(t->msg), "%s: series %d has "
			    "no 'values' array", p->who, k);
			goto out;
		}
		series_instance(o, job, j, met, &inst);
		for (pt = vals + 1, i = 0; i < j->tok[vals].size;
		    i++, pt = bf_json_skip(j, pt)) {
			const char *ts, *v;
			size_t tn, vn;
			bf_time when;
			struct bf_buf vb = BF_BUF_INIT;

			if (j->tok[pt].type != BF_JSON_ARRAY ||
			    j->tok[pt].size != 2 ||
			    j->tok[pt + 1].type != BF_JSON_NUMBER ||
			    j->tok[pt + 2].type != BF_JSON_STRING) {
				snprintf(t->msg, sizeof(t->msg), "%s: series "
				    "%d point %d is not [time, \"value\"]",
				    p->who, k, i);
				goto out;
			}
			ts = bf_json_raw(j, pt + 1, &tn);
			if (bf_time_from_number(ts, tn, &when, NULL) < 0) {
				snprintf(t->msg, sizeof(t->msg), "%s: bad "
				    "time '%.*s'", p->who,
				    (int)(tn > 40 ? 40 : tn), ts);
				goto out;
			}
			if (when >= job->w.end || (when < job->w.start &&
			    when < job->w.start - o->lookback))
				continue;
			if (j->tok[pt + 2].esc) {
				bf_json_str(j, pt + 2, &vb);
				v = bf_buf_str(&vb);
				vn = vb.len;
			} else {
				v = bf_json_raw(j, pt + 2, &vn);
				v++;
				vn -= 2;
			}
			if (when < job->w.start) {
				keep_lookback(c, &inst, when, v, vn);
				bf_buf_free(&vb);
				continue;
			}
			bf_job_sample(job, bf_buf_str(&inst), inst.len,
			    c->a.m->metric, strlen(c->a.m->metric),
			    c->a.m->unit, when, v, vn, BF_VAL_TEXT,
			    "prometheus", p->step);
			bf_buf_free(&vb);
		}
	}
	rc = 0;
out:
	bf_buf_free(&inst);
	return rc;
}

/* 1 when the answer j is partial ("status":"partial", or a non-empty
 * "warnings", what Thanos and Cortex send when a store did not answer)
 * and accept is 0: t fails with partial_response, not retried (a store
 * that is down stays down for longer than a backoff). */
static int
partial_answer(const struct bf_json *j, const struct promsrc *p,
    struct bf_try *t)
{
	struct bf_buf w = BF_BUF_INIT;
	int st = bf_json_get(j, 0, "status");
	int wt = bf_json_get(j, 0, "warnings");
	int partial = st >= 0 && bf_json_streq(j, st, "partial");

	if (wt >= 0 && j->tok[wt].type == BF_JSON_ARRAY && j->tok[wt].size > 0)
		partial = 1;
	if (!partial || p->accept_partial)
		return 0;
	if (wt >= 0 && j->tok[wt].type == BF_JSON_ARRAY &&
	    j->tok[wt].size > 0 && j->tok[wt + 1].type == BF_JSON_STRING)
		bf_json_str(j, wt + 1, &w);
	t->outcome = BF_TRY_FAIL;
	t->code = "partial_response";
	snprintf(t->msg, sizeof(t->msg), "%s: partial answer%s%.400s "
	    "(--accept-partial bills it)", p->who, w.len > 0 ? ": " : "",
	    bf_buf_str(&w));
	bf_buf_free(&w);
	return 1;
}

/* GETs url on w's handle and sorts the answer out: returns 0 with j
 * holding a 200 answer with "status":"success" or "partial", 1 for a 200
 * answer too large to parse, or -1 with t filled (outcome, code, message
 * starting with p->who). */
static int
prom_get(struct promsrc *p, struct promw *w, const char *url,
    struct bf_json *j, struct bf_try *t)
{
	struct bf_buf etype = BF_BUF_INIT, etext = BF_BUF_INIT;
	CURLcode cc;
	long status = 0;
	int jrc, rc = -1, st;

	bf_buf_reset(&w->body);
	w->retry_after_ms = -1;
	w->over = 0;
	curl_easy_setopt(w->h, CURLOPT_URL, url);
	cc = curl_easy_perform(w->h);
	t->retry_after_ms = w->retry_after_ms;
	if (cc != CURLE_OK) {
		if (w->over) {
			t->outcome = BF_TRY_FAIL;
			t->code = "too_large";
			snprintf(t->msg, sizeof(t->msg), "%s: answer larger "
			    "than %zu bytes", p->who, w->max);
			goto out;
		}
		t->outcome = BF_TRY_RETRY;
		t->code = cc == CURLE_OPERATION_TIMEDOUT ? "timeout" :
		    "unavailable";
		t->unavailable = 1;
		snprintf(t->msg, sizeof(t->msg), "%s: %s", p->who,
		    curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &status);
	jrc = bf_json_parse(j, bf_buf_str(&w->body), w->body.len,
	    BF_JSON_WANT_OBJECT, NULL);
	if (jrc == BF_JSON_ETOOBIG && status == 200) {
		rc = 1;
		goto out;
	}
	if (status == 401 || status == 403) {
		t->outcome = BF_TRY_FAIL;
		t->code = "unauthorized";
		snprintf(t->msg, sizeof(t->msg), "%s: http %ld: not allowed "
		    "(see --bearer-token-file, ~/.netrc)", p->who, status);
		goto out;
	}
	if (jrc == BF_JSON_OK && error_body(j, &etype, &etext) == 0) {
		int retry = retryable_type(etype.s) || status == 429 ||
		    status == 503 || status == 502 || status == 504;

		t->outcome = retry ? BF_TRY_RETRY : BF_TRY_FAIL;
		t->code = status == 429 ? "rate_limited" :
		    strcmp(etype.s, "timeout") == 0 ? "timeout" :
		    strcmp(etype.s, "bad_data") == 0 ? "bad_query" :
		    retry ? "unavailable" : "query_failed";
		snprintf(t->msg, sizeof(t->msg), "%s: http %ld: %s: %.400s",
		    p->who, status, etype.s, etext.s);
		goto out;
	}
	if (status != 200) {
		int retry = status == 408 || status == 429 || status >= 500;

		t->outcome = retry ? BF_TRY_RETRY : BF_TRY_FAIL;
		t->code = status == 429 ? "rate_limited" : retry ?
		    "unavailable" : "http_error";
		snprintf(t->msg, sizeof(t->msg), "%s: http %ld", p->who,
		    status);
		goto out;
	}
	if (jrc != BF_JSON_OK) {
		t->outcome = BF_TRY_RETRY;
		t->code = "bad_response";
		snprintf(t->msg, sizeof(t->msg), "%s: answer is not JSON (%s)",
		    p->who, bf_json_strerror(jrc));
		goto out;
	}
	st = bf_json_get(j, 0, "status");
	if (st < 0 || (!bf_json_streq(j, st, "success") &&
	    !bf_json_streq(j, st, "partial"))) {
		t->outcome = BF_TRY_RETRY;
		t->code = "bad_response";
		snprintf(t->msg, sizeof(t->msg), "%s: answer has no "
		    "\"status\":\"success\"", p->who);
		goto out;
	}
	rc = 0;
out:
	bf_buf_free(&etype);
	bf_buf_free(&etext);
	return rc;
}

/* Reads an answer into ctx: 0, or -1 with t->msg set and nothing kept. */
typedef int (*ask_read_fn)(void *ctx, struct bf_job *job,
    const struct bf_json *j, struct bf_try *t);

/* One attempt of a's request at url (t as bf_fetch_call's): an answer too
 * big marks a (ask_range halves the range), a whole one goes to read. */
static void
ask_get(struct ask *a, void *ctx, ask_read_fn read, const char *url,
    struct bf_job *job, struct bf_try *t)
{
	struct promsrc *p = a->s->priv;
	struct bf_json j = BF_JSON_INIT;
	int rc;

	rc = prom_get(p, a->w, url, &j, t);
	if (rc == 1) {
		a->too_big = 1;
		t->outcome = BF_TRY_OK;
	} else if (rc == 0 && !partial_answer(&j, p, t)) {
		t->code = "bad_response";
		t->outcome = read(ctx, job, &j, t) < 0 ? BF_TRY_FAIL :
		    BF_TRY_OK;
	}
	bf_json_free(&j);
}

/* ask_read_fn of a chunk: its samples into job->out. */
static int
chunk_read(void *ctx, struct bf_job *job, const struct bf_json *j,
    struct bf_try *t)
{
	size_t mark = job->out.len;
	long fmark = job->fetched;

	if (emit_matrix(ctx, job, j, t) >= 0)
		return 0;
	job->out.len = mark;
	if (job->out.s != NULL)
		job->out.s[mark] = '\0';
	job->fetched = fmark;
	return -1;
}

static void
try_chunk(void *ctx, struct bf_job *job, struct bf_try *t)
{
	struct chunk *c = ctx;
	struct promsrc *p = c->a.s->priv;
	struct bf_buf url = BF_BUF_INIT;
	char *q;

	q = curl_easy_escape(c->a.w->h, c->query, (int)strlen(c->query));
	bf_buf_printf(&url, "%s/api/v1/query_range?query=%s&start=%lld"
	    "&end=%lld&step=%lld", p->base, q ? q : "", (long long)c->a.from,
	    (long long)c->a.to, (long long)p->step);
	curl_free(q);
	ask_get(&c->a, c, chunk_read, url.s, job, t);
	bf_buf_free(&url);
}

/* Asks for a's metric from from to last (inclusive, a->unit apart)
 * through fn (ctx: the chunk or raw whose ask a is), halving the range
 * while the answer is too big. */
static int
ask_range(struct ask *a, void *ctx, bf_try_fn fn, struct bf_job *job,
    int64_t from, int64_t last, int depth)
{
	struct promsrc *p = a->s->priv;
	int64_t n, mid;

	a->from = from;
	a->to = a->raw ? last + 1 : last;
	a->too_big = 0;
	if (bf_fetch_call(a->s, job, fn, ctx) < 0)
		return -1;
	if (!a->too_big)
		return 0;
	n = (last - from) / a->unit + 1;
	if (n < 2 || depth >= PROM_SPLIT_DEPTH) {
		bf_job_fail(job, "too_large", "%s: the answer for '%s' is too "
		    "large even for %lld %s", p->who, a->m->metric,
		    (long long)n, a->raw ? "s" : "points");
		return -1;
	}
	mid = from + n / 2 * a->unit;
	if (ask_range(a, ctx, fn, job, from, mid - a->unit, depth + 1) < 0)
		return -1;
	return ask_range(a, ctx, fn, job, mid, last, depth + 1);
}

/* The first point asked for: window_start, or with a lookback the earliest
 * point of the step grid through window_start that is not older than the
 * lookback. */
static int64_t
first_point(const struct promsrc *p, const struct bf_job *job, int64_t lb)
{
	return job->w.start - (lb > 0 ? lb / p->step * p->step : 0);
}

/* The last point strictly before the window's end, or start - 1 if none. */
static int64_t
last_point(const struct promsrc *p, const struct bf_job *job)
{
	if (job->w.end <= job->w.start)
		return job->w.start - 1;
	return job->w.start + (job->w.end - job->w.start - 1) / p->step *
	    p->step;
}

/*
 * Raw mode (bf-fetch(1)): a query that is a plain vector selector, or the
 * sum of one, is read from the raw samples of the selector over
 * [window_start - lookback, window_end), by instant queries of a range
 * vector (SEL[Dms] at T: the samples in (T - D, T], [T - D, T] before
 * Prometheus 3; both are cut to the chunk [from, to) here). Each series'
 * samples keep their scrape times (floored to the second, the last of a
 * second kept); a sum adds, at every second where a member has a sample,
 * each member's last sample at or before it (bf_dec, exact at 9 places).
 */
struct rpt {
	size_t group;   /* its series' group */
	int64_t sec;    /* the scrape time, floored to the second */
	int64_t ms;     /* the scrape time */
	size_t ser;     /* series index (raw.sers) */
	size_t voff;    /* the value's text: raw.vals[voff..voff + vlen) */
	size_t vlen;
	size_t seq;     /* arrival order */
};

struct raw {
	struct ask a;
	const struct bf_promql_raw *pq;
	struct bf_buf sel;       /* the selector */
	struct bf_keymap sers;   /* all labels (canonical JSON) -> series */
	size_t *sgroup;          /* owned: series -> group */
	size_t sgcap;
	struct bf_keymap groups; /* output labels (canonical JSON) -> group */
	char **ginst;            /* owned: group -> instance */
	struct bf_buf vals;
	struct rpt *pt;          /* owned; npt of ptcap */
	size_t npt, ptcap;
	struct bf_buf key, gkey, scratch; /* per series, reused */
};

static void
raw_free(struct raw *r)
{
	bf_strv_free(r->ginst, r->groups.n);
	BF_EACH(free, void, r->sgroup, r->pt);
	BF_EACH(bf_keymap_free, struct bf_keymap, &r->sers, &r->groups);
	BF_EACH(bf_buf_free, struct bf_buf, &r->sel, &r->vals, &r->key,
	    &r->gkey, &r->scratch);
}

struct rlab {
	size_t n, nl, v, vl; /* name and value: offsets into a buffer */
	const char *name;    /* set once the buffer is complete */
};

static int
rlab_cmp(const void *a, const void *b)
{
	const struct rlab *x = a, *y = b;
	size_t n = x->nl < y->nl ? x->nl : y->nl;
	int c = memcmp(x->name, y->name, n);

	return c != 0 ? c : (x->nl > y->nl) - (x->nl < y->nl);
}

/* 1 when label name[0..n) is an output label of r's query. */
static int
raw_keeps(const struct raw *r, const char *name, size_t n)
{
	size_t i;
	int listed = 0;

	if (r->pq->kind == BF_PQ_SELECTOR)
		return 1;
	for (i = 0; i < r->pq->nlabels && !listed; i++)
		listed = strlen(r->pq->labels[i]) == n &&
		    memcmp(r->pq->labels[i], name, n) == 0;
	if (r->pq->grouping == BF_PQ_BY)
		return listed;
	return !listed && !(n == 8 && memcmp(name, "__name__", 8) == 0);
}

/* Fills r->key with the series' labels (the "metric" object met of j) as
 * canonical JSON (sorted by name), r->gkey with its output labels, and
 * inst with the output labels' instance label, or the partition. */
static void
raw_keys(struct raw *r, const struct bf_job *job, const struct bf_json *j,
    int met, struct bf_buf *inst)
{
	const char *il = r->a.s->o->instance_label;
	struct rlab *lab = NULL;
	size_t nlab = 0, i;
	int k, key, found = 0;

	bf_buf_reset(&r->scratch);
	bf_buf_reset(&r->key);
	bf_buf_reset(&r->gkey);
	bf_buf_reset(inst);
	if (met >= 0 && j->tok[met].type == BF_JSON_OBJECT) {
		lab = bf_xcalloc((size_t)j->tok[met].size + 1, sizeof(*lab));
		for (key = met + 1, k = 0; k < j->tok[met].size;
		    k++, key = bf_json_skip(j, key + 1)) {
			lab[nlab].n = r->scratch.len;
			bf_json_str(j, key, &r->scratch);
			lab[nlab].nl = r->scratch.len - lab[nlab].n;
			lab[nlab].v = r->scratch.len;
			if (j->tok[key + 1].type == BF_JSON_STRING)
				bf_json_str(j, key + 1, &r->scratch);
			lab[nlab].vl = r->scratch.len - lab[nlab].v;
			nlab++;
		}
	}
	for (i = 0; i < nlab; i++)
		lab[i].name = r->scratch.s + lab[i].n;
	if (nlab > 1)
		qsort(lab, nlab, sizeof(*lab), rlab_cmp);
	bf_buf_putc(&r->key, '{');
	bf_buf_putc(&r->gkey, '{');
	for (i = 0; i < nlab; i++) {
		const char *n = r->scratch.s + lab[i].n;
		const char *v = r->scratch.s + lab[i].v;
		int keep = raw_keeps(r, n, lab[i].nl);
		struct bf_buf *b;

		for (k = 0; k < 1 + keep; k++) {
			b = k == 0 ? &r->key : &r->gkey;
			if (b->len > 1)
				bf_buf_putc(b, ',');
			bf_json_put_str(b, n, lab[i].nl);
			bf_buf_putc(b, ':');
			bf_json_put_str(b, v, lab[i].vl);
		}
		if (keep && lab[i].nl == strlen(il) &&
		    memcmp(n, il, lab[i].nl) == 0) {
			bf_buf_add(inst, v, lab[i].vl);
			found = 1;
		}
	}
	bf_buf_putc(&r->key, '}');
	bf_buf_putc(&r->gkey, '}');
	if (!found)
		bf_buf_puts(inst, job->w.partition);
	free(lab);
}

/* The series and group of the labels in r->key, r->gkey (added when new). */
static size_t
raw_series(struct raw *r, const struct bf_buf *inst)
{
	size_t ser, g;
	int added;

	ser = bf_keymap_put(&r->sers, r->key.s, r->key.len, &added);
	if (!added)
		return ser;
	if (ser >= r->sgcap) {
		r->sgcap = r->sgcap ? r->sgcap * 2 : 16;
		r->sgroup = bf_xrealloc(r->sgroup, r->sgcap *
		    sizeof(*r->sgroup));
	}
	g = bf_keymap_put(&r->groups, r->gkey.s, r->gkey.len, &added);
	if (added) {
		r->ginst = bf_xrealloc(r->ginst, r->groups.n *
		    sizeof(*r->ginst));
		r->ginst[g] = bf_xstrndup(bf_buf_str(inst), inst->len);
	}
	r->sgroup[ser] = g;
	return ser;
}

/* Keeps the samples of series k (token ser of j) in [from, to); -1 with
 * t's message set when the shape is wrong. */
static int
raw_take(struct raw *r, const struct bf_json *j, int ser, int k,
    const struct bf_buf *inst, struct bf_try *t)
{
	struct promsrc *p = r->a.s->priv;
	int vals = bf_json_get(j, ser, "values"), pt, i;
	size_t sidx = (size_t)-1;

	if (vals < 0 || j->tok[vals].type != BF_JSON_ARRAY) {
		snprintf(t->msg, sizeof(t->msg), "%s: series %d has no "
		    "'values' array", p->who, k);
		return -1;
	}
	for (pt = vals + 1, i = 0; i < j->tok[vals].size;
	    i++, pt = bf_json_skip(j, pt)) {
		const char *ts;
		size_t tn, mark;
		bf_time when;
		int32_t ns;
		int64_t ms;
		struct rpt *q;

		if (j->tok[pt].type != BF_JSON_ARRAY || j->tok[pt].size != 2 ||
		    j->tok[pt + 1].type != BF_JSON_NUMBER ||
		    j->tok[pt + 2].type != BF_JSON_STRING) {
			snprintf(t->msg, sizeof(t->msg), "%s: series %d "
			    "point %d is not [time, \"value\"]", p->who, k, i);
			return -1;
		}
		ts = bf_json_raw(j, pt + 1, &tn);
		if (bf_time_from_number(ts, tn, &when, &ns) < 0 ||
		    when > INT64_MAX / 1000 - 1 || when < INT64_MIN / 1000 + 1) {
			snprintf(t->msg, sizeof(t->msg), "%s: bad time '%.*s'",
			    p->who, (int)(tn > 40 ? 40 : tn), ts);
			return -1;
		}
		ms = when * 1000 + ns / 1000000;
		if (ms < r->a.from * 1000 || ms >= r->a.to * 1000)
			continue;
		if (sidx == (size_t)-1)
			sidx = raw_series(r, inst);
		if (r->npt == r->ptcap) {
			r->ptcap = r->ptcap ? r->ptcap * 2 : 256;
			r->pt = bf_xrealloc(r->pt, r->ptcap * sizeof(*r->pt));
		}
		q = &r->pt[r->npt];
		q->ms = ms;
		q->sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
		q->ser = sidx;
		q->group = r->sgroup[sidx];
		q->seq = r->npt++;
		mark = r->vals.len;
		bf_json_str(j, pt + 2, &r->vals);
		q->voff = mark;
		q->vlen = r->vals.len - mark;
	}
	return 0;
}

/* Keeps the samples of the matrix answer j; -1 with t filled when the
 * shape is wrong. */
static int
raw_matrix(struct raw *r, struct bf_job *job, const struct bf_json *j,
    struct bf_try *t)
{
	struct promsrc *p = r->a.s->priv;
	struct bf_buf inst = BF_BUF_INIT;
	int res, ser, k, rc = 0;

	if ((res = matrix_result(p, j, t)) < 0)
		return -1;
	for (ser = res + 1, k = 0; k < j->tok[res].size && rc == 0;
	    k++, ser = bf_json_skip(j, ser)) {
		if (j->tok[ser].type != BF_JSON_OBJECT) {
			snprintf(t->msg, sizeof(t->msg), "%s: series %d is not "
			    "an object", p->who, k);
			rc = -1;
			break;
		}
		raw_keys(r, job, j, bf_json_get(j, ser, "metric"), &inst);
		rc = raw_take(r, j, ser, k, &inst, t);
	}
	bf_buf_free(&inst);
	return rc;
}

/* ask_read_fn of a raw: its points into r->pt and r->vals. */
static int
raw_read(void *ctx, struct bf_job *job, const struct bf_json *j,
    struct bf_try *t)
{
	struct raw *r = ctx;
	size_t npt = r->npt, nvals = r->vals.len;

	if (raw_matrix(r, job, j, t) >= 0)
		return 0;
	r->npt = npt;
	r->vals.len = nvals;
	if (r->vals.s != NULL)
		r->vals.s[nvals] = '\0';
	return -1;
}

static void
try_raw(void *ctx, struct bf_job *job, struct bf_try *t)
{
	struct raw *r = ctx;
	struct promsrc *p = r->a.s->priv;
	struct bf_buf url = BF_BUF_INIT, q = BF_BUF_INIT;
	char *e;

	bf_buf_printf(&q, "%s[%lldms]", bf_buf_str(&r->sel),
	    (long long)(r->a.to - r->a.from) * 1000);
	e = curl_easy_escape(r->a.w->h, q.s, (int)q.len);
	bf_buf_printf(&url, "%s/api/v1/query?query=%s&time=%lld.999", p->base,
	    e ? e : "", (long long)(r->a.to - 1));
	curl_free(e);
	ask_get(&r->a, r, raw_read, url.s, job, t);
	bf_buf_free(&url);
	bf_buf_free(&q);
}

static int
rpt_cmp(const void *a, const void *b)
{
	const struct rpt *x = a, *y = b;
	/* by group, second, series, millisecond, then arrival */
	const int64_t kx[] = { (int64_t)x->group, x->sec, (int64_t)x->ser,
		x->ms, (int64_t)x->seq };
	const int64_t ky[] = { (int64_t)y->group, y->sec, (int64_t)y->ser,
		y->ms, (int64_t)y->seq };
	size_t i;

	for (i = 0; i < sizeof(kx) / sizeof(kx[0]); i++)
		if (kx[i] != ky[i])
			return kx[i] < ky[i] ? -1 : 1;
	return 0;
}

/* 0 when no two groups have one instance; else fails job with
 * multiple_series (as check_series) and returns -1. */
static int
raw_check_groups(struct raw *r, struct bf_job *job)
{
	struct bf_keymap seen = BF_KEYMAP_INIT, named = BF_KEYMAP_INIT;
	struct bf_buf diff = BF_BUF_INIT, pair = BF_BUF_INIT;
	struct bf_json j = BF_JSON_INIT;
	size_t g, i, first = 0;
	long dup = -1;
	int n = 0, added;

	for (g = 0; g < r->groups.n; g++) {
		i = bf_keymap_put(&seen, r->ginst[g], strlen(r->ginst[g]),
		    &added);
		if (added)
			continue;
		if (dup < 0) {
			dup = (long)i;
			for (first = 0; first < g; first++)
				if (strcmp(r->ginst[first], r->ginst[g]) == 0)
					break;
		}
		if ((long)i != dup)
			continue;
		n++;
		bf_buf_reset(&pair);
		bf_buf_printf(&pair, "{\"a\":%s,\"b\":%s}",
		    r->groups.v[first].key, r->groups.v[g].key);
		if (bf_json_parse(&j, pair.s, pair.len, BF_JSON_WANT_OBJECT,
		    NULL) == BF_JSON_OK)
			label_diff(&j, bf_json_get(&j, 0, "a"),
			    bf_json_get(&j, 0, "b"), &named, &diff);
	}
	if (dup >= 0)
		fail_multiple(r->a.s, job, r->a.m, n + 1, r->ginst[first],
		    &diff);
	bf_json_free(&j);
	bf_buf_free(&pair);
	bf_buf_free(&diff);
	bf_keymap_free(&seen);
	bf_keymap_free(&named);
	return dup >= 0 ? -1 : 0;
}

struct rcur {
	int seen;
	size_t voff, vlen;
};

/* Writes to out the sum of the members' current values: exact (bf_dec),
 * or NaN, +Inf, -Inf as PromQL would when one is not a finite number in
 * range. */
static void
raw_sum(const struct raw *r, const struct rcur *cur, const size_t *mem,
    size_t nmem, struct bf_buf *out)
{
	bf_dec sum = bf_dec_from_int(0), v;
	char d[BF_DEC_LEN];
	size_t i, n;
	int pinf = 0, ninf = 0, nan = 0, rc;

	for (i = 0; i < nmem; i++) {
		const char *s = r->vals.s + cur[mem[i]].voff;

		n = cur[mem[i]].vlen;
		rc = bf_dec_parse(s, n, &v);
		if (rc == BF_DEC_OK && bf_dec_add(sum, v, &sum) == BF_DEC_OK)
			continue;
		if (rc == BF_DEC_OK || rc == BF_DEC_EOVERFLOW)
			*(s[0] == '-' ? &ninf : &pinf) += 1;
		else if ((n == 4 && memcmp(s, "+Inf", 4) == 0) ||
		    (n == 3 && memcmp(s, "Inf", 3) == 0))
			pinf++;
		else if (n == 4 && memcmp(s, "-Inf", 4) == 0)
			ninf++;
		else
			nan++;
	}
	bf_buf_reset(out);
	if (nan || (pinf && ninf))
		bf_buf_puts(out, "NaN");
	else if (pinf || ninf)
		bf_buf_puts(out, pinf ? "+Inf" : "-Inf");
	else {
		n = bf_dec_format(sum, d);
		while (d[n - 1] == '0')
			n--;
		if (d[n - 1] == '.')
			n--;
		bf_buf_add(out, d, n);
	}
}

/* Appends the samples of r's groups: each second of the window with a
 * sample, and the last second before it as the lookback sample. */
static void
raw_emit(struct raw *r, struct bf_job *job)
{
	struct promsrc *p = r->a.s->priv;
	struct rcur *cur;
	struct bf_buf v = BF_BUF_INIT, lb = BF_BUF_INIT;
	size_t *mem, nmem, i = 0, g, mark, ml = strlen(r->a.m->metric);
	int64_t sec, lbsec = 0;
	int haslb;

	if (r->npt > 1)
		qsort(r->pt, r->npt, sizeof(*r->pt), rpt_cmp);
	cur = bf_xcalloc(r->sers.n + 1, sizeof(*cur));
	mem = bf_xcalloc(r->sers.n + 1, sizeof(*mem));
	while (i < r->npt) {
		g = r->pt[i].group;
		nmem = 0;
		haslb = 0;
		while (i < r->npt && r->pt[i].group == g) {
			sec = r->pt[i].sec;
			for (; i < r->npt && r->pt[i].group == g &&
			    r->pt[i].sec == sec; i++) {
				struct rcur *c = &cur[r->pt[i].ser];

				if (!c->seen)
					mem[nmem++] = r->pt[i].ser;
				c->seen = 1;
				c->voff = r->pt[i].voff;
				c->vlen = r->pt[i].vlen;
			}
			if (r->pq->kind == BF_PQ_SUM) {
				raw_sum(r, cur, mem, nmem, &v);
			} else {
				bf_buf_reset(&v);
				bf_buf_add(&v, r->vals.s + cur[mem[0]].voff,
				    cur[mem[0]].vlen);
			}
			if (sec < job->w.start) {
				bf_buf_reset(&lb);
				bf_buf_add(&lb, bf_buf_str(&v), v.len);
				lbsec = sec;
				haslb = 1;
				continue;
			}
			bf_job_sample(job, r->ginst[g], strlen(r->ginst[g]),
			    r->a.m->metric, ml, r->a.m->unit, sec,
			    bf_buf_str(&v), v.len, BF_VAL_TEXT, "prometheus",
			    p->step);
		}
		if (haslb) {
			mark = job->out.len;
			bf_job_sample(job, r->ginst[g], strlen(r->ginst[g]),
			    r->a.m->metric, ml, r->a.m->unit, lbsec,
			    bf_buf_str(&lb), lb.len, BF_VAL_TEXT,
			    "prometheus", p->step);
			bf_job_lookback(job, mark);
		}
	}
	free(cur);
	free(mem);
	bf_buf_free(&v);
	bf_buf_free(&lb);
}

/* Fetches metric m of job's window in raw mode (pq: its form, q: the
 * expanded query). */
static void
raw_fetch(struct bf_source *s, void *wp, struct bf_job *job,
    const struct bf_metric *m, const struct bf_promql_raw *pq, const char *q)
{
	struct promsrc *p = s->priv;
	struct raw r;
	int64_t from, to, span = PROM_MAX_POINTS * p->step;

	memset(&r, 0, sizeof(r));
	r.a.s = s;
	r.a.w = wp;
	r.a.m = m;
	r.a.unit = 1;
	r.a.raw = 1;
	r.pq = pq;
	bf_buf_add(&r.sel, q + pq->sel, pq->seln);
	for (from = job->w.start - s->o->lookback; from < job->w.end &&
	    !job->failed; from = to) {
		to = job->w.end - from > span ? from + span : job->w.end;
		ask_range(&r.a, &r, try_raw, job, from, to - 1, 0);
	}
	if (!job->failed && raw_check_groups(&r, job) == 0)
		raw_emit(&r, job);
	raw_free(&r);
}

static void
prom_fetch(struct bf_source *s, void *wp, struct bf_job *job)
{
	struct promsrc *p = s->priv;
	struct bf_buf q = BF_BUF_INIT;
	struct bf_err e;
	struct chunk c;
	struct bf_promql_raw pq;
	int64_t last = last_point(p, job), from, to;
	int64_t first = first_point(p, job, s->o->lookback);
	size_t i;

	job->resolution = p->step;
	for (i = 0; i < s->metrics->n && !job->failed; i++) {
		memset(&c, 0, sizeof(c));
		c.a.s = s;
		c.a.w = wp;
		c.a.m = &s->metrics->m[i];
		c.a.unit = p->step;
		bf_buf_reset(&q);
		if (bf_metrics_expand(c.a.m->query, job->w.partition, p->stepd,
		    job->w.ws, job->w.we, &q, &e) < 0) {
			bf_job_fail(job, "bad_query", "%s", e.msg);
			break;
		}
		c.query = bf_buf_str(&q);
		if (bf_promql_raw_parse(c.query, &pq) != BF_PQ_GRID) {
			raw_fetch(s, wp, job, c.a.m, &pq, c.query);
			bf_promql_raw_free(&pq);
			continue;
		}
		for (from = last >= job->w.start ? first : last + 1;
		    from <= last && !job->failed; from = to + p->step) {
			to = from + (PROM_MAX_POINTS - 1) * p->step;
			if (to > last)
				to = last;
			ask_range(&c.a, &c, try_chunk, job, from, to, 0);
		}
		if (!job->failed)
			emit_lookback(&c, job);
		chunk_free(&c);
	}
	bf_buf_free(&q);
}

static void
try_check(void *ctx, struct bf_job *job, struct bf_try *t)
{
	struct chunk *c = ctx;
	struct promsrc *p = c->a.s->priv;
	struct bf_buf url = BF_BUF_INIT;
	struct bf_json j = BF_JSON_INIT;
	char *q;

	q = curl_easy_escape(c->a.w->h, c->query, (int)strlen(c->query));
	bf_buf_printf(&url, "%s/api/v1/query?query=%s&time=%lld", p->base,
	    q ? q : "", (long long)job->w.start);
	curl_free(q);
	if (prom_get(p, c->a.w, url.s, &j, t) >= 0)
		t->outcome = BF_TRY_OK;
	bf_json_free(&j);
	bf_buf_free(&url);
}

/* Expands each query for job's window and asks Prometheus to evaluate it
 * as an instant query at the window's start: a refused query is a
 * configuration error (2) naming the metric, the map's line and the
 * expanded query; no answer is 69. */
static int
prom_check(struct bf_source *s, struct bf_job *job, struct bf_err *e)
{
	struct promsrc *p = s->priv;
	struct bf_buf q = BF_BUF_INIT;
	struct bf_err xe;
	struct chunk c;
	void *w;
	size_t i;
	int rc = 0;

	if (prom_worker_open(s, &w, e) < 0)
		return -1;
	memset(&c, 0, sizeof(c));
	c.a.s = s;
	c.a.w = w;
	for (i = 0; i < s->metrics->n && rc == 0; i++) {
		c.a.m = &s->metrics->m[i];
		bf_buf_reset(&q);
		if (bf_metrics_expand(c.a.m->query, job->w.partition, p->stepd,
		    job->w.ws, job->w.we, &q, &xe) < 0) {
			rc = bf_err_set(e, BF_EXIT_USAGE, "%s:%ld: metric "
			    "'%.100s': %.800s", s->metrics->path, c.a.m->line,
			    c.a.m->metric, xe.msg);
			break;
		}
		c.query = bf_buf_str(&q);
		if ((rc = bf_fetch_check_call(s, job, try_check, &c, e)) > 0)
			rc = bf_err_set(e, BF_EXIT_USAGE, "%s:%ld: metric "
			    "'%.100s': %.500s; query: %.300s",
			    s->metrics->path, c.a.m->line, c.a.m->metric,
			    job->msg, c.query);
	}
	bf_buf_free(&q);
	prom_worker_close(s, w);
	return rc;
}

static void
prom_plan(struct bf_source *s, struct bf_job *job, struct bf_plan *pl)
{
	struct promsrc *p = s->priv;
	struct bf_buf q = BF_BUF_INIT;
	struct bf_err e;
	int64_t last = last_point(p, job), points, chunks;
	int64_t first = first_point(p, job, s->o->lookback);
	struct bf_promql_raw pq;
	size_t i;

	pl->resolution = p->step;
	pl->requests = pl->points = 0;
	bf_buf_puts(&pl->extra, ",\"queries\":[");
	for (i = 0; i < s->metrics->n; i++) {
		bf_buf_reset(&q);
		if (bf_metrics_expand(s->metrics->m[i].query, job->w.partition,
		    p->stepd, job->w.ws, job->w.we, &q, &e) < 0)
			bf_buf_puts(&q, e.msg);
		if (i > 0)
			bf_buf_putc(&pl->extra, ',');
		bf_json_put_str(&pl->extra, bf_buf_str(&q), q.len);
		/* raw: samples of [start - lookback, end), one per step */
		if (bf_promql_raw_parse(bf_buf_str(&q), &pq) != BF_PQ_GRID)
			points = (job->w.end - job->w.start + s->o->lookback +
			    p->step - 1) / p->step;
		else
			points = last >= job->w.start ? (last - first) /
			    p->step + 1 : 0;
		bf_promql_raw_free(&pq);
		chunks = (points + PROM_MAX_POINTS - 1) / PROM_MAX_POINTS;
		pl->requests += (long)chunks;
		pl->points += (long)points;
	}
	pl->pages = pl->requests;
	bf_buf_putc(&pl->extra, ']');
	bf_buf_free(&q);
}

const struct bf_source_ops bf_source_prometheus = {
	"prometheus", prom_open, prom_worker_open, prom_worker_close,
	prom_fetch, prom_plan, prom_close, prom_check,
};
