/* Unit tests for units.c: the built-in table and exact conversions. */
#include <string.h>

#include "tap.h"
#include "units.h"

static const char *
conv(const char *from, const char *to, const char *value)
{
	static char out[BF_DEC_LEN];
	const struct bf_unit *a = bf_unit_find(from, strlen(from));
	const struct bf_unit *b = bf_unit_find(to, strlen(to));
	bf_dec num, den, v, r;

	if (bf_unit_conversion(a, b, &num, &den) < 0)
		return "no conversion";
	if (bf_dec_parse(value, strlen(value), &v) != BF_DEC_OK)
		return "bad value";
	if (bf_unit_convert(v, num, den, &r) != BF_DEC_OK)
		return "overflow";
	bf_unit_format_number(r, out);
	return out;
}

static const char *
fmt(const char *s)
{
	static char out[BF_DEC_LEN];
	bf_dec v;

	bf_dec_parse(s, strlen(s), &v);
	bf_unit_format_number(v, out);
	return out;
}

int
main(void)
{
	const struct bf_unit *u, *tab;
	size_t n, i, k;
	int dup = 0;

	u = bf_unit_find("Kilobytes", 9);
	ok(u != NULL && strcmp(u->factor, "1024") == 0,
	    "Kilobytes is 1024 Bytes (binary, as CloudWatch)");
	ok(bf_unit_find("kilobytes", 9) == NULL, "names are case-sensitive");
	ok(bf_unit_find("Furlongs", 8) == NULL, "unknown unit");
	ok(bf_unit_find("Kilo", 4) == NULL, "no prefix match");

	tab = bf_unit_table(&n);
	for (i = 0; i < n; i++)
		for (k = i + 1; k < n; k++)
			if (strcmp(tab[i].name, tab[k].name) == 0)
				dup = 1;
	ok(!dup, "no unit is in the table twice");
	for (i = 0; i < n; i++) {
		bf_dec f;

		if (bf_dec_parse(tab[i].factor, strlen(tab[i].factor), &f) !=
		    BF_DEC_OK || bf_dec_sign(f) <= 0)
			break;
	}
	ok(i == n, "every factor is an exact decimal above 0");

	is_str(conv("Kilobytes", "Bytes", "20"), "20480", "20 KB in Bytes");
	is_str(conv("Bytes", "Kilobytes", "1536"), "1.5", "1536 B in KB");
	is_str(conv("Bits", "Bytes", "8"), "1", "8 bits in Bytes");
	is_str(conv("Gigabits", "Megabytes", "1"), "128", "1 Gbit in MB");
	is_str(conv("Terabytes", "Bytes", "2"), "2199023255552", "2 TB");
	is_str(conv("Milliseconds", "Seconds", "1500"), "1.5", "ms to s");
	is_str(conv("Microseconds", "Milliseconds", "250"), "0.25",
	    "us to ms");
	is_str(conv("Seconds", "Microseconds", "0.000001"), "1", "s to us");
	is_str(conv("ratio", "Percent", "0.5"), "50", "ratio 0.5 is 50 percent");
	is_str(conv("ratio", "Percent", "0.123456789"), "12.3456789",
	    "a ratio keeps its digits");
	is_str(conv("Percent", "ratio", "12.5"), "0.125", "Percent to ratio");
	is_str(conv("seconds", "Seconds", "3"), "3", "Prometheus seconds");
	is_str(conv("bytes", "Kilobytes", "2048"), "2", "Prometheus bytes");
	is_str(conv("Kilobits/Second", "Bytes/Second", "1"), "128",
	    "Kbit/s in B/s");
	is_str(conv("Bytes", "Seconds", "1"), "no conversion",
	    "dimensions must agree");
	is_str(conv("Count", "Count/Second", "1"), "no conversion",
	    "a count is not a rate");
	is_str(conv("None", "None", "7"), "7", "None to None");
	is_str(conv("Bytes", "Terabytes", "1"), "0",
	    "below 1e-9 rounds (half even) to 0");
	is_str(conv("Bytes", "Kilobytes", "0.0000005"), "0",
	    "half-even rounding: 4.8828125e-10 rounds to 0");
	is_str(conv("Terabits", "Bytes", "10000000000000000000"), "overflow",
	    "overflow is reported, not wrapped");

	is_str(fmt("20480"), "20480", "integer without fraction");
	is_str(fmt("0.500000000"), "0.5", "trailing zeros dropped");
	is_str(fmt("-1.25"), "-1.25", "negative");
	is_str(fmt("-0.0"), "0", "negative zero is 0");
	is_str(fmt("0.000000001"), "0.000000001", "smallest step");
	return done_testing();
}
