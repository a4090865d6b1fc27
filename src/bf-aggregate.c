/*
 * bf-aggregate: samples in, priced usage per window out (bf-aggregate(1)).
 */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "buf.h"
#include "cli.h"
#include "decimal.h"
#include "dlq.h"
#include "err.h"
#include "input.h"
#include "rates.h"
#include "tenants.h"
#include "timeutil.h"

static const struct bf_cli cli = {
	"bf-aggregate [-d dlq] [-m min-coverage] -r rates [-s step] "
	"[-t tenants] [file ...]\n",
	NULL,
};

/* What the command line asks for. */
struct args {
	const char *dlq, *rates, *tenants;
	int64_t step;
	bf_dec mincov;
};

/* The options whose value is kept as it is, and where. */
static const struct bf_cli_str str_opts[] = {
	{ 'd', offsetof(struct args, dlq) },
	{ 'r', offsetof(struct args, rates) },
	{ 't', offsetof(struct args, tenants) },
	{ 0, 0 },
};

/* One option into a (bf_cli_parse's set). */
static int
set_opt(void *ctx, int ch, const char *arg)
{
	struct args *a = ctx;

	switch (ch) {
	case 'm':
		return bf_cli_ratio("--min-coverage", arg, &a->mincov);
	case 's':
		return bf_cli_duration("--step", arg, 0, 0, &a->step);
	default:
		bf_cli_fail(&cli);
	}
}

static void
parse_args(int argc, char *argv[], struct args *a)
{
	static const struct option longopts[] = {
		{ "dlq", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "min-coverage", required_argument, NULL, 'm' },
		{ "rates", required_argument, NULL, 'r' },
		{ "step", required_argument, NULL, 's' },
		{ "tenants", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	memset(a, 0, sizeof(*a));
	bf_cli_parse(&cli, argc, argv, "d:hm:r:s:t:V", longopts, str_opts,
	    set_opt, a);
	if (bf_cli_required("--rates FILE", a->rates != NULL) == -1)
		bf_cli_fail(&cli);
}

/* Prints e; the exit status is that of the first error printed. */
static void
keep_error(int *fail, struct bf_err *e)
{
	int code = bf_err_print(e);

	if (*fail == 0)
		*fail = code;
}

int
main(int argc, char *argv[])
{
	struct bf_rates rates;
	struct bf_tenants tenants;
	struct bf_agg_opts o;
	struct bf_agg *a;
	struct bf_input in;
	struct bf_buf warn = BF_BUF_INIT;
	struct bf_err e = { 0 };
	struct args args;
	int r, status = BF_EXIT_OK, fail = 0;
	char *p, *nl;

	bf_cli_start(argc, argv);
	bf_stdout_init();
	parse_args(argc, argv, &args);
	argc -= optind;
	argv += optind;
	if (bf_rates_load(&rates, args.rates, &e) == -1) {
		bf_rates_free(&rates);
		return bf_err_print(&e);
	}
	if (args.tenants && bf_tenants_load(&tenants, args.tenants, &e) == -1) {
		bf_rates_free(&rates);
		bf_tenants_free(&tenants);
		return bf_err_print(&e);
	}
	memset(&o, 0, sizeof(o));
	o.rates = &rates;
	o.tenants = args.tenants ? &tenants : NULL;
	o.step = args.step;
	o.min_coverage = args.mincov;
	o.out = stdout;
	if (!(o.dlq = bf_dlq_open(args.dlq, &e))) {
		status = bf_err_print(&e);
		goto done;
	}
	a = bf_agg_new(&o);
	bf_input_init(&in, argv, argc, BF_MAXLINE_DEFAULT);
	while ((r = bf_input_next(&in, &e)) != 0) {
		if (r == -1) {
			keep_error(&fail, &e);
			continue;
		}
		if (bf_agg_line(a, in.line.s ? in.line.s : "", in.line.len,
		    bf_input_spill(&in), in.name, in.lineno, &e) == -1) {
			keep_error(&fail, &e);
			break;
		}
	}
	if (bf_agg_finish(a, &warn, &e) == -1) {
		keep_error(&fail, &e);
	}
	for (p = warn.s; p && (nl = strchr(p, '\n')); p = nl + 1)
		bf_warn("%.*s", (int)(nl - p), p);
	status = bf_agg_status(a);
	bf_agg_free(a);
	bf_input_free(&in);
	bf_buf_free(&warn);
	if (bf_dlq_close(o.dlq, &e) == -1) {
		keep_error(&fail, &e);
	}
done:
	bf_rates_free(&rates);
	if (args.tenants)
		bf_tenants_free(&tenants);
	if (bf_close_stdout() != 0 && fail == 0)
		fail = BF_EXIT_IO;
	if (fail != 0)
		status = fail;
	return status;
}
