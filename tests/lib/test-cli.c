/* Unit tests for cli.h: the option values every program parses, and the
 * one message style of their refusals. */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "tap.h"

static FILE *cap;
static int saved = -1;
static char msg[512];

/* Sends stderr to a temporary file until got(). */
static void
capture(void)
{
	fflush(stderr);
	cap = tmpfile();
	saved = dup(STDERR_FILENO);
	if (cap != NULL)
		dup2(fileno(cap), STDERR_FILENO);
}

/* What was written to stderr since capture(), without its newline. */
static const char *
got(void)
{
	size_t n = 0;

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	if (cap != NULL) {
		rewind(cap);
		n = fread(msg, 1, sizeof(msg) - 1, cap);
		fclose(cap);
	}
	msg[n] = '\0';
	if (n > 0 && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	return msg;
}

static void
sizes(void)
{
	static const struct { const char *s; size_t want; } good[] = {
		{ "1", 1 }, { "65536", 65536 }, { "64K", 65536 },
		{ "64k", 65536 }, { "1M", 1 << 20 }, { "2G", 2UL << 30 },
		{ "1024G", 1UL << 40 },
	};
	static const char *bad[] = { "", "0", "0K", "K", "-1", "1T", "1KB",
		"1025G", "99999999999999999999", " 1", "1.5M" };
	char want[256];
	size_t i, v;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(bf_cli_size("--max-line", good[i].s, &v) == 0 &&
		    v == good[i].want, "size '%s' is %zu", good[i].s,
		    good[i].want);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		capture();
		v = 7;
		ok(bf_cli_size("--max-line", bad[i], &v) == -1 && v == 7,
		    "size '%s' refused", bad[i]);
		snprintf(want, sizeof(want), "test-cli: bad --max-line '%s': "
		    "expected a byte count such as 65536, 64K or 1M", bad[i]);
		is_str(got(), want, "its message");
	}
}

static void
numbers(void)
{
	long v = 0;
	bf_dec d;

	ok(bf_cli_long("--batch", "1000000", 1, 1000000, &v) == 0 &&
	    v == 1000000, "long at the top of its range");
	ok(bf_cli_long("--x", "-3", -5, 5, &v) == 0 && v == -3,
	    "a negative long when the range allows it");
	capture();
	ok(bf_cli_long("--batch", "0", 1, 1000000, &v) == -1, "0 refused");
	is_str(got(), "test-cli: bad --batch '0': expected 1 to 1000000",
	    "its message");
	capture();
	ok(bf_cli_long("--batch", "+5", 1, 9, &v) == -1 &&
	    bf_cli_long("--batch", " 5", 1, 9, &v) == -1 &&
	    bf_cli_long("--batch", "5x", 1, 9, &v) == -1 &&
	    bf_cli_long("--batch", "", 1, 9, &v) == -1 &&
	    bf_cli_long("--batch", "99999999999999999999", 1, 9, &v) == -1,
	    "'+5', ' 5', '5x', '' and an overflow refused");
	got();
	ok(bf_cli_ratio("--max-reject-rate", "0.25", &d) == 0 &&
	    bf_dec_cmp(d, bf_dec_from_int(0)) > 0, "ratio 0.25");
	ok(bf_cli_ratio("--r", "1", &d) == 0 && bf_cli_ratio("--r", "0", &d) ==
	    0, "ratios 0 and 1");
	capture();
	ok(bf_cli_ratio("--min-coverage", "1.01", &d) == -1 &&
	    bf_cli_ratio("--min-coverage", "-0", &d) == 0 &&
	    bf_cli_ratio("--min-coverage", "-0.1", &d) == -1,
	    "ratio above 1 and below 0 refused");
	is_str(got(), "test-cli: bad --min-coverage '1.01': expected a "
	    "decimal from 0 to 1\ntest-cli: bad --min-coverage '-0.1': "
	    "expected a decimal from 0 to 1", "their messages");
}

static void
times(void)
{
	static const char *const order[] = { "time", "partition", NULL };
	static const char *const three[] = { "ndjson", "csv", "table",
		NULL };
	bf_time t = 0;
	int64_t s = 0;
	int i = -1;

	ok(bf_cli_time("--from", "2026-01-01", 0, &t) == 0 &&
	    t == 1767225600, "a date");
	ok(bf_cli_time("--now", "2026-01-01T00:00:00.5Z", 1, &t) == 0,
	    "fractional seconds where allowed");
	capture();
	ok(bf_cli_time("--from", "2026-01-01T00:00:00.5Z", 0, &t) == -1 &&
	    bf_cli_time("--align", "yesterday", 0, &t) == -1,
	    "fractional seconds where not allowed, and a word, refused");
	is_str(got(), "test-cli: bad --from '2026-01-01T00:00:00.5Z': "
	    "expected whole seconds\ntest-cli: bad --align 'yesterday': "
	    "expected an RFC 3339 time, a date or epoch seconds",
	    "their messages");
	ok(bf_cli_duration("--settle", "0", 1, 0, &s) == 0 && s == 0,
	    "duration 0 where allowed");
	ok(bf_cli_duration("--size", "90m", 0, 0, &s) == 0 && s == 5400,
	    "duration 90m");
	capture();
	ok(bf_cli_duration("--size", "0", 0, 0, &s) == -1 &&
	    bf_cli_duration("--settle", "2h", 1, 3600, &s) == -1,
	    "0 where not allowed, and over the maximum, refused");
	is_str(got(), "test-cli: bad --size '0': expected a duration such as "
	    "1h, 90m, 1d\ntest-cli: bad --settle '2h': expected 0 or a "
	    "duration such as 1h, 90m, 1d", "their messages");
	ok(bf_cli_choice("--order", "partition", order, &i) == 0 && i == 1,
	    "a choice");
	capture();
	ok(bf_cli_choice("--order", "random", order, &i) == -1 &&
	    bf_cli_choice("--format", "xml", three, &i) == -1,
	    "other words refused");
	is_str(got(), "test-cli: bad --order 'random': expected time or "
	    "partition\ntest-cli: bad --format 'xml': expected ndjson, csv "
	    "or table", "their messages list the choices");
}

static void
together(void)
{
	ok(bf_cli_required("--db TARGET", 1) == 0, "given");
	ok(bf_cli_exclusive("--gaps", 1, "--force", 0) == 0, "one of two");
	capture();
	ok(bf_cli_required("--db TARGET", 0) == -1 &&
	    bf_cli_exclusive("--gaps", 1, "--force", 1) == -1,
	    "missing, and both");
	is_str(got(), "test-cli: --db TARGET is required\ntest-cli: --gaps "
	    "and --force do not go together", "their messages");
}

/* What parse_set saw: the options in order, and their values. */
static char seen[64];

static int
parse_set(void *ctx, int ch, const char *arg)
{
	size_t n = strlen(seen);

	(void)ctx;
	snprintf(seen + n, sizeof(seen) - n, "%c%s;", ch, arg ? arg : "");
	return 0;
}

static void
parse(void)
{
	static const struct bf_cli c = { "test-cli [-a x] [-b]\n", NULL };
	static const struct option lo[] = {
		{ "alpha", required_argument, NULL, 'a' },
		{ "beta", no_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	char a0[] = "test-cli", a1[] = "-a", a2[] = "1", a3[] = "--beta",
	    a4[] = "--alpha=2", a5[] = "rest";
	char *argv[] = { a0, a1, a2, a3, a4, a5, NULL };

	optind = 1;
	bf_cli_parse(&c, 6, argv, "a:b", lo, NULL, parse_set, NULL);
	is_str(seen, "a1;b;a2;", "bf_cli_parse hands each option to set");
	is_int(optind, 5, "and leaves optind at the first argument");
	optind = 6;
	bf_cli_noargs(&c, 6, argv);
	ok(1, "bf_cli_noargs passes when nothing is left");

	/* With a table: its options land in ctx, set sees only the rest. */
	{
		static const struct bf_cli_str t[] = {
			{ 'a', 0 },
			{ 0, 0 },
		};
		const char *alpha = NULL;

		seen[0] = '\0';
		optind = 1;
		bf_cli_parse(&c, 6, argv, "a:b", lo, t, parse_set, &alpha);
		is_str(seen, "b;", "a table option does not reach set");
		is_str(alpha, "2", "it lands in ctx, the last one given");
	}
}

/* bf_cli_str_set: an option of the table lands in its member, the others
 * in none. */
static void
strs(void)
{
	struct opts {
		int n;
		const char *a, *b;
	} o = { 7, NULL, NULL };
	static const struct bf_cli_str t[] = {
		{ 'a', offsetof(struct opts, a) },
		{ 1000, offsetof(struct opts, b) },
		{ 0, 0 },
		{ 'n', offsetof(struct opts, a) },
	};

	is_int(bf_cli_str_set(t, &o, 1000, "x"), 1, "a table option is set");
	is_str(o.b, "x", "in its member");
	ok(o.a == NULL && o.n == 7, "and in no other");
	is_int(bf_cli_str_set(t, &o, 'a', "y"), 1, "the first of the table");
	is_str(o.a, "y", "in its member");
	is_int(bf_cli_str_set(t, &o, 'b', "z"), 0,
	    "an option not in the table: 0");
	ok(strcmp(o.a, "y") == 0 && strcmp(o.b, "x") == 0 && o.n == 7,
	    "and nothing changed");
	is_int(bf_cli_str_set(t, &o, 'n', "w"), 0,
	    "the table ends at { 0, 0 }");
	is_str(o.a, "y", "an entry past the end sets nothing");
}

int
main(void)
{
	bf_setprogname("test-cli");
	sizes();
	numbers();
	times();
	together();
	parse();
	strs();
	return done_testing();
}
