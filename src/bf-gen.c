/* bf-gen: seeded generator of realistic database telemetry (bf-gen(1)). */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "gen.h"
#include "timeutil.h"

static const struct bf_cli cli = {
	"bf-gen [-d days] [-f from] [-l limit] [-n instances] "
	"[-r resolution]\n"
	"              [-s seed] [--duplicate-ppm N] [--fine-from-day N] "
	"[--malformed-ppm N]\n",
	NULL,
};

/* One option into o; 0, or -1 when its value is bad (the message
 * printed). */
static int
set_opt(void *ctx, int c, const char *arg)
{
	struct bf_gen_opts *o = ctx;
	long v;
	int64_t d;

	switch (c) {
	case 'd':
		if (bf_cli_long("--days", arg, 1, 36500, &v) == -1)
			return -1;
		o->days = v;
		return 0;
	case 'D':
		if (bf_cli_long("--duplicate-ppm", arg, 0, 1000000, &v) == -1)
			return -1;
		o->duplicate_ppm = (uint32_t)v;
		return 0;
	case 'F':
		if (bf_cli_long("--fine-from-day", arg, 0, 36500, &v) == -1)
			return -1;
		o->fine_from_day = v;
		return 0;
	case 'f':
		return bf_cli_time("--from", arg, 0, &o->from);
	case 'l':
		if (bf_cli_long("--limit", arg, 0, LONG_MAX, &v) == -1)
			return -1;
		o->limit = v;
		return 0;
	case 'M':
		if (bf_cli_long("--malformed-ppm", arg, 0, 1000000, &v) == -1)
			return -1;
		o->malformed_ppm = (uint32_t)v;
		return 0;
	case 'n':
		if (bf_cli_long("--instances", arg, 1, 99, &v) == -1)
			return -1;
		o->instances = (int)v;
		return 0;
	case 'r':
		if (bf_duration_parse(arg, &d) != 0 || d % 60 != 0) {
			bf_warn("bad --resolution '%s': expected whole minutes "
			    "such as 1m or 5m", arg);
			return -1;
		}
		o->resolution = d;
		return 0;
	case 's':
		if (bf_cli_long("--seed", arg, 0, LONG_MAX, &v) == -1)
			return -1;
		o->seed = (uint64_t)v;
		return 0;
	}
	bf_cli_fail(&cli);
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

	bf_cli_start(argc, argv);
	bf_stdout_init();
	bf_gen_defaults(&o);
	bf_cli_parse(&cli, argc, argv, "d:f:hl:n:r:s:V", longopts, NULL,
	    set_opt, &o);
	bf_cli_noargs(&cli, argc, argv);
	if (bf_gen_run(&o, stdout, &e) != 0)
		return bf_err_print(&e);
	return bf_close_stdout();
}
