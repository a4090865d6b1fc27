/*
 * fuzz-time: the parsers and calendar functions of timeutil.h on any
 * bytes. Invariants:
 * - bf_time_parse: nanoseconds in range; format(parse(x)) parses back to
 *   the same instant; a canonical "YYYY-MM-DDTHH:MM:SSZ" formats to itself;
 *   a date alone is a midnight; a refused text leaves the outputs alone;
 * - bf_time_from_number agrees with bf_dec_parse on the value (seconds, or
 *   milliseconds from 1e11 on), within the rounding each documents, and
 *   accepts only what the decimal (JSON number) grammar accepts;
 * - bf_time_parse_any is one of the two;
 * - durations read back what bf_duration_format writes;
 * - the civil calendar round-trips; billing cycles hold their instant and
 *   start on the billing day; adding months keeps the time of day and moves
 *   the month count by exactly that many months.
 * The bytes are read as a text for the parsers, and (from offset 0) as an
 * instant, a month count and a billing day for the calendar.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "timeutil.h"

#include "fuzz.h"

#define DAY 86400

static int64_t
fdiv(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static void
check_parse(const char *s, size_t n)
{
	bf_time t = 42, t2;
	int32_t ns = 7, ns2;
	char out[BF_TIME_LEN];
	size_t k;

	if (bf_time_parse(s, n, &t, &ns) != 0) {
		FUZZ_CHECK(t == 42 && ns == 7);
		return;
	}
	FUZZ_CHECK(ns >= 0 && ns < 1000000000);
	FUZZ_CHECK(n >= 10);
	if (n == 10)
		FUZZ_CHECK(t % DAY == 0 && ns == 0);
	FUZZ_CHECK(bf_time_parse(s, n, &t2, NULL) == 0 && t2 == t);
	k = bf_time_format(t, out);
	FUZZ_CHECK(k == 0 || k == 20);
	FUZZ_CHECK(strlen(out) == k);
	if (k == 0) {
		/* Only an offset can move a 0000..9999 text out of range. */
		FUZZ_CHECK(n > 10);
		FUZZ_CHECK(memcmp(s, "0000-01-01", 10) == 0 ||
		    memcmp(s, "9999-12-31", 10) == 0);
		return;
	}
	FUZZ_CHECK(bf_time_parse(out, k, &t2, &ns2) == 0);
	FUZZ_CHECK(t2 == t && ns2 == 0);
	if (n == 20 && s[10] == 'T' && s[19] == 'Z' &&
	    !(s[17] == '6' && s[18] == '0'))
		FUZZ_CHECK(memcmp(out, s, 20) == 0);
}

static void
check_number(const char *s, size_t n)
{
	bf_time t = 42;
	int32_t ns = 7;
	bf_dec d;
	int r, rd;

	r = bf_time_from_number(s, n, &t, &ns);
	rd = bf_dec_parse(s, n, &d);
	if (rd == BF_DEC_ESYNTAX)
		FUZZ_CHECK(r != 0);
	if (r != 0) {
		FUZZ_CHECK(t == 42 && ns == 7);
		return;
	}
	FUZZ_CHECK(ns >= 0 && ns < 1000000000);
	if (rd == BF_DEC_OK) {
		/* f: the instant in nanoseconds (floored); d: the value in
		 * 1e-9 units, rounded half-even. In seconds they differ by
		 * the rounding alone; in milliseconds d / 1000 is within 2
		 * of f. */
		__int128 f = (__int128)t * 1000000000 + ns;
		__int128 diff = d.v - f, dm = d.v / 1000 - f;

		FUZZ_CHECK(diff == 0 || diff == 1 || (dm >= -2 && dm <= 2));
	}
}

static void
check_any(const char *s, size_t n)
{
	bf_time t = 1, t2 = 2;
	int32_t ns = 1, ns2 = 2;
	int r;

	r = bf_time_parse_any(s, n, &t, &ns);
	if (bf_time_parse(s, n, &t2, &ns2) != 0)
		FUZZ_CHECK(r == bf_time_from_number(s, n, &t2, &ns2));
	else
		FUZZ_CHECK(r == 0);
	if (r == 0)
		FUZZ_CHECK(t == t2 && ns == ns2);
}

static void
check_duration_text(const char *s)
{
	int64_t secs = -7, back;
	char out[24];

	if (bf_duration_parse(s, &secs) != 0) {
		FUZZ_CHECK(secs == -7);
		return;
	}
	FUZZ_CHECK(secs > 0);
	bf_duration_format(secs, out, sizeof(out));
	FUZZ_CHECK(bf_duration_parse(out, &back) == 0 && back == secs);
}

static void
check_duration_value(int64_t secs)
{
	char out[24], small[4];
	int64_t back;

	bf_duration_format(secs, out, sizeof(out));
	FUZZ_CHECK(strlen(out) < sizeof(out) - 1);
	if (secs > 0)
		FUZZ_CHECK(bf_duration_parse(out, &back) == 0 && back == secs);
	else
		FUZZ_CHECK(bf_duration_parse(out, &back) != 0);
	bf_duration_format(secs, small, sizeof(small));
	FUZZ_CHECK(strlen(small) < sizeof(small));
}

static void
check_calendar(bf_time t, int months, int bd)
{
	int64_t days = fdiv(t, DAY), y, y2;
	int m, d, m2, d2, dim;
	bf_time s, nx, a;

	bf_civil_from_days(days, &y, &m, &d);
	FUZZ_CHECK(m >= 1 && m <= 12);
	FUZZ_CHECK(d >= 1 && d <= bf_days_in_month(y, m));
	FUZZ_CHECK(bf_days_from_civil(y, m, d) == days);

	s = bf_billing_start(t, bd);
	nx = bf_billing_next(t, bd);
	/* Away from the ends of the int64 range nothing saturates. */
	if (t > -((int64_t)1 << 61) && t < ((int64_t)1 << 61)) {
		int cbd = bd < 1 ? 1 : bd > 28 ? 28 : bd;

		FUZZ_CHECK(s <= t && t < nx);
		FUZZ_CHECK(s % DAY == 0 && nx % DAY == 0);
		bf_civil_from_days(fdiv(s, DAY), &y2, &m2, &d2);
		FUZZ_CHECK(d2 == cbd);
		bf_civil_from_days(fdiv(nx, DAY), &y2, &m2, &d2);
		FUZZ_CHECK(d2 == cbd);
		FUZZ_CHECK(bf_billing_start(nx, bd) == nx);
		FUZZ_CHECK(bf_billing_next(s, bd) == nx);
		FUZZ_CHECK(bf_billing_start(nx - 1, bd) == s);
		if (months > -(1 << 24) && months < (1 << 24)) {
			a = bf_time_add_months(t, months);
			FUZZ_CHECK(((a % DAY) + DAY) % DAY ==
			    ((t % DAY) + DAY) % DAY);
			bf_civil_from_days(fdiv(a, DAY), &y2, &m2, &d2);
			FUZZ_CHECK((y2 * 12 + m2) - (y * 12 + m) == months);
			dim = bf_days_in_month(y2, m2);
			FUZZ_CHECK(d2 == (d < dim ? d : dim));
		}
	} else {
		/* Saturated results, but no undefined behaviour. */
		(void)bf_time_add_months(t, months);
	}
}

static void
check_period(const char *s, int bd)
{
	bf_time from = 5, to = 6;

	if (bf_billing_period(s, bd, &from, &to) != 0) {
		FUZZ_CHECK(from == 5 && to == 6);
		return;
	}
	FUZZ_CHECK(bd >= 1 && bd <= 28 && strlen(s) == 7);
	FUZZ_CHECK(from < to);
	FUZZ_CHECK(bf_billing_start(from, bd) == from);
	FUZZ_CHECK(bf_billing_next(from, bd) == to);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char *z = fuzz_strndup(data, size);
	bf_time t = 0;
	int32_t months = 0;
	int bd = 1;

	check_parse(s, size);
	check_number(s, size);
	check_any(s, size);
	check_duration_text(z);
	check_period(z, 1);
	if (size >= 7) {
		char per[8];

		memcpy(per, data, 7);
		per[7] = '\0';
		check_period(per, size > 7 ? (int8_t)data[size - 1] % 32 : 1);
	}
	if (size >= 8) {
		memcpy(&t, data, 8);
		check_duration_value(t);
		if (size >= 12)
			memcpy(&months, data + 8, 4);
		if (size >= 13)
			bd = (int8_t)data[12];
		check_calendar(t, months, bd);
		/* The same near today, where the answers matter most. */
		check_calendar(1767225600 + t % (400LL * 366 * DAY), months %
		    1200, bd);
	}
	free(z);
	return 0;
}
