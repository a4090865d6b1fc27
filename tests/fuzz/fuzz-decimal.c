/*
 * fuzz-decimal: decimal.h on any bytes. The input is parsed whole, and also
 * split at commas into up to three operands a, b, c for the arithmetic.
 * Invariants:
 * - bf_dec_parse accepts exactly the JSON number grammar (checked against
 *   bf_json_parse); format(parse(x)) parses back to the same value, with
 *   9 decimals, within BF_DEC_LEN; format_places and rounding agree;
 * - arithmetic never crashes, never wraps (results stay within
 *   -BF_DEC_MAX..BF_DEC_MAX), and obeys its identities: add and mul
 *   commute, a + b - b = a, a * 1 = a, a / 1 = a, a * b / b = a exactly
 *   through muldiv, muldiv(a, b, 1) = mul(a, b);
 * - where operands are small enough for 128-bit arithmetic, mul, div and
 *   mul_int equal a plain reference with half-even rounding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "json.h"

#include "fuzz.h"

#define ONE BF_DEC_ONE

static int
in_range(bf_dec a)
{
	return a.v >= -BF_DEC_MAX && a.v <= BF_DEC_MAX;
}

static int
same(bf_dec a, bf_dec b)
{
	return a.v == b.v;
}

/* round(n / d) half to even, d > 0, in plain 128-bit arithmetic. */
static __int128
ref_div(__int128 n, __int128 d)
{
	__int128 q = n / d, r = n % d;
	int neg = n < 0;

	if (neg) {
		q = -q;
		r = -r;
	}
	if (2 * r > d || (2 * r == d && (q & 1)))
		q++;
	return neg ? -q : q;
}

static __int128
abs128(__int128 v)
{
	return v < 0 ? -v : v;
}

static void
check_text(const char *s, size_t n)
{
	struct bf_json j = BF_JSON_INIT;
	char out[BF_DEC_LEN], out2[BF_DEC_LEN];
	bf_dec d = {77}, d2, r;
	int rc, jr, inexact = 9, p;
	size_t k;

	rc = bf_dec_parse_x(s, n, &d, &inexact);
	jr = bf_json_parse(&j, s, n, 0, NULL);
	/* The same grammar: a JSON text that is one number, no spaces. */
	FUZZ_CHECK((rc != BF_DEC_ESYNTAX) == (jr == BF_JSON_OK &&
	    j.tok[0].type == BF_JSON_NUMBER && j.tok[0].start == 0 &&
	    (size_t)j.tok[0].end == n));
	bf_json_free(&j);
	if (rc != BF_DEC_OK) {
		FUZZ_CHECK(rc == BF_DEC_ESYNTAX || rc == BF_DEC_EOVERFLOW);
		FUZZ_CHECK(d.v == 77 && inexact == 9);
		return;
	}
	FUZZ_CHECK(inexact == 0 || inexact == 1);
	FUZZ_CHECK(in_range(d));
	FUZZ_CHECK(bf_dec_parse(s, n, &d2) == BF_DEC_OK && same(d, d2));
	k = bf_dec_format(d, out);
	FUZZ_CHECK(k == strlen(out) && k < BF_DEC_LEN);
	FUZZ_CHECK(k >= 11 && out[k - 10] == '.');
	FUZZ_CHECK(bf_dec_parse_x(out, k, &d2, &inexact) == BF_DEC_OK);
	FUZZ_CHECK(same(d, d2) && inexact == 0);
	for (p = -1; p <= 10; p++) {
		k = bf_dec_format_places(d, p, out2);
		FUZZ_CHECK(k == strlen(out2) && k < BF_DEC_LEN);
		rc = bf_dec_parse(out2, k, &d2);
		if (bf_dec_round_to(d, p, &r) == BF_DEC_OK) {
			FUZZ_CHECK(rc == BF_DEC_OK && same(r, d2));
			FUZZ_CHECK(same(bf_dec_round(d, p), r));
		}
		if (p >= 9)
			FUZZ_CHECK(strcmp(out, out2) == 0);
	}
}

static void
check_unary(bf_dec a)
{
	bf_dec n, nn, r;
	int64_t i;

	FUZZ_CHECK(bf_dec_neg(a, &n) == BF_DEC_OK);
	FUZZ_CHECK(bf_dec_neg(n, &nn) == BF_DEC_OK && same(nn, a));
	FUZZ_CHECK(bf_dec_cmp(a, n) == bf_dec_sign(a));
	if (bf_dec_to_int(a, &i) == 0) {
		FUZZ_CHECK(bf_dec_is_integer(a));
		FUZZ_CHECK(same(bf_dec_from_int(i), a));
	}
	for (int p = 0; p <= 9; p++) {
		r = bf_dec_round(a, p);
		FUZZ_CHECK(in_range(r));
		FUZZ_CHECK(abs128(r.v - a.v) <= 1000000000);
	}
}

static void
check_binary(bf_dec a, bf_dec b)
{
	const bf_dec one = {ONE};
	bf_dec x, y, z;
	int rx, ry;

	rx = bf_dec_add(a, b, &x);
	ry = bf_dec_add(b, a, &y);
	FUZZ_CHECK(rx == ry);
	if (rx == BF_DEC_OK) {
		FUZZ_CHECK(same(x, y) && in_range(x));
		FUZZ_CHECK(bf_dec_sub(x, b, &z) == BF_DEC_OK && same(z, a));
	}
	rx = bf_dec_sub(a, b, &x);
	ry = bf_dec_sub(b, a, &y);
	FUZZ_CHECK(rx == ry);
	if (rx == BF_DEC_OK)
		FUZZ_CHECK(x.v == -y.v && in_range(x));

	rx = bf_dec_mul(a, b, &x);
	ry = bf_dec_mul(b, a, &y);
	FUZZ_CHECK(rx == ry && (rx == BF_DEC_OK || rx == BF_DEC_EOVERFLOW));
	if (rx == BF_DEC_OK) {
		FUZZ_CHECK(same(x, y) && in_range(x));
		FUZZ_CHECK(bf_dec_muldiv(a, b, one, &z) == BF_DEC_OK &&
		    same(z, x));
	} else
		FUZZ_CHECK(bf_dec_muldiv(a, b, one, &z) == rx);
	FUZZ_CHECK(bf_dec_mul(a, one, &x) == BF_DEC_OK && same(x, a));
	FUZZ_CHECK(bf_dec_div(a, one, &x) == BF_DEC_OK && same(x, a));
	if (b.v != 0)
		FUZZ_CHECK(bf_dec_muldiv(a, b, b, &x) == BF_DEC_OK &&
		    same(x, a));

	rx = bf_dec_div(a, b, &x);
	if (b.v == 0)
		FUZZ_CHECK(rx == BF_DEC_EDIVZERO);
	else if (rx == BF_DEC_OK)
		FUZZ_CHECK(in_range(x));
	else
		FUZZ_CHECK(rx == BF_DEC_EOVERFLOW);

	/* Against plain 128-bit arithmetic where it cannot overflow. */
	if (abs128(a.v) < ((__int128)1 << 58) &&
	    abs128(b.v) < ((__int128)1 << 58)) {
		FUZZ_CHECK(bf_dec_mul(a, b, &x) == BF_DEC_OK);
		FUZZ_CHECK(x.v == ref_div(a.v * b.v, ONE));
	}
	if (b.v != 0 && abs128(a.v) < ((__int128)1 << 90)) {
		__int128 want = ref_div(a.v * ONE * (b.v < 0 ? -1 : 1),
		    abs128(b.v));

		if (abs128(want) <= BF_DEC_MAX)
			FUZZ_CHECK(bf_dec_div(a, b, &x) == BF_DEC_OK &&
			    x.v == want);
	}
	if (b.v % ONE == 0 && abs128(b.v / ONE) < ((__int128)1 << 62)) {
		int64_t k = (int64_t)(b.v / ONE);

		rx = bf_dec_mul_int(a, k, &x);
		if (abs128(a.v) < ((__int128)1 << 64)) {
			__int128 want = a.v * k;

			if (abs128(want) <= BF_DEC_MAX)
				FUZZ_CHECK(rx == BF_DEC_OK && x.v == want);
			else
				FUZZ_CHECK(rx == BF_DEC_EOVERFLOW);
		}
		/* mul by an integer is exact: mul agrees. */
		if (rx == BF_DEC_OK)
			FUZZ_CHECK(bf_dec_mul(a, b, &y) == BF_DEC_OK &&
			    same(x, y));
	}
}

/* The one value below the range: accepted by everything, never produced. */
static void
check_min(bf_dec b)
{
	bf_dec m, x;
	char out[BF_DEC_LEN];
	int64_t i;

	m.v = -BF_DEC_MAX - 1;
	FUZZ_CHECK(bf_dec_neg(m, &x) == BF_DEC_EOVERFLOW);
	FUZZ_CHECK(bf_dec_format(m, out) == strlen(out));
	FUZZ_CHECK(bf_dec_format_places(m, 2, out) == strlen(out));
	FUZZ_CHECK(bf_dec_to_int(m, &i) != 0);
	if (bf_dec_add(m, b, &x) == BF_DEC_OK)
		FUZZ_CHECK(in_range(x));
	if (bf_dec_sub(b, m, &x) == BF_DEC_OK)
		FUZZ_CHECK(in_range(x));
	if (bf_dec_mul(m, b, &x) == BF_DEC_OK)
		FUZZ_CHECK(in_range(x));
	if (bf_dec_div(b, m, &x) == BF_DEC_OK)
		FUZZ_CHECK(in_range(x));
	if (bf_dec_div(m, b, &x) == BF_DEC_OK)
		FUZZ_CHECK(in_range(x));
	if (bf_dec_muldiv(m, b, m, &x) == BF_DEC_OK)
		FUZZ_CHECK(in_range(x));
	if (bf_dec_mul_int(m, -1, &x) == BF_DEC_OK)
		FUZZ_CHECK(in_range(x));
	if (bf_dec_round_to(m, 3, &x) == BF_DEC_OK)
		FUZZ_CHECK(in_range(x));
	FUZZ_CHECK(in_range(bf_dec_round(m, 3)));
	(void)bf_dec_cmp(m, b);
	(void)bf_dec_sign(m);
	(void)bf_dec_is_integer(m);
}

static void
check_ternary(bf_dec a, bf_dec b, bf_dec c)
{
	bf_dec x;
	int r = bf_dec_muldiv(a, b, c, &x);

	if (c.v == 0)
		FUZZ_CHECK(r == BF_DEC_EDIVZERO);
	else if (r == BF_DEC_OK)
		FUZZ_CHECK(in_range(x));
	else
		FUZZ_CHECK(r == BF_DEC_EOVERFLOW);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *p, *comma;
	bf_dec v[3];
	size_t n = 0, len;

	check_text(s, size);
	for (p = s; n < 3 && p <= s + size; p = comma + 1) {
		comma = memchr(p, ',', (size_t)(s + size - p));
		if (comma == NULL)
			comma = s + size;
		len = (size_t)(comma - p);
		if (p != s || comma != s + size)
			check_text(p, len);
		if (bf_dec_parse(p, len, &v[n]) == BF_DEC_OK)
			n++;
		else
			break;
	}
	/* The extreme values too, whatever the input. */
	if (n == 0) {
		v[0].v = BF_DEC_MAX;
		v[1].v = -BF_DEC_MAX;
		n = size % 3;
	}
	if (n >= 1)
		check_unary(v[0]);
	if (n >= 2) {
		check_binary(v[0], v[1]);
		check_binary(v[1], v[0]);
	}
	if (n >= 3)
		check_ternary(v[0], v[1], v[2]);
	check_min(n >= 1 ? v[0] : bf_dec_from_int((int64_t)size - 2));
	return 0;
}
