/* format.c: see format.h. */
#include <stddef.h>

#include "format.h"
#include "timeutil.h"

/* The number of the two digits at s, or -1 when they are not both digits.
 * (Called on every date-time of every line: no loops, few branches.) */
static inline int
d2(const char *s)
{
	unsigned a = (unsigned)((unsigned char)s[0] - '0');
	unsigned b = (unsigned)((unsigned char)s[1] - '0');

	return a <= 9 && b <= 9 ? (int)(a * 10 + b) : -1;
}

/* s[0..10) is YYYY-MM-DD, a real day. */
static int
full_date(const char *s)
{
	int y1 = d2(s), y2 = d2(s + 2), m = d2(s + 5), d = d2(s + 8);

	if (y1 < 0 || y2 < 0 || s[4] != '-' || s[7] != '-' || m < 1 ||
	    m > 12 || d < 1)
		return 0;
	return d <= 28 || d <= bf_days_in_month(y1 * 100 + y2, m);
}

int
bf_format_date_time(const char *s, size_t n)
{
	int hh, mm, ss, oh = 0, om = 0, sign = 0, mod;
	size_t p;

	if (n < 20 || !full_date(s) || (s[10] != 'T' && s[10] != 't'))
		return 0;
	hh = d2(s + 11);
	mm = d2(s + 14);
	ss = d2(s + 17);
	if (hh < 0 || mm < 0 || ss < 0 || s[13] != ':' || s[16] != ':' ||
	    hh > 23 || mm > 59 || ss > 60)
		return 0;
	p = 19;
	if (s[p] == '.') {
		p++;
		if (p >= n || s[p] < '0' || s[p] > '9')
			return 0;
		while (p < n && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	if (p < n && (s[p] == 'Z' || s[p] == 'z'))
		p++;
	else if (p + 6 == n && (s[p] == '+' || s[p] == '-')) {
		sign = s[p] == '+' ? 1 : -1;
		oh = d2(s + p + 1);
		om = d2(s + p + 4);
		if (oh < 0 || om < 0 || s[p + 3] != ':' || oh > 23 || om > 59)
			return 0;
		p += 6;
	} else
		return 0;
	if (p != n)
		return 0;
	if (ss == 60) {
		mod = hh * 60 + mm - sign * (oh * 60 + om);
		mod = ((mod % 1440) + 1440) % 1440;
		if (mod != 23 * 60 + 59)
			return 0;
	}
	return 1;
}

int
bf_format_date(const char *s, size_t n)
{
	return n == 10 && full_date(s);
}
