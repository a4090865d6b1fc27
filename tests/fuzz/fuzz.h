/*
 * fuzz.h: helpers shared by the fuzz harnesses (tests/fuzz/fuzz-*.c).
 *
 * A harness states the library's contract as invariants with FUZZ_CHECK; a
 * broken invariant prints where and aborts, which libFuzzer (and replay.c)
 * report as a crash with the input that caused it.
 */
#ifndef BF_FUZZ_H
#define BF_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
		    __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* A NUL-terminated copy of data[0..n) (which may hold NUL bytes); the
 * caller frees it. */
static inline char *
fuzz_strndup(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	if (n != 0)
		memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

#endif
