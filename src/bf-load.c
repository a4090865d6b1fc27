/*
 * bf-load: load usage lines into the warehouse, one transaction per window
 * (or per --batch windows), with the ledger and the checkpoints. See
 * bf-load(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "files.h"
#include "input.h"
#include "load.h"
#include "timeutil.h"
#include "warehouse.h"

enum { OPT_ALLOW_NO_DATA = 256 };

static const struct bf_cli cli = {
	"bf-load -d target [-a] [-b n] [-r id] [-s dir] [--allow-no-data]\n"
	"               [file ...]\n",
	NULL,
};

static void
report(void *ctx, const char *file, long line, const char *msg)
{
	(void)ctx;
	if (file != NULL)
		bf_warn_at(file, line, "%s", msg);
	else
		bf_warn("%s", msg);
}

static int
valid_run_id(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 128)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    strchr("-_.:+@", s[i]) != NULL))
			return 0;
	return 1;
}

/* What the options set: the load's options and the warehouse target. */
struct args {
	struct bf_load_opts *o;
	const char *db;
	long batch;   /* 0: not given */
};

/* One option into a (bf_cli_parse's set). */
static int
set_opt(void *ctx, int ch, const char *arg)
{
	struct args *a = ctx;

	switch (ch) {
	case 'a':
		a->o->allow_empty = 1;
		return 0;
	case OPT_ALLOW_NO_DATA:
		a->o->allow_no_data = 1;
		return 0;
	case 'b':
		return bf_cli_long("--batch", arg, 1, 1000000, &a->batch);
	case 'd':
		a->db = arg;
		return 0;
	case 'r':
		a->o->run_id = arg;
		if (!valid_run_id(arg)) {
			bf_warn("bad --run-id '%s': expected 1 to 128 "
			    "letters, digits and -_.:+@", arg);
			return -1;
		}
		return 0;
	case 's':
		a->o->state = arg;
		return 0;
	default:
		bf_cli_fail(&cli);
	}
}

/* The options into o and *db (the warehouse target). */
static void
parse_args(int argc, char *argv[], struct bf_load_opts *o, const char **db)
{
	static const struct option longopts[] = {
		{ "allow-empty", no_argument, NULL, 'a' },
		{ "allow-no-data", no_argument, NULL, OPT_ALLOW_NO_DATA },
		{ "batch", required_argument, NULL, 'b' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "run-id", required_argument, NULL, 'r' },
		{ "state", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct args a = { o, NULL, 0 };

	bf_cli_parse(&cli, argc, argv, "ab:d:hr:s:V", longopts, NULL, set_opt,
	    &a);
	if (bf_cli_required("--db TARGET", a.db != NULL) == -1)
		bf_cli_fail(&cli);
	*db = a.db;
	o->batch = (int)a.batch;
}

int
main(int argc, char *argv[])
{
	struct bf_load_opts o = { 0 };
	struct bf_input in;
	struct bf_load *l = NULL;
	struct bf_wh *w = NULL;
	struct bf_err e = { 0 };
	const char *db;
	char runid[64], now[BF_TIME_LEN], version[64];
	int rc, status = 0, ioerr = 0, fatal = 0;

	bf_cli_start(argc, argv);
	parse_args(argc, argv, &o, &db);
	argc -= optind;
	argv += optind;
	if (bf_target_check_arg("--db", db, &e) == -1)
		return bf_err_print(&e);
	if (o.run_id == NULL) {
		bf_time_format((bf_time)time(NULL), now);
		snprintf(runid, sizeof(runid), "%s-%ld", now, (long)getpid());
		o.run_id = runid;
	}
	snprintf(version, sizeof(version), "bf-load %s", BF_VERSION);
	o.version = version;
	o.out = stdout;
	o.report = report;
	if (o.state != NULL && bf_mkdir_p(o.state, 0700, &e) == -1)
		return bf_err_print(&e);
	/* Before the warehouse is created: a read-only state directory
	 * must leave nothing behind. */
	if (o.state != NULL && access(o.state, W_OK | X_OK) == -1) {
		bf_err_set(&e, BF_EXIT_IO, "state directory '%s' is not "
		    "writable: %s", o.state, strerror(errno));
		return bf_err_print(&e);
	}
	if ((w = bf_wh_open(db, BF_WH_CREATE | BF_WH_UPGRADE, &e)) == NULL)
		return bf_err_print(&e);
	if (bf_wh_upgraded(w) != 0)
		bf_warn("warehouse '%s': schema upgraded from version %d to "
		    "%d (%s; rows loaded before keep their digests)",
		    bf_wh_name(w), bf_wh_upgraded(w), bf_wh_version(w),
		    bf_wh_upgrade_what(bf_wh_upgraded(w)));
	/* Without --batch, SQLite: a group commit of the windows already
	 * waiting in the input, one sync for them all (a PostgreSQL batch
	 * could lock-wait in a cycle with a parallel loader). */
	if (o.batch == 0) {
		o.batch = 1;
		if (bf_wh_kind(w) == BF_WH_SQLITE)
			o.group = BF_LOAD_GROUP;
	}
	if ((l = bf_load_new(w, &o, &e)) == NULL) {
		bf_wh_close(w);
		return bf_err_print(&e);
	}
	bf_input_init(&in, argv, argc, BF_MAXLINE_DEFAULT);
	for (;;) {
		rc = bf_input_next(&in, &e);
		if (rc == 0)
			break;
		if (rc == -1) {
			bf_err_print(&e);
			ioerr = 1;
			continue;
		}
		if (bf_load_line(l, in.name, in.lineno, in.line.s ? in.line.s :
		    "", in.line.len, in.toolong, &e) == -1 ||
		    (!bf_input_ready(&in) && bf_load_idle(l, &e) == -1)) {
			fatal = bf_err_print(&e);
			break;
		}
	}
	if (bf_load_finish(l, &e) == -1 && !fatal)
		fatal = bf_err_print(&e);
	status = bf_load_status(l);
	bf_load_free(l);
	bf_input_free(&in);
	bf_wh_close(w);
	rc = bf_close_stdout();
	if (fatal)
		return fatal;
	if (rc)
		return rc;
	if (ioerr)
		return BF_EXIT_IO;
	return status;
}
