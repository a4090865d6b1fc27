/*
 * source-prom.c: the prometheus source: /api/v1/query_range over libcurl,
 * one easy handle per worker thread so connections are reused (source.h).
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
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fetch.h"
#include "keymap.h"
#include "source.h"

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

struct chunk {
	struct bf_source *s;
	struct promw *w;
	const struct bf_metric *m;
	const char *query;   /* expanded */
	int64_t from, to;    /* the first and the last point asked for */
	int too_big;
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
	struct promsrc *p = c->s->priv;
	size_t i, mark;

	for (i = 0; i < c->lbmap.n; i++) {
		mark = job->out.len;
		bf_job_sample(job, c->lbmap.v[i].key, c->lbmap.v[i].len,
		    c->m->metric, strlen(c->m->metric), c->m->unit,
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

/* 0 when every series of the matrix result res has its own instance;
 * else fails job with multiple_series and returns -1. */
static int
check_series(struct chunk *c, struct bf_job *job, const struct bf_json *j,
    int res)
{
	const struct bf_fetch_opts *o = c->s->o;
	struct bf_keymap seen = BF_KEYMAP_INIT, named = BF_KEYMAP_INIT;
	struct bf_buf inst = BF_BUF_INIT, diff = BF_BUF_INIT, first_inst =
	    BF_BUF_INIT;
	int *met = NULL, ser, k, m, lab, first = -1, n = 0, added;
	size_t i;

	met = bf_xcalloc((size_t)j->tok[res].size + 1, sizeof(*met));
	for (ser = res + 1, k = 0; k < j->tok[res].size;
	    k++, ser = bf_json_skip(j, ser)) {
		m = j->tok[ser].type == BF_JSON_OBJECT ?
		    bf_json_get(j, ser, "metric") : -1;
		bf_buf_reset(&inst);
		lab = m >= 0 ? bf_json_get(j, m, o->instance_label) : -1;
		if (lab >= 0 && j->tok[lab].type == BF_JSON_STRING)
			bf_json_str(j, lab, &inst);
		else
			bf_buf_puts(&inst, job->w.partition);
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
		bf_job_fail(job, "multiple_series", "%s: the query of metric "
		    "'%s' returned %d series for instance '%.100s' (labels "
		    "differ: %.200s); a series is (instance_id, metric): "
		    "aggregate them in the query, e.g. sum by (%s) (...)",
		    ((struct promsrc *)c->s->priv)->who, c->m->metric, n + 1, bf_buf_str(&first_inst),
		    diff.len > 0 ? diff.s : "none", o->instance_label);
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

/* Emits the points of the matrix in j; -1 with t filled when the shape is
 * wrong. */
static int
emit_matrix(struct chunk *c, struct bf_job *job, const struct bf_json *j,
    struct bf_try *t)
{
	const struct bf_fetch_opts *o = c->s->o;
	struct promsrc *p = c->s->priv;
	struct bf_buf inst = BF_BUF_INIT;
	int data, res, rt, ser, k, met, vals, pt, i, lab;
	int rc = -1;

	data = bf_json_get(j, 0, "data");
	res = data >= 0 ? bf_json_get(j, data, "result") : -1;
	rt = data >= 0 ? bf_json_get(j, data, "resultType") : -1;
	if (res < 0 || j->tok[res].type != BF_JSON_ARRAY || rt < 0 ||
	    !bf_json_streq(j, rt, "matrix")) {
		snprintf(t->msg, sizeof(t->msg), "%s: the answer is not a "
		    "matrix (data.resultType, data.result)", p->who);
		goto out;
	}
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
		bf_buf_reset(&inst);
		lab = met >= 0 ? bf_json_get(j, met, o->instance_label) : -1;
		if (lab >= 0 && j->tok[lab].type == BF_JSON_STRING)
			bf_json_str(j, lab, &inst);
		else
			bf_buf_puts(&inst, job->w.partition);
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
			    c->m->metric, strlen(c->m->metric), c->m->unit,
			    when, v, vn, BF_VAL_TEXT, "prometheus", p->step);
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

static void
try_chunk(void *ctx, struct bf_job *job, struct bf_try *t)
{
	struct chunk *c = ctx;
	struct promsrc *p = c->s->priv;
	struct promw *w = c->w;
	struct bf_buf url = BF_BUF_INIT;
	struct bf_json j = BF_JSON_INIT;
	char *q;
	size_t mark = job->out.len;
	long fmark = job->fetched;
	int rc;

	q = curl_easy_escape(w->h, c->query, (int)strlen(c->query));
	bf_buf_printf(&url, "%s/api/v1/query_range?query=%s&start=%lld"
	    "&end=%lld&step=%lld", p->base, q ? q : "", (long long)c->from,
	    (long long)c->to, (long long)p->step);
	curl_free(q);
	rc = prom_get(p, w, url.s, &j, t);
	if (rc == 1) {
		c->too_big = 1;
		t->outcome = BF_TRY_OK;
		goto out;
	}
	if (rc < 0 || partial_answer(&j, p, t))
		goto out;
	t->code = "bad_response";
	if (emit_matrix(c, job, &j, t) < 0) {
		job->out.len = mark;
		if (job->out.s != NULL)
			job->out.s[mark] = '\0';
		job->fetched = fmark;
		t->outcome = BF_TRY_FAIL;
		goto out;
	}
	t->outcome = BF_TRY_OK;
out:
	bf_json_free(&j);
	bf_buf_free(&url);
}

/* Asks for the points from..to (inclusive), splitting when too big. */
static int
fetch_range(struct chunk *c, struct bf_job *job, int64_t from, int64_t to,
    int depth)
{
	struct promsrc *p = c->s->priv;
	int64_t n, mid;

	c->from = from;
	c->to = to;
	c->too_big = 0;
	if (bf_fetch_call(c->s, job, try_chunk, c) < 0)
		return -1;
	if (!c->too_big)
		return 0;
	n = (to - from) / p->step + 1;
	if (n < 2 || depth >= PROM_SPLIT_DEPTH) {
		bf_job_fail(job, "too_large", "%s: the answer for '%s' is too "
		    "large even for %lld points", p->who, c->m->metric,
		    (long long)n);
		return -1;
	}
	mid = from + (n / 2) * p->step;
	if (fetch_range(c, job, from, mid - p->step, depth + 1) < 0)
		return -1;
	return fetch_range(c, job, mid, to, depth + 1);
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

static void
prom_fetch(struct bf_source *s, void *wp, struct bf_job *job)
{
	struct promsrc *p = s->priv;
	struct bf_buf q = BF_BUF_INIT;
	struct bf_err e;
	struct chunk c;
	int64_t last = last_point(p, job), from, to;
	int64_t first = first_point(p, job, s->o->lookback);
	size_t i;

	job->resolution = p->step;
	for (i = 0; i < s->metrics->n && !job->failed; i++) {
		memset(&c, 0, sizeof(c));
		c.s = s;
		c.w = wp;
		c.m = &s->metrics->m[i];
		bf_buf_reset(&q);
		if (bf_metrics_expand(c.m->query, job->w.partition, p->stepd,
		    job->w.ws, job->w.we, &q, &e) < 0) {
			bf_job_fail(job, "bad_query", "%s", e.msg);
			break;
		}
		c.query = bf_buf_str(&q);
		for (from = last >= job->w.start ? first : last + 1;
		    from <= last && !job->failed; from = to + p->step) {
			to = from + (PROM_MAX_POINTS - 1) * p->step;
			if (to > last)
				to = last;
			fetch_range(&c, job, from, to, 0);
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
	struct promsrc *p = c->s->priv;
	struct bf_buf url = BF_BUF_INIT;
	struct bf_json j = BF_JSON_INIT;
	char *q;

	q = curl_easy_escape(c->w->h, c->query, (int)strlen(c->query));
	bf_buf_printf(&url, "%s/api/v1/query?query=%s&time=%lld", p->base,
	    q ? q : "", (long long)job->w.start);
	curl_free(q);
	if (prom_get(p, c->w, url.s, &j, t) >= 0)
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
	c.s = s;
	c.w = w;
	for (i = 0; i < s->metrics->n && rc == 0; i++) {
		c.m = &s->metrics->m[i];
		bf_buf_reset(&q);
		if (bf_metrics_expand(c.m->query, job->w.partition, p->stepd,
		    job->w.ws, job->w.we, &q, &xe) < 0) {
			rc = bf_err_set(e, BF_EXIT_USAGE, "%s:%ld: metric "
			    "'%.100s': %.800s", s->metrics->path, c.m->line,
			    c.m->metric, xe.msg);
			break;
		}
		c.query = bf_buf_str(&q);
		if (bf_fetch_call(s, job, try_check, &c) == 0)
			continue;
		if (job->unavailable)
			rc = bf_err_set(e, BF_EXIT_UNAVAILABLE, "%s",
			    job->msg);
		else
			rc = bf_err_set(e, BF_EXIT_USAGE, "%s:%ld: metric "
			    "'%.100s': %.500s; query: %.300s",
			    s->metrics->path, c.m->line, c.m->metric,
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
	size_t i;

	points = last >= job->w.start ? (last - first) / p->step + 1 : 0;
	chunks = (points + PROM_MAX_POINTS - 1) / PROM_MAX_POINTS;
	pl->resolution = p->step;
	pl->requests = (long)(chunks * (int64_t)s->metrics->n);
	pl->pages = pl->requests;
	pl->points = (long)(points * (int64_t)s->metrics->n);
	bf_buf_puts(&pl->extra, ",\"queries\":[");
	for (i = 0; i < s->metrics->n; i++) {
		bf_buf_reset(&q);
		if (bf_metrics_expand(s->metrics->m[i].query, job->w.partition,
		    p->stepd, job->w.ws, job->w.we, &q, &e) < 0)
			bf_buf_puts(&q, e.msg);
		if (i > 0)
			bf_buf_putc(&pl->extra, ',');
		bf_json_put_str(&pl->extra, bf_buf_str(&q), q.len);
	}
	bf_buf_putc(&pl->extra, ']');
	bf_buf_free(&q);
}

const struct bf_source_ops bf_source_prometheus = {
	"prometheus", prom_open, prom_worker_open, prom_worker_close,
	prom_fetch, prom_plan, prom_close, prom_check,
};
