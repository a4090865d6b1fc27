/*
 * fuzz-input: the line reader of input.h on any bytes, written to a
 * temporary file that is read three times in one bf_input (file, a missing
 * file, file again), with a small maxline taken from the first byte.
 * Invariants: the lines are exactly the input split at '\n' (a last line
 * without newline flagged no_newline), each cut to maxline bytes with
 * toolong set when it was longer; line numbers restart at 1 in each file and
 * the name is that file's; the missing file is one error (BF_EXIT_IO) and
 * reading goes on; the end is reported once all input is read, and again
 * when asked again.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "input.h"

#include "fuzz.h"

/* Checks the lines of one copy of the file. */
static void
check_file(struct bf_input *in, const uint8_t *data, size_t size,
    size_t maxline)
{
	struct bf_err e;
	const uint8_t *p = data, *end = data + size, *nl;
	size_t len, want;
	long lineno = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		bf_err_clear(&e);
		FUZZ_CHECK(bf_input_next(in, &e) == 1);
		FUZZ_CHECK(in->lineno == ++lineno);
		FUZZ_CHECK(strcmp(in->name, fuzz_path) == 0);
		want = len < maxline ? len : maxline;
		FUZZ_CHECK(in->line.len == want);
		FUZZ_CHECK(memcmp(bf_buf_str(&in->line), p, want) == 0);
		FUZZ_CHECK(in->line.s[want] == '\0');
		FUZZ_CHECK(in->toolong == (len > maxline));
		FUZZ_CHECK(in->no_newline == (nl == NULL));
		p = nl ? nl + 1 : end;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char missing[] = "/nonexistent/bf-fuzz-input";
	char *files[3];
	struct bf_input in;
	struct bf_err e;
	size_t maxline = size ? 1 + data[0] % 48 : 1;

	fuzz_file(data, size);
	files[0] = fuzz_path;
	files[1] = missing;
	files[2] = fuzz_path;
	bf_input_init(&in, files, 3, maxline);
	check_file(&in, data, size, maxline);
	bf_err_clear(&e);
	FUZZ_CHECK(bf_input_next(&in, &e) == -1);
	FUZZ_CHECK(e.code == BF_EXIT_IO && strstr(e.msg, missing) != NULL);
	check_file(&in, data, size, maxline);
	FUZZ_CHECK(bf_input_next(&in, &e) == 0);
	FUZZ_CHECK(bf_input_next(&in, &e) == 0);
	bf_input_free(&in);
	return 0;
}
