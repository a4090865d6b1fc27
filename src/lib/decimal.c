/*
 * decimal.c: fixed point with 9 places in a signed 128-bit integer.
 *
 * Everything is done on magnitudes (unsigned __int128) and a sign, so no
 * signed arithmetic can overflow; products are exact 256-bit values kept as
 * two 128-bit halves, and quotients come from a 256-by-128-bit division
 * (two 128-by-64 steps when the divisor fits 64 bits, as it does for most
 * real divisors, else a shift-subtract loop) whose remainder decides the
 * single half-even rounding.
 */
#include <string.h>

#include "decimal.h"

typedef unsigned __int128 u128;

#define MAXMAG ((u128)BF_DEC_MAX)
#define ONE ((u128)1000000000u)

static u128
mag(bf_dec a)
{
	return a.v < 0 ? 0 - (u128)a.v : (u128)a.v;
}

/* Sets *out to the signed value of magnitude m, or reports overflow. */
static int
make(int neg, u128 m, bf_dec *out)
{
	if (m > MAXMAG)
		return BF_DEC_EOVERFLOW;
	out->v = neg ? -(__int128)m : (__int128)m;
	return BF_DEC_OK;
}

/* The exact product a * b as hi * 2^128 + lo. */
static void
mul256(u128 a, u128 b, u128 *hi, u128 *lo)
{
	uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64);
	uint64_t b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
	u128 p00, p01, p10, p11, mid;

	if ((a1 | b1) == 0) { /* the common case: one 64 by 64 product */
		*lo = (u128)a0 * b0;
		*hi = 0;
		return;
	}
	p00 = (u128)a0 * b0;
	p01 = (u128)a0 * b1;
	p10 = (u128)a1 * b0;
	p11 = (u128)a1 * b1;
	mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
	*lo = (mid << 64) | (uint64_t)p00;
	*hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
}

/* (hi * 2^128 + lo) / d for d > 0: the quotient and remainder, or -1 when
 * the quotient does not fit 128 bits. */
static int
div256(u128 hi, u128 lo, u128 d, u128 *q, u128 *r)
{
	if (hi == 0) {
		*q = lo / d;
		*r = lo % d;
		return 0;
	}
	if (hi >= d)
		return -1;
	if (d >> 64 == 0) {
		/* hi < d < 2^64: two steps of 128 by 64 bits. */
		u128 x = (hi << 64) | (lo >> 64), q1, y;

		q1 = x / d;
		y = ((x % d) << 64) | (uint64_t)lo;
		*q = (q1 << 64) | (y / d);
		*r = y % d;
		return 0;
	}
	for (int i = 0; i < 128; i++) {
		int carry = (int)(hi >> 127);

		hi = (hi << 1) | (lo >> 127);
		lo <<= 1;
		if (carry || hi >= d) {
			hi -= d;
			lo |= 1;
		}
	}
	*q = lo;
	*r = hi;
	return 0;
}

/* Rounds the quotient q (remainder r of divisor d) half to even; fails when
 * the result leaves the range. */
static int
round_even(u128 q, u128 r, u128 d, u128 *out)
{
	u128 rest;

	if (q > MAXMAG)
		return -1;
	rest = d - r;
	if (r > rest || (r == rest && (q & 1)))
		q++;
	if (q > MAXMAG)
		return -1;
	*out = q;
	return 0;
}

/* round(n / d) with n = hi * 2^128 + lo, signed by neg. */
static int
quotient(int neg, u128 hi, u128 lo, u128 d, bf_dec *out)
{
	u128 q, r;

	if (div256(hi, lo, d, &q, &r) != 0 || round_even(q, r, d, &q) != 0)
		return BF_DEC_EOVERFLOW;
	return make(neg && q != 0, q, out);
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const uint64_t pow10u64[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000,
};

/*
 * The common short forms exactly: -?(0|[1-9][0-9]{0,17})(\.[0-9]{1,9})?.
 * They need no rounding, and the integer and fraction each fit 64 bits, so
 * this is the general parser's result without its 128-bit digit loop.
 * Returns 1 with *out set, or 0 (nothing set) for anything else, which is
 * left to the general parser, errors included.
 */
static int
parse_short(const char *s, size_t n, bf_dec *out)
{
	size_t i = 0, k;
	uint64_t ip = 0, fp = 0;
	u128 m;
	int neg = 0;

	if (n > 0 && s[0] == '-') {
		neg = 1;
		i++;
	}
	if (i >= n || !is_digit(s[i]))
		return 0;
	if (s[i] == '0')
		i++;
	else
		for (k = i; i < n && is_digit(s[i]); i++) {
			if (i - k == 18)
				return 0;
			ip = ip * 10 + (uint64_t)(s[i] - '0');
		}
	if (i < n) {
		if (s[i] != '.')
			return 0;
		for (k = ++i; i < n && is_digit(s[i]); i++) {
			if (i - k == BF_DEC_PLACES)
				return 0;
			fp = fp * 10 + (uint64_t)(s[i] - '0');
		}
		if (i == k || i != n)
			return 0;
		fp *= pow10u64[BF_DEC_PLACES - (i - k)];
	}
	m = (u128)ip * ONE + fp;
	out->v = neg ? -(__int128)m : (__int128)m;
	return 1;
}

int
bf_num_scan(const char *s, size_t n, struct bf_numtok *t)
{
	size_t i = 0;
	int64_t exp = 0;

	memset(t, 0, sizeof(*t));
	if (s == NULL || n == 0 || n > (size_t)(INT64_MAX / 4))
		return -1;
	if (s[i] == '-') {
		t->neg = 1;
		i++;
	}
	t->ds = i;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && is_digit(s[i]))
			i++;
	else
		return -1;
	t->de = i;
	if (i < n && s[i] == '.') {
		t->fs = ++i;
		while (i < n && is_digit(s[i]))
			i++;
		t->fe = i;
		if (t->fe == t->fs)
			return -1;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t es;
		int eneg = 0;

		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		es = i;
		for (; i < n && is_digit(s[i]); i++)
			if (exp < 1000000000000000LL)
				exp = exp * 10 + (s[i] - '0');
		if (i == es)
			return -1;
		t->exp = eneg ? -exp : exp;
	}
	return i == n ? 0 : -1;
}

int
bf_dec_parse_x(const char *s, size_t n, bf_dec *out, int *inexact)
{
	struct bf_numtok t;
	int sticky = 0;
	unsigned rd = 0;
	int64_t nd, keep;
	u128 acc = 0;

	if (s == NULL || n == 0 || n > (size_t)(INT64_MAX / 4))
		return BF_DEC_ESYNTAX;
	if (parse_short(s, n, out)) {
		if (inexact)
			*inexact = 0;
		return BF_DEC_OK;
	}
	if (bf_num_scan(s, n, &t) == -1)
		return BF_DEC_ESYNTAX;

	/*
	 * The digits, integer part then fraction, are D; the value in units is
	 * D * 10^sh. The first keep digits make the integer, the next one is
	 * the rounding digit, and any non-zero digit after it is sticky.
	 */
	nd = bf_num_ndigits(&t);
	keep = nd + t.exp - (int64_t)(t.fe - t.fs) + BF_DEC_PLACES;
	for (int64_t j = 0; j < nd; j++) {
		unsigned dg = bf_num_digit(&t, s, j);

		if (j < keep) {
			/* acc * 10 + dg > MAXMAG, without a 128-bit division
			 * per digit */
			if (acc > MAXMAG / 10 ||
			    (acc == MAXMAG / 10 && dg > MAXMAG % 10))
				return BF_DEC_EOVERFLOW;
			acc = acc * 10 + dg;
		} else if (j == keep)
			rd = dg;
		else
			sticky |= dg != 0;
	}
	for (int64_t j = nd; j < keep && acc != 0; j++) {
		if (acc > MAXMAG / 10)
			return BF_DEC_EOVERFLOW;
		acc *= 10;
	}
	if (rd > 5 || (rd == 5 && (sticky || (acc & 1)))) {
		if (acc == MAXMAG)
			return BF_DEC_EOVERFLOW;
		acc++;
	}
	make(t.neg && acc != 0, acc, out);
	if (inexact)
		*inexact = rd != 0 || sticky;
	return BF_DEC_OK;
}

int
bf_dec_parse(const char *s, size_t n, bf_dec *out)
{
	return bf_dec_parse_x(s, n, out, NULL);
}

bf_dec
bf_dec_from_int(int64_t i)
{
	bf_dec d = {(__int128)i * BF_DEC_ONE};

	return d;
}

int
bf_dec_to_int(bf_dec a, int64_t *out)
{
	__int128 q;

	if (!bf_dec_is_integer(a))
		return -1;
	q = a.v / BF_DEC_ONE;
	if (q < INT64_MIN || q > INT64_MAX)
		return -1;
	*out = (int64_t)q;
	return 0;
}

int
bf_dec_is_integer(bf_dec a)
{
	return a.v % BF_DEC_ONE == 0;
}

int
bf_dec_cmp(bf_dec a, bf_dec b)
{
	return (a.v > b.v) - (a.v < b.v);
}

int
bf_dec_rank_cmp(const void *a, const void *b)
{
	const struct bf_dec_rank *x = a, *y = b;
	int c = bf_dec_cmp(y->v, x->v);

	return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

int
bf_dec_sign(bf_dec a)
{
	return (a.v > 0) - (a.v < 0);
}

int
bf_dec_neg(bf_dec a, bf_dec *out)
{
	return make(a.v > 0, mag(a), out);
}

/* The result r of a sum or difference into *out, unless it overflowed or
 * is the one value below -BF_DEC_MAX. */
static int
sum_result(int overflow, __int128 r, bf_dec *out)
{
	if (overflow || r < -BF_DEC_MAX)
		return BF_DEC_EOVERFLOW;
	out->v = r;
	return BF_DEC_OK;
}

int
bf_dec_add(bf_dec a, bf_dec b, bf_dec *out)
{
	__int128 r;
	int o = __builtin_add_overflow(a.v, b.v, &r);

	return sum_result(o, r, out);
}

int
bf_dec_sub(bf_dec a, bf_dec b, bf_dec *out)
{
	__int128 r;
	int o = __builtin_sub_overflow(a.v, b.v, &r);

	return sum_result(o, r, out);
}

int
bf_dec_mul(bf_dec a, bf_dec b, bf_dec *out)
{
	u128 hi, lo;

	mul256(mag(a), mag(b), &hi, &lo);
	return quotient((a.v < 0) != (b.v < 0), hi, lo, ONE, out);
}

int
bf_dec_div(bf_dec a, bf_dec b, bf_dec *out)
{
	u128 hi, lo;

	if (b.v == 0)
		return BF_DEC_EDIVZERO;
	mul256(mag(a), ONE, &hi, &lo);
	return quotient((a.v < 0) != (b.v < 0), hi, lo, mag(b), out);
}

int
bf_dec_muldiv(bf_dec a, bf_dec b, bf_dec c, bf_dec *out)
{
	u128 hi, lo;

	if (c.v == 0)
		return BF_DEC_EDIVZERO;
	mul256(mag(a), mag(b), &hi, &lo);
	return quotient(((a.v < 0) != (b.v < 0)) != (c.v < 0), hi, lo, mag(c),
	    out);
}

int
bf_dec_mul_int(bf_dec a, int64_t k, bf_dec *out)
{
	u128 hi, lo, mk = k < 0 ? 0 - (u128)k : (u128)k;

	mul256(mag(a), mk, &hi, &lo);
	if (hi != 0)
		return BF_DEC_EOVERFLOW;
	return make((a.v < 0) != (k < 0) && lo != 0, lo, out);
}

static const u128 pow10[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000,
};

static int
clamp_places(int places)
{
	return places < 0 ? 0 : places > BF_DEC_PLACES ? BF_DEC_PLACES : places;
}

/* The magnitude m rounded half-even to a multiple of p (p a power of ten
 * up to 1e9); may exceed MAXMAG by less than p. */
static u128
round_mag(u128 m, u128 p)
{
	u128 q = m / p, r = m % p, rest = p - r;

	if (r > rest || (r == rest && (q & 1)))
		q++;
	return q * p;
}

int
bf_dec_round_to(bf_dec a, int places, bf_dec *out)
{
	return make(a.v < 0,
	    round_mag(mag(a), pow10[BF_DEC_PLACES - clamp_places(places)]),
	    out);
}

bf_dec
bf_dec_round(bf_dec a, int places)
{
	u128 p = pow10[BF_DEC_PLACES - clamp_places(places)];
	bf_dec r;

	u128 m;

	if (bf_dec_round_to(a, places, &r) == BF_DEC_OK)
		return r;
	m = mag(a) / p * p;
	if (m > MAXMAG) /* only for v == INT128_MIN */
		m -= p;
	make(a.v < 0, m, &r);
	return r;
}

/* Writes the decimal digits of m (any u128) and returns their count. */
static size_t
put_u128(char *out, u128 m)
{
	char tmp[40];
	size_t k = 0, n;

	/* Chunks of 19 digits in uint64_t keep the 128-bit divisions few. */
	const uint64_t e19 = 10000000000000000000u;

	do {
		uint64_t chunk = (uint64_t)(m % e19);

		m /= e19;
		for (int i = 0; i < 19 && (m != 0 || chunk != 0 || i == 0);
		     i++) {
			tmp[k++] = (char)('0' + chunk % 10);
			chunk /= 10;
		}
	} while (m != 0);
	for (n = 0; n < k; n++)
		out[n] = tmp[k - 1 - n];
	return k;
}

static size_t
format_mag(int neg, u128 m, int places, char *out)
{
	u128 p = pow10[places], ip, fp;
	size_t len = 0;

	m = m / pow10[BF_DEC_PLACES - places];
	ip = m / p;
	fp = m % p;
	if (neg && m != 0)
		out[len++] = '-';
	len += put_u128(out + len, ip);
	if (places > 0) {
		out[len++] = '.';
		for (int i = places - 1; i >= 0; i--) {
			out[len + (size_t)i] = (char)('0' + (int)(fp % 10));
			fp /= 10;
		}
		len += (size_t)places;
	}
	out[len] = '\0';
	return len;
}

size_t
bf_dec_format(bf_dec a, char out[BF_DEC_LEN])
{
	return format_mag(a.v < 0, mag(a), BF_DEC_PLACES, out);
}

size_t
bf_dec_format_places(bf_dec a, int places, char out[BF_DEC_LEN])
{
	int pl = clamp_places(places);

	return format_mag(a.v < 0,
	    round_mag(mag(a), pow10[BF_DEC_PLACES - pl]), pl, out);
}

int
bf_dec_split(bf_dec total, const int64_t *w, size_t n, int64_t whole,
    bf_dec *parts)
{
	bf_dec rest = total;
	size_t i;
	int rc;

	/* A bf_dec is a scaled integer, so the ratio of two raw integers can be
	 * taken by dividing bf_decs that hold them. */
	for (i = 0; i + 1 < n; i++) {
		bf_dec wi = { w[i] }, wh = { whole };

		if ((rc = bf_dec_muldiv(total, wi, wh, &parts[i])) !=
		        BF_DEC_OK ||
		    (rc = bf_dec_sub(rest, parts[i], &rest)) != BF_DEC_OK)
			return rc;
	}
	if (n > 0)
		parts[n - 1] = rest;
	return BF_DEC_OK;
}
