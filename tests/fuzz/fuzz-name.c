/*
 * fuzz-name: the partition-name encoding of files.h (bf_name_encode,
 * bf_name_decode) on any bytes. Invariants: any non-empty name encodes to
 * one safe file name component (only A-Z a-z 0-9 - _ . %, never starting
 * with '.', never empty, so never "", ".", ".." or hidden, no '/') that
 * decodes back to the same bytes, NUL bytes included; the empty name is
 * refused; and any text that decodes is the canonical encoding of what it
 * decodes to (so two names never share a file).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "files.h"

#include "fuzz.h"

static int
safe(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '%';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bf_buf enc = BF_BUF_INIT, dec = BF_BUF_INIT, re = BF_BUF_INIT;
	char *z;
	size_t i;

	if (size == 0) {
		FUZZ_CHECK(bf_name_encode("", 0, &enc) == -1);
		FUZZ_CHECK(bf_name_decode("", &dec) == -1);
		return 0;
	}
	FUZZ_CHECK(bf_name_encode((const char *)data, size, &enc) == 0);
	FUZZ_CHECK(enc.len >= size && enc.len <= 3 * size);
	FUZZ_CHECK(strlen(enc.s) == enc.len);
	FUZZ_CHECK(enc.s[0] != '.');
	for (i = 0; i < enc.len; i++)
		FUZZ_CHECK(safe((unsigned char)enc.s[i]));
	/* Appending: the encoding goes after what out holds. */
	bf_buf_puts(&dec, "keep");
	FUZZ_CHECK(bf_name_decode(enc.s, &dec) == 0);
	FUZZ_CHECK(dec.len == size + 4 && memcmp(dec.s, "keep", 4) == 0 &&
	    memcmp(dec.s + 4, data, size) == 0);

	/* The input as encoded text. */
	z = fuzz_strndup(data, size);
	bf_buf_reset(&dec);
	bf_buf_puts(&dec, "keep");
	if (bf_name_decode(z, &dec) == 0) {
		FUZZ_CHECK(bf_name_encode(dec.s + 4, dec.len - 4, &re) == 0);
		FUZZ_CHECK(strcmp(re.s, z) == 0);
	} else
		FUZZ_CHECK(dec.len == 4 && strcmp(dec.s, "keep") == 0);
	free(z);
	bf_buf_free(&enc);
	bf_buf_free(&dec);
	bf_buf_free(&re);
	return 0;
}
