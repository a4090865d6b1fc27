/*
 * source-exec.c: the exec source: runs a command per window (and per page,
 * following get-metric-data's NextToken) from a template, without a shell,
 * and reads its output as one of the file formats (records.h).
 *
 * The template is split into words at blanks; '...' and "..." group a word
 * and a backslash takes the next character literally (outside '...'). After
 * the split, ${name} in each word is replaced, and each word stays one
 * argument whatever the values hold: no value is ever parsed by a shell.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "records.h"

extern char **environ;

static const char *const exec_vars[] = { "partition", "window_start",
	"window_end", "start_epoch", "end_epoch", "period", "step",
	"lookback_start", "lookback_epoch", NULL };
static const char *const next_vars[] = { "partition", "window_start",
	"window_end", "start_epoch", "end_epoch", "period", "step",
	"lookback_start", "lookback_epoch", "next_token", NULL };

struct words {
	char **w; /* owned, NULL-terminated */
	int n;
};

struct execsrc {
	struct words cmd, next;
};

static void
words_free(struct words *ws)
{
	bf_strv_free(ws->w, (size_t)ws->n);
	memset(ws, 0, sizeof(*ws));
}

static void
execsrc_free(struct execsrc *x)
{
	if (x != NULL) {
		words_free(&x->cmd);
		words_free(&x->next);
	}
	free(x);
}

static int
split_words(const char *s, struct words *ws, struct bf_err *e)
{
	struct bf_buf b = BF_BUF_INIT;
	int inword = 0;
	char q = 0;

	memset(ws, 0, sizeof(*ws));
	for (;; s++) {
		if (*s == '\0' || (!q && (*s == ' ' || *s == '\t' ||
		    *s == '\n'))) {
			if (q) {
				bf_buf_free(&b);
				words_free(ws);
				return bf_err_set(e, BF_EXIT_USAGE,
				    "unterminated %c in command template", q);
			}
			if (inword) {
				ws->w = bf_xrealloc(ws->w, (size_t)(ws->n + 2) *
				    sizeof(*ws->w));
				ws->w[ws->n++] = bf_buf_detach(&b);
				if (ws->w[ws->n - 1] == NULL)
					ws->w[ws->n - 1] = bf_xstrdup("");
				ws->w[ws->n] = NULL;
				inword = 0;
			}
			if (*s == '\0')
				break;
			continue;
		}
		inword = 1;
		if (q == '\'' && *s == '\'') {
			q = 0;
		} else if (q == '\'') {
			bf_buf_putc(&b, *s);
		} else if (*s == '\\' && s[1] != '\0') {
			bf_buf_putc(&b, *++s);
		} else if (q == '"' && *s == '"') {
			q = 0;
		} else if (!q && (*s == '\'' || *s == '"')) {
			q = *s;
			bf_buf_grow(&b, 0);
		} else {
			bf_buf_putc(&b, *s);
		}
	}
	bf_buf_free(&b);
	return 0;
}

static int
exec_open(struct bf_source *s, struct bf_err *e)
{
	const struct bf_fetch_opts *o = s->o;
	struct execsrc *x;
	int i;

	if (o->command == NULL)
		return bf_err_set(e, BF_EXIT_USAGE, "--source exec needs "
		    "--command TEMPLATE");
	x = bf_xcalloc(1, sizeof(*x));
	if (split_words(o->command, &x->cmd, e) < 0)
		goto fail;
	if (x->cmd.n == 0) {
		bf_err_set(e, BF_EXIT_USAGE, "--command is empty");
		goto fail;
	}
	for (i = 0; i < x->cmd.n; i++)
		if (bf_template_check(x->cmd.w[i], exec_vars, e) < 0)
			goto fail;
	if (o->next_args != NULL) {
		if (split_words(o->next_args, &x->next, e) < 0)
			goto fail;
		for (i = 0; i < x->next.n; i++)
			if (bf_template_check(x->next.w[i], next_vars, e) < 0)
				goto fail;
	}
	if (o->instance != NULL &&
	    bf_template_check(o->instance, exec_vars, e) < 0)
		goto fail;
	s->priv = x;
	return 0;
fail:
	execsrc_free(x);
	return -1;
}

static void
exec_close(struct bf_source *s)
{
	execsrc_free(s->priv);
	s->priv = NULL;
}

struct vals {
	char start_epoch[24], end_epoch[24], period[24], step[24];
	char lb_start[BF_TIME_LEN], lb_epoch[24];
	struct bf_var v[10];
	size_t nv;
};

static void
make_vals(struct bf_source *s, struct bf_job *job, int64_t period,
    const char *token, struct vals *vs)
{
	snprintf(vs->start_epoch, sizeof(vs->start_epoch), "%lld",
	    (long long)job->w.start);
	snprintf(vs->end_epoch, sizeof(vs->end_epoch), "%lld",
	    (long long)job->w.end);
	snprintf(vs->period, sizeof(vs->period), "%lld", (long long)period);
	snprintf(vs->step, sizeof(vs->step), "%lld",
	    (long long)(s->o->step > 0 ? s->o->step : period));
	vs->v[0] = (struct bf_var){ "partition", job->w.partition, 0 };
	vs->v[1] = (struct bf_var){ "window_start", job->w.ws, 0 };
	vs->v[2] = (struct bf_var){ "window_end", job->w.we, 0 };
	vs->v[3] = (struct bf_var){ "start_epoch", vs->start_epoch, 0 };
	vs->v[4] = (struct bf_var){ "end_epoch", vs->end_epoch, 0 };
	vs->v[5] = (struct bf_var){ "period", vs->period, 0 };
	vs->v[6] = (struct bf_var){ "step", vs->step, 0 };
	vs->v[7] = (struct bf_var){ "next_token", token ? token : "", 0 };
	bf_time_format(job->w.start - s->o->lookback, vs->lb_start);
	snprintf(vs->lb_epoch, sizeof(vs->lb_epoch), "%lld",
	    (long long)(job->w.start - s->o->lookback));
	vs->v[8] = (struct bf_var){ "lookback_start", vs->lb_start, 0 };
	vs->v[9] = (struct bf_var){ "lookback_epoch", vs->lb_epoch, 0 };
	vs->nv = 10;
}

/* The argv of one page (to be freed with words_free). */
static void
make_argv(struct execsrc *x, const struct vals *vs, const char *token,
    struct words *argv)
{
	struct bf_buf b = BF_BUF_INIT;
	struct bf_err e;
	int i, n = x->cmd.n + (token != NULL ? x->next.n : 0);

	argv->w = bf_xcalloc((size_t)n + 1, sizeof(*argv->w));
	argv->n = 0;
	for (i = 0; i < n; i++) {
		const char *t = i < x->cmd.n ? x->cmd.w[i] :
		    x->next.w[i - x->cmd.n];

		bf_buf_reset(&b);
		/* names were checked at open: this cannot fail */
		bf_template_expand(t, vs->v, vs->nv, &b, &e);
		argv->w[argv->n++] = bf_xstrdup(bf_buf_str(&b));
	}
	bf_buf_free(&b);
}

struct run {
	struct bf_source *s;
	struct words *argv;
	const struct bf_recopts *ro;
	struct bf_recs *rs;
	char **next;
	char name[64];
};

/* Appends what fd gives until EOF; returns 1 at EOF, 0 for more, -1 on
 * error. */
static int
drain_fd(int fd, struct bf_buf *b, size_t max, int *over)
{
	char tmp[16384];
	ssize_t r = read(fd, tmp, sizeof(tmp));

	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (r == 0)
		return 1;
	if (max > 0 && b->len + (size_t)r > max)
		*over = 1;
	else
		bf_buf_add(b, tmp, (size_t)r);
	return 0;
}

/* Sets the try's outcome, code and message. */
static void
try_set(struct bf_try *t, int outcome, const char *code, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));
static void
try_set(struct bf_try *t, int outcome, const char *code, const char *fmt,
    ...)
{
	va_list ap;

	t->outcome = outcome;
	t->code = code;
	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
}

/* Starts the command with stdin /dev/null, stdout into op[1], stderr into
 * ep[1]; 0, or -1 with the try failed. */
static int
spawn(const struct run *R, int op[2], int ep[2], pid_t *pid,
    struct bf_try *t)
{
	posix_spawn_file_actions_t fa;
	int rc;

	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		try_set(t, BF_TRY_RETRY, "exec_failed", "pipe: %s",
		    strerror(errno));
		if (op[1] >= 0)
			close(op[1]);
		op[1] = -1;
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	rc = posix_spawnp(pid, R->argv->w[0], &fa, NULL, R->argv->w, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(op[1]);
	close(ep[1]);
	op[1] = ep[1] = -1;
	if (rc == 0)
		return 0;
	try_set(t, BF_TRY_FAIL, "exec_failed", "cannot run '%.200s': %s",
	    R->argv->w[0], strerror(rc));
	return -1;
}

/* Reads the child's stdout (at most max bytes) and stderr (64 KiB) until
 * both close, the deadline passes (*timedout) or stdout is too long
 * (*over). */
static void
collect(int op, int ep, int64_t deadline, size_t max, struct bf_buf *out,
    struct bf_buf *err, int *timedout, int *over)
{
	struct pollfd pf[2];
	int64_t left;
	int open_fds = 2, rc;

	pf[0].fd = op;
	pf[1].fd = ep;
	pf[0].events = pf[1].events = POLLIN;
	while (open_fds > 0 && !*over) {
		if ((left = deadline - bf_mono_ms()) <= 0) {
			*timedout = 1;
			return;
		}
		rc = poll(pf, 2, left > 1000 ? 1000 : (int)left);
		if (rc < 0 && errno != EINTR)
			return;
		if (rc <= 0)
			continue;
		if (pf[0].revents && drain_fd(op, out, max, over) != 0) {
			pf[0].fd = -1;
			open_fds--;
		}
		if (pf[1].revents && drain_fd(ep, err, 65536, over) != 0) {
			pf[1].fd = -1;
			open_fds--;
		}
	}
}

/* A command that did not exit 0: the last line of its stderr says why,
 * usually. */
static void
failed_exit(const struct run *R, int status, struct bf_buf *err,
    struct bf_try *t)
{
	const char *nl;

	while (err->len > 0 && (err->s[err->len - 1] == '\n' ||
	    err->s[err->len - 1] == '\r'))
		err->s[--err->len] = '\0';
	nl = err->len > 0 ? strrchr(err->s, '\n') : NULL;
	if (WIFEXITED(status))
		try_set(t, BF_TRY_RETRY, "exec_failed", "'%.200s' exited with "
		    "status %d%s%.300s", R->argv->w[0], WEXITSTATUS(status),
		    err->len ? ": " : "", nl ? nl + 1 : bf_buf_str(err));
	else
		try_set(t, BF_TRY_RETRY, "exec_failed", "'%.200s' killed by "
		    "signal %d", R->argv->w[0], WTERMSIG(status));
}

static void
try_run(void *ctx, struct bf_job *job, struct bf_try *t)
{
	struct run *R = ctx;
	const struct bf_fetch_opts *o = R->s->o;
	struct bf_buf out = BF_BUF_INIT, err = BF_BUF_INIT;
	struct bf_err pe;
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 };
	int status = 0, over = 0, timedout = 0;
	char d[32];
	pid_t pid;

	if (spawn(R, op, ep, &pid, t) == -1)
		goto out;
	collect(op[0], ep[0], bf_mono_ms() + o->timeout_ms, o->max_body, &out,
	    &err, &timedout, &over);
	if (timedout || over)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	bf_err_clear(&pe);
	if (timedout) {
		bf_ms_format(o->timeout_ms, d, sizeof(d));
		try_set(t, BF_TRY_RETRY, "timeout", "'%.200s' timed out after "
		    "%s", R->argv->w[0], d);
	} else if (over)
		try_set(t, BF_TRY_FAIL, "too_large", "'%.200s' wrote more than "
		    "%zu bytes", R->argv->w[0], o->max_body);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		failed_exit(R, status, &err, t);
	else if (bf_records_parse(R->s, R->ro, R->name, bf_buf_str(&out),
	    out.len, o->format, R->rs, R->next, &pe) < 0)
		try_set(t, pe.code == BF_EXIT_UNAVAILABLE ? BF_TRY_RETRY :
		    BF_TRY_FAIL, "bad_output", "%.600s", pe.msg);
	else
		t->outcome = BF_TRY_OK;
out:
	if (op[0] >= 0)
		close(op[0]);
	if (ep[0] >= 0)
		close(ep[0]);
	bf_buf_free(&out);
	bf_buf_free(&err);
}

static void
exec_fetch(struct bf_source *s, void *w, struct bf_job *job)
{
	struct execsrc *x = s->priv;
	const struct bf_fetch_opts *o = s->o;
	struct bf_recs rs;
	struct bf_recopts ro;
	struct words argv;
	struct vals vs;
	struct bf_buf inst = BF_BUF_INIT;
	struct bf_err e;
	struct run R;
	char *token = NULL, *next = NULL;
	int64_t period;
	long page;

	memset(&rs, 0, sizeof(rs));
	period = bf_cw_job_period(o, job);
	job->resolution = period;
	make_vals(s, job, period, NULL, &vs);
	if (o->instance != NULL)
		bf_template_expand(o->instance, vs.v, vs.nv, &inst, &e);
	else
		bf_buf_puts(&inst, job->w.partition);
	memset(&ro, 0, sizeof(ro));
	ro.instance = bf_buf_str(&inst);
	ro.key = job->w.partition;
	for (page = 0;; page++) {
		if (page >= o->max_pages) {
			bf_job_fail(job, "too_many_pages", "more than %ld "
			    "pages for one window", o->max_pages);
			break;
		}
		make_vals(s, job, period, token, &vs);
		make_argv(x, &vs, token, &argv);
		memset(&R, 0, sizeof(R));
		R.s = s;
		R.argv = &argv;
		R.ro = &ro;
		R.rs = &rs;
		R.next = &next;
		snprintf(R.name, sizeof(R.name), "output of page %ld", page + 1);
		if (bf_fetch_call(s, job, try_run, &R) < 0) {
			words_free(&argv);
			break;
		}
		words_free(&argv);
		if (next == NULL)
			break;
		if (x->next.n == 0) {
			bf_job_fail(job, "incomplete", "the output has a "
			    "NextToken but no --next-args says how to ask for "
			    "the next page");
			break;
		}
		if (token != NULL && strcmp(token, next) == 0) {
			bf_job_fail(job, "bad_output", "the same NextToken "
			    "twice in a row");
			break;
		}
		free(token);
		token = next;
		next = NULL;
	}
	free(token);
	free(next);
	if (!job->failed) {
		bf_recs_cw_periods(&rs);
		bf_recs_sort(&rs);
		bf_recs_emit_lookback(s, &rs, 0, rs.n, job, period);
		bf_recs_emit(s, &rs, 0, rs.n, job, period);
	}
	bf_recs_free(&rs);
	bf_buf_free(&inst);
	(void)w;
}

static void
exec_plan(struct bf_source *s, struct bf_job *job, struct bf_plan *p)
{
	struct execsrc *x = s->priv;
	struct words argv;
	struct vals vs;
	int64_t period = bf_cw_job_period(s->o, job);
	int i;

	p->resolution = period;
	p->requests = 1;
	p->pages = -1;
	p->points = (long)((job->w.end - job->w.start) / period) *
	    (s->metrics != NULL ? (long)s->metrics->n : 1);
	make_vals(s, job, period, NULL, &vs);
	make_argv(x, &vs, NULL, &argv);
	bf_buf_puts(&p->extra, ",\"argv\":[");
	for (i = 0; i < argv.n; i++) {
		if (i > 0)
			bf_buf_putc(&p->extra, ',');
		bf_json_put_str(&p->extra, argv.w[i], strlen(argv.w[i]));
	}
	bf_buf_putc(&p->extra, ']');
	if (bf_cw_period(s->o->now, job->w.start) == 0)
		bf_buf_puts(&p->extra, ",\"retention\":\"expired\"");
	words_free(&argv);
}

const struct bf_source_ops bf_source_exec = {
	"exec", exec_open, NULL, NULL, exec_fetch, exec_plan, exec_close,
	NULL, /* templates are checked by exec_open */
};
