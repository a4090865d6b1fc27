/*
 * bf-validate: the data contract gate of the bf stream (bf-validate(1)).
 * Command-line layer only; the work is in src/lib/validate.c and contract.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "contract.h"
#include "decimal.h"
#include "dlq.h"
#include "err.h"
#include "input.h"
#include "timeutil.h"
#include "validate.h"

#define DEFAULT_MAX_REJECT_RATE "0.5"
#define DEFAULT_LOOKBACK 3600

static const struct bf_cli cli = {
	"bf-validate -c FILE [-p] [-d FILE] [-m BYTES] [-n TIME] [-r RATE]\n"
	"                   [--format-assert] [--lookback DURATION] "
	"[FILE ...]\n",
	NULL,
};

/* What the command line asks for. */
struct args {
	const char *contract, *dlq;
	const char *rate;     /* --max-reject-rate, parsed last */
	int flags;            /* BF_CONTRACT_* */
	size_t maxline;
	struct bf_validate_opts o;
};

/* The options whose value is kept as it is, and where. */
static const struct bf_cli_str str_opts[] = {
	{ 'c', offsetof(struct args, contract) },
	{ 'd', offsetof(struct args, dlq) },
	{ 'r', offsetof(struct args, rate) },
	{ 0, 0 },
};

/* One option into a (bf_cli_parse's set). */
static int
set_opt(void *ctx, int ch, const char *arg)
{
	struct args *a = ctx;

	switch (ch) {
	case 'F':
		a->flags |= BF_CONTRACT_FORMAT_ASSERT;
		return 0;
	case 'L':
		/* 0 turns lookback samples off (bf(7)). */
		return bf_cli_duration("--lookback", arg, 1, 0,
		    &a->o.lookback);
	case 'm':
		return bf_cli_size("--max-line", arg, &a->maxline);
	case 'n':
		return bf_cli_time("--now", arg, 1, &a->o.now);
	case 'p':
		a->flags |= BF_CONTRACT_PLAIN;
		return 0;
	default:
		bf_cli_fail(&cli);
	}
}

static void
parse_args(int argc, char *argv[], struct args *a)
{
	static const struct option longopts[] = {
		{ "contract", required_argument, NULL, 'c' },
		{ "dlq", required_argument, NULL, 'd' },
		{ "format-assert", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "lookback", required_argument, NULL, 'L' },
		{ "max-line", required_argument, NULL, 'm' },
		{ "max-reject-rate", required_argument, NULL, 'r' },
		{ "now", required_argument, NULL, 'n' },
		{ "plain", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	memset(a, 0, sizeof(*a));
	a->rate = DEFAULT_MAX_REJECT_RATE;
	a->maxline = BF_MAXLINE_DEFAULT;
	a->o.now = (bf_time)time(NULL);
	a->o.lookback = DEFAULT_LOOKBACK;
	bf_cli_parse(&cli, argc, argv, "c:d:hm:n:pr:V", longopts, str_opts,
	    set_opt, a);
	if (bf_cli_required("--contract FILE", a->contract != NULL) == -1)
		bf_cli_fail(&cli);
	if (bf_cli_ratio("--max-reject-rate", a->rate,
	    &a->o.max_reject_rate) == -1)
		exit(BF_EXIT_USAGE);
	a->o.plain = (a->flags & BF_CONTRACT_PLAIN) != 0;
}

int
main(int argc, char *argv[])
{
	const struct bf_validate_stats *st;
	struct bf_contract *c;
	struct bf_validator *v;
	struct bf_input in;
	struct bf_dlq *q;
	struct bf_err e = { 0 };
	struct args a;
	int status = BF_EXIT_OK, rc, stop = 0;

	bf_cli_start(argc, argv);
	bf_stdout_init();
	parse_args(argc, argv, &a);
	argc -= optind;
	argv += optind;
	if ((c = bf_contract_load(a.contract, a.flags, &e)) == NULL)
		return bf_err_print(&e);
	if ((q = bf_dlq_open(a.dlq, &e)) == NULL) {
		bf_contract_free(c);
		return bf_err_print(&e);
	}
	v = bf_validator_new(c, &a.o, stdout, q);
	bf_input_init(&in, argv, argc, a.maxline);
	while (!stop && (rc = bf_input_next(&in, &e)) != 0) {
		if (rc < 0) {
			status = bf_err_print(&e);
			bf_err_clear(&e);
			continue;
		}
		if (bf_validator_line(v, in.name, in.lineno,
		    bf_buf_str(&in.line), in.line.len, bf_input_spill(&in), &e) < 0) {
			status = bf_err_print(&e);
			stop = 1;
		}
	}
	bf_validator_finish(v, &e);
	st = bf_validator_stats(v);
	if (st->empty > 0)
		bf_warn("skipped %ld empty line%s", st->empty,
		    st->empty == 1 ? "" : "s");
	if (status == BF_EXIT_OK && st->failed > 0)
		status = BF_EXIT_FAILED;
	bf_err_clear(&e);
	if (bf_dlq_close(q, &e) < 0 && !stop)
		status = bf_err_print(&e);
	bf_input_free(&in);
	bf_validator_free(v);
	bf_contract_free(c);
	if ((rc = bf_close_stdout()) != 0)
		status = rc;
	return status;
}
