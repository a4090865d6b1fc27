/*
 * format.h: the JSON Schema "format" values bf asserts (date-time and date,
 * RFC 3339), checked on the text with no allocation: called on every
 * date-time of every line.
 */
#ifndef BF_FORMAT_H
#define BF_FORMAT_H

#include <stddef.h>

/* 1 when s[0..n) is an RFC 3339 date-time as JSON Schema's "date-time"
 * format means it (leap second only at 23:59:60 UTC), else 0. */
int bf_format_date_time(const char *s, size_t n);
/* 1 when s[0..n) is an RFC 3339 full-date (YYYY-MM-DD, a real day). */
int bf_format_date(const char *s, size_t n);

#endif
