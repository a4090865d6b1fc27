/*
 * bf-ledger: read the cost warehouse for people: verify the ledger,
 * chargeback, quotas, exports (FOCUS among them) and gaps. See
 * bf-ledger(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anchor.h"
#include "cli.h"
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

static const struct bf_cli cli = {
	"bf-ledger -d target verify [-s dir]\n"
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
	"       bf-ledger -d target cost --run-id id\n",
	NULL,
};

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
	char runid[64], now[BF_TIME_LEN], version[64];
	const struct bf_reanchor r = {
		.state = state,
		.partition = partition,
		.who = operator,
		.why = reason,
		.run_id = runid,
		.version = version,
	};
	struct bf_buf out = BF_BUF_INIT;
	struct bf_err e = { 0 };
	struct bf_wh *w;
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

/* The end of a command that wrote to stdout: closes w (may be NULL);
 * prints e when rc is -1 and returns its exit status, else checks stdout
 * (bf_close_stdout). */
static int
done(struct bf_wh *w, int rc, struct bf_err *e)
{
	bf_wh_close(w);
	if (rc == -1)
		return bf_err_print(e);
	return bf_close_stdout();
}

/* The commands' names, for messages: "verify, chargeback, ... or cost". */
static const char *command_list(void);

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
		if (bf_cli_time("--now", f->now, 1, &h->now) == -1)
			return -1;
	} else if (env != NULL) {
		if (bf_cli_time("BF_NOW", env, 1, &h->now) == -1)
			return -1;
	} else
		h->now = (bf_time)time(NULL);
	if (f->settle != NULL && bf_cli_duration("--settle", f->settle, 1,
	    BF_GRID_SIZE_MAX, &h->settle) == -1)
		return -1;
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

	if (bf_cli_required("--period YYYY-MM", period != NULL) == -1 ||
	    parse_period(period, bday, &a, &b) == -1)
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

/* What the command line asks for. */
struct args {
	const char *db, *state, *period, *quotas, *format, *from, *to, *by;
	const char *account, *provider, *service, *subcategory;
	const char *partfile, *operator, *reason, *run_id, *outfile;
	struct report_flags rf;
	const char **pnames;  /* --partition, in order */
	int npnames;
	const char **given;   /* the long names of the options given */
	int ngiven;
	int bday, cents, canonical, tables;
};

/* The partitions of --partition and --partitions (may be absent): the
 * list, and their names as a NULL-terminated array over its strings. */
struct parts {
	struct bf_partlist pl;
	const char **names;  /* owned */
};
#define PARTS_INIT { BF_PARTLIST_INIT, NULL }

/* The partitions of a into p (PARTS_INIT); 0, or -1 with e set.
 * parts_free(p) either way. */
static int
read_parts(const struct args *a, struct parts *p, struct bf_err *e)
{
	size_t i;
	int k;

	for (k = 0; k < a->npnames; k++)
		if (bf_partlist_add(&p->pl, a->pnames[k], strlen(a->pnames[k]),
		    NULL, 0, e) == -1)
			return -1;
	/* one name a line, as bf-window reads them */
	if (a->partfile != NULL && bf_partlist_read(&p->pl, a->partfile, e) ==
	    -1)
		return -1;
	p->names = bf_xcalloc(p->pl.n + 1, sizeof(*p->names));
	for (i = 0; i < p->pl.n; i++)
		p->names[i] = p->pl.v[i].name;
	return 0;
}

static void
parts_free(struct parts *p)
{
	free(p->names);
	bf_partlist_free(&p->pl);
}

static int
cmd_verify(const struct args *a)
{
	struct bf_verify_opts o = { 0 };
	struct bf_err e = { 0 };
	struct bf_wh *w;
	long n;
	int rc;

	if ((w = bf_wh_open(a->db, 0, &e)) == NULL)
		return bf_err_print(&e);
	o.state = a->state;
	o.out = stdout;
	o.problem = on_problem;
	n = bf_verify(w, &o, &e);
	bf_wh_close(w);
	if (n == -1)
		return bf_err_print(&e);
	rc = bf_close_stdout();
	if (rc == 0 && n > 0) {
		bf_warn("%ld problem%s found: the ledger does not verify", n,
		    n == 1 ? "" : "s");
		rc = BF_EXIT_VERIFY;
	}
	return rc;
}

/* chargeback and quota: a sheet of one billing period. */
static int
cmd_sheet(const struct args *a, int q)
{
	struct bf_report_opts o = { 0 };
	struct bf_err e = { 0 };
	struct bf_wh *w;
	char fs[BF_TIME_LEN], ts[BF_TIME_LEN];
	int exceeded = 0, found, rc;
	bf_time from, to;

	if (bf_cli_required("--period YYYY-MM", a->period != NULL) == -1 ||
	    parse_period(a->period, a->bday, &from, &to) == -1 ||
	    (q && bf_cli_required("--quotas FILE", a->quotas != NULL) == -1))
		return BF_EXIT_USAGE;
	o.format = a->format ? bf_sheet_format(a->format) : BF_FMT_NDJSON;
	if (o.format == -1) {
		bf_warn("bad --format '%s': expected ndjson, csv or table",
		    a->format);
		return BF_EXIT_USAGE;
	}
	o.period = a->period;
	o.billing_day = a->bday;
	o.cents = a->cents;
	o.out = stdout;
	o.warn = on_warn;
	if (a->by != NULL && bf_report_parse_by(a->by, &o.by, &e) == -1)
		return bf_err_print(&e);
	if ((w = bf_wh_open(a->db, 0, &e)) == NULL)
		return bf_err_print(&e);
	found = q ? bf_report_quota(w, a->quotas, &o, &exceeded, &e) :
	    bf_report_chargeback(w, &o, &e);
	bf_wh_close(w);
	if (found == -1)
		return bf_err_print(&e);
	rc = bf_close_stdout();
	if (rc == 0 && exceeded > 0)
		rc = BF_EXIT_QUOTA;
	if (rc == 0 && !q && found == 0) {
		bf_time_format(from, fs);
		bf_time_format(to, ts);
		bf_warn("no usage rows in period %s (billing day %d) [%s, %s): "
		    "nothing to charge back", a->period, a->bday, fs, ts);
		rc = BF_EXIT_FAILED;
	}
	return rc;
}

static int
cmd_chargeback(const struct args *a)
{
	return cmd_sheet(a, 0);
}

static int
cmd_quota(const struct args *a)
{
	return cmd_sheet(a, 1);
}

static int
cmd_report_args(const struct args *a)
{
	struct report_flags rf = a->rf;

	rf.outfile = a->outfile;
	rf.quotas = a->quotas;
	return cmd_report(a->db, a->period, a->bday, a->format, &rf);
}

/* export: which one (--canonical, --format focus, or tables as NDJSON or
 * CSV), refusing the options that do not fit it. */
static int
export_kind(const struct args *a, int *tables)
{
	static const char *const formats[] = { "ndjson", "csv", "focus",
		NULL };
	int fmt = 0;

	if (a->format != NULL && bf_cli_choice("--format", a->format,
	    formats, &fmt) == -1)
		return -1;
	if (a->canonical && (fmt != 0 || a->period || a->tables)) {
		bf_warn("--canonical is the whole warehouse as NDJSON: no "
		    "--format, --period or --table");
		return -1;
	}
	if (fmt == 2 && a->tables) {
		bf_warn("--table does not go with the FOCUS export");
		return -1;
	}
	if (fmt == 1 && a->tables != BF_EXPORT_USAGE &&
	    a->tables != BF_EXPORT_LEDGER && a->tables != BF_EXPORT_WINDOWS) {
		bf_warn("a CSV export holds one table: give --table usage, "
		    "ledger or windows");
		return -1;
	}
	*tables = a->tables ? a->tables : BF_EXPORT_USAGE | BF_EXPORT_LEDGER;
	return fmt;
}

static int
cmd_export(const struct args *a)
{
	char fs[BF_TIME_LEN], ts[BF_TIME_LEN];
	const char *f = NULL, *t = NULL;
	struct bf_err e = { 0 };
	struct bf_wh *w;
	bf_time from, to;
	int kind, tables, rc;

	if ((kind = export_kind(a, &tables)) == -1)
		return BF_EXIT_USAGE;
	if (a->period != NULL) {
		if (parse_period(a->period, a->bday, &from, &to) == -1)
			return BF_EXIT_USAGE;
		bf_time_format(from, fs);
		bf_time_format(to, ts);
		f = fs;
		t = ts;
	}
	if ((w = bf_wh_open(a->db, 0, &e)) == NULL)
		return bf_err_print(&e);
	if (a->canonical)
		rc = bf_wh_begin_read(w, &e) == -1 ||
		    bf_load_export(w, stdout, &e) == -1 ? -1 : 0;
	else if (kind == 2) {
		const struct bf_focus_opts o = {
			.from = f,
			.to = t,
			.billing_day = a->bday,
			.account = a->account,
			.provider = a->provider,
			.service = a->service,
			.subcategory = a->subcategory,
			.out = stdout,
		};

		rc = bf_focus_export(w, &o, &e);
	} else
		rc = bf_export_tables(w, tables, kind == 1, f, t, stdout, &e);
	return done(w, rc, &e);
}

static int
cmd_gaps(const struct args *a)
{
	struct parts p = PARTS_INIT;
	struct bf_err e = { 0 };
	struct bf_wh *w = NULL;
	bf_time from, to;
	int rc;

	if (a->from == NULL || a->to == NULL) {
		bf_warn("--from and --to are required");
		return BF_EXIT_USAGE;
	}
	if (bf_cli_time("--from", a->from, 0, &from) == -1 ||
	    bf_cli_time("--to", a->to, 0, &to) == -1)
		return BF_EXIT_USAGE;
	if (from >= to) {
		bf_warn("--from must come before --to");
		return BF_EXIT_USAGE;
	}
	if (read_parts(a, &p, &e) == -1 ||
	    (w = bf_wh_open(a->db, 0, &e)) == NULL)
		rc = -1;
	else
		rc = bf_report_gaps(w, from, to, p.names, p.pl.n, stdout, &e);
	parts_free(&p);
	return done(w, rc, &e);
}

static int
cmd_reanchor(const struct args *a)
{
	return reanchor(a->db, a->state, a->npnames == 1 ? a->pnames[0] :
	    NULL, a->npnames, a->operator, a->reason);
}

/* watermark: each partition's committed end (for bf-backfill). */
static int
cmd_watermark(const struct args *a)
{
	struct parts p = PARTS_INIT;
	struct bf_err e = { 0 };
	struct bf_wh *w = NULL;
	int rc;

	if (read_parts(a, &p, &e) == -1 || open_existing(a->db, &w, &e) == -1)
		rc = -1;
	else
		rc = bf_plan_watermarks(w, p.names, p.pl.n, stdout, &e);
	parts_free(&p);
	return done(w, rc, &e);
}

/* cost: what one run charged (for bf-backfill's summary). */
static int
cmd_cost(const struct args *a)
{
	struct bf_err e = { 0 };
	struct bf_wh *w = NULL;
	int rc;

	if (bf_cli_required("--run-id ID", a->run_id != NULL) == -1)
		return BF_EXIT_USAGE;
	if ((rc = open_existing(a->db, &w, &e)) == 1)
		rc = bf_wh_run_cost(w, a->run_id, stdout, &e);
	return done(w, rc, &e);
}

/* The commands, as git lists its builtins: the name, what runs it, and
 * the options it takes (any other is refused). */
static const struct cmd {
	const char *name;
	int (*run)(const struct args *);
	const char *opts;
} cmds[] = {
	{ "verify", cmd_verify, " db state " },
	{ "chargeback", cmd_chargeback, " db period billing-day by cents "
	    "format " },
	{ "quota", cmd_quota, " db period billing-day quotas format " },
	{ "report", cmd_report_args, " db period billing-day quotas format "
	    "out dlq now settle " },
	{ "export", cmd_export, " db format period billing-day canonical "
	    "table account provider service service-subcategory " },
	{ "gaps", cmd_gaps, " db from to partition partitions " },
	{ "reanchor", cmd_reanchor, " db state partition operator reason " },
	{ "watermark", cmd_watermark, " db partition partitions " },
	{ "cost", cmd_cost, " db run-id " },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const char *
command_list(void)
{
	static char list[256];
	size_t k, len = 0;

	for (k = 0; k < NCMDS && len < sizeof(list); k++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    k == 0 ? "" : k + 1 == NCMDS ? " or " : ", ", cmds[k].name);
	return list;
}

#define A(f) offsetof(struct args, f)
/* The options whose value is kept as it is: where in struct args. */
static const struct bf_cli_str textopts[] = {
	{ 'B', A(by) }, { 'd', A(db) }, { 'F', A(format) }, { 'f', A(from) },
	{ 'o', A(outfile) }, { 'p', A(period) }, { 'q', A(quotas) },
	{ 's', A(state) }, { 't', A(to) }, { OPT_ACCOUNT, A(account) },
	{ OPT_DLQ, A(rf.dlq) }, { OPT_NOW, A(rf.now) },
	{ OPT_SETTLE, A(rf.settle) }, { OPT_OPERATOR, A(operator) },
	{ OPT_PARTITIONS, A(partfile) }, { OPT_PROVIDER, A(provider) },
	{ OPT_REASON, A(reason) }, { OPT_RUN_ID, A(run_id) },
	{ OPT_SERVICE, A(service) }, { OPT_SUBCATEGORY, A(subcategory) },
	{ 0, 0 },
};
#undef A

/* One option into a; 0, or -1 when its value is bad (the message
 * printed). */
static int
set_opt(struct args *a, int ch, const char *arg)
{
	static const char *const tables[] = { "usage", "ledger", "windows",
		NULL };
	static const int table_bit[] = { BF_EXPORT_USAGE, BF_EXPORT_LEDGER,
		BF_EXPORT_WINDOWS };
	long l;
	int k;

	if (bf_cli_str_set(textopts, a, ch, arg))
		return 0;
	switch (ch) {
	case 'b':
		if (bf_cli_long("--billing-day", arg, 1, 28, &l) == -1)
			return -1;
		a->bday = (int)l;
		break;
	case 'c':
		a->cents = 1;
		break;
	case OPT_CANONICAL:
		a->canonical = 1;
		break;
	case OPT_PARTITION:
		a->pnames[a->npnames++] = arg;
		break;
	case OPT_TABLE:
		if (bf_cli_choice("--table", arg, tables, &k) == -1)
			return -1;
		a->tables |= table_bit[k];
		break;
	default:
		bf_cli_fail(&cli);
	}
	return 0;
}

/* set_opt, noting the option's long name for the check that it goes
 * with the command (bf_cli_parse's set). It sees every option, the
 * textopts too, so bf_cli_parse is given no table. */
static int
take_opt(void *ctx, int ch, const char *arg)
{
	struct args *a = ctx;
	const struct option *lo;

	for (lo = longopts; lo->name != NULL; lo++)
		if (lo->val == ch)
			a->given[a->ngiven++] = lo->name;
	return set_opt(a, ch, arg);
}

/* The options into a, and the command they are for. */
static const struct cmd *
parse_args(int argc, char *argv[], struct args *a)
{
	const char *name;
	char word[64];
	size_t k;
	int i;

	memset(a, 0, sizeof(*a));
	a->account = a->provider = "bf";
	a->service = "Database";
	a->subcategory = "Other (Databases)";
	a->bday = 1;
	a->pnames = bf_xcalloc((size_t)argc + 1, sizeof(*a->pnames));
	a->given = bf_xcalloc((size_t)argc + 1, sizeof(*a->given));
	bf_cli_parse(&cli, argc, argv, "B:b:cd:F:f:ho:p:q:s:t:V", longopts,
	    NULL, take_opt, a);
	if (optind >= argc) {
		bf_warn("a command is required: %s", command_list());
		bf_cli_fail(&cli);
	}
	name = argv[optind++];
	bf_cli_noargs(&cli, argc, argv);
	if (bf_cli_required("--db TARGET", a->db != NULL) == -1)
		bf_cli_fail(&cli);
	for (k = 0; k < NCMDS && strcmp(name, cmds[k].name) != 0; k++)
		;
	if (k == NCMDS) {
		bf_warn("unknown command '%s': expected %s", name,
		    command_list());
		bf_cli_fail(&cli);
	}
	for (i = 0; i < a->ngiven; i++) {
		snprintf(word, sizeof(word), " %s ", a->given[i]);
		if (strstr(cmds[k].opts, word) == NULL) {
			bf_warn("--%s does not go with '%s'", a->given[i],
			    name);
			exit(BF_EXIT_USAGE);
		}
	}
	return &cmds[k];
}

int
main(int argc, char *argv[])
{
	const struct cmd *c;
	struct bf_err e = { 0 };
	struct args a;
	int rc;

	bf_cli_start(argc, argv);
	c = parse_args(argc, argv, &a);
	if (bf_target_check_arg("--db", a.db, &e) == -1)
		rc = bf_err_print(&e);
	else
		rc = c->run(&a);
	free(a.pnames);
	free(a.given);
	return rc;
}
