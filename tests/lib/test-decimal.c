/* Unit tests for decimal.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "tap.h"

typedef unsigned __int128 u128;

#define MAXSTR "170141183460469231731687303715.884105727"

static uint64_t rng = 0x2545f4914f6cdd1du;

static uint64_t
rnd(void)
{
	/* xorshift64*: deterministic, so failures reproduce. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717u;
}

static const char *
F(bf_dec a)
{
	static char buf[8][BF_DEC_LEN];
	static int k;

	k = (k + 1) % 8;
	bf_dec_format(a, buf[k]);
	return buf[k];
}

static bf_dec
D(const char *s)
{
	bf_dec d = {0};

	if (bf_dec_parse(s, strlen(s), &d) != BF_DEC_OK) {
		fprintf(stderr, "# bad test value '%s'\n", s);
		abort();
	}
	return d;
}

/* Parse result as text: the formatted value or an error name. */
static const char *
P(const char *s, int *inexact)
{
	static char buf[BF_DEC_LEN];
	bf_dec d;

	switch (bf_dec_parse_x(s, strlen(s), &d, inexact)) {
	case BF_DEC_OK:
		bf_dec_format(d, buf);
		return buf;
	case BF_DEC_ESYNTAX:
		return "syntax";
	case BF_DEC_EOVERFLOW:
		return "overflow";
	}
	return "?";
}

static const char *
R(int rc, bf_dec d)
{
	switch (rc) {
	case BF_DEC_OK:
		return F(d);
	case BF_DEC_EOVERFLOW:
		return "overflow";
	case BF_DEC_EDIVZERO:
		return "divzero";
	case BF_DEC_ESYNTAX:
		return "syntax";
	}
	return "?";
}

static void
test_parse(void)
{
	static const struct {
		const char *s, *want;
		int inexact;
	} cases[] = {
		{"0", "0.000000000", 0},
		{"-0", "0.000000000", 0},
		{"-0.0", "0.000000000", 0},
		{"1", "1.000000000", 0},
		{"-1", "-1.000000000", 0},
		{"1.5e3", "1500.000000000", 0},
		{"12E-3", "0.012000000", 0},
		{"1E+2", "100.000000000", 0},
		{"1e007", "10000000.000000000", 0},
		{"0.1e1", "1.000000000", 0},
		{"0.195051", "0.195051000", 0},
		{"123.456789012", "123.456789012", 0},
		{"123.456789012000000", "123.456789012", 0},
		{"21474836480", "21474836480.000000000", 0},
		{"0.0000000005", "0.000000000", 1},
		{"0.0000000015", "0.000000002", 1},
		{"0.0000000025", "0.000000002", 1},
		{"0.0000000035", "0.000000004", 1},
		{"0.00000000250000001", "0.000000003", 1},
		{"0.0000000024999", "0.000000002", 1},
		{"0.1234567891", "0.123456789", 1},
		{"0.9999999995", "1.000000000", 1},
		{"-0.0000000015", "-0.000000002", 1},
		{"-0.0000000025", "-0.000000002", 1},
		{"-0.0000000005", "0.000000000", 1},
		{"-0.9999999995", "-1.000000000", 1},
		{"5e-10", "0.000000000", 1},
		{"5.000001e-10", "0.000000001", 1},
		{"15e-10", "0.000000002", 1},
		{"25e-10", "0.000000002", 1},
		{"1e-400", "0.000000000", 1},
		{"-1e-400", "0.000000000", 1},
		{"1e-99999999999999999999999", "0.000000000", 1},
		{"0e99999999999999999999999", "0.000000000", 0},
		{"0.000e5", "0.000000000", 0},
		{"100000000000000000000000000000e-1",
		    "10000000000000000000000000000.000000000", 0},
		{"0.00000000000000000000000000000000000000000000000001e50",
		    "1.000000000", 0},
		{MAXSTR, MAXSTR, 0},
		{"-" MAXSTR, "-" MAXSTR, 0},
		{MAXSTR "4", MAXSTR, 1},
		{"1.70141183460469231731687303715884105727e29", MAXSTR, 0},
		{"170141183460469231731687303715884105727e-9", MAXSTR, 0},
		{MAXSTR "5", "overflow", 0},
		{"170141183460469231731687303715.884105728", "overflow", 0},
		{"-170141183460469231731687303715.884105728", "overflow", 0},
		{"1e30", "overflow", 0},
		{"1e29", "100000000000000000000000000000.000000000", 0},
		{"-1e400", "overflow", 0},
		{"1e99999999999999999999999", "overflow", 0},
		{"123456789012345678901234567890123456789012", "overflow", 0},
		{"", "syntax", 0},
		{"-", "syntax", 0},
		{"+1", "syntax", 0},
		{"+0", "syntax", 0},
		{"01", "syntax", 0},
		{"-01", "syntax", 0},
		{"00", "syntax", 0},
		{"00.5", "syntax", 0},
		{".5", "syntax", 0},
		{"5.", "syntax", 0},
		{"-.5", "syntax", 0},
		{"1.e5", "syntax", 0},
		{"1e", "syntax", 0},
		{"1e+", "syntax", 0},
		{"1e-", "syntax", 0},
		{"1E5.5", "syntax", 0},
		{"1e5e5", "syntax", 0},
		{"1 ", "syntax", 0},
		{" 1", "syntax", 0},
		{"1 .5", "syntax", 0},
		{"- 1", "syntax", 0},
		{"0x1", "syntax", 0},
		{"NaN", "syntax", 0},
		{"Infinity", "syntax", 0},
		{"-Infinity", "syntax", 0},
		{"inf", "syntax", 0},
		{"1,5", "syntax", 0},
		{"1.5.5", "syntax", 0},
		{"--1", "syntax", 0},
		{"\"1\"", "syntax", 0},
		{"1_000", "syntax", 0},
		{"\xd9\xa1", "syntax", 0},
	};
	bf_dec d;
	int inexact;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		inexact = -1;
		is_str(P(cases[i].s, &inexact), cases[i].want, "parse '%s'",
		    cases[i].s);
		if (strcmp(cases[i].want, "syntax") != 0 &&
		    strcmp(cases[i].want, "overflow") != 0)
			is_int(inexact, cases[i].inexact, "parse '%s' inexact",
			    cases[i].s);
		else
			is_int(inexact, -1, "parse '%s' leaves inexact alone",
			    cases[i].s);
	}
	d.v = 4242;
	ok(bf_dec_parse("1e30", 4, &d) == BF_DEC_EOVERFLOW && d.v == 4242,
	    "overflowing parse leaves *out alone");
	ok(bf_dec_parse("x", 1, &d) == BF_DEC_ESYNTAX && d.v == 4242,
	    "bad parse leaves *out alone");
	ok(bf_dec_parse("1.5xyz", 3, &d) == BF_DEC_OK &&
	    strcmp(F(d), "1.500000000") == 0, "parse uses only n bytes");
	ok(bf_dec_parse("1.5", 2, &d) == BF_DEC_ESYNTAX,
	    "parse of a cut '1.' is refused");
	ok(bf_dec_parse(NULL, 0, &d) == BF_DEC_ESYNTAX, "parse NULL");
	ok(bf_dec_parse("0.0000000015", 12, &d) == BF_DEC_OK && d.v == 2,
	    "bf_dec_parse without inexact");
}

static void
test_basic(void)
{
	bf_dec d, min = {-BF_DEC_MAX - 1};
	int64_t i;
	char buf[BF_DEC_LEN];

	is_str(F(bf_dec_from_int(0)), "0.000000000", "format zero");
	is_str(F(bf_dec_from_int(-3)), "-3.000000000", "from_int -3");
	is_str(F(bf_dec_from_int(INT64_MIN)), "-9223372036854775808.000000000",
	    "from_int INT64_MIN");
	is_str(F(bf_dec_from_int(INT64_MAX)), "9223372036854775807.000000000",
	    "from_int INT64_MAX");
	is_str(F(D("-2.5")), "-2.500000000", "format -2.5");
	is_str(F(D("0.195051")), "0.195051000", "format 0.195051");
	is_str(F(D("-0.000000001")), "-0.000000001", "format -1 unit");
	d.v = BF_DEC_MAX;
	is_str(F(d), MAXSTR, "format BF_DEC_MAX");
	d.v = -BF_DEC_MAX;
	is_str(F(d), "-" MAXSTR, "format -BF_DEC_MAX");
	is_int(bf_dec_format(d, buf), 41, "format length of -BF_DEC_MAX");
	is_str(F(min), "-170141183460469231731687303715.884105728",
	    "format INT128_MIN");
	is_str(F(D("10000000000000000000")), "10000000000000000000.000000000",
	    "format across the 19-digit chunk");
	is_str(F(D("10000000000.000000001")), "10000000000.000000001",
	    "format with zeros inside chunks");

	ok(bf_dec_to_int(D("42"), &i) == 0 && i == 42, "to_int 42");
	ok(bf_dec_to_int(D("-42"), &i) == 0 && i == -42, "to_int -42");
	ok(bf_dec_to_int(bf_dec_from_int(INT64_MIN), &i) == 0 &&
	    i == INT64_MIN, "to_int INT64_MIN");
	i = 7;
	ok(bf_dec_to_int(D("42.5"), &i) == -1 && i == 7, "to_int 42.5 fails");
	ok(bf_dec_to_int(D("9223372036854775808"), &i) == -1 && i == 7,
	    "to_int 2^63 fails");
	ok(bf_dec_to_int(min, &i) == -1, "to_int INT128_MIN fails");
	ok(bf_dec_is_integer(D("3")) && bf_dec_is_integer(D("-3")) &&
	    bf_dec_is_integer(D("0")) && !bf_dec_is_integer(D("0.1")) &&
	    !bf_dec_is_integer(D("-0.000000001")), "is_integer");
	ok(bf_dec_cmp(D("1"), D("2")) == -1 && bf_dec_cmp(D("2"), D("1")) == 1 &&
	    bf_dec_cmp(D("-0"), D("0")) == 0 &&
	    bf_dec_cmp(D("-1"), D("0.5")) == -1, "cmp");
	ok(bf_dec_sign(D("-0.000000001")) == -1 && bf_dec_sign(D("0")) == 0 &&
	    bf_dec_sign(D("1e-9")) == 1, "sign");
	ok(bf_dec_neg(D("1.5"), &d) == 0 && strcmp(F(d), "-1.500000000") == 0,
	    "neg 1.5");
	ok(bf_dec_neg(D("-1.5"), &d) == 0 && strcmp(F(d), "1.500000000") == 0,
	    "neg -1.5");
	ok(bf_dec_neg(D("0"), &d) == 0 && d.v == 0, "neg 0");
	d.v = 5;
	ok(bf_dec_neg(min, &d) == BF_DEC_EOVERFLOW && d.v == 5,
	    "neg INT128_MIN overflows");
}

static bf_dec
add(bf_dec a, bf_dec b, int *rc)
{
	bf_dec r = {0};

	*rc = bf_dec_add(a, b, &r);
	return r;
}

#define OP2(fn, a, b, want)                                               \
	do {                                                              \
		bf_dec r_ = {7};                                          \
		int rc_ = fn(D(a), D(b), &r_);                            \
		is_str(R(rc_, r_), want, #fn "(%s, %s)", a, b);           \
		if (rc_ != BF_DEC_OK)                                     \
			ok(r_.v == 7, #fn "(%s, %s) leaves *out alone", \
			    a, b);                                        \
	} while (0)
#define OP3(fn, a, b, c, want)                                            \
	do {                                                              \
		bf_dec r_ = {7};                                          \
		int rc_ = fn(D(a), D(b), D(c), &r_);                      \
		is_str(R(rc_, r_), want, #fn "(%s, %s, %s)", a, b, c);    \
		if (rc_ != BF_DEC_OK)                                     \
			ok(r_.v == 7, #fn "(%s, %s, %s) leaves *out alone", \
			    a, b, c);                                     \
	} while (0)

static void
test_arith(void)
{
	bf_dec r, max = {BF_DEC_MAX}, min = {-BF_DEC_MAX - 1};
	int rc;

	OP2(bf_dec_add, "1.5", "2.25", "3.750000000");
	OP2(bf_dec_add, "-1.5", "1.5", "0.000000000");
	OP2(bf_dec_add, MAXSTR, "0.000000001", "overflow");
	OP2(bf_dec_add, "-" MAXSTR, "-0.000000001", "overflow");
	OP2(bf_dec_add, MAXSTR, "-" MAXSTR, "0.000000000");
	OP2(bf_dec_sub, "1", "0.000000001", "0.999999999");
	OP2(bf_dec_sub, "-" MAXSTR, "0.000000001", "overflow");
	OP2(bf_dec_sub, MAXSTR, "-0.000000001", "overflow");
	OP2(bf_dec_sub, "0", MAXSTR, "-" MAXSTR);
	r = add(min, D("0"), &rc);
	is_int(rc, BF_DEC_EOVERFLOW, "INT128_MIN + 0 is out of range");
	r = add(min, D("1"), &rc);
	ok(rc == 0 && strcmp(F(r), "-170141183460469231731687303714.884105728") ==
	    0, "INT128_MIN + 1 is back in range");

	OP2(bf_dec_mul, "0.000158", "480", "0.075840000");
	OP2(bf_dec_mul, "-0.000158", "480", "-0.075840000");
	OP2(bf_dec_mul, "-0.000158", "-480", "0.075840000");
	OP2(bf_dec_mul, "1.5", "0", "0.000000000");
	OP2(bf_dec_mul, "-1.5", "0", "0.000000000");
	OP2(bf_dec_mul, "0.00001", "0.00005", "0.000000000");
	OP2(bf_dec_mul, "0.00003", "0.00005", "0.000000002");
	OP2(bf_dec_mul, "0.00005", "0.00005", "0.000000002");
	OP2(bf_dec_mul, "0.00007", "0.00005", "0.000000004");
	OP2(bf_dec_mul, "-0.00003", "0.00005", "-0.000000002");
	OP2(bf_dec_mul, "-0.00001", "0.00005", "0.000000000");
	OP2(bf_dec_mul, "0.000000001", "0.000000001", "0.000000000");
	OP2(bf_dec_mul, "1000000000000000", "1000000000000000", "overflow");
	OP2(bf_dec_mul, "-1000000000000000", "1000000000000000", "overflow");
	OP2(bf_dec_mul, "100000000000000", "1000000000000000",
	    "100000000000000000000000000000.000000000");
	OP2(bf_dec_mul, MAXSTR, "1", MAXSTR);
	OP2(bf_dec_mul, MAXSTR, "-1", "-" MAXSTR);
	OP2(bf_dec_mul, MAXSTR, "1.000000001", "overflow");
	OP2(bf_dec_mul, MAXSTR, "0.5", "85070591730234615865843651857.942052864");
	OP2(bf_dec_mul, MAXSTR, MAXSTR, "overflow");
	OP2(bf_dec_mul, "13043817825332782212.349571806", "13043817825.332782212",
	    "170141183460469231727127552754.960186173");

	OP2(bf_dec_div, "1", "3", "0.333333333");
	OP2(bf_dec_div, "2", "3", "0.666666667");
	OP2(bf_dec_div, "-1", "3", "-0.333333333");
	OP2(bf_dec_div, "-2", "3", "-0.666666667");
	OP2(bf_dec_div, "1", "-3", "-0.333333333");
	OP2(bf_dec_div, "-2", "-3", "0.666666667");
	OP2(bf_dec_div, "0.000000005", "2", "0.000000002");
	OP2(bf_dec_div, "0.000000015", "2", "0.000000008");
	OP2(bf_dec_div, "0.000000003", "2", "0.000000002");
	OP2(bf_dec_div, "0.000000007", "2", "0.000000004");
	OP2(bf_dec_div, "0.000000009", "2", "0.000000004");
	OP2(bf_dec_div, "0.000000001", "2", "0.000000000");
	OP2(bf_dec_div, "-0.000000003", "2", "-0.000000002");
	OP2(bf_dec_div, "-0.000000001", "2", "0.000000000");
	OP2(bf_dec_div, "0.000000001", "-2", "0.000000000");
	OP2(bf_dec_div, "1", "0", "divzero");
	OP2(bf_dec_div, "0", "0", "divzero");
	OP2(bf_dec_div, "0", "7", "0.000000000");
	OP2(bf_dec_div, "480", "0.000158", "3037974.683544304");
	OP2(bf_dec_div, MAXSTR, "2", "85070591730234615865843651857.942052864");
	OP2(bf_dec_div, MAXSTR, "1", MAXSTR);
	OP2(bf_dec_div, MAXSTR, "0.5", "overflow");
	OP2(bf_dec_div, "1", "0.000000001", "1000000000.000000000");
	OP2(bf_dec_div, "1", MAXSTR, "0.000000000");
	OP2(bf_dec_div, MAXSTR, MAXSTR, "1.000000000");
	OP2(bf_dec_div, "-" MAXSTR, "0.000000001", "overflow");
	OP2(bf_dec_div, "100000000000000000000", "100000000000000000000",
	    "1.000000000");

	/* Byte-seconds to GiB-hours, in one rounding. */
	OP3(bf_dec_muldiv, "21474836480", "86400", "3865470566400",
	    "480.000000000");
	OP3(bf_dec_muldiv, "1", "1", "3", "0.333333333");
	OP3(bf_dec_muldiv, "2", "1", "3", "0.666666667");
	OP3(bf_dec_muldiv, "-1", "1", "3", "-0.333333333");
	OP3(bf_dec_muldiv, "1", "-1", "-3", "0.333333333");
	OP3(bf_dec_muldiv, "1", "2", "0", "divzero");
	OP3(bf_dec_muldiv, "0.000000001", "0.5", "0.5", "0.000000001");
	OP3(bf_dec_muldiv, "0.000000001", "1", "2", "0.000000000");
	OP3(bf_dec_muldiv, "0.000000003", "1", "2", "0.000000002");
	OP3(bf_dec_muldiv, "100000000000000000000", "100000000000000000000",
	    "100000000000000000000", "100000000000000000000.000000000");
	OP3(bf_dec_muldiv, MAXSTR, MAXSTR, MAXSTR, MAXSTR);
	OP3(bf_dec_muldiv, MAXSTR, MAXSTR, "-" MAXSTR, "-" MAXSTR);
	OP3(bf_dec_muldiv, MAXSTR, "3", "2", "overflow");
	OP3(bf_dec_muldiv, MAXSTR, "2", "2", MAXSTR);
	OP3(bf_dec_muldiv, MAXSTR, MAXSTR, "0.000000001", "overflow");

	/* One rounding against two: the difference muldiv exists for. */
	{
		bf_dec a = D("0.000000001"), h = D("0.5"), m, two, one;

		ok(bf_dec_mul(a, h, &m) == 0 && bf_dec_div(m, h, &two) == 0 &&
		    bf_dec_muldiv(a, h, h, &one) == 0 && two.v == 0 &&
		    one.v == 1, "muldiv rounds once: %s, mul+div %s", F(one),
		    F(two));
		a = D("1");
		h = D("3");
		ok(bf_dec_div(a, h, &m) == 0 && bf_dec_mul(m, h, &two) == 0 &&
		    bf_dec_muldiv(a, h, h, &one) == 0 &&
		    strcmp(F(two), "0.999999999") == 0 &&
		    strcmp(F(one), "1.000000000") == 0,
		    "1/3*3: two roundings %s, one %s", F(two), F(one));
	}

	r.v = 7;
	ok(bf_dec_mul_int(D("0.000000001"), 3, &r) == 0 &&
	    strcmp(F(r), "0.000000003") == 0, "mul_int 1e-9 * 3");
	ok(bf_dec_mul_int(D("-1.5"), -2, &r) == 0 &&
	    strcmp(F(r), "3.000000000") == 0, "mul_int -1.5 * -2");
	ok(bf_dec_mul_int(D("1"), INT64_MIN, &r) == 0 &&
	    strcmp(F(r), "-9223372036854775808.000000000") == 0,
	    "mul_int 1 * INT64_MIN");
	ok(bf_dec_mul_int(D("-0"), INT64_MIN, &r) == 0 && r.v == 0,
	    "mul_int 0 * INT64_MIN");
	ok(bf_dec_mul_int(D("-2"), 0, &r) == 0 && r.v == 0, "mul_int -2 * 0");
	r.v = 7;
	ok(bf_dec_mul_int(max, 2, &r) == BF_DEC_EOVERFLOW && r.v == 7,
	    "mul_int MAX * 2 overflows");
	ok(bf_dec_mul_int(D("100000000000000000000"), INT64_MAX, &r) ==
	    BF_DEC_EOVERFLOW && r.v == 7, "mul_int 1e20 * INT64_MAX overflows");
	ok(bf_dec_mul_int(max, -1, &r) == 0 && r.v == -BF_DEC_MAX,
	    "mul_int MAX * -1");
	ok(bf_dec_mul_int(min, 1, &r) == BF_DEC_EOVERFLOW,
	    "mul_int INT128_MIN * 1 is out of range");
	ok(bf_dec_mul(min, D("1"), &r) == BF_DEC_EOVERFLOW &&
	    bf_dec_mul(min, D("0.5"), &r) == 0 &&
	    strcmp(F(r), "-85070591730234615865843651857.942052864") == 0,
	    "mul accepts INT128_MIN");
}

static void
test_round(void)
{
	static const struct {
		const char *a;
		int places;
		const char *want, *fmt;
	} cases[] = {
		{"2.5", 0, "2.000000000", "2"},
		{"3.5", 0, "4.000000000", "4"},
		{"-2.5", 0, "-2.000000000", "-2"},
		{"-3.5", 0, "-4.000000000", "-4"},
		{"-0.4", 0, "0.000000000", "0"},
		{"-0.5", 0, "0.000000000", "0"},
		{"-0.6", 0, "-1.000000000", "-1"},
		{"1.005", 2, "1.000000000", "1.00"},
		{"1.015", 2, "1.020000000", "1.02"},
		{"1.0150000001", 2, "1.020000000", "1.02"},
		{"1.0049999999", 2, "1.000000000", "1.00"},
		{"0.123456789", 4, "0.123500000", "0.1235"},
		{"0.123456789", 9, "0.123456789", "0.123456789"},
		{"0.123456789", 8, "0.123456790", "0.12345679"},
		{"0.075840000", 6, "0.075840000", "0.075840"},
		{"-2.55", 1, "-2.600000000", "-2.6"},
		{"-2.45", 1, "-2.400000000", "-2.4"},
		{"999.9999999995", 9, "1000.000000000", "1000.000000000"},
		{"999.5", 0, "1000.000000000", "1000"},
		{"2.5", -1, "2.000000000", "2"},
		{"0.123456789", 12, "0.123456789", "0.123456789"},
	};
	bf_dec max = {BF_DEC_MAX}, min = {-BF_DEC_MAX - 1}, r;
	char buf[BF_DEC_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_str(F(bf_dec_round(D(cases[i].a), cases[i].places)),
		    cases[i].want, "round %s to %d", cases[i].a,
		    cases[i].places);
		bf_dec_format_places(D(cases[i].a), cases[i].places, buf);
		is_str(buf, cases[i].fmt, "format_places %s to %d",
		    cases[i].a, cases[i].places);
	}
	r.v = 9;
	ok(bf_dec_round_to(max, 0, &r) == BF_DEC_EOVERFLOW && r.v == 9,
	    "round_to MAX 0 places overflows");
	ok(bf_dec_round_to(max, 9, &r) == 0 && r.v == BF_DEC_MAX,
	    "round_to MAX 9 places");
	ok(bf_dec_round_to(D("1.25"), 1, &r) == 0 &&
	    strcmp(F(r), "1.200000000") == 0, "round_to 1.25 to 1");
	is_str(F(bf_dec_round(max, 0)),
	    "170141183460469231731687303715.000000000",
	    "round MAX to 0 places falls back toward zero");
	is_str(F(bf_dec_round(min, 9)), "-" MAXSTR,
	    "round INT128_MIN stays in range");
	bf_dec_format_places(max, 0, buf);
	is_str(buf, "170141183460469231731687303716",
	    "format_places MAX to 0 rounds up without overflow");
	bf_dec_format_places(min, 3, buf);
	is_str(buf, "-170141183460469231731687303715.884",
	    "format_places INT128_MIN");
	is_int(bf_dec_format_places(D("-12.5"), 0, buf), 3,
	    "format_places returns the length");
}

/*
 * A small signed bignum (512 bits of magnitude) for checking results
 * exactly, independent of the 256-bit code under test.
 */
typedef struct {
	int neg;
	uint32_t d[16];
} bn;

static bn
bn_of(bf_dec a)
{
	bn r = {0};
	u128 m = a.v < 0 ? 0 - (u128)a.v : (u128)a.v;

	r.neg = a.v < 0;
	for (int i = 0; i < 4; i++, m >>= 32)
		r.d[i] = (uint32_t)m;
	return r;
}

static bn
bn_mul(bn a, bn b)
{
	bn r = {0};

	for (int i = 0; i < 16; i++) {
		uint64_t carry = 0;

		for (int j = 0; i + j < 16; j++) {
			uint64_t t = (uint64_t)a.d[i] * b.d[j] + r.d[i + j] +
			    carry;

			r.d[i + j] = (uint32_t)t;
			carry = t >> 32;
		}
	}
	r.neg = a.neg != b.neg;
	return r;
}

static int
bn_cmpmag(const bn *a, const bn *b)
{
	for (int i = 15; i >= 0; i--)
		if (a->d[i] != b->d[i])
			return a->d[i] < b->d[i] ? -1 : 1;
	return 0;
}

/* a - b */
static bn
bn_sub(bn a, bn b)
{
	bn r = {0};
	const bn *x = &a, *y = &b;
	int sign = a.neg;

	if (a.neg != b.neg) {
		uint64_t carry = 0;

		for (int i = 0; i < 16; i++) {
			uint64_t t = (uint64_t)a.d[i] + b.d[i] + carry;

			r.d[i] = (uint32_t)t;
			carry = t >> 32;
		}
		r.neg = a.neg;
		return r;
	}
	if (bn_cmpmag(&a, &b) < 0) {
		x = &b;
		y = &a;
		sign = !a.neg;
	}
	int64_t borrow = 0;
	for (int i = 0; i < 16; i++) {
		int64_t t = (int64_t)x->d[i] - y->d[i] - borrow;

		borrow = t < 0;
		r.d[i] = (uint32_t)(t + (borrow ? ((int64_t)1 << 32) : 0));
	}
	r.neg = sign;
	return r;
}

static bn
bn_shl1(bn a)
{
	for (int i = 15; i >= 0; i--)
		a.d[i] = (a.d[i] << 1) | (i > 0 ? a.d[i - 1] >> 31 : 0);
	return a;
}

static int
bn_iszero(const bn *a)
{
	for (int i = 0; i < 16; i++)
		if (a->d[i])
			return 0;
	return 1;
}

/* Whether q is n / d rounded half to even: |n - q d| <= |d| / 2, with
 * q even on a tie. */
static int
rounded_ok(bn n, bn d, bf_dec q)
{
	bn r = bn_sub(n, bn_mul(bn_of(q), d)), r2 = bn_shl1(r);
	int c = bn_cmpmag(&r2, &d);

	return c < 0 || (c == 0 && (q.v & 1) == 0);
}

/* Whether n / d, rounded, is beyond BF_DEC_MAX: 2|n| >= (2 MAX + 1)|d|. */
static int
overflows(bn n, bn d)
{
	bf_dec m2 = {BF_DEC_MAX};
	bn lhs = bn_shl1(n), k = bn_shl1(bn_of(m2)), rhs;

	k.d[0] |= 1;
	rhs = bn_mul(k, d);
	return bn_cmpmag(&lhs, &rhs) >= 0;
}

/* A random value with a random bit length, sometimes special. */
static bf_dec
rnd_dec(int maxbits)
{
	static const __int128 special[] = {
		0, 1, -1, 1000000000, -1000000000, 500000000, BF_DEC_MAX,
		-BF_DEC_MAX, 2, 3,
	};
	u128 m;
	int bits;
	bf_dec d;

	if (rnd() % 16 == 0) {
		d.v = special[rnd() % (sizeof(special) / sizeof(special[0]))];
		return d;
	}
	bits = (int)(rnd() % (unsigned)(maxbits + 1));
	m = ((u128)rnd() << 64) | rnd();
	m = bits == 0 ? 0 : m >> (128 - bits);
	if (m > (u128)BF_DEC_MAX)
		m = (u128)BF_DEC_MAX;
	d.v = rnd() & 1 ? -(__int128)m : (__int128)m;
	return d;
}

static void
test_random_arith(void)
{
	bf_dec one = {BF_DEC_ONE};
	int bad[6] = {0}, ovf[3] = {0};
	const int N = 4000;

	for (int i = 0; i < N; i++) {
		bf_dec a = rnd_dec(127), b = rnd_dec(127), c = rnd_dec(127);
		bf_dec r = {12345};
		int rc;

		/* mul: n = a b, d = 1e9 */
		rc = bf_dec_mul(a, b, &r);
		if (rc == BF_DEC_OK ? !rounded_ok(bn_mul(bn_of(a), bn_of(b)),
					   bn_of(one), r) :
		    rc != BF_DEC_EOVERFLOW || r.v != 12345 ||
		    !overflows(bn_mul(bn_of(a), bn_of(b)), bn_of(one)))
			bad[0]++;
		ovf[0] += rc != 0;

		/* div: n = a 1e9, d = b */
		r.v = 12345;
		rc = bf_dec_div(a, b, &r);
		if (b.v == 0 ? rc != BF_DEC_EDIVZERO || r.v != 12345 :
		    rc == BF_DEC_OK ? !rounded_ok(bn_mul(bn_of(a), bn_of(one)),
					   bn_of(b), r) :
		    rc != BF_DEC_EOVERFLOW || r.v != 12345 ||
		    !overflows(bn_mul(bn_of(a), bn_of(one)), bn_of(b)))
			bad[1]++;
		ovf[1] += rc != 0;

		/* muldiv: n = a b, d = c */
		r.v = 12345;
		rc = bf_dec_muldiv(a, b, c, &r);
		if (c.v == 0 ? rc != BF_DEC_EDIVZERO || r.v != 12345 :
		    rc == BF_DEC_OK ? !rounded_ok(bn_mul(bn_of(a), bn_of(b)),
					   bn_of(c), r) :
		    rc != BF_DEC_EOVERFLOW || r.v != 12345 ||
		    !overflows(bn_mul(bn_of(a), bn_of(b)), bn_of(c)))
			bad[2]++;
		ovf[2] += rc != 0;

		/* add and sub: exact, and (a + b) - b == a */
		rc = bf_dec_add(a, b, &r);
		if (rc == BF_DEC_OK) {
			bf_dec back;
			bn diff = bn_sub(bn_sub(bn_of(r), bn_of(a)), bn_of(b));

			if (!bn_iszero(&diff) ||
			    bf_dec_sub(r, b, &back) != 0 || back.v != a.v)
				bad[3]++;
		} else if (!((a.v > 0 && b.v > 0) || (a.v < 0 && b.v < 0)))
			bad[3]++;

		/* mul_int agrees with mul by an integer, and division by
		 * that integer undoes it exactly. */
		{
			int64_t k = (int64_t)(rnd() >> (1 + rnd() % 63));
			bf_dec p1 = {1}, p2 = {2}, back;

			if (rnd() & 1)
				k = -k;
			int rc1 = bf_dec_mul_int(a, k, &p1);
			int rc2 = bf_dec_mul(a, bf_dec_from_int(k), &p2);

			if (rc1 != rc2 || (rc1 == 0 && p1.v != p2.v))
				bad[4]++;
			else if (rc1 == 0 && k != 0 &&
			    (bf_dec_div(p1, bf_dec_from_int(k), &back) != 0 ||
				back.v != a.v))
				bad[4]++;
		}

		/* format and parse round trip */
		{
			char buf[BF_DEC_LEN];
			bf_dec back = {0};
			size_t len = bf_dec_format(a, buf);

			if (len != strlen(buf) ||
			    bf_dec_parse(buf, len, &back) != 0 ||
			    back.v != a.v)
				bad[5]++;
		}
	}
	is_int(bad[0], 0, "%d random mul against exact arithmetic (%d overflow)",
	    N, ovf[0]);
	is_int(bad[1], 0, "%d random div against exact arithmetic (%d errors)",
	    N, ovf[1]);
	is_int(bad[2], 0,
	    "%d random muldiv against exact arithmetic (%d errors)", N, ovf[2]);
	is_int(bad[3], 0, "%d random add/sub identities", N);
	is_int(bad[4], 0, "%d random mul_int against mul and div", N);
	is_int(bad[5], 0, "%d random format/parse round trips", N);
	ok(ovf[0] > N / 10 && ovf[0] < N * 9 / 10 && ovf[2] > N / 10 &&
	    ovf[2] < N * 9 / 10, "random cases mix results and overflows");
}

/* Parse reference on strings: moves the decimal point, rounds half-even
 * by hand, and writes what bf_dec_format should print. */
static void
ref_parse(const char *digits, long point, int neg, char *out)
{
	size_t nd = strlen(digits);
	long k = point + 9; /* digits forming the integer in units */
	char ip[128];
	size_t il = 0;
	int rd = 0, sticky = 0;

	for (long j = 0; j < k; j++)
		ip[il++] = j < (long)nd ? digits[j] : '0';
	if (k >= 0 && k < (long)nd)
		rd = digits[k] - '0';
	for (long j = k < 0 ? 0 : k + 1; j < (long)nd; j++)
		sticky |= digits[j] != '0';
	if (k < 0)
		for (size_t j = 0; j < nd; j++)
			sticky |= digits[j] != '0';
	if (il == 0)
		ip[il++] = '0';
	ip[il] = '\0';
	if (rd > 5 || (rd == 5 && (sticky || (ip[il - 1] - '0') % 2))) {
		long j = (long)il - 1;

		while (j >= 0 && ip[j] == '9')
			ip[j--] = '0';
		if (j >= 0)
			ip[j]++;
		else {
			memmove(ip + 1, ip, il + 1);
			ip[0] = '1';
			il++;
		}
	}
	/* strip leading zeros, keep ten digits at least */
	char *p = ip;
	while (*p == '0' && p[1] != '\0')
		p++;
	il = strlen(p);
	if (il > 39 || (il == 39 && strcmp(p,
	    "170141183460469231731687303715884105727") > 0)) {
		strcpy(out, "overflow");
		return;
	}
	int zero = strcmp(p, "0") == 0;
	char pad[64];
	snprintf(pad, sizeof pad, "%010d", 0);
	if (il < 10) {
		memcpy(pad + 10 - il, p, il + 1);
		p = pad;
		il = 10;
	}
	snprintf(out, 64, "%s%.*s.%s", neg && !zero ? "-" : "",
	    (int)(il - 9), p, p + il - 9);
}

static void
test_random_parse(void)
{
	static const char pick[] = "00000555591234567899";
	int bad = 0, ovf = 0;
	const int N = 6000;

	for (int i = 0; i < N; i++) {
		char text[160], digits[128], want[64];
		const char *got;
		size_t ni = 1 + rnd() % 35, nf = rnd() % 3 ? rnd() % 26 : 0;
		long ex = rnd() % 2 ? (long)(rnd() % 61) - 30 : 0;
		int neg = rnd() % 2, len = 0, nd = 0;

		if (neg)
			text[len++] = '-';
		if (rnd() % 3 == 0)
			ni = 1, digits[nd] = '0';
		else
			digits[nd] = "123456789"[rnd() % 9];
		text[len++] = digits[nd++];
		for (size_t j = 1; j < ni; j++)
			text[len++] = digits[nd++] = pick[rnd() % 20];
		if (nf) {
			text[len++] = '.';
			for (size_t j = 0; j < nf; j++)
				text[len++] = digits[nd++] =
				    pick[rnd() % 20];
		}
		digits[nd] = '\0';
		if (ex != 0 || rnd() % 8 == 0)
			len += snprintf(text + len, sizeof text - (size_t)len,
			    "%s%s%s%ld", rnd() % 2 ? "e" : "E",
			    ex < 0 ? "-" : rnd() % 2 ? "+" : "",
			    rnd() % 4 ? "" : "0", ex < 0 ? -ex : ex);
		text[len] = '\0';
		ref_parse(digits, (long)ni + ex, neg, want);
		got = P(text, &(int){0});
		if (strcmp(got, want) != 0) {
			if (bad++ < 5)
				fprintf(stderr, "# '%s': got %s want %s\n",
				    text, got, want);
		}
		ovf += strcmp(want, "overflow") == 0;
	}
	is_int(bad, 0, "%d random parses against a string reference "
	    "(%d overflow)", N, ovf);
}

/* The short plain forms (digits, an optional fraction, no exponent) have a
 * fast path: each must give what the string reference and the general path
 * give (the same text with "e0" appended takes the general path), inexact
 * included, on both sides of its limits (18 integer digits, 9 places). */
static void
test_short_parse(void)
{
	static const char *const edge[] = {
		"0", "-0", "0.0", "-0.0", "0.000000000", "-0.000000000", "5",
		"-5", "0.5", "0.000000001", "-0.000000001", "0.0000000005",
		"0.0000000015", "0.0000000025", "-0.0000000015",
		"0.9999999995", "0.9999999994", "123456789012345678",
		"999999999999999999", "999999999999999999.999999999",
		"-999999999999999999.999999999", "1000000000000000000",
		"9999999999999999999.999999999", "1234567890123456789",
		"170141183460469231731687303715.884105727",
		"170141183460469231731687303715.884105728",
		"-170141183460469231731687303715.884105727",
		"00", "01", "-01", "1.", ".5", "-", "+1", "1.5.", "1..5",
		"1.5e", "1.5e+", "0x10", " 1", "1 ", "1.2 ", "-.5", "0.-5",
		"1.0000000000", "4.15", "8.50", "3000", "53687091200",
		"1.9999999999", "18446744073709551615",
		"18446744073709551616.5",
	};
	char text[80], gen[96], want[64];
	char digits[64];
	int bad = 0, ix1, ix2;
	const int N = 20000;
	size_t i;

	for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		char a[64];

		ix1 = ix2 = -1;
		snprintf(gen, sizeof(gen), "%se0", edge[i]);
		snprintf(a, sizeof(a), "%s", P(edge[i], &ix1));
		if (strcmp(a, P(gen, &ix2)) != 0 || ix1 != ix2) {
			bad++;
			fprintf(stderr, "# '%s': %s (%d), with e0 %s (%d)\n",
			    edge[i], a, ix1, P(gen, &ix2), ix2);
		}
	}
	is_int(bad, 0, "short parse: edge cases as the general path");
	bad = 0;
	for (int k = 0; k < N; k++) {
		size_t ni = 1 + rnd() % 21, nf = rnd() % 4 ? rnd() % 12 : 0;
		int neg = rnd() % 2, len = 0, nd = 0;
		char a[64];

		if (neg)
			text[len++] = '-';
		if (rnd() % 4 == 0)
			ni = 1, digits[nd] = '0';
		else
			digits[nd] = "123456789"[rnd() % 9];
		text[len++] = digits[nd++];
		for (size_t j = 1; j < ni; j++)
			text[len++] = digits[nd++] = "0123456789"[rnd() % 10];
		if (nf) {
			text[len++] = '.';
			for (size_t j = 0; j < nf; j++)
				text[len++] = digits[nd++] =
				    rnd() % 3 ? "0123456789"[rnd() % 10] :
				    "059"[rnd() % 3];
		}
		digits[nd] = '\0';
		text[len] = '\0';
		ref_parse(digits, (long)ni, neg, want);
		snprintf(gen, sizeof(gen), "%se0", text);
		ix1 = ix2 = -1;
		snprintf(a, sizeof(a), "%s", P(text, &ix1));
		if (strcmp(a, want) != 0 || strcmp(a, P(gen, &ix2)) != 0 ||
		    ix1 != ix2) {
			if (bad++ < 5)
				fprintf(stderr, "# '%s': got %s (%d) want %s, "
				    "general %s (%d)\n", text, a, ix1, want,
				    P(gen, &ix2), ix2);
		}
	}
	is_int(bad, 0, "%d random short parses as the reference and the "
	    "general path", N);
}

/* bf_num_scan: the parts of a JSON number, each checked against the
 * offsets counted in the text by hand; and what it refuses. */
static void
test_num_scan(void)
{
	static const struct {
		const char *s;
		size_t ds, de, fs, fe;
		int64_t exp;
		int neg;
	} good[] = {
		{ "0", 0, 1, 0, 0, 0, 0 },
		{ "-12.50", 1, 3, 4, 6, 0, 1 },
		{ "7e3", 0, 1, 0, 0, 3, 0 },
		{ "1.5E-12", 0, 1, 2, 3, -12, 0 },
		{ "-0.0e+4", 1, 2, 3, 4, 4, 1 },
		{ "3e99999999999999999999", 0, 1, 0, 0, 9999999999999999LL, 0 },
	};
	static const char *const bad[] = { "", "-", "+1", "01", ".5", "5.",
		"1e", "1e+", "1.5x", " 1", "1 ", "0x10", "NaN", "--1" };
	struct bf_numtok t;
	char digits[32];
	size_t k;

	for (k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
		const char *s = good[k].s;
		int64_t j, nd;

		ok(bf_num_scan(s, strlen(s), &t) == 0 &&
		    t.ds == good[k].ds && t.de == good[k].de &&
		    t.fs == good[k].fs && t.fe == good[k].fe &&
		    t.exp == good[k].exp && t.neg == good[k].neg,
		    "bf_num_scan '%s'", s);
		nd = bf_num_ndigits(&t);
		for (j = 0; j < nd && j < 31; j++)
			digits[j] = (char)('0' + bf_num_digit(&t, s, j));
		digits[j] = '\0';
		if (k == 1)
			is_str(digits, "1250", "digits of '%s'", s);
		if (k == 3)
			is_str(digits, "15", "digits of '%s'", s);
	}
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		ok(bf_num_scan(bad[k], strlen(bad[k]), &t) == -1,
		    "bf_num_scan refuses '%s'", bad[k]);
	ok(bf_num_scan("12", 1, &t) == 0 && t.de == 1,
	    "bf_num_scan reads only n bytes");
}

/* bf_dec_rank_cmp: a fixed list by hand, then random lists with many ties
 * against a stable insertion sort by value, largest first. */
static void
test_rank(void)
{
	static const char *const in[] = { "2", "-1", "2", "0.5", "-1", "3",
		"0.5", "2" };
	static const size_t want[] = { 5, 0, 2, 7, 3, 6, 1, 4 };
	struct bf_dec_rank r[64], s[64], t;
	size_t i, j, n, bad;
	int k;

	for (i = 0; i < 8; i++) {
		r[i].v = D(in[i]);
		r[i].i = i;
	}
	qsort(r, 8, sizeof(r[0]), bf_dec_rank_cmp);
	for (i = 0, bad = 0; i < 8; i++)
		bad += r[i].i != want[i];
	ok(bad == 0, "rank: 3 2 2 2 0.5 0.5 -1 -1, ties in list order");
	for (k = 0; k < 50; k++) {
		n = 1 + rnd() % 64;
		for (i = 0; i < n; i++) {
			r[i].v.v = (__int128)(rnd() % 7) - 3;
			r[i].i = i;
			s[i] = r[i];
		}
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && s[j - 1].v.v < s[j].v.v; j--) {
				t = s[j];
				s[j] = s[j - 1];
				s[j - 1] = t;
			}
		qsort(r, n, sizeof(r[0]), bf_dec_rank_cmp);
		for (i = 0, bad = 0; i < n; i++)
			bad += r[i].i != s[i].i || r[i].v.v != s[i].v.v;
		if (bad != 0)
			break;
	}
	ok(k == 50, "rank: 50 random lists as a stable sort, largest first");
}

int
main(void)
{
	test_num_scan();
	test_parse();
	test_basic();
	test_arith();
	test_round();
	test_random_arith();
	test_random_parse();
	test_short_parse();
	test_rank();
	return done_testing();
}
