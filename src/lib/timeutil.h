/*
 * timeutil.h: UTC time for bf: parsing, formatting, durations, calendar.
 *
 * Times are int64 seconds since 1970-01-01T00:00:00Z (bf_time). Nothing here
 * reads the TZ environment variable or calls the C library's local-time
 * functions; calendar arithmetic is proleptic Gregorian (Howard Hinnant's
 * days_from_civil), years 0000..9999 for text. Nothing here allocates; no
 * function keeps a pointer to its arguments. Every function is safe for any
 * argument value (no overflow, no undefined behaviour): results that would
 * not fit an int64 are reported (-1) or, where a function cannot report,
 * saturated as its comment says.
 */
#ifndef BF_TIMEUTIL_H
#define BF_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t bf_time;

/* "YYYY-MM-DDTHH:MM:SSZ" plus NUL. */
#define BF_TIME_LEN 21

/* Parses RFC 3339 text s[0..n) (s need not be NUL-terminated):
 *   "2026-01-01T00:00:00Z", lowercase "t" and "z" too,
 *   offsets "+02:00", "-05:30", "-00:00" (hours 00..23, minutes 00..59),
 *   fractional seconds of any length, at least one digit ("…:00.5Z"),
 *   a date alone ("2026-01-01", meaning its midnight UTC).
 * A full date-time without a zone, a space instead of "T", a missing seconds
 * field, spaces anywhere and trailing bytes are refused. Fields are range
 * checked: year 0000..9999, month 01..12, day within the month (leap years:
 * every 4th, not every 100th, every 400th), hour 00..23, minute 00..59,
 * second 00..59, or 60 for a leap second, accepted only where one may
 * occur: 23:59:60 UTC (after the offset is applied) on the last day of a
 * month; it is taken as 23:59:59 + 1 s, the next midnight. *t receives the
 * whole seconds (UTC), *nsec, if not NULL, the fraction in nanoseconds
 * (0..999999999, digits past the ninth are truncated). Returns 0, or -1 if s
 * is not such a time (then *t and *nsec are unchanged). */
int bf_time_parse(const char *s, size_t n, bf_time *t, int32_t *nsec);

/* Parses a JSON number text (RFC 8259 grammar: no '+', no leading zeros, no
 * spaces) as epoch time: seconds, possibly with a fraction or exponent
 * ("1767225600", "1767225600.5", "1.7672256e9", "-1.5"); an absolute value of
 * 1e11 or more is taken as milliseconds (1e11 s is the year 5138), so
 * "1767225600123" is 2026-01-01T00:00:00.123Z. *t receives the floor of the
 * value in seconds and *nsec (if not NULL) the rest in nanoseconds
 * (0..999999999; -1.5 gives *t = -2, *nsec = 500000000); digits below the
 * nanosecond are dropped (rounding toward minus infinity). Returns 0, or -1
 * for bad syntax or a value whose seconds do not fit an int64 (then *t and
 * *nsec are unchanged). */
int bf_time_from_number(const char *s, size_t n, bf_time *t, int32_t *nsec);

/* Either of the two above: RFC 3339 text, or else a number taken as epoch
 * time. */
int bf_time_parse_any(const char *s, size_t n, bf_time *t, int32_t *nsec);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" and returns 20; returns 0 (and writes "")
 * for times outside years 0000..9999. */
size_t bf_time_format(bf_time t, char out[BF_TIME_LEN]);

/* Writes the half-open range "[from, to)" (each time as bf_time_format
 * writes it) into out and returns out, for messages. */
#define BF_RANGE_LEN (2 * BF_TIME_LEN + 4)
const char *bf_time_range(bf_time from, bf_time to, char out[BF_RANGE_LEN]);

/* Parses a NUL-terminated duration: terms of a positive integer (digits
 * only) and a unit w (604800 s), d, h, m or s, units in that order, each at
 * most once, no spaces ("90s", "15m", "1h", "24h", "72h", "1d", "7d", "1w",
 * "1h30m", "1d12h"). Returns 0 with *secs > 0, or -1 (empty, no unit,
 * unknown or repeated unit, units out of order, a sign, a zero term, a total
 * that overflows int64); *secs is unchanged on error. */
int bf_duration_parse(const char *s, int64_t *secs);
/* The same, but also 0: "0" or a zero with a unit ("0s", "0m", "0h", "0d",
 * "0w"), for the durations where 0 turns a feature off (--lookback,
 * --settle). Returns 0 with *secs >= 0, or -1. */
int bf_duration_parse0(const char *s, int64_t *secs);
/* Formats secs as a count of the largest unit that divides it exactly
 * (604800 -> "1w", 86400 -> "1d", 5400 -> "90m", 90 -> "90s", 0 -> "0s",
 * negative values with a leading '-'), NUL-terminated, truncated to outlen
 * (24 bytes always suffice). What it writes for secs > 0 reads back with
 * bf_duration_parse. */
void bf_duration_format(int64_t secs, char *out, size_t outlen);

/* Days since 1970-01-01 of a civil date, and back (Howard Hinnant's
 * algorithms). m is 1..12, d is 1..31 (other values are clamped into those
 * ranges); y is clamped to +-1e12 so that nothing overflows. */
int64_t bf_days_from_civil(int64_t y, int m, int d);
void bf_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* 28..31, or 0 when m is not 1..12. */
int bf_days_in_month(int64_t y, int m);

/* t plus months calendar months (negative months go back), keeping the time
 * of day; the day is clamped to the end of a shorter month (Jan 31 + 1 month
 * = Feb 28, or Feb 29 in a leap year). Saturates at INT64_MIN/INT64_MAX. */
bf_time bf_time_add_months(bf_time t, int months);

/* Billing cycles start at 00:00:00Z on day billing_day (1..28; other values
 * are clamped into that range: callers validate user input) of each month.
 * bf_billing_start: the start of the cycle holding t (<= t);
 * bf_billing_next: the first cycle start strictly after t. Both saturate at
 * INT64_MIN/INT64_MAX. */
bf_time bf_billing_start(bf_time t, int billing_day);
bf_time bf_billing_next(bf_time t, int billing_day);
/* The billing period named "YYYY-MM" (NUL-terminated, exactly that form,
 * month 01..12): [that month's billing_day, the next month's billing_day).
 * Returns 0, or -1 for a malformed name or a billing_day outside 1..28. */
int bf_billing_period(const char *yyyymm, int billing_day, bf_time *from,
    bf_time *to);

#endif
