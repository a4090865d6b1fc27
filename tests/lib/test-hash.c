/*
 * test-hash.c: unit tests for hash.c (SHA-256 and FNV-1a 64 test vectors).
 */
#include <string.h>

#include "hash.h"
#include "tap.h"

int
main(void)
{
	char out[BF_SHA256_HEX];
	struct bf_sha256 h;
	char million[1000];
	int i;

	bf_sha256_hex("", 0, out);
	is_str(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
	    "7852b855", "sha256 of the empty string");
	bf_sha256_hex("abc", 3, out);
	is_str(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61"
	    "f20015ad", "sha256 of abc (FIPS 180-2)");
	bf_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    56, out);
	is_str(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd4"
	    "19db06c1", "sha256 of the two-block vector");

	memset(million, 'a', sizeof(million));
	bf_sha256_init(&h);
	for (i = 0; i < 1000; i++)
		bf_sha256_update(&h, million, sizeof(million));
	bf_sha256_final(&h, out);
	is_str(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39cc"
	    "c7112cd0", "incremental sha256 of a million a's");
	ok(h.ctx == NULL, "final frees the context");

	bf_sha256_init(&h);
	bf_sha256_update(&h, "a", 1);
	bf_sha256_update(&h, NULL, 0);
	bf_sha256_update(&h, "bc", 2);
	bf_sha256_final(&h, out);
	is_str(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61"
	    "f20015ad", "split updates equal one shot");

	bf_sha256_hex("a\0b", 3, out);
	ok(strcmp(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff"
	    "61f20015ad") != 0 && strlen(out) == 64,
	    "NUL bytes are hashed, 64 hex digits");

	ok(bf_fnv1a64("", 0) == 0xcbf29ce484222325ULL, "fnv1a64 of \"\"");
	ok(bf_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL, "fnv1a64 of a");
	ok(bf_fnv1a64("foobar", 6) == 0x85944171f73967e8ULL,
	    "fnv1a64 of foobar");
	ok(bf_fnv1a64("db-1", 4) != bf_fnv1a64("db-2", 4),
	    "different names, different hashes");
	return done_testing();
}
