/*
 * timeutil.c: UTC time without the C library's time zone machinery.
 *
 * Calendar conversions are Howard Hinnant's days_from_civil and
 * civil_from_days (http://howardhinnant.github.io/date_algorithms.html),
 * done in int64 on clamped inputs so that no argument can overflow them.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "timeutil.h"

#define DAY 86400
#define YEAR_LIMIT 1000000000000LL /* |y| clamp for the civil algorithms */
#define DAYS_LIMIT (INT64_MAX / 4)

/* The text range: 0000-01-01T00:00:00Z up to, not including, 10000-01-01. */
#define TEXT_MIN (-62167219200LL)
#define TEXT_END 253402300800LL

static int64_t
floordiv(int64_t a, int64_t b, int64_t *rem)
{
	int64_t q = a / b, r = a % b;

	if (r < 0) {
		q--;
		r += b;
	}
	if (rem)
		*rem = r;
	return q;
}

static int
is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int
bf_days_in_month(int64_t y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31};

	if (m < 1 || m > 12)
		return 0;
	if (m == 2 && is_leap(y))
		return 29;
	return dim[m - 1];
}

/* days_from_civil on inputs already in range. */
static inline int64_t
civil_days(int64_t y, int64_t mm, int64_t dd)
{
	int64_t era, yoe, doy, doe;

	y -= mm <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mm > 2 ? mm - 3 : mm + 9) + 2) / 5 + dd - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t
bf_days_from_civil(int64_t y, int m, int d)
{
	if (y > YEAR_LIMIT)
		y = YEAR_LIMIT;
	if (y < -YEAR_LIMIT)
		y = -YEAR_LIMIT;
	return civil_days(y, m < 1 ? 1 : m > 12 ? 12 : m,
	    d < 1 ? 1 : d > 31 ? 31 : d);
}

void
bf_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp, mm;

	if (z > DAYS_LIMIT)
		z = DAYS_LIMIT;
	if (z < -DAYS_LIMIT)
		z = -DAYS_LIMIT;
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	mm = mp < 10 ? mp + 3 : mp - 9;
	*m = (int)mm;
	*y = yoe + era * 400 + (mm <= 2);
}

/* days * 86400 + sod, saturated. */
static bf_time
days_to_time(int64_t days, int64_t sod)
{
	int64_t t;

	if (__builtin_mul_overflow(days, (int64_t)DAY, &t) ||
	    __builtin_add_overflow(t, sod, &t))
		return days < 0 ? INT64_MIN : INT64_MAX;
	return t;
}

/* Reads k decimal digits; returns the value or -1. */
static int
digits(const char *s, int k)
{
	int v = 0;

	for (int i = 0; i < k; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * The canonical form "YYYY-MM-DDTHH:MM:SSZ" (upper case, seconds 00..59),
 * what the stages write: the same result as the general parser below, with
 * fewer steps. Returns 0 with *t set, or -1 (nothing set) for anything else,
 * which is left to the general parser, errors included.
 */
/* The two digits at s as a number in *v; nonzero when they are not. */
static inline unsigned
two_digits(const char *s, unsigned *v)
{
	unsigned a = (unsigned)((unsigned char)s[0] - '0');
	unsigned b = (unsigned)((unsigned char)s[1] - '0');

	*v = a * 10 + b;
	return (a > 9) | (b > 9);
}

static int
parse_canonical(const char *s, size_t n, bf_time *t)
{
	unsigned yh, yl, mo, d, h, mi, sec;

	if (n != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -1;
	if (two_digits(s, &yh) | two_digits(s + 2, &yl) |
	    two_digits(s + 5, &mo) | two_digits(s + 8, &d) |
	    two_digits(s + 11, &h) | two_digits(s + 14, &mi) |
	    two_digits(s + 17, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 ||
	    (d > 28 && d > (unsigned)bf_days_in_month(yh * 100 + yl, (int)mo)))
		return -1;
	*t = civil_days(yh * 100 + yl, mo, d) * DAY + h * 3600 + mi * 60 +
	    sec;
	return 0;
}

int
bf_time_parse(const char *s, size_t n, bf_time *t, int32_t *nsec)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, leap = 0;
	int32_t ns = 0;
	int64_t off = 0, days, r;
	size_t i;

	if (s == NULL || n < 10)
		return -1;
	if (parse_canonical(s, n, t) == 0) {
		if (nsec)
			*nsec = 0;
		return 0;
	}
	if ((y = digits(s, 4)) < 0 || s[4] != '-' ||
	    (mo = digits(s + 5, 2)) < 0 || s[7] != '-' ||
	    (d = digits(s + 8, 2)) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > bf_days_in_month(y, mo))
		return -1;
	days = bf_days_from_civil(y, mo, d);
	if (n == 10)
		goto done;

	if (n < 20 || (s[10] != 'T' && s[10] != 't'))
		return -1;
	if ((h = digits(s + 11, 2)) < 0 || s[13] != ':' ||
	    (mi = digits(s + 14, 2)) < 0 || s[16] != ':' ||
	    (sec = digits(s + 17, 2)) < 0)
		return -1;
	if (h > 23 || mi > 59 || sec > 60)
		return -1;
	i = 19;
	if (s[i] == '.') {
		size_t start = ++i;

		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (i - start < 9)
				ns = ns * 10 + (s[i] - '0');
		if (i == start)
			return -1;
		for (size_t k = i - start; k < 9; k++)
			ns *= 10;
	}
	if (i >= n)
		return -1;
	if (s[i] == 'Z' || s[i] == 'z') {
		if (i + 1 != n)
			return -1;
	} else if (s[i] == '+' || s[i] == '-') {
		if (n - i != 6 || (oh = digits(s + i + 1, 2)) < 0 ||
		    s[i + 3] != ':' || (om = digits(s + i + 4, 2)) < 0 ||
		    oh > 23 || om > 59)
			return -1;
		off = (int64_t)oh * 3600 + om * 60;
		if (s[i] == '-')
			off = -off;
	} else
		return -1;
	if (sec == 60) {
		leap = 1;
		sec = 59;
	}

done:
	r = days * DAY + h * 3600 + mi * 60 + sec - off;
	if (leap) {
		int64_t yy, sod, ud;
		int um, udd;

		ud = floordiv(r, DAY, &sod);
		bf_civil_from_days(ud, &yy, &um, &udd);
		if (sod != DAY - 1 || udd != bf_days_in_month(yy, um))
			return -1;
		r++;
	}
	*t = r;
	if (nsec)
		*nsec = ns;
	return 0;
}

#define NS 1000000000u
/* 1e11 seconds in nanoseconds: from here on a number means milliseconds. */
#define MS_FROM ((unsigned __int128)100000000000u * NS)

int
bf_time_from_number(const char *s, size_t n, bf_time *t, int32_t *nsec)
{
	const unsigned __int128 lim = (unsigned __int128)1 << 120;
	unsigned __int128 acc = 0, secs;
	struct bf_numtok tok;
	int neg, sticky = 0;
	int64_t keep, sh, nd, r;

	if (bf_num_scan(s, n, &tok) == -1)
		return -1;
	neg = tok.neg;

	/* acc = floor(|value| * 1e9), sticky when nonzero digits fell off. */
	nd = bf_num_ndigits(&tok);
	sh = tok.exp - (int64_t)(tok.fe - tok.fs) + 9;
	keep = nd + sh;
	for (int64_t j = 0; j < nd; j++) {
		unsigned dg = bf_num_digit(&tok, s, j);

		if (j >= keep) {
			sticky |= dg != 0;
			continue;
		}
		if (acc > (lim - dg) / 10)
			return -1;
		acc = acc * 10 + dg;
	}
	for (int64_t j = 0; j < sh && acc != 0; j++) {
		if (acc > lim / 10)
			return -1;
		acc *= 10;
	}

	if (acc >= MS_FROM) {
		sticky |= acc % 1000 != 0;
		acc /= 1000;
	}
	if (neg && sticky)
		acc++;
	secs = acc / NS;
	r = (int64_t)(acc % NS);
	if (neg && r != 0) {
		secs++;
		r = NS - r;
	}
	if (secs > (unsigned __int128)INT64_MAX + neg)
		return -1;
	if (neg)
		*t = secs == (unsigned __int128)INT64_MAX + 1 ? INT64_MIN :
		    -(int64_t)secs;
	else
		*t = (int64_t)secs;
	if (nsec)
		*nsec = (int32_t)r;
	return 0;
}

int
bf_time_parse_any(const char *s, size_t n, bf_time *t, int32_t *nsec)
{
	if (bf_time_parse(s, n, t, nsec) == 0)
		return 0;
	return bf_time_from_number(s, n, t, nsec);
}

/* Writes v (0 <= v < 10^k) as k digits. */
static void
put(char *p, int64_t v, int k)
{
	while (k-- > 0) {
		p[k] = (char)('0' + v % 10);
		v /= 10;
	}
}

const char *
bf_time_range(bf_time from, bf_time to, char out[BF_RANGE_LEN])
{
	char a[BF_TIME_LEN], b[BF_TIME_LEN];

	bf_time_format(from, a);
	bf_time_format(to, b);
	snprintf(out, BF_RANGE_LEN, "[%s, %s)", a, b);
	return out;
}

size_t
bf_time_format(bf_time t, char out[BF_TIME_LEN])
{
	int64_t sod, y, days;
	int m, d;

	if (t < TEXT_MIN || t >= TEXT_END) {
		out[0] = '\0';
		return 0;
	}
	days = floordiv(t, DAY, &sod);
	bf_civil_from_days(days, &y, &m, &d);
	put(out, y, 4);
	out[4] = '-';
	put(out + 5, m, 2);
	out[7] = '-';
	put(out + 8, d, 2);
	out[10] = 'T';
	put(out + 11, sod / 3600, 2);
	out[13] = ':';
	put(out + 14, sod / 60 % 60, 2);
	out[16] = ':';
	put(out + 17, sod % 60, 2);
	out[19] = 'Z';
	out[20] = '\0';
	return 20;
}

static const struct {
	char c;
	int64_t secs;
} units[] = {
	{'w', 7 * DAY}, {'d', DAY}, {'h', 3600}, {'m', 60}, {'s', 1},
};
#define NUNITS (sizeof(units) / sizeof(units[0]))

int
bf_duration_parse(const char *s, int64_t *secs)
{
	int64_t total = 0;
	size_t next = 0; /* the first unit still allowed */

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		int64_t v = 0;
		const char *start = s;
		size_t u;

		for (; *s >= '0' && *s <= '9'; s++)
			if (__builtin_mul_overflow(v, 10, &v) ||
			    __builtin_add_overflow(v, *s - '0', &v))
				return -1;
		if (s == start || v == 0)
			return -1;
		for (u = next; u < NUNITS && units[u].c != *s; u++)
			;
		if (u == NUNITS)
			return -1;
		s++;
		next = u + 1;
		if (__builtin_mul_overflow(v, units[u].secs, &v) ||
		    __builtin_add_overflow(total, v, &total))
			return -1;
	}
	*secs = total;
	return 0;
}

int
bf_duration_parse0(const char *s, int64_t *secs)
{
	if (s[0] == '0' && (s[1] == '\0' || (strchr("smhdw", s[1]) != NULL &&
	    s[2] == '\0'))) {
		*secs = 0;
		return 0;
	}
	return bf_duration_parse(s, secs);
}

void
bf_duration_format(int64_t secs, char *out, size_t outlen)
{
	uint64_t mag = secs < 0 ? 0 - (uint64_t)secs : (uint64_t)secs;
	size_t u = NUNITS - 1;

	if (outlen == 0)
		return;
	if (mag != 0)
		for (u = 0; mag % (uint64_t)units[u].secs != 0; u++)
			;
	snprintf(out, outlen, "%s%llu%c", secs < 0 ? "-" : "",
	    (unsigned long long)(mag / (uint64_t)units[u].secs), units[u].c);
}

/* The year and month (0-based) of a month count y * 12 + m0. */
static void
split_months(int64_t months, int64_t *y, int *m0)
{
	int64_t r;

	*y = floordiv(months, 12, &r);
	*m0 = (int)r;
}

bf_time
bf_time_add_months(bf_time t, int months)
{
	int64_t days, sod, y, total;
	int m, d, dim;

	days = floordiv(t, DAY, &sod);
	bf_civil_from_days(days, &y, &m, &d);
	total = y * 12 + (m - 1) + months;
	split_months(total, &y, &m);
	m++;
	dim = bf_days_in_month(y, m);
	if (d > dim)
		d = dim;
	return days_to_time(bf_days_from_civil(y, m, d), sod);
}

static int
clamp_bday(int bd)
{
	return bd < 1 ? 1 : bd > 28 ? 28 : bd;
}

/* The month count (y * 12 + m - 1) of the billing cycle holding t. */
static int64_t
cycle_month(bf_time t, int bd)
{
	int64_t y, days = floordiv(t, DAY, NULL);
	int m, d;

	bf_civil_from_days(days, &y, &m, &d);
	return y * 12 + (m - 1) - (d < bd);
}

static bf_time
cycle_time(int64_t months, int bd)
{
	int64_t y;
	int m0;

	split_months(months, &y, &m0);
	return days_to_time(bf_days_from_civil(y, m0 + 1, bd), 0);
}

bf_time
bf_billing_start(bf_time t, int billing_day)
{
	int bd = clamp_bday(billing_day);

	return cycle_time(cycle_month(t, bd), bd);
}

bf_time
bf_billing_next(bf_time t, int billing_day)
{
	int bd = clamp_bday(billing_day);

	return cycle_time(cycle_month(t, bd) + 1, bd);
}

int
bf_billing_period(const char *yyyymm, int billing_day, bf_time *from,
    bf_time *to)
{
	int y, m;

	if (yyyymm == NULL || billing_day < 1 || billing_day > 28 ||
	    strlen(yyyymm) != 7 || (y = digits(yyyymm, 4)) < 0 ||
	    yyyymm[4] != '-' || (m = digits(yyyymm + 5, 2)) < 0 || m < 1 ||
	    m > 12)
		return -1;
	*from = cycle_time((int64_t)y * 12 + m - 1, billing_day);
	*to = cycle_time((int64_t)y * 12 + m, billing_day);
	return 0;
}
