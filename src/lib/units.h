/*
 * units.h: the unit names bf knows, and exact conversions between them.
 *
 * The built-in table holds the CloudWatch unit names (Seconds, Microseconds,
 * Milliseconds, Bytes, Kilobytes ... Terabytes, Bits ... Terabits, Percent,
 * Count, the /Second rates, None) and the Prometheus base-unit conventions
 * (seconds, bytes, ratio, percent). Every unit belongs to a dimension and has
 * an exact decimal factor to the dimension's base unit: Kilobytes is 1024
 * Bytes (CloudWatch's binary multiples), Bits is 0.125 Bytes, Milliseconds is
 * 0.001 Seconds, ratio is 100 Percent (a ratio 0..1 becomes a percentage).
 *
 * A conversion from unit A to unit B of the same dimension is the pair
 * (num, den) = (factor of A, factor of B): value * num / den, computed with
 * one half-even rounding to 9 decimal places (bf_dec_muldiv). Nothing here
 * uses binary floating point.
 *
 * The table is static: pointers returned stay valid for the whole program.
 */
#ifndef BF_UNITS_H
#define BF_UNITS_H

#include <stddef.h>

#include "decimal.h"

struct bf_unit {
	const char *name;   /* as spelled in data, case-sensitive */
	const char *dim;    /* dimension: "time", "data", "data_rate",
	                       "percent", "count", "count_rate", "none" */
	const char *factor; /* exact decimal factor to the dimension's base */
};

/* The unit named s[0..n), or NULL when the table has none. */
const struct bf_unit *bf_unit_find(const char *s, size_t n);

/* The whole table (for documentation and tests); *n receives its length. */
const struct bf_unit *bf_unit_table(size_t *n);

/* The conversion from unit from to unit to (both in the table and of the
 * same dimension): *num and *den such that a value in from times num / den
 * is the value in to. Returns 0, or -1 when a unit is unknown or the
 * dimensions differ. */
int bf_unit_conversion(const struct bf_unit *from, const struct bf_unit *to,
    bf_dec *num, bf_dec *den);

/* value * num / den with one half-even rounding to 9 places: BF_DEC_OK or
 * the bf_dec error (BF_DEC_EOVERFLOW, BF_DEC_EDIVZERO). */
int bf_unit_convert(bf_dec value, bf_dec num, bf_dec den, bf_dec *out);

/* Writes v as the shortest exact JSON number text: no trailing zeros in the
 * fraction, no fraction when v is an integer ("20480", "0.5", "-1.25").
 * Returns the length written (out holds at least BF_DEC_LEN bytes). */
size_t bf_unit_format_number(bf_dec v, char out[BF_DEC_LEN]);

#endif
