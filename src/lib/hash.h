/*
 * hash.h: SHA-256 (through OpenSSL's libcrypto) and FNV-1a 64.
 *
 * SHA-256 is used for digests of windows, DLQ ids and the ledger hash chain;
 * FNV-1a 64 for --shard (bf(7): the shard of a partition is FNV-1a 64 of its
 * name's bytes, mod N) and for the hash tables (htab.h).
 */
#ifndef BF_HASH_H
#define BF_HASH_H

#include <stddef.h>
#include <stdint.h>

/* 64 lowercase hex digits and NUL. */
#define BF_SHA256_HEX 65

/* An incremental SHA-256. bf_sha256_init allocates (never fails: aborts on
 * out of memory); bf_sha256_final writes the hex digest and frees. */
struct bf_sha256 {
	void *ctx; /* EVP_MD_CTX *, owned */
};
void bf_sha256_init(struct bf_sha256 *h);
void bf_sha256_update(struct bf_sha256 *h, const void *p, size_t n);
void bf_sha256_final(struct bf_sha256 *h, char out[BF_SHA256_HEX]);
/* One shot. */
void bf_sha256_hex(const void *p, size_t n, char out[BF_SHA256_HEX]);

uint64_t bf_fnv1a64(const void *p, size_t n);
/* The hash of a key in pieces: bf_fnv1a64_more(bf_fnv1a64(a, an), b, bn)
 * is bf_fnv1a64 of the bytes of a then b; BF_FNV1A64_BASIS is the hash of
 * no bytes. */
#define BF_FNV1A64_BASIS 14695981039346656037ULL
uint64_t bf_fnv1a64_more(uint64_t h, const void *p, size_t n);

#endif
