/*
 * fuzz.h: helpers shared by the fuzz harnesses (tests/fuzz/fuzz-*.c).
 *
 * A harness states the library's contract as invariants with FUZZ_CHECK; a
 * broken invariant prints where and aborts, which libFuzzer (and replay.c)
 * report as a crash with the input that caused it.
 */
#ifndef BF_FUZZ_H
#define BF_FUZZ_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
		    __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* A finite instant near t: t clamped into years 0000..9999, plus d. */
static inline int64_t
fuzz_near(int64_t t, int64_t d)
{
	if (t < -62167219200LL)
		t = -62167219200LL;
	if (t > 253402300799LL)
		t = 253402300799LL;
	return t + d;
}

/* The order of effective-dated rows (struct bf_eff, rates.h) that a
 * loader promises: by key, and a key's ranges one after another. */
#define FUZZ_CHECK_EFF_ORDER(p, q) do { \
	int c_ = strcmp((p)->key, (q)->key); \
	FUZZ_CHECK(c_ <= 0); \
	if (c_ == 0) \
		FUZZ_CHECK((p)->to <= (q)->from); \
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

/* Where harnesses put their files: $BF_FUZZ_TMPDIR (tests/fuzz/run sets
 * it to a directory it removes afterwards, since a crashing harness leaves
 * its files behind), else /dev/shm (no disk writes, cheap fsync), else
 * /tmp. */
static inline const char *
fuzz_tmpdir(void)
{
	const char *d = getenv("BF_FUZZ_TMPDIR");

	if (d != NULL && *d != '\0' && strlen(d) < 200)
		return d;
	return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

static char fuzz_path[256];
static int fuzz_fd = -1;

static inline void
fuzz_file_cleanup(void)
{
	if (fuzz_fd >= 0)
		unlink(fuzz_path);
}

/* Replaces the contents of the harness's temporary file (one per process,
 * in fuzz_tmpdir(), removed at exit) with data[0..n) and returns its
 * path, for code that reads files. */
static inline const char *
fuzz_file(const void *data, size_t n)
{
	const char *s = data;
	ssize_t w;

	if (fuzz_fd < 0) {
		const char *dir = fuzz_tmpdir();

		snprintf(fuzz_path, sizeof(fuzz_path), "%s/bf-fuzz.XXXXXX",
		    dir);
		if ((fuzz_fd = mkstemp(fuzz_path)) < 0)
			abort();
		atexit(fuzz_file_cleanup);
	}
	if (ftruncate(fuzz_fd, 0) != 0 || lseek(fuzz_fd, 0, SEEK_SET) != 0)
		abort();
	while (n > 0) {
		if ((w = write(fuzz_fd, s, n)) < 0) {
			if (errno == EINTR)
				continue;
			abort();
		}
		s += w;
		n -= (size_t)w;
	}
	return fuzz_path;
}

#endif
