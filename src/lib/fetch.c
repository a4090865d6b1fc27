/*
 * fetch.c: bf-fetch's window loop, its request policy and the helpers its
 * sources share (fetch.h, source-internal.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budget.h"
#include "fetch.h"
#include "input.h"
#include "json.h"
#include "source-internal.h"
#include "stream.h"

/* A FIFO of nodes that link to the next through a pointer member at
 * offset link (a job's next_work, an item's next). */
struct fifo {
	void *head, *tail;
	size_t link;
};

/* Appends x (whose link is NULL). */
static void
fifo_push(struct fifo *q, void *x)
{
	if (q->tail != NULL)
		memcpy((char *)q->tail + q->link, &x, sizeof(x));
	else
		q->head = x;
	q->tail = x;
}

/* Takes the first node off, or NULL when empty. */
static void *
fifo_pop(struct fifo *q)
{
	void *x = q->head;

	if (x == NULL)
		return NULL;
	memcpy(&q->head, (char *)x + q->link, sizeof(q->head));
	if (q->head == NULL)
		q->tail = NULL;
	return x;
}

struct item {
	struct item *next;
	struct bf_buf out;   /* what to write for a pass-through line */
	struct bf_job *job;  /* a window being fetched, or NULL */
};

struct bf_fetch {
	const struct bf_fetch_opts *o;
	struct bf_source *src;

	pthread_mutex_t pol;        /* guards bucket .. budget */
	struct bf_bucket bucket;
	struct bf_breaker breaker;
	char reason[640];           /* the failure that opened the breaker */
	int64_t probe_ms, hold_ms;  /* budget.h: with a shared budget */
	struct bf_budget *budget;   /* --budget, or NULL: the above is ours */
	int quiet;                  /* the check runs: no breaker logs */

	pthread_mutex_t logmu;

	pthread_mutex_t mu;         /* guards the queues below and job->done */
	pthread_cond_t work_cv, done_cv;
	struct fifo wq;             /* jobs for the workers */
	int closing;
	uint64_t seed;
};

void
bf_fetch_opts_init(struct bf_fetch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->jobs = BF_FETCH_JOBS;
	o->burst = 1;
	o->backoff.base_ms = BF_BACKOFF_BASE_MS;
	o->backoff.cap_ms = BF_BACKOFF_CAP_MS;
	o->backoff.retries = BF_BACKOFF_RETRIES;
	o->backoff.max_retry_after_ms = BF_RETRY_AFTER_MAX_MS;
	o->timeout_ms = BF_FETCH_TIMEOUT_MS;
	o->connect_timeout_ms = BF_FETCH_CONNECT_TIMEOUT_MS;
	o->breaker = BF_FETCH_BREAKER;
	o->cooldown_ms = BF_FETCH_COOLDOWN_MS;
	o->max_body = BF_FETCH_MAX_BODY;
	o->max_pages = BF_FETCH_MAX_PAGES;
	o->instance_label = "instance_id";
	o->table = "telemetry";
	o->col_ts = "ts";
	o->col_id = "id";
	o->col_instance = "instance_id";
	o->col_metric = "metric";
	o->col_value = "value";
	o->col_unit = "unit";
	o->page = BF_FETCH_PAGE;
	o->statement_timeout_ms = BF_FETCH_STATEMENT_TIMEOUT_MS;
	o->format = BF_FMT_AUTO;
	o->lookback = BF_FETCH_LOOKBACK;
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void
bf_fetch_log(struct bf_source *s, int verbose, const char *fmt, ...)
{
	struct bf_buf b = BF_BUF_INIT;
	va_list ap;

	if (verbose && !s->o->verbose)
		return;
	bf_buf_printf(&b, "%s: ", bf_progname);
	va_start(ap, fmt);
	bf_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	bf_buf_putc(&b, '\n');
	pthread_mutex_lock(&s->f->logmu);
	fputs(b.s, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&s->f->logmu);
	bf_buf_free(&b);
}

void
bf_job_fail(struct bf_job *job, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (job->failed)
		return;
	job->failed = 1;
	job->code = code;
	va_start(ap, fmt);
	vsnprintf(job->msg, sizeof(job->msg), fmt, ap);
	va_end(ap);
}

/*
 * The request policy: one step of an attempt on the bucket, the breaker and
 * the pending Retry-After, under f->pol. With a shared budget each step
 * loads them from the budget's state, and stores them back, in one update;
 * its times are then wall-clock milliseconds.
 */
enum { POL_TAKE, POL_ALLOW, POL_RESULT };
struct pol {
	struct bf_fetch *f;
	int what;
	int64_t now;
	int64_t wait;            /* POL_TAKE: 0 taken, else ms to wait */
	int allowed, probe;      /* POL_ALLOW */
	char reason[640];        /* POL_ALLOW: the breaker's reason */
	const struct bf_try *t;  /* POL_RESULT */
	int tr;                  /* POL_RESULT: the breaker's transition */
};

static void
pol_do(struct pol *p)
{
	struct bf_fetch *f = p->f;
	const struct bf_fetch_opts *o = f->o;
	int64_t ra;

	switch (p->what) {
	case POL_TAKE:
		p->wait = p->now < f->hold_ms ? f->hold_ms - p->now :
		    bf_bucket_take(&f->bucket, p->now);
		break;
	case POL_ALLOW:
		/* a probe whose process died is given up after a cool-down
		 * and a timeout */
		if (f->budget != NULL &&
		    f->breaker.state == BF_BREAKER_HALF_OPEN &&
		    f->breaker.probing && p->now - f->probe_ms >
		    o->cooldown_ms + o->timeout_ms)
			f->breaker.probing = 0;
		p->probe = f->breaker.state != BF_BREAKER_CLOSED;
		p->allowed = bf_breaker_allow(&f->breaker, p->now);
		if (p->allowed && p->probe)
			f->probe_ms = p->now;
		memcpy(p->reason, f->reason, sizeof(p->reason));
		break;
	default:
		if (p->t->outcome == BF_TRY_RETRY) {
			p->tr = bf_breaker_failure(&f->breaker, p->now);
			if (p->tr == BF_BREAKER_OPEN)
				snprintf(f->reason, sizeof(f->reason), "%s",
				    p->t->msg);
			ra = p->t->retry_after_ms;
			if (ra > o->backoff.max_retry_after_ms &&
			    o->backoff.max_retry_after_ms > 0)
				ra = o->backoff.max_retry_after_ms;
			if (f->budget != NULL && ra > 0 &&
			    p->now + ra > f->hold_ms)
				f->hold_ms = p->now + ra;
		} else {
			p->tr = bf_breaker_success(&f->breaker);
		}
		break;
	}
}

static void
pol_shared(struct bf_budget_state *st, void *ctx)
{
	struct pol *p = ctx;
	struct bf_fetch *f = p->f;

	bf_budget_get(st, &f->bucket, &f->breaker);
	snprintf(f->reason, sizeof(f->reason), "%s", st->reason);
	f->probe_ms = st->probe_ms;
	f->hold_ms = st->hold_ms;
	pol_do(p);
	bf_budget_put(st, &f->bucket, &f->breaker);
	snprintf(st->reason, sizeof(st->reason), "%s", f->reason);
	st->probe_ms = f->probe_ms;
	st->hold_ms = f->hold_ms;
}

/* Runs one policy step: 0, or -1 with e set (the shared budget failed). */
static int
pol_step(struct pol *p, struct bf_err *e)
{
	struct bf_fetch *f = p->f;
	int rc = 0;

	pthread_mutex_lock(&f->pol);
	if (f->budget != NULL) {
		p->now = bf_wall_ms();
		rc = bf_budget_update(f->budget, pol_shared, p, e);
	} else {
		p->now = bf_mono_ms();
		pol_do(p);
	}
	pthread_mutex_unlock(&f->pol);
	return rc;
}

int
bf_fetch_call(struct bf_source *s, struct bf_job *job, bf_try_fn fn,
    void *ctx)
{
	struct bf_fetch *f = s->f;
	const struct bf_fetch_opts *o = s->o;
	struct bf_try t;
	struct pol p;
	struct bf_err e;
	char wbuf[32];
	int attempt, tr;
	int64_t w;

	memset(&p, 0, sizeof(p));
	p.f = f;
	for (attempt = 0;; attempt++) {
		bf_err_clear(&e);
		for (p.what = POL_TAKE;;) {
			if (pol_step(&p, &e) < 0)
				goto budget_failed;
			if (p.wait == 0)
				break;
			sleep_ms(p.wait);
		}
		p.what = POL_ALLOW;
		if (pol_step(&p, &e) < 0)
			goto budget_failed;
		if (!p.allowed) {
			bf_job_fail(job, "breaker_open",
			    "circuit breaker open after %d consecutive "
			    "failures (last: %s)", o->breaker, p.reason);
			job->unavailable = 1;
			return -1;
		}
		if (p.probe && !f->quiet)
			bf_fetch_log(s, 0, "circuit breaker half-open: probing "
			    "with %s %s", job->w.partition, job->w.ws);
		memset(&t, 0, sizeof(t));
		t.outcome = BF_TRY_FAIL;
		t.retry_after_ms = -1;
		t.code = "error";
		job->requests++;
		if (attempt > 0)
			job->retries++;
		fn(ctx, job, &t);
		p.what = POL_RESULT;
		p.t = &t;
		p.tr = -1;
		if (pol_step(&p, &e) < 0)
			bf_fetch_log(s, 0, "%s", e.msg);
		tr = p.tr;
		if (f->quiet) {
			/* the check says what failed, once */
		} else if (tr == BF_BREAKER_OPEN) {
			bf_ms_format(o->cooldown_ms, wbuf, sizeof(wbuf));
			bf_fetch_log(s, 0, "circuit breaker open after %d "
			    "consecutive failures (%s); cool-down %s",
			    o->breaker, t.msg, wbuf);
		} else if (tr == BF_BREAKER_CLOSED) {
			bf_fetch_log(s, 0, "circuit breaker closed");
		}
		if (t.outcome == BF_TRY_OK) {
			job->pages++;
			return 0;
		}
		if (t.outcome == BF_TRY_FAIL) {
			bf_job_fail(job, t.code, "%s", t.msg);
			return -1;
		}
		if (attempt >= o->backoff.retries || tr == BF_BREAKER_OPEN) {
			bf_job_fail(job, t.code, "%s (%d attempt%s%s)", t.msg,
			    attempt + 1, attempt ? "s" : "",
			    tr == BF_BREAKER_OPEN ? "; circuit breaker opened"
			    : "");
			job->unavailable = 1;
			return -1;
		}
		w = bf_retry_wait(&o->backoff, attempt + 1,
		    bf_rand_next(&job->rng), t.retry_after_ms);
		bf_ms_format(w, wbuf, sizeof(wbuf));
		bf_fetch_log(s, 1, "%s %s: %s; retry %d/%d in %s%s",
		    job->w.partition, job->w.ws, t.msg, attempt + 1,
		    o->backoff.retries, wbuf,
		    t.retry_after_ms >= 0 ? " (Retry-After)" : "");
		sleep_ms(w);
	}
budget_failed:
	bf_job_fail(job, "budget_unavailable", "%s", e.msg);
	job->unavailable = 1;
	return -1;
}

int
bf_fetch_check_call(struct bf_source *s, struct bf_job *job, bf_try_fn fn,
    void *ctx, struct bf_err *e)
{
	if (bf_fetch_call(s, job, fn, ctx) == 0)
		return 0;
	if (job->unavailable)
		return bf_err_set(e, BF_EXIT_UNAVAILABLE, "%s", job->msg);
	return 1;
}

/*
 * The loop.
 */

static void
job_free(struct bf_job *job)
{
	if (job == NULL)
		return;
	bf_window_free(&job->w);
	bf_buf_free(&job->out);
	bf_buf_free(&job->prefix);
	free(job->line);
	free(job);
}

/* Appends the job's window line (after its samples, or alone). */
static void
job_finish(struct bf_job *job)
{
	struct bf_buf counts = BF_BUF_INIT;

	if (job->failed) {
		bf_buf_reset(&job->out);
		job->fetched = 0;
		job->lookback = 0;
	}
	bf_buf_printf(&counts, "\"fetched\":%ld,\"lookback\":%ld,"
	    "\"requests\":%ld,\"retries\":%ld,\"pages\":%ld", job->fetched,
	    job->lookback, job->requests, job->retries, job->pages);
	if (job->resolution > 0)
		bf_buf_printf(&counts, ",\"resolution\":%lld",
		    (long long)job->resolution);
	bf_window_emit(job->line, job->linelen, &job->out, "bf-fetch",
	    job->failed ? "failed" : "ok", job->code, job->msg, counts.s);
	bf_buf_free(&counts);
}

static void *
worker(void *arg)
{
	struct bf_source *s = arg;
	struct bf_fetch *f = s->f;
	struct bf_job *job;
	struct bf_err e;
	void *w = NULL;
	uint64_t rng;
	int ok;

	pthread_mutex_lock(&f->mu);
	rng = f->seed = f->seed * 6364136223846793005ULL + 1442695040888963407ULL;
	pthread_mutex_unlock(&f->mu);
	if (rng == 0)
		rng = 1;
	bf_err_clear(&e);
	ok = s->ops->worker_open == NULL ||
	    s->ops->worker_open(s, &w, &e) == 0;
	for (;;) {
		pthread_mutex_lock(&f->mu);
		while (f->wq.head == NULL && !f->closing)
			pthread_cond_wait(&f->work_cv, &f->mu);
		job = fifo_pop(&f->wq);
		pthread_mutex_unlock(&f->mu);
		if (job == NULL)
			break;
		job->rng = rng;
		if (!ok) {
			bf_job_fail(job, "unavailable", "%s", e.msg);
			job->unavailable = 1;
		} else {
			s->ops->fetch(s, w, job);
		}
		rng = job->rng;
		job_finish(job);
		pthread_mutex_lock(&f->mu);
		job->done = 1;
		pthread_cond_broadcast(&f->done_cv);
		pthread_mutex_unlock(&f->mu);
	}
	if (ok && s->ops->worker_close != NULL)
		s->ops->worker_close(s, w);
	return NULL;
}

/* A cause of failed windows: its code, the first window's message, and
 * how many windows failed with it. */
struct cause {
	const char *code; /* static */
	char *msg;        /* owned */
	long n;
};

struct loop {
	struct bf_fetch *f;
	struct bf_source *src;
	/* Guarded by f->mu: the output queue, in input order. */
	struct fifo out;     /* of struct item */
	int inflight;        /* windows queued and not yet written */
	int eof;             /* no more items will come */
	pthread_cond_t space_cv;
	/* The writer's own until it is joined. */
	long ok, failed, unavailable;
	struct cause *causes; /* owned; ncauses, in the order first seen */
	size_t ncauses;
	/* dry run totals */
	long windows, requests, points;
	int requests_known;
};

/* Appends it to the output queue; with f->mu held. */
static void
push_item(struct loop *L, struct item *it)
{
	fifo_push(&L->out, it);
	if (it->job != NULL)
		L->inflight++;
	pthread_cond_broadcast(&L->f->done_cv);
}

static int
item_ready(const struct item *it)
{
	return it->job == NULL || it->job->done;
}

/* Counts job's failure under its cause (its code); says so on stderr the
 * first time a cause is seen, and for every window with -v. */
static void
note_failure(struct loop *L, const struct bf_job *job)
{
	const char *code = job->code != NULL ? job->code : "error";
	struct cause *c = NULL;
	int first = 0;
	size_t i;

	for (i = 0; i < L->ncauses; i++)
		if (strcmp(L->causes[i].code, code) == 0)
			c = &L->causes[i];
	if (c == NULL) {
		L->causes = bf_xrealloc(L->causes, (L->ncauses + 1) *
		    sizeof(*L->causes));
		c = &L->causes[L->ncauses++];
		c->code = code;
		c->msg = bf_xstrdup(job->msg);
		c->n = 0;
		first = 1;
	}
	c->n++;
	if (first || L->src->o->verbose)
		bf_fetch_log(L->src, 0, "%s %s: %s: %s", job->w.partition,
		    job->w.ws, code, job->msg);
}

/* Says, once per cause, how many windows failed with it; frees them. */
static void
report_causes(struct loop *L)
{
	size_t i;

	for (i = 0; i < L->ncauses; i++) {
		bf_fetch_log(L->src, 0, "%ld window%s failed: %s: %s",
		    L->causes[i].n, L->causes[i].n == 1 ? "" : "s",
		    L->causes[i].code, L->causes[i].msg);
		free(L->causes[i].msg);
	}
	free(L->causes);
	L->causes = NULL;
	L->ncauses = 0;
}

/* The writer thread: writes the queue's items in order as soon as each is
 * ready, so a finished window goes out while the input is still open. */
static void *
writer(void *arg)
{
	struct loop *L = arg;
	struct bf_fetch *f = L->f;
	struct item *it;
	int last;

	for (;;) {
		pthread_mutex_lock(&f->mu);
		while ((L->out.head == NULL && !L->eof) ||
		    (L->out.head != NULL && !item_ready(L->out.head)))
			pthread_cond_wait(&f->done_cv, &f->mu);
		it = fifo_pop(&L->out);
		last = L->out.head == NULL;
		pthread_mutex_unlock(&f->mu);
		if (it == NULL)
			break;
		if (it->job != NULL) {
			fwrite(it->job->out.s, 1, it->job->out.len, stdout);
			if (it->job->failed) {
				note_failure(L, it->job);
				L->failed++;
				if (it->job->unavailable)
					L->unavailable++;
			} else {
				L->ok++;
			}
			job_free(it->job);
			pthread_mutex_lock(&f->mu);
			L->inflight--;
			pthread_cond_signal(&L->space_cv);
			pthread_mutex_unlock(&f->mu);
		} else if (it->out.len > 0) {
			fwrite(it->out.s, 1, it->out.len, stdout);
		}
		/* a window that has been waited for reaches the reader now */
		if (last || it->job != NULL)
			fflush(stdout);
		bf_buf_free(&it->out);
		free(it);
	}
	fflush(stdout);
	return NULL;
}

static void
plan_window(struct loop *L, struct bf_job *job)
{
	struct bf_plan p;
	struct bf_buf b = BF_BUF_INIT;

	memset(&p, 0, sizeof(p));
	p.requests = p.pages = p.points = -1;
	L->src->ops->plan(L->src, job, &p);
	bf_buf_puts(&b, "{\"type\":\"plan\",\"partition\":");
	bf_json_put_str(&b, job->w.partition, strlen(job->w.partition));
	bf_json_put_kv_str(&b, "window_start", job->w.ws);
	bf_json_put_kv_str(&b, "window_end", job->w.we);
	bf_json_put_kv_str(&b, "source", L->src->ops->name);
	if (L->src->o->lookback > 0) {
		char t[BF_TIME_LEN];

		bf_time_format(job->w.start - L->src->o->lookback, t);
		bf_json_put_kv_str(&b, "lookback_from", t);
	}
	if (p.resolution > 0)
		bf_buf_printf(&b, ",\"resolution\":%lld",
		    (long long)p.resolution);
	if (p.requests >= 0)
		bf_buf_printf(&b, ",\"requests\":%ld", p.requests);
	else
		bf_buf_puts(&b, ",\"requests\":null");
	if (p.pages >= 0)
		bf_buf_printf(&b, ",\"pages\":%ld", p.pages);
	else
		bf_buf_puts(&b, ",\"pages\":null");
	if (p.points >= 0)
		bf_buf_printf(&b, ",\"points\":%ld", p.points);
	else
		bf_buf_puts(&b, ",\"points\":null");
	if (L->src->o->rate_n > 0 && p.requests >= 0) {
		const struct bf_fetch_opts *o = L->src->o;
		long long ms = (long long)((p.requests * o->rate_per_ms +
		    o->rate_n - 1) / o->rate_n);

		bf_buf_printf(&b, ",\"seconds\":%lld.%03lld", ms / 1000,
		    ms % 1000);
	}
	if (p.extra.len > 0)
		bf_buf_add(&b, p.extra.s, p.extra.len);
	bf_buf_puts(&b, "}\n");
	fwrite(b.s, 1, b.len, stdout);
	L->windows++;
	if (p.requests >= 0)
		L->requests += p.requests;
	else
		L->requests_known = 0;
	if (p.points >= 0)
		L->points += p.points;
	bf_buf_free(&b);
	bf_buf_free(&p.extra);
}

static void
plan_total(struct loop *L, const struct bf_fetch_opts *o)
{
	printf("{\"type\":\"plan_total\",\"source\":\"%s\",\"windows\":%ld,"
	    "\"requests\":%ld,\"points\":%ld", L->src->ops->name, L->windows,
	    L->requests, L->points);
	if (o->rate_n > 0) {
		/* milliseconds at the rate, shown as seconds with 3 places */
		long long ms = (long long)((L->requests * o->rate_per_ms +
		    o->rate_n - 1) / o->rate_n);

		printf(",\"rate_per_second\":%lld.%03lld,\"seconds\":%lld.%03lld",
		    (long long)(o->rate_n * 1000 / o->rate_per_ms),
		    (long long)(o->rate_n * 1000000 / o->rate_per_ms % 1000),
		    ms / 1000, ms % 1000);
		/* the rate exactly, and the bucket, for bf-backfill's plan */
		printf(",\"rate\":{\"requests\":%lld,\"per_ms\":%lld,"
		    "\"burst\":%lld}", (long long)o->rate_n,
		    (long long)o->rate_per_ms, (long long)o->burst);
	} else {
		printf(",\"rate_per_second\":null,\"seconds\":null");
	}
	printf("}\n");
}

/* Makes a job for window line s[0..n) parsed into j. */
static struct bf_job *
new_job(const char *s, size_t n, const struct bf_json *j, struct bf_err *e)
{
	struct bf_job *job = bf_xcalloc(1, sizeof(*job));

	if (bf_window_from_json(j, &job->w, e) < 0) {
		free(job);
		return NULL;
	}
	job->line = bf_xstrndup(s, n);
	job->linelen = n;
	return job;
}

static const struct bf_source_ops *
ops_for(int kind)
{
	switch (kind) {
	case BF_SRC_PROMETHEUS:
		return &bf_source_prometheus;
	case BF_SRC_POSTGRES:
		return &bf_source_postgres;
	case BF_SRC_FILE:
		return &bf_source_file;
	case BF_SRC_EXEC:
		return &bf_source_exec;
	default:
		return NULL;
	}
}

/* Runs the source's check for the window line s[0..n) parsed into j (a
 * scratch job of its own): 0, or -1 with e set (2 or 69). */
static int
run_check(struct bf_fetch *f, struct bf_source *src, const char *s, size_t n,
    const struct bf_json *j, struct bf_err *e)
{
	struct bf_job *job;
	struct bf_err le;
	int rc;

	if (src->ops->check == NULL || (job = new_job(s, n, j, &le)) == NULL)
		return 0;
	job->rng = bf_rand_seed();
	f->quiet = 1;
	rc = src->ops->check(src, job, e);
	f->quiet = 0;
	job_free(job);
	return rc;
}

/* --check: reads up to the first valid window line and checks the
 * queries for it; writes nothing. Returns 0 (also when no window line
 * came), 74 when an input could not be read before one, or -1 with e
 * set. */
static int
check_only(struct bf_fetch *f, struct bf_source *src, char **files,
    int nfiles, struct bf_err *e)
{
	struct bf_input in;
	struct bf_json j = BF_JSON_INIT;
	struct bf_window w;
	struct bf_err le;
	int r, rc = 0, ioerr = 0, found = 0;

	if (src->ops->check == NULL)
		return 0;
	bf_input_init(&in, files, nfiles, 0);
	while (!found && (r = bf_input_next(&in, &le)) != 0) {
		if (r < 0) {
			bf_warn("%s", le.msg);
			ioerr = 1;
			continue;
		}
		if (in.toolong || bf_json_parse(&j, bf_buf_str(&in.line),
		    in.line.len, BF_JSON_WANT_OBJECT, NULL) != BF_JSON_OK ||
		    bf_line_type(&j) != BF_LINE_WINDOW ||
		    bf_window_from_json(&j, &w, &le) < 0)
			continue;
		bf_window_free(&w);
		found = 1;
		rc = run_check(f, src, bf_buf_str(&in.line), in.line.len, &j,
		    e);
	}
	bf_input_free(&in);
	bf_json_free(&j);
	if (rc == 0 && ioerr && !found)
		return BF_EXIT_IO;
	return rc;
}

/* Tells the nth workers th to finish, waits for them and frees th. */
static void
stop_workers(struct bf_fetch *f, pthread_t *th, int nth)
{
	int i;

	pthread_mutex_lock(&f->mu);
	f->closing = 1;
	pthread_cond_broadcast(&f->work_cv);
	pthread_mutex_unlock(&f->mu);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	free(th);
}

/* Closes an open source and its budget and frees its metrics map. */
static void
close_source(struct bf_source *src)
{
	bf_budget_close(src->f->budget);
	src->f->budget = NULL;
	src->ops->close(src);
	if (src->metrics != NULL)
		bf_metrics_free(src->metrics);
}

/* Queues an item of text that is not a job (written in its turn); takes
 * f->mu. */
static void
queue_text(struct loop *L, struct item *it)
{
	pthread_mutex_lock(&L->f->mu);
	push_item(L, it);
	pthread_mutex_unlock(&L->f->mu);
}

/* Queues job for the workers and its place in the output; waits while
 * nth windows are in flight. */
static void
queue_job(struct loop *L, struct bf_job *job, int nth)
{
	struct bf_fetch *f = L->f;
	struct item *it = bf_xcalloc(1, sizeof(*it));

	it->job = job;
	pthread_mutex_lock(&f->mu);
	push_item(L, it);
	fifo_push(&f->wq, job);
	pthread_cond_signal(&f->work_cv);
	while (L->inflight >= nth)
		pthread_cond_wait(&L->space_cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

/* What the reading of the window lines met, for the exit status. */
struct feed {
	int nth;               /* workers */
	int bad, ioerr;        /* lines passed on unread; input errors */
	int checked, checkfail;
	long upstream_failed;  /* windows failed before bf-fetch */
};

/* One input line: passed on (not a window line), failed (a window line
 * without a window), passed on with "fetched":0 (failed upstream), planned
 * (--dry-run) or queued. Returns -1 when --check refused the queries (e
 * set): stop. */
static int
feed_line(struct loop *L, struct bf_input *in, struct bf_json *j,
    struct feed *fd, struct bf_err *e)
{
	const struct bf_fetch_opts *o = L->f->o;
	struct bf_err le;
	struct bf_job *job;
	struct item *it;
	size_t errpos;
	int rc;

	rc = bf_json_parse(j, bf_buf_str(&in->line), in->line.len,
	    BF_JSON_WANT_OBJECT, &errpos);
	if (rc != BF_JSON_OK) {
		bf_warn_at(in->name, in->lineno, "%s at byte %zu; passed on",
		    bf_json_strerror(rc), errpos + 1);
		fd->bad++;
	}
	if (rc != BF_JSON_OK || bf_line_type(j) != BF_LINE_WINDOW) {
		if (o->dry_run)
			return 0;
		it = bf_xcalloc(1, sizeof(*it));
		bf_buf_add(&it->out, bf_buf_str(&in->line), in->line.len);
		bf_buf_putc(&it->out, '\n');
		queue_text(L, it);
		return 0;
	}
	bf_err_clear(&le);
	if ((job = new_job(bf_buf_str(&in->line), in->line.len, j, &le)) ==
	    NULL) {
		bf_warn_at(in->name, in->lineno, "%s", le.msg);
		fd->bad++;
		if (o->dry_run)
			return 0;
		it = bf_xcalloc(1, sizeof(*it));
		bf_window_emit(j->s, j->len, &it->out, "bf-fetch", "failed",
		    "bad_window", le.msg, "\"fetched\":0");
		queue_text(L, it);
		fd->upstream_failed++;
		return 0;
	}
	if (o->dry_run) {
		plan_window(L, job);
		job_free(job);
		return 0;
	}
	if (!fd->checked && o->check == BF_CHECK_FIRST) {
		fd->checked = 1;
		if (run_check(L->f, L->src, bf_buf_str(&in->line),
		    in->line.len, j, e) < 0) {
			job_free(job);
			fd->checkfail = 1;
			return -1;
		}
	}
	if (bf_window_failed(j)) {
		it = bf_xcalloc(1, sizeof(*it));
		bf_window_emit(j->s, j->len, &it->out, "bf-fetch", "ok", NULL,
		    NULL, "\"fetched\":0");
		queue_text(L, it);
		fd->upstream_failed++;
		job_free(job);
		return 0;
	}
	queue_job(L, job, fd->nth);
	return 0;
}

/* Reads the window lines of files and feeds them through feed_line. */
static void
feed_all(struct loop *L, char **files, int nfiles, struct feed *fd,
    struct bf_err *e)
{
	struct bf_json j = BF_JSON_INIT;
	struct bf_input in;
	struct bf_err le;
	int r;

	bf_input_init(&in, files, nfiles, 0);
	for (;;) {
		bf_err_clear(&le);
		if ((r = bf_input_next(&in, &le)) == 0)
			break;
		if (r < 0) {
			bf_warn("%s", le.msg);
			fd->ioerr = 1;
		} else if (in.toolong) {
			bf_warn_at(in.name, in.lineno, "line longer than %zu "
			    "bytes", in.maxline);
			fd->bad++;
		} else if (feed_line(L, &in, &j, fd, e) == -1)
			break;
	}
	bf_input_free(&in);
	bf_json_free(&j);
}

/* The fetch state, its source and its metric map, opened; the budget
 * when one is given. 0, or -1 with e set (nothing left open). */
static int
open_fetch(struct bf_fetch *f, struct bf_source *src,
    struct bf_metrics *metrics, const struct bf_fetch_opts *o,
    struct bf_err *e)
{
	memset(f, 0, sizeof(*f));
	memset(src, 0, sizeof(*src));
	f->o = o;
	f->src = src;
	f->seed = bf_rand_seed();
	f->wq.link = offsetof(struct bf_job, next_work);
	pthread_mutex_init(&f->pol, NULL);
	pthread_mutex_init(&f->logmu, NULL);
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->work_cv, NULL);
	pthread_cond_init(&f->done_cv, NULL);
	bf_bucket_init(&f->bucket, o->rate_n, o->rate_per_ms, o->burst);
	bf_breaker_init(&f->breaker, o->breaker, o->cooldown_ms);
	src->ops = ops_for(o->kind);
	src->o = o;
	src->f = f;
	if (src->ops == NULL)
		return bf_err_set(e, BF_EXIT_USAGE, "no source given "
		    "(--source prometheus, postgres, file or exec)");
	if (o->metrics_path != NULL) {
		if (bf_metrics_load(o->metrics_path,
		    o->kind == BF_SRC_PROMETHEUS, metrics, e) < 0)
			return -1;
		src->metrics = metrics;
	}
	if (src->ops->open(src, e) < 0) {
		if (src->metrics != NULL)
			bf_metrics_free(src->metrics);
		return -1;
	}
	if (o->budget != NULL && !o->dry_run && (f->budget = bf_budget_open(
	    o->budget, o->source_id != NULL ? o->source_id : "?", e)) == NULL) {
		close_source(src);
		return -1;
	}
	return 0;
}

/* Starts nth workers (fewer when a thread cannot start) and the writer.
 * Returns the workers started, or 0 (none left running). */
static int
start_threads(struct loop *L, int nth, pthread_t *th, pthread_t *wth)
{
	int i;

	for (i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, worker, L->src) != 0) {
			bf_warn("cannot start thread %d", i);
			break;
		}
	if (i == 0 || pthread_create(wth, NULL, writer, L) != 0) {
		stop_workers(L->f, th, i);
		return 0;
	}
	return i;
}

int
bf_fetch_run(const struct bf_fetch_opts *o, char **files, int nfiles,
    struct bf_err *e)
{
	struct bf_fetch f;
	struct bf_source src;
	struct bf_metrics metrics;
	struct feed fd;
	struct loop L;
	pthread_t *th = NULL, wth;
	int rc;

	if (open_fetch(&f, &src, &metrics, o, e) == -1)
		return -1;
	if (o->check == BF_CHECK_ONLY && !o->dry_run) {
		rc = check_only(&f, &src, files, nfiles, e);
		close_source(&src);
		return rc;
	}
	memset(&L, 0, sizeof(L));
	memset(&fd, 0, sizeof(fd));
	L.f = &f;
	L.out.link = offsetof(struct item, next);
	L.src = &src;
	L.requests_known = 1;
	pthread_cond_init(&L.space_cv, NULL);
	if (!o->dry_run) {
		th = bf_xcalloc((size_t)(o->jobs > 0 ? o->jobs : 1),
		    sizeof(*th));
		if ((fd.nth = start_threads(&L, o->jobs > 0 ? o->jobs : 1, th,
		    &wth)) == 0) {
			close_source(&src);
			return bf_err_set(e, BF_EXIT_IO, "cannot start threads");
		}
	}
	feed_all(&L, files, nfiles, &fd, e);
	if (o->dry_run)
		plan_total(&L, o);
	else {
		pthread_mutex_lock(&f.mu);
		L.eof = 1;
		pthread_cond_broadcast(&f.done_cv);
		pthread_mutex_unlock(&f.mu);
		pthread_join(wth, NULL);
		stop_workers(&f, th, fd.nth);
		report_causes(&L);
	}
	close_source(&src);
	BF_EACH(pthread_mutex_destroy, pthread_mutex_t, &f.pol, &f.logmu,
	    &f.mu);
	BF_EACH(pthread_cond_destroy, pthread_cond_t, &f.work_cv, &f.done_cv,
	    &L.space_cv);
	L.failed += fd.upstream_failed;
	if (fd.checkfail)
		return -1;
	if (fd.ioerr)
		return BF_EXIT_IO;
	if (L.failed > 0 && L.ok == 0 && L.unavailable == L.failed)
		return BF_EXIT_UNAVAILABLE;
	if (L.failed > 0 || fd.bad > 0)
		return BF_EXIT_FAILED;
	return BF_EXIT_OK;
}
