/*
 * decimal.h: exact fixed-point decimals for quantities and money.
 *
 * A bf_dec is an integer count of 1e-9 units in a signed 128-bit integer.
 * The range is symmetric, -BF_DEC_MAX..BF_DEC_MAX (about +-1.7e29);
 * no operation produces the one value below it (v == INT128_MIN), and every
 * operation accepts it as input without undefined behaviour. No binary
 * floating point is used anywhere. Every operation that must drop digits
 * rounds half to even, once, on the exact result, and every operation
 * detects overflow and reports it instead of wrapping. Functions that return
 * int return BF_DEC_OK (0) or an error; on error *out is unchanged. A bf_dec
 * is a plain value: nothing here allocates or keeps pointers.
 */
#ifndef BF_DECIMAL_H
#define BF_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	__int128 v; /* the value times BF_DEC_ONE */
} bf_dec;

#define BF_DEC_PLACES 9
#define BF_DEC_ONE ((__int128)1000000000)
/* The largest value, 2^127 - 1 units: 170141183460469231731687303715.884105727 */
#define BF_DEC_MAX ((__int128)(((unsigned __int128)1 << 127) - 1))
/* Longest formatted value, "-170141183460469231731687303715.884105728" (for
 * INT128_MIN, 41 bytes) and NUL, with room to spare. */
#define BF_DEC_LEN 48

enum {
	BF_DEC_OK = 0,
	BF_DEC_ESYNTAX,   /* not a decimal number */
	BF_DEC_EOVERFLOW, /* out of range */
	BF_DEC_EDIVZERO,
};

/* Parses s[0..n) (s need not be NUL-terminated) in the JSON number grammar
 * of RFC 8259, for JSON numbers and for decimal text in JSON strings and CSV
 * fields alike: an optional '-', an integer part without leading zeros ("0"
 * or "12", not "012"), an optional fraction ('.' and at least one digit),
 * an optional exponent (e or E, an optional sign, digits: "1.5e3",
 * "12E-3"). Refused, with BF_DEC_ESYNTAX: a leading '+', a leading or
 * trailing '.', leading zeros, spaces anywhere, "NaN", "Infinity", hex, an
 * empty string. "-0" is zero. Digits beyond the ninth decimal place are
 * rounded half to even ("0.0000000015" -> 0.000000002, "0.0000000025" ->
 * 0.000000002, "-0.0000000015" -> -0.000000002); a tiny value (say "1e-400")
 * rounds to 0; a value whose rounded result is beyond BF_DEC_MAX, whatever
 * its exponent, is BF_DEC_EOVERFLOW. */
int bf_dec_parse(const char *s, size_t n, bf_dec *out);
/* Like bf_dec_parse, and *inexact (if not NULL) is set to 1 when rounding
 * dropped a non-zero digit, else to 0 (unchanged on error). */
int bf_dec_parse_x(const char *s, size_t n, bf_dec *out, int *inexact);

/* A number of the JSON grammar above, as bf_num_scan found it in s: the
 * integer digits are s[ds..de), the fraction's s[fs..fe) (fs == fe when
 * there is none), exp the exponent (its digits read no further once past
 * 1e15, far beyond any representable value), neg set for a leading '-'. */
struct bf_numtok {
	size_t ds, de, fs, fe;
	int64_t exp;
	int neg;
};
/* Scans s[0..n) as a JSON number (the grammar of bf_dec_parse) into *t,
 * without converting it: the one scanner of bf_dec_parse and
 * bf_time_from_number. Returns 0, or -1 when s is no such number. */
int bf_num_scan(const char *s, size_t n, struct bf_numtok *t);
/* The number of significant digits of t, integer part and fraction. */
static inline int64_t
bf_num_ndigits(const struct bf_numtok *t)
{
	return (int64_t)(t->de - t->ds) + (int64_t)(t->fe - t->fs);
}
/* The value of digit j (0 <= j < bf_num_ndigits) of t, the integer part's
 * first, then the fraction's. */
static inline unsigned
bf_num_digit(const struct bf_numtok *t, const char *s, int64_t j)
{
	int64_t nint = (int64_t)(t->de - t->ds);

	return (unsigned)(s[j < nint ? (int64_t)t->ds + j :
	    (int64_t)t->fs + j - nint] - '0');
}

bf_dec bf_dec_from_int(int64_t i);
/* The integer part if the value is an integer fitting int64: returns 0,
 * else -1 (*out unchanged). */
int bf_dec_to_int(bf_dec a, int64_t *out);
int bf_dec_is_integer(bf_dec a);
int bf_dec_cmp(bf_dec a, bf_dec b); /* -1, 0, 1 */
int bf_dec_sign(bf_dec a);          /* -1, 0, 1 */
/* A value and its place i in a list, for ranking: sorted with
 * bf_dec_rank_cmp, the largest value first, equal values in the order of
 * i (qsort alone is not stable). */
struct bf_dec_rank {
	bf_dec v;
	size_t i;
};
/* The qsort(3) comparator of struct bf_dec_rank: v descending, then i
 * ascending. */
int bf_dec_rank_cmp(const void *a, const void *b);
/* -a (fails only for the out-of-range v == INT128_MIN). */
int bf_dec_neg(bf_dec a, bf_dec *out);

int bf_dec_add(bf_dec a, bf_dec b, bf_dec *out);
int bf_dec_sub(bf_dec a, bf_dec b, bf_dec *out);
/* a * b rounded half-even to 9 places (exact 256-bit intermediate). */
int bf_dec_mul(bf_dec a, bf_dec b, bf_dec *out);
/* a / b rounded half-even to 9 places (exact 256-bit intermediate);
 * BF_DEC_EDIVZERO when b is 0. */
int bf_dec_div(bf_dec a, bf_dec b, bf_dec *out);
/* a * b / c with a single half-even rounding to 9 places, on the exact
 * 256-bit product (so a * b may exceed the range when the quotient does
 * not); BF_DEC_EDIVZERO when c is 0. Prefer it to bf_dec_mul followed by
 * bf_dec_div, which rounds twice. */
int bf_dec_muldiv(bf_dec a, bf_dec b, bf_dec c, bf_dec *out);
/* a * k exactly (k an integer). */
int bf_dec_mul_int(bf_dec a, int64_t k, bf_dec *out);
/* a rounded half-even to places decimal places (places clamped to 0..9),
 * still a bf_dec. bf_dec_round_to reports BF_DEC_EOVERFLOW when rounding up
 * would leave the range (only within one unit of the last place of
 * BF_DEC_MAX); bf_dec_round then returns the value rounded toward zero. */
int bf_dec_round_to(bf_dec a, int places, bf_dec *out);
bf_dec bf_dec_round(bf_dec a, int places);

/* Writes the value with exactly 9 decimals ("0.195051000", "-2.500000000",
 * "0.000000000"), NUL-terminated, and returns its length (never fails; the
 * output reads back with bf_dec_parse). */
size_t bf_dec_format(bf_dec a, char out[BF_DEC_LEN]);
/* Writes the value with places (clamped to 0..9) decimals, rounding
 * half-even first, without a '.' when places is 0; a value that rounds to
 * zero is written without '-'. Never fails. */
size_t bf_dec_format_places(bf_dec a, int places, char out[BF_DEC_LEN]);

/* Splits total in proportion to w[0..n) (non-negative, summing to whole >
 * 0): part i < n-1 is round9(total * w[i] / whole), the last part is the
 * remainder, so the parts add up to total exactly. Returns BF_DEC_OK or an
 * error. */
int bf_dec_split(bf_dec total, const int64_t *w, size_t n, int64_t whole,
    bf_dec *parts);

#endif
