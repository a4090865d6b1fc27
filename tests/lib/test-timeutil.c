/* Unit tests for timeutil.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "timeutil.h"

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t
rnd(void)
{
	/* xorshift64*: deterministic, so failures reproduce. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717u;
}

/* Parses s and formats the result: "" when parsing fails. */
static const char *
pf(const char *s, int32_t *ns)
{
	static char out[BF_TIME_LEN];
	bf_time t;

	*ns = -1;
	if (bf_time_parse(s, strlen(s), &t, ns) != 0)
		return "refused";
	bf_time_format(t, out);
	return out;
}

#define PARSE(s, want, wantns)                                           \
	do {                                                             \
		int32_t ns_;                                             \
		is_str(pf(s, &ns_), want, "parse '%s'", s);              \
		if (strcmp(want, "refused") != 0)                        \
			is_int(ns_, wantns, "parse '%s' nsec", s);       \
	} while (0)
#define BAD(s) is_str(pf(s, &(int32_t){0}), "refused", "refuse '%s'", s)

static void
test_parse(void)
{
	int32_t ns;
	bf_time t, t2;

	PARSE("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", 0);
	PARSE("2026-01-01t00:00:00z", "2026-01-01T00:00:00Z", 0);
	PARSE("2026-01-01", "2026-01-01T00:00:00Z", 0);
	PARSE("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", 0);
	PARSE("2026-03-15T12:34:56Z", "2026-03-15T12:34:56Z", 0);
	PARSE("2026-01-01T05:30:00+05:30", "2026-01-01T00:00:00Z", 0);
	PARSE("2026-01-01T00:00:00+05:30", "2025-12-31T18:30:00Z", 0);
	PARSE("2025-12-31T16:00:00-08:00", "2026-01-01T00:00:00Z", 0);
	PARSE("2026-02-28T20:00:00-08:00", "2026-03-01T04:00:00Z", 0);
	PARSE("2024-02-28T20:00:00-08:00", "2024-02-29T04:00:00Z", 0);
	PARSE("2026-03-01T01:00:00+02:00", "2026-02-28T23:00:00Z", 0);
	PARSE("2026-01-01T00:00:00-00:00", "2026-01-01T00:00:00Z", 0);
	PARSE("2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00Z", 0);
	PARSE("2026-01-01T23:59:59+23:59", "2026-01-01T00:00:59Z", 0);
	PARSE("2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00Z", 500000000);
	PARSE("2026-01-01T00:00:00.123456789Z", "2026-01-01T00:00:00Z",
	    123456789);
	PARSE("2026-01-01T00:00:00.1234567891234Z", "2026-01-01T00:00:00Z",
	    123456789);
	PARSE("2026-01-01T00:00:00.000000001Z", "2026-01-01T00:00:00Z", 1);
	PARSE("2026-01-01T00:00:00.0000000009Z", "2026-01-01T00:00:00Z", 0);
	PARSE("2026-01-01T00:00:00.25+01:00", "2025-12-31T23:00:00Z",
	    250000000);
	PARSE("0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z", 0);
	PARSE("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z", 0);
	PARSE("2000-02-29", "2000-02-29T00:00:00Z", 0);
	PARSE("2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z", 0);
	/* Leap seconds: only 23:59:60 UTC on a month's last day. */
	PARSE("2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z", 0);
	PARSE("2015-06-30T23:59:60.5Z", "2015-07-01T00:00:00Z", 500000000);
	PARSE("2016-12-31T15:59:60-08:00", "2017-01-01T00:00:00Z", 0);
	BAD("2016-12-30T23:59:60Z");
	BAD("2016-12-31T23:58:60Z");
	BAD("2016-12-31T23:59:60+01:00");

	BAD("");
	BAD("2026");
	BAD("2026-1-01");
	BAD("2026-01-1");
	BAD("2026/01/01");
	BAD("2026-02-29");
	BAD("2024-02-30");
	BAD("1900-02-29");
	BAD("2100-02-29T00:00:00Z");
	BAD("2026-04-31");
	BAD("2026-13-01");
	BAD("2026-00-10");
	BAD("2026-01-00");
	BAD("2026-01-32");
	BAD("2026-01-01T24:00:00Z");
	BAD("2026-01-01T23:60:00Z");
	BAD("2026-01-01T23:00:61Z");
	BAD("2026-01-01T00:00:00");
	BAD("2026-01-01T00:00");
	BAD("2026-01-01T00:00Z");
	BAD("2026-01-01T");
	BAD("2026-01-01 00:00:00Z");
	BAD(" 2026-01-01T00:00:00Z");
	BAD("2026-01-01T00:00:00Z ");
	BAD("2026-01-01 ");
	BAD("2026-01-01T00:00:00Zx");
	BAD("2026-01-01T00:00:00ZZ");
	BAD("2026-01-01T00:00:00.Z");
	BAD("2026-01-01T00:00:00.");
	BAD("2026-01-01T00:00:00,5Z");
	BAD("2026-01-01T00:00:00+0530");
	BAD("2026-01-01T00:00:00+05");
	BAD("2026-01-01T00:00:00+05:30:00");
	BAD("2026-01-01T00:00:00+24:00");
	BAD("2026-01-01T00:00:00+05:60");
	BAD("2026-01-01T00:00:00UTC");
	BAD("2026-01-01T0a:00:00Z");
	BAD("+2026-01-01");
	BAD("-2026-01-01");
	BAD("12026-01-01");
	BAD("2026-01-01x");

	/* Explicit length: the text need not be NUL-terminated, and the
	 * length is respected. */
	ok(bf_time_parse("2026-01-02T03:04:05Zjunk", 20, &t, NULL) == 0 &&
	    t == 1767323045, "parse uses only n bytes");
	ok(bf_time_parse("2026-01-02", 9, &t, NULL) == -1,
	    "parse refuses a truncated date");
	ok(bf_time_parse(NULL, 0, &t, NULL) == -1, "parse refuses NULL");
	t = 42;
	ns = 7;
	ok(bf_time_parse("2026-02-29", 10, &t, &ns) == -1 && t == 42 &&
	    ns == 7, "failed parse leaves outputs alone");
	ok(bf_time_parse("1970-01-01T00:00:00Z", 20, &t, NULL) == 0 &&
	    t == 0, "epoch is 0");
	ok(bf_time_parse("1969-12-31T23:59:59Z", 20, &t, NULL) == 0 &&
	    t == -1, "one second before the epoch is -1");
	ok(bf_time_parse("2026-01-01", 10, &t, NULL) == 0 &&
	    t == 1767225600, "2026-01-01 is 1767225600");
	ok(bf_time_parse("0000-01-01T00:00:00Z", 20, &t, NULL) == 0 &&
	    t == -62167219200LL, "year 0 start");
	ok(bf_time_parse("0000-01-01T00:00:00+01:00", 25, &t, NULL) == 0 &&
	    t == -62167219200LL - 3600, "offset may leave year 0000");
	ok(bf_time_parse("9999-12-31T23:59:59-01:00", 25, &t, NULL) == 0 &&
	    t == 253402300799LL + 3600, "offset may pass year 9999");
	ok(bf_time_parse("2026-07-01T12:00:00.5+02:00", 27, &t, &ns) == 0 &&
	    bf_time_parse("2026-07-01T10:00:00.500Z", 24, &t2, NULL) == 0 &&
	    t == t2 && ns == 500000000, "offset and fraction agree with Z");
}

/* Leap years and the civil algorithms against a day-by-day count. */
static void
test_calendar(void)
{
	int64_t days = bf_days_from_civil(1600, 1, 1), y;
	int bad = 0, m, d, yy;

	ok(!bf_days_in_month(2026, 0) && !bf_days_in_month(2026, 13),
	    "days_in_month refuses bad months");
	is_int(bf_days_in_month(2000, 2), 29, "2000 is a leap year");
	is_int(bf_days_in_month(1900, 2), 28, "1900 is not a leap year");
	is_int(bf_days_in_month(2100, 2), 28, "2100 is not a leap year");
	is_int(bf_days_in_month(2024, 2), 29, "2024 is a leap year");
	is_int(bf_days_in_month(2026, 2), 28, "2026 is not a leap year");
	is_int(bf_days_in_month(2026, 4), 30, "April has 30 days");
	is_int(bf_days_in_month(2026, 12), 31, "December has 31 days");
	is_int(bf_days_from_civil(1970, 1, 1), 0, "civil epoch");
	is_int(bf_days_from_civil(2000, 3, 1), 11017, "2000-03-01");
	is_int(bf_days_from_civil(1969, 12, 31), -1, "1969-12-31");
	is_int(bf_days_from_civil(0, 1, 1), -719528, "0000-01-01");

	for (yy = 1600; yy <= 2400; yy++)
		for (int mm = 1; mm <= 12; mm++)
			for (int dd = 1; dd <= bf_days_in_month(yy, mm);
			     dd++, days++) {
				if (bf_days_from_civil(yy, mm, dd) != days)
					bad++;
				bf_civil_from_days(days, &y, &m, &d);
				if (y != yy || m != mm || d != dd)
					bad++;
			}
	is_int(bad, 0, "civil conversions agree with a day count 1600..2400");
	is_int(days, bf_days_from_civil(2401, 1, 1), "2401-01-01 follows");
	is_int(bf_days_from_civil(2400, 1, 1) - bf_days_from_civil(1600, 1, 1),
	    146097 * 2, "800 years hold 292194 days");

	/* Far outside: no overflow (checked by UBSan), monotonic. */
	bf_civil_from_days(INT64_MAX, &y, &m, &d);
	ok(y > 0 && m >= 1 && m <= 12 && d >= 1 && d <= 31,
	    "civil_from_days(INT64_MAX) is clamped");
	bf_civil_from_days(INT64_MIN, &y, &m, &d);
	ok(y < 0 && m >= 1 && m <= 12 && d >= 1 && d <= 31,
	    "civil_from_days(INT64_MIN) is clamped");
	ok(bf_days_from_civil(INT64_MAX, 1, 1) > 0 &&
	    bf_days_from_civil(INT64_MIN, 1, 1) < 0,
	    "days_from_civil of extreme years is clamped");
}

static void
test_number(void)
{
	static const struct {
		const char *s;
		int64_t t;
		int32_t ns;
	} good[] = {
		{"0", 0, 0},
		{"-0", 0, 0},
		{"1767225600", 1767225600, 0},
		{"1767225600.5", 1767225600, 500000000},
		{"1767225600.123456789", 1767225600, 123456789},
		{"1767225600.1234567899", 1767225600, 123456789},
		{"1.7672256e9", 1767225600, 0},
		{"1.7672256E+9", 1767225600, 0},
		{"17672256000e-1", 1767225600, 0},
		{"1767225600123", 1767225600, 123000000},
		{"1767225600123.5", 1767225600, 123500000},
		{"1.767225600123e12", 1767225600, 123000000},
		{"99999999999", 99999999999, 0},
		{"99999999999.999999999", 99999999999, 999999999},
		{"100000000000", 100000000, 0},
		{"1e11", 100000000, 0},
		{"-1", -1, 0},
		{"-1.5", -2, 500000000},
		{"-0.000000001", -1, 999999999},
		{"-0.0000000001", -1, 999999999},
		{"0.0000000009", 0, 0},
		{"-1767225600123", -1767225601, 877000000},
		{"-1e11", -100000000, 0},
		{"1e-400", 0, 0},
		{"-1e-400", -1, 999999999},
		{"0e999999999999999999999", 0, 0},
		{"0.000e5", 0, 0},
		{"9223372036854775807000", INT64_MAX, 0},
		{"-9223372036854775808000", INT64_MIN, 0},
		{"9.223372036854775807e21", INT64_MAX, 0},
	};
	static const char *bad[] = {
	    "", "-", "+1", "01", "1.", ".5", "1e", "1e+", "1.5.5", "1 ",
	    " 1", "0x10", "1,5", "NaN", "Infinity", "-Infinity", "1e5x",
	    "--1", "9223372036854775808000", "-9223372036854775809000",
	    "1e999999999999999999999", "1e30", "2026-01-01",
	};
	bf_time t;
	int32_t ns;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = 12345;
		ns = -1;
		int r = bf_time_from_number(good[i].s, strlen(good[i].s), &t,
		    &ns);
		ok(r == 0 && t == good[i].t && ns == good[i].ns,
		    "from_number '%s'", good[i].s);
		if (r != 0 || t != good[i].t || ns != good[i].ns)
			fprintf(stderr, "#   got %d %lld %d\n", r,
			    (long long)t, ns);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 12345;
		ok(bf_time_from_number(bad[i], strlen(bad[i]), &t, NULL) ==
		    -1 && t == 12345, "from_number refuses '%s'", bad[i]);
	}
	ok(bf_time_from_number("17672256001", 10, &t, NULL) == 0 &&
	    t == 1767225600, "from_number uses only n bytes");

	ok(bf_time_parse_any("2026-01-01T00:00:00Z", 20, &t, &ns) == 0 &&
	    t == 1767225600 && ns == 0, "parse_any: RFC 3339");
	ok(bf_time_parse_any("1767225600", 10, &t, &ns) == 0 &&
	    t == 1767225600, "parse_any: epoch seconds");
	ok(bf_time_parse_any("1767225600250", 13, &t, &ns) == 0 &&
	    t == 1767225600 && ns == 250000000, "parse_any: epoch ms");
	ok(bf_time_parse_any("2026-01-01T00:00:00", 19, &t, &ns) == -1,
	    "parse_any: no zone refused");
	ok(bf_time_parse_any("yesterday", 9, &t, &ns) == -1,
	    "parse_any: words refused");
}

static void
test_format(void)
{
	char out[BF_TIME_LEN];
	bf_time t;
	int bad = 0;

	is_int(bf_time_format(0, out), 20, "format returns 20");
	is_str(out, "1970-01-01T00:00:00Z", "format epoch");
	bf_time_format(-1, out);
	is_str(out, "1969-12-31T23:59:59Z", "format -1");
	bf_time_format(951782400, out);
	is_str(out, "2000-02-29T00:00:00Z", "format 2000-02-29");
	{
		char r[BF_RANGE_LEN];

		is_str(bf_time_range(951782400, 951782400 + 86400, r),
		    "[2000-02-29T00:00:00Z, 2000-03-01T00:00:00Z)",
		    "range of 2000-02-29");
		is_str(r, "[2000-02-29T00:00:00Z, 2000-03-01T00:00:00Z)",
		    "range written into out");
	}
	bf_time_format(4107542399LL, out);
	is_str(out, "2100-02-28T23:59:59Z", "format 2100-02-28");
	bf_time_format(-62167219200LL, out);
	is_str(out, "0000-01-01T00:00:00Z", "format the first instant");
	bf_time_format(253402300799LL, out);
	is_str(out, "9999-12-31T23:59:59Z", "format the last instant");
	memcpy(out, "xxxxxxxxxxxxxxxxxxxx", 21);
	is_int(bf_time_format(253402300800LL, out), 0, "year 10000 -> 0");
	is_str(out, "", "year 10000 writes \"\"");
	is_int(bf_time_format(-62167219201LL, out), 0, "year -1 -> 0");
	is_str(out, "", "year -1 writes \"\"");
	is_int(bf_time_format(INT64_MAX, out), 0, "INT64_MAX -> 0");
	is_int(bf_time_format(INT64_MIN, out), 0, "INT64_MIN -> 0");

	/* Random round trips over the whole text range, with offsets. */
	for (int i = 0; i < 20000; i++) {
		char buf[64];
		bf_time back;
		int32_t ns;
		int off = (int)(rnd() % (24 * 60)) - 12 * 60;
		int64_t y;
		int m, d;
		bf_time local, sod;

		t = -62167219200LL + (int64_t)(rnd() % 315537897600ULL);
		if (bf_time_format(t, out) != 20 ||
		    bf_time_parse(out, 20, &back, &ns) != 0 || back != t ||
		    ns != 0) {
			bad++;
			continue;
		}
		/* The same instant written in another offset. */
		local = t + off * 60;
		sod = ((local % 86400) + 86400) % 86400;
		bf_civil_from_days((local - sod) / 86400, &y, &m, &d);
		if (y < 0 || y > 9999)
			continue;
		snprintf(buf, sizeof buf,
		    "%04d-%02d-%02dT%02d:%02d:%02d.%09d%c%02d:%02d", (int)y, m,
		    d, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
		    i, off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
		if (bf_time_parse(buf, strlen(buf), &back, &ns) != 0 ||
		    back != t || ns != i) {
			fprintf(stderr, "# round trip '%s' for %s\n", buf, out);
			bad++;
		}
	}
	is_int(bad, 0, "20000 random format/parse round trips");
}

static void
test_duration(void)
{
	static const struct {
		const char *s;
		int64_t secs;
	} good[] = {
		{"90s", 90}, {"15m", 900}, {"1h", 3600}, {"24h", 86400},
		{"72h", 259200}, {"1d", 86400}, {"7d", 604800},
		{"1w", 604800}, {"1h30m", 5400}, {"1d12h", 129600},
		{"1w1d1h1m1s", 694861}, {"1s", 1}, {"0010m", 600},
		{"9223372036854775807s", INT64_MAX},
		{"15250284452471w", 9223372036854460800LL},
	};
	static const char *bad[] = {
	    "", "0s", "0h", "1", "1x", "-1h", "+1h", "h", "1H", "1h ",
	    " 1h", "1 h", "1h0m", "30m1h", "1h1h", "1.5h", "1hh",
	    "9223372036854775808s", "15250284452472w", "9223372036854775807s1s",
	    "99999999999999999999999s", "1d-1h", "1ms",
	};
	static const struct {
		int64_t secs;
		const char *s;
	} fmt[] = {
		{604800, "1w"}, {1209600, "2w"}, {86400, "1d"}, {5400, "90m"},
		{90, "90s"}, {3600, "1h"}, {259200, "3d"}, {0, "0s"},
		{1, "1s"}, {-3600, "-1h"}, {900, "15m"},
		{INT64_MAX, "9223372036854775807s"},
	};
	char out[24];
	int64_t secs;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		secs = -1;
		ok(bf_duration_parse(good[i].s, &secs) == 0 &&
		    secs == good[i].secs, "duration '%s'", good[i].s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		secs = 77;
		ok(bf_duration_parse(bad[i], &secs) == -1 && secs == 77,
		    "duration refuses '%s'", bad[i]);
	}
	ok(bf_duration_parse(NULL, &secs) == -1, "duration refuses NULL");
	{
		static const char *zero[] = { "0", "0s", "0m", "0h", "0d", "0w" };
		static const char *nonzero[] = { "00", "0x", "0s0", "-0", "0 ",
		    "", "0.0h" };

		for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++) {
			secs = 77;
			ok(bf_duration_parse0(zero[i], &secs) == 0 && secs == 0,
			    "duration0 takes '%s' as 0", zero[i]);
		}
		for (size_t i = 0; i < sizeof(nonzero) / sizeof(nonzero[0]);
		    i++) {
			secs = 77;
			ok(bf_duration_parse0(nonzero[i], &secs) == -1 &&
			    secs == 77, "duration0 refuses '%s'", nonzero[i]);
		}
		ok(bf_duration_parse0("90m", &secs) == 0 && secs == 5400,
		    "duration0 reads other durations as bf_duration_parse");
	}
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		bf_duration_format(fmt[i].secs, out, sizeof out);
		is_str(out, fmt[i].s, "duration_format %lld",
		    (long long)fmt[i].secs);
	}
	bf_duration_format(INT64_MIN, out, sizeof out);
	is_str(out, "-9223372036854775808s", "duration_format INT64_MIN");
	bf_duration_format(5400, out, 3);
	is_str(out, "90", "duration_format truncates to outlen");
	for (int i = 0; i < 2000; i++) {
		static const int64_t mult[] = {1, 60, 3600, 86400, 604800};
		int64_t v = (int64_t)(rnd() >> (1 + rnd() % 63)), back = 0;

		if (i % 2 == 0)
			v = (int64_t)(rnd() % 100000) * mult[rnd() % 5];
		if (v <= 0)
			v = 1;
		bf_duration_format(v, out, sizeof out);
		if (bf_duration_parse(out, &back) != 0 || back != v) {
			ok(0, "duration round trip %lld via %s", (long long)v,
			    out);
			break;
		}
		if (i == 1999)
			ok(1, "2000 duration format/parse round trips");
	}
}

static bf_time
T(const char *s)
{
	bf_time t = INT64_MIN;

	if (bf_time_parse(s, strlen(s), &t, NULL) != 0)
		fprintf(stderr, "# bad test time '%s'\n", s);
	return t;
}

static const char *
F(bf_time t)
{
	static char buf[8][BF_TIME_LEN];
	static int k;

	k = (k + 1) % 8;
	if (bf_time_format(t, buf[k]) == 0)
		snprintf(buf[k], BF_TIME_LEN, "(%lld)", (long long)t);
	return buf[k];
}

static void
test_months(void)
{
	static const struct {
		const char *from;
		int months;
		const char *want;
	} cases[] = {
		{"2026-01-31T10:20:30Z", 1, "2026-02-28T10:20:30Z"},
		{"2024-01-31T10:20:30Z", 1, "2024-02-29T10:20:30Z"},
		{"2000-01-31", 1, "2000-02-29T00:00:00Z"},
		{"1900-01-31", 1, "1900-02-28T00:00:00Z"},
		{"2100-01-31", 1, "2100-02-28T00:00:00Z"},
		{"2026-01-31", 2, "2026-03-31T00:00:00Z"},
		{"2026-01-31", 3, "2026-04-30T00:00:00Z"},
		{"2026-03-31", -1, "2026-02-28T00:00:00Z"},
		{"2024-03-31", -1, "2024-02-29T00:00:00Z"},
		{"2026-01-15", -1, "2025-12-15T00:00:00Z"},
		{"2026-12-31", 1, "2027-01-31T00:00:00Z"},
		{"2026-01-01", 12, "2027-01-01T00:00:00Z"},
		{"2026-01-01", -12, "2025-01-01T00:00:00Z"},
		{"2026-01-01", -13, "2024-12-01T00:00:00Z"},
		{"2024-02-29", 12, "2025-02-28T00:00:00Z"},
		{"2024-02-29", 48, "2028-02-29T00:00:00Z"},
		{"2026-05-17T23:59:59Z", 0, "2026-05-17T23:59:59Z"},
		{"1969-12-31T23:00:00Z", 1, "1970-01-31T23:00:00Z"},
		{"0000-03-31", -1, "0000-02-29T00:00:00Z"},
		{"9999-01-31", 1, "9999-02-28T00:00:00Z"},
		{"2026-06-15", 1200, "2126-06-15T00:00:00Z"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(F(bf_time_add_months(T(cases[i].from),
			   cases[i].months)),
		    cases[i].want, "%s + %d months", cases[i].from,
		    cases[i].months);
	ok(bf_time_add_months(INT64_MAX, 1) == INT64_MAX,
	    "add_months saturates up");
	ok(bf_time_add_months(INT64_MIN, -1) == INT64_MIN,
	    "add_months saturates down");
	ok(bf_time_add_months(INT64_MAX, -2147483647 - 1) < INT64_MAX &&
	    bf_time_add_months(INT64_MIN, 2147483647) > INT64_MIN,
	    "add_months with extreme months");
}

static void
test_billing(void)
{
	static const struct {
		const char *t;
		int bd;
		const char *start, *next;
	} cases[] = {
		{"2026-01-01", 1, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"},
		{"2026-01-31T23:59:59Z", 1, "2026-01-01T00:00:00Z",
		    "2026-02-01T00:00:00Z"},
		{"2025-12-31T23:59:59Z", 1, "2025-12-01T00:00:00Z",
		    "2026-01-01T00:00:00Z"},
		{"2024-02-29T12:00:00Z", 1, "2024-02-01T00:00:00Z",
		    "2024-03-01T00:00:00Z"},
		{"2026-02-28T23:59:59Z", 1, "2026-02-01T00:00:00Z",
		    "2026-03-01T00:00:00Z"},
		{"2026-01-15", 15, "2026-01-15T00:00:00Z", "2026-02-15T00:00:00Z"},
		{"2026-01-14T23:59:59Z", 15, "2025-12-15T00:00:00Z",
		    "2026-01-15T00:00:00Z"},
		{"2026-01-31", 15, "2026-01-15T00:00:00Z", "2026-02-15T00:00:00Z"},
		{"2026-03-01", 15, "2026-02-15T00:00:00Z", "2026-03-15T00:00:00Z"},
		{"2024-02-29", 15, "2024-02-15T00:00:00Z", "2024-03-15T00:00:00Z"},
		{"2026-02-28", 28, "2026-02-28T00:00:00Z", "2026-03-28T00:00:00Z"},
		{"2026-02-27T23:59:59Z", 28, "2026-01-28T00:00:00Z",
		    "2026-02-28T00:00:00Z"},
		{"2024-02-29", 28, "2024-02-28T00:00:00Z", "2024-03-28T00:00:00Z"},
		{"2024-03-01", 28, "2024-02-28T00:00:00Z", "2024-03-28T00:00:00Z"},
		{"2026-03-27", 28, "2026-02-28T00:00:00Z", "2026-03-28T00:00:00Z"},
		{"2026-12-31", 28, "2026-12-28T00:00:00Z", "2027-01-28T00:00:00Z"},
		{"2026-01-05", 28, "2025-12-28T00:00:00Z", "2026-01-28T00:00:00Z"},
		{"1969-12-31T23:59:59Z", 1, "1969-12-01T00:00:00Z",
		    "1970-01-01T00:00:00Z"},
		/* Out-of-range billing days are clamped to 1..28. */
		{"2026-01-31", 0, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"},
		{"2026-01-31", 31, "2026-01-28T00:00:00Z", "2026-02-28T00:00:00Z"},
	};
	static const struct {
		const char *name;
		int bd;
		const char *from, *to;
	} periods[] = {
		{"2026-01", 1, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"},
		{"2026-12", 1, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"2026-02", 15, "2026-02-15T00:00:00Z", "2026-03-15T00:00:00Z"},
		{"2024-02", 28, "2024-02-28T00:00:00Z", "2024-03-28T00:00:00Z"},
		{"2026-12", 28, "2026-12-28T00:00:00Z", "2027-01-28T00:00:00Z"},
		{"0000-01", 1, "0000-01-01T00:00:00Z", "0000-02-01T00:00:00Z"},
	};
	static const char *badp[] = {
	    "2026-13", "2026-00", "2026-1", "2026-01-01", "26-01", "2026/01",
	    "", "2026-01 ", "+026-01",
	};
	bf_time from, to;
	int bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bf_time t = T(cases[i].t);

		is_str(F(bf_billing_start(t, cases[i].bd)), cases[i].start,
		    "billing_start %s day %d", cases[i].t, cases[i].bd);
		is_str(F(bf_billing_next(t, cases[i].bd)), cases[i].next,
		    "billing_next %s day %d", cases[i].t, cases[i].bd);
	}
	for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++) {
		from = to = 0;
		ok(bf_billing_period(periods[i].name, periods[i].bd, &from,
		       &to) == 0 &&
		    strcmp(F(from), periods[i].from) == 0 &&
		    strcmp(F(to), periods[i].to) == 0,
		    "billing_period %s day %d: [%s, %s)", periods[i].name,
		    periods[i].bd, F(from), F(to));
	}
	for (size_t i = 0; i < sizeof(badp) / sizeof(badp[0]); i++)
		ok(bf_billing_period(badp[i], 1, &from, &to) == -1,
		    "billing_period refuses '%s'", badp[i]);
	ok(bf_billing_period("2026-01", 0, &from, &to) == -1 &&
	    bf_billing_period("2026-01", 29, &from, &to) == -1 &&
	    bf_billing_period(NULL, 1, &from, &to) == -1,
	    "billing_period refuses day 0, day 29 and NULL");

	/* Properties over random instants: start <= t < next, both on the
	 * billing day at midnight, next is start plus one month. */
	for (int i = 0; i < 20000; i++) {
		bf_time t = -62135596800LL + (int64_t)(rnd() % 315537897600ULL);
		int bd = 1 + (int)(rnd() % 28), m, d;
		bf_time s = bf_billing_start(t, bd), n = bf_billing_next(t, bd);
		int64_t y;

		bf_civil_from_days(s / 86400, &y, &m, &d);
		if (!(s <= t && t < n) || s % 86400 != 0 || d != bd ||
		    bf_time_add_months(s, 1) != n ||
		    bf_billing_start(n, bd) != n || bf_billing_next(s, bd) != n ||
		    bf_billing_start(n - 1, bd) != s)
			bad++;
	}
	is_int(bad, 0, "20000 random billing cycles are consistent");
	ok(bf_billing_start(INT64_MIN, 1) == INT64_MIN &&
	    bf_billing_next(INT64_MAX, 28) == INT64_MAX,
	    "billing saturates at the extremes");
}

/* "YYYY-MM-DDTHH:MM:SSZ" has a fast path: on random texts of that shape,
 * valid or not, it must agree with the general path, which the same text
 * with a lower case "z" or with "+00:00" for "Z" takes. */
static void
test_canonical(void)
{
	static const int years[] = { 0, 1, 4, 100, 400, 1900, 1970, 1999,
		2000, 2024, 2026, 2100, 2400, 9999 };
	static const char junk[] = "0123456789/:-TZ tz+ .a\x80";
	int bad = 0, valid = 0;
	const int N = 40000;

	for (int i = 0; i < N; i++) {
		char a[32], b[32], c[40];
		int y = rnd() % 2 ? years[rnd() % 14] : (int)(rnd() % 10000);
		int mo = rnd() % 4 ? 1 + (int)(rnd() % 12) : (int)(rnd() % 14);
		int d = rnd() % 2 ? 28 + (int)(rnd() % 5) :
		    (int)(rnd() % 33);
		int h = rnd() % 8 ? (int)(rnd() % 24) : 23 + (int)(rnd() % 3);
		int mi = rnd() % 8 ? (int)(rnd() % 60) : 59 + (int)(rnd() % 3);
		int se = rnd() % 8 ? (int)(rnd() % 60) : 59 + (int)(rnd() % 3);
		bf_time ta = 7, tb = 7, tc = 7;
		int32_t na = 7, nb = 7, nc = 7;
		int ra, rb, rc;

		snprintf(a, sizeof(a), "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo,
		    d, h, mi, se);
		if (rnd() % 8 == 0) /* one byte anywhere but the 'Z' */
			a[rnd() % 19] = junk[rnd() % (sizeof(junk) - 1)];
		memcpy(b, a, sizeof(a));
		b[19] = 'z';
		snprintf(c, sizeof(c), "%.19s+00:00", a);
		ra = bf_time_parse(a, 20, &ta, &na);
		rb = bf_time_parse(b, 20, &tb, &nb);
		rc = bf_time_parse(c, 25, &tc, &nc);
		valid += ra == 0;
		if (ra != rb || ra != rc || ta != tb || ta != tc || na != nb ||
		    na != nc) {
			if (bad++ < 5)
				fprintf(stderr, "# '%s': %d %lld %d, '%s': %d "
				    "%lld %d, '%s': %d %lld %d\n", a, ra,
				    (long long)ta, na, b, rb, (long long)tb, nb,
				    c, rc, (long long)tc, nc);
		}
	}
	is_int(bad, 0, "%d canonical times as the general path (%d valid)",
	    N, valid);
	ok(valid > N / 4 && valid < N - N / 10,
	    "canonical times: valid and invalid ones both tried");
	PARSE("2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z", 0);
	BAD("2023-02-29T00:00:00Z");
	BAD("2100-02-29T00:00:00Z");
	PARSE("2000-02-29T00:00:00Z", "2000-02-29T00:00:00Z", 0);
	PARSE("0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z", 0);
	PARSE("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z", 0);
	PARSE("2026-06-30T23:59:60Z", "2026-07-01T00:00:00Z", 0);
	BAD("2026-06-29T23:59:60Z");
	BAD("2026-04-31T00:00:00Z");
	BAD("2026-01-01T24:00:00Z");
}

int
main(void)
{
	/* Nothing may depend on the TZ environment variable. */
	setenv("TZ", "Asia/Kolkata", 1);
	test_parse();
	test_calendar();
	test_number();
	test_format();
	test_duration();
	test_months();
	test_billing();
	test_canonical();
	return done_testing();
}
