/*
 * bf-fetch: pull telemetry for each window line from a source.
 * Command-line layer only; the loop is fetch.c, the sources source-*.c.
 */
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budget.h"
#include "cli.h"
#include "err.h"
#include "fetch.h"
#include "retry.h"
#include "source.h"
#include "split.h"
#include "timeutil.h"

static const struct bf_cli cli = {
	"bf-fetch -s prometheus|postgres|file|exec [-nv]\n"
	"                [--check | --no-check] [-j N] [-m FILE] [-r RATE]\n"
	"                [-t TIMEOUT] [--budget TARGET] [--source-id NAME]\n"
	"                [options] [FILE...]\n",
"source options:\n"
"  -u, --url URL            prometheus: base URL of the HTTP API\n"
"      --step D             native granularity (prometheus: 60s)\n"
"      --instance-label L   prometheus: series label naming the instance\n"
"                           (instance_id)\n"
"      --bearer-token-file F  prometheus: file holding a bearer token\n"
"      --accept-partial     prometheus: bill answers with warnings or\n"
"                           status partial (else the window fails)\n"
"      --db CONNINFO        postgres: connection string without password\n"
"      --table NAME         postgres: telemetry table (telemetry)\n"
"      --ts-column C --id-column C --instance-column C --metric-column C\n"
"      --value-column C --unit-column C\n"
"                           postgres and CSV columns (ts id instance_id\n"
"                           metric value unit)\n"
"      --page N             postgres: rows per page (10000)\n"
"      --statement-timeout D  postgres (60s)\n"
"  -d, --data FILE          file: a data file (repeatable)\n"
"  -f, --format F           file, exec: auto ndjson cw-data cw-stats csv\n"
"      --instance NAME      instance of records that name none\n"
"      --memory SIZE        file: records held in memory (64M)\n"
"      --tmpdir DIR         file: where sorted runs spill ($TMPDIR)\n"
"      --statistic S        get-metric-statistics statistic\n"
"      --command TEMPLATE   exec: the command per window\n"
"      --next-args TEMPLATE exec: arguments added for a next page\n"
"      --now T              present time for CloudWatch retention tiers\n"
"      --lookback D         last sample of each series before the window,\n"
"                           at most D old (1h; 0: none)\n"
"      --split DIR          file: write the --data files' records split by\n"
"                           partition into DIR, list the parts, and exit\n"
"                           (no window is read)\n"
"      --split-part FILE    file: read FILE, a part --split wrote, instead\n"
"                           of the --data files, which still name the source\n"
"                           (repeatable)\n"
"resilience:\n"
"  -j, --jobs N             windows in flight (4)\n"
"  -r, --rate R             requests per second, R or R/s R/m R/DURATION\n"
"                           (0: no limit, the default)\n"
"      --burst N            token bucket size (1)\n"
"      --retries N          retries after the first attempt (4)\n"
"      --backoff D          first backoff ceiling (200ms)\n"
"      --backoff-cap D      largest backoff ceiling (30s)\n"
"  -t, --timeout D          one request or command, whole (30s)\n"
"      --connect-timeout D  (10s)\n"
"      --breaker K          consecutive failures that open the circuit\n"
"                           breaker (5; 0: none)\n"
"      --cool-down D        open breaker's wait before a probe (30s)\n"
"      --max-pages N        pages of one window at most (1000)\n"
"      --budget TARGET      share the bucket, breaker and Retry-After with\n"
"                           every process: a directory or a PostgreSQL\n"
"                           URI or conninfo (default: this process only)\n"
"      --source-id NAME     the source's name in the budget (from the\n"
"                           kind and its URL, conninfo or data files)\n"
"other:\n"
"  -m, --metrics FILE       metrics map, CSV metric,unit,query\n"
"      --check              only check the queries for the first window\n"
"                           (fetch nothing); else they are checked once\n"
"                           before the first window is fetched\n"
"      --no-check           do not check the queries first\n"
"  -n, --dry-run            print the request plan, call nothing\n"
"  -v, --verbose            log every retry\n"
"  -h, --help  -V, --version\n",
};

enum {
	O_STEP = 256, O_LABEL, O_DB, O_TABLE, O_TSCOL, O_IDCOL, O_INSTCOL,
	O_METCOL, O_VALCOL, O_UNITCOL, O_PAGE, O_STMT, O_INSTANCE, O_STAT,
	O_COMMAND, O_NEXT, O_NOW, O_BURST, O_RETRIES, O_BACKOFF, O_CAP,
	O_CONNECT, O_BREAKER, O_COOL, O_MAXPAGES, O_BEARER,
	O_LOOKBACK, O_PARTIAL, O_CHECK, O_NOCHECK, O_BUDGET, O_SOURCEID,
	O_SPLIT, O_SPLITPART, O_MEMORY, O_TMPDIR,
};

static const struct option longopts[] = {
	{ "data", required_argument, NULL, 'd' },
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "metrics", required_argument, NULL, 'm' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "check", no_argument, NULL, O_CHECK },
	{ "no-check", no_argument, NULL, O_NOCHECK },
	{ "rate", required_argument, NULL, 'r' },
	{ "source", required_argument, NULL, 's' },
	{ "timeout", required_argument, NULL, 't' },
	{ "url", required_argument, NULL, 'u' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "step", required_argument, NULL, O_STEP },
	{ "instance-label", required_argument, NULL, O_LABEL },
	{ "bearer-token-file", required_argument, NULL, O_BEARER },
	{ "accept-partial", no_argument, NULL, O_PARTIAL },
	{ "db", required_argument, NULL, O_DB },
	{ "table", required_argument, NULL, O_TABLE },
	{ "ts-column", required_argument, NULL, O_TSCOL },
	{ "id-column", required_argument, NULL, O_IDCOL },
	{ "instance-column", required_argument, NULL, O_INSTCOL },
	{ "metric-column", required_argument, NULL, O_METCOL },
	{ "value-column", required_argument, NULL, O_VALCOL },
	{ "unit-column", required_argument, NULL, O_UNITCOL },
	{ "page", required_argument, NULL, O_PAGE },
	{ "statement-timeout", required_argument, NULL, O_STMT },
	{ "instance", required_argument, NULL, O_INSTANCE },
	{ "memory", required_argument, NULL, O_MEMORY },
	{ "tmpdir", required_argument, NULL, O_TMPDIR },
	{ "statistic", required_argument, NULL, O_STAT },
	{ "command", required_argument, NULL, O_COMMAND },
	{ "next-args", required_argument, NULL, O_NEXT },
	{ "now", required_argument, NULL, O_NOW },
	{ "lookback", required_argument, NULL, O_LOOKBACK },
	{ "burst", required_argument, NULL, O_BURST },
	{ "retries", required_argument, NULL, O_RETRIES },
	{ "backoff", required_argument, NULL, O_BACKOFF },
	{ "backoff-cap", required_argument, NULL, O_CAP },
	{ "connect-timeout", required_argument, NULL, O_CONNECT },
	{ "breaker", required_argument, NULL, O_BREAKER },
	{ "cool-down", required_argument, NULL, O_COOL },
	{ "max-pages", required_argument, NULL, O_MAXPAGES },
	{ "budget", required_argument, NULL, O_BUDGET },
	{ "source-id", required_argument, NULL, O_SOURCEID },
	{ "split", required_argument, NULL, O_SPLIT },
	{ "split-part", required_argument, NULL, O_SPLITPART },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Options that belong to one source: seen[k] counts their use. */
struct only {
	int opt;
	const char *name;
	int kinds; /* bit (1 << kind) */
};

#define K(x) (1 << (x))
static const struct only only_for[] = {
	{ 'u', "--url", K(BF_SRC_PROMETHEUS) },
	{ O_LABEL, "--instance-label", K(BF_SRC_PROMETHEUS) },
	{ O_BEARER, "--bearer-token-file", K(BF_SRC_PROMETHEUS) },
	{ O_PARTIAL, "--accept-partial", K(BF_SRC_PROMETHEUS) },
	{ O_DB, "--db", K(BF_SRC_POSTGRES) },
	{ O_TABLE, "--table", K(BF_SRC_POSTGRES) },
	{ O_IDCOL, "--id-column", K(BF_SRC_POSTGRES) },
	{ O_PAGE, "--page", K(BF_SRC_POSTGRES) },
	{ O_STMT, "--statement-timeout", K(BF_SRC_POSTGRES) },
	{ O_TSCOL, "--ts-column", K(BF_SRC_POSTGRES) | K(BF_SRC_FILE) |
	    K(BF_SRC_EXEC) },
	{ O_INSTCOL, "--instance-column", K(BF_SRC_POSTGRES) | K(BF_SRC_FILE) |
	    K(BF_SRC_EXEC) },
	{ O_METCOL, "--metric-column", K(BF_SRC_POSTGRES) | K(BF_SRC_FILE) |
	    K(BF_SRC_EXEC) },
	{ O_VALCOL, "--value-column", K(BF_SRC_POSTGRES) | K(BF_SRC_FILE) |
	    K(BF_SRC_EXEC) },
	{ O_UNITCOL, "--unit-column", K(BF_SRC_POSTGRES) | K(BF_SRC_FILE) |
	    K(BF_SRC_EXEC) },
	{ 'd', "--data", K(BF_SRC_FILE) },
	{ 'f', "--format", K(BF_SRC_FILE) | K(BF_SRC_EXEC) },
	{ O_INSTANCE, "--instance", K(BF_SRC_FILE) | K(BF_SRC_EXEC) },
	{ O_MEMORY, "--memory", K(BF_SRC_FILE) },
	{ O_TMPDIR, "--tmpdir", K(BF_SRC_FILE) },
	{ O_STAT, "--statistic", K(BF_SRC_FILE) | K(BF_SRC_EXEC) },
	{ O_COMMAND, "--command", K(BF_SRC_EXEC) },
	{ O_NEXT, "--next-args", K(BF_SRC_EXEC) },
	{ O_SPLIT, "--split", K(BF_SRC_FILE) },
	{ O_SPLITPART, "--split-part", K(BF_SRC_FILE) },
};
#define NONLY (sizeof(only_for) / sizeof(only_for[0]))

static const char *const kinds[] = { "", "prometheus", "postgres", "file",
	"exec" };

/* The --data and --split-part files (freed at the end; at file scope, so
 * that a usage error returning early leaves them reachable, not leaked). */
static char **data, **part;

/* The default --source-id (budget.h): the kind and its URL, conninfo,
 * data files or the command's program, in idbuf. */
static const char *
default_id(const struct bf_fetch_opts *o, struct bf_buf *idbuf)
{
	struct bf_buf loc = BF_BUF_INIT;
	int i;

	switch (o->kind) {
	case BF_SRC_PROMETHEUS:
		bf_buf_puts(&loc, o->url != NULL ? o->url : "");
		break;
	case BF_SRC_POSTGRES:
		bf_buf_puts(&loc, o->db != NULL ? o->db : "");
		break;
	case BF_SRC_FILE:
		for (i = 0; i < o->ndata; i++)
			bf_buf_printf(&loc, "%s%s", i ? "," : "", o->data[i]);
		break;
	default:
		if (o->command != NULL)
			bf_buf_add(&loc, o->command, strcspn(o->command,
			    " \t"));
		break;
	}
	bf_budget_default_id(kinds[o->kind], bf_buf_str(&loc), idbuf);
	bf_buf_free(&loc);
	return bf_buf_str(idbuf);
}

/* What the command line asks for beside the options of the fetch. */
struct args {
	struct bf_fetch_opts o;
	const char *split;   /* --split DIR */
	int ndata, npart;    /* of data and part */
	int seen[NONLY];     /* the source-specific options given */
};

/* Appends name to the list *v of n (a --data or --split-part file). */
static void
add_file(char ***v, int *n, const char *name)
{
	*v = bf_xrealloc(*v, (size_t)(*n + 1) * sizeof(**v));
	(*v)[(*n)++] = (char *)name;
}

/* A name that must not be empty (--budget, --source-id, --split...). */
static int
nonempty(const char *flag, const char *arg)
{
	if (*arg != '\0')
		return 0;
	bf_warn("bad %s '': expected a name", flag);
	return -1;
}

/* A duration in whole seconds, into *secs (--step, --lookback). */
static int
whole_secs(const char *flag, const char *arg, int zero_ok, int64_t *secs)
{
	int64_t ms;

	if (bf_cli_ms(flag, arg, zero_ok, &ms) == -1)
		return -1;
	if (ms % 1000 != 0) {
		bf_warn("bad %s '%s': expected whole seconds", flag, arg);
		return -1;
	}
	*secs = ms / 1000;
	return 0;
}

/* The options of the resilience of the fetch (-j, -r, -t, --retries...):
 * 1 when c is one of them (its value set, or *bad), else 0. */
static int
set_resilience(struct bf_fetch_opts *o, int c, const char *arg, int *bad)
{
	long v = 0;
	int r = 0;

	switch (c) {
	case 'j':
		r = bf_cli_long("--jobs", arg, 1, 256, &v);
		o->jobs = (int)v;
		break;
	case 'r':
		if ((r = bf_rate_parse(arg, &o->rate_n, &o->rate_per_ms)) < 0)
			bf_warn("bad --rate '%s': expected a rate such as 10, "
			    "10/s, 600/m, 1/10s", arg);
		break;
	case 't':
		r = bf_cli_ms("--timeout", arg, 0, &o->timeout_ms);
		break;
	case O_BURST:
		r = bf_cli_long("--burst", arg, 1, 100000, &v);
		o->burst = v;
		break;
	case O_RETRIES:
		r = bf_cli_long("--retries", arg, 0, 100, &v);
		o->backoff.retries = (int)v;
		break;
	case O_BACKOFF:
		r = bf_cli_ms("--backoff", arg, 1, &o->backoff.base_ms);
		break;
	case O_CAP:
		r = bf_cli_ms("--backoff-cap", arg, 1, &o->backoff.cap_ms);
		break;
	case O_CONNECT:
		r = bf_cli_ms("--connect-timeout", arg, 0,
		    &o->connect_timeout_ms);
		break;
	case O_BREAKER:
		r = bf_cli_long("--breaker", arg, 0, 1000000, &v);
		o->breaker = (int)v;
		break;
	case O_COOL:
		r = bf_cli_ms("--cool-down", arg, 1, &o->cooldown_ms);
		break;
	case O_MAXPAGES:
		r = bf_cli_long("--max-pages", arg, 1, LONG_MAX / 2, &v);
		o->max_pages = v;
		break;
	case O_BUDGET:
		r = nonempty("--budget", arg);
		o->budget = arg;
		break;
	case O_SOURCEID:
		r = nonempty("--source-id", arg);
		o->source_id = arg;
		break;
	default:
		return 0;
	}
	if (r < 0)
		*bad = 1;
	return 1;
}

/* The options whose value is kept as it is, and the member of struct
 * bf_fetch_opts (a const char *) that keeps it. */
static const struct bf_cli_str str_opts[] = {
	{ 'u', offsetof(struct bf_fetch_opts, url) },
	{ O_LABEL, offsetof(struct bf_fetch_opts, instance_label) },
	{ O_BEARER, offsetof(struct bf_fetch_opts, bearer_token_file) },
	{ O_DB, offsetof(struct bf_fetch_opts, db) },
	{ O_TABLE, offsetof(struct bf_fetch_opts, table) },
	{ O_TSCOL, offsetof(struct bf_fetch_opts, col_ts) },
	{ O_IDCOL, offsetof(struct bf_fetch_opts, col_id) },
	{ O_INSTCOL, offsetof(struct bf_fetch_opts, col_instance) },
	{ O_METCOL, offsetof(struct bf_fetch_opts, col_metric) },
	{ O_VALCOL, offsetof(struct bf_fetch_opts, col_value) },
	{ O_UNITCOL, offsetof(struct bf_fetch_opts, col_unit) },
	{ O_INSTANCE, offsetof(struct bf_fetch_opts, instance) },
	{ O_STAT, offsetof(struct bf_fetch_opts, statistic) },
	{ O_COMMAND, offsetof(struct bf_fetch_opts, command) },
	{ O_NEXT, offsetof(struct bf_fetch_opts, next_args) },
	{ O_TMPDIR, offsetof(struct bf_fetch_opts, tmpdir) },
	{ 'm', offsetof(struct bf_fetch_opts, metrics_path) },
	{ 0, 0 },
};

/* The options that name where the samples are (the source and its
 * columns, files, command): 1 when c is one of them, else 0. */
static int
set_source(struct args *a, int c, const char *arg, int *bad)
{
	static const char *const srcs[] = { "prometheus", "postgres", "file",
		"exec", NULL };
	struct bf_fetch_opts *o = &a->o;
	long v = 0;
	int r = 0, k;

	switch (c) {
	case 's':
		if ((r = bf_cli_choice("--source", arg, srcs, &k)) == 0)
			o->kind = k + 1; /* kinds[] */
		break;
	case 'd':
		add_file(&data, &a->ndata, arg);
		break;
	case O_PARTIAL:
		o->accept_partial = 1;
		break;
	case O_PAGE:
		r = bf_cli_long("--page", arg, 1, 1000000, &v);
		o->page = v;
		break;
	case O_STMT:
		r = bf_cli_ms("--statement-timeout", arg, 1,
		    &o->statement_timeout_ms);
		break;
	case O_MEMORY:
		r = bf_cli_size("--memory", arg, &o->memory);
		break;
	case 'f':
		if ((r = bf_cli_choice("--format", arg, bf_format_names,
		    &k)) == 0)
			o->format = k;
		break;
	case O_SPLIT:
		r = nonempty("--split", arg);
		a->split = arg;
		break;
	case O_SPLITPART:
		if ((r = nonempty("--split-part", arg)) == 0)
			add_file(&part, &a->npart, arg);
		break;
	default:
		return 0;
	}
	if (r < 0)
		*bad = 1;
	return 1;
}

/* The other options: what is asked of the windows. */
static void
set_opt(struct args *a, int c, const char *arg, int *bad)
{
	struct bf_fetch_opts *o = &a->o;

	if (bf_cli_str_set(str_opts, o, c, arg) || set_source(a, c, arg, bad) ||
	    set_resilience(o, c, arg, bad))
		return;
	switch (c) {
	case 'n':
		o->dry_run = 1;
		break;
	case 'v':
		o->verbose = 1;
		break;
	case O_CHECK:
	case O_NOCHECK:
		if (o->check != BF_CHECK_FIRST && o->check != (c == O_CHECK ?
		    BF_CHECK_ONLY : BF_CHECK_NONE)) {
			bf_warn("--check and --no-check do not go together");
			*bad = 1;
		}
		o->check = c == O_CHECK ? BF_CHECK_ONLY : BF_CHECK_NONE;
		break;
	case O_STEP:
		if (whole_secs("--step", arg, 0, &o->step) == -1)
			*bad = 1;
		break;
	case O_LOOKBACK:
		if (whole_secs("--lookback", arg, 1, &o->lookback) == -1)
			*bad = 1;
		break;
	case O_NOW:
		if (bf_cli_time("--now", arg, 1, &o->now) == -1)
			*bad = 1;
		break;
	default:
		bf_cli_fail(&cli);
	}
}

/* What does not go together: an option of another source, --check with
 * --dry-run, --split with what reads windows. */
static int
check_args(const struct args *a, int files)
{
	const struct bf_fetch_opts *o = &a->o;
	size_t k;

	if (bf_cli_required("--source", o->kind != 0) == -1)
		bf_cli_fail(&cli);
	for (k = 0; k < NONLY; k++)
		if (a->seen[k] && !(only_for[k].kinds & K(o->kind))) {
			bf_warn("%s does not apply to --source %s",
			    only_for[k].name, kinds[o->kind]);
			return -1;
		}
	if (o->check == BF_CHECK_ONLY && o->dry_run) {
		bf_warn("--check and --dry-run do not go together: the dry run "
		    "asks nothing");
		return -1;
	}
	if (a->split != NULL && (a->npart > 0 || o->check == BF_CHECK_ONLY ||
	    o->dry_run || files > 0)) {
		bf_warn("--split reads no window: %s does not apply",
		    a->npart > 0 ? "--split-part" : o->dry_run ? "--dry-run" :
		    o->check == BF_CHECK_ONLY ? "--check" : "a FILE argument");
		return -1;
	}
	return 0;
}

static void
parse_args(int argc, char **argv, struct args *a)
{
	int c, bad = 0;
	size_t k;

	memset(a, 0, sizeof(*a));
	bf_fetch_opts_init(&a->o);
	a->o.now = (bf_time)time(NULL);
	while ((c = getopt_long(argc, argv, "d:f:hj:m:nr:s:t:u:vV", longopts,
	    NULL)) != -1) {
		bf_cli_common(&cli, c);
		for (k = 0; k < NONLY; k++)
			if (only_for[k].opt == c)
				a->seen[k] = 1;
		set_opt(a, c, optarg, &bad);
	}
	if (bad || check_args(a, argc - optind) == -1) {
		free(data);
		free(part);
		exit(BF_EXIT_USAGE);
	}
	if (a->o.backoff.cap_ms < a->o.backoff.base_ms)
		a->o.backoff.cap_ms = a->o.backoff.base_ms;
}

int
main(int argc, char **argv)
{
	struct bf_buf idbuf = BF_BUF_INIT;
	struct bf_err e = { 0 };
	struct args a;
	int rc, c;

	bf_cli_start(argc, argv);
	bf_stdout_init();
	parse_args(argc, argv, &a);
	a.o.data = data;
	a.o.ndata = a.ndata;
	if (a.o.source_id == NULL)
		a.o.source_id = default_id(&a.o, &idbuf);
	if (a.npart > 0) {
		/* the --data files named the source; the parts are read */
		a.o.data = part;
		a.o.ndata = a.npart;
	}
	if (a.split != NULL)
		rc = bf_split_run(&a.o, a.split, stdout, &e);
	else
		rc = bf_fetch_run(&a.o, argv + optind, argc - optind, &e);
	free(data);
	free(part);
	bf_buf_free(&idbuf);
	if (rc < 0)
		return bf_err_print(&e);
	c = bf_close_stdout();
	return c != 0 ? c : rc;
}
