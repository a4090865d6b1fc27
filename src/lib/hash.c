/*
 * hash.c: SHA-256 through OpenSSL's EVP interface, and FNV-1a 64 (hash.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "err.h"
#include "hash.h"

static void
fatal(const char *what)
{
	fprintf(stderr, "%s: sha-256: %s failed\n", bf_progname, what);
	abort();
}

void
bf_sha256_init(struct bf_sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL)
		fatal("allocation");
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		fatal("init");
	h->ctx = ctx;
}

void
bf_sha256_update(struct bf_sha256 *h, const void *p, size_t n)
{
	if (n != 0 && EVP_DigestUpdate(h->ctx, p, n) != 1)
		fatal("update");
}

void
bf_sha256_final(struct bf_sha256 *h, char out[BF_SHA256_HEX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != 32)
		fatal("final");
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void
bf_sha256_hex(const void *p, size_t n, char out[BF_SHA256_HEX])
{
	struct bf_sha256 h;

	bf_sha256_init(&h);
	bf_sha256_update(&h, p, n);
	bf_sha256_final(&h, out);
}

uint64_t
bf_fnv1a64_more(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

uint64_t
bf_fnv1a64(const void *p, size_t n)
{
	return bf_fnv1a64_more(BF_FNV1A64_BASIS, p, n);
}
