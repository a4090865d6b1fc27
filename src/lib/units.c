/*
 * units.c: the built-in unit table and exact conversions (see units.h).
 */
#include <string.h>

#include "units.h"

static const struct bf_unit units[] = {
	/* CloudWatch: time, base Seconds. */
	{ "Seconds", "time", "1" },
	{ "Milliseconds", "time", "0.001" },
	{ "Microseconds", "time", "0.000001" },
	/* CloudWatch: data sizes, base Bytes, binary multiples. */
	{ "Bytes", "data", "1" },
	{ "Kilobytes", "data", "1024" },
	{ "Megabytes", "data", "1048576" },
	{ "Gigabytes", "data", "1073741824" },
	{ "Terabytes", "data", "1099511627776" },
	{ "Bits", "data", "0.125" },
	{ "Kilobits", "data", "128" },
	{ "Megabits", "data", "131072" },
	{ "Gigabits", "data", "134217728" },
	{ "Terabits", "data", "137438953472" },
	/* CloudWatch: data rates, base Bytes/Second. */
	{ "Bytes/Second", "data_rate", "1" },
	{ "Kilobytes/Second", "data_rate", "1024" },
	{ "Megabytes/Second", "data_rate", "1048576" },
	{ "Gigabytes/Second", "data_rate", "1073741824" },
	{ "Terabytes/Second", "data_rate", "1099511627776" },
	{ "Bits/Second", "data_rate", "0.125" },
	{ "Kilobits/Second", "data_rate", "128" },
	{ "Megabits/Second", "data_rate", "131072" },
	{ "Gigabits/Second", "data_rate", "134217728" },
	{ "Terabits/Second", "data_rate", "137438953472" },
	/* CloudWatch: the rest. */
	{ "Percent", "percent", "1" },
	{ "Count", "count", "1" },
	{ "Count/Second", "count_rate", "1" },
	{ "None", "none", "1" },
	/* Prometheus base-unit conventions (metric name suffixes). */
	{ "seconds", "time", "1" },
	{ "bytes", "data", "1" },
	{ "ratio", "percent", "100" },
	{ "percent", "percent", "1" },
};

const struct bf_unit *
bf_unit_find(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == n &&
		    memcmp(units[i].name, s, n) == 0)
			return &units[i];
	return NULL;
}

const struct bf_unit *
bf_unit_table(size_t *n)
{
	*n = sizeof(units) / sizeof(units[0]);
	return units;
}

int
bf_unit_conversion(const struct bf_unit *from, const struct bf_unit *to,
    bf_dec *num, bf_dec *den)
{
	bf_dec a, b;

	if (from == NULL || to == NULL || strcmp(from->dim, to->dim) != 0)
		return -1;
	if (bf_dec_parse(from->factor, strlen(from->factor), &a) != BF_DEC_OK ||
	    bf_dec_parse(to->factor, strlen(to->factor), &b) != BF_DEC_OK)
		return -1;
	*num = a;
	*den = b;
	return 0;
}

int
bf_unit_convert(bf_dec value, bf_dec num, bf_dec den, bf_dec *out)
{
	if (num.v == den.v) {
		*out = value;
		return BF_DEC_OK;
	}
	return bf_dec_muldiv(value, num, den, out);
}

size_t
bf_unit_format_number(bf_dec v, char out[BF_DEC_LEN])
{
	size_t n;

	n = bf_dec_format(v, out);
	if (memchr(out, '.', n) == NULL)
		return n;
	while (n > 0 && out[n - 1] == '0')
		n--;
	if (n > 0 && out[n - 1] == '.')
		n--;
	out[n] = '\0';
	if (n == 2 && out[0] == '-' && out[1] == '0') {
		out[0] = '0';
		out[1] = '\0';
		n = 1;
	}
	return n;
}
