/*
 * bf-validate: the data contract gate of the bf stream (bf-validate(1)).
 * Command-line layer only; the work is in src/lib/validate.c and contract.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contract.h"
#include "decimal.h"
#include "dlq.h"
#include "err.h"
#include "input.h"
#include "timeutil.h"
#include "validate.h"

#define DEFAULT_MAX_REJECT_RATE "0.5"
#define DEFAULT_LOOKBACK 3600

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: bf-validate -c FILE [-p] [-d FILE] [-m BYTES] "
	    "[-n TIME] [-r RATE]\n"
	    "                   [--format-assert] [--lookback DURATION] "
	    "[FILE ...]\n");
	exit(status);
}

/* A byte count: digits and an optional K, M or G (binary multiples). */
static int
parse_size(const char *s, size_t *out)
{
	unsigned long long v = 0, mul = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (v > (1ULL << 40))
			return -1;
		v = v * 10 + (unsigned)(*p++ - '0');
	}
	if (*p == 'K' || *p == 'k')
		mul = 1ULL << 10;
	else if (*p == 'M' || *p == 'm')
		mul = 1ULL << 20;
	else if (*p == 'G' || *p == 'g')
		mul = 1ULL << 30;
	if (mul != 1)
		p++;
	if (*p != '\0' || v == 0 || v * mul > (1ULL << 40))
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}

int
main(int argc, char *argv[])
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
	const char *contract = NULL, *dlqpath = NULL;
	const char *rate = DEFAULT_MAX_REJECT_RATE;
	struct bf_validate_opts o;
	const struct bf_validate_stats *st;
	struct bf_contract *c;
	struct bf_validator *v;
	struct bf_input in;
	struct bf_dlq *q;
	struct bf_err e;
	size_t maxline = BF_MAXLINE_DEFAULT;
	int ch, flags = 0, status = BF_EXIT_OK, rc, stop = 0;

	bf_setprogname(argv[0]);
	bf_stdout_init();
	argv[0] = (char *)bf_progname; /* getopt names the program too */
	/* getopt's messages name argv[0]: the same name as ours, whatever
	 * path ran us. */
	argv[0] = (char *)bf_progname;
	memset(&o, 0, sizeof(o));
	o.now = (bf_time)time(NULL);
	o.lookback = DEFAULT_LOOKBACK;
	while ((ch = getopt_long(argc, argv, "c:d:hm:n:pr:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			contract = optarg;
			break;
		case 'd':
			dlqpath = optarg;
			break;
		case 'F':
			flags |= BF_CONTRACT_FORMAT_ASSERT;
			break;
		case 'h':
			usage(stdout, BF_EXIT_OK);
			break;
		case 'L':
			/* 0 turns lookback samples off; other durations are
			 * positive (bf(7)). */
			if (bf_duration_parse0(optarg, &o.lookback) < 0) {
				bf_warn("bad --lookback '%s': want 0 or a "
				    "duration such as 1h, 90m, 1d", optarg);
				return BF_EXIT_USAGE;
			}
			break;
		case 'm':
			if (parse_size(optarg, &maxline) < 0) {
				bf_warn("bad --max-line '%s': want a byte "
				    "count such as 1048576 or 1M", optarg);
				return BF_EXIT_USAGE;
			}
			break;
		case 'n':
			if (bf_time_parse_any(optarg, strlen(optarg), &o.now,
			    NULL) < 0) {
				bf_warn("bad --now '%s': want an RFC 3339 time "
				    "or epoch seconds", optarg);
				return BF_EXIT_USAGE;
			}
			break;
		case 'p':
			flags |= BF_CONTRACT_PLAIN;
			break;
		case 'r':
			rate = optarg;
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
	if (contract == NULL) {
		bf_warn("missing --contract FILE");
		usage(stderr, BF_EXIT_USAGE);
	}
	if (bf_dec_parse(rate, strlen(rate), &o.max_reject_rate) !=
	    BF_DEC_OK || bf_dec_sign(o.max_reject_rate) < 0 ||
	    bf_dec_cmp(o.max_reject_rate, bf_dec_from_int(1)) > 0) {
		bf_warn("bad --max-reject-rate '%s': want a ratio from 0 to 1",
		    rate);
		return BF_EXIT_USAGE;
	}
	o.plain = (flags & BF_CONTRACT_PLAIN) != 0;

	bf_err_clear(&e);
	if ((c = bf_contract_load(contract, flags, &e)) == NULL)
		return bf_err_print(&e);
	if ((q = bf_dlq_open(dlqpath, &e)) == NULL) {
		bf_contract_free(c);
		return bf_err_print(&e);
	}
	v = bf_validator_new(c, &o, stdout, q);
	bf_input_init(&in, argv, argc, maxline);
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
