/*
 * bf-window: plan the windows of a backfill, one window line per
 * (partition, window). See bf-window(1); the logic is in lib/window.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "checkpoint.h"
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
	OPT_HELP,
	OPT_NOW,
	OPT_ORDER,
	OPT_SETTLE,
	OPT_UNTIL,
	OPT_VERSION,
};

static const struct option longopts[] = {
	{ "align", required_argument, NULL, OPT_ALIGN },
	{ "billing-day", required_argument, NULL, 'b' },
	{ "count", no_argument, NULL, OPT_COUNT },
	{ "db", required_argument, NULL, OPT_DB },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "from", required_argument, NULL, 'f' },
	{ "gaps", no_argument, NULL, OPT_GAPS },
	{ "help", no_argument, NULL, OPT_HELP },
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
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* The -p names, in order (pointers into argv). */
static char **pnames;
static int npnames;

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

static void
usage(FILE *fp, int status)
{
	fprintf(fp,
	    "usage: bf-window -f time -t time -s size [-b day] [-d dir] "
	    "[-P file]\n"
	    "                 [-p name]... [-S i/n] [--align time] [--count] "
	    "[--db target]\n"
	    "                 [--force] [--gaps] [--now time] "
	    "[--order time|partition]\n"
	    "                 [--settle duration] [--until time]\n");
	exit(status);
}

/* A time flag: RFC 3339, a date, or epoch seconds. Whole seconds unless
 * frac is allowed. */
static void
parse_time(const char *flag, const char *s, int frac, bf_time *t)
{
	int32_t ns = 0;

	if (bf_time_parse_any(s, strlen(s), t, &ns) == -1) {
		bf_warn("bad time '%s' for %s", s, flag);
		exit(BF_EXIT_USAGE);
	}
	if (ns != 0 && !frac) {
		bf_warn("bad time '%s' for %s: windows are whole seconds", s,
		    flag);
		exit(BF_EXIT_USAGE);
	}
}

static int
parse_billing_day(const char *s)
{
	int d = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9' && d <= 28; p++)
		d = d * 10 + (*p - '0');
	if (p == s || *p != '\0' || d < 1 || d > 28) {
		bf_warn("bad billing day '%s': expected 1 to 28", s);
		exit(BF_EXIT_USAGE);
	}
	return d;
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
	struct bf_err e;
	size_t k;

	bf_err_clear(&e);
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

int
main(int argc, char *argv[])
{
	const char *from_s = NULL, *to_s = NULL, *size_s = NULL;
	const char *partfile = NULL, *state = NULL, *shard_s = NULL;
	const char *db = NULL;
	struct bf_ckpt *wh = NULL;
	const char *order = "partition";
	bf_time from, to, align, until = 0, nowval, *nowp = NULL;
	bf_time now_flag = 0, settle_now, limit;
	int has_align = 0, has_until = 0, force = 0, gaps = 0, bday = 1;
	int by_time = 0, stopped = 0, c, rc, has_now = 0, count = 0;
	int64_t size = 86400, settle = 3600;
	long planned = 0;
	struct settling waiting = { 0, 0 };
	struct bf_partlist pl = BF_PARTLIST_INIT;
	struct bf_shard shard = { 0, 0 };
	struct bf_plan plan;
	struct bf_err e;
	struct bf_buf out = BF_BUF_INIT;
	struct sel *sel;
	size_t nsel = 0, k;

	bf_setprogname(argv[0]);
	argv[0] = (char *)bf_progname; /* getopt names the program too */
	bf_err_clear(&e);
	pnames = bf_xcalloc((size_t)argc + 1, sizeof(*pnames));
	while ((c = getopt_long(argc, argv, "b:d:f:P:p:S:s:t:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'b':
			bday = parse_billing_day(optarg);
			break;
		case 'd':
			state = optarg;
			break;
		case 'f':
			from_s = optarg;
			break;
		case 'P':
			partfile = optarg;
			break;
		case 'p':
			pnames[npnames++] = optarg;
			break;
		case 'S':
			shard_s = optarg;
			break;
		case 's':
			size_s = optarg;
			break;
		case 't':
			to_s = optarg;
			break;
		case OPT_ALIGN:
			parse_time("--align", optarg, 0, &align);
			has_align = 1;
			break;
		case OPT_COUNT:
			count = 1;
			break;
		case OPT_DB:
			db = optarg;
			if (bf_target_check_arg("--db", db, &e) == -1)
				die(&e);
			break;
		case OPT_NOW:
			parse_time("--now", optarg, 1, &now_flag);
			has_now = 1;
			break;
		case OPT_SETTLE:
			/* 0 plans a window as soon as it is over; other
			 * durations are positive (bf(7)). */
			if (bf_duration_parse0(optarg, &settle) == -1 ||
			    settle > BF_GRID_SIZE_MAX) {
				bf_warn("bad --settle '%s': expected 0 or a "
				    "duration such as 1h, 90m, 1d", optarg);
				return BF_EXIT_USAGE;
			}
			break;
		case OPT_FORCE:
			force = 1;
			break;
		case OPT_GAPS:
			gaps = 1;
			break;
		case OPT_HELP:
			usage(stdout, 0);
			break;
		case OPT_ORDER:
			order = optarg;
			break;
		case OPT_UNTIL:
			parse_time("--until", optarg, 1, &until);
			has_until = 1;
			break;
		case OPT_VERSION:
			bf_print_version();
			return bf_close_stdout();
		default:
			usage(stderr, BF_EXIT_USAGE);
		}
	}
	if (optind < argc) {
		bf_warn("unexpected argument '%s'", argv[optind]);
		usage(stderr, BF_EXIT_USAGE);
	}
	if (from_s == NULL || to_s == NULL) {
		bf_warn("--from and --to are required");
		usage(stderr, BF_EXIT_USAGE);
	}
	if (size_s == NULL && !gaps) {
		bf_warn("--size is required");
		usage(stderr, BF_EXIT_USAGE);
	}
	parse_time("--from", from_s, 0, &from);
	parse_time("--to", to_s, 0, &to);
	if (size_s != NULL && bf_duration_parse(size_s, &size) == -1) {
		bf_warn("bad window size '%s': expected a positive number and "
		    "a unit s, m, h, d or w", size_s);
		return BF_EXIT_USAGE;
	}
	if (strcmp(order, "time") == 0)
		by_time = 1;
	else if (strcmp(order, "partition") != 0) {
		bf_warn("bad order '%s': expected time or partition", order);
		return BF_EXIT_USAGE;
	}
	if (shard_s != NULL && bf_shard_parse(shard_s, &shard, &e) == -1)
		die(&e);
	if (gaps && state == NULL && db == NULL) {
		bf_warn("--gaps needs --state or --db");
		return BF_EXIT_USAGE;
	}
	if (gaps && force) {
		bf_warn("--gaps and --force do not go together");
		return BF_EXIT_USAGE;
	}
	if (gaps && count) {
		bf_warn("--gaps and --count do not go together");
		return BF_EXIT_USAGE;
	}
	if (getenv("BF_NOW") != NULL) {
		const char *s = getenv("BF_NOW");

		if (bf_time_parse_any(s, strlen(s), &nowval, NULL) == -1) {
			bf_warn("bad time '%s' in BF_NOW", s);
			return BF_EXIT_USAGE;
		}
		nowp = &nowval;
	}
	if (bf_plan_init(&plan, from, to, size, has_align ? &align : NULL,
	    bday, &e) == -1)
		die(&e);
	/* Settle from --now, else BF_NOW, else the clock, read once: one
	 * plan, one limit. --until keeps watching the clock (or BF_NOW). */
	settle_now = has_now ? now_flag : now(nowp);
	limit = bf_settle_limit(settle_now, settle);

	for (c = 0; c < npnames; c++)
		if (bf_partlist_add(&pl, pnames[c], strlen(pnames[c]), NULL,
		    0, &e) == -1)
			die(&e);
	if (partfile != NULL || npnames == 0)
		if (bf_partlist_read(&pl, partfile ? partfile : "-", &e) == -1)
			die(&e);
	if (pl.n == 0) {
		bf_warn("no partitions: give -p, --partitions or a list on "
		    "standard input");
		return BF_EXIT_USAGE;
	}

	sel = bf_xcalloc(pl.n, sizeof(*sel));
	for (k = 0; k < pl.n; k++) {
		struct sel *s;

		if (!bf_shard_has(&shard, pl.v[k].name, pl.v[k].len))
			continue;
		s = &sel[nsel++];
		s->part = &pl.v[k];
		bf_buf_reset(&out);
		bf_json_put_str(&out, pl.v[k].name, pl.v[k].len);
		s->jlen = out.len;
		s->json = bf_buf_detach(&out);
		if (state != NULL) {
			if (bf_ckpt_load(state, pl.v[k].name, &s->ckpt, &e) ==
			    -1)
				die(&e);
			s->loaded = 1;
			s->basis = &s->ckpt;
		}
	}
	if (db != NULL)
		wh = plan_from_wh(db, sel, nsel);
	for (k = 0; k < nsel; k++) {
		struct sel *s = &sel[k];

		if (!gaps && s->basis != NULL && bf_plan_check(&plan,
		    s->basis, force, &e) == -1)
			die(&e);
		bf_plan_skip_init(&s->skip, &plan, s->basis, force);
	}

	if (gaps) {
		for (k = 0; k < nsel; k++)
			bf_ckpt_gaps(sel[k].basis, from, to, gap_cb,
			    &sel[k]);
	} else {
		struct bf_plan_iter it;
		bf_time ws, we;
		size_t outer = by_time ? nsel > 0 : nsel, i;

		if (has_until && !count)
			setvbuf(stdout, NULL, _IOLBF, 0);
		/* Partition order: for each partition, its windows. Time
		 * order: for each window, the partitions. */
		for (i = 0; i < outer && !stopped; i++) {
			bf_plan_iter_init(&it, &plan);
			while (!stopped && bf_plan_iter_next(&it, &ws, &we)) {
				size_t lo = by_time ? 0 : i;
				size_t hi = by_time ? nsel : i + 1;

				for (k = lo; k < hi; k++) {
					struct sel *s = &sel[k];

					if (bf_plan_skip(&s->skip, ws, we))
						continue;
					if (!bf_settled(we, limit)) {
						if (waiting.n++ == 0 ||
						    we < waiting.first_end)
							waiting.first_end = we;
						continue;
					}
					if (count) {
						planned++;
						continue;
					}
					if (has_until && now(nowp) >= until) {
						stop_msg(until, ws, s->part);
						stopped = 1;
						break;
					}
					bf_buf_reset(&out);
					bf_plan_put_window(&out, s->json,
					    s->jlen, ws, we, plan.name);
					if (fwrite(out.s, 1, out.len,
					    stdout) != out.len) {
						stopped = 2;
						break;
					}
				}
			}
		}
	}

	if (count) {
		bf_buf_reset(&out);
		put_count(&out, planned, &waiting, settle);
		fwrite(out.s, 1, out.len, stdout);
	} else if (waiting.n > 0 && stopped == 0)
		settle_note(&waiting, settle, settle_now);

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
	free(pnames);
	rc = bf_close_stdout();
	if (rc != 0)
		return rc;
	return stopped == 1 ? BF_EXIT_TEMPFAIL : BF_EXIT_OK;
}
