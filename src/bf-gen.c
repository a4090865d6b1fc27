/* bf-gen: seeded generator of realistic database telemetry (bf-gen(1)). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gen.h"
#include "timeutil.h"

static void
usage(FILE *fp)
{
	fputs("usage: bf-gen [-d days] [-f from] [-l limit] [-n instances] "
	    "[-r resolution]\n"
	    "              [-s seed] [--duplicate-ppm N] [--fine-from-day N] "
	    "[--malformed-ppm N]\n", fp);
}

/* Parses a non-negative decimal integer no larger than max. */
static int
number(const char *s, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "days", required_argument, NULL, 'd' },
		{ "duplicate-ppm", required_argument, NULL, 'D' },
		{ "fine-from-day", required_argument, NULL, 'F' },
		{ "from", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "instances", required_argument, NULL, 'n' },
		{ "limit", required_argument, NULL, 'l' },
		{ "malformed-ppm", required_argument, NULL, 'M' },
		{ "resolution", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct bf_gen_opts o;
	struct bf_err e = { 0 };
	int64_t v;
	int c;

	bf_setprogname(argv[0]);
	bf_stdout_init();
	argv[0] = (char *)bf_progname; /* getopt names the program too */
	bf_gen_defaults(&o);
	while ((c = getopt_long(argc, argv, "d:f:hl:n:r:s:V", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'd':
			if (number(optarg, 36500, &v) != 0 || v == 0)
				goto bad;
			o.days = v;
			break;
		case 'D':
			if (number(optarg, 1000000, &v) != 0)
				goto bad;
			o.duplicate_ppm = (uint32_t)v;
			break;
		case 'F':
			if (number(optarg, 36500, &v) != 0)
				goto bad;
			o.fine_from_day = v;
			break;
		case 'f':
			if (bf_time_parse(optarg, strlen(optarg), &o.from,
			    NULL) != 0)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return bf_close_stdout();
		case 'l':
			if (number(optarg, INT64_MAX, &v) != 0)
				goto bad;
			o.limit = v;
			break;
		case 'M':
			if (number(optarg, 1000000, &v) != 0)
				goto bad;
			o.malformed_ppm = (uint32_t)v;
			break;
		case 'n':
			if (number(optarg, 99, &v) != 0 || v == 0)
				goto bad;
			o.instances = (int)v;
			break;
		case 'r':
			if (bf_duration_parse(optarg, &v) != 0 || v % 60 != 0)
				goto bad;
			o.resolution = v;
			break;
		case 's':
			if (number(optarg, INT64_MAX, &v) != 0)
				goto bad;
			o.seed = (uint64_t)v;
			break;
		case 'V':
			bf_print_version();
			return bf_close_stdout();
		default:
			usage(stderr);
			return BF_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		bf_warn("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return BF_EXIT_USAGE;
	}
	if (bf_gen_run(&o, stdout, &e) != 0)
		return bf_err_print(&e);
	return bf_close_stdout();
bad:
	for (v = 0; longopts[v].name != NULL && longopts[v].val != c; v++)
		;
	bf_warn("invalid value '%s' for --%s", optarg, longopts[v].name);
	usage(stderr);
	return BF_EXIT_USAGE;
}
