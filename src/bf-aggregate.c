/*
 * bf-aggregate: samples in, priced usage per window out (bf-aggregate(1)).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "buf.h"
#include "decimal.h"
#include "dlq.h"
#include "err.h"
#include "input.h"
#include "rates.h"
#include "tenants.h"
#include "timeutil.h"

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: bf-aggregate [-d dlq] [-m min-coverage] -r rates "
	    "[-s step] [-t tenants] [file ...]\n");
	exit(status);
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
	const char *dlqpath = NULL, *ratespath = NULL, *tenantspath = NULL;
	struct bf_rates rates;
	struct bf_tenants tenants;
	struct bf_agg_opts o;
	struct bf_agg *a;
	struct bf_input in;
	struct bf_buf warn = BF_BUF_INIT;
	struct bf_err e;
	int64_t step = 0;
	bf_dec mincov = { 0 };
	int ch, r, status = BF_EXIT_OK, fail = 0;
	char *p, *nl;

	bf_setprogname(argv[0]);
	bf_stdout_init();
	argv[0] = (char *)bf_progname; /* getopt names the program too */
	while ((ch = getopt_long(argc, argv, "d:hm:r:s:t:V", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'd':
			dlqpath = optarg;
			break;
		case 'h':
			usage(stdout, BF_EXIT_OK);
			break;
		case 'm':
			if (bf_dec_parse(optarg, strlen(optarg), &mincov) !=
			        BF_DEC_OK || bf_dec_sign(mincov) < 0 ||
			    bf_dec_cmp(mincov, bf_dec_from_int(1)) > 0) {
				bf_warn("bad min-coverage '%s': a decimal from 0 "
				    "to 1", optarg);
				usage(stderr, BF_EXIT_USAGE);
			}
			break;
		case 'r':
			ratespath = optarg;
			break;
		case 's':
			if (bf_duration_parse(optarg, &step) == -1) {
				bf_warn("bad step '%s'", optarg);
				usage(stderr, BF_EXIT_USAGE);
			}
			break;
		case 't':
			tenantspath = optarg;
			break;
		case 'V':
			bf_print_version();
			return bf_close_stdout();
		default:
			usage(stderr, BF_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (!ratespath) {
		bf_warn("a rate card is required (--rates)");
		usage(stderr, BF_EXIT_USAGE);
	}

	bf_err_clear(&e);
	if (bf_rates_load(&rates, ratespath, &e) == -1) {
		bf_rates_free(&rates);
		return bf_err_print(&e);
	}
	if (tenantspath && bf_tenants_load(&tenants, tenantspath, &e) == -1) {
		bf_rates_free(&rates);
		bf_tenants_free(&tenants);
		return bf_err_print(&e);
	}
	memset(&o, 0, sizeof(o));
	o.rates = &rates;
	o.tenants = tenantspath ? &tenants : NULL;
	o.step = step;
	o.min_coverage = mincov;
	o.out = stdout;
	if (!(o.dlq = bf_dlq_open(dlqpath, &e))) {
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
	if (tenantspath)
		bf_tenants_free(&tenants);
	if (bf_close_stdout() != 0 && fail == 0)
		fail = BF_EXIT_IO;
	if (fail != 0)
		status = fail;
	return status;
}
