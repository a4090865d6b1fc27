/*
 * htab.h: the one hash table of the tree (the per-window tables of
 * bf-validate, bf-aggregate and bf-load, and keymap.h's dense indexes).
 *
 * It is intrusive: an entry is the caller's struct, which holds a struct
 * bf_hent (first, so that a found entry converts back with a cast), and the
 * table holds pointers to entries, never copies. Open addressing, linear
 * probing, at most half full, removal by backward shift (no tombstones).
 * Hashes are the caller's, FNV-1a 64 in the tree (hash.h: bf_fnv1a64 and
 * bf_fnv1a64_more for a key in pieces).
 *
 * Ownership: the table owns its slot array only. Entries and their key
 * bytes belong to the caller, who keeps them in place (neither moved nor
 * freed) while they are in the table. bf_htab_free frees the slots, not
 * the entries.
 */
#ifndef BF_HTAB_H
#define BF_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct bf_hent {
	uint64_t hash; /* of the key; set by the caller before insert */
	char *key;     /* the key's klen bytes (may hold NUL), owned by the
	                  caller; NULL for entries found by bf_htab_find_by */
	size_t klen;
};

struct bf_htab {
	struct bf_hent **slot; /* owned; cap slots, NULL when free */
	size_t cap, n;         /* cap is 0 or a power of two; n entries */
};
#define BF_HTAB_INIT { NULL, 0, 0 }

/* The entry whose hash is hash and whose key is key[0..len), or NULL. */
struct bf_hent *bf_htab_find(const struct bf_htab *h, uint64_t hash,
    const void *key, size_t len);
/* The entry whose hash is hash and for which eq(entry, arg) is not 0, or
 * NULL: for keys that are not one byte string (several fields). */
struct bf_hent *bf_htab_find_by(const struct bf_htab *h, uint64_t hash,
    int (*eq)(const struct bf_hent *e, const void *arg), const void *arg);
/* Adds e (e->hash set), growing the slots as needed (aborts on out of
 * memory). e must not be in the table; an equal key is not looked for. */
void bf_htab_insert(struct bf_htab *h, struct bf_hent *e);
/* Takes e, which is in the table, out of it. */
void bf_htab_remove(struct bf_htab *h, struct bf_hent *e);
/* Iteration: the entry at slot *i or after it, *i moved past it; NULL at
 * the end. Start with *i = 0. The order is the slots', neither insertion
 * nor key order, and the table must not change during an iteration. */
struct bf_hent *bf_htab_next(const struct bf_htab *h, size_t *i);
/* Forgets every entry, keeping the slots. */
void bf_htab_clear(struct bf_htab *h);
/* For entries kept in an array that moved (realloc): empties h, then
 * inserts each of the n entries of v, size bytes apart, each starting
 * with its struct bf_hent (hash kept). */
void bf_htab_refill(struct bf_htab *h, void *v, size_t n, size_t size);
/* Frees the slots (not the entries); h is empty and may be used again. */
void bf_htab_free(struct bf_htab *h);

#endif
