/*
 * bf-ledger: read the cost warehouse for people: verify the ledger,
 * chargeback, quotas, exports (FOCUS among them) and gaps. See
 * bf-ledger(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anchor.h"
#include "err.h"
#include "files.h"
#include "focus.h"
#include "json.h"
#include "load.h"
#include "report-html.h"
#include "report.h"
#include "timeutil.h"
#include "verify.h"
#include "warehouse.h"
#include "window.h"

enum {
	OPT_ACCOUNT = 256,
	OPT_CANONICAL,
	OPT_DLQ,
	OPT_NOW,
	OPT_OPERATOR,
	OPT_PARTITION,
	OPT_PARTITIONS,
	OPT_PROVIDER,
	OPT_REASON,
	OPT_RUN_ID,
	OPT_SERVICE,
	OPT_SETTLE,
	OPT_SUBCATEGORY,
	OPT_TABLE,
};

static const struct option longopts[] = {
	{ "account", required_argument, NULL, OPT_ACCOUNT },
	{ "billing-day", required_argument, NULL, 'b' },
	{ "by", required_argument, NULL, 'B' },
	{ "canonical", no_argument, NULL, OPT_CANONICAL },
	{ "cents", no_argument, NULL, 'c' },
	{ "db", required_argument, NULL, 'd' },
	{ "dlq", required_argument, NULL, OPT_DLQ },
	{ "format", required_argument, NULL, 'F' },
	{ "from", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "operator", required_argument, NULL, OPT_OPERATOR },
	{ "out", required_argument, NULL, 'o' },
	{ "partition", required_argument, NULL, OPT_PARTITION },
	{ "partitions", required_argument, NULL, OPT_PARTITIONS },
	{ "period", required_argument, NULL, 'p' },
	{ "provider", required_argument, NULL, OPT_PROVIDER },
	{ "quotas", required_argument, NULL, 'q' },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "run-id", required_argument, NULL, OPT_RUN_ID },
	{ "service", required_argument, NULL, OPT_SERVICE },
	{ "service-subcategory", required_argument, NULL, OPT_SUBCATEGORY },
	{ "settle", required_argument, NULL, OPT_SETTLE },
	{ "state", required_argument, NULL, 's' },
	{ "table", required_argument, NULL, OPT_TABLE },
	{ "to", required_argument, NULL, 't' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Option values gathered while parsing (globals: reachable until exit). */
static const char **pnames, **given;

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: bf-ledger -d target verify [-s dir]\n"
	    "       bf-ledger -d target chargeback -p yyyy-mm [-c] [-b day] "
	    "[-B by] [-F format]\n"
	    "       bf-ledger -d target quota -q file -p yyyy-mm [-b day] "
	    "[-F format]\n"
	    "       bf-ledger -d target report -p yyyy-mm [-b day] "
	    "[-F html] [-o file] [-q file]\n"
	    "                 [--dlq file] [--now time] [--settle duration]\n"
	    "       bf-ledger -d target export [-F ndjson | csv | focus] "
	    "[-p yyyy-mm] [-b day]\n"
	    "                 [--canonical] [--table name] [--account id] "
	    "[--provider name]\n"
	    "                 [--service name] [--service-subcategory name]\n"
	    "       bf-ledger -d target gaps -f time -t time "
	    "[--partition name] [--partitions file]\n"
	    "       bf-ledger -d target reanchor -s dir --partition name "
	    "--operator who\n"
	    "                 --reason why\n"
	    "       bf-ledger -d target watermark [--partition name] "
	    "[--partitions file]\n"
	    "       bf-ledger -d target cost --run-id id\n");
	exit(status);
}

static void
on_problem(void *ctx, const char *msg)
{
	(void)ctx;
	bf_warn("%s", msg);
}

static void
on_warn(void *ctx, const char *msg)
{
	(void)ctx;
	bf_warn("warning: %s", msg);
}

static int
parse_time(const char *flag, const char *s, bf_time *t)
{
	if (bf_time_parse_any(s, strlen(s), t, NULL) == -1) {
		bf_warn("bad time '%s' for %s: expected RFC 3339 "
		    "(2026-01-01T00:00:00Z) or a date", s, flag);
		return -1;
	}
	return 0;
}

/* The range [*a, *b) of billing period YYYY-MM (--period) with billing
 * day bday; -1 after a message when period is no such month. */
static int
parse_period(const char *period, int bday, bf_time *a, bf_time *b)
{
	if (bf_billing_period(period, bday, a, b) == -1) {
		bf_warn("bad --period '%s': expected YYYY-MM", period);
		return -1;
	}
	return 0;
}

/* 1 when s is non-empty text for the ledger: valid UTF-8, no control
 * characters. */
static int
plain_text(const char *s)
{
	const unsigned char *p;

	if (*s == '\0' || !bf_utf8_valid(s, strlen(s)))
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* bf-ledger reanchor (bf-ledger(1), "REANCHOR"). */
static int
reanchor(const char *db, const char *state, const char *partition,
    int npart, const char *operator, const char *reason)
{
	struct bf_reanchor r = { 0 };
	struct bf_buf out = BF_BUF_INIT;
	struct bf_err e = { 0 };
	struct bf_wh *w;
	char runid[64], now[BF_TIME_LEN], version[64];
	int rc;

	if (state == NULL || npart != 1 || operator == NULL ||
	    reason == NULL) {
		bf_warn("reanchor needs --state, one --partition, --operator "
		    "and --reason");
		return BF_EXIT_USAGE;
	}
	if (!plain_text(operator) || !plain_text(reason) ||
	    strlen(operator) > 200 || strlen(reason) > 2000) {
		bf_warn("--operator (at most 200 bytes) and --reason (at most "
		    "2000) must be non-empty UTF-8 text without control "
		    "characters");
		return BF_EXIT_USAGE;
	}
	if (bf_partition_check(partition, &e) == -1)
		return bf_err_print(&e);
	bf_time_format((bf_time)time(NULL), now);
	snprintf(runid, sizeof(runid), "reanchor-%s-%ld", now, (long)getpid());
	snprintf(version, sizeof(version), "bf-ledger %s", BF_VERSION);
	r.state = state;
	r.partition = partition;
	r.who = operator;
	r.why = reason;
	r.run_id = runid;
	r.version = version;
	if ((w = bf_wh_open(db, 0, &e)) == NULL)
		return bf_err_print(&e);
	rc = bf_anchor_reanchor(w, &r, &out, &e);
	bf_wh_close(w);
	if (rc == -1) {
		bf_buf_free(&out);
		return bf_err_print(&e);
	}
	fwrite(out.s, 1, out.len, stdout);
	bf_buf_free(&out);
	return bf_close_stdout();
}

/* Opens db into *w when the warehouse exists: 1 opened, 0 not created
 * yet (*w stays NULL: it has no entry and no window), -1 with e set. */
static int
open_existing(const char *db, struct bf_wh **w, struct bf_err *e)
{
	int rc = bf_wh_exists(db, e);

	if (rc == 1 && (*w = bf_wh_open(db, 0, e)) == NULL)
		return -1;
	return rc;
}

/* The partitions of --partition (npnames of pnames) and --partitions
 * (partfile, may be NULL) into pl, and their names as a NULL-terminated
 * array (*names, owned by the caller; the strings belong to pl). Returns
 * 0, or -1 with e set. */
static int
read_names(int npnames, const char *partfile, struct bf_partlist *pl,
    const char ***names, struct bf_err *e)
{
	size_t i;
	int k;

	*names = NULL;
	for (k = 0; k < npnames; k++)
		if (bf_partlist_add(pl, pnames[k], strlen(pnames[k]), NULL, 0,
		    e) == -1)
			return -1;
	/* one name a line, as bf-window reads them */
	if (partfile != NULL && bf_partlist_read(pl, partfile, e) == -1)
		return -1;
	*names = bf_xcalloc(pl->n + 1, sizeof(**names));
	for (i = 0; i < pl->n; i++)
		(*names)[i] = pl->v[i].name;
	return 0;
}

/* bf-ledger report: the HTML chargeback of one period (report-html.h). */
/* The flags of report beyond those of chargeback. */
struct report_flags {
	const char *outfile, *quotas, *dlq, *now, *settle;
};

/* now and settle of the report: --now, else BF_NOW, else the clock;
 * --settle, else 1h (bf-window's). Returns 0, or -1 after a message. */
static int
report_clock(const struct report_flags *f, struct bf_html_opts *h)
{
	const char *env = getenv("BF_NOW");

	h->settle = 3600;
	if (f->now != NULL) {
		if (parse_time("--now", f->now, &h->now) == -1)
			return -1;
	} else if (env != NULL) {
		if (parse_time("BF_NOW", env, &h->now) == -1)
			return -1;
	} else
		h->now = (bf_time)time(NULL);
	if (f->settle != NULL && (bf_duration_parse0(f->settle,
	    &h->settle) == -1 || h->settle > BF_GRID_SIZE_MAX)) {
		bf_warn("bad --settle '%s': expected 0 or a duration such as "
		    "1h, 90m, 1d", f->settle);
		return -1;
	}
	return 0;
}

static int
cmd_report(const char *db, const char *period, int bday, const char *format,
    const struct report_flags *f)
{
	const char *outfile = f->outfile;
	struct bf_report_opts o = { 0 };
	struct bf_html_opts h = { 0 };
	struct bf_err e = { 0 };
	struct bf_wh *w;
	char version[64];
	bf_time a, b;
	FILE *out = stdout;
	int exceeded = 0, found, rc;

	if (period == NULL) {
		bf_warn("--period YYYY-MM is required");
		return BF_EXIT_USAGE;
	}
	if (parse_period(period, bday, &a, &b) == -1)
		return BF_EXIT_USAGE;
	if (format != NULL && strcmp(format, "html") != 0) {
		bf_warn("bad --format '%s': expected html", format);
		return BF_EXIT_USAGE;
	}
	if (report_clock(f, &h) == -1)
		return BF_EXIT_USAGE;
	snprintf(version, sizeof(version), "bf-ledger %s", BF_VERSION);
	o.period = period;
	o.billing_day = bday;
	o.warn = on_warn;
	h.warehouse = db;
	h.quotas = f->quotas;
	h.dlq = f->dlq;
	h.program = version;
	if ((w = bf_wh_open(db, 0, &e)) == NULL)
		return bf_err_print(&e);
	/* The page holds the period's costs per tenant: 0600, as every file
	 * bf writes that may hold telemetry. */
	if (outfile != NULL && (out = bf_fopen_private(outfile, "w", &e)) ==
	    NULL) {
		bf_wh_close(w);
		return bf_err_print(&e);
	}
	found = bf_report_html(w, &o, &h, out, &exceeded, &e);
	bf_wh_close(w);
	if (out != stdout && fclose(out) == EOF && found != -1) {
		bf_warn("cannot write '%s': %s", outfile, strerror(errno));
		return BF_EXIT_IO;
	}
	if (found == -1) {
		if (outfile != NULL)
			unlink(outfile); /* no page rather than an empty one */
		return bf_err_print(&e);
	}
	rc = bf_close_stdout();
	if (rc == 0 && exceeded > 0)
		rc = BF_EXIT_QUOTA;
	if (rc == 0 && found == 0) {
		bf_warn("no usage rows in period %s (billing day %d): the "
		    "report is empty", period, bday);
		rc = BF_EXIT_FAILED;
	}
	return rc;
}

int
main(int argc, char *argv[])
{
	const char *db = NULL, *state = NULL, *period = NULL, *quotas = NULL;
	const char *format = NULL, *from_s = NULL, *to_s = NULL, *by = NULL;
	const char *account = "bf", *provider = "bf", *service = "Database";
	const char *subcategory = "Other (Databases)";
	const char *cmd, *partfile = NULL, *operator = NULL, *reason = NULL;
	const char *run_id = NULL, *outfile = NULL;
	struct report_flags rf = { 0 };
	int ngiven = 0, npnames = 0, bday = 1, cents = 0, canonical = 0;
	int tables = 0;
	int ch, rc = 0, fmt;
	char *end;
	long l;
	struct bf_wh *w = NULL;
	struct bf_err e = { 0 };

	bf_setprogname(argv[0]);
	argv[0] = (char *)bf_progname; /* getopt names the program too */
	pnames = bf_xcalloc((size_t)argc + 1, sizeof(*pnames));
	given = bf_xcalloc((size_t)argc + 1, sizeof(*given));
	while ((ch = getopt_long(argc, argv, "B:b:cd:F:f:ho:p:q:s:t:V", longopts,
	    NULL)) != -1) {
		const struct option *lo;

		for (lo = longopts; lo->name != NULL; lo++)
			if (lo->val == ch)
				given[ngiven++] = lo->name;
		switch (ch) {
		case 'B':
			by = optarg;
			break;
		case 'b':
			l = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || l < 1 ||
			    l > 28) {
				bf_warn("--billing-day must be 1 to 28, not "
				    "'%s'", optarg);
				return BF_EXIT_USAGE;
			}
			bday = (int)l;
			break;
		case 'c':
			cents = 1;
			break;
		case 'd':
			db = optarg;
			break;
		case 'F':
			format = optarg;
			break;
		case 'f':
			from_s = optarg;
			break;
		case 'h':
			usage(0);
			break;
		case 'o':
			outfile = optarg;
			break;
		case 'p':
			period = optarg;
			break;
		case 'q':
			quotas = optarg;
			break;
		case 's':
			state = optarg;
			break;
		case 't':
			to_s = optarg;
			break;
		case 'V':
			bf_print_version();
			return bf_close_stdout();
		case OPT_ACCOUNT:
			account = optarg;
			break;
		case OPT_CANONICAL:
			canonical = 1;
			break;
		case OPT_DLQ:
			rf.dlq = optarg;
			break;
		case OPT_NOW:
			rf.now = optarg;
			break;
		case OPT_SETTLE:
			rf.settle = optarg;
			break;
		case OPT_OPERATOR:
			operator = optarg;
			break;
		case OPT_PARTITION:
			pnames[npnames++] = optarg;
			break;
		case OPT_PARTITIONS:
			partfile = optarg;
			break;
		case OPT_PROVIDER:
			provider = optarg;
			break;
		case OPT_REASON:
			reason = optarg;
			break;
		case OPT_RUN_ID:
			run_id = optarg;
			break;
		case OPT_SERVICE:
			service = optarg;
			break;
		case OPT_SUBCATEGORY:
			subcategory = optarg;
			break;
		case OPT_TABLE:
			if (strcmp(optarg, "usage") == 0)
				tables |= BF_EXPORT_USAGE;
			else if (strcmp(optarg, "ledger") == 0)
				tables |= BF_EXPORT_LEDGER;
			else if (strcmp(optarg, "windows") == 0)
				tables |= BF_EXPORT_WINDOWS;
			else {
				bf_warn("bad --table '%s': expected usage, "
				    "ledger or windows", optarg);
				return BF_EXIT_USAGE;
			}
			break;
		default:
			usage(BF_EXIT_USAGE);
		}
	}
	if (optind >= argc) {
		bf_warn("a command is required: verify, chargeback, quota, "
		    "export, gaps or reanchor");
		usage(BF_EXIT_USAGE);
	}
	cmd = argv[optind++];
	if (optind < argc) {
		bf_warn("unexpected argument '%s'", argv[optind]);
		usage(BF_EXIT_USAGE);
	}
	if (db == NULL) {
		bf_warn("--db TARGET is required");
		usage(BF_EXIT_USAGE);
	}
	if (bf_target_check_arg("--db", db, &e) == -1)
		return bf_err_print(&e);

	for (ch = 0; ch < ngiven; ch++) {
		static const struct {
			const char *cmd, *opts;
		} allowed[] = {
			{ "verify", " db state " },
			{ "chargeback", " db period billing-day by cents "
			    "format " },
			{ "quota", " db period billing-day quotas format " },
			{ "report", " db period billing-day quotas format "
			    "out dlq now settle " },
			{ "export", " db format period billing-day canonical "
			    "table account provider service "
			    "service-subcategory " },
			{ "gaps", " db from to partition partitions " },
			{ "reanchor", " db state partition operator reason " },
			{ "watermark", " db partition partitions " },
			{ "cost", " db run-id " },
		};
		char word[64];
		size_t k;

		snprintf(word, sizeof(word), " %s ", given[ch]);
		for (k = 0; k < sizeof(allowed) / sizeof(allowed[0]); k++)
			if (strcmp(cmd, allowed[k].cmd) == 0 &&
			    strstr(allowed[k].opts, word) == NULL) {
				bf_warn("--%s does not go with '%s'", given[ch],
				    cmd);
				return BF_EXIT_USAGE;
			}
	}

	if (strcmp(cmd, "verify") == 0) {
		struct bf_verify_opts o = { 0 };
		long n;

		if ((w = bf_wh_open(db, 0, &e)) == NULL)
			return bf_err_print(&e);
		o.state = state;
		o.out = stdout;
		o.problem = on_problem;
		n = bf_verify(w, &o, &e);
		bf_wh_close(w);
		if (n == -1)
			return bf_err_print(&e);
		rc = bf_close_stdout();
		if (rc == 0 && n > 0) {
			bf_warn("%ld problem%s found: the ledger does not "
			    "verify", n, n == 1 ? "" : "s");
			rc = BF_EXIT_VERIFY;
		}
	} else if (strcmp(cmd, "chargeback") == 0 ||
	    strcmp(cmd, "quota") == 0) {
		struct bf_report_opts o = { 0 };
		int q = cmd[0] == 'q', exceeded = 0, found;
		bf_time a, b;

		if (period == NULL) {
			bf_warn("--period YYYY-MM is required");
			return BF_EXIT_USAGE;
		}
		if (parse_period(period, bday, &a, &b) == -1)
			return BF_EXIT_USAGE;
		if (q && quotas == NULL) {
			bf_warn("--quotas FILE is required");
			return BF_EXIT_USAGE;
		}
		fmt = format ? bf_sheet_format(format) : BF_FMT_NDJSON;
		if (fmt == -1) {
			bf_warn("bad --format '%s': expected ndjson, csv or "
			    "table", format);
			return BF_EXIT_USAGE;
		}
		o.period = period;
		o.billing_day = bday;
		o.cents = cents;
		o.format = fmt;
		o.out = stdout;
		o.warn = on_warn;
		if (by != NULL && bf_report_parse_by(by, &o.by, &e) == -1)
			return bf_err_print(&e);
		if ((w = bf_wh_open(db, 0, &e)) == NULL)
			return bf_err_print(&e);
		found = q ? bf_report_quota(w, quotas, &o, &exceeded, &e) :
		    bf_report_chargeback(w, &o, &e);
		if (found == -1) {
			bf_wh_close(w);
			return bf_err_print(&e);
		}
		bf_wh_close(w);
		rc = bf_close_stdout();
		if (rc == 0 && exceeded > 0)
			rc = BF_EXIT_QUOTA;
		if (rc == 0 && !q && found == 0) {
			char fs[BF_TIME_LEN], ts[BF_TIME_LEN];

			bf_time_format(a, fs);
			bf_time_format(b, ts);
			bf_warn("no usage rows in period %s (billing day %d) "
			    "[%s, %s): nothing to charge back", period, bday,
			    fs, ts);
			rc = BF_EXIT_FAILED;
		}
	} else if (strcmp(cmd, "report") == 0) {
		rf.outfile = outfile;
		rf.quotas = quotas;
		rc = cmd_report(db, period, bday, format, &rf);
	} else if (strcmp(cmd, "export") == 0) {
		char fs[BF_TIME_LEN], ts[BF_TIME_LEN];
		const char *f = NULL, *t = NULL;
		bf_time a, b;
		int focus = 0, csv = 0;

		if (format == NULL || strcmp(format, "ndjson") == 0)
			;
		else if (strcmp(format, "csv") == 0)
			csv = 1;
		else if (strcmp(format, "focus") == 0)
			focus = 1;
		else {
			bf_warn("bad --format '%s': expected ndjson, csv or "
			    "focus", format);
			return BF_EXIT_USAGE;
		}
		if (period != NULL) {
			if (parse_period(period, bday, &a, &b) == -1)
				return BF_EXIT_USAGE;
			bf_time_format(a, fs);
			bf_time_format(b, ts);
			f = fs;
			t = ts;
		}
		if (canonical && (csv || focus || period || tables)) {
			bf_warn("--canonical is the whole warehouse as NDJSON: "
			    "no --format, --period or --table");
			return BF_EXIT_USAGE;
		}
		if (focus && tables) {
			bf_warn("--table does not go with the FOCUS export");
			return BF_EXIT_USAGE;
		}
		if (csv && tables != BF_EXPORT_USAGE &&
		    tables != BF_EXPORT_LEDGER && tables != BF_EXPORT_WINDOWS) {
			bf_warn("a CSV export holds one table: give --table "
			    "usage, ledger or windows");
			return BF_EXIT_USAGE;
		}
		if (tables == 0)
			tables = BF_EXPORT_USAGE | BF_EXPORT_LEDGER;
		if ((w = bf_wh_open(db, 0, &e)) == NULL)
			return bf_err_print(&e);
		if (canonical) {
			if (bf_wh_begin_read(w, &e) == -1 ||
			    bf_load_export(w, stdout, &e) == -1)
				rc = -1;
		} else if (focus) {
			struct bf_focus_opts o = { 0 };

			o.from = f;
			o.to = t;
			o.billing_day = bday;
			o.account = account;
			o.provider = provider;
			o.service = service;
			o.subcategory = subcategory;
			o.out = stdout;
			rc = bf_focus_export(w, &o, &e);
		} else {
			rc = bf_export_tables(w, tables, csv, f, t, stdout, &e);
		}
		bf_wh_close(w);
		if (rc == -1)
			return bf_err_print(&e);
		rc = bf_close_stdout();
	} else if (strcmp(cmd, "gaps") == 0) {
		struct bf_partlist pl = BF_PARTLIST_INIT;
		const char **names;
		bf_time a, b;

		if (from_s == NULL || to_s == NULL) {
			bf_warn("--from and --to are required");
			return BF_EXIT_USAGE;
		}
		if (parse_time("--from", from_s, &a) == -1 ||
		    parse_time("--to", to_s, &b) == -1)
			return BF_EXIT_USAGE;
		if (a >= b) {
			bf_warn("--from must come before --to");
			return BF_EXIT_USAGE;
		}
		if (read_names(npnames, partfile, &pl, &names, &e) == -1) {
			bf_partlist_free(&pl);
			return bf_err_print(&e);
		}
		if ((w = bf_wh_open(db, 0, &e)) == NULL) {
			free(names);
			bf_partlist_free(&pl);
			return bf_err_print(&e);
		}
		rc = bf_report_gaps(w, a, b, names, pl.n, stdout, &e);
		bf_wh_close(w);
		free(names);
		bf_partlist_free(&pl);
		if (rc == -1)
			return bf_err_print(&e);
		rc = bf_close_stdout();
	} else if (strcmp(cmd, "reanchor") == 0) {
		rc = reanchor(db, state, npnames == 1 ? pnames[0] : NULL,
		    npnames, operator, reason);
	} else if (strcmp(cmd, "cost") == 0) {
		if (run_id == NULL) {
			bf_warn("--run-id ID is required");
			return BF_EXIT_USAGE;
		}
		if ((rc = open_existing(db, &w, &e)) == 1)
			rc = bf_wh_run_cost(w, run_id, stdout, &e);
		bf_wh_close(w);
		if (rc == -1)
			return bf_err_print(&e);
		rc = bf_close_stdout();
	} else if (strcmp(cmd, "watermark") == 0) {
		struct bf_partlist pl = BF_PARTLIST_INIT;
		const char **names;

		if (read_names(npnames, partfile, &pl, &names, &e) == -1 ||
		    open_existing(db, &w, &e) == -1)
			rc = -1;
		else
			rc = bf_plan_watermarks(w, names, pl.n, stdout, &e);
		bf_wh_close(w);
		free(names);
		bf_partlist_free(&pl);
		if (rc == -1)
			return bf_err_print(&e);
		rc = bf_close_stdout();
	} else {
		bf_warn("unknown command '%s': expected verify, chargeback, "
		    "quota, export, gaps or reanchor", cmd);
		usage(BF_EXIT_USAGE);
	}
	return rc;
}
