/*
 * bf-window: plan the windows of a backfill, one window line per
 * (partition, window). See bf-window(1); the logic is in lib/window.c.
 */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "checkpoint.h"
#include "cli.h"
#include "err.h"
#include "json.h"
#include "timeutil.h"
#include "warehouse.h"
#include "window.h"

enum {
	OPT_ALIGN = 256,
	OPT_COUNT,
	OPT_DB,
	OPT_FORCE,
	OPT_GAPS,
	OPT_NOW,
	OPT_ORDER,
	OPT_SETTLE,
	OPT_UNTIL,
};

static const struct option longopts[] = {
	{ "align", required_argument, NULL, OPT_ALIGN },
	{ "billing-day", required_argument, NULL, 'b' },
	{ "count", no_argument, NULL, OPT_COUNT },
	{ "db", required_argument, NULL, OPT_DB },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "from", required_argument, NULL, 'f' },
	{ "gaps", no_argument, NULL, OPT_GAPS },
	{ "help", no_argument, NULL, 'h' },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "order", required_argument, NULL, OPT_ORDER },
	{ "partition", required_argument, NULL, 'p' },
	{ "partitions", required_argument, NULL, 'P' },
	{ "settle", required_argument, NULL, OPT_SETTLE },
	{ "shard", required_argument, NULL, 'S' },
	{ "size", required_argument, NULL, 's' },
	{ "state", required_argument, NULL, 'd' },
	{ "to", required_argument, NULL, 't' },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* One selected partition: its name as a JSON string, its checkpoint, and
 * what the plan goes by (the warehouse's windows with --db, else the
 * checkpoint). */
struct sel {
	const struct bf_part *part;
	char *json;  /* owned */
	size_t jlen;
	struct bf_ckpt ckpt;
	int loaded;
	const struct bf_ckpt *basis; /* NULL: nothing committed */
	struct bf_plan_skip skip;
};

static const struct bf_cli cli = {
	"bf-window -f time -t time -s size [-b day] [-d dir] [-P file]\n"
	"                 [-p name]... [-S i/n] [--align time] [--count] "
	"[--db target]\n"
	"                 [--force] [--gaps] [--now time] "
	"[--order time|partition]\n"
	"                 [--settle duration] [--until time]\n",
	NULL,
};

/* What the command line asks for. */
struct args {
	bf_time from, to, align, until, now;
	int has_align, has_until, has_now;
	int64_t size, settle;
	int bday, force, gaps, count, by_time;
	const char *partfile, *state, *db;
	const char *from_arg, *to_arg, *size_arg; /* parsed after the rest */
	char **pnames;       /* the -p names, in order (pointers into argv) */
	int npnames;
	struct bf_shard shard;
	const bf_time *fixed; /* BF_NOW (for tests), or NULL: the clock */
	bf_time fixed_now;
};

/* The options whose value is kept as it is, and where. */
static const struct bf_cli_str str_opts[] = {
	{ 'f', offsetof(struct args, from_arg) },
	{ 't', offsetof(struct args, to_arg) },
	{ 's', offsetof(struct args, size_arg) },
	{ 'd', offsetof(struct args, state) },
	{ 'P', offsetof(struct args, partfile) },
	{ 0, 0 },
};

/* One option of parse_args; 0, or -1 when its value is bad (the message
 * printed). */
static int
set_opt(void *ctx, int ch, const char *arg)
{
	static const char *const orders[] = { "time", "partition", NULL };
	struct args *a = ctx;
	struct bf_err e;
	long l;
	int idx;

	switch (ch) {
	case 'b':
		if (bf_cli_long("--billing-day", arg, 1, 28, &l) == -1)
			return -1;
		a->bday = (int)l;
		return 0;
	case 'p':
		a->pnames[a->npnames++] = (char *)arg;
		return 0;
	case 'S':
		bf_err_clear(&e);
		if (bf_shard_parse(arg, &a->shard, &e) == 0)
			return 0;
		bf_err_print(&e);
		return -1;
	case OPT_ALIGN:
		a->has_align = 1;
		return bf_cli_time("--align", arg, 0, &a->align);
	case OPT_COUNT:
		a->count = 1;
		return 0;
	case OPT_DB:
		a->db = arg;
		bf_err_clear(&e);
		if (bf_target_check_arg("--db", arg, &e) == 0)
			return 0;
		bf_err_print(&e);
		return -1;
	case OPT_NOW:
		a->has_now = 1;
		return bf_cli_time("--now", arg, 1, &a->now);
	case OPT_SETTLE:
		/* 0 plans a window as soon as it is over (bf(7)). */
		return bf_cli_duration("--settle", arg, 1, BF_GRID_SIZE_MAX,
		    &a->settle);
	case OPT_FORCE:
		a->force = 1;
		return 0;
	case OPT_GAPS:
		a->gaps = 1;
		return 0;
	case OPT_ORDER:
		if (bf_cli_choice("--order", arg, orders, &idx) == -1)
			return -1;
		a->by_time = idx == 0;
		return 0;
	case OPT_UNTIL:
		a->has_until = 1;
		return bf_cli_time("--until", arg, 1, &a->until);
	}
	bf_cli_fail(&cli);
}

static void
parse_args(int argc, char *argv[], struct args *a)
{
	const char *from, *to, *size, *env;

	memset(a, 0, sizeof(*a));
	a->size = 86400;
	a->settle = 3600;
	a->bday = 1;
	a->pnames = bf_xcalloc((size_t)argc + 1, sizeof(*a->pnames));
	bf_cli_parse(&cli, argc, argv, "b:d:f:hP:p:S:s:t:V", longopts,
	    str_opts, set_opt, a);
	bf_cli_noargs(&cli, argc, argv);
	from = a->from_arg;
	to = a->to_arg;
	size = a->size_arg;
	if (from == NULL || to == NULL) {
		bf_warn("--from and --to are required");
		bf_cli_fail(&cli);
	}
	if (bf_cli_required("--size", size != NULL || a->gaps) == -1)
		bf_cli_fail(&cli);
	if (bf_cli_time("--from", from, 0, &a->from) == -1 ||
	    bf_cli_time("--to", to, 0, &a->to) == -1 || (size != NULL &&
	    bf_cli_duration("--size", size, 0, 0, &a->size) == -1))
		exit(BF_EXIT_USAGE);
	if (a->gaps && a->state == NULL && a->db == NULL) {
		bf_warn("--gaps needs --state or --db");
		exit(BF_EXIT_USAGE);
	}
	if (bf_cli_exclusive("--gaps", a->gaps, "--force", a->force) == -1 ||
	    bf_cli_exclusive("--gaps", a->gaps, "--count", a->count) == -1)
		exit(BF_EXIT_USAGE);
	if ((env = getenv("BF_NOW")) != NULL) {
		if (bf_cli_time("BF_NOW", env, 1, &a->fixed_now) == -1)
			exit(BF_EXIT_USAGE);
		a->fixed = &a->fixed_now;
	}
}

/* The wall clock, or BF_NOW (for tests) when it is set. */
static bf_time
now(const bf_time *fixed)
{
	return fixed != NULL ? *fixed : (bf_time)time(NULL);
}

static void
stop_msg(bf_time until, bf_time ws, const struct bf_part *p)
{
	char t1[BF_TIME_LEN], t2[BF_TIME_LEN];
	struct bf_buf nb = BF_BUF_INIT;

	bf_time_format(until, t1);
	bf_time_format(ws, t2);
	bf_plan_put_name(&nb, p->name, p->len);
	bf_warn("the run window ended at '%s': stopped before the window "
	    "at '%s' of partition '%s'; run again later", t1, t2,
	    bf_buf_str(&nb));
	bf_buf_free(&nb);
}

/* The windows held back to settle: how many, and the earliest end among
 * them. */
struct settling {
	long n;
	bf_time first_end;
};

static void
settle_note(const struct settling *w, int64_t settle, bf_time nowval)
{
	char t1[BF_TIME_LEN], t2[BF_TIME_LEN], d[24];

	bf_time_format(nowval, t1);
	if (bf_time_format(w->first_end + settle, t2) == 0)
		strcpy(t2, "after the year 9999");
	if (settle == 0)
		strcpy(d, "0");
	else
		bf_duration_format(settle, d, sizeof(d));
	bf_warn("%ld window%s wait%s to settle (now %s, --settle %s): not "
	    "planned; the first can be planned from %s", w->n,
	    w->n == 1 ? "" : "s", w->n == 1 ? "s" : "", t1, d, t2);
}

/* --count: one line that says what a plan would hold. */
static void
put_count(struct bf_buf *out, long planned, const struct settling *w,
    int64_t settle)
{
	char t[BF_TIME_LEN];

	bf_buf_printf(out, "{\"type\":\"plan\",\"windows\":%ld,"
	    "\"settling\":%ld", planned, w->n);
	if (w->n > 0) {
		if (bf_time_format(w->first_end + settle, t) != 0)
			bf_buf_printf(out, ",\"settled_from\":\"%s\"", t);
		else
			bf_buf_puts(out, ",\"settled_from\":null");
	}
	bf_buf_puts(out, "}\n");
}

static void
die(const struct bf_err *e)
{
	exit(bf_err_print(e));
}

/* --db: reads the warehouse's committed windows of the selection into wh
 * (nsel of them, allocated here) and makes them what the plan goes by;
 * warns of the windows a checkpoint calls committed that the warehouse
 * lacks (bf-load corrects the checkpoint when it next commits). */
static struct bf_ckpt *
plan_from_wh(const char *db, struct sel *sel, size_t nsel)
{
	struct bf_ckpt *wh = bf_xcalloc(nsel + 1, sizeof(*wh));
	struct bf_buf msg = BF_BUF_INIT;
	struct bf_err e = { 0 };
	size_t k;

	for (k = 0; k < nsel; k++)
		bf_ckpt_init(&wh[k], sel[k].part->name);
	if (bf_plan_wh_committed(db, wh, nsel, &e) == -1)
		die(&e);
	for (k = 0; k < nsel; k++) {
		sel[k].basis = &wh[k];
		bf_buf_reset(&msg);
		if (!sel[k].loaded)
			continue;
		if (bf_plan_missing(&sel[k].ckpt, &wh[k], &msg) > 0)
			bf_warn("warning: %s", bf_buf_str(&msg));
		bf_plan_basis(&sel[k].ckpt, &wh[k]);
	}
	bf_buf_free(&msg);
	return wh;
}

static void
gap_cb(void *ctx, bf_time from, bf_time to)
{
	struct sel *s = ctx;
	struct bf_buf out = BF_BUF_INIT;

	bf_plan_put_gap(&out, s->json, s->jlen, from, to);
	fwrite(out.s, 1, out.len, stdout);
	bf_buf_free(&out);
}

/* The partitions the plan is for: -p, --partitions or stdin, after
 * --shard, each with its checkpoint (--state) and, with --db, the
 * warehouse's committed windows (*wh). Sets *nsel. */
static struct sel *
select_partitions(const struct args *a, struct bf_partlist *pl,
    struct bf_ckpt **wh, size_t *nsel)
{
	struct bf_buf out = BF_BUF_INIT;
	struct bf_err e = { 0 };
	struct sel *sel;
	size_t k;
	int c;

	for (c = 0; c < a->npnames; c++)
		if (bf_partlist_add(pl, a->pnames[c], strlen(a->pnames[c]),
		    NULL, 0, &e) == -1)
			die(&e);
	if (a->partfile != NULL || a->npnames == 0)
		if (bf_partlist_read(pl, a->partfile ? a->partfile : "-", &e) ==
		    -1)
			die(&e);
	if (pl->n == 0) {
		bf_warn("no partitions: give -p, --partitions or a list on "
		    "standard input");
		exit(BF_EXIT_USAGE);
	}
	sel = bf_xcalloc(pl->n, sizeof(*sel));
	*nsel = 0;
	for (k = 0; k < pl->n; k++) {
		struct sel *s;

		if (!bf_shard_has(&a->shard, pl->v[k].name, pl->v[k].len))
			continue;
		s = &sel[(*nsel)++];
		s->part = &pl->v[k];
		bf_json_put_str(&out, pl->v[k].name, pl->v[k].len);
		s->jlen = out.len;
		s->json = bf_buf_detach(&out);
		if (a->state == NULL)
			continue;
		if (bf_ckpt_load(a->state, pl->v[k].name, &s->ckpt, &e) == -1)
			die(&e);
		s->loaded = 1;
		s->basis = &s->ckpt;
	}
	*wh = a->db != NULL ? plan_from_wh(a->db, sel, *nsel) : NULL;
	return sel;
}

/* What planning found: the windows planned (--count), those held back to
 * settle, and why it stopped (1: the run window ended, 2: a lost write). */
struct outcome {
	long planned;
	struct settling waiting;
	int stopped;
};

/* Window [ws, we) of partition s: held back to settle, counted, or
 * written; sets o->stopped when the run window has ended or a write
 * fails. */
static void
plan_one(const struct args *a, const struct bf_plan *plan, struct sel *s,
    bf_time ws, bf_time we, bf_time limit, struct outcome *o)
{
	struct bf_buf out = BF_BUF_INIT;

	if (bf_plan_skip(&s->skip, ws, we))
		return;
	if (!bf_settled(we, limit)) {
		if (o->waiting.n++ == 0 || we < o->waiting.first_end)
			o->waiting.first_end = we;
		return;
	}
	if (a->count) {
		o->planned++;
		return;
	}
	if (a->has_until && now(a->fixed) >= a->until) {
		stop_msg(a->until, ws, s->part);
		o->stopped = 1;
		return;
	}
	bf_plan_put_window(&out, s->json, s->jlen, ws, we, plan->name);
	if (fwrite(out.s, 1, out.len, stdout) != out.len)
		o->stopped = 2;
	bf_buf_free(&out);
}

/* The window lines: in partition order, for each partition its windows;
 * in time order, for each window the partitions. */
static void
plan_windows(const struct args *a, const struct bf_plan *plan,
    struct sel *sel, size_t nsel, bf_time limit, struct outcome *o)
{
	struct bf_plan_iter it;
	bf_time ws, we;
	size_t outer = a->by_time ? nsel > 0 : nsel, i, k;

	if (a->has_until && !a->count)
		setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < outer && !o->stopped; i++) {
		bf_plan_iter_init(&it, plan);
		while (!o->stopped && bf_plan_iter_next(&it, &ws, &we)) {
			size_t lo = a->by_time ? 0 : i;
			size_t hi = a->by_time ? nsel : i + 1;

			for (k = lo; k < hi && !o->stopped; k++)
				plan_one(a, plan, &sel[k], ws, we, limit, o);
		}
	}
}

int
main(int argc, char *argv[])
{
	struct bf_partlist pl = BF_PARTLIST_INIT;
	struct bf_ckpt *wh;
	struct outcome o = { 0, { 0, 0 }, 0 };
	struct bf_plan plan;
	struct bf_buf out = BF_BUF_INIT;
	struct bf_err e = { 0 };
	struct args a;
	struct sel *sel;
	size_t nsel, k;
	bf_time settle_now, limit;
	int rc;

	bf_cli_start(argc, argv);
	parse_args(argc, argv, &a);
	if (bf_plan_init(&plan, a.from, a.to, a.size, a.has_align ? &a.align :
	    NULL, a.bday, &e) == -1)
		die(&e);
	/* Settle from --now, else BF_NOW, else the clock, read once: one
	 * plan, one limit. --until keeps watching the clock (or BF_NOW). */
	settle_now = a.has_now ? a.now : now(a.fixed);
	limit = bf_settle_limit(settle_now, a.settle);
	sel = select_partitions(&a, &pl, &wh, &nsel);
	for (k = 0; k < nsel; k++) {
		struct sel *s = &sel[k];

		if (!a.gaps && s->basis != NULL && bf_plan_check(&plan,
		    s->basis, a.force, &e) == -1)
			die(&e);
		bf_plan_skip_init(&s->skip, &plan, s->basis, a.force);
	}
	if (a.gaps)
		for (k = 0; k < nsel; k++)
			bf_ckpt_gaps(sel[k].basis, a.from, a.to, gap_cb,
			    &sel[k]);
	else
		plan_windows(&a, &plan, sel, nsel, limit, &o);
	if (a.count) {
		put_count(&out, o.planned, &o.waiting, a.settle);
		fwrite(out.s, 1, out.len, stdout);
	} else if (o.waiting.n > 0 && o.stopped == 0)
		settle_note(&o.waiting, a.settle, settle_now);

	for (k = 0; k < nsel; k++) {
		free(sel[k].json);
		if (sel[k].loaded)
			bf_ckpt_free(&sel[k].ckpt);
		if (wh != NULL)
			bf_ckpt_free(&wh[k]);
	}
	free(wh);
	free(sel);
	bf_partlist_free(&pl);
	bf_buf_free(&out);
	free(a.pnames);
	rc = bf_close_stdout();
	if (rc != 0)
		return rc;
	return o.stopped == 1 ? BF_EXIT_TEMPFAIL : BF_EXIT_OK;
}
