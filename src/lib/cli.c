/* cli.c: see cli.h. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "retry.h"

void
bf_cli_start(int argc, char *argv[])
{
	(void)argc;
	bf_setprogname(argv[0]);
	/* getopt's messages name argv[0]: the same name as ours, whatever
	 * path ran us. */
	argv[0] = (char *)bf_progname;
}

_Noreturn void
bf_cli_usage(const struct bf_cli *c, FILE *fp, int status)
{
	fprintf(fp, "usage: %s", c->synopsis);
	if (c->options != NULL && fp == stdout)
		fputs(c->options, fp);
	else if (c->options != NULL)
		fprintf(fp, "Try '%s --help' for the options.\n", bf_progname);
	if (fp == stdout && bf_close_stdout() != 0)
		exit(BF_EXIT_IO);
	exit(status);
}

void
bf_cli_common(const struct bf_cli *c, int ch)
{
	if (ch == 'h')
		bf_cli_usage(c, stdout, BF_EXIT_OK);
	if (ch == 'V') {
		bf_print_version();
		exit(bf_close_stdout());
	}
}

_Noreturn void
bf_cli_fail(const struct bf_cli *c)
{
	bf_cli_usage(c, stderr, BF_EXIT_USAGE);
}

void
bf_cli_parse(const struct bf_cli *c, int argc, char *argv[],
    const char *shortopts, const struct option *longopts,
    const struct bf_cli_str *strs,
    int (*set)(void *ctx, int ch, const char *arg), void *ctx)
{
	int ch, bad = 0;

	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	    -1) {
		bf_cli_common(c, ch);
		if (strs != NULL && bf_cli_str_set(strs, ctx, ch, optarg))
			continue;
		if (set(ctx, ch, optarg) == -1)
			bad = 1;
	}
	if (bad)
		exit(BF_EXIT_USAGE);
}

void
bf_cli_noargs(const struct bf_cli *c, int argc, char *argv[])
{
	if (optind < argc) {
		bf_warn("unexpected argument '%s'", argv[optind]);
		bf_cli_fail(c);
	}
}

int
bf_cli_time(const char *flag, const char *arg, int frac, bf_time *t)
{
	int32_t ns = 0;

	if (bf_time_parse_any(arg, strlen(arg), t, &ns) == -1) {
		bf_warn("bad %s '%s': expected an RFC 3339 time, a date or "
		    "epoch seconds", flag, arg);
		return -1;
	}
	if (ns != 0 && !frac) {
		bf_warn("bad %s '%s': expected whole seconds", flag, arg);
		return -1;
	}
	return 0;
}

int
bf_cli_duration(const char *flag, const char *arg, int zero_ok,
    int64_t max, int64_t *secs)
{
	int64_t v;
	int rc = zero_ok ? bf_duration_parse0(arg, &v) :
	    bf_duration_parse(arg, &v);

	if (rc == -1 || (max > 0 && v > max)) {
		bf_warn("bad %s '%s': expected %sa duration such as 1h, 90m, "
		    "1d", flag, arg, zero_ok ? "0 or " : "");
		return -1;
	}
	*secs = v;
	return 0;
}

int
bf_cli_ms(const char *flag, const char *arg, int zero_ok, int64_t *ms)
{
	int64_t v;

	if (bf_ms_parse(arg, &v) < 0 || (v == 0 && !zero_ok)) {
		bf_warn("bad %s '%s': expected %sa duration such as 500ms, "
		    "30s, 5m", flag, arg, zero_ok ? "0 or " : "");
		return -1;
	}
	*ms = v;
	return 0;
}

int
bf_cli_size(const char *flag, const char *arg, size_t *bytes)
{
	unsigned long long v = 0, mul = 1;
	const char *p = arg;

	while (*p >= '0' && *p <= '9' && v <= (1ULL << 40))
		v = v * 10 + (unsigned)(*p++ - '0');
	if (*p == 'K' || *p == 'k')
		mul = 1ULL << 10;
	else if (*p == 'M' || *p == 'm')
		mul = 1ULL << 20;
	else if (*p == 'G' || *p == 'g')
		mul = 1ULL << 30;
	if (mul != 1)
		p++;
	if (p == arg || *p != '\0' || v == 0 || v > (1ULL << 40) ||
	    v * mul > (1ULL << 40)) {
		bf_warn("bad %s '%s': expected a byte count such as 65536, "
		    "64K or 1M", flag, arg);
		return -1;
	}
	*bytes = (size_t)(v * mul);
	return 0;
}

int
bf_cli_long(const char *flag, const char *arg, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	/* strtol would take leading white space and '+': a flag does not. */
	if ((*arg != '-' && (*arg < '0' || *arg > '9')) || end == arg ||
	    *end != '\0' || errno == ERANGE || v < lo || v > hi) {
		bf_warn("bad %s '%s': expected %ld to %ld", flag, arg, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int
bf_cli_ratio(const char *flag, const char *arg, bf_dec *out)
{
	bf_dec d;

	if (bf_dec_parse(arg, strlen(arg), &d) != BF_DEC_OK ||
	    bf_dec_sign(d) < 0 || bf_dec_cmp(d, bf_dec_from_int(1)) > 0) {
		bf_warn("bad %s '%s': expected a decimal from 0 to 1", flag,
		    arg);
		return -1;
	}
	*out = d;
	return 0;
}

int
bf_cli_choice(const char *flag, const char *arg, const char *const *choices,
    int *out)
{
	char list[256];
	size_t len = 0;
	int i, n;

	for (n = 0; choices[n] != NULL; n++)
		if (strcmp(arg, choices[n]) == 0) {
			*out = n;
			return 0;
		}
	list[0] = '\0';
	for (i = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    i == 0 ? "" : i == n - 1 ? " or " : ", ", choices[i]);
	bf_warn("bad %s '%s': expected %s", flag, arg, list);
	return -1;
}

int
bf_cli_required(const char *what, int given)
{
	if (given)
		return 0;
	bf_warn("%s is required", what);
	return -1;
}

int
bf_cli_exclusive(const char *a, int has_a, const char *b, int has_b)
{
	if (!has_a || !has_b)
		return 0;
	bf_warn("%s and %s do not go together", a, b);
	return -1;
}

int
bf_cli_str_set(const struct bf_cli_str *t, void *dst, int ch,
    const char *arg)
{
	for (; t->ch != 0; t++)
		if (t->ch == ch) {
			*(const char **)(void *)((char *)dst + t->off) = arg;
			return 1;
		}
	return 0;
}
