/*
 * bf-fetch: pull telemetry for each window line from a source.
 * Command-line layer only; the loop is fetch.c, the sources source-*.c.
 */
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
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

#define SYNOPSIS \
"usage: bf-fetch -s prometheus|postgres|file|exec [-nv]\n" \
"                [--check | --no-check] [-j N] [-m FILE] [-r RATE]\n" \
"                [-t TIMEOUT] [--budget TARGET] [--source-id NAME]\n" \
"                [options] [FILE...]\n"

/* The synopsis; with full, every option (--help). */
static void
usage(FILE *fp, int full)
{
	fputs(SYNOPSIS, fp);
	if (!full) {
		fprintf(fp, "Try '%s --help' for the options.\n", bf_progname);
		return;
	}
	fprintf(fp,
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
"  -h, --help   --version\n");
}

enum {
	O_STEP = 256, O_LABEL, O_DB, O_TABLE, O_TSCOL, O_IDCOL, O_INSTCOL,
	O_METCOL, O_VALCOL, O_UNITCOL, O_PAGE, O_STMT, O_INSTANCE, O_STAT,
	O_COMMAND, O_NEXT, O_NOW, O_BURST, O_RETRIES, O_BACKOFF, O_CAP,
	O_CONNECT, O_BREAKER, O_COOL, O_MAXPAGES, O_VERSION, O_BEARER,
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
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

static int
bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", bf_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return BF_EXIT_USAGE;
}

static int
num(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "%s: %s: expected a number from %ld to %ld, "
		    "not '%s'\n", bf_progname, opt, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int
dur(const char *opt, const char *s, int allow_zero, int64_t *ms)
{
	if (bf_ms_parse(s, ms) < 0 || (*ms == 0 && !allow_zero)) {
		fprintf(stderr, "%s: %s: bad duration '%s' (e.g. 500ms, 30s, "
		    "5m)\n", bf_progname, opt, s);
		return -1;
	}
	return 0;
}

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

int
main(int argc, char **argv)
{
	struct bf_fetch_opts o;
	struct bf_buf idbuf = BF_BUF_INIT;
	struct bf_err e;
	const char *split = NULL;
	int ndata = 0, npart = 0, c, rc, seen[NONLY];
	long v;
	int64_t ms;
	size_t k;

	bf_setprogname(argv[0]);
	bf_stdout_init();
	argv[0] = (char *)bf_progname; /* getopt names the program too */
	bf_fetch_opts_init(&o);
	memset(seen, 0, sizeof(seen));
	o.now = (bf_time)time(NULL);
	while ((c = getopt_long(argc, argv, "d:f:hj:m:nr:s:t:u:v", longopts,
	    NULL)) != -1) {
		for (k = 0; k < NONLY; k++)
			if (only_for[k].opt == c)
				seen[k] = 1;
		switch (c) {
		case 'd':
			data = realloc(data, (size_t)(ndata + 1) *
			    sizeof(*data));
			if (data == NULL)
				return bad("out of memory");
			data[ndata++] = optarg;
			break;
		case 'f':
			if ((o.format = bf_format_parse(optarg)) < 0)
				return bad("--format: unknown format '%s' "
				    "(auto, ndjson, cw-data, cw-stats, csv)",
				    optarg);
			break;
		case 'h':
			usage(stdout, 1);
			return bf_close_stdout();
		case 'j':
			if (num("-j", optarg, 1, 256, &v) < 0)
				return BF_EXIT_USAGE;
			o.jobs = (int)v;
			break;
		case 'm':
			o.metrics_path = optarg;
			break;
		case 'n':
			o.dry_run = 1;
			break;
		case O_CHECK:
		case O_NOCHECK:
			if (o.check != BF_CHECK_FIRST && o.check !=
			    (c == O_CHECK ? BF_CHECK_ONLY : BF_CHECK_NONE))
				return bad("--check and --no-check do not go "
				    "together");
			o.check = c == O_CHECK ? BF_CHECK_ONLY : BF_CHECK_NONE;
			break;
		case 'r':
			if (bf_rate_parse(optarg, &o.rate_n,
			    &o.rate_per_ms) < 0)
				return bad("--rate: bad rate '%s' (e.g. 10, "
				    "10/s, 600/m, 1/10s)", optarg);
			break;
		case 's':
			for (o.kind = 4; o.kind > 0; o.kind--)
				if (strcmp(optarg, kinds[o.kind]) == 0)
					break;
			if (o.kind == 0)
				return bad("--source: unknown source '%s' "
				    "(prometheus, postgres, file, exec)",
				    optarg);
			break;
		case 't':
			if (dur("--timeout", optarg, 0, &o.timeout_ms) < 0)
				return BF_EXIT_USAGE;
			break;
		case 'u':
			o.url = optarg;
			break;
		case 'v':
			o.verbose = 1;
			break;
		case O_STEP:
			if (dur("--step", optarg, 0, &ms) < 0)
				return BF_EXIT_USAGE;
			if (ms % 1000 != 0)
				return bad("--step: '%s' is not a whole "
				    "number of seconds", optarg);
			o.step = ms / 1000;
			break;
		case O_LOOKBACK:
			if (dur("--lookback", optarg, 1, &ms) < 0)
				return BF_EXIT_USAGE;
			if (ms % 1000 != 0)
				return bad("--lookback: '%s' is not a whole "
				    "number of seconds", optarg);
			o.lookback = ms / 1000;
			break;
		case O_PARTIAL:
			o.accept_partial = 1;
			break;
		case O_LABEL:
			o.instance_label = optarg;
			break;
		case O_BEARER:
			o.bearer_token_file = optarg;
			break;
		case O_DB:
			o.db = optarg;
			break;
		case O_TABLE:
			o.table = optarg;
			break;
		case O_TSCOL:
			o.col_ts = optarg;
			break;
		case O_IDCOL:
			o.col_id = optarg;
			break;
		case O_INSTCOL:
			o.col_instance = optarg;
			break;
		case O_METCOL:
			o.col_metric = optarg;
			break;
		case O_VALCOL:
			o.col_value = optarg;
			break;
		case O_UNITCOL:
			o.col_unit = optarg;
			break;
		case O_PAGE:
			if (num("--page", optarg, 1, 1000000, &v) < 0)
				return BF_EXIT_USAGE;
			o.page = v;
			break;
		case O_STMT:
			if (dur("--statement-timeout", optarg, 1,
			    &o.statement_timeout_ms) < 0)
				return BF_EXIT_USAGE;
			break;
		case O_MEMORY:
			if (bf_cli_size("--memory", optarg, &o.memory) < 0)
				return BF_EXIT_USAGE;
			break;
		case O_TMPDIR:
			o.tmpdir = optarg;
			break;
		case O_INSTANCE:
			o.instance = optarg;
			break;
		case O_STAT:
			o.statistic = optarg;
			break;
		case O_COMMAND:
			o.command = optarg;
			break;
		case O_NEXT:
			o.next_args = optarg;
			break;
		case O_NOW:
			if (bf_time_parse_any(optarg, strlen(optarg), &o.now,
			    NULL) < 0)
				return bad("--now: bad time '%s'", optarg);
			break;
		case O_BURST:
			if (num("--burst", optarg, 1, 100000, &v) < 0)
				return BF_EXIT_USAGE;
			o.burst = v;
			break;
		case O_RETRIES:
			if (num("--retries", optarg, 0, 100, &v) < 0)
				return BF_EXIT_USAGE;
			o.backoff.retries = (int)v;
			break;
		case O_BACKOFF:
			if (dur("--backoff", optarg, 1,
			    &o.backoff.base_ms) < 0)
				return BF_EXIT_USAGE;
			break;
		case O_CAP:
			if (dur("--backoff-cap", optarg, 1,
			    &o.backoff.cap_ms) < 0)
				return BF_EXIT_USAGE;
			break;
		case O_CONNECT:
			if (dur("--connect-timeout", optarg, 0,
			    &o.connect_timeout_ms) < 0)
				return BF_EXIT_USAGE;
			break;
		case O_BREAKER:
			if (num("--breaker", optarg, 0, 1000000, &v) < 0)
				return BF_EXIT_USAGE;
			o.breaker = (int)v;
			break;
		case O_COOL:
			if (dur("--cool-down", optarg, 1, &o.cooldown_ms) < 0)
				return BF_EXIT_USAGE;
			break;
		case O_MAXPAGES:
			if (num("--max-pages", optarg, 1, LONG_MAX / 2, &v) < 0)
				return BF_EXIT_USAGE;
			o.max_pages = v;
			break;
		case O_BUDGET:
			if (*optarg == '\0')
				return bad("--budget: empty target");
			o.budget = optarg;
			break;
		case O_SOURCEID:
			if (*optarg == '\0')
				return bad("--source-id: empty name");
			o.source_id = optarg;
			break;
		case O_SPLIT:
			if (*optarg == '\0')
				return bad("--split: empty directory name");
			split = optarg;
			break;
		case O_SPLITPART:
			if (*optarg == '\0')
				return bad("--split-part: empty file name");
			part = realloc(part, (size_t)(npart + 1) *
			    sizeof(*part));
			if (part == NULL)
				return bad("out of memory");
			part[npart++] = optarg;
			break;
		case O_VERSION:
			bf_print_version();
			return bf_close_stdout();
		default:
			usage(stderr, 0);
			return BF_EXIT_USAGE;
		}
	}
	if (o.kind == 0) {
		fprintf(stderr, "%s: --source is required\n", bf_progname);
		usage(stderr, 0);
		return BF_EXIT_USAGE;
	}
	for (k = 0; k < NONLY; k++)
		if (seen[k] && !(only_for[k].kinds & K(o.kind))) {
			free(data);
			free(part);
			return bad("%s does not apply to --source %s",
			    only_for[k].name, kinds[o.kind]);
		}
	if (o.check == BF_CHECK_ONLY && o.dry_run) {
		free(data);
		free(part);
		return bad("--check and --dry-run do not go together: the dry "
		    "run asks nothing");
	}
	if (split != NULL && (npart > 0 || o.check == BF_CHECK_ONLY ||
	    o.dry_run || optind < argc)) {
		free(data);
		free(part);
		return bad("--split reads no window: %s does not apply",
		    npart > 0 ? "--split-part" : o.dry_run ? "--dry-run" :
		    o.check == BF_CHECK_ONLY ? "--check" : "a FILE argument");
	}
	if (o.backoff.cap_ms < o.backoff.base_ms)
		o.backoff.cap_ms = o.backoff.base_ms;
	o.data = data;
	o.ndata = ndata;
	if (o.source_id == NULL)
		o.source_id = default_id(&o, &idbuf);
	if (npart > 0) {
		/* the --data files named the source; the parts are read */
		o.data = part;
		o.ndata = npart;
	}
	bf_err_clear(&e);
	if (split != NULL)
		rc = bf_split_run(&o, split, stdout, &e);
	else
		rc = bf_fetch_run(&o, argv + optind, argc - optind, &e);
	free(data);
	free(part);
	bf_buf_free(&idbuf);
	if (rc < 0)
		return bf_err_print(&e);
	c = bf_close_stdout();
	return c != 0 ? c : rc;
}
