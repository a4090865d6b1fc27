/*
 * tap.h: a tiny TAP producer for the library's unit tests.
 *
 * ok(cond, fmt, ...) prints "ok N - msg" or "not ok N - msg" (with the file
 * and line of the failed check on stderr); is_str/is_int compare and show
 * both sides on failure. done_testing() prints the plan and returns the exit
 * status for main(): 0 when every check passed, 1 otherwise.
 */
#ifndef BF_TAP_H
#define BF_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond) {
		tap_failed++;
		fprintf(stderr, "#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_str(got, want, ...)                                              \
	do {                                                                \
		const char *g_ = (got), *w_ = (want);                       \
		if (!ok(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_,          \
		    __VA_ARGS__))                                           \
			fprintf(stderr, "#   got:  '%s'\n#   want: '%s'\n", \
			    g_ ? g_ : "(null)", w_ ? w_ : "(null)");        \
	} while (0)

#define is_int(got, want, ...)                                              \
	do {                                                                \
		long long g_ = (long long)(got), w_ = (long long)(want);   \
		if (!ok(g_ == w_, __VA_ARGS__))                             \
			fprintf(stderr, "#   got:  %lld\n#   want: %lld\n",    \
			    g_, w_);                                        \
	} while (0)

static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
