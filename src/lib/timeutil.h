/*
 * timeutil.h: UTC time for bf: parsing, formatting, durations, calendar.
 *
 * Times are int64 seconds since 1970-01-01T00:00:00Z (bf_time). Nothing here
 * reads the TZ environment variable or calls the C library's local-time
 * functions; calendar arithmetic is proleptic Gregorian, years 0000..9999 for
 * text.
 */
#ifndef BF_TIMEUTIL_H
#define BF_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t bf_time;

/* "YYYY-MM-DDTHH:MM:SSZ" plus NUL. */
#define BF_TIME_LEN 21

/* Parses RFC 3339 text s[0..n): "2026-01-01T00:00:00Z", lowercase t/z,
 * offsets "+02:00"/"-05:30", fractional seconds of any length ("…:00.5Z"),
 * and a date alone ("2026-01-01", meaning its midnight UTC). Fields are range
 * checked (month 1..12, day within the month, leap years, hour 0..23, minute
 * 0..59, second 0..60 where 60 is taken as 59+1s only when valid). *nsec, if
 * not NULL, receives the fraction in nanoseconds (truncated past 9 digits).
 * Returns 0, or -1 if s is not such a time. */
int bf_time_parse(const char *s, size_t n, bf_time *t, int32_t *nsec);

/* Parses a JSON number text as epoch time: seconds, possibly with a fraction
 * or exponent; an absolute value of 1e11 or more is taken as milliseconds
 * (1e11 s is the year 5138). Returns 0 or -1. */
int bf_time_from_number(const char *s, size_t n, bf_time *t, int32_t *nsec);

/* Either of the two above: RFC 3339 text, or digits taken as epoch time. */
int bf_time_parse_any(const char *s, size_t n, bf_time *t, int32_t *nsec);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" and returns 20; returns 0 (and writes "")
 * for times outside years 0000..9999. */
size_t bf_time_format(bf_time t, char out[BF_TIME_LEN]);

/* Parses a duration: a positive integer and a unit s, m, h, d or w, and
 * sums of those ("90s", "15m", "1h", "24h", "72h", "1d", "7d", "1h30m").
 * Returns 0 with *secs > 0, or -1 (no unit, unknown unit, zero, overflow). */
int bf_duration_parse(const char *s, int64_t *secs);
/* Formats secs as the largest exact unit ("86400" -> "1d", "5400" -> "90m")
 * into out (at least 24 bytes). */
void bf_duration_format(int64_t secs, char *out, size_t outlen);

/* Days since 1970-01-01 of a civil date, and back (Howard Hinnant's
 * algorithms). m is 1..12, d is 1..31. */
int64_t bf_days_from_civil(int64_t y, int m, int d);
void bf_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int bf_days_in_month(int64_t y, int m);

/* t plus months calendar months, keeping the time of day; the day is
 * clamped to the end of a shorter month (Jan 31 + 1 month = Feb 28/29). */
bf_time bf_time_add_months(bf_time t, int months);

/* Billing cycles start at 00:00:00Z on day billing_day (1..28) of each
 * month. bf_billing_start: the start of the cycle holding t (<= t);
 * bf_billing_next: the first cycle start strictly after t. */
bf_time bf_billing_start(bf_time t, int billing_day);
bf_time bf_billing_next(bf_time t, int billing_day);
/* The billing period named "YYYY-MM": [that month's billing_day, the next
 * month's billing_day). Returns 0 or -1 for a malformed name. */
int bf_billing_period(const char *yyyymm, int billing_day, bf_time *from,
    bf_time *to);

#endif
