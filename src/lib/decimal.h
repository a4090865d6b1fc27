/*
 * decimal.h: exact fixed-point decimals for quantities and money.
 *
 * A bf_dec is an integer count of 1e-9 units in a signed 128-bit integer
 * (about +-1.7e29 units). No binary floating point is used anywhere.
 * Every operation that must drop digits rounds half to even, once, and
 * every operation detects overflow and reports it instead of wrapping.
 * Functions return BF_DEC_OK (0) or an error; on error *out is unchanged.
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
/* Longest formatted value, "-170141183460469231731.687303715" and NUL. */
#define BF_DEC_LEN 48

enum {
	BF_DEC_OK = 0,
	BF_DEC_ESYNTAX,   /* not a decimal number */
	BF_DEC_EOVERFLOW, /* out of range */
	BF_DEC_EDIVZERO,
};

/* Parses s[0..n): JSON number grammar (-, digits, fraction, exponent e/E
 * with sign) and, for strings from CSV and JSON strings, also a leading '+'
 * and a leading or trailing '.' are refused; no spaces. Digits beyond the
 * ninth place are rounded half to even. */
int bf_dec_parse(const char *s, size_t n, bf_dec *out);
/* Like bf_dec_parse, and *inexact is set to 1 when rounding dropped a
 * non-zero digit. */
int bf_dec_parse_x(const char *s, size_t n, bf_dec *out, int *inexact);

bf_dec bf_dec_from_int(int64_t i);
/* The integer part if the value is an integer fitting int64: returns 0,
 * else -1. */
int bf_dec_to_int(bf_dec a, int64_t *out);
int bf_dec_is_integer(bf_dec a);
int bf_dec_cmp(bf_dec a, bf_dec b); /* -1, 0, 1 */
int bf_dec_sign(bf_dec a);          /* -1, 0, 1 */

int bf_dec_add(bf_dec a, bf_dec b, bf_dec *out);
int bf_dec_sub(bf_dec a, bf_dec b, bf_dec *out);
/* a * b rounded half-even to 9 places (exact 256-bit intermediate). */
int bf_dec_mul(bf_dec a, bf_dec b, bf_dec *out);
/* a / b rounded half-even to 9 places. */
int bf_dec_div(bf_dec a, bf_dec b, bf_dec *out);
/* a * b / c with a single half-even rounding to 9 places. */
int bf_dec_muldiv(bf_dec a, bf_dec b, bf_dec c, bf_dec *out);
/* a * k exactly (k an integer). */
int bf_dec_mul_int(bf_dec a, int64_t k, bf_dec *out);
/* a rounded half-even to places (0..9) decimal places (still a bf_dec). */
bf_dec bf_dec_round(bf_dec a, int places);

/* Writes the value with exactly 9 decimals ("0.195051000", "-2.500000000")
 * and returns its length. */
size_t bf_dec_format(bf_dec a, char out[BF_DEC_LEN]);
/* Writes the value with places (0..9) decimals, rounding half-even first. */
size_t bf_dec_format_places(bf_dec a, int places, char out[BF_DEC_LEN]);

#endif
